//! The superadmin's "New organization" form; on success it opens the new organization.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;

use crate::api::organization_settings::domain_list;
use crate::api::organizations::create_organization;
use crate::api::{use_session, ApiError};
use crate::components::error_box::{ErrorBox, FieldError};

#[component]
pub fn NewOrganizationForm(on_cancel: Callback<()>) -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let slug = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let domains = RwSignal::new(String::new());

    let create = Action::new_local(move |(slug, name, domains): &(String, String, Vec<String>)| {
        let (slug, name, domains) = (slug.clone(), name.clone(), domains.clone());
        let navigate = navigate.clone();
        async move {
            let created = create_organization(session, slug, name, domains).await?;
            navigate(&format!("/orgs/{}", created.id), NavigateOptions::default());
            Ok::<(), ApiError>(())
        }
    });
    let error = Signal::derive(move || create.value().get().and_then(Result::err));

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        create.dispatch_local((
            slug.get_untracked().trim().to_owned(),
            name.get_untracked().trim().to_owned(),
            domain_list(&domains.get_untracked()),
        ));
    };

    view! {
        <form class="panel form" id="new-organization-form" on:submit=submit>
            <h2>"New organization"</h2>
            <ErrorBox id="create-organization-error" error=error />
            <label for="new-org-name">"Name"</label>
            <input type="text" id="new-org-name" required autocomplete="off" bind:value=name />
            <FieldError error=error field="name" />
            <label for="new-org-slug">"Slug"</label>
            <input
                type="text"
                id="new-org-slug"
                required
                autocomplete="off"
                pattern="[a-z0-9\\-]{3,63}"
                bind:value=slug
            />
            <FieldError error=error field="slug" />
            <p class="hint">
                "3 to 63 characters: lower-case letters, digits and dashes. "
                "People use it to sign in to this organization; it cannot be changed later."
            </p>
            <label for="new-org-domains">"Email domains (optional)"</label>
            <input
                type="text"
                id="new-org-domains"
                autocomplete="off"
                placeholder="example.com, example.de"
                bind:value=domains
            />
            <FieldError error=error field="domains" />
            <p class="hint">
                "Its admins create accounts only for addresses in these domains and invite everyone else, "
                "so they never learn who has an account in another organization. Claim only domains the "
                "organization owns; each belongs to one organization."
            </p>
            <div class="form-actions">
                <button
                    type="submit"
                    class="button primary"
                    id="create-organization"
                    disabled=move || create.pending().get()
                >
                    {move || if create.pending().get() { "Creating…" } else { "Create organization" }}
                </button>
                <button type="button" class="button secondary" on:click=move |_| on_cancel.run(())>
                    "Cancel"
                </button>
            </div>
        </form>
    }
}
