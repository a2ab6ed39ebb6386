//! Revoked sessions, checked on every authenticated request without I/O.
//!
//! Each BFF keeps the list in memory. With Redis, a revocation is also appended to a sorted set
//! (score = time) that every instance polls twice a second, so a logout on one instance reaches
//! the others within about half a second, and an instance that was down catches up on start
//! from what is still in the set. Entries are kept as long as an access token can live.

use std::sync::Arc;
use std::time::Duration;

use crate::infra::local_ttl::LocalTtlMap;
use crate::infra::CacheError;

/// The revoked-session list of this instance.
pub struct Revocations {
    local: LocalTtlMap<String, ()>,
    ttl: Duration,
    shared: Option<Shared>,
}

struct Shared {
    conn: redis::aio::ConnectionManager,
    key: String,
}

const POLL_EVERY: Duration = Duration::from_millis(500);

impl Revocations {
    /// An in-process list (the embedded default: one instance).
    pub fn local(ttl: Duration) -> Arc<Self> {
        Arc::new(Self {
            local: LocalTtlMap::new(1_000_000),
            ttl,
            shared: None,
        })
    }

    /// A list shared through Redis; starts the poller, which stops when the list is dropped.
    pub fn shared(ttl: Duration, conn: redis::aio::ConnectionManager, prefix: &str) -> Arc<Self> {
        let list = Arc::new(Self {
            local: LocalTtlMap::new(1_000_000),
            ttl,
            shared: Some(Shared {
                conn,
                key: format!("{prefix}revoked-sessions"),
            }),
        });
        let weak = Arc::downgrade(&list);
        tokio::spawn(async move {
            let mut since_ms: i64 = 0;
            loop {
                let Some(list) = weak.upgrade() else { return };
                match list.pull(since_ms).await {
                    Ok(newest) => since_ms = since_ms.max(newest),
                    Err(e) => {
                        tracing::warn!(error = %e, "revocation sync failed; retrying");
                        metrics::counter!("revocation_sync_failures_total").increment(1);
                    }
                }
                drop(list);
                tokio::time::sleep(POLL_EVERY).await;
            }
        });
        list
    }

    /// True when `session_id` was revoked.
    pub fn is_revoked(&self, session_id: &str) -> bool {
        self.local.contains(session_id)
    }

    /// Revokes `session_id` here at once and, with Redis, everywhere within a poll.
    pub async fn revoke(&self, session_id: &str) -> Result<(), CacheError> {
        self.local.insert(session_id.to_string(), (), self.ttl);
        let Some(shared) = &self.shared else {
            return Ok(());
        };
        let now_ms = chrono::Utc::now().timestamp_millis();
        let oldest_kept = now_ms - self.ttl.as_millis() as i64;
        let mut conn = shared.conn.clone();
        let _: () = redis::pipe()
            .atomic()
            .zadd(&shared.key, session_id, now_ms)
            .ignore()
            .zrembyscore(&shared.key, "-inf", oldest_kept)
            .ignore()
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    /// Copies revocations newer than `since_ms` into the local list; returns the newest score.
    async fn pull(&self, since_ms: i64) -> Result<i64, CacheError> {
        let Some(shared) = &self.shared else {
            return Ok(since_ms);
        };
        let mut conn = shared.conn.clone();
        // Overlap by a second: two instances' clocks and writes may interleave.
        let from = (since_ms - 1000)
            .max(chrono::Utc::now().timestamp_millis() - self.ttl.as_millis() as i64);
        let found: Vec<(String, i64)> = redis::cmd("ZRANGEBYSCORE")
            .arg(&shared.key)
            .arg(from)
            .arg("+inf")
            .arg("WITHSCORES")
            .query_async(&mut conn)
            .await?;
        let mut newest = since_ms;
        let now_ms = chrono::Utc::now().timestamp_millis();
        for (session_id, at_ms) in found {
            let remaining = self
                .ttl
                .saturating_sub(Duration::from_millis((now_ms - at_ms).max(0) as u64));
            self.local.insert(session_id, (), remaining);
            newest = newest.max(at_ms);
        }
        Ok(newest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_revoked_session_is_known_at_once_locally() {
        let list = Revocations::local(Duration::from_secs(60));
        assert!(!list.is_revoked("s1"));
        list.revoke("s1").await.unwrap();
        assert!(list.is_revoked("s1"));
        assert!(!list.is_revoked("s2"));
    }
}
