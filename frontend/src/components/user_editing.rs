//! The user page's editing panels: the profile edited in place (the server's field errors under
//! their inputs), the address changed (the new one must be verified, the old one is told), and the
//! user deleted once their address is typed. The server decides who may: a refusal is shown where
//! the action was asked for.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::api::users::{change_user_email, delete_user, update_user_profile, AdminProfileFields, UserProfile};
use crate::api::{use_session, ApiError};
use crate::components::error_box::{ErrorBox, FieldError};
use crate::components::fields::{BusyButton, TextField};
use crate::components::metadata_editor::{MetadataEditor, MetadataTarget};
use crate::components::outcome::{error_of, Outcome};

/// One input per field: (element id, label, server field name, input type).
const INPUTS: [(&str, &str, &str, &str); 8] = [
    ("edit-name", "Name", "name", "text"),
    ("edit-given-name", "Given name", "givenName", "text"),
    ("edit-family-name", "Family name", "familyName", "text"),
    ("edit-nickname", "Nickname", "nickname", "text"),
    ("edit-username", "Username", "username", "text"),
    ("edit-picture", "Picture (URL)", "picture", "url"),
    ("edit-phone", "Phone number", "phoneNumber", "tel"),
    ("edit-locale", "Locale (e.g. en-GB)", "locale", "text"),
];

#[component]
pub fn EditProfilePanel(profile: UserProfile, reload: Callback<()>) -> impl IntoView {
    let session = use_session();
    let initial = [
        &profile.name,
        &profile.given_name,
        &profile.family_name,
        &profile.nickname,
        &profile.username,
        &profile.picture,
        &profile.phone_number,
        &profile.locale,
    ]
    .map(|value| RwSignal::new(value.clone().unwrap_or_default()));
    let user_id = profile.id.clone();
    let save = Action::new_local(move |fields: &AdminProfileFields| {
        let (fields, user_id) = (fields.clone(), user_id.clone());
        async move {
            update_user_profile(session, user_id, fields).await?;
            reload.run(());
            Ok::<_, ApiError>("The profile has been saved.".to_owned())
        }
    });
    let result = Signal::derive(move || save.value().get());
    let error = error_of(result);
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        let [name, given_name, family_name, nickname, username, picture, phone_number, locale] = initial.map(|input| {
            let value = input.get_untracked().trim().to_owned();
            (!value.is_empty()).then_some(value)
        });
        save.dispatch_local(AdminProfileFields {
            username,
            name,
            given_name,
            family_name,
            nickname,
            picture,
            phone_number,
            locale,
        });
    };
    view! {
        <form class="panel form" id="edit-profile-form" on:submit=submit>
            <h2>"Edit profile"</h2>
            <p class="hint">
                "An empty field is cleared. For a user who belongs to other organizations too, you need the right in each of them."
            </p>
            {INPUTS
                .into_iter()
                .zip(initial)
                .map(|((id, label, field, kind), value)| {
                    view! { <TextField id=id label=label kind=kind value=value error=error field=field /> }
                })
                .collect_view()}
            <div class="form-actions">
                <BusyButton id="save-user-profile" label="Save profile" running_label="Saving…" running=save.pending() />
            </div>
            <Outcome error_id="edit-profile-error" notice_id="edit-profile-saved" result=result />
        </form>
    }
}

#[component]
pub fn ChangeEmailPanel(user_id: String, email: String, reload: Callback<()>) -> impl IntoView {
    let session = use_session();
    let new_email = RwSignal::new(String::new());
    let change = Action::new_local(move |address: &String| {
        let (address, user_id) = (address.clone(), user_id.clone());
        async move {
            change_user_email(session, user_id, address.clone()).await?;
            let _ = new_email.try_set(String::new());
            reload.run(());
            Ok::<_, ApiError>(format!(
                "The address is now {address}, unverified until the link sent there is followed; the old address was told."
            ))
        }
    });
    let result = Signal::derive(move || change.value().get());
    let error = error_of(result);
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        change.dispatch_local(new_email.get_untracked().trim().to_owned());
    };
    view! {
        <form class="panel form" id="change-user-email-form" on:submit=submit>
            <h2>"Email address"</h2>
            <p class="hint">"Now " <span class="mono">{email}</span> "."</p>
            <TextField id="edit-email" label="New address" kind="email" required=true value=new_email error=error field="email" />
            <div class="form-actions">
                <BusyButton id="change-user-email" label="Change address" running_label="Changing…" running=change.pending() />
            </div>
            <Outcome error_id="change-user-email-error" notice_id="user-email-changed" result=result />
        </form>
    }
}

