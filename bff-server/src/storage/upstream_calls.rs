//! The department call record's storage: every call the adapters make (department,
//! operation, latency, outcome, on whose behalf), in batches, for the operators and the audit.

use std::borrow::Cow;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{call_batch, StoreError, StoreResult};

/// One recorded department call.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct UpstreamCall {
    /// When it started.
    pub at: DateTime<Utc>,
    /// e.g. `public_security`. (Labels are `Cow`: the recorder fills them with static names,
    /// without an allocation for each of tens of thousands of calls a second.)
    pub department: Cow<'static, str>,
    /// e.g. `household_register`.
    pub operation: Cow<'static, str>,
    /// How long it took.
    pub latency_ms: i64,
    /// `found`, `not_found`, `timeout`, `status`, `malformed`, `unreachable`, `refused`.
    pub outcome: Cow<'static, str>,
    /// Pseudonymous user id.
    pub on_behalf: String,
}

/// A batch of calls as stored (see [`call_batch`]).
pub(crate) fn calls_to_json(calls: &[UpstreamCall]) -> StoreResult<String> {
    call_batch::encode(calls).map_err(|e| StoreError::Other(e.to_string()))
}

/// The newest `limit` calls of stored batches (given newest batch first), newest first.
pub(crate) fn calls_from_batches(
    batches: Vec<String>,
    limit: i64,
) -> StoreResult<Vec<UpstreamCall>> {
    let mut calls = Vec::new();
    for batch in batches {
        let mut parsed = call_batch::decode(&batch).map_err(StoreError::Corrupt)?;
        parsed.reverse();
        calls.extend(parsed);
        if calls.len() as i64 >= limit {
            break;
        }
    }
    calls.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(calls)
}

/// What the department call record keeps.
#[async_trait]
pub trait UpstreamCallStore: Send + Sync {
    /// Appends department calls, as one batch.
    async fn record_upstream_calls(&self, calls: &[UpstreamCall]) -> StoreResult<()>;
    /// The newest department calls, newest first.
    async fn recent_upstream_calls(&self, limit: i64) -> StoreResult<Vec<UpstreamCall>>;
}

/// Implements [`UpstreamCallStore`] for a backend. A batch is one JSON document; the two
/// statements that differ are how it goes in (`insert`: `$1` the time, `$2` the JSON text) and
/// comes out as text (`select`, a `calls` column; `$1` how many batches).
macro_rules! upstream_calls_sql {
    ($store:ty, insert = $insert:literal, select = $select:literal) => {
        const _: () = {
            use sqlx::Row as _;
            use $crate::storage::upstream_calls::*;
            use $crate::storage::StoreResult;

            #[async_trait::async_trait]
            impl UpstreamCallStore for $store {
                async fn record_upstream_calls(&self, calls: &[UpstreamCall]) -> StoreResult<()> {
                    if calls.is_empty() {
                        return Ok(());
                    }
                    sqlx::query($insert)
                        .bind(chrono::Utc::now())
                        .bind(calls_to_json(calls)?)
                        .execute(&self.pool)
                        .await?;
                    Ok(())
                }

                async fn recent_upstream_calls(
                    &self,
                    limit: i64,
                ) -> StoreResult<Vec<UpstreamCall>> {
                    // A batch holds at most a few thousand calls; the newest batches cover `limit`.
                    let rows = sqlx::query($select)
                        .bind(limit.max(1))
                        .fetch_all(&self.pool)
                        .await?;
                    let batches = rows
                        .iter()
                        .map(|r| r.try_get::<String, _>("calls"))
                        .collect::<Result<Vec<String>, _>>()?;
                    calls_from_batches(batches, limit)
                }
            }
        };
    };
}
pub(crate) use upstream_calls_sql;
