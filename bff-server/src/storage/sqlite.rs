//! SQLite storage, the embedded default: no server to install. UUIDs are stored as hyphenated
//! text (readable in the `sqlite3` shell); every capability's SQL comes from its module.

use std::str::FromStr;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use uuid::fmt::Hyphenated;

use super::{
    analytics::analytics_sql, audit::audit_sql, consents::consents_sql,
    corrections::corrections_sql, forms::forms_sql, identity::identity_sql, inbox::inbox_sql,
    jobs::jobs_sql, migrations, objections::objections_sql, policies::policies_sql,
    secrets::secrets_sql, store_sql, supervision::supervision_sql,
    upstream_calls::upstream_calls_sql, StoreError, StoreResult,
};

/// [`super::Store`] on SQLite.
pub struct SqliteStore {
    pool: SqlitePool,
    /// SQLite has one writer at a time; a second one waits in SQLite's busy handler, which
    /// sleeps (1, 2, 5, 10 … ms). The hot write paths (a consent fetch, an audit line) queue
    /// here instead, so they wait only as long as the write before them takes.
    writes: tokio::sync::Mutex<()>,
}

impl SqliteStore {
    /// Waits for the write gate (see `writes`).
    pub(super) async fn write_gate(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        Some(self.writes.lock().await)
    }
}

impl SqliteStore {
    /// Connects and runs the SQLite migrations.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Other(format!("bad sqlite URL: {e}")))?
            .create_if_missing(true)
            // WAL lets readers proceed while a writer commits; the busy timeout queues writers
            // instead of failing them when two requests write at once.
            .journal_mode(SqliteJournalMode::Wal)
            // The usual pairing with WAL: commits survive a crash of the process; only a power
            // loss can lose the last ones. Spares an fsync per commit.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(std::time::Duration::from_secs(5))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(std::time::Duration::from_secs(3))
            .connect_with(options)
            .await?;
        migrations::sqlite()
            .await?
            .run(&pool)
            .await
            .map_err(|e| StoreError::Other(e.to_string()))?;
        Ok(Self {
            pool,
            writes: tokio::sync::Mutex::new(()),
        })
    }
}

store_sql!(SqliteStore);
analytics_sql!(SqliteStore);
identity_sql!(
    SqliteStore,
    sqlx::Sqlite,
    Hyphenated,
    // A write first: it takes SQLite's (database-wide) write lock before anything is read, so
    // concurrent rotations and revocations queue (busy timeout) instead of failing when a read
    // transaction later tries to write.
    lock_family = "UPDATE session_families SET revoked_at = revoked_at
         WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1)"
);
audit_sql!(SqliteStore, Hyphenated);
consents_sql!(SqliteStore, Hyphenated);
corrections_sql!(SqliteStore, Hyphenated);
forms_sql!(SqliteStore, Hyphenated);
jobs_sql!(SqliteStore, "");
supervision_sql!(SqliteStore);
objections_sql!(SqliteStore, Hyphenated);
policies_sql!(SqliteStore);
inbox_sql!(SqliteStore, sqlx::Sqlite);
secrets_sql!(SqliteStore);
upstream_calls_sql!(
    SqliteStore,
    insert = "INSERT INTO upstream_call_batches (at, calls) VALUES ($1, $2)",
    select = "SELECT calls FROM upstream_call_batches ORDER BY id DESC LIMIT $1"
);
