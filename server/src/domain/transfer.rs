//! Bulk import and export of an organization's users (`steward import-users`, `steward
//! export-users`), in Auth0's user format as NDJSON, or as CSV with the same columns.
//!
//! An import is all or nothing: every record is checked first and every problem is reported with
//! its line; only a clean file is written, in one transaction. Password hashes carry over:
//! argon2 as is, and bcrypt (what Auth0 exports), which is replaced by argon2id at the user's next
//! sign-in.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};

use super::audit::{self, Event};
use super::members::role_names;
use super::users::{self, Profile};
use super::{metadata, passwords, validate};
use crate::domain::authz::{Operator, Scope};
use crate::error::{conflict_on_unique, Error, FieldErrors, Result};
use crate::policy::roles::{Role, RoleSet};
use steward_entity::{membership, organization, user, OrgId, UserId};

/// The strongest bcrypt cost accepted: each sign-in verifies it, and a cost of 31 would take
/// minutes.
const MAX_BCRYPT_COST: u32 = 12;
/// The most memory (KiB), passes and lanes an imported argon2 hash may ask of each sign-in.
const MAX_ARGON2: (u32, u32, u32) = (256 * 1024, 10, 8);
/// Users read per query while exporting.
const EXPORT_BATCH: u64 = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Ndjson,
    Csv,
}

impl Format {
    /// `csv` for a `.csv` file, NDJSON otherwise.
    pub fn of_path(path: &str) -> Self {
        if path.to_ascii_lowercase().ends_with(".csv") {
            Format::Csv
        } else {
            Format::Ndjson
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct CustomHash {
    algorithm: String,
    hash: CustomHashValue,
}

#[derive(Debug, Default, Deserialize)]
struct CustomHashValue {
    value: String,
}

/// One user as Auth0 exports and imports it (the fields Steward keeps), plus `roles`.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct Record {
    pub email: String,
    #[serde(default)]
    pub email_verified: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(default)]
    pub blocked: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_metadata: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_metadata: Option<Value>,
    /// `ADMIN`, `USER_MANAGER`, `AUDITOR`, `MEMBER`; `MEMBER` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    /// A bcrypt or argon2 hash in its usual string form. Exported only when a superadmin asks
    /// for hashes explicitly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
    #[serde(default, skip_serializing)]
    custom_password_hash: Option<CustomHash>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_login: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logins_count: Option<i64>,
}

/// The CSV columns, in order. Metadata and roles are JSON in their cells.
const CSV_COLUMNS: [&str; 17] = [
    "user_id",
    "email",
    "email_verified",
    "username",
    "name",
    "given_name",
    "family_name",
    "nickname",
    "picture",
    "phone_number",
    "locale",
    "blocked",
    "roles",
    "user_metadata",
    "app_metadata",
    "created_at",
    "last_login",
];

/// What an import found and did.
#[derive(Debug, Default)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    /// Line (1-based, of the file) and what is wrong with it. Anything here means nothing was
    /// written.
    pub errors: Vec<(usize, String)>,
}

/// A record checked and ready to write.
pub(super) struct Checked {
    pub(super) line: usize,
    pub(super) email: String,
    pub(super) email_verified: bool,
    pub(super) profile: Profile,
    pub(super) blocked: bool,
    pub(super) user_metadata: Option<Value>,
    pub(super) app_metadata: Option<Value>,
    pub(super) roles: Option<RoleSet>,
    pub(super) password_hash: Option<String>,
}

