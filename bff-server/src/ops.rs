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

/// The operational routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
        .routes(routes!(jwks))
}
