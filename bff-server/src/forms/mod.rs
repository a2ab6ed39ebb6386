//! 一表通 · 一件事, the BFF's part: the registry of forms and their versions (`registry`,
//! `catalogue`), 一表通's auto-fill from the departments' records and the person's last
//! submission (`prefill`), the intake of finalized submissions from the devices' outboxes, checked by the
//! same engine the SDK runs and applied exactly once (`intake`), the applicant's view of where
//! each submission stands (`submissions`), and 一件事 routing — each department's part
//! delivered to its intake through the durable job mechanism, and the departments' signed
//! statuses coming back (`routing`).
//!
//! Answers are sealed at rest (bound to their instance id) and opened only to deliver a part
//! to its department, which is audited; what the BFF answers about a submission is where it
//! stands, never what it says (the device keeps that).

pub mod catalogue;
pub mod intake;
pub mod prefill;
pub mod registry;
pub mod routing;
pub mod submissions;

use axum::http::StatusCode;
use chrono::Utc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhelikit_domain::lang::Text;
use zhelikit_domain::problem_code::ProblemCode;

use crate::app::AppState;
use crate::http::problem::ApiError;

pub use registry::Registry;

/// The forms routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(catalogue::list))
        .routes(routes!(catalogue::open_version))
        .routes(routes!(catalogue::version))
        .routes(routes!(prefill::prefill))
        .routes(routes!(intake::submit))
        .routes(routes!(submissions::mine))
        .routes(routes!(submissions::one))
        .routes(routes!(routing::status))
}

/// Today in China, days since 1970-01-01: what `today()` of a form means.
pub(crate) fn today() -> i64 {
    zhelikit_domain::policy::china_day(Utc::now().timestamp())
}

/// No form `form_id` (at `version`, when given).
pub(crate) fn form_not_found(form_id: &str, version: Option<u32>) -> ApiError {
    let (zh, en) = match version {
        Some(v) => (
            format!("没有表单 {form_id} 的第 {v} 版"),
            format!("form {form_id} has no version {v}"),
        ),
        None => (
            format!("没有表单 {form_id}"),
            format!("there is no form {form_id}"),
        ),
    };
    ApiError::new(
        StatusCode::NOT_FOUND,
        ProblemCode::FormNotFound,
        Text::new(zh, en),
    )
}

/// No submission `instance_id` of the caller's.
pub(crate) fn submission_not_found(instance_id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ProblemCode::FormSubmissionNotFound,
        Text::new(
            format!("没有编号为 {instance_id} 的提交"),
            format!("no submission {instance_id}"),
        ),
    )
}