pub(super) fn describe(error: Error) -> String {
    match error {
        Error::Invalid { fields } => fields
            .into_iter()
            .map(|(field, message)| format!("{field}: {message}"))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

fn parse_records(input: &str, format: Format) -> Vec<(usize, std::result::Result<Record, String>)> {
    match format {
        Format::Ndjson => input
            .lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty())
            .map(|(index, line)| {
                let record =
                    serde_json::from_str::<Record>(line).map_err(|error| format!("not a user record: {error}"));
                (index + 1, record)
            })
            .collect(),
        Format::Csv => {
            let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(input.as_bytes());
            let headers = match reader.headers() {
                Ok(headers) => headers.clone(),
                Err(error) => return vec![(1, Err(format!("no CSV header: {error}")))],
            };
            reader
                .records()
                .map(|row| {
                    let line = row
                        .as_ref()
                        .ok()
                        .and_then(|row| row.position())
                        .map_or(0, |p| p.line() as usize);
                    let record = row
                        .map_err(|error| format!("not a CSV row: {error}"))
                        .and_then(|row| csv_record(&headers, &row));
                    (line, record)
                })
                .collect()
        }
    }
}

/// A CSV row as a record: empty cells are absent, JSON columns are parsed.
pub(super) fn csv_record(headers: &csv::StringRecord, row: &csv::StringRecord) -> std::result::Result<Record, String> {
    let mut object = serde_json::Map::new();
    for (header, cell) in headers.iter().zip(row.iter()) {
        if cell.is_empty() {
            continue;
        }
        let value = match header {
            "email_verified" | "blocked" => match cell.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => json!(true),
                "false" | "0" | "no" => json!(false),
                _ => return Err(format!("{header}: `{cell}` is not true or false")),
            },
            "logins_count" => json!(cell.parse::<i64>().map_err(|_| format!("{header}: not a number"))?),
            "roles" | "user_metadata" | "app_metadata" => {
                serde_json::from_str(cell).map_err(|error| format!("{header}: not JSON: {error}"))?
            }
            _ => json!(cell),
        };
        object.insert(header.to_owned(), value);
    }
    serde_json::from_value(Value::Object(object)).map_err(|error| format!("not a user record: {error}"))
}

fn checked_roles(names: &[String]) -> std::result::Result<RoleSet, String> {
    let mut roles = Vec::new();
    for name in names {
        roles.push(match name.as_str() {
            "ADMIN" => Role::Admin,
            "USER_MANAGER" => Role::UserManager,
            "AUDITOR" => Role::Auditor,
            "MEMBER" => Role::Member,
            other => return Err(format!("roles: unknown role `{other}`")),
        });
    }
    if roles.is_empty() {
        return Err("roles: give at least one role".into());
    }
    Ok(RoleSet::from_roles(&roles))
}

/// Accepts the hash forms sign-in can verify: argon2 (PHC string) and bcrypt.
fn checked_hash(record: &Record) -> std::result::Result<Option<String>, String> {
    let hash = match (&record.password_hash, &record.custom_password_hash) {
        (Some(hash), _) => hash.clone(),
        (None, Some(custom)) if matches!(custom.algorithm.as_str(), "argon2" | "bcrypt") => custom.hash.value.clone(),
        (None, Some(custom)) => {
            return Err(format!(
                "custom_password_hash: algorithm `{}` is not supported (argon2 or bcrypt)",
                custom.algorithm
            ))
        }
        (None, None) => return Ok(None),
    };
    if hash.starts_with("$argon2") {
        let parsed =
            argon2::PasswordHash::new(&hash).map_err(|_| "password_hash: not a valid argon2 hash".to_string())?;
        let params = argon2::Params::try_from(&parsed).map_err(|_| "password_hash: unreadable argon2 parameters")?;
        let (memory, passes, lanes) = MAX_ARGON2;
        if params.m_cost() > memory || params.t_cost() > passes || params.p_cost() > lanes {
            return Err("password_hash: argon2 parameters above 256 MiB, 10 passes or 8 lanes are refused".into());
        }
        return Ok(Some(hash));
    }
    if let Ok(parts) = hash.parse::<bcrypt::HashParts>() {
        if parts.get_cost() > MAX_BCRYPT_COST {
            return Err(format!("password_hash: bcrypt cost above {MAX_BCRYPT_COST} is refused"));
        }
        return Ok(Some(hash));
    }
    Err("password_hash: neither an argon2 nor a bcrypt hash".into())
}

