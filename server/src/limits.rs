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
}

fn per_minute(count: u32) -> Arc<DefaultKeyedRateLimiter<String>> {
    let count = NonZeroU32::new(count.max(1)).expect("at least one");
    Arc::new(RateLimiter::keyed(Quota::per_minute(count)))
}

impl Limits {
    pub fn new(config: &Config) -> Self {
        Self {
            login_per_ip: per_minute(config.login_attempts_per_ip_per_minute),
            login_per_account: per_minute(config.login_attempts_per_account_per_minute),
        }
    }

    /// One sign-in attempt from `ip` for `account`.
    pub fn check_login(&self, ip: Option<&str>, account: &str) -> Result<()> {
        let ip_allowed = self.login_per_ip.check_key(&ip.unwrap_or("unknown").to_owned()).is_ok();
        let account_allowed = account.is_empty() || self.login_per_account.check_key(&account.to_owned()).is_ok();
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
    }
}
