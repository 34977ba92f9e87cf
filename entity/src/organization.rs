use crate::OrgId;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "organizations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: OrgId,
    #[sea_orm(unique)]
    pub slug: String,
    pub name: String,
    /// Lower-cased name and slug, for case-insensitive search on every backend.
    pub search_text: String,
    pub display_name: Option<String>,
    pub logo_url: Option<String>,
    pub primary_color: Option<String>,
    pub metadata: Json,
    /// `OrgSettings` as JSON; the server owns its shape and defaults.
    pub settings: Json,
    /// Bumped by every write of `metadata`, so that concurrent merge patches retry instead of
    /// overwriting each other.
    pub revision: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::membership::Entity")]
    Membership,
}

impl Related<super::membership::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Membership.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
