//! Suspension, one organization at a time: the user keeps every other organization. Lists the
//! memberships the caller can see, each with its status and the button that flips it.

use leptos::prelude::*;
use leptos_router::components::A;

use super::controller::{AccessAction, AccessController};
use super::outcome::ActionOutcome;
use crate::api::access::{reinstate_member, suspend_member};
use crate::api::types::MembershipStatus;
use crate::api::users::UserMembership;
use crate::components::confirm::ConfirmButtons;
use crate::components::data_table::{Column, DataTable};
use crate::format;

#[component]
pub fn SuspensionSection(controller: AccessController, memberships: Vec<UserMembership>) -> impl IntoView {
    let body = if memberships.is_empty() {
        view! {
            <tr>
                <td colspan="4" class="muted">
                    "No memberships you can see."
                </td>
            </tr>
        }
        .into_any()
    } else {
        memberships
            .into_iter()
            .map(|membership| view! { <MembershipRows controller=controller membership=membership /> })
            .collect_view()
            .into_any()
    };
    view! {
        <section class="access-section" aria-labelledby="access-suspension-heading">
            <div class="access-what">
                <h3 id="access-suspension-heading">"Suspension per organization"</h3>
                <p class="hint">
                    "A suspended member cannot sign in to that organization or reach it; the others are untouched."
                </p>
            </div>
            <DataTable
                id="access-memberships"
                columns=vec![
                    Column::new("Organization"),
                    Column::new("Roles"),
                    Column::new("Status"),
                ]
                actions=true
            >
                {body}
            </DataTable>
        </section>
    }
}

/// One membership: its row, then (when open) the confirm step, then its last outcome.
#[component]
fn MembershipRows(controller: AccessController, membership: UserMembership) -> impl IntoView {
    let slug = membership.organization.slug.clone();
    let organization_id = membership.organization.id.clone();
    let organization_name = membership.organization.name.clone();
    let suspended = membership.status == MembershipStatus::Suspended;
    let confirming = RwSignal::new(false);
    let reason_input = RwSignal::new(String::new());
    let own_account = controller.is_own_account();
    let suspend_action = AccessAction::Suspend(slug.clone());
    let reinstate_action = AccessAction::Reinstate(slug.clone());

    let error = controller.error_where({
        let slug = slug.clone();
        move |action| action.concerns_organization(&slug)
    });
    let notice = Signal::derive({
        let slug = slug.clone();
        move || controller.notice_where(|action| action.concerns_organization(&slug))
    });
    let has_outcome = move || error.with(Option::is_some) || notice.with(Option::is_some);

    let suspend = {
        let action = suspend_action.clone();
        let organization_id = organization_id.clone();
        let organization_name = organization_name.clone();
        move |_| {
            let session = controller.session();
            let user_id = controller.user_id();
            let organization_id = organization_id.clone();
            let notice = format!("Suspended in {organization_name}.");
            let reason = reason_input.get_untracked().trim().to_owned();
            controller.run(action.clone(), async move {
                suspend_member(
                    session,
                    organization_id,
                    user_id,
                    (!reason.is_empty()).then_some(reason),
                )
                .await?;
                Ok(notice)
            });
        }
    };
    let reinstate = {
        let action = reinstate_action.clone();
        let organization_id = organization_id.clone();
        let organization_name = organization_name.clone();
        move |_| {
            let session = controller.session();
            let user_id = controller.user_id();
            let organization_id = organization_id.clone();
            let notice = format!("Reinstated in {organization_name}.");
            controller.run(action.clone(), async move {
                reinstate_member(session, organization_id, user_id).await?;
                Ok(notice)
            });
        }
    };

    let status = match membership.suspended_reason.as_deref().map(str::trim) {
        Some(reason) if suspended && !reason.is_empty() => view! {
            <span class="pill warning">{membership.status.label()}</span>
            <span class="access-reason">{reason.to_owned()}</span>
        }
        .into_any(),
        _ => {
            let class = if suspended { "pill warning" } else { "pill positive" };
            view! { <span class=class>{membership.status.label()}</span> }.into_any()
        }
    };

    let control = if suspended {
        let running = reinstate_action.clone();
        view! {
            <button
                type="button"
                class="button secondary"
                id=format!("reinstate-{slug}")
                disabled=move || controller.is_busy()
                on:click=reinstate
            >
                {move || if controller.is_running(&running) { "Reinstating…" } else { "Reinstate" }}
            </button>
        }
        .into_any()
    } else {
        view! {
            <button
                type="button"
                class="button danger-outline"
                id=format!("suspend-{slug}")
                title=own_account.then_some("You cannot suspend yourself.")
                disabled=move || own_account || confirming.get() || controller.is_busy()
                on:click=move |_| confirming.set(true)
            >
                "Suspend"
            </button>
        }
        .into_any()
    };

    // Everything the confirm step shows, made up front: it may open and close many times.
    let reason_id = format!("suspend-reason-{slug}");
    let confirm_id = format!("confirm-suspend-{slug}");
    let cancel_id = format!("cancel-suspend-{slug}");
    let confirm_label = format!("Suspend in {organization_name}. Reason (optional)");
    let confirm_step = move || {
        let running = suspend_action.clone();
        view! {
            <tr class="access-detail-row">
                <td colspan="4">
                    <div class="access-confirm">
                        <label for=reason_id.clone()>{confirm_label.clone()}</label>
                        <input
                            type="text"
                            id=reason_id.clone()
                            maxlength="1024"
                            autocomplete="off"
                            bind:value=reason_input
                        />
                        <ConfirmButtons
                            confirm_id=confirm_id.clone()
                            cancel_id=cancel_id.clone()
                            label="Suspend member"
                            running_label="Suspending…"
                            running=Signal::derive({
                                let running = running.clone();
                                move || controller.is_running(&running)
                            })
                            disabled=Signal::derive(move || controller.is_busy())
                            confirming=confirming
                            on_confirm=suspend.clone()
                        />
                    </div>
                </td>
            </tr>
        }
    };

    view! {
        <tr>
            <td>
                <A href=format!("/orgs/{organization_id}")>{organization_name}</A>
                <span class="muted mono access-slug">{slug.clone()}</span>
            </td>
            <td>{format::roles(&membership.roles)}</td>
            <td id=format!("membership-status-{slug}")>{status}</td>
            <td class="actions-column">{control}</td>
        </tr>
        <Show when=move || confirming.get() && !suspended>{confirm_step()}</Show>
        <Show when=has_outcome>
            <tr class="access-detail-row">
                <td colspan="4">
                    <ActionOutcome error=error notice=notice />
                </td>
            </tr>
        </Show>
    }
}
