//! Rate limits on the endpoints that invite guessing or flooding. Brute-force lockout is the
//! exact defence and lives in the database; these limits are the ceiling on abuse around it.
//!
//! Limits that name an account are keyed by the account *and* the client IP, so that a stranger
//! cannot spend the account owner's budget from elsewhere. Each also has a per-account ceiling
//! over all IPs together, set above what one IP may send: it bites only on abuse spread across
//! many addresses.
//!
//! Every limit is a GCRA (generic cell rate algorithm): `count` requests at once, then one more
//! each `period / count`. Without `redis_url` each instance keeps its own limits in memory
//! (`governor`). With it, all instances share one set in Redis, exactly: one Lua script checks
//! and spends every tier of a request atomically, on the Redis server's clock. While Redis
//! cannot be reached (it answers within 500 ms or counts as down, and is left alone for a few
//! seconds after a failure) the instance falls back to its own limits, so sign-in keeps
//! working, and [`Limits::degraded`] says why for `/readyz`.

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::num::NonZeroU32;
use std::sync::{Arc, LazyLock, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::error::{Error, Result};

/// One limit: its name (part of its Redis keys), its quota, and its in-memory counterpart.
struct Limit {
    name: &'static str,
    count: u32,
    period: Duration,
    local: DefaultKeyedRateLimiter<String>,
}

impl Limit {
    fn new(name: &'static str, count: u32, period: Duration) -> Self {
        let count = count.max(1);
        let burst = NonZeroU32::new(count).expect("at least one");
        let quota = Quota::with_period(period / count)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MAX))
            .allow_burst(burst);
        Self {
            name,
            count,
            period,
            local: RateLimiter::keyed(quota),
        }
    }

    fn per_minute(name: &'static str, count: u32) -> Self {
        Self::new(name, count, Duration::from_secs(60))
    }

    fn per_hour(name: &'static str, count: u32) -> Self {
        Self::new(name, count, Duration::from_secs(3600))
    }

    /// The time one request takes back from the quota, in microseconds.
    fn interval_micros(&self) -> u64 {
        (self.period.as_micros() / u128::from(self.count)).max(1) as u64
    }
}

/// Checks the tiers in order and spends one request from each, stopping at the first that
/// refuses (tiers after it are not spent): returns 0 when every tier allowed, else the refusing
/// tier's place (1-based). `KEYS[i]` holds tier i's theoretical arrival time in microseconds;
/// `ARGV[2i-1]` is its interval, `ARGV[2i]` its burst.
static SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i - 1])
  local burst = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', key) or now)
  if tat < now then tat = now end
  local next_tat = tat + interval
  if next_tat - now > interval * burst then
    return i
  end
  redis.call('SET', key, string.format('%.0f', next_tat), 'PX', math.ceil((next_tat - now) / 1000))
end
return 0
",
    )
});

/// How long a failed Redis is left alone before it is tried again.
const BACK_OFF: Duration = Duration::from_secs(5);

/// The limits every instance shares through Redis.
struct Shared {
    prefix: String,
    connection: Arc<OnceLock<ConnectionManager>>,
    /// Until when Redis is left alone after a failure.
    down_until: Mutex<Option<Instant>>,
    /// Why the shared limits are not in force, while they are not.
    outage: Arc<Mutex<Option<&'static str>>>,
}

