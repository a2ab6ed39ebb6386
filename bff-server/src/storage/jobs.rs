//! The durable jobs ([`crate::jobs`]): each row one piece of background work, claimed by one
//! worker at a time with a lease, retried, and finished or buried.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;

/// A job to write.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    /// Its id.
    pub id: String,
    /// Which handler runs it (`consent_notice` …).
    pub queue: String,
    /// What the handler needs, JSON.
    pub payload: String,
    /// Not before.
    pub run_at: DateTime<Utc>,
    /// Attempts before it is buried.
    pub max_attempts: i32,
    /// At most one job ever with this key (a reminder's "item 7, due-3d"): a second is not
    /// written.
    pub dedupe_key: Option<String>,
    /// Set when the writer publishes it right after committing (so the sweeper leaves it a
    /// while).
    pub published_at: Option<DateTime<Utc>>,
}

/// A job as kept.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredJob {
    /// Its id.
    pub id: String,
    /// Its queue.
    pub queue: String,
    /// Its payload.
    pub payload: String,
    /// `pending`, `running`, `done`, `dead`.
    pub status: String,
    /// Attempts so far (the running one included).
    pub attempts: i32,
    /// Attempts allowed.
    pub max_attempts: i32,
    /// Not before.
    pub run_at: DateTime<Utc>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was done or buried.
    pub finished_at: Option<DateTime<Utc>>,
    /// The attempt before this one died while running (its lease ran out): what it did may
    /// be done but not recorded.
    pub previous_attempt_died: bool,
}

