//! Running a user page panel's actions: one at a time, each followed by a reload of the user, with
//! its outcome remembered next to the control that started it.
//!
//! A controller belongs to the page rather than the panel: a reload renders the panel anew, and
//! the outcome of the action that caused it must outlive that.

use std::future::Future;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::client::Session;
use crate::api::ApiError;

/// What the last action came to: a sentence saying what changed, or the server's refusal.
#[derive(Clone, Debug, PartialEq)]
struct Outcome<A> {
    action: A,
    result: Result<String, ApiError>,
}

/// `A` names the panel's controls, so that each outcome shows beside the one it belongs to.
pub struct ActionController<A: Send + Sync + 'static> {
    session: Session,
    user_id: StoredValue<String>,
    /// The action on its way, until the server has answered it.
    pending: RwSignal<Option<A>>,
    outcome: RwSignal<Option<Outcome<A>>>,
    reload: Callback<()>,
}

impl<A: Send + Sync + 'static> Clone for ActionController<A> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<A: Send + Sync + 'static> Copy for ActionController<A> {}

impl<A> ActionController<A>
where
    A: Clone + PartialEq + Send + Sync + 'static,
{
    /// `reload` fetches the user (and whatever else the page shows) again; it is called after
    /// every action, refused or not, since a refusal may itself mean the page is out of date.
    pub fn new(session: Session, user_id: String, reload: Callback<()>) -> Self {
        Self {
            session,
            user_id: StoredValue::new(user_id),
            pending: RwSignal::new(None),
            outcome: RwSignal::new(None),
            reload,
        }
    }

    pub fn session(&self) -> Session {
        self.session
    }

    pub fn user_id(&self) -> String {
        self.user_id.get_value()
    }

    /// Whether the page shows the signed-in person's own account, where the server refuses
    /// blocking and suspending.
    pub fn is_own_account(&self) -> bool {
        self.session
            .user()
            .is_some_and(|user| user.id == self.user_id.get_value())
    }

    /// Whether any action is under way; every control waits for it. Tracked.
    pub fn is_busy(&self) -> bool {
        self.pending.with(Option::is_some)
    }

    /// Whether this particular action is under way, for its button's label. Tracked.
    pub fn is_running(&self, action: &A) -> bool {
        self.pending.with(|pending| pending.as_ref() == Some(action))
    }

    /// The refusal of the last action, when it was one matching `belongs`. Tracked.
    pub fn error_where(&self, belongs: impl Fn(&A) -> bool + Send + Sync + 'static) -> Signal<Option<ApiError>> {
        let outcome = self.outcome;
        Signal::derive(move || {
            outcome.with(|outcome| match outcome {
                Some(Outcome {
                    action,
                    result: Err(error),
                }) if belongs(action) => Some(error.clone()),
                _ => None,
            })
        })
    }

    /// What the last action changed, when it succeeded and was one matching `belongs`. Tracked.
    pub fn notice_where(&self, belongs: impl Fn(&A) -> bool) -> Option<String> {
        self.outcome.with(|outcome| match outcome {
            Some(Outcome {
                action,
                result: Ok(notice),
            }) if belongs(action) => Some(notice.clone()),
            _ => None,
        })
    }

    /// The whole outcome of the last action, when it was one matching `belongs`. Tracked.
    pub fn result_where(
        &self,
        belongs: impl Fn(&A) -> bool + Send + Sync + 'static,
    ) -> Signal<Option<Result<String, ApiError>>> {
        let outcome = self.outcome;
        Signal::derive(move || {
            outcome.with(|outcome| match outcome {
                Some(Outcome { action, result }) if belongs(action) => Some(result.clone()),
                _ => None,
            })
        })
    }

    /// Sends `request` unless another action is still under way, then reloads the user whatever
    /// the answer. `request` answers with a sentence saying what changed.
    pub fn run(self, action: A, request: impl Future<Output = Result<String, ApiError>> + 'static) {
        if self.pending.with_untracked(Option::is_some) {
            return;
        }
        self.pending.set(Some(action.clone()));
        self.outcome.set(None);
        spawn_local(async move {
            let result = request.await;
            // The page may have been left meanwhile; then there is nothing to update.
            if self.outcome.try_set(Some(Outcome { action, result })).is_none() {
                self.pending.set(None);
                self.reload.try_run(());
            }
        });
    }
}
