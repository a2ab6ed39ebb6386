//! 一表通 · 一件事: the forms published, the submissions taken (answers sealed), the outboxes
//! they came from, and each department's part. A submission, its parts, the jobs that deliver
//! them and its outbox's place are written in one transaction: a submission is taken whole or
//! not at all, and once.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{NewJob, StoreResult};

/// A form version as kept.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFormVersion {
    /// The form.
    pub form_id: String,
    /// The version.
    pub version: i32,
    /// `open`, `closing`, `closed`.
    pub status: String,
    /// Its title.
    pub title: String,
    /// The definition, JSON.
    pub definition: String,
    /// SM3 of the definition, hex.
    pub digest: String,
    /// When published here.
    pub published_at: DateTime<Utc>,
}

/// What publishing a version did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Published {
    /// New; older open versions of the form are closing now.
    New,
    /// Published before, the same.
    Unchanged,
    /// Published before with another definition (whose digest this is): a published version
    /// never changes, so nothing was written.
    Differs(String),
}

/// One department's part of a submission, as kept.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPart {
    /// The submission.
    pub instance_id: String,
    /// The department's code.
    pub department: String,
    /// Its place in the form's order of parts.
    pub ordinal: i32,
    /// The reference it is filed under (a part carried over from the submission corrected
    /// keeps that one's).
    pub reference: String,
    /// Its title.
    pub title: String,
    /// SM3 of its answers, hex.
    pub digest: String,
    /// `pending`, `received`, `accepted`, `rejected`, `completed`.
    pub status: String,
    /// The department's reason.
    pub reason: Option<String>,
    /// The department's case number.
    pub case_number: Option<String>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A submission as kept.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSubmission {
    /// Its instance id.
    pub instance_id: String,
    /// The form.
    pub form_id: String,
    /// The version filled.
    pub version: i32,
    /// Who submitted it.
    pub user_id: Uuid,
    /// The outbox it came from.
    pub client_id: String,
    /// Its place there.
    pub seq: i64,
    /// SM3 of what it says, hex.
    pub digest: String,
    /// The answers, sealed.
    pub sealed_answers: Vec<u8>,
    /// The submission it corrects.
    pub supersedes: Option<String>,
    /// The submission that corrects it.
    pub superseded_by: Option<String>,
    /// When taken.
    pub received_at: DateTime<Utc>,
    /// Its parts, in the form's order.
    pub parts: Vec<StoredPart>,
}

/// What taking a submission did.
#[derive(Debug, Clone, PartialEq)]
pub enum Taken {
    /// Taken, with its parts and their jobs.
    Taken,
    /// This instance was taken before: here it is (the caller compares digests).
    Exists(Box<StoredSubmission>),
    /// The outbox has applied a later (or this) place already: `last` is it.
    SequenceStale {
        /// The last place applied.
        last: i64,
    },
    /// The submission corrected is not the caller's, or is not the latest of its line: the
    /// latest is this one (none when there is no such submission of the caller's).
    SupersededStale(Option<String>),
}

