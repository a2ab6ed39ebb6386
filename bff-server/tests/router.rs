//! The BFF's HTTP behaviour that needs no real socket, driven through `router(state)` with
//! `oneshot` (axum's `examples/testing`): the problem documents and their language, body
//! limits, the bearer check, scopes, the mini-app header, refusals before any platform call,
//! rate limits and the operational endpoints. One application on a fresh SQLite store is
//! built per test binary; the platform it points at is a closed port, so any test that reached
//! it would fail loudly. End-to-end behaviour (logins, outages, both databases) stays in
//! `tests/`.

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use bff_server::identity::tokens::AccessClaims;
use bff_server::storage::NewUser;
use bff_server::{App, AppState, Config};
use http_body_util::BodyExt as _;
use serde_json::{json, Value};
use tokio::sync::OnceCell;
use tower::ServiceExt as _;
use zhelikit_domain::api::UserKind;
use zhelikit_domain::paths;

/// One runtime for the whole binary: the application's background tasks and its database pool
/// live on it, so every test can use the one application.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime")
    })
}

/// Runs one test's body on [`runtime`].
fn run(test: impl std::future::Future<Output = ()>) {
    runtime().block_on(test)
}

struct Fixture {
    state: AppState,
    router: Router,
}

/// A port nothing listens on: bound, then released.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn fixture() -> &'static Fixture {
    static FIXTURE: OnceCell<Fixture> = OnceCell::const_new();
    FIXTURE
        .get_or_init(|| async {
            let database_url = common::fresh_sqlite_url();
            let platform = format!("http://127.0.0.1:{}", closed_port());
            let config = Config::load(|name| {
                Some(match name {
                    "DATABASE_URL" => database_url.clone(),
                    "ZK_PLATFORM_URL" => platform.clone(),
                    "ZK_ZLB_SERVICE_CODE"
                    | "ZK_IRS_ACCESS_KEY"
                    | "ZK_IRS_SECRET_KEY"
                    | "ZK_MINIPROGRAM_APP_ID"
                    | "ZK_ZZD_APP_KEY"
                    | "ZK_ZZD_APP_SECRET" => {
                        format!("oneshot-{name}")
                    }
                    "ZK_LOGIN_LIMIT_PER_CLIENT" => "1000".into(),
                    _ => return None,
                })
            })
            .expect("configuration");
            let state = AppState(Arc::new(App::build(config).await.expect("app")));
            Fixture {
                router: bff_server::router(state.clone()),
                state,
            }
        })
        .await
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    json: Value,
}

async fn send(request: Request<Body>) -> Answer {
    let response = fixture()
        .await
        .router
        .clone()
        .oneshot(request)
        .await
        .expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        json,
    }
}

fn post_json(path: &str, body: impl Into<String>) -> axum::http::request::Builder {
    let _ = body;
    Request::post(path).header(header::CONTENT_TYPE, "application/json")
}

fn post(path: &str, body: impl Into<String>) -> Request<Body> {
    let body = body.into();
    post_json(path, "").body(Body::from(body)).expect("request")
}

/// A user stored directly and an access token for them, signed by the application's own key
/// (what a login would have produced), for `mini_app` with `scope`.
async fn token_for(subject: &str, mini_app: &str, scope: &str) -> String {
    let state = &fixture().await.state;
    let user = state
        .store
        .upsert_user(&NewUser {
            kind: UserKind::Citizen,
            subject: subject.into(),
            display_name: "孙磊刚".into(),
            real_name_level: 3,
            id_number_masked: Some("330302********1234".into()),
            id_number_sealed: None,
            phone_masked: Some("138****5678".into()),
            enterprise: None,
            official: None,
        })
        .await
        .expect("user");
    let now = chrono::Utc::now().timestamp();
    state
        .keyring
        .sign(&AccessClaims {
            iss: state.keyring.issuer().to_string(),
            sub: user.id.to_string(),
            aud: mini_app.into(),
            exp: now + 600,
            iat: now,
            jti: uuid::Uuid::new_v4().to_string(),
            sid: uuid::Uuid::new_v4().to_string(),
            kind: UserKind::Citizen,
            scope: scope.into(),
            rnl: 3,
            auth_time: now,
        })
        .expect("signed")
}

