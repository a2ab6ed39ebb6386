//! ZwLog analytics' storage (埋点): the batches counted (so each counts once), the counts per
//! mini-app, day, page, kind and event code, and the day's visitor pseudonyms.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use zhelikit_domain::analytics::EventKind;

use super::StoreResult;

/// Events of one kind and code on one page and day, summed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// `YYYY-MM-DD`, China Standard Time.
    pub day: String,
    /// The page; empty when the mini-app named none.
    pub page_id: String,
    /// What happened.
    pub kind: EventKind,
    /// The event code; empty for page views.
    pub code: String,
    /// How many.
    pub count: i64,
    /// Sum of the load times reported, in milliseconds, and how many reported one.
    pub load_ms_sum: i64,
    /// How many views reported a load time.
    pub load_n: i64,
    /// Sum of the times on the page reported, in milliseconds.
    pub duration_ms_sum: i64,
    /// How many views reported a time on the page.
    pub duration_n: i64,
}

/// A visitor of a page on a day, as a pseudonym valid for that mini-app and day only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visit {
    /// `YYYY-MM-DD`.
    pub day: String,
    /// The page.
    pub page_id: String,
    /// The pseudonym.
    pub visitor: String,
}

/// Distinct visitors of a page (or, with `page_id` `None`, of the mini-app) on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitorCount {
    /// `YYYY-MM-DD`.
    pub day: String,
    /// The page, or the whole mini-app.
    pub page_id: Option<String>,
    /// How many.
    pub visitors: i64,
}

