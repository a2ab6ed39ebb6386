//! PostgreSQL storage, for production. UUIDs are native; every capability's SQL comes from its
//! module.

use sqlx::postgres::{PgPool, PgPoolOptions};
use uuid::Uuid;

use super::{
    analytics::analytics_sql, audit::audit_sql, consents::consents_sql,
    corrections::corrections_sql, forms::forms_sql, identity::identity_sql, inbox::inbox_sql,
    jobs::jobs_sql, migrations, objections::objections_sql, policies::policies_sql,
    secrets::secrets_sql, store_sql, supervision::supervision_sql,
    upstream_calls::upstream_calls_sql, StoreError, StoreResult,
};

/// [`super::Store`] on PostgreSQL.
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// PostgreSQL takes concurrent writers itself: no gate.
    pub(super) async fn write_gate(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        None
    }
}

impl PostgresStore {
    /// Connects and runs the PostgreSQL migrations.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            // Readiness and requests must fail fast when the database is down, not hang.
            .acquire_timeout(std::time::Duration::from_secs(3))
            .connect(url)
            .await?;
        migrations::postgres()
            .await?
            .run(&pool)
            .await
            .map_err(|e| StoreError::Other(e.to_string()))?;
        Ok(Self { pool })
    }
}

store_sql!(PostgresStore);
analytics_sql!(PostgresStore);
identity_sql!(
    PostgresStore,
    sqlx::Postgres,
    Uuid,
    // The family's row, locked for the rest of the transaction; READ COMMITTED re-reads per
    // statement, so what follows sees what a revocation before it committed.
    lock_family = "SELECT revoked_at FROM session_families
         WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1) FOR UPDATE"
);
audit_sql!(PostgresStore, Uuid);
consents_sql!(PostgresStore, Uuid);
corrections_sql!(PostgresStore, Uuid);
forms_sql!(PostgresStore, Uuid);
jobs_sql!(PostgresStore, "FOR UPDATE SKIP LOCKED");
supervision_sql!(PostgresStore);
objections_sql!(PostgresStore, Uuid);
policies_sql!(PostgresStore);
inbox_sql!(PostgresStore, sqlx::Postgres);
secrets_sql!(PostgresStore);
upstream_calls_sql!(
    PostgresStore,
    insert = "INSERT INTO upstream_call_batches (at, calls) VALUES ($1, $2::jsonb)",
    select = "SELECT calls::text AS calls FROM upstream_call_batches ORDER BY id DESC LIMIT $1"
);
