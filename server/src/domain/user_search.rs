//! Listing and searching users and members: every `UserFilter` field, four sort orders, keyset
//! pagination and a count. Text search reads a lower-cased column (trigram-indexed on
//! PostgreSQL); every sort order is served by an index on (key, id).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, DatabaseBackend, EntityTrait, JoinType, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait, Select, Value,
};
use serde_json::Value as Json;

use super::authz::{Directory, Reach, Scope};
use super::pagination::{after_condition, KeyValue, Page, PageRequest, SortKey};
use crate::domain::database::Database;
use crate::error::{Error, Result};
use crate::policy::roles::Role;
use std::collections::HashMap;
use steward_entity::{membership, user, OrgId, UserId};

#[derive(Clone, Debug, Default)]
pub struct UserFilter {
    pub query: Option<String>,
    pub email_verified: Option<bool>,
    pub blocked: Option<bool>,
    pub role: Option<Role>,
    /// `ACTIVE` or `SUSPENDED`.
    pub status: Option<&'static str>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
    pub metadata: Vec<(String, Json)>,
    /// A metadata key's value within bounds: numbers compare as numbers, strings (ISO 8601 dates
    /// among them) character by character; a value of another type does not match.
    pub metadata_ranges: Vec<MetadataRange>,
}

#[derive(Clone, Debug, Default)]
pub struct MetadataRange {
    pub path: String,
    pub at_least: Option<Json>,
    pub at_most: Option<Json>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OrderField {
    #[default]
    Email,
    Name,
    CreatedAt,
    LastLoginAt,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct UserOrder {
    pub field: OrderField,
    pub descending: bool,
}

fn membership_condition(filter: &UserFilter) -> Condition {
    let mut condition = Condition::all();
    if let Some(role) = filter.role {
        let column = match role {
            Role::Admin => membership::Column::RoleAdmin,
            Role::UserManager => membership::Column::RoleUserManager,
            Role::Auditor => membership::Column::RoleAuditor,
            Role::Member => membership::Column::RoleMember,
        };
        condition = condition.add(column.eq(true));
    }
    if let Some(status) = filter.status {
        condition = condition.add(membership::Column::Status.eq(status));
    }
    condition
}

/// `%…%` for LIKE, with the pattern characters of the input escaped.
fn contains_pattern(query: &str) -> String {
    let mut pattern = String::from("%");
    for c in query.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// `column` contains `query`, case-insensitively. Nothing searchable holds a control character
/// (and PostgreSQL refuses a NUL in a parameter outright), so such a query matches nothing.
fn search_condition(column: Expr, query: &str) -> SimpleExpr {
    if query.contains(char::is_control) {
        Expr::value(false)
    } else {
        column.like(sea_orm::sea_query::LikeExpr::new(contains_pattern(query)).escape('\\'))
    }
}

/// A JSON path such as `$."team"."name"`, for MariaDB and SQLite.
fn json_path(keys: &[&str]) -> String {
    format!("${}", keys.iter().map(|key| format!(".\"{key}\"")).collect::<String>())
}

/// The column and keys a metadata filter path names (`userMetadata.team.name`).
fn metadata_path(path: &str) -> Result<(&'static str, Vec<&str>)> {
    let mut segments = path.split('.');
    let column = match segments.next() {
        Some("userMetadata") => "user_metadata",
        Some("appMetadata") => "app_metadata",
        _ => {
            return Err(Error::invalid(
                "filter.metadata.path",
                "must start with userMetadata. or appMetadata.",
            ))
        }
    };
    let keys: Vec<&str> = segments.collect();
    if keys.is_empty()
        || keys.len() > 8
        || keys
            .iter()
            .any(|key| key.is_empty() || key.contains(['"', '\\']) || key.contains(char::is_control))
    {
        return Err(Error::invalid(
            "filter.metadata.path",
            "must name 1 to 8 keys after the document, like appMetadata.plan",
        ));
    }
    Ok((column, keys))
}

/// `users.<column>` at `path` equals `value`, in each backend's JSON dialect.
fn metadata_condition(backend: DatabaseBackend, path: &str, value: &Json) -> Result<SimpleExpr> {
    let (column, keys) = metadata_path(path)?;
    // A value no document could hold (a NUL, deeper nesting than allowed) is refused rather
    // than handed to a JSON parser that would fail on it.
    super::metadata::check_value(value).map_err(|message| Error::invalid("filter.metadata.equals", message))?;
    let json = value.to_string();
    Ok(match backend {
        DatabaseBackend::Postgres => {
            let placeholders: Vec<String> = (1..=keys.len()).map(|n| format!("${n}")).collect();
            let sql = format!(
                "jsonb_extract_path(\"users\".\"{column}\", {}) = CAST(${} AS jsonb)",
                placeholders.join(", "),
                keys.len() + 1
            );
            let mut values: Vec<Value> = keys.iter().map(|key| Value::from(key.to_string())).collect();
            values.push(Value::from(json));
            Expr::cust_with_values(sql, values)
        }
        DatabaseBackend::MySql => {
            // MariaDB compares two JSON_EXTRACT results by rules of its own (a string never
            // equals a string, case is ignored), so compare their JSON texts byte for byte.
            let sql =
                format!("CAST(JSON_EXTRACT(`users`.`{column}`, ?) AS BINARY) = CAST(JSON_EXTRACT(?, '$') AS BINARY)");
            Expr::cust_with_values(sql, [Value::from(json_path(&keys)), Value::from(json)])
        }
        DatabaseBackend::Sqlite => {
            // json_extract gives SQL values, where `true` is 1: the JSON types must match too.
            let equal = |function: &str| format!("{function}(\"users\".\"{column}\", ?) = {function}(?, '$')");
            let sql = format!("({} AND {})", equal("json_type"), equal("json_extract"));
            let (path, json) = (Value::from(json_path(&keys)), Value::from(json));
            Expr::cust_with_values(sql, [path.clone(), json.clone(), path, json])
        }
    })
}

/// `users.<column>` at `path` is at least (`below` false) or at most (`below` true) `bound`, a
/// number or a string, compared as its type in each backend's JSON dialect.
fn metadata_bound(backend: DatabaseBackend, path: &str, bound: &Json, below: bool, field: &str) -> Result<SimpleExpr> {
    let (column, keys) = metadata_path(path)?;
    let numeric = match bound {
        Json::Number(_) => true,
        Json::String(text) if !text.contains('\0') => false,
        _ => {
            return Err(Error::invalid(
                field,
                "must be a number, or a string such as a date (2026-12-05)",
            ))
        }
    };
    let op = if below { "<=" } else { ">=" };
    let json = bound.to_string();
    Ok(match backend {
        DatabaseBackend::Postgres => {
            let placeholders: Vec<String> = (1..=keys.len()).map(|n| format!("${n}")).collect();
            let value = format!(
                "jsonb_extract_path(\"users\".\"{column}\", {})",
                placeholders.join(", ")
            );
            let bound_at = keys.len() + 1;
            let sql = if numeric {
                format!("(jsonb_typeof({value}) = 'number' AND {value} {op} CAST(${bound_at} AS jsonb))")
            } else {
                format!(
                    "(jsonb_typeof({value}) = 'string' AND ({value} #>> '{{}}') COLLATE \"C\" {op}                      (CAST(${bound_at} AS jsonb) #>> '{{}}') COLLATE \"C\")"
                )
            };
            let mut values: Vec<Value> = keys.iter().map(|key| Value::from(key.to_string())).collect();
            values.push(Value::from(json));
            Expr::cust_with_values(sql, values)
        }
        DatabaseBackend::MySql => {
            let path = Value::from(json_path(&keys));
            let sql = if numeric {
                format!(
                    "(JSON_TYPE(JSON_EXTRACT(`users`.`{column}`, ?)) IN ('INTEGER', 'DOUBLE') \
                     AND CAST(JSON_VALUE(`users`.`{column}`, ?) AS DOUBLE) {op} CAST(JSON_VALUE(?, '$') AS DOUBLE))"
                )
            } else {
                format!(
                    "(JSON_TYPE(JSON_EXTRACT(`users`.`{column}`, ?)) = 'STRING' \
                     AND CAST(JSON_VALUE(`users`.`{column}`, ?) AS BINARY) {op} CAST(JSON_VALUE(?, '$') AS BINARY))"
                )
            };
            Expr::cust_with_values(sql, [path.clone(), path, Value::from(json)])
        }
        DatabaseBackend::Sqlite => {
            let types = if numeric { "('integer', 'real')" } else { "('text')" };
            let sql = format!(
                "(json_type(\"users\".\"{column}\", ?) IN {types} AND json_extract(\"users\".\"{column}\", ?) {op} json_extract(?, '$'))"
            );
            let path = Value::from(json_path(&keys));
            Expr::cust_with_values(sql, [path.clone(), path, Value::from(json)])
        }
    })
}

/// Every metadata condition of the filter, for `users`.
fn metadata_conditions(backend: DatabaseBackend, filter: &UserFilter) -> Result<Vec<SimpleExpr>> {
    let mut conditions = Vec::new();
    for (path, value) in &filter.metadata {
        conditions.push(metadata_condition(backend, path, value)?);
    }
    for range in &filter.metadata_ranges {
        if range.at_least.is_none() && range.at_most.is_none() {
            return Err(Error::invalid("filter.metadataRange", "give atLeast, atMost or both"));
        }
        if let Some(bound) = &range.at_least {
            conditions.push(metadata_bound(
                backend,
                &range.path,
                bound,
                false,
                "filter.metadataRange.atLeast",
            )?);
        }
        if let Some(bound) = &range.at_most {
            conditions.push(metadata_bound(
                backend,
                &range.path,
                bound,
                true,
                "filter.metadataRange.atMost",
            )?);
        }
    }
    Ok(conditions)
}

/// Users matching the filter among every user, or the members of some organizations.
fn filtered(database: &Database, reach: &Reach, filter: &UserFilter) -> Result<Select<user::Entity>> {
    let mut select = user::Entity::find();
    let mut subquery = Query::select();
    subquery
        .column(membership::Column::UserId)
        .from(membership::Entity)
        .cond_where(membership_condition(filter));
    subquery.cond_where(reach.org_condition(membership::Column::OrgId));
    let scoped = !reach.is_every() || filter.role.is_some() || filter.status.is_some();
    if scoped {
        select = select.filter(user::Column::Id.in_subquery(subquery));
    }
    if let Some(query) = filter.query.as_deref().filter(|query| !query.trim().is_empty()) {
        select = select.filter(search_condition(
            Expr::col((user::Entity, user::Column::SearchText)),
            query,
        ));
    }
    if let Some(verified) = filter.email_verified {
        select = select.filter(user::Column::EmailVerified.eq(verified));
    }
    if let Some(blocked) = filter.blocked {
        select = select.filter(user::Column::Blocked.eq(blocked));
    }
    if let Some(after) = filter.created_after {
        select = select.filter(user::Column::CreatedAt.gt(after));
    }
    if let Some(before) = filter.created_before {
        select = select.filter(user::Column::CreatedAt.lt(before));
    }
    for condition in metadata_conditions(database.backend(), filter)? {
        select = select.filter(condition);
    }
    Ok(select)
}

fn sort_column(field: OrderField) -> user::Column {
    match field {
        OrderField::Email => user::Column::Email,
        OrderField::Name => user::Column::NameSort,
        OrderField::CreatedAt => user::Column::CreatedAt,
        OrderField::LastLoginAt => user::Column::LastLoginSort,
    }
}

fn sort_key(field: OrderField, user: &user::Model) -> SortKey {
    let key = match field {
        OrderField::Email => KeyValue::Text(user.email.clone()),
        OrderField::Name => KeyValue::Text(user.name_sort.clone()),
        OrderField::CreatedAt => KeyValue::Number(user.created_at.timestamp_micros()),
        OrderField::LastLoginAt => KeyValue::Number(user.last_login_sort),
    };
    SortKey { key, id: user.id.0 }
}

fn key_value(field: OrderField, key: &KeyValue) -> Result<Value> {
    let bad = || Error::invalid("after", "the cursor belongs to another sort order");
    Ok(match (field, key) {
        (OrderField::Email | OrderField::Name, KeyValue::Text(text)) => Value::from(text.clone()),
        (OrderField::CreatedAt, KeyValue::Number(micros)) => {
            Value::from(DateTime::<Utc>::from_timestamp_micros(*micros).ok_or_else(bad)?)
        }
        (OrderField::LastLoginAt, KeyValue::Number(micros)) => Value::from(*micros),
        _ => return Err(bad()),
    })
}

/// One organization's members matching the filter, read from `memberships` and its indexes
/// (which carry copies of the users' sort and search keys); `users` is joined only for the
/// filters that need it.
fn org_filtered(database: &Database, org_id: OrgId, filter: &UserFilter) -> Result<Select<membership::Entity>> {
    let mut select = membership::Entity::find()
        .filter(membership::Column::OrgId.eq(org_id))
        .filter(membership_condition(filter));
    if let Some(query) = filter.query.as_deref().filter(|query| !query.trim().is_empty()) {
        select = select.filter(search_condition(
            Expr::col((membership::Entity, membership::Column::UserSearchText)),
            query,
        ));
    }
    if let Some(after) = filter.created_after {
        select = select.filter(membership::Column::UserCreatedAt.gt(after));
    }
    if let Some(before) = filter.created_before {
        select = select.filter(membership::Column::UserCreatedAt.lt(before));
    }
    if filter.email_verified.is_some()
        || filter.blocked.is_some()
        || !filter.metadata.is_empty()
        || !filter.metadata_ranges.is_empty()
    {
        select = select.join(JoinType::InnerJoin, membership::Relation::User.def());
        if let Some(verified) = filter.email_verified {
            select = select.filter(user::Column::EmailVerified.eq(verified));
        }
        if let Some(blocked) = filter.blocked {
            select = select.filter(user::Column::Blocked.eq(blocked));
        }
        for condition in metadata_conditions(database.backend(), filter)? {
            select = select.filter(condition);
        }
    }
    Ok(select)
}

fn member_sort_column(field: OrderField) -> membership::Column {
    match field {
        OrderField::Email => membership::Column::UserEmail,
        OrderField::Name => membership::Column::UserNameSort,
        OrderField::CreatedAt => membership::Column::UserCreatedAt,
        OrderField::LastLoginAt => membership::Column::UserLastLoginSort,
    }
}

fn direction(order: UserOrder) -> sea_orm::Order {
    if order.descending {
        sea_orm::Order::Desc
    } else {
        sea_orm::Order::Asc
    }
}

/// One page of an organization's memberships, in order; the index does the sorting.
async fn org_page_rows(
    database: &Database,
    org_id: OrgId,
    filter: &UserFilter,
    order: UserOrder,
    page: &PageRequest,
) -> Result<Vec<membership::Model>> {
    let column = member_sort_column(order.field);
    let mut select = org_filtered(database, org_id, filter)?;
    if let Some(after) = &page.after {
        let cursor = SortKey::decode(after)?;
        select = select.filter(after_condition(
            Expr::col((membership::Entity, column)).into(),
            Expr::col((membership::Entity, membership::Column::UserId)).into(),
            key_value(order.field, &cursor.key)?,
            cursor.id,
            order.descending,
        ));
    }
    Ok(select
        .order_by(column, direction(order))
        .order_by(membership::Column::UserId, direction(order))
        .limit(page.first + 1)
        .all(database.reader())
        .await?)
}

/// The ids of one page of users, in order.
async fn user_page_ids(
    database: &Database,
    reach: &Reach,
    filter: &UserFilter,
    order: UserOrder,
    page: &PageRequest,
) -> Result<Vec<UserId>> {
    let column = sort_column(order.field);
    let mut select = filtered(database, reach, filter)?;
    if let Some(after) = &page.after {
        let cursor = SortKey::decode(after)?;
        select = select.filter(after_condition(
            Expr::col((user::Entity, column)).into(),
            Expr::col((user::Entity, user::Column::Id)).into(),
            key_value(order.field, &cursor.key)?,
            cursor.id,
            order.descending,
        ));
    }
    Ok(select
        .select_only()
        .column(user::Column::Id)
        .order_by(column, direction(order))
        .order_by(user::Column::Id, direction(order))
        .limit(page.first + 1)
        .into_tuple()
        .all(database.reader())
        .await?)
}

/// The whole rows of these users, keyed by id.
async fn load_users(
    database: &Database,
    ids: impl IntoIterator<Item = UserId>,
) -> Result<HashMap<UserId, user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(database.reader())
        .await?
        .into_iter()
        .map(|user| (user.id, user))
        .collect())
}

/// One page of an organization's members, each membership with its user: the page comes from
/// the membership indexes, and only its users are read.
pub(super) async fn member_page(
    database: &Database,
    org_id: OrgId,
    filter: &UserFilter,
    order: UserOrder,
    page: &PageRequest,
) -> Result<Page<(membership::Model, user::Model)>> {
    let memberships = org_page_rows(database, org_id, filter, order, page).await?;
    let mut users = load_users(database, memberships.iter().map(|membership| membership.user_id)).await?;
    let rows = memberships
        .into_iter()
        .filter_map(|membership| users.remove(&membership.user_id).map(|user| (membership, user)))
        .collect();
    Ok(Page::from_rows(rows, page.first, |(_, user)| {
        sort_key(order.field, user)
    }))
}

/// One page of users, in order: the members of the directory's organizations, or every user.
pub async fn page(
    scope: &Directory<'_>,
    filter: &UserFilter,
    order: UserOrder,
    page: &PageRequest,
) -> Result<Page<user::Model>> {
    super::metadata_schemas::check_filter(scope.caller(), filter).await?;
    let database = scope.database();
    if let Some(org_id) = scope.reach.single() {
        return Ok(member_page(database, org_id, filter, order, page)
            .await?
            .map(|(_, user)| user));
    }
    // Two steps: find the page's ids from narrow rows, then load the few whole rows.
    let ids = user_page_ids(database, &scope.reach, filter, order, page).await?;
    let mut rows = load_users(database, ids.iter().copied()).await?;
    let rows = ids.iter().filter_map(|id| rows.remove(id)).collect();
    Ok(Page::from_rows(rows, page.first, |user| sort_key(order.field, user)))
}

/// How many users match, for `totalCount`; run only when a client asks for it.
pub async fn count(scope: &Directory<'_>, filter: &UserFilter) -> Result<u64> {
    super::metadata_schemas::check_filter(scope.caller(), filter).await?;
    let database = scope.database();
    match scope.reach.single() {
        Some(org_id) => member_count(database, org_id, filter).await,
        None => Ok(filtered(database, &scope.reach, filter)?
            .count(database.reader())
            .await?),
    }
}

/// How many members of one organization match.
pub(super) async fn member_count(database: &Database, org_id: OrgId, filter: &UserFilter) -> Result<u64> {
    Ok(org_filtered(database, org_id, filter)?.count(database.reader()).await?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(super::contains_pattern(" A%b_c "), "%a\\%b\\_c%");
    }
}
