//! The user page's "Password and email" panel: mail a reset link, hand over a one-time link (a
//! ticket), set a password, and verify the address or mail a verification link. Its actions run
//! through the page's controller, like the Access panel's, so their outcomes outlive the reload
//! that follows each of them.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::api::client::Session;
use crate::api::credentials::{
    create_password_change_ticket, send_password_reset_email, send_verification_email, set_email_verified,
    set_user_password, Ticket,
};
use crate::components::action_controller::ActionController;
use crate::components::copy_field::CopyField;
use crate::components::fields::{BusyButton, TextField};
use crate::components::outcome::Outcome;
use crate::format;

/// Which control an outcome belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialAction {
    SendReset,
    CreateTicket,
    SetPassword,
    SendVerification,
    SetVerified,
}

/// The panel's state that must survive a reload of the user: the actions' outcomes, and the last
/// ticket, whose link is shown only once.
#[derive(Clone, Copy)]
pub struct CredentialsController {
    actions: ActionController<CredentialAction>,
    ticket: RwSignal<Option<Ticket>>,
}

impl CredentialsController {
    pub fn new(session: Session, user_id: String, reload: Callback<()>) -> Self {
        Self {
            actions: ActionController::new(session, user_id, reload),
            ticket: RwSignal::new(None),
        }
    }

    fn busy(self) -> Signal<bool> {
        Signal::derive(move || self.actions.is_busy())
    }

    fn running(self, action: CredentialAction) -> Signal<bool> {
        Signal::derive(move || self.actions.is_running(&action))
    }
}

/// A ticket's choice of lifetimes, in seconds; one day is the default.
const TICKET_LIFETIMES: [(i64, &str); 4] = [
    (3_600, "1 hour"),
    (86_400, "1 day"),
    (604_800, "7 days"),
    (2_592_000, "30 days"),
];
const DEFAULT_TICKET_LIFETIME: i64 = 86_400;

#[component]
pub fn CredentialsPanel(controller: CredentialsController, email: String, email_verified: bool) -> impl IntoView {
    view! {
        <div class="panel access-panel credentials-panel" id="credentials-panel">
            <h2>"Password and email"</h2>
            <ResetLinkSection controller=controller email=email.clone() />
            <TicketSection controller=controller />
            <SetPasswordSection controller=controller />
            <VerificationSection controller=controller email=email verified=email_verified />
        </div>
    }
}

/// One action's part of the panel: what it does, its controls, and its last outcome.
#[component]
fn Section(
    key: &'static str,
    title: &'static str,
    #[prop(into)] hint: String,
    controller: CredentialsController,
    /// The actions whose outcome shows here.
    actions: &'static [CredentialAction],
    children: Children,
) -> impl IntoView {
    let heading_id = format!("credentials-{key}-heading");
    let labelled_by = heading_id.clone();
    view! {
        <section class="access-section" aria-labelledby=labelled_by>
            <div class="access-what">
                <h3 id=heading_id>{title}</h3>
                <p class="hint">{hint}</p>
            </div>
            {children()}
            <Outcome
                error_id="credentials-error"
                notice_id="credentials-notice"
                result=controller.actions.result_where(move |done| actions.contains(done))
            />
        </section>
    }
}

#[component]
fn ResetLinkSection(controller: CredentialsController, email: String) -> impl IntoView {
    let send = Callback::new(move |()| {
        let actions = controller.actions;
        let (session, user_id) = (actions.session(), actions.user_id());
        let notice = format!("A reset link was sent to {email}.");
        actions.run(CredentialAction::SendReset, async move {
            send_password_reset_email(session, user_id).await?;
            Ok(notice)
        });
    });
    view! {
        <Section
            key="reset"
            title="Reset link"
            hint="Emails the user a link to choose a new password. It works once, for one hour."
            controller=controller
            actions=&[CredentialAction::SendReset]
        >
            <div class="credentials-controls">
                <BusyButton
                    id="send-reset"
                    label="Send reset link"
                    running_label="Sending…"
                    running=controller.running(CredentialAction::SendReset)
                    disabled=controller.busy()
                    class="button secondary"
                    on_click=send
                />
            </div>
        </Section>
    }
}

