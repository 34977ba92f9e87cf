//! Organizations: queries and mutations.

use async_graphql::{Context, Object, ID};

use super::connection::{Connection, Count};
use super::cost;
use super::ids::parse;
use super::inputs::{CreateOrganizationInput, UpdateOrganizationInput};
use super::types::{Organization, PublicOrganization};
use crate::domain::email_domains;
use crate::domain::organizations::{self, NewOrganization, OrganizationPatch};
use crate::domain::pagination::PageRequest;
use crate::error::Error;
use steward_entity::OrgId;

type GqlResult<T> = async_graphql::Result<T>;

#[derive(Default)]
pub struct OrganizationQuery;

#[Object]
impl OrganizationQuery {
    /// One organization, by id or slug; null when it does not exist or is out of reach.
    ///
    /// **Permissions**: superadmins, and members of the organization.
    async fn organization(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        slug: Option<String>,
    ) -> GqlResult<Option<Organization>> {
        let caller = super::acting::caller(ctx);
        caller.signed_in()?;
        let org_id = match (id, slug) {
            (Some(id), _) => match parse::<OrgId>(&id) {
                Ok(org_id) => org_id,
                Err(_) => return Ok(None),
            },
            (None, Some(slug)) => match organizations::find_by_slug(&caller.public(), &slug).await? {
                Some(org) => org.id,
                None => return Ok(None),
            },
            (None, None) => return Err(Error::invalid("id", "give id or slug").into()),
        };
        // Out of reach reads as absent.
        let Ok(scope) = caller.org_viewer(org_id) else {
            return Ok(None);
        };
        Ok(organizations::get(&scope).await?.map(Organization))
    }

    /// Organizations in slug order, a page at a time: every one for superadmins, the caller's
    /// own for everyone else.
    ///
    /// **Permissions**: any signed-in user.
    #[graphql(complexity = "cost::page(first, child_complexity)")]
    async fn organizations(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50)] first: Option<i32>,
        after: Option<String>,
        search: Option<String>,
    ) -> GqlResult<Connection<Organization>> {
        let caller = super::acting::caller(ctx);
        let scope = caller.org_lister()?;
        let page = PageRequest::new(first, after)?;
        let found = organizations::list(&scope, search.as_deref(), &page).await?;
        Ok(Connection::new(found, Count::Organizations { search }, Organization))
    }

    /// What an organization's sign-in and password pages may show; no sign-in needed.
    async fn public_organization(&self, ctx: &Context<'_>, slug: String) -> GqlResult<Option<PublicOrganization>> {
        let caller = super::acting::caller(ctx);
        let org = organizations::find_by_slug(&caller.public(), &slug).await?;
        Ok(org.as_ref().map(PublicOrganization::of))
    }
}

#[derive(Default)]
pub struct OrganizationMutation;

#[Object]
impl OrganizationMutation {
    /// Creates an organization.
    ///
    /// **Permissions**: superadmin.
    async fn create_organization(&self, ctx: &Context<'_>, input: CreateOrganizationInput) -> GqlResult<Organization> {
        let caller = super::acting::caller(ctx);
        let scope = caller.superadmin()?;
        let new = NewOrganization {
            slug: input.slug,
            name: input.name,
            branding: input
                .branding
                .map(|branding| branding.into_domain())
                .unwrap_or_default(),
            metadata: input.metadata.map(|json| json.0),
            settings: input
                .settings
                .map(|settings| settings.into_domain())
                .unwrap_or_default(),
            domains: input.domains.unwrap_or_default(),
        };
        Ok(Organization(organizations::create(&scope, new).await?))
    }

    /// Changes name, branding and settings (only the fields given); `metadata` is a merge patch.
    ///
    /// **Permissions**: the organization's ADMIN, or superadmin.
    async fn update_organization(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateOrganizationInput,
    ) -> GqlResult<Organization> {
        let caller = super::acting::caller(ctx);
        let scope = caller.org_admin(parse(&id)?)?;
        let patch = OrganizationPatch {
            name: input.name,
            branding: input
                .branding
                .map(|branding| branding.into_domain())
                .unwrap_or_default(),
            metadata: input.metadata.map(|json| json.0),
            settings: input.settings.map(|settings| settings.into_domain()),
        };
        Ok(Organization(organizations::update(&scope, patch).await?))
    }

    /// Replaces the email domains an organization claims (an empty list releases them all). The
    /// organization's admins and API clients then create accounts, and change addresses, only in
    /// these domains, and invite everyone else: an address outside them is refused before it is
    /// looked up, so the answer never tells whether it has an account in another organization.
    /// A domain claimed by another organization answers `CONFLICT`.
    ///
    /// **Permissions**: superadmin.
    async fn set_organization_domains(
        &self,
        ctx: &Context<'_>,
        id: ID,
        domains: Vec<String>,
    ) -> GqlResult<Organization> {
        let caller = super::acting::caller(ctx);
        let scope = caller.superadmin()?;
        let org_id = parse(&id)?;
        email_domains::set(&scope, org_id, &domains).await?;
        let viewer = caller.org_viewer(org_id)?;
        let organization = organizations::get(&viewer).await?.ok_or(Error::NotFound)?;
        Ok(Organization(organization))
    }

    /// Deletes an organization and its memberships; the users themselves stay.
    ///
    /// **Permissions**: superadmin.
    async fn delete_organization(&self, ctx: &Context<'_>, id: ID) -> GqlResult<bool> {
        let caller = super::acting::caller(ctx);
        let scope = caller.superadmin()?;
        organizations::delete(&scope, parse(&id)?).await?;
        Ok(true)
    }
}
