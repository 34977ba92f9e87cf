//! Rate limits on the endpoints that invite guessing or flooding. Kept in memory per instance (a
//! generous ceiling, not an exact quota); brute-force lockout is the exact, shared defence and
//! lives in the database.
//!
//! Limits that name an account are keyed by the account *and* the client IP, so that a stranger
//! cannot spend the account owner's budget from elsewhere. Each also has a per-account ceiling
//! over all IPs together, set above what one IP may send: it bites only on abuse spread across
//! many addresses.

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::Arc;

use crate::config::Config;
use crate::error::{Error, Result};

type Limiter = Arc<DefaultKeyedRateLimiter<String>>;

/// A limit per client IP, per (account, IP) pair, and per account over all IPs.
#[derive(Clone)]
struct Tiered {
    per_ip: Limiter,
    per_pair: Limiter,
    per_account: Limiter,
}

impl Tiered {
    /// One request from `ip` about `account` (empty: no account could be meant, as for an
    /// address that is no address; only the IP's limit applies). The ceiling is drawn on only
    /// when the narrower limits allow the request, so requests they refuse never count against
    /// the account.
    fn check(&self, ip: &str, account: &str) -> Result<()> {
        let allowed = allowed(&self.per_ip, ip)
            && (account.is_empty()
                || allowed(&self.per_pair, &format!("{account}\n{ip}")) && allowed(&self.per_account, account));
        if allowed {
            Ok(())
        } else {
            Err(Error::RateLimited)
        }
    }

    fn forget_idle(&self) {
        self.per_ip.retain_recent();
        self.per_pair.retain_recent();
        self.per_account.retain_recent();
    }
}

#[derive(Clone)]
pub struct Limits {
    login: Tiered,
    mail_request: Tiered,
    token_per_ip: Limiter,
    token_per_client: Limiter,
    admin_mail_per_actor: Limiter,
    admin_mail_per_recipient: Limiter,
}

fn per_minute(count: u32) -> Limiter {
    let count = NonZeroU32::new(count.max(1)).expect("at least one");
    Arc::new(RateLimiter::keyed(Quota::per_minute(count)))
}

fn per_hour(count: u32) -> Limiter {
    let count = NonZeroU32::new(count.max(1)).expect("at least one");
    Arc::new(RateLimiter::keyed(Quota::per_hour(count)))
}

fn allowed(limiter: &DefaultKeyedRateLimiter<String>, key: &str) -> bool {
    limiter.check_key(&key.to_owned()).is_ok()
}

fn check(limiter: &DefaultKeyedRateLimiter<String>, key: &str) -> Result<()> {
    match allowed(limiter, key) {
        true => Ok(()),
        false => Err(Error::RateLimited),
    }
}

impl Limits {
    pub fn new(config: &Config) -> Self {
        Self {
            login: Tiered {
                per_ip: per_minute(config.login_attempts_per_ip_per_minute),
                per_pair: per_minute(config.login_attempts_per_account_per_minute),
                per_account: per_minute(config.login_attempts_per_account_ceiling_per_minute),
            },
            mail_request: Tiered {
                per_ip: per_minute(config.mail_requests_per_ip_per_minute),
                per_pair: per_hour(config.mail_requests_per_account_per_hour),
                per_account: per_hour(config.mail_requests_per_account_ceiling_per_hour),
            },
            token_per_ip: per_minute(config.token_requests_per_ip_per_minute),
            token_per_client: per_minute(config.token_requests_per_client_per_minute),
            admin_mail_per_actor: per_hour(config.admin_mails_per_actor_per_hour),
            admin_mail_per_recipient: per_hour(config.admin_mails_per_recipient_per_hour),
        }
    }

    /// One password check from `ip` for `account` (known or not: both count alike).
    pub fn check_login(&self, ip: &str, account: &str) -> Result<()> {
        self.login.check(ip, account)
    }

    /// One request that mails an account (password reset, verification). Known and unknown
    /// addresses count alike, so the limit tells nothing about which exist.
    pub fn check_mail_request(&self, ip: Option<&str>, account: &str) -> Result<()> {
        self.mail_request.check(ip.unwrap_or("unknown"), account)
    }

    /// One mail an admin or API client (`actor`) has sent to `recipient`: an invitation, a reset
    /// or verification link. Each alias of such a mutation counts, so one request cannot send
    /// more than the budget.
    pub fn check_admin_mail(&self, actor: &str, recipient: &str) -> Result<()> {
        check(&self.admin_mail_per_actor, actor)?;
        check(&self.admin_mail_per_recipient, recipient)
    }

    /// One `/oauth/token` request from `ip`, counted before anything is looked up.
    pub fn check_token_ip(&self, ip: Option<&str>) -> Result<()> {
        check(&self.token_per_ip, ip.unwrap_or("unknown"))
    }

    /// One token issued to a client that proved its secret. Counted only then: client ids are
    /// not secret, and others' failed guesses must not starve the client.
    pub fn check_token_client(&self, client_id: &str) -> Result<()> {
        check(&self.token_per_client, client_id)
    }

    /// Forgets keys that have been idle long enough to be back at full quota.
    pub fn forget_idle(&self) {
        self.login.forget_idle();
        self.mail_request.forget_idle();
        self.token_per_ip.retain_recent();
        self.token_per_client.retain_recent();
        self.admin_mail_per_actor.retain_recent();
        self.admin_mail_per_recipient.retain_recent();
    }
}
