//! The members page's "Invitations" panel, for those who manage the organization's members:
//! invite someone by email with the roles they will get, and see, resend (a new link, valid for
//! the full period) and revoke the invitations still pending.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::api::invitations::{invite_member, load_invitations, resend_invitation, revoke_invitation, Invitation};
use crate::api::types::OrgRole;
use crate::api::{use_session, ApiError};
use crate::components::data_table::{Column, DataTable};
use crate::components::error_box::ErrorBox;
use crate::components::fields::{BusyButton, TextField};
use crate::components::outcome::{error_of, Outcome};
use crate::components::role_choices::RoleChoices;
use crate::format;

#[component]
pub fn InvitationsPanel(organization_id: String) -> impl IntoView {
    let session = use_session();
    let invitations = LocalResource::new({
        let organization_id = organization_id.clone();
        move || load_invitations(session, organization_id.clone())
    });
    let email = RwSignal::new(String::new());
    let roles = RwSignal::new(vec![OrgRole::Member]);

    let invite = Action::new_local(move |(email_address, chosen): &(String, Vec<OrgRole>)| {
        let (email_address, chosen) = (email_address.clone(), chosen.clone());
        let organization_id = organization_id.clone();
        async move {
            invite_member(session, organization_id, email_address.clone(), chosen).await?;
            let _ = email.try_set(String::new());
            invitations.refetch();
            Ok::<_, ApiError>(format!("Invitation sent to {email_address}."))
        }
    });
    let revoke = Action::new_local(move |invitation: &Invitation| {
        let invitation = invitation.clone();
        async move {
            revoke_invitation(session, invitation.id).await?;
            invitations.refetch();
            Ok::<_, ApiError>(format!("Revoked the invitation for {}.", invitation.email))
        }
    });
    let resend = Action::new_local(move |invitation: &Invitation| {
        let invitation = invitation.clone();
        async move {
            resend_invitation(session, invitation.id).await?;
            invitations.refetch();
            Ok::<_, ApiError>(format!(
                "Sent the invitation to {} again, with a new link valid for 7 days; the old link no longer works.",
                invitation.email
            ))
        }
    });
    let invite_result = Signal::derive(move || invite.value().get());
    // Resending and revoking share one place for their outcome, the latest shown.
    let last_row_action = RwSignal::new(None::<bool>);
    let revoke_result = Signal::derive(move || match last_row_action.get() {
        Some(true) => resend.value().get(),
        _ => revoke.value().get(),
    });

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        revoke.value().set(None);
        invite.dispatch_local((email.get_untracked().trim().to_owned(), roles.get_untracked()));
    };

    view! {
        <div class="panel" id="invitations-panel">
            <h2>"Invitations"</h2>
            <form class="form" id="invite-member-form" on:submit=submit>
                <p class="hint">
                    "The person gets an email with a link to join; without an account yet, they "
                    "choose a password there."
                </p>
                <TextField
                    id="invite-email"
                    label="Email"
                    kind="email"
                    required=true
                    value=email
                    error=error_of(invite_result)
                    field="email"
                />
                <RoleChoices roles=roles id_prefix="invite-role" />
                <div class="form-actions">
                    <BusyButton
                        id="send-invitation"
                        label="Send invitation"
                        running_label="Sending…"
                        running=invite.pending()
                    />
                </div>
                <Outcome error_id="invite-error" notice_id="invitation-sent" result=invite_result />
            </form>
            <h3 class="subheading">"Pending"</h3>
            <Outcome error_id="revoke-invitation-error" notice_id="invitation-revoked" result=revoke_result />
            <Transition fallback=|| view! { <p class="muted">"Loading invitations…"</p> }>
                {move || Suspend::new(async move {
                    match invitations.await {
                        Ok(rows) => {
                            view! {
                                <InvitationsTable
                                    rows=rows
                                    revoking=Signal::derive(move || revoke.pending().get() || resend.pending().get())
                                    on_revoke=Callback::new(move |invitation: Invitation| {
                                        invite.value().set(None);
                                        last_row_action.set(Some(false));
                                        revoke.dispatch_local(invitation);
                                    })
                                    on_resend=Callback::new(move |invitation: Invitation| {
                                        invite.value().set(None);
                                        last_row_action.set(Some(true));
                                        resend.dispatch_local(invitation);
                                    })
                                />
                            }
                                .into_any()
                        }
                        Err(error) => {
                            view! { <ErrorBox id="invitations-error" error=Some(error) /> }.into_any()
                        }
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
fn InvitationsTable(
    rows: Vec<Invitation>,
    #[prop(into)] revoking: Signal<bool>,
    on_revoke: Callback<Invitation>,
    on_resend: Callback<Invitation>,
) -> impl IntoView {
    let body = if rows.is_empty() {
        view! {
            <tr>
                <td colspan="4" class="muted">
                    "No pending invitations."
                </td>
            </tr>
        }
        .into_any()
    } else {
        rows.into_iter()
            .map(|invitation| {
                let button_id = format!("revoke-invitation-{}", invitation.id);
                let label = format!("Revoke the invitation for {}", invitation.email);
                let resend_id = format!("resend-invitation-{}", invitation.id);
                let resend_label = format!("Send the invitation for {} again", invitation.email);
                let to_resend = invitation.clone();
                let row_id = invitation.id.clone();
                let email = invitation.email.clone();
                let roles = format::roles(&invitation.roles);
                let expires = format::timestamp(&invitation.expires_at);
                view! {
                    <tr data-invitation-id=row_id>
                        <td>{email}</td>
                        <td>{roles}</td>
                        <td>{expires}</td>
                        <td class="actions-column">
                            <button
                                type="button"
                                class="button secondary"
                                id=resend_id
                                aria-label=resend_label
                                disabled=move || revoking.get()
                                on:click=move |_| on_resend.run(to_resend.clone())
                            >
                                "Resend"
                            </button>
                            <button
                                type="button"
                                class="button danger-outline"
                                id=button_id
                                aria-label=label
                                disabled=move || revoking.get()
                                on:click=move |_| on_revoke.run(invitation.clone())
                            >
                                "Revoke"
                            </button>
                        </td>
                    </tr>
                }
            })
            .collect_view()
            .into_any()
    };
    view! {
        <div class="table-scroll">
            <DataTable
                id="invitations-table"
                columns=vec![
                    Column::new("Email"),
                    Column::new("Roles"),
                    Column::new("Expires"),
                ]
                actions=true
            >
                {body}
            </DataTable>
        </div>
    }
}
