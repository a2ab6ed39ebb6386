//! Test controls under `/__admin`: health, time travel, and department faults ([`department_faults`]).
//!
//! These do not exist on the real platform. Each later addition belongs here too, in its own
//! route group.

pub mod corrections;
pub mod department_faults;
pub mod intake;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::MockState;

pub use department_faults::{fault_path, DEPARTMENT_STATS_PATH, FAULTS_PATH, FAULT_PATH};

/// `GET`: 200 while the server runs.
pub const HEALTH_PATH: &str = "/__admin/health";
/// `GET`: the mock clock. `POST {"seconds": N}`: move it forward.
pub const CLOCK_PATH: &str = "/__admin/clock";
/// `POST {"seconds": N}`: move the mock clock forward by N seconds.
pub const CLOCK_ADVANCE_PATH: &str = "/__admin/clock/advance";

/// `POST {"credential": "…", "status": "invalid" | "suspended" | "valid"}`: sets an issued
/// e-certificate's status in its issuer's list (what a department does when it revokes one).
pub const CERTIFICATE_STATUS_PATH: &str = "/__admin/certificates/status";

/// `GET`: a sample of the demo accounts, for people trying the stack by hand.
pub const DEMO_ACCOUNTS_PATH: &str = "/__admin/demo-accounts";

/// `GET …/{mini_app}?ticket=…` (or `?code=…`): a stand-in for a mini-app's callback page in the
/// development stack: shows what the platform handed over and how to log in with it.
pub const ECHO_PATH: &str = "/__admin/echo/{mini_app}";

/// Body of [`CLOCK_ADVANCE_PATH`]. Unsigned: the clock only moves forward, so a ticket once
/// expired stays expired.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Advance {
    /// Seconds to add.
    pub seconds: u32,
}

/// The mock clock's state.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClockState {
    /// The platform's now, RFC 3339.
    pub now: String,
    /// Seconds ahead of real time.
    pub offset_seconds: i64,
}

/// The admin routes.
pub fn routes() -> Router<MockState> {
    Router::new()
        .route(HEALTH_PATH, get(health))
        .route(CLOCK_PATH, get(clock))
        .route(CLOCK_ADVANCE_PATH, post(advance))
        .route(DEMO_ACCOUNTS_PATH, get(demo_accounts))
        .route(ECHO_PATH, get(echo))
        .route(CERTIFICATE_STATUS_PATH, post(certificate_status))
        .merge(department_faults::routes())
}

async fn certificate_status(State(state): State<MockState>, body: Bytes) -> Response {
    let request = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                format!("{{credential, status}}: {e}"),
            )
                .into_response()
        }
    };
    match crate::departments::certificates::set_status(&state, &request) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, e).into_response(),
    }
}

async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

fn clock_state(state: &MockState) -> ClockState {
    ClockState {
        now: state.clock.now().to_rfc3339(),
        offset_seconds: state.clock.offset_secs(),
    }
}

async fn clock(State(state): State<MockState>) -> Json<ClockState> {
    Json(clock_state(&state))
}

async fn advance(State(state): State<MockState>, body: Bytes) -> Response {
    match serde_json::from_slice::<Advance>(&body) {
        Ok(Advance { seconds }) => {
            let offset = state.clock.advance(seconds);
            tracing::info!(seconds, offset, "mock clock advanced");
            Json(clock_state(&state)).into_response()
        }
        Err(e) => (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({
                "error": format!("expected {{\"seconds\": N}} with N a non-negative integer: {e}")
            })),
        )
            .into_response(),
    }
}

/// The first few people of each kind: enough to log in by hand. Personal data stays masked here
/// too; the login pages take the userid.
async fn demo_accounts(State(state): State<MockState>) -> Json<serde_json::Value> {
    use zhelikit_domain::mask;
    let f = &state.fixtures;
    let citizens: Vec<_> = f
        .citizens
        .iter()
        .take(12)
        .map(|c| serde_json::json!({"userid": c.userid, "name": c.name, "authlevel": c.auth_level.code(), "idnum": mask::id_number(&c.id_number)}))
        .collect();
    let enterprises: Vec<_> = f
        .enterprises
        .iter()
        .take(6)
        .map(|e| serde_json::json!({"userid": e.userid, "name": e.name, "uscc": e.uscc, "authlevel": f.citizens[e.attn].auth_level.code()}))
        .collect();
    let officials: Vec<_> = f
        .officials
        .iter()
        .take(6)
        .map(|o| serde_json::json!({"accountId": o.account_id, "name": o.name, "organisation": o.organisation_code, "jobTitle": o.job_title}))
        .collect();
    Json(serde_json::json!({
        "citizens": citizens,
        "enterprises": enterprises,
        "officials": officials,
        "supervision": supervision_accounts(f),
        "counts": {"citizens": f.citizens.len(), "enterprises": f.enterprises.len(), "officials": f.officials.len()},
    }))
}

