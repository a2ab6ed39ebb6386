//! `GET /v1/analytics/mini-apps/{mini_app_id}/report`: a mini-app's page views and events, for
//! its owner.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use platform_api::irs;
use zhelikit_domain::analytics::{report_range, AnalyticsReport};
use zhelikit_domain::api::Problem;
use zhelikit_domain::paths;

use crate::analytics::{build_report, AnalyticsRefusal};
use crate::app::AppState;
use crate::http::json::ApiQuery;
use crate::http::problem::ApiError;

/// The days a report covers.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct ReportRange {
    /// First day, `YYYY-MM-DD` (China Standard Time).
    pub from: String,
    /// Last day, `YYYY-MM-DD`; at most 92 days after `from`.
    pub to: String,
}

/// A mini-app's page views (per day and page, with visitors, load time and time on page) and
/// events (per code). Signed like an IRS gateway call (`X-BG-HMAC-*` headers) with the
/// mini-app's registered access and secret key.
#[utoipa::path(get, path = paths::ANALYTICS_REPORT, tag = "analytics",
    params(("mini_app_id" = String, Path, description = "The mini-app"), ReportRange),
    responses((status = 200, body = AnalyticsReport),
        (status = 400, description = "invalid_field (from, to)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "owner_unauthenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not_mini_app_owner", body = Problem, content_type = "application/problem+json")))]
pub async fn get_report(
    State(state): State<AppState>,
    Path(mini_app_id): Path<String>,
    ApiQuery(range): ApiQuery<ReportRange>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<axum::Json<AnalyticsReport>, ApiError> {
    let registrations = &state.config.platform.registrations;
    let owner_of = |access_key: &str| {
        registrations
            .iter()
            .find(|(_, r)| r.irs.access_key == access_key)
    };
    let signed_by = irs::verify(
        |name| headers.get(name).and_then(|v| v.to_str().ok()),
        "GET",
        uri.path(),
        uri.query().unwrap_or(""),
        |key| owner_of(key).map(|(_, r)| r.irs.secret_key.clone()),
        chrono::Utc::now(),
    )
    .map_err(|e| AnalyticsRefusal::Unsigned(e.to_string()))?;
    let signed_for = owner_of(&signed_by)
        .map(|(id, _)| id.clone())
        .unwrap_or_default();
    if signed_for != mini_app_id {
        return Err(AnalyticsRefusal::NotOwner {
            signed_for,
            asked: mini_app_id,
        }
        .into());
    }
    let (from, to) = report_range(&range.from, &range.to).map_err(AnalyticsRefusal::from)?;
    let tallies = state
        .store
        .analytics_tallies(&mini_app_id, &from, &to)
        .await?;
    let visitors = state
        .store
        .analytics_visitors(&mini_app_id, &from, &to)
        .await?;
    Ok(axum::Json(build_report(
        &mini_app_id,
        &from,
        &to,
        &tallies,
        &visitors,
    )))
}
