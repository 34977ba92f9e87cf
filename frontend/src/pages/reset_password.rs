//! Setting a new password from a `/reset-password?token=…` link (emailed, a ticket, or printed by
//! `steward create-admin`). No session is needed or created: the person signs in afterwards.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::{auth, ApiError, ErrorCode};
use crate::components::error_box::ErrorBox;
use crate::components::password_fields::{check_confirmation, NewPasswordFields};

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let token = use_query_map().get_untracked().get("token").unwrap_or_default();
    let password = RwSignal::new(String::new());
    let confirmation = RwSignal::new(String::new());

    let reset = Action::new_local(move |(token, password, confirmation): &(String, String, String)| {
        let (token, password, confirmation) = (token.clone(), password.clone(), confirmation.clone());
        async move {
            if token.is_empty() {
                return Err(ApiError::local(ErrorCode::TokenInvalid, "The link has no token."));
            }
            check_confirmation(&password, &confirmation)?;
            auth::reset_password(token, password).await
        }
    });
    let error = Signal::derive(move || reset.value().get().and_then(Result::err));
    let done = move || matches!(reset.value().get(), Some(Ok(_)));

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        reset.dispatch_local((token.clone(), password.get_untracked(), confirmation.get_untracked()));
    };

    view! {
        <div class="centered-page">
            <Show
                when=done
                fallback=move || {
                    view! {
                        <form
                            class="panel form narrow"
                            id="reset-password-form"
                            on:submit=submit.clone()
                        >
                            <h1 class="brand">"Steward"</h1>
                            <h2>"Choose a new password"</h2>
                            <ErrorBox id="reset-password-error" error=error />
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
                                id="reset-password-submit"
                                disabled=move || reset.pending().get()
                            >
                                "Set password"
                            </button>
                        </form>
                    }
                }
            >
                <div class="panel narrow" id="reset-password-done">
                    <h1 class="brand">"Steward"</h1>
                    <p>"Your password has been changed."</p>
                    <A href="/login" attr:class="button primary wide" attr:id="sign-in-link">
                        "Sign in"
                    </A>
                </div>
            </Show>
        </div>
    }
}
