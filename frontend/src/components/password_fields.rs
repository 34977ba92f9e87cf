//! The "new password" and "repeat it" pair used by setup, reset and the forced change, with the
//! comparison done before anything is sent.

use leptos::prelude::*;

use crate::api::ApiError;
use crate::components::error_box::FieldError;

/// Two password inputs bound to `password` and `confirmation`. Inputs are named `newPassword` for
/// the server's field messages, whichever operation the form sends.
#[component]
pub fn NewPasswordFields(
    password: RwSignal<String>,
    confirmation: RwSignal<String>,
    #[prop(into)] error: Signal<Option<ApiError>>,
    /// Element id of the first input; the second gets the same with `-confirm` appended.
    id: &'static str,
    /// The server field name the first input stands for (`password` or `newPassword`).
    field: &'static str,
) -> impl IntoView {
    let confirm_id = format!("{id}-confirm");
    view! {
        <label for=id>"New password"</label>
        <input
            type="password"
            id=id
            autocomplete="new-password"
            required
            bind:value=password
        />
        <FieldError error=error field=field />
        <label for=confirm_id.clone()>"Repeat the new password"</label>
        <input
            type="password"
            id=confirm_id
            autocomplete="new-password"
            required
            bind:value=confirmation
        />
        <FieldError error=error field="confirmation" />
        <p class="hint">
            "Long passphrases are best. The organization's password policy decides what is accepted."
        </p>
    }
}

/// The check the server cannot do: both entries must match. `Err` is shaped like a field error.
pub fn check_confirmation(password: &str, confirmation: &str) -> Result<(), ApiError> {
    if password == confirmation {
        Ok(())
    } else {
        Err(ApiError::invalid_field("confirmation", "The two passwords differ."))
    }
}
