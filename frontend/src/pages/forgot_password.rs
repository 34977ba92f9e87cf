//! `/forgot-password[?org=slug]`: asks for a reset link. The answer is the same whether or not the
//! address has an account, so the page never tells either.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::links::{public_organization, request_password_reset};
use crate::components::error_box::ErrorBox;
use crate::components::fields::{BusyButton, TextField};
use crate::components::public_page::{sign_in_href, PublicCard};

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let slug = use_query_map()
        .get_untracked()
        .get("org")
        .map(|slug| slug.trim().to_owned())
        .filter(|slug| !slug.is_empty());
    let email = RwSignal::new(String::new());

    // Branding only: a failed or unknown lookup leaves the page in Steward's own colours.
    let organization = LocalResource::new({
        let slug = slug.clone();
        move || {
            let slug = slug.clone();
            async move {
                match slug {
                    Some(slug) => public_organization(slug).await.ok().flatten(),
                    None => None,
                }
            }
        }
    });
    let brand = Signal::derive(move || organization.get().flatten());

    let request = Action::new_local({
        let slug = slug.clone();
        move |email: &String| request_password_reset(email.clone(), slug.clone())
    });
    let error = Signal::derive(move || request.value().get().and_then(Result::err));
    let done = move || matches!(request.value().get(), Some(Ok(())));

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        request.dispatch_local(email.get_untracked().trim().to_owned());
    };
    let sign_in = sign_in_href(slug.as_deref());

    view! {
        <PublicCard id="forgot-password-panel" organization=brand>
            <Show
                when=move || !done()
                fallback=move || {
                    view! {
                        <p class="notice" id="forgot-done" role="status">
                            "If an account exists for that address, we have sent a link to reset the password."
                        </p>
                    }
                }
            >
                <form class="form" id="forgot-password-form" on:submit=submit>
                    <h2>"Reset your password"</h2>
                    <p class="muted">
                        "Enter your email address and we will send you a link to choose a new password."
                    </p>
                    <ErrorBox id="forgot-error" error=error />
                    <TextField
                        id="forgot-email"
                        label="Email"
                        kind="email"
                        autocomplete="username"
                        required=true
                        value=email
                        error=error
                        field="email"
                    />
                    <BusyButton
                        id="send-reset-link"
                        label="Send reset link"
                        running_label="Sending…"
                        running=request.pending()
                        class="button primary wide"
                    />
                </form>
            </Show>
            <p class="public-footer">
                <A href=sign_in attr:id="back-to-sign-in">
                    "Back to sign-in"
                </A>
            </p>
        </PublicCard>
    }
}
