//! Typed metadata: JSON Schemas (draft 2020-12) that metadata documents must satisfy, with
//! per-key read and write rights.
//!
//! An organization may hold one schema for each kind of document ([`Target`]): the `userMetadata`
//! and `appMetadata` of its members, and their membership `metadata`. The platform may hold one of
//! each too, which every organization's documents must satisfy as well. `userMetadata` and
//! `appMetadata` belong to the user, not to one organization, so a user in several organizations
//! is held to the platform's schema and to the schema of every organization they belong to: a
//! document is accepted only if every one of them accepts it.
//!
//! Rights are annotations inside a schema: a property may carry `"x-steward-read"` and
//! `"x-steward-write"`, each a list of who may read or change that key (and everything under it):
//! - `SELF`: the user the document is about;
//! - `MEMBER`, `AUDITOR`, `USER_MANAGER`, `ADMIN`: a user holding that role in the organization
//!   whose schema it is, or a role ranked above it (in that order), or for a platform schema in any
//!   organization;
//! - `scope:<scope>`: an API client of that organization holding that scope.
//!
//! A key without an annotation (its own or an enclosing property's) keeps the rights of the
//! document as a whole. Every annotation that applies must admit the caller; superadmins and the
//! operator are admitted by all of them. Schemas never widen who may reach a document: the
//! capability checks come first.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{Map, Value};

use super::authz::Caller;
use crate::error::{Error, FieldErrors, Result};
use crate::policy::roles::RoleSet;
use steward_entity::{membership, metadata_schema, OrgId, UserId};

pub const READ: &str = "x-steward-read";
pub const WRITE: &str = "x-steward-write";
/// Serialized schemas are limited like the documents they describe, with room for descriptions.
const MAX_SCHEMA_BYTES: usize = 64 * 1024;

/// The kind of document a schema governs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    UserMetadata,
    AppMetadata,
    MembershipMetadata,
}

impl Target {
    pub fn as_str(self) -> &'static str {
        match self {
            Target::UserMetadata => "USER_METADATA",
            Target::AppMetadata => "APP_METADATA",
            Target::MembershipMetadata => "MEMBERSHIP_METADATA",
        }
    }

    /// The field the document is read and written as, which error paths start with.
    pub fn field(self) -> &'static str {
        match self {
            Target::UserMetadata => "userMetadata",
            Target::AppMetadata => "appMetadata",
            Target::MembershipMetadata => "metadata",
        }
    }

    fn key(self, org_id: Option<OrgId>) -> String {
        match org_id {
            Some(org_id) => format!("{org_id}/{}", self.as_str()),
            None => format!("platform/{}", self.as_str()),
        }
    }
}

/// A schema in force, compiled.
pub struct Governing {
    /// `None` for the platform's.
    pub org_id: Option<OrgId>,
    pub schema: Value,
    validator: jsonschema::Validator,
}

/// Checks a schema as a superadmin or org admin submits it and compiles it: a JSON object that is
/// a valid draft 2020-12 schema, with no reference outside itself, and well-formed rights.
pub fn compile(schema: &Value) -> Result<jsonschema::Validator> {
    let invalid = |message: String| Error::invalid("schema", message);
    if !schema.is_object() {
        return Err(invalid("must be a JSON object (a JSON Schema)".into()));
    }
    let size = serde_json::to_vec(schema).map_err(Error::internal)?.len();
    if size > MAX_SCHEMA_BYTES {
        return Err(invalid(format!("the schema is {size} bytes; the limit is 64 KiB")));
    }
    if let Some(dialect) = schema.get("$schema") {
        if dialect != "https://json-schema.org/draft/2020-12/schema" {
            return Err(invalid(
                "`$schema` must be https://json-schema.org/draft/2020-12/schema, or left out".into(),
            ));
        }
    }
    check_rights(schema, "").map_err(invalid)?;
    jsonschema::draft202012::meta::validate(schema)
        .map_err(|error| invalid(format!("not a valid JSON Schema: {error} at {}", error.instance_path())))?;
    validator(schema).map_err(|error| invalid(format!("the schema cannot be used: {error}")))
}

/// A validator for a schema. `format` is asserted, not only noted as draft 2020-12 has it by
/// default: a property typed `"format": "date"` holds a date, so that dates sort and filter as such.
fn validator(schema: &Value) -> std::result::Result<jsonschema::Validator, jsonschema::ValidationError<'static>> {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(schema)
}

