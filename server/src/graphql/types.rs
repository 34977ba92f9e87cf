//! Output types. They wrap storage rows but are not storage types: every field that needs more
//! than the row asks `authz` through the request's `Caller`.

use async_graphql::{ComplexObject, Context, Json, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::connection::{Connection, Count};
use super::cost;
use super::enums::OrderDirection;
use super::errors::withheld;
use super::ids::to_id;
use super::inputs::{UserFilterInput, UserOrderInput};
use super::membership::Membership;
use crate::domain::members;
use crate::domain::metadata_schemas::{self, Target};
use crate::domain::pagination::PageRequest;
use crate::domain::user_search::UserOrder;
use crate::error::Error;
use crate::policy::settings::OrgSettings as Settings;
use steward_entity::{membership, organization, session, user, OrgId, UserId};

type GqlResult<T> = async_graphql::Result<T>;

fn caller<'a>(ctx: &Context<'a>) -> super::acting::Acting<'a> {
    super::acting::caller(ctx)
}

pub struct User(pub user::Model);

/// A person: one identity across every organization they belong to.
#[Object]
impl User {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    /// Trimmed and lower-cased; unique.
    async fn email(&self) -> &str {
        &self.0.email
    }
    async fn email_verified(&self) -> bool {
        self.0.email_verified
    }
    async fn username(&self) -> Option<&str> {
        self.0.username.as_deref()
    }
    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }
    async fn given_name(&self) -> Option<&str> {
        self.0.given_name.as_deref()
    }
    async fn family_name(&self) -> Option<&str> {
        self.0.family_name.as_deref()
    }
    async fn nickname(&self) -> Option<&str> {
        self.0.nickname.as_deref()
    }
    async fn picture(&self) -> Option<&str> {
        self.0.picture.as_deref()
    }
    async fn phone_number(&self) -> Option<&str> {
        self.0.phone_number.as_deref()
    }
    async fn locale(&self) -> Option<&str> {
        self.0.locale.as_deref()
    }
    /// The user may edit it; admins see it. Keys a metadata schema withholds from the caller
    /// (`x-steward-read`) are left out.
    async fn user_metadata(&self, ctx: &Context<'_>) -> GqlResult<Json<serde_json::Value>> {
        let document = as_read(ctx, Target::UserMetadata, None, self.0.id, &self.0.user_metadata).await?;
        Ok(Json(document))
    }
    /// What a form for one of this user's metadata documents needs: the metadata schemas the
    /// caller may see (the platform's first, then those of the user's organizations whose members
    /// the caller reads, or all of the user's own for the user themself), and the properties the
    /// caller may not change. For `MEMBERSHIP_METADATA`, name the organization.
    async fn metadata_form(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(super::metadata_schemas::MetadataTarget::UserMetadata)")] target: Option<
            super::metadata_schemas::MetadataTarget,
        >,
        org_id: Option<ID>,
    ) -> GqlResult<super::metadata_schemas::MetadataForm> {
        let target = target.unwrap_or(super::metadata_schemas::MetadataTarget::UserMetadata);
        let caller = caller(ctx);
        let loaders = super::acting::loaders(ctx);
        let rows = loaders.metadata_rules.load_one(self.0.id).await?.unwrap_or_default();
        let only: Option<OrgId> = org_id.and_then(|id| id.parse().ok());
        let target = Target::from(target);
        let rows: Vec<_> = rows
            .into_iter()
            .filter(|row| match (target, only) {
                (Target::MembershipMetadata, Some(org_id)) => row.org_id.is_none_or(|org| org == org_id),
                (Target::MembershipMetadata, None) => row.org_id.is_none(),
                _ => true,
            })
            .collect();
        let myself = caller.user().is_ok_and(|me| me.user_id == self.0.id);
        let form = metadata_schemas::form(&loaders.lookups, &rows, target, self.0.id, |org_id| {
            myself || caller.can_read_org(org_id)
        });
        Ok(super::metadata_schemas::MetadataForm {
            schemas: form.schemas.into_iter().map(Json).collect(),
            read_only: form.read_only,
        })
    }
    /// Admins and apps only; never writable by the user.
    ///
    /// **Permissions**: ADMIN, USER_MANAGER or AUDITOR in an organization the user belongs to,
    /// or superadmin.
    async fn app_metadata(&self, ctx: &Context<'_>) -> GqlResult<Option<Json<serde_json::Value>>> {
        let caller = caller(ctx);
        if let Err(refusal) = caller.signed_in() {
            return Ok(withheld(ctx, refusal));
        }
        let superadmin = caller.user().is_ok_and(|me| me.superadmin);
        if !superadmin {
            let memberships = visible_memberships(ctx, self.0.id).await?;
            if !memberships
                .iter()
                .any(|membership| caller.can_read_org(membership.org_id))
            {
                return Ok(withheld(ctx, Error::Forbidden("appMetadata is for admins and apps")));
            }
        }
        let document = as_read(ctx, Target::AppMetadata, None, self.0.id, &self.0.app_metadata).await?;
        Ok(Some(Json(document)))
    }
    async fn blocked(&self) -> bool {
        self.0.blocked
    }
    async fn blocked_reason(&self) -> Option<&str> {
        self.0.blocked_reason.as_deref()
    }
    async fn password_change_required(&self) -> bool {
        self.0.password_change_required
    }
    async fn last_login_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_login_at
    }
    async fn logins_count(&self) -> i32 {
        i32::try_from(self.0.logins_count).unwrap_or(i32::MAX)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// The address a pending change of the user's own would switch to, until its link is
    /// followed.
    #[graphql(complexity = "1 + cost::QUERY")]
    async fn pending_email(&self, ctx: &Context<'_>) -> GqlResult<Option<String>> {
        let caller = caller(ctx);
        let Ok(scope) = caller.user_reader(self.0.id).await else {
            return Ok(None);
        };
        Ok(crate::domain::verification::pending_email(&scope).await?)
    }
    /// Whether the user is a platform superadmin.
    async fn is_superadmin(&self) -> bool {
        self.0.is_superadmin
    }
    /// Only the memberships the caller may see.
    #[graphql(complexity = "cost::list(cost::MEMBERSHIPS, child_complexity)")]
    async fn memberships(&self, ctx: &Context<'_>) -> GqlResult<Vec<Membership>> {
        caller(ctx).authenticated()?;
        Ok(owned_by(&self.0, visible_memberships(ctx, self.0.id).await?))
    }
    /// Live sign-in sessions.
    ///
    /// **Permissions**: the user themself, or whoever may manage the user's identity.
    #[graphql(complexity = "cost::queried_list(cost::SESSIONS, child_complexity)")]
    async fn sessions(&self, ctx: &Context<'_>) -> GqlResult<Option<Vec<Session>>> {
        let caller = caller(ctx);
        let scope = match caller.session_reader(self.0.id).await {
            Ok(scope) => scope,
            Err(refusal) => return Ok(withheld(ctx, refusal)),
        };
        Ok(Some(
            crate::domain::sessions::live(&scope)
                .await?
                .into_iter()
                .map(Session)
                .collect(),
        ))
    }
    /// What happened to this user, newest first: the events the caller's organizations may see.
    ///
    /// **Permissions**: ADMIN or AUDITOR of an organization the user belongs to; superadmin.
    #[graphql(complexity = "cost::page(first, child_complexity)")]
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50)] first: Option<i32>,
        after: Option<String>,
    ) -> GqlResult<Option<Connection<AuditEvent>>> {
        let filter = crate::domain::audit::AuditFilter {
            user: Some(self.0.id),
            ..Default::default()
        };
        let caller = caller(ctx);
        if let Err(refusal) = caller.audit_reader(None) {
            return Ok(withheld(ctx, refusal));
        }
        Ok(Some(super::audit::events(&caller, None, filter, first, after).await?))
    }
    /// Active brute-force locks, per client IP.
    #[graphql(complexity = "cost::queried_list(cost::LOCKOUTS, child_complexity)")]
    async fn lockouts(&self, ctx: &Context<'_>) -> GqlResult<Option<Vec<Lockout>>> {
        let caller = caller(ctx);
        let scope = match caller.user_reader(self.0.id).await {
            Ok(scope) => scope,
            Err(refusal) => return Ok(withheld(ctx, refusal)),
        };
        let locks = crate::domain::lockouts::active(&scope).await?;
        Ok(Some(
            locks
                .into_iter()
                .map(|lock| Lockout {
                    ip: lock.ip,
                    failed_attempts: lock.failed_attempts,
                    locked_until: lock.locked_until,
                })
                .collect(),
        ))
    }
}

