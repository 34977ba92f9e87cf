//! A user's membership in an organization, as a GraphQL object. Lists of memberships are common
//! (every user on a page has some), so its relations come from batch loaders or from the row
//! that led to it, never from a query per membership.

use async_graphql::{Context, Json, Object};
use chrono::{DateTime, Utc};

use super::enums::{MembershipStatus, OrgRole};
use super::types::{Organization, User};
use crate::domain::{members, users};
use crate::error::Error;
use crate::policy::roles::RoleSet;
use steward_entity::{membership, user};

type GqlResult<T> = async_graphql::Result<T>;

/// Where `Membership.user` comes from, and which check already covers it.
enum MemberUser {
    /// Read with the membership by a member list, whose check covered its users.
    Listed(user::Model),
    /// The user whose memberships these are. A caller who may see one of a user's memberships
    /// may read the user whenever they may read anything (`Caller::user_reader` grants a user
    /// to themself and to readers of an organization the user belongs to, which is exactly who
    /// sees the membership), so only the session's kind is left to check.
    Owner(user::Model),
    /// Read on demand under the caller's own check: a mutation's answer, one at a time.
    Unloaded,
}

pub struct Membership {
    pub membership: membership::Model,
    user: MemberUser,
}

impl Membership {
    /// A membership on its own, as a mutation answers it.
    pub fn alone(membership: membership::Model) -> Self {
        Self {
            membership,
            user: MemberUser::Unloaded,
        }
    }

    /// A row of a member list, read with its user.
    pub fn listed(membership: membership::Model, user: user::Model) -> Self {
        Self {
            membership,
            user: MemberUser::Listed(user),
        }
    }

    /// One of `owner`'s memberships, already filtered for the caller.
    pub fn of_owner(membership: membership::Model, owner: &user::Model) -> Self {
        Self {
            membership,
            user: MemberUser::Owner(owner.clone()),
        }
    }
}

/// A user's membership in an organization.
#[Object]
impl Membership {
    // Loaded for every membership in the response at once.
    async fn organization(&self, ctx: &Context<'_>) -> GqlResult<Organization> {
        super::acting::caller(ctx).authenticated()?;
        let org = super::acting::loaders(ctx)
            .organizations
            .load_one(self.membership.org_id)
            .await?
            .ok_or(Error::NotFound)?;
        Ok(Organization(org))
    }
    async fn user(&self, ctx: &Context<'_>) -> GqlResult<User> {
        let caller = super::acting::caller(ctx);
        match &self.user {
            MemberUser::Listed(user) => Ok(User(user.clone())),
            MemberUser::Owner(user) => {
                caller.signed_in()?;
                Ok(User(user.clone()))
            }
            MemberUser::Unloaded => {
                // A mutation's answer: whoever may read the user, or manage this member (an API
                // client with `users:write` alone), reads the member it just changed.
                let (org_id, user_id) = (self.membership.org_id, self.membership.user_id);
                let user = match caller.user_reader(user_id).await {
                    Ok(scope) => users::get(&scope).await?,
                    Err(refused) => match caller.member_manager(org_id, user_id).await {
                        Ok(scope) => Some(members::member(&scope).await?),
                        Err(_) => return Err(refused.into()),
                    },
                };
                Ok(User(user.ok_or(Error::NotFound)?))
            }
        }
    }
    async fn roles(&self) -> Vec<OrgRole> {
        RoleSet::of(&self.membership)
            .roles()
            .into_iter()
            .map(OrgRole::from)
            .collect()
    }
    async fn status(&self) -> MembershipStatus {
        MembershipStatus::from_stored(&self.membership.status)
    }
    async fn suspended_reason(&self) -> Option<&str> {
        self.membership.suspended_reason.as_deref()
    }
    /// Per-org data about the member.
    ///
    /// **Permissions**: ADMIN, USER_MANAGER or AUDITOR of the organization, or superadmin.
    async fn metadata(&self, ctx: &Context<'_>) -> GqlResult<Option<Json<serde_json::Value>>> {
        if let Err(refusal) = super::acting::caller(ctx).org_reader(self.membership.org_id) {
            return Ok(super::errors::withheld(ctx, refusal));
        }
        let document = super::types::as_read(
            ctx,
            crate::domain::metadata_schemas::Target::MembershipMetadata,
            Some(self.membership.org_id),
            self.membership.user_id,
            &self.membership.metadata,
        )
        .await?;
        Ok(Some(Json(document)))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.membership.created_at
    }
}