/// Every `x-steward-read` and `x-steward-write` is a list of known entries.
fn check_rights(schema: &Value, at: &str) -> std::result::Result<(), String> {
    let Value::Object(map) = schema else { return Ok(()) };
    for keyword in [READ, WRITE] {
        if let Some(list) = map.get(keyword) {
            let entries = list
                .as_array()
                .ok_or_else(|| format!("`{keyword}` at {at}/ must be a list"))?;
            for entry in entries {
                let known = entry.as_str().is_some_and(|entry| {
                    matches!(entry, "SELF" | "MEMBER" | "AUDITOR" | "USER_MANAGER" | "ADMIN")
                        || entry
                            .strip_prefix("scope:")
                            .is_some_and(|scope| crate::policy::client_scopes::ALL.contains(&scope))
                });
                if !known {
                    return Err(format!(
                        "`{keyword}` at {at}/ lists {entry}; entries are SELF, MEMBER, AUDITOR, USER_MANAGER, \
                         ADMIN or scope:<an API client scope>"
                    ));
                }
            }
        }
    }
    if let Some(Value::Object(properties)) = map.get("properties") {
        for (key, child) in properties {
            check_rights(child, &format!("{at}/properties/{}", escape(key)))?;
        }
    }
    Ok(())
}

/// A JSON Pointer token (RFC 6901).
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// A path as a JSON Pointer (RFC 6901), as errors and reports name it.
pub fn pointer(path: &[String]) -> String {
    path.iter().map(|key| format!("/{}", escape(key))).collect()
}

/// The schema stored for an organization (or the platform) and target, as written.
pub async fn stored(
    connection: &impl ConnectionTrait,
    org_id: Option<OrgId>,
    target: Target,
) -> Result<Option<metadata_schema::Model>> {
    Ok(metadata_schema::Entity::find_by_id(target.key(org_id))
        .one(connection)
        .await?)
}

/// The schemas a document of `target` answers to when it belongs to organizations `orgs` (one
/// for membership metadata, every organization of the user for the rest): the platform's first.
pub async fn governing(connection: &impl ConnectionTrait, target: Target, orgs: &[OrgId]) -> Result<Vec<Governing>> {
    let mut keys = vec![target.key(None)];
    keys.extend(orgs.iter().map(|org_id| target.key(Some(*org_id))));
    let mut rows = metadata_schema::Entity::find()
        .filter(metadata_schema::Column::Key.is_in(keys))
        .all(connection)
        .await?;
    rows.sort_by_key(|row| row.org_id.is_some());
    rows.into_iter()
        .map(|row| {
            // A stored schema passed `compile` when it was set.
            let validator = validator(&row.schema).map_err(|error| {
                Error::internal(anyhow::anyhow!("a stored metadata schema no longer compiles: {error}"))
            })?;
            Ok(Governing {
                org_id: row.org_id,
                schema: row.schema,
                validator,
            })
        })
        .collect()
}

/// Whether any schema is stored at all.
pub async fn any_stored(connection: &impl ConnectionTrait) -> Result<bool> {
    use sea_orm::PaginatorTrait;
    Ok(metadata_schema::Entity::find().count(connection).await? > 0)
}

/// The organizations a user belongs to, whose schemas govern their identity-wide metadata.
pub async fn orgs_of(connection: &impl ConnectionTrait, user_id: UserId) -> Result<Vec<OrgId>> {
    use sea_orm::QuerySelect;
    Ok(membership::Entity::find()
        .select_only()
        .column(membership::Column::OrgId)
        .filter(membership::Column::UserId.eq(user_id))
        .into_tuple()
        .all(connection)
        .await?)
}

/// Who is reading or writing, as the rights vocabulary sees them.
pub struct Party {
    everything: bool,
    user_id: Option<UserId>,
    roles: HashMap<OrgId, RoleSet>,
    client: Option<(OrgId, Vec<String>)>,
}

impl Party {
    pub(in crate::domain) fn of(caller: &Caller) -> Self {
        let user = caller.full_user().ok();
        Self {
            everything: caller.sees_every_tenant(),
            user_id: user.map(|user| user.user_id),
            roles: user.map(|user| user.reach.clone()).unwrap_or_default(),
            client: caller.client().map(|client| (client.org_id, client.scopes.clone())),
        }
    }

    /// A party every annotation admits (superadmins, the operator).
    pub fn everything() -> Self {
        Self {
            everything: true,
            user_id: None,
            roles: HashMap::new(),
            client: None,
        }
    }

    fn admits(&self, entry: &str, org_id: Option<OrgId>, subject: UserId) -> bool {
        if self.everything {
            return true;
        }
        if entry == "SELF" {
            return self.user_id == Some(subject);
        }
        if let Some(scope) = entry.strip_prefix("scope:") {
            return self.client.as_ref().is_some_and(|(client_org, scopes)| {
                org_id.is_none_or(|org| org == *client_org) && scopes.iter().any(|s| s == scope)
            });
        }
        let needed = rank(entry);
        let held = |roles: &RoleSet| {
            [
                (roles.admin, 3),
                (roles.user_manager, 2),
                (roles.auditor, 1),
                (roles.member, 0),
            ]
            .into_iter()
            .filter(|(has, _)| *has)
            .map(|(_, rank)| rank)
            .max()
        };
        match org_id {
            Some(org_id) => self
                .roles
                .get(&org_id)
                .and_then(held)
                .is_some_and(|rank| rank >= needed),
            None => self.roles.values().filter_map(held).any(|rank| rank >= needed),
        }
    }

