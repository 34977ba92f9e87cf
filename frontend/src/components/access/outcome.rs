//! The outcome of a section's last action, right below its controls: what changed, or why the
//! server refused. Every section places one; only the section whose action it was shows anything,
//! so the stable ids `access-error` and `access-notice` stay unique on the page.

use leptos::prelude::*;

use crate::api::ApiError;
use crate::components::outcome::Outcome;

#[component]
pub fn ActionOutcome(
    #[prop(into)] error: Signal<Option<ApiError>>,
    #[prop(into)] notice: Signal<Option<String>>,
) -> impl IntoView {
    let result = Signal::derive(move || error.get().map(Err).or_else(|| notice.get().map(Ok)));
    view! { <Outcome error_id="access-error" notice_id="access-notice" result=result /> }
}
