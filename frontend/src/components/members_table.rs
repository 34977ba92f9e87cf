//! The member list of one organization as a table: one row per membership, the email linking to
//! the user's page.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::members::MemberEdge;
use crate::api::types::MembershipStatus;
use crate::components::data_table::{Column, DataTable};
use crate::format;

#[component]
pub fn MembersTable(rows: Vec<MemberEdge>) -> impl IntoView {
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
                columns=vec![
                    Column::new("Email"),
                    Column::new("Name"),
                    Column::new("Roles"),
                    Column::new("Status"),
                    Column::new("Verified"),
                    Column::new("Blocked"),
                    Column::new("Last login"),
                ]
            >
                {rows.into_iter().map(member_row).collect_view()}
            </DataTable>
        </div>
    }
    .into_any()
}

fn member_row(edge: MemberEdge) -> impl IntoView {
    let member = edge.node;
    let user = member.user;
    let status_class = match member.status {
        MembershipStatus::Active => "pill positive",
        _ => "pill warning",
    };
    let display_name = user.name.clone().or(user.username.clone());
    view! {
        <tr data-user-id=user.id.clone()>
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
