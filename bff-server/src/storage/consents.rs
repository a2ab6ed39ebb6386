//! The vault's consents (本人授权推送): each artefact a citizen approved for a data consumer,
//! its status and use count, and the fetches made under it (for the frequency rule).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::StoreResult;

/// A consent as kept.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredConsent {
    /// The artefact's id (the request's).
    pub id: String,
    /// The consumer it is for.
    pub consumer_id: String,
    /// The citizen who approved it.
    pub user_id: Uuid,
    /// The platform-signed artefact (compact JWS).
    pub artefact: String,
    /// Its terms as JSON (`ConsentTerms`), to list without verifying the JWS.
    pub terms: String,
    /// `ACTIVE`, `PAUSED`, `REVOKED`, `EXPIRED`.
    pub status: String,
    /// Fetches served.
    pub use_count: i64,
    /// When it was approved.
    pub created_at: DateTime<Utc>,
    /// When its status last changed.
    pub status_changed_at: DateTime<Utc>,
}

/// What the consents are kept in.
#[async_trait]
pub trait ConsentStore: Send + Sync {
    /// Keeps a newly approved consent and its jobs (the notice to its consumer, its expiry) in
    /// one transaction.
    async fn insert_consent(
        &self,
        consent: &StoredConsent,
        jobs: &[super::NewJob],
    ) -> StoreResult<()>;
    /// One consent.
    async fn consent(&self, id: &str) -> StoreResult<Option<StoredConsent>>;
    /// A citizen's consents, newest first.
    async fn consents_of(&self, user_id: Uuid) -> StoreResult<Vec<StoredConsent>>;
    /// Sets the status to `to` if it is still `from` (so two changes at once cannot both
    /// apply), writing `jobs` (the notice to the consumer) in the same transaction; whether it
    /// changed.
    async fn set_consent_status(
        &self,
        id: &str,
        from: &str,
        to: &str,
        at: DateTime<Utc>,
        jobs: &[super::NewJob],
    ) -> StoreResult<bool>;
    /// Counts a fetch if the consent is still active with `seen` fetches (so two racing
    /// fetches cannot both pass the frequency check), and writes its audit line in the same
    /// transaction (a counted fetch is always audited); whether it was counted.
    async fn record_consent_fetch(
        &self,
        id: &str,
        seen: i64,
        fetch_id: &str,
        at: DateTime<Utc>,
        audit: &super::AuditEvent,
    ) -> StoreResult<bool>;
    /// How many of the consent's fetches were made after `since`, and — when at least `nth`
    /// were — when the `nth` newest of them was (for the frequency rule; two indexed
    /// lookups, however many fetches there were).
    async fn consent_fetch_window(
        &self,
        id: &str,
        since: DateTime<Utc>,
        nth: i64,
    ) -> StoreResult<(i64, Option<DateTime<Utc>>)>;
}

