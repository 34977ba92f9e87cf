//! The members table's bulk actions: the members chosen (rows ticked, the page, or every member
//! matching the filters, up to 1 000), one action for all of them, a confirmation that names the
//! action and the count, then each member's outcome — refusals with their reason.

use leptos::prelude::*;

use crate::api::bulk::{matching_members, run_bulk, ItemOutcome, MatchingFilter, Picked, ACTIONS, MAX_MEMBERS};
use crate::api::types::OrgRole;
use crate::api::{use_session, ApiError};
use crate::components::error_box::ErrorBox;
use crate::components::role_choices::RoleChoices;

#[component]
pub fn BulkBar(
    organization_id: String,
    selected: RwSignal<Vec<Picked>>,
    /// The members on the page shown, for "Select this page".
    #[prop(into)]
    page: Signal<Vec<Picked>>,
    /// How many members match the filters.
    #[prop(into)]
    total: Signal<Option<i64>>,
    /// The filters as on screen, for "Select all matching".
    filter: Callback<(), MatchingFilter>,
    /// Called once an action has run, so the table can show what changed.
    on_done: Callback<()>,
) -> impl IntoView {
    let session = use_session();
    let action = RwSignal::new(String::new());
    let roles = RwSignal::new(vec![OrgRole::Member]);
    let reason = RwSignal::new(String::new());
    let confirming = RwSignal::new(false);
    let outcomes = RwSignal::new(None::<(String, Vec<ItemOutcome>, Vec<Picked>)>);

    let select_all = Action::new_local({
        let organization_id = organization_id.clone();
        move |_: &()| {
            let organization_id = organization_id.clone();
            let filter = filter.run(());
            async move {
                let all = matching_members(session, organization_id, filter).await?;
                selected.set(all);
                Ok::<_, ApiError>(())
            }
        }
    });
    let run = Action::new_local(move |_: &()| {
        let organization_id = organization_id.clone();
        let picked = selected.get_untracked();
        let wire = action.get_untracked();
        let chosen = ACTIONS.iter().find(|(_, name, _)| *name == wire).cloned();
        let roles = roles.get_untracked();
        let reason = reason.get_untracked().trim().to_owned();
        async move {
            let (kind, name, label) = chosen.ok_or_else(|| ApiError::invalid_field("action", "choose an action"))?;
            let ids = picked.iter().map(|member| member.id.clone()).collect();
            let roles = (name == "SET_ROLES").then_some(roles);
            let reason = (!reason.is_empty()).then_some(reason);
            let items = run_bulk(session, organization_id, ids, kind, roles, reason).await?;
            outcomes.set(Some((label.to_owned(), items, picked)));
            selected.set(Vec::new());
            confirming.set(false);
            on_done.run(());
            Ok::<_, ApiError>(())
        }
    });
    let failure = Signal::derive(move || {
        run.value()
            .get()
            .and_then(Result::err)
            .or_else(|| select_all.value().get().and_then(Result::err))
    });
    let count = move || selected.with(Vec::len);
    let label = move || {
        let wire = action.get();
        ACTIONS
            .iter()
            .find(|(_, name, _)| *name == wire)
            .map(|(_, _, label)| *label)
            .unwrap_or("")
    };
    let destructive = move || matches!(action.get().as_str(), "DELETE" | "REMOVE_FROM_ORG");

    view! {
        <div class="panel bulk-bar" id="bulk-bar" role="region" aria-label="Bulk actions">
            <div class="toolbar">
                <p id="bulk-selected" role="status">
                    {move || match count() {
                        0 => "No member selected. Tick rows, or:".to_owned(),
                        1 => "1 member selected.".to_owned(),
                        n => format!("{n} members selected."),
                    }}
                </p>
                <button
                    type="button"
                    class="button secondary"
                    id="bulk-select-page"
                    on:click=move |_| {
                        let mut chosen = selected.get_untracked();
                        for member in page.get_untracked() {
                            if !chosen.contains(&member) {
                                chosen.push(member);
                            }
                        }
                        chosen.truncate(MAX_MEMBERS);
                        selected.set(chosen);
                    }
                >
                    "Select this page"
                </button>
                <Show when=move || total.get().is_some_and(|total| total as usize > count())>
                    <button
                        type="button"
                        class="button secondary"
                        id="bulk-select-all"
                        disabled=move || select_all.pending().get()
                        on:click=move |_| {
                            select_all.dispatch_local(());
                        }
                    >
                        {move || {
                            let total = total.get().unwrap_or(0);
                            if select_all.pending().get() {
                                "Selecting…".to_owned()
                            } else if total as usize > MAX_MEMBERS {
                                format!("Select the first {MAX_MEMBERS} of {total} matching")
                            } else {
                                format!("Select all {total} matching")
                            }
                        }}
                    </button>
                </Show>
                <Show when=move || { count() > 0 }>
                    <button
                        type="button"
                        class="button secondary"
                        id="bulk-clear"
                        on:click=move |_| {
                            selected.set(Vec::new());
                            confirming.set(false);
                        }
                    >
                        "Clear selection"
                    </button>
                </Show>
            </div>
            <Show when=move || { count() > 0 }>
                <div class="toolbar">
                    <label class="inline-field">
                        "Action"
                        <select
                            id="bulk-action"
                            on:change=move |event| {
                                action.set(event_target_value(&event));
                                confirming.set(false);
                            }
                        >
                            <option value="">"Choose…"</option>
                            {ACTIONS
                                .iter()
                                .map(|(_, name, label)| view! { <option value=*name>{*label}</option> })
                                .collect_view()}
                        </select>
                    </label>
                    <Show when=move || matches!(action.get().as_str(), "BLOCK" | "SUSPEND")>
                        <label class="inline-field">
                            "Reason (optional)"
                            <input
                                type="text"
                                id="bulk-reason"
                                prop:value=move || reason.get()
                                on:input=move |event| reason.set(event_target_value(&event))
                            />
                        </label>
                    </Show>
                    <button
                        type="button"
                        class="button primary"
                        id="bulk-apply"
                        disabled=move || action.get().is_empty() || run.pending().get()
                        on:click=move |_| confirming.set(true)
                    >
                        "Apply…"
                    </button>
                </div>
                <Show when=move || action.get() == "SET_ROLES">
                    <RoleChoices roles=roles id_prefix="bulk-role" />
                </Show>
                <Show when=move || confirming.get()>
                    <div class="confirm" id="bulk-confirm" role="alertdialog" aria-label="Confirm the bulk action">
                        <p>
                            {move || format!("{} — {} members?", label(), count())}
                            {move || destructive().then_some(" This cannot be undone for members it reaches.")}
                        </p>
                        <p class="hint">
                            "Each member is checked on its own: those you may not act on are reported, the others done."
                        </p>
                        <div class="form-actions">
                            <button
                                type="button"
                                class=move || if destructive() { "button danger" } else { "button primary" }
                                id="bulk-confirm-apply"
                                disabled=move || run.pending().get()
                                on:click=move |_| {
                                    run.dispatch_local(());
                                }
                            >
                                {move || {
                                    if run.pending().get() {
                                        format!("Working on {} members…", count())
                                    } else {
                                        format!("Yes, {} members", count())
                                    }
                                }}
                            </button>
                            <button
                                type="button"
                                class="button secondary"
                                id="bulk-confirm-cancel"
                                on:click=move |_| confirming.set(false)
                            >
                                "Cancel"
                            </button>
                        </div>
                    </div>
                </Show>
            </Show>
            <ErrorBox id="bulk-error" error=failure />
            {move || outcomes.get().map(|(label, items, picked)| view! { <BulkResults label=label items=items picked=picked /> })}
        </div>
    }
}

/// How a bulk action went: how many were done, and each refusal with the member's address and
/// the reason.
#[component]
fn BulkResults(label: String, items: Vec<ItemOutcome>, picked: Vec<Picked>) -> impl IntoView {
    let done = items.iter().filter(|item| item.error.is_none()).count();
    let failed: Vec<(String, ApiError)> = items
        .into_iter()
        .filter_map(|item| {
            let email = picked
                .iter()
                .find(|member| member.id == item.id)
                .map(|member| member.email.clone())
                .unwrap_or(item.id);
            item.error.map(|error| (email, error))
        })
        .collect();
    let total = done + failed.len();
    view! {
        <div class="bulk-results" id="bulk-results">
            <p class="notice" role="status" id="bulk-summary">
                {format!("{label}: done for {done} of {total}.")}
                {(!failed.is_empty()).then(|| format!(" {} could not be done:", failed.len()))}
            </p>
            <ul id="bulk-failures">
                {failed
                    .into_iter()
                    .map(|(email, error)| {
                        let why = error.explanation().unwrap_or_else(|| error.headline());
                        view! {
                            <li>
                                <span class="mono">{email}</span>
                                " — "
                                {why}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </div>
    }
}
