//! `/unlock?token=…`: lifts a brute-force lockout from the emailed link, with one click on the
//! page (never on load: mail scanners open links by themselves).

use leptos::prelude::*;

use crate::api::links::{unlock_account, LinkToken};
use crate::api::types::TokenPurpose;
use crate::components::public_page::{sign_in_href, OneClickAction, TokenGate};

#[component]
pub fn UnlockPage() -> impl IntoView {
    view! {
        <TokenGate
            purposes=&[TokenPurpose::Unlock]
            id="unlock-panel"
            render=|token, link| view! { <Unlock token=token link=link /> }.into_any()
        />
    }
}

#[component]
fn Unlock(token: String, link: LinkToken) -> impl IntoView {
    let sign_in = sign_in_href(
        link.organization
            .as_ref()
            .map(|organization| organization.slug.as_str()),
    );
    view! {
        <OneClickAction
            button_id="unlock-account"
            label="Unlock my account"
            running_label="Unlocking…"
            error_id="unlock-error"
            done_id="unlock-done"
            done_text="Your account is unlocked. You can sign in again."
            sign_in=sign_in
            run=move || unlock_account(token.clone())
        >
            <h2>"Unlock your account"</h2>
            <p class="muted">
                "Sign-in to " <strong id="unlock-email">{link.email.clone()}</strong>
                " was locked after too many wrong passwords. If that was you, unlock it here; if not, "
                "consider resetting your password."
            </p>
        </OneClickAction>
    }
}
