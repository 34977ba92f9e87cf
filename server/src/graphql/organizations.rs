//! Organizations: queries and mutations.

use async_graphql::{Context, Object, ID};

use super::connection::{Connection, Count};
use super::cost;
use super::ids::parse;
use super::inputs::{CreateOrganizationInput, UpdateOrganizationInput};
use super::types::{Organization, PublicOrganization};
use crate::authz::Caller;
use crate::domain::organizations::{self, NewOrganization, OrgListScope, OrganizationPatch};
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
        let caller = ctx.data_unchecked::<Caller>();
        caller.signed_in()?;
        let org = match (id, slug) {
            (Some(id), _) => match parse::<OrgId>(&id) {
                Ok(org_id) => organizations::get(&caller.public(), org_id).await?,
                Err(_) => None,
            },
            (None, Some(slug)) => organizations::find_by_slug(&caller.public(), &slug).await?,
            (None, None) => return Err(Error::invalid("id", "give id or slug").into()),
        };
        Ok(org.filter(|org| caller.org_viewer(org.id).is_ok()).map(Organization))
    }

    /// Organizations in slug order, a page at a time: every one for superadmins, the caller's
    /// own for everyone else.
    ///
    /// **Permissions**: any signed-in user.
    #[graphql(complexity = "cost::page(first, child_complexity)")]
    async fn organizations(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50)] first: i32,
        after: Option<String>,
        search: Option<String>,
    ) -> GqlResult<Connection<Organization>> {
        let caller = ctx.data_unchecked::<Caller>();
        let scope = match caller.client() {
            Some(client) => OrgListScope::Only(vec![client.org_id]),
            None => {
                let me = caller.full_user()?;
                if me.superadmin {
                    OrgListScope::All
                } else {
                    OrgListScope::Only(me.reach.keys().copied().collect())
                }
            }
        };
        let page = PageRequest::new(Some(first), after)?;
        let found = organizations::list(&caller.public(), &scope, search.as_deref(), &page).await?;
        Ok(Connection::new(
            found,
            Count::Organizations { scope, search },
            Organization,
        ))
    }

    /// What an organization's sign-in and password pages may show; no sign-in needed.
    async fn public_organization(&self, ctx: &Context<'_>, slug: String) -> GqlResult<Option<PublicOrganization>> {
        let caller = ctx.data_unchecked::<Caller>();
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
        let caller = ctx.data_unchecked::<Caller>();
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
        let caller = ctx.data_unchecked::<Caller>();
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

    /// Deletes an organization and its memberships; the users themselves stay.
    ///
    /// **Permissions**: superadmin.
    async fn delete_organization(&self, ctx: &Context<'_>, id: ID) -> GqlResult<bool> {
        let caller = ctx.data_unchecked::<Caller>();
        let scope = caller.superadmin()?;
        organizations::delete(&scope, parse(&id)?).await?;
        Ok(true)
    }
}
