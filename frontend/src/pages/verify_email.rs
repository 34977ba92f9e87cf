//! `/verify-email?token=…`: confirms an address, new or changed, with one click on the page (never
//! on load: mail scanners open links by themselves).

use leptos::prelude::*;

use crate::api::links::{verify_email, LinkToken};
use crate::api::types::TokenPurpose;
use crate::components::public_page::{sign_in_href, OneClickAction, TokenGate};

#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    view! {
        <TokenGate
            purposes=&[TokenPurpose::EmailVerification, TokenPurpose::EmailChange]
            id="verify-email-panel"
            render=|token, link| view! { <VerifyEmail token=token link=link /> }.into_any()
        />
    }
}

#[component]
fn VerifyEmail(token: String, link: LinkToken) -> impl IntoView {
    let change = link.purpose == TokenPurpose::EmailChange;
    let email = link.email.clone();
    let done_text = if change {
        format!("Your email address is now {email}.")
    } else {
        format!("{email} is verified. Thank you.")
    };
    let sign_in = sign_in_href(
        link.organization
            .as_ref()
            .map(|organization| organization.slug.as_str()),
    );
    view! {
        <OneClickAction
            button_id="verify-email"
            label=if change { "Change my address" } else { "Verify my address" }
            running_label="Verifying…"
            error_id="verify-email-error"
            done_id="verify-done"
            done_text=done_text
            sign_in=sign_in
            run=move || verify_email(token.clone())
        >
            <h2>{if change { "Confirm your new email address" } else { "Verify your email address" }}</h2>
            <p class="muted">
                "Confirm that " <strong id="verify-email-address">{email.clone()}</strong>
                {if change { " is your new address." } else { " is your address." }}
            </p>
        </OneClickAction>
    }
}
