//! Blocking: identity-wide, so it shuts the user out of every organization at once, ends their
//! sessions and stops tokens already issued. The reason is asked for in the confirm step, where
//! the administrator has stopped to think anyway.

use leptos::prelude::*;

use super::controller::{AccessAction, AccessController};
use super::outcome::ActionOutcome;
use crate::api::access::{block_user, unblock_user};
use crate::components::confirm::ConfirmButtons;

fn is_block_action(action: &AccessAction) -> bool {
    matches!(action, AccessAction::Block | AccessAction::Unblock)
}

#[component]
pub fn BlockSection(controller: AccessController, blocked: bool, reason: Option<String>) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let reason_input = RwSignal::new(String::new());
    let own_account = controller.is_own_account();
    let error = controller.error_where(is_block_action);
    let notice = move || controller.notice_where(is_block_action);

    let block = move |_| {
        let session = controller.session();
        let user_id = controller.user_id();
        let reason = reason_input.get_untracked().trim().to_owned();
        controller.run(AccessAction::Block, async move {
            block_user(session, user_id, (!reason.is_empty()).then_some(reason)).await?;
            Ok("Blocked. Every session of the user has ended.".to_owned())
        });
    };
    let unblock = move |_| {
        let session = controller.session();
        let user_id = controller.user_id();
        controller.run(AccessAction::Unblock, async move {
            unblock_user(session, user_id).await?;
            Ok("Unblocked. The user can sign in again.".to_owned())
        });
    };

    let state = match reason.as_deref().map(str::trim) {
        _ if !blocked => view! { <span class="pill positive">"Not blocked"</span> }.into_any(),
        Some(reason) if !reason.is_empty() => {
            let reason = reason.to_owned();
            view! {
                <span class="pill danger">"Blocked"</span>
                <span class="access-reason">{reason}</span>
            }
            .into_any()
        }
        _ => view! { <span class="pill danger">"Blocked"</span> }.into_any(),
    };

    view! {
        <section class="access-section" aria-labelledby="access-block-heading">
            <div class="access-row">
                <div class="access-what">
                    <h3 id="access-block-heading">"Block"</h3>
                    <p class="hint">
                        "Everywhere at once: no sign-in in any organization, sessions end and "
                        "tokens already issued stop working."
                    </p>
                </div>
                <div class="access-state" id="user-blocked-state">
                    {state}
                </div>
                <div class="access-controls">
                    {if blocked {
                        view! {
                            <button
                                type="button"
                                class="button secondary"
                                id="unblock-user"
                                disabled=move || controller.is_busy()
                                on:click=unblock
                            >
                                {move || {
                                    if controller.is_running(&AccessAction::Unblock) {
                                        "Unblocking…"
                                    } else {
                                        "Unblock"
                                    }
                                }}
                            </button>
                        }
                            .into_any()
                    } else {
                        view! {
                            <button
                                type="button"
                                class="button danger-outline"
                                id="block-user"
                                title=own_account.then_some("You cannot block yourself.")
                                disabled=move || own_account || confirming.get() || controller.is_busy()
                                on:click=move |_| confirming.set(true)
                            >
                                "Block"
                            </button>
                        }
                            .into_any()
                    }}
                </div>
            </div>
            <Show when=move || confirming.get() && !blocked>
                <div class="access-confirm" id="block-confirm">
                    <label for="block-reason">"Reason (optional, kept with the block and shown to administrators)"</label>
                    <input type="text" id="block-reason" maxlength="1024" autocomplete="off" bind:value=reason_input />
                    <ConfirmButtons
                        confirm_id="confirm-block".to_owned()
                        cancel_id="cancel-block".to_owned()
                        label="Block everywhere"
                        running_label="Blocking…"
                        running=Signal::derive(move || controller.is_running(&AccessAction::Block))
                        disabled=Signal::derive(move || controller.is_busy())
                        confirming=confirming
                        on_confirm=block
                    />
                </div>
            </Show>
            <ActionOutcome error=error notice=Signal::derive(notice) />
        </section>
    }
}
