//! 惠企政策's storage: enterprise profiles, policies and each policy's recorded steps.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{NewJob, StoreResult};

/// A profile as kept: the JSON of `zhelikit_domain::policy::EnterpriseProfile` and of its sources.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredProfile {
    /// The matching index's slot for the enterprise, fixed once assigned.
    pub slot: i64,
    /// USCC.
    pub uscc: String,
    /// The profile, JSON.
    pub profile: String,
    /// Where its parts came from, JSON.
    pub sources: String,
    /// When it was built.
    pub built_at: DateTime<Utc>,
}

/// A policy as kept (the draft as JSON of `PolicyDraft`).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPolicy {
    /// Its id.
    pub id: String,
    /// The issuing organisation's 浙政钉 code.
    pub organisation_code: String,
    /// Its name.
    pub department: String,
    /// `draft`, `submitted`, `approved`, `published`, `withdrawn`.
    pub status: String,
    /// The text, JSON.
    pub draft: String,
    /// The drafting official's user id.
    pub drafted_by: String,
    /// Their name.
    pub drafted_by_name: String,
    /// The approving official's name.
    pub approved_by_name: Option<String>,
    /// Bumped by every change.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Published.
    pub published_at: Option<DateTime<Utc>>,
}

/// One recorded step.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPolicyEvent {
    /// `drafted`, `edited`, `submitted` …
    pub action: String,
    /// The official's user id.
    pub actor: String,
    /// Their name.
    pub actor_name: String,
    /// A reason given.
    pub note: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// What profiles and policies are kept in.
#[async_trait]
pub trait PolicyStore: Send + Sync {
    /// Keeps an enterprise's profile (replacing the last) and writes `jobs` in the same
    /// transaction; returns its slot.
    async fn upsert_profile(
        &self,
        uscc: &str,
        profile: &str,
        sources: &str,
        built_at: DateTime<Utc>,
        jobs: &[NewJob],
    ) -> StoreResult<i64>;
    /// One enterprise's profile.
    async fn profile(&self, uscc: &str) -> StoreResult<Option<StoredProfile>>;
    /// Profiles built at or after `since`, oldest first, at most `limit`: how an instance's
    /// matching index catches up with profiles other instances built.
    async fn profiles_since(
        &self,
        since: DateTime<Utc>,
        after_slot: i64,
        limit: i64,
    ) -> StoreResult<Vec<StoredProfile>>;
    /// Keeps a new policy and its first step.
    async fn insert_policy(&self, p: &StoredPolicy, event: &StoredPolicyEvent) -> StoreResult<()>;
    /// Replaces the policy if its version is still `expected_version`, recording the step and
    /// writing its jobs in the same transaction; false (nothing written) when it changed since.
    async fn update_policy(
        &self,
        p: &StoredPolicy,
        expected_version: i64,
        event: &StoredPolicyEvent,
        jobs: &[NewJob],
    ) -> StoreResult<bool>;
    /// One policy.
    async fn policy(&self, id: &str) -> StoreResult<Option<StoredPolicy>>;
    /// A policy's steps, oldest first.
    async fn policy_events(&self, id: &str) -> StoreResult<Vec<StoredPolicyEvent>>;
    /// An organisation's policies, last changed first.
    async fn policies_of(&self, organisation_code: &str) -> StoreResult<Vec<StoredPolicy>>;
    /// Every policy with this status, newest published first.
    async fn policies_with_status(&self, status: &str) -> StoreResult<Vec<StoredPolicy>>;
}