pub(super) fn check_record(line: usize, record: Record) -> std::result::Result<Checked, String> {
    let mut errors = FieldErrors::default();
    let email = match validate::email(&record.email) {
        Ok(email) => Some(email),
        Err(message) => {
            errors.add("email", message);
            None
        }
    };
    let profile = Profile {
        username: record.username.clone(),
        name: record.name.clone(),
        given_name: record.given_name.clone(),
        family_name: record.family_name.clone(),
        nickname: record.nickname.clone(),
        picture: record.picture.clone(),
        phone_number: record.phone_number.clone(),
        locale: record.locale.clone(),
    }
    .checked(&mut errors);
    errors.into_result().map_err(describe)?;
    for (field, value) in [
        ("user_metadata", &record.user_metadata),
        ("app_metadata", &record.app_metadata),
    ] {
        metadata::initial(field, value.as_ref()).map_err(describe)?;
    }
    let roles = record.roles.as_deref().map(checked_roles).transpose()?;
    let password_hash = checked_hash(&record)?;
    Ok(Checked {
        line,
        email: email.expect("checked above"),
        email_verified: record.email_verified,
        profile,
        blocked: record.blocked,
        user_metadata: record.user_metadata,
        app_metadata: record.app_metadata,
        roles,
        password_hash,
    })
}

/// How an import treats what it finds.
#[derive(Clone, Copy, Debug, Default)]
pub struct ImportOptions {
    /// Check everything and report what would happen, writing nothing.
    pub dry_run: bool,
    /// Update accounts whose address already exists, instead of refusing them.
    pub upsert: bool,
    /// With `upsert`, also update accounts that belong to other organizations than the one
    /// imported into. Without it such a record is refused (and named): an import into one
    /// tenant must not rewrite an identity that others answer for.
    pub update_shared: bool,
}

