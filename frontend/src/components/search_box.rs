//! A search input that waits for a pause in typing before it asks the server, so a list is fetched
//! once per search rather than once per keystroke.

use std::time::Duration;

use leptos::leptos_dom::helpers::debounce;
use leptos::prelude::*;

/// How long typing must pause before the search runs.
const PAUSE: Duration = Duration::from_millis(300);

#[component]
pub fn SearchBox(
    #[prop(into)] id: String,
    #[prop(into)] placeholder: String,
    /// Called with the trimmed text once typing pauses.
    on_search: Callback<String>,
    /// Text to start with (e.g. when the search is restored).
    #[prop(optional, into)]
    initial: String,
) -> impl IntoView {
    let mut run_search = debounce(PAUSE, move |text: String| on_search.run(text.trim().to_owned()));
    view! {
        <input
            type="search"
            class="search-box"
            id=id
            placeholder=placeholder.clone()
            aria-label=placeholder
            autocomplete="off"
            prop:value=initial
            on:input=move |event| run_search(event_target_value(&event))
        />
    }
}
