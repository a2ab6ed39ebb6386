//! Test controls under `/__admin`: health and time travel.
//!
//! These do not exist on the real platform. Later additions (department APIs, fault injection)
//! belong here too, each in its own route group.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::MockState;

/// `GET`: 200 while the server runs.
pub const HEALTH_PATH: &str = "/__admin/health";
/// `GET`: the mock clock. `POST {"seconds": N}`: move it forward.
pub const CLOCK_PATH: &str = "/__admin/clock";
/// `POST {"seconds": N}`: move the mock clock forward by N seconds.
pub const CLOCK_ADVANCE_PATH: &str = "/__admin/clock/advance";

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
