//! Showing a failed request where the person is looking: a box above the form for the whole error,
//! and a line under each input the server complained about.

use leptos::prelude::*;

use crate::api::ApiError;

/// The whole error: a headline, the server's explanation of a refusal, then every field message
/// and every password rule broken. Renders nothing while there is no error, so it can sit in a
/// form permanently.
#[component]
pub fn ErrorBox(
    /// The element id, so tests and assistive technology can find this particular box.
    #[prop(into)]
    id: String,
    #[prop(into)] error: Signal<Option<ApiError>>,
) -> impl IntoView {
    move || {
        error.get().map(|error| {
            let fields = error.fields.clone();
            let reasons = error.reasons.clone();
            let explanation = error.explanation();
            view! {
                <div class="error-box" id=id.clone() role="alert">
                    <p class="error-headline">{error.headline()}</p>
                    {explanation.map(|text| view! { <p class="error-explanation">{text}</p> })}
                    {(!fields.is_empty())
                        .then(|| {
                            view! {
                                <ul class="error-details">
                                    {fields
                                        .into_iter()
                                        .map(|(field, message)| {
                                            view! {
                                                <li>
                                                    <strong>{field}</strong>
                                                    ": "
                                                    {message}
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            }
                        })}
                    {(!reasons.is_empty())
                        .then(|| {
                            view! {
                                <ul class="error-details">
                                    {reasons
                                        .into_iter()
                                        .map(|reason| view! { <li>{reason}</li> })
                                        .collect_view()}
                                </ul>
                            }
                        })}
                </div>
            }
        })
    }
}

/// The server's message about one input, placed right under it.
#[component]
pub fn FieldError(
    #[prop(into)] error: Signal<Option<ApiError>>,
    /// The input's name as the server reports it in `extensions.fields`.
    field: &'static str,
) -> impl IntoView {
    move || {
        error
            .get()
            .and_then(|error| error.field_message(field))
            .map(|message| view! { <p class="field-error">{message}</p> })
    }
}
