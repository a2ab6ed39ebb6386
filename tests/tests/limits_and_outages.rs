//! What the platform and the world do to a login: expired credentials, a gateway that refuses
//! our signature, a platform that is down, and clients that try too often.

use chrono::Utc;
use platform_api::irs;
use serde_json::{json, Value};
use zhelikit_domain::paths;
use zhelikit_e2e::{assert_problem, http, json_of, private_stack, start_bff, Backend};

#[tokio::test]
async fn an_expired_ticket_and_an_expired_auth_code_are_refused_and_write_no_session() {
    let stack = private_stack(Backend::Sqlite, |_| {}).await;
    let ticket = stack
        .citizen_ticket(&stack.fixtures.citizens[0].userid)
        .await;
    let code = stack
        .auth_code(stack.fixtures.officials[0].account_id)
        .await;
    let audit_before = stack.audit(1000).await.len();
    stack.advance_platform_clock(301).await;

    let (status, problem) = stack
        .post(
            paths::ZLB_TICKET,
            json!({"mini_app_id": "zk-demo-services", "ticket": ticket}),
        )
        .await;
    assert_problem(status, &problem, 401, "ticket_expired");
    let (status, problem) = stack
        .post(
            paths::ZZD_AUTH_CODE,
            json!({"mini_app_id": "zk-demo-supervision", "auth_code": code}),
        )
        .await;
    assert_problem(status, &problem, 401, "auth_code_invalid");

    let new_events = stack.audit(1000).await;
    let new_events = &new_events[..new_events.len() - audit_before];
    assert!(
        new_events.iter().all(|e| e.event == "login_failed"),
        "only failures were recorded: {new_events:?}"
    );

    // Far past the app token's 7200 s: the BFF renews it and the next official still logs in.
    stack.advance_platform_clock(7300).await;
    let code = stack
        .auth_code(stack.fixtures.officials[1].account_id)
        .await;
    let (status, session) = stack
        .post(
            paths::ZZD_AUTH_CODE,
            json!({"mini_app_id": "zk-demo-supervision", "auth_code": code}),
        )
        .await;
    assert_eq!(status, 200, "{session}");
}

