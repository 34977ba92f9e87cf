//! `/orgs/:orgId/audit`: an organization's audit log, for its ADMINs and AUDITORs (and
//! superadmins): what was done in it and its members' sign-ins and profile events, newest first,
//! filtered by event type and time, paged, each event's details readable. New events arrive live
//! over WebSocket while the first page is on screen with no time filter.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::api::audit::{follow, load_audit, AuditEntry, AuditFilter, LiveAudit, LiveEnd};
use crate::api::use_session;
use crate::components::audit_table::AuditTable;
use crate::components::error_box::ErrorBox;
use crate::components::pager::{CursorStack, Pager};

#[component]
pub fn AuditPage() -> impl IntoView {
    let params = use_params_map();
    let organization_id = Memo::new(move |_| params.read().get("org_id").unwrap_or_default());
    move || view! { <OrganizationAudit organization_id=organization_id.get() /> }
}

/// The live stream's state, as the page says it.
#[derive(Clone, Debug, PartialEq)]
enum LiveState {
    Off,
    Connecting,
    On,
    Stopped(String),
}

/// "2026-12-04" from a date input, as the first instant of that day (UTC); the end of a range is
/// the first instant of the day after, so that the day itself is included.
fn day_start(date: &str, days_after: i64) -> Option<String> {
    let date = date.trim();
    if date.len() != 10 {
        return None;
    }
    if days_after == 0 {
        return Some(format!("{date}T00:00:00Z"));
    }
    let parse = |range: std::ops::Range<usize>| date.get(range)?.parse::<i64>().ok();
    let (year, month, day) = (parse(0..4)?, parse(5..7)?, parse(8..10)?);
    // Days since the epoch (civil calendar), one added, and back.
    let days = {
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (month + 9) % 12;
        let doy = (153 * mp + 2) / 5 + day - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468 + days_after
    };
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    Some(format!("{y:04}-{m:02}-{d:02}T00:00:00Z"))
}

