//! Organizations (tenants): creation and deletion by superadmins, settings and branding by their
//! admins, and the lists each caller may see.

use sea_orm::sea_query::{Expr, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};
use serde_json::{json, Value as Json};
use std::collections::HashMap;

use super::audit::{self, Event};
use super::metadata;
use super::pagination::{KeyValue, Page, PageRequest, SortKey};
use super::validate;
use crate::domain::authz::{Lookups, OrgAdmin, OrgLister, OrgViewer, Public, Reach, Scope, Superadmin};
use crate::error::{conflict_on_unique, Error, FieldErrors, Result};
use crate::policy::settings::{OrgSettings, SettingsPatch};
use steward_entity::{organization, OrgId};

#[derive(Clone, Debug, Default)]
pub struct BrandingPatch {
    pub display_name: Option<Option<String>>,
    pub logo_url: Option<Option<String>>,
    pub primary_color: Option<Option<String>>,
}

pub struct NewOrganization {
    pub slug: String,
    pub name: String,
    pub branding: BrandingPatch,
    pub metadata: Option<Json>,
    pub settings: SettingsPatch,
    /// Email domains the organization claims (see [`super::email_domains`]).
    pub domains: Vec<String>,
}

#[derive(Default)]
pub struct OrganizationPatch {
    pub name: Option<String>,
    pub branding: BrandingPatch,
    pub metadata: Option<Json>,
    pub settings: Option<SettingsPatch>,
}

fn search_text(slug: &str, name: &str) -> String {
    format!("{}\n{}", slug, name.to_lowercase())
}

/// One branding field: its input name, the change asked for, where it is stored, its check.
type BrandingField<'a> = (
    &'a str,
    &'a Option<Option<String>>,
    &'a mut Option<String>,
    fn(&str) -> Result<String, String>,
);

fn apply_branding(model: &mut organization::Model, branding: &BrandingPatch, errors: &mut FieldErrors) {
    let fields: [BrandingField<'_>; 3] = [
        (
            "branding.displayName",
            &branding.display_name,
            &mut model.display_name,
            |raw| validate::text(raw, 255),
        ),
        (
            "branding.logoUrl",
            &branding.logo_url,
            &mut model.logo_url,
            validate::url,
        ),
        (
            "branding.primaryColor",
            &branding.primary_color,
            &mut model.primary_color,
            validate::color,
        ),
    ];
    for (field, patch, slot, check) in fields {
        match patch {
            None => {}
            Some(None) => *slot = None,
            Some(Some(raw)) => match check(raw) {
                Ok(clean) => *slot = Some(clean),
                Err(message) => errors.add(field, message),
            },
        }
    }
}

pub async fn create(scope: &Superadmin<'_>, new: NewOrganization) -> Result<organization::Model> {
    let mut errors = FieldErrors::default();
    let slug = validate::slug(&new.slug)
        .map_err(|message| errors.add("slug", message))
        .ok();
    let name = validate::text(&new.name, 255)
        .map_err(|message| errors.add("name", message))
        .ok();
    let mut settings = OrgSettings::default();
    settings.apply(&new.settings, &mut errors);
    let metadata = metadata::initial("metadata", new.metadata.as_ref());
    let domains = super::email_domains::checked(&new.domains, &mut errors);
    let app = scope.app();
    let now = app.clock.now();
    let mut model = organization::Model {
        id: OrgId::new(),
        slug: slug.unwrap_or_default(),
        name: name.unwrap_or_default(),
        search_text: String::new(),
        display_name: None,
        logo_url: None,
        primary_color: None,
        metadata: json!({}),
        settings: settings.to_json(),
        revision: 0,
        created_at: now,
        updated_at: now,
    };
    apply_branding(&mut model, &new.branding, &mut errors);
    errors.into_result()?;
    model.metadata = metadata?;
    model.search_text = search_text(&model.slug, &model.name);
    let transaction = app.database.write().await?;
    let organization = organization::ActiveModel::from(model)
        .reset_all()
        .insert(&*transaction)
        .await
        .map_err(|error| conflict_on_unique(error, "an organization with this slug already exists"))?;
    super::email_domains::replace(&*transaction, organization.id, &domains, now).await?;
    audit::record(
        &*transaction,
        &scope.actor(),
        now,
        Event::new("ORGANIZATION_CREATED")
            .org(organization.id)
            .details(json!({ "slug": organization.slug, "domains": domains })),
    )
    .await?;
    transaction.commit().await?;
    Ok(organization)
}

