//! First start: the server prints a one-time `/setup?token=…` link; this page turns it into the
//! first superadmin and signs them in.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

use crate::api::{auth, use_session, ApiError, ErrorCode};
use crate::components::error_box::{ErrorBox, FieldError};
use crate::components::password_fields::{check_confirmation, NewPasswordFields};

#[derive(Clone)]
struct SetupRequest {
    token: String,
    email: String,
    name: Option<String>,
    password: String,
    confirmation: String,
}

#[component]
pub fn SetupPage() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let token = use_query_map().get_untracked().get("token").unwrap_or_default();
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let confirmation = RwSignal::new(String::new());

    let set_up = Action::new_local(move |request: &SetupRequest| {
        let request = request.clone();
        let navigate = navigate.clone();
        async move {
            if request.token.is_empty() {
                return Err(ApiError::local(ErrorCode::TokenInvalid, "The link has no token."));
            }
            check_confirmation(&request.password, &request.confirmation)?;
            let granted = auth::setup_first_admin(request.token, request.email, request.password, request.name).await?;
            session.establish(granted);
            navigate(
                "/",
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
            Ok::<(), ApiError>(())
        }
    });
    let error = Signal::derive(move || set_up.value().get().and_then(Result::err));

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        let name = name.get_untracked().trim().to_owned();
        set_up.dispatch_local(SetupRequest {
            token: token.clone(),
            email: email.get_untracked().trim().to_owned(),
            name: (!name.is_empty()).then_some(name),
            password: password.get_untracked(),
            confirmation: confirmation.get_untracked(),
        });
    };

    view! {
        <div class="centered-page">
            <form class="panel form narrow" id="setup-form" on:submit=submit>
                <h1 class="brand">"Steward"</h1>
                <h2>"Set up the first administrator"</h2>
                <p class="muted">
                    "This account can manage every organization. The link works once."
                </p>
                <ErrorBox id="setup-error" error=error />
                <label for="setup-email">"Email"</label>
                <input
                    type="email"
                    id="setup-email"
                    required
                    autocomplete="username"
                    bind:value=email
                />
                <FieldError error=error field="email" />
                <label for="setup-name">"Name (optional)"</label>
                <input type="text" id="setup-name" autocomplete="name" bind:value=name />
                <FieldError error=error field="name" />
                <NewPasswordFields
                    password=password
                    confirmation=confirmation
                    error=error
                    id="setup-password"
                    field="password"
                />
                <button
                    type="submit"
                    class="button primary wide"
                    id="setup-submit"
                    disabled=move || set_up.pending().get()
                >
                    "Create administrator"
                </button>
            </form>
        </div>
    }
}
