//! `/accept-invitation?token=…`: joins the organization the invitation is for and signs in. A new
//! account chooses a password (and may give a name) here; an existing one just joins.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;

use crate::api::links::{LinkToken, PublicOrganization};
use crate::api::types::TokenPurpose;
use crate::api::{auth, use_session, ApiError};
use crate::components::error_box::ErrorBox;
use crate::components::fields::{BusyButton, TextField};
use crate::components::password_fields::{check_confirmation, NewPasswordFields};
use crate::components::public_page::TokenGate;

#[component]
pub fn AcceptInvitationPage() -> impl IntoView {
    view! {
        <TokenGate
            purposes=&[TokenPurpose::Invitation]
            id="accept-invitation-panel"
            render=|token, link| view! { <AcceptInvitation token=token link=link /> }.into_any()
        />
    }
}

/// What the form sends: a new account's password and name, or nothing for an existing account.
#[derive(Clone)]
struct Acceptance {
    name: Option<String>,
    /// A new account's password and its confirmation.
    password: Option<(String, String)>,
    /// An existing account's current password.
    current_password: Option<String>,
}

#[component]
fn AcceptInvitation(token: String, link: LinkToken) -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let confirmation = RwSignal::new(String::new());
    let new_account = !link.account_exists;
    let organization_name = link
        .organization
        .as_ref()
        .map(PublicOrganization::title)
        .unwrap_or_else(|| "the organization".to_owned());
    let personal = {
        let email = link.email.clone();
        let organization = link.organization.as_ref().map(|organization| organization.name.clone());
        Signal::derive(move || {
            let mut personal = vec![email.clone(), name.get()];
            personal.extend(organization.clone());
            personal
        })
    };

    let accept = Action::new_local(move |acceptance: &Acceptance| {
        let (token, acceptance, navigate) = (token.clone(), acceptance.clone(), navigate.clone());
        async move {
            let password = match acceptance.password {
                Some((password, confirmation)) => {
                    check_confirmation(&password, &confirmation)?;
                    Some(password)
                }
                None => None,
            };
            let granted =
                auth::accept_invitation(token, password, acceptance.current_password, acceptance.name).await?;
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
    let error = Signal::derive(move || accept.value().get().and_then(Result::err));

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        let acceptance = if new_account {
            let name = name.get_untracked().trim().to_owned();
            Acceptance {
                name: (!name.is_empty()).then_some(name),
                password: Some((password.get_untracked(), confirmation.get_untracked())),
                current_password: None,
            }
        } else {
            Acceptance {
                name: None,
                password: None,
                current_password: Some(password.get_untracked()),
            }
        };
        accept.dispatch_local(acceptance);
    };

    let new_account_fields = new_account.then(|| {
        view! {
            <TextField
                id="invite-name"
                label="Your name (optional)"
                autocomplete="name"
                value=name
                error=error
                field="name"
            />
            <NewPasswordFields
                password=password
                confirmation=confirmation
                error=error
                id="invite-password"
                field="password"
                policy=link.password_policy.clone()
                personal=personal
            />
        }
    });
    // An existing account proves itself with its password: the link alone never signs in to it.
    let existing_account_fields = (!new_account).then(|| {
        view! {
            <TextField
                id="invite-current-password"
                label="Your password"
                kind="password"
                autocomplete="current-password"
                required=true
                value=password
                error=error
                field="currentPassword"
            />
        }
    });
    let explanation = if new_account {
        "Choose a password for your new account to join."
    } else {
        "You already have an account: sign in with its password to add this organization to it."
    };

    view! {
        <form class="form" id="accept-invitation-form" on:submit=submit>
            <h2>{format!("Join {organization_name}")}</h2>
            <p class="muted">
                "You were invited as " <strong id="invite-email-address">{link.email.clone()}</strong> ". "
                {explanation}
            </p>
            <ErrorBox id="accept-invitation-error" error=error />
            {new_account_fields}
            {existing_account_fields}
            <BusyButton
                id="accept-invitation"
                label=format!("Join {organization_name}")
                running_label="Joining…"
                running=accept.pending()
                class="button primary wide"
            />
        </form>
    }
}
