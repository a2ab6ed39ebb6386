//! The vault's corrections (数据纠错): each dispute a citizen filed with a department and where
//! it stands. No value, reason or evidence is kept — only their digest.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::StoreResult;

/// A correction as kept.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCorrection {
    /// Its id (`correction_id` of the citizen and the device's request id).
    pub id: String,
    /// The citizen.
    pub user_id: Uuid,
    /// The device's id of the dispute.
    pub request_id: String,
    /// The certificate's kind.
    pub kind: String,
    /// The claim disputed.
    pub claim: String,
    /// The deciding department.
    pub department: String,
    /// The department's case number.
    pub case_number: String,
    /// `SUBMITTED`, `ACCEPTED`, `REJECTED`, `REISSUED`.
    pub status: String,
    /// SM3 of what was filed, hex.
    pub proposal_digest: String,
    /// SM3 of the evidence, hex.
    pub evidence_digest: Option<String>,
    /// When filed.
    pub submitted_at: DateTime<Utc>,
    /// When the department decided.
    pub decided_at: Option<DateTime<Utc>>,
    /// The department's reason.
    pub decision_reason: Option<String>,
    /// When the corrected certificate was pulled.
    pub reissued_at: Option<DateTime<Utc>>,
}

/// What the corrections are kept in.
#[async_trait]
pub trait CorrectionStore: Send + Sync {
    /// Keeps a filed correction; false (and nothing written) when one with its id exists.
    async fn insert_correction(&self, correction: &StoredCorrection) -> StoreResult<bool>;
    /// One correction.
    async fn correction(&self, id: &str) -> StoreResult<Option<StoredCorrection>>;
    /// A citizen's corrections, newest first.
    async fn corrections_of(&self, user_id: Uuid) -> StoreResult<Vec<StoredCorrection>>;
    /// Records the department's decision (`to`: `ACCEPTED` or `REJECTED`) if the correction is
    /// still `SUBMITTED` (one decision wins); whether it changed.
    async fn decide_correction(
        &self,
        id: &str,
        to: &str,
        reason: Option<&str>,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Marks the citizen's accepted corrections of `kind` reissued (the corrected certificate
    /// was pulled); the ids it marked.
    async fn reissue_corrections(
        &self,
        user_id: Uuid,
        kind: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<String>>;
}

/// Implements [`CorrectionStore`] for a backend (`$id` as in `identity_sql`).
macro_rules! corrections_sql {
    ($store:ty, $id:ty) => {
        const _: () = {
            use sqlx::Row as _;
            use $crate::storage::corrections::{CorrectionStore, StoredCorrection};
            use $crate::storage::StoreResult;

            const COLUMNS: &str = "id, user_id, request_id, kind, claim, department, case_number, status, proposal_digest, evidence_digest, submitted_at, decided_at, decision_reason, reissued_at";

            fn read<R: sqlx::Row>(r: &R) -> StoreResult<StoredCorrection>
            where
                for<'c> &'c str: sqlx::ColumnIndex<R>,
                for<'c> String: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
                for<'c> $id: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
                for<'c> chrono::DateTime<chrono::Utc>:
                    sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
            {
                Ok(StoredCorrection {
                    id: r.try_get("id")?,
                    user_id: uuid::Uuid::from(r.try_get::<$id, _>("user_id")?),
                    request_id: r.try_get("request_id")?,
                    kind: r.try_get("kind")?,
                    claim: r.try_get("claim")?,
                    department: r.try_get("department")?,
                    case_number: r.try_get("case_number")?,
                    status: r.try_get("status")?,
                    proposal_digest: r.try_get("proposal_digest")?,
                    evidence_digest: r.try_get("evidence_digest")?,
                    submitted_at: r.try_get("submitted_at")?,
                    decided_at: r.try_get("decided_at")?,
                    decision_reason: r.try_get("decision_reason")?,
                    reissued_at: r.try_get("reissued_at")?,
                })
            }

            #[async_trait::async_trait]
            impl CorrectionStore for $store {
                async fn insert_correction(&self, c: &StoredCorrection) -> StoreResult<bool> {
                    let done = sqlx::query(&format!("INSERT INTO vault_corrections ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT (id) DO NOTHING"))
                        .bind(&c.id)
                        .bind(<$id>::from(c.user_id))
                        .bind(&c.request_id)
                        .bind(&c.kind)
                        .bind(&c.claim)
                        .bind(&c.department)
                        .bind(&c.case_number)
                        .bind(&c.status)
                        .bind(&c.proposal_digest)
                        .bind(&c.evidence_digest)
                        .bind(c.submitted_at)
                        .bind(c.decided_at)
                        .bind(&c.decision_reason)
                        .bind(c.reissued_at)
                        .execute(&self.pool)
                        .await?;
                    Ok(done.rows_affected() == 1)
                }

                async fn correction(&self, id: &str) -> StoreResult<Option<StoredCorrection>> {
                    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM vault_corrections WHERE id = $1"))
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                    row.as_ref().map(read).transpose()
                }

                async fn corrections_of(&self, user_id: uuid::Uuid) -> StoreResult<Vec<StoredCorrection>> {
                    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM vault_corrections WHERE user_id = $1 ORDER BY submitted_at DESC, id"))
                        .bind(<$id>::from(user_id))
                        .fetch_all(&self.pool)
                        .await?;
                    rows.iter().map(read).collect()
                }

                async fn decide_correction(
                    &self,
                    id: &str,
                    to: &str,
                    reason: Option<&str>,
                    at: chrono::DateTime<chrono::Utc>,
                ) -> StoreResult<bool> {
                    let done = sqlx::query("UPDATE vault_corrections SET status = $2, decision_reason = $3, decided_at = $4 WHERE id = $1 AND status = 'SUBMITTED'")
                        .bind(id)
                        .bind(to)
                        .bind(reason)
                        .bind(at)
                        .execute(&self.pool)
                        .await?;
                    Ok(done.rows_affected() == 1)
                }

                async fn reissue_corrections(
                    &self,
                    user_id: uuid::Uuid,
                    kind: &str,
                    at: chrono::DateTime<chrono::Utc>,
                ) -> StoreResult<Vec<String>> {
                    let rows = sqlx::query("UPDATE vault_corrections SET status = 'REISSUED', reissued_at = $3 WHERE user_id = $1 AND kind = $2 AND status = 'ACCEPTED' RETURNING id")
                        .bind(<$id>::from(user_id))
                        .bind(kind)
                        .bind(at)
                        .fetch_all(&self.pool)
                        .await?;
                    rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
                }
            }
        };
    };
}
pub(crate) use corrections_sql;
