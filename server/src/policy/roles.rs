//! Organization roles.

use steward_entity::membership;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    Admin,
    UserManager,
    Auditor,
    Member,
}

/// The roles of one membership, as the flags the database stores.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RoleSet {
    pub admin: bool,
    pub user_manager: bool,
    pub auditor: bool,
    pub member: bool,
}

impl RoleSet {
    pub fn from_roles(roles: &[Role]) -> Self {
        let mut set = RoleSet::default();
        for role in roles {
            match role {
                Role::Admin => set.admin = true,
                Role::UserManager => set.user_manager = true,
                Role::Auditor => set.auditor = true,
                Role::Member => set.member = true,
            }
        }
        set
    }

    pub fn of(model: &membership::Model) -> Self {
        Self {
            admin: model.role_admin,
            user_manager: model.role_user_manager,
            auditor: model.role_auditor,
            member: model.role_member,
        }
    }

    pub fn roles(&self) -> Vec<Role> {
        [
            (self.admin, Role::Admin),
            (self.user_manager, Role::UserManager),
            (self.auditor, Role::Auditor),
            (self.member, Role::Member),
        ]
        .into_iter()
        .filter_map(|(held, role)| held.then_some(role))
        .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.roles().is_empty()
    }

    /// May read members, their metadata and the audit log.
    pub fn can_read_members(&self) -> bool {
        self.admin || self.user_manager || self.auditor
    }

    /// May create, edit, suspend and remove members.
    pub fn can_manage_members(&self) -> bool {
        self.admin || self.user_manager
    }

    /// Roles only an `ADMIN` may grant.
    pub fn is_privileged(&self) -> bool {
        self.admin || self.user_manager
    }
}

pub const ACTIVE: &str = "ACTIVE";
pub const SUSPENDED: &str = "SUSPENDED";
