//! Retention: rows that only grow (spent refresh tokens, ended sessions, department call
//! batches, audit events, analytics visitor pseudonyms and batch ids, jobs done) are deleted once older than their retention period, in bounded
//! batches by a background task, so no table grows without end and no prune holds a long lock.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::storage::{Retained, Store, StoreResult};

/// Retention periods (`ZK_RETAIN_*_DAYS`) and how often the pruner runs.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    /// Refresh tokens after they were spent, revoked or expired (default 30 days).
    pub refresh_tokens: std::time::Duration,
    /// Recorded department call batches (default 90 days).
    pub upstream_calls: std::time::Duration,
    /// Audit events (default 180 days: the Cybersecurity Law asks for at least six months of
    /// logs).
    pub audit_events: std::time::Duration,
    /// Analytics visitor pseudonyms (default 92 days, the longest report; the counts stay).
    pub analytics_visitors: std::time::Duration,
    /// Jobs after they were done (default 30 days; buried jobs stay for an operator).
    pub jobs: std::time::Duration,
    /// Time between pruning rounds (`ZK_PRUNE_EVERY_SECS`, default one hour).
    pub every: std::time::Duration,
}

impl Default for Retention {
    fn default() -> Self {
        let days = |d: u64| std::time::Duration::from_secs(d * 24 * 3600);
        Self {
            refresh_tokens: days(30),
            upstream_calls: days(90),
            audit_events: days(180),
            analytics_visitors: days(92),
            jobs: days(30),
            every: std::time::Duration::from_secs(3600),
        }
    }
}

/// How long analytics batch ids are kept: longer than an event may wait on a phone to be
/// counted, so no batch sent again is counted twice.
const ANALYTICS_BATCH_IDS_KEPT: Duration =
    Duration::from_millis(zhelikit_domain::analytics::MAX_EVENT_AGE_MS as u64 + 24 * 3600 * 1000);

/// Rows deleted per statement: small enough that a prune never blocks logins for long.
const BATCH: i64 = 1000;

/// What one pruning round removed, per table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Refresh tokens spent, revoked or expired before their retention.
    pub refresh_tokens: u64,
    /// Sessions with no token left.
    pub session_families: u64,
    /// Sealed successors past the grace window (cleared, not deleted).
    pub grace_successors: u64,
    /// Department call batches.
    pub upstream_call_batches: u64,
    /// Audit events.
    pub audit_events: u64,
    /// Analytics visitor pseudonyms.
    pub analytics_visitors: u64,
    /// Analytics batch ids.
    pub analytics_batches: u64,
    /// Jobs done.
    pub finished_jobs: u64,
}

/// The cut-off of each table at `now`. Pure.
pub fn cut_offs(
    retention: &Retention,
    grace: Duration,
    now: DateTime<Utc>,
) -> [(Retained, DateTime<Utc>); 8] {
    // A period too long to subtract ("keep forever") keeps everything: nothing predates 1970.
    let before = |d: Duration| {
        chrono::Duration::from_std(d)
            .ok()
            .and_then(|d| now.checked_sub_signed(d))
            .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
    };
    [
        (Retained::GraceSuccessors, before(grace)),
        (Retained::RefreshTokens, before(retention.refresh_tokens)),
        // A session outlives its tokens by nothing: once its last token is gone, so is it.
        (Retained::SessionFamilies, before(retention.refresh_tokens)),
        (
            Retained::UpstreamCallBatches,
            before(retention.upstream_calls),
        ),
        (Retained::AuditEvents, before(retention.audit_events)),
        (
            Retained::AnalyticsVisitors,
            before(retention.analytics_visitors),
        ),
        // A batch id is needed while its events could still be counted, and a day more.
        (Retained::AnalyticsBatches, before(ANALYTICS_BATCH_IDS_KEPT)),
        (Retained::FinishedJobs, before(retention.jobs)),
    ]
}

/// One pruning round: every table, batch after batch until a batch comes back short.
pub async fn prune_once(
    store: &dyn Store,
    retention: &Retention,
    grace: Duration,
    now: DateTime<Utc>,
) -> StoreResult<Pruned> {
    let mut pruned = Pruned::default();
    for (what, before) in cut_offs(retention, grace, now) {
        loop {
            let n = store.prune(what, before, BATCH).await?;
            *match what {
                Retained::RefreshTokens => &mut pruned.refresh_tokens,
                Retained::SessionFamilies => &mut pruned.session_families,
                Retained::GraceSuccessors => &mut pruned.grace_successors,
                Retained::UpstreamCallBatches => &mut pruned.upstream_call_batches,
                Retained::AuditEvents => &mut pruned.audit_events,
                Retained::AnalyticsVisitors => &mut pruned.analytics_visitors,
                Retained::AnalyticsBatches => &mut pruned.analytics_batches,
                Retained::FinishedJobs => &mut pruned.finished_jobs,
            } += n;
            if n < BATCH as u64 {
                break;
            }
            // Let requests waiting for the database in between.
            tokio::task::yield_now().await;
        }
    }
    Ok(pruned)
}

/// The background pruner; stops when dropped (with the app that owns it).
pub struct Pruner(tokio::task::JoinHandle<()>);

impl Drop for Pruner {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Prunes every `retention.every`, starting one period after start-up. Several instances may
/// prune at once: each statement deletes what is there, so they only share the work.
pub fn start(store: Arc<dyn Store>, retention: Retention, grace: Duration) -> Pruner {
    Pruner(tokio::spawn(async move {
        let mut tick = tokio::time::interval(retention.every.max(Duration::from_secs(1)));
        tick.tick().await;
        loop {
            tick.tick().await;
            match prune_once(store.as_ref(), &retention, grace, Utc::now()).await {
                Ok(pruned) => tracing::info!(?pruned, "retention: pruned"),
                Err(e) => {
                    tracing::warn!(error = %e, "retention: pruning failed; next round retries")
                }
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_table_is_cut_at_its_own_retention() {
        let now = Utc::now();
        let retention = Retention::default();
        let cuts = cut_offs(&retention, Duration::from_secs(10), now);
        let cut = |what| cuts.iter().find(|(w, _)| *w == what).map(|(_, at)| *at);
        assert_eq!(
            cut(Retained::GraceSuccessors),
            Some(now - chrono::Duration::seconds(10))
        );
        assert_eq!(
            cut(Retained::RefreshTokens),
            Some(now - chrono::Duration::days(30))
        );
        assert_eq!(
            cut(Retained::UpstreamCallBatches),
            Some(now - chrono::Duration::days(90))
        );
        assert_eq!(
            cut(Retained::AuditEvents),
            Some(now - chrono::Duration::days(180))
        );
    }
}
