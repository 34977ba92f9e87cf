//! The members page's "API clients" panel, for the organization's ADMINs: create a client for a
//! partner application with the scopes it needs, hand over its credentials (the secret is shown
//! once), and give a client a new secret or delete it.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use steward_frontend::api_scopes::{self, SCOPES};
use web_sys::{ScrollIntoViewOptions, ScrollLogicalPosition};

use crate::api::api_clients::{
    create_api_client, delete_api_client, load_api_clients, rotate_api_client_secret, ApiClient, ClientCredentials,
};
use crate::api::{use_session, ApiError};
use crate::components::confirm::ConfirmButtons;
use crate::components::copy_field::CopyField;
use crate::components::data_table::{Column, DataTable};
use crate::components::error_box::{ErrorBox, FieldError};
use crate::components::fields::{BusyButton, TextField};
use crate::components::outcome::{error_of, Outcome};
use crate::format;

/// What a row's confirm step does to its client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ClientChange {
    Rotate,
    Delete,
}

/// Credentials on screen until "Done": a new client's, or an existing one's after a rotation.
#[derive(Clone, Debug, PartialEq)]
struct Handover {
    credentials: ClientCredentials,
    rotated: bool,
}

#[component]
pub fn ApiClientsPanel(organization_id: String) -> impl IntoView {
    let session = use_session();
    let clients = LocalResource::new({
        let organization_id = organization_id.clone();
        move || load_api_clients(session, organization_id.clone())
    });
    let name = RwSignal::new(String::new());
    let scopes = RwSignal::new(Vec::<&'static str>::new());
    let handover = RwSignal::new(None::<Handover>);

    let create = Action::new_local(move |(client_name, chosen): &(String, Vec<String>)| {
        let (client_name, chosen) = (client_name.clone(), chosen.clone());
        let organization_id = organization_id.clone();
        async move {
            let credentials = create_api_client(session, organization_id, client_name, chosen).await?;
            let notice = format!("Created {}.", credentials.name);
            let _ = name.try_set(String::new());
            let _ = scopes.try_set(Vec::new());
            let _ = handover.try_set(Some(Handover {
                credentials,
                rotated: false,
            }));
            clients.refetch();
            Ok::<_, ApiError>(notice)
        }
    });
    let change = Action::new_local(move |(change, client): &(ClientChange, ApiClient)| {
        let (change, client) = (*change, client.clone());
        async move {
            let result = match change {
                ClientChange::Rotate => rotate_api_client_secret(session, client.id.clone())
                    .await
                    .map(|credentials| {
                        let _ = handover.try_set(Some(Handover {
                            credentials,
                            rotated: true,
                        }));
                        format!(
                            "{} has a new secret. The old one, and every token issued with it, no longer work.",
                            client.name
                        )
                    }),
                ClientChange::Delete => delete_api_client(session, client.id.clone()).await.map(|()| {
                    // The credentials of a deleted client are of no use any more.
                    let _ = handover.try_update(|shown| {
                        if shown
                            .as_ref()
                            .is_some_and(|on_screen| on_screen.credentials.id == client.id)
                        {
                            *shown = None;
                        }
                    });
                    format!("Deleted {}. Its tokens no longer work.", client.name)
                }),
            };
            // A refusal may itself mean the list is out of date, e.g. a client deleted elsewhere.
            clients.refetch();
            result
        }
    });
    let create_result = Signal::derive(move || create.value().get());
    let change_result = Signal::derive(move || change.value().get());
    let busy = Signal::derive(move || create.pending().get() || change.pending().get());
    let running = Signal::derive(move || {
        change
            .input()
            .with(|input| input.as_ref().map(|(change, client)| (*change, client.id.clone())))
    });

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        change.value().set(None);
        let chosen = scopes.with_untracked(|chosen| api_scopes::in_documented_order(chosen));
        create.dispatch_local((name.get_untracked().trim().to_owned(), chosen));
    };

    view! {
        <div class="panel" id="api-clients-panel">
            <h2>"API clients"</h2>
            <form class="form" id="new-api-client-form" on:submit=submit>
                <p class="hint">
                    "A partner application calls the API for this organization with its own "
                    "credentials, and may do only what its scopes allow."
                </p>
                <TextField
                    id="api-client-name"
                    label="Name"
                    required=true
                    value=name
                    error=error_of(create_result)
                    field="name"
                />
                <ScopeChoices scopes=scopes />
                <FieldError error=error_of(create_result) field="scopes" />
                <div class="form-actions">
                    <BusyButton
                        id="create-api-client"
                        label="Create client"
                        running_label="Creating…"
                        running=create.pending()
                        disabled=busy
                    />
                </div>
                <Outcome error_id="create-api-client-error" notice_id="api-client-created" result=create_result />
            </form>
            {move || {
                handover
                    .get()
                    .map(|shown| {
                        view! {
                            <CredentialsHandover
                                handover=shown
                                on_done=Callback::new(move |()| handover.set(None))
                            />
                        }
                    })
            }}
            <h3 class="subheading">"Clients"</h3>
            <Outcome error_id="api-client-change-error" notice_id="api-client-changed" result=change_result />
            <Transition fallback=|| view! { <p class="muted">"Loading API clients…"</p> }>
                {move || Suspend::new(async move {
                    match clients.await {
                        Ok(rows) => {
                            view! {
                                <ApiClientsTable
                                    rows=rows
                                    busy=busy
                                    running=running
                                    on_change=Callback::new(move |request: (ClientChange, ApiClient)| {
                                        create.value().set(None);
                                        change.dispatch_local(request);
                                    })
                                />
                            }
                                .into_any()
                        }
                        Err(error) => {
                            view! { <ErrorBox id="api-clients-error" error=Some(error) /> }.into_any()
                        }
                    }
                })}
            </Transition>
        </div>
    }
}

