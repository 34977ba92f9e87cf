//! What a one-time link is for, as its token's row stores it.

/// Consumed by `resetPassword`: reset links and admin tickets.
pub const PASSWORD_RESET: &str = "PASSWORD_RESET";
/// Consumed by `verifyEmail`: confirms the address the token names.
pub const EMAIL_VERIFICATION: &str = "EMAIL_VERIFICATION";
/// Consumed by `verifyEmail`: switches the user to the new address the token names.
pub const EMAIL_CHANGE: &str = "EMAIL_CHANGE";
/// Consumed by `acceptInvitation`.
pub const INVITATION: &str = "INVITATION";
/// Consumed by `unlockAccount`: lifts a brute-force lock.
pub const UNLOCK: &str = "UNLOCK";
