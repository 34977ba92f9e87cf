//! `/users/:userId`: everything the administrator may see about one user, the Access panel that
//! shows and changes what keeps them out, and the panel for their password and email address.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::api::access::{load_sessions, SignInSession};
use crate::api::audit::{load_audit, AuditFilter};
use crate::api::users::{load_user, UserMembership, UserProfile};
use crate::api::{use_session, ApiError};
use crate::components::access::{AccessController, AccessPanel};
use crate::components::audit_table::AuditTable;
use crate::components::credentials::{CredentialsController, CredentialsPanel};
use crate::components::data_table::{Column, DataTable};
use crate::components::error_box::ErrorBox;
use crate::components::metadata_editor::{MetadataEditor, MetadataTarget};
use crate::components::pager::{CursorStack, Pager};
use crate::components::shell::use_viewer;
use crate::components::user_editing::{
    ChangeEmailPanel, DeleteUserPanel, EditProfilePanel, ManagedMembership, MembershipManager,
    MembershipMetadataEditors,
};
use crate::format;

#[component]
pub fn UserPage() -> impl IntoView {
    let params = use_params_map();
    let user_id = Memo::new(move |_| params.read().get("user_id").unwrap_or_default());
    // Another user starts from a clean slate: no outcome of an action taken on the previous one.
    move || view! { <UserView user_id=user_id.get() /> }
}

