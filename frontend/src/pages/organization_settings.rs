//! `/orgs/:orgId/settings`: an organization's name, branding, password policy and sign-in rules,
//! for its ADMINs and superadmins, in one form that sends only what changed; its metadata; the email
//! domains it claims (set by superadmins); its metadata schemas, tried on the existing documents
//! before they are applied; and, for superadmins, deleting it behind a typed confirmation.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use steward_frontend::brand;
use steward_frontend::password_policy::strength_word;

use crate::api::organization_settings::{
    delete_organization, domain_list, load_org_domains, load_org_metadata, load_org_settings, set_org_domains,
    update_org_settings, LoadedOrgSettings, OrgSettingsValues,
};
use crate::api::{use_session, ApiError};
use crate::components::error_box::{ErrorBox, FieldError};
use crate::components::fields::{BusyButton, NumberField, TextField};
use crate::components::metadata_editor::{MetadataEditor, MetadataTarget};
use crate::components::outcome::{error_of, Outcome};
use crate::components::shell::use_viewer;
use crate::components::shell::{use_current_organization, OrganizationLabel};

#[component]
pub fn OrganizationSettingsPage() -> impl IntoView {
    let params = use_params_map();
    let organization_id = Memo::new(move |_| params.read().get("org_id").unwrap_or_default());
    move || view! { <OrganizationSettings organization_id=organization_id.get() /> }
}

#[component]
fn OrganizationSettings(organization_id: String) -> impl IntoView {
    let session = use_session();
    let current_organization = use_current_organization();
    let loaded = LocalResource::new({
        let organization_id = organization_id.clone();
        move || load_org_settings(session, organization_id.clone())
    });
    // The name as loaded, then as saved: the header and the switcher follow a rename.
    let name = RwSignal::new(None::<String>);
    let slug = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        loaded.with(|loaded| {
            if let Some(Ok(Some(settings))) = loaded {
                name.set(Some(settings.values.name.clone()));
                slug.set(Some(settings.slug.clone()));
            }
        })
    });
    Effect::new({
        let organization_id = organization_id.clone();
        move |_| {
            if let Some(name) = name.get() {
                current_organization.set(Some(OrganizationLabel {
                    id: organization_id.clone(),
                    name,
                }));
            }
        }
    });
    on_cleanup(move || {
        let _ = current_organization.try_set(None);
    });

    let members_href = format!("/orgs/{organization_id}");
    view! {
        <section class="page">
            <div class="page-header">
                <div>
                    <h1 id="org-settings-title">"Organization settings"</h1>
                    <p class="muted" id="org-settings-organization">
                        {move || name.get()}
                        {move || slug.get().map(|slug| view! { " · " <span class="mono">{slug}</span> })}
                    </p>
                </div>
                <A href=members_href attr:class="button secondary" attr:id="org-members-link">
                    "Members"
                </A>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading settings…"</p> }>
                {move || {
                    let organization_id = organization_id.clone();
                    Suspend::new(async move {
                        match loaded.await {
                            Ok(Some(settings)) => {
                                let slug = settings.slug.clone();
                                view! {
                                    <SettingsForm
                                        organization_id=organization_id.clone()
                                        loaded=settings
                                        on_saved=Callback::new(move |saved: String| name.set(Some(saved)))
                                    />
                                    <OrgMetadataForm organization_id=organization_id.clone() />
                                    <DomainsPanel organization_id=organization_id.clone() />
                                    <MetadataSchemasPanel organization_id=organization_id.clone() />
                                    <ImportPanel organization_id=organization_id.clone() />
                                    <DeleteOrganizationPanel organization_id=organization_id slug=slug />
                                }
                                    .into_any()
                            }
                            Ok(None) => {
                                view! {
                                    <p class="empty" id="organization-not-found">
                                        "This organization does not exist, or you cannot see it."
                                    </p>
                                }
                                    .into_any()
                            }
                            Err(error) => {
                                view! { <ErrorBox id="org-settings-load-error" error=Some(error) /> }.into_any()
                            }
                        }
                    })
                }}
            </Transition>
        </section>
    }
}

