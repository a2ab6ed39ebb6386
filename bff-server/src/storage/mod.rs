//! Storage, one store trait per capability (identity, the audit log, the department call
//! record, the server's secrets, the vault's consents and corrections — and later push, forms …), each with one
//! implementation per database (PostgreSQL in production, SQLite embedded). The SQL of a
//! capability is written once, in its module, as a macro each backend expands with its own
//! UUID encoding; only what truly differs between the two dialects is written per backend.
//! Which database is chosen once, from the `DATABASE_URL` scheme ([`Backend`]).
//!
//! Personal data is minimised here (可用不可见): the BFF keeps only masked ID and phone numbers
//! (the full ID number sealed), and refresh tokens only as SHA-256 hashes.
//!
//! Adding a capability adds a module (trait, rows, SQL macro), one line per backend expanding
//! it, its migrations, and one supertrait of [`Store`].

pub mod analytics;
pub mod audit;
mod call_batch;
pub mod consents;
pub mod corrections;
pub mod forms;
pub mod identity;
pub mod inbox;
pub mod jobs;
mod migrations;
pub mod objections;
pub mod policies;
mod postgres;
pub mod secrets;
mod sqlite;
pub mod supervision;
pub mod upstream_calls;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

pub use analytics::{AnalyticsStore, Tally, Visit, VisitorCount};
pub use audit::{AuditEvent, AuditStore};
pub use consents::{ConsentStore, StoredConsent};
pub use corrections::{CorrectionStore, StoredCorrection};
pub use forms::{FormStore, Published, StoredFormVersion, StoredPart, StoredSubmission, Taken};
pub use identity::{
    IdentityStore, MiniApp, NewUser, NextRefreshToken, RefreshRefusal, RefreshToken, Rotation,
    StoredPasskey, User,
};
pub use inbox::{
    ClaimedPush, DeliveryCounts, DeliveryOutcome, InboxMark, InboxStore, NewInboxMessage,
    NewPushBatch, PushDevice, StoredCampaign, StoredInboxMessage,
};
pub use jobs::{JobStore, NewJob, StoredJob};
pub use objections::{ObjectionStore, StoredObjection};
pub use policies::{PolicyStore, StoredPolicy, StoredPolicyEvent, StoredProfile};
pub use postgres::PostgresStore;
pub use secrets::{SecretStore, SigningKey};
pub use sqlite::SqliteStore;
pub use supervision::{
    Decided, ReportTaken, StoredEvent, StoredItem, StoredNotice, StoredReport, StoredTask,
    StoredTodo, SupervisionStore,
};
pub use upstream_calls::{UpstreamCall, UpstreamCallStore};

/// Why a storage call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached (connection refused, pool timed out).
    #[error("database unreachable: {0}")]
    Unavailable(String),
    /// A uniqueness rule was broken (e.g. a passkey credential registered twice).
    #[error("conflict: {0}")]
    Conflict(String),
    /// A stored value could not be decoded into its type.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// Any other database error.
    #[error("database error: {0}")]
    Other(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::Io(_)
            | sqlx::Error::PoolClosed
            | sqlx::Error::Tls(_) => Self::Unavailable(e.to_string()),
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                Self::Conflict(db.message().to_string())
            }
            sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => {
                Self::Corrupt(e.to_string())
            }
            _ => Self::Other(e.to_string()),
        }
    }
}

/// Result of storage calls.
pub type StoreResult<T> = Result<T, StoreError>;

/// Everything the BFF keeps: every capability's store, and the upkeep that spans them.
#[async_trait]
pub trait Store:
    IdentityStore
    + AuditStore
    + UpstreamCallStore
    + SecretStore
    + AnalyticsStore
    + ConsentStore
    + CorrectionStore
    + JobStore
    + ObjectionStore
    + PolicyStore
    + InboxStore
    + FormStore
    + SupervisionStore
    + Send
    + Sync
    + 'static
{
    /// Cheap round trip, for readiness.
    async fn ping(&self) -> StoreResult<()>;
    /// Deletes (or, for [`Retained::GraceSuccessors`], clears) at most `limit` rows of `what`
    /// older than `before`. Returns how many.
    async fn prune(&self, what: Retained, before: DateTime<Utc>, limit: i64) -> StoreResult<u64>;
}

