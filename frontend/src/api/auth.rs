//! Signing in and out, keeping the session alive, and the flows that start from a link and end
//! with a password: reset, and accepting an invitation (which signs in).

use graphql_client::GraphQLQuery;

use super::client::{execute, execute_public, Session, SignedInUser};
use super::error::ApiError;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/auth.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct Login;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/auth.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct RefreshSession;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/auth.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct SetupFirstAdmin;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/auth.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct Logout;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/auth.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct ChangeMyPassword;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/auth.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct ResetPassword;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "src/api/queries/auth.graphql",
    response_derives = "Debug, Clone, PartialEq"
)]
pub struct AcceptInvitation;

/// What every sign-in path hands the session store, whichever operation produced it.
#[derive(Clone, Debug, PartialEq)]
pub struct GrantedSession {
    pub access_token: String,
    pub user: SignedInUser,
}

/// Each operation gets its own copy of the `SessionFields` fragment type; this folds them into one.
macro_rules! granted_from {
    ($fields:path) => {
        impl From<$fields> for GrantedSession {
            fn from(fields: $fields) -> Self {
                GrantedSession {
                    access_token: fields.access_token,
                    user: SignedInUser {
                        id: fields.user.id,
                        email: fields.user.email,
                        name: fields.user.name,
                        password_change_required: fields.password_change_required,
                    },
                }
            }
        }
    };
}

granted_from!(login::SessionFields);
granted_from!(refresh_session::SessionFields);
granted_from!(setup_first_admin::SessionFields);
granted_from!(accept_invitation::SessionFields);

pub async fn login(email: String, password: String) -> Result<GrantedSession, ApiError> {
    let data = execute_public::<Login>(login::Variables { email, password }).await?;
    Ok(data.login.into())
}

/// Called without an argument: the server reads the HttpOnly refresh cookie.
pub async fn refresh_session() -> Result<GrantedSession, ApiError> {
    let data = execute_public::<RefreshSession>(refresh_session::Variables).await?;
    Ok(data.refresh_session.into())
}

pub async fn setup_first_admin(
    token: String,
    email: String,
    password: String,
    name: Option<String>,
) -> Result<GrantedSession, ApiError> {
    let variables = setup_first_admin::Variables {
        token,
        email,
        password,
        name,
    };
    let data = execute_public::<SetupFirstAdmin>(variables).await?;
    Ok(data.setup_first_admin.into())
}

/// Ends the session on the server (and its cookie); the caller forgets it locally either way.
pub async fn logout(session: Session) -> Result<bool, ApiError> {
    let data = execute::<Logout>(session, logout::Variables).await?;
    Ok(data.logout)
}

pub async fn change_my_password(
    session: Session,
    current_password: String,
    new_password: String,
) -> Result<bool, ApiError> {
    let variables = change_my_password::Variables {
        current_password,
        new_password,
    };
    let data = execute::<ChangeMyPassword>(session, variables).await?;
    Ok(data.change_my_password)
}

pub async fn reset_password(token: String, new_password: String) -> Result<bool, ApiError> {
    let variables = reset_password::Variables { token, new_password };
    let data = execute_public::<ResetPassword>(variables).await?;
    Ok(data.reset_password)
}

/// Joins the organization the invitation is for and signs in. A new account sends a password
/// (and optionally a name); an existing one sends neither.
pub async fn accept_invitation(
    token: String,
    password: Option<String>,
    current_password: Option<String>,
    name: Option<String>,
) -> Result<GrantedSession, ApiError> {
    let variables = accept_invitation::Variables {
        token,
        password,
        current_password,
        name,
    };
    let data = execute_public::<AcceptInvitation>(variables).await?;
    Ok(data.accept_invitation.into())
}
