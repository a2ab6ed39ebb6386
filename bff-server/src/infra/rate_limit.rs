//! Rate limits by the generic cell rate algorithm (GCRA): one stored number per key (the
//! theoretical arrival time), smooth replenishment, bursts up to the quota. The same algorithm
//! runs in process and, as a Lua script, atomically inside Redis.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use tokio::sync::Mutex;

use super::CacheError;

/// `burst` requests per `period`, replenished evenly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Requests allowed at once from a rested state.
    pub burst: u32,
    /// Time in which `burst` requests are replenished.
    pub period: Duration,
}

impl Quota {
    /// `n` requests per minute.
    pub fn per_minute(n: u32) -> Self {
        Self {
            burst: n.max(1),
            period: Duration::from_secs(60),
        }
    }

    fn interval_ms(self) -> u64 {
        (self.period.as_millis() as u64 / u64::from(self.burst)).max(1)
    }

    fn tolerance_ms(self) -> u64 {
        (self.period.as_millis() as u64).saturating_sub(self.interval_ms())
    }
}

/// Whether a request may proceed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead.
    Allow,
    /// Refused; try again after this long.
    Deny { retry_after: Duration },
}

/// One GCRA step: given the stored arrival time (if any) and now, the decision and the arrival
/// time to store. Pure: the in-process limiter calls it; the Redis script mirrors it.
pub fn gcra(stored_tat_ms: Option<u64>, now_ms: u64, quota: Quota) -> (Decision, Option<u64>) {
    let tat = stored_tat_ms.unwrap_or(now_ms).max(now_ms);
    let ahead = tat - now_ms;
    if ahead > quota.tolerance_ms() {
        let wait = ahead - quota.tolerance_ms();
        return (
            Decision::Deny {
                retry_after: Duration::from_millis(wait),
            },
            None,
        );
    }
    (Decision::Allow, Some(tat + quota.interval_ms()))
}

/// What both limiters offer.
#[async_trait]
pub trait RateLimiter: Send + Sync + 'static {
    /// Counts one request against `key` under `quota`.
    async fn check(&self, key: &str, quota: Quota) -> Result<Decision, CacheError>;
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// In-process limiter for the embedded default (one BFF instance).
#[derive(Default)]
pub struct MemoryRateLimiter {
    cells: Mutex<HashMap<String, u64>>,
}

#[async_trait]
impl RateLimiter for MemoryRateLimiter {
    async fn check(&self, key: &str, quota: Quota) -> Result<Decision, CacheError> {
        let now = now_ms();
        let mut cells = self.cells.lock().await;
        if cells.len() > 100_000 {
            // Keys whose arrival time has passed carry no state worth keeping.
            cells.retain(|_, tat| *tat > now);
        }
        let (decision, next) = gcra(cells.get(key).copied(), now, quota);
        if let Some(next) = next {
            cells.insert(key.to_string(), next);
        }
        Ok(decision)
    }
}

/// A shared limiter with a local one behind it: when the shared one cannot answer (Redis down),
/// this instance limits on its own rather than letting everything through. Each instance then
/// allows the full quota, which is looser than the shared limit but never unlimited.
pub struct FallbackRateLimiter<P> {
    primary: P,
    local: MemoryRateLimiter,
}

impl<P> FallbackRateLimiter<P> {
    /// `primary` first, the in-process limiter when it fails.
    pub fn new(primary: P) -> Self {
        Self {
            primary,
            local: MemoryRateLimiter::default(),
        }
    }
}

#[async_trait]
impl<P: RateLimiter> RateLimiter for FallbackRateLimiter<P> {
    async fn check(&self, key: &str, quota: Quota) -> Result<Decision, CacheError> {
        match self.primary.check(key, quota).await {
            Ok(decision) => Ok(decision),
            Err(e) => {
                tracing::warn!(error = %e, "shared rate limiter unavailable; limiting in process");
                metrics::counter!("rate_limit_fallbacks_total").increment(1);
                self.local.check(key, quota).await
            }
        }
    }
}

/// Redis limiter: shared by every BFF instance. Uses Redis's clock so instances agree.
pub struct RedisRateLimiter {
    conn: redis::aio::ConnectionManager,
    script: redis::Script,
    prefix: String,
}

const GCRA_LUA: &str = r"
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
if tat - now > tolerance then
  return {0, tat - now - tolerance}
end
local next = tat + interval
redis.call('SET', KEYS[1], next, 'PX', next - now + 1000)
return {1, 0}
";

impl RedisRateLimiter {
    /// Wraps a connection; `prefix` is prepended to every key.
    pub fn new(conn: redis::aio::ConnectionManager, prefix: &str) -> Self {
        Self {
            conn,
            script: redis::Script::new(GCRA_LUA),
            prefix: prefix.to_string(),
        }
    }
}

#[async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn check(&self, key: &str, quota: Quota) -> Result<Decision, CacheError> {
        let mut conn = self.conn.clone();
        let (allowed, wait_ms): (i64, i64) = self
            .script
            .key(format!("{}rl:{}", self.prefix, key))
            .arg(quota.interval_ms())
            .arg(quota.tolerance_ms())
            .invoke_async(&mut conn)
            .await?;
        Ok(if allowed == 1 {
            Decision::Allow
        } else {
            Decision::Deny {
                retry_after: Duration::from_millis(wait_ms.max(0) as u64),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_the_next_request_waits_one_interval() {
        let quota = Quota {
            burst: 3,
            period: Duration::from_secs(3),
        };
        let mut tat = None;
        for _ in 0..3 {
            let (d, next) = gcra(tat, 10_000, quota);
            assert_eq!(d, Decision::Allow);
            tat = next;
        }
        assert_eq!(
            gcra(tat, 10_000, quota).0,
            Decision::Deny {
                retry_after: Duration::from_millis(1000)
            }
        );
        // After one interval, one more is allowed.
        assert_eq!(gcra(tat, 11_000, quota).0, Decision::Allow);
    }

    struct Down;

    #[async_trait]
    impl RateLimiter for Down {
        async fn check(&self, _: &str, _: Quota) -> Result<Decision, CacheError> {
            Err(CacheError("connection refused".into()))
        }
    }

    #[tokio::test]
    async fn with_the_shared_limiter_down_requests_are_still_limited_in_process() {
        let limiter = FallbackRateLimiter::new(Down);
        let quota = Quota::per_minute(2);
        assert_eq!(limiter.check("a", quota).await.unwrap(), Decision::Allow);
        assert_eq!(limiter.check("a", quota).await.unwrap(), Decision::Allow);
        assert!(matches!(
            limiter.check("a", quota).await.unwrap(),
            Decision::Deny { .. }
        ));
    }

    #[tokio::test]
    async fn keys_are_limited_independently() {
        let limiter = MemoryRateLimiter::default();
        let quota = Quota::per_minute(1);
        assert_eq!(limiter.check("a", quota).await.unwrap(), Decision::Allow);
        assert!(matches!(
            limiter.check("a", quota).await.unwrap(),
            Decision::Deny { .. }
        ));
        assert_eq!(limiter.check("b", quota).await.unwrap(), Decision::Allow);
    }
}
