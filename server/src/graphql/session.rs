//! Sign-in, the viewer, and the flows a user runs from a link.

use async_graphql::{Context, Object};

use super::cookies::{self, RefreshCookie};
use super::cost;
use super::types::{AuthPayload, User, Viewer};
use crate::domain::authz::Principal;
use crate::domain::{sessions, setup, users};
use crate::error::Error;

type GqlResult<T> = async_graphql::Result<T>;

pub(super) fn payload(ctx: &Context<'_>, issued: sessions::Issued) -> AuthPayload {
    let caller = super::acting::caller(ctx);
    ctx.append_http_header(
        "Set-Cookie",
        cookies::refresh_cookie(&caller.app().config, &issued.refresh_token),
    );
    AuthPayload {
        access_token: issued.access_token,
        refresh_token: issued.refresh_token,
        expires_in: i32::try_from(issued.expires_in).unwrap_or(i32::MAX),
        user: issued.user,
        password_change_required: issued.password_change_required,
    }
}

#[derive(Default)]
pub struct SessionQuery;

#[Object]
impl SessionQuery {
    /// The signed-in user; null when no token was sent (or an API client's). A token that no longer holds (expired,
    /// revoked, blocked user) is an error, so that clients know to refresh.
    #[graphql(complexity = "cost::QUERY + child_complexity")]
    async fn viewer(&self, ctx: &Context<'_>) -> GqlResult<Option<Viewer>> {
        let caller = super::acting::caller(ctx);
        if matches!(caller.principal, Principal::Anonymous | Principal::Client(_)) {
            return Ok(None);
        }
        let me = caller.myself_restricted()?;
        let user = users::me(&me).await?.ok_or(Error::Unauthenticated)?;
        Ok(Some(Viewer {
            is_superadmin: me.user.superadmin,
            user_id: user.id,
            user: User(user),
        }))
    }
}

#[derive(Default)]
pub struct SessionMutation;

#[Object]
impl SessionMutation {
    /// Signs in. With `orgSlug` the session is bound to that organization and reaches only it.
    /// An unknown email and a wrong password answer alike: `INVALID_CREDENTIALS`.
    ///
    /// **Permissions**: anyone.
    async fn login(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
        org_slug: Option<String>,
    ) -> GqlResult<AuthPayload> {
        let caller = super::acting::caller(ctx);
        let result = sessions::login(&caller.public(), &email, &password, org_slug.as_deref()).await;
        crate::counters::login_outcome(match &result {
            Ok(_) => "success",
            Err(error) => error.code(),
        });
        Ok(payload(ctx, result?))
    }

    /// Exchanges a refresh token (the argument, or the browser's cookie) for a new pair. Each
    /// refresh token works once; reusing a spent one revokes the whole session.
    ///
    /// **Permissions**: anyone holding a refresh token.
    async fn refresh_session(&self, ctx: &Context<'_>, refresh_token: Option<String>) -> GqlResult<AuthPayload> {
        let caller = super::acting::caller(ctx);
        let token = refresh_token
            .or_else(|| ctx.data_opt::<RefreshCookie>().and_then(|cookie| cookie.0.clone()))
            .ok_or(Error::Unauthenticated)?;
        match sessions::refresh(&caller.public(), &token).await {
            Ok(issued) => Ok(payload(ctx, issued)),
            Err(error) => {
                ctx.append_http_header("Set-Cookie", cookies::clear_refresh_cookie(&caller.app().config));
                Err(error.into())
            }
        }
    }

    /// Ends the current session.
    ///
    /// **Permissions**: the signed-in user (also while a password change is due).
    async fn logout(&self, ctx: &Context<'_>) -> GqlResult<bool> {
        let caller = super::acting::caller(ctx);
        sessions::logout(&caller.myself_restricted()?).await?;
        ctx.append_http_header("Set-Cookie", cookies::clear_refresh_cookie(&caller.app().config));
        Ok(true)
    }

    /// Changes the signed-in user's password. Every other session ends; a forced change is
    /// lifted.
    ///
    /// **Permissions**: the signed-in user (also while a password change is due).
    async fn change_my_password(
        &self,
        ctx: &Context<'_>,
        current_password: String,
        new_password: String,
    ) -> GqlResult<bool> {
        let caller = super::acting::caller(ctx);
        sessions::change_my_password(&caller.myself_restricted()?, &current_password, &new_password).await?;
        Ok(true)
    }

    /// Sets a new password from an emailed link (or the link `steward create-admin` prints).
    ///
    /// **Permissions**: anyone holding the link.
    async fn reset_password(&self, ctx: &Context<'_>, token: String, new_password: String) -> GqlResult<bool> {
        let caller = super::acting::caller(ctx);
        sessions::reset_password(&caller.public(), &token, &new_password).await?;
        Ok(true)
    }

    /// Creates the first superadmin from the one-time setup link the server prints on its first
    /// start, and signs them in.
    ///
    /// **Permissions**: anyone holding the setup link, while no superadmin exists.
    async fn setup_first_admin(
        &self,
        ctx: &Context<'_>,
        token: String,
        email: String,
        password: String,
        name: Option<String>,
    ) -> GqlResult<AuthPayload> {
        let caller = super::acting::caller(ctx);
        let issued = setup::setup_first_admin(&caller.public(), &token, &email, &password, name.as_deref()).await?;
        Ok(payload(ctx, issued))
    }
}
