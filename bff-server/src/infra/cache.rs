//! A key-value cache with per-item TTL: short-lived server-side state (passkey ceremonies,
//! revoked sessions) and, later, department responses.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use redis::AsyncCommands;

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
    /// Stores `value` under `key` for `ttl` unless `key` is there already, in one step;
    /// whether it stored. Across processes sharing the cache, exactly one caller wins a key
    /// (a presentation's nonce is accepted once).
    async fn set_new(&self, key: &str, value: &[u8], ttl: Duration) -> Result<bool, CacheError>;
    /// Round trip, for readiness reporting.
    async fn ping(&self) -> Result<(), CacheError>;
}

/// In-process cache for the embedded default: moka, bounded by both bytes and entries (an
/// entry weighs its size, but at least `max_bytes / max_entries`), evicting by TinyLFU, each
/// entry expiring at its own time. No call scans the map or holds a lock across an await.
pub struct MemoryCache {
    entries: moka::sync::Cache<String, Stored>,
}

/// A value and when it expires.
#[derive(Clone)]
struct Stored {
    value: Arc<[u8]>,
    ttl: Duration,
}

struct PerEntryTtl;

impl moka::Expiry<String, Stored> for PerEntryTtl {
    fn expire_after_create(&self, _: &String, value: &Stored, _: Instant) -> Option<Duration> {
        Some(value.ttl)
    }
    fn expire_after_update(
        &self,
        _: &String,
        value: &Stored,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(value.ttl)
    }
}

/// Default bounds of the in-process cache: 64 MiB or 200,000 entries, whichever comes first.
pub const MEMORY_CACHE_BYTES: u64 = 64 * 1024 * 1024;
/// See [`MEMORY_CACHE_BYTES`].
pub const MEMORY_CACHE_ENTRIES: u64 = 200_000;

impl MemoryCache {
    /// A cache holding at most `max_bytes` of keys and values and at most `max_entries` entries.
    pub fn new(max_bytes: u64, max_entries: u64) -> Self {
        let floor = u32::try_from((max_bytes / max_entries.max(1)).max(1)).unwrap_or(u32::MAX);
        let entries = moka::sync::Cache::builder()
            .max_capacity(max_bytes)
            .weigher(move |key: &String, stored: &Stored| {
                let size = u32::try_from(key.len() + stored.value.len()).unwrap_or(u32::MAX);
                size.max(floor)
            })
            .expire_after(PerEntryTtl)
            .build();
        Self { entries }
    }

    /// Entries and weighed bytes now held (after pending evictions are applied).
    pub fn usage(&self) -> (u64, u64) {
        self.entries.run_pending_tasks();
        (self.entries.entry_count(), self.entries.weighted_size())
    }
}

impl Default for MemoryCache {
    fn default() -> Self {
        Self::new(MEMORY_CACHE_BYTES, MEMORY_CACHE_ENTRIES)
    }
}

#[async_trait]
impl Cache for MemoryCache {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        Ok(self.entries.get(key).map(|s| s.value.to_vec()))
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), CacheError> {
        if ttl.is_zero() {
            self.entries.invalidate(key);
            return Ok(());
        }
        self.entries.insert(
            key.to_string(),
            Stored {
                value: Arc::from(value),
                ttl,
            },
        );
        Ok(())
    }

    async fn take(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        Ok(self.entries.remove(key).map(|s| s.value.to_vec()))
    }

    async fn set_new(&self, key: &str, value: &[u8], ttl: Duration) -> Result<bool, CacheError> {
        let entry = self
            .entries
            .entry(key.to_string())
            .or_insert_with(|| Stored {
                value: Arc::from(value),
                ttl,
            });
        Ok(entry.is_fresh())
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

    async fn set_new(&self, key: &str, value: &[u8], ttl: Duration) -> Result<bool, CacheError> {
        let mut conn = self.conn.clone();
        let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        // SET NX PX answers OK when it stored, nil when the key was there.
        let stored: Option<String> = redis::cmd("SET")
            .arg(self.key(key))
            .arg(value)
            .arg("NX")
            .arg("PX")
            .arg(ms)
            .query_async(&mut conn)
            .await?;
        Ok(stored.is_some())
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
    async fn a_key_is_set_new_once_until_it_expires() {
        let cache = MemoryCache::default();
        assert!(cache
            .set_new("n", b"1", Duration::from_secs(60))
            .await
            .unwrap());
        assert!(!cache
            .set_new("n", b"2", Duration::from_secs(60))
            .await
            .unwrap());
        assert_eq!(cache.get("n").await.unwrap(), Some(b"1".to_vec()));
        assert!(cache
            .set_new("gone", b"1", Duration::from_millis(0))
            .await
            .unwrap());
        assert!(cache
            .set_new("gone", b"1", Duration::from_secs(60))
            .await
            .unwrap());
    }

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

    #[tokio::test]
    async fn the_in_process_cache_stays_within_its_entries_and_bytes() {
        let cache = MemoryCache::new(100_000, 100);
        for i in 0..1000 {
            cache
                .set(&format!("k{i}"), &[0u8; 10], Duration::from_secs(60))
                .await
                .unwrap();
        }
        let (entries, _) = cache.usage();
        assert!(entries <= 100, "{entries} entries");
        for i in 0..100 {
            cache
                .set(&format!("big{i}"), &[0u8; 10_000], Duration::from_secs(60))
                .await
                .unwrap();
        }
        let (_, bytes) = cache.usage();
        assert!(bytes <= 100_000, "{bytes} bytes");
    }
}
