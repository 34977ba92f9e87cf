//! Invitations: an organization's managers invite an address with roles; following the mailed
//! link verifies the address, creates the account (or uses the existing one), makes it a member
//! and signs the user in. An invitation's id is its token's hash, which names it without being
//! usable as a link.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use super::audit::{self, Event};
use super::members::role_names;
use super::sessions::{self, Issued};
use super::{outbox, password_checks, passwords, tokens, users, validate};
use crate::domain::authz::{OrgManager, Public, Scope};
use crate::error::{Error, Result};
use crate::policy::roles::{Role, RoleSet};
use steward_entity::{credential, membership, one_time_token, organization, user, OrgId};

/// A pending invitation.
#[derive(Clone, Debug)]
pub struct Invitation {
    pub id: String,
    pub org_id: OrgId,
    pub email: String,
    pub roles: RoleSet,
    pub expires_at: DateTime<Utc>,
}

fn roles_named(names: &[&str]) -> RoleSet {
    let roles: Vec<Role> = names
        .iter()
        .filter_map(|name| match *name {
            "ADMIN" => Some(Role::Admin),
            "USER_MANAGER" => Some(Role::UserManager),
            "AUDITOR" => Some(Role::Auditor),
            "MEMBER" => Some(Role::Member),
            _ => None,
        })
        .collect();
    RoleSet::from_roles(&roles)
}

impl Invitation {
    fn of(token: &one_time_token::Model) -> Option<Self> {
        let email = token.data.get("email")?.as_str()?.to_owned();
        let names: Vec<&str> = token
            .data
            .get("roles")?
            .as_array()?
            .iter()
            .filter_map(|name| name.as_str())
            .collect();
        Some(Self {
            id: token.token_hash.clone(),
            org_id: token.org_id?,
            email,
            roles: roles_named(&names),
            expires_at: token.expires_at,
        })
    }
}

/// Invites an address into the manager's organization. Only an ADMIN may invite with ADMIN or
/// USER_MANAGER.
pub async fn invite(scope: &OrgManager<'_>, email: &str, roles: RoleSet) -> Result<Invitation> {
    let email = validate::email(email).map_err(|message| Error::invalid("email", message))?;
    if roles.is_empty() {
        return Err(Error::invalid("roles", "give at least one role"));
    }
    scope.check_grant(&roles)?;
    let app = scope.app();
    let database = app.database.reader();
    let org = organization::Entity::find_by_id(scope.org_id())
        .one(database)
        .await?
        .ok_or(Error::NotFound)?;
    let existing = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(database)
        .await?;
    if let Some(existing) = &existing {
        let member = membership::Entity::find_by_id((org.id, existing.id))
            .one(database)
            .await?;
        if member.is_some() {
            return Err(Error::Conflict("this address already belongs to a member".into()));
        }
    }
    outbox::spend_admin_budget(scope, &email).await?;
    let now = app.clock.now();
    let transaction = app.database.write().await?;
    let grant = outbox::InvitationGrant {
        email: &email,
        name: existing.as_ref().and_then(|user| user.name.clone()),
        roles: role_names(&roles),
        user_id: None,
        invited_by: scope.actor().user_id,
    };
    let (id, expires_at) = outbox::invitation(&*transaction, app, grant, &org, now).await?;
    audit::record(
        &*transaction,
        &scope.actor(),
        now,
        Event::new("INVITATION_SENT")
            .org(org.id)
            .details(json!({ "invitationId": id, "email": email, "roles": role_names(&roles) })),
    )
    .await?;
    transaction.commit().await?;
    app.mailer.wake();
    Ok(Invitation {
        id,
        org_id: org.id,
        email,
        roles,
        expires_at,
    })
}

/// The organization's invitations that can still be accepted, newest first.
pub async fn pending(scope: &OrgManager<'_>) -> Result<Vec<Invitation>> {
    let now = scope.app().clock.now();
    let tokens = one_time_token::Entity::find()
        .filter(one_time_token::Column::OrgId.eq(scope.org_id()))
        .filter(one_time_token::Column::Purpose.eq(tokens::INVITATION))
        .filter(one_time_token::Column::UsedAt.is_null())
        .filter(one_time_token::Column::ExpiresAt.gt(now))
        .order_by_desc(one_time_token::Column::CreatedAt)
        .all(scope.database().reader())
        .await?;
    Ok(tokens.iter().filter_map(Invitation::of).collect())
}

