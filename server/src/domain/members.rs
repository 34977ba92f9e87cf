//! Memberships: adding and removing members, their roles and per-org metadata, and listing them.

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;
use std::collections::HashMap;

use super::audit::{self, Event};
use super::metadata;
use super::pagination::{Page, PageRequest};
use super::user_search::{self, UserFilter, UserOrder};
use crate::domain::authz::{Lookups, MemberManager, OrgManager, OrgReader, Scope, UserReader};
use crate::error::{conflict_on_unique, Error, Result};
use crate::policy::roles::{Role, RoleSet, ACTIVE};
use steward_entity::{membership, user, OrgId, UserId};

pub fn role_names(roles: &RoleSet) -> Vec<&'static str> {
    roles
        .roles()
        .into_iter()
        .map(|role| match role {
            Role::Admin => "ADMIN",
            Role::UserManager => "USER_MANAGER",
            Role::Auditor => "AUDITOR",
            Role::Member => "MEMBER",
        })
        .collect()
}

pub(super) async fn insert_membership(
    connection: &impl ConnectionTrait,
    org_id: OrgId,
    user: &user::Model,
    roles: RoleSet,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<membership::Model> {
    membership_row(org_id, user, roles, now)
        .insert(connection)
        .await
        .map_err(|error| conflict_on_unique(error, "the user is already a member of this organization"))
}

/// A new, active membership of `user` in `org_id`, with copies of the user's sort and search keys.
pub(super) fn membership_row(
    org_id: OrgId,
    user: &user::Model,
    roles: RoleSet,
    now: chrono::DateTime<chrono::Utc>,
) -> membership::ActiveModel {
    membership::ActiveModel {
        org_id: Set(org_id),
        user_id: Set(user.id),
        role_admin: Set(roles.admin),
        role_user_manager: Set(roles.user_manager),
        role_auditor: Set(roles.auditor),
        role_member: Set(roles.member),
        status: Set(ACTIVE.into()),
        suspended_reason: Set(None),
        metadata: Set(json!({})),
        revision: Set(0),
        created_at: Set(now),
        user_email: Set(user.email.clone()),
        user_name_sort: Set(user.name_sort.clone()),
        user_search_text: Set(user.search_text.clone()),
        user_created_at: Set(user.created_at),
        user_last_login_sort: Set(user.last_login_sort),
    }
}

/// Brings the copies of a user's sort and search keys on their memberships up to date; called in
/// the transaction that changed the user.
pub(super) async fn sync_user_keys(connection: &impl ConnectionTrait, user: &user::Model) -> Result<()> {
    use sea_orm::sea_query::Expr;
    membership::Entity::update_many()
        .col_expr(membership::Column::UserEmail, Expr::value(user.email.clone()))
        .col_expr(membership::Column::UserNameSort, Expr::value(user.name_sort.clone()))
        .col_expr(
            membership::Column::UserSearchText,
            Expr::value(user.search_text.clone()),
        )
        .col_expr(membership::Column::UserLastLoginSort, Expr::value(user.last_login_sort))
        .filter(membership::Column::UserId.eq(user.id))
        .exec(connection)
        .await?;
    Ok(())
}

/// Adds an existing user the caller can see to the caller's organization.
pub async fn add(manager: &OrgManager<'_>, user: &UserReader<'_>, roles: RoleSet) -> Result<membership::Model> {
    if roles.is_empty() {
        return Err(Error::invalid("roles", "give at least one role"));
    }
    manager.check_grant(&roles)?;
    let app = manager.app();
    let now = app.clock.now();
    let transaction = app.database.write().await?;
    let exists = membership::Entity::find_by_id((manager.org_id(), user.user_id()))
        .one(&*transaction)
        .await?;
    if exists.is_some() {
        return Err(Error::Conflict(
            "the user is already a member of this organization".into(),
        ));
    }
    let member = user::Entity::find_by_id(user.user_id())
        .one(&*transaction)
        .await?
        .ok_or(Error::NotFound)?;
    let membership = insert_membership(&*transaction, manager.org_id(), &member, roles, now).await?;
    audit::record(
        &*transaction,
        &manager.actor(),
        now,
        Event::new("MEMBER_ADDED")
            .user(user.user_id())
            .org(manager.org_id())
            .details(json!({ "roles": role_names(&roles) })),
    )
    .await?;
    transaction.commit().await?;
    Ok(membership)
}

pub async fn remove(scope: &MemberManager<'_>) -> Result<()> {
    let app = scope.app();
    let now = app.clock.now();
    let transaction = app.database.write().await?;
    let deleted = membership::Entity::delete_by_id((scope.org_id, scope.user_id))
        .exec(&*transaction)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(Error::NotFound);
    }
    // An invitation to the organization would bring them back, whether it was made for the
    // account or for its address.
    super::tokens::invalidate_in_org(
        &*transaction,
        scope.user_id,
        scope.org_id,
        super::tokens::INVITATION,
        now,
    )
    .await?;
    if let Some(user) = user::Entity::find_by_id(scope.user_id).one(&*transaction).await? {
        super::tokens::invalidate_invitations_for(&*transaction, scope.org_id, &user.email, now).await?;
    }
    audit::record(
        &*transaction,
        &scope.actor(),
        now,
        Event::new("MEMBER_REMOVED").user(scope.user_id).org(scope.org_id),
    )
    .await?;
    transaction.commit().await?;
    Ok(())
}