#[component]
fn TicketSection(controller: CredentialsController) -> impl IntoView {
    let lifetime = RwSignal::new(DEFAULT_TICKET_LIFETIME);
    let mark_verified = RwSignal::new(false);
    let create = Callback::new(move |()| {
        let actions = controller.actions;
        let (session, user_id) = (actions.session(), actions.user_id());
        let (ttl, mark) = (lifetime.get_untracked(), mark_verified.get_untracked());
        let ticket = controller.ticket;
        ticket.set(None);
        actions.run(CredentialAction::CreateTicket, async move {
            let created = create_password_change_ticket(session, user_id, Some(ttl), mark).await?;
            let _ = ticket.try_set(Some(created));
            Ok("Ticket created. Copy the link below and hand it to the user.".to_owned())
        });
    });
    view! {
        <Section
            key="ticket"
            title="Ticket"
            hint="A one-time link to set a password, to hand over yourself when email does not reach the user."
            controller=controller
            actions=&[CredentialAction::CreateTicket]
        >
            <div class="credentials-controls">
                <label class="inline-field" for="ticket-ttl">
                    "Valid for"
                    <select
                        id="ticket-ttl"
                        on:change=move |event| {
                            let seconds = event_target_value(&event).parse().unwrap_or(DEFAULT_TICKET_LIFETIME);
                            lifetime.set(seconds);
                        }
                    >
                        {TICKET_LIFETIMES
                            .into_iter()
                            .map(|(seconds, label)| {
                                view! {
                                    <option
                                        value=seconds.to_string()
                                        selected=seconds == DEFAULT_TICKET_LIFETIME
                                    >
                                        {label}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
                <label class="choice" for="ticket-mark-verified">
                    <input type="checkbox" id="ticket-mark-verified" bind:checked=mark_verified />
                    "Mark the email address as verified"
                </label>
                <BusyButton
                    id="create-ticket"
                    label="Create ticket"
                    running_label="Creating…"
                    running=controller.running(CredentialAction::CreateTicket)
                    disabled=controller.busy()
                    class="button secondary"
                    on_click=create
                />
            </div>
            {move || controller.ticket.get().map(|ticket| view! { <TicketLink ticket=ticket /> })}
        </Section>
    }
}

/// The ticket's link, to copy, and when it stops working.
#[component]
fn TicketLink(ticket: Ticket) -> impl IntoView {
    view! {
        <div class="ticket" id="ticket">
            <label for="ticket-url">"One-time link"</label>
            <CopyField id="ticket-url" button_id="copy-ticket-url" value=ticket.url.clone() />
            <p class="hint" id="ticket-expires">
                "Expires " {format::timestamp(&ticket.expires_at)}
                ". Whoever holds the link can set the password: hand it over privately."
            </p>
        </div>
    }
}

#[component]
fn SetPasswordSection(controller: CredentialsController) -> impl IntoView {
    let password = RwSignal::new(String::new());
    let require_change = RwSignal::new(true);
    let error = controller
        .actions
        .error_where(|action| *action == CredentialAction::SetPassword);
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        let actions = controller.actions;
        let (session, user_id) = (actions.session(), actions.user_id());
        let (chosen, require) = (password.get_untracked(), require_change.get_untracked());
        actions.run(CredentialAction::SetPassword, async move {
            set_user_password(session, user_id, chosen, require).await?;
            let _ = password.try_set(String::new());
            Ok(if require {
                "Password set. The user must choose a new one at the next sign-in.".to_owned()
            } else {
                "Password set.".to_owned()
            })
        });
    };
    view! {
        <Section
            key="password"
            title="Set password"
            hint="Sets the password directly, checked against the organization's password policy."
            controller=controller
            actions=&[CredentialAction::SetPassword]
        >
            <form class="form credentials-form" id="set-password-form" on:submit=submit>
                <TextField
                    id="set-password"
                    label="New password"
                    kind="password"
                    autocomplete="new-password"
                    required=true
                    value=password
                    error=error
                    field="password"
                />
                <label class="choice" for="require-change">
                    <input type="checkbox" id="require-change" bind:checked=require_change />
                    "Require a change at the next sign-in"
                </label>
                <div class="form-actions">
                    <BusyButton
                        id="set-password-submit"
                        label="Set password"
                        running_label="Setting…"
                        running=controller.running(CredentialAction::SetPassword)
                        disabled=controller.busy()
                        class="button secondary"
                    />
                </div>
            </form>
        </Section>
    }
}

#[component]
fn VerificationSection(controller: CredentialsController, email: String, verified: bool) -> impl IntoView {
    let resend = Callback::new({
        let email = email.clone();
        move |()| {
            let actions = controller.actions;
            let (session, user_id) = (actions.session(), actions.user_id());
            let notice = format!("A verification link was sent to {email}.");
            actions.run(CredentialAction::SendVerification, async move {
                send_verification_email(session, user_id).await?;
                Ok(notice)
            });
        }
    });
    let toggle = Callback::new(move |()| {
        let actions = controller.actions;
        let (session, user_id) = (actions.session(), actions.user_id());
        actions.run(CredentialAction::SetVerified, async move {
            set_email_verified(session, user_id, !verified).await?;
            Ok(if verified {
                "Marked as not verified.".to_owned()
            } else {
                "Marked as verified.".to_owned()
            })
        });
    });
    let state = if verified {
        view! { <span class="pill positive">"Verified"</span> }.into_any()
    } else {
        view! { <span class="pill warning">"Not verified"</span> }.into_any()
    };
    view! {
        <Section
            key="email"
            title="Email address"
            hint=email
            controller=controller
            actions=&[CredentialAction::SendVerification, CredentialAction::SetVerified]
        >
            <div class="credentials-controls">
                <span id="credentials-email-state">{state}</span>
                {(!verified)
                    .then(|| {
                        view! {
                            <BusyButton
                                id="send-verification"
                                label="Resend verification"
                                running_label="Sending…"
                                running=controller.running(CredentialAction::SendVerification)
                                disabled=controller.busy()
                                class="button secondary"
                                on_click=resend
                            />
                        }
                    })}
                <BusyButton
                    id="toggle-verified"
                    label=if verified { "Mark unverified" } else { "Mark verified" }
                    running_label="Saving…"
                    running=controller.running(CredentialAction::SetVerified)
                    disabled=controller.busy()
                    class="button secondary"
                    on_click=toggle
                />
            </div>
        </Section>
    }
}
