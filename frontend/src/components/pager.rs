//! Cursor paging. The API pages forward only (`after`), so going back means remembering the cursors
//! that led to each earlier page.

use leptos::prelude::*;

/// The `after` cursors of the pages visited so far; the last one is the page on screen.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CursorStack {
    earlier: Vec<Option<String>>,
    current: Option<String>,
}

impl CursorStack {
    /// The `after` argument for the page on screen (`None` for the first page).
    pub fn current(&self) -> Option<String> {
        self.current.clone()
    }

    /// One-based, for "Page 3".
    pub fn page_number(&self) -> usize {
        self.earlier.len() + 1
    }

    pub fn can_go_back(&self) -> bool {
        !self.earlier.is_empty()
    }

    /// Moves to the page after `end_cursor`, the last cursor of the page on screen.
    pub fn advance(&mut self, end_cursor: String) {
        let previous = self.current.replace(end_cursor);
        self.earlier.push(previous);
    }

    pub fn go_back(&mut self) {
        if let Some(previous) = self.earlier.pop() {
            self.current = previous;
        }
    }
}

/// "Back", "Page N", "Next page" and the total. `next_cursor` is the page's `endCursor` when the
/// page says there is more, `None` otherwise.
#[component]
pub fn Pager(
    cursors: RwSignal<CursorStack>,
    #[prop(into)] next_cursor: Signal<Option<String>>,
    #[prop(into)] total: Signal<Option<i64>>,
    /// What is being counted, singular and plural, e.g. ("member", "members").
    noun: (&'static str, &'static str),
    /// Element id of the total, for tests.
    total_id: &'static str,
) -> impl IntoView {
    view! {
        <nav class="pager" aria-label="Pages">
            <span class="pager-total" id=total_id>
                {move || {
                    total
                        .get()
                        .map(|total| format!("{total} {}", if total == 1 { noun.0 } else { noun.1 }))
                        .unwrap_or_default()
                }}
            </span>
            <span class="pager-controls">
                <button
                    type="button"
                    class="button secondary"
                    id="previous-page"
                    disabled=move || !cursors.with(CursorStack::can_go_back)
                    on:click=move |_| cursors.update(CursorStack::go_back)
                >
                    "Back"
                </button>
                <span class="pager-page">
                    {move || format!("Page {}", cursors.with(CursorStack::page_number))}
                </span>
                <button
                    type="button"
                    class="button secondary"
                    id="next-page"
                    disabled=move || next_cursor.with(Option::is_none)
                    on:click=move |_| {
                        if let Some(cursor) = next_cursor.get_untracked() {
                            cursors.update(|stack| stack.advance(cursor));
                        }
                    }
                >
                    "Next page"
                </button>
            </span>
        </nav>
    }
}
