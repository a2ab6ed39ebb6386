//! ZwLog analytics (埋点): mini-apps' page views and events, counted per day, and each
//! mini-app's report for its owner.
//!
//! Events come from the phone's core in batches, under the session of the mini-app they are
//! for (the token's audience names it; the page cannot claim another). Each batch is checked
//! and masked again with the shared rules, folded into per-day tallies here (pure, below) and
//! counted in one transaction, once per batch id. The owner reads the report with a request
//! signed like an IRS gateway call with the mini-app's own registration keys: the credentials
//! the platform issued the mini-app's developer, which the BFF already holds.

pub mod events;
pub mod report;

use std::collections::{BTreeMap, HashMap};

use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhelikit_domain::analytics::{
    counted_at, day_of, days_between, AnalyticsError, AnalyticsEvent, AnalyticsReport, DayStats,
    EventKind, EventStats, PageStats,
};
use zhelikit_domain::lang::Text;
use zhelikit_domain::problem_code::ProblemCode;

use crate::app::AppState;
use crate::http::problem::ApiError;
use crate::storage::{Tally, Visit, VisitorCount};

/// Analytics' routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(events::post_events))
        .routes(routes!(report::get_report))
}

/// What analytics refuses.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnalyticsRefusal {
    /// An event or the batch breaks a rule.
    #[error(transparent)]
    Invalid(#[from] AnalyticsError),
    /// The owner's request is not signed with a registration's keys.
    #[error("owner request not signed: {0}")]
    Unsigned(String),
    /// Signed with the keys of another mini-app than the one asked for.
    #[error("signed by {signed_for}, asked for {asked}")]
    NotOwner {
        /// The mini-app whose keys signed.
        signed_for: String,
        /// The mini-app asked for.
        asked: String,
    },
}

impl From<AnalyticsRefusal> for ApiError {
    fn from(e: AnalyticsRefusal) -> Self {
        match e {
            AnalyticsRefusal::Invalid(e) => ApiError::invalid_field(&e.field, e.reason),
            AnalyticsRefusal::Unsigned(reason) => ApiError::new(
                StatusCode::UNAUTHORIZED,
                ProblemCode::OwnerUnauthenticated,
                Text::new(
                    format!("请用小程序登记的 IRS 密钥签名请求：{reason}"),
                    format!("sign the request with the mini-app's registered IRS keys: {reason}"),
                ),
            ),
            AnalyticsRefusal::NotOwner { signed_for, asked } => ApiError::new(
                StatusCode::FORBIDDEN,
                ProblemCode::NotMiniAppOwner,
                Text::new(
                    format!("该签名属于小程序 {signed_for}，不能查看 {asked} 的统计"),
                    format!("the signature is {signed_for}'s; it cannot read {asked}'s figures"),
                ),
            ),
        }
    }
}

/// What a checked batch adds: its tallies and visits, and how many events were too old.
#[derive(Debug, Default, PartialEq)]
pub struct Folded {
    /// Per day, page, kind and code.
    pub tallies: Vec<Tally>,
    /// Page views' visitors, one per day and page.
    pub visits: Vec<Visit>,
    /// Events counted.
    pub counted: u32,
    /// Events too old to count.
    pub too_old: u32,
}

/// Folds checked events into tallies at the server's time `now_ms`; `visitor(day)` is the
/// user's pseudonym for a day. Pure.
pub fn fold(events: &[AnalyticsEvent], now_ms: i64, visitor: impl Fn(&str) -> String) -> Folded {
    let mut tallies: BTreeMap<(String, String, EventKind, String), Tally> = BTreeMap::new();
    let mut visits: BTreeMap<(String, String), Visit> = BTreeMap::new();
    let mut folded = Folded::default();
    for event in events {
        let Some(at) = counted_at(event.at_ms, now_ms) else {
            folded.too_old += 1;
            continue;
        };
        folded.counted += 1;
        let day = day_of(at);
        let key = (
            day.clone(),
            event.page_id.clone(),
            event.kind,
            event.code.clone(),
        );
        let tally = tallies.entry(key).or_insert_with(|| Tally {
            day: day.clone(),
            page_id: event.page_id.clone(),
            kind: event.kind,
            code: event.code.clone(),
            count: 0,
            load_ms_sum: 0,
            load_n: 0,
            duration_ms_sum: 0,
            duration_n: 0,
        });
        tally.count += 1;
        if let Some(ms) = event.load_ms {
            tally.load_ms_sum += i64::from(ms);
            tally.load_n += 1;
        }
        if let Some(ms) = event.duration_ms {
            tally.duration_ms_sum += i64::from(ms);
            tally.duration_n += 1;
        }
        if event.kind == EventKind::PageView {
            visits
                .entry((day.clone(), event.page_id.clone()))
                .or_insert_with(|| Visit {
                    visitor: visitor(&day),
                    day,
                    page_id: event.page_id.clone(),
                });
        }
    }
    folded.tallies = tallies.into_values().collect();
    folded.visits = visits.into_values().collect();
    folded
}

