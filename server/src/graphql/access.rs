//! Blocking, suspension, lockouts and sessions: mutations.

use async_graphql::{Context, Object, ID};

use super::cookies;
use super::ids::parse;
use super::membership::Membership;
use super::types::User;
use crate::domain::blocking;

type GqlResult<T> = async_graphql::Result<T>;

#[derive(Default)]
pub struct AccessMutation;

#[Object]
impl AccessMutation {
    /// Blocks a user everywhere, at once: sign-in, refresh and issued access tokens stop
    /// working, sessions end, pending reset links die.
    ///
    /// **Permissions**: ADMIN or USER_MANAGER in every organization the user belongs to (only
    /// an ADMIN for a user who is an ADMIN); superadmin.
    async fn block_user(&self, ctx: &Context<'_>, user_id: ID, reason: Option<String>) -> GqlResult<User> {
        let caller = super::acting::caller(ctx);
        let scope = caller.identity_manager(parse(&user_id)?).await?;
        Ok(User(blocking::block(&scope, reason.as_deref()).await?))
    }

    /// **Permissions**: as `blockUser`.
    async fn unblock_user(&self, ctx: &Context<'_>, user_id: ID) -> GqlResult<User> {
        let caller = super::acting::caller(ctx);
        let scope = caller.identity_manager(parse(&user_id)?).await?;
        Ok(User(blocking::unblock(&scope).await?))
    }

    /// Suspends a membership: that organization only, at once.
    ///
    /// **Permissions**: ADMIN or USER_MANAGER of the organization (only an ADMIN for an ADMIN);
    /// superadmin.
    async fn suspend_member(
        &self,
        ctx: &Context<'_>,
        org_id: ID,
        user_id: ID,
        reason: Option<String>,
    ) -> GqlResult<Membership> {
        let caller = super::acting::caller(ctx);
        let scope = caller.member_manager(parse(&org_id)?, parse(&user_id)?).await?;
        Ok(Membership::alone(blocking::suspend(&scope, reason.as_deref()).await?))
    }

    /// **Permissions**: as `suspendMember`.
    async fn reinstate_member(&self, ctx: &Context<'_>, org_id: ID, user_id: ID) -> GqlResult<Membership> {
        let caller = super::acting::caller(ctx);
        let scope = caller.member_manager(parse(&org_id)?, parse(&user_id)?).await?;
        Ok(Membership::alone(blocking::reinstate(&scope).await?))
    }

    /// Lifts the user's brute-force locks.
    ///
    /// **Permissions**: as `blockUser`.
    async fn clear_lockouts(&self, ctx: &Context<'_>, user_id: ID) -> GqlResult<User> {
        let caller = super::acting::caller(ctx);
        let scope = caller.identity_manager(parse(&user_id)?).await?;
        Ok(User(blocking::clear_lockouts(&scope).await?))
    }

    /// Ends one session (from `User.sessions`): its device must sign in again. Ending the
    /// caller's own current session signs them out here. `NOT_FOUND` for a session that is not
    /// live.
    ///
    /// **Permissions**: the session's user themself, or as `revokeSessions`.
    async fn revoke_session(&self, ctx: &Context<'_>, id: ID) -> GqlResult<bool> {
        let caller = super::acting::caller(ctx);
        let session_id = parse(&id)?;
        let scope = caller.session_ender(session_id).await?;
        blocking::revoke_session(&scope, session_id).await?;
        if caller.user().is_ok_and(|me| me.session_id == session_id) {
            ctx.append_http_header("Set-Cookie", cookies::clear_refresh_cookie(&caller.app().config));
        }
        Ok(true)
    }

    /// Ends every session of the user; returns how many were live.
    ///
    /// **Permissions**: the user themself (sign out everywhere), or as `blockUser`.
    async fn revoke_sessions(&self, ctx: &Context<'_>, user_id: ID) -> GqlResult<i32> {
        let caller = super::acting::caller(ctx);
        let user_id = parse(&user_id)?;
        let scope = caller.session_reader(user_id).await?;
        let revoked = blocking::revoke_sessions(&scope).await?;
        if caller.user().is_ok_and(|me| me.user_id == user_id) {
            // Signed out everywhere, this browser included: its refresh cookie goes too.
            ctx.append_http_header("Set-Cookie", cookies::clear_refresh_cookie(&caller.app().config));
        }
        Ok(i32::try_from(revoked).unwrap_or(i32::MAX))
    }
}
