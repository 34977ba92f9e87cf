//! Bulk admin actions: one action on up to [`MAX_ITEMS`] members of one organization. Each item
//! is authorized on its own exactly as the single mutation would be (the shared-user rule, the
//! privilege taint, API-client scopes), runs in its own transaction, writes its own audit event,
//! and answers its own success or error code: one refused item stops nothing else.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject, ID};
use std::collections::HashSet;

use super::enums::{role_set, OrgRole};
use super::ids::parse;
use crate::domain::authz::Caller;
use crate::domain::{blocking, members, organizations, recovery, users, verification};
use crate::error::{Error, Result};
use crate::policy::client_scopes::USERS_DELETE;
use steward_entity::{OrgId, UserId};

type GqlResult<T> = async_graphql::Result<T>;

/// How many users one bulk action may name.
pub const MAX_ITEMS: usize = 1_000;

/// What a bulk action does to each member; each is the single mutation of the same name.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum BulkUserAction {
    /// `blockUser`: everywhere, at once (identity-wide: needs the right in each of the user's
    /// organizations).
    Block,
    /// `unblockUser`.
    Unblock,
    /// `suspendMember` in this organization.
    Suspend,
    /// `reinstateMember` in this organization.
    Reinstate,
    /// `setMemberRoles` in this organization (give `roles`).
    SetRoles,
    /// `removeMember` from this organization.
    RemoveFromOrg,
    /// `sendPasswordResetEmail` (mail budgets per actor and per recipient apply to each item).
    SendPasswordReset,
    /// `sendVerificationEmail`.
    SendVerification,
    /// `revokeSessions`.
    RevokeSessions,
    /// `deleteUser` (API clients need `users:delete`).
    Delete,
}

#[derive(InputObject)]
pub struct BulkUserActionInput {
    /// The organization whose members the action is for; every user named must be its member.
    pub org_id: ID,
    /// Up to 1 000 user ids; one named twice is acted on once.
    pub user_ids: Vec<ID>,
    pub action: BulkUserAction,
    /// For `SET_ROLES`: the roles each member gets.
    pub roles: Option<Vec<OrgRole>>,
    /// For `BLOCK` and `SUSPEND`: the reason recorded.
    pub reason: Option<String>,
}

/// One user's outcome.
#[derive(SimpleObject)]
pub struct BulkItemResult {
    pub user_id: ID,
    pub ok: bool,
    /// The error code the single mutation would have answered (`FORBIDDEN`, `NOT_FOUND`,
    /// `RATE_LIMITED`, …); null on success.
    pub code: Option<String>,
    pub message: Option<String>,
}

#[derive(SimpleObject)]
pub struct BulkActionResult {
    pub succeeded: i32,
    pub failed: i32,
    /// One per distinct user id, in the order given.
    pub items: Vec<BulkItemResult>,
}

#[derive(Default)]
pub struct BulkMutation;

#[Object]
impl BulkMutation {
    /// Runs one action on up to 1 000 members of one organization and answers per user. Each
    /// item is authorized, done and audited on its own, exactly as the single mutation would
    /// be; a refused item (another tenant's admin, a user shared with an organization the caller
    /// does not manage, a mail budget spent) is reported and the others go on. A request holds
    /// one bulk action.
    ///
    /// **Permissions**: ADMIN or USER_MANAGER of the organization, an API client with
    /// `users:write`, or superadmin; then per item, the single mutation's rule.
    #[graphql(complexity = "super::cost::BULK + child_complexity")]
    async fn bulk_user_action(&self, ctx: &Context<'_>, input: BulkUserActionInput) -> GqlResult<BulkActionResult> {
        let caller = super::acting::caller(ctx);
        let org_id: OrgId = parse(&input.org_id)?;
        caller.org_manager(org_id)?;
        // A superadmin manages every organization, even one that does not exist. (An API client
        // may lack `org:read`; its own organization exists.)
        if let Ok(viewer) = caller.org_viewer(org_id) {
            if organizations::get(&viewer).await?.is_none() {
                return Err(Error::NotFound.into());
            }
        }
        if input.user_ids.len() > MAX_ITEMS {
            return Err(Error::invalid("userIds", format!("at most {MAX_ITEMS} users at a time")).into());
        }
        let roles = match (input.action, &input.roles) {
            (BulkUserAction::SetRoles, Some(roles)) if !roles.is_empty() => Some(role_set(roles)),
            (BulkUserAction::SetRoles, _) => {
                return Err(Error::invalid("roles", "give the roles to set").into());
            }
            _ => None,
        };
        let mut seen = HashSet::new();
        let mut items = Vec::new();
        let (action, reason) = (input.action, input.reason.as_deref());
        for id in &input.user_ids {
            if !seen.insert(id.to_string()) {
                continue;
            }
            let outcome = match parse::<UserId>(id) {
                Ok(user_id) => one(&caller, org_id, user_id, action, reason, roles.as_ref()).await,
                Err(error) => Err(error),
            };
            items.push(match outcome {
                Ok(()) => BulkItemResult {
                    user_id: id.clone(),
                    ok: true,
                    code: None,
                    message: None,
                },
                Err(error) => {
                    if let Error::Internal(detail) = &error {
                        tracing::error!(error = format!("{detail:#}"), "a bulk action's item failed");
                    }
                    BulkItemResult {
                        user_id: id.clone(),
                        ok: false,
                        code: Some(error.code().to_owned()),
                        message: Some(error.to_string()),
                    }
                }
            });
        }
        let succeeded = items.iter().filter(|item| item.ok).count();
        Ok(BulkActionResult {
            succeeded: i32::try_from(succeeded).unwrap_or(i32::MAX),
            failed: i32::try_from(items.len() - succeeded).unwrap_or(i32::MAX),
            items,
        })
    }
}

/// One item: the member check, then the single mutation's own authorization and work.
async fn one(
    caller: &Caller,
    org_id: OrgId,
    user_id: UserId,
    action: BulkUserAction,
    reason: Option<&str>,
    roles: Option<&crate::policy::roles::RoleSet>,
) -> Result<()> {
    // Every user named must be a member of the organization the caller manages there (and an
    // ADMIN only for an ADMIN caller): the same gate as the org-scoped actions.
    let member = caller.member_manager(org_id, user_id).await?;
    match action {
        BulkUserAction::Block => blocking::block(&caller.identity_manager(user_id).await?, reason)
            .await
            .map(drop),
        BulkUserAction::Unblock => blocking::unblock(&caller.identity_manager(user_id).await?)
            .await
            .map(drop),
        BulkUserAction::Suspend => blocking::suspend(&member, reason).await.map(drop),
        BulkUserAction::Reinstate => blocking::reinstate(&member).await.map(drop),
        BulkUserAction::SetRoles => {
            let roles = roles.expect("checked before the items");
            members::set_roles(&member, *roles).await.map(drop)
        }
        BulkUserAction::RemoveFromOrg => members::remove(&member).await,
        BulkUserAction::SendPasswordReset => recovery::send_reset(&caller.identity_manager(user_id).await?).await,
        BulkUserAction::SendVerification => verification::send(&caller.identity_manager(user_id).await?).await,
        BulkUserAction::RevokeSessions => blocking::revoke_sessions(&caller.session_reader(user_id).await?)
            .await
            .map(drop),
        BulkUserAction::Delete => users::delete(&caller.identity_manager_as(user_id, USERS_DELETE).await?).await,
    }
}