/// One checkbox per scope, each with what it allows. Each checkbox's id is `api-client-scope-`
/// followed by the scope with `-` for `:`, e.g. `api-client-scope-users-read`.
#[component]
fn ScopeChoices(scopes: RwSignal<Vec<&'static str>>) -> impl IntoView {
    view! {
        <fieldset class="choices scope-choices">
            <legend>"Scopes"</legend>
            {SCOPES
                .into_iter()
                .map(|scope| {
                    let id = format!("api-client-scope-{}", scope.id_suffix());
                    let label_for = id.clone();
                    view! {
                        <label class="choice scope-choice" for=label_for>
                            <input
                                type="checkbox"
                                id=id
                                prop:checked=move || scopes.with(|chosen| chosen.contains(&scope.name))
                                on:change=move |event| {
                                    let checked = event_target_checked(&event);
                                    scopes
                                        .update(|chosen| {
                                            chosen.retain(|held| *held != scope.name);
                                            if checked {
                                                chosen.push(scope.name);
                                            }
                                        });
                                }
                            />
                            <span class="scope-name mono">{scope.name}</span>
                            <span class="scope-explanation">{scope.explanation}</span>
                        </label>
                    }
                })
                .collect_view()}
        </fieldset>
    }
}

/// The client ID and the secret, this once, with a command that obtains a token with them.
#[component]
fn CredentialsHandover(handover: Handover, on_done: Callback<()>) -> impl IntoView {
    let ClientCredentials {
        name,
        client_id,
        secret,
        ..
    } = handover.credentials;
    let heading = if handover.rotated {
        format!("New secret for {name}")
    } else {
        format!("Credentials for {name}")
    };
    let origin = window().location().origin().unwrap_or_default();
    let example = api_scopes::token_request_example(&origin, &client_id, &secret);

    // Rotating happens down in the table: bring the new secret into view.
    let container = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if let Some(container) = container.get() {
            let options = ScrollIntoViewOptions::new();
            options.set_block(ScrollLogicalPosition::Nearest);
            container.scroll_into_view_with_scroll_into_view_options(&options);
        }
    });

    view! {
        <div
            class="api-client-credentials"
            id="api-client-credentials"
            node_ref=container
            role="region"
            aria-labelledby="api-client-credentials-heading"
        >
            <h3 id="api-client-credentials-heading">{heading}</h3>
            <p class="api-client-warning" id="api-client-secret-warning">
                "Copy the secret now: it is not shown again."
            </p>
            <dl class="details">
                <dt>"Client ID"</dt>
                <dd class="mono" id="api-client-id">
                    {client_id}
                </dd>
            </dl>
            <label for="api-client-secret">"Client secret"</label>
            <CopyField id="api-client-secret" button_id="copy-api-client-secret" value=secret />
            <p class="hint">"To obtain a token (valid one hour) with these credentials:"</p>
            <pre class="json token-example" id="api-client-curl">{example}</pre>
            <div class="form-actions">
                <button
                    type="button"
                    class="button secondary"
                    id="api-client-done"
                    on:click=move |_| on_done.run(())
                >
                    "Done"
                </button>
            </div>
        </div>
    }
}