#[test]
fn a_problem_is_in_simplified_chinese_unless_english_is_asked_for() {
    run(async {
        let zh = send(post(paths::ZLB_TICKET, "{\"mini_app_id\": ")).await;
        assert_eq!(zh.status, StatusCode::BAD_REQUEST);
        assert_eq!(zh.json["code"], "malformed_body");
        assert_eq!(zh.json["title"], "请求格式有误");
        assert!(
            zh.json["detail"].as_str().unwrap().starts_with("请求内容"),
            "{}",
            zh.json
        );
        assert_eq!(zh.headers[header::CONTENT_LANGUAGE], "zh-CN");
        assert_eq!(zh.headers[header::CONTENT_TYPE], "application/problem+json");

        let en = send(
            post_json(paths::ZLB_TICKET, "")
                .header(header::ACCEPT_LANGUAGE, "en-GB,en;q=0.9,zh;q=0.5")
                .body(Body::from("{\"mini_app_id\": "))
                .unwrap(),
        )
        .await;
        assert_eq!(en.json["code"], "malformed_body", "the code never changes");
        assert_eq!(en.json["title"], "Malformed request body");
        assert!(en.json["detail"]
            .as_str()
            .unwrap()
            .starts_with("malformed request body"));
        assert_eq!(en.headers[header::CONTENT_LANGUAGE], "en");
    });
}

