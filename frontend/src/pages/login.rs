//! Sign-in. The portal signs in without an organization slug: an administrator's session reaches
//! every organization they may manage, and the switcher moves between them. An `org` in the
//! address (from an organization's own pages) is only carried on to the reset form.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

use crate::api::{auth, use_session, ApiError, AuthState};
use crate::components::error_box::ErrorBox;
use crate::components::public_page::with_organization;
use crate::pages::reset_password::PASSWORD_CHANGED_NOTICE;

#[component]
pub fn LoginPage() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let query = use_query_map();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let organization_slug = query.get_untracked().get("org").filter(|slug| !slug.trim().is_empty());
    let forgot_href = with_organization("/forgot-password", organization_slug.as_deref());
    let password_changed = query.get_untracked().get("notice").as_deref() == Some(PASSWORD_CHANGED_NOTICE);

    // Signed in already (the start-up refresh worked) or just now: continue where they were going.
    Effect::new(move |_| {
        if let AuthState::SignedIn(_) = session.state().get() {
            let target = safe_return_path(query.get_untracked().get("next"));
            navigate(
                &target,
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    });

    let sign_in = Action::new_local(move |(email, password): &(String, String)| {
        let (email, password) = (email.clone(), password.clone());
        async move {
            let granted = auth::login(email, password).await?;
            session.establish(granted);
            Ok::<(), ApiError>(())
        }
    });
    let error = Signal::derive(move || sign_in.value().get().and_then(Result::err));

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        sign_in.dispatch_local((email.get_untracked().trim().to_owned(), password.get_untracked()));
    };

    view! {
        <div class="centered-page">
            <form class="panel form narrow" id="login-form" on:submit=submit>
                <h1 class="brand">"Steward"</h1>
                <p class="muted">"Sign in to the administration portal."</p>
                {password_changed
                    .then(|| {
                        view! {
                            <p class="notice" id="reset-password-done" role="status">
                                "Your password has been changed. Sign in with it."
                            </p>
                        }
                    })}
                <ErrorBox id="login-error" error=error />
                <label for="email">"Email"</label>
                <input type="email" id="email" required autocomplete="username" bind:value=email />
                <label for="password">"Password"</label>
                <input
                    type="password"
                    id="password"
                    required
                    autocomplete="current-password"
                    bind:value=password
                />
                <button
                    type="submit"
                    class="button primary wide"
                    id="sign-in"
                    disabled=move || sign_in.pending().get()
                >
                    {move || if sign_in.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
                <p class="public-footer">
                    <A href=forgot_href attr:id="forgot-password-link">
                        "Forgot password?"
                    </A>
                </p>
            </form>
        </div>
    }
}

/// Where to go after signing in: the `next` parameter only if it is a path inside the portal (never
/// another origin, `//host` included), otherwise the start page.
pub fn safe_return_path(next: Option<String>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.starts_with("/login") =>
        {
            path
        }
        _ => "/".to_owned(),
    }
}
