//! A metadata document edited as JSON: checked as it is typed, its size shown against the
//! server's 16 KiB, and only the change sent, as a merge patch (RFC 7396) that is previewed before
//! it goes. Organization metadata, and a user's `userMetadata` and `appMetadata`. Where metadata
//! schemas describe the document, a form generated from them edits it too.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use steward_frontend::merge_patch;

use crate::api::organization_settings::update_org_metadata;
use crate::api::users::update_user_metadata;
use crate::api::{use_session, ApiError};
use crate::components::error_box::FieldError;
use crate::components::outcome::{error_of, Outcome};
use crate::components::schema_form::SchemaForm;
use steward_frontend::schema_form;

/// The largest metadata document the server keeps, in bytes.
const METADATA_LIMIT: usize = 16 * 1024;

/// Which document is edited.
#[derive(Clone, Debug, PartialEq)]
pub enum MetadataTarget {
    Organization(String),
    /// A user's `userMetadata`.
    UserMetadata(String),
    /// A user's `appMetadata` (administrators only).
    AppMetadata(String),
    /// The metadata of one membership: the organization's id, then the user's.
    Membership(String, String),
}

impl MetadataTarget {
    /// Loads what a form for the document needs; `None` for a document no schema describes.
    async fn form(
        &self,
        session: crate::api::client::Session,
    ) -> Result<Option<crate::api::metadata_schemas::FormSchemas>, ApiError> {
        use crate::api::metadata_schemas::{load_form, Kind};
        let (user_id, kind, organization_id) = match self {
            MetadataTarget::Organization(_) => return Ok(None),
            MetadataTarget::UserMetadata(id) => (id.clone(), Kind::UserMetadata, None),
            MetadataTarget::AppMetadata(id) => (id.clone(), Kind::AppMetadata, None),
            MetadataTarget::Membership(org_id, user_id) => {
                (user_id.clone(), Kind::MembershipMetadata, Some(org_id.clone()))
            }
        };
        Ok(Some(load_form(session, user_id, kind, organization_id).await?))
    }

    /// The field the server names in its errors.
    fn field(&self) -> &'static str {
        match self {
            MetadataTarget::Organization(_) => "metadata",
            MetadataTarget::UserMetadata(_) => "userMetadata",
            MetadataTarget::AppMetadata(_) => "appMetadata",
            MetadataTarget::Membership(..) => "metadata",
        }
    }
}

/// Sends `patch` to the document and answers the document as stored.
async fn save(
    session: crate::api::client::Session,
    target: MetadataTarget,
    patch: serde_json::Value,
) -> Result<serde_json::Value, ApiError> {
    match target {
        MetadataTarget::Organization(id) => update_org_metadata(session, id, patch).await,
        MetadataTarget::UserMetadata(id) => Ok(update_user_metadata(session, id, Some(patch), None).await?.0),
        MetadataTarget::AppMetadata(id) => Ok(update_user_metadata(session, id, None, Some(patch))
            .await?
            .1
            .unwrap_or_else(|| serde_json::json!({}))),
        MetadataTarget::Membership(org_id, user_id) => {
            crate::api::users::update_membership_metadata(session, org_id, user_id, patch).await
        }
    }
}

#[component]
pub fn MetadataEditor(
    target: MetadataTarget,
    document: serde_json::Value,
    #[prop(into)] form_id: String,
    #[prop(into)] input_id: String,
    #[prop(into)] title: String,
    #[prop(into)] label: String,
) -> impl IntoView {
    let session = use_session();
    let text = RwSignal::new(serde_json::to_string_pretty(&document).unwrap_or_default());
    // What the server holds: the preview follows it, so it says "No change" once saved.
    let baseline = RwSignal::new(document);
    let parsed = Memo::new(move |_| merge_patch::parse_object(&text.get()));
    let preview = move || match parsed.get() {
        Err(message) => format!("Not valid yet: {message}"),
        Ok(edited) => {
            let size = edited.to_string().len();
            let patch = baseline.with(|loaded| merge_patch::diff(loaded, &edited));
            let change = if merge_patch::is_empty(&patch) {
                "No change.".to_owned()
            } else {
                format!("Will send: {patch}")
            };
            format!("{size} of {METADATA_LIMIT} bytes. {change}")
        }
    };
    let field = target.field();
    let form = LocalResource::new({
        let target = target.clone();
        move || {
            let target = target.clone();
            async move { target.form(session).await }
        }
    });
    let saving = Action::new_local(move |edited: &String| {
        let patch = merge_patch::parse_object(edited)
            .map_err(|message| ApiError::invalid_field(field, message))
            .map(|edited| baseline.with_untracked(|loaded| merge_patch::diff(loaded, &edited)));
        let target = target.clone();
        async move {
            let patch = patch?;
            if merge_patch::is_empty(&patch) {
                return Ok::<_, ApiError>("Nothing to save: the metadata is unchanged.".to_owned());
            }
            let saved = save(session, target, patch).await?;
            let _ = text.try_set(serde_json::to_string_pretty(&saved).unwrap_or_default());
            let _ = baseline.try_set(saved);
            Ok("The metadata has been saved.".to_owned())
        }
    });
    let result = Signal::derive(move || saving.value().get());
    let error = error_of(result);
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        saving.dispatch_local(text.get_untracked());
    };
    let form_prefix = format!("{input_id}-field");
    let preview_id = format!("{input_id}-preview");
    let save_id = format!("save-{input_id}");
    let error_id = format!("{input_id}-error");
    let saved_id = format!("{input_id}-saved");
    view! {
        <form class="panel form metadata-form" id=form_id on:submit=submit>
            <h2>{title}</h2>
            {move || {
                let fields = form.with(|loaded| match loaded {
                    Some(Ok(Some(schemas))) => schema_form::fields(&schemas.schemas, &schemas.read_only),
                    _ => Vec::new(),
                });
                (!fields.is_empty())
                    .then(|| {
                        view! {
                            <SchemaForm
                                fields=fields
                                text=text
                                error=error
                                name=field
                                id_prefix=form_prefix.clone()
                            />
                        }
                    })
            }}
            <label for=input_id.clone()>{label}</label>
            <textarea
                id=input_id
                class="json-editor"
                rows="10"
                spellcheck="false"
                aria-describedby=preview_id.clone()
                prop:value=move || text.get()
                on:input=move |event| text.set(event_target_value(&event))
            ></textarea>
            <FieldError error=error field=field />
            <p class="hint mono metadata-preview" id=preview_id aria-live="polite">{preview}</p>
            <div class="form-actions">
                <button type="submit" class="button primary" id=save_id disabled=move || saving.pending().get()>
                    {move || if saving.pending().get() { "Saving…" } else { "Save metadata" }}
                </button>
            </div>
            <Outcome error_id=error_id notice_id=saved_id result=result />
        </form>
    }
}
