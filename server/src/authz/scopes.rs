//! Capabilities. Each scope can only be built by passing its check in this file; domain functions
//! take scopes, and the database is reachable only through one.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::sync::Arc;

use super::{Caller, UserPrincipal};
use crate::db::Database;
use crate::domain::roles::{Role, RoleSet};
use crate::error::{Error, Result};
use crate::state::AppState;
use steward_entity::{membership, user, ApiClientId, OrgId, UserId};

/// Who did something, for the audit log.
#[derive(Clone, Debug, Default)]
pub struct Actor {
    pub user_id: Option<UserId>,
    pub api_client_id: Option<ApiClientId>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// What every scope offers the domain layer.
pub trait Scope: Sync {
    fn caller(&self) -> &Caller;

    fn app(&self) -> &AppState {
        &self.caller().state
    }

    fn database(&self) -> &Database {
        &self.caller().state.database
    }

    fn actor(&self) -> Actor {
        let caller = self.caller();
        Actor {
            user_id: caller.user().ok().map(|user| user.user_id),
            api_client_id: caller.client().map(|client| client.id),
            ip: caller.ip.clone(),
            user_agent: caller.user_agent.clone(),
        }
    }
}

macro_rules! scope {
    ($(#[$doc:meta])* $name:ident { $($field:ident : $type:ty),* $(,)? }) => {
        $(#[$doc])*
        pub struct $name<'a> {
            caller: &'a Caller,
            $(pub(crate) $field: $type,)*
        }

        impl Scope for $name<'_> {
            fn caller(&self) -> &Caller {
                self.caller
            }
        }
    };
}

scope!(
    /// Anyone, signed in or not: sign-in and the flows run from an emailed link.
    Public {}
);
scope!(
    /// The signed-in user acting on their own account. `restricted` sessions (a password change
    /// is due) get this scope too, for `changeMyPassword`, `viewer` and `logout` only.
    Myself { user: Arc<UserPrincipal> }
);
scope!(
    /// The operator at the command line (`steward create-admin`, the first-start setup link).
    Operator {}
);
scope!(
    /// A superadmin: every organization.
    Superadmin {}
);
scope!(
    /// May see that an organization exists: its name, slug and branding.
    OrgViewer {}
);
scope!(
    /// May read an organization's members, their metadata and its audit log.
    OrgReader { org_id: OrgId }
);
scope!(
    /// May create and manage members of an organization. `is_admin`: may also grant the
    /// privileged roles and act on admins.
    OrgManager { org_id: OrgId, is_admin: bool }
);
scope!(
    /// An organization's `ADMIN` (or a superadmin): settings, branding, metadata.
    OrgAdmin { org_id: OrgId }
);
scope!(
    /// May read a user.
    UserReader { user_id: UserId }
);
scope!(
    /// May make identity-wide changes to a user: the right holds in every organization the user
    /// belongs to (or the caller is a superadmin), and no admin there is out of the caller's rank.
    IdentityManager { user_id: UserId }
);
scope!(
    /// May see a user's sessions: the user themself, or whoever manages their identity.
    SessionReader { user_id: UserId }
);
scope!(
    /// May read the audit log of these organizations (or all).
    AuditScope { orgs: ReadScope }
);
scope!(
    /// May make org-scoped changes to one member of one organization.
    MemberManager { org_id: OrgId, user_id: UserId, is_admin: bool }
);

/// Which users a list may show.
#[derive(Clone, Debug)]
pub enum ReadScope {
    All,
    Orgs(Vec<OrgId>),
}

impl OrgManager<'_> {
    /// Only an `ADMIN` may grant `ADMIN` or `USER_MANAGER`.
    pub fn check_grant(&self, roles: &RoleSet) -> Result<()> {
        if roles.is_privileged() && !self.is_admin {
            return Err(Error::Forbidden(
                "only an organization ADMIN may grant ADMIN or USER_MANAGER",
            ));
        }
        Ok(())
    }

    pub fn org_id(&self) -> OrgId {
        self.org_id
    }
}

impl OrgAdmin<'_> {
    pub fn org_id(&self) -> OrgId {
        self.org_id
    }
}

impl MemberManager<'_> {
    pub fn check_grant(&self, roles: &RoleSet) -> Result<()> {
        if roles.is_privileged() && !self.is_admin {
            return Err(Error::Forbidden(
                "only an organization ADMIN may grant ADMIN or USER_MANAGER",
            ));
        }
        Ok(())
    }
}

/// An API client's scopes, as the contract names them.
pub const USERS_READ: &str = "users:read";
pub const USERS_WRITE: &str = "users:write";
pub const USERS_DELETE: &str = "users:delete";
pub const METADATA_WRITE: &str = "metadata:write";
pub const AUDIT_READ: &str = "audit:read";
pub const ORG_READ: &str = "org:read";