/// The form's inputs, kept as typed; numbers are read when the form is sent.
#[derive(Clone, Copy)]
struct Draft {
    name: RwSignal<String>,
    display_name: RwSignal<String>,
    logo_url: RwSignal<String>,
    primary_color: RwSignal<String>,
    min_length: RwSignal<String>,
    min_strength: RwSignal<i64>,
    history_size: RwSignal<String>,
    reject_personal_info: RwSignal<bool>,
    max_failed_attempts: RwSignal<String>,
    lockout_seconds: RwSignal<String>,
    require_verified_email: RwSignal<bool>,
    session_lifetime_seconds: RwSignal<String>,
}

impl Draft {
    fn new(values: &OrgSettingsValues) -> Self {
        let draft = Self {
            name: RwSignal::new(String::new()),
            display_name: RwSignal::new(String::new()),
            logo_url: RwSignal::new(String::new()),
            primary_color: RwSignal::new(String::new()),
            min_length: RwSignal::new(String::new()),
            min_strength: RwSignal::new(0),
            history_size: RwSignal::new(String::new()),
            reject_personal_info: RwSignal::new(false),
            max_failed_attempts: RwSignal::new(String::new()),
            lockout_seconds: RwSignal::new(String::new()),
            require_verified_email: RwSignal::new(false),
            session_lifetime_seconds: RwSignal::new(String::new()),
        };
        draft.show(values);
        draft
    }

    /// Puts `values` on screen, e.g. what the server stored (a colour comes back lower-cased).
    fn show(&self, values: &OrgSettingsValues) {
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        let _ = self.name.try_set(values.name.clone());
        let _ = self.display_name.try_set(text(&values.display_name));
        let _ = self.logo_url.try_set(text(&values.logo_url));
        let _ = self.primary_color.try_set(text(&values.primary_color));
        let _ = self.min_length.try_set(values.min_length.to_string());
        let _ = self.min_strength.try_set(values.min_strength);
        let _ = self.history_size.try_set(values.history_size.to_string());
        let _ = self.reject_personal_info.try_set(values.reject_personal_info);
        let _ = self.max_failed_attempts.try_set(values.max_failed_attempts.to_string());
        let _ = self.lockout_seconds.try_set(values.lockout_seconds.to_string());
        let _ = self.require_verified_email.try_set(values.require_verified_email);
        let _ = self
            .session_lifetime_seconds
            .try_set(values.session_lifetime_seconds.to_string());
    }

    /// The values to send; an input that is not a whole number is refused here, under its field.
    fn read(&self) -> Result<OrgSettingsValues, ApiError> {
        let optional = |value: RwSignal<String>| {
            let value = value.get_untracked().trim().to_owned();
            (!value.is_empty()).then_some(value)
        };
        let number = |value: RwSignal<String>, field: &str| {
            value
                .get_untracked()
                .trim()
                .parse::<i64>()
                .map_err(|_| ApiError::invalid_field(field, "must be a whole number"))
        };
        Ok(OrgSettingsValues {
            name: self.name.get_untracked().trim().to_owned(),
            display_name: optional(self.display_name),
            logo_url: optional(self.logo_url),
            primary_color: optional(self.primary_color),
            min_length: number(self.min_length, "settings.passwordPolicy.minLength")?,
            min_strength: self.min_strength.get_untracked(),
            history_size: number(self.history_size, "settings.passwordPolicy.historySize")?,
            reject_personal_info: self.reject_personal_info.get_untracked(),
            max_failed_attempts: number(self.max_failed_attempts, "settings.lockout.maxFailedAttempts")?,
            lockout_seconds: number(self.lockout_seconds, "settings.lockout.lockoutSeconds")?,
            require_verified_email: self.require_verified_email.get_untracked(),
            session_lifetime_seconds: number(self.session_lifetime_seconds, "settings.sessionLifetimeSeconds")?,
        })
    }
}

