//! Turning a request's bearer token into a principal, checking on every request that the session
//! and the user (or the API client) are still valid.

use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::domain::authz::keys::{Claims, ClientClaims, TokenClaims};
use crate::domain::state::AppState;
use crate::error::{Error, Result};
use crate::policy::roles::{RoleSet, ACTIVE};
use crate::policy::settings::OrgSettings;
use steward_entity::{api_client, membership, organization, session, user, ApiClientId, OrgId, SessionId, UserId};

/// Leave to check or hash passwords for one operation of one request. Only
/// [`Caller::password_operation`] hands one out, once per request, and the hasher
/// wants one for every hash: so no request, however many aliases it holds, makes the server hash
/// for more than one operation.
pub struct PasswordOperation {
    _private: (),
}

impl PasswordOperation {
    /// For [`Caller::password_operation`] alone.
    fn granted() -> Self {
        Self { _private: () }
    }

    /// For the hasher's own unit tests.
    #[cfg(test)]
    pub(crate) fn for_tests() -> Self {
        Self::granted()
    }
}

/// A signed-in user as this request sees them.
#[derive(Debug)]
pub struct UserPrincipal {
    pub user_id: UserId,
    pub session_id: SessionId,
    pub superadmin: bool,
    /// The session may only change the password, read the viewer and sign out.
    pub password_change_only: bool,
    /// The session was bound to one organization at sign-in.
    pub bound_org: Option<OrgId>,
    /// The organizations this session reaches, with the caller's roles there. An org where the
    /// membership is suspended, or whose verified-email rule the user fails, is not in it.
    pub reach: HashMap<OrgId, RoleSet>,
}

/// A partner application, acting inside its one organization with its scopes.
#[derive(Debug)]
pub struct ClientPrincipal {
    pub id: ApiClientId,
    pub org_id: OrgId,
    pub scopes: Vec<String>,
}

impl ClientPrincipal {
    pub fn has(&self, scope: &str) -> bool {
        self.scopes.iter().any(|granted| granted == scope)
    }
}

#[derive(Debug)]
pub enum Principal {
    Anonymous,
    User(Arc<UserPrincipal>),
    Client(Arc<ClientPrincipal>),
    /// A token was presented and did not hold; requests that need sign-in fail with this code.
    Rejected(&'static str),
}

/// The operator at the command line (`steward create-admin`, `import-users`, `export-users`, the
/// first-start setup link): whoever runs the binary holds the database anyway, so this is the one
/// capability that needs no sign-in. It offers [`Operator`](super::Operator) and nothing else.
pub struct CommandLine(Caller);

impl CommandLine {
    pub fn new(state: AppState) -> Self {
        Self(Caller::operator(state))
    }

    pub fn operator(&self) -> super::Operator<'_> {
        self.0.operator_scope()
    }
}

/// What a long-lived connection (the live audit log over WebSocket) signed in with, so that its
/// caller can be built anew before each delivery: a block, a suspension, a lost role, a revoked
/// session or an expired token bites as it would on the next request. Not `Debug`: it holds the
/// token.
#[derive(Clone)]
pub struct Credentials {
    state: AppState,
    token: String,
    ip: Option<String>,
    user_agent: Option<String>,
}

impl Credentials {
    pub fn new(state: AppState, token: String, ip: Option<String>, user_agent: Option<String>) -> Self {
        Self {
            state,
            token,
            ip,
            user_agent,
        }
    }

    /// The caller these credentials make now.
    pub async fn caller(&self) -> Caller {
        Caller::from_bearer(
            self.state.clone(),
            Some(&self.token),
            self.ip.clone(),
            self.user_agent.clone(),
        )
        .await
    }
}

/// Everything a request knows about its caller, and the door to every capability.
pub struct Caller {
    pub(super) state: AppState,
    pub principal: Principal,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub(super) operator: bool,
    /// Whether this request has used its one password operation.
    password_operation_spent: AtomicBool,
}

impl Caller {
    /// The operator at the command line, who holds the database anyway.
    fn operator(state: AppState) -> Self {
        Self {
            state,
            principal: Principal::Anonymous,
            ip: None,
            user_agent: Some("steward cli".into()),
            operator: true,
            password_operation_spent: AtomicBool::new(false),
        }
    }

    /// Authenticates a bearer token. A bad token does not fail the request here: operations that
    /// need sign-in fail later, and public ones (sign-in itself) still work.
    pub async fn from_bearer(
        state: AppState,
        token: Option<&str>,
        ip: Option<String>,
        user_agent: Option<String>,
    ) -> Self {
        let principal = match token {
            None => Principal::Anonymous,
            Some(token) => match authenticate(&state, token).await {
                Ok(principal) => principal,
                Err(Error::UserBlocked) => Principal::Rejected("USER_BLOCKED"),
                Err(Error::Internal(error)) => {
                    tracing::error!(error = format!("{error:#}"), "authentication failed");
                    Principal::Rejected("INTERNAL")
                }
                Err(_) => Principal::Rejected("UNAUTHENTICATED"),
            },
        };
        Self {
            state,
            principal,
            ip,
            user_agent,
            operator: false,
            password_operation_spent: AtomicBool::new(false),
        }
    }

    /// Leave for this request's one operation that checks or sets a password (sign-in, a
    /// password change, an invitation accepted with a password, …). A second one in the same
    /// request (aliases, or several such mutations) is refused: each costs a deliberately slow
    /// hash, and several in one request would multiply guesses and work past every limit.
    pub(in crate::domain) fn password_operation(&self) -> Result<PasswordOperation> {
        if self.password_operation_spent.swap(true, Ordering::SeqCst) {
            return Err(Error::invalid(
                "request",
                "a request may hold only one operation that checks or sets a password; send the others in requests of their own",
            ));
        }
        Ok(PasswordOperation::granted())
    }

