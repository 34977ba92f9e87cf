//! A metadata document edited through a form generated from its schemas: text, dates, numbers,
//! checkboxes, choices and nested objects, with JSON for anything else. Each input reads its value
//! from the document's text and writes its change back into it, so the JSON view and the merge
//! patch sent follow the form. Properties the viewer may not change are shown disabled; the
//! server's complaint about a property shows under its input.

use leptos::prelude::*;
use serde_json::Value;
use steward_frontend::schema_form::{self, Control, Field};

use crate::api::ApiError;

#[component]
pub fn SchemaForm(
    fields: Vec<Field>,
    /// The document as JSON text, shared with the JSON editor beside the form.
    text: RwSignal<String>,
    #[prop(into)] error: Signal<Option<ApiError>>,
    /// The document's field as the server names it in errors (`userMetadata`, …).
    name: &'static str,
    /// Prefixes every input's id.
    #[prop(into)]
    id_prefix: String,
) -> impl IntoView {
    let document = Memo::new(move |_| serde_json::from_str::<Value>(&text.get()).ok());
    let context = Context {
        text,
        document,
        error,
        name,
        id_prefix,
    };
    view! {
        <div class="schema-form">
            {fields.into_iter().map(|field| field_view(field, context.clone())).collect_view()}
        </div>
    }
}

#[derive(Clone)]
struct Context {
    text: RwSignal<String>,
    document: Memo<Option<Value>>,
    error: Signal<Option<ApiError>>,
    name: &'static str,
    id_prefix: String,
}

/// An element id for a property: its path, with anything but letters and digits made `_`.
fn element_id(prefix: &str, path: &[String]) -> String {
    let path: Vec<String> = path
        .iter()
        .map(|key| {
            key.chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect()
        })
        .collect();
    format!("{prefix}-{}", path.join("-"))
}

fn field_view(field: Field, context: Context) -> AnyView {
    let id = element_id(&context.id_prefix, &field.path);
    let Field {
        path,
        label,
        description,
        control,
        read_only,
    } = field;
    if let Control::Object(children) = control {
        return view! {
            <fieldset class="schema-object" id=id>
                <legend>{label}</legend>
                {description.map(|text| view! { <p class="hint">{text}</p> })}
                {children.into_iter().map(|child| field_view(child, context.clone())).collect_view()}
            </fieldset>
        }
        .into_any();
    }
    let Context {
        text,
        document,
        error,
        name,
        ..
    } = context;
    let server_name = format!("{name}{}", schema_form::pointer(&path));
    let server_error = move || {
        error
            .get()
            .and_then(|error| error.field_message(&server_name))
            .map(|message| view! { <p class="field-error">{message}</p> })
    };
    let local_error = RwSignal::new(None::<String>);
    let write = {
        let path = path.clone();
        move |value: Option<Value>| {
            let Ok(mut edited) = serde_json::from_str::<Value>(&text.get_untracked()) else {
                local_error.set(Some("Fix the JSON below first.".to_owned()));
                return;
            };
            local_error.set(None);
            schema_form::set(&mut edited, &path, value);
            text.set(serde_json::to_string_pretty(&edited).unwrap_or_default());
        }
    };
    let current = {
        let (path, control) = (path.clone(), control.clone());
        move || {
            document
                .with(|loaded| schema_form::shown(&control, loaded.as_ref().and_then(|d| schema_form::get(d, &path))))
        }
    };
    let description_id = format!("{id}-description");
    let described_by = description.as_ref().map(|_| description_id.clone());
    let hint = description.map(|text| view! { <p class="hint" id=description_id>{text}</p> });
    let read_only_note = read_only.then(|| view! { <span class="pill">"Read-only for you"</span> });
    let entered = {
        let control = control.clone();
        let write = write.clone();
        move |input: String| match schema_form::entered(&control, &input) {
            Ok(value) => write(value),
            Err(message) => local_error.set(Some(message)),
        }
    };
    let input = match control {
        Control::Boolean => {
            let checked = {
                let path = path.clone();
                move || {
                    document.with(|loaded| {
                        loaded
                            .as_ref()
                            .and_then(|d| schema_form::get(d, &path))
                            .and_then(Value::as_bool)
                            .unwrap_or(false)
                    })
                }
            };
            let write = write.clone();
            view! {
                <input
                    type="checkbox"
                    id=id.clone()
                    aria-describedby=described_by.clone()
                    disabled=read_only
                    prop:checked=checked
                    on:change=move |event| write(Some(Value::Bool(event_target_checked(&event))))
                />
            }
            .into_any()
        }
        Control::Choice(choices) => view! {
            <select
                id=id.clone()
                aria-describedby=described_by.clone()
                disabled=read_only
                prop:value=current
                on:change=move |event| entered(event_target_value(&event))
            >
                <option value="">"—"</option>
                {choices
                    .iter()
                    .enumerate()
                    .map(|(index, choice)| {
                        let label = match choice {
                            Value::String(text) => text.clone(),
                            other => other.to_string(),
                        };
                        view! { <option value=index.to_string()>{label}</option> }
                    })
                    .collect_view()}
            </select>
        }
        .into_any(),
        Control::Json => view! {
            <textarea
                id=id.clone()
                class="json-editor"
                rows="3"
                spellcheck="false"
                aria-describedby=described_by.clone()
                disabled=read_only
                prop:value=current
                on:change=move |event| entered(event_target_value(&event))
            ></textarea>
        }
        .into_any(),
        Control::Object(_) => unreachable!("objects are fieldsets"),
        Control::List(item) => {
            return list_view(ListParts {
                id,
                label,
                item: *item,
                path,
                read_only,
                hint: hint.into_any(),
                document,
                write: std::sync::Arc::new(write),
                server_error: server_error.into_any(),
            });
        }
        other => {
            let (kind, step) = match other {
                Control::Date => ("date", None),
                Control::Integer => ("number", Some("1")),
                Control::Number => ("number", Some("any")),
                _ => ("text", None),
            };
            view! {
                <input
                    type=kind
                    step=step
                    id=id.clone()
                    aria-describedby=described_by.clone()
                    disabled=read_only
                    prop:value=current
                    on:change=move |event| entered(event_target_value(&event))
                />
            }
            .into_any()
        }
    };
    view! {
        <div class="schema-field">
            <label for=id>{label} " " {read_only_note}</label>
            {input}
            {hint}
            {move || local_error.get().map(|message| view! { <p class="field-error">{message}</p> })}
            {server_error}
        </div>
    }
    .into_any()
}