/// Imports users into the organization `org_slug`. Without `upsert` an address that already has
/// an account is an error; with it, the account's given fields are replaced, its metadata
/// merge-patched, and it joins the organization — unless it belongs to other organizations and
/// `update_shared` is not given. A replaced password ends the account's sessions. With `dry_run`
/// nothing is written.
pub async fn import(
    scope: &Operator<'_>,
    org_slug: &str,
    input: &str,
    format: Format,
    options: ImportOptions,
) -> Result<ImportReport> {
    let ImportOptions {
        dry_run,
        upsert,
        update_shared,
    } = options;
    let app = scope.app();
    let database = app.database.reader();
    let org = organization::Entity::find()
        .filter(organization::Column::Slug.eq(org_slug.trim().to_lowercase()))
        .one(database)
        .await?
        .ok_or_else(|| Error::invalid("org", "no organization has this slug"))?;

    let mut report = ImportReport::default();
    let mut checked = Vec::new();
    let mut seen = HashSet::new();
    for (line, record) in parse_records(input, format) {
        match record.and_then(|record| check_record(line, record)) {
            Ok(record) if !seen.insert(record.email.clone()) => report
                .errors
                .push((line, format!("email: {} appears twice in the file", record.email))),
            Ok(record) => checked.push(record),
            Err(message) => report.errors.push((line, message)),
        }
    }
    let mut existing: HashMap<String, user::Model> = HashMap::new();
    let emails: Vec<String> = checked.iter().map(|record| record.email.clone()).collect();
    for chunk in emails.chunks(500) {
        for found in user::Entity::find()
            .filter(user::Column::Email.is_in(chunk.to_vec()))
            .all(database)
            .await?
        {
            existing.insert(found.email.clone(), found);
        }
    }
    for record in &checked {
        if let Some(found) = existing.get(&record.email) {
            if !upsert {
                report.errors.push((
                    record.line,
                    format!("email: {} already has an account (use --upsert)", record.email),
                ));
            } else if found.is_superadmin {
                report
                    .errors
                    .push((record.line, "email: a superadmin is not changed by an import".into()));
            } else if !update_shared && shared_elsewhere(database, found.id, org.id).await? {
                // Its identity answers to those organizations too: an import into one of them
                // does not rewrite it unless told to.
                report.errors.push((
                    record.line,
                    format!(
                        "email: {} also belongs to other organizations; an import changes such an account only with --update-shared",
                        record.email
                    ),
                ));
            }
        }
    }
    check_usernames(database, &checked, &mut report).await?;
    check_metadata_schemas(database, org.id, &checked, &existing, &mut report).await?;
    report.errors.sort();
    report.updated = checked
        .iter()
        .filter(|record| existing.contains_key(&record.email))
        .count();
    report.created = checked.len() - report.updated;
    if !report.errors.is_empty() || dry_run {
        return Ok(report);
    }

    let now = app.clock.now();
    let transaction = app.database.write().await?;
    // A metadata schema may have changed since the records were checked: they are checked again
    // in the transaction that writes them, and nothing is written if one fails now.
    let mut again = ImportReport::default();
    check_metadata_schemas(&*transaction, org.id, &checked, &existing, &mut again).await?;
    if !again.errors.is_empty() {
        again.errors.sort();
        return Ok(again);
    }
    let actor = scope.actor();
    for record in checked {
        let line = record.line;
        let fail = |error: Error| Error::invalid(&format!("line {line}"), describe(error));
        let current = existing.remove(&record.email);
        let created = current.is_none();
        let (user, roles) = write_record(&transaction, org.id, record, current, now)
            .await
            .map_err(fail)?;
        audit::record(
            &*transaction,
            &actor,
            now,
            Event::new("USER_IMPORTED")
                .user(user.id)
                .org(org.id)
                .details(json!({ "created": created, "roles": role_names(&roles) })),
        )
        .await?;
    }
    transaction.commit().await?;
    Ok(report)
}

/// Writes one checked record into `org_id`: creates the account, or updates `current`; makes it a
/// member (or sets its roles there, when the record names them); stores its password hash. A
/// replaced password ends the account's sessions and spends its reset links, as every password
/// change does. Answers the account and its roles in the organization.
pub(super) async fn write_record(
    transaction: &sea_orm::DatabaseTransaction,
    org_id: OrgId,
    record: Checked,
    current: Option<user::Model>,
    now: DateTime<Utc>,
) -> Result<(user::Model, RoleSet)> {
    let created = current.is_none();
    let user = match current {
        Some(current) => update_user(transaction, current, &record, now).await?,
        None => create_user(transaction, &record, now).await?,
    };
    let member = membership::Entity::find_by_id((org_id, user.id))
        .one(transaction)
        .await?;
    let roles = record.roles.unwrap_or_else(crate::domain::authz::default_roles);
    match member {
        None => {
            super::members::insert_membership(transaction, org_id, &user, roles, now).await?;
        }
        Some(member) if record.roles.is_some() => {
            let mut active: membership::ActiveModel = member.into();
            active.role_admin = sea_orm::Set(roles.admin);
            active.role_user_manager = sea_orm::Set(roles.user_manager);
            active.role_auditor = sea_orm::Set(roles.auditor);
            active.role_member = sea_orm::Set(roles.member);
            active.update(transaction).await?;
        }
        Some(_) => {}
    }
    match (record.password_hash, created) {
        (Some(hash), true) => passwords::store(transaction, user.id, hash, now).await?,
        (Some(hash), false) => {
            passwords::commit(transaction, user.id, hash, user.password_change_required, None, now).await?;
        }
        (None, _) => {}
    }
    Ok((user, roles))
}