    /// Whether every annotation of `keyword` on the way to `path` in every schema admits this party.
    fn may<'s>(
        &self,
        keyword: &str,
        schemas: impl IntoIterator<Item = (Option<OrgId>, &'s Value)>,
        path: &[String],
        subject: UserId,
    ) -> bool {
        schemas.into_iter().all(|(org_id, schema)| {
            annotation(schema, keyword, path)
                .is_none_or(|entries| entries.iter().any(|entry| self.admits(entry, org_id, subject)))
        })
    }
}

fn rank(role: &str) -> u8 {
    match role {
        "ADMIN" => 3,
        "USER_MANAGER" => 2,
        "AUDITOR" => 1,
        _ => 0,
    }
}

/// The innermost `keyword` list on the way to `path` through nested `properties`.
fn annotation<'a>(schema: &'a Value, keyword: &str, path: &[String]) -> Option<Vec<&'a str>> {
    let list = |node: &'a Value| {
        node.get(keyword)
            .and_then(Value::as_array)
            .map(|entries| entries.iter().filter_map(Value::as_str).collect::<Vec<_>>())
    };
    let mut found = list(schema);
    let mut node = schema;
    for key in path {
        match node.get("properties").and_then(|properties| properties.get(key)) {
            Some(child) => {
                node = child;
                if let Some(entries) = list(node) {
                    found = Some(entries);
                }
            }
            None => break,
        }
    }
    found
}

/// The paths where `before` and `after` differ, down to their leaves: an object added or removed
/// whole counts as each of its keys, so that the rights of a key inside it are not passed by
/// writing its parent. A key whose value changes between an object and anything else counts itself
/// too. (`Null` stands for an absent key.)
fn changes(before: &Value, after: &Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let empty = Map::new();
    match (before.as_object(), after.as_object()) {
        (None, None) => {
            if before != after {
                out.push(path.clone());
            }
        }
        (old, new) => {
            let replaced = |side: Option<&Map<String, Value>>, value: &Value| side.is_none() && !value.is_null();
            if !path.is_empty() && (replaced(old, before) || replaced(new, after)) {
                out.push(path.clone());
            }
            let (old, new) = (old.unwrap_or(&empty), new.unwrap_or(&empty));
            let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
            keys.sort();
            keys.dedup();
            let absent = Value::Null;
            for key in keys {
                let (old, new) = (old.get(key).unwrap_or(&absent), new.get(key).unwrap_or(&absent));
                if old != new {
                    path.push(key.clone());
                    changes(old, new, path, out);
                    path.pop();
                }
            }
        }
    }
}

/// Checks a write of a document from `before` to `after` by `party`: each changed key must be
/// writable by them under every governing schema, and the result must satisfy every schema.
/// Problems are reported under `<field><JSON pointer>`.
pub fn check_write(
    errors: &mut FieldErrors,
    target: Target,
    governing: &[Governing],
    party: &Party,
    subject: UserId,
    before: &Value,
    after: &Value,
) {
    if governing.is_empty() {
        return;
    }
    let field = target.field();
    let mut changed = Vec::new();
    changes(before, after, &mut Vec::new(), &mut changed);
    for path in &changed {
        if !party.may(WRITE, rules(governing), path, subject) {
            errors.add(&format!("{field}{}", pointer(path)), "you may not change this key");
        }
    }
    for problem in violations(governing, after) {
        let path = problem.path;
        // A value the writer may not read is not described back to them.
        let message = if party.may(READ, rules(governing), &path, subject) {
            problem.message
        } else {
            "does not satisfy the schema".to_owned()
        };
        errors.add(&format!("{field}{}", pointer(&path)), message);
    }
}

/// Fails with `BAD_USER_INPUT` unless `check_write` finds nothing.
pub fn require_write(
    target: Target,
    governing: &[Governing],
    party: &Party,
    subject: UserId,
    before: &Value,
    after: &Value,
) -> Result<()> {
    let mut errors = FieldErrors::default();
    check_write(&mut errors, target, governing, party, subject, before, after);
    errors.into_result()
}

/// Where a document fails a schema, and why.
pub struct Violation {
    pub path: Vec<String>,
    pub message: String,
}

/// Every schema's complaints about `document`.
pub fn violations(governing: &[Governing], document: &Value) -> Vec<Violation> {
    let mut found = Vec::new();
    for schema in governing {
        for error in schema.validator.iter_errors(document) {
            let path = error
                .instance_path()
                .as_str()
                .split('/')
                .skip(1)
                .map(|token| token.replace("~1", "/").replace("~0", "~"))
                .collect();
            let origin = match schema.org_id {
                Some(_) => "the organization's schema",
                None => "the platform's schema",
            };
            found.push(Violation {
                path,
                message: format!("{error} ({origin})"),
            });
        }
    }
    found
}

fn rules(governing: &[Governing]) -> impl Iterator<Item = (Option<OrgId>, &Value)> + Clone {
    governing.iter().map(|schema| (schema.org_id, &schema.schema))
}

