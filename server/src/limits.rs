//! Rate limits on the endpoints that invite guessing or flooding, per client IP and per account.
//! Kept in memory per instance (a generous ceiling, not an exact quota); brute-force lockout is
//! the exact, shared defence and lives in the database.

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::Arc;

use crate::config::Config;
use crate::error::{Error, Result};

#[derive(Clone)]
pub struct Limits {
    login_per_ip: Arc<DefaultKeyedRateLimiter<String>>,
    login_per_account: Arc<DefaultKeyedRateLimiter<String>>,
    mail_per_ip: Arc<DefaultKeyedRateLimiter<String>>,
    mail_per_account: Arc<DefaultKeyedRateLimiter<String>>,
    token_per_ip: Arc<DefaultKeyedRateLimiter<String>>,
    token_per_client: Arc<DefaultKeyedRateLimiter<String>>,
}

fn per_minute(count: u32) -> Arc<DefaultKeyedRateLimiter<String>> {
    let count = NonZeroU32::new(count.max(1)).expect("at least one");
    Arc::new(RateLimiter::keyed(Quota::per_minute(count)))
}

fn per_hour(count: u32) -> Arc<DefaultKeyedRateLimiter<String>> {
    let count = NonZeroU32::new(count.max(1)).expect("at least one");
    Arc::new(RateLimiter::keyed(Quota::per_hour(count)))
}

fn allowed(limiter: &DefaultKeyedRateLimiter<String>, key: &str) -> bool {
    limiter.check_key(&key.to_owned()).is_ok()
}

impl Limits {
    pub fn new(config: &Config) -> Self {
        Self {
            login_per_ip: per_minute(config.login_attempts_per_ip_per_minute),
            login_per_account: per_minute(config.login_attempts_per_account_per_minute),
            mail_per_ip: per_minute(config.mail_requests_per_ip_per_minute),
            mail_per_account: per_hour(config.mail_requests_per_account_per_hour),
            token_per_ip: per_minute(config.token_requests_per_ip_per_minute),
            token_per_client: per_minute(config.token_requests_per_client_per_minute),
        }
    }

    /// One sign-in attempt from `ip` for `account`.
    pub fn check_login(&self, ip: Option<&str>, account: &str) -> Result<()> {
        Self::check(&self.login_per_ip, &self.login_per_account, ip, account)
    }

    /// One request that mails an account (password reset, verification). Known and unknown
    /// addresses count alike, so the limit tells nothing about which exist.
    pub fn check_mail_request(&self, ip: Option<&str>, account: &str) -> Result<()> {
        Self::check(&self.mail_per_ip, &self.mail_per_account, ip, account)
    }

    /// One `/oauth/token` request from `ip`, counted before anything is looked up.
    pub fn check_token_ip(&self, ip: Option<&str>) -> Result<()> {
        Self::check(&self.token_per_ip, &self.token_per_client, ip, "")
    }

    /// One token issued to a client that proved its secret. Counted only then: client ids are
    /// not secret, and others' failed guesses must not starve the client.
    pub fn check_token_client(&self, client_id: &str) -> Result<()> {
        match allowed(&self.token_per_client, client_id) {
            true => Ok(()),
            false => Err(Error::RateLimited),
        }
    }

    fn check(
        per_ip: &DefaultKeyedRateLimiter<String>,
        per_account: &DefaultKeyedRateLimiter<String>,
        ip: Option<&str>,
        account: &str,
    ) -> Result<()> {
        let ip_allowed = allowed(per_ip, ip.unwrap_or("unknown"));
        let account_allowed = account.is_empty() || allowed(per_account, account);
        if ip_allowed && account_allowed {
            Ok(())
        } else {
            Err(Error::RateLimited)
        }
    }

    /// Forgets keys that have been idle long enough to be back at full quota.
    pub fn forget_idle(&self) {
        self.login_per_ip.retain_recent();
        self.login_per_account.retain_recent();
        self.mail_per_ip.retain_recent();
        self.mail_per_account.retain_recent();
        self.token_per_ip.retain_recent();
        self.token_per_client.retain_recent();
    }
}