impl Shared {
    fn start(url: &str, prefix: &str) -> Self {
        let connection = Arc::new(OnceLock::new());
        let outage = Arc::new(Mutex::new(Some("shared rate limits: connecting to Redis")));
        let client = redis::Client::open(url).expect("redis_url was validated with the configuration");
        let settings = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(Duration::from_millis(500)))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_secs(2));
        let (cell, why) = (connection.clone(), outage.clone());
        // Steward starts, and signs people in, whether or not Redis is there yet.
        tokio::spawn(async move {
            loop {
                match ConnectionManager::new_with_config(client.clone(), settings.clone()).await {
                    Ok(manager) => {
                        let _ = cell.set(manager);
                        *why.lock().expect("outage lock") = None;
                        tracing::info!("rate limits are shared through Redis");
                        return;
                    }
                    Err(error) => {
                        let was = why.lock().expect("outage lock").replace(UNREACHABLE);
                        if was != Some(UNREACHABLE) {
                            tracing::warn!(error = %error, "Redis is unreachable: each instance limits on its own until it is back");
                        }
                        tokio::time::sleep(Duration::from_secs(2)).await;
                    }
                }
            }
        });
        Self {
            prefix: prefix.to_owned(),
            connection,
            down_until: Mutex::new(None),
            outage,
        }
    }

    /// The shared answer, or `None` when Redis cannot give one now.
    async fn allow(&self, tiers: &[(&Limit, &str)]) -> Option<bool> {
        let mut connection = self.connection.get()?.clone();
        {
            let mut down_until = self.down_until.lock().expect("back-off lock");
            match *down_until {
                Some(until) if Instant::now() < until => return None,
                Some(_) => *down_until = None,
                None => {}
            }
        }
        let mut invocation = SCRIPT.prepare_invoke();
        for (limit, key) in tiers {
            // Keys name accounts and addresses: Redis sees only their hashes.
            let digest = crate::crypto::sha256_hex(key.as_bytes());
            invocation.key(format!("{}:limit:{}:{digest}", self.prefix, limit.name));
            invocation.arg(limit.interval_micros()).arg(limit.count);
        }
        match invocation.invoke_async::<i64>(&mut connection).await {
            Ok(refused) => {
                let mut outage = self.outage.lock().expect("outage lock");
                if outage.take().is_some() {
                    tracing::info!("Redis is back: rate limits are shared again");
                }
                Some(refused == 0)
            }
            Err(error) => {
                *self.down_until.lock().expect("back-off lock") = Some(Instant::now() + BACK_OFF);
                let was = self.outage.lock().expect("outage lock").replace(UNREACHABLE);
                if was.is_none() {
                    tracing::warn!(error = %error, "Redis is unreachable: each instance limits on its own until it is back");
                }
                None
            }
        }
    }
}

const UNREACHABLE: &str = "shared rate limits: Redis unreachable, each instance limits on its own";

struct Inner {
    login_per_ip: Limit,
    login_per_pair: Limit,
    login_per_account: Limit,
    mail_per_ip: Limit,
    mail_per_pair: Limit,
    mail_per_account: Limit,
    token_per_ip: Limit,
    token_per_client: Limit,
    admin_mail_per_actor: Limit,
    admin_mail_per_recipient: Limit,
    shared: Option<Shared>,
}

#[derive(Clone)]
pub struct Limits {
    inner: Arc<Inner>,
}

impl Limits {
    /// The limits `config` sets; shared through Redis when it names one (connecting in the
    /// background, so this needs a Tokio runtime).
    pub fn new(config: &Config) -> Self {
        let shared = config
            .redis_url
            .as_ref()
            .map(|url| Shared::start(&url.0, &config.redis_prefix));
        Self {
            inner: Arc::new(Inner {
                login_per_ip: Limit::per_minute("login-ip", config.login_attempts_per_ip_per_minute),
                login_per_pair: Limit::per_minute("login-pair", config.login_attempts_per_account_per_minute),
                login_per_account: Limit::per_minute(
                    "login-account",
                    config.login_attempts_per_account_ceiling_per_minute,
                ),
                mail_per_ip: Limit::per_minute("mail-ip", config.mail_requests_per_ip_per_minute),
                mail_per_pair: Limit::per_hour("mail-pair", config.mail_requests_per_account_per_hour),
                mail_per_account: Limit::per_hour("mail-account", config.mail_requests_per_account_ceiling_per_hour),
                token_per_ip: Limit::per_minute("token-ip", config.token_requests_per_ip_per_minute),
                token_per_client: Limit::per_minute("token-client", config.token_requests_per_client_per_minute),
                admin_mail_per_actor: Limit::per_hour("admin-mail-actor", config.admin_mails_per_actor_per_hour),
                admin_mail_per_recipient: Limit::per_hour(
                    "admin-mail-recipient",
                    config.admin_mails_per_recipient_per_hour,
                ),
                shared,
            }),
        }
    }