pub async fn set_roles(scope: &MemberManager<'_>, roles: RoleSet) -> Result<membership::Model> {
    if roles.is_empty() {
        return Err(Error::invalid("roles", "give at least one role"));
    }
    scope.check_grant(&roles)?;
    let app = scope.app();
    let now = app.clock.now();
    let transaction = app.database.write().await?;
    let current = membership::Entity::find_by_id((scope.org_id, scope.user_id))
        .one(&*transaction)
        .await?
        .ok_or(Error::NotFound)?;
    let before = RoleSet::of(&current);
    let mut active: membership::ActiveModel = current.into();
    active.role_admin = Set(roles.admin);
    active.role_user_manager = Set(roles.user_manager);
    active.role_auditor = Set(roles.auditor);
    active.role_member = Set(roles.member);
    let updated = active.update(&*transaction).await?;
    audit::record(
        &*transaction,
        &scope.actor(),
        now,
        Event::new("MEMBER_ROLES_CHANGED")
            .user(scope.user_id)
            .org(scope.org_id)
            .details(json!({ "from": role_names(&before), "to": role_names(&roles) })),
    )
    .await?;
    transaction.commit().await?;
    Ok(updated)
}

/// Merge-patches the membership's metadata, retrying on a concurrent write.
pub async fn update_metadata(scope: &MemberManager<'_>, patch: serde_json::Value) -> Result<membership::Model> {
    metadata::validate_patch("metadata", &patch)?;
    let app = scope.app();
    for _ in 0..20 {
        let transaction = app.database.write().await?;
        let current = membership::Entity::find_by_id((scope.org_id, scope.user_id))
            .one(&*transaction)
            .await?
            .ok_or(Error::NotFound)?;
        let merged = metadata::merge("metadata", &current.metadata, &patch)?;
        {
            use super::metadata_schemas::{self as schemas, Target};
            let target = Target::MembershipMetadata;
            let governing = schemas::governing(&*transaction, target, &[scope.org_id]).await?;
            let party = schemas::Party::of(scope.caller());
            schemas::require_write(target, &governing, &party, scope.user_id, &current.metadata, &merged)?;
        }
        let result = membership::Entity::update_many()
            .col_expr(
                membership::Column::Metadata,
                sea_orm::sea_query::Expr::value(merged.clone()),
            )
            .col_expr(
                membership::Column::Revision,
                sea_orm::sea_query::Expr::value(current.revision + 1),
            )
            .filter(membership::Column::OrgId.eq(scope.org_id))
            .filter(membership::Column::UserId.eq(scope.user_id))
            .filter(membership::Column::Revision.eq(current.revision))
            .exec(&*transaction)
            .await?;
        if result.rows_affected == 0 {
            continue;
        }
        let now = app.clock.now();
        audit::record(
            &*transaction,
            &scope.actor(),
            now,
            Event::new("MEMBER_METADATA_UPDATED")
                .user(scope.user_id)
                .org(scope.org_id),
        )
        .await?;
        transaction.commit().await?;
        return Ok(membership::Model {
            metadata: merged,
            revision: current.revision + 1,
            ..current
        });
    }
    Err(Error::Conflict(
        "the membership is being changed by others; try again".into(),
    ))
}

