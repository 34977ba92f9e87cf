//! The buttons of a confirm step for an action that shuts someone out: the action itself, worded
//! for while it runs, and Cancel. One component, so every such action asks the same way.

use leptos::prelude::*;

#[component]
pub fn ConfirmButtons<F>(
    confirm_id: String,
    cancel_id: String,
    label: &'static str,
    running_label: &'static str,
    /// This action is under way.
    #[prop(into)]
    running: Signal<bool>,
    /// Any action is under way: the button waits.
    #[prop(into)]
    disabled: Signal<bool>,
    /// The confirm step's visibility; Cancel closes it.
    confirming: RwSignal<bool>,
    on_confirm: F,
) -> impl IntoView
where
    F: Fn(leptos::ev::MouseEvent) + 'static,
{
    view! {
        <div class="form-actions">
            <button
                type="button"
                class="button danger"
                id=confirm_id
                disabled=move || disabled.get()
                on:click=on_confirm
            >
                {move || if running.get() { running_label } else { label }}
            </button>
            <button type="button" class="button secondary" id=cancel_id on:click=move |_| confirming.set(false)>
                "Cancel"
            </button>
        </div>
    }
}
