//! Home screens end to end: sections from the departments in parallel, each with its status,
//! whatever the departments do (slow, dead, garbage, hanging), under the screen deadline.

use std::time::{Duration, Instant};
use zhelikit_domain::paths;

use mock_platform::departments::faults::{Fault, FaultMode, Latency};
use mock_platform::fixtures::AuthLevel;
use platform_api::departments::Department;
use serde_json::{json, Value};
use zhelikit_domain::mask;
use zhelikit_e2e::{assert_problem, both_backends, private_stack, Backend, Stack};

both_backends!(
    a_citizen_home_has_five_fresh_sections_with_personal_numbers_masked,
    an_enterprise_home_has_its_registration_credit_and_social_security
);

fn access(session: &Value) -> String {
    session["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

fn section<'a>(home: &'a Value, id: &str) -> &'a Value {
    home["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no section {id} in {home}"))
}

async fn citizen_home(stack: &Stack, index: usize, mini_app: &str) -> (u16, Value) {
    let session = stack
        .login_citizen(&stack.fixtures.citizens[index].userid, mini_app)
        .await;
    stack.get_authed(paths::HOME, &access(&session)).await
}

async fn a_citizen_home_has_five_fresh_sections_with_personal_numbers_masked(stack: &Stack) {
    let citizen = &stack.fixtures.citizens[110];
    let (status, home) = citizen_home(stack, 110, "zk-demo-services").await;
    assert_eq!(status, 200, "{home}");
    assert_eq!(home["kind"], "citizen");
    let ids: Vec<&str> = home["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "household_register",
            "contributions",
            "driving_licence",
            "health_card",
            "education_record"
        ]
    );
    for s in home["sections"].as_array().unwrap() {
        assert_eq!(s["status"], json!({"state": "fresh"}), "{s}");
    }
    let household = &section(&home, "household_register")["data"];
    assert!(
        household["address"].as_str().unwrap().contains('*'),
        "address masked: {household}"
    );
    assert!(
        !home.to_string().contains(&citizen.id_number),
        "no ID number in clear"
    );

    // A vault mini-app (scope vault.read) may show the user's own numbers.
    let (status, vault) = citizen_home(stack, 110, "zk-demo-vault").await;
    assert_eq!(status, 200, "{vault}");
    let licence = &section(&vault, "driving_licence")["data"];
    if !licence.is_null() {
        assert_eq!(licence["licenceNumber"], citizen.id_number.as_str());
    }
    let masked_licence = &section(&home, "driving_licence")["data"];
    if !masked_licence.is_null() {
        assert_eq!(
            masked_licence["licenceNumber"],
            mask::id_number(&citizen.id_number).as_str()
        );
    }

    // Every department call was recorded, on behalf of the pseudonymous user.
    let (_, me) = stack
        .get_authed(
            paths::ME,
            &access(
                &stack
                    .login_citizen(&citizen.userid, "zk-demo-services")
                    .await,
            ),
        )
        .await;
    let user_id = me["user_id"].as_str().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let calls = stack.upstream_calls(10_000).await;
        let mine: Vec<_> = calls.iter().filter(|c| c.on_behalf == user_id).collect();
        if mine.len() >= 5 {
            assert!(mine
                .iter()
                .all(|c| !c.on_behalf.contains(&citizen.id_number)));
            assert!(mine.iter().any(|c| c.department == "public_security"
                && c.operation == "household_register"
                && c.outcome == "found"));
            break;
        }
        assert!(
            Instant::now() < deadline,
            "upstream calls were not recorded: {mine:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn an_enterprise_home_has_its_registration_credit_and_social_security(stack: &Stack) {
    let enterprise = stack
        .fixtures
        .enterprises
        .iter()
        .find(|e| AuthLevel::for_citizen_index(e.attn) != AuthLevel::Unverified)
        .unwrap();
    let ticket = stack.legal_person_ticket(&enterprise.userid).await;
    let (status, session) = stack
        .post(
            paths::ZLB_LEGAL_TICKET,
            json!({"mini_app_id": "zk-demo-policy", "ticket": ticket}),
        )
        .await;
    assert_eq!(status, 200, "{session}");
    let (status, home) = stack.get_authed(paths::HOME, &access(&session)).await;
    assert_eq!(status, 200, "{home}");
    assert_eq!(home["kind"], "legal_person");
    let registration = &section(&home, "enterprise_registration")["data"];
    assert_eq!(registration["uscc"], enterprise.uscc.as_str());
    assert_eq!(registration["name"], enterprise.name.as_str());
    assert_eq!(
        section(&home, "enterprise_credit")["status"]["state"],
        "fresh"
    );
    assert_eq!(
        section(&home, "enterprise_social_security")["status"]["state"],
        "fresh"
    );
}