/// Holds each record's resulting `user_metadata` and `app_metadata` to the metadata schemas: the
/// platform's and the organization's imported into, and for an existing account those of its other
/// organizations too. The operator is held to no per-key rights, but to every schema.
pub(super) async fn check_metadata_schemas(
    connection: &impl sea_orm::ConnectionTrait,
    org_id: OrgId,
    checked: &[Checked],
    existing: &HashMap<String, user::Model>,
    report: &mut ImportReport,
) -> Result<()> {
    use super::metadata_schemas::{self as schemas, Party, Target};
    let targets = [Target::UserMetadata, Target::AppMetadata];
    let mut for_new = Vec::new();
    for target in targets {
        for_new.push(schemas::governing(connection, target, &[org_id]).await?);
    }
    if for_new.iter().all(Vec::is_empty) && !schemas::any_stored(connection).await? {
        return Ok(());
    }
    let everything = Party::everything();
    let empty = Value::Object(Default::default());
    for record in checked {
        let current = existing.get(&record.email);
        let mut errors = crate::error::FieldErrors::default();
        for (index, target) in targets.into_iter().enumerate() {
            let patch = match target {
                Target::UserMetadata => &record.user_metadata,
                _ => &record.app_metadata,
            };
            let Some(patch) = patch else { continue };
            let before = match (current, target) {
                (Some(user), Target::UserMetadata) => &user.user_metadata,
                (Some(user), _) => &user.app_metadata,
                (None, _) => &empty,
            };
            let Ok(after) = metadata::merge(target.field(), before, patch) else {
                continue;
            };
            let governing = match current {
                None => None,
                Some(user) => {
                    let mut orgs = schemas::orgs_of(connection, user.id).await?;
                    orgs.push(org_id);
                    Some(schemas::governing(connection, target, &orgs).await?)
                }
            };
            let governing = governing.as_deref().unwrap_or(&for_new[index]);
            let subject = current.map_or_else(UserId::new, |user| user.id);
            schemas::check_write(&mut errors, target, governing, &everything, subject, before, &after);
        }
        if let Err(error) = errors.into_result() {
            report.errors.push((record.line, describe(error)));
        }
    }
    Ok(())
}

/// Whether the user belongs to an organization other than `org_id`.
async fn shared_elsewhere(connection: &impl sea_orm::ConnectionTrait, user_id: UserId, org_id: OrgId) -> Result<bool> {
    use sea_orm::PaginatorTrait;
    let elsewhere = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .filter(membership::Column::OrgId.ne(org_id))
        .count(connection)
        .await?;
    Ok(elsewhere > 0)
}

/// Usernames are unique too: one given twice in the file, or already held by another account
/// than the record's, is an error before anything is written.
pub(super) async fn check_usernames(
    connection: &impl sea_orm::ConnectionTrait,
    checked: &[Checked],
    report: &mut ImportReport,
) -> Result<()> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for record in checked {
        if let Some(username) = record.profile.username.as_deref() {
            if let Some(first) = seen.insert(username, record.line) {
                report
                    .errors
                    .push((record.line, format!("username: {username} is also on line {first}")));
            }
        }
    }
    let usernames: Vec<String> = seen.keys().map(|name| name.to_string()).collect();
    for chunk in usernames.chunks(500) {
        let holders = user::Entity::find()
            .filter(user::Column::Username.is_in(chunk.to_vec()))
            .all(connection)
            .await?;
        for holder in holders {
            let record = checked
                .iter()
                .find(|record| record.profile.username == holder.username && record.email != holder.email);
            if let Some(record) = record {
                let name = holder.username.as_deref().unwrap_or_default();
                report
                    .errors
                    .push((record.line, format!("username: {name} belongs to another account")));
            }
        }
    }
    Ok(())
}