#[test]
fn malformed_missing_field_wrong_type_and_oversized_bodies_are_refused_precisely() {
    run(async {
        let missing = send(post(
            paths::ZLB_TICKET,
            r#"{"mini_app_id": "zk-demo-services"}"#,
        ))
        .await;
        assert_eq!(missing.json["code"], "malformed_body");
        assert!(
            missing.json["detail"].as_str().unwrap().contains("ticket"),
            "names the missing field: {}",
            missing.json
        );
        let not_json = send(
            Request::post(paths::ZLB_TICKET)
                .body(Body::from("ticket=x"))
                .unwrap(),
        )
        .await;
        assert_eq!(
            (not_json.status, not_json.json["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("malformed_body")),
            "no JSON content type"
        );
        let big = format!(
            r#"{{"mini_app_id": "zk-demo-services", "ticket": "{}"}}"#,
            "A".repeat(100_000)
        );
        let too_big = send(post(paths::ZLB_TICKET, big)).await;
        assert_eq!(
            (too_big.status, too_big.json["code"].as_str()),
            (StatusCode::PAYLOAD_TOO_LARGE, Some("body_too_large"))
        );
    });
}

#[test]
fn bad_credentials_unknown_mini_apps_and_foreign_scopes_are_refused_before_the_platform_is_asked() {
    run(async {
        // The platform is a closed port: reaching it would answer 503 platform_unavailable.
        let spaced = send(post(
            paths::ZLB_TICKET,
            json!({"mini_app_id": "zk-demo-services", "ticket": "not a ticket"}).to_string(),
        ))
        .await;
        assert_eq!(
            (
                spaced.status,
                spaced.json["code"].as_str(),
                spaced.json["field"].as_str()
            ),
            (
                StatusCode::BAD_REQUEST,
                Some("invalid_field"),
                Some("ticket")
            )
        );
        let empty_id = send(post(
            paths::ZLB_TICKET_ID,
            json!({"mini_app_id": "zk-demo-services", "ticket_id": ""}).to_string(),
        ))
        .await;
        assert_eq!(empty_id.json["field"], "ticket_id");
        let unknown = send(post(
            paths::ZZD_AUTH_CODE,
            json!({"mini_app_id": "zk-nowhere", "auth_code": "abc"}).to_string(),
        ))
        .await;
        assert_eq!(
            (
                unknown.status,
                unknown.json["code"].as_str(),
                unknown.json["field"].as_str()
            ),
            (
                StatusCode::BAD_REQUEST,
                Some("unknown_mini_app"),
                Some("mini_app_id")
            )
        );
        let foreign = send(post(
            paths::ZLB_TICKET,
            json!({"mini_app_id": "zk-demo-services", "ticket": "ST-1", "scopes": ["vault.share"]})
                .to_string(),
        ))
        .await;
        assert_eq!(
            (foreign.status, foreign.json["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("scope_not_allowed"))
        );
        assert!(foreign.json["detail"]
            .as_str()
            .unwrap()
            .contains("vault.share"));
    });
}

#[test]
fn a_platform_that_does_not_answer_is_a_503_naming_no_internals() {
    run(async {
        let answer = send(post(
            paths::ZLB_TICKET,
            json!({"mini_app_id": "zk-demo-services", "ticket": "ST-unanswered"}).to_string(),
        ))
        .await;
        assert_eq!(
            (answer.status, answer.json["code"].as_str()),
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Some("platform_unavailable")
            )
        );
        let detail = answer.json["detail"].as_str().unwrap();
        assert_eq!(detail, "政务平台没有响应，请稍后再试");
        assert!(answer.json["request_id"].is_string());
    });
}

#[test]
fn a_bearer_token_is_required_checked_and_bound_to_its_mini_app() {
    run(async {
        let get = |token: Option<String>, mini_app: Option<&str>| {
            let mut request = Request::get(paths::ME);
            if let Some(token) = token {
                request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
            }
            if let Some(mini_app) = mini_app {
                request = request.header(zhelikit_domain::api::MINI_APP_HEADER, mini_app);
            }
            send(request.body(Body::empty()).unwrap())
        };
        let none = get(None, None).await;
        assert_eq!(
            (none.status, none.json["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
        );
        assert_eq!(none.json["detail"], "缺少 Authorization 请求头");
        let garbage = get(Some("not-a-jwt".into()), None).await;
        assert_eq!(garbage.status, StatusCode::UNAUTHORIZED);

        let token = token_for("oneshot-me", "zk-demo-services", "profile").await;
        let me = get(Some(token.clone()), Some("zk-demo-services")).await;
        assert_eq!(me.status, StatusCode::OK, "{}", me.json);
        assert_eq!(me.json["display_name"], "孙磊刚");
        assert_eq!(me.json["id_number_masked"], "330302********1234");

        let elsewhere = get(Some(token), Some("zk-demo-vault")).await;
        assert_eq!(elsewhere.status, StatusCode::UNAUTHORIZED);
        assert_eq!(elsewhere.json["detail"], "该访问令牌是签发给其他小程序的");
    });
}

#[test]
fn a_token_without_the_scope_an_endpoint_needs_gets_403_naming_it() {
    run(async {
        let token = token_for("oneshot-scope", "zk-demo-services", "profile").await;
        let answer = send(
            Request::get(paths::PASSKEYS)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(
            (
                answer.status,
                answer.json["code"].as_str(),
                answer.json["scope"].as_str()
            ),
            (
                StatusCode::FORBIDDEN,
                Some("missing_scope"),
                Some("passkey")
            )
        );
    });
}

#[test]
fn an_unknown_route_is_a_problem_and_every_answer_carries_a_request_id() {
    run(async {
        let answer = send(Request::get("/v1/nowhere").body(Body::empty()).unwrap()).await;
        assert_eq!(
            (answer.status, answer.json["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found"))
        );
        let id = answer.headers["x-request-id"].to_str().unwrap().to_string();
        assert_eq!(answer.json["request_id"], id.as_str());
    });
}

#[test]
fn operations_endpoints_answer_without_a_token() {
    run(async {
        for path in [paths::HEALTHZ, paths::READYZ, paths::JWKS, paths::OPENAPI] {
            let answer = send(Request::get(path).body(Body::empty()).unwrap()).await;
            assert_eq!(answer.status, StatusCode::OK, "{path}");
        }
        let jwks = send(Request::get(paths::JWKS).body(Body::empty()).unwrap()).await;
        assert_eq!(jwks.json["keys"][0]["kty"], "OKP");
        let doc = send(Request::get(paths::OPENAPI).body(Body::empty()).unwrap()).await;
        assert!(doc.json["paths"][paths::HOME].is_object());
    });
}

fn events_request(token: &str, body: Value) -> Request<Body> {
    post_json(paths::ANALYTICS_EVENTS, "")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from(body.to_string()))
        .unwrap()
}

/// A report request signed (IRS gateway style) with `mini_app`'s registered keys.
async fn signed_report(mini_app: &str, signer: &str, query: &str) -> Answer {
    let state = &fixture().await.state;
    let creds = &state.config.platform.registrations[signer].irs;
    let path = paths::analytics_report(mini_app);
    let mut request = Request::get(format!("{path}?{query}"));
    for (name, value) in platform_api::irs::sign(creds, "GET", &path, query, chrono::Utc::now()) {
        request = request.header(name, value);
    }
    send(request.body(Body::empty()).unwrap()).await
}

#[test]
fn zwlog_events_are_counted_once_per_batch_and_shown_masked_only_to_the_mini_apps_owner() {
    run(async {
        let token = token_for("oneshot-analytics", "zk-demo-policy", "").await;
        let now = chrono::Utc::now().timestamp_millis();
        let day = zhelikit_domain::analytics::day_of(now);
        let batch = json!({"batch_id": uuid::Uuid::new_v4().to_string(), "events": [
            {"kind": "PV", "page_id": "home", "at_ms": now, "load_ms": 300},
            {"kind": "PV", "page_id": "home", "at_ms": now, "load_ms": 100},
            {"kind": "CLK", "code": "apply", "page_id": "home", "at_ms": now,
             "params": {"phone": "13812345678"}},
            {"kind": "OTHER", "code": "late", "at_ms": now - 40 * 86_400_000i64},
        ]});
        let first = send(events_request(&token, batch.clone())).await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.json);
        assert_eq!(
            first.json,
            json!({"counted": 3, "too_old": 1, "duplicate": false})
        );
        let again = send(events_request(&token, batch)).await;
        assert_eq!(again.json["duplicate"], true, "{}", again.json);

        let bad = send(events_request(
            &token,
            json!({"batch_id": uuid::Uuid::new_v4().to_string(), "events": [
                {"kind": "CLK", "code": "has space", "at_ms": now}]}),
        ))
        .await;
        assert_eq!(
            (
                bad.status,
                bad.json["code"].as_str(),
                bad.json["field"].as_str()
            ),
            (
                StatusCode::BAD_REQUEST,
                Some("invalid_field"),
                Some("events[0].eventCode")
            ),
            "{}",
            bad.json
        );
        let anonymous = send(post(paths::ANALYTICS_EVENTS, "{}")).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

        let query = format!("from={day}&to={day}");
        let report = signed_report("zk-demo-policy", "zk-demo-policy", &query).await;
        assert_eq!(report.status, StatusCode::OK, "{}", report.json);
        assert_eq!(report.json["days"][0]["views"], 2, "{}", report.json);
        assert_eq!(report.json["days"][0]["visitors"], 1);
        assert_eq!(report.json["pages"][0]["page_id"], "home");
        assert_eq!(report.json["pages"][0]["avg_load_ms"], 200);
        assert_eq!(
            report.json["events"],
            json!([{"kind": "CLK", "code": "apply", "count": 1}])
        );

        let other = signed_report("zk-demo-policy", "zk-demo-services", &query).await;
        assert_eq!(
            (other.status, other.json["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("not_mini_app_owner"))
        );
        let unsigned = send(
            Request::get(format!(
                "{}?{query}",
                paths::analytics_report("zk-demo-policy")
            ))
            .body(Body::empty())
            .unwrap(),
        )
        .await;
        assert_eq!(
            (unsigned.status, unsigned.json["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("owner_unauthenticated")),
            "{}",
            unsigned.json
        );
        let backwards = signed_report(
            "zk-demo-policy",
            "zk-demo-policy",
            "from=2026-12-02&to=2026-11-01",
        )
        .await;
        assert_eq!(
            (
                backwards.json["code"].as_str(),
                backwards.json["field"].as_str()
            ),
            (Some("invalid_field"), Some("to"))
        );
        let missing = signed_report("zk-demo-policy", "zk-demo-policy", "from=2026-12-02").await;
        assert_eq!(missing.json["code"], "invalid_field", "{}", missing.json);
    });
}
