//! Jumping between organizations from the header. A superadmin may reach every organization, so
//! theirs is a search against the server; everyone else picks among their own memberships.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::organizations::list_organizations;
use crate::api::viewer::ViewerProfile;
use crate::api::{use_session, ApiError};
use crate::components::search_box::SearchBox;
use crate::components::shell::{use_current_organization, use_viewer};

/// How many organizations the switcher lists at once; the full list is on `/orgs`.
const SWITCHER_LIMIT: i64 = 20;

#[derive(Clone, Debug, PartialEq)]
struct Choice {
    id: String,
    name: String,
    slug: String,
}

#[component]
pub fn OrganizationSwitcher() -> impl IntoView {
    let session = use_session();
    let viewer = use_viewer();
    let current = use_current_organization();
    let open = RwSignal::new(false);
    let search = RwSignal::new(String::new());
    let is_superadmin =
        Memo::new(move |_| viewer.with(|loaded| matches!(loaded, Some(Ok(profile)) if profile.is_superadmin)));

    // Asks the server only while a superadmin has the panel open.
    let server_choices = LocalResource::new(move || {
        let wanted = open.get() && is_superadmin.get();
        let text = search.get();
        async move {
            if !wanted {
                return Ok(Vec::new());
            }
            let search = (!text.is_empty()).then_some(text);
            let page = list_organizations(session, SWITCHER_LIMIT, None, search).await?;
            Ok(page
                .edges
                .into_iter()
                .map(|edge| Choice {
                    id: edge.node.id,
                    name: edge.node.name,
                    slug: edge.node.slug,
                })
                .collect::<Vec<_>>())
        }
    });

    let choices = move || -> Option<Result<Vec<Choice>, ApiError>> {
        if is_superadmin.get() {
            server_choices.get()
        } else {
            let text = search.get().to_lowercase();
            viewer
                .get()
                .map(|loaded| loaded.map(|profile| own_choices(&profile, &text)))
        }
    };

    let label = move || {
        current
            .get()
            .map(|organization| organization.name)
            .unwrap_or_else(|| "Choose an organization".to_owned())
    };

    view! {
        <div
            class="switcher"
            on:keydown=move |event| {
                if event.key() == "Escape" {
                    open.set(false);
                }
            }
        >
            <button
                type="button"
                class="switcher-toggle"
                id="org-switcher"
                aria-haspopup="listbox"
                aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|open| *open = !*open)
            >
                <span class="switcher-label">{label}</span>
                <span class="switcher-caret" aria-hidden="true">
                    "▾"
                </span>
            </button>
            <Show when=move || open.get()>
                // Catches a click anywhere outside the panel, which closes it.
                <div class="switcher-backdrop" on:click=move |_| open.set(false)></div>
                <div class="switcher-panel" id="org-switcher-panel">
                    <SearchBox
                        id="org-switcher-search"
                        placeholder="Find an organization"
                        initial=search.get_untracked()
                        on_search=Callback::new(move |text| search.set(text))
                    />
                    {move || match choices() {
                        None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                        Some(Err(error)) => {
                            view! { <p class="field-error">{error.headline()}</p> }.into_any()
                        }
                        Some(Ok(list)) if list.is_empty() => {
                            view! { <p class="muted">"No organization matches."</p> }.into_any()
                        }
                        Some(Ok(list)) => {
                            view! {
                                <ul class="switcher-list" id="org-switcher-list" role="listbox">
                                    {list
                                        .into_iter()
                                        .map(|choice| {
                                            view! {
                                                <li role="option" on:click=move |_| open.set(false)>
                                                    <A href=format!("/orgs/{}", choice.id)>
                                                        <span class="switcher-name">{choice.name}</span>
                                                        <span class="switcher-slug">{choice.slug}</span>
                                                    </A>
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                    }}
                    <div class="switcher-footer" on:click=move |_| open.set(false)>
                        <A href="/orgs">"All organizations"</A>
                    </div>
                </div>
            </Show>
        </div>
    }
}

/// The person's own organizations whose name or slug contains `text` (already lower-case).
fn own_choices(profile: &ViewerProfile, text: &str) -> Vec<Choice> {
    profile
        .memberships
        .iter()
        .filter(|membership| {
            text.is_empty()
                || membership.organization_name.to_lowercase().contains(text)
                || membership.organization_slug.contains(text)
        })
        .map(|membership| Choice {
            id: membership.organization_id.clone(),
            name: membership.organization_name.clone(),
            slug: membership.organization_slug.clone(),
        })
        .collect()
}
