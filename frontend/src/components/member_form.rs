//! The "New user" form: creates a user as a member of the organization on screen. It says in which
//! email domains the viewer may create accounts (the organization's claimed domains, or any for a
//! superadmin), and points to invitations for every other address.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::api::members::{create_member, NewMember};
use crate::api::organization_settings::load_org_domains;
use crate::api::types::OrgRole;
use crate::api::{use_session, ApiError};
use crate::components::error_box::{ErrorBox, FieldError};
use crate::components::role_choices::RoleChoices;
use crate::components::shell::use_viewer;

#[component]
pub fn NewMemberForm(
    organization_id: String,
    /// Called with the new user's email once the server has created them.
    on_created: Callback<String>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let session = use_session();
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let send_invitation = RwSignal::new(true);
    let roles = RwSignal::new(vec![OrgRole::Member]);
    let viewer = use_viewer();
    let is_superadmin =
        Memo::new(move |_| viewer.with(|loaded| matches!(loaded, Some(Ok(profile)) if profile.is_superadmin)));
    let domains = LocalResource::new({
        let organization_id = organization_id.clone();
        move || load_org_domains(session, organization_id.clone())
    });
    let domain_hint = move || {
        if is_superadmin.get() {
            return Some("As a superadmin you may create an account for any address.".to_owned());
        }
        let claimed = domains.with(|loaded| match loaded {
            Some(Ok(Some(domains))) => Some(domains.clone()),
            _ => None,
        })?;
        Some(match claimed.as_slice() {
            [] => "This organization claims no email domain, so its admins invite people rather than \
                   create their accounts: use Invitations below."
                .to_owned(),
            domains => format!(
                "Accounts are created here only for addresses at {}. Invite anyone else (Invitations, below).",
                domains.join(", ")
            ),
        })
    };

    let create = Action::new_local(move |member: &NewMember| {
        let member = member.clone();
        async move {
            let email = member.email.clone();
            create_member(session, member).await?;
            on_created.run(email);
            Ok::<(), ApiError>(())
        }
    });
    let error = Signal::derive(move || create.value().get().and_then(Result::err));

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        let password = password.get_untracked();
        let name = name.get_untracked().trim().to_owned();
        create.dispatch_local(NewMember {
            organization_id: organization_id.clone(),
            email: email.get_untracked().trim().to_owned(),
            name: (!name.is_empty()).then_some(name),
            roles: roles.get_untracked(),
            password: (!password.is_empty()).then_some(password),
            send_invitation: send_invitation.get_untracked(),
        });
    };

    view! {
        <form class="panel form" id="new-user-form" on:submit=submit>
            <h2>"New user"</h2>
            <ErrorBox id="create-user-error" error=error />
            <label for="new-user-email">"Email"</label>
            <input type="email" id="new-user-email" required autocomplete="off" bind:value=email />
            <FieldError error=error field="email" />
            <p class="hint" id="new-user-domains">{domain_hint}</p>
            <label for="new-user-name">"Name (optional)"</label>
            <input type="text" id="new-user-name" autocomplete="off" bind:value=name />
            <FieldError error=error field="name" />
            <RoleChoices roles=roles id_prefix="new-user-role" />
            <FieldError error=error field="roles" />
            <label for="new-user-password">"Initial password (optional)"</label>
            <input
                type="password"
                id="new-user-password"
                autocomplete="new-password"
                bind:value=password
            />
            <FieldError error=error field="password" />
            <p class="hint">
                "If you set a password here, the user must change it at their first sign-in. "
                "Leave it empty to let the user choose one through the invitation email."
            </p>
            <label class="choice" for="new-user-send-invitation">
                <input type="checkbox" id="new-user-send-invitation" bind:checked=send_invitation />
                "Send an invitation email (verifies the address and lets the user set a password)"
            </label>
            <div class="form-actions">
                <button
                    type="submit"
                    class="button primary"
                    id="create-user"
                    disabled=move || create.pending().get()
                >
                    {move || if create.pending().get() { "Creating…" } else { "Create user" }}
                </button>
                <button type="button" class="button secondary" on:click=move |_| on_cancel.run(())>
                    "Cancel"
                </button>
            </div>
        </form>
    }
}