/// Implements [`PolicyStore`] for a backend; the SQL is the same on both.
macro_rules! policies_sql {
    ($store:ty) => {
        const _: () = {
            use $crate::storage::policies::{
                PolicyStore, StoredPolicy, StoredPolicyEvent, StoredProfile,
            };
            use $crate::storage::StoreResult;

            const POLICY: &str = "id, organisation_code, department, status, draft, drafted_by, drafted_by_name, approved_by_name, version, created_at, updated_at, published_at";
            const PROFILE: &str = "slot, uscc, profile, sources, built_at";

            fn policy<R: sqlx::Row>(r: &R) -> StoreResult<StoredPolicy>
            where
                for<'c> &'c str: sqlx::ColumnIndex<R>,
                for<'c> String: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
                for<'c> i64: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
                for<'c> chrono::DateTime<chrono::Utc>:
                    sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
            {
                Ok(StoredPolicy {
                    id: r.try_get("id")?,
                    organisation_code: r.try_get("organisation_code")?,
                    department: r.try_get("department")?,
                    status: r.try_get("status")?,
                    draft: r.try_get("draft")?,
                    drafted_by: r.try_get("drafted_by")?,
                    drafted_by_name: r.try_get("drafted_by_name")?,
                    approved_by_name: r.try_get("approved_by_name")?,
                    version: r.try_get("version")?,
                    created_at: r.try_get("created_at")?,
                    updated_at: r.try_get("updated_at")?,
                    published_at: r.try_get("published_at")?,
                })
            }

            fn profile<R: sqlx::Row>(r: &R) -> StoreResult<StoredProfile>
            where
                for<'c> &'c str: sqlx::ColumnIndex<R>,
                for<'c> String: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
                for<'c> i64: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
                for<'c> chrono::DateTime<chrono::Utc>:
                    sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
            {
                Ok(StoredProfile {
                    slot: r.try_get("slot")?,
                    uscc: r.try_get("uscc")?,
                    profile: r.try_get("profile")?,
                    sources: r.try_get("sources")?,
                    built_at: r.try_get("built_at")?,
                })
            }

            macro_rules! insert_event {
                ($tx:expr, $id:expr, $e:expr) => {
                    sqlx::query("INSERT INTO policy_events (policy_id, seq, action, actor, actor_name, note, at) VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM policy_events WHERE policy_id = $1), $2, $3, $4, $5, $6)")
                        .bind($id)
                        .bind(&$e.action)
                        .bind(&$e.actor)
                        .bind(&$e.actor_name)
                        .bind(&$e.note)
                        .bind($e.at)
                        .execute($tx)
                        .await
                };
            }

            #[async_trait::async_trait]
            impl PolicyStore for $store {
                async fn upsert_profile(
                    &self,
                    uscc: &str,
                    profile: &str,
                    sources: &str,
                    built_at: chrono::DateTime<chrono::Utc>,
                    jobs: &[$crate::storage::NewJob],
                ) -> StoreResult<i64> {
                    let _gate = self.write_gate().await;
                    let mut tx = self.pool.begin().await?;
                    let slot: i64 = sqlx::query_scalar("INSERT INTO enterprise_profiles (uscc, profile, sources, built_at) VALUES ($1, $2, $3, $4) ON CONFLICT (uscc) DO UPDATE SET profile = excluded.profile, sources = excluded.sources, built_at = excluded.built_at RETURNING slot")
                        .bind(uscc)
                        .bind(profile)
                        .bind(sources)
                        .bind(built_at)
                        .fetch_one(&mut *tx)
                        .await?;
                    for job in jobs {
                        $crate::storage::jobs::insert_job!(&mut *tx, job)?;
                    }
                    tx.commit().await?;
                    Ok(slot)
                }

                async fn profile(&self, uscc: &str) -> StoreResult<Option<StoredProfile>> {
                    let row = sqlx::query(&format!("SELECT {PROFILE} FROM enterprise_profiles WHERE uscc = $1"))
                        .bind(uscc)
                        .fetch_optional(&self.pool)
                        .await?;
                    row.as_ref().map(profile).transpose()
                }

                async fn profiles_since(
                    &self,
                    since: chrono::DateTime<chrono::Utc>,
                    after_slot: i64,
                    limit: i64,
                ) -> StoreResult<Vec<StoredProfile>> {
                    let rows = sqlx::query(&format!("SELECT {PROFILE} FROM enterprise_profiles WHERE built_at > $1 OR (built_at = $1 AND slot > $2) ORDER BY built_at, slot LIMIT $3"))
                        .bind(since)
                        .bind(after_slot)
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await?;
                    rows.iter().map(profile).collect()
                }

                async fn insert_policy(&self, p: &StoredPolicy, e: &StoredPolicyEvent) -> StoreResult<()> {
                    let _gate = self.write_gate().await;
                    let mut tx = self.pool.begin().await?;
                    sqlx::query(&format!("INSERT INTO policies ({POLICY}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"))
                        .bind(&p.id)
                        .bind(&p.organisation_code)
                        .bind(&p.department)
                        .bind(&p.status)
                        .bind(&p.draft)
                        .bind(&p.drafted_by)
                        .bind(&p.drafted_by_name)
                        .bind(&p.approved_by_name)
                        .bind(p.version)
                        .bind(p.created_at)
                        .bind(p.updated_at)
                        .bind(p.published_at)
                        .execute(&mut *tx)
                        .await?;
                    insert_event!(&mut *tx, &p.id, e)?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn update_policy(
                    &self,
                    p: &StoredPolicy,
                    expected_version: i64,
                    e: &StoredPolicyEvent,
                    jobs: &[$crate::storage::NewJob],
                ) -> StoreResult<bool> {
                    let _gate = self.write_gate().await;
                    let mut tx = self.pool.begin().await?;
                    let done = sqlx::query("UPDATE policies SET status = $1, draft = $2, approved_by_name = $3, version = $4, updated_at = $5, published_at = $6 WHERE id = $7 AND version = $8")
                        .bind(&p.status)
                        .bind(&p.draft)
                        .bind(&p.approved_by_name)
                        .bind(p.version)
                        .bind(p.updated_at)
                        .bind(p.published_at)
                        .bind(&p.id)
                        .bind(expected_version)
                        .execute(&mut *tx)
                        .await?;
                    if done.rows_affected() != 1 {
                        return Ok(false);
                    }
                    insert_event!(&mut *tx, &p.id, e)?;
                    for job in jobs {
                        $crate::storage::jobs::insert_job!(&mut *tx, job)?;
                    }
                    tx.commit().await?;
                    Ok(true)
                }

                async fn policy(&self, id: &str) -> StoreResult<Option<StoredPolicy>> {
                    let row = sqlx::query(&format!("SELECT {POLICY} FROM policies WHERE id = $1"))
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                    row.as_ref().map(policy).transpose()
                }

                async fn policy_events(&self, id: &str) -> StoreResult<Vec<StoredPolicyEvent>> {
                    let rows = sqlx::query("SELECT action, actor, actor_name, note, at FROM policy_events WHERE policy_id = $1 ORDER BY seq")
                        .bind(id)
                        .fetch_all(&self.pool)
                        .await?;
                    rows.iter()
                        .map(|r| {
                            use sqlx::Row;
                            Ok(StoredPolicyEvent {
                                action: r.try_get("action")?,
                                actor: r.try_get("actor")?,
                                actor_name: r.try_get("actor_name")?,
                                note: r.try_get("note")?,
                                at: r.try_get("at")?,
                            })
                        })
                        .collect()
                }

                async fn policies_of(&self, organisation_code: &str) -> StoreResult<Vec<StoredPolicy>> {
                    let rows = sqlx::query(&format!("SELECT {POLICY} FROM policies WHERE organisation_code = $1 ORDER BY updated_at DESC, id"))
                        .bind(organisation_code)
                        .fetch_all(&self.pool)
                        .await?;
                    rows.iter().map(policy).collect()
                }

                async fn policies_with_status(&self, status: &str) -> StoreResult<Vec<StoredPolicy>> {
                    let rows = sqlx::query(&format!("SELECT {POLICY} FROM policies WHERE status = $1 ORDER BY published_at DESC, id"))
                        .bind(status)
                        .fetch_all(&self.pool)
                        .await?;
                    rows.iter().map(policy).collect()
                }
            }
        };
    };
}
pub(crate) use policies_sql;