#[tokio::test]
async fn an_official_has_no_home_screen() {
    let stack = zhelikit_e2e::stack(Backend::Sqlite).await;
    let code = stack
        .auth_code(stack.fixtures.officials[3].account_id)
        .await;
    let (_, session) = stack
        .post(
            paths::ZZD_AUTH_CODE,
            json!({"mini_app_id": "zk-demo-supervision", "auth_code": code}),
        )
        .await;
    let (status, problem) = stack.get_authed(paths::HOME, &access(&session)).await;
    assert_problem(status, &problem, 403, "user_kind_not_allowed");
}

#[tokio::test]
async fn a_second_home_is_served_from_the_cache_without_asking_the_departments() {
    let stack = private_stack(Backend::Sqlite, |_| {}).await;
    let session = stack
        .login_citizen(&stack.fixtures.citizens[0].userid, "zk-demo-services")
        .await;
    let (status, _) = stack.get_authed(paths::HOME, &access(&session)).await;
    assert_eq!(status, 200);
    let before: Vec<u64> = Department::ALL
        .iter()
        .map(|d| stack.mock.state.department_requests(*d))
        .collect();
    let (status, home) = stack.get_authed(paths::HOME, &access(&session)).await;
    assert_eq!(status, 200);
    let after: Vec<u64> = Department::ALL
        .iter()
        .map(|d| stack.mock.state.department_requests(*d))
        .collect();
    assert_eq!(before, after, "no department was asked again");
    assert!(home["sections"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["status"]["state"] == "fresh"));
}