/// `document` without the keys `party` may not read under `schemas`.
fn readable<'s>(
    schemas: impl IntoIterator<Item = (Option<OrgId>, &'s Value)> + Clone,
    party: &Party,
    subject: UserId,
    document: &Value,
) -> Value {
    if party.everything || schemas.clone().into_iter().next().is_none() {
        return document.clone();
    }
    fn prune<'s>(
        value: &Value,
        path: &mut Vec<String>,
        schemas: &(impl IntoIterator<Item = (Option<OrgId>, &'s Value)> + Clone),
        party: &Party,
        subject: UserId,
    ) -> Value {
        let Value::Object(map) = value else {
            return value.clone();
        };
        let mut kept = Map::new();
        for (key, child) in map {
            path.push(key.clone());
            if party.may(READ, schemas.clone(), path, subject) {
                kept.insert(key.clone(), prune(child, path, schemas, party, subject));
            }
            path.pop();
        }
        Value::Object(kept)
    }
    if !party.may(READ, schemas.clone(), &[], subject) {
        return Value::Object(Map::new());
    }
    prune(document, &mut Vec::new(), &schemas, party, subject)
}

/// The stored schemas that bear on what is read of each of these users' documents: the
/// platform's and those of every organization the user belongs to, whether or not the reader can
/// see that organization (its rules hold all the same).
pub async fn of_users(
    lookups: &super::authz::Lookups,
    user_ids: &[UserId],
) -> Result<HashMap<UserId, Vec<metadata_schema::Model>>> {
    use sea_orm::QuerySelect;
    let connection = lookups.database().reader();
    let mut found: HashMap<UserId, Vec<metadata_schema::Model>> = HashMap::new();
    if user_ids.is_empty() {
        return Ok(found);
    }
    // Two statements for any number of users: the schemas that concern any of them (the
    // platform's, and those of any organization one of them is in), then who is in which.
    let mut their_orgs = sea_orm::sea_query::Query::select();
    their_orgs
        .column(membership::Column::OrgId)
        .from(membership::Entity)
        .and_where(membership::Column::UserId.is_in(user_ids.iter().copied()));
    let rows = metadata_schema::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(metadata_schema::Column::OrgId.is_null())
                .add(metadata_schema::Column::OrgId.in_subquery(their_orgs)),
        )
        .all(connection)
        .await?;
    if rows.is_empty() {
        return Ok(found);
    }
    let mut platform = Vec::new();
    let mut by_org: HashMap<OrgId, Vec<metadata_schema::Model>> = HashMap::new();
    for row in rows {
        match row.org_id {
            Some(org_id) => by_org.entry(org_id).or_default().push(row),
            None => platform.push(row),
        }
    }
    let memberships: Vec<(UserId, OrgId)> = if by_org.is_empty() {
        Vec::new()
    } else {
        membership::Entity::find()
            .select_only()
            .column(membership::Column::UserId)
            .column(membership::Column::OrgId)
            .filter(membership::Column::UserId.is_in(user_ids.iter().copied()))
            .filter(membership::Column::OrgId.is_in(by_org.keys().copied()))
            .into_tuple()
            .all(connection)
            .await?
    };
    for user_id in user_ids {
        found.insert(*user_id, platform.clone());
    }
    for (user_id, org_id) in memberships {
        if let Some(rows) = by_org.get(&org_id) {
            found.entry(user_id).or_default().extend(rows.iter().cloned());
        }
    }
    Ok(found)
}

/// `document` (the `target` of user `subject`) as `caller` may read it under `schemas` (from
/// [`of_users`]): the keys an annotation withholds from them are left out. For membership metadata
/// `org_id` names the membership's organization, whose schema alone (with the platform's) applies.
pub fn as_read_by(
    lookups: &super::authz::Lookups,
    schemas: &[metadata_schema::Model],
    target: Target,
    org_id: Option<OrgId>,
    subject: UserId,
    document: &Value,
) -> Value {
    let applying = schemas
        .iter()
        .filter(|row| row.target == target.as_str())
        .filter(|row| row.org_id.is_none() || org_id.is_none() || row.org_id == org_id)
        .map(|row| (row.org_id, &row.schema));
    readable(applying, lookups.party(), subject, document)
}