#[component]
fn UserView(user_id: String) -> impl IntoView {
    let session = use_session();
    let user = LocalResource::new({
        let user_id = user_id.clone();
        move || load_user(session, user_id.clone())
    });
    let sessions = LocalResource::new({
        let user_id = user_id.clone();
        move || load_sessions(session, user_id.clone())
    });
    let reload = Callback::new(move |()| {
        user.refetch();
        sessions.refetch();
    });
    let controller = AccessController::new(session, user_id.clone(), reload);
    let credentials = CredentialsController::new(session, user_id, reload);

    view! {
        <section class="page">
            <Transition fallback=|| view! { <p class="muted">"Loading user…"</p> }>
                {move || Suspend::new(async move {
                    let loaded = user.await;
                    let sessions = sessions.await;
                    match loaded {
                        Ok(Some(profile)) => {
                            view! {
                                <UserDetails
                                    profile=profile
                                    sessions=sessions
                                    controller=controller
                                    credentials=credentials
                                    reload=reload
                                />
                            }
                                .into_any()
                        }
                        Ok(None) => {
                            view! {
                                <div class="panel" id="user-not-found">
                                    <h1>"User not found"</h1>
                                    <p class="muted">
                                        "This user does not exist, or is outside your reach."
                                    </p>
                                </div>
                            }
                                .into_any()
                        }
                        Err(error) => {
                            view! { <ErrorBox id="user-error" error=Some(error) /> }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn UserDetails(
    profile: UserProfile,
    sessions: Result<Vec<SignInSession>, ApiError>,
    controller: AccessController,
    credentials: CredentialsController,
    reload: Callback<()>,
) -> impl IntoView {
    // Editing is offered to those who manage the user's members somewhere (the server has the
    // final say, and a refusal shows beside the control); an AUDITOR sees none of it.
    let viewer = use_viewer();
    let organizations: Vec<String> = profile
        .memberships
        .iter()
        .map(|membership| membership.organization.id.clone())
        .collect();
    let can_edit = Memo::new(move |_| {
        viewer.with(|loaded| {
            matches!(loaded, Some(Ok(me)) if me.is_superadmin
                || organizations.iter().any(|organization| me.can_manage_members_of(organization)))
        })
    });
    let editing = (profile.clone(), profile.id.clone(), profile.email.clone());
    let deleting = (profile.id.clone(), profile.email.clone());
    let metadata = (profile.user_metadata.clone(), profile.app_metadata.clone());
    let metadata_user = profile.id.clone();
    // The memberships the viewer manages, and the organizations they manage the user is not in.
    let memberships_now: Vec<(String, String, Vec<crate::api::types::OrgRole>)> = profile
        .memberships
        .iter()
        .map(|membership| {
            (
                membership.organization.id.clone(),
                membership.organization.name.clone(),
                membership.roles.clone(),
            )
        })
        .collect();
    let manager_user_id = profile.id.clone();
    let membership_manager = move || {
        let viewer = use_viewer();
        viewer.with(|loaded| {
            let Some(Ok(me)) = loaded else { return None };
            let managed: Vec<ManagedMembership> = memberships_now
                .iter()
                .filter(|(organization_id, _, _)| me.can_manage_members_of(organization_id))
                .map(|(organization_id, name, roles)| ManagedMembership {
                    organization_id: organization_id.clone(),
                    organization_name: name.clone(),
                    roles: roles.clone(),
                })
                .collect();
            let joinable: Vec<(String, String)> = me
                .memberships
                .iter()
                .filter(|own| own.can_manage_members())
                .filter(|own| !memberships_now.iter().any(|(organization_id, _, _)| *organization_id == own.organization_id))
                .map(|own| (own.organization_id.clone(), own.organization_name.clone()))
                .collect();
            (!managed.is_empty() || !joinable.is_empty()).then(|| {
                view! {
                    <MembershipManager user_id=manager_user_id.clone() managed=managed.clone() joinable=joinable reload=reload />
                    <MembershipMetadataEditors user_id=manager_user_id.clone() managed=managed />
                }
            })
        })
    };
    let heading = profile.name.clone().unwrap_or_else(|| profile.email.clone());
    let blocked = if profile.blocked {
        match profile.blocked_reason.as_deref() {
            Some(reason) if !reason.is_empty() => format!("Yes — {reason}"),
            _ => "Yes".to_owned(),
        }
    } else {
        "No".to_owned()
    };
    let rows: Vec<(&'static str, &'static str, String)> = vec![
        ("Email", "user-email", profile.email.clone()),
        (
            "Email verified",
            "user-email-verified",
            format::yes_no(profile.email_verified).to_owned(),
        ),
        (
            "Username",
            "user-username",
            format::or_dash(profile.username.as_deref()),
        ),
        ("Name", "user-name", format::or_dash(profile.name.as_deref())),
        (
            "Given name",
            "user-given-name",
            format::or_dash(profile.given_name.as_deref()),
        ),
        (
            "Family name",
            "user-family-name",
            format::or_dash(profile.family_name.as_deref()),
        ),
        (
            "Nickname",
            "user-nickname",
            format::or_dash(profile.nickname.as_deref()),
        ),
        ("Picture", "user-picture", format::or_dash(profile.picture.as_deref())),
        (
            "Phone number",
            "user-phone-number",
            format::or_dash(profile.phone_number.as_deref()),
        ),
        ("Locale", "user-locale", format::or_dash(profile.locale.as_deref())),
        ("Blocked", "user-blocked", blocked),
        (
            "Must change password",
            "user-password-change-required",
            format::yes_no(profile.password_change_required).to_owned(),
        ),
        (
            "Last login",
            "user-last-login",
            format::optional_timestamp(profile.last_login_at.as_deref(), "Never"),
        ),
        ("Logins", "user-logins-count", profile.logins_count.to_string()),
        ("Created", "user-created-at", format::timestamp(&profile.created_at)),
        ("Updated", "user-updated-at", format::timestamp(&profile.updated_at)),
    ];

    view! {
        <div class="page-header">
            <div>
                <h1 id="user-heading">{heading}</h1>
                <p class="muted mono" id="user-id">{profile.id.clone()}</p>
            </div>
            {profile.blocked.then(|| view! { <span class="pill danger">"Blocked"</span> })}
        </div>
        <div class="user-panels">
            <AccessPanel profile=profile.clone() sessions=sessions controller=controller />
            <CredentialsPanel
                controller=credentials
                email=profile.email.clone()
                email_verified=profile.email_verified
            />
        </div>
        <div class="panel" id="user-profile">
            <h2>"Profile"</h2>
            <dl class="details">
                {rows
                    .into_iter()
                    .map(|(label, id, value)| {
                        view! {
                            <dt>{label}</dt>
                            <dd id=id>{value}</dd>
                        }
                    })
                    .collect_view()}
            </dl>
        </div>
        <div class="panel">
            <h2>"Memberships"</h2>
            <MembershipsTable memberships=profile.memberships />
        </div>
        {membership_manager}
        <Show when=move || can_edit.get()>
            <div class="columns">
                <EditProfilePanel profile=editing.0.clone() reload=reload />
                <ChangeEmailPanel user_id=editing.1.clone() email=editing.2.clone() reload=reload />
            </div>
        </Show>
        <Activity user_id=profile.id.clone() />
        <Show
            when=move || can_edit.get()
            fallback={
                let (user_metadata, app_metadata) = metadata.clone();
                move || view! {
                    <div class="columns">
                        <div class="panel">
                            <h2>"User metadata"</h2>
                            <pre class="json" id="user-metadata">{format::pretty_json(&user_metadata)}</pre>
                        </div>
                        <div class="panel">
                            <h2>"App metadata"</h2>
                            <pre class="json" id="app-metadata">{app_metadata.as_ref().map(format::pretty_json).unwrap_or_default()}</pre>
                        </div>
                    </div>
                }
            }
        >
            <div class="columns">
                <MetadataEditor
                    target=MetadataTarget::UserMetadata(metadata_user.clone())
                    document=metadata.0.clone()
                    form_id="user-metadata-form"
                    input_id="user-metadata-editor"
                    title="User metadata"
                    label="What the user may also edit themselves, as a JSON object"
                />
                <MetadataEditor
                    target=MetadataTarget::AppMetadata(metadata_user.clone())
                    document=metadata.1.clone().unwrap_or_else(|| serde_json::json!({}))
                    form_id="app-metadata-form"
                    input_id="app-metadata-editor"
                    title="App metadata"
                    label="Administrators only: the user cannot see or change it"
                />
            </div>
        </Show>
        <Show when=move || can_edit.get()>
            <DeleteUserPanel user_id=deleting.0.clone() email=deleting.1.clone() />
        </Show>
    }
}

/// What happened to and by this user, from the audit logs the viewer may read: newest first,
/// paged. Those who may not read any log are told so here alone.
#[component]
fn Activity(user_id: String) -> impl IntoView {
    let session = use_session();
    let cursors = RwSignal::new(CursorStack::default());
    let page = LocalResource::new(move || {
        let after = cursors.with(CursorStack::current);
        let filter = AuditFilter {
            user_id: Some(user_id.clone()),
            ..AuditFilter::default()
        };
        async move { load_audit(session, None, filter, after).await }
    });
    let next_cursor = Signal::derive(move || {
        page.with(|loaded| match loaded {
            Some(Ok(page)) => page.next_cursor.clone(),
            _ => None,
        })
    });
    let total = Signal::derive(move || {
        page.with(|loaded| match loaded {
            Some(Ok(page)) => Some(page.total),
            _ => None,
        })
    });
    view! {
        <div class="panel" id="user-activity">
            <h2>"Activity"</h2>
            <p class="hint">"Sign-ins, changes and access events about this user, newest first."</p>
            <Transition fallback=|| view! { <p class="muted">"Loading activity…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(page) => view! { <AuditTable id="activity-table" rows=page.entries /> }.into_any(),
                        Err(error) => view! {
                            <p class="access-unavailable" id="activity-unavailable">
                                "Activity cannot be shown. "
                                {error.headline()}
                                " "
                                {error.explanation()}
                            </p>
                        }
                        .into_any(),
                    }
                })}
            </Transition>
            <Pager cursors=cursors next_cursor=next_cursor total=total noun=("event", "events") total_id="activity-count" />
        </div>
    }
}

#[component]
fn MembershipsTable(memberships: Vec<UserMembership>) -> impl IntoView {
    if memberships.is_empty() {
        return view! { <p class="empty">"No memberships you can see."</p> }.into_any();
    }
    view! {
        <DataTable
            id="user-memberships"
            columns=vec![
                Column::new("Organization"),
                Column::new("Roles"),
                Column::new("Status"),
                Column::new("Member since"),
            ]
        >
            {memberships
                .into_iter()
                .map(|membership| {
                    let status = match membership.suspended_reason.as_deref() {
                        Some(reason) if !reason.is_empty() => {
                            format!("{} — {reason}", membership.status.label())
                        }
                        _ => membership.status.label().to_owned(),
                    };
                    view! {
                        <tr>
                            <td>
                                <A href=format!("/orgs/{}", membership.organization.id)>
                                    {membership.organization.name}
                                </A>
                            </td>
                            <td>{format::roles(&membership.roles)}</td>
                            <td>{status}</td>
                            <td>{format::timestamp(&membership.created_at)}</td>
                        </tr>
                    }
                })
                .collect_view()}
        </DataTable>
    }
    .into_any()
}