#[component]
fn ApiClientsTable(
    rows: Vec<ApiClient>,
    /// Any request of the panel is under way: every button waits.
    #[prop(into)]
    busy: Signal<bool>,
    /// The change under way, and the id of the client it concerns.
    #[prop(into)]
    running: Signal<Option<(ClientChange, String)>>,
    on_change: Callback<(ClientChange, ApiClient)>,
) -> impl IntoView {
    let body = if rows.is_empty() {
        view! {
            <tr>
                <td colspan="6" class="muted">
                    "No API clients yet."
                </td>
            </tr>
        }
        .into_any()
    } else {
        rows.into_iter()
            .map(|client| view! { <ApiClientRows client=client busy=busy running=running on_change=on_change /> })
            .collect_view()
            .into_any()
    };
    view! {
        <div class="table-scroll">
            <DataTable
                id="api-clients-table"
                columns=vec![
                    Column::new("Name"),
                    Column::new("Client ID"),
                    Column::new("Scopes"),
                    Column::new("Created"),
                    Column::new("Last used"),
                ]
                actions=true
            >
                {body}
            </DataTable>
        </div>
    }
}

/// One client: its row, then (when open) the confirm step of rotating its secret or deleting it.
/// The confirm buttons are `confirm-rotate-api-client-{id}` / `cancel-rotate-api-client-{id}` and
/// `confirm-delete-api-client-{id}` / `cancel-delete-api-client-{id}`.
#[component]
fn ApiClientRows(
    client: ApiClient,
    busy: Signal<bool>,
    running: Signal<Option<(ClientChange, String)>>,
    on_change: Callback<(ClientChange, ApiClient)>,
) -> impl IntoView {
    let id = client.id.clone();
    let confirming_rotate = RwSignal::new(false);
    let confirming_delete = RwSignal::new(false);
    let is_running = {
        let id = id.clone();
        move |change: ClientChange| {
            let id = id.clone();
            Signal::derive(move || {
                running.with(|running| matches!(running, Some((what, whose)) if *what == change && *whose == id))
            })
        }
    };
    let scopes = client.scopes.join(", ");
    let created = format::timestamp(&client.created_at);
    let last_used = format::optional_timestamp(client.last_used_at.as_deref(), "Never");

    let confirm_step = {
        let client = client.clone();
        let id = id.clone();
        move |change: ClientChange| {
            let (key, text, label, running_label, confirming) = match change {
                ClientChange::Rotate => (
                    "rotate",
                    format!(
                        "Give {} a new secret? The current secret, and every token issued with it, stop working \
                         at once: the application needs the new one.",
                        client.name
                    ),
                    "Rotate secret",
                    "Rotating…",
                    confirming_rotate,
                ),
                ClientChange::Delete => (
                    "delete",
                    format!(
                        "Delete {}? The application can no longer obtain tokens, and those it holds stop working \
                         at once.",
                        client.name
                    ),
                    "Delete client",
                    "Deleting…",
                    confirming_delete,
                ),
            };
            let box_id = format!("{key}-api-client-{id}-confirm");
            let confirm_id = format!("confirm-{key}-api-client-{id}");
            let cancel_id = format!("cancel-{key}-api-client-{id}");
            let running = is_running(change);
            let client = client.clone();
            view! {
                <Show when=move || confirming.get()>
                    <tr class="access-detail-row">
                        <td colspan="6">
                            <div class="access-confirm" id=box_id.clone()>
                                <p class="access-confirm-text">{text.clone()}</p>
                                <ConfirmButtons
                                    confirm_id=confirm_id.clone()
                                    cancel_id=cancel_id.clone()
                                    label=label
                                    running_label=running_label
                                    running=running
                                    disabled=busy
                                    confirming=confirming
                                    on_confirm={
                                        let client = client.clone();
                                        move |_| on_change.run((change, client.clone()))
                                    }
                                />
                            </div>
                        </td>
                    </tr>
                </Show>
            }
        }
    };
    let rotate_step = confirm_step(ClientChange::Rotate);
    let delete_step = confirm_step(ClientChange::Delete);

    view! {
        <tr data-api-client-id=id.clone()>
            <td>{client.name.clone()}</td>
            <td class="mono">{client.client_id.clone()}</td>
            <td class="mono">{scopes}</td>
            <td>{created}</td>
            <td>{last_used}</td>
            <td class="actions-column">
                <div class="row-actions">
                    <button
                        type="button"
                        class="button secondary"
                        id=format!("rotate-api-client-{id}")
                        aria-label=format!("Rotate the secret of {}", client.name)
                        disabled=move || busy.get() || confirming_rotate.get()
                        on:click=move |_| {
                            confirming_delete.set(false);
                            confirming_rotate.set(true);
                        }
                    >
                        "Rotate secret"
                    </button>
                    <button
                        type="button"
                        class="button danger-outline"
                        id=format!("delete-api-client-{id}")
                        aria-label=format!("Delete {}", client.name)
                        disabled=move || busy.get() || confirming_delete.get()
                        on:click=move |_| {
                            confirming_rotate.set(false);
                            confirming_delete.set(true);
                        }
                    >
                        "Delete"
                    </button>
                </div>
            </td>
        </tr>
        {rotate_step}
        {delete_step}
    }
}