/// What the forms are kept in.
#[async_trait]
pub trait FormStore: Send + Sync {
    /// Publishes a form version (status `open`), closing older open versions of the form.
    async fn publish_form_version(&self, version: &StoredFormVersion) -> StoreResult<Published>;
    /// Every version of every form.
    async fn form_versions(&self) -> StoreResult<Vec<StoredFormVersion>>;
    /// One version.
    async fn form_version(
        &self,
        form_id: &str,
        version: i32,
    ) -> StoreResult<Option<StoredFormVersion>>;
    /// Sets a version's status; whether it exists.
    async fn set_form_status(&self, form_id: &str, version: i32, status: &str)
        -> StoreResult<bool>;
    /// Takes `submission` (its parts with it) and writes `jobs` with it, once; see [`Taken`].
    async fn take_submission(
        &self,
        submission: &StoredSubmission,
        jobs: &[NewJob],
    ) -> StoreResult<Taken>;
    /// One submission, with its parts.
    async fn submission(&self, instance_id: &str) -> StoreResult<Option<StoredSubmission>>;
    /// A person's submissions, newest first, at most `limit`.
    async fn submissions_of(&self, user_id: Uuid, limit: i64)
        -> StoreResult<Vec<StoredSubmission>>;
    /// The parts filed under `reference` (one, or more where a correction carried it over).
    async fn parts_filed_as(&self, reference: &str) -> StoreResult<Vec<StoredPart>>;
    /// Moves the parts filed under `reference` from status `from` to `to` (compare-and-set:
    /// false when another change came first), with the department's reason and case number
    /// (a case number is kept once known).
    async fn move_part(
        &self,
        reference: &str,
        from: &str,
        to: &str,
        reason: Option<&str>,
        case_number: Option<&str>,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
}

/// Implements [`FormStore`] for a backend (`$id` as in `identity_sql`).
macro_rules! forms_sql {
    ($store:ty, $id:ty) => {
        const _: () = {
            use $crate::storage::forms::{
                FormStore, Published, StoredFormVersion, StoredPart, StoredSubmission, Taken,
            };
            use $crate::storage::{NewJob, StoreError, StoreResult};

            const VERSION: &str =
                "form_id, version, status, title, definition, digest, published_at";
            const SUBMISSION: &str = "instance_id, form_id, version, user_id, client_id, seq, digest, sealed_answers, supersedes, superseded_by, received_at";
            const PART: &str = "instance_id, department, ordinal, reference, title, digest, status, reason, case_number, updated_at";

            fn version<R: sqlx::Row>(r: &R) -> StoreResult<StoredFormVersion>
            where
                for<'c> &'c str: sqlx::ColumnIndex<R>,
                for<'c> String: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
                for<'c> i32: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
                for<'c> chrono::DateTime<chrono::Utc>:
                    sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
            {
                Ok(StoredFormVersion {
                    form_id: r.try_get("form_id")?,
                    version: r.try_get("version")?,
                    status: r.try_get("status")?,
                    title: r.try_get("title")?,
                    definition: r.try_get("definition")?,
                    digest: r.try_get("digest")?,
                    published_at: r.try_get("published_at")?,
                })
            }

            fn submission<R: sqlx::Row>(r: &R) -> StoreResult<StoredSubmission>
            where
                for<'c> &'c str: sqlx::ColumnIndex<R>,
                for<'c> String: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
                for<'c> i32: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
                for<'c> i64: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
                for<'c> Vec<u8>: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
                for<'c> $id: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
                for<'c> chrono::DateTime<chrono::Utc>:
                    sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
            {
                Ok(StoredSubmission {
                    instance_id: r.try_get("instance_id")?,
                    form_id: r.try_get("form_id")?,
                    version: r.try_get("version")?,
                    user_id: uuid::Uuid::from(r.try_get::<$id, _>("user_id")?),
                    client_id: r.try_get("client_id")?,
                    seq: r.try_get("seq")?,
                    digest: r.try_get("digest")?,
                    sealed_answers: r.try_get("sealed_answers")?,
                    supersedes: r.try_get("supersedes")?,
                    superseded_by: r.try_get("superseded_by")?,
                    received_at: r.try_get("received_at")?,
                    parts: Vec::new(),
                })
            }

            fn part<R: sqlx::Row>(r: &R) -> StoreResult<StoredPart>
            where
                for<'c> &'c str: sqlx::ColumnIndex<R>,
                for<'c> String: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
                for<'c> i32: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
                for<'c> chrono::DateTime<chrono::Utc>:
                    sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
            {
                Ok(StoredPart {
                    instance_id: r.try_get("instance_id")?,
                    department: r.try_get("department")?,
                    ordinal: r.try_get("ordinal")?,
                    reference: r.try_get("reference")?,
                    title: r.try_get("title")?,
                    digest: r.try_get("digest")?,
                    status: r.try_get("status")?,
                    reason: r.try_get("reason")?,
                    case_number: r.try_get("case_number")?,
                    updated_at: r.try_get("updated_at")?,
                })
            }

            impl $store {
                /// `instance_id`'s parts, in the form's order.
                async fn parts_of(&self, instance_id: &str) -> StoreResult<Vec<StoredPart>> {
                    let rows = sqlx::query(&format!("SELECT {PART} FROM form_parts WHERE instance_id = $1 ORDER BY ordinal"))
                        .bind(instance_id)
                        .fetch_all(&self.pool)
                        .await?;
                    rows.iter().map(part).collect()
                }
            }

            #[async_trait::async_trait]
            impl FormStore for $store {
                async fn publish_form_version(&self, v: &StoredFormVersion) -> StoreResult<Published> {
                    let _gate = self.write_gate().await;
                    let mut tx = self.pool.begin().await?;
                    // A write first (see `take_submission`).
                    sqlx::query("UPDATE form_versions SET status = status WHERE form_id = $1 AND version = $2")
                        .bind(&v.form_id)
                        .bind(v.version)
                        .execute(&mut *tx)
                        .await?;
                    let existing: Option<String> = sqlx::query_scalar("SELECT digest FROM form_versions WHERE form_id = $1 AND version = $2")
                        .bind(&v.form_id)
                        .bind(v.version)
                        .fetch_optional(&mut *tx)
                        .await?;
                    match existing {
                        Some(d) if d == v.digest => return Ok(Published::Unchanged),
                        Some(d) => return Ok(Published::Differs(d)),
                        None => {}
                    }
                    sqlx::query(&format!("INSERT INTO form_versions ({VERSION}) VALUES ($1, $2, 'open', $3, $4, $5, $6)"))
                        .bind(&v.form_id)
                        .bind(v.version)
                        .bind(&v.title)
                        .bind(&v.definition)
                        .bind(&v.digest)
                        .bind(v.published_at)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query("UPDATE form_versions SET status = 'closing' WHERE form_id = $1 AND version < $2 AND status = 'open'")
                        .bind(&v.form_id)
                        .bind(v.version)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok(Published::New)
                }

                async fn form_versions(&self) -> StoreResult<Vec<StoredFormVersion>> {
                    let rows = sqlx::query(&format!("SELECT {VERSION} FROM form_versions ORDER BY form_id, version"))
                        .fetch_all(&self.pool)
                        .await?;
                    rows.iter().map(version).collect()
                }

                async fn form_version(&self, form_id: &str, v: i32) -> StoreResult<Option<StoredFormVersion>> {
                    let row = sqlx::query(&format!("SELECT {VERSION} FROM form_versions WHERE form_id = $1 AND version = $2"))
                        .bind(form_id)
                        .bind(v)
                        .fetch_optional(&self.pool)
                        .await?;
                    row.as_ref().map(version).transpose()
                }

                async fn set_form_status(&self, form_id: &str, v: i32, status: &str) -> StoreResult<bool> {
                    let _gate = self.write_gate().await;
                    let done = sqlx::query("UPDATE form_versions SET status = $3 WHERE form_id = $1 AND version = $2")
                        .bind(form_id)
                        .bind(v)
                        .bind(status)
                        .execute(&self.pool)
                        .await?;
                    Ok(done.rows_affected() == 1)
                }

                async fn take_submission(&self, s: &StoredSubmission, jobs: &[NewJob]) -> StoreResult<Taken> {
                    let _gate = self.write_gate().await;
                    let mut tx = self.pool.begin().await?;
                    // A write first: on SQLite it takes the database's write lock before anything
                    // is read (a read-then-write transaction fails if another writer commits in
                    // between); on PostgreSQL it locks the outbox's row, so one outbox's sends
                    // are taken one after the other.
                    sqlx::query("UPDATE form_clients SET last_seq = last_seq WHERE client_id = $1 AND user_id = $2")
                        .bind(&s.client_id)
                        .bind(<$id>::from(s.user_id))
                        .execute(&mut *tx)
                        .await?;
                    let before = sqlx::query(&format!("SELECT {SUBMISSION} FROM form_submissions WHERE instance_id = $1"))
                        .bind(&s.instance_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                    if let Some(row) = before {
                        let mut kept = submission(&row)?;
                        drop(tx);
                        kept.parts = self.parts_of(&kept.instance_id).await?;
                        return Ok(Taken::Exists(Box::new(kept)));
                    }
                    let last: Option<i64> = sqlx::query_scalar("SELECT last_seq FROM form_clients WHERE client_id = $1 AND user_id = $2")
                        .bind(&s.client_id)
                        .bind(<$id>::from(s.user_id))
                        .fetch_optional(&mut *tx)
                        .await?;
                    if let Some(last) = last.filter(|l| *l >= s.seq) {
                        return Ok(Taken::SequenceStale { last });
                    }
                    if let Some(corrected) = &s.supersedes {
                        // Only the latest of a line, and only the person's own, may be corrected;
                        // the compare-and-set makes two corrections of one submission race to one.
                        let done = sqlx::query("UPDATE form_submissions SET superseded_by = $2 WHERE instance_id = $1 AND user_id = $3 AND superseded_by IS NULL")
                            .bind(corrected)
                            .bind(&s.instance_id)
                            .bind(<$id>::from(s.user_id))
                            .execute(&mut *tx)
                            .await?;
                        if done.rows_affected() != 1 {
                            let mut latest: Option<String> = None;
                            let mut at = corrected.clone();
                            // Follow the line to its end (bounded: a line is a few corrections).
                            for _ in 0..64 {
                                let next: Option<(Option<String>, $id)> = sqlx::query_as("SELECT superseded_by, user_id FROM form_submissions WHERE instance_id = $1")
                                    .bind(&at)
                                    .fetch_optional(&mut *tx)
                                    .await?;
                                match next {
                                    Some((by, owner)) if uuid::Uuid::from(owner) == s.user_id => {
                                        latest = Some(at.clone());
                                        match by {
                                            Some(by) => at = by,
                                            None => break,
                                        }
                                    }
                                    _ => break,
                                }
                            }
                            return Ok(Taken::SupersededStale(latest));
                        }
                    }
                    sqlx::query(&format!("INSERT INTO form_submissions ({SUBMISSION}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, $10)"))
                        .bind(&s.instance_id)
                        .bind(&s.form_id)
                        .bind(s.version)
                        .bind(<$id>::from(s.user_id))
                        .bind(&s.client_id)
                        .bind(s.seq)
                        .bind(&s.digest)
                        .bind(&s.sealed_answers)
                        .bind(&s.supersedes)
                        .bind(s.received_at)
                        .execute(&mut *tx)
                        .await?;
                    for p in &s.parts {
                        sqlx::query(&format!("INSERT INTO form_parts ({PART}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"))
                            .bind(&s.instance_id)
                            .bind(&p.department)
                            .bind(p.ordinal)
                            .bind(&p.reference)
                            .bind(&p.title)
                            .bind(&p.digest)
                            .bind(&p.status)
                            .bind(&p.reason)
                            .bind(&p.case_number)
                            .bind(p.updated_at)
                            .execute(&mut *tx)
                            .await?;
                    }
                    for job in jobs {
                        $crate::storage::jobs::insert_job!(&mut *tx, job)?;
                    }
                    sqlx::query("INSERT INTO form_clients (client_id, user_id, last_seq) VALUES ($1, $2, $3) ON CONFLICT (client_id, user_id) DO UPDATE SET last_seq = excluded.last_seq")
                        .bind(&s.client_id)
                        .bind(<$id>::from(s.user_id))
                        .bind(s.seq)
                        .execute(&mut *tx)
                        .await?;
                    match tx.commit().await {
                        Ok(()) => Ok(Taken::Taken),
                        // The same instance, taken by a request beside this one (PostgreSQL:
                        // both passed the check before either committed).
                        Err(e) => match StoreError::from(e) {
                            StoreError::Conflict(_) => match self.submission(&s.instance_id).await? {
                                Some(kept) => Ok(Taken::Exists(Box::new(kept))),
                                None => Err(StoreError::Conflict("a submission raced and vanished".into())),
                            },
                            other => Err(other),
                        },
                    }
                }

                async fn submission(&self, instance_id: &str) -> StoreResult<Option<StoredSubmission>> {
                    let row = sqlx::query(&format!("SELECT {SUBMISSION} FROM form_submissions WHERE instance_id = $1"))
                        .bind(instance_id)
                        .fetch_optional(&self.pool)
                        .await?;
                    let Some(row) = row else { return Ok(None) };
                    let mut kept = submission(&row)?;
                    kept.parts = self.parts_of(instance_id).await?;
                    Ok(Some(kept))
                }

                async fn submissions_of(&self, user_id: uuid::Uuid, limit: i64) -> StoreResult<Vec<StoredSubmission>> {
                    let rows = sqlx::query(&format!("SELECT {SUBMISSION} FROM form_submissions WHERE user_id = $1 ORDER BY received_at DESC, instance_id LIMIT $2"))
                        .bind(<$id>::from(user_id))
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await?;
                    let mut all: Vec<StoredSubmission> = rows.iter().map(submission).collect::<StoreResult<_>>()?;
                    for s in &mut all {
                        s.parts = self.parts_of(&s.instance_id).await?;
                    }
                    Ok(all)
                }

                async fn parts_filed_as(&self, reference: &str) -> StoreResult<Vec<StoredPart>> {
                    let rows = sqlx::query(&format!("SELECT {PART} FROM form_parts WHERE reference = $1"))
                        .bind(reference)
                        .fetch_all(&self.pool)
                        .await?;
                    rows.iter().map(part).collect()
                }

                async fn move_part(
                    &self,
                    reference: &str,
                    from: &str,
                    to: &str,
                    reason: Option<&str>,
                    case_number: Option<&str>,
                    at: chrono::DateTime<chrono::Utc>,
                ) -> StoreResult<bool> {
                    let _gate = self.write_gate().await;
                    let done = sqlx::query("UPDATE form_parts SET status = $3, reason = $4, case_number = COALESCE(case_number, $5), updated_at = $6 WHERE reference = $1 AND status = $2")
                        .bind(reference)
                        .bind(from)
                        .bind(to)
                        .bind(reason)
                        .bind(case_number)
                        .bind(at)
                        .execute(&self.pool)
                        .await?;
                    Ok(done.rows_affected() > 0)
                }
            }
        };
    };
}
pub(crate) use forms_sql;