/// Refuses a filter on a metadata key that some schema withholds from the caller: which users
/// match would tell the key's value. Every organization's schemas count, since a member listed
/// here may belong to another organization whose schema withholds the key.
pub(in crate::domain) async fn check_filter(caller: &Caller, filter: &super::user_search::UserFilter) -> Result<()> {
    let paths: Vec<&str> = filter
        .metadata
        .iter()
        .map(|(path, _)| path.as_str())
        .chain(filter.metadata_ranges.iter().map(|range| range.path.as_str()))
        .collect();
    if paths.is_empty() || caller.sees_every_tenant() {
        return Ok(());
    }
    let party = Party::of(caller);
    // No user is their own in a list: SELF admits nobody here.
    let nobody = UserId(uuid::Uuid::nil());
    // Every schema of the two documents a filter can name, read once for all its paths.
    let rows = metadata_schema::Entity::find()
        .filter(metadata_schema::Column::Target.is_in([Target::UserMetadata.as_str(), Target::AppMetadata.as_str()]))
        .all(caller.app().database.reader())
        .await?;
    for path in paths {
        let mut keys = path.split('.');
        let target = match keys.next() {
            Some("userMetadata") => Target::UserMetadata,
            Some("appMetadata") => Target::AppMetadata,
            // The filter's own checks name a bad path.
            _ => continue,
        };
        let keys: Vec<String> = keys.map(str::to_owned).collect();
        let schemas = rows
            .iter()
            .filter(|row| row.target == target.as_str())
            .map(|row| (row.org_id, &row.schema));
        if !party.may(READ, schemas, &keys, nobody) {
            return Err(Error::invalid(
                "filter.metadata.path",
                "a metadata schema withholds this key from you, so you cannot filter on it",
            ));
        }
    }
    Ok(())
}

/// What the portal needs to render a form for one of a user's documents: the schemas the caller
/// may see (the platform's first), and the properties in them the caller may not change.
pub struct Form {
    pub schemas: Vec<Value>,
    /// JSON Pointers of properties the caller may not write (nothing under one is listed).
    pub read_only: Vec<String>,
}

/// [`Form`] for `target` of user `subject`, from the rows [`of_users`] loaded; `visible` says which
/// organizations' schemas the caller may see (the rights of the others hold all the same).
pub fn form(
    lookups: &super::authz::Lookups,
    schemas: &[metadata_schema::Model],
    target: Target,
    subject: UserId,
    visible: impl Fn(OrgId) -> bool,
) -> Form {
    let applying: Vec<&metadata_schema::Model> = schemas.iter().filter(|row| row.target == target.as_str()).collect();
    let rules = || applying.iter().map(|row| (row.org_id, &row.schema));
    let party = lookups.party();
    let shown: Vec<&metadata_schema::Model> = applying
        .iter()
        .copied()
        .filter(|row| row.org_id.is_none_or(&visible))
        .collect();
    let mut read_only = Vec::new();
    fn walk<'s>(node: &Value, path: &mut Vec<String>, may: &dyn Fn(&[String]) -> bool, out: &mut Vec<String>) {
        let Some(Value::Object(properties)) = node.get("properties") else {
            return;
        };
        for (key, child) in properties {
            path.push(key.clone());
            if may(path) {
                walk(child, path, may, out);
            } else {
                out.push(pointer(path));
            }
            path.pop();
        }
    }
    let may = |path: &[String]| party.may(WRITE, rules(), path, subject);
    for row in &shown {
        walk(&row.schema, &mut Vec::new(), &may, &mut read_only);
    }
    read_only.sort();
    read_only.dedup();
    Form {
        schemas: shown.iter().map(|row| row.schema.clone()).collect(),
        read_only,
    }
}

/// What a schema would make of the documents it is to govern.
#[derive(Default)]
pub struct Report {
    /// Documents checked.
    pub checked: u64,
    /// Documents that fail the schema.
    pub failing_count: u64,
    /// A page of them, in user id order, after the `after` given.
    pub failing: Vec<Failure>,
    /// Whether more failing documents follow this page.
    pub has_more: bool,
}

/// One document that fails a schema.
pub struct Failure {
    pub user_id: UserId,
    pub email: String,
    pub violations: Vec<Violation>,
}

/// How many documents are read at a time when a schema is tried on them.
const DRY_RUN_BATCH: u64 = 500;

