//! The vault's objections: complaints about a history entry, deletion requests to a consumer.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::StoreResult;

/// An objection as kept.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredObjection {
    /// Its id.
    pub id: String,
    /// The citizen.
    pub user_id: Uuid,
    /// The device's id of it.
    pub request_id: String,
    /// `complaint` or `deletion`.
    pub kind: String,
    /// The consent it is about.
    pub consent_id: Option<String>,
    /// The history entry's place.
    pub entry_seq: Option<i64>,
    /// The history entry's hash.
    pub entry_hash: Option<String>,
    /// Who it is about.
    pub counterpart: Option<String>,
    /// What the citizen said.
    pub message: String,
    /// The job that carries a deletion request.
    pub job_id: Option<String>,
    /// When.
    pub raised_at: DateTime<Utc>,
}

/// What the objections are kept in.
#[async_trait]
pub trait ObjectionStore: Send + Sync {
    /// Keeps an objection and its jobs in one transaction; false (nothing written) when one
    /// with its id exists.
    async fn insert_objection(
        &self,
        objection: &StoredObjection,
        jobs: &[super::NewJob],
    ) -> StoreResult<bool>;
    /// One objection.
    async fn objection(&self, id: &str) -> StoreResult<Option<StoredObjection>>;
    /// A citizen's objections, newest first.
    async fn objections_of(&self, user_id: Uuid) -> StoreResult<Vec<StoredObjection>>;
}

/// Implements [`ObjectionStore`] for a backend (`$id` as in `identity_sql`).
macro_rules! objections_sql {
    ($store:ty, $id:ty) => {
        const _: () = {
            use $crate::storage::objections::{ObjectionStore, StoredObjection};
            use $crate::storage::StoreResult;

            const COLUMNS: &str = "id, user_id, request_id, kind, consent_id, entry_seq, entry_hash, counterpart, message, job_id, raised_at";

            fn read<R: sqlx::Row>(r: &R) -> StoreResult<StoredObjection>
            where
                for<'c> &'c str: sqlx::ColumnIndex<R>,
                for<'c> String: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
                for<'c> i64: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
                for<'c> $id: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
                for<'c> chrono::DateTime<chrono::Utc>:
                    sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
            {
                Ok(StoredObjection {
                    id: r.try_get("id")?,
                    user_id: uuid::Uuid::from(r.try_get::<$id, _>("user_id")?),
                    request_id: r.try_get("request_id")?,
                    kind: r.try_get("kind")?,
                    consent_id: r.try_get("consent_id")?,
                    entry_seq: r.try_get("entry_seq")?,
                    entry_hash: r.try_get("entry_hash")?,
                    counterpart: r.try_get("counterpart")?,
                    message: r.try_get("message")?,
                    job_id: r.try_get("job_id")?,
                    raised_at: r.try_get("raised_at")?,
                })
            }

            #[async_trait::async_trait]
            impl ObjectionStore for $store {
                async fn insert_objection(
                    &self,
                    o: &StoredObjection,
                    jobs: &[$crate::storage::NewJob],
                ) -> StoreResult<bool> {
                    let _gate = self.write_gate().await;
                    let mut tx = self.pool.begin().await?;
                    let done = sqlx::query(&format!("INSERT INTO vault_objections ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING"))
                        .bind(&o.id)
                        .bind(<$id>::from(o.user_id))
                        .bind(&o.request_id)
                        .bind(&o.kind)
                        .bind(&o.consent_id)
                        .bind(o.entry_seq)
                        .bind(&o.entry_hash)
                        .bind(&o.counterpart)
                        .bind(&o.message)
                        .bind(&o.job_id)
                        .bind(o.raised_at)
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

                async fn objection(&self, id: &str) -> StoreResult<Option<StoredObjection>> {
                    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM vault_objections WHERE id = $1"))
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                    row.as_ref().map(read).transpose()
                }

                async fn objections_of(&self, user_id: uuid::Uuid) -> StoreResult<Vec<StoredObjection>> {
                    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM vault_objections WHERE user_id = $1 ORDER BY raised_at DESC, id"))
                        .bind(<$id>::from(user_id))
                        .fetch_all(&self.pool)
                        .await?;
                    rows.iter().map(read).collect()
                }
            }
        };
    };
}
pub(crate) use objections_sql;