/// Withdraws a pending invitation: its link stops working.
pub async fn revoke(scope: &OrgManager<'_>, id: &str) -> Result<()> {
    let app = scope.app();
    let now = app.clock.now();
    let transaction = app.database.write().await?;
    let revoked = one_time_token::Entity::update_many()
        .col_expr(one_time_token::Column::UsedAt, Expr::value(now))
        .filter(one_time_token::Column::TokenHash.eq(id))
        .filter(one_time_token::Column::OrgId.eq(scope.org_id()))
        .filter(one_time_token::Column::Purpose.eq(tokens::INVITATION))
        .filter(one_time_token::Column::UsedAt.is_null())
        .exec(&*transaction)
        .await?;
    if revoked.rows_affected == 0 {
        return Err(Error::NotFound);
    }
    audit::record(
        &*transaction,
        &scope.actor(),
        now,
        Event::new("INVITATION_REVOKED")
            .org(scope.org_id())
            .details(json!({ "invitationId": id })),
    )
    .await?;
    transaction.commit().await
}

/// Sends a pending invitation again, with a new link valid for the full period: the old link
/// stops working. The roles are granted anew, so only someone who may grant them may resend.
pub async fn resend(scope: &OrgManager<'_>, id: &str) -> Result<Invitation> {
    let app = scope.app();
    let now = app.clock.now();
    let old = one_time_token::Entity::find_by_id(id.to_owned())
        .filter(one_time_token::Column::OrgId.eq(scope.org_id()))
        .filter(one_time_token::Column::Purpose.eq(tokens::INVITATION))
        .filter(one_time_token::Column::UsedAt.is_null())
        .one(app.database.reader())
        .await?
        .ok_or(Error::NotFound)?;
    let invitation = Invitation::of(&old).ok_or(Error::NotFound)?;
    scope.check_grant(&invitation.roles)?;
    let org = organization::Entity::find_by_id(scope.org_id())
        .one(app.database.reader())
        .await?
        .ok_or(Error::NotFound)?;
    outbox::spend_admin_budget(scope, &invitation.email).await?;
    let transaction = app.database.write().await?;
    // Spent first, under the condition that it is still pending: of two resends at once, one
    // wins and the other finds nothing.
    let spent = one_time_token::Entity::update_many()
        .col_expr(one_time_token::Column::UsedAt, Expr::value(now))
        .filter(one_time_token::Column::TokenHash.eq(id))
        .filter(one_time_token::Column::UsedAt.is_null())
        .exec(&*transaction)
        .await?;
    if spent.rows_affected == 0 {
        return Err(Error::NotFound);
    }
    let name = match old.user_id {
        Some(user_id) => user::Entity::find_by_id(user_id)
            .one(&*transaction)
            .await?
            .and_then(|user| user.name),
        None => None,
    };
    let grant = outbox::InvitationGrant {
        email: &invitation.email,
        name,
        roles: role_names(&invitation.roles),
        user_id: old.user_id,
        invited_by: scope.actor().user_id,
    };
    let (new_id, expires_at) = outbox::invitation(&*transaction, app, grant, &org, now).await?;
    audit::record(
        &*transaction,
        &scope.actor(),
        now,
        Event::new("INVITATION_RESENT").org(org.id).details(json!({
            "invitationId": new_id,
            "replaces": id,
            "email": invitation.email,
            "roles": role_names(&invitation.roles),
        })),
    )
    .await?;
    transaction.commit().await?;
    app.mailer.wake();
    Ok(Invitation {
        id: new_id,
        expires_at,
        ..invitation
    })
}

/// Whether the account has a password its owner chose. One an administrator set (and the owner
/// must change) does not count: the owner may not know it, and the invitation sets a new one.
pub(super) async fn has_own_password(connection: &impl sea_orm::ConnectionTrait, user: &user::Model) -> Result<bool> {
    if user.password_change_required {
        return Ok(false);
    }
    Ok(credential::Entity::find_by_id(user.id).one(connection).await?.is_some())
}