struct ListParts {
    id: String,
    label: String,
    item: Control,
    path: Vec<String>,
    read_only: bool,
    hint: AnyView,
    document: Memo<Option<Value>>,
    write: std::sync::Arc<dyn Fn(Option<Value>) + Send + Sync>,
    server_error: AnyView,
}

/// A list of scalars: an input per item, each removable, and a button that adds one. An added
/// item stays blank on screen until it holds something; only filled items are in the document.
fn list_view(parts: ListParts) -> AnyView {
    let ListParts {
        id,
        label,
        item,
        path,
        read_only,
        hint,
        document,
        write,
        server_error,
    } = parts;
    let blanks = RwSignal::new(0usize);
    let stored = {
        let (item, path) = (item.clone(), path.clone());
        move || {
            document
                .with(|loaded| schema_form::list_items(&item, loaded.as_ref().and_then(|d| schema_form::get(d, &path))))
        }
    };
    let texts = {
        let stored = stored.clone();
        move || {
            let mut texts = stored();
            texts.extend(std::iter::repeat_n(String::new(), blanks.get()));
            texts
        }
    };
    // Writes the list with item `index` set to `text` (`None` removes it); inputs left blank stay
    // on screen as blanks.
    let change = {
        let (item, stored, write) = (item.clone(), stored.clone(), write.clone());
        move |index: usize, text: Option<String>| {
            let mut all = stored();
            all.extend(std::iter::repeat_n(String::new(), blanks.get_untracked()));
            match text {
                Some(text) => all[index] = text,
                None => {
                    all.remove(index);
                }
            }
            let kept: Vec<String> = all.iter().filter(|text| !text.trim().is_empty()).cloned().collect();
            blanks.set(all.len() - kept.len());
            if let Ok(value) = schema_form::list_value(&item, &kept) {
                write(value);
            }
        }
    };
    let kind = match item {
        Control::Date => "date",
        Control::Integer | Control::Number => "number",
        _ => "text",
    };
    let choices = match &item {
        Control::Choice(choices) => Some(choices.clone()),
        _ => None,
    };
    let rows = {
        let (id, label, change) = (id.clone(), label.clone(), change.clone());
        move || {
            texts()
                .into_iter()
                .enumerate()
                .map(|(index, text)| {
                    let input_id = format!("{id}-{index}");
                    let name = format!("{label}, item {}", index + 1);
                    let (set, remove) = (change.clone(), change.clone());
                    let input = match &choices {
                        Some(choices) => view! {
                            <select
                                id=input_id
                                aria-label=name.clone()
                                disabled=read_only
                                prop:value=text
                                on:change=move |event| set(index, Some(event_target_value(&event)))
                            >
                                <option value="">"—"</option>
                                {choices
                                    .iter()
                                    .enumerate()
                                    .map(|(at, choice)| {
                                        let shown = choice.as_str().map_or_else(|| choice.to_string(), str::to_owned);
                                        view! { <option value=at.to_string()>{shown}</option> }
                                    })
                                    .collect_view()}
                            </select>
                        }
                        .into_any(),
                        None => view! {
                            <input
                                type=kind
                                step="any"
                                id=input_id
                                aria-label=name.clone()
                                disabled=read_only
                                prop:value=text
                                on:change=move |event| set(index, Some(event_target_value(&event)))
                            />
                        }
                        .into_any(),
                    };
                    view! {
                        <div class="schema-list-item">
                            {input}
                            <button
                                type="button"
                                class="button"
                                id=format!("{id}-{index}-remove")
                                aria-label=format!("Remove {name}")
                                disabled=read_only
                                on:click=move |_| remove(index, None)
                            >
                                "Remove"
                            </button>
                        </div>
                    }
                })
                .collect_view()
        }
    };
    view! {
        <fieldset class="schema-object schema-list" id=id.clone()>
            <legend>{label}</legend>
            {hint}
            {rows}
            <button
                type="button"
                class="button"
                id=format!("{id}-add")
                disabled=read_only
                on:click=move |_| blanks.update(|blanks| *blanks += 1)
            >
                "Add an item"
            </button>
            {server_error}
        </fieldset>
    }
    .into_any()
}
