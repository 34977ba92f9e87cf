//! Capabilities. Each scope can only be built by passing its check in this file; domain functions
//! take scopes, and the database is reachable only through one.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::sync::Arc;

use super::reach::Reach;
use super::{Caller, UserPrincipal};
use crate::domain::database::Database;
use crate::domain::state::AppState;
use crate::error::{Error, Result};
use crate::policy::client_scopes::{AUDIT_READ, ORG_READ, USERS_READ, USERS_WRITE};
use crate::policy::link_purposes::INVITATION;
use crate::policy::roles::{Role, RoleSet};
use steward_entity::{api_client, membership, one_time_token, user, ApiClientId, OrgId, SessionId, UserId};

/// Who did something, for the audit log.
#[derive(Clone, Debug, Default)]
pub struct Actor {
    pub user_id: Option<UserId>,
    pub api_client_id: Option<ApiClientId>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// What every scope offers the domain layer, and nothing above it: outside `domain` a scope is
/// only something to hand to a domain function.
pub(in crate::domain) trait Scope: Sync {
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
    OrgViewer { org_id: OrgId }
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
    /// May read the audit log of the organizations in reach (or all of them).
    AuditReader { reach: Reach }
);
scope!(
    /// May list users: the members of the organizations in reach, or every user.
    Directory { reach: Reach }
);
scope!(
    /// May list organizations: those in reach, or all of them.
    OrgLister { reach: Reach }
);
scope!(
    /// May make org-scoped changes to one member of one organization.
    MemberManager { org_id: OrgId, user_id: UserId, is_admin: bool }
);

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

    /// A superadmin, or the operator at the command line: whoever sees every tenant anyway.
    pub(in crate::domain) fn sees_every_tenant(&self) -> bool {
        self.operator || self.is_superadmin()
    }

    /// Fails the way an org-level check fails: `FORBIDDEN` where the caller can see the org,
    /// `NOT_FOUND` where they cannot.
    fn org_denied(&self, org_id: OrgId, why: &'static str) -> Error {
        match self.roles_in(org_id) {
            Some(_) => Error::Forbidden(why),
            None => Error::NotFound,
        }
    }