/// Changes name, branding, settings (only the fields given) and merge-patches metadata,
/// retrying when another writer got in between.
pub async fn update(scope: &OrgAdmin<'_>, patch: OrganizationPatch) -> Result<organization::Model> {
    if let Some(metadata) = &patch.metadata {
        metadata::validate_patch("metadata", metadata)?;
    }
    let app = scope.app();
    for _ in 0..20 {
        let transaction = app.database.write().await?;
        let current = organization::Entity::find_by_id(scope.org_id)
            .one(&*transaction)
            .await?
            .ok_or(Error::NotFound)?;
        let mut next = current.clone();
        let mut errors = FieldErrors::default();
        if let Some(name) = &patch.name {
            match validate::text(name, 255) {
                Ok(name) => next.name = name,
                Err(message) => errors.add("name", message),
            }
        }
        apply_branding(&mut next, &patch.branding, &mut errors);
        if let Some(settings_patch) = &patch.settings {
            let mut settings = OrgSettings::from_json(&current.settings);
            settings.apply(settings_patch, &mut errors);
            next.settings = settings.to_json();
        }
        errors.into_result()?;
        if let Some(metadata) = &patch.metadata {
            next.metadata = metadata::merge("metadata", &current.metadata, metadata)?;
        }
        if next == current {
            return Ok(current);
        }
        let now = app.clock.now();
        next.search_text = search_text(&next.slug, &next.name);
        next.revision = current.revision + 1;
        next.updated_at = now;
        let mut active = organization::ActiveModel::from(next.clone()).reset_all();
        active.id = sea_orm::ActiveValue::Unchanged(current.id);
        let result = organization::Entity::update_many()
            .set(active)
            .filter(organization::Column::Id.eq(current.id))
            .filter(organization::Column::Revision.eq(current.revision))
            .exec(&*transaction)
            .await?;
        if result.rows_affected == 0 {
            continue;
        }
        audit::record(
            &*transaction,
            &scope.actor(),
            now,
            Event::new("ORGANIZATION_UPDATED").org(current.id),
        )
        .await?;
        transaction.commit().await?;
        return Ok(next);
    }
    Err(Error::Conflict(
        "the organization is being changed by others; try again".into(),
    ))
}

/// Deletes an organization and its memberships; its members' identities stay.
pub async fn delete(scope: &Superadmin<'_>, org_id: OrgId) -> Result<()> {
    let app = scope.app();
    let now = app.clock.now();
    let transaction = app.database.write().await?;
    let organization = organization::Entity::find_by_id(org_id)
        .one(&*transaction)
        .await?
        .ok_or(Error::NotFound)?;
    organization::Entity::delete_by_id(org_id).exec(&*transaction).await?;
    audit::record(
        &*transaction,
        &scope.actor(),
        now,
        Event::new("ORGANIZATION_DELETED")
            .org(org_id)
            .details(json!({ "slug": organization.slug })),
    )
    .await?;
    transaction.commit().await?;
    Ok(())
}

/// The organization a slug names, for the pages anyone may see (sign-in, password reset): the
/// caller reads its public face only, or asks for more with the id.
pub async fn find_by_slug(scope: &Public<'_>, slug: &str) -> Result<Option<organization::Model>> {
    // A slug of the wrong shape names no organization; it never reaches the database.
    let Ok(slug) = validate::slug(&slug.to_lowercase()) else {
        return Ok(None);
    };
    Ok(organization::Entity::find()
        .filter(organization::Column::Slug.eq(slug))
        .one(scope.database().reader())
        .await?)
}

/// The organization a viewer may see.
pub async fn get(scope: &OrgViewer<'_>) -> Result<Option<organization::Model>> {
    Ok(organization::Entity::find_by_id(scope.org_id)
        .one(scope.database().reader())
        .await?)
}

/// Reads many organizations in one query, those in the lookups' reach only; those that no
/// longer exist or are out of reach are left out.
pub async fn get_many(lookups: &Lookups, org_ids: &[OrgId]) -> Result<HashMap<OrgId, organization::Model>> {
    Ok(organization::Entity::find()
        .filter(organization::Column::Id.is_in(org_ids.iter().copied()))
        .filter(lookups.organizations().organization_condition(organization::Column::Id))
        .all(lookups.database().reader())
        .await?
        .into_iter()
        .map(|org| (org.id, org))
        .collect())
}

fn filtered(reach: &Reach, search: Option<&str>) -> Select<organization::Entity> {
    let mut select = organization::Entity::find().filter(reach.organization_condition(organization::Column::Id));
    if let Some(search) = search.map(str::trim).filter(|search| !search.is_empty()) {
        // No name or slug holds a control character; PostgreSQL would refuse a NUL outright.
        if search.contains(char::is_control) {
            return select.filter(Expr::value(false));
        }
        let mut pattern = String::from("%");
        for c in search.to_lowercase().chars() {
            if matches!(c, '%' | '_' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('%');
        select = select.filter(
            Expr::col((organization::Entity, organization::Column::SearchText))
                .like(LikeExpr::new(pattern).escape('\\')),
        );
    }
    select
}

/// A page of organizations in slug order.
pub async fn list(
    scope: &OrgLister<'_>,
    search: Option<&str>,
    page: &PageRequest,
) -> Result<Page<organization::Model>> {
    let mut select = filtered(&scope.reach, search);
    if let Some(after) = &page.after {
        let cursor = SortKey::decode(after)?;
        let KeyValue::Text(slug) = cursor.key else {
            return Err(Error::invalid("after", "not a cursor from this list"));
        };
        select = select.filter(organization::Column::Slug.gt(slug));
    }
    let rows = select
        .order_by_asc(organization::Column::Slug)
        .limit(page.first + 1)
        .all(scope.database().reader())
        .await?;
    Ok(Page::from_rows(rows, page.first, |org| SortKey {
        key: KeyValue::Text(org.slug.clone()),
        id: org.id.0,
    }))
}

pub async fn count(scope: &OrgLister<'_>, search: Option<&str>) -> Result<u64> {
    Ok(filtered(&scope.reach, search).count(scope.database().reader()).await?)
}
