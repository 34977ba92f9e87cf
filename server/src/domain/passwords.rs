//! Setting passwords: the policy every path checks (length, strength, personal information,
//! history), and storing the hash.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use steward_entity::{credential, membership, organization, password_history, user, UserId};

use super::authz::PasswordOperation;
use super::hasher::PasswordHasher;
use crate::error::{Error, Result};
use crate::policy::settings::{OrgSettings, PasswordPolicy};

/// Longer passwords are refused only to bound the cost of hashing them.
pub const MAX_PASSWORD_CHARS: usize = 1024;
/// The most history any policy may ask for; older entries are pruned.
const HISTORY_KEPT: usize = 24;
/// Personal words shorter than this are too common to refuse inside a password.
const MIN_PERSONAL_WORD: usize = 4;

/// What a password must not contain, and what zxcvbn should treat as easy to guess.
#[derive(Clone, Debug, Default)]
pub struct Personal {
    words: Vec<String>,
}

impl Personal {
    /// The email address (whole and its local part), names and organization names.
    pub fn new<'a>(email: &str, names: impl IntoIterator<Item = Option<&'a str>>, orgs: &[String]) -> Self {
        let mut words = vec![email.to_lowercase()];
        if let Some((local, _)) = email.split_once('@') {
            words.push(local.to_lowercase());
        }
        let names = names.into_iter().flatten().map(str::to_owned);
        for name in names.chain(orgs.iter().cloned()) {
            let name = name.to_lowercase();
            words.extend(name.split(|c: char| !c.is_alphanumeric()).map(str::to_owned));
            words.push(name);
        }
        words.retain(|word| word.chars().count() >= MIN_PERSONAL_WORD);
        words.sort();
        words.dedup();
        Self { words }
    }

    pub fn of(user: &user::Model, orgs: &[String]) -> Self {
        let names = [
            user.name.as_deref(),
            user.given_name.as_deref(),
            user.family_name.as_deref(),
            user.nickname.as_deref(),
            user.username.as_deref(),
        ];
        Self::new(&user.email, names, orgs)
    }
}

/// The strictest policy among the organizations a user belongs to (the defaults when none), and
/// those organizations' names.
pub(super) async fn policy_for(
    connection: &impl ConnectionTrait,
    user_id: UserId,
) -> Result<(PasswordPolicy, Vec<String>)> {
    let orgs: Vec<organization::Model> = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .find_also_related(organization::Entity)
        .all(connection)
        .await?
        .into_iter()
        .filter_map(|(_, org)| org)
        .collect();
    Ok((
        strictest(
            orgs.iter()
                .map(|org| OrgSettings::from_json(&org.settings).password_policy),
        ),
        orgs.into_iter().map(|org| org.name).collect(),
    ))
}

pub fn strictest(policies: impl Iterator<Item = PasswordPolicy>) -> PasswordPolicy {
    policies
        .reduce(|mine, theirs| PasswordPolicy {
            min_length: mine.min_length.max(theirs.min_length),
            min_strength: mine.min_strength.max(theirs.min_strength),
            history_size: mine.history_size.max(theirs.history_size),
            reject_personal_info: mine.reject_personal_info || theirs.reject_personal_info,
        })
        .unwrap_or_default()
}

/// Checks a new password against a policy: length, zxcvbn strength and personal information.
/// Every reason is reported at once. (History needs the database: [`check_history`].)
pub fn check(policy: &PasswordPolicy, password: &str, personal: &Personal) -> Result<()> {
    let length = password.chars().count();
    let mut reasons = Vec::new();
    // A policy can never refuse a password of 128 characters for being too short.
    let min_length = (policy.min_length.max(0) as usize).min(128);
    if length < min_length {
        reasons.push(format!("must be at least {min_length} characters long"));
    }
    if length > MAX_PASSWORD_CHARS {
        reasons.push(format!("must be at most {MAX_PASSWORD_CHARS} characters long"));
    } else if password.trim().is_empty() {
        reasons.push("must not be blank".to_string());
    } else {
        let lower = password.to_lowercase();
        if policy.reject_personal_info && personal.words.iter().any(|word| lower.contains(word.as_str())) {
            reasons.push("must not contain your name, email address or organization name".to_string());
        }
        let inputs: Vec<&str> = personal.words.iter().map(String::as_str).collect();
        let score = u8::from(zxcvbn::zxcvbn(password, &inputs).score()) as i32;
        if score < policy.min_strength {
            reasons.push(format!(
                "is too easy to guess (strength {score} of 4, at least {} needed): use a longer passphrase of unrelated words",
                policy.min_strength
            ));
        }
    }
    if reasons.is_empty() {
        Ok(())
    } else {
        Err(Error::PasswordPolicy { reasons })
    }
}

/// Refuses a password that matches one of the user's last `historySize` passwords.
pub(super) async fn check_history(
    connection: &impl ConnectionTrait,
    hasher: &PasswordHasher,
    operation: &PasswordOperation,
    user_id: UserId,
    policy: &PasswordPolicy,
    password: &str,
) -> Result<()> {
    if policy.history_size <= 0 {
        return Ok(());
    }
    let recent = password_history::Entity::find()
        .filter(password_history::Column::UserId.eq(user_id))
        .order_by_desc(password_history::Column::CreatedAt)
        .limit(policy.history_size as u64)
        .all(connection)
        .await?;
    for entry in recent {
        if hasher
            .verify(operation, password, Some(&entry.password_hash))
            .await?
            .matches
        {
            return Err(Error::PasswordPolicy {
                reasons: vec![format!("must differ from your last {} passwords", policy.history_size)],
            });
        }
    }
    Ok(())
}

