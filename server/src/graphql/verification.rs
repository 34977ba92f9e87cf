//! Email verification: verifying an address from its link, changing one's own address, and the
//! admin's verification mail and override.

use async_graphql::{Context, Object, ID};

use super::ids::parse;
use super::types::User;
use crate::domain::{users, verification};

type GqlResult<T> = async_graphql::Result<T>;

#[derive(Default)]
pub struct VerificationMutation;

#[Object]
impl VerificationMutation {
    /// Confirms an address from a verification link, or completes an email change (the old
    /// address is told).
    ///
    /// **Permissions**: anyone holding the link.
    async fn verify_email(&self, ctx: &Context<'_>, token: String) -> GqlResult<bool> {
        let caller = super::acting::caller(ctx);
        verification::verify(&caller.public(), &token).await?;
        Ok(true)
    }

    /// Starts a change of the signed-in user's address: a link goes to the new address, and the
    /// change takes effect when it is followed.
    ///
    /// **Permissions**: the signed-in user, with their password.
    async fn change_my_email(&self, ctx: &Context<'_>, new_email: String, password: String) -> GqlResult<bool> {
        let caller = super::acting::caller(ctx);
        verification::change_mine(&caller.myself()?, &new_email, &password).await?;
        Ok(true)
    }

    /// Mails the signed-in user a new verification link (nothing when already verified). Rate
    /// limited.
    ///
    /// **Permissions**: the signed-in user.
    async fn resend_my_verification_email(&self, ctx: &Context<'_>) -> GqlResult<bool> {
        let caller = super::acting::caller(ctx);
        verification::resend_mine(&caller.myself()?).await?;
        Ok(true)
    }

    /// Mails the user a verification link (valid 24 hours).
    ///
    /// **Permissions**: as `sendPasswordResetEmail`.
    async fn send_verification_email(&self, ctx: &Context<'_>, user_id: ID) -> GqlResult<bool> {
        let caller = super::acting::caller(ctx);
        verification::send(&caller.identity_manager(parse(&user_id)?).await?).await?;
        Ok(true)
    }

    /// Marks the address verified, or not.
    ///
    /// **Permissions**: as `sendPasswordResetEmail`.
    async fn set_email_verified(&self, ctx: &Context<'_>, user_id: ID, verified: bool) -> GqlResult<User> {
        let caller = super::acting::caller(ctx);
        let scope = caller.identity_manager(parse(&user_id)?).await?;
        Ok(User(users::set_email_verified(&scope, verified).await?))
    }
}