/// Implements [`ConsentStore`] for a backend (`$id` as in `identity_sql`).
macro_rules! consents_sql {
    ($store:ty, $id:ty) => {
        const _: () = {
            use sqlx::Row as _;
            use $crate::storage::consents::{ConsentStore, StoredConsent};
            use $crate::storage::StoreResult;

            const COLUMNS: &str = "id, consumer_id, user_id, artefact, terms, status, use_count, created_at, status_changed_at";

            fn read<R: sqlx::Row>(r: &R) -> StoreResult<StoredConsent>
            where
                for<'c> &'c str: sqlx::ColumnIndex<R>,
                for<'c> String: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
                for<'c> i64: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
                for<'c> $id: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
                for<'c> chrono::DateTime<chrono::Utc>:
                    sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
            {
                Ok(StoredConsent {
                    id: r.try_get("id")?,
                    consumer_id: r.try_get("consumer_id")?,
                    user_id: uuid::Uuid::from(r.try_get::<$id, _>("user_id")?),
                    artefact: r.try_get("artefact")?,
                    terms: r.try_get("terms")?,
                    status: r.try_get("status")?,
                    use_count: r.try_get("use_count")?,
                    created_at: r.try_get("created_at")?,
                    status_changed_at: r.try_get("status_changed_at")?,
                })
            }

            #[async_trait::async_trait]
            impl ConsentStore for $store {
                async fn insert_consent(
                    &self,
                    c: &StoredConsent,
                    jobs: &[$crate::storage::NewJob],
                ) -> StoreResult<()> {
                    let _gate = self.write_gate().await;
                    let mut tx = self.pool.begin().await?;
                    sqlx::query(&format!("INSERT INTO vault_consents ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"))
                        .bind(&c.id)
                        .bind(&c.consumer_id)
                        .bind(<$id>::from(c.user_id))
                        .bind(&c.artefact)
                        .bind(&c.terms)
                        .bind(&c.status)
                        .bind(c.use_count)
                        .bind(c.created_at)
                        .bind(c.status_changed_at)
                        .execute(&mut *tx)
                        .await?;
                    for job in jobs {
                        $crate::storage::jobs::insert_job!(&mut *tx, job)?;
                    }
                    tx.commit().await?;
                    Ok(())
                }

                async fn consent(&self, id: &str) -> StoreResult<Option<StoredConsent>> {
                    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM vault_consents WHERE id = $1"))
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                    row.as_ref().map(read).transpose()
                }

                async fn consents_of(&self, user_id: uuid::Uuid) -> StoreResult<Vec<StoredConsent>> {
                    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM vault_consents WHERE user_id = $1 ORDER BY created_at DESC"))
                        .bind(<$id>::from(user_id))
                        .fetch_all(&self.pool)
                        .await?;
                    rows.iter().map(read).collect()
                }

                async fn set_consent_status(
                    &self,
                    id: &str,
                    from: &str,
                    to: &str,
                    at: chrono::DateTime<chrono::Utc>,
                    jobs: &[$crate::storage::NewJob],
                ) -> StoreResult<bool> {
                    let _gate = self.write_gate().await;
                    let mut tx = self.pool.begin().await?;
                    let done = sqlx::query("UPDATE vault_consents SET status = $3, status_changed_at = $4 WHERE id = $1 AND status = $2")
                        .bind(id)
                        .bind(from)
                        .bind(to)
                        .bind(at)
                        .execute(&mut *tx)
                        .await?;
                    if done.rows_affected() != 1 {
                        return Ok(false);
                    }
                    for job in jobs {
                        $crate::storage::jobs::insert_job!(&mut *tx, job)?;
                    }
                    tx.commit().await?;
                    Ok(true)
                }

                async fn record_consent_fetch(
                    &self,
                    id: &str,
                    seen: i64,
                    fetch_id: &str,
                    at: chrono::DateTime<chrono::Utc>,
                    audit: &$crate::storage::AuditEvent,
                ) -> StoreResult<bool> {
                    let _gate = self.write_gate().await;
                    let mut tx = self.pool.begin().await?;
                    let counted = sqlx::query("UPDATE vault_consents SET use_count = use_count + 1 WHERE id = $1 AND use_count = $2 AND status = 'ACTIVE'")
                        .bind(id)
                        .bind(seen)
                        .execute(&mut *tx)
                        .await?;
                    if counted.rows_affected() != 1 {
                        return Ok(false);
                    }
                    sqlx::query("INSERT INTO vault_consent_fetches (fetch_id, consent_id, fetched_at) VALUES ($1, $2, $3)")
                        .bind(fetch_id)
                        .bind(id)
                        .bind(at)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(
                        "INSERT INTO audit_events (at, event, user_id, mini_app_id, client, request_id, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(at)
                    .bind(&audit.event)
                    .bind(audit.user_id.map(<$id>::from))
                    .bind(&audit.mini_app_id)
                    .bind(&audit.client)
                    .bind(&audit.request_id)
                    .bind(&audit.detail)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(true)
                }

                async fn consent_fetch_window(
                    &self,
                    id: &str,
                    since: chrono::DateTime<chrono::Utc>,
                    nth: i64,
                ) -> StoreResult<(i64, Option<chrono::DateTime<chrono::Utc>>)> {
                    // One statement (one round trip to the database) for both lookups: the
                    // count, and the nth newest fetch when there are that many.
                    let row = sqlx::query("SELECT (SELECT COUNT(*) FROM vault_consent_fetches WHERE consent_id = $1 AND fetched_at > $2) AS n, (SELECT fetched_at FROM vault_consent_fetches WHERE consent_id = $1 AND fetched_at > $2 ORDER BY fetched_at DESC LIMIT 1 OFFSET $3) AS nth")
                        .bind(id)
                        .bind(since)
                        .bind((nth - 1).max(0))
                        .fetch_one(&self.pool)
                        .await?;
                    let count: i64 = row.try_get("n")?;
                    if count < nth || nth < 1 {
                        return Ok((count, None));
                    }
                    let nth_newest: Option<chrono::DateTime<chrono::Utc>> = row.try_get("nth")?;
                    Ok((count, nth_newest))
                }
            }
        };
    };
}
pub(crate) use consents_sql;