pub struct Organization(pub organization::Model);

#[derive(SimpleObject)]
pub struct Branding {
    pub display_name: Option<String>,
    pub logo_url: Option<String>,
    pub primary_color: Option<String>,
}

impl Branding {
    pub fn of(org: &organization::Model) -> Self {
        Self {
            display_name: org.display_name.clone(),
            logo_url: org.logo_url.clone(),
            primary_color: org.primary_color.clone(),
        }
    }
}

#[derive(SimpleObject)]
pub struct PasswordPolicy {
    /// Default 12; passwords up to 128 characters are always accepted.
    pub min_length: i32,
    /// zxcvbn score 0..4, default 3.
    pub min_strength: i32,
    /// The last N passwords may not be reused; default 5.
    pub history_size: i32,
    /// Email, names and org name inside the password are refused; default true.
    pub reject_personal_info: bool,
}

#[derive(SimpleObject)]
pub struct LockoutPolicy {
    /// Per user and client IP; default 10.
    pub max_failed_attempts: i32,
    /// Default 900; 0 = until an admin clears it or the user resets the password.
    pub lockout_seconds: i32,
}

#[derive(SimpleObject)]
pub struct OrgSettings {
    pub password_policy: PasswordPolicy,
    pub lockout: LockoutPolicy,
    /// Unverified users cannot sign in to this organization.
    pub require_verified_email: bool,
    pub session_lifetime_seconds: i32,
}

