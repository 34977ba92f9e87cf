//! An organization's audit log: pages of it, and the live stream of new events over WebSocket
//! (graphql-transport-ws at `/graphql/ws`, the access token in the connection's init payload).

use graphql_client::GraphQLQuery;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

use super::client::{execute, refresh, Session};
use super::error::{ApiError, ErrorCode};
#[allow(unused_imports)] // referenced by the generated code through `super::*`
use super::types::{DateTime, JSON};

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/audit.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct OrgAuditEvents;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/audit.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct LiveAuditEvents;

/// How many events one page shows.
pub const PAGE_SIZE: i64 = 50;

/// One event, as the page shows it, whether it came in a page or live.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditEntry {
    pub id: String,
    pub kind: String,
    pub at: String,
    pub actor_user_id: Option<String>,
    pub actor_api_client_id: Option<String>,
    pub target_user_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub details: serde_json::Value,
}

/// An `AuditEntry` from an event as a page or the live stream brings it: the two generated types
/// have the same fields.
macro_rules! entry {
    ($node:expr) => {{
        let node = $node;
        AuditEntry {
            id: node.id,
            kind: node.type_,
            at: node.at,
            actor_user_id: node.actor_user_id,
            actor_api_client_id: node.actor_api_client_id,
            target_user_id: node.target_user_id,
            ip: node.ip,
            user_agent: node.user_agent,
            details: node.details,
        }
    }};
}

/// What the audit page filters by.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AuditFilter {
    /// Only events about this user (their Activity).
    pub user_id: Option<String>,
    pub types: Vec<String>,
    /// RFC 3339 instants.
    pub since: Option<String>,
    pub until: Option<String>,
}

/// One page of events and what is needed to page on.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub next_cursor: Option<String>,
    pub total: i64,
}

/// One page of events, newest first: of one organization, or (`None`) of every organization
/// whose log the viewer may read.
pub async fn load_audit(
    session: Session,
    organization_id: Option<String>,
    filter: AuditFilter,
    after: Option<String>,
) -> Result<AuditPage, ApiError> {
    let variables = org_audit_events::Variables {
        org_id: organization_id,
        user_id: filter.user_id,
        types: (!filter.types.is_empty()).then_some(filter.types),
        since: filter.since,
        until: filter.until,
        first: PAGE_SIZE,
        after,
    };
    let data = execute::<OrgAuditEvents>(session, variables).await?;
    let events = data.audit_events;
    Ok(AuditPage {
        next_cursor: events
            .page_info
            .has_next_page
            .then_some(events.page_info.end_cursor)
            .flatten(),
        total: events.total_count,
        entries: events
            .edges
            .into_iter()
            .map(|edge| {
                let node = edge.node;
                entry!(node)
            })
            .collect(),
    })
}

/// Why a live stream stopped, for the page to say.
#[derive(Clone, Debug, PartialEq)]
pub enum LiveEnd {
    /// The server refused or ended the subscription: its error.
    Refused(ApiError),
    /// The connection closed (the network, the server restarting).
    Closed,
}

/// A live stream of an organization's events; dropping it closes the connection.
pub struct LiveAudit {
    socket: WebSocket,
    // Kept alive as long as the socket may call them.
    _handlers: Vec<Closure<dyn FnMut(web_sys::Event)>>,
}

impl Drop for LiveAudit {
    fn drop(&mut self) {
        self.socket.set_onopen(None);
        self.socket.set_onmessage(None);
        self.socket.set_onclose(None);
        let _ = self.socket.close();
    }
}

/// A GraphQL error as the server sent it over the socket.
fn refusal(error: &serde_json::Value) -> ApiError {
    match serde_json::from_value::<graphql_client::Error>(error.clone()) {
        Ok(error) => ApiError::from_graphql(&error),
        Err(_) => ApiError::local(ErrorCode::UnexpectedResponse, "The server ended the live updates."),
    }
}

