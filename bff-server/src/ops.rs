//! Operational endpoints: liveness, readiness, metrics, JWKS.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhelikit_domain::paths;

use crate::app::AppState;
use crate::http::problem::ApiError;

/// Liveness: the process answers.
#[utoipa::path(get, path = paths::HEALTHZ, tag = "operations", responses((status = 200, description = "alive")))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers. (The cache is not required: requests bypass it.)
#[utoipa::path(get, path = paths::READYZ, tag = "operations", responses((status = 200, description = "ready"), (status = 503, description = "storage_unavailable")))]
pub async fn readyz(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    state
        .store
        .ping()
        .await
        .map_err(|e| ApiError::storage_unavailable(e.to_string()))?;
    Ok("ready")
}

/// Prometheus metrics.
#[utoipa::path(get, path = paths::METRICS, tag = "operations", responses((status = 200, description = "Prometheus text format")))]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}

/// The public keys that verify access tokens (RFC 7517).
#[utoipa::path(get, path = paths::JWKS, tag = "identity", responses((status = 200, description = "JWK set")))]
pub async fn jwks(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "public, max-age=300")],
        axum::Json(state.keyring.jwks().clone()),
    )
}

/// Where the calendar clock stands.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ClockState {
    /// Now, RFC 3339.
    pub now: String,
    /// Today in China, `YYYY-MM-DD`.
    pub today: String,
    /// Seconds ahead of the wall clock.
    pub offset_secs: i64,
}

/// `POST` [`paths::DEV_CLOCK`].
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct Advance {
    /// Seconds to move forward.
    pub seconds: u32,
}

fn clock_state(state: &AppState) -> ClockState {
    ClockState {
        now: state.clock.now().to_rfc3339(),
        today: zhelikit_domain::policy::format_day(state.clock.today()),
        offset_secs: state.clock.offset_secs(),
    }
}

/// The calendar clock (what supervision's days and the jobs' due times follow).
#[utoipa::path(get, path = paths::DEV_CLOCK, tag = "operations", responses((status = 200, body = ClockState)))]
pub async fn clock(State(state): State<AppState>) -> axum::Json<ClockState> {
    axum::Json(clock_state(&state))
}

/// Moves the calendar clock forward, in a development deployment (`ZK_DEV_CLOCK=1`) only:
/// a demo lets a task go overdue and its reminders fall due.
#[utoipa::path(post, path = paths::DEV_CLOCK, tag = "operations", request_body = Advance,
    responses((status = 200, body = ClockState),
        (status = 404, description = "dev_clock_off", body = zhelikit_domain::api::Problem, content_type = "application/problem+json")))]
pub async fn advance_clock(
    State(state): State<AppState>,
    crate::http::json::ApiJson(body): crate::http::json::ApiJson<Advance>,
) -> Result<axum::Json<ClockState>, ApiError> {
    match state.clock.advance(body.seconds) {
        Some(offset) => {
            tracing::info!(seconds = body.seconds, offset, "calendar clock advanced");
            Ok(axum::Json(clock_state(&state)))
        }
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            zhelikit_domain::problem_code::ProblemCode::DevClockOff,
            zhelikit_domain::lang::Text::new(
                "当前部署不支持调整时钟（仅开发部署 ZK_DEV_CLOCK=1）",
                "the clock moves only in a development deployment (ZK_DEV_CLOCK=1)",
            ),
        )),
    }
}

/// The operational routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
        .routes(routes!(jwks))
        .routes(routes!(clock, advance_clock))
}
