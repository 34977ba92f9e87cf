//! `/orgs/:orgId`: one organization's members with search, filters, sorting and paging, plus the
//! "New user" form and the invitations for those who may add members, and the API clients and a
//! link to the settings for the organization's ADMINs.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::api::bulk::{MatchingFilter, MatchingMetadataFilter, MatchingMetadataRange, Picked};
use crate::api::members::{
    load_members, MetadataFilter, MetadataRange, OrganizationWithMembers, UserFilter, UserOrder,
};
use crate::api::types::{MembershipStatus, OrderDirection, OrgRole, UserOrderField};
use crate::api::use_session;
use crate::components::api_clients::ApiClientsPanel;
use crate::components::bulk_bar::BulkBar;
use crate::components::error_box::ErrorBox;
use crate::components::invitations::InvitationsPanel;
use crate::components::member_form::NewMemberForm;
use crate::components::members_table::MembersTable;
use crate::components::pager::{CursorStack, Pager};
use crate::components::search_box::SearchBox;
use crate::components::shell::{use_current_organization, use_viewer, OrganizationLabel};

#[component]
pub fn MembersPage() -> impl IntoView {
    let params = use_params_map();
    let organization_id = Memo::new(move |_| params.read().get("org_id").unwrap_or_default());
    // A new organization starts from a clean slate: fresh filters, first page.
    move || view! { <OrganizationMembers organization_id=organization_id.get() /> }
}

/// The search and filters as chosen on screen; every change starts again at the first page.
#[derive(Clone, Debug, Default, PartialEq)]
struct MemberQuery {
    text: String,
    role: Option<OrgRole>,
    status: Option<MembershipStatus>,
    email_verified: Option<bool>,
    blocked: Option<bool>,
    /// A condition on one metadata key (`userMetadata.department`), typed by its schema.
    metadata: Option<MetadataCondition>,
    order_field: UserOrderField,
    order_direction: OrderDirection,
}

impl MemberQuery {
    fn filter(&self) -> UserFilter {
        UserFilter {
            query: (!self.text.is_empty()).then(|| self.text.clone()),
            email_verified: self.email_verified,
            blocked: self.blocked,
            role: self.role,
            status: self.status,
            created_after: None,
            created_before: None,
            metadata: match &self.metadata {
                Some(MetadataCondition::Equals(path, equals)) => Some(vec![MetadataFilter {
                    path: path.clone(),
                    equals: equals.clone(),
                }]),
                _ => None,
            },
            metadata_range: match &self.metadata {
                Some(MetadataCondition::Within(path, at_least, at_most)) => Some(vec![MetadataRange {
                    path: path.clone(),
                    at_least: at_least.clone(),
                    at_most: at_most.clone(),
                }]),
                _ => None,
            },
        }
    }

    /// The same filter, as the "select all matching" query takes it.
    fn matching_filter(&self) -> MatchingFilter {
        MatchingFilter {
            query: (!self.text.is_empty()).then(|| self.text.clone()),
            email_verified: self.email_verified,
            blocked: self.blocked,
            role: self.role,
            status: self.status,
            created_after: None,
            created_before: None,
            metadata: match &self.metadata {
                Some(MetadataCondition::Equals(path, equals)) => Some(vec![MatchingMetadataFilter {
                    path: path.clone(),
                    equals: equals.clone(),
                }]),
                _ => None,
            },
            metadata_range: match &self.metadata {
                Some(MetadataCondition::Within(path, at_least, at_most)) => Some(vec![MatchingMetadataRange {
                    path: path.clone(),
                    at_least: at_least.clone(),
                    at_most: at_most.clone(),
                }]),
                _ => None,
            },
        }
    }

    fn order(&self) -> UserOrder {
        UserOrder {
            field: self.order_field,
            direction: self.order_direction,
        }
    }
}

/// What one metadata key must hold: a value, or (numbers and dates) a value within bounds.
#[derive(Clone, Debug, PartialEq)]
enum MetadataCondition {
    Equals(String, serde_json::Value),
    Within(String, Option<serde_json::Value>, Option<serde_json::Value>),
}