/// What the jobs are kept in.
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Writes a job; false (nothing written) when its dedupe key is taken.
    async fn enqueue_job(&self, job: &NewJob) -> StoreResult<bool>;
    /// Claims job `id` for one attempt if it is due (pending and `run_at` passed, or running
    /// with its lease run out: its worker died) — one caller wins — with a lease until
    /// `lease_until`; the job, its attempt counted.
    async fn claim_job(
        &self,
        id: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Option<StoredJob>>;
    /// At most `limit` due jobs not published since `republish_before` (or never), marked
    /// published now, so two sweepers do not both publish one; `(id, queue)`.
    async fn take_due_jobs(
        &self,
        now: DateTime<Utc>,
        republish_before: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<(String, String)>>;
    /// Marks a running job done; whether it was running.
    async fn finish_job(&self, id: &str, now: DateTime<Utc>) -> StoreResult<bool>;
    /// Puts a running job back for another attempt at `run_at`.
    async fn retry_job(&self, id: &str, run_at: DateTime<Utc>, error: &str) -> StoreResult<bool>;
    /// Buries a running job: no more attempts.
    async fn bury_job(&self, id: &str, now: DateTime<Utc>, error: &str) -> StoreResult<bool>;
    /// One job.
    async fn job(&self, id: &str) -> StoreResult<Option<StoredJob>>;
    /// How many jobs of `queue` are in each status.
    async fn job_counts(&self, queue: &str) -> StoreResult<Vec<(String, i64)>>;
}

/// Inserts job `$j` (a [`NewJob`]) with executor `$exec` (the pool, or a transaction another
/// write is in): how a capability writes a job in the same transaction as what caused it.
/// Evaluates to `StoreResult<bool>` (false: its dedupe key was taken).
macro_rules! insert_job {
    ($exec:expr, $j:expr) => {{
        let j: &$crate::storage::jobs::NewJob = $j;
        sqlx::query("INSERT INTO jobs (id, queue, payload, status, attempts, max_attempts, run_at, published_at, dedupe_key, created_at) VALUES ($1, $2, $3, 'pending', 0, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING")
            .bind(&j.id)
            .bind(&j.queue)
            .bind(&j.payload)
            .bind(j.max_attempts)
            .bind(j.run_at)
            .bind(j.published_at)
            .bind(&j.dedupe_key)
            .bind(chrono::Utc::now())
            .execute($exec)
            .await
            .map(|done| done.rows_affected() == 1)
            .map_err($crate::storage::StoreError::from)
    }};
}
pub(crate) use insert_job;

/// Implements [`JobStore`] for a backend; `$lock` is what makes two sweepers skip each other's
/// rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite has one writer at a time).
macro_rules! jobs_sql {
    ($store:ty, $lock:literal) => {
        const _: () = {
            use sqlx::Row as _;
            use $crate::storage::jobs::{JobStore, NewJob, StoredJob};
            use $crate::storage::StoreResult;

            const COLUMNS: &str =
                "id, queue, payload, status, attempts, max_attempts, run_at, last_error, finished_at, previous_died";
            /// Due: pending and its time come, or running past its lease (its worker died).
            const DUE: &str = "((status = 'pending' AND run_at <= $1) OR (status = 'running' AND lease_until < $1))";

            fn read<R: sqlx::Row>(r: &R) -> StoreResult<StoredJob>
            where
                for<'c> &'c str: sqlx::ColumnIndex<R>,
                for<'c> String: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
                for<'c> i32: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
                for<'c> chrono::DateTime<chrono::Utc>:
                    sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
            {
                Ok(StoredJob {
                    id: r.try_get("id")?,
                    queue: r.try_get("queue")?,
                    payload: r.try_get("payload")?,
                    status: r.try_get("status")?,
                    attempts: r.try_get("attempts")?,
                    max_attempts: r.try_get("max_attempts")?,
                    run_at: r.try_get("run_at")?,
                    last_error: r.try_get("last_error")?,
                    finished_at: r.try_get("finished_at")?,
                    previous_attempt_died: r.try_get::<i32, _>("previous_died")? != 0,
                })
            }

            #[async_trait::async_trait]
            impl JobStore for $store {
                async fn enqueue_job(&self, j: &NewJob) -> StoreResult<bool> {
                    $crate::storage::jobs::insert_job!(&self.pool, j)
                }

                async fn claim_job(
                    &self,
                    id: &str,
                    now: chrono::DateTime<chrono::Utc>,
                    lease_until: chrono::DateTime<chrono::Utc>,
                ) -> StoreResult<Option<StoredJob>> {
                    let row = sqlx::query(&format!("UPDATE jobs SET previous_died = (CASE WHEN status = 'running' THEN 1 ELSE 0 END), status = 'running', attempts = attempts + 1, lease_until = $2 WHERE id = $3 AND {DUE} RETURNING {COLUMNS}"))
                        .bind(now)
                        .bind(lease_until)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                    row.as_ref().map(read).transpose()
                }

                async fn take_due_jobs(
                    &self,
                    now: chrono::DateTime<chrono::Utc>,
                    republish_before: chrono::DateTime<chrono::Utc>,
                    limit: i64,
                ) -> StoreResult<Vec<(String, String)>> {
                    let rows = sqlx::query(&format!("UPDATE jobs SET published_at = $1 WHERE id IN (SELECT id FROM jobs WHERE {DUE} AND (published_at IS NULL OR published_at < $2) ORDER BY run_at LIMIT $3 {}) RETURNING id, queue", $lock))
                        .bind(now)
                        .bind(republish_before)
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await?;
                    rows.iter()
                        .map(|r| Ok((r.try_get("id")?, r.try_get("queue")?)))
                        .collect()
                }

                async fn finish_job(&self, id: &str, now: chrono::DateTime<chrono::Utc>) -> StoreResult<bool> {
                    let done = sqlx::query("UPDATE jobs SET status = 'done', finished_at = $2, lease_until = NULL WHERE id = $1 AND status = 'running'")
                        .bind(id)
                        .bind(now)
                        .execute(&self.pool)
                        .await?;
                    Ok(done.rows_affected() == 1)
                }

                async fn retry_job(&self, id: &str, run_at: chrono::DateTime<chrono::Utc>, error: &str) -> StoreResult<bool> {
                    let done = sqlx::query("UPDATE jobs SET status = 'pending', run_at = $2, last_error = $3, lease_until = NULL, published_at = NULL WHERE id = $1 AND status = 'running'")
                        .bind(id)
                        .bind(run_at)
                        .bind(error)
                        .execute(&self.pool)
                        .await?;
                    Ok(done.rows_affected() == 1)
                }

                async fn bury_job(&self, id: &str, now: chrono::DateTime<chrono::Utc>, error: &str) -> StoreResult<bool> {
                    let done = sqlx::query("UPDATE jobs SET status = 'dead', finished_at = $2, last_error = $3, lease_until = NULL WHERE id = $1 AND status = 'running'")
                        .bind(id)
                        .bind(now)
                        .bind(error)
                        .execute(&self.pool)
                        .await?;
                    Ok(done.rows_affected() == 1)
                }

                async fn job(&self, id: &str) -> StoreResult<Option<StoredJob>> {
                    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM jobs WHERE id = $1"))
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                    row.as_ref().map(read).transpose()
                }

                async fn job_counts(&self, queue: &str) -> StoreResult<Vec<(String, i64)>> {
                    let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM jobs WHERE queue = $1 GROUP BY status ORDER BY status")
                        .bind(queue)
                        .fetch_all(&self.pool)
                        .await?;
                    rows.iter()
                        .map(|r| Ok((r.try_get("status")?, r.try_get("n")?)))
                        .collect()
                }
            }
        };
    };
}
pub(crate) use jobs_sql;
