//! The push delivery benchmark: a campaign to `devices` devices (two per enterprise, each
//! enterprise an inbox message) written page by page as a campaign writes it and sent through
//! the durable queue (the `push_delivery` jobs, the outlet, the HTTP/2 pool) to the mock FCM on
//! loopback, beside a bare reqwest sender to the same mock in the same run; on SQLite and, when
//! `ZK_TEST_POSTGRES_URL` and `ZK_TEST_REDIS_URL` are set, PostgreSQL + Redis.
//!
//! The mock runs in a process of its own (this binary with `--mock`), so the worker's figures
//! (CPU aside: they share the machine's two cores) and its resident memory are the worker's.
//!
//! ```sh
//! cargo run --profile bench-server -p zhelikit-e2e --bin bench-push -- 1000000 200000
//! ```
//!
//! With `intake [n] [apart]`, 一表通's intake on PostgreSQL (`ZK_TEST_POSTGRES_URL`): `n` finalized
//! submissions of 企业开办一件事 (about 4 KB of answers each, four departments' parts) posted by
//! 32 outboxes at once, each taken once with its parts and delivery jobs; then one sent again
//! 1,000 times (the replay a lost answer causes), beside `GET /healthz` on the same BFF.
//!
//! With `inbox` instead, the inbox sync through the BFF: `GET /v1/inbox?after=0&limit=100` for
//! an enterprise with 100 new messages (each with its reasons, as a campaign writes them),
//! beside `GET /healthz` on the same BFF in the same run (the embedded stack).

use std::io::BufRead as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bff_server::policy::deliveries::{write_page, Nudge};
use bff_server::storage::NewInboxMessage;
use futures::StreamExt as _;
use platform_api::fcm::{AssertionClaims, ServiceAccount, GRANT_TYPE, SCOPE};
use zhelikit_domain::policy::PolicyDraft;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Enterprises per campaign page, as the campaign writes them.
const PAGE: usize = 500;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    match args.get(1).map(String::as_str) {
        Some("--mock") => return runtime.block_on(serve_mock()),
        Some("inbox") => return runtime.block_on(inbox_sync()),
        Some("supervision") => return runtime.block_on(supervision()),
        Some("intake") => {
            let n = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(4_000);
            return runtime.block_on(intake(n));
        }
        Some("--seed") => {
            let (url, devices) = (args.get(2).expect("url"), args.get(3).expect("devices"));
            return runtime.block_on(seed_devices(url, devices.parse().expect("devices")));
        }
        _ => {}
    }
    let devices: usize = args
        .get(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let baseline: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(200_000);
    let quota: u32 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(600_000);
    runtime.block_on(bench(devices, baseline, quota));
}

/// The mock platform, recording nothing (a million pushes are counted, not kept).
async fn serve_mock() {
    let mock = mock_platform::spawn(
        mock_platform::MockConfig {
            seed: 1,
            apps: Vec::new(),
        },
        "127.0.0.1:0".parse().expect("address"),
    )
    .await
    .expect("mock platform");
    mock.state.fcm.faults.set_recording(false);
    println!("{}", mock.base_url);
    std::future::pending::<()>().await;
}

/// The mock's 200 answers so far.
async fn accepted(http: &reqwest::Client, mock: &str) -> u64 {
    let stats: serde_json::Value = match http
        .get(format!("{mock}{}", mock_platform::fcm::STATS_PATH))
        .send()
        .await
    {
        Ok(r) => r.json().await.unwrap_or_default(),
        Err(_) => serde_json::Value::Null,
    };
    stats["answered"]["200"].as_u64().unwrap_or(0)
}

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

