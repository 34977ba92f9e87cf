//! The outcome of a section's last action, right below its controls: what changed, or why the
//! server refused. Every section places one; only the section whose action it was shows anything,
//! so the stable ids `access-error` and `access-notice` stay unique on the page.

use leptos::prelude::*;

use crate::api::ApiError;
use crate::components::error_box::ErrorBox;

#[component]
pub fn ActionOutcome(
    #[prop(into)] error: Signal<Option<ApiError>>,
    #[prop(into)] notice: Signal<Option<String>>,
) -> impl IntoView {
    view! {
        <ErrorBox id="access-error" error=error />
        {move || {
            notice
                .get()
                .map(|text| {
                    view! {
                        <p class="notice" id="access-notice" role="status">
                            {text}
                        </p>
                    }
                })
        }}
    }
}
