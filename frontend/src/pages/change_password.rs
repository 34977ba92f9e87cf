//! The forced password change: while the session says `passwordChangeRequired`, the server accepts
//! nothing else, so this page stands in for the whole portal until it succeeds.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::client::refresh;
use crate::api::{auth, use_session, ApiError};
use crate::components::error_box::{ErrorBox, FieldError};
use crate::components::password_fields::{check_confirmation, NewPasswordFields};

#[component]
pub fn ChangePasswordPage() -> impl IntoView {
    let session = use_session();
    let current = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let confirmation = RwSignal::new(String::new());
    let email = move || session.user().map(|user| user.email).unwrap_or_default();

    let change = Action::new_local(move |(current, password, confirmation): &(String, String, String)| {
        let (current, password, confirmation) = (current.clone(), password.clone(), confirmation.clone());
        async move {
            check_confirmation(&password, &confirmation)?;
            auth::change_my_password(session, current, password).await?;
            // The token in hand was issued for the change only; a fresh one opens the
            // portal. If the refresh fails, the session is forgotten and sign-in follows.
            refresh(session).await?;
            Ok::<(), ApiError>(())
        }
    });
    let error = Signal::derive(move || change.value().get().and_then(Result::err));

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        change.dispatch_local((
            current.get_untracked(),
            password.get_untracked(),
            confirmation.get_untracked(),
        ));
    };
    let sign_out = move |_| {
        spawn_local(async move {
            let _ = auth::logout(session).await;
            session.sign_out_locally();
        });
    };

    view! {
        <div class="centered-page">
            <form class="panel form narrow" id="change-password-form" on:submit=submit>
                <h1 class="brand">"Steward"</h1>
                <h2>"Change your password"</h2>
                <p class="muted">
                    "Before you continue, replace the password you were given for "
                    <strong id="change-password-email">{email}</strong>
                    "."
                </p>
                <ErrorBox id="change-password-error" error=error />
                <label for="current-password">"Current password"</label>
                <input
                    type="password"
                    id="current-password"
                    required
                    autocomplete="current-password"
                    bind:value=current
                />
                <FieldError error=error field="currentPassword" />
                <NewPasswordFields
                    password=password
                    confirmation=confirmation
                    error=error
                    id="new-password"
                    field="newPassword"
                />
                <button
                    type="submit"
                    class="button primary wide"
                    id="change-password-submit"
                    disabled=move || change.pending().get()
                >
                    "Change password and continue"
                </button>
                <button type="button" class="button link" id="sign-out" on:click=sign_out>
                    "Sign out"
                </button>
            </form>
        </div>
    }
}
