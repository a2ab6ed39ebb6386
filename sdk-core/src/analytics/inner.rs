//! Analytics' inner type: the queue of `ZwLog` events on the device and its sending.
//!
//! The queue is one sealed row holding the events not yet sent and, at most, one batch being
//! sent (its id fixed when it was cut). One row, so a crash between two writes can never leave
//! an event both pending and in the batch: each write moves the whole state at once. A batch
//! is sent again with the same id until the BFF answers, and the BFF counts each id once, so
//! a lost answer, a killed app or two flushes at once count nothing twice.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use zhelikit_domain::analytics::{AnalyticsEvent, BatchReceipt, EventBatch, MAX_BATCH_EVENTS};
use zhelikit_domain::paths;

use crate::context::{now_ms, Context};
use crate::error::{Error, Result};

/// The queue's row.
const QUEUE_ROW: &str = "analytics:queue";
/// Most events kept unsent; beyond, the oldest go (and are counted as dropped).
pub(crate) const MAX_PENDING: usize = 500;
/// A flush starts by itself once this many events wait…
pub(crate) const FLUSH_AT: usize = 20;
/// …or the oldest has waited this long.
pub(crate) const FLUSH_AFTER_MS: i64 = 60_000;

/// The queue as stored.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Queue {
    pending: Vec<AnalyticsEvent>,
    in_flight: Option<EventBatch>,
    dropped: u64,
}

/// What a flush did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Flushed {
    /// Events the BFF counted.
    pub(crate) counted: u64,
    /// Events still waiting (offline, or not logged in yet).
    pub(crate) pending: u64,
    /// Events given up: refused by the BFF as invalid, or dropped when the queue was full.
    pub(crate) dropped: u64,
}

/// The locks of one client's queue: one for each read-modify-write of the row (short, never
/// held across a wait), one so only one flush runs.
#[derive(Default)]
pub(crate) struct QueueLocks {
    row: std::sync::Mutex<()>,
    flush: tokio::sync::Mutex<()>,
}

/// Analytics of one client.
#[derive(Clone)]
pub(crate) struct Analytics {
    ctx: Arc<Context>,
}

impl Analytics {
    pub(crate) fn new(ctx: Arc<Context>) -> Self {
        Self { ctx }
    }

    pub(crate) fn context(&self) -> &Arc<Context> {
        &self.ctx
    }

    fn load(&self) -> Result<Queue> {
        Ok(match self.ctx.store.get(QUEUE_ROW)? {
            // A queue an older SDK wrote in another form is dropped rather than block sending.
            Some(bytes) => serde_json::from_slice(&bytes).unwrap_or_default(),
            None => Queue::default(),
        })
    }

    fn save(&self, queue: &Queue) -> Result<()> {
        let bytes = serde_json::to_vec(queue).map_err(|e| Error::Internal(e.to_string()))?;
        self.ctx.store.put(QUEUE_ROW, &bytes)?;
        Ok(())
    }

    /// Changes the stored queue under the row lock.
    fn update<T>(&self, change: impl FnOnce(&mut Queue) -> T) -> Result<T> {
        let _row = self
            .ctx
            .analytics
            .row
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut queue = self.load()?;
        let out = change(&mut queue);
        self.save(&queue)?;
        Ok(out)
    }

    /// Queues a masked event (from `zhelikit_domain::analytics::event_from_trace`). Returns
    /// whether a flush is due.
    pub(crate) fn record(&self, event: AnalyticsEvent) -> Result<bool> {
        self.update(|q| {
            q.pending.push(event);
            if q.pending.len() > MAX_PENDING {
                let excess = q.pending.len() - MAX_PENDING;
                q.pending.drain(..excess);
                q.dropped += excess as u64;
            }
            let oldest = q.pending.first().map_or(i64::MAX, |e| e.at_ms);
            q.pending.len() >= FLUSH_AT || now_ms() - oldest >= FLUSH_AFTER_MS
        })
    }

    /// Events waiting to be sent, including a batch being sent.
    pub(crate) fn pending(&self) -> Result<u64> {
        let q = self.load()?;
        Ok((q.pending.len() + q.in_flight.as_ref().map_or(0, |b| b.events.len())) as u64)
    }

    /// Starts a flush in the background unless one is running; a failure waits for the next.
    pub(crate) fn flush_in_background(&self) {
        let this = self.clone();
        let spawned = self.ctx.runtime.spawn(async move {
            if let Err(e) = this.flush().await {
                this.ctx.log.debug(
                    "zhelikit::analytics",
                    &format!("events kept for later: {e}"),
                );
            }
        });
        if let Err(e) = spawned {
            self.ctx
                .log
                .warn("zhelikit::analytics", &format!("cannot flush: {e}"));
        }
    }

    /// Sends every waiting event, a batch at a time, until none is left or the BFF cannot be
    /// reached (offline, not logged in: the events wait, nothing is lost). A batch the BFF
    /// refuses as invalid is given up, so one bad batch never blocks the rest.
    pub(crate) async fn flush(&self) -> Result<Flushed> {
        let _one_flush = self.ctx.analytics.flush.lock().await;
        let mut flushed = Flushed::default();
        loop {
            let batch = self.update(|q| {
                if q.in_flight.is_none() && !q.pending.is_empty() {
                    let n = q.pending.len().min(MAX_BATCH_EVENTS);
                    q.in_flight = Some(EventBatch {
                        batch_id: uuid::Uuid::new_v4().to_string(),
                        events: q.pending.drain(..n).collect(),
                    });
                }
                q.in_flight.clone()
            })?;
            let Some(batch) = batch else {
                break;
            };
            let sent = self
                .ctx
                .post::<_, BatchReceipt>(paths::ANALYTICS_EVENTS, &batch)
                .await;
            match sent {
                Ok(receipt) => {
                    flushed.counted += u64::from(receipt.counted);
                    self.clear_in_flight(&batch.batch_id)?;
                }
                Err(Error::Problem {
                    status, problem, ..
                }) if (400..500).contains(&status) => {
                    // Not retried: the same batch would be refused again. The field names
                    // the rule an event broke; the values are masked already.
                    self.ctx.log.warn(
                        "zhelikit::analytics",
                        &format!(
                            "the BFF refused {} events ({}: {}); dropped",
                            batch.events.len(),
                            problem.code,
                            problem.field.as_deref().unwrap_or("-")
                        ),
                    );
                    flushed.dropped += batch.events.len() as u64;
                    self.clear_in_flight(&batch.batch_id)?;
                }
                Err(e) => {
                    flushed.pending = self.pending()?;
                    return match e {
                        Error::Offline(_) | Error::NotLoggedIn => Ok(flushed),
                        other => Err(other),
                    };
                }
            }
        }
        flushed.pending = self.pending()?;
        Ok(flushed)
    }

    fn clear_in_flight(&self, batch_id: &str) -> Result<()> {
        self.update(|q| {
            if q.in_flight.as_ref().is_some_and(|b| b.batch_id == batch_id) {
                q.in_flight = None;
            }
        })
    }
}
