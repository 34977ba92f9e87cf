//! Talking to `POST /graphql`: the in-memory session (access token and who is signed in), the fetch
//! itself, and the one automatic recovery — when the server says `UNAUTHENTICATED`, refresh the
//! session once through the HttpOnly cookie and repeat the request.
//!
//! The access token lives only in memory, never in storage a script could read back later; a page
//! reload recovers the session through the refresh cookie instead.

use std::cell::RefCell;

use futures::future::{FutureExt, LocalBoxFuture, Shared};
use graphql_client::{GraphQLQuery, Response as GraphQLResponse};
use leptos::prelude::*;
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, Request, RequestCredentials, RequestInit, Response};

use super::auth::{self, GrantedSession};
use super::error::{ApiError, ErrorCode};

const GRAPHQL_ENDPOINT: &str = "/graphql";

/// The signed-in person, as the header and the gate need them.
#[derive(Clone, Debug, PartialEq)]
pub struct SignedInUser {
    pub id: String,
    pub email: String,
    pub name: Option<String>,
    /// While set, the server accepts only `changeMyPassword`, `viewer` and `logout`, so the portal
    /// shows nothing but the change-password page.
    pub password_change_required: bool,
}

/// Where the portal stands with the server. `Checking` lasts from start-up until the first
/// `refreshSession` answers, so no sign-in form flashes for someone who is still signed in.
#[derive(Clone, Debug, PartialEq)]
pub enum AuthState {
    Checking,
    SignedOut,
    SignedIn(SignedInUser),
}

/// The token store, shared through context. It is `Copy`, so async code takes it by value and
/// never needs the reactive owner after an `.await`.
#[derive(Clone, Copy)]
pub struct Session {
    state: RwSignal<AuthState>,
    /// Kept out of the reactive graph on purpose: rotating the token must not re-render anything.
    access_token: StoredValue<Option<String>>,
    /// Set by an explicit sign-out, so the gate does not offer to come back to the page just left.
    left_on_purpose: StoredValue<bool>,
}

impl Session {
    fn new() -> Self {
        Self {
            state: RwSignal::new(AuthState::Checking),
            access_token: StoredValue::new(None),
            left_on_purpose: StoredValue::new(false),
        }
    }

    pub fn state(&self) -> ReadSignal<AuthState> {
        self.state.read_only()
    }

    /// The signed-in user, tracked, for views.
    pub fn user(&self) -> Option<SignedInUser> {
        match self.state.get() {
            AuthState::SignedIn(user) => Some(user),
            _ => None,
        }
    }

    pub(super) fn access_token(&self) -> Option<String> {
        self.access_token.get_value()
    }

    /// Adopts what `login`, `refreshSession` or `setupFirstAdmin` granted.
    pub fn establish(&self, granted: GrantedSession) {
        self.access_token.set_value(Some(granted.access_token));
        self.left_on_purpose.set_value(false);
        let next = AuthState::SignedIn(granted.user);
        if self.state.get_untracked() != next {
            self.state.set(next);
        }
    }

    /// Forgets the session because the person chose to sign out (after `logout` was sent).
    pub fn sign_out_locally(&self) {
        self.left_on_purpose.set_value(true);
        self.forget();
    }

    /// Whether the last sign-out was the person's own choice rather than an expired session.
    pub fn left_on_purpose(&self) -> bool {
        self.left_on_purpose.get_value()
    }

    /// Drops the token and shows the sign-in page; what is left on the server is `logout`'s job.
    pub fn forget(&self) {
        self.access_token.set_value(None);
        if self.state.get_untracked() != AuthState::SignedOut {
            self.state.set(AuthState::SignedOut);
        }
    }
}

/// Creates the session store for the whole app. Called once, at the root.
pub fn provide_session() -> Session {
    let session = Session::new();
    provide_context(session);
    session
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}

/// Runs an operation as the signed-in user. On `UNAUTHENTICATED` it refreshes the session once and
/// repeats the request; if the refresh fails too, the session is forgotten and the gate shows the
/// sign-in page.
pub async fn execute<Q: GraphQLQuery>(session: Session, variables: Q::Variables) -> Result<Q::ResponseData, ApiError>
where
    Q::ResponseData: DeserializeOwned,
{
    let body = request_body::<Q>(variables)?;
    let token_used = session.access_token();
    let first_error = match post::<Q::ResponseData>(&body, token_used.as_deref()).await {
        Err(error) if error.is(&ErrorCode::Unauthenticated) => error,
        other => return other,
    };
    // Another request may already have rotated the token while this one was on its way.
    let current_token = session.access_token();
    let already_rotated = current_token.is_some() && current_token != token_used;
    if !already_rotated && refresh(session).await.is_err() {
        return Err(first_error);
    }
    let retried = post::<Q::ResponseData>(&body, session.access_token().as_deref()).await;
    if matches!(&retried, Err(error) if error.is(&ErrorCode::Unauthenticated)) {
        session.forget();
    }
    retried
}