/// Accepts an invitation and signs the user in. A new account, and one an administrator created
/// without a password, choose `password` (checked against the policies); an account that has one
/// gives it as `current_password` (or, as before, `password`), so the link alone never signs in to
/// an existing account. That check counts toward the account's lockout like a sign-in. The
/// address counts as verified: the link reached it.
pub async fn accept(
    scope: &Public<'_>,
    token: &str,
    password: Option<&str>,
    current_password: Option<&str>,
    name: Option<&str>,
) -> Result<Issued> {
    let operation = scope.caller().password_operation()?;
    let app = scope.app();
    let database = app.database.reader();
    let now = app.clock.now();
    let peeked = tokens::peek(database, token, now)
        .await?
        .filter(|found| found.purpose == tokens::INVITATION)
        .ok_or(Error::TokenInvalid)?;
    let invitation = Invitation::of(&peeked).ok_or(Error::TokenInvalid)?;
    let org = organization::Entity::find_by_id(invitation.org_id)
        .one(database)
        .await?
        .ok_or(Error::TokenInvalid)?;
    let name = name
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(|name| validate::text(name, 255))
        .transpose()
        .map_err(|message| Error::invalid("name", message))?;
    let existing = match peeked.user_id {
        Some(user_id) => user::Entity::find_by_id(user_id).one(database).await?,
        None => {
            user::Entity::find()
                .filter(user::Column::Email.eq(invitation.email.as_str()))
                .one(database)
                .await?
        }
    };
    // A link made for an account whose address has changed since belongs to the old address.
    if peeked.user_id.is_some() && existing.as_ref().is_none_or(|user| user.email != invitation.email) {
        return Err(Error::TokenInvalid);
    }
    if existing.as_ref().is_some_and(|user| user.blocked) {
        return Err(Error::UserBlocked);
    }
    let has_password = match &existing {
        Some(user) => has_own_password(database, user).await?,
        None => false,
    };
    let hash = match (password, &existing) {
        // An account with a password joins with that password: the link alone never signs in to
        // an account that has one.
        (_, Some(user)) if has_password => {
            let Some(current) = current_password.or(password) else {
                return Err(Error::invalid("currentPassword", "enter your password to join"));
            };
            password_checks::require_right(app, &operation, &scope.actor(), user, current).await?;
            None
        }
        (None, _) => return Err(Error::invalid("password", "choose a password")),
        (Some(password), Some(user)) => Some(passwords::vet(app, &operation, user, password, Some(&org)).await?),
        (Some(password), None) => {
            let policy = crate::policy::settings::OrgSettings::from_json(&org.settings).password_policy;
            let personal = passwords::Personal::new(&invitation.email, [name.as_deref()], &[org.name.clone()]);
            passwords::check(&policy, password, &personal)?;
            Some(app.hasher.hash(&operation, password).await?)
        }
    };

    let transaction = app.database.write().await?;
    tokens::consume(&*transaction, token, tokens::INVITATION, now).await?;
    // Other links into this organization for the address are spent with it: after a later
    // removal, none of them may bring the member back.
    tokens::invalidate_invitations_for(&*transaction, org.id, &invitation.email, now).await?;
    let user = match existing {
        Some(user) => user,
        None => users::insert_bare(&*transaction, invitation.email.clone(), name, false, now).await?,
    };
    if user.email == invitation.email {
        user::Entity::update_many()
            .col_expr(user::Column::EmailVerified, Expr::value(true))
            .col_expr(user::Column::Revision, Expr::col(user::Column::Revision).add(1))
            .filter(user::Column::Id.eq(user.id))
            .exec(&*transaction)
            .await?;
    }
    let member = membership::Entity::find_by_id((org.id, user.id))
        .one(&*transaction)
        .await?;
    if member.is_none() {
        super::members::insert_membership(&*transaction, org.id, &user, invitation.roles, now).await?;
    }
    if let Some(hash) = hash {
        passwords::commit(&*transaction, user.id, hash, false, None, now).await?;
    }
    let mut actor = scope.actor();
    actor.user_id = Some(user.id);
    audit::record(
        &*transaction,
        &actor,
        now,
        Event::new("INVITATION_ACCEPTED")
            .user(user.id)
            .org(org.id)
            .details(json!({ "invitationId": invitation.id, "roles": role_names(&invitation.roles) })),
    )
    .await?;
    transaction.commit().await?;
    let lifetime = Duration::seconds(app.config.session_lifetime_seconds);
    sessions::open_session(app, actor, user.id, None, lifetime, None).await
}