async fn bench(devices: usize, baseline: usize, quota: u32) {
    let exe = std::env::current_exe().expect("own path");
    let mut child = std::process::Command::new(exe)
        .arg("--mock")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the mock's process");
    // The mock goes with this process, however it ends.
    struct Reap(std::process::Child);
    impl Drop for Reap {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut line = String::new();
    let stdout = child.stdout.take().expect("stdout");
    let _reap = Reap(child);
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the mock's address");
    let mock = line.trim().to_string();
    let http = reqwest::Client::new();
    let account: ServiceAccount = http
        .get(format!(
            "{mock}{}",
            mock_platform::fcm::SERVICE_ACCOUNT_PATH
        ))
        .send()
        .await
        .expect("key file")
        .json()
        .await
        .expect("a service account");

    println!(
        "# push delivery to the loopback mock FCM, {devices} devices, quota {quota} a minute\n"
    );
    let bare = bare_sender(&http, &mock, &account, baseline).await;
    println!("bare reqwest sender (HTTP/2, 4 connections × 100 streams): {baseline} messages, {bare:.0} msg/s\n");

    let outlet = outlet_only(&mock, &account, baseline, quota).await;
    println!("the FCM channel behind its outlet, no queue (800 at once): {baseline} messages, {outlet:.0} msg/s\n");

    // `ZK_BENCH_BACKENDS=postgres` (or `sqlite`) runs one; PostgreSQL needs its services.
    let only = std::env::var("ZK_BENCH_BACKENDS").unwrap_or_default();
    let services =
        std::env::var("ZK_TEST_POSTGRES_URL").is_ok() && std::env::var("ZK_TEST_REDIS_URL").is_ok();
    let mut rows = Vec::new();
    for (backend, name, available) in [
        (zhelikit_e2e::Backend::Sqlite, "sqlite", true),
        (zhelikit_e2e::Backend::Postgres, "postgres", services),
    ] {
        if available && (only.is_empty() || only == name) {
            rows.push(campaign(&http, &mock, &account, devices, quota, backend).await);
        }
    }
    let again = bare_sender(&http, &mock, &account, baseline).await;
    println!("| backend | campaign (expansion + sends) | written in | sustained msg/s | vs bare | claim→answer p99 | wait+send p99 | worker RSS peak |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let reference = (bare + again) / 2.0;
    for r in &rows {
        println!(
            "| {} | {:.1} s | {:.1} s | {:.0} | {:.0}% | ≤ {} ms | ≤ {} ms | {:.0} MiB |",
            r.backend,
            r.total.as_secs_f64(),
            r.written.as_secs_f64(),
            r.sustained,
            100.0 * r.sustained / reference,
            r.claim_p99_ms,
            r.send_p99_ms,
            r.rss_peak_mib
        );
    }
    println!("\nbare sender again: {again:.0} msg/s (first {bare:.0})");
}

/// `count` pushes through the FCM channel and its outlet (pace, budget, HTTP/2 pool), 800 at
/// once as eight batches would, without the queue or the database. Messages a second.
async fn outlet_only(mock: &str, account: &ServiceAccount, count: usize, quota: u32) -> f64 {
    use zhelikit_push::channels::{fcm::Fcm, h2::H2Pool, Push};
    use zhelikit_push::outlet::{Outlet, Sent};
    use zhelikit_push::pacing::{BudgetSettings, PaceSettings};
    let url = format!("{mock}{}", mock_platform::fcm::FCM_BASE);
    let pool = Arc::new(H2Pool::new(&url, 4, 100, Duration::from_secs(10)).expect("pool"));
    let fcm = Fcm::new(account.clone(), &url, pool, reqwest::Client::new()).expect("channel");
    let pace = PaceSettings::per_minute(quota);
    let outlet = Outlet::new(
        Arc::new(fcm),
        pace,
        BudgetSettings::for_rate(pace.max_per_sec),
        400,
    );
    let started = Instant::now();
    futures::stream::iter(0..count)
        .map(|i| {
            let outlet = &outlet;
            async move {
                let push = Push {
                    token: format!("outlet-{i}"),
                    title: "惠企政策".into(),
                    body: "有一项政策与贵企业匹配".into(),
                    data: [("policy_id".to_string(), "bench".to_string())].into(),
                    collapse_key: "policy-bench".into(),
                };
                assert!(matches!(outlet.send(&push, false).await, Sent::Accepted(_)));
            }
        })
        .buffer_unordered(800)
        .collect::<Vec<()>>()
        .await;
    count as f64 / started.elapsed().as_secs_f64()
}

/// An access token for `account`, exchanged as the FCM channel does.
async fn access_token(http: &reqwest::Client, account: &ServiceAccount) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = AssertionClaims {
        iss: account.client_email.clone(),
        scope: SCOPE.into(),
        aud: account.token_uri.clone(),
        iat: now,
        exp: now + 3_600,
    };
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(account.private_key.as_bytes()).expect("key");
    let assertion = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        &claims,
        &key,
    )
    .expect("assertion");
    let answer: serde_json::Value = http
        .post(&account.token_uri)
        .form(&[("grant_type", GRANT_TYPE), ("assertion", &assertion)])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token JSON");
    answer["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

/// `count` messages straight from reqwest, 400 in flight over four HTTP/2 connections: no
/// queue, no pace, no bookkeeping. Messages a second.
async fn bare_sender(
    http: &reqwest::Client,
    mock: &str,
    account: &ServiceAccount,
    count: usize,
) -> f64 {
    let token = access_token(http, account).await;
    let url = format!(
        "{mock}{}{}",
        mock_platform::fcm::FCM_BASE,
        platform_api::fcm::send_path(&account.project_id)
    );
    let clients: Vec<reqwest::Client> = (0..4)
        .map(|_| {
            reqwest::Client::builder()
                .http2_prior_knowledge()
                .build()
                .expect("client")
        })
        .collect();
    let started = Instant::now();
    futures::stream::iter(0..count)
        .map(|i| {
            let (client, url, token) = (&clients[i % 4], &url, &token);
            async move {
                let body = serde_json::json!({"message": {
                    "token": format!("bare-{i}"),
                    "notification": {"title": "惠企政策", "body": "有一项政策与贵企业匹配"},
                    "data": {"policy_id": "bench", "deep_link": "zhelikit://mini-app/zk-demo-policy/home?policy=bench"},
                    "android": {"collapse_key": "policy-bench", "priority": "normal"}
                }});
                let ok = client
                    .post(url)
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
                assert!(ok, "the bare sender's message was refused");
            }
        })
        .buffer_unordered(400)
        .collect::<Vec<()>>()
        .await;
    count as f64 / started.elapsed().as_secs_f64()
}

struct Row {
    backend: &'static str,
    total: Duration,
    written: Duration,
    sustained: f64,
    claim_p99_ms: String,
    send_p99_ms: String,
    rss_peak_mib: f64,
}

/// A histogram's cumulative bucket counts from the Prometheus text.
fn buckets(text: &str, name: &str) -> Vec<(f64, f64)> {
    let prefix = format!("{name}_bucket{{");
    text.lines()
        .filter(|l| l.starts_with(&prefix))
        .filter_map(|l| {
            let le = l.split("le=\"").nth(1)?.split('"').next()?;
            let le: f64 = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().ok()?
            };
            let count: f64 = l.rsplit(' ').next()?.parse().ok()?;
            Some((le, count))
        })
        .collect()
}

/// What `after` added to `before`, bucket by bucket (cumulative counts).
fn added(before: &[(f64, f64)], after: &[(f64, f64)]) -> Vec<(f64, f64)> {
    after
        .iter()
        .map(|(le, n)| {
            let was = before
                .iter()
                .find(|(b, _)| b == le)
                .map_or(0.0, |(_, c)| *c);
            (*le, n - was)
        })
        .collect()
}

/// The share of what `after` added to `before` under each bucket bound, as `≤5 ms 61.2%, …`.
fn shares(before: &[(f64, f64)], after: &[(f64, f64)]) -> String {
    let delta = added(before, after);
    let total = delta.last().map_or(0.0, |(_, n)| *n).max(1.0);
    delta
        .iter()
        .filter(|(le, _)| le.is_finite() && *le <= 0.25)
        .map(|(le, n)| format!("≤{} ms {:.1}%", le * 1000.0, 100.0 * n / total))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The bucket bound under which 99% of what `after` added to `before` falls, in ms.
fn p99(before: &[(f64, f64)], after: &[(f64, f64)]) -> String {
    let delta = added(before, after);
    let total = delta.last().map_or(0.0, |(_, n)| *n);
    delta
        .iter()
        .find(|(_, n)| *n >= 0.99 * total)
        .map_or("?".into(), |(le, _)| {
            if le.is_infinite() {
                "∞".into()
            } else {
                format!("{}", le * 1000.0)
            }
        })
}

async fn campaign(
    http: &reqwest::Client,
    mock: &str,
    account: &ServiceAccount,
    devices: usize,
    quota: u32,
    backend: zhelikit_e2e::Backend,
) -> Row {
    let (name, database_url, redis_url) = match backend {
        zhelikit_e2e::Backend::Sqlite => {
            let path = std::env::temp_dir().join(format!(
                "zk-bench-push-{}.db",
                uuid::Uuid::new_v4().simple()
            ));
            (
                "SQLite + in-process",
                format!("sqlite:{}", path.display()),
                None,
            )
        }
        zhelikit_e2e::Backend::Postgres => (
            "PostgreSQL + Redis",
            zhelikit_e2e::fresh_postgres_url().await,
            std::env::var("ZK_TEST_REDIS_URL").ok(),
        ),
    };
    let spec = zhelikit_e2e::WorkerSpec {
        platform: mock.to_string(),
        database_url: database_url.clone(),
        redis_url,
        redis_prefix: format!("zk-bench-{}:", uuid::Uuid::new_v4().simple()),
        lease_ms: 60_000,
        push: bff_server::config::PushSettings {
            fcm_account: Some(account.clone()),
            fcm_url: format!("{mock}{}", mock_platform::fcm::FCM_BASE),
            hms: None,
            apns: None,
            apns_url: String::new(),
            quota_per_minute: quota,
            // The batch shape, from the environment the BFF reads it from.
            batch: env_count("ZK_PUSH_BATCH", 100),
            concurrent_batches: env_count("ZK_PUSH_CONCURRENT_BATCHES", 8),
            take_within: std::env::var("ZK_PUSH_TAKE_WITHIN_MS")
                .ok()
                .and_then(|v| v.parse().ok())
                .map(Duration::from_millis),
        },
    };
    let config = spec.config().await;
    println!(
        "{name}: batches of {} devices, {} at once, taken {}",
        config.push.batch,
        config.push.concurrent_batches,
        config
            .push
            .take_within
            .map_or("as slots free up".to_string(), |w| format!(
                "when they would go out within {} ms",
                w.as_millis()
            ))
    );
    let state = bff_server::server::spawn_worker(config)
        .await
        .expect("worker");
    let app: Arc<bff_server::App> = state.0.clone();
    let enterprises = devices.div_ceil(2);
    // Seeded by a process of its own, so its memory is not the worker's.
    let seeded = std::process::Command::new(std::env::current_exe().expect("own path"))
        .args(["--seed", &database_url, &devices.to_string()])
        .status()
        .expect("the seeding process");
    assert!(seeded.success(), "devices not seeded");

    let draft: PolicyDraft = serde_json::from_value(serde_json::json!({
        "title": "科技型中小企业研发费用补助",
        "summary": "对上年度研发投入达到规定比例的科技型中小企业给予补助。",
        "text": "全文",
        "benefit": "最高 50 万元",
        "grant": {"mode": "automatic"},
        "valid_from": "2026-01-01",
        "valid_until": "2026-12-31",
        "criteria": {}
    }))
    .expect("draft");
    let policy_id = format!("pol-bench-{}", uuid::Uuid::new_v4().simple());
    let nudge = Nudge::new(&policy_id, &draft, "zk-demo-policy");
    let metrics = bff_server::http::metrics::handle();
    metrics.run_upkeep();
    let before = metrics.render();

    let base = accepted(http, mock).await;
    let started = Instant::now();
    let writer = {
        let (app, nudge, policy_id) = (app.clone(), nudge.clone(), policy_id.clone());
        tokio::spawn(async move {
            for first in (0..enterprises).step_by(PAGE) {
                let page: Vec<String> = (first..(first + PAGE).min(enterprises))
                    .map(uscc_of)
                    .collect();
                let page = &page[..];
                let messages: Vec<NewInboxMessage> = page
                    .iter()
                    .map(|u| NewInboxMessage {
                        id: format!("msg-{}", uuid::Uuid::new_v4().simple()),
                        uscc: u.clone(),
                        policy_id: policy_id.clone(),
                        message: r#"{"title":"科技型中小企业研发费用补助"}"#.into(),
                        created_at: chrono::Utc::now(),
                    })
                    .collect();
                write_page(
                    &app,
                    &nudge,
                    page.last().map(String::as_str),
                    &messages,
                    page,
                )
                .await
                .expect("a campaign page");
            }
            started.elapsed()
        })
    };
    let (mut at_10, mut at_90) = (None, None);
    let mut rss_peak: f64 = 0.0;
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        rss_peak = rss_peak.max(rss_mib());
        let done = accepted(http, mock).await.saturating_sub(base) as usize;
        if at_10.is_none() && done >= devices / 10 {
            at_10 = Some((Instant::now(), done));
        }
        if at_90.is_none() && done >= devices * 9 / 10 {
            at_90 = Some((Instant::now(), done));
        }
        if done >= devices {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(900),
            "{done} of {devices} after 15 minutes"
        );
    }
    let total = started.elapsed();
    let written = writer.await.expect("writer");
    metrics.run_upkeep();
    let after = metrics.render();
    let sustained = match (at_10, at_90) {
        (Some((t1, n1)), Some((t2, n2))) if t2 > t1 => (n2 - n1) as f64 / (t2 - t1).as_secs_f64(),
        _ => devices as f64 / total.as_secs_f64(),
    };
    // The provider has answered every push; the last outcomes are being recorded.
    let recorded = Instant::now();
    loop {
        let counts = app.store.delivery_counts(&policy_id).await.expect("counts");
        let accepted_rows: i64 = counts
            .by_status
            .iter()
            .filter(|(s, _, _)| s == "accepted")
            .map(|(_, _, n)| n)
            .sum();
        if accepted_rows as usize == devices {
            break;
        }
        assert!(
            recorded.elapsed() < Duration::from_secs(60),
            "{accepted_rows} of {devices} deliveries recorded as accepted"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    state.jobs.stop().await;
    let name_of = "push_claim_to_answer_seconds";
    let send_of = "push_wait_and_send_seconds";
    for of in [name_of, send_of] {
        println!(
            "{of}: {}",
            shares(&buckets(&before, of), &buckets(&after, of))
        );
    }
    Row {
        backend: name,
        total,
        written,
        sustained,
        claim_p99_ms: p99(&buckets(&before, name_of), &buckets(&after, name_of)),
        send_p99_ms: p99(&buckets(&before, send_of), &buckets(&after, send_of)),
        rss_peak_mib: rss_peak,
    }
}

/// `name` from the environment as a count, or `default`.
fn env_count(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The USCC of synthetic enterprise `i`.
fn uscc_of(i: usize) -> String {
    format!("91BENCH{i:011}")
}

/// `devices` FCM devices, two per enterprise, written straight into the table (the
/// database's schema made by the worker first).
async fn seed_devices(database_url: &str, devices: usize) {
    let now = chrono::Utc::now();
    let rows: Vec<(String, String, String, String)> = (0..devices)
        .map(|i| {
            (
                format!("bench-user-{}", i / 2),
                format!("install-{}", i % 2),
                uscc_of(i / 2),
                format!("fcm-bench-{i:08}"),
            )
        })
        .collect();
    const CHUNK: usize = 500;
    let sql = |n: usize| {
        let values: Vec<String> = (0..n)
            .map(|r| {
                let b = r * 4;
                format!(
                    "(${}, ${}, ${}, 'fcm', 'android', ${}, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    n * 4 + 1
                )
            })
            .collect();
        format!(
            "INSERT INTO push_devices (user_id, device_id, uscc, channel, platform, token, updated_at) VALUES {}",
            values.join(", ")
        )
    };
    // The same statements on either pool; then statistics, as autovacuum keeps them for a
    // table in use (without them the planner takes a million freshly loaded rows for a few and
    // scans them all per page).
    macro_rules! load {
        ($pool:expr) => {{
            let pool = $pool;
            for chunk in rows.chunks(CHUNK * 20) {
                let mut tx = pool.begin().await.expect("tx");
                for part in chunk.chunks(CHUNK) {
                    let text = sql(part.len());
                    let mut q = sqlx::query(&text);
                    for (u, d, e, t) in part {
                        q = q.bind(u).bind(d).bind(e).bind(t);
                    }
                    q.bind(now).execute(&mut *tx).await.expect("devices");
                }
                tx.commit().await.expect("commit");
            }
            sqlx::query("ANALYZE push_devices")
                .execute(&pool)
                .await
                .expect("analyze");
        }};
    }
    if database_url.starts_with("sqlite:") {
        load!(sqlx::SqlitePool::connect(database_url)
            .await
            .expect("SQLite"));
    } else {
        load!(sqlx::PgPool::connect(database_url)
            .await
            .expect("PostgreSQL"));
    }
}

/// Median and p99 of `n` timed runs of `f`, in ms.
async fn timed<F, Fut>(n: usize, mut f: F) -> (f64, f64)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut ms = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        f().await;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    (ms[n / 2], ms[(n * 99 / 100).min(n - 1)])
}

async fn inbox_sync() {
    use zhelikit_e2e::policy::{enterprise_session, store_of, verified_enterprises};
    let stack = zhelikit_e2e::stack(zhelikit_e2e::Backend::Sqlite).await;
    let e = verified_enterprises(stack)
        .nth(5)
        .expect("an enterprise")
        .clone();
    let token = enterprise_session(stack, &e).await;
    let body = serde_json::json!({
        "title": "科技型中小企业研发费用补助",
        "summary": "对上年度研发投入达到规定比例的科技型中小企业，按研发投入的一定比例给予补助。",
        "benefit": "按研发投入的 10% 给予补助，最高 50 万元",
        "department": "温州市科学技术局",
        "reasons": [
            {"condition": "region", "met": true, "text": "注册地在鹿城区"},
            {"condition": "industry", "met": true, "text": "所属行业为软件和信息技术服务业"},
            {"condition": "size", "met": true, "text": "企业规模为小型"},
            {"condition": "qualification", "met": true, "text": "持有科技型中小企业资格"}
        ],
        "deep_link": "zhelikit://mini-app/zk-demo-policy/home?policy=p"
    })
    .to_string();
    let messages: Vec<NewInboxMessage> = (0..100)
        .map(|i| NewInboxMessage {
            id: format!("msg-bench-{}-{i}", uuid::Uuid::new_v4().simple()),
            uscc: e.uscc.clone(),
            policy_id: format!("pol-bench-{}-{i}", uuid::Uuid::new_v4().simple()),
            message: body.clone(),
            created_at: chrono::Utc::now(),
        })
        .collect();
    store_of(stack)
        .await
        .insert_inbox_messages(&messages)
        .await
        .expect("messages");
    let http = reqwest::Client::new();
    let inbox = format!(
        "{}{}?after=0&limit=100",
        stack.bff,
        zhelikit_domain::paths::INBOX
    );
    let health = format!("{}/healthz", stack.bff);
    let page: serde_json::Value = http
        .get(&inbox)
        .bearer_auth(&token)
        .send()
        .await
        .expect("inbox")
        .json()
        .await
        .expect("JSON");
    let got = page["messages"].as_array().map_or(0, Vec::len);
    assert_eq!(got, 100, "the inbox holds the 100 messages");
    let bytes = serde_json::to_vec(&page).map_or(0, |b| b.len());
    let (h50, h99) = timed(500, || async {
        let r = http.get(&health).send().await.expect("health");
        r.bytes().await.expect("body");
    })
    .await;
    let (i50, i99) = timed(500, || async {
        let r = http
            .get(&inbox)
            .bearer_auth(&token)
            .send()
            .await
            .expect("inbox");
        r.bytes().await.expect("body");
    })
    .await;
    println!("| request | median | p99 |");
    println!("| --- | ---: | ---: |");
    println!("| GET /healthz (baseline) | {h50:.2} ms | {h99:.2} ms |");
    println!("| GET /v1/inbox, 100 new messages ({bytes} bytes) | {i50:.2} ms | {i99:.2} ms |");
}

/// 一表通's intake on PostgreSQL: throughput of first takes, and the latency of a replay.
async fn intake(n: usize) {
    use serde_json::json;
    // `apart`: the deliveries left to workers deployed apart (`ZK_RUN_JOBS=false`), so the
    // BFF's figures are the intake's alone; otherwise its own workers deliver the parts as
    // they are taken, on the same two cores.
    let apart = std::env::args().any(|a| a == "apart");
    let stack = &zhelikit_e2e::private_stack(zhelikit_e2e::Backend::Postgres, move |c| {
        c.run_jobs = !apart;
    })
    .await;
    let who = &stack.fixtures.citizens[3];
    let session = stack.login_citizen(&who.userid, "zk-demo-services").await;
    let token = session["access_token"].as_str().expect("token").to_string();
    // 企业开办 with a long business scope and ten shareholders: about 4 KB of answers.
    let shareholders: Vec<serde_json::Value> = (0..10)
        .map(|_| json!({"shareholder_name": who.name, "shareholder_id": who.id_number, "contribution": 10_000_000}))
        .collect();
    let answers = json!({
        "enterprise_name": "温州云帆信息科技有限公司", "enterprise_type": "limited",
        "registered_capital": 100_000_000,
        "business_scope": "软件开发；信息技术咨询服务；数据处理和存储支持服务；".repeat(40),
        "province": "330000", "city": "330300", "county": "330302",
        "address": "温州市鹿城区车站大道 1 号",
        "legal_name": who.name, "legal_id": who.id_number, "legal_phone": "13812345678",
        "shareholders": shareholders,
        "taxpayer_type": "small", "invoice_needed": true, "invoice_kinds": ["vat_normal"],
        "seal_kinds": ["official", "finance"], "employee_count": 3, "social_start": "2026-12-01",
        "contact_phone": "13812345678"
    });
    let size = serde_json::to_vec(&answers).map_or(0, |b| b.len());
    let url = format!(
        "{}{}",
        stack.bff,
        zhelikit_domain::paths::FORM_SUBMISSIONS.replace("{form_id}", "enterprise-setup")
    );
    let http = reqwest::Client::new();
    let send = |client: String, seq: u64, instance: String| {
        let (http, url, token, answers) =
            (http.clone(), url.clone(), token.clone(), answers.clone());
        async move {
            let r = http
                .post(&url)
                .bearer_auth(&token)
                .json(
                    &json!({"client_id": client, "seq": seq, "instance_id": instance,
                    "version": 2, "answers": answers}),
                )
                .send()
                .await
                .expect("intake");
            r.status().as_u16()
        }
    };
    // Warm: the form loaded, the connection pools filled.
    assert_eq!(
        send(
            format!("warm-{}", uuid::Uuid::new_v4()),
            1,
            format!("uuid:{}", uuid::Uuid::new_v4())
        )
        .await,
        201
    );
    const OUTBOXES: usize = 32;
    let started = Instant::now();
    let streams = (0..OUTBOXES).map(|o| {
        let send = &send;
        async move {
            let client = format!("bench-{o}-{}", uuid::Uuid::new_v4().simple());
            let mut taken = 0;
            for seq in 1..=(n / OUTBOXES) as u64 {
                if send(
                    client.clone(),
                    seq,
                    format!("uuid:{}", uuid::Uuid::new_v4()),
                )
                .await
                    == 201
                {
                    taken += 1;
                }
            }
            taken
        }
    });
    let taken: usize = futures::future::join_all(streams).await.into_iter().sum();
    let took = started.elapsed().as_secs_f64();
    assert_eq!(taken, n / OUTBOXES * OUTBOXES, "every submission taken");
    // A replay: the same instance, the same body, answered with the first answer.
    let client = format!("replay-{}", uuid::Uuid::new_v4().simple());
    let instance = format!("uuid:{}", uuid::Uuid::new_v4());
    assert_eq!(send(client.clone(), 1, instance.clone()).await, 201);
    let (r50, r99) = timed(1_000, || {
        let f = send(client.clone(), 1, instance.clone());
        async move { assert_eq!(f.await, 200) }
    })
    .await;
    let health = format!("{}/healthz", stack.bff);
    let (h50, h99) = timed(1_000, || async {
        http.get(&health)
            .send()
            .await
            .expect("health")
            .bytes()
            .await
            .expect("body");
    })
    .await;
    println!(
        "intake on PostgreSQL ({}): {taken} submissions of {size} bytes of answers by {OUTBOXES} outboxes in {took:.2} s = {:.0}/s",
        if apart { "deliveries by workers apart" } else { "the BFF's own workers delivering" },
        taken as f64 / took
    );
    println!("| request | median | p99 |");
    println!("| --- | ---: | ---: |");
    println!("| GET /healthz (baseline) | {h50:.2} ms | {h99:.2} ms |");
    println!("| a replay (the same instance again → 200, the first answer) | {r50:.2} ms | {r99:.2} ms |");
}

/// 政务督查 on PostgreSQL: the city-wide dashboard over 10,000 open tasks in 500 units, and
/// 10,000 reminders falling due in the same minute, each sent once.
async fn supervision() {
    use bff_server::storage::{StoredEvent, StoredItem, StoredNotice, StoredTask};
    use mock_platform::fixtures::{CONTACT_TITLE, SUPERVISION_OFFICE_NAME};
    use serde_json::json;
    let stack = &zhelikit_e2e::private_stack(zhelikit_e2e::Backend::Postgres, |_| {}).await;
    let store = stack.app().store.clone();
    let f = &stack.fixtures;
    let office = f
        .organisations
        .iter()
        .find(|o| o.name == SUPERVISION_OFFICE_NAME)
        .expect("the office");
    let clerk = f.officials_in(&office.code).last().expect("a clerk");
    let mayor = f
        .officials_in(&f.root_organisation().expect("root").code)
        .next()
        .expect("the mayor")
        .clone();
    let session = stack
        .login_official(clerk.account_id, "zk-demo-supervision")
        .await;
    let token = session["access_token"].as_str().expect("token").to_string();
    let now = stack.app().clock.now();
    let today = stack.app().clock.today();
    let draft = json!({"title": "基准事项", "source_kind": "meeting", "source": "基准", "owner": mayor.employee_code,
        "due": zhelikit_domain::policy::format_day(today + 60), "priority": "normal",
        "indicators": [{"key": "investment", "name": "投资完成额", "unit": "亿元", "kind": "decimal", "target": 100}]})
    .to_string();
    let item = |n: usize, title: &str| StoredItem {
        id: format!("ibench{n:010}"),
        request_key: format!("bench:{title}:{n}"),
        mini_app_id: "zk-demo-supervision".into(),
        title: format!("{title} {n}"),
        draft: draft.clone(),
        owner: mayor.employee_code.clone(),
        owner_name: mayor.name.clone(),
        due_day: today + 60,
        priority: "normal".into(),
        status: "active".into(),
        created_by: clerk.employee_code.clone(),
        created_at: now,
    };
    let event = |item: &str| StoredEvent {
        item_id: item.into(),
        task_id: None,
        actor: "bench".into(),
        actor_name: "基准".into(),
        action: "dispatch".into(),
        detail: "基准".into(),
        at: now,
    };
    let task =
        |item: &str, n: usize, unit: &str, unit_name: &str, due: i64, done: bool| StoredTask {
            id: format!("tbench{n:010}"),
            item_id: item.into(),
            parent_id: None,
            unit_code: unit.into(),
            unit_name: unit_name.into(),
            content: "基准任务".into(),
            due_day: due,
            targets: r#"[{"key":"investment","target":0.2}]"#.into(),
            reported: if n % 3 == 0 {
                r#"{"investment":0.1}"#.into()
            } else {
                "{}".into()
            },
            status: if done { "done".into() } else { "open".into() },
            done_day: done.then_some(due - 1),
            reports: 0,
            created_at: now,
            updated_at: now,
        };

    // 1. 10,000 open tasks (and 2,000 done) in 500 units, over 1,000 items; some overdue.
    let seeded = Instant::now();
    for i in 0..1_000 {
        let it = item(i, "基准看板");
        store.insert_item(&it, &event(&it.id)).await.expect("item");
        let tasks: Vec<StoredTask> = (0..12)
            .map(|j| {
                let n = i * 12 + j;
                let unit = n % 500;
                let due = today - 10 + (n % 40) as i64;
                task(
                    &it.id,
                    n,
                    &format!("bench-unit-{unit:03}"),
                    &format!("基准单位{unit:03}"),
                    due,
                    j >= 10,
                )
            })
            .collect();
        store
            .insert_tasks(None, &tasks, &[], &[], &[])
            .await
            .expect("tasks");
    }
    println!(
        "seeded 12,000 tasks in {:.1} s",
        seeded.elapsed().as_secs_f64()
    );
    let http = reqwest::Client::new();
    let dashboard = format!(
        "{}{}",
        stack.bff,
        zhelikit_domain::paths::SUPERVISION_DASHBOARD
    );
    let me = format!("{}{}", stack.bff, zhelikit_domain::paths::ME);
    let figures: serde_json::Value = http
        .get(&dashboard)
        .bearer_auth(&token)
        .send()
        .await
        .expect("dashboard")
        .json()
        .await
        .expect("JSON");
    assert!(
        figures["totals"]["open"].as_u64().unwrap_or(0) >= 10_000,
        "{}",
        figures["totals"]
    );
    assert!(figures["units"].as_array().map_or(0, Vec::len) >= 500);
    let (b50, b99) = timed(200, || async {
        http.get(&me)
            .bearer_auth(&token)
            .send()
            .await
            .expect("me")
            .bytes()
            .await
            .expect("body");
    })
    .await;
    let (d50, d99) = timed(50, || async {
        http.get(&dashboard)
            .bearer_auth(&token)
            .send()
            .await
            .expect("dashboard")
            .bytes()
            .await
            .expect("body");
    })
    .await;
    println!("| request | median | p99 |");
    println!("| --- | ---: | ---: |");
    println!("| GET /v1/me (baseline) | {b50:.2} ms | {b99:.2} ms |");
    println!(
        "| GET /v1/supervision/dashboard, {} open tasks in {} units | {d50:.2} ms | {d99:.2} ms |",
        figures["totals"]["open"],
        figures["units"].as_array().map_or(0, Vec::len)
    );

    // 2. 10,000 reminders falling due in the same minute, to the contacts of the real units.
    let units: Vec<(String, String)> = f
        .organisations
        .iter()
        .filter(|o| {
            f.officials_in(&o.code)
                .any(|p| p.job_title == CONTACT_TITLE)
        })
        .map(|o| (o.code.clone(), o.name.clone()))
        .collect();
    let due_at = now + chrono::Duration::seconds(40);
    for i in 0..100 {
        let it = item(10_000 + i, "基准提醒");
        store.insert_item(&it, &event(&it.id)).await.expect("item");
        let tasks: Vec<StoredTask> = (0..100)
            .map(|j| {
                let n = 1_000_000 + i * 100 + j;
                let (code, name) = &units[n % units.len()];
                task(&it.id, n, code, name, today + 3, false)
            })
            .collect();
        let notices: Vec<StoredNotice> = tasks
            .iter()
            .map(|t| StoredNotice {
                id: format!("sv-{}-due_soon", t.id),
                item_id: it.id.clone(),
                task_id: t.id.clone(),
                nudge: "due_soon".into(),
                note: None,
                due_at,
                status: "scheduled".into(),
                title: None,
                receivers: "[]".into(),
                sent_at: None,
            })
            .collect();
        let jobs: Vec<_> = notices
            .iter()
            .map(|n| {
                let mut job =
                    bff_server::jobs::Job::new("supervision.nudge", &json!({"notice": n.id}));
                job.run_at = Some(due_at);
                job.max_attempts = 200;
                job.dedupe_key = Some(format!("supervision.nudge:{}", n.id));
                job.row_at(now)
            })
            .collect();
        store
            .insert_tasks(None, &tasks, &[], &notices, &jobs)
            .await
            .expect("reminders");
    }
    let wait = (due_at - stack.app().clock.now())
        .to_std()
        .unwrap_or_default();
    println!("10,000 reminders due in {:.1} s", wait.as_secs_f64());
    tokio::time::sleep(wait).await;
    let started = Instant::now();
    let count = |status: &'static str| {
        let url = stack.app().config.database_url.clone();
        async move {
            let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&url)
                .await
                .expect("db");
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM supervision_notices WHERE status = $1 AND id LIKE 'sv-tbench%'")
                .bind(status)
                .fetch_one(&mut conn)
                .await
                .expect("count");
            n
        }
    };
    let mut sent = 0;
    let mut at_minute = None;
    while started.elapsed() < Duration::from_secs(300) {
        sent = count("sent").await;
        if at_minute.is_none() && started.elapsed() >= Duration::from_secs(60) {
            at_minute = Some(sent);
        }
        if sent >= 10_000 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let took = started.elapsed().as_secs_f64();
    let all: serde_json::Value = http
        .get(format!("{}/__admin/zzd/sent", stack.platform))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON");
    let messages = all["notifications"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    let ours: Vec<&serde_json::Value> = messages
        .iter()
        .filter(|m| {
            m["bizMsgId"]
                .as_str()
                .is_some_and(|b| b.starts_with("sv-tbench"))
        })
        .collect();
    let twice = ours
        .iter()
        .filter(|m| m["asked"].as_u64() != Some(1))
        .count();
    let todos = all["todos"].as_array().map_or(0, |t| {
        t.iter()
            .filter(|t| {
                t["bizTaskId"]
                    .as_str()
                    .is_some_and(|b| b.starts_with("sv-tbench"))
            })
            .count()
    });
    println!(
        "reminders: {sent} of 10,000 sent in {took:.1} s ({:.0}/s); within the minute: {}; 浙政钉 received {} notifications ({} asked more than once), {} to-dos",
        sent as f64 / took,
        at_minute.map_or_else(|| sent.to_string(), |n| n.to_string()),
        ours.len(),
        twice,
        todos
    );
}
