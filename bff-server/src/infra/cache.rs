//! A key-value cache with per-item TTL: short-lived server-side state (passkey ceremonies,
//! revoked sessions) and, later, department responses.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use redis::AsyncCommands;
use std::sync::RwLock;

use super::CacheError;

/// The cache both implementations offer.
#[async_trait]
pub trait Cache: Send + Sync + 'static {
    /// The value of `key`, if present and not expired.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError>;
    /// Stores `value` under `key` for `ttl`.
    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), CacheError>;
    /// Reads and deletes `key` in one step, so single-use state is used at most once.
    async fn take(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError>;
    /// Round trip, for readiness reporting.
    async fn ping(&self) -> Result<(), CacheError>;
}

/// In-process cache for the embedded default. Expired entries are dropped when read, and swept
/// when the map grows, so memory stays bounded by what is live. A plain `RwLock`: no call holds
/// it across an await, and screens read far more than they write.
#[derive(Default)]
pub struct MemoryCache {
    entries: RwLock<HashMap<String, (Vec<u8>, Instant)>>,
}

const SWEEP_ABOVE: usize = 10_000;

#[async_trait]
impl Cache for MemoryCache {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        let now = Instant::now();
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        Ok(entries
            .get(key)
            .filter(|(_, exp)| *exp > now)
            .map(|(v, _)| v.clone()))
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), CacheError> {
        let now = Instant::now();
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= SWEEP_ABOVE {
            entries.retain(|_, (_, exp)| *exp > now);
        }
        entries.insert(key.to_string(), (value.to_vec(), now + ttl));
        Ok(())
    }

    async fn take(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        let now = Instant::now();
        let removed = self
            .entries
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
        Ok(removed.filter(|(_, exp)| *exp > now).map(|(v, _)| v))
    }

    async fn ping(&self) -> Result<(), CacheError> {
        Ok(())
    }
}

/// Redis cache; keys are prefixed so several deployments can share one Redis.
pub struct RedisCache {
    conn: redis::aio::ConnectionManager,
    prefix: String,
}

impl RedisCache {
    /// Wraps a connection; `prefix` is prepended to every key.
    pub fn new(conn: redis::aio::ConnectionManager, prefix: &str) -> Self {
        Self {
            conn,
            prefix: prefix.to_string(),
        }
    }

    fn key(&self, key: &str) -> String {
        format!("{}{}", self.prefix, key)
    }
}

#[async_trait]
impl Cache for RedisCache {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        let mut conn = self.conn.clone();
        Ok(conn.get(self.key(key)).await?)
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), CacheError> {
        let mut conn = self.conn.clone();
        let millis = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let _: () = redis::cmd("SET")
            .arg(self.key(key))
            .arg(value)
            .arg("PX")
            .arg(millis)
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    async fn take(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        let mut conn = self.conn.clone();
        Ok(conn.get_del(self.key(key)).await?)
    }

    async fn ping(&self) -> Result<(), CacheError> {
        let mut conn = self.conn.clone();
        let _: String = redis::cmd("PING").query_async(&mut conn).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_taken_value_is_gone_and_an_expired_one_was_never_there() {
        let cache = MemoryCache::default();
        cache.set("a", b"1", Duration::from_secs(60)).await.unwrap();
        cache
            .set("b", b"2", Duration::from_millis(0))
            .await
            .unwrap();
        assert_eq!(cache.get("a").await.unwrap(), Some(b"1".to_vec()));
        assert_eq!(cache.get("b").await.unwrap(), None);
        assert_eq!(cache.take("a").await.unwrap(), Some(b"1".to_vec()));
        assert_eq!(cache.take("a").await.unwrap(), None);
    }
}
