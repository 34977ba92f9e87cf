//! `/` has no page of its own: it sends an organization administrator to the members of the first
//! organization they may read, and a superadmin (or someone with nothing to manage) to the list.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;

use crate::api::viewer::ViewerProfile;
use crate::components::error_box::ErrorBox;
use crate::components::shell::use_viewer;

#[component]
pub fn HomePage() -> impl IntoView {
    let viewer = use_viewer();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(profile)) = viewer.get() {
            navigate(
                &landing_path(&profile),
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    });
    let error = Signal::derive(move || viewer.get().and_then(Result::err));
    view! {
        <ErrorBox id="home-error" error=error />
        <p class="muted">"Loading…"</p>
    }
}

fn landing_path(profile: &ViewerProfile) -> String {
    if profile.is_superadmin {
        return "/orgs".to_owned();
    }
    profile
        .memberships
        .iter()
        .find(|membership| membership.can_read_members())
        .map(|membership| format!("/orgs/{}", membership.organization_id))
        .unwrap_or_else(|| "/orgs".to_owned())
}
