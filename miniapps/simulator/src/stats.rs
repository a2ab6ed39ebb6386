//! `zhelikit-miniapp stats`: a mini-app's page views and events, as its owner reads them from
//! the BFF (`GET /v1/analytics/mini-apps/{id}/report`, signed IRS-style with the mini-app's
//! registration keys), and the table the CLI prints.

use platform_api::irs::{self, Credentials};
use zhelikit_domain::analytics::AnalyticsReport;
use zhelikit_domain::api::Problem;
use zhelikit_domain::paths;

/// The report of `mini_app_id` over `from..=to` (`YYYY-MM-DD`) from the BFF at `bff`, signed
/// with `keys`. An error is the BFF's problem `detail` (zh-CN), or why it could not be reached.
pub async fn fetch_report(
    bff: &str,
    mini_app_id: &str,
    keys: &Credentials,
    from: &str,
    to: &str,
) -> Result<AnalyticsReport, String> {
    let path = paths::analytics_report(mini_app_id);
    let query = format!("from={from}&to={to}");
    let mut request =
        reqwest::Client::new().get(format!("{}{path}?{query}", bff.trim_end_matches('/')));
    for (name, value) in irs::sign(keys, "GET", &path, &query, chrono::Utc::now()) {
        request = request.header(name, value);
    }
    let answer = request
        .send()
        .await
        .map_err(|e| format!("连不上 BFF {bff}：{e}"))?;
    let status = answer.status();
    let body = answer.bytes().await.map_err(|e| e.to_string())?;
    if status.is_success() {
        serde_json::from_slice(&body).map_err(|e| format!("BFF 的回答无法解析：{e}"))
    } else {
        Err(match serde_json::from_slice::<Problem>(&body) {
            Ok(p) => format!("{}（{}）", p.detail, p.code),
            Err(_) => format!("BFF 回答 HTTP {status}"),
        })
    }
}

/// The report as the CLI prints it: days, pages, events.
pub fn render(report: &AnalyticsReport) -> String {
    let mut out = format!(
        "小程序 {}，{} 至 {}\n\n日期         浏览量  访客数\n",
        report.mini_app_id, report.from, report.to
    );
    for d in &report.days {
        out.push_str(&format!("{}  {:>6}  {:>6}\n", d.day, d.views, d.visitors));
    }
    let ms = |v: Option<u64>| v.map_or_else(|| "-".to_string(), |v| v.to_string());
    out.push_str("\n页面                 浏览量  访客数  平均加载(毫秒)  平均停留(毫秒)\n");
    if report.pages.is_empty() {
        out.push_str("（无）\n");
    }
    for p in &report.pages {
        let page = if p.page_id.is_empty() {
            "（未注明）"
        } else {
            &p.page_id
        };
        out.push_str(&format!(
            "{page:<20} {:>6}  {:>6}  {:>14}  {:>14}\n",
            p.views,
            p.visitors,
            ms(p.avg_load_ms),
            ms(p.avg_duration_ms)
        ));
    }
    out.push_str("\n事件                 类型    次数\n");
    if report.events.is_empty() {
        out.push_str("（无）\n");
    }
    for e in &report.events {
        out.push_str(&format!(
            "{:<20} {:<6} {:>6}\n",
            e.code,
            e.kind.as_str(),
            e.count
        ));
    }
    out
}

/// The demo stack's keys for `mini_app_id`: the BFF's demo IRS keys (`ZK_IRS_ACCESS_KEY`,
/// `ZK_IRS_SECRET_KEY`, from the environment or the `demo.env` that `scripts/run` generated)
/// turned into that mini-app's, as the demo stack registers it.
pub fn demo_keys(
    mini_app_id: &str,
    env: impl Fn(&str) -> Option<String>,
    demo_env: Option<&str>,
) -> Option<Credentials> {
    let from_file = |name: &str| {
        demo_env?.lines().find_map(|line| {
            let (key, value) = line.split_once('=')?;
            (key.trim() == name).then(|| value.trim().to_string())
        })
    };
    let get = |name: &str| env(name).or_else(|| from_file(name));
    let base = Credentials {
        access_key: get("ZK_IRS_ACCESS_KEY")?,
        secret_key: get("ZK_IRS_SECRET_KEY")?,
    };
    Some(base.demo_for(mini_app_id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhelikit_domain::analytics::{DayStats, EventKind, EventStats, PageStats};

    #[test]
    fn the_table_shows_every_day_page_and_event() {
        let report = AnalyticsReport {
            mini_app_id: "zk-demo-services".into(),
            from: "2026-12-01".into(),
            to: "2026-12-02".into(),
            days: vec![
                DayStats {
                    day: "2026-12-01".into(),
                    views: 0,
                    visitors: 0,
                },
                DayStats {
                    day: "2026-12-02".into(),
                    views: 12,
                    visitors: 5,
                },
            ],
            pages: vec![PageStats {
                page_id: "home".into(),
                views: 12,
                visitors: 5,
                avg_load_ms: Some(180),
                avg_duration_ms: None,
            }],
            events: vec![EventStats {
                kind: EventKind::Click,
                code: "apply".into(),
                count: 3,
            }],
        };
        let table = render(&report);
        assert!(table.contains("2026-12-02      12       5"), "{table}");
        assert!(table.contains("home"), "{table}");
        assert!(table.contains("180"), "{table}");
        assert!(table.contains("apply"), "{table}");
        assert!(table.contains("CLK"), "{table}");
    }

    #[test]
    fn demo_keys_come_from_the_environment_or_the_demo_file() {
        let file = "ZK_IRS_ACCESS_KEY=ak\nZK_IRS_SECRET_KEY=sk\n";
        let keys = demo_keys("app", |_| None, Some(file)).unwrap();
        assert_eq!(keys.access_key, "ak.app");
        let from_env = demo_keys(
            "app",
            |n| (n == "ZK_IRS_SECRET_KEY").then(|| "other".to_string()),
            Some(file),
        )
        .unwrap();
        assert_ne!(from_env.secret_key, keys.secret_key);
        assert!(demo_keys("app", |_| None, None).is_none());
    }
}