    pub fn app(&self) -> &AppState {
        &self.state
    }

    /// The signed-in user, whatever their session may do.
    pub fn user(&self) -> Result<&Arc<UserPrincipal>> {
        match &self.principal {
            Principal::User(user) => Ok(user),
            Principal::Client(_) => Err(Error::Forbidden(
                "API clients act on their organization's users; this needs a signed-in user",
            )),
            Principal::Rejected("USER_BLOCKED") => Err(Error::UserBlocked),
            Principal::Rejected("INTERNAL") => Err(Error::internal(anyhow::anyhow!("authentication failed"))),
            _ => Err(Error::Unauthenticated),
        }
    }

    /// The signed-in user, with a session that may do more than change its password.
    pub fn full_user(&self) -> Result<&Arc<UserPrincipal>> {
        let user = self.user()?;
        if user.password_change_only {
            return Err(Error::Forbidden("a password change is required before anything else"));
        }
        Ok(user)
    }

    /// The organization the caller acts from, to brand what they send: the one their session is
    /// bound to, the only one they reach, or an API client's own.
    pub fn acting_org(&self) -> Option<OrgId> {
        if let Some(client) = self.client() {
            return Some(client.org_id);
        }
        let me = self.user().ok()?;
        me.bound_org
            .or_else(|| (me.reach.len() == 1).then(|| me.reach.keys().next().copied()).flatten())
    }

    /// The API client calling, if one is.
    pub fn client(&self) -> Option<&Arc<ClientPrincipal>> {
        match &self.principal {
            Principal::Client(client) => Some(client),
            _ => None,
        }
    }

    /// Anyone authenticated: a user (even one who must change their password first) or an API
    /// client.
    pub fn authenticated(&self) -> Result<()> {
        if self.client().is_some() {
            return Ok(());
        }
        self.user().map(|_| ())
    }

    /// Anyone authenticated who may do more than change a password: a user with a full session,
    /// or an API client.
    pub fn signed_in(&self) -> Result<()> {
        if self.client().is_some() {
            return Ok(());
        }
        self.full_user().map(|_| ())
    }
}

async fn authenticate(state: &AppState, token: &str) -> Result<Principal> {
    let now = state.clock.now();
    match state.keys.verify(token, now.timestamp()).await? {
        TokenClaims::User(claims) => Ok(Principal::User(Arc::new(authenticate_user(state, claims).await?))),
        TokenClaims::Client(claims) => Ok(Principal::Client(Arc::new(authenticate_client(state, claims).await?))),
    }
}

/// A client's token holds while the client exists and its secret has not been rotated since the
/// token was issued: deleting or rotating bites on the very next request.
async fn authenticate_client(state: &AppState, claims: ClientClaims) -> Result<ClientPrincipal> {
    let client = api_client::Entity::find_by_id(claims.cid)
        .one(state.database.reader())
        .await?
        .ok_or(Error::Unauthenticated)?;
    if client.org_id != claims.org || claims.ver != client.secret_version {
        return Err(Error::Unauthenticated);
    }
    let granted = crate::policy::client_scopes::held_by(&client);
    // The token's scopes, narrowed to what the client still holds.
    let scopes = claims
        .scope
        .split_whitespace()
        .filter(|scope| granted.iter().any(|held| held == scope))
        .map(str::to_owned)
        .collect();
    Ok(ClientPrincipal {
        id: client.id,
        org_id: client.org_id,
        scopes,
    })
}

async fn authenticate_user(state: &AppState, claims: Claims) -> Result<UserPrincipal> {
    let now = state.clock.now();
    let database = state.database.reader();
    // The session and its user in one round trip.
    let (session, user) = session::Entity::find_by_id(claims.sid)
        .find_also_related(user::Entity)
        .one(database)
        .await?
        .ok_or(Error::Unauthenticated)?;
    let user = user.ok_or(Error::Unauthenticated)?;
    if session.revoked_at.is_some() || session.expires_at <= now || session.user_id != claims.sub {
        return Err(Error::Unauthenticated);
    }
    if user.blocked {
        return Err(Error::UserBlocked);
    }
    let mut memberships = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user.id))
        .filter(membership::Column::Status.eq(ACTIVE))
        .find_also_related(organization::Entity);
    if let Some(org_id) = session.org_id {
        memberships = memberships.filter(membership::Column::OrgId.eq(org_id));
    }
    let mut reach = HashMap::new();
    for (membership, org) in memberships.all(database).await? {
        let Some(org) = org else { continue };
        if OrgSettings::from_json(&org.settings).require_verified_email && !user.email_verified {
            continue;
        }
        reach.insert(membership.org_id, RoleSet::of(&membership));
    }
    if now - session.last_used_at > Duration::seconds(60) {
        // Throttled so that a busy client does not write on every request.
        let _ = session::Entity::update_many()
            .col_expr(session::Column::LastUsedAt, sea_orm::sea_query::Expr::value(now))
            .filter(session::Column::Id.eq(session.id))
            .exec(database)
            .await;
    }
    Ok(UserPrincipal {
        user_id: user.id,
        session_id: session.id,
        // A session bound to one organization reaches that one only, superadmin or not.
        superadmin: user.is_superadmin && session.org_id.is_none(),
        password_change_only: session.password_change_only,
        bound_org: session.org_id,
        reach,
    })
}
