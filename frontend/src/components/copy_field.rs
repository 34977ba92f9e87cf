//! A value to hand over once, such as a one-time link or a client secret: a read-only input that
//! selects itself when focused, and a button that copies it, or selects it where the browser
//! offers no clipboard.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

#[component]
pub fn CopyField(
    /// The input's id, for the `<label for>` that names it.
    id: &'static str,
    button_id: &'static str,
    value: String,
) -> impl IntoView {
    let input = NodeRef::<leptos::html::Input>::new();
    let copy_state = RwSignal::new(CopyState::Ready);
    let select_all = move || {
        if let Some(input) = input.get_untracked() {
            input.select();
        }
    };
    let copy = {
        let value = value.clone();
        move |_| {
            let value = value.clone();
            spawn_local(async move {
                let copied = copy_to_clipboard(&value).await;
                if !copied {
                    select_all();
                }
                let _ = copy_state.try_set(if copied {
                    CopyState::Copied
                } else {
                    CopyState::SelectedOnly
                });
            });
        }
    };
    view! {
        <div class="copy-row">
            <input
                type="text"
                id=id
                class="mono"
                readonly
                node_ref=input
                prop:value=value
                on:focus=move |_| select_all()
            />
            <button type="button" class="button secondary" id=button_id on:click=copy>
                {move || copy_state.get().label()}
            </button>
        </div>
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CopyState {
    Ready,
    Copied,
    /// The clipboard was not available (e.g. a page not served over HTTPS): the text is selected
    /// for the person to copy.
    SelectedOnly,
}

impl CopyState {
    fn label(self) -> &'static str {
        match self {
            CopyState::Ready => "Copy",
            CopyState::Copied => "Copied",
            CopyState::SelectedOnly => "Press Ctrl+C to copy",
        }
    }
}

/// Writes `text` to the clipboard; `false` where the browser offers no clipboard or refuses.
async fn copy_to_clipboard(text: &str) -> bool {
    let navigator = window().navigator();
    // Outside a secure context `navigator.clipboard` is undefined, and calling it would throw.
    let available = js_sys::Reflect::get(&navigator, &JsValue::from_str("clipboard"))
        .is_ok_and(|clipboard| !clipboard.is_undefined() && !clipboard.is_null());
    if !available {
        return false;
    }
    JsFuture::from(navigator.clipboard().write_text(text)).await.is_ok()
}