/// The report of `mini_app_id` over `from..=to` from what is stored. Pure.
pub fn build_report(
    mini_app_id: &str,
    from: &str,
    to: &str,
    tallies: &[Tally],
    visitors: &[VisitorCount],
) -> AnalyticsReport {
    let mut days: BTreeMap<String, DayStats> = days_between(from, to)
        .into_iter()
        .map(|day| {
            (
                day.clone(),
                DayStats {
                    day,
                    views: 0,
                    visitors: 0,
                },
            )
        })
        .collect();
    #[derive(Default)]
    struct PageSums {
        views: u64,
        visitors: u64,
        load: (i64, i64),
        duration: (i64, i64),
    }
    let mut pages: HashMap<String, PageSums> = HashMap::new();
    let mut events: HashMap<(EventKind, String), u64> = HashMap::new();
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    for t in tallies {
        if t.kind == EventKind::PageView {
            if let Some(day) = days.get_mut(&t.day) {
                day.views += count(t.count);
            }
            let page = pages.entry(t.page_id.clone()).or_default();
            page.views += count(t.count);
            page.load.0 += t.load_ms_sum;
            page.load.1 += t.load_n;
            page.duration.0 += t.duration_ms_sum;
            page.duration.1 += t.duration_n;
        } else {
            *events.entry((t.kind, t.code.clone())).or_default() += count(t.count);
        }
    }
    for v in visitors {
        match &v.page_id {
            None => {
                if let Some(day) = days.get_mut(&v.day) {
                    day.visitors += count(v.visitors);
                }
            }
            Some(page) => pages.entry(page.clone()).or_default().visitors += count(v.visitors),
        }
    }
    let mean = |(sum, n): (i64, i64)| (n > 0).then(|| count(sum) / count(n));
    let mut pages: Vec<PageStats> = pages
        .into_iter()
        .map(|(page_id, s)| PageStats {
            page_id,
            views: s.views,
            visitors: s.visitors,
            avg_load_ms: mean(s.load),
            avg_duration_ms: mean(s.duration),
        })
        .collect();
    pages.sort_by(|a, b| b.views.cmp(&a.views).then(a.page_id.cmp(&b.page_id)));
    let mut events: Vec<EventStats> = events
        .into_iter()
        .map(|((kind, code), count)| EventStats { kind, code, count })
        .collect();
    events.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then(a.kind.cmp(&b.kind))
            .then(a.code.cmp(&b.code))
    });
    AnalyticsReport {
        mini_app_id: mini_app_id.to_string(),
        from: from.to_string(),
        to: to.to_string(),
        days: days.into_values().collect(),
        pages,
        events,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: EventKind, code: &str, page: &str, at_ms: i64) -> AnalyticsEvent {
        AnalyticsEvent {
            kind,
            code: code.into(),
            page_id: page.into(),
            at_ms,
            load_ms: (kind == EventKind::PageView).then_some(200),
            duration_ms: None,
            logged_in: None,
            params: Default::default(),
        }
    }

    // 2026-12-02 10:00 in Hangzhou.
    const NOW: i64 = 1_796_176_800_000;

    #[test]
    fn a_batch_folds_into_one_tally_per_day_page_and_code_and_one_visit_per_page() {
        let events = [
            event(EventKind::PageView, "", "home", NOW),
            event(EventKind::PageView, "", "home", NOW - 1000),
            event(EventKind::Click, "apply", "home", NOW),
            event(EventKind::PageView, "", "home", NOW - 86_400_000),
            event(EventKind::Click, "apply", "home", NOW - 40 * 86_400_000),
        ];
        let folded = fold(&events, NOW, |day| format!("v-{day}"));
        assert_eq!(folded.counted, 4);
        assert_eq!(folded.too_old, 1);
        let views: Vec<(&str, i64, i64)> = folded
            .tallies
            .iter()
            .filter(|t| t.kind == EventKind::PageView)
            .map(|t| (t.day.as_str(), t.count, t.load_ms_sum))
            .collect();
        assert_eq!(views, [("2026-12-01", 1, 200), ("2026-12-02", 2, 400)]);
        assert_eq!(folded.visits.len(), 2);
        assert_eq!(folded.visits[1].visitor, "v-2026-12-02");
    }

    #[test]
    fn a_report_lists_every_day_and_ranks_pages_and_events() {
        let tally = |day: &str, page: &str, kind, code: &str, count| Tally {
            day: day.into(),
            page_id: page.into(),
            kind,
            code: code.into(),
            count,
            load_ms_sum: count * 100,
            load_n: count,
            duration_ms_sum: 0,
            duration_n: 0,
        };
        let tallies = [
            tally("2026-12-01", "home", EventKind::PageView, "", 3),
            tally("2026-12-01", "detail", EventKind::PageView, "", 5),
            tally("2026-12-01", "home", EventKind::Click, "apply", 2),
            tally("2026-12-01", "home", EventKind::Exposure, "banner", 7),
        ];
        let visitors = [
            VisitorCount {
                day: "2026-12-01".into(),
                page_id: Some("home".into()),
                visitors: 2,
            },
            VisitorCount {
                day: "2026-12-01".into(),
                page_id: None,
                visitors: 2,
            },
        ];
        let r = build_report("app", "2026-11-30", "2026-12-02", &tallies, &visitors);
        assert_eq!(r.days.len(), 3);
        assert_eq!((r.days[1].views, r.days[1].visitors), (8, 2));
        assert_eq!(r.days[0].views, 0);
        assert_eq!(r.pages[0].page_id, "detail");
        assert_eq!(r.pages[1].visitors, 2);
        assert_eq!(r.pages[1].avg_load_ms, Some(100));
        assert_eq!(r.pages[1].avg_duration_ms, None);
        assert_eq!(r.events[0].code, "banner");
        assert_eq!(r.events[1].count, 2);
    }
}