/// Stores a newly chosen password's hash, and remembers it in the history.
pub(super) async fn store(
    connection: &impl ConnectionTrait,
    user_id: UserId,
    hash: String,
    now: DateTime<Utc>,
) -> Result<()> {
    replace(connection, user_id, hash.clone(), now).await?;
    password_history::Entity::insert(password_history::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        user_id: Set(user_id),
        password_hash: Set(hash),
        created_at: Set(now),
    })
    .exec(connection)
    .await?;
    // Pruned on every write, so this reads at most one entry more than is kept.
    let kept: Vec<uuid::Uuid> = password_history::Entity::find()
        .select_only()
        .column(password_history::Column::Id)
        .filter(password_history::Column::UserId.eq(user_id))
        .order_by_desc(password_history::Column::CreatedAt)
        .into_tuple()
        .all(connection)
        .await?;
    let stale: Vec<uuid::Uuid> = kept.into_iter().skip(HISTORY_KEPT).collect();
    if !stale.is_empty() {
        password_history::Entity::delete_many()
            .filter(password_history::Column::Id.is_in(stale))
            .exec(connection)
            .await?;
    }
    Ok(())
}

/// Checks a new password for a user against the strictest policy of their organizations (and of
/// `joining`, an organization they are about to join) and their history, and hashes it.
pub(super) async fn vet(
    app: &crate::domain::state::AppState,
    operation: &PasswordOperation,
    user: &user::Model,
    new: &str,
    joining: Option<&organization::Model>,
) -> Result<String> {
    let database = app.database.reader();
    let (mut policy, mut orgs) = policy_for(database, user.id).await?;
    if let Some(org) = joining {
        policy = strictest([policy, OrgSettings::from_json(&org.settings).password_policy].into_iter());
        orgs.push(org.name.clone());
    }
    check(&policy, new, &Personal::of(user, &orgs))?;
    check_history(database, &app.hasher, operation, user.id, &policy, new).await?;
    app.hasher.hash(operation, new).await
}

/// Stores a vetted password inside the caller's transaction, with what every password change
/// brings: the forced-change flag set or lifted, every session but `keep` ended, and every
/// outstanding reset and email-change link spent. Returns how many sessions ended.
pub(super) async fn commit(
    connection: &impl ConnectionTrait,
    user_id: UserId,
    hash: String,
    change_required: bool,
    keep: Option<steward_entity::SessionId>,
    now: DateTime<Utc>,
) -> Result<u64> {
    use sea_orm::sea_query::Expr;
    store(connection, user_id, hash, now).await?;
    user::Entity::update_many()
        .col_expr(user::Column::PasswordChangeRequired, Expr::value(change_required))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(user_id))
        .exec(connection)
        .await?;
    let revoked = super::sessions::revoke_all(connection, user_id, keep, now).await?;
    // A pending address change might be an attacker's who knew the old password.
    use super::tokens::{invalidate_each, EMAIL_CHANGE, PASSWORD_RESET};
    invalidate_each(connection, user_id, &[PASSWORD_RESET, EMAIL_CHANGE], now).await?;
    Ok(revoked)
}

/// Replaces the stored hash of the same password (a rehash at new parameters).
pub(super) async fn replace(
    connection: &impl ConnectionTrait,
    user_id: UserId,
    hash: String,
    now: DateTime<Utc>,
) -> Result<()> {
    let model = credential::ActiveModel {
        user_id: Set(user_id),
        password_hash: Set(hash),
        updated_at: Set(now),
    };
    credential::Entity::insert(model)
        .on_conflict(
            sea_orm::sea_query::OnConflict::column(credential::Column::UserId)
                .update_columns([credential::Column::PasswordHash, credential::Column::UpdatedAt])
                .to_owned(),
        )
        .exec(connection)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reasons(policy: &PasswordPolicy, password: &str, personal: &Personal) -> Vec<String> {
        match check(policy, password, personal) {
            Ok(()) => Vec::new(),
            Err(Error::PasswordPolicy { reasons }) => reasons,
            Err(other) => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_long_unusual_passphrase_passes_the_defaults() {
        let personal = Personal::new("ada@example.com", [Some("Ada Lovelace")], &["Acme".into()]);
        assert!(reasons(&PasswordPolicy::default(), "quartz-lantern-obelisk-drizzle", &personal).is_empty());
    }

    #[test]
    fn short_and_guessable_passwords_get_every_reason() {
        let found = reasons(&PasswordPolicy::default(), "password", &Personal::default());
        assert_eq!(found.len(), 2, "{found:?}");
    }

    #[test]
    fn personal_information_is_refused_unless_the_policy_allows_it() {
        let personal = Personal::new("ada.lovelace@example.com", [Some("Ada Lovelace")], &["Initech".into()]);
        let policy = PasswordPolicy {
            min_strength: 0,
            ..PasswordPolicy::default()
        };
        assert_eq!(reasons(&policy, "quartz-Lovelace-obelisk", &personal).len(), 1);
        assert_eq!(reasons(&policy, "quartz-initech-obelisk", &personal).len(), 1);
        let lenient = PasswordPolicy {
            reject_personal_info: false,
            ..policy
        };
        assert!(reasons(&lenient, "quartz-Lovelace-obelisk", &personal).is_empty());
    }

    #[test]
    fn the_strictest_policy_wins() {
        let loose = PasswordPolicy {
            min_length: 8,
            min_strength: 1,
            history_size: 0,
            reject_personal_info: false,
        };
        let tight = PasswordPolicy {
            min_length: 16,
            min_strength: 4,
            history_size: 10,
            reject_personal_info: true,
        };
        assert_eq!(strictest([loose.clone(), tight.clone()].into_iter()), tight);
        assert_eq!(strictest(std::iter::empty()), PasswordPolicy::default());
    }
}