#[component]
fn OrganizationAudit(organization_id: String) -> impl IntoView {
    let session = use_session();
    let types = RwSignal::new(String::new());
    let since = RwSignal::new(String::new());
    let until = RwSignal::new(String::new());
    let filter = Memo::new(move |_| AuditFilter {
        user_id: None,
        types: types
            .get()
            .split([',', ' '])
            .map(|kind| kind.trim().to_uppercase())
            .filter(|kind| !kind.is_empty())
            .collect(),
        since: day_start(&since.get(), 0),
        until: day_start(&until.get(), 1),
    });
    let cursors = RwSignal::new(CursorStack::default());
    let page = LocalResource::new({
        let organization_id = organization_id.clone();
        move || {
            let after = cursors.with(CursorStack::current);
            let filter = filter.get();
            let organization_id = organization_id.clone();
            async move { load_audit(session, Some(organization_id), filter, after).await }
        }
    });
    let next_cursor = Signal::derive(move || {
        page.with(|loaded| match loaded {
            Some(Ok(page)) => page.next_cursor.clone(),
            _ => None,
        })
    });
    let total = Signal::derive(move || {
        page.with(|loaded| match loaded {
            Some(Ok(page)) => Some(page.total),
            _ => None,
        })
    });

    // Live: new events, newest first, shown above the page while it is the first page of an
    // open-ended range. They stay until the filters or the page change.
    let live_entries = RwSignal::new(Vec::<AuditEntry>::new());
    let live_state = RwSignal::new(LiveState::Off);
    let wanted_live = RwSignal::new(true);
    // Dropped with the page, which closes the connection.
    let connection = StoredValue::new_local(None::<LiveAudit>);
    let live_applies = Memo::new(move |_| {
        let filter = filter.get();
        wanted_live.get() && cursors.with(|cursors| !cursors.can_go_back()) && filter.until.is_none()
    });
    Effect::new({
        let organization_id = organization_id.clone();
        move |_| {
            let on = live_applies.get();
            live_entries.set(Vec::new());
            connection.update_value(|live| {
                live.take();
            });
            if !on {
                live_state.set(LiveState::Off);
                return;
            }
            live_state.set(LiveState::Connecting);
            let organization_id = organization_id.clone();
            leptos::task::spawn_local(async move {
                let on_event = move |entry: AuditEntry| {
                    // The type filter applies as events arrive: changing it keeps the connection.
                    let wanted = filter
                        .try_with_untracked(|filter| filter.types.is_empty() || filter.types.contains(&entry.kind))
                        .unwrap_or(false);
                    if wanted {
                        live_entries.update(|entries| entries.insert(0, entry));
                    }
                    live_state.set(LiveState::On);
                };
                let on_end = move |why: LiveEnd| {
                    let text = match why {
                        LiveEnd::Refused(error) => {
                            format!("{} {}", error.headline(), error.explanation().unwrap_or_default())
                        }
                        LiveEnd::Closed => "The connection closed.".to_owned(),
                    };
                    let _ = live_state.try_set(LiveState::Stopped(text));
                };
                match follow(session, organization_id, on_event, on_end).await {
                    Ok(live) => {
                        let _ = live_state.try_update(|state| {
                            if *state == LiveState::Connecting {
                                *state = LiveState::On;
                            }
                        });
                        // Gone meanwhile (the page left): the connection closes here.
                        let _ = connection.try_set_value(Some(live));
                    }
                    Err(error) => {
                        let _ = live_state.try_set(LiveState::Stopped(error.headline()));
                    }
                }
            });
        }
    });

    let members_href = format!("/orgs/{organization_id}");
    let export_href = format!("GET /audit/export?orgId={organization_id}");
    let reset_paging = move || cursors.set(CursorStack::default());

    view! {
        <section class="page">
            <div class="page-header">
                <div>
                    <h1>"Audit log"</h1>
                    <p class="muted">
                        "What was done in this organization, and its members' sign-ins and profile changes, newest first."
                    </p>
                    <p class="muted" id="audit-export-hint">
                        "For a SIEM: " <code>{export_href}</code>
                        " streams these events as NDJSON to an ADMIN's or AUDITOR's access token, or an API client's with audit:read."
                    </p>
                </div>
                <div class="page-header-actions">
                    <A href=members_href attr:class="button secondary" attr:id="audit-members-link">
                        "Members"
                    </A>
                </div>
            </div>
            <div class="toolbar">
                <label class="inline-field">
                    "Event types"
                    <input
                        id="audit-types"
                        type="text"
                        placeholder="e.g. LOGIN_FAILED, USER_BLOCKED"
                        prop:value=move || types.get()
                        on:change=move |event| {
                            types.set(event_target_value(&event));
                            reset_paging();
                        }
                    />
                </label>
                <label class="inline-field">
                    "From"
                    <input
                        id="audit-since"
                        type="date"
                        prop:value=move || since.get()
                        on:change=move |event| {
                            since.set(event_target_value(&event));
                            reset_paging();
                        }
                    />
                </label>
                <label class="inline-field">
                    "To"
                    <input
                        id="audit-until"
                        type="date"
                        prop:value=move || until.get()
                        on:change=move |event| {
                            until.set(event_target_value(&event));
                            reset_paging();
                        }
                    />
                </label>
                <label class="inline-field">
                    <input
                        id="audit-live"
                        type="checkbox"
                        prop:checked=move || wanted_live.get()
                        on:change=move |event| wanted_live.set(event_target_checked(&event))
                    />
                    "Live"
                </label>
                <span class="muted" id="audit-live-state" role="status">
                    {move || match live_state.get() {
                        LiveState::Off if !wanted_live.get() => String::new(),
                        LiveState::Off => "Live updates show on the first page when no end date is set.".to_owned(),
                        LiveState::Connecting => "Connecting for live updates…".to_owned(),
                        LiveState::On => "Live: new events appear as they happen.".to_owned(),
                        LiveState::Stopped(why) => format!("Live updates stopped. {why}"),
                    }}
                </span>
            </div>
            <Show when=move || live_entries.with(|entries| !entries.is_empty())>
                <h2 class="subheading">"Just now"</h2>
                {move || view! { <AuditTable id="audit-live-table" rows=live_entries.get() /> }}
            </Show>
            <Transition fallback=|| view! { <p class="muted">"Loading the audit log…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(page) => view! { <AuditTable id="audit-table" rows=page.entries /> }.into_any(),
                        Err(error) => view! { <ErrorBox id="audit-error" error=Some(error) /> }.into_any(),
                    }
                })}
            </Transition>
            <Pager cursors=cursors next_cursor=next_cursor total=total noun=("event", "events") total_id="audit-count" />
        </section>
    }
}