#[component]
fn SettingsForm(organization_id: String, loaded: LoadedOrgSettings, on_saved: Callback<String>) -> impl IntoView {
    let session = use_session();
    // What the server holds, as far as this page knows: the changes are measured against it.
    let stored = RwSignal::new(loaded.values.clone());
    let draft = Draft::new(&loaded.values);
    let unverified_members = loaded.unverified_members;

    let save = Action::new_local(move |edited: &Result<OrgSettingsValues, ApiError>| {
        let edited = edited.clone();
        let organization_id = organization_id.clone();
        async move {
            let edited = edited?;
            let before = stored.get_untracked();
            if before == edited {
                return Ok("Nothing has changed.".to_owned());
            }
            let saved = update_org_settings(session, organization_id, &before, &edited).await?;
            let _ = stored.try_set(saved.clone());
            draft.show(&saved);
            on_saved.run(saved.name);
            Ok::<_, ApiError>("Saved the organization's settings.".to_owned())
        }
    });
    let result = Signal::derive(move || save.value().get());
    let error = error_of(result);

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        save.dispatch_local(draft.read());
    };
    let turning_on_verified =
        move || draft.require_verified_email.get() && !stored.with(|stored| stored.require_verified_email);
    let unverified_text = match unverified_members {
        0 => "No member has an unverified address at the moment.".to_owned(),
        1 => "1 member has not verified their address yet.".to_owned(),
        count => format!("{count} members have not verified their address yet."),
    };

    view! {
        <form class="form settings-form" id="org-settings-form" on:submit=submit>
            <section class="panel settings-section" aria-labelledby="org-settings-branding-heading">
                <h2 id="org-settings-branding-heading">"Name and branding"</h2>
                <TextField id="org-name" label="Name" required=true value=draft.name error=error field="name" />
                <TextField
                    id="org-display-name"
                    label="Display name (optional)"
                    value=draft.display_name
                    error=error
                    field="branding.displayName"
                />
                <p class="hint">"Shown instead of the name in mail and on the sign-in pages."</p>
                <TextField
                    id="org-logo-url"
                    label="Logo URL (optional)"
                    kind="url"
                    value=draft.logo_url
                    error=error
                    field="branding.logoUrl"
                />
                <ColorField value=draft.primary_color error=error />
                <BrandPreview draft=draft />
            </section>
            <section class="panel settings-section" aria-labelledby="org-settings-policy-heading">
                <h2 id="org-settings-policy-heading">"Password policy"</h2>
                <NumberField
                    id="policy-min-length"
                    label="Minimum length"
                    value=draft.min_length
                    error=error
                    field="settings.passwordPolicy.minLength"
                    min=8
                    max=128
                    hint="8 to 128 characters."
                />
                <label for="policy-min-strength">"Minimum strength"</label>
                <select
                    id="policy-min-strength"
                    on:change=move |event| {
                        if let Ok(score) = event_target_value(&event).parse::<i64>() {
                            draft.min_strength.set(score);
                        }
                    }
                >
                    {(0..=4)
                        .map(|score: i64| {
                            view! {
                                <option
                                    value=score.to_string()
                                    selected=move || draft.min_strength.get() == score
                                >
                                    {format!("{score} — {}", strength_word(score))}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
                <p class="hint">"How hard to guess a new password must be; 0 asks for nothing."</p>
                <FieldError error=error field="settings.passwordPolicy.minStrength" />
                <NumberField
                    id="policy-history-size"
                    label="Password history"
                    value=draft.history_size
                    error=error
                    field="settings.passwordPolicy.historySize"
                    min=0
                    max=24
                    hint="How many earlier passwords may not be used again; 0 for none."
                />
                <label class="choice" for="policy-reject-personal">
                    <input type="checkbox" id="policy-reject-personal" bind:checked=draft.reject_personal_info />
                    "Refuse passwords containing the email address, names or the organization's name"
                </label>
                <FieldError error=error field="settings.passwordPolicy.rejectPersonalInfo" />
            </section>
            <section class="panel settings-section" aria-labelledby="org-settings-sign-in-heading">
                <h2 id="org-settings-sign-in-heading">"Sign-in"</h2>
                <NumberField
                    id="lockout-attempts"
                    label="Failed attempts before a lockout"
                    value=draft.max_failed_attempts
                    error=error
                    field="settings.lockout.maxFailedAttempts"
                    min=1
                    max=1000
                    hint="Counted per user and network address."
                />
                <NumberField
                    id="lockout-seconds"
                    label="Lockout duration (seconds)"
                    value=draft.lockout_seconds
                    error=error
                    field="settings.lockout.lockoutSeconds"
                    min=0
                    max=2_592_000
                    hint="0 locks the account until an admin clears the lockout or the user resets the password."
                />
                <NumberField
                    id="session-lifetime"
                    label="Session lifetime (seconds)"
                    value=draft.session_lifetime_seconds
                    error=error
                    field="settings.sessionLifetimeSeconds"
                    min=300
                    max=31_536_000
                    hint="How long a sign-in lasts before the person must sign in again."
                />
                <label class="choice" for="require-verified-email">
                    <input type="checkbox" id="require-verified-email" bind:checked=draft.require_verified_email />
                    "Require a verified email address to sign in"
                </label>
                <FieldError error=error field="settings.requireVerifiedEmail" />
                <Show when=turning_on_verified>
                    <div class="settings-warning" id="require-verified-warning" role="alert">
                        <p>
                            "Members whose address is not verified — admins included — will not be able "
                            "to sign in to this organization until they verify it."
                        </p>
                        <p id="unverified-member-count">{unverified_text.clone()}</p>
                    </div>
                </Show>
            </section>
            <div class="form-actions">
                <BusyButton
                    id="save-org-settings"
                    label="Save settings"
                    running_label="Saving…"
                    running=save.pending()
                />
            </div>
            <Outcome error_id="org-settings-error" notice_id="org-settings-saved" result=result />
        </form>
    }
}

/// `#rrggbb` typed in, with a swatch of it once it is one.
#[component]
fn ColorField(value: RwSignal<String>, #[prop(into)] error: Signal<Option<ApiError>>) -> impl IntoView {
    let color = move || value.with(|value| brand::hex_color(value));
    view! {
        <div class="color-field" id="org-primary-color-field">
            <label for="org-primary-color">"Primary colour (optional)"</label>
            <div class="color-input">
                <input
                    type="text"
                    id="org-primary-color"
                    class="mono"
                    placeholder="#rrggbb"
                    maxlength="7"
                    autocomplete="off"
                    spellcheck="false"
                    bind:value=value
                />
                <span
                    class="color-swatch"
                    class:unset=move || color().is_none()
                    id="org-primary-color-swatch"
                    aria-hidden="true"
                    style=move || color().map(|color| format!("background: {color};"))
                ></span>
            </div>
            <p class="hint">"As #rrggbb, e.g. #2453c7. Empty for the default."</p>
            <FieldError error=error field="branding.primaryColor" />
        </div>
    }
}

/// How mail and the public pages will show the brand, as typed so far.
#[component]
fn BrandPreview(draft: Draft) -> impl IntoView {
    let style = move || {
        draft
            .primary_color
            .with(|color| brand::primary_color_style(Some(color)))
    };
    let title = move || {
        let display_name = draft.display_name.get();
        draft.name.with(|name| brand::title(Some(&display_name), name))
    };
    let logo = move || {
        let url = draft.logo_url.get().trim().to_owned();
        (!url.is_empty()).then(|| view! { <img class="brand-logo" src=url alt="" /> })
    };
    view! {
        <div class="brand-preview" id="org-brand-preview" style=style>
            <p class="hint">"Mail and the public pages will show:"</p>
            <div class="brand-preview-line">
                {logo}
                <span class="brand-preview-name" id="org-brand-preview-name">
                    {title}
                </span>
                <span class="brand-preview-button" aria-hidden="true">
                    "Sign in"
                </span>
            </div>
        </div>
    }
}

/// The organization's metadata as JSON, checked before it is sent, and sent as a merge patch of
/// what changed.
#[component]
fn OrgMetadataForm(organization_id: String) -> impl IntoView {
    let session = use_session();
    let loaded = LocalResource::new({
        let organization_id = organization_id.clone();
        move || load_org_metadata(session, organization_id.clone())
    });
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading metadata…"</p> }>
            {move || {
                let organization_id = organization_id.clone();
                Suspend::new(async move {
                    match loaded.await {
                        Ok(Some(document)) => view! {
                            <MetadataEditor
                                target=MetadataTarget::Organization(organization_id)
                                document=document
                                form_id="org-metadata-form"
                                input_id="org-metadata"
                                title="Metadata"
                                label="The organization's metadata, as a JSON object (its ADMINs only)"
                            />
                        }
                        .into_any(),
                        Ok(None) => ().into_any(),
                        Err(error) => view! { <ErrorBox id="org-metadata-load-error" error=Some(error) /> }.into_any(),
                    }
                })
            }}
        </Transition>
    }
}

/// The email domains the organization claims: read by its ADMINs, set by superadmins.
#[component]
fn DomainsPanel(organization_id: String) -> impl IntoView {
    let session = use_session();
    let viewer = use_viewer();
    let is_superadmin =
        Memo::new(move |_| viewer.with(|loaded| matches!(loaded, Some(Ok(profile)) if profile.is_superadmin)));
    let loaded = LocalResource::new({
        let organization_id = organization_id.clone();
        move || load_org_domains(session, organization_id.clone())
    });
    let text = RwSignal::new(String::new());
    let claimed = RwSignal::new(None::<Vec<String>>);
    Effect::new(move |_| {
        loaded.with(|loaded| {
            if let Some(Ok(Some(domains))) = loaded {
                text.set(domains.join("\n"));
                claimed.set(Some(domains.clone()));
            }
        })
    });
    let save = Action::new_local(move |domains: &Vec<String>| {
        let (organization_id, domains) = (organization_id.clone(), domains.clone());
        async move {
            let stored = set_org_domains(session, organization_id, domains).await?;
            text.set(stored.join("\n"));
            let sentence = match stored.len() {
                0 => "The organization claims no domain now: its admins invite everyone.".to_owned(),
                _ => format!("The organization now claims {}.", stored.join(", ")),
            };
            claimed.set(Some(stored));
            Ok::<_, ApiError>(sentence)
        }
    });
    let result = Signal::derive(move || save.value().get());
    let error = error_of(result);
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        save.dispatch_local(domain_list(&text.get_untracked()));
    };
    let listed = move || match claimed.get() {
        None => "…".to_owned(),
        Some(domains) if domains.is_empty() => "none".to_owned(),
        Some(domains) => domains.join(", "),
    };
    view! {
        <form class="panel form" id="org-domains-form" on:submit=submit>
            <h2>"Email domains"</h2>
            <p class="hint">
                "The organization's admins and API clients create accounts, and change addresses, only in "
                "these domains; they invite everyone else. That way an admin never learns whether an "
                "address has an account in another organization."
            </p>
            <p id="org-domains-claimed">"Claimed: " <span class="mono">{listed}</span></p>
            <Show when=move || is_superadmin.get()>
                <label for="org-domains">"Domains, one per line (superadmins only)"</label>
                <textarea
                    id="org-domains"
                    rows="3"
                    autocomplete="off"
                    prop:value=move || text.get()
                    on:input=move |event| text.set(event_target_value(&event))
                ></textarea>
                <FieldError error=error field="domains" />
                <p class="hint">"Claim only domains the organization owns; each belongs to one organization."</p>
                <div class="form-actions">
                    <BusyButton
                        id="save-org-domains"
                        label="Save domains".to_owned()
                        running_label="Saving…"
                        running=save.pending()
                    />
                </div>
                <Outcome error_id="org-domains-error" notice_id="org-domains-saved" result=result />
            </Show>
        </form>
    }
}

/// For superadmins: deleting the organization, once its slug is typed. The users stay; their
/// memberships, its invitations and API clients go.
#[component]
fn DeleteOrganizationPanel(organization_id: String, slug: String) -> impl IntoView {
    let session = use_session();
    let viewer = use_viewer();
    let is_superadmin =
        Memo::new(move |_| viewer.with(|loaded| matches!(loaded, Some(Ok(profile)) if profile.is_superadmin)));
    let typed = RwSignal::new(String::new());
    let navigate = leptos_router::hooks::use_navigate();
    let expected = slug.clone();
    let matches = Memo::new(move |_| typed.get().trim() == expected);
    let delete = Action::new_local(move |_: &()| {
        let organization_id = organization_id.clone();
        let navigate = navigate.clone();
        async move {
            delete_organization(session, organization_id).await?;
            navigate("/orgs", Default::default());
            Ok::<_, ApiError>("The organization was deleted.".to_owned())
        }
    });
    let result = Signal::derive(move || delete.value().get());
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if matches.get_untracked() {
            delete.dispatch_local(());
        }
    };
    view! {
        <Show when=move || is_superadmin.get()>
            <form class="panel form danger-zone" id="delete-organization-form" on:submit=submit>
                <h2>"Delete this organization"</h2>
                <p class="hint">
                    "Its memberships, invitations and API clients are deleted; the users themselves stay, "
                    "with their other memberships. This cannot be undone."
                </p>
                <label for="delete-organization-slug">
                    "Type the organization's slug, " <span class="mono">{slug.clone()}</span> ", to confirm"
                </label>
                <input
                    id="delete-organization-slug"
                    type="text"
                    autocomplete="off"
                    prop:value=move || typed.get()
                    on:input=move |event| typed.set(event_target_value(&event))
                />
                <div class="form-actions">
                    <button
                        type="submit"
                        class="button danger-outline"
                        id="delete-organization"
                        disabled=move || !matches.get() || delete.pending().get()
                    >
                        {move || if delete.pending().get() { "Deleting…" } else { "Delete organization" }}
                    </button>
                </div>
                <Outcome error_id="delete-organization-error" notice_id="organization-deleted" result=result />
            </form>
        </Show>
    }
}