#[tokio::test]
async fn identical_concurrent_calls_reach_the_department_once() {
    let stack = private_stack(Backend::Sqlite, |_| {}).await;
    let slow = Fault {
        latency: Some(Latency::FixedMs(300)),
        ..Fault::HEALTHY
    };
    stack
        .mock
        .state
        .set_fault(Department::PublicSecurity, slow)
        .unwrap();
    let session = stack
        .login_citizen(&stack.fixtures.citizens[0].userid, "zk-demo-services")
        .await;
    let token = access(&session);
    let before = stack
        .mock
        .state
        .department_requests(Department::PublicSecurity);
    let homes: Vec<_> = (0..10)
        .map(|_| {
            let (url, token) = (format!("{}{}", stack.bff, paths::HOME), token.clone());
            tokio::spawn(async move {
                zhelikit_e2e::http()
                    .get(url)
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    for home in homes {
        assert_eq!(home.await.unwrap(), 200);
    }
    assert_eq!(
        stack
            .mock
            .state
            .department_requests(Department::PublicSecurity)
            - before,
        1,
        "ten screens, one call"
    );
}

async fn home_with_fault(fault: Fault) -> (Value, Duration, Stack) {
    let stack = private_stack(Backend::Sqlite, |_| {}).await;
    stack
        .mock
        .state
        .set_fault(Department::Transport, fault)
        .unwrap();
    let session = stack
        .login_citizen(&stack.fixtures.citizens[0].userid, "zk-demo-services")
        .await;
    let started = Instant::now();
    let (status, home) = stack.get_authed(paths::HOME, &access(&session)).await;
    assert_eq!(
        status, 200,
        "a faulty department never fails the screen: {home}"
    );
    (home, started.elapsed(), stack)
}

fn assert_only_transport_is_unavailable(home: &Value) {
    for s in home["sections"].as_array().unwrap() {
        if s["department"] == "transport" {
            assert_eq!(s["status"]["state"], "unavailable", "{s}");
            assert!(!s["status"]["reason"].as_str().unwrap().is_empty());
            assert!(s["data"].is_null());
        } else {
            assert_eq!(s["status"]["state"], "fresh", "{s}");
        }
    }
}

#[tokio::test]
async fn a_hanging_department_costs_its_section_and_the_screen_arrives_by_the_deadline() {
    let (home, took, _) = home_with_fault(Fault {
        mode: FaultMode::Hang,
        ..Fault::HEALTHY
    })
    .await;
    assert_only_transport_is_unavailable(&home);
    // Loose bound: the deadline is 800 ms; this only catches a hang, not a slow machine.
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[tokio::test]
async fn a_department_answering_5xx_costs_only_its_section() {
    let (home, _, stack) = home_with_fault(Fault {
        mode: FaultMode::Status(503),
        ..Fault::HEALTHY
    })
    .await;
    assert_only_transport_is_unavailable(&home);
    // Prometheus sees each department's attempts by outcome.
    let metrics = reqwest::get(format!("{}{}", stack.bff, paths::METRICS))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for series in [
        r#"upstream_request_duration_seconds_count{department="transport",outcome="status"}"#,
        r#"upstream_request_duration_seconds_count{department="public_security",outcome="found"}"#,
    ] {
        assert!(metrics.contains(series), "no {series} in {metrics}");
    }
}

#[tokio::test]
async fn a_department_answering_garbage_costs_only_its_section() {
    let (home, _, _) = home_with_fault(Fault {
        mode: FaultMode::Malformed,
        ..Fault::HEALTHY
    })
    .await;
    assert_only_transport_is_unavailable(&home);
}

#[tokio::test]
async fn a_department_answering_records_of_the_wrong_shape_costs_only_its_section() {
    let (home, _, _) = home_with_fault(Fault {
        mode: FaultMode::WrongShape,
        ..Fault::HEALTHY
    })
    .await;
    assert_only_transport_is_unavailable(&home);
}

#[tokio::test]
async fn a_department_closing_connections_costs_only_its_section() {
    let (home, _, _) = home_with_fault(Fault {
        mode: FaultMode::Close,
        ..Fault::HEALTHY
    })
    .await;
    assert_only_transport_is_unavailable(&home);
}

#[tokio::test]
async fn a_department_failing_every_request_costs_only_its_section() {
    let (home, _, _) = home_with_fault(Fault {
        error_rate: 1.0,
        ..Fault::HEALTHY
    })
    .await;
    assert_only_transport_is_unavailable(&home);
}

#[tokio::test]
async fn a_slow_but_timely_department_is_still_fresh() {
    let (home, _, _) = home_with_fault(Fault {
        latency: Some(Latency::UniformMs([50, 150])),
        ..Fault::HEALTHY
    })
    .await;
    assert!(
        home["sections"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"]["state"] == "fresh"),
        "{home}"
    );
}

#[tokio::test]
async fn with_every_department_down_the_screen_still_arrives_all_unavailable() {
    let stack = private_stack(Backend::Sqlite, |_| {}).await;
    for d in Department::ALL {
        stack
            .mock
            .state
            .set_fault(
                d,
                Fault {
                    mode: FaultMode::Status(500),
                    ..Fault::HEALTHY
                },
            )
            .unwrap();
    }
    let (status, home) = citizen_home(&stack, 0, "zk-demo-services").await;
    assert_eq!(status, 200, "{home}");
    assert!(
        home["sections"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"]["state"] == "unavailable"),
        "{home}"
    );
}

#[tokio::test]
async fn a_dead_department_shows_its_last_answer_marked_stale_with_its_age() {
    let stack = private_stack(Backend::Sqlite, |config| {
        config.adapters.cache_ttl = Some(Duration::from_millis(200))
    })
    .await;
    let session = stack
        .login_citizen(&stack.fixtures.citizens[0].userid, "zk-demo-services")
        .await;
    let (_, first) = stack.get_authed(paths::HOME, &access(&session)).await;
    assert_eq!(section(&first, "health_card")["status"]["state"], "fresh");
    stack
        .mock
        .state
        .set_fault(
            Department::Health,
            Fault {
                mode: FaultMode::Status(503),
                ..Fault::HEALTHY
            },
        )
        .unwrap();
    // Past the freshness and revalidation windows (2 × 200 ms): only stale-if-error remains.
    tokio::time::sleep(Duration::from_millis(450)).await;
    let (_, later) = stack.get_authed(paths::HOME, &access(&session)).await;
    let health = section(&later, "health_card");
    assert_eq!(health["status"]["state"], "stale", "{health}");
    assert!(health["status"]["age_secs"].as_u64().is_some());
    assert_eq!(
        health["data"],
        section(&first, "health_card")["data"],
        "the last answer is shown"
    );
}

#[tokio::test]
async fn retries_stay_within_budget_and_the_breaker_stops_calling_a_dead_department() {
    let stack = private_stack(Backend::Sqlite, |_| {}).await;
    stack
        .mock
        .state
        .set_fault(
            Department::Education,
            Fault {
                mode: FaultMode::Status(503),
                ..Fault::HEALTHY
            },
        )
        .unwrap();
    let before = stack.mock.state.department_requests(Department::Education);
    let screens = 30;
    for i in 0..screens {
        let (status, _) = citizen_home(&stack, 200 + i, "zk-demo-services").await;
        assert_eq!(status, 200);
    }
    let calls = stack.mock.state.department_requests(Department::Education) - before;
    // Without a breaker: 30 calls plus retries. With it: a handful, then the circuit is open.
    assert!(
        calls < 15,
        "{calls} calls reached a dead department for {screens} screens"
    );
}

/// Hardening #1: calls abandoned by every caller (screen deadline shorter than the department)
/// used to keep their concurrency permits forever, so after 64 of them the department never
/// answered anyone again. Now each call finishes in a task of its own.
#[tokio::test]
async fn a_department_slower_than_the_screen_deadline_recovers_once_it_is_fast_again() {
    let stack = private_stack(Backend::Sqlite, |config| {
        config.screen_deadline = Duration::from_millis(200);
    })
    .await;
    stack
        .mock
        .state
        .set_fault(
            Department::Transport,
            Fault {
                latency: Some(Latency::FixedMs(300)),
                ..Fault::HEALTHY
            },
        )
        .unwrap();
    // Seventy different citizens (more than the 64 permits), ten at a time.
    for batch in (300..370).collect::<Vec<_>>().chunks(10) {
        let homes = futures::future::join_all(
            batch
                .iter()
                .map(|&i| citizen_home(&stack, i, "zk-demo-services")),
        )
        .await;
        for (status, home) in homes {
            assert_eq!(status, 200, "{home}");
            assert_eq!(
                section(&home, "driving_licence")["status"]["state"],
                "unavailable",
                "slower than the deadline: {home}"
            );
        }
    }
    stack
        .mock
        .state
        .set_fault(Department::Transport, Fault::HEALTHY)
        .unwrap();
    let before = stack.mock.state.department_requests(Department::Transport);
    // Within a breaker cycle (the breaker never opened: slow calls still succeeded), a citizen
    // whose licence is not cached gets it fresh from the department.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut index = 400;
    loop {
        let (status, home) = citizen_home(&stack, index, "zk-demo-services").await;
        assert_eq!(status, 200, "{home}");
        if section(&home, "driving_licence")["status"]["state"] == "fresh" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the department stays unavailable after it recovered: {home}"
        );
        index += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        stack.mock.state.department_requests(Department::Transport) > before,
        "requests reach the department again"
    );
}

fn department_requests(stack: &Stack) -> u64 {
    Department::ALL
        .iter()
        .map(|d| stack.mock.state.department_requests(*d))
        .sum()
}

/// Hardening #10: a BFF stopped while screens are being served stores every department call
/// those screens made before it exits (the recorder is drained, not dropped).
#[tokio::test]
async fn a_bff_stopped_under_load_stores_every_department_call_it_made() {
    let stack = private_stack(Backend::Sqlite, |_| {}).await;
    let config = stack.bff_config().await;
    let bff = zhelikit_e2e::start_bff(config.clone())
        .await
        .expect("second BFF");
    let mut tokens = Vec::new();
    for i in 500..540 {
        let ticket = stack
            .citizen_ticket(&stack.fixtures.citizens[i].userid)
            .await;
        let response = zhelikit_e2e::http()
            .post(format!("{}{}", bff.base_url, paths::ZLB_TICKET))
            .json(&json!({"mini_app_id": "zk-demo-services", "ticket": ticket}))
            .send()
            .await
            .expect("login");
        let (status, session) = zhelikit_e2e::json_of(response).await;
        assert_eq!(status, 200, "{session}");
        tokens.push(access(&session));
    }
    let before = department_requests(&stack);
    let base = bff.base_url.clone();
    let screens: Vec<_> = tokens
        .into_iter()
        .map(|token| {
            let url = format!("{base}{}", paths::HOME);
            tokio::spawn(async move {
                zhelikit_e2e::http()
                    .get(url)
                    .bearer_auth(token)
                    .send()
                    .await
            })
        })
        .collect();
    // Stop once the departments are being asked, with screens still in flight.
    let deadline = Instant::now() + Duration::from_secs(10);
    while department_requests(&stack) == before {
        assert!(
            Instant::now() < deadline,
            "no screen reached the departments"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    bff.shutdown().await;
    let asked = department_requests(&stack) - before;
    for screen in screens {
        let _ = screen.await;
    }
    let store = bff_server::storage::connect(&config.database_url)
        .await
        .expect("the stopped BFF's database");
    let stored = store.recent_upstream_calls(100_000).await.expect("calls");
    assert!(asked > 0);
    assert_eq!(
        stored.len() as u64,
        asked,
        "every call the departments saw was recorded"
    );
}

/// Hardening #4: department records in Redis are sealed; reading Redis directly finds no ID
/// number (the vault mini-app's screens carry them unmasked, so they are in the records).
#[tokio::test]
async fn redis_holds_no_id_number_in_clear() {
    let stack = zhelikit_e2e::stack(Backend::Postgres).await;
    // A citizen with a driving licence: the vault screen shows its number, the ID number.
    let mut found = None;
    for index in 120..200 {
        let citizen = &stack.fixtures.citizens[index];
        if citizen.auth_level != AuthLevel::Advanced {
            continue;
        }
        let (status, home) = citizen_home(stack, index, "zk-demo-vault").await;
        assert_eq!(status, 200, "{home}");
        if home.to_string().contains(&citizen.id_number) {
            found = Some(citizen);
            break;
        }
    }
    let citizen = found.expect("some level-3 citizen among eighty has a driving licence");
    let url = stack.config.redis_url.clone().expect("Redis");
    let mut redis = redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}dept:*", stack.config.redis_prefix))
        .query_async(&mut redis)
        .await
        .unwrap();
    assert!(
        keys.len() >= 5,
        "the screen's records were cached: {keys:?}"
    );
    for key in keys {
        assert!(!key.contains(&citizen.id_number), "{key}");
        let value: Vec<u8> = redis::cmd("GET")
            .arg(&key)
            .query_async(&mut redis)
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&value);
        assert!(
            !text.contains(&citizen.id_number),
            "{key} holds the ID number"
        );
        let digits = value.windows(17).any(|w| w.iter().all(u8::is_ascii_digit));
        assert!(!digits, "{key} holds an 18-digit number in clear");
        assert!(!text.contains("licenceNumber"), "{key} is readable JSON");
    }
}
