//! The frame around every signed-in page: the header (product, organization switcher, the
//! organizations, mail for superadmins, one's own profile, who is signed in, sign-out here or
//! everywhere) and the page below it. It also loads the viewer once for all pages.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{Outlet, A};

use crate::api::access::revoke_sessions;
use crate::api::viewer::{load_viewer, ViewerProfile};
use crate::api::{auth, use_session, ApiError};
use crate::components::organization_switcher::OrganizationSwitcher;

/// The viewer (superadmin flag, memberships), loaded once per sign-in and shared by the header,
/// the landing redirect and the pages that offer actions by role.
#[derive(Clone, Copy)]
pub struct ViewerContext(pub LocalResource<Result<ViewerProfile, ApiError>>);

pub fn use_viewer() -> LocalResource<Result<ViewerProfile, ApiError>> {
    expect_context::<ViewerContext>().0
}

/// The organization on screen, named in the switcher. Set by the pages that show one.
#[derive(Clone, Debug, PartialEq)]
pub struct OrganizationLabel {
    pub id: String,
    pub name: String,
}

#[derive(Clone, Copy)]
pub struct CurrentOrganization(pub RwSignal<Option<OrganizationLabel>>);

pub fn use_current_organization() -> RwSignal<Option<OrganizationLabel>> {
    expect_context::<CurrentOrganization>().0
}

#[component]
pub fn Shell() -> impl IntoView {
    let session = use_session();
    let viewer = LocalResource::new(move || load_viewer(session));
    provide_context(ViewerContext(viewer));
    provide_context(CurrentOrganization(RwSignal::new(None)));
    view! {
        <div class="shell">
            <Header />
            <main class="content">
                <Outlet />
            </main>
        </div>
    }
}

#[component]
fn Header() -> impl IntoView {
    let session = use_session();
    let viewer = use_viewer();
    let signing_out = RwSignal::new(false);
    let is_superadmin = move || viewer.with(|loaded| matches!(loaded, Some(Ok(profile)) if profile.is_superadmin));
    let email = move || session.user().map(|user| user.email).unwrap_or_default();
    let sign_out = move |_| {
        signing_out.set(true);
        spawn_local(async move {
            // Whatever the server answers, this browser forgets the session.
            let _ = auth::logout(session).await;
            session.sign_out_locally();
        });
    };
    view! {
        <header class="top-bar">
            <A href="/" attr:class="product-name" attr:id="product-name">
                "Steward"
            </A>
            <OrganizationSwitcher />
            <nav class="top-nav">
                <A href="/orgs">"Organizations"</A>
                <Show when=is_superadmin>
                    <A href="/mail" attr:id="mail-link">
                        "Mail"
                    </A>
                </Show>
                <A href="/me" attr:id="my-profile-link">
                    "My profile"
                </A>
            </nav>
            <div class="account">
                <Show when=is_superadmin>
                    <span class="badge" id="superadmin-badge">
                        "Superadmin"
                    </span>
                </Show>
                <span class="account-email" id="signed-in-email">
                    {email}
                </span>
                <SignOutEverywhere />
                <button
                    type="button"
                    class="button secondary"
                    id="sign-out"
                    disabled=move || signing_out.get()
                    on:click=sign_out
                >
                    "Sign out"
                </button>
            </div>
        </header>
    }
}

/// Ends every session of the signed-in person — a lost laptop, a shared computer — after a
/// confirm step, since it signs this browser out too. Once the server has done it, the portal
/// forgets the session as for an ordinary sign-out, and the gate shows the sign-in page.
#[component]
fn SignOutEverywhere() -> impl IntoView {
    let session = use_session();
    let confirming = RwSignal::new(false);
    let working = RwSignal::new(false);
    let failure = RwSignal::new(None::<ApiError>);
    let confirm = move |_| {
        let Some(user) = session.user() else {
            return;
        };
        working.set(true);
        failure.set(None);
        spawn_local(async move {
            match revoke_sessions(session, user.id).await {
                // `logout` cannot clear the refresh cookie now that its session is gone; the
                // cookie names a revoked session, which the server refuses from now on.
                Ok(_) => session.sign_out_locally(),
                Err(error) => {
                    let _ = failure.try_set(Some(error));
                    let _ = working.try_set(false);
                }
            }
        });
    };
    view! {
        {move || {
            failure
                .get()
                .map(|error| {
                    view! {
                        <span class="account-error" id="sign-out-everywhere-error" role="alert">
                            {error.headline()}
                        </span>
                    }
                })
        }}
        <Show
            when=move || confirming.get()
            fallback=move || {
                view! {
                    <button
                        type="button"
                        class="button secondary"
                        id="sign-out-everywhere"
                        title="End your sessions on every device, this one included"
                        on:click=move |_| confirming.set(true)
                    >
                        "Sign out everywhere"
                    </button>
                }
            }
        >
            <span class="account-confirm">"Every device?"</span>
            <button
                type="button"
                class="button danger"
                id="confirm-sign-out-everywhere"
                disabled=move || working.get()
                on:click=confirm
            >
                {move || if working.get() { "Signing out…" } else { "Sign out everywhere" }}
            </button>
            <button
                type="button"
                class="button secondary"
                id="cancel-sign-out-everywhere"
                disabled=move || working.get()
                on:click=move |_| confirming.set(false)
            >
                "Cancel"
            </button>
        </Show>
    }
}
