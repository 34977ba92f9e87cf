//! The one line at the top of the Access panel: can this person sign in right now, and if not,
//! which mechanism stops them. Worked out here from the same data the sections below show, so the
//! line and the controls can never disagree.

use leptos::prelude::*;

use crate::api::types::MembershipStatus;
use crate::api::users::UserProfile;
use crate::format;

/// How far the user is kept out, strongest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// Blocked: no sign-in anywhere, and issued tokens stop working.
    Blocked,
    /// Signing in works, but not everywhere: a suspension or a lockout applies.
    Restricted,
    /// Nothing the caller can see keeps the user out.
    Clear,
}

impl Standing {
    pub fn label(self) -> &'static str {
        match self {
            Standing::Blocked => "Cannot sign in",
            Standing::Restricted => "Restricted",
            Standing::Clear => "Can sign in",
        }
    }

    /// The pill colour, from the shared palette in lists.css.
    pub fn pill_class(self) -> &'static str {
        match self {
            Standing::Blocked => "pill danger",
            Standing::Restricted => "pill warning",
            Standing::Clear => "pill positive",
        }
    }
}

/// The standing and the sentence that explains it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessSummary {
    pub standing: Standing,
    pub sentence: String,
}

impl AccessSummary {
    pub fn of(profile: &UserProfile) -> Self {
        let suspended: Vec<String> = profile
            .memberships
            .iter()
            .filter(|membership| membership.status == MembershipStatus::Suspended)
            .map(|membership| with_reason(&membership.organization.name, membership.suspended_reason.as_deref()))
            .collect();
        let locked: Vec<String> = profile
            .lockouts
            .iter()
            .flatten()
            .map(|lockout| {
                let until = match lockout.locked_until.as_deref() {
                    Some(until) => format!("until {}", format::timestamp(until)),
                    None => "until cleared".to_owned(),
                };
                format!("{} ({until})", lockout.ip)
            })
            .collect();
        let mut limits = Vec::new();
        if !suspended.is_empty() {
            limits.push(format!("suspended in {}", suspended.join(", ")));
        }
        if !locked.is_empty() {
            limits.push(format!("locked out from {}", locked.join(", ")));
        }

        if profile.blocked {
            let mut sentence = format!(
                "Cannot sign in anywhere: {}.",
                with_reason("blocked", profile.blocked_reason.as_deref())
            );
            if !limits.is_empty() {
                sentence.push_str(&format!(" Also {}.", limits.join("; ")));
            }
            return Self {
                standing: Standing::Blocked,
                sentence,
            };
        }
        if limits.is_empty() {
            return Self {
                standing: Standing::Clear,
                sentence: "Can sign in now: not blocked, not suspended in any organization you can see, \
                           and not locked out."
                    .to_owned(),
            };
        }
        // A superadmin reaches every organization whatever their memberships say.
        let every_membership_suspended = !profile.is_superadmin
            && !profile.memberships.is_empty()
            && profile
                .memberships
                .iter()
                .all(|membership| membership.status == MembershipStatus::Suspended);
        let lead = if every_membership_suspended {
            "Can sign in, but reaches no organization you can see"
        } else {
            "Can sign in, except"
        };
        let mut sentence = format!("{lead}: {}.", limits.join("; "));
        if !locked.is_empty() {
            sentence.push_str(" A lockout stops sign-in from that address only.");
        }
        Self {
            standing: Standing::Restricted,
            sentence,
        }
    }
}

/// `what (“reason”)`, or just `what` when no reason was given.
fn with_reason(what: &str, reason: Option<&str>) -> String {
    match reason.map(str::trim) {
        Some(reason) if !reason.is_empty() => format!("{what} (“{reason}”)"),
        _ => what.to_owned(),
    }
}

#[component]
pub fn SummaryLine(summary: AccessSummary) -> impl IntoView {
    view! {
        <p class="access-summary" id="access-summary" role="status">
            <span class=summary.standing.pill_class()>{summary.standing.label()}</span>
            <span>{summary.sentence}</span>
        </p>
    }
}