/// The people of a 政务督查 day: the city's leaders, the supervision office, and the leader and
/// contact of each unit tasks go to (departments and county governments).
fn supervision_accounts(f: &crate::fixtures::Fixtures) -> serde_json::Value {
    use crate::fixtures::{Official, CONTACT_TITLE, SUPERVISION_OFFICE_NAME};
    let person = |o: &Official| serde_json::json!({"accountId": o.account_id, "name": o.name, "jobTitle": o.job_title});
    let root = f
        .root_organisation()
        .map(|o| o.code.clone())
        .unwrap_or_default();
    let office = f
        .organisations
        .iter()
        .find(|o| o.name == SUPERVISION_OFFICE_NAME)
        .map(|o| o.code.clone())
        .unwrap_or_default();
    let units: Vec<_> = f
        .organisations
        .iter()
        .filter(|o| o.parent_code.as_deref() == Some(root.as_str()))
        .filter_map(|o| {
            let leader = f.officials_in(&o.code).find(|p| p.leader)?;
            let contact = f.officials_in(&o.code).find(|p| p.job_title == CONTACT_TITLE)?;
            Some(serde_json::json!({"code": o.code, "name": o.name, "leader": person(leader), "contact": person(contact)}))
        })
        .collect();
    serde_json::json!({
        "leaders": f.officials_in(&root).filter(|o| o.leader).map(person).collect::<Vec<_>>(),
        "office": f.officials_in(&office).map(person).collect::<Vec<_>>(),
        "units": units,
    })
}

#[derive(Deserialize)]
struct EchoQuery {
    ticket: Option<String>,
    code: Option<String>,
}

/// What a mini-app's callback would receive, with the BFF call that completes the login.
async fn echo(
    axum::extract::Path(mini_app): axum::extract::Path<String>,
    axum::extract::Query(q): axum::extract::Query<EchoQuery>,
) -> axum::response::Html<String> {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let (what, value, path, field) = match (&q.ticket, &q.code) {
        (Some(t), _) => ("ticket", t.as_str(), "/v1/auth/zlb/ticket", "ticket"),
        (None, Some(c)) => (
            "auth code",
            c.as_str(),
            "/v1/auth/zzd/auth-code",
            "auth_code",
        ),
        (None, None) => ("nothing", "", "", ""),
    };
    let (mini_app, value) = (escape(&mini_app), escape(value));
    axum::response::Html(format!(
        "<!doctype html><meta charset=utf-8><title>ZheliKit demo callback</title>\
         <h1>Mini-app {mini_app} received a {what}</h1><p><code>{value}</code></p>\
         <p>A mini-app now hands it to the BFF (it is single use and expires in 5 minutes):</p>\
         <pre>curl -s http://127.0.0.1:8080{path} -H 'content-type: application/json' \\\n  -d '{{\"mini_app_id\":\"{mini_app}\",\"{field}\":\"{value}\"}}'</pre>"
    ))
}

/// Posts `body` to ZheliKit's callback at `path`, as a department does with what it decided
/// (a correction's decision, a part's status): three tries, 100 ms then 300 ms apart; a 4xx
/// other than 429 is final.
pub(crate) async fn call_back(
    state: &MockState,
    path: &str,
    body: &impl Serialize,
) -> Result<(), String> {
    let bff = state
        .bff
        .get()
        .ok_or("ZheliKit's address is not known yet")?;
    let url = format!("{bff}{path}");
    let mut last = String::new();
    for (attempt, wait) in [0u64, 100, 300].into_iter().enumerate() {
        tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
        match crate::bank::client().post(&url).json(body).send().await {
            Ok(r) if r.status().is_success() => return Ok(()),
            Ok(r) => {
                let status = r.status();
                last = format!("{status}: {}", r.text().await.unwrap_or_default());
                if status.is_client_error() && status != StatusCode::TOO_MANY_REQUESTS {
                    return Err(last);
                }
            }
            Err(e) => last = format!("attempt {}: {e}", attempt + 1),
        }
    }
    Err(last)
}
