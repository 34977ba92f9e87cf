//! Users: creation into an organization, profile edits, metadata, deletion.

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use serde_json::{json, Value as Json};

use super::audit::{self, Event};
use super::metadata;
use super::passwords;
use super::validate;
use crate::domain::authz::{IdentityManager, Myself, OrgManager, Scope, UserReader};
use crate::error::{conflict_on_unique, Error, FieldErrors, Result};
use crate::policy::roles::{RoleSet, ACTIVE};
use steward_entity::{membership, user, UserId};

/// A change to an optional field: `None` leaves it, `Some(None)` clears it.
pub type Patch<T> = Option<Option<T>>;

#[derive(Clone, Debug, Default)]
pub struct Profile {
    pub username: Option<String>,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub nickname: Option<String>,
    pub picture: Option<String>,
    pub phone_number: Option<String>,
    pub locale: Option<String>,
}

pub struct NewUser {
    pub email: String,
    pub roles: RoleSet,
    pub password: Option<String>,
    pub profile: Profile,
    pub user_metadata: Option<Json>,
    pub app_metadata: Option<Json>,
    /// Mail an invitation link that verifies the address and sets a password; without it the
    /// user is mailed a verification link.
    pub send_invitation: bool,
}

#[derive(Clone, Debug, Default)]
pub struct ProfilePatch {
    pub email: Option<String>,
    pub username: Patch<String>,
    pub name: Patch<String>,
    pub given_name: Patch<String>,
    pub family_name: Patch<String>,
    pub nickname: Patch<String>,
    pub picture: Patch<String>,
    pub phone_number: Patch<String>,
    pub locale: Patch<String>,
}

const EMAIL_TAKEN: &str = "a user with this email address or username already exists";

fn check_optional(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<&String>,
    check: impl Fn(&str) -> Result<String, String>,
) -> Option<String> {
    let value = value?;
    match check(value) {
        Ok(clean) => Some(clean),
        Err(message) => {
            errors.add(field, message);
            None
        }
    }
}

fn check_patch(
    errors: &mut FieldErrors,
    field: &str,
    value: &Patch<String>,
    check: impl Fn(&str) -> Result<String, String>,
) -> Patch<String> {
    match value {
        None => None,
        Some(None) => Some(None),
        Some(Some(raw)) => match check(raw) {
            Ok(clean) => Some(Some(clean)),
            Err(message) => {
                errors.add(field, message);
                None
            }
        },
    }
}

fn name_text(raw: &str) -> Result<String, String> {
    validate::text(raw, 255)
}

impl Profile {
    pub(crate) fn checked(&self, errors: &mut FieldErrors) -> Profile {
        Profile {
            username: check_optional(errors, "username", self.username.as_ref(), validate::username),
            name: check_optional(errors, "name", self.name.as_ref(), name_text),
            given_name: check_optional(errors, "givenName", self.given_name.as_ref(), name_text),
            family_name: check_optional(errors, "familyName", self.family_name.as_ref(), name_text),
            nickname: check_optional(errors, "nickname", self.nickname.as_ref(), name_text),
            picture: check_optional(errors, "picture", self.picture.as_ref(), validate::url),
            phone_number: check_optional(errors, "phoneNumber", self.phone_number.as_ref(), validate::phone),
            locale: check_optional(errors, "locale", self.locale.as_ref(), validate::locale),
        }
    }
}

impl ProfilePatch {
    fn checked(&self, errors: &mut FieldErrors) -> ProfilePatch {
        ProfilePatch {
            email: check_optional(errors, "email", self.email.as_ref(), validate::email),
            username: check_patch(errors, "username", &self.username, validate::username),
            name: check_patch(errors, "name", &self.name, name_text),
            given_name: check_patch(errors, "givenName", &self.given_name, name_text),
            family_name: check_patch(errors, "familyName", &self.family_name, name_text),
            nickname: check_patch(errors, "nickname", &self.nickname, name_text),
            picture: check_patch(errors, "picture", &self.picture, validate::url),
            phone_number: check_patch(errors, "phoneNumber", &self.phone_number, validate::phone),
            locale: check_patch(errors, "locale", &self.locale, validate::locale),
        }
    }

