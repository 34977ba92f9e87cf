//! `/orgs`: the organizations the signed-in person can reach, searchable and paged; superadmins can
//! create one from here.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::organizations::{list_organizations, OrganizationSummary};
use crate::api::use_session;
use crate::components::data_table::{Column, DataTable};
use crate::components::error_box::ErrorBox;
use crate::components::organization_form::NewOrganizationForm;
use crate::components::pager::{CursorStack, Pager};
use crate::components::search_box::SearchBox;
use crate::components::shell::use_viewer;
use crate::format;

/// Organizations per page.
const PAGE_SIZE: i64 = 25;

#[component]
pub fn OrganizationsPage() -> impl IntoView {
    let session = use_session();
    let viewer = use_viewer();
    let search = RwSignal::new(String::new());
    let cursors = RwSignal::new(CursorStack::default());
    let show_form = RwSignal::new(false);
    let is_superadmin = move || viewer.with(|loaded| matches!(loaded, Some(Ok(profile)) if profile.is_superadmin));

    let page = LocalResource::new(move || {
        let after = cursors.with(CursorStack::current);
        let text = search.get();
        async move {
            let search = (!text.is_empty()).then_some(text);
            list_organizations(session, PAGE_SIZE, after, search).await
        }
    });
    let next_cursor = Signal::derive(move || {
        page.with(|loaded| match loaded {
            Some(Ok(page)) if page.page_info.has_next_page => page.page_info.end_cursor.clone(),
            _ => None,
        })
    });
    let total = Signal::derive(move || {
        page.with(|loaded| match loaded {
            Some(Ok(page)) => Some(page.total_count),
            _ => None,
        })
    });

    view! {
        <section class="page">
            <div class="page-header">
                <h1>"Organizations"</h1>
                <Show when=move || is_superadmin() && !show_form.get()>
                    <button
                        type="button"
                        class="button primary"
                        id="new-organization"
                        on:click=move |_| show_form.set(true)
                    >
                        "New organization"
                    </button>
                </Show>
            </div>
            <Show when=move || show_form.get()>
                <NewOrganizationForm on_cancel=Callback::new(move |_| show_form.set(false)) />
            </Show>
            <div class="toolbar">
                <SearchBox
                    id="org-search"
                    placeholder="Search by name or slug"
                    on_search=Callback::new(move |text| {
                        search.set(text);
                        cursors.set(CursorStack::default());
                    })
                />
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading organizations…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(page) => {
                            let rows = page.edges.into_iter().map(|edge| edge.node).collect();
                            view! { <OrganizationsTable rows=rows /> }.into_any()
                        }
                        Err(error) => {
                            view! { <ErrorBox id="organizations-error" error=Some(error) /> }.into_any()
                        }
                    }
                })}
            </Transition>
            <Pager
                cursors=cursors
                next_cursor=next_cursor
                total=total
                noun=("organization", "organizations")
                total_id="organization-count"
            />
        </section>
    }
}

#[component]
fn OrganizationsTable(rows: Vec<OrganizationSummary>) -> impl IntoView {
    if rows.is_empty() {
        return view! {
            <p class="empty" id="organizations-empty">
                "No organization matches."
            </p>
        }
        .into_any();
    }
    view! {
        <div class="table-scroll">
            <DataTable
                id="organizations-table"
                columns=vec![
                    Column::new("Name"),
                    Column::new("Slug"),
                    Column::numeric("Members"),
                    Column::new("Created"),
                ]
            >
                {rows
                    .into_iter()
                    .map(|organization| {
                        view! {
                            <tr data-organization-id=organization.id.clone()>
                                <td>
                                    <A href=format!("/orgs/{}", organization.id)>
                                        {organization.name}
                                    </A>
                                </td>
                                <td class="mono">{organization.slug}</td>
                                <td class="numeric">{organization.member_count}</td>
                                <td>{format::timestamp(&organization.created_at)}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </DataTable>
        </div>
    }
    .into_any()
}