/// The WebSocket address of the subscription endpoint, on the page's own host.
fn endpoint() -> Result<String, ApiError> {
    let location = web_sys::window()
        .ok_or_else(|| ApiError::local(ErrorCode::UnexpectedResponse, "no window"))?
        .location();
    let protocol = location.protocol().unwrap_or_default();
    let host = location.host().unwrap_or_default();
    let scheme = if protocol == "https:" { "wss" } else { "ws" };
    Ok(format!("{scheme}://{host}/graphql/ws"))
}

/// Subscribes to the organization's new events: `on_event` for each, `on_end` once when the
/// stream stops. The session's access token is refreshed first when it is about to be needed.
pub async fn follow(
    session: Session,
    organization_id: String,
    on_event: impl Fn(AuditEntry) + 'static,
    on_end: impl Fn(LiveEnd) + 'static,
) -> Result<LiveAudit, ApiError> {
    // A token close to expiry would end the stream at once: start from a fresh one.
    let _ = refresh(session).await;
    let token = session
        .access_token()
        .ok_or_else(|| ApiError::local(ErrorCode::Unauthenticated, "Not signed in."))?;
    let socket = WebSocket::new_with_str(&endpoint()?, "graphql-transport-ws")
        .map_err(|_| ApiError::local(ErrorCode::UnexpectedResponse, "The browser could not open a WebSocket."))?;
    let ended = Rc::new(RefCell::new(false));
    let on_end = Rc::new(on_end);
    let finish = {
        let (ended, on_end) = (ended.clone(), on_end.clone());
        move |why: LiveEnd| {
            if !ended.replace(true) {
                on_end(why);
            }
        }
    };
    let subscribe = serde_json::json!({
        "id": "audit",
        "type": "subscribe",
        "payload": LiveAuditEvents::build_query(live_audit_events::Variables { org_id: organization_id }),
    })
    .to_string();

    let opened = {
        let socket = socket.clone();
        let init = serde_json::json!({
            "type": "connection_init",
            "payload": { "Authorization": format!("Bearer {token}") },
        })
        .to_string();
        Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            let _ = socket.send_with_str(&init);
        })
    };
    let message = {
        let socket = socket.clone();
        let finish = finish.clone();
        Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
            let Some(text) = event
                .dyn_ref::<MessageEvent>()
                .and_then(|message| message.data().as_string())
            else {
                return;
            };
            let Ok(message) = serde_json::from_str::<serde_json::Value>(&text) else {
                return;
            };
            match message["type"].as_str() {
                Some("connection_ack") => {
                    let _ = socket.send_with_str(&subscribe);
                }
                Some("ping") => {
                    let _ = socket.send_with_str(r#"{"type":"pong"}"#);
                }
                Some("next") => {
                    let payload = &message["payload"];
                    if let Some(error) = payload["errors"].as_array().and_then(|errors| errors.first()) {
                        finish(LiveEnd::Refused(refusal(error)));
                        return;
                    }
                    let parsed = serde_json::from_value::<live_audit_events::ResponseData>(payload["data"].clone());
                    if let Ok(data) = parsed {
                        let node = data.audit_events;
                        on_event(entry!(node));
                    }
                }
                Some("error") => {
                    let error = message["payload"].as_array().and_then(|errors| errors.first()).cloned();
                    let error = error.map(|error| refusal(&error));
                    finish(error.map_or(LiveEnd::Closed, LiveEnd::Refused));
                }
                Some("complete") => finish(LiveEnd::Closed),
                _ => {}
            }
        })
    };
    let closed = {
        let finish = finish.clone();
        Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
            let _ = event.dyn_ref::<CloseEvent>();
            finish(LiveEnd::Closed);
        })
    };
    socket.set_onopen(Some(opened.as_ref().unchecked_ref()));
    socket.set_onmessage(Some(message.as_ref().unchecked_ref()));
    socket.set_onclose(Some(closed.as_ref().unchecked_ref()));
    Ok(LiveAudit {
        socket,
        _handlers: vec![opened, message, closed],
    })
}