/// What analytics keeps.
#[async_trait]
pub trait AnalyticsStore: Send + Sync {
    /// Counts batch `batch_id` of `mini_app_id` — adds its tallies and visits — in one
    /// transaction, unless that batch was counted before. Returns false (and changes nothing)
    /// for a batch seen before.
    async fn count_analytics_batch(
        &self,
        mini_app_id: &str,
        batch_id: &str,
        tallies: &[Tally],
        visits: &[Visit],
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// The tallies of `mini_app_id` on the days `from..=to`.
    async fn analytics_tallies(
        &self,
        mini_app_id: &str,
        from: &str,
        to: &str,
    ) -> StoreResult<Vec<Tally>>;
    /// Distinct visitors of `mini_app_id` on the days `from..=to`: per page and day, and per day
    /// over all pages (`page_id` `None`).
    async fn analytics_visitors(
        &self,
        mini_app_id: &str,
        from: &str,
        to: &str,
    ) -> StoreResult<Vec<VisitorCount>>;
}

/// The kind as stored.
pub(crate) fn kind_from_db(text: &str) -> StoreResult<EventKind> {
    EventKind::parse(text)
        .ok_or_else(|| super::StoreError::Corrupt(format!("analytics kind {text:?}")))
}

/// Implements [`AnalyticsStore`] for a backend; the SQL is the same on both.
macro_rules! analytics_sql {
    ($store:ty) => {
        const _: () = {
            use sqlx::Row as _;
            use $crate::storage::analytics::*;
            use $crate::storage::StoreResult;

            #[async_trait::async_trait]
            impl AnalyticsStore for $store {
                async fn count_analytics_batch(
                    &self,
                    mini_app_id: &str,
                    batch_id: &str,
                    tallies: &[Tally],
                    visits: &[Visit],
                    now: chrono::DateTime<chrono::Utc>,
                ) -> StoreResult<bool> {
                    // The batch's row first: on SQLite the write takes the lock at once, and a
                    // batch counted before stops here.
                    let mut tx = self.pool.begin().await?;
                    let fresh = sqlx::query(
                        "INSERT INTO analytics_batches (mini_app_id, batch_id, received_at) VALUES ($1, $2, $3) \
                         ON CONFLICT (mini_app_id, batch_id) DO NOTHING",
                    )
                    .bind(mini_app_id)
                    .bind(batch_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                        == 1;
                    if !fresh {
                        tx.rollback().await?;
                        return Ok(false);
                    }
                    for t in tallies {
                        sqlx::query(
                            "INSERT INTO analytics_counts (mini_app_id, day, page_id, kind, code, count, \
                             load_ms_sum, load_n, duration_ms_sum, duration_n) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                             ON CONFLICT (mini_app_id, day, page_id, kind, code) DO UPDATE SET \
                             count = analytics_counts.count + excluded.count, \
                             load_ms_sum = analytics_counts.load_ms_sum + excluded.load_ms_sum, \
                             load_n = analytics_counts.load_n + excluded.load_n, \
                             duration_ms_sum = analytics_counts.duration_ms_sum + excluded.duration_ms_sum, \
                             duration_n = analytics_counts.duration_n + excluded.duration_n",
                        )
                        .bind(mini_app_id)
                        .bind(&t.day)
                        .bind(&t.page_id)
                        .bind(t.kind.as_str())
                        .bind(&t.code)
                        .bind(t.count)
                        .bind(t.load_ms_sum)
                        .bind(t.load_n)
                        .bind(t.duration_ms_sum)
                        .bind(t.duration_n)
                        .execute(&mut *tx)
                        .await?;
                    }
                    for v in visits {
                        sqlx::query(
                            "INSERT INTO analytics_visitors (mini_app_id, day, page_id, visitor, at) VALUES ($1, $2, $3, $4, $5) \
                             ON CONFLICT (mini_app_id, day, page_id, visitor) DO NOTHING",
                        )
                        .bind(mini_app_id)
                        .bind(&v.day)
                        .bind(&v.page_id)
                        .bind(&v.visitor)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    }
                    tx.commit().await?;
                    Ok(true)
                }

                async fn analytics_tallies(
                    &self,
                    mini_app_id: &str,
                    from: &str,
                    to: &str,
                ) -> StoreResult<Vec<Tally>> {
                    let rows = sqlx::query(
                        "SELECT day, page_id, kind, code, count, load_ms_sum, load_n, duration_ms_sum, duration_n \
                         FROM analytics_counts WHERE mini_app_id = $1 AND day >= $2 AND day <= $3 \
                         ORDER BY day, page_id, kind, code",
                    )
                    .bind(mini_app_id)
                    .bind(from)
                    .bind(to)
                    .fetch_all(&self.pool)
                    .await?;
                    rows.iter()
                        .map(|r| {
                            Ok(Tally {
                                day: r.try_get("day")?,
                                page_id: r.try_get("page_id")?,
                                kind: kind_from_db(&r.try_get::<String, _>("kind")?)?,
                                code: r.try_get("code")?,
                                count: r.try_get("count")?,
                                load_ms_sum: r.try_get("load_ms_sum")?,
                                load_n: r.try_get("load_n")?,
                                duration_ms_sum: r.try_get("duration_ms_sum")?,
                                duration_n: r.try_get("duration_n")?,
                            })
                        })
                        .collect()
                }

                async fn analytics_visitors(
                    &self,
                    mini_app_id: &str,
                    from: &str,
                    to: &str,
                ) -> StoreResult<Vec<VisitorCount>> {
                    let rows = sqlx::query(
                        "SELECT day, page_id, COUNT(*) AS visitors FROM analytics_visitors \
                         WHERE mini_app_id = $1 AND day >= $2 AND day <= $3 GROUP BY day, page_id \
                         UNION ALL \
                         SELECT day, NULL AS page_id, COUNT(DISTINCT visitor) AS visitors FROM analytics_visitors \
                         WHERE mini_app_id = $1 AND day >= $2 AND day <= $3 GROUP BY day \
                         ORDER BY day",
                    )
                    .bind(mini_app_id)
                    .bind(from)
                    .bind(to)
                    .fetch_all(&self.pool)
                    .await?;
                    rows.iter()
                        .map(|r| {
                            Ok(VisitorCount {
                                day: r.try_get("day")?,
                                page_id: r.try_get("page_id")?,
                                visitors: r.try_get("visitors")?,
                            })
                        })
                        .collect()
                }
            }
        };
    };
}
pub(crate) use analytics_sql;
