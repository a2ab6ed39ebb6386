//! The audit log's storage (审计): one append-only table, written for every login, refusal,
//! refresh reuse and passkey change.

use async_trait::async_trait;
use uuid::Uuid;

use super::StoreResult;

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    /// e.g. `login`, `login_failed`, `refresh_reuse`, `passkey_registered`, `logout`.
    pub event: String,
    /// Whose action, when known.
    pub user_id: Option<Uuid>,
    /// For which mini-app, when known.
    pub mini_app_id: Option<String>,
    /// Client address.
    pub client: Option<String>,
    /// Request id, to join with logs.
    pub request_id: Option<String>,
    /// Short detail (an error code, a login method); never personal data.
    pub detail: String,
}

/// What the audit log keeps.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends to the audit log.
    async fn record_audit(&self, event: &AuditEvent) -> StoreResult<()>;
    /// The newest audit events, newest first.
    async fn recent_audit(&self, limit: i64) -> StoreResult<Vec<AuditEvent>>;
    /// The newest `limit` events named in `events` about `user_id`, newest first, each with
    /// its time (what the citizen's history shows of the platform's side).
    async fn audit_of(
        &self,
        user_id: Uuid,
        events: &[&str],
        limit: i64,
    ) -> StoreResult<Vec<(chrono::DateTime<chrono::Utc>, AuditEvent)>>;
}

/// Implements [`AuditStore`] for a backend (`$id` as in `identity_sql`).
macro_rules! audit_sql {
    ($store:ty, $id:ty) => {
        const _: () = {
            use sqlx::Row as _;
            use $crate::storage::audit::{AuditEvent, AuditStore};
            use $crate::storage::StoreResult;

            fn read<R: sqlx::Row>(r: &R) -> StoreResult<AuditEvent>
            where
                for<'c> &'c str: sqlx::ColumnIndex<R>,
                for<'c> String: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
                for<'c> $id: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
            {
                Ok(AuditEvent {
                    event: r.try_get("event")?,
                    user_id: r.try_get::<Option<$id>, _>("user_id")?.map(uuid::Uuid::from),
                    mini_app_id: r.try_get("mini_app_id")?,
                    client: r.try_get("client")?,
                    request_id: r.try_get("request_id")?,
                    detail: r.try_get("detail")?,
                })
            }

            #[async_trait::async_trait]
            impl AuditStore for $store {
                async fn record_audit(&self, e: &AuditEvent) -> StoreResult<()> {
                    let _gate = self.write_gate().await;
                    sqlx::query(
                        "INSERT INTO audit_events (at, event, user_id, mini_app_id, client, request_id, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(chrono::Utc::now())
                    .bind(&e.event)
                    .bind(e.user_id.map(<$id>::from))
                    .bind(&e.mini_app_id)
                    .bind(&e.client)
                    .bind(&e.request_id)
                    .bind(&e.detail)
                    .execute(&self.pool)
                    .await?;
                    Ok(())
                }

                async fn audit_of(
                    &self,
                    user_id: uuid::Uuid,
                    events: &[&str],
                    limit: i64,
                ) -> StoreResult<Vec<(chrono::DateTime<chrono::Utc>, AuditEvent)>> {
                    if events.is_empty() {
                        return Ok(Vec::new());
                    }
                    let names: Vec<String> = (0..events.len()).map(|i| format!("${}", i + 3)).collect();
                    let sql = format!(
                        "SELECT at, event, user_id, mini_app_id, client, request_id, detail FROM audit_events WHERE user_id = $1 AND event IN ({}) ORDER BY at DESC, id DESC LIMIT $2",
                        names.join(", ")
                    );
                    let mut query = sqlx::query(&sql).bind(<$id>::from(user_id)).bind(limit);
                    for e in events {
                        query = query.bind(*e);
                    }
                    let rows = query.fetch_all(&self.pool).await?;
                    rows.iter()
                        .map(|r| Ok((r.try_get("at")?, read(r)?)))
                        .collect()
                }

                async fn recent_audit(&self, limit: i64) -> StoreResult<Vec<AuditEvent>> {
                    let rows = sqlx::query(
                        "SELECT event, user_id, mini_app_id, client, request_id, detail FROM audit_events ORDER BY id DESC LIMIT $1",
                    )
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                    rows.iter().map(read).collect()
                }
            }
        };
    };
}
pub(crate) use audit_sql;