/// Tries `schema` on every document it would govern: the members' documents for an organization's,
/// everyone's for the platform's. Nothing is written.
pub async fn dry_run(
    connection: &impl ConnectionTrait,
    org_id: Option<OrgId>,
    target: Target,
    schema: &Value,
    first: usize,
    after: Option<UserId>,
) -> Result<Report> {
    use sea_orm::{QueryOrder, QuerySelect};
    use steward_entity::user;
    let candidate = [Governing {
        org_id,
        validator: compile(schema)?,
        schema: schema.clone(),
    }];
    let mut report = Report::default();
    // The last (user, organization) read; the organization only for membership documents.
    let mut cursor: Option<(UserId, OrgId)> = None;
    loop {
        // (user id, organization id, email, document), a batch at a time in that order.
        let batch: Vec<(UserId, OrgId, String, Value)> = match target {
            Target::MembershipMetadata => {
                let mut query = membership::Entity::find()
                    .select_only()
                    .column(membership::Column::UserId)
                    .column(membership::Column::OrgId)
                    .column(membership::Column::UserEmail)
                    .column(membership::Column::Metadata)
                    .order_by_asc(membership::Column::UserId)
                    .order_by_asc(membership::Column::OrgId)
                    .limit(DRY_RUN_BATCH);
                if let Some(org_id) = org_id {
                    query = query.filter(membership::Column::OrgId.eq(org_id));
                }
                if let Some((user_id, last_org)) = cursor {
                    query = query.filter(
                        sea_orm::Condition::any()
                            .add(membership::Column::UserId.gt(user_id))
                            .add(
                                sea_orm::Condition::all()
                                    .add(membership::Column::UserId.eq(user_id))
                                    .add(membership::Column::OrgId.gt(last_org)),
                            ),
                    );
                }
                query.into_tuple().all(connection).await?
            }
            Target::UserMetadata | Target::AppMetadata => {
                let document = match target {
                    Target::UserMetadata => user::Column::UserMetadata,
                    _ => user::Column::AppMetadata,
                };
                let mut query = user::Entity::find()
                    .select_only()
                    .column(user::Column::Id)
                    .column(user::Column::Email)
                    .column(document)
                    .order_by_asc(user::Column::Id)
                    .limit(DRY_RUN_BATCH);
                if let Some(org_id) = org_id {
                    let mut members = sea_orm::sea_query::Query::select();
                    members
                        .column(membership::Column::UserId)
                        .from(membership::Entity)
                        .and_where(membership::Column::OrgId.eq(org_id));
                    query = query.filter(user::Column::Id.in_subquery(members));
                }
                if let Some((user_id, _)) = cursor {
                    query = query.filter(user::Column::Id.gt(user_id));
                }
                let rows: Vec<(UserId, String, Value)> = query.into_tuple().all(connection).await?;
                let none = OrgId(uuid::Uuid::nil());
                rows.into_iter()
                    .map(|(user_id, email, document)| (user_id, none, email, document))
                    .collect()
            }
        };
        let Some(last) = batch.last() else { break };
        cursor = Some((last.0, last.1));
        let full = batch.len() as u64 == DRY_RUN_BATCH;
        for (user_id, _, email, document) in batch {
            report.checked += 1;
            let violations = violations(&candidate, &document);
            if violations.is_empty() {
                continue;
            }
            report.failing_count += 1;
            if after.is_some_and(|after| user_id <= after) {
                continue;
            }
            if report.failing.len() < first {
                report.failing.push(Failure {
                    user_id,
                    email,
                    violations,
                });
            } else {
                report.has_more = true;
            }
        }
        if !full {
            break;
        }
    }
    Ok(report)
}

/// The schema stored for an organization (already checked readable by the caller) or the
/// platform.
pub async fn read(caller: &Caller, org_id: Option<OrgId>, target: Target) -> Result<Option<metadata_schema::Model>> {
    stored(caller.app().database.reader(), org_id, target).await
}

/// `NOT_FOUND` unless the organization exists (a superadmin may name any id).
async fn exists(connection: &impl ConnectionTrait, org_id: OrgId) -> Result<()> {
    steward_entity::organization::Entity::find_by_id(org_id)
        .one(connection)
        .await?
        .map(|_| ())
        .ok_or(Error::NotFound)
}

/// [`dry_run`] of a schema for the admin's organization.
pub async fn check_for_org(
    scope: &super::authz::OrgAdmin<'_>,
    target: Target,
    schema: &Value,
    first: usize,
    after: Option<UserId>,
) -> Result<Report> {
    use super::authz::Scope;
    let connection = scope.database().reader();
    exists(connection, scope.org_id()).await?;
    dry_run(connection, Some(scope.org_id()), target, schema, first, after).await
}

/// [`dry_run`] of a platform schema.
pub async fn check_for_platform(
    scope: &super::authz::Superadmin<'_>,
    target: Target,
    schema: &Value,
    first: usize,
    after: Option<UserId>,
) -> Result<Report> {
    use super::authz::Scope;
    dry_run(scope.database().reader(), None, target, schema, first, after).await
}

/// Sets (or, with `None`, removes) an organization's schema for `target`. Without `confirm`
/// nothing is written: the answer is the dry run, which the caller reads before confirming.
/// Documents that fail a schema are kept as they are; each later write to one must make it pass.
pub async fn set_for_org(
    scope: &super::authz::OrgAdmin<'_>,
    target: Target,
    schema: Option<Value>,
    confirm: bool,
    first: usize,
) -> Result<(bool, Report)> {
    set(scope, Some(scope.org_id()), target, schema, confirm, first).await
}

/// Sets (or removes) the platform's schema for `target`, which every organization's documents must
/// satisfy besides their own organization's.
pub async fn set_for_platform(
    scope: &super::authz::Superadmin<'_>,
    target: Target,
    schema: Option<Value>,
    confirm: bool,
    first: usize,
) -> Result<(bool, Report)> {
    set(scope, None, target, schema, confirm, first).await
}