/// Deleting the user everywhere, once their address is typed.
#[component]
pub fn DeleteUserPanel(user_id: String, email: String) -> impl IntoView {
    let session = use_session();
    let typed = RwSignal::new(String::new());
    let expected = email.clone();
    let matches = Memo::new(move |_| typed.get().trim().eq_ignore_ascii_case(&expected));
    let navigate = leptos_router::hooks::use_navigate();
    let delete = Action::new_local(move |_: &()| {
        let (user_id, navigate) = (user_id.clone(), navigate.clone());
        async move {
            delete_user(session, user_id).await?;
            navigate("/orgs", Default::default());
            Ok::<_, ApiError>("The user was deleted.".to_owned())
        }
    });
    let result = Signal::derive(move || delete.value().get());
    let error = error_of(result);
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if matches.get_untracked() {
            delete.dispatch_local(());
        }
    };
    view! {
        <form class="panel form danger-zone" id="delete-user-form" on:submit=submit>
            <h2>"Delete this user"</h2>
            <p class="hint">
                "The account is deleted in every organization it belongs to, with its sessions and "
                "links. This cannot be undone."
            </p>
            <label for="delete-user-email">
                "Type the user's address, " <span class="mono">{email.clone()}</span> ", to confirm"
            </label>
            <input
                id="delete-user-email"
                type="text"
                autocomplete="off"
                prop:value=move || typed.get()
                on:input=move |event| typed.set(event_target_value(&event))
            />
            <FieldError error=error field="id" />
            <div class="form-actions">
                <button
                    type="submit"
                    class="button danger-outline"
                    id="delete-user"
                    disabled=move || !matches.get() || delete.pending().get()
                >
                    {move || if delete.pending().get() { "Deleting…" } else { "Delete user" }}
                </button>
            </div>
            <Outcome error_id="delete-user-error" notice_id="user-deleted" result=result />
        </form>
    }
}

/// One of the user's memberships that the viewer manages: its organization and current roles.
#[derive(Clone, Debug, PartialEq)]
pub struct ManagedMembership {
    pub organization_id: String,
    pub organization_name: String,
    pub roles: Vec<crate::api::types::OrgRole>,
}