/// The account a checked record creates, not yet stored.
pub(super) fn new_user(record: &Checked, now: DateTime<Utc>) -> Result<user::Model> {
    let profile = record.profile.clone();
    let mut model = user::Model {
        email_verified: record.email_verified,
        username: profile.username,
        name: profile.name,
        given_name: profile.given_name,
        family_name: profile.family_name,
        nickname: profile.nickname,
        picture: profile.picture,
        phone_number: profile.phone_number,
        locale: profile.locale,
        blocked: record.blocked,
        user_metadata: metadata::initial("user_metadata", record.user_metadata.as_ref())?,
        app_metadata: metadata::initial("app_metadata", record.app_metadata.as_ref())?,
        ..users::blank(record.email.clone(), now)
    };
    users::refresh_derived(&mut model);
    Ok(model)
}

async fn create_user(
    connection: &sea_orm::DatabaseTransaction,
    record: &Checked,
    now: DateTime<Utc>,
) -> Result<user::Model> {
    user::ActiveModel::from(new_user(record, now)?)
        .reset_all()
        .insert(connection)
        .await
        .map_err(|error| conflict_on_unique(error, "the username is taken by another account"))
}

pub(super) async fn update_user(
    connection: &sea_orm::DatabaseTransaction,
    current: user::Model,
    record: &Checked,
    now: DateTime<Utc>,
) -> Result<user::Model> {
    let mut next = current.clone();
    let profile = record.profile.clone();
    let fields = [
        (profile.username, &mut next.username),
        (profile.name, &mut next.name),
        (profile.given_name, &mut next.given_name),
        (profile.family_name, &mut next.family_name),
        (profile.nickname, &mut next.nickname),
        (profile.picture, &mut next.picture),
        (profile.phone_number, &mut next.phone_number),
        (profile.locale, &mut next.locale),
    ];
    for (value, slot) in fields {
        if value.is_some() {
            *slot = value;
        }
    }
    next.email_verified = current.email_verified || record.email_verified;
    next.blocked = current.blocked || record.blocked;
    if let Some(patch) = &record.user_metadata {
        next.user_metadata = metadata::merge("user_metadata", &current.user_metadata, patch)?;
    }
    if let Some(patch) = &record.app_metadata {
        next.app_metadata = metadata::merge("app_metadata", &current.app_metadata, patch)?;
    }
    next.revision = current.revision + 1;
    next.updated_at = now;
    users::refresh_derived(&mut next);
    let mut active = user::ActiveModel::from(next.clone()).reset_all();
    active.id = sea_orm::ActiveValue::Unchanged(current.id);
    user::Entity::update_many()
        .set(active)
        .filter(user::Column::Id.eq(current.id))
        .exec(connection)
        .await
        .map_err(|error| conflict_on_unique(error, "the username is taken by another account"))?;
    super::members::sync_user_keys(connection, &next).await?;
    Ok(next)
}

/// Writes every member of `org_slug` to `out`, a user per line (NDJSON) or row (CSV), in the
/// order of their ids. Password hashes are never exported. Returns how many were written.
pub async fn export(
    scope: &Operator<'_>,
    org_slug: &str,
    format: Format,
    out: &mut impl std::io::Write,
) -> Result<usize> {
    let database = scope.app().database.reader();
    let org = organization::Entity::find()
        .filter(organization::Column::Slug.eq(org_slug.trim().to_lowercase()))
        .one(database)
        .await?
        .ok_or_else(|| Error::invalid("org", "no organization has this slug"))?;
    let mut csv_writer = (format == Format::Csv).then(|| csv::Writer::from_writer(Vec::new()));
    if let Some(writer) = &mut csv_writer {
        writer.write_record(CSV_COLUMNS).map_err(Error::internal)?;
    }
    let mut written = 0;
    let mut after: Option<UserId> = None;
    loop {
        let mut select = membership::Entity::find()
            .filter(membership::Column::OrgId.eq(org.id))
            .find_also_related(user::Entity)
            .order_by_asc(membership::Column::UserId)
            .limit(EXPORT_BATCH);
        if let Some(last) = after {
            select = select.filter(membership::Column::UserId.gt(last));
        }
        let batch = select.all(database).await?;
        let Some((last, _)) = batch.last() else { break };
        after = Some(last.user_id);
        for (member, found) in &batch {
            let Some(found) = found else { continue };
            let record = record_of(member, found, None);
            match &mut csv_writer {
                None => {
                    let line = serde_json::to_string(&record).map_err(Error::internal)?;
                    writeln!(out, "{line}").map_err(Error::internal)?;
                }
                Some(writer) => writer.write_record(csv_row(&record)).map_err(Error::internal)?,
            }
            written += 1;
        }
        if let Some(writer) = &mut csv_writer {
            let bytes = std::mem::replace(writer, csv::Writer::from_writer(Vec::new()))
                .into_inner()
                .map_err(|error| Error::internal(anyhow::anyhow!("{error}")))?;
            out.write_all(&bytes).map_err(Error::internal)?;
        }
        if (batch.len() as u64) < EXPORT_BATCH {
            break;
        }
    }
    out.flush().map_err(Error::internal)?;
    Ok(written)
}