pub fn password_policy(policy: &crate::policy::settings::PasswordPolicy) -> PasswordPolicy {
    PasswordPolicy {
        min_length: policy.min_length,
        min_strength: policy.min_strength,
        history_size: policy.history_size,
        reject_personal_info: policy.reject_personal_info,
    }
}

/// An organization (tenant).
#[Object]
impl Organization {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    /// Unique; `[a-z0-9-]`, 3 to 63 characters.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn branding(&self) -> Branding {
        Branding::of(&self.0)
    }
    /// Admin-only organization metadata.
    ///
    /// **Permissions**: the organization's ADMIN, superadmin, or an API client with `org:read`.
    async fn metadata(&self, ctx: &Context<'_>) -> GqlResult<Option<Json<serde_json::Value>>> {
        if let Err(refusal) = caller(ctx).org_settings_reader(self.0.id) {
            return Ok(withheld(ctx, refusal));
        }
        Ok(Some(Json(self.0.metadata.clone())))
    }
    /// **Permissions**: the organization's ADMIN, superadmin, or an API client with `org:read`.
    async fn settings(&self, ctx: &Context<'_>) -> GqlResult<Option<OrgSettings>> {
        if let Err(refusal) = caller(ctx).org_settings_reader(self.0.id) {
            return Ok(withheld(ctx, refusal));
        }
        let settings = Settings::from_json(&self.0.settings);
        Ok(Some(OrgSettings {
            password_policy: password_policy(&settings.password_policy),
            lockout: LockoutPolicy {
                max_failed_attempts: settings.lockout.max_failed_attempts,
                lockout_seconds: settings.lockout.lockout_seconds,
            },
            require_verified_email: settings.require_verified_email,
            session_lifetime_seconds: settings.session_lifetime_seconds,
        }))
    }
    /// The email domains the organization claims, in order. Its admins and API clients create
    /// accounts, and change addresses, only in these; they invite everyone else. Set by a
    /// superadmin (`setOrganizationDomains`).
    async fn domains(&self, ctx: &Context<'_>) -> GqlResult<Vec<String>> {
        let domains = &super::acting::loaders(ctx).domains;
        Ok(domains.load_one(self.0.id).await?.unwrap_or_default())
    }
    /// Counted for every organization on a page in one query.
    async fn member_count(&self, ctx: &Context<'_>) -> GqlResult<i32> {
        let counts = &super::acting::loaders(ctx).member_counts;
        let count = counts.load_one(self.0.id).await?.unwrap_or(0);
        Ok(i32::try_from(count).unwrap_or(i32::MAX))
    }
    /// The organization's members, filtered and sorted, a page at a time.
    ///
    /// **Permissions**: ADMIN, USER_MANAGER or AUDITOR of the organization, or superadmin.
    #[graphql(complexity = "cost::page(first, child_complexity)")]
    async fn members(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50)] first: Option<i32>,
        after: Option<String>,
        filter: Option<UserFilterInput>,
        order_by: Option<UserOrderInput>,
    ) -> GqlResult<Option<Connection<Membership>>> {
        let caller = caller(ctx);
        let scope = match caller.org_reader(self.0.id) {
            Ok(scope) => scope,
            Err(refusal) => return Ok(withheld(ctx, refusal)),
        };
        let filter = filter.map(UserFilterInput::into_domain).unwrap_or_default();
        let order = order_by.map(UserOrderInput::into_domain).unwrap_or_default();
        let page = members::list(&scope, &filter, order, &PageRequest::new(first, after)?).await?;
        Ok(Some(Connection::new(
            page,
            Count::Members {
                org_id: self.0.id,
                filter,
            },
            |(membership, user)| Membership::listed(membership, user),
        )))
    }
    /// One member of the organization, by user id (their roles, status and this membership's
    /// metadata); null when the user is not its member.
    ///
    /// **Permissions**: as `members`.
    async fn member(&self, ctx: &Context<'_>, user_id: ID) -> GqlResult<Option<Membership>> {
        let caller = caller(ctx);
        let scope = match caller.org_reader(self.0.id) {
            Ok(scope) => scope,
            Err(refusal) => return Ok(withheld(ctx, refusal)),
        };
        let Ok(user_id) = super::ids::parse(&user_id) else {
            return Ok(None);
        };
        let found = members::get(&scope, user_id).await?;
        Ok(found.map(|(membership, user)| Membership::listed(membership, user)))
    }
    /// Invitations that can still be accepted, newest first; empty for callers who cannot
    /// manage the organization's members.
    #[graphql(complexity = "cost::queried_list(cost::INVITATIONS, child_complexity)")]
    async fn invitations(&self, ctx: &Context<'_>) -> GqlResult<Vec<super::invitations::Invitation>> {
        let caller = caller(ctx);
        let Ok(scope) = caller.org_manager(self.0.id) else {
            return Ok(Vec::new());
        };
        let pending = crate::domain::invitations::pending(&scope).await?;
        Ok(pending.into_iter().map(Into::into).collect())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// What a sign-in page of an organization may show before anyone signs in.
#[derive(SimpleObject)]
pub struct PublicOrganization {
    pub slug: String,
    pub name: String,
    pub branding: Branding,
    pub password_policy: PasswordPolicy,
}

impl PublicOrganization {
    pub fn of(org: &organization::Model) -> Self {
        Self {
            slug: org.slug.clone(),
            name: org.name.clone(),
            branding: Branding::of(org),
            password_policy: password_policy(
                &crate::policy::settings::OrgSettings::from_json(&org.settings).password_policy,
            ),
        }
    }
}

pub struct Session(pub session::Model);

/// A sign-in session.
#[Object]
impl Session {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn last_used_at(&self) -> DateTime<Utc> {
        self.0.last_used_at
    }
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }
    async fn ip(&self) -> Option<&str> {
        self.0.ip.as_deref()
    }
    async fn user_agent(&self) -> Option<&str> {
        self.0.user_agent.as_deref()
    }
    /// Whether this is the session the request is made with ("this browser").
    async fn current(&self, ctx: &Context<'_>) -> bool {
        super::acting::caller(ctx)
            .user()
            .is_ok_and(|me| me.session_id == self.0.id)
    }
}

