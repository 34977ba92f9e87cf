//! How far a list may look. Every list query in `domain` ANDs a [`Reach`] into its filter, and
//! only this module builds one, from the caller's rights: so a list that forgot the tenant filter
//! would have no reach to AND in, and does not compile.

use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, Condition};

use crate::domain::database::Database;
use steward_entity::{membership, OrgId, UserId};

/// The organizations (all, or some) whose rows a list may show, and the caller's own rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reach {
    /// Every organization: a superadmin.
    every: bool,
    /// These organizations.
    orgs: Vec<OrgId>,
    /// The caller's own memberships, whatever the organization: in the one a bound session
    /// reaches (`Some`), or in all of theirs.
    own: Option<(UserId, Option<OrgId>)>,
}

impl Reach {
    pub(super) fn every() -> Self {
        Self {
            every: true,
            orgs: Vec::new(),
            own: None,
        }
    }

    pub(super) fn only(orgs: Vec<OrgId>) -> Self {
        Self {
            every: false,
            orgs,
            own: None,
        }
    }

    pub(super) fn nothing() -> Self {
        Self::only(Vec::new())
    }

    /// Adds the caller's own memberships (`bound`: only in that organization).
    pub(super) fn with_own(mut self, user_id: UserId, bound: Option<OrgId>) -> Self {
        self.own = Some((user_id, bound));
        self
    }

    /// True when the reach covers nothing at all.
    pub fn is_empty(&self) -> bool {
        !self.every && self.orgs.is_empty() && self.own.is_none()
    }

    pub(in crate::domain) fn is_every(&self) -> bool {
        self.every
    }

    /// The organizations named (empty for every organization, or for the caller's own only).
    pub(in crate::domain) fn orgs(&self) -> &[OrgId] {
        &self.orgs
    }

    /// The one organization this reach covers, when it covers exactly one.
    pub(in crate::domain) fn single(&self) -> Option<OrgId> {
        match (self.every, self.orgs.as_slice(), &self.own) {
            (false, [org], None) => Some(*org),
            _ => None,
        }
    }

    /// Rows whose organization column `org_column` is in reach (the caller's own are not added).
    pub(in crate::domain) fn org_condition(&self, org_column: impl ColumnTrait) -> Condition {
        if self.every {
            return Condition::all();
        }
        Condition::all().add(org_column.is_in(self.orgs.iter().copied()))
    }

    /// Memberships in reach: every membership of the organizations, and the caller's own.
    pub(in crate::domain) fn membership_condition(&self) -> Condition {
        if self.every {
            return Condition::all();
        }
        let mut condition = Condition::any().add(membership::Column::OrgId.is_in(self.orgs.iter().copied()));
        if let Some((user_id, bound)) = self.own {
            let mut own = Condition::all().add(membership::Column::UserId.eq(user_id));
            if let Some(org_id) = bound {
                own = own.add(membership::Column::OrgId.eq(org_id));
            }
            condition = condition.add(own);
        }
        condition
    }

    /// Rows of organizations in reach, by their organization column: those it names, and those
    /// of the caller's own memberships.
    pub(in crate::domain) fn organization_condition(&self, org_column: impl ColumnTrait) -> Condition {
        if self.every {
            return Condition::all();
        }
        let mut condition = Condition::any().add(org_column.is_in(self.orgs.iter().copied()));
        if let Some((user_id, bound)) = self.own {
            condition = condition.add(org_column.in_subquery(own_orgs(user_id, bound)));
        }
        condition
    }

    /// Rows about a user (`user_column`) at a time (`at_column`) that lie in reach: the user was
    /// a member of one of the organizations it names by then. An organization sees what happened
    /// to its members from when they joined it, not before.
    pub(in crate::domain) fn member_at_condition(
        &self,
        user_column: impl ColumnTrait,
        at_column: impl ColumnTrait,
    ) -> Condition {
        if self.every {
            return Condition::all();
        }
        let mut memberships = Query::select();
        memberships
            .expr(sea_orm::sea_query::Expr::val(1))
            .from(membership::Entity)
            .and_where(
                sea_orm::sea_query::Expr::col((membership::Entity, membership::Column::UserId))
                    .equals(user_column.as_column_ref()),
            )
            .and_where(membership::Column::OrgId.is_in(self.orgs.iter().copied()))
            .and_where(
                sea_orm::sea_query::Expr::col((membership::Entity, membership::Column::CreatedAt))
                    .lte(sea_orm::sea_query::Expr::col(at_column.as_column_ref())),
            );
        Condition::all().add(sea_orm::sea_query::Expr::exists(memberships))
    }
}

fn own_orgs(user_id: UserId, bound: Option<OrgId>) -> sea_orm::sea_query::SelectStatement {
    let mut orgs = Query::select();
    orgs.column(membership::Column::OrgId)
        .from(membership::Entity)
        .and_where(membership::Column::UserId.eq(user_id));
    if let Some(org_id) = bound {
        orgs.and_where(membership::Column::OrgId.eq(org_id));
    }
    orgs
}

/// What a request's batch loaders may read: a field that every item of a list asks for is loaded
/// once for the whole list, with no caller at hand, so the loader carries the caller's reach
/// instead and every query it sends ANDs it in. Built by [`Caller::lookups`](super::Caller::lookups).
#[derive(Clone)]
pub struct Lookups {
    database: Database,
    /// Memberships the caller may see.
    pub(super) memberships: Reach,
    /// Organizations the caller may see.
    pub(super) organizations: Reach,
    /// The caller, as metadata schemas' read rights see them.
    party: std::sync::Arc<crate::domain::metadata_schemas::Party>,
}

impl Lookups {
    pub(super) fn new(
        database: Database,
        memberships: Reach,
        organizations: Reach,
        party: std::sync::Arc<crate::domain::metadata_schemas::Party>,
    ) -> Self {
        Self {
            database,
            memberships,
            organizations,
            party,
        }
    }

    pub(in crate::domain) fn party(&self) -> &crate::domain::metadata_schemas::Party {
        &self.party
    }

    pub(in crate::domain) fn database(&self) -> &Database {
        &self.database
    }

    pub(in crate::domain) fn memberships(&self) -> &Reach {
        &self.memberships
    }

    pub(in crate::domain) fn organizations(&self) -> &Reach {
        &self.organizations
    }
}
