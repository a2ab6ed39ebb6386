//! The one durable job mechanism: every piece of background work — webhook notices, push
//! deliveries, 一件事 routing, reminders — is a row of the `jobs` table, written in the same
//! transaction as what caused it (or on its own, for work nothing else writes), and run by a
//! handler registered for its queue.
//!
//! - **Durable**: the row is the truth. A signal (Redis Streams consumer groups in production,
//!   [`signal::InProcess`] on the embedded default) only says which row to look at; a sweeper on
//!   every instance publishes rows that are due and unsignalled (a delayed job, a retry, a
//!   signal lost in a crash), marking them so two sweepers do not both publish one.
//! - **Once**: a worker claims a row with a compare-and-set that also takes a lease; whoever
//!   loses the claim drops the signal. A worker that dies mid-job leaves the lease to run out,
//!   and the job is claimed again — at least once, so handlers are idempotent (their effects
//!   carry the job's id or a dedupe key).
//! - **Retries**: a handler says retry (with the server's `Retry-After` if it gave one) or give
//!   up; retries back off exponentially with full jitter ([`backoff`]) up to the job's attempts,
//!   then the job is buried (`dead`, with its last error) for an operator to see.
//!
//! The worker runs inside the BFF ([`Jobs::start`]); the same code runs as a process of its own
//! when deployed apart.

pub mod signal;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rand::Rng;
use tokio::task::JoinHandle;

use crate::storage::{NewJob, Store, StoredJob};
use signal::{Delivery, Signal};

/// Why an attempt failed, and what to do about it.
#[derive(Debug, Clone, PartialEq)]
pub enum JobError {
    /// Try again later: after `after` if the other side said (`Retry-After`), else by backoff.
    Retry {
        /// Why.
        reason: String,
        /// When the other side asked to be tried again.
        after: Option<Duration>,
    },
    /// Never again (the other side refused the request for good).
    Permanent(String),
}

impl JobError {
    /// A retryable failure.
    pub fn retry(reason: impl Into<String>) -> Self {
        Self::Retry {
            reason: reason.into(),
            after: None,
        }
    }
}

/// What runs the jobs of one queue.
#[async_trait]
pub trait Handler: Send + Sync + 'static {
    /// Runs `job` once. Called again for the same job after a crash or a retry: idempotent.
    async fn run(&self, job: &StoredJob) -> Result<(), JobError>;

    /// Waits until this process should take another job of the queue, and says how many it
    /// may take at once (at least one). By default at once, as many as slots are free; a
    /// handler whose jobs wait their turn for something shared (the push quota's pace) waits
    /// here instead, so a job taken is a job started — its time from the queue to its end is
    /// not spent queuing again in the process.
    async fn ready(&self) -> usize {
        usize::MAX
    }
}

/// How the mechanism behaves.
#[derive(Debug, Clone)]
pub struct JobSettings {
    /// How long a claimed attempt may take before another worker may claim the job.
    pub lease: Duration,
    /// How often each instance sweeps for due jobs.
    pub sweep_every: Duration,
    /// A published job not claimed within this is published again (its signal was lost).
    pub republish_after: Duration,
    /// First retry's ceiling; doubled per attempt…
    pub backoff_base: Duration,
    /// …up to this.
    pub backoff_cap: Duration,
    /// Jobs taken per signal read.
    pub batch: usize,
}

impl Default for JobSettings {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(60),
            sweep_every: Duration::from_millis(500),
            republish_after: Duration::from_secs(10),
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(15 * 60),
            batch: 32,
        }
    }
}

/// How long to wait before attempt `attempt + 1` after `attempt` failed: a draw from
/// `[0, min(cap, base · 2^(attempt-1))]` ("full jitter"), so retries of many jobs that failed
/// together spread out instead of arriving together. Pure but for the draw.
pub fn backoff(attempt: i32, base: Duration, cap: Duration, rng: &mut impl Rng) -> Duration {
    let exp = u32::try_from(attempt.saturating_sub(1))
        .unwrap_or(0)
        .min(30);
    let ceiling = base.saturating_mul(1u32 << exp).min(cap);
    let ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(rng.gen_range(0..=ms))
}

/// A job to add.
#[derive(Debug, Clone)]
pub struct Job {
    /// Its queue.
    pub queue: &'static str,
    /// Its payload (JSON).
    pub payload: String,
    /// Not before (none: now).
    pub run_at: Option<DateTime<Utc>>,
    /// Attempts before burial.
    pub max_attempts: i32,
    /// At most one job with this key, ever.
    pub dedupe_key: Option<String>,
}

impl Job {
    /// A job of `queue` with `payload`, due now, eight attempts.
    pub fn new(queue: &'static str, payload: &impl serde::Serialize) -> Self {
        Self {
            queue,
            payload: serde_json::to_string(payload).unwrap_or_default(),
            run_at: None,
            max_attempts: 8,
            dedupe_key: None,
        }
    }

    /// The row to write (its id made here), published now when it is due now.
    pub fn row(&self) -> NewJob {
        self.row_at(Utc::now())
    }

