use crate::OrgId;
use sea_orm::entity::prelude::*;

/// An email domain an organization has claimed (lower case, no trailing dot). Its admins and API
/// clients may create accounts and set addresses only in the domains it holds; a domain belongs to
/// one organization at most.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "organization_domains")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub domain: String,
    pub org_id: OrgId,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
