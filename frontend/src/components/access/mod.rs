//! The Access panel of the user page: everything that can keep a user out — block, suspension per
//! organization, lockouts and sessions — shown and changed in one place, under a one-line summary,
//! so that an administrator never has to guess which mechanism is in play.

mod block;
mod controller;
mod lockouts;
mod outcome;
mod sessions;
mod summary;
mod suspensions;

use leptos::prelude::*;

pub use controller::AccessController;

use crate::api::access::SignInSession;
use crate::api::users::UserProfile;
use crate::api::ApiError;
use block::BlockSection;
use lockouts::LockoutSection;
pub use sessions::SessionSection;
use summary::{AccessSummary, SummaryLine};
use suspensions::SuspensionSection;

#[component]
pub fn AccessPanel(
    profile: UserProfile,
    /// Loaded apart from the profile: a caller may see the user yet not their sessions.
    sessions: Result<Vec<SignInSession>, ApiError>,
    controller: AccessController,
) -> impl IntoView {
    let summary = AccessSummary::of(&profile);
    view! {
        <div class="panel access-panel" id="access-panel">
            <h2>"Access"</h2>
            <SummaryLine summary=summary />
            <BlockSection controller=controller blocked=profile.blocked reason=profile.blocked_reason />
            <SuspensionSection controller=controller memberships=profile.memberships />
            <LockoutSection controller=controller lockouts=profile.lockouts.unwrap_or_default() />
            <SessionSection controller=controller sessions=sessions />
        </div>
    }
}