/// Implements [`Store`]'s own methods for a backend; the SQL is the same on both.
macro_rules! store_sql {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::Store for $store {
            async fn ping(&self) -> $crate::storage::StoreResult<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn prune(
                &self,
                what: $crate::storage::Retained,
                before: chrono::DateTime<chrono::Utc>,
                limit: i64,
            ) -> $crate::storage::StoreResult<u64> {
                let done = sqlx::query($crate::storage::prune_sql(what))
                    .bind(before)
                    .bind(limit)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected())
            }
        }
    };
}
use store_sql;

/// Tables whose rows are pruned after a retention period (see `crate::retention`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retained {
    /// Refresh tokens spent, revoked or expired before the cut-off.
    RefreshTokens,
    /// Sessions created before the cut-off that have no refresh token left.
    SessionFamilies,
    /// Sealed successors of tokens spent before the cut-off (the grace window is over).
    GraceSuccessors,
    /// Department call batches written before the cut-off.
    UpstreamCallBatches,
    /// Audit events older than the cut-off.
    AuditEvents,
    /// Analytics visitor pseudonyms written before the cut-off (the counts stay).
    AnalyticsVisitors,
    /// Analytics batch ids received before the cut-off (older events are not counted anyway).
    AnalyticsBatches,
    /// Jobs done before the cut-off (buried ones stay for an operator).
    FinishedJobs,
}

/// Statements of [`Store::prune`], the same text for both databases (`$n` placeholders; `$1`
/// the cut-off, `$2` the batch size).
pub(crate) fn prune_sql(what: Retained) -> &'static str {
    match what {
        Retained::RefreshTokens => {
            "DELETE FROM refresh_tokens WHERE token_hash IN (SELECT token_hash FROM refresh_tokens \
             WHERE used_at < $1 OR revoked_at < $1 OR expires_at < $1 LIMIT $2)"
        }
        Retained::SessionFamilies => {
            "DELETE FROM session_families WHERE family_id IN (SELECT f.family_id FROM session_families f \
             WHERE f.created_at < $1 AND NOT EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.family_id = f.family_id) LIMIT $2)"
        }
        Retained::GraceSuccessors => {
            "UPDATE refresh_tokens SET successor_sealed = NULL WHERE token_hash IN (SELECT token_hash FROM refresh_tokens \
             WHERE successor_sealed IS NOT NULL AND used_at < $1 LIMIT $2)"
        }
        Retained::UpstreamCallBatches => {
            "DELETE FROM upstream_call_batches WHERE id IN (SELECT id FROM upstream_call_batches WHERE at < $1 ORDER BY id LIMIT $2)"
        }
        Retained::AuditEvents => {
            "DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE at < $1 ORDER BY id LIMIT $2)"
        }
        Retained::AnalyticsVisitors => {
            "DELETE FROM analytics_visitors WHERE (mini_app_id, day, page_id, visitor) IN \
             (SELECT mini_app_id, day, page_id, visitor FROM analytics_visitors WHERE at < $1 LIMIT $2)"
        }
        Retained::AnalyticsBatches => {
            "DELETE FROM analytics_batches WHERE (mini_app_id, batch_id) IN \
             (SELECT mini_app_id, batch_id FROM analytics_batches WHERE received_at < $1 LIMIT $2)"
        }
        Retained::FinishedJobs => {
            "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE status = 'done' AND finished_at < $1 LIMIT $2)"
        }
    }
}

/// Opens the store named by `url` (`postgres://…` or `sqlite:…`) and runs its migrations.
pub async fn connect(url: &str) -> StoreResult<Arc<dyn Store>> {
    match Backend::of(url) {
        Some(Backend::Postgres) => Ok(Arc::new(PostgresStore::connect(url).await?)),
        Some(Backend::Sqlite) => Ok(Arc::new(SqliteStore::connect(url).await?)),
        None => Err(StoreError::Other(format!(
            "DATABASE_URL must start with postgres: or sqlite:, got {:?}",
            url.split(':').next().unwrap_or("")
        ))),
    }
}

/// Which database a `DATABASE_URL` names: the one rule for its scheme, used by the
/// configuration (to refuse a bad URL at start-up) and by [`connect`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `postgres://…` or `postgresql://…`.
    Postgres,
    /// `sqlite:…`.
    Sqlite,
}

impl Backend {
    /// The backend of `url`; `None` for any other scheme.
    pub fn of(url: &str) -> Option<Self> {
        if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Some(Self::Postgres)
        } else if url.starts_with("sqlite:") {
            Some(Self::Sqlite)
        } else {
            None
        }
    }
}

/// Default SQLite file of the embedded run, relative to the working directory.
pub const DEFAULT_SQLITE_URL: &str = "sqlite:.zhelikit/bff.db";