/// A member as an export shows them.
fn record_of(member: &membership::Model, found: &user::Model, password_hash: Option<String>) -> Record {
    Record {
        user_id: Some(found.id.to_string()),
        email: found.email.clone(),
        email_verified: found.email_verified,
        username: found.username.clone(),
        name: found.name.clone(),
        given_name: found.given_name.clone(),
        family_name: found.family_name.clone(),
        nickname: found.nickname.clone(),
        picture: found.picture.clone(),
        phone_number: found.phone_number.clone(),
        locale: found.locale.clone(),
        blocked: found.blocked,
        user_metadata: Some(found.user_metadata.clone()),
        app_metadata: Some(found.app_metadata.clone()),
        roles: Some(
            role_names(&RoleSet::of(member))
                .into_iter()
                .map(str::to_owned)
                .collect(),
        ),
        created_at: Some(found.created_at),
        last_login: found.last_login_at,
        logins_count: Some(found.logins_count.into()),
        password_hash,
        ..Record::default()
    }
}

/// How an export over HTTP is written: a user per line (NDJSON) or row (CSV).
pub struct ExportWriter {
    format: Format,
    header_written: bool,
}

impl ExportWriter {
    pub fn new(format: Format) -> Self {
        Self {
            format,
            header_written: false,
        }
    }

    /// The bytes of `records` (after the CSV header, the first time).
    pub fn write(&mut self, records: &[Record]) -> Result<Vec<u8>> {
        match self.format {
            Format::Ndjson => {
                let mut out = Vec::new();
                for record in records {
                    serde_json::to_writer(&mut out, record).map_err(Error::internal)?;
                    out.push(b'\n');
                }
                Ok(out)
            }
            Format::Csv => {
                let mut writer = csv::Writer::from_writer(Vec::new());
                if !self.header_written {
                    let mut columns: Vec<&str> = CSV_COLUMNS.to_vec();
                    if records.iter().any(|record| record.password_hash.is_some()) {
                        columns.push("password_hash");
                    }
                    writer.write_record(&columns).map_err(Error::internal)?;
                    self.header_written = true;
                }
                for record in records {
                    let mut row = csv_row(record);
                    if let Some(hash) = &record.password_hash {
                        row.push(hash.clone());
                    }
                    writer.write_record(row).map_err(Error::internal)?;
                }
                writer
                    .into_inner()
                    .map_err(|error| Error::internal(anyhow::anyhow!("{error}")))
            }
        }
    }
}

/// What an organization's export holds: the members `filter` selects (as the members table
/// does), and their password hashes when a superadmin asks for them.
pub struct MemberExport {
    pub filter: super::user_search::UserFilter,
    pub password_hashes: bool,
}

