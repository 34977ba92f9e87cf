//! A labelled input (text or a whole number) with the server's message under it, and the button
//! that runs a form: the pieces every form is made of, so that none goes without a label or says
//! "Saving…" its own way.

use leptos::prelude::*;

use crate::api::ApiError;
use crate::components::error_box::FieldError;

#[component]
pub fn TextField(
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    #[prop(into)] error: Signal<Option<ApiError>>,
    /// The input's name as the server reports it in `extensions.fields`.
    field: &'static str,
    /// The input's `type`: text, email, password, url, tel.
    #[prop(default = "text")]
    kind: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(optional)] required: bool,
) -> impl IntoView {
    view! {
        <label for=id>{label}</label>
        <input
            type=kind
            id=id
            autocomplete=autocomplete
            required=required
            bind:value=value
        />
        <FieldError error=error field=field />
    }
}

/// A whole number with its bounds, kept as typed so that the form can say when it is not one.
#[component]
pub fn NumberField(
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    #[prop(into)] error: Signal<Option<ApiError>>,
    /// The input's name as the server reports it in `extensions.fields`.
    field: &'static str,
    min: i64,
    max: i64,
    /// A line under the input saying what the number means.
    #[prop(optional)]
    hint: Option<&'static str>,
) -> impl IntoView {
    view! {
        <label for=id>{label}</label>
        <input
            type="number"
            id=id
            min=min
            max=max
            step="1"
            inputmode="numeric"
            required=true
            bind:value=value
        />
        {hint.map(|text| view! { <p class="hint">{text}</p> })}
        <FieldError error=error field=field />
    }
}

/// A button that says what it is doing while its request is under way, and waits meanwhile.
/// Without `on_click` it submits its form.
#[component]
pub fn BusyButton(
    id: &'static str,
    #[prop(into)] label: Signal<String>,
    running_label: &'static str,
    /// This button's request is under way.
    #[prop(into)]
    running: Signal<bool>,
    /// Something else is under way, and this button waits for it too.
    #[prop(into, optional)]
    disabled: Signal<bool>,
    #[prop(default = "button primary")] class: &'static str,
    #[prop(optional)] on_click: Option<Callback<()>>,
) -> impl IntoView {
    let kind = if on_click.is_some() { "button" } else { "submit" };
    view! {
        <button
            type=kind
            class=class
            id=id
            disabled=move || running.get() || disabled.get()
            on:click=move |_| {
                if let Some(on_click) = on_click {
                    on_click.run(());
                }
            }
        >
            {move || if running.get() { running_label.to_owned() } else { label.get() }}
        </button>
    }
}
