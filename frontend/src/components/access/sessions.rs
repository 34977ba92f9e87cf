//! Live sign-in sessions, and ending them all. Fewer callers may see sessions than may see the
//! user, so a refusal here is shown in this section alone.

use leptos::prelude::*;

use super::controller::{AccessAction, AccessController};
use super::outcome::ActionOutcome;
use crate::api::access::{revoke_session, revoke_sessions, SignInSession};
use crate::api::ApiError;
use crate::components::confirm::ConfirmButtons;
use crate::components::data_table::{Column, DataTable};
use crate::format;

fn is_session_action(action: &AccessAction) -> bool {
    matches!(action, AccessAction::RevokeSessions | AccessAction::RevokeSession(_))
}

#[component]
pub fn SessionSection(controller: AccessController, sessions: Result<Vec<SignInSession>, ApiError>) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let own_account = controller.is_own_account();
    let error = controller.error_where(is_session_action);
    let notice = Signal::derive(move || controller.notice_where(is_session_action));

    let revoke = move |_| {
        let session = controller.session();
        let user_id = controller.user_id();
        controller.run(AccessAction::RevokeSessions, async move {
            let ended = revoke_sessions(session, user_id).await?;
            Ok(match ended {
                0 => "There was no live session to end.".to_owned(),
                1 => "Ended 1 session. The user must sign in again.".to_owned(),
                _ => format!("Ended {ended} sessions. The user must sign in again everywhere."),
            })
        });
    };
    let warning = if own_account {
        "This is your own account: it signs you out of this browser too."
    } else {
        "The user is signed out on every device and must sign in again."
    };
    let hint = if own_account {
        "Where you are signed in now. End a session you do not recognise: that device must sign in again."
    } else {
        "Where the user is signed in now. Ending one session signs out that device only."
    };

    let listing = match sessions {
        Ok(sessions) => view! { <SessionsTable sessions=sessions controller=controller /> }.into_any(),
        Err(error) => view! {
            <p class="access-unavailable" id="sessions-unavailable">
                "Sessions cannot be shown. "
                {error.headline()}
                " "
                {error.explanation()}
            </p>
        }
        .into_any(),
    };

    view! {
        <section class="access-section" aria-labelledby="access-sessions-heading">
            <div class="access-row">
                <div class="access-what">
                    <h3 id="access-sessions-heading">"Sessions"</h3>
                    <p class="hint">{hint}</p>
                </div>
                <div class="access-controls">
                    <button
                        type="button"
                        class="button danger-outline"
                        id="revoke-sessions"
                        disabled=move || confirming.get() || controller.is_busy()
                        on:click=move |_| confirming.set(true)
                    >
                        "Sign out everywhere"
                    </button>
                </div>
            </div>
            <Show when=move || confirming.get()>
                <div class="access-confirm" id="revoke-sessions-confirm">
                    <p class="access-confirm-text">{warning}</p>
                    <ConfirmButtons
                        confirm_id="confirm-revoke-sessions".to_owned()
                        cancel_id="cancel-revoke-sessions".to_owned()
                        label="End every session"
                        running_label="Signing out…"
                        running=Signal::derive(move || controller.is_running(&AccessAction::RevokeSessions))
                        disabled=Signal::derive(move || controller.is_busy())
                        confirming=confirming
                        on_confirm=revoke
                    />
                </div>
            </Show>
            {listing}
            <ActionOutcome error=error notice=notice />
        </section>
    }
}

#[component]
fn SessionsTable(sessions: Vec<SignInSession>, controller: AccessController) -> impl IntoView {
    let end = move |id: String| {
        let session = controller.session();
        controller.run(AccessAction::RevokeSession(id.clone()), async move {
            revoke_session(session, id).await?;
            Ok("Ended that session: the device must sign in again.".to_owned())
        });
    };
    let rows = if sessions.is_empty() {
        view! {
            <tr>
                <td colspan="6" class="muted">
                    "No live sessions."
                </td>
            </tr>
        }
        .into_any()
    } else {
        sessions
            .into_iter()
            .map(|session| {
                let agent = session.user_agent.clone().unwrap_or_default();
                let id = session.id.clone();
                let running = AccessAction::RevokeSession(id.clone());
                let control = if session.current {
                    view! { <span class="pill positive" title="The session this page is using">"This browser"</span> }
                        .into_any()
                } else {
                    view! {
                        <button
                            type="button"
                            class="button small danger-outline"
                            id=format!("end-session-{id}")
                            aria-label="End this session"
                            disabled=move || controller.is_busy()
                            on:click=move |_| end(id.clone())
                        >
                            {move || if controller.is_running(&running) { "Ending…" } else { "End" }}
                        </button>
                    }
                    .into_any()
                };
                view! {
                    <tr class="session-row">
                        <td>{format::timestamp(&session.created_at)}</td>
                        <td>{format::timestamp(&session.last_used_at)}</td>
                        <td>{format::timestamp(&session.expires_at)}</td>
                        <td class="mono">{format::or_dash(session.ip.as_deref())}</td>
                        <td class="access-user-agent" title=agent>
                            {format::or_dash(session.user_agent.as_deref())}
                        </td>
                        <td>{control}</td>
                    </tr>
                }
            })
            .collect_view()
            .into_any()
    };
    view! {
        <DataTable
            id="sessions-table"
            columns=vec![
                Column::new("Signed in"),
                Column::new("Last used"),
                Column::new("Expires"),
                Column::new("Address"),
                Column::new("Browser or app"),
                Column::new(""),
            ]
        >
            {rows}
        </DataTable>
    }
}
