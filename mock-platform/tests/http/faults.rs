use std::time::{Duration, Instant};

use mock_platform::admin::{fault_path, FAULTS_PATH};
use mock_platform::departments::faults::{Fault, FaultMode, Latency};
use platform_api::departments::{Department, Operation, CODE_OK};
use platform_api::irs::GatewayError;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{question_for, start, Mock};

/// A client that gives up quickly, as the BFF's adapters do.
fn impatient() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .expect("client")
}

async fn call(mock: &Mock, operation: Operation) -> reqwest::Result<reqwest::Response> {
    mock.department_call_with(&impatient(), operation, question_for(mock, operation, 0))
        .await
}

async fn still_healthy(mock: &Mock, operation: Operation) {
    let answer = mock.department_call(operation, 0).await;
    assert_eq!(answer["code"], CODE_OK, "{answer}");
}

#[tokio::test]
async fn a_hanging_department_times_the_client_out_while_others_answer() {
    let mock = start().await;
    mock.put_fault(Department::Transport, &json!({ "mode": "hang" }))
        .await;
    let error = call(&mock, Operation::Vehicles)
        .await
        .expect_err("a hang never answers");
    assert!(error.is_timeout(), "{error}");
    still_healthy(&mock, Operation::HealthCard).await;
    assert_eq!(
        mock.running
            .state
            .department_requests(Department::Transport),
        1
    );
}

#[tokio::test]
async fn a_closed_connection_is_a_transport_error_for_the_client() {
    let mock = start().await;
    mock.put_fault(Department::Health, &json!({ "mode": "close" }))
        .await;
    let outcome = match call(&mock, Operation::HealthCard).await {
        Ok(response) => response.bytes().await.map(|_| ()),
        Err(e) => Err(e),
    };
    let error = outcome.expect_err("the answer is cut short");
    assert!(!error.is_timeout(), "{error}");
}

#[tokio::test]
async fn a_malformed_answer_is_a_200_that_does_not_parse() {
    let mock = start().await;
    mock.put_fault(Department::Education, &json!({ "mode": "malformed" }))
        .await;
    let response = call(&mock, Operation::EducationRecord)
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::OK);
    let parsed = response.json::<Value>().await;
    assert!(parsed.is_err(), "{parsed:?}");
}