async fn set(
    scope: &dyn super::authz::Scope,
    org_id: Option<OrgId>,
    target: Target,
    schema: Option<Value>,
    confirm: bool,
    first: usize,
) -> Result<(bool, Report)> {
    use super::audit::{self, Event};
    use sea_orm::ActiveModelTrait;
    let app = scope.app();
    if let Some(org_id) = org_id {
        exists(app.database.reader(), org_id).await?;
    }
    let report = match &schema {
        Some(schema) => dry_run(app.database.reader(), org_id, target, schema, first, None).await?,
        None => Report::default(),
    };
    if !confirm {
        return Ok((false, report));
    }
    let now = app.clock.now();
    let transaction = app.database.write().await?;
    let before = stored(&*transaction, org_id, target).await?;
    let revision = before.as_ref().map_or(0, |row| row.revision) + 1;
    metadata_schema::Entity::delete_by_id(target.key(org_id))
        .exec(&*transaction)
        .await?;
    if let Some(schema) = &schema {
        metadata_schema::ActiveModel::from(metadata_schema::Model {
            key: target.key(org_id),
            org_id,
            target: target.as_str().to_owned(),
            schema: schema.clone(),
            revision,
            updated_at: now,
        })
        .reset_all()
        .insert(&*transaction)
        .await?;
    }
    let mut event = Event::new("METADATA_SCHEMA_SET").details(serde_json::json!({
        "target": target.as_str(),
        "platform": org_id.is_none(),
        "removed": schema.is_none(),
        "revision": revision,
        "failingDocuments": report.failing_count,
    }));
    if let Some(org_id) = org_id {
        event = event.org(org_id);
    }
    audit::record(&*transaction, &scope.actor(), now, event).await?;
    transaction.commit().await?;
    Ok((true, report))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn governing(org_id: Option<OrgId>, schema: Value) -> Governing {
        Governing {
            org_id,
            validator: compile(&schema).unwrap(),
            schema,
        }
    }

    fn party(user_id: Option<UserId>, roles: &[(OrgId, RoleSet)], client: Option<(OrgId, &str)>) -> Party {
        Party {
            everything: false,
            user_id,
            roles: roles.iter().copied().collect(),
            client: client.map(|(org, scope)| (org, vec![scope.to_owned()])),
        }
    }

    fn department_schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "department": {
                    "type": "string",
                    "x-steward-read": ["SELF", "AUDITOR"],
                    "x-steward-write": ["USER_MANAGER"]
                },
                "plan": { "enum": ["free", "pro"], "x-steward-write": ["scope:metadata:write"] },
                "nested": {
                    "type": "object",
                    "x-steward-read": ["ADMIN"],
                    "properties": { "deep": { "type": "integer" } }
                }
            }
        })
    }

    #[test]
    fn a_schema_must_be_a_valid_2020_12_schema_with_known_rights() {
        assert!(compile(&json!({"type": "object"})).is_ok());
        assert!(compile(&json!([1])).is_err());
        assert!(compile(&json!({"type": "no-such-type"})).is_err());
        assert!(compile(&json!({"$schema": "http://json-schema.org/draft-07/schema#"})).is_err());
        let unknown = compile(&json!({"properties": {"a": {"x-steward-write": ["OWNER"]}}}));
        assert!(unknown.is_err());
        let unknown_scope = compile(&json!({"properties": {"a": {"x-steward-read": ["scope:root"]}}}));
        assert!(unknown_scope.is_err());
        assert!(compile(&json!({"$ref": "https://example.com/schema.json"})).is_err());
    }

    #[test]
    fn writes_are_checked_key_by_key_and_role_rank_counts() {
        let org = OrgId::new();
        let user = UserId::new();
        let schemas = [governing(Some(org), department_schema())];
        let before = json!({"department": "ops"});
        let after = json!({"department": "sales", "free": 1});
        let manager = RoleSet {
            user_manager: true,
            ..Default::default()
        };
        let admin = RoleSet {
            admin: true,
            ..Default::default()
        };
        let auditor = RoleSet {
            auditor: true,
            ..Default::default()
        };
        let check = |party: &Party| require_write(Target::UserMetadata, &schemas, party, user, &before, &after);
        assert!(check(&party(None, &[(org, manager)], None)).is_ok());
        assert!(check(&party(None, &[(org, admin)], None)).is_ok());
        let refused = check(&party(None, &[(org, auditor)], None)).unwrap_err();
        assert_eq!(
            refused.fields().unwrap().keys().collect::<Vec<_>>(),
            ["userMetadata/department"]
        );
        // The user may read their department but not change it; other keys they may.
        assert!(check(&party(Some(user), &[], None)).is_err());
        let own = require_write(
            Target::UserMetadata,
            &schemas,
            &party(Some(user), &[], None),
            user,
            &before,
            &json!({"department": "ops", "x": 1}),
        );
        assert!(own.is_ok());
        // A role in another organization is not a role in this one.
        assert!(check(&party(None, &[(OrgId::new(), admin)], None)).is_err());
        // An API client with the scope may set the plan; without it, not.
        let plan = |party: &Party| {
            require_write(
                Target::AppMetadata,
                &schemas,
                party,
                user,
                &json!({}),
                &json!({"plan": "pro"}),
            )
        };
        assert!(plan(&party(None, &[], Some((org, "metadata:write")))).is_ok());
        assert!(plan(&party(None, &[], Some((org, "users:write")))).is_err());
        assert!(plan(&party(None, &[(org, admin)], None)).is_err());
        assert!(plan(&Party::everything()).is_ok());
    }

    #[test]
    fn the_result_must_satisfy_every_schema_and_errors_carry_json_pointers() {
        let org = OrgId::new();
        let user = UserId::new();
        let schemas = [
            governing(None, json!({"properties": {"age": {"type": "integer"}}})),
            governing(Some(org), department_schema()),
        ];
        let everyone = Party::everything();
        let error = require_write(
            Target::UserMetadata,
            &schemas,
            &everyone,
            user,
            &json!({}),
            &json!({"age": "x", "plan": "gold", "nested": {"deep": 1.5}}),
        )
        .unwrap_err();
        let fields = error.fields().unwrap();
        assert_eq!(
            fields.keys().collect::<Vec<_>>(),
            ["userMetadata/age", "userMetadata/nested/deep", "userMetadata/plan"]
        );
        assert!(fields["userMetadata/age"].contains("platform"), "{fields:?}");
    }

    #[test]
    fn formats_are_asserted() {
        let schemas = [governing(
            None,
            json!({ "properties": { "started": { "type": "string", "format": "date" },
                                    "contact": { "type": "string", "format": "email" } } }),
        )];
        let user = UserId::new();
        let check = |document: Value| {
            require_write(
                Target::UserMetadata,
                &schemas,
                &Party::everything(),
                user,
                &json!({}),
                &document,
            )
        };
        assert!(check(json!({ "started": "2026-12-05", "contact": "ada@example.com" })).is_ok());
        assert!(check(json!({ "started": "yesterday" })).is_err());
        assert!(check(json!({ "started": "2026-13-40" })).is_err());
        assert!(check(json!({ "contact": "not an address" })).is_err());
    }

    #[test]
    fn reads_omit_what_the_reader_may_not_see() {
        let org = OrgId::new();
        let user = UserId::new();
        let schemas = [governing(Some(org), department_schema())];
        let document = json!({"department": "ops", "nested": {"deep": 1}, "free": true});
        let member = RoleSet {
            member: true,
            ..Default::default()
        };
        let admin = RoleSet {
            admin: true,
            ..Default::default()
        };
        let other = UserId::new();
        assert_eq!(
            readable(
                rules(&schemas),
                &party(Some(other), &[(org, member)], None),
                user,
                &document
            ),
            json!({"free": true})
        );
        assert_eq!(
            readable(
                rules(&schemas),
                &party(Some(user), &[(org, member)], None),
                user,
                &document
            ),
            json!({"department": "ops", "free": true})
        );
        assert_eq!(
            readable(rules(&schemas), &party(None, &[(org, admin)], None), user, &document),
            document
        );
    }

    #[test]
    fn a_key_inside_an_object_written_whole_keeps_its_rights() {
        let org = OrgId::new();
        let user = UserId::new();
        let schemas = [governing(
            Some(org),
            json!({ "properties": { "hr": { "properties": { "grade": { "x-steward-write": ["ADMIN"] } } } } }),
        )];
        let manager = party(
            None,
            &[(
                org,
                RoleSet {
                    user_manager: true,
                    ..Default::default()
                },
            )],
            None,
        );
        let write = |before: Value, after: Value| {
            require_write(Target::UserMetadata, &schemas, &manager, user, &before, &after)
        };
        // Adding the parent with the key inside, replacing a scalar parent, or removing the parent
        // whole all change the key.
        assert!(write(json!({}), json!({ "hr": { "grade": 7 } })).is_err());
        assert!(write(json!({ "hr": 1 }), json!({ "hr": { "grade": 7 } })).is_err());
        assert!(write(json!({ "hr": { "grade": 7 } }), json!({})).is_err());
        assert!(write(json!({ "hr": { "grade": 7 } }), json!({ "hr": "none" })).is_err());
        // Beside it, the parent's other keys are the manager's to write.
        assert!(write(
            json!({ "hr": { "grade": 7 } }),
            json!({ "hr": { "grade": 7, "desk": 1 } })
        )
        .is_ok());
        assert!(write(json!({}), json!({ "hr": { "desk": 1 } })).is_ok());
        let mut found = Vec::new();
        changes(&json!({}), &json!({"a": {"b": {"c": 1}}}), &mut Vec::new(), &mut found);
        assert_eq!(found, [vec!["a".to_owned(), "b".to_owned(), "c".to_owned()]]);
    }

    #[test]
    fn changes_are_found_at_the_deepest_differing_key() {
        let mut found = Vec::new();
        changes(
            &json!({"a": {"b": 1, "c": 2}, "d": 1}),
            &json!({"a": {"b": 1, "c": 3}, "e": [1]}),
            &mut Vec::new(),
            &mut found,
        );
        assert_eq!(
            found,
            [
                vec!["a".to_owned(), "c".to_owned()],
                vec!["d".to_owned()],
                vec!["e".to_owned()]
            ]
        );
    }
}