/// An active brute-force lock on one user from one IP.
#[derive(SimpleObject)]
pub struct Lockout {
    pub ip: String,
    pub failed_attempts: i32,
    /// Null: until an admin clears it or the user resets the password.
    pub locked_until: Option<DateTime<Utc>>,
}

/// What signing in or refreshing returns. Browsers also get the refresh token as an HttpOnly
/// SameSite=Strict cookie.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct AuthPayload {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i32,
    #[graphql(skip)]
    pub user: user::Model,
    /// Then the access token allows only `changeMyPassword`, `viewer` and `logout`.
    pub password_change_required: bool,
}

#[ComplexObject]
impl AuthPayload {
    /// The user who has just signed in. The fields under it are read as that user, with the
    /// rights of the new session: `login { user { memberships { roles } } }` works in the same
    /// request.
    async fn user(&self, ctx: &Context<'_>) -> User {
        super::acting::sign_in(ctx, &self.access_token).await;
        User(self.user.clone())
    }
}

/// The signed-in user.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Viewer {
    pub user: User,
    pub is_superadmin: bool,
    #[graphql(skip)]
    pub user_id: steward_entity::UserId,
}

#[ComplexObject]
impl Viewer {
    /// The viewer's own memberships.
    #[graphql(complexity = "cost::list(cost::MEMBERSHIPS, child_complexity)")]
    async fn memberships(&self, ctx: &Context<'_>) -> GqlResult<Vec<Membership>> {
        Ok(owned_by(&self.user.0, visible_memberships(ctx, self.user_id).await?))
    }
}