async fn gateway_call(
    platform: &str,
    headers: &[(&'static str, String)],
    query: &str,
) -> (u16, Value) {
    let mut request = http().get(format!(
        "{platform}{}?{query}",
        platform_api::zlb::PERSONAL_SSO_PATH
    ));
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.expect("gateway");
    let status = response.status().as_u16();
    (status, response.json().await.expect("gateway envelope"))
}

#[tokio::test]
async fn the_gateway_refuses_a_wrong_signature_a_stale_date_and_an_unknown_key() {
    let stack = private_stack(Backend::Sqlite, |_| {}).await;
    let query = format!(
        "method=ticketValidation&servicecode={}&st=ST-{}&datatype=json",
        stack.app.service_code,
        "0".repeat(32)
    );
    let path = platform_api::zlb::PERSONAL_SSO_PATH;

    let good = irs::sign(&stack.app.irs, "GET", path, &query, Utc::now());
    let (status, body) = gateway_call(&stack.platform, &good, &query).await;
    assert_eq!(
        (status, body["result"].as_i64()),
        (200, Some(6002)),
        "a good signature reaches the API: {body}"
    );

    let wrong = irs::Credentials {
        access_key: stack.app.irs.access_key.clone(),
        secret_key: "not-the-secret".into(),
    };
    let (status, body) = gateway_call(
        &stack.platform,
        &irs::sign(&wrong, "GET", path, &query, Utc::now()),
        &query,
    )
    .await;
    assert_problem(status, &body, 401, "IRS-401-SIGNATURE");

    let stale = irs::sign(
        &stack.app.irs,
        "GET",
        path,
        &query,
        Utc::now() - chrono::Duration::minutes(6),
    );
    let (status, body) = gateway_call(&stack.platform, &stale, &query).await;
    assert_problem(status, &body, 401, "IRS-401-DATE");

    let stranger = irs::Credentials {
        access_key: "who-am-i".into(),
        secret_key: "x".into(),
    };
    let (status, body) = gateway_call(
        &stack.platform,
        &irs::sign(&stranger, "GET", path, &query, Utc::now()),
        &query,
    )
    .await;
    assert_problem(status, &body, 401, "IRS-401-UNKNOWN-KEY");
}

#[tokio::test]
async fn a_bff_whose_gateway_secret_is_wrong_answers_502_and_does_not_spend_a_session() {
    let stack = private_stack(Backend::Sqlite, |_| {}).await;
    let mut config = stack.bff_config().await;
    // The gateway secret of the mini-app's own registration was rotated at the platform.
    config
        .platform
        .registrations
        .get_mut("zk-demo-services")
        .expect("registered")
        .irs
        .secret_key = "rotated-away".into();
    let misconfigured = start_bff(config).await.expect("BFF starts");
    let ticket = stack
        .citizen_ticket(&stack.fixtures.citizens[0].userid)
        .await;
    let response = http()
        .post(format!("{}{}", misconfigured.base_url, paths::ZLB_TICKET))
        .json(&json!({"mini_app_id": "zk-demo-services", "ticket": ticket}))
        .send()
        .await
        .unwrap();
    let (status, problem) = json_of(response).await;
    assert_problem(status, &problem, 502, "platform_credentials_rejected");
    assert!(
        !problem["detail"].as_str().unwrap().contains("rotated-away"),
        "no secret in the answer"
    );

    // The ticket was refused at the gateway, not spent: the correctly configured BFF can use it.
    let (status, session) = stack
        .post(
            paths::ZLB_TICKET,
            json!({"mini_app_id": "zk-demo-services", "ticket": ticket}),
        )
        .await;
    assert_eq!(status, 200, "{session}");
}

#[tokio::test]
async fn an_unreachable_platform_is_a_503_problem() {
    let stack = private_stack(Backend::Sqlite, |_| {}).await;
    let mut config = stack.bff_config().await;
    // A port nothing listens on: bind one, then let it go.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    config.platform.zlb_base_url = format!("http://{closed}");
    let isolated = start_bff(config)
        .await
        .expect("BFF starts without the platform");
    let response = http()
        .post(format!("{}{}", isolated.base_url, paths::ZLB_TICKET))
        .json(
            &json!({"mini_app_id": "zk-demo-services", "ticket": format!("ST-{}", "a".repeat(32))}),
        )
        .send()
        .await
        .unwrap();
    let (status, problem) = json_of(response).await;
    assert_problem(status, &problem, 503, "platform_unavailable");
}

async fn rate_limits(backend: Backend) {
    let stack = private_stack(backend, |config| {
        config.rate_limits.login_per_client = 3;
        config.rate_limits.refresh_per_user = 2;
    })
    .await;
    let mut sessions = Vec::new();
    for i in 0..3 {
        sessions.push(
            stack
                .login_citizen(
                    &stack.fixtures.citizens[10 + i * 10].userid,
                    "zk-demo-services",
                )
                .await,
        );
    }
    let ticket = stack
        .citizen_ticket(&stack.fixtures.citizens[50].userid)
        .await;
    let response = http()
        .post(format!("{}{}", stack.bff, paths::ZLB_TICKET))
        .json(&json!({"mini_app_id": "zk-demo-services", "ticket": ticket}))
        .send()
        .await
        .unwrap();
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    let (status, problem) = json_of(response).await;
    assert_problem(status, &problem, 429, "rate_limited");

    // Per user: the third refresh within the minute is refused, whoever asks.
    let mut token = sessions[0]["refresh_token"].as_str().unwrap().to_string();
    for _ in 0..2 {
        let (status, next) = stack
            .post(paths::REFRESH, json!({"refresh_token": token}))
            .await;
        assert_eq!(status, 200, "{next}");
        token = next["refresh_token"].as_str().unwrap().to_string();
    }
    let (status, problem) = stack
        .post(paths::REFRESH, json!({"refresh_token": token}))
        .await;
    assert_problem(status, &problem, 429, "rate_limited");
}

#[tokio::test]
async fn login_is_limited_per_client_and_refresh_per_user_in_process() {
    rate_limits(Backend::Sqlite).await;
}

#[tokio::test]
async fn login_is_limited_per_client_and_refresh_per_user_in_redis() {
    rate_limits(Backend::Postgres).await;
}

#[tokio::test]
async fn a_logout_on_one_instance_reaches_another_within_a_poll() {
    let stack = private_stack(Backend::Postgres, |_| {}).await;
    // A second BFF on the same PostgreSQL and Redis, as behind a load balancer.
    let second = start_bff(stack.config.clone()).await.expect("second BFF");
    let session = stack
        .login_citizen(&stack.fixtures.citizens[0].userid, "zk-demo-services")
        .await;
    let token = session["access_token"].as_str().unwrap().to_string();
    let me_on_second = || async {
        let response = http()
            .get(format!("{}{}", second.base_url, paths::ME))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        response.status().as_u16()
    };
    assert_eq!(
        me_on_second().await,
        200,
        "a session from one instance works on the other"
    );

    let (status, _) = stack.post_authed(paths::LOGOUT, &token, json!({})).await;
    assert_eq!(status, 204);
    // The other instance learns of it from its next database poll; wait at most 10 s.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if me_on_second().await == 401 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the second instance never learned of the logout"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn bad_logins_write_nothing(backend: Backend) {
    let stack = private_stack(backend, |_| {}).await;
    let citizen = &stack.fixtures.citizens[0];
    let login = |body: Value| stack.post(paths::ZLB_TICKET, body);

    let (status, _) = login(
        json!({"mini_app_id": "zk-demo-services", "ticket": format!("ST-{}", "b".repeat(32))}),
    )
    .await;
    assert_eq!(status, 401, "forged");
    let other = stack.ticket_for(&stack.other_app, &citizen.userid).await;
    let (status, _) = login(json!({"mini_app_id": "zk-demo-services", "ticket": other})).await;
    assert_eq!(status, 401, "other app");
    let (status, _) = login(json!({"mini_app_id": "zk-demo-services"})).await;
    assert_eq!(status, 400, "missing ticket");
    let ticket = stack.citizen_ticket(&citizen.userid).await;
    let (status, _) = login(
        json!({"mini_app_id": "zk-demo-services", "ticket": ticket, "scopes": ["vault.share"]}),
    )
    .await;
    assert_eq!(status, 400, "scope not allowed");
    let low = stack
        .citizen_ticket_for("zk-demo-vault", &stack.fixtures.citizens[1].userid)
        .await;
    let (status, _) = login(json!({"mini_app_id": "zk-demo-vault", "ticket": low})).await;
    assert_eq!(status, 403, "real-name level too low");
    stack.advance_platform_clock(301).await;
    let (status, _) = login(json!({"mini_app_id": "zk-demo-services", "ticket": ticket})).await;
    assert_eq!(status, 401, "expired");

    for table in ["users", "refresh_tokens", "passkeys"] {
        assert_eq!(
            stack.count_rows(table).await,
            0,
            "{table} must stay empty after bad logins"
        );
    }
    let events = stack.audit(100).await;
    assert!(
        !events.is_empty() && events.iter().all(|e| e.event == "login_failed"),
        "{events:?}"
    );
}

#[tokio::test]
async fn bad_logins_write_no_user_and_no_session_in_sqlite() {
    bad_logins_write_nothing(Backend::Sqlite).await;
}

#[tokio::test]
async fn bad_logins_write_no_user_and_no_session_in_postgres() {
    bad_logins_write_nothing(Backend::Postgres).await;
}

#[tokio::test]
async fn readiness_fails_while_the_database_refuses_connections_and_recovers_after() {
    use sqlx::Connection as _;
    let stack = private_stack(Backend::Postgres, |_| {}).await;
    let ready = || async {
        http()
            .get(format!("{}{}", stack.bff, paths::READYZ))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(ready().await, 200);

    let database = stack
        .config
        .database_url
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let admin_url = std::env::var("ZK_TEST_POSTGRES_URL").unwrap();
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
    sqlx::query(&format!(
        "ALTER DATABASE {database} ALLOW_CONNECTIONS false"
    ))
    .execute(&mut admin)
    .await
    .unwrap();
    sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
        .bind(&database)
        .execute(&mut admin)
        .await
        .unwrap();
    let response = http()
        .get(format!("{}{}", stack.bff, paths::READYZ))
        .send()
        .await
        .unwrap();
    let (status, problem) = json_of(response).await;
    assert_problem(status, &problem, 503, "storage_unavailable");

    sqlx::query(&format!("ALTER DATABASE {database} ALLOW_CONNECTIONS true"))
        .execute(&mut admin)
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while ready().await != 200 {
        assert!(
            std::time::Instant::now() < deadline,
            "readiness never recovered"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_refresh_applies_the_mini_apps_current_rules() {
    use sqlx::Connection as _;
    let stack = private_stack(Backend::Sqlite, |_| {}).await;
    let session = stack
        .login_citizen(&stack.fixtures.citizens[2].userid, "zk-demo-services")
        .await; // level 2
    let mut db = sqlx::SqliteConnection::connect(&stack.config.database_url)
        .await
        .unwrap();

    // The operator narrows the mini-app's scopes: the next refresh narrows the session.
    sqlx::query("UPDATE mini_apps SET allowed_scopes = 'profile forms.submit' WHERE id = 'zk-demo-services'").execute(&mut db).await.unwrap();
    let (status, next) = stack
        .post(
            paths::REFRESH,
            json!({"refresh_token": session["refresh_token"]}),
        )
        .await;
    assert_eq!(status, 200, "{next}");
    assert_eq!(next["scopes"], json!(["profile", "forms.submit"]));

    // The operator raises the required real-name level: the next refresh ends the session.
    sqlx::query("UPDATE mini_apps SET min_real_name_level = 3 WHERE id = 'zk-demo-services'")
        .execute(&mut db)
        .await
        .unwrap();
    let (status, problem) = stack
        .post(
            paths::REFRESH,
            json!({"refresh_token": next["refresh_token"]}),
        )
        .await;
    assert_problem(status, &problem, 403, "real_name_level_too_low");
    let (status, _) = stack
        .get_authed(paths::ME, next["access_token"].as_str().unwrap())
        .await;
    assert_eq!(status, 401, "the session is over");
}

#[tokio::test]
async fn a_restarted_bff_still_refuses_a_logged_out_token() {
    let stack = private_stack(Backend::Sqlite, |_| {}).await;
    let session = stack
        .login_citizen(&stack.fixtures.citizens[0].userid, "zk-demo-services")
        .await;
    let token = session["access_token"].as_str().unwrap().to_string();
    let (status, _) = stack.post_authed(paths::LOGOUT, &token, json!({})).await;
    assert_eq!(status, 204);
    // A new process on the same database: it loads recent revocations before serving.
    let restarted = start_bff(stack.config.clone())
        .await
        .expect("restarted BFF");
    let response = http()
        .get(format!("{}{}", restarted.base_url, paths::ME))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
}

/// Hardening #6: a made-up HTTP method is one `other` label, not a Prometheus series each.
#[tokio::test]
async fn made_up_http_methods_do_not_create_metric_series() {
    let stack = private_stack(Backend::Sqlite, |_| {}).await;
    let client = http();
    for i in 0..500 {
        let method = reqwest::Method::from_bytes(format!("ZK{i}").as_bytes()).unwrap();
        client
            .request(method, format!("{}{}", stack.bff, paths::HEALTHZ))
            .send()
            .await
            .expect("request");
    }
    let metrics = client
        .get(format!("{}{}", stack.bff, paths::METRICS))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let methods: std::collections::BTreeSet<&str> = metrics
        .lines()
        .filter(|l| l.starts_with("http_request_duration_seconds_count"))
        .filter_map(|l| l.split("method=\"").nth(1)?.split('"').next())
        .collect();
    assert!(methods.contains("other"), "{methods:?}");
    assert!(
        methods.iter().all(|m| !m.starts_with("ZK")),
        "no series per made-up method: {methods:?}"
    );
    assert!(methods.len() <= 10, "{methods:?}");
}

async fn bogus_login_from(stack: &zhelikit_e2e::Stack, forwarded: &[&str]) -> u16 {
    let mut request = http()
        .post(format!("{}{}", stack.bff, paths::ZLB_TICKET))
        .json(&json!({"mini_app_id": "zk-demo-services", "ticket": "ST-00000000000000000000000000000000"}));
    for line in forwarded {
        request = request.header("x-forwarded-for", *line);
    }
    request.send().await.expect("login").status().as_u16()
}

/// Hardening #7: behind a proxy that appends its own `X-Forwarded-For` line, the client's own
/// line cannot buy it a fresh rate-limit bucket; an IPv6 client's /64 is one bucket; request ids
/// are believed only from trusted proxies.
#[tokio::test]
async fn forwarded_addresses_and_request_ids_are_believed_only_from_trusted_proxies() {
    let stack = private_stack(Backend::Sqlite, |config| {
        config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        config.rate_limits.login_per_client = 2;
    })
    .await;
    // The client writes a different address each time; the proxy appends the real one.
    let statuses = [
        bogus_login_from(&stack, &["1.1.1.1", "198.51.100.7"]).await,
        bogus_login_from(&stack, &["2.2.2.2", "198.51.100.7"]).await,
        bogus_login_from(&stack, &["3.3.3.3", "198.51.100.7"]).await,
    ];
    assert_eq!(statuses, [401, 401, 429], "one client, one bucket");
    let audit = stack.audit(10).await;
    assert!(
        audit
            .iter()
            .all(|e| e.client.as_deref() != Some("3.3.3.3")
                && e.client.as_deref() != Some("1.1.1.1")),
        "the audit names the real client: {audit:?}"
    );
    assert!(audit
        .iter()
        .any(|e| e.client.as_deref() == Some("198.51.100.7")));

    // Two addresses of one IPv6 /64 share a bucket; another /64 has its own.
    let statuses = [
        bogus_login_from(&stack, &["2001:db8:1:2::1"]).await,
        bogus_login_from(&stack, &["2001:db8:1:2:ffff::2"]).await,
        bogus_login_from(&stack, &["2001:db8:1:2:abcd::3"]).await,
        bogus_login_from(&stack, &["2001:db8:9:9::1"]).await,
    ];
    assert_eq!(statuses, [401, 401, 429, 401]);

    // A trusted proxy's request id is kept ...
    let kept = http()
        .get(format!("{}{}", stack.bff, paths::HEALTHZ))
        .header("x-request-id", "proxy-id-1")
        .send()
        .await
        .unwrap();
    assert_eq!(kept.headers()["x-request-id"], "proxy-id-1");
    // ... anyone else's is replaced.
    let plain = private_stack(Backend::Sqlite, |_| {}).await;
    let replaced = http()
        .get(format!("{}{}", plain.bff, paths::HEALTHZ))
        .header("x-request-id", "planted-id")
        .send()
        .await
        .unwrap();
    assert_ne!(replaced.headers()["x-request-id"], "planted-id");
}
