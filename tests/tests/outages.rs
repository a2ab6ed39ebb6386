//! Infrastructure outages under load: Redis stopped in the middle of a load, PostgreSQL
//! restarted. These stop and start servers, so they live in a binary of their own (cargo runs
//! test binaries one after another) and run one at a time.

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use zhelikit_domain::paths;

use platform_api::departments::Department;
use serde_json::{json, Value};
use tokio::sync::Mutex;
use zhelikit_e2e::{assert_problem, http, json_of, private_stack, Backend};

/// One outage at a time.
static SERIAL: Mutex<()> = Mutex::const_new(());

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A Redis of this test's own, so stopping it disturbs nothing else.
struct PrivateRedis {
    child: Option<Child>,
}

impl PrivateRedis {
    fn start(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args([
                "--bind",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server on PATH (scripts/test installs it)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "private Redis did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { child: Some(child) }
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

fn access(session: &Value) -> String {
    session["access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn home_screens_keep_working_while_redis_is_down_and_the_cache_returns_with_it() {
    let _one = SERIAL.lock().await;
    let port = free_port();
    let mut redis = PrivateRedis::start(port);
    let stack = private_stack(Backend::Postgres, move |config| {
        config.redis_url = Some(format!("redis://127.0.0.1:{port}"));
    })
    .await;
    let sessions: Vec<String> = {
        let mut s = Vec::new();
        for i in 0..4 {
            s.push(access(
                &stack
                    .login_citizen(&stack.fixtures.citizens[300 + i].userid, "zk-demo-services")
                    .await,
            ));
        }
        s
    };

    // A load of home screens from four users on eight connections for the whole test.
    let (ok, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let stop_at = Instant::now() + Duration::from_secs(4);
    let load: Vec<_> = (0..8)
        .map(|i| {
            let (url, token, ok, failed) = (
                format!("{}{}", stack.bff, paths::HOME),
                sessions[i % 4].clone(),
                ok.clone(),
                failed.clone(),
            );
            tokio::spawn(async move {
                let client = http();
                while Instant::now() < stop_at {
                    match client.get(&url).bearer_auth(&token).send().await {
                        Ok(r) if r.status().is_success() => ok.fetch_add(1, Ordering::Relaxed),
                        _ => failed.fetch_add(1, Ordering::Relaxed),
                    };
                }
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_secs(1)).await;
    redis.stop();
    let served_before_outage = ok.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        ok.load(Ordering::Relaxed) > served_before_outage,
        "screens kept coming while Redis was down"
    );
    for task in load {
        task.await.unwrap();
    }
    assert_eq!(
        failed.load(Ordering::Relaxed),
        0,
        "no request failed ({} succeeded)",
        ok.load(Ordering::Relaxed)
    );

    // Redis comes back: the cache works again without restarting the BFF.
    let _redis_again = PrivateRedis::start(port);
    let fresh_user = access(
        &stack
            .login_citizen(&stack.fixtures.citizens[310].userid, "zk-demo-services")
            .await,
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (status, _) = stack.get_authed(paths::HOME, &fresh_user).await;
        assert_eq!(status, 200);
        let before = stack
            .mock
            .state
            .department_requests(Department::PublicSecurity);
        let (status, _) = stack.get_authed(paths::HOME, &fresh_user).await;
        assert_eq!(status, 200);
        if stack
            .mock
            .state
            .department_requests(Department::PublicSecurity)
            == before
        {
            break; // served from the cache again
        }
        assert!(Instant::now() < deadline, "the cache never came back");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn pg_ctl(action: &str) {
    let bindir = std::env::var("ZK_PG_BINDIR").expect("ZK_PG_BINDIR (set by scripts/test)");
    let data = std::env::var("ZK_PG_DATA").expect("ZK_PG_DATA (set by scripts/test)");
    let port = std::env::var("ZK_PG_PORT").expect("ZK_PG_PORT (set by scripts/test)");
    let dir = std::env::var("ZK_SERVICES_DIR").expect("ZK_SERVICES_DIR (set by scripts/test)");
    let options = format!(
        "-p {port} -c listen_addresses=127.0.0.1 -k {dir} -c max_connections=300 -c fsync=off"
    );
    let mut args = vec![
        "-D".to_string(),
        data,
        "-w".into(),
        "-t".into(),
        "60".into(),
        "-m".into(),
        "fast".into(),
    ];
    if action == "start" {
        args.extend(["-o".into(), options, "-l".into(), format!("{dir}/pg.log")]);
    }
    args.push(action.into());
    // The cluster belongs to the postgres user; as root, act as it.
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0"))
        .unwrap_or(false);
    let status = if is_root {
        Command::new("runuser")
            .args(["-u", "postgres", "--", &format!("{bindir}/pg_ctl")])
            .args(&args)
            .status()
    } else {
        Command::new(format!("{bindir}/pg_ctl"))
            .args(&args)
            .status()
    }
    .expect("pg_ctl");
    assert!(status.success(), "pg_ctl {action} failed");
}

#[tokio::test]
async fn requests_needing_postgres_fail_cleanly_during_a_restart_and_recover_without_restarting_the_bff(
) {
    let _one = SERIAL.lock().await;
    let stack = private_stack(Backend::Postgres, |_| {}).await;
    let session = stack
        .login_citizen(&stack.fixtures.citizens[400].userid, "zk-demo-services")
        .await;

    pg_ctl("stop");
    let outcome = std::panic::AssertUnwindSafe(async {
        let (status, problem) = json_of(
            http()
                .get(format!("{}{}", stack.bff, paths::READYZ))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_problem(status, &problem, 503, "storage_unavailable");
        let (status, problem) = stack
            .post(
                paths::REFRESH,
                json!({"refresh_token": session["refresh_token"]}),
            )
            .await;
        assert_problem(status, &problem, 503, "storage_unavailable");
        assert!(
            !problem["detail"].as_str().unwrap().contains("connection"),
            "no database detail leaks: {problem}"
        );
    });
    let during = futures_catch(outcome).await;
    pg_ctl("start");
    during.expect("the outage was answered cleanly");

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if http()
            .get(format!("{}{}", stack.bff, paths::READYZ))
            .send()
            .await
            .unwrap()
            .status()
            .is_success()
        {
            break;
        }
        assert!(Instant::now() < deadline, "readiness never recovered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The refresh token was not spent by the failed attempt.
    let (status, next) = stack
        .post(
            paths::REFRESH,
            json!({"refresh_token": session["refresh_token"]}),
        )
        .await;
    assert_eq!(status, 200, "{next}");
}

/// Runs `f`, turning a panic into an error so the database is restarted before the test fails.
async fn futures_catch<F: std::future::Future<Output = ()>>(
    f: std::panic::AssertUnwindSafe<F>,
) -> Result<(), String> {
    use futures::FutureExt as _;
    f.catch_unwind().await.map_err(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    })
}

/// Redis (the job signals) is killed and restarted empty in the middle of a campaign: the
/// signals in it are lost, the sweeper publishes the jobs again from the table, the workers
/// make their consumer group anew — and every device gets its push once.
#[tokio::test]
async fn a_campaign_survives_redis_restarted_empty_in_its_middle() {
    use zhelikit_e2e::policy::{answered, audience, campaign, received_by_token, settled};
    let _one = SERIAL.lock().await;
    let port = free_port();
    let mut redis = PrivateRedis::start(port);
    let stack = private_stack(Backend::Postgres, move |config| {
        config.redis_url = Some(format!("redis://127.0.0.1:{port}"));
        // 200 a second, so the restart falls in the campaign; lost signals republished soon.
        config.push.quota_per_minute = 12_000;
        config.jobs.republish_after = Duration::from_secs(2);
    })
    .await;
    let audience = audience(&stack, 600, 0).await;
    let (token, id) = campaign(&stack, &audience, "工业企业技术改造补助").await;
    zhelikit_e2e::policy::poll_for(Duration::from_secs(30), || async {
        (received_by_token(&stack, &id).len() >= 100).then_some(())
    })
    .await;
    redis.stop();
    let during = received_by_token(&stack, &id).len();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _redis = PrivateRedis::start(port);
    let d = settled(&stack, &token, &id, Duration::from_secs(90)).await;
    assert!(during < 600, "restarted mid-campaign: {during} sent before");
    assert_eq!(d["pushes_accepted"], 600, "nothing lost: {d}");
    assert_eq!(d["pushes_possibly_doubled"], 0, "no worker died: {d}");
    let got = received_by_token(&stack, &id);
    assert_eq!(got.len(), 600);
    assert!(got.values().all(|n| *n == 1), "each device once");
    assert_eq!(answered(&stack, 200), 600);
}