/// The memberships of a user that the caller may see (the loader's query keeps out the rest).
async fn visible_memberships(ctx: &Context<'_>, user_id: UserId) -> GqlResult<Vec<membership::Model>> {
    let loaded = super::acting::loaders(ctx).memberships.load_one(user_id).await?;
    Ok(loaded.unwrap_or_default())
}

fn owned_by(owner: &user::Model, memberships: Vec<membership::Model>) -> Vec<Membership> {
    memberships
        .into_iter()
        .map(|membership| Membership::of_owner(membership, owner))
        .collect()
}

impl UserOrderInput {
    pub fn into_domain(self) -> UserOrder {
        UserOrder {
            field: self.field.into(),
            descending: self.direction == OrderDirection::Desc,
        }
    }
}

pub struct AuditEvent(pub steward_entity::audit_event::Model);

/// One recorded change or sign-in attempt.
#[Object]
impl AuditEvent {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    /// e.g. LOGIN_SUCCEEDED, LOGIN_FAILED, PASSWORD_CHANGED, USER_BLOCKED.
    #[graphql(name = "type")]
    async fn event_type(&self) -> &str {
        &self.0.event_type
    }
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    async fn actor_user_id(&self) -> Option<ID> {
        self.0.actor_user_id.map(to_id)
    }
    async fn actor_api_client_id(&self) -> Option<ID> {
        self.0.actor_api_client_id.map(to_id)
    }
    async fn target_user_id(&self) -> Option<ID> {
        self.0.target_user_id.map(to_id)
    }
    async fn organization_id(&self) -> Option<ID> {
        self.0.organization_id.map(to_id)
    }
    async fn ip(&self) -> Option<&str> {
        self.0.ip.as_deref()
    }
    async fn user_agent(&self) -> Option<&str> {
        self.0.user_agent.as_deref()
    }
    async fn details(&self) -> Json<serde_json::Value> {
        Json(self.0.details.clone())
    }
}

/// A metadata document without the keys a schema withholds from the caller.
pub(super) async fn as_read(
    ctx: &Context<'_>,
    target: Target,
    org_id: Option<OrgId>,
    subject: UserId,
    document: &serde_json::Value,
) -> GqlResult<serde_json::Value> {
    let loaders = super::acting::loaders(ctx);
    let schemas = loaders.metadata_rules.load_one(subject).await?.unwrap_or_default();
    Ok(metadata_schemas::as_read_by(
        &loaders.lookups,
        &schemas,
        target,
        org_id,
        subject,
        document,
    ))
}