    /// Only [`CommandLine`](super::CommandLine) hands this out.
    pub(super) fn operator_scope(&self) -> Operator<'_> {
        debug_assert!(self.operator);
        Operator { caller: self }
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
            return Ok(OrgViewer { caller: self, org_id });
        }
        self.full_user()?;
        if self.is_superadmin() || self.roles_in(org_id).is_some() {
            Ok(OrgViewer { caller: self, org_id })
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

    /// The audit events the caller may read: ADMIN and AUDITOR of an organization read its log,
    /// superadmins every log; `org` narrows to one organization's.
    pub fn audit_reader(&self, org: Option<OrgId>) -> Result<AuditReader<'_>> {
        const NEEDS: &str = "reading the audit log needs ADMIN or AUDITOR";
        let readable: Vec<OrgId> = if let Some(client) = self.client() {
            client_check(client, org.unwrap_or(client.org_id), AUDIT_READ)?;
            vec![client.org_id]
        } else {
            let user = self.full_user()?;
            if user.superadmin {
                let reach = match org {
                    Some(org_id) => Reach::only(vec![org_id]),
                    None => Reach::every(),
                };
                return Ok(AuditReader { caller: self, reach });
            }
            user.reach
                .iter()
                .filter(|(_, roles)| roles.admin || roles.auditor)
                .map(|(org, _)| *org)
                .collect()
        };
        let reach = match org {
            Some(org_id) if readable.contains(&org_id) => Reach::only(vec![org_id]),
            Some(org_id) => return Err(self.org_denied(org_id, NEEDS)),
            None if readable.is_empty() => return Err(Error::Forbidden(NEEDS)),
            None => Reach::only(readable),
        };
        Ok(AuditReader { caller: self, reach })
    }

    /// The organizations whose members the caller may read.
    fn member_reach(&self) -> Result<Reach> {
        if let Some(client) = self.client() {
            return Ok(match client.has(USERS_READ) {
                true => Reach::only(vec![client.org_id]),
                false => Reach::nothing(),
            });
        }
        let user = self.full_user()?;
        if user.superadmin {
            return Ok(Reach::every());
        }
        Ok(Reach::only(
            user.reach
                .iter()
                .filter(|(_, roles)| roles.can_read_members())
                .map(|(org, _)| *org)
                .collect(),
        ))
    }

    /// May list users: the members of `org` (its ADMIN, USER_MANAGER or AUDITOR), or without
    /// one, of every organization whose members the caller may read.
    pub fn directory(&self, org: Option<OrgId>) -> Result<Directory<'_>> {
        let reach = match org {
            Some(org_id) => Reach::only(vec![self.org_reader(org_id)?.org_id]),
            None => self.member_reach()?,
        };
        if reach.is_empty() {
            return Err(Error::Forbidden("listing users needs ADMIN, USER_MANAGER or AUDITOR"));
        }
        Ok(Directory { caller: self, reach })
    }

    /// May list organizations: every one for a superadmin, an API client's own (with `org:read`),
    /// and the ones a user's session reaches.
    pub fn org_lister(&self) -> Result<OrgLister<'_>> {
        let reach = match self.client() {
            // Even its own organization only with `org:read`, as `organization(id)` answers.
            Some(client) if client.has(ORG_READ) => Reach::only(vec![client.org_id]),
            Some(_) => Reach::nothing(),
            None => {
                let me = self.full_user()?;
                match me.superadmin {
                    true => Reach::every(),
                    false => Reach::only(me.reach.keys().copied().collect()),
                }
            }
        };
        Ok(OrgLister { caller: self, reach })
    }

    /// What this request's batch loaders may read: the memberships the caller may see (their
    /// own, and those of the organizations whose members they read) and those memberships'
    /// organizations. A caller who is not signed in gets an empty reach.
    pub fn lookups(&self) -> super::Lookups {
        let memberships = match self.member_reach() {
            Ok(reach) => match self.user() {
                Ok(me) if !me.superadmin => reach.with_own(me.user_id, me.bound_org),
                _ => reach,
            },
            Err(_) => match self.user() {
                // A session that must change its password still sees its own memberships.
                Ok(me) => Reach::nothing().with_own(me.user_id, me.bound_org),
                Err(_) => Reach::nothing(),
            },
        };
        // The organizations of those memberships, and any the caller may list.
        let organizations = match (self.client(), self.user()) {
            (Some(client), _) => Reach::only(vec![client.org_id]),
            (None, Ok(me)) if me.superadmin => Reach::every(),
            (None, Ok(me)) => Reach::nothing().with_own(me.user_id, me.bound_org),
            (None, Err(_)) => Reach::nothing(),
        };
        let party = std::sync::Arc::new(crate::domain::metadata_schemas::Party::of(self));
        super::Lookups::new(self.state.database.clone(), memberships, organizations, party)
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

    /// An ADMIN's right over one API client: the client's organization is looked up here, so
    /// that nothing above `authz` reads a client before the check.
    pub async fn api_client_admin(&self, client_id: ApiClientId) -> Result<OrgAdmin<'_>> {
        // Who is asking comes first: an answer must not depend on whether the id exists.
        if self.client().is_some() {
            return Err(Error::Forbidden("API clients cannot manage API clients"));
        }
        self.full_user()?;
        let client = api_client::Entity::find_by_id(client_id)
            .one(self.state.database.reader())
            .await?
            .ok_or(Error::NotFound)?;
        self.org_admin(client.org_id)
    }

    /// The right to withdraw one pending invitation: that of managing its organization's
    /// members. Anything that is not a pending invitation is `NOT_FOUND`.
    pub async fn invitation_manager(&self, invitation_id: &str) -> Result<OrgManager<'_>> {
        // Who is asking comes first: an answer must not depend on whether the id exists.
        self.signed_in()?;
        let pending = one_time_token::Entity::find_by_id(invitation_id.to_owned())
            .one(self.state.database.reader())
            .await?
            .filter(|token| token.purpose == INVITATION && token.used_at.is_none())
            .and_then(|token| token.org_id)
            .ok_or(Error::NotFound)?;
        self.org_manager(pending)
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

    /// May end the session `session_id`: whoever may see its owner's sessions. A session that
    /// does not exist is `NOT_FOUND`, as is one whose owner the caller cannot see.
    pub async fn session_ender(&self, session_id: SessionId) -> Result<SessionReader<'_>> {
        // Who is asking comes first: an anonymous or refused caller learns nothing of sessions.
        self.authenticated()?;
        let owner = steward_entity::session::Entity::find_by_id(session_id)
            .one(self.state.database.reader())
            .await?
            .ok_or(Error::NotFound)?
            .user_id;
        self.session_reader(owner).await
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