    fn apply(self, model: &mut user::Model) -> Vec<&'static str> {
        let mut changed = Vec::new();
        if let Some(email) = self.email {
            if email != model.email {
                model.email = email;
                // A new address is unproven until its owner follows a verification link.
                model.email_verified = false;
                changed.push("email");
            }
        }
        let fields: [(&'static str, Patch<String>, &mut Option<String>); 8] = [
            ("username", self.username, &mut model.username),
            ("name", self.name, &mut model.name),
            ("givenName", self.given_name, &mut model.given_name),
            ("familyName", self.family_name, &mut model.family_name),
            ("nickname", self.nickname, &mut model.nickname),
            ("picture", self.picture, &mut model.picture),
            ("phoneNumber", self.phone_number, &mut model.phone_number),
            ("locale", self.locale, &mut model.locale),
        ];
        for (name, patch, slot) in fields {
            if let Some(value) = patch {
                if *slot != value {
                    *slot = value;
                    changed.push(name);
                }
            }
        }
        changed
    }
}

/// Recomputes the derived search and sort columns from the fields they come from.
pub fn refresh_derived(model: &mut user::Model) {
    let name = model.name.as_deref().unwrap_or_default().to_lowercase();
    model.search_text = [
        model.email.as_str(),
        name.as_str(),
        model.username.as_deref().unwrap_or_default(),
    ]
    .join("\n");
    model.name_sort = name.chars().take(255).collect();
    model.last_login_sort = model.last_login_at.map(|at| at.timestamp_micros()).unwrap_or(0);
}

/// A new user with nothing but an email address: the defaults every creation path starts from.
pub(crate) fn blank(email: String, now: chrono::DateTime<chrono::Utc>) -> user::Model {
    user::Model {
        id: UserId::new(),
        email,
        email_verified: false,
        username: None,
        name: None,
        given_name: None,
        family_name: None,
        nickname: None,
        picture: None,
        phone_number: None,
        locale: None,
        user_metadata: json!({}),
        app_metadata: json!({}),
        blocked: false,
        blocked_reason: None,
        is_superadmin: false,
        password_change_required: false,
        last_login_at: None,
        logins_count: 0,
        search_text: String::new(),
        name_sort: String::new(),
        last_login_sort: 0,
        revision: 0,
        created_at: now,
        updated_at: now,
    }
}