/// Runs an operation without a token and without retrying: signing in, the first-admin setup and
/// the password reset, which by nature come before any session.
pub async fn execute_public<Q: GraphQLQuery>(variables: Q::Variables) -> Result<Q::ResponseData, ApiError>
where
    Q::ResponseData: DeserializeOwned,
{
    let body = request_body::<Q>(variables)?;
    post::<Q::ResponseData>(&body, None).await
}

type RefreshFuture = Shared<LocalBoxFuture<'static, Result<(), ApiError>>>;

thread_local! {
    /// The refresh in flight, if any. Refresh tokens rotate and reusing a spent one revokes the
    /// whole session, so concurrent requests must share a single refresh rather than race.
    static REFRESH_IN_FLIGHT: RefCell<Option<RefreshFuture>> = const { RefCell::new(None) };
}

/// Exchanges the refresh cookie for a new access token. A failure that is about the session (not
/// the network) signs the portal out; a transient one leaves an existing session alone.
pub async fn refresh(session: Session) -> Result<(), ApiError> {
    let in_flight = REFRESH_IN_FLIGHT.with(|slot| {
        slot.borrow_mut()
            .get_or_insert_with(|| {
                async move {
                    let outcome = auth::refresh_session().await;
                    REFRESH_IN_FLIGHT.with(|slot| slot.borrow_mut().take());
                    match outcome {
                        Ok(granted) => {
                            session.establish(granted);
                            Ok(())
                        }
                        Err(error) => {
                            let signed_in = matches!(session.state.get_untracked(), AuthState::SignedIn(_));
                            if !(signed_in && error.code.is_transient()) {
                                session.forget();
                            }
                            Err(error)
                        }
                    }
                }
                .boxed_local()
                .shared()
            })
            .clone()
    });
    in_flight.await
}

fn request_body<Q: GraphQLQuery>(variables: Q::Variables) -> Result<String, ApiError> {
    serde_json::to_string(&Q::build_query(variables))
        .map_err(|error| ApiError::local(ErrorCode::UnexpectedResponse, error.to_string()))
}

/// One POST to the endpoint. The body is already serialized so a retry sends the same bytes.
async fn post<Data: DeserializeOwned>(body: &str, token: Option<&str>) -> Result<Data, ApiError> {
    let (status, text) = fetch_text(body, token)
        .await
        .map_err(|_| ApiError::local(ErrorCode::Network, "The server cannot be reached."))?;
    // Read the envelope loosely first: next to an error, `data` may be partial (a field the caller
    // may not see is left out), and that must not hide the error behind a parsing failure.
    match serde_json::from_str::<GraphQLResponse<serde_json::Value>>(&text) {
        Ok(response) => {
            if let Some(error) = response.errors.as_deref().and_then(<[_]>::first) {
                return Err(ApiError::from_graphql(error));
            }
            let data = response
                .data
                .ok_or_else(|| ApiError::local(ErrorCode::UnexpectedResponse, "The answer held no data."))?;
            serde_json::from_value(data)
                .map_err(|error| ApiError::local(ErrorCode::UnexpectedResponse, error.to_string()))
        }
        Err(_) if status == 429 => Err(ApiError::local(ErrorCode::RateLimited, "Too many requests.")),
        Err(_) if status == 401 => Err(ApiError::local(ErrorCode::Unauthenticated, "Sign in again.")),
        Err(error) => Err(ApiError::local(
            ErrorCode::UnexpectedResponse,
            format!("HTTP {status}: {error}"),
        )),
    }
}

/// The browser's fetch, same-origin so the refresh cookie goes along (it is SameSite=Strict).
async fn fetch_text(body: &str, token: Option<&str>) -> Result<(u16, String), JsValue> {
    send(
        GRAPHQL_ENDPOINT,
        &JsValue::from_str(body),
        Some("application/json"),
        token,
    )
    .await
}

/// A POST of `body` to `url` (same-origin), with the access token when there is one; answers the
/// status and the text of the answer.
pub(super) async fn send(
    url: &str,
    body: &JsValue,
    content_type: Option<&str>,
    token: Option<&str>,
) -> Result<(u16, String), JsValue> {
    let headers = Headers::new()?;
    if let Some(content_type) = content_type {
        headers.set("Content-Type", content_type)?;
    }
    headers.set("Accept", "application/json")?;
    if let Some(token) = token {
        headers.set("Authorization", &format!("Bearer {token}"))?;
    }
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_credentials(RequestCredentials::SameOrigin);
    init.set_headers(&headers);
    init.set_body(body);
    let request = Request::new_with_str_and_init(url, &init)?;
    let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
    let response: Response = JsFuture::from(window.fetch_with_request(&request)).await?.dyn_into()?;
    let text = JsFuture::from(response.text()?).await?;
    Ok((response.status(), text.as_string().unwrap_or_default()))
}
