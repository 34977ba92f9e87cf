//! `/reset-password?token=…`: setting a new password from a link (emailed, a ticket, or printed by
//! `steward create-admin`). The token is read first, for the organization's branding, the address
//! and the password policy; no session is needed or created: the person signs in afterwards, or
//! goes where the ticket says.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;

use crate::api::links::LinkToken;
use crate::api::types::TokenPurpose;
use crate::api::{auth, ApiError};
use crate::components::error_box::ErrorBox;
use crate::components::fields::BusyButton;
use crate::components::password_fields::{check_confirmation, NewPasswordFields};
use crate::components::public_page::{with_organization, TokenGate};

/// The sign-in page's query that makes it say the password was changed.
pub const PASSWORD_CHANGED_NOTICE: &str = "password-changed";

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    view! {
        <TokenGate
            purposes=&[TokenPurpose::PasswordReset]
            id="reset-password-panel"
            render=|token, link| view! { <ResetPasswordForm token=token link=link /> }.into_any()
        />
    }
}

#[component]
fn ResetPasswordForm(token: String, link: LinkToken) -> impl IntoView {
    let navigate = use_navigate();
    let password = RwSignal::new(String::new());
    let confirmation = RwSignal::new(String::new());
    let organization_slug = link.organization.as_ref().map(|organization| organization.slug.clone());
    let mut personal = vec![link.email.clone()];
    personal.extend(link.organization.as_ref().map(|organization| organization.name.clone()));
    let result_url = link.result_url.clone();

    let reset = Action::new_local(move |(password, confirmation): &(String, String)| {
        let (token, password, confirmation) = (token.clone(), password.clone(), confirmation.clone());
        let (navigate, result_url) = (navigate.clone(), result_url.clone());
        let organization_slug = organization_slug.clone();
        async move {
            check_confirmation(&password, &confirmation)?;
            auth::reset_password(token, password).await?;
            match result_url {
                // A ticket names where to go next; the server checked the origin when it was made.
                Some(url) => {
                    let _ = window().location().assign(&url);
                }
                None => {
                    let sign_in = with_organization("/login", organization_slug.as_deref());
                    let separator = if sign_in.contains('?') { '&' } else { '?' };
                    navigate(
                        &format!("{sign_in}{separator}notice={PASSWORD_CHANGED_NOTICE}"),
                        NavigateOptions {
                            replace: true,
                            ..Default::default()
                        },
                    );
                }
            }
            Ok::<(), ApiError>(())
        }
    });
    let error = Signal::derive(move || reset.value().get().and_then(Result::err));

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        reset.dispatch_local((password.get_untracked(), confirmation.get_untracked()));
    };

    view! {
        <form class="form" id="reset-password-form" on:submit=submit>
            <h2>"Choose a new password"</h2>
            <p class="muted">
                "For " <strong id="reset-email">{link.email}</strong>
            </p>
            <ErrorBox id="reset-password-error" error=error />
            <NewPasswordFields
                password=password
                confirmation=confirmation
                error=error
                id="new-password"
                field="newPassword"
                policy=link.password_policy
                personal=personal
            />
            <BusyButton
                id="reset-password-submit"
                label="Set password"
                running_label="Setting password…"
                running=reset.pending()
                class="button primary wide"
            />
        </form>
    }
}
