//! `/me`: "My profile", for every signed-in person: their address (verify it, change it), their
//! profile fields, their own metadata, and their password.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use steward_frontend::merge_patch;
use steward_frontend::password_policy::PasswordPolicy;

use crate::api::access::load_sessions;
use crate::api::links::public_organization;
use crate::api::profile::{
    change_my_email, load_my_account, resend_my_verification_email, update_my_profile, update_my_user_metadata,
    MyAccount, OwnUser, ProfileFields,
};
use crate::api::{auth, use_session, ApiError};
use crate::components::access::{AccessController, SessionSection};
use crate::components::error_box::{ErrorBox, FieldError};
use crate::components::fields::{BusyButton, TextField};
use crate::components::outcome::{error_of, Outcome};
use crate::components::password_fields::{check_confirmation, NewPasswordFields};
use crate::format;

#[component]
pub fn ProfilePage() -> impl IntoView {
    let session = use_session();
    let account = LocalResource::new(move || load_my_account(session));
    view! {
        <section class="page">
            <div class="page-header">
                <h1>"My profile"</h1>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading your profile…"</p> }>
                {move || Suspend::new(async move {
                    match account.await {
                        Ok(account) => view! { <ProfileSections account=account /> }.into_any(),
                        Err(error) => view! { <ErrorBox id="profile-error" error=Some(error) /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn ProfileSections(account: MyAccount) -> impl IntoView {
    let user = account.user;
    let mut personal = vec![user.email.clone()];
    personal.extend(
        [&user.name, &user.given_name, &user.family_name, &user.nickname]
            .into_iter()
            .flatten()
            .cloned(),
    );
    view! {
        <div class="columns">
            <EmailPanel user=user.clone() />
            <PasswordPanel organization_slug=account.organization_slug personal=personal />
        </div>
        <div class="columns">
            <ProfileForm fields=ProfileFields::from(&user) />
            <MetadataForm document=user.user_metadata />
        </div>
        <MySessions user_id=user.id />
    }
}

/// Where the person is signed in: each session with its device and address, ended one by one
/// (or all at once).
#[component]
fn MySessions(user_id: String) -> impl IntoView {
    let session = use_session();
    let sessions = LocalResource::new({
        let user_id = user_id.clone();
        move || load_sessions(session, user_id.clone())
    });
    let reload = Callback::new(move |()| sessions.refetch());
    let controller = AccessController::new(session, user_id, reload);
    view! {
        <div class="panel" id="my-sessions">
            <Transition fallback=|| view! { <p class="muted">"Loading your sessions…"</p> }>
                {move || Suspend::new(async move {
                    let sessions = sessions.await;
                    view! { <SessionSection controller=controller sessions=sessions /> }
                })}
            </Transition>
        </div>
    }
}

#[component]
fn EmailPanel(user: OwnUser) -> impl IntoView {
    let session = use_session();
    let pending = RwSignal::new(user.pending_email.clone());
    let new_email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let email = user.email.clone();

    let resend = Action::new_local(move |_: &()| {
        let email = email.clone();
        async move {
            resend_my_verification_email(session).await?;
            Ok::<_, ApiError>(format!(
                "We sent a new link to {email}. Follow it to verify the address."
            ))
        }
    });
    let change = Action::new_local(move |(address, current): &(String, String)| {
        let (address, current) = (address.clone(), current.clone());
        async move {
            change_my_email(session, address.clone(), current).await?;
            let _ = pending.try_set(Some(address.clone()));
            let _ = new_email.try_set(String::new());
            let _ = password.try_set(String::new());
            Ok::<_, ApiError>(format!(
                "We sent a link to {address}. Your address changes when you follow it."
            ))
        }
    });
    let change_result = Signal::derive(move || change.value().get());
    let change_error = error_of(change_result);

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        change.dispatch_local((new_email.get_untracked().trim().to_owned(), password.get_untracked()));
    };

    let verification = (!user.email_verified).then(|| {
        view! {
            <div class="verification-reminder" id="email-unverified">
                <p>"Your address is not verified."</p>
                <BusyButton
                    id="resend-verification"
                    label="Send a new verification link"
                    running_label="Sending…"
                    running=resend.pending()
                    class="button secondary"
                    on_click=Callback::new(move |()| {
                        resend.dispatch_local(());
                    })
                />
                <Outcome
                    error_id="verification-error"
                    notice_id="verification-sent"
                    result=Signal::derive(move || resend.value().get())
                />
            </div>
        }
    });

    view! {
        <div class="panel" id="email-panel">
            <h2>"Email address"</h2>
            <p class="current-email">
                <strong id="me-email">{user.email.clone()}</strong>
                {if user.email_verified {
                    view! { <span class="pill positive">"Verified"</span> }.into_any()
                } else {
                    view! { <span class="pill warning">"Not verified"</span> }.into_any()
                }}
            </p>
            {verification}
            {move || {
                pending
                    .get()
                    .map(|address| {
                        view! {
                            <p class="hint" id="pending-email">
                                "Waiting for you to confirm " <strong>{address}</strong>
                                ": until you follow the link we sent there, your address stays as it is."
                            </p>
                        }
                    })
            }}
            <form class="form" id="change-email-form" on:submit=submit>
                <h3 class="subheading">"Change your address"</h3>
                <TextField
                    id="me-new-email"
                    label="New email address"
                    kind="email"
                    autocomplete="email"
                    required=true
                    value=new_email
                    error=change_error
                    field="newEmail"
                />
                <TextField
                    id="me-email-password"
                    label="Your password"
                    kind="password"
                    autocomplete="current-password"
                    required=true
                    value=password
                    error=change_error
                    field="password"
                />
                <div class="form-actions">
                    <BusyButton
                        id="change-email"
                        label="Change address"
                        running_label="Sending link…"
                        running=change.pending()
                    />
                </div>
                <Outcome error_id="change-email-error" notice_id="email-change-sent" result=change_result />
            </form>
        </div>
    }
}

/// One input per profile field: (element id, label, server field name, input type, autocomplete).
const PROFILE_INPUTS: [(&str, &str, &str, &str, &str); 7] = [
    ("me-name", "Name", "name", "text", "name"),
    ("me-given-name", "Given name", "givenName", "text", "given-name"),
    ("me-family-name", "Family name", "familyName", "text", "family-name"),
    ("me-nickname", "Nickname", "nickname", "text", "nickname"),
    ("me-picture", "Picture (URL)", "picture", "url", "photo"),
    ("me-phone", "Phone number", "phoneNumber", "tel", "tel"),
    ("me-locale", "Locale (e.g. en-GB)", "locale", "text", "language"),
];

/// The profile fields as text inputs, in the order of [`PROFILE_INPUTS`].
#[derive(Clone, Copy)]
struct ProfileInputs([RwSignal<String>; 7]);

impl ProfileInputs {
    fn new() -> Self {
        Self(std::array::from_fn(|_| RwSignal::new(String::new())))
    }

    fn show(&self, fields: &ProfileFields) {
        let values = [
            &fields.name,
            &fields.given_name,
            &fields.family_name,
            &fields.nickname,
            &fields.picture,
            &fields.phone_number,
            &fields.locale,
        ];
        for (input, value) in self.0.iter().zip(values) {
            input.set(value.clone().unwrap_or_default());
        }
    }

    /// What the inputs say; an empty input clears its field.
    fn read(&self) -> ProfileFields {
        let [name, given_name, family_name, nickname, picture, phone_number, locale] = self.0.map(|input| {
            let value = input.get_untracked().trim().to_owned();
            (!value.is_empty()).then_some(value)
        });
        ProfileFields {
            name,
            given_name,
            family_name,
            nickname,
            picture,
            phone_number,
            locale,
        }
    }
}

#[component]
fn ProfileForm(fields: ProfileFields) -> impl IntoView {
    let session = use_session();
    let inputs = ProfileInputs::new();
    inputs.show(&fields);

    let save = Action::new_local(move |fields: &ProfileFields| {
        let fields = fields.clone();
        async move {
            let saved = update_my_profile(session, fields).await?;
            // Shows the values as stored (trimmed, normalized).
            inputs.show(&saved);
            Ok::<_, ApiError>("Your profile has been saved.".to_owned())
        }
    });
    let result = Signal::derive(move || save.value().get());
    let error = error_of(result);

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        save.dispatch_local(inputs.read());
    };

    view! {
        <form class="panel form" id="profile-form" on:submit=submit>
            <h2>"Profile"</h2>
            <p class="hint">"An empty field is cleared."</p>
            {PROFILE_INPUTS
                .into_iter()
                .zip(inputs.0)
                .map(|((id, label, field, kind, autocomplete), value)| {
                    view! {
                        <TextField
                            id=id
                            label=label
                            kind=kind
                            autocomplete=autocomplete
                            value=value
                            error=error
                            field=field
                        />
                    }
                })
                .collect_view()}
            <div class="form-actions">
                <BusyButton id="save-profile" label="Save profile" running_label="Saving…" running=save.pending() />
            </div>
            <Outcome error_id="save-profile-error" notice_id="profile-saved" result=result />
        </form>
    }
}

/// The person's own `userMetadata`, edited as JSON and sent as a merge patch against the document
/// as loaded, so keys that someone else changed meanwhile are left alone.
#[component]
fn MetadataForm(document: serde_json::Value) -> impl IntoView {
    let session = use_session();
    let text = RwSignal::new(format::pretty_json(&document));
    // The document as the server last sent it: what the patch is computed against.
    let baseline = StoredValue::new(document);

    let save = Action::new_local(move |edited: &String| {
        let patch = merge_patch::parse_object(edited)
            .map_err(|message| ApiError::invalid_field("userMetadata", message))
            .map(|edited| baseline.with_value(|loaded| merge_patch::diff(loaded, &edited)));
        async move {
            let patch = patch?;
            if merge_patch::is_empty(&patch) {
                return Ok::<_, ApiError>("Nothing to save: the metadata is unchanged.".to_owned());
            }
            let saved = update_my_user_metadata(session, patch).await?;
            let _ = text.try_set(format::pretty_json(&saved));
            let _ = baseline.try_set_value(saved);
            Ok("Your metadata has been saved.".to_owned())
        }
    });
    let result = Signal::derive(move || save.value().get());
    let error = error_of(result);

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        save.dispatch_local(text.get_untracked());
    };

    view! {
        <form class="panel form" id="metadata-form" on:submit=submit>
            <h2>"User metadata"</h2>
            <label for="me-user-metadata">"Your metadata, as a JSON object"</label>
            <textarea
                id="me-user-metadata"
                class="json-editor"
                rows="14"
                spellcheck="false"
                aria-describedby="me-user-metadata-hint"
                prop:value=move || text.get()
                on:input=move |event| text.set(event_target_value(&event))
            ></textarea>
            <FieldError error=error field="userMetadata" />
            <p class="hint" id="me-user-metadata-hint">
                "Only what you change is sent: a key you remove is deleted, a key you add or change is set."
            </p>
            <div class="form-actions">
                <BusyButton id="save-metadata" label="Save metadata" running_label="Saving…" running=save.pending() />
            </div>
            <Outcome error_id="metadata-error" notice_id="metadata-saved" result=result />
        </form>
    }
}

#[component]
fn PasswordPanel(organization_slug: Option<String>, personal: Vec<String>) -> impl IntoView {
    let session = use_session();
    let current = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let confirmation = RwSignal::new(String::new());

    // The first organization's policy; without one (or if it cannot be read), the minimum length.
    let organization_policy = LocalResource::new(move || {
        let slug = organization_slug.clone();
        async move {
            match slug {
                Some(slug) => public_organization(slug)
                    .await
                    .ok()
                    .flatten()
                    .map(|organization| organization.password_policy),
                None => None,
            }
        }
    });
    let policy = Signal::derive(move || {
        Some(
            organization_policy
                .get()
                .flatten()
                .unwrap_or_else(PasswordPolicy::minimal),
        )
    });

    let change = Action::new_local(move |(old, new, repeated): &(String, String, String)| {
        let (old, new, repeated) = (old.clone(), new.clone(), repeated.clone());
        async move {
            check_confirmation(&new, &repeated)?;
            auth::change_my_password(session, old, new).await?;
            for input in [current, password, confirmation] {
                let _ = input.try_set(String::new());
            }
            Ok::<_, ApiError>("Your password has been changed. Your other sessions have ended.".to_owned())
        }
    });
    let result = Signal::derive(move || change.value().get());
    let error = error_of(result);

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        change.dispatch_local((
            current.get_untracked(),
            password.get_untracked(),
            confirmation.get_untracked(),
        ));
    };

    view! {
        <form class="panel form" id="me-password-form" on:submit=submit>
            <h2>"Password"</h2>
            <TextField
                id="me-current-password"
                label="Current password"
                kind="password"
                autocomplete="current-password"
                required=true
                value=current
                error=error
                field="currentPassword"
            />
            <NewPasswordFields
                password=password
                confirmation=confirmation
                error=error
                id="me-new-password"
                field="newPassword"
                policy=policy
                personal=personal
            />
            <div class="form-actions">
                <BusyButton
                    id="change-password"
                    label="Change password"
                    running_label="Changing…"
                    running=change.pending()
                />
            </div>
            <Outcome error_id="me-password-error" notice_id="password-changed" result=result />
        </form>
    }
}
