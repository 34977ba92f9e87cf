//! Invitations: inviting an address into an organization, withdrawing it, and accepting it from
//! the emailed link.

use async_graphql::{Context, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::enums::{role_set, OrgRole};
use super::ids::parse;
use super::session::payload;
use super::types::AuthPayload;
use crate::domain::invitations::{self, Invitation as DomainInvitation};

type GqlResult<T> = async_graphql::Result<T>;

#[derive(SimpleObject)]
pub struct Invitation {
    /// Names the invitation (to revoke it); it is not the link's token.
    pub id: ID,
    pub email: String,
    pub roles: Vec<OrgRole>,
    pub expires_at: DateTime<Utc>,
}

impl From<DomainInvitation> for Invitation {
    fn from(invitation: DomainInvitation) -> Self {
        Self {
            id: ID(invitation.id),
            email: invitation.email,
            roles: invitation.roles.roles().into_iter().map(OrgRole::from).collect(),
            expires_at: invitation.expires_at,
        }
    }
}

#[derive(Default)]
pub struct InvitationMutation;

#[Object]
impl InvitationMutation {
    /// Invites an address into an organization with roles (default `MEMBER`); the link is valid
    /// 7 days.
    ///
    /// **Permissions**: ADMIN or USER_MANAGER of the organization (only an ADMIN may invite with
    /// ADMIN or USER_MANAGER); superadmin.
    async fn invite_member(
        &self,
        ctx: &Context<'_>,
        org_id: ID,
        email: String,
        roles: Option<Vec<OrgRole>>,
    ) -> GqlResult<Invitation> {
        let caller = super::acting::caller(ctx);
        let scope = caller.org_manager(parse(&org_id)?)?;
        let roles = role_set(&roles.unwrap_or_else(|| vec![OrgRole::Member]));
        Ok(invitations::invite(&scope, &email, roles).await?.into())
    }

    /// Withdraws a pending invitation.
    ///
    /// **Permissions**: as `inviteMember`.
    async fn revoke_invitation(&self, ctx: &Context<'_>, id: ID) -> GqlResult<bool> {
        let caller = super::acting::caller(ctx);
        let scope = caller.invitation_manager(&id).await?;
        invitations::revoke(&scope, &id).await?;
        Ok(true)
    }

    /// Sends a pending (or expired, never accepted) invitation again with a new link, valid 7
    /// days from now; the old link stops working. Answers the invitation under its new id.
    ///
    /// **Permissions**: as `inviteMember` (granting the invitation's roles).
    async fn resend_invitation(&self, ctx: &Context<'_>, id: ID) -> GqlResult<Invitation> {
        let caller = super::acting::caller(ctx);
        let scope = caller.invitation_manager(&id).await?;
        Ok(invitations::resend(&scope, &id).await?.into())
    }

    /// Accepts an invitation and signs in: the address counts as verified and the user becomes
    /// a member with the invited roles. A new account chooses `password` (and may give `name`);
    /// an existing account (`tokenInfo.accountExists`) gives `currentPassword` (`password` is
    /// taken for it too), which counts toward its lockout like a sign-in.
    ///
    /// **Permissions**: anyone holding the link.
    async fn accept_invitation(
        &self,
        ctx: &Context<'_>,
        token: String,
        password: Option<String>,
        current_password: Option<String>,
        name: Option<String>,
    ) -> GqlResult<AuthPayload> {
        let caller = super::acting::caller(ctx);
        let issued = invitations::accept(
            &caller.public(),
            &token,
            password.as_deref(),
            current_password.as_deref(),
            name.as_deref(),
        )
        .await?;
        Ok(payload(ctx, issued))
    }
}