/// Creates a user and their membership in the manager's organization, and mails them an
/// invitation (or, when told not to invite, a verification link). With a password the user must
/// change it at first sign-in.
pub async fn create(scope: &OrgManager<'_>, new: NewUser) -> Result<user::Model> {
    let mut errors = FieldErrors::default();
    let email = check_optional(&mut errors, "email", Some(&new.email), validate::email);
    let profile = new.profile.checked(&mut errors);
    if new.roles.is_empty() {
        errors.add("roles", "give at least one role");
    }
    let user_metadata = metadata::initial("userMetadata", new.user_metadata.as_ref());
    let app_metadata = metadata::initial("appMetadata", new.app_metadata.as_ref());
    errors.into_result()?;
    let (user_metadata, app_metadata) = (user_metadata?, app_metadata?);
    scope.check_grant(&new.roles)?;
    let email = email.expect("checked above");
    super::email_domains::check_claimed(scope, &[scope.org_id()], &email).await?;
    let app = scope.app();
    let organization = steward_entity::organization::Entity::find_by_id(scope.org_id())
        .one(app.database.reader())
        .await?
        .ok_or(Error::NotFound)?;
    let hash = match &new.password {
        Some(password) => {
            let policy = crate::policy::settings::OrgSettings::from_json(&organization.settings).password_policy;
            let names = [
                profile.name.as_deref(),
                profile.given_name.as_deref(),
                profile.family_name.as_deref(),
                profile.nickname.as_deref(),
                profile.username.as_deref(),
            ];
            let personal = passwords::Personal::new(&email, names, &[organization.name.clone()]);
            passwords::check(&policy, password, &personal)?;
            let operation = scope.caller().password_operation()?;
            Some(app.hasher.hash(&operation, password).await?)
        }
        None => None,
    };
    let now = app.clock.now();
    let mut model = user::Model {
        username: profile.username,
        name: profile.name,
        given_name: profile.given_name,
        family_name: profile.family_name,
        nickname: profile.nickname,
        picture: profile.picture,
        phone_number: profile.phone_number,
        locale: profile.locale,
        user_metadata,
        app_metadata,
        password_change_required: hash.is_some(),
        ..blank(email, now)
    };
    refresh_derived(&mut model);
    // Every creation mails the address (an invitation or a verification link).
    super::outbox::spend_admin_budget(scope, &model.email).await?;
    let transaction = app.database.write().await?;
    {
        use super::metadata_schemas::{self as schemas, Target};
        let party = schemas::Party::of(scope.caller());
        let mut errors = FieldErrors::default();
        let empty = Json::Object(Default::default());
        for (target, document) in [
            (Target::UserMetadata, &model.user_metadata),
            (Target::AppMetadata, &model.app_metadata),
        ] {
            let governing = schemas::governing(&*transaction, target, &[scope.org_id()]).await?;
            schemas::check_write(&mut errors, target, &governing, &party, model.id, &empty, document);
        }
        errors.into_result()?;
    }
    let user = user::ActiveModel::from(model.clone())
        .reset_all()
        .insert(&*transaction)
        .await
        .map_err(|error| conflict_on_unique(error, EMAIL_TAKEN))?;
    super::members::insert_membership(&*transaction, scope.org_id(), &user, new.roles, now).await?;
    if let Some(hash) = hash {
        passwords::store(&*transaction, user.id, hash, now).await?;
    }
    let actor = scope.actor();
    if new.send_invitation {
        let grant = super::outbox::InvitationGrant {
            email: &user.email,
            name: user.name.clone(),
            roles: super::members::role_names(&new.roles),
            user_id: Some(user.id),
            invited_by: actor.user_id,
        };
        super::outbox::invitation(&*transaction, app, grant, &organization, now).await?;
    } else {
        super::outbox::verification(&*transaction, app, &user, Some(&organization), now).await?;
    }
    let details = json!({ "email": user.email, "roles": super::members::role_names(&new.roles) });
    audit::record(
        &*transaction,
        &actor,
        now,
        Event::new("USER_CREATED")
            .user(user.id)
            .org(scope.org_id())
            .details(details),
    )
    .await?;
    transaction.commit().await?;
    app.mailer.wake();
    Ok(user)
}

