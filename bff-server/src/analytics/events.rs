//! `POST /v1/analytics/events`: a batch of the session's mini-app's events, counted once.

use axum::extract::State;
use zhelikit_domain::analytics::{check_batch, BatchReceipt, EventBatch};
use zhelikit_domain::api::Problem;
use zhelikit_domain::paths;

use crate::analytics::{fold, AnalyticsRefusal};
use crate::app::AppState;
use crate::http::json::ApiJson;
use crate::http::problem::ApiError;
use crate::identity::auth::Authenticated;

/// Counts a batch of `ZwLog` events for the session's mini-app. Needs only a session (no
/// scope: nothing personal is read, and what is sent is masked again here). A batch sent
/// again is answered `duplicate` and counted once.
#[utoipa::path(post, path = paths::ANALYTICS_EVENTS, tag = "analytics", security(("bearer" = [])), request_body = EventBatch,
    responses((status = 200, body = BatchReceipt),
        (status = 400, description = "invalid_field (the event and field named), malformed_body", body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn post_events(
    State(state): State<AppState>,
    auth: Authenticated,
    ApiJson(mut batch): ApiJson<EventBatch>,
) -> Result<axum::Json<BatchReceipt>, ApiError> {
    check_batch(&mut batch).map_err(AnalyticsRefusal::from)?;
    let mini_app = auth.0.aud.clone();
    let user = auth.0.sub.clone();
    let now = chrono::Utc::now();
    let folded = fold(&batch.events, now.timestamp_millis(), |day| {
        state.personal_data.visitor_pseudonym(&mini_app, day, &user)
    });
    let fresh = state
        .store
        .count_analytics_batch(
            &mini_app,
            &batch.batch_id,
            &folded.tallies,
            &folded.visits,
            now,
        )
        .await?;
    Ok(axum::Json(if fresh {
        BatchReceipt {
            counted: folded.counted,
            too_old: folded.too_old,
            duplicate: false,
        }
    } else {
        BatchReceipt {
            counted: 0,
            too_old: 0,
            duplicate: true,
        }
    }))
}
