//! The Access panel's actions, run by the page's [`ActionController`]: one at a time, each
//! followed by a reload of the user, with its outcome next to the control that started it.

use crate::components::action_controller::ActionController;

/// Which control an outcome belongs to, so that its error or confirmation shows beside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccessAction {
    Block,
    Unblock,
    /// In the organization with this slug.
    Suspend(String),
    /// In the organization with this slug.
    Reinstate(String),
    ClearLockouts,
    RevokeSessions,
    /// The session with this id.
    RevokeSession(String),
}

impl AccessAction {
    /// Whether the action belongs to the given membership row, so the row can show its outcome.
    pub fn concerns_organization(&self, slug: &str) -> bool {
        matches!(self, AccessAction::Suspend(own) | AccessAction::Reinstate(own) if own == slug)
    }
}

pub type AccessController = ActionController<AccessAction>;
