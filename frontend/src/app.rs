//! The router and the sign-in gate. Pages reached from an emailed or printed link (sign-in, setup,
//! reset, forgotten password, verification, invitation, unlock) stand alone; everything else sits
//! behind the gate, which waits for the start-up session check, sends the signed-out to sign-in,
//! and holds back the portal while a password change is due.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::{path, NavigateOptions};

use crate::api::client::{provide_session, refresh};
use crate::api::{use_session, AuthState};
use crate::components::shell::Shell;
use crate::pages::accept_invitation::AcceptInvitationPage;
use crate::pages::audit::AuditPage;
use crate::pages::change_password::ChangePasswordPage;
use crate::pages::forgot_password::ForgotPasswordPage;
use crate::pages::home::HomePage;
use crate::pages::login::LoginPage;
use crate::pages::mail::MailPage;
use crate::pages::members::MembersPage;
use crate::pages::not_found::NotFoundPage;
use crate::pages::organization_settings::OrganizationSettingsPage;
use crate::pages::organizations::OrganizationsPage;
use crate::pages::profile::ProfilePage;
use crate::pages::reset_password::ResetPasswordPage;
use crate::pages::setup::SetupPage;
use crate::pages::unlock::UnlockPage;
use crate::pages::user::UserPage;
use crate::pages::verify_email::VerifyEmailPage;

#[component]
pub fn App() -> impl IntoView {
    let session = provide_session();
    // A reload keeps the administrator signed in: the HttpOnly cookie still holds a refresh token.
    spawn_local(async move {
        let _ = refresh(session).await;
    });

    view! {
        <Router>
            <Routes fallback=NotFoundPage>
                <Route path=path!("/login") view=LoginPage />
                <Route path=path!("/setup") view=SetupPage />
                <Route path=path!("/reset-password") view=ResetPasswordPage />
                <Route path=path!("/forgot-password") view=ForgotPasswordPage />
                <Route path=path!("/verify-email") view=VerifyEmailPage />
                <Route path=path!("/accept-invitation") view=AcceptInvitationPage />
                <Route path=path!("/unlock") view=UnlockPage />
                <ParentRoute path=path!("") view=SignedInGate>
                    <Route path=path!("/") view=HomePage />
                    <Route path=path!("/orgs") view=OrganizationsPage />
                    <Route path=path!("/orgs/:org_id") view=MembersPage />
                    <Route path=path!("/orgs/:org_id/settings") view=OrganizationSettingsPage />
                    <Route path=path!("/orgs/:org_id/audit") view=AuditPage />
                    <Route path=path!("/users/:user_id") view=UserPage />
                    <Route path=path!("/me") view=ProfilePage />
                    <Route path=path!("/mail") view=MailPage />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// What the gate shows; a memo of it keeps the shell mounted while the session merely rotates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum GateView {
    Waiting,
    PasswordChange,
    Portal,
}

#[component]
fn SignedInGate() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let location = use_location();
    let gate_view = Memo::new(move |_| match session.state().get() {
        AuthState::Checking | AuthState::SignedOut => GateView::Waiting,
        AuthState::SignedIn(user) if user.password_change_required => GateView::PasswordChange,
        AuthState::SignedIn(_) => GateView::Portal,
    });

    Effect::new(move |_| {
        if session.state().get() != AuthState::SignedOut {
            return;
        }
        let target = if session.left_on_purpose() {
            "/login".to_owned()
        } else {
            // Come back here after signing in, e.g. a deep link opened without a session.
            // The router keeps the query string without its leading `?`.
            let mut here = location.pathname.get_untracked();
            let query = location.search.get_untracked();
            if !query.is_empty() {
                here = format!("{here}?{query}");
            }
            format!("/login?next={}", String::from(js_sys::encode_uri_component(&here)))
        };
        navigate(
            &target,
            NavigateOptions {
                replace: true,
                ..Default::default()
            },
        );
    });

    move || match gate_view.get() {
        GateView::Waiting => view! {
            <div class="centered-page" id="portal-loading">
                <p class="muted">"Loading…"</p>
            </div>
        }
        .into_any(),
        GateView::PasswordChange => view! { <ChangePasswordPage /> }.into_any(),
        GateView::Portal => view! { <Shell /> }.into_any(),
    }
}