/// Imports a file of users (Auth0's NDJSON, or CSV) into the organization: uploaded, imported in
/// the background, its progress shown as it goes, and at the end what was done and every line
/// that was not applied.
#[component]
fn ImportPanel(organization_id: String) -> impl IntoView {
    use crate::api::imports::{self, ImportOutcome, ImportStatus, Job};
    let session = use_session();
    let file_input = NodeRef::<leptos::html::Input>::new();
    let upsert = RwSignal::new(false);
    let job = RwSignal::new(None::<Job>);
    let run = Action::new_local(move |_: &()| {
        let organization_id = organization_id.clone();
        let file = file_input
            .get_untracked()
            .and_then(|input| input.files())
            .and_then(|files| files.get(0));
        let upsert = upsert.get_untracked();
        async move {
            let file = file.ok_or_else(|| ApiError::invalid_field("file", "Choose a file first."))?;
            job.set(None);
            let id = imports::upload(session, organization_id, file, upsert).await?;
            // Read its progress until it ends.
            loop {
                let current = imports::load(session, id.clone()).await?;
                let running = current.as_ref().is_some_and(|job| job.status == ImportStatus::RUNNING);
                job.set(current);
                if !running {
                    break;
                }
                imports::pause(400).await;
            }
            let sentence = job.with_untracked(|job| match job {
                Some(job) if job.status == ImportStatus::SUCCEEDED => format!(
                    "Import finished: {} created, {} updated, {} skipped, {} rejected.",
                    job.created_count, job.updated_count, job.skipped_count, job.rejected_count
                ),
                Some(job) => format!(
                    "The import stopped: {}. What was written stays; upload the same file to go on.",
                    job.failure.clone().unwrap_or_default()
                ),
                None => "The import cannot be found.".to_owned(),
            });
            Ok::<_, ApiError>(sentence)
        }
    });
    let result = Signal::derive(move || run.value().get());
    let error = error_of(result);
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        run.dispatch_local(());
    };
    let progress = move || {
        job.with(|job| {
            job.as_ref().map(|job| {
                let total = job.file_bytes.max(1.0);
                let percent = (job.bytes_done / total * 100.0).round();
                let problems = (!job.problems.is_empty()).then(|| {
                    view! {
                        <table class="data-table" id="import-problems">
                            <caption>"Lines not applied"</caption>
                            <thead><tr><th scope="col">"Line"</th><th scope="col">"Outcome"</th><th scope="col">"Why"</th></tr></thead>
                            <tbody>
                                {job
                                    .problems
                                    .iter()
                                    .map(|problem| {
                                        let outcome = match problem.outcome {
                                            ImportOutcome::SKIPPED => "Skipped",
                                            _ => "Rejected",
                                        };
                                        view! {
                                            <tr>
                                                <td>{problem.line}</td>
                                                <td>{outcome}</td>
                                                <td>{problem.message.clone()}</td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    }
                });
                view! {
                    <div id="import-progress" aria-live="polite">
                        <label for="import-bar">{format!("{percent}% of the file, {} lines read", job.lines_done)}</label>
                        <progress id="import-bar" max=total value=job.bytes_done></progress>
                        <p id="import-counts">
                            {format!(
                                "{} created · {} updated · {} skipped · {} rejected",
                                job.created_count, job.updated_count, job.skipped_count, job.rejected_count
                            )}
                        </p>
                        {problems}
                    </div>
                }
            })
        })
    };
    view! {
        <form class="panel form" id="import-form" on:submit=submit>
            <h2>"Import users"</h2>
            <p class="hint">
                "A file in Auth0's user format: NDJSON (one user per line) or CSV with the same columns. "
                "It is imported in the background, a batch at a time; password hashes (argon2, bcrypt) carry over. "
                "Accounts other organizations share are never changed."
            </p>
            <label for="import-file">"File"</label>
            <input id="import-file" type="file" accept=".ndjson,.json,.jsonl,.csv" node_ref=file_input />
            <FieldError error=error field="file" />
            <label class="checkbox">
                <input
                    type="checkbox"
                    id="import-upsert"
                    prop:checked=move || upsert.get()
                    on:change=move |event| upsert.set(event_target_checked(&event))
                />
                "Update users who already have an account (otherwise they are skipped)"
            </label>
            <div class="form-actions">
                <BusyButton
                    id="start-import"
                    label="Import".to_owned()
                    running_label="Importing…"
                    running=run.pending()
                />
            </div>
            {progress}
            <Outcome error_id="import-error" notice_id="import-notice" result=result />
        </form>
    }
}

/// The organization's metadata schemas: one kind of document at a time, edited as JSON, tried on
/// the existing documents (how many would fail, and where) and then applied, or removed.
#[component]
fn MetadataSchemasPanel(organization_id: String) -> impl IntoView {
    use crate::api::metadata_schemas::{load_schema, set_schema, Kind, SchemaReport};
    let session = use_session();
    let kind = RwSignal::new(Kind::UserMetadata);
    let text = RwSignal::new(String::new());
    let loaded = LocalResource::new({
        let organization_id = organization_id.clone();
        move || load_schema(session, organization_id.clone(), kind.get())
    });
    // The text last tried, with its report: applying needs a dry run of exactly this text.
    let tried = RwSignal::new(None::<(String, SchemaReport)>);
    Effect::new(move |_| {
        loaded.with(|loaded| {
            if let Some(Ok(schema)) = loaded {
                text.set(
                    schema
                        .as_ref()
                        .map(|schema| serde_json::to_string_pretty(schema).unwrap_or_default())
                        .unwrap_or_default(),
                );
                tried.set(None);
            }
        })
    });
    let parse = move |text: &str| -> Result<Option<serde_json::Value>, ApiError> {
        if text.trim().is_empty() {
            return Ok(None);
        }
        serde_json::from_str(text)
            .map(Some)
            .map_err(|error| ApiError::invalid_field("schema", format!("not valid JSON: {error}")))
    };
    let run = Action::new_local(move |confirm: &bool| {
        let (organization_id, confirm, source, kind) = (
            organization_id.clone(),
            *confirm,
            text.get_untracked(),
            kind.get_untracked(),
        );
        async move {
            let schema = parse(&source)?;
            let removing = schema.is_none();
            let report = set_schema(session, organization_id, kind, schema, confirm).await?;
            let sentence = if report.applied && removing {
                format!("{} has no schema now.", kind.label())
            } else if report.applied {
                format!("The schema for {} is applied.", kind.label().to_lowercase())
            } else if removing {
                format!("Apply to remove the schema for {}.", kind.label().to_lowercase())
            } else if report.failing_count == 0 {
                format!(
                    "All {} documents satisfy this schema. Apply it when ready.",
                    report.checked
                )
            } else {
                format!(
                    "{} of {} documents would fail this schema. They are kept as they are, but each later change to one must make it pass.",
                    report.failing_count, report.checked
                )
            };
            tried.set((!report.applied).then(|| (source, report)));
            Ok::<_, ApiError>(sentence)
        }
    });
    let result = Signal::derive(move || run.value().get());
    let error = error_of(result);
    let checked_current = move || tried.with(|tried| tried.as_ref().is_some_and(|(source, _)| *source == text.get()));
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        run.dispatch_local(false);
    };
    let failures = move || {
        tried.with(|tried| {
            tried.as_ref().filter(|(_, report)| !report.failing.is_empty()).map(|(_, report)| {
                let more = report.has_more.then(|| view! { <li class="muted">"… and more"</li> });
                view! {
                    <ul class="error-details" id="metadata-schema-failing">
                        {report
                            .failing
                            .iter()
                            .map(|failing| {
                                let why = failing
                                    .violations
                                    .iter()
                                    .map(|(path, message)| format!("{}: {message}", if path.is_empty() { "/" } else { path }))
                                    .collect::<Vec<_>>()
                                    .join("; ");
                                view! { <li><strong>{failing.email.clone()}</strong> " — " {why}</li> }
                            })
                            .collect_view()}
                        {more}
                    </ul>
                }
            })
        })
    };
    view! {
        <form class="panel form" id="metadata-schemas-form" on:submit=submit>
            <h2>"Metadata schemas"</h2>
            <p class="hint">
                "A JSON Schema (draft 2020-12) each kind of document must satisfy. A property may say who "
                "reads and writes it: \"x-steward-read\" and \"x-steward-write\" list SELF, MEMBER, AUDITOR, "
                "USER_MANAGER, ADMIN (a role admits the roles above it) or scope:<an API client scope>. "
                "Where a schema exists, the user page edits the document through a form."
            </p>
            <label for="metadata-schema-kind">"Document"</label>
            <select
                id="metadata-schema-kind"
                prop:value=move || kind.get().wire()
                on:change=move |event| kind.set(Kind::from_wire(&event_target_value(&event)))
            >
                {Kind::ALL.map(|kind| view! { <option value=kind.wire()>{kind.label()}</option> }).collect_view()}
            </select>
            <p id="metadata-schema-state" aria-live="polite">
                {move || loaded.with(|loaded| match loaded {
                    None => "Loading…",
                    Some(Ok(Some(_))) => "A schema is in force for these documents.",
                    Some(Ok(None)) => "No schema yet: these documents may hold anything.",
                    Some(Err(_)) => "The schema could not be loaded.",
                })}
            </p>
            <label for="metadata-schema">"Schema, as JSON (empty for none)"</label>
            <textarea
                id="metadata-schema"
                class="json-editor"
                rows="12"
                spellcheck="false"
                prop:value=move || text.get()
                on:input=move |event| text.set(event_target_value(&event))
            ></textarea>
            <FieldError error=error field="schema" />
            <div class="form-actions">
                <BusyButton
                    id="check-metadata-schema"
                    label="Try on existing documents".to_owned()
                    running_label="Trying…"
                    running=run.pending()
                />
                <button
                    type="button"
                    class="button"
                    id="apply-metadata-schema"
                    disabled=move || run.pending().get() || !checked_current()
                    title="Try the schema first"
                    on:click=move |_| {
                        run.dispatch_local(true);
                    }
                >
                    "Apply schema"
                </button>
            </div>
            <Outcome error_id="metadata-schema-error" notice_id="metadata-schema-outcome" result=result />
            {failures}
        </form>
    }
}
