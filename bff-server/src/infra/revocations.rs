//! Revoked sessions, checked on every authenticated request without I/O.
//!
//! The database is the source of truth: logout, logout-all and reuse detection mark refresh-token
//! families revoked there. Each BFF instance keeps the recently revoked families in memory,
//! loads them at start (so a restart forgets no logout) and polls the database every second for
//! new ones (so a logout on one instance reaches the others within about a second). The
//! instance that revokes knows at once. Entries are kept as long as an access token can live.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::infra::local_ttl::LocalTtlMap;
use crate::storage::{Store, StoreError};

/// The revoked-session list of this instance.
pub struct Revocations {
    local: LocalTtlMap<String, ()>,
    ttl: Duration,
}

const POLL_EVERY: Duration = Duration::from_secs(1);
/// Instances' clocks differ and commits land late: re-read this far back on every poll.
const OVERLAP: chrono::Duration = chrono::Duration::seconds(30);

impl Revocations {
    /// Loads what was revoked within `ttl` and starts polling `store`; the poller stops when
    /// the list is dropped.
    pub async fn start(store: Arc<dyn Store>, ttl: Duration) -> Result<Arc<Self>, StoreError> {
        // Never evicts live entries: forgetting a revocation would un-revoke a session.
        let list = Arc::new(Self {
            local: LocalTtlMap::unbounded(),
            ttl,
        });
        let horizon =
            Utc::now() - chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::minutes(16));
        list.absorb(store.revoked_since(horizon).await?);
        let weak = Arc::downgrade(&list);
        tokio::spawn(async move {
            let mut since = Utc::now() - OVERLAP;
            loop {
                tokio::time::sleep(POLL_EVERY).await;
                let Some(list) = weak.upgrade() else { return };
                let polled_at = Utc::now();
                match store.revoked_since(since).await {
                    Ok(found) => {
                        list.absorb(found);
                        since = polled_at - OVERLAP;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "revocation poll failed; retrying");
                        metrics::counter!("revocation_poll_failures_total").increment(1);
                    }
                }
            }
        });
        Ok(list)
    }

    fn absorb(&self, found: Vec<(Uuid, DateTime<Utc>)>) {
        let now = Utc::now();
        for (family_id, at) in found {
            let age = (now - at).to_std().unwrap_or(Duration::ZERO);
            let remaining = self.ttl.saturating_sub(age);
            if !remaining.is_zero() {
                self.local.insert(family_id.to_string(), (), remaining);
            }
        }
    }

    /// True when `session_id` was revoked.
    pub fn is_revoked(&self, session_id: &str) -> bool {
        self.local.contains(session_id)
    }

    /// Records a revocation this instance just wrote to the database, effective at once here.
    pub fn revoked(&self, session_id: &str) {
        self.local.insert(session_id.to_string(), (), self.ttl);
    }
}