/// Starts an export of an organization's members by its ADMIN (or a superadmin): checks that
/// only a superadmin asks for password hashes, and records the export in the organization's
/// audit log before the first line leaves.
pub async fn begin_member_export(
    scope: &crate::domain::authz::OrgAdmin<'_>,
    export: &MemberExport,
    format: Format,
) -> Result<()> {
    if export.password_hashes {
        scope.caller().superadmin()?;
    }
    let app = scope.app();
    let now = app.clock.now();
    let transaction = app.database.write().await?;
    let details = json!({
        "format": match format { Format::Ndjson => "ndjson", Format::Csv => "csv" },
        "passwordHashes": export.password_hashes,
        "query": export.filter.query,
    });
    audit::record(
        &*transaction,
        &scope.actor(),
        now,
        Event::new("USERS_EXPORTED").org(scope.org_id()).details(details),
    )
    .await?;
    transaction.commit().await?;
    Ok(())
}

/// The members an export holds, one batch after `after` (a cursor of the members table's
/// default order, by email); answers the batch and the cursor after it, `None` at the end.
pub async fn member_batch(
    scope: &crate::domain::authz::OrgAdmin<'_>,
    export: &MemberExport,
    after: Option<String>,
) -> Result<(Vec<Record>, Option<String>)> {
    use super::pagination::{PageRequest, MAX_PAGE_SIZE};
    let database = &scope.app().database;
    let request = PageRequest::new(Some(MAX_PAGE_SIZE), after)?;
    let page = super::user_search::member_page(
        database,
        scope.org_id(),
        &export.filter,
        super::user_search::UserOrder::default(),
        &request,
    )
    .await?;
    let mut hashes: HashMap<UserId, String> = HashMap::new();
    if export.password_hashes {
        scope.caller().superadmin()?;
        hashes = steward_entity::credential::Entity::find()
            .filter(steward_entity::credential::Column::UserId.is_in(page.items.iter().map(|(_, (_, found))| found.id)))
            .all(database.reader())
            .await?
            .into_iter()
            .map(|credential| (credential.user_id, credential.password_hash))
            .collect();
    }
    let next = match page.has_next_page {
        true => page.items.last().map(|(cursor, _)| cursor.clone()),
        false => None,
    };
    // Keys a metadata schema withholds from the exporting admin are left out, as on every read.
    use super::metadata_schemas::{as_read_by, of_users, Target};
    let lookups = scope.caller().lookups();
    let ids: Vec<UserId> = page.items.iter().map(|(_, (_, found))| found.id).collect();
    let schemas = of_users(&lookups, &ids).await?;
    let records = page
        .items
        .iter()
        .map(|(_, (member, found))| {
            let mut record = record_of(member, found, hashes.remove(&found.id));
            let rows = schemas.get(&found.id).map(Vec::as_slice).unwrap_or_default();
            let readable = |target, document: &Value| as_read_by(&lookups, rows, target, None, found.id, document);
            record.user_metadata = Some(readable(Target::UserMetadata, &found.user_metadata));
            record.app_metadata = Some(readable(Target::AppMetadata, &found.app_metadata));
            record
        })
        .collect();
    Ok((records, next))
}

fn csv_row(record: &Record) -> Vec<String> {
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    let json_cell = |value: &Option<Value>| value.as_ref().map(Value::to_string).unwrap_or_default();
    vec![
        text(&record.user_id),
        record.email.clone(),
        record.email_verified.to_string(),
        text(&record.username),
        text(&record.name),
        text(&record.given_name),
        text(&record.family_name),
        text(&record.nickname),
        text(&record.picture),
        text(&record.phone_number),
        text(&record.locale),
        record.blocked.to_string(),
        record
            .roles
            .as_ref()
            .map(|roles| json!(roles).to_string())
            .unwrap_or_default(),
        json_cell(&record.user_metadata),
        json_cell(&record.app_metadata),
        record.created_at.map(|at| at.to_rfc3339()).unwrap_or_default(),
        record.last_login.map(|at| at.to_rfc3339()).unwrap_or_default(),
    ]
}
