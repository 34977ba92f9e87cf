//! A table of audit events: when, what, by whom, about whom, from where, and the details, folded
//! into one line until opened. The audit page and a user's Activity show it.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::audit::AuditEntry;
use crate::components::data_table::{Column, DataTable};
use crate::format;

#[component]
pub fn AuditTable(id: &'static str, rows: Vec<AuditEntry>) -> impl IntoView {
    if rows.is_empty() {
        return view! {
            <p class="empty" id=format!("{id}-empty")>
                "No events match."
            </p>
        }
        .into_any();
    }
    view! {
        <div class="table-scroll">
            <DataTable
                id=id
                columns=vec![
                    Column::new("When"),
                    Column::new("Event"),
                    Column::new("By"),
                    Column::new("About"),
                    Column::new("From"),
                    Column::new("Details"),
                ]
            >
                {rows.into_iter().map(audit_row).collect_view()}
            </DataTable>
        </div>
    }
    .into_any()
}

fn audit_row(entry: AuditEntry) -> impl IntoView {
    // Ids are long: their last eight characters (random; the first ones tell the time) tell
    // people apart at a glance, and the link leads to the user.
    let short = |id: &str| {
        let characters: Vec<char> = id.chars().collect();
        characters[characters.len().saturating_sub(8)..]
            .iter()
            .collect::<String>()
    };
    let actor = match (&entry.actor_user_id, &entry.actor_api_client_id) {
        (Some(user), _) => {
            view! { <A href=format!("/users/{user}") attr:title=user.clone()>{format!("user {}", short(user))}</A> }
                .into_any()
        }
        (None, Some(client)) => {
            view! { <span class="mono" title=client.clone()>{format!("API client {}", short(client))}</span> }
                .into_any()
        }
        (None, None) => {
            view! { <span class="muted" title="Someone outside this organization, or the system">"—"</span> }.into_any()
        }
    };
    let target = match &entry.target_user_id {
        Some(user) => {
            view! { <A href=format!("/users/{user}") attr:title=user.clone()>{format!("user {}", short(user))}</A> }
                .into_any()
        }
        None => view! { <span class="muted">"—"</span> }.into_any(),
    };
    let summary = details_summary(&entry.details);
    let pretty = serde_json::to_string_pretty(&entry.details).unwrap_or_default();
    view! {
        <tr data-event-id=entry.id>
            <td>{format::timestamp(&entry.at)}</td>
            <td class="mono">{entry.kind}</td>
            <td>{actor}</td>
            <td>{target}</td>
            <td class="mono" title=entry.user_agent.unwrap_or_default()>{format::or_dash(entry.ip.as_deref())}</td>
            <td class="audit-details">
                <details>
                    <summary>{summary}</summary>
                    <pre>{pretty}</pre>
                </details>
            </td>
        </tr>
    }
}

/// The details in one line: their keys and short values, for the collapsed row.
fn details_summary(details: &serde_json::Value) -> String {
    let Some(object) = details.as_object().filter(|object| !object.is_empty()) else {
        return "—".to_owned();
    };
    let mut parts: Vec<String> = object
        .iter()
        .map(|(key, value)| match value {
            serde_json::Value::String(text) if text.len() <= 40 => format!("{key}: {text}"),
            serde_json::Value::Number(_) | serde_json::Value::Bool(_) => format!("{key}: {value}"),
            _ => key.clone(),
        })
        .collect();
    parts.truncate(4);
    parts.join(", ")
}
