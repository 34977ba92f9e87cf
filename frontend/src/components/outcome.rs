//! What an action came to, right below its controls: a sentence saying what changed, or the
//! server's refusal in the shared error box. Renders nothing before the action has run.

use leptos::prelude::*;

use crate::api::ApiError;
use crate::components::error_box::ErrorBox;

#[component]
pub fn Outcome(
    /// Element id of the error box.
    #[prop(into)]
    error_id: String,
    /// Element id of the success sentence.
    #[prop(into)]
    notice_id: String,
    /// `Ok` holds the sentence to show.
    #[prop(into)]
    result: Signal<Option<Result<String, ApiError>>>,
) -> impl IntoView {
    let error = Signal::derive(move || result.with(|result| result.clone().and_then(Result::err)));
    view! {
        <ErrorBox id=error_id error=error />
        {move || {
            result
                .with(|result| result.clone().and_then(Result::ok))
                .map(|text| {
                    view! {
                        <p class="notice" id=notice_id.clone() role="status">
                            {text}
                        </p>
                    }
                })
        }}
    }
}

/// The error of an action's last run, for the field messages under its inputs.
pub fn error_of<T>(result: Signal<Option<Result<T, ApiError>>>) -> Signal<Option<ApiError>>
where
    T: Clone + Send + Sync + 'static,
{
    Signal::derive(move || result.with(|result| result.clone().and_then(Result::err)))
}
