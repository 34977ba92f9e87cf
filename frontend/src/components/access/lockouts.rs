//! Brute-force lockouts: one per client address that sent too many wrong passwords. Signing in
//! from another address still works, which is why each address is listed.

use leptos::prelude::*;

use super::controller::{AccessAction, AccessController};
use super::outcome::ActionOutcome;
use crate::api::access::clear_lockouts;
use crate::api::users::UserLockout;
use crate::components::data_table::{Column, DataTable};
use crate::format;

fn is_lockout_action(action: &AccessAction) -> bool {
    matches!(action, AccessAction::ClearLockouts)
}

#[component]
pub fn LockoutSection(controller: AccessController, lockouts: Vec<UserLockout>) -> impl IntoView {
    let error = controller.error_where(is_lockout_action);
    let notice = Signal::derive(move || controller.notice_where(is_lockout_action));
    let none = lockouts.is_empty();
    let count = lockouts.len();

    let clear = move |_| {
        let session = controller.session();
        let user_id = controller.user_id();
        controller.run(AccessAction::ClearLockouts, async move {
            clear_lockouts(session, user_id).await?;
            Ok(match count {
                1 => "Cleared 1 lockout.".to_owned(),
                _ => format!("Cleared {count} lockouts."),
            })
        });
    };

    let rows = if none {
        view! {
            <tr>
                <td colspan="3" class="muted">
                    "No active lockouts."
                </td>
            </tr>
        }
        .into_any()
    } else {
        lockouts
            .into_iter()
            .map(|lockout| {
                let until = format::optional_timestamp(lockout.locked_until.as_deref(), "Until cleared");
                view! {
                    <tr>
                        <td class="mono">{lockout.ip}</td>
                        <td class="numeric">{lockout.failed_attempts}</td>
                        <td>{until}</td>
                    </tr>
                }
            })
            .collect_view()
            .into_any()
    };

    view! {
        <section class="access-section" aria-labelledby="access-lockouts-heading">
            <div class="access-row">
                <div class="access-what">
                    <h3 id="access-lockouts-heading">"Lockouts"</h3>
                    <p class="hint">
                        "Too many wrong passwords from one address lock that address out. A password "
                        "reset also lifts the lock."
                    </p>
                </div>
                <div class="access-controls">
                    <button
                        type="button"
                        class="button secondary"
                        id="clear-lockouts"
                        title=none.then_some("There is nothing to clear.")
                        disabled=move || none || controller.is_busy()
                        on:click=clear
                    >
                        {move || {
                            if controller.is_running(&AccessAction::ClearLockouts) {
                                "Clearing…"
                            } else {
                                "Clear lockouts"
                            }
                        }}
                    </button>
                </div>
            </div>
            <DataTable
                id="lockouts-table"
                columns=vec![
                    Column::new("Address"),
                    Column::numeric("Failed attempts"),
                    Column::new("Locked until"),
                ]
            >
                {rows}
            </DataTable>
            <ActionOutcome error=error notice=notice />
        </section>
    }
}