#[tokio::test]
async fn a_status_fault_answers_that_status_with_a_gateway_error() {
    let mock = start().await;
    mock.put_fault(
        Department::MarketRegulation,
        &json!({ "mode": { "status": 503 } }),
    )
    .await;
    let response = call(&mock, Operation::EnterpriseCredit)
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let error: GatewayError = response.json().await.expect("a gateway error body");
    assert_eq!(error.code, "IRS-503-UPSTREAM");
    assert!(
        error.message.contains("market_regulation"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn an_error_rate_of_one_fails_every_request_with_500() {
    let mock = start().await;
    mock.put_fault(Department::HumanResources, &json!({ "error_rate": 1.0 }))
        .await;
    for _ in 0..10 {
        let response = call(&mock, Operation::Contributions)
            .await
            .expect("answered");
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let error: GatewayError = response.json().await.expect("a gateway error body");
        assert_eq!(error.code, "IRS-500-UPSTREAM");
    }
    assert_eq!(
        mock.running
            .state
            .department_requests(Department::HumanResources),
        10
    );
}

#[tokio::test]
async fn added_latency_delays_the_answer_at_least_that_long() {
    let mock = start().await;
    for latency in [
        json!({ "fixed_ms": 150 }),
        json!({ "uniform_ms": [150, 160] }),
        json!({ "normal_ms": { "mean": 1000, "stddev": 0 } }),
    ] {
        mock.put_fault(Department::PublicSecurity, &json!({ "latency": latency }))
            .await;
        let started = Instant::now();
        still_healthy(&mock, Operation::ResidentIdCard).await;
        let floor = if latency.get("normal_ms").is_some() {
            1000
        } else {
            150
        };
        assert!(
            started.elapsed() >= Duration::from_millis(floor),
            "{latency}: {:?}",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn faults_are_listed_and_reset_one_by_one_or_all_at_once() {
    let mock = start().await;
    mock.put_fault(Department::Health, &json!({ "mode": "hang" }))
        .await;
    mock.put_fault(
        Department::Transport,
        &json!({ "latency": { "fixed_ms": 5 }, "error_rate": 0.25 }),
    )
    .await;
    let listed: Value = get_json(&mock, FAULTS_PATH).await;
    assert_eq!(listed["health"]["mode"], "hang");
    assert_eq!(listed["transport"]["error_rate"], 0.25);
    assert_eq!(listed["transport"]["latency"]["fixed_ms"], 5);
    assert_eq!(listed["education"]["mode"], "healthy");

    let response = mock
        .http
        .delete(mock.url(&fault_path(Department::Health)))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    still_healthy(&mock, Operation::HealthCard).await;
    let transport: Fault = get_json(&mock, &fault_path(Department::Transport)).await;
    assert_eq!(transport.error_rate, 0.25);

    let response = mock
        .http
        .delete(mock.url(FAULTS_PATH))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    let listed: std::collections::BTreeMap<Department, Fault> = get_json(&mock, FAULTS_PATH).await;
    assert_eq!(listed.len(), Department::ALL.len());
    assert!(listed.values().all(Fault::is_healthy), "{listed:?}");
}

async fn get_json<T: serde::de::DeserializeOwned>(mock: &Mock, path: &str) -> T {
    let response = mock.http.get(mock.url(path)).send().await.expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("JSON")
}

#[tokio::test]
async fn a_bad_fault_is_refused_with_400_naming_the_problem() {
    let mock = start().await;
    let cases = [
        (json!({ "mode": "sleepy" }), "unknown variant `sleepy`"),
        (json!({ "errorRate": 0.5 }), "unknown field `errorRate`"),
        (
            json!({ "error_rate": 1.5 }),
            "error_rate must be between 0 and 1",
        ),
        (json!({ "mode": { "status": 302 } }), "400–599"),
        (
            json!({ "latency": { "uniform_ms": [10, 1] } }),
            "low ≤ high",
        ),
    ];
    for (fault, named) in cases {
        let response = mock
            .http
            .put(mock.url(&fault_path(Department::Health)))
            .json(&fault)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{fault}");
        let body: Value = response.json().await.expect("JSON error");
        let error = body["error"].as_str().unwrap_or_default();
        assert!(error.contains(named), "{fault}: {error}");
    }
    let response = mock
        .http
        .put(mock.url("/__admin/faults/weather"))
        .json(&json!({}))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: Value = response.json().await.expect("JSON error");
    assert!(body["error"]
        .as_str()
        .unwrap_or_default()
        .contains("public_security"));
    assert!(mock
        .running
        .state
        .faults
        .get(Department::Health)
        .is_healthy());
}

#[tokio::test]
async fn the_gateway_refuses_an_unsigned_request_before_any_fault() {
    let mock = start().await;
    mock.put_fault(Department::Health, &json!({ "mode": "hang" }))
        .await;
    let response = impatient()
        .post(mock.url(Operation::HealthCard.path()))
        .body("{}")
        .send()
        .await
        .expect("refused at once, not hung");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        mock.running.state.department_requests(Department::Health),
        0
    );
}

#[tokio::test]
async fn a_fault_set_in_process_applies_and_clearing_restores_health() {
    let mock = start().await;
    let state = &mock.running.state;
    state
        .set_fault(
            Department::Education,
            Fault {
                latency: Some(Latency::FixedMs(1)),
                error_rate: 0.0,
                mode: FaultMode::Status(502),
            },
        )
        .expect("a valid fault");
    let response = call(&mock, Operation::EducationRecord)
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert!(state
        .set_fault(
            Department::Education,
            Fault {
                error_rate: -0.1,
                ..Fault::HEALTHY
            }
        )
        .is_err());
    state.clear_faults();
    let response = call(&mock, Operation::EducationRecord)
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn shutting_down_releases_hanging_requests() {
    let mock = start().await;
    mock.put_fault(Department::Health, &json!({ "mode": "hang" }))
        .await;
    let operation = Operation::HealthCard;
    let body = question_for(&mock, operation, 0);
    let hanging = {
        let path = operation.path();
        let url = mock.url(path);
        let app = mock.a.clone();
        tokio::spawn(async move {
            let mut request = reqwest::Client::new().post(url).body(body);
            for (name, value) in
                platform_api::irs::sign(&app.irs, "POST", path, "", chrono::Utc::now())
            {
                request = request.header(name, value);
            }
            request.send().await.map(|r| r.status())
        })
    };
    // Let the request reach the hang before stopping.
    while mock.running.state.department_requests(Department::Health) == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::timeout(Duration::from_secs(5), mock.running.shutdown())
        .await
        .expect("shutdown does not wait for the hang")
        .expect("clean shutdown");
    let status = tokio::time::timeout(Duration::from_secs(5), hanging)
        .await
        .expect("the hanging request ends")
        .expect("no panic")
        .expect("answered");
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
}
