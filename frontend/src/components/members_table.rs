//! The member list of one organization as a table: one row per membership, the email linking to
//! the user's page.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::bulk::Picked;
use crate::api::members::MemberEdge;
use crate::api::types::MembershipStatus;
use crate::components::data_table::{Column, DataTable};
use crate::format;

#[component]
pub fn MembersTable(
    rows: Vec<MemberEdge>,
    /// With it, each row starts with a checkbox that adds the member to (or takes them out of)
    /// this selection, for bulk actions.
    #[prop(optional)]
    selected: Option<RwSignal<Vec<Picked>>>,
) -> impl IntoView {
    if rows.is_empty() {
        return view! {
            <p class="empty" id="members-empty">
                "No members match."
            </p>
        }
        .into_any();
    }
    view! {
        <div class="table-scroll">
            <DataTable
                id="members-table"
                columns=selected
                    .map(|_| Column::new("Select"))
                    .into_iter()
                    .chain([
                    Column::new("Email"),
                    Column::new("Name"),
                    Column::new("Roles"),
                    Column::new("Status"),
                    Column::new("Verified"),
                    Column::new("Blocked"),
                    Column::new("Last login"),
                ])
                    .collect()
            >
                {rows.into_iter().map(|row| member_row(row, selected)).collect_view()}
            </DataTable>
        </div>
    }
    .into_any()
}

fn member_row(edge: MemberEdge, selected: Option<RwSignal<Vec<Picked>>>) -> impl IntoView {
    let member = edge.node;
    let user = member.user;
    let checkbox = selected.map(|selected| {
        let picked = Picked {
            id: user.id.clone(),
            email: user.email.clone(),
        };
        let label = format!("Select {}", user.email);
        let is_selected = {
            let id = picked.id.clone();
            move || selected.with(|chosen| chosen.iter().any(|member| member.id == id))
        };
        view! {
            <td class="select-cell">
                <input
                    type="checkbox"
                    class="select-member"
                    aria-label=label
                    prop:checked=is_selected
                    on:change=move |event| {
                        let tick = event_target_checked(&event);
                        let picked = picked.clone();
                        selected.update(|chosen| {
                            chosen.retain(|member| member.id != picked.id);
                            if tick {
                                chosen.push(picked);
                            }
                        });
                    }
                />
            </td>
        }
    });
    let status_class = match member.status {
        MembershipStatus::Active => "pill positive",
        _ => "pill warning",
    };
    let display_name = user.name.clone().or(user.username.clone());
    view! {
        <tr data-user-id=user.id.clone()>
            {checkbox}
            <td>
                <A href=format!("/users/{}", user.id) attr:class="member-email">
                    {user.email}
                </A>
            </td>
            <td>{format::or_dash(display_name.as_deref())}</td>
            <td>{format::roles(&member.roles)}</td>
            <td>
                <span class=status_class>{member.status.label()}</span>
            </td>
            <td>{format::yes_no(user.email_verified)}</td>
            <td>
                {if user.blocked {
                    view! { <span class="pill danger">"Blocked"</span> }.into_any()
                } else {
                    view! { <span>"No"</span> }.into_any()
                }}
            </td>
            <td>{format::optional_timestamp(user.last_login_at.as_deref(), "Never")}</td>
        </tr>
    }
}