/// The user of a member whom the scope may change.
pub async fn member(scope: &MemberManager<'_>) -> Result<user::Model> {
    user::Entity::find_by_id(scope.user_id)
        .one(scope.database().reader())
        .await?
        .ok_or(Error::NotFound)
}

/// A page of an organization's members, each with their user.
pub async fn list(
    scope: &OrgReader<'_>,
    filter: &UserFilter,
    order: UserOrder,
    page: &PageRequest,
) -> Result<Page<(membership::Model, user::Model)>> {
    super::metadata_schemas::check_filter(scope.caller(), filter).await?;
    user_search::member_page(scope.database(), scope.org_id, filter, order, page).await
}

/// One member of the organization, with their user; `None` when the user is not its member.
pub async fn get(scope: &OrgReader<'_>, user_id: UserId) -> Result<Option<(membership::Model, user::Model)>> {
    let connection = scope.database().reader();
    let Some(membership) = membership::Entity::find_by_id((scope.org_id, user_id))
        .one(connection)
        .await?
    else {
        return Ok(None);
    };
    let user = user::Entity::find_by_id(user_id).one(connection).await?;
    Ok(user.map(|user| (membership, user)))
}

pub async fn count(scope: &OrgReader<'_>, filter: &UserFilter) -> Result<u64> {
    super::metadata_schemas::check_filter(scope.caller(), filter).await?;
    user_search::member_count(scope.database(), scope.org_id, filter).await
}

/// How many members each organization has, in one query for all of them (those in the lookups'
/// reach; a member count is no secret of anyone who may see the organization).
pub async fn member_counts(lookups: &Lookups, org_ids: &[OrgId]) -> Result<HashMap<OrgId, u64>> {
    use sea_orm::QuerySelect;
    let rows: Vec<(OrgId, i64)> = membership::Entity::find()
        .select_only()
        .column(membership::Column::OrgId)
        .column_as(membership::Column::UserId.count(), "members")
        .filter(membership::Column::OrgId.is_in(org_ids.to_vec()))
        .filter(
            lookups
                .organizations()
                .organization_condition(membership::Column::OrgId),
        )
        .group_by(membership::Column::OrgId)
        .into_tuple()
        .all(lookups.database().reader())
        .await?;
    let mut counts: HashMap<OrgId, u64> = org_ids.iter().map(|id| (*id, 0)).collect();
    counts.extend(rows.into_iter().map(|(org_id, count)| (org_id, count.max(0) as u64)));
    Ok(counts)
}

/// The memberships of each of `user_ids` that the caller may see, in one query: their own (in
/// the one organization a bound session reaches), and every membership of the organizations whose
/// members the caller may read.
pub async fn memberships_of(lookups: &Lookups, user_ids: &[UserId]) -> Result<HashMap<UserId, Vec<membership::Model>>> {
    let rows = membership::Entity::find()
        .filter(membership::Column::UserId.is_in(user_ids.iter().copied()))
        .filter(lookups.memberships().membership_condition())
        .all(lookups.database().reader())
        .await?;
    let mut by_user: HashMap<UserId, Vec<membership::Model>> =
        user_ids.iter().map(|user_id| (*user_id, Vec::new())).collect();
    for membership in rows {
        by_user.entry(membership.user_id).or_default().push(membership);
    }
    Ok(by_user)
}