/// What an API client may do in an organization: nothing outside its own, and inside it what
/// `scope` grants. Outside its organization everything reads as absent.
fn client_check(client: &super::ClientPrincipal, org_id: OrgId, scope: &str) -> Result<()> {
    if client.org_id != org_id {
        Err(Error::NotFound)
    } else if client.has(scope) {
        Ok(())
    } else {
        Err(Error::Forbidden("the API client lacks the scope this needs"))
    }
}

impl Caller {
    fn roles_in(&self, org_id: OrgId) -> Option<RoleSet> {
        self.full_user().ok().and_then(|user| user.reach.get(&org_id).copied())
    }

    fn is_superadmin(&self) -> bool {
        self.full_user().map(|user| user.superadmin).unwrap_or(false)
    }

    /// Fails the way an org-level check fails: `FORBIDDEN` where the caller can see the org,
    /// `NOT_FOUND` where they cannot.
    fn org_denied(&self, org_id: OrgId, why: &'static str) -> Error {
        match self.roles_in(org_id) {
            Some(_) => Error::Forbidden(why),
            None => Error::NotFound,
        }
    }

    /// Only a caller built by [`Caller::operator`] (the command line) gets this scope.
    pub fn operator_scope(&self) -> Result<Operator<'_>> {
        if self.operator {
            Ok(Operator { caller: self })
        } else {
            Err(Error::Forbidden("command line only"))
        }
    }

    pub fn public(&self) -> Public<'_> {
        Public { caller: self }
    }

    /// The signed-in user, acting on themselves, with a full session.
    pub fn myself(&self) -> Result<Myself<'_>> {
        Ok(Myself {
            caller: self,
            user: self.full_user()?.clone(),
        })
    }

    /// The signed-in user, even while a password change is due.
    pub fn myself_restricted(&self) -> Result<Myself<'_>> {
        Ok(Myself {
            caller: self,
            user: self.user()?.clone(),
        })
    }

    pub fn superadmin(&self) -> Result<Superadmin<'_>> {
        self.full_user()?;
        if self.is_superadmin() {
            Ok(Superadmin { caller: self })
        } else {
            Err(Error::Forbidden("superadmin only"))
        }
    }

    pub fn org_viewer(&self, org_id: OrgId) -> Result<OrgViewer<'_>> {
        if let Some(client) = self.client() {
            // Even its own organization only with `org:read`: the scopes are all a client has.
            client_check(client, org_id, ORG_READ)?;
            return Ok(OrgViewer { caller: self });
        }
        self.full_user()?;
        if self.is_superadmin() || self.roles_in(org_id).is_some() {
            Ok(OrgViewer { caller: self })
        } else {
            Err(Error::NotFound)
        }
    }

    pub fn org_reader(&self, org_id: OrgId) -> Result<OrgReader<'_>> {
        if let Some(client) = self.client() {
            client_check(client, org_id, USERS_READ)?;
            return Ok(OrgReader { caller: self, org_id });
        }
        self.full_user()?;
        if self.is_superadmin() || self.roles_in(org_id).is_some_and(|roles| roles.can_read_members()) {
            Ok(OrgReader { caller: self, org_id })
        } else {
            Err(self.org_denied(org_id, "reading members needs ADMIN, USER_MANAGER or AUDITOR"))
        }
    }

    pub fn org_manager(&self, org_id: OrgId) -> Result<OrgManager<'_>> {
        if let Some(client) = self.client() {
            // An API client manages members like a USER_MANAGER: it never grants ADMIN or
            // USER_MANAGER, nor acts on an ADMIN.
            client_check(client, org_id, USERS_WRITE)?;
            return Ok(OrgManager {
                caller: self,
                org_id,
                is_admin: false,
            });
        }
        self.full_user()?;
        if self.is_superadmin() {
            return Ok(OrgManager {
                caller: self,
                org_id,
                is_admin: true,
            });
        }
        match self.roles_in(org_id) {
            Some(roles) if roles.can_manage_members() => Ok(OrgManager {
                caller: self,
                org_id,
                is_admin: roles.admin,
            }),
            _ => Err(self.org_denied(org_id, "managing members needs ADMIN or USER_MANAGER")),
        }
    }

    pub fn org_admin(&self, org_id: OrgId) -> Result<OrgAdmin<'_>> {
        if let Some(client) = self.client() {
            return Err(match client.org_id == org_id {
                true => Error::Forbidden("API clients cannot change organization settings"),
                false => Error::NotFound,
            });
        }
        self.full_user()?;
        if self.is_superadmin() || self.roles_in(org_id).is_some_and(|roles| roles.admin) {
            Ok(OrgAdmin { caller: self, org_id })
        } else {
            Err(self.org_denied(org_id, "organization ADMIN only"))
        }
    }

    /// May read an organization's settings and metadata: its ADMIN, a superadmin, or an API
    /// client with `org:read`.
    pub fn org_settings_reader(&self, org_id: OrgId) -> Result<()> {
        if let Some(client) = self.client() {
            return client_check(client, org_id, ORG_READ);
        }
        self.org_admin(org_id).map(|_| ())
    }

    /// Whose audit events the caller may read: ADMIN and AUDITOR of an organization read its
    /// log, superadmins every log.
    pub fn audit_scope(&self) -> Result<AuditScope<'_>> {
        if let Some(client) = self.client() {
            client_check(client, client.org_id, AUDIT_READ)?;
            return Ok(AuditScope {
                caller: self,
                orgs: ReadScope::Orgs(vec![client.org_id]),
            });
        }
        let user = self.full_user()?;
        let orgs = if user.superadmin {
            ReadScope::All
        } else {
            ReadScope::Orgs(
                user.reach
                    .iter()
                    .filter(|(_, roles)| roles.admin || roles.auditor)
                    .map(|(org, _)| *org)
                    .collect(),
            )
        };
        Ok(AuditScope { caller: self, orgs })
    }

    /// The organizations whose members the caller may read.
    pub fn read_scope(&self) -> Result<ReadScope> {
        if let Some(client) = self.client() {
            let orgs = match client.has(USERS_READ) {
                true => vec![client.org_id],
                false => Vec::new(),
            };
            return Ok(ReadScope::Orgs(orgs));
        }
        let user = self.full_user()?;
        if user.superadmin {
            return Ok(ReadScope::All);
        }
        Ok(ReadScope::Orgs(
            user.reach
                .iter()
                .filter(|(_, roles)| roles.can_read_members())
                .map(|(org, _)| *org)
                .collect(),
        ))
    }

    /// The organizations whose settings and metadata the caller may read.
    pub fn is_org_admin(&self, org_id: OrgId) -> bool {
        if let Some(client) = self.client() {
            return client_check(client, org_id, ORG_READ).is_ok();
        }
        self.is_superadmin() || self.roles_in(org_id).is_some_and(|roles| roles.admin)
    }

    /// True when the caller may read members of `org_id`.
    pub fn can_read_org(&self, org_id: OrgId) -> bool {
        if let Some(client) = self.client() {
            return client_check(client, org_id, USERS_READ).is_ok();
        }
        self.is_superadmin() || self.roles_in(org_id).is_some_and(|roles| roles.can_read_members())
    }

    async fn memberships_of(&self, user_id: UserId) -> Result<Vec<membership::Model>> {
        Ok(membership::Entity::find()
            .filter(membership::Column::UserId.eq(user_id))
            .all(self.state.database.reader())
            .await?)
    }

    /// May the caller see this user at all: themselves, a superadmin, or a reader in an org the
    /// user belongs to.
    pub async fn user_reader(&self, user_id: UserId) -> Result<UserReader<'_>> {
        if let Some(client) = self.client() {
            let member = membership::Entity::find_by_id((client.org_id, user_id))
                .one(self.state.database.reader())
                .await?;
            return match member.is_some() && client.has(USERS_READ) {
                true => Ok(UserReader { caller: self, user_id }),
                false => Err(Error::NotFound),
            };
        }
        let me = self.full_user()?;
        if me.superadmin || me.user_id == user_id {
            return Ok(UserReader { caller: self, user_id });
        }
        let memberships = self.memberships_of(user_id).await?;
        if memberships
            .iter()
            .any(|membership| self.can_read_org(membership.org_id))
        {
            Ok(UserReader { caller: self, user_id })
        } else {
            Err(Error::NotFound)
        }
    }

    /// The shared-user rule: an identity-wide change needs the right in every org the user
    /// belongs to, and the privilege taint holds in each.
    pub async fn identity_manager(&self, user_id: UserId) -> Result<IdentityManager<'_>> {
        self.identity_manager_as(user_id, USERS_WRITE).await
    }

    /// [`Caller::identity_manager`] for an action an API client needs `client_scope` for
    /// (`users:delete` to delete, `metadata:write` for metadata); users are checked alike.
    pub async fn identity_manager_as(&self, user_id: UserId, client_scope: &str) -> Result<IdentityManager<'_>> {
        if let Some(client) = self.client() {
            return self.client_identity_manager(client, user_id, client_scope).await;
        }
        let me = self.full_user()?.clone();
        if me.superadmin {
            self.require_user_exists(user_id).await?;
            return Ok(IdentityManager { caller: self, user_id });
        }
        let memberships = self.memberships_of(user_id).await?;
        // Callers always see themselves: refusing them must not claim they do not exist.
        let visible = me.user_id == user_id
            || memberships
                .iter()
                .any(|membership| self.can_read_org(membership.org_id));
        if !visible {
            return Err(Error::NotFound);
        }
        if memberships.is_empty() {
            // Only the caller themself gets here: nobody but a superadmin manages a user who
            // belongs to no organization.
            return Err(Error::Forbidden(
                "only a superadmin may change a user outside every organization",
            ));
        }
        let target = user::Entity::find_by_id(user_id)
            .one(self.state.database.reader())
            .await?;
        if target.is_none_or(|target| target.is_superadmin) {
            return Err(Error::Forbidden("only a superadmin may change a superadmin"));
        }
        for membership in &memberships {
            let Some(mine) = self.roles_in(membership.org_id) else {
                return Err(Error::Forbidden(
                    "the user also belongs to an organization you do not manage; ask a superadmin",
                ));
            };
            if !mine.can_manage_members() {
                return Err(Error::Forbidden("managing members needs ADMIN or USER_MANAGER"));
            }
            if membership.role_admin && !mine.admin {
                return Err(Error::Forbidden("only an ADMIN may act on an organization admin"));
            }
        }
        Ok(IdentityManager { caller: self, user_id })
    }

    /// The shared-user rule for an API client: it has its rights in one organization, so a user
    /// who also belongs to another is out of its hands, and so is an ADMIN.
    async fn client_identity_manager(
        &self,
        client: &super::ClientPrincipal,
        user_id: UserId,
        client_scope: &str,
    ) -> Result<IdentityManager<'_>> {
        let memberships = self.memberships_of(user_id).await?;
        let Some(here) = memberships.iter().find(|membership| membership.org_id == client.org_id) else {
            return Err(Error::NotFound);
        };
        client_check(client, client.org_id, client_scope)?;
        if memberships.len() > 1 {
            return Err(Error::Forbidden(
                "the user also belongs to another organization; an API client cannot change them",
            ));
        }
        if here.role_admin {
            return Err(Error::Forbidden("only an ADMIN may act on an organization admin"));
        }
        let target = user::Entity::find_by_id(user_id)
            .one(self.state.database.reader())
            .await?;
        if target.is_none_or(|target| target.is_superadmin) {
            return Err(Error::Forbidden("only a superadmin may change a superadmin"));
        }
        Ok(IdentityManager { caller: self, user_id })
    }

    /// Org-scoped changes to one member: the right in that org, and the privilege taint.
    pub async fn member_manager(&self, org_id: OrgId, user_id: UserId) -> Result<MemberManager<'_>> {
        let manager = self.org_manager(org_id)?;
        let membership = membership::Entity::find_by_id((org_id, user_id))
            .one(self.state.database.reader())
            .await?
            .ok_or(Error::NotFound)?;
        if membership.role_admin && !manager.is_admin {
            return Err(Error::Forbidden("only an ADMIN may act on an organization admin"));
        }
        Ok(MemberManager {
            caller: self,
            org_id,
            user_id,
            is_admin: manager.is_admin,
        })
    }

    /// For adding an existing user to an org: the caller must manage the org and be able to see
    /// the user.
    pub async fn member_adder(&self, org_id: OrgId, user_id: UserId) -> Result<(OrgManager<'_>, UserReader<'_>)> {
        let manager = self.org_manager(org_id)?;
        let reader = self.user_reader(user_id).await?;
        Ok((manager, reader))
    }

    pub async fn session_reader(&self, user_id: UserId) -> Result<SessionReader<'_>> {
        if self.client().is_some() {
            self.identity_manager(user_id).await?;
            return Ok(SessionReader { caller: self, user_id });
        }
        let me = self.user()?;
        if me.user_id == user_id {
            return Ok(SessionReader { caller: self, user_id });
        }
        self.identity_manager(user_id).await?;
        Ok(SessionReader { caller: self, user_id })
    }

    async fn require_user_exists(&self, user_id: UserId) -> Result<()> {
        user::Entity::find_by_id(user_id)
            .one(self.state.database.reader())
            .await?
            .ok_or(Error::NotFound)?;
        Ok(())
    }
}

impl IdentityManager<'_> {
    pub fn user_id(&self) -> UserId {
        self.user_id
    }
}

impl UserReader<'_> {
    pub fn user_id(&self) -> UserId {
        self.user_id
    }
}

/// Roles given to a new member when none are named.
pub fn default_roles() -> RoleSet {
    RoleSet::from_roles(&[Role::Member])
}
