//! What an unknown address shows, instead of an empty page.

use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <div class="centered-page">
            <div class="panel narrow" id="not-found">
                <h1 class="brand">"Steward"</h1>
                <h2>"Page not found"</h2>
                <p class="muted">"There is nothing at this address."</p>
                <A href="/" attr:class="button primary">
                    "Go to the start page"
                </A>
            </div>
        </div>
    }
}