    /// The row to write when it is `now` by the calendar clock ([`crate::clock::Clock`]):
    /// a job due by that clock is published at once.
    pub fn row_at(&self, now: DateTime<Utc>) -> NewJob {
        let run_at = self.run_at.unwrap_or(now);
        NewJob {
            id: uuid::Uuid::new_v4().simple().to_string(),
            queue: self.queue.into(),
            payload: self.payload.clone(),
            run_at,
            max_attempts: self.max_attempts,
            dedupe_key: self.dedupe_key.clone(),
            published_at: (run_at <= now).then_some(now),
        }
    }
}

/// A queue's handler, and how many of its attempts may run at once.
type Registered = (Arc<dyn Handler>, usize);

/// The mechanism of one process: its store, its signal, its handlers.
pub struct Jobs {
    store: Arc<dyn Store>,
    /// What "due" is measured by: the wall clock, or a development deployment's moved one.
    clock: Arc<crate::clock::Clock>,
    signal: Arc<dyn Signal>,
    settings: JobSettings,
    handlers: RwLock<HashMap<&'static str, Registered>>,
    stop: tokio::sync::watch::Sender<bool>,
    tasks: std::sync::Mutex<Vec<JoinHandle<()>>>,
}

impl Jobs {
    /// The mechanism over `store` and `signal`, due times read on `clock`; nothing runs until
    /// [`Self::start`].
    pub fn new(
        store: Arc<dyn Store>,
        signal: Arc<dyn Signal>,
        settings: JobSettings,
        clock: Arc<crate::clock::Clock>,
    ) -> Self {
        Self {
            store,
            clock,
            signal,
            settings,
            handlers: RwLock::default(),
            stop: tokio::sync::watch::channel(false).0,
            tasks: std::sync::Mutex::default(),
        }
    }

    /// Registers the handler of `queue` (before [`Self::start`]), one attempt at a time.
    pub fn register(&self, queue: &'static str, handler: Arc<dyn Handler>) {
        self.register_concurrent(queue, handler, 1);
    }

    /// Registers the handler of `queue` with up to `concurrency` attempts running at once in
    /// this process (a queue whose jobs mostly wait on the network, such as pushes).
    pub fn register_concurrent(
        &self,
        queue: &'static str,
        handler: Arc<dyn Handler>,
        concurrency: usize,
    ) {
        self.handlers
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(queue, (handler, concurrency.max(1)));
    }

    /// Adds `job` on its own; false when its dedupe key was taken. A job caused by another
    /// write goes in that write's transaction instead (the store takes its [`Job::row`]), and
    /// then [`Self::published`] signals it.
    pub async fn add(&self, job: &Job) -> Result<bool, crate::storage::StoreError> {
        let row = job.row_at(self.clock.now());
        let added = self.store.enqueue_job(&row).await?;
        if added {
            self.published(&row).await;
        }
        Ok(added)
    }

    /// Signals a job just written, if it is due now (a later one is the sweeper's). A failed
    /// signal is logged: the sweeper publishes the job again shortly.
    pub async fn published(&self, row: &NewJob) {
        if row.published_at.is_none() {
            return;
        }
        if let Err(e) = self.signal.publish(&row.queue, &row.id).await {
            tracing::warn!(queue = %row.queue, error = %e, "job not signalled; the sweeper will");
        }
    }

    /// Starts a worker per registered queue and the sweeper.
    pub fn start(self: &Arc<Self>) {
        let queues: Vec<&'static str> = self
            .handlers
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .copied()
            .collect();
        let mut tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
        for queue in queues {
            let me = self.clone();
            tasks.push(tokio::spawn(me.work(queue)));
        }
        let me = self.clone();
        tasks.push(tokio::spawn(async move { me.sweep().await }));
    }

    /// Stops the workers after their current attempt (an attempt cut short is claimed again
    /// when its lease runs out).
    pub async fn stop(&self) {
        self.stop.send_replace(true);
        let tasks: Vec<JoinHandle<()>> =
            std::mem::take(&mut *self.tasks.lock().unwrap_or_else(|p| p.into_inner()));
        for t in tasks {
            let _ = t.await;
        }
    }

    /// Resolves once [`Self::stop`] was called.
    async fn stopped(&self) {
        let mut rx = self.stop.subscribe();
        let _ = rx.wait_for(|stop| *stop).await;
    }