/// The parts of a loaded page that sit outside the table.
#[derive(Clone, Debug, PartialEq)]
struct PageSummary {
    name: String,
    slug: String,
    total: i64,
    next_cursor: Option<String>,
}

impl PageSummary {
    fn of(organization: &OrganizationWithMembers) -> Self {
        let members = organization.members.as_ref();
        Self {
            name: organization.name.clone(),
            slug: organization.slug.clone(),
            total: members.map(|members| members.total_count).unwrap_or(0),
            next_cursor: members.and_then(|members| {
                members
                    .page_info
                    .end_cursor
                    .clone()
                    .filter(|_| members.page_info.has_next_page)
            }),
        }
    }
}

#[component]
fn OrganizationMembers(organization_id: String) -> impl IntoView {
    let session = use_session();
    let viewer = use_viewer();
    let current_organization = use_current_organization();
    let query = RwSignal::new(MemberQuery::default());
    let cursors = RwSignal::new(CursorStack::default());
    let show_form = RwSignal::new(false);
    let notice = RwSignal::new(None::<String>);
    // The members chosen for a bulk action; kept across pages and filter changes.
    let selected = RwSignal::new(Vec::<Picked>::new());

    let members = LocalResource::new({
        let organization_id = organization_id.clone();
        move || {
            let organization_id = organization_id.clone();
            let query = query.get();
            let after = cursors.with(CursorStack::current);
            async move { load_members(session, organization_id, after, query.filter(), query.order()).await }
        }
    });

    // Changes the query and goes back to the first page in one step, so only one request is made.
    let refine = move |change: &dyn Fn(&mut MemberQuery)| {
        query.update(|query| change(query));
        cursors.set(CursorStack::default());
    };

    // What the header line and the pager need, kept apart from the rows so that they do not
    // re-render with every table update.
    let summary = Memo::new(move |_| {
        members.with(|loaded| match loaded {
            Some(Ok(Some(organization))) => Some(PageSummary::of(organization)),
            _ => None,
        })
    });
    let next_cursor = Signal::derive(move || {
        summary.with(|summary| summary.as_ref().and_then(|summary| summary.next_cursor.clone()))
    });
    let total = Signal::derive(move || summary.with(|summary| summary.as_ref().map(|summary| summary.total)));
    let title = move || {
        summary
            .with(|summary| summary.as_ref().map(|summary| summary.name.clone()))
            .unwrap_or_else(|| "Members".to_owned())
    };
    let slug = move || summary.with(|summary| summary.as_ref().map(|summary| summary.slug.clone()));

    // Names the organization in the header's switcher while this page is open.
    Effect::new({
        let organization_id = organization_id.clone();
        move |_| {
            if let Some(name) = summary.with(|summary| summary.as_ref().map(|summary| summary.name.clone())) {
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

    let can_manage = Memo::new({
        let organization_id = organization_id.clone();
        move |_| {
            viewer.with(|loaded| matches!(loaded, Some(Ok(profile)) if profile.can_manage_members_of(&organization_id)))
        }
    });
    let can_administer = Memo::new({
        let organization_id = organization_id.clone();
        move |_| viewer.with(|loaded| matches!(loaded, Some(Ok(profile)) if profile.can_administer(&organization_id)))
    });

    let can_read_audit = Memo::new({
        let organization_id = organization_id.clone();
        move |_| {
            viewer.with(|loaded| matches!(loaded, Some(Ok(profile)) if profile.can_read_audit_of(&organization_id)))
        }
    });
    let settings_href = format!("/orgs/{organization_id}/settings");
    let audit_href = format!("/orgs/{organization_id}/audit");
    let organization_id_for_form = organization_id.clone();
    let organization_id_for_bulk = organization_id.clone();
    let page_members = Signal::derive(move || {
        members.with(|loaded| match loaded {
            Some(Ok(Some(organization))) => organization
                .members
                .as_ref()
                .map(|members| {
                    members
                        .edges
                        .iter()
                        .map(|edge| Picked {
                            id: edge.node.user.id.clone(),
                            email: edge.node.user.email.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            _ => Vec::new(),
        })
    });
    let organization_id_for_invitations = organization_id.clone();
    view! {
        <section class="page">
            <div class="page-header">
                <div>
                    <h1 id="organization-name">{title}</h1>
                    <p class="muted mono" id="organization-slug">{slug}</p>
                </div>
                <div class="page-header-actions">
                    <Show when=move || can_read_audit.get()>
                        <A href=audit_href.clone() attr:class="button secondary" attr:id="org-audit-link">
                            "Audit log"
                        </A>
                    </Show>
                    <Show when=move || can_administer.get()>
                        <A href=settings_href.clone() attr:class="button secondary" attr:id="org-settings-link">
                            "Settings"
                        </A>
                    </Show>
                    <Show when=move || can_manage.get() && !show_form.get()>
                        <button
                            type="button"
                            class="button primary"
                            id="new-user"
                            on:click=move |_| {
                                notice.set(None);
                                show_form.set(true);
                            }
                        >
                            "New user"
                        </button>
                    </Show>
                </div>
            </div>
            {move || {
                notice
                    .get()
                    .map(|text| {
                        view! {
                            <p class="notice" id="members-notice" role="status">
                                {text}
                            </p>
                        }
                    })
            }}
            <Show when=move || show_form.get()>
                <NewMemberForm
                    organization_id=organization_id_for_form.clone()
                    on_created=Callback::new(move |email: String| {
                        show_form.set(false);
                        notice.set(Some(format!("Created {email}.")));
                        members.refetch();
                    })
                    on_cancel=Callback::new(move |_| show_form.set(false))
                />
            </Show>
            <MemberFilters query=query refine=refine />
            <MetadataFilterControl organization_id=organization_id.clone() refine=refine />
            <Show when=move || can_manage.get()>
                <BulkBar
                    organization_id=organization_id_for_bulk.clone()
                    selected=selected
                    page=page_members
                    total=total
                    filter=Callback::new(move |_| query.with_untracked(MemberQuery::matching_filter))
                    on_done=Callback::new(move |_| members.refetch())
                />
            </Show>
            <Transition fallback=|| view! { <p class="muted">"Loading members…"</p> }>
                {move || {
                    // Read here, where it is tracked: the viewer may load after the members.
                    let manage = can_manage.get();
                    Suspend::new(async move {
                    match members.await {
                        Ok(Some(organization)) => {
                            let rows = organization.members.map(|members| members.edges).unwrap_or_default();
                            if manage {
                                view! { <MembersTable rows=rows selected=selected /> }.into_any()
                            } else {
                                view! { <MembersTable rows=rows /> }.into_any()
                            }
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
                            view! { <ErrorBox id="members-error" error=Some(error) /> }.into_any()
                        }
                    }
                    })
                }}
            </Transition>
            <Pager
                cursors=cursors
                next_cursor=next_cursor
                total=total
                noun=("member", "members")
                total_id="member-count"
            />
            <Show when=move || can_manage.get()>
                <InvitationsPanel organization_id=organization_id_for_invitations.clone() />
            </Show>
            <Show when=move || can_administer.get()>
                <ApiClientsPanel organization_id=organization_id.clone() />
            </Show>
        </section>
    }
}

/// Search, filters and sort order. Each control reports its change through `refine`.
#[component]
fn MemberFilters(
    query: RwSignal<MemberQuery>,
    refine: impl Fn(&dyn Fn(&mut MemberQuery)) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    view! {
        <div class="toolbar" id="member-filters">
            <SearchBox
                id="member-search"
                placeholder="Search email, name or username"
                on_search=Callback::new(move |text: String| refine(&|query| query.text = text.clone()))
            />
            <label class="inline-field">
                "Role"
                <select
                    id="filter-role"
                    on:change=move |event| {
                        let role = OrgRole::from_wire_name(&event_target_value(&event));
                        refine(&|query| query.role = role);
                    }
                >
                    <option value="">"Any"</option>
                    {OrgRole::GRANTABLE
                        .into_iter()
                        .map(|role| view! { <option value=role.wire_name()>{role.label()}</option> })
                        .collect_view()}
                </select>
            </label>
            <label class="inline-field">
                "Status"
                <select
                    id="filter-status"
                    on:change=move |event| {
                        let status = MembershipStatus::from_wire_name(&event_target_value(&event));
                        refine(&|query| query.status = status);
                    }
                >
                    <option value="">"Any"</option>
                    {MembershipStatus::ALL
                        .into_iter()
                        .map(|status| {
                            view! { <option value=status.wire_name()>{status.label()}</option> }
                        })
                        .collect_view()}
                </select>
            </label>
            <YesNoFilter
                id="filter-verified"
                label="Verified"
                on_change=Callback::new(move |value| refine(&|query| query.email_verified = value))
            />
            <YesNoFilter
                id="filter-blocked"
                label="Blocked"
                on_change=Callback::new(move |value| refine(&|query| query.blocked = value))
            />
            <label class="inline-field">
                "Sort by"
                <select
                    id="sort-field"
                    on:change=move |event| {
                        let field = UserOrderField::from_wire_name(&event_target_value(&event));
                        refine(&|query| query.order_field = field);
                    }
                >
                    {UserOrderField::ALL
                        .into_iter()
                        .map(|field| {
                            view! {
                                <option
                                    value=field.wire_name()
                                    selected=move || query.with(|query| query.order_field == field)
                                >
                                    {field.label()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
            <label class="inline-field">
                "Order"
                <select
                    id="sort-direction"
                    on:change=move |event| {
                        let direction = OrderDirection::from_wire_name(&event_target_value(&event));
                        refine(&|query| query.order_direction = direction);
                    }
                >
                    {OrderDirection::ALL
                        .into_iter()
                        .map(|direction| {
                            view! {
                                <option
                                    value=direction.wire_name()
                                    selected=move || {
                                        query.with(|query| query.order_direction == direction)
                                    }
                                >
                                    {direction.label()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
        </div>
    }
}

/// "Any / Yes / No" for a boolean filter; "Any" leaves the filter out.
#[component]
fn YesNoFilter(id: &'static str, label: &'static str, on_change: Callback<Option<bool>>) -> impl IntoView {
    view! {
        <label class="inline-field">
            {label}
            <select
                id=id
                on:change=move |event| {
                    let value = match event_target_value(&event).as_str() {
                        "true" => Some(true),
                        "false" => Some(false),
                        _ => None,
                    };
                    on_change.run(value);
                }
            >
                <option value="">"Any"</option>
                <option value="true">"Yes"</option>
                <option value="false">"No"</option>
            </select>
        </label>
    }
}

/// A filter on one metadata key the organization's schemas describe: the key is picked from them,
/// and the value entered with the input its type calls for, so that a number is sent as a number
/// and a yes/no as a boolean; numbers and dates are filtered by a range (from, to, or both).
/// Shown only where a schema describes some key.
#[component]
fn MetadataFilterControl(
    organization_id: String,
    refine: impl Fn(&dyn Fn(&mut MemberQuery)) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    use crate::api::metadata_schemas::{load_schema, Kind};
    use steward_frontend::schema_form::{self, Control, Field};
    let session = use_session();
    let schemas = LocalResource::new(move || {
        let organization_id = organization_id.clone();
        async move {
            let mut keys: Vec<(String, Control)> = Vec::new();
            for (kind, document) in [(Kind::UserMetadata, "userMetadata"), (Kind::AppMetadata, "appMetadata")] {
                let Ok(Some(schema)) = load_schema(session, organization_id.clone(), kind).await else {
                    continue;
                };
                fn leaves(fields: Vec<Field>, document: &str, out: &mut Vec<(String, Control)>) {
                    for field in fields {
                        match field.control {
                            Control::Object(children) => leaves(children, document, out),
                            Control::Json => {}
                            control => out.push((format!("{document}.{}", field.path.join(".")), control)),
                        }
                    }
                }
                leaves(schema_form::fields(&[schema], &[]), document, &mut keys);
            }
            keys
        }
    });
    let chosen = RwSignal::new(String::new());
    let (from, to) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let problem = RwSignal::new(None::<String>);
    let keys = move || schemas.with(|loaded| loaded.clone().unwrap_or_default());
    let control_of = move |path: &str| {
        keys()
            .into_iter()
            .find(|(key, _)| key == path)
            .map(|(_, control)| control)
    };
    // Reads the inputs into a condition, typed by the key's control, and applies it.
    let apply = move || {
        let path = chosen.get_untracked();
        let Some(control) = control_of(&path) else {
            refine(&|query| query.metadata = None);
            return;
        };
        let typed = |text: String| schema_form::entered(&control, &text);
        let ranged = matches!(control, Control::Integer | Control::Number | Control::Date);
        let condition = match (typed(from.get_untracked()), typed(to.get_untracked())) {
            (Err(message), _) | (_, Err(message)) => Err(message),
            (Ok(None), Ok(None)) => Ok(None),
            (Ok(at_least), Ok(at_most)) if ranged => {
                Ok(Some(MetadataCondition::Within(path.clone(), at_least, at_most)))
            }
            (Ok(Some(value)), _) => Ok(Some(MetadataCondition::Equals(path.clone(), value))),
            (Ok(None), Ok(_)) => Ok(None),
        };
        match condition {
            Ok(condition) => {
                problem.set(None);
                refine(&|query| query.metadata = condition.clone());
            }
            Err(message) => problem.set(Some(message)),
        }
    };
    let value_input = move || {
        let control = control_of(&chosen.get());
        match control {
            None => ().into_any(),
            Some(Control::Choice(choices)) => view! {
                <select
                    id="filter-metadata-value"
                    aria-label="Value"
                    on:change=move |event| {
                        from.set(event_target_value(&event));
                        apply();
                    }
                >
                    <option value="">"Any"</option>
                    {choices
                        .iter()
                        .enumerate()
                        .map(|(index, choice)| {
                            let label = choice.as_str().map_or_else(|| choice.to_string(), str::to_owned);
                            view! { <option value=index.to_string()>{label}</option> }
                        })
                        .collect_view()}
                </select>
            }
            .into_any(),
            Some(Control::Boolean) => view! {
                <select
                    id="filter-metadata-value"
                    aria-label="Value"
                    on:change=move |event| {
                        let typed = match event_target_value(&event).as_str() {
                            "yes" => Some(serde_json::Value::Bool(true)),
                            "no" => Some(serde_json::Value::Bool(false)),
                            _ => None,
                        };
                        let path = chosen.get_untracked();
                        refine(&|query| {
                            query.metadata = typed.clone().map(|typed| MetadataCondition::Equals(path.clone(), typed))
                        });
                    }
                >
                    <option value="">"Any"</option>
                    <option value="yes">"Yes"</option>
                    <option value="no">"No"</option>
                </select>
            }
            .into_any(),
            Some(control @ (Control::Integer | Control::Number | Control::Date)) => {
                let kind = if control == Control::Date { "date" } else { "number" };
                view! {
                    <label class="inline-field">
                        "From"
                        <input
                            type=kind
                            step="any"
                            id="filter-metadata-from"
                            on:change=move |event| {
                                from.set(event_target_value(&event));
                                apply();
                            }
                        />
                    </label>
                    <label class="inline-field">
                        "to"
                        <input
                            type=kind
                            step="any"
                            id="filter-metadata-to"
                            on:change=move |event| {
                                to.set(event_target_value(&event));
                                apply();
                            }
                        />
                    </label>
                }
                .into_any()
            }
            Some(_) => view! {
                <input
                    type="text"
                    id="filter-metadata-value"
                    aria-label="Value"
                    on:change=move |event| {
                        from.set(event_target_value(&event));
                        apply();
                    }
                />
            }
            .into_any(),
        }
    };
    move || {
        (!keys().is_empty()).then(|| {
            view! {
                <div class="toolbar" id="metadata-filter">
                    <label class="inline-field">
                        "Metadata"
                        <select
                            id="filter-metadata-key"
                            on:change=move |event| {
                                chosen.set(event_target_value(&event));
                                from.set(String::new());
                                to.set(String::new());
                                problem.set(None);
                                refine(&|query| query.metadata = None);
                            }
                        >
                            <option value="">"Any key"</option>
                            {keys()
                                .into_iter()
                                .map(|(key, _)| view! { <option value=key.clone()>{key.clone()}</option> })
                                .collect_view()}
                        </select>
                    </label>
                    {value_input}
                    {move || problem.get().map(|message| view! { <p class="field-error">{message}</p> })}
                </div>
            }
        })
    }
}
