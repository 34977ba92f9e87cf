//! `/mail`: the outbox, for superadmins: every message the server sent, failed to send, or (with
//! no SMTP server configured) only logged, with the link it carried.

use leptos::prelude::*;

use crate::api::mail::{load_mails, Mail};
use crate::api::types::MailStatus;
use crate::api::use_session;
use crate::components::data_table::{Column, DataTable};
use crate::components::error_box::ErrorBox;
use crate::components::pager::{CursorStack, Pager};
use crate::format;

#[component]
pub fn MailPage() -> impl IntoView {
    let session = use_session();
    let status = RwSignal::new(None::<MailStatus>);
    let cursors = RwSignal::new(CursorStack::default());

    let page = LocalResource::new(move || {
        let after = cursors.with(CursorStack::current);
        let status = status.get();
        async move { load_mails(session, after, status).await }
    });
    let next_cursor = Signal::derive(move || {
        page.with(|loaded| match loaded {
            Some(Ok(page)) if page.mails.page_info.has_next_page => page.mails.page_info.end_cursor.clone(),
            _ => None,
        })
    });
    let total = Signal::derive(move || {
        page.with(|loaded| match loaded {
            Some(Ok(page)) => Some(page.mails.total_count),
            _ => None,
        })
    });
    let explanation = move || {
        page.with(|loaded| match loaded {
            Some(Ok(page)) if page.mail_delivery.sending => format!(
                "Mail is sent from {} through the configured SMTP server; once sent, a message no longer keeps its link.",
                page.mail_delivery.from
            ),
            Some(Ok(_)) => {
                "Without STEWARD_SMTP_URL, mail is not sent: it is kept here and written to the server log.".to_owned()
            }
            _ => String::new(),
        })
    };

    view! {
        <section class="page">
            <div class="page-header">
                <div>
                    <h1>"Mail"</h1>
                    <p class="muted" id="mail-explanation">{explanation}</p>
                </div>
            </div>
            <div class="toolbar">
                <label class="inline-field">
                    "Status"
                    <select
                        id="mail-status"
                        on:change=move |event| {
                            status.set(MailStatus::from_wire_name(&event_target_value(&event)));
                            cursors.set(CursorStack::default());
                        }
                    >
                        <option value="">"All"</option>
                        {MailStatus::ALL
                            .into_iter()
                            .map(|status| view! { <option value=status.wire_name()>{status.label()}</option> })
                            .collect_view()}
                    </select>
                </label>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading mail…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(page) => {
                            let rows = page.mails.edges.into_iter().map(|edge| edge.node).collect();
                            view! { <MailTable rows=rows /> }.into_any()
                        }
                        Err(error) => view! { <ErrorBox id="mail-error" error=Some(error) /> }.into_any(),
                    }
                })}
            </Transition>
            <Pager
                cursors=cursors
                next_cursor=next_cursor
                total=total
                noun=("message", "messages")
                total_id="mail-count"
            />
        </section>
    }
}

#[component]
fn MailTable(rows: Vec<Mail>) -> impl IntoView {
    if rows.is_empty() {
        return view! {
            <p class="empty" id="mail-empty">
                "No mail."
            </p>
        }
        .into_any();
    }
    view! {
        <div class="table-scroll">
            <DataTable
                id="mail-table"
                columns=vec![
                    Column::new("Created"),
                    Column::new("To"),
                    Column::new("Kind"),
                    Column::new("Subject"),
                    Column::new("Status"),
                    Column::numeric("Attempts"),
                    Column::new("Last error"),
                    Column::new("Link"),
                ]
            >
                {rows.into_iter().map(mail_row).collect_view()}
            </DataTable>
        </div>
    }
    .into_any()
}

fn mail_row(mail: Mail) -> impl IntoView {
    let link = match mail.link.filter(|link| !link.is_empty()) {
        Some(link) => view! {
            <a href=link.clone() title=link target="_blank" rel="noopener noreferrer" class="mail-open-link">
                "Open link"
            </a>
        }
        .into_any(),
        None => view! { <span class="muted">"—"</span> }.into_any(),
    };
    view! {
        <tr data-mail-id=mail.id>
            <td>{format::timestamp(&mail.created_at)}</td>
            <td>{mail.to}</td>
            <td class="mono">{mail.kind}</td>
            <td>{mail.subject}</td>
            <td>
                <span class=mail.status.pill_class()>{mail.status.label()}</span>
            </td>
            <td class="numeric">{mail.attempts}</td>
            <td class="mail-last-error">{format::or_dash(mail.last_error.as_deref())}</td>
            <td>{link}</td>
        </tr>
    }
}