    /// Spends one request from each tier in order, stopping at the first that refuses.
    async fn allow(&self, tiers: &[(&Limit, &str)]) -> Result<()> {
        let shared = match &self.inner.shared {
            Some(shared) => shared.allow(tiers).await,
            None => None,
        };
        let allowed = shared.unwrap_or_else(|| {
            tiers
                .iter()
                .all(|(limit, key)| limit.local.check_key(&(*key).to_owned()).is_ok())
        });
        match allowed {
            true => Ok(()),
            false => Err(Error::RateLimited),
        }
    }

    /// One request from `ip` about `account` (empty: no account could be meant, as for an
    /// address that is no address; only the IP's limit applies). The account's ceiling is drawn
    /// on only when the narrower limits allow the request, so requests they refuse never count
    /// against the account.
    async fn tiered(&self, [per_ip, per_pair, per_account]: [&Limit; 3], ip: &str, account: &str) -> Result<()> {
        if account.is_empty() {
            return self.allow(&[(per_ip, ip)]).await;
        }
        let pair = format!("{account}\n{ip}");
        self.allow(&[(per_ip, ip), (per_pair, &pair), (per_account, account)])
            .await
    }

    /// One password check from `ip` for `account` (known or not: both count alike).
    pub async fn check_login(&self, ip: &str, account: &str) -> Result<()> {
        let inner = &*self.inner;
        self.tiered(
            [&inner.login_per_ip, &inner.login_per_pair, &inner.login_per_account],
            ip,
            account,
        )
        .await
    }

    /// One request that mails an account (password reset, verification). Known and unknown
    /// addresses count alike, so the limit tells nothing about which exist.
    pub async fn check_mail_request(&self, ip: Option<&str>, account: &str) -> Result<()> {
        let inner = &*self.inner;
        self.tiered(
            [&inner.mail_per_ip, &inner.mail_per_pair, &inner.mail_per_account],
            ip.unwrap_or("unknown"),
            account,
        )
        .await
    }

    /// One mail an admin or API client (`actor`) has sent to `recipient`: an invitation, a reset
    /// or verification link. Each alias of such a mutation counts, so one request cannot send
    /// more than the budget.
    pub async fn check_admin_mail(&self, actor: &str, recipient: &str) -> Result<()> {
        let inner = &*self.inner;
        self.allow(&[
            (&inner.admin_mail_per_actor, actor),
            (&inner.admin_mail_per_recipient, recipient),
        ])
        .await
    }

    /// One `/oauth/token` request from `ip`, counted before anything is looked up.
    pub async fn check_token_ip(&self, ip: Option<&str>) -> Result<()> {
        self.allow(&[(&self.inner.token_per_ip, ip.unwrap_or("unknown"))]).await
    }

    /// One token issued to a client that proved its secret. Counted only then: client ids are
    /// not secret, and others' failed guesses must not starve the client.
    pub async fn check_token_client(&self, client_id: &str) -> Result<()> {
        self.allow(&[(&self.inner.token_per_client, client_id)]).await
    }

    /// Why the limits are not what the configuration asks for, while they are not: Redis is
    /// configured but cannot be reached, so each instance limits on its own.
    pub fn degraded(&self) -> Option<&'static str> {
        let shared = self.inner.shared.as_ref()?;
        *shared.outage.lock().expect("outage lock")
    }

    /// Forgets in-memory keys that have been idle long enough to be back at full quota.
    pub fn forget_idle(&self) {
        let inner = &*self.inner;
        for limit in [
            &inner.login_per_ip,
            &inner.login_per_pair,
            &inner.login_per_account,
            &inner.mail_per_ip,
            &inner.mail_per_pair,
            &inner.mail_per_account,
            &inner.token_per_ip,
            &inner.token_per_client,
            &inner.admin_mail_per_actor,
            &inner.admin_mail_per_recipient,
        ] {
            limit.local.retain_recent();
        }
    }
}
