//! A GraphQL-over-WebSocket client speaking graphql-transport-ws, as a browser's or a partner's
//! client would, for the live audit log.

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a test waits for a message the server owes it before failing. A wait ends as soon as
/// the message arrives; this bounds only a broken server.
const PATIENCE: Duration = Duration::from_secs(30);

pub struct LiveConnection {
    socket: Socket,
    /// The close code the server sent, once it closed the connection.
    closed: Option<u16>,
}

/// What the server said about one subscription.
#[derive(Debug)]
pub enum Said {
    /// A result: its `data`, and its `errors` (empty when none).
    Next {
        data: Value,
        errors: Vec<Value>,
    },
    /// The subscription was refused: its errors.
    Error(Vec<Value>),
    Complete,
    /// The connection was closed, with this close code.
    Closed(Option<u16>),
}

impl Said {
    /// The `extensions.code` of the first error, if this carries errors.
    pub fn code(&self) -> Option<&str> {
        let errors = match self {
            Said::Next { errors, .. } | Said::Error(errors) => errors,
            _ => return None,
        };
        errors.first()?["extensions"]["code"].as_str()
    }
}

impl LiveConnection {
    /// Opens `/graphql/ws` on `base_url` and sends `connection_init` with `payload`. Answers the
    /// connection once acknowledged, or how the server ended it.
    pub async fn open(base_url: &str, payload: Value) -> Result<Self, Said> {
        let url = format!("{}/graphql/ws", base_url.replacen("http", "ws", 1));
        let mut request = url.into_client_request().expect("a WebSocket request");
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
        let (socket, response) = tokio_tungstenite::connect_async(request)
            .await
            .expect("WebSocket handshake");
        assert_eq!(
            response
                .headers()
                .get("sec-websocket-protocol")
                .and_then(|value| value.to_str().ok()),
            Some("graphql-transport-ws")
        );
        let mut connection = Self { socket, closed: None };
        connection
            .send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        match connection.receive().await {
            Some(message) if message["type"] == "connection_ack" => Ok(connection),
            Some(other) => panic!("expected connection_ack, got {other}"),
            None => Err(Said::Closed(connection.close_code())),
        }
    }

    /// Opens a connection signed in with `access_token`; panics if it is not acknowledged.
    pub async fn signed_in(base_url: &str, access_token: &str) -> Self {
        Self::open(base_url, json!({ "Authorization": format!("Bearer {access_token}") }))
            .await
            .expect("the connection is acknowledged")
    }

    /// As `subscribe`, for one named operation of a document that holds several.
    pub async fn subscribe_named(&mut self, id: &str, query: &str, operation: &str, variables: Value) {
        self.send(json!({
            "id": id,
            "type": "subscribe",
            "payload": { "query": query, "operationName": operation, "variables": variables },
        }))
        .await;
    }

    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({
            "id": id,
            "type": "subscribe",
            "payload": { "query": query, "variables": variables },
        }))
        .await;
    }

    /// The next thing the server says about subscription `id` (answering pings on the way).
    pub async fn next(&mut self, id: &str) -> Said {
        loop {
            let Some(message) = self.receive().await else {
                return Said::Closed(self.close_code());
            };
            match message["type"].as_str() {
                Some("ping") => self.send(json!({ "type": "pong" })).await,
                Some("pong") => {}
                _ if message["id"] != id => {}
                Some("next") => {
                    let payload = &message["payload"];
                    return Said::Next {
                        data: payload["data"].clone(),
                        errors: payload["errors"].as_array().cloned().unwrap_or_default(),
                    };
                }
                Some("error") => return Said::Error(message["payload"].as_array().cloned().unwrap_or_default()),
                Some("complete") => return Said::Complete,
                other => panic!("unexpected message type {other:?}: {message}"),
            }
        }
    }

    async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::text(message.to_string()))
            .await
            .expect("send on the WebSocket");
    }

    /// The next JSON message, or `None` once the connection is closed.
    async fn receive(&mut self) -> Option<Value> {
        loop {
            let message = tokio::time::timeout(PATIENCE, self.socket.next())
                .await
                .expect("the server said nothing for 30 s");
            match message {
                Some(Ok(Message::Text(text))) => return Some(serde_json::from_str(&text).expect("JSON message")),
                Some(Ok(Message::Close(frame))) => {
                    self.closed = frame.map(|frame| u16::from(frame.code));
                    return None;
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return None,
            }
        }
    }

    fn close_code(&self) -> Option<u16> {
        self.closed
    }
}