/// Creates a user with no membership (a superadmin created from the command line or the setup
/// link).
pub(super) async fn insert_bare(
    connection: &impl ConnectionTrait,
    email: String,
    name: Option<String>,
    superadmin: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<user::Model> {
    let mut model = user::Model {
        email_verified: superadmin,
        name,
        is_superadmin: superadmin,
        ..blank(email, now)
    };
    refresh_derived(&mut model);
    user::ActiveModel::from(model)
        .reset_all()
        .insert(connection)
        .await
        .map_err(|error| conflict_on_unique(error, EMAIL_TAKEN))
}

/// Reads, changes and writes a user, retrying when another writer got in between (optimistic
/// concurrency on `revision`): concurrent merge patches never lose each other's keys.
async fn modify(
    scope: &dyn Scope,
    user_id: UserId,
    event_type: &str,
    change: impl Fn(&mut user::Model) -> Result<Json>,
) -> Result<user::Model> {
    let modified = modify_uncommitted(scope, user_id, event_type, change).await?;
    modified.commit().await
}

/// A change written but not yet committed, so that more (mail about it, say) can join its
/// transaction.
pub(crate) struct Modified {
    transaction: Option<crate::domain::database::WriteTransaction>,
    pub before: user::Model,
    pub after: user::Model,
}

impl Modified {
    /// The open transaction; `None` when nothing changed.
    pub fn transaction(&self) -> Option<&DatabaseTransaction> {
        self.transaction.as_deref()
    }

    pub async fn commit(self) -> Result<user::Model> {
        if let Some(transaction) = self.transaction {
            transaction.commit().await?;
        }
        Ok(self.after)
    }
}

/// [`modify`], leaving the transaction open.
async fn modify_uncommitted(
    scope: &dyn Scope,
    user_id: UserId,
    event_type: &str,
    change: impl Fn(&mut user::Model) -> Result<Json>,
) -> Result<Modified> {
    let app = scope.app();
    for _ in 0..20 {
        let transaction = app.database.write().await?;
        let current = user::Entity::find_by_id(user_id)
            .one(&*transaction)
            .await?
            .ok_or(Error::NotFound)?;
        let mut next = current.clone();
        let details = change(&mut next)?;
        check_metadata_rules(&*transaction, scope, &current, &next).await?;
        if next == current {
            return Ok(Modified {
                transaction: None,
                before: current.clone(),
                after: current,
            });
        }
        let now = app.clock.now();
        next.revision = current.revision + 1;
        next.updated_at = now;
        refresh_derived(&mut next);
        let mut active = user::ActiveModel::from(next.clone()).reset_all();
        active.id = sea_orm::ActiveValue::Unchanged(user_id);
        let result = user::Entity::update_many()
            .set(active)
            .filter(user::Column::Id.eq(user_id))
            .filter(user::Column::Revision.eq(current.revision))
            .exec(&*transaction)
            .await
            .map_err(|error| conflict_on_unique(error, EMAIL_TAKEN))?;
        if result.rows_affected == 0 {
            continue;
        }
        super::members::sync_user_keys(&*transaction, &next).await?;
        audit::record(
            &*transaction,
            &scope.actor(),
            now,
            Event::new(event_type).user(user_id).details(details),
        )
        .await?;
        return Ok(Modified {
            transaction: Some(transaction),
            before: current,
            after: next,
        });
    }
    Err(Error::Conflict("the user is being changed by others; try again".into()))
}

/// Holds changed `userMetadata` and `appMetadata` to the schemas of the platform and of every
/// organization of the user, and to the caller's per-key rights in them.
async fn check_metadata_rules(
    connection: &impl ConnectionTrait,
    scope: &dyn Scope,
    current: &user::Model,
    next: &user::Model,
) -> Result<()> {
    use super::metadata_schemas::{self as schemas, Target};
    let documents = [
        (Target::UserMetadata, &current.user_metadata, &next.user_metadata),
        (Target::AppMetadata, &current.app_metadata, &next.app_metadata),
    ];
    if documents.iter().all(|(_, before, after)| before == after) {
        return Ok(());
    }
    let orgs = schemas::orgs_of(connection, current.id).await?;
    let party = schemas::Party::of(scope.caller());
    let mut errors = FieldErrors::default();
    for (target, before, after) in documents {
        if before != after {
            let governing = schemas::governing(connection, target, &orgs).await?;
            schemas::check_write(&mut errors, target, &governing, &party, current.id, before, after);
        }
    }
    errors.into_result()
}

/// Marks the address verified or not, by an administrator.
pub async fn set_email_verified(scope: &IdentityManager<'_>, verified: bool) -> Result<user::Model> {
    modify(scope, scope.user_id(), "EMAIL_VERIFICATION_SET", |model| {
        model.email_verified = verified;
        Ok(json!({ "verified": verified }))
    })
    .await
}

/// An admin's profile edit. A new email address is unverified and is sent a verification link.
pub async fn update(scope: &IdentityManager<'_>, patch: ProfilePatch) -> Result<user::Model> {
    let mut errors = FieldErrors::default();
    let patch = patch.checked(&mut errors);
    errors.into_result()?;
    let app = scope.app();
    if let Some(email) = &patch.email {
        let current = user::Entity::find_by_id(scope.user_id())
            .one(app.database.reader())
            .await?
            .ok_or(Error::NotFound)?;
        if *email != current.email {
            let org_ids: Vec<_> = membership::Entity::find()
                .filter(membership::Column::UserId.eq(scope.user_id()))
                .all(app.database.reader())
                .await?
                .into_iter()
                .map(|membership| membership.org_id)
                .collect();
            super::email_domains::check_claimed(scope, &org_ids, email).await?;
        }
    }
    let modified = modify_uncommitted(scope, scope.user_id(), "USER_UPDATED", |model| {
        let changed = patch.clone().apply(model);
        Ok(json!({ "changed": changed }))
    })
    .await?;
    if let Some(transaction) = modified.transaction() {
        if modified.before.email != modified.after.email {
            super::outbox::spend_admin_budget(scope, &modified.after.email).await?;
            // Links already sent to the old address must not outlive it.
            let now = app.clock.now();
            use super::tokens::{invalidate_each, INVITATION, PASSWORD_RESET};
            invalidate_each(transaction, modified.after.id, &[PASSWORD_RESET, INVITATION], now).await?;
            let acting = scope.caller().acting_org();
            let org = super::outbox::brand_org(transaction, modified.after.id, acting).await?;
            super::outbox::verification(transaction, app, &modified.after, org.as_ref(), app.clock.now()).await?;
        }
    }
    let updated = modified.commit().await?;
    app.mailer.wake();
    Ok(updated)
}

/// Merge-patches `userMetadata` and/or `appMetadata`.
pub async fn update_metadata(
    scope: &IdentityManager<'_>,
    user_metadata: Option<Json>,
    app_metadata: Option<Json>,
) -> Result<user::Model> {
    if let Some(patch) = &user_metadata {
        metadata::validate_patch("userMetadata", patch)?;
    }
    if let Some(patch) = &app_metadata {
        metadata::validate_patch("appMetadata", patch)?;
    }
    modify(scope, scope.user_id(), "METADATA_UPDATED", |model| {
        if let Some(patch) = &user_metadata {
            model.user_metadata = metadata::merge("userMetadata", &model.user_metadata, patch)?;
        }
        if let Some(patch) = &app_metadata {
            model.app_metadata = metadata::merge("appMetadata", &model.app_metadata, patch)?;
        }
        Ok(json!({ "userMetadata": user_metadata.is_some(), "appMetadata": app_metadata.is_some() }))
    })
    .await
}

/// The user's own profile edit: names, picture, phone, locale and `userMetadata`; never email,
/// username or `appMetadata`.
pub async fn update_mine(scope: &Myself<'_>, patch: ProfilePatch, user_metadata: Option<Json>) -> Result<user::Model> {
    let mut errors = FieldErrors::default();
    let patch = ProfilePatch {
        email: None,
        username: None,
        ..patch
    }
    .checked(&mut errors);
    errors.into_result()?;
    if let Some(patch) = &user_metadata {
        metadata::validate_patch("userMetadata", patch)?;
    }
    modify(scope, scope.user.user_id, "PROFILE_UPDATED", |model| {
        let changed = patch.clone().apply(model);
        if let Some(patch) = &user_metadata {
            model.user_metadata = metadata::merge("userMetadata", &model.user_metadata, patch)?;
        }
        Ok(json!({ "changed": changed, "userMetadata": user_metadata.is_some() }))
    })
    .await
}

/// Deletes a user everywhere. The audit trail keeps the events.
pub async fn delete(scope: &IdentityManager<'_>) -> Result<()> {
    let app = scope.app();
    let now = app.clock.now();
    let transaction = app.database.write().await?;
    let user = user::Entity::find_by_id(scope.user_id())
        .one(&*transaction)
        .await?
        .ok_or(Error::NotFound)?;
    let orgs: Vec<String> = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user.id))
        .all(&*transaction)
        .await?
        .into_iter()
        .map(|membership| membership.org_id.to_string())
        .collect();
    user::Entity::delete_by_id(user.id).exec(&*transaction).await?;
    audit::record(
        &*transaction,
        &scope.actor(),
        now,
        Event::new("USER_DELETED")
            .user(user.id)
            .details(json!({ "email": user.email, "organizations": orgs })),
    )
    .await?;
    transaction.commit().await?;
    Ok(())
}

/// Reads one user the caller may read.
pub async fn get(scope: &UserReader<'_>) -> Result<Option<user::Model>> {
    Ok(user::Entity::find_by_id(scope.user_id())
        .one(scope.database().reader())
        .await?)
}

/// Reads the caller's own user.
pub async fn me(scope: &Myself<'_>) -> Result<Option<user::Model>> {
    Ok(user::Entity::find_by_id(scope.user.user_id)
        .one(scope.database().reader())
        .await?)
}

pub fn is_active(membership: &membership::Model) -> bool {
    membership.status == ACTIVE
}