    async fn sweep(&self) {
        loop {
            tokio::select! {
                _ = self.stopped() => return,
                _ = tokio::time::sleep(self.settings.sweep_every) => {}
            }
            let now = self.clock.now();
            let republish_before =
                now - chrono::Duration::from_std(self.settings.republish_after).unwrap_or_default();
            match self.store.take_due_jobs(now, republish_before, 500).await {
                Ok(due) => {
                    for (id, queue) in due {
                        if let Err(e) = self.signal.publish(&queue, &id).await {
                            tracing::warn!(%queue, error = %e, "due job not signalled");
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "jobs not swept"),
            }
        }
    }

    async fn work(self: Arc<Self>, queue: &'static str) {
        let Some((handler, concurrency)) = self
            .handlers
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(queue)
            .cloned()
        else {
            return;
        };
        // A permit per attempt running; signals are read only for the slots free, so a
        // signal is never held by a worker that cannot start it.
        let slots = Arc::new(tokio::sync::Semaphore::new(concurrency));
        loop {
            let first = tokio::select! {
                _ = self.stopped() => break,
                p = slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            };
            let allowed = tokio::select! {
                _ = self.stopped() => break,
                n = handler.ready() => n.max(1),
            };
            let free = (slots.available_permits() + 1)
                .min(self.settings.batch)
                .min(allowed);
            let received = tokio::select! {
                _ = self.stopped() => break,
                r = self.signal.receive(queue, free, Duration::from_secs(1), self.settings.lease) => r,
            };
            match received {
                Ok(deliveries) => {
                    let mut first = Some(first);
                    for d in deliveries {
                        let permit = match first.take() {
                            Some(p) => p,
                            None => match slots.clone().acquire_owned().await {
                                Ok(p) => p,
                                Err(_) => break,
                            },
                        };
                        if concurrency == 1 {
                            self.attempt(queue, handler.as_ref(), &d).await;
                            drop(permit);
                        } else {
                            let me = self.clone();
                            let handler = handler.clone();
                            tokio::spawn(async move {
                                me.attempt(queue, handler.as_ref(), &d).await;
                                drop(permit);
                            });
                        }
                    }
                }
                Err(e) => {
                    drop(first);
                    tracing::warn!(queue, error = %e, "job signals unavailable; the sweeper and the table carry on");
                    tokio::select! {
                        _ = self.stopped() => break,
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                }
            }
        }
        // Stopping waits for the attempts still running.
        let all = u32::try_from(concurrency).unwrap_or(u32::MAX);
        let _ = slots.acquire_many(all).await;
    }

    /// One attempt at the job `d` names, if this worker wins its claim.
    async fn attempt(&self, queue: &str, handler: &dyn Handler, d: &Delivery) {
        let now = self.clock.now();
        let lease = chrono::Duration::from_std(self.settings.lease).unwrap_or_default();
        let claimed = match self.store.claim_job(&d.job_id, now, now + lease).await {
            Ok(c) => c,
            Err(e) => {
                // Left unacknowledged: claimed again when the table answers.
                tracing::warn!(queue, error = %e, "job not claimed");
                return;
            }
        };
        if let Some(job) = claimed {
            let outcome = tokio::time::timeout(self.settings.lease, handler.run(&job))
                .await
                .unwrap_or_else(|_| Err(JobError::retry("the attempt outlived its lease")));
            let done = self.clock.now();
            let recorded = match outcome {
                Ok(()) => self.store.finish_job(&job.id, done).await,
                Err(JobError::Retry { reason, after }) if job.attempts < job.max_attempts => {
                    let wait = after.unwrap_or_else(|| {
                        backoff(
                            job.attempts,
                            self.settings.backoff_base,
                            self.settings.backoff_cap,
                            &mut rand::thread_rng(),
                        )
                    });
                    let at = done + chrono::Duration::from_std(wait).unwrap_or_default();
                    tracing::info!(queue, attempt = job.attempts, %reason, "job to be retried");
                    self.store.retry_job(&job.id, at, &reason).await
                }
                Err(JobError::Retry { reason, .. }) | Err(JobError::Permanent(reason)) => {
                    tracing::warn!(queue, attempts = job.attempts, %reason, "job buried");
                    self.store.bury_job(&job.id, done, &reason).await
                }
            };
            if let Err(e) = recorded {
                // The lease runs out and the job is attempted again: at least once.
                tracing::warn!(queue, error = %e, "job outcome not recorded");
            }
        }
        if let Err(e) = self.signal.ack(queue, d).await {
            tracing::warn!(queue, error = %e, "job signal not acknowledged");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn backoff_doubles_its_ceiling_up_to_the_cap_with_full_jitter() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let base = Duration::from_secs(1);
        let cap = Duration::from_secs(60);
        for attempt in 1..=12 {
            let ceiling = (base * 2u32.pow((attempt - 1) as u32)).min(cap);
            let draws: Vec<Duration> = (0..200)
                .map(|_| backoff(attempt, base, cap, &mut rng))
                .collect();
            assert!(draws.iter().all(|d| *d <= ceiling), "attempt {attempt}");
            // Spread over the window, not bunched at its end.
            let below_half = draws.iter().filter(|d| **d < ceiling / 2).count();
            assert!(
                (60..=140).contains(&below_half),
                "attempt {attempt}: {below_half}"
            );
        }
        assert!(backoff(1000, base, cap, &mut rng) <= cap, "no overflow");
    }

    #[test]
    fn a_job_due_now_is_published_at_once_and_a_later_one_is_left_to_the_sweeper() {
        let now = Job::new("q", &serde_json::json!({"a": 1})).row();
        assert!(now.published_at.is_some());
        assert_eq!(now.payload, r#"{"a":1}"#);
        let later = Job {
            run_at: Some(Utc::now() + chrono::Duration::minutes(5)),
            ..Job::new("q", &1)
        }
        .row();
        assert!(later.published_at.is_none());
    }
}
