//! Memberships: mutations.

use async_graphql::{Context, Json, Object, ID};

use super::enums::{role_set, OrgRole};
use super::ids::parse;
use super::membership::Membership;
use crate::domain::authz::default_roles;
use crate::domain::members;

type GqlResult<T> = async_graphql::Result<T>;

#[derive(Default)]
pub struct MemberMutation;

#[Object]
impl MemberMutation {
    /// Adds an existing user to an organization (default role `MEMBER`).
    ///
    /// **Permissions**: ADMIN or USER_MANAGER of the organization who can see the user (only an
    /// ADMIN may grant ADMIN or USER_MANAGER); superadmin.
    async fn add_member(
        &self,
        ctx: &Context<'_>,
        org_id: ID,
        user_id: ID,
        roles: Option<Vec<OrgRole>>,
    ) -> GqlResult<Membership> {
        let caller = super::acting::caller(ctx);
        let (manager, reader) = caller.member_adder(parse(&org_id)?, parse(&user_id)?).await?;
        let roles = roles.map(|roles| role_set(&roles)).unwrap_or_else(default_roles);
        Ok(Membership::alone(members::add(&manager, &reader, roles).await?))
    }

    /// Removes a member from an organization; the user stays.
    ///
    /// **Permissions**: ADMIN or USER_MANAGER of the organization (only an ADMIN for an ADMIN);
    /// superadmin.
    async fn remove_member(&self, ctx: &Context<'_>, org_id: ID, user_id: ID) -> GqlResult<bool> {
        let caller = super::acting::caller(ctx);
        members::remove(&caller.member_manager(parse(&org_id)?, parse(&user_id)?).await?).await?;
        Ok(true)
    }

    /// Replaces a member's roles.
    ///
    /// **Permissions**: as `removeMember`; only an ADMIN may grant ADMIN or USER_MANAGER.
    async fn set_member_roles(
        &self,
        ctx: &Context<'_>,
        org_id: ID,
        user_id: ID,
        roles: Vec<OrgRole>,
    ) -> GqlResult<Membership> {
        let caller = super::acting::caller(ctx);
        let scope = caller.member_manager(parse(&org_id)?, parse(&user_id)?).await?;
        Ok(Membership::alone(members::set_roles(&scope, role_set(&roles)).await?))
    }

    /// Merge-patches the membership's metadata.
    ///
    /// **Permissions**: as `removeMember`.
    async fn update_membership_metadata(
        &self,
        ctx: &Context<'_>,
        org_id: ID,
        user_id: ID,
        metadata: Json<serde_json::Value>,
    ) -> GqlResult<Membership> {
        let caller = super::acting::caller(ctx);
        let scope = caller.member_manager(parse(&org_id)?, parse(&user_id)?).await?;
        Ok(Membership::alone(members::update_metadata(&scope, metadata.0).await?))
    }
}