/// The user's memberships in the organizations the viewer manages: change the roles, or remove
/// the user from one; and add the user to another organization the viewer manages.
#[component]
pub fn MembershipManager(
    user_id: String,
    managed: Vec<ManagedMembership>,
    /// Organizations the viewer manages that the user is not in: (id, name).
    joinable: Vec<(String, String)>,
    reload: Callback<()>,
) -> impl IntoView {
    use crate::api::types::OrgRole;
    use crate::api::users::{add_member, remove_member, set_member_roles};
    use crate::components::role_choices::RoleChoices;

    let session = use_session();
    let chosen = RwSignal::new(managed.first().map(|membership| membership.organization_id.clone()));
    let roles = RwSignal::new(
        managed
            .first()
            .map(|membership| membership.roles.clone())
            .unwrap_or_default(),
    );
    let managed = StoredValue::new(managed);
    let pick = move |organization_id: String| {
        let current = managed.with_value(|all| {
            all.iter()
                .find(|membership| membership.organization_id == organization_id)
                .map(|membership| membership.roles.clone())
                .unwrap_or_default()
        });
        roles.set(current);
        chosen.set(Some(organization_id));
    };
    let confirming_removal = RwSignal::new(false);

    let user_for_roles = user_id.clone();
    let save_roles = Action::new_local(move |(organization_id, chosen_roles): &(String, Vec<OrgRole>)| {
        let (organization_id, chosen_roles, user_id) =
            (organization_id.clone(), chosen_roles.clone(), user_for_roles.clone());
        async move {
            set_member_roles(session, organization_id, user_id, chosen_roles).await?;
            reload.run(());
            Ok::<_, ApiError>("The roles have been changed.".to_owned())
        }
    });
    let user_for_removal = user_id.clone();
    let remove = Action::new_local(move |organization_id: &String| {
        let (organization_id, user_id) = (organization_id.clone(), user_for_removal.clone());
        async move {
            remove_member(session, organization_id, user_id).await?;
            reload.run(());
            Ok::<_, ApiError>("Removed from the organization; the account stays.".to_owned())
        }
    });
    let joining = RwSignal::new(joinable.first().map(|(id, _)| id.clone()));
    let join_roles = RwSignal::new(vec![OrgRole::Member]);
    let user_for_join = user_id.clone();
    let join = Action::new_local(move |(organization_id, chosen_roles): &(String, Vec<OrgRole>)| {
        let (organization_id, chosen_roles, user_id) =
            (organization_id.clone(), chosen_roles.clone(), user_for_join.clone());
        async move {
            add_member(session, organization_id, user_id, chosen_roles).await?;
            reload.run(());
            Ok::<_, ApiError>("Added to the organization.".to_owned())
        }
    });
    let roles_result = Signal::derive(move || save_roles.value().get().or_else(|| remove.value().get()));
    let join_result = Signal::derive(move || join.value().get());
    let has_managed = managed.with_value(|all| !all.is_empty());
    let has_joinable = !joinable.is_empty();

    view! {
        <div class="panel" id="membership-manager">
            <h2>"Roles and organizations"</h2>
            {has_managed.then(|| view! {
                <form class="form" id="member-roles-form" on:submit=move |event: SubmitEvent| {
                    event.prevent_default();
                    if let Some(organization_id) = chosen.get_untracked() {
                        save_roles.dispatch_local((organization_id, roles.get_untracked()));
                    }
                }>
                    <label for="member-roles-organization">"Organization"</label>
                    <select
                        id="member-roles-organization"
                        on:change=move |event| pick(event_target_value(&event))
                    >
                        {managed.with_value(|all| all.iter().map(|membership| {
                            view! { <option value=membership.organization_id.clone()>{membership.organization_name.clone()}</option> }
                        }).collect_view())}
                    </select>
                    <RoleChoices roles=roles id_prefix="member-role" />
                    <div class="form-actions">
                        <BusyButton id="save-member-roles" label="Save roles" running_label="Saving…" running=save_roles.pending() />
                        <button type="button" class="button danger-outline" id="remove-member"
                            on:click=move |_| confirming_removal.set(true)>
                            "Remove from this organization"
                        </button>
                    </div>
                    <Show when=move || confirming_removal.get()>
                        <div class="access-confirm" id="remove-member-confirm">
                            <p>"The user loses this organization's access and roles; the account stays."</p>
                            <button type="button" class="button danger-outline" id="confirm-remove-member"
                                on:click=move |_| {
                                    confirming_removal.set(false);
                                    if let Some(organization_id) = chosen.get_untracked() {
                                        remove.dispatch_local(organization_id);
                                    }
                                }>
                                "Remove"
                            </button>
                            <button type="button" class="button secondary" id="cancel-remove-member"
                                on:click=move |_| confirming_removal.set(false)>
                                "Cancel"
                            </button>
                        </div>
                    </Show>
                    <Outcome error_id="member-roles-error" notice_id="member-roles-saved" result=roles_result />
                </form>
            })}
            {has_joinable.then(|| view! {
                <form class="form" id="add-to-organization-form" on:submit=move |event: SubmitEvent| {
                    event.prevent_default();
                    if let Some(organization_id) = joining.get_untracked() {
                        join.dispatch_local((organization_id, join_roles.get_untracked()));
                    }
                }>
                    <h3 class="subheading">"Add to another organization"</h3>
                    <label for="add-to-organization">"Organization"</label>
                    <select id="add-to-organization" on:change=move |event| joining.set(Some(event_target_value(&event)))>
                        {joinable.iter().map(|(id, name)| view! { <option value=id.clone()>{name.clone()}</option> }).collect_view()}
                    </select>
                    <RoleChoices roles=join_roles id_prefix="add-role" />
                    <div class="form-actions">
                        <BusyButton id="add-to-organization-submit" label="Add" running_label="Adding…" running=join.pending() />
                    </div>
                    <Outcome error_id="add-member-error" notice_id="member-added" result=join_result />
                </form>
            })}
        </div>
    }
}

/// The metadata of each membership the viewer manages: each organization's own data about the
/// member, edited as JSON like the user's documents.
#[component]
pub fn MembershipMetadataEditors(user_id: String, managed: Vec<ManagedMembership>) -> impl IntoView {
    managed
        .into_iter()
        .map(|membership| view! { <MembershipMetadataEditor user_id=user_id.clone() membership=membership /> })
        .collect_view()
}

#[component]
fn MembershipMetadataEditor(user_id: String, membership: ManagedMembership) -> impl IntoView {
    let session = use_session();
    let organization_id = membership.organization_id.clone();
    let loaded = LocalResource::new({
        let (organization_id, user_id) = (organization_id.clone(), user_id.clone());
        move || crate::api::users::load_membership_metadata(session, organization_id.clone(), user_id.clone())
    });
    let name = membership.organization_name.clone();
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading membership metadata…"</p> }>
            {move || {
                let (organization_id, user_id, name) = (organization_id.clone(), user_id.clone(), name.clone());
                Suspend::new(async move {
                    match loaded.await {
                        Ok(Some(document)) => view! {
                            <MetadataEditor
                                target=MetadataTarget::Membership(organization_id.clone(), user_id)
                                document=document
                                form_id=format!("membership-metadata-form-{organization_id}")
                                input_id=format!("membership-metadata-{organization_id}")
                                title=format!("Membership metadata in {name}")
                                label="This organization's own data about the member, as a JSON object"
                            />
                        }
                        .into_any(),
                        Ok(None) => ().into_any(),
                        Err(error) => view! { <ErrorBox id="membership-metadata-load-error" error=Some(error) /> }.into_any(),
                    }
                })
            }}
        </Transition>
    }
}
