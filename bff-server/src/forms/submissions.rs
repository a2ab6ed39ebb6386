//! The applicant's view of their submissions: one joint status and each department's part —
//! where it stands, never what it says (the device keeps the answers).

use axum::extract::{Path, State};
use platform_api::departments::Department;
use zhelikit_domain::api::Problem;
use zhelikit_domain::forms::submission::{
    JointStatus, PartStatus, PartView, Submission, SubmissionList,
};
use zhelikit_domain::paths;
use zhelikit_domain::scope::Scope;

use crate::app::AppState;
use crate::http::problem::ApiError;
use crate::identity::auth::Authenticated;
use crate::storage::StoredSubmission;

use super::submission_not_found;

/// How many submissions the list gives at most.
const LIST_LIMIT: i64 = 200;

/// `s` as the applicant sees it (`title`: its form's).
pub(crate) fn view(s: &StoredSubmission, title: &str) -> Result<Submission, ApiError> {
    let parts = s
        .parts
        .iter()
        .map(|p| {
            let status = PartStatus::parse(&p.status).ok_or_else(|| {
                ApiError::internal(format!("part {} has status {:?}", p.reference, p.status))
            })?;
            Ok(PartView {
                department_name: Department::parse(&p.department)
                    .map_or_else(|| p.department.clone(), |d| d.chinese_name().to_string()),
                department: p.department.clone(),
                title: p.title.clone(),
                status,
                reason: p.reason.clone(),
                case_number: p.case_number.clone(),
                updated_at: p.updated_at.timestamp(),
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let statuses: Vec<PartStatus> = parts.iter().map(|p| p.status).collect();
    Ok(Submission {
        instance_id: s.instance_id.clone(),
        form_id: s.form_id.clone(),
        version: u32::try_from(s.version).unwrap_or(0),
        title: title.to_string(),
        digest: s.digest.clone(),
        status: JointStatus::of(&statuses, s.superseded_by.is_some()),
        parts,
        received_at: s.received_at.timestamp(),
        supersedes: s.supersedes.clone(),
        superseded_by: s.superseded_by.clone(),
    })
}

/// `s`'s view, its form's title read from the registry.
pub(crate) async fn view_of(
    state: &AppState,
    s: &StoredSubmission,
) -> Result<Submission, ApiError> {
    let title = state
        .store
        .form_version(&s.form_id, s.version)
        .await?
        .map(|v| v.title)
        .unwrap_or_else(|| s.form_id.clone());
    view(s, &title)
}

/// The person's submissions, newest first, each with where it stands.
#[utoipa::path(get, path = paths::SUBMISSIONS, tag = "forms", security(("bearer" = [])),
    responses((status = 200, body = SubmissionList),
        (status = 403, description = "missing_scope", body = Problem, content_type = "application/problem+json")))]
pub async fn mine(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<axum::Json<SubmissionList>, ApiError> {
    auth.require(Scope::FormsSubmit)?;
    let rows = state
        .store
        .submissions_of(auth.user_id()?, LIST_LIMIT)
        .await?;
    // Every version's title in one read, not one read per submission.
    let titles: std::collections::HashMap<(String, i32), String> = state
        .store
        .form_versions()
        .await?
        .into_iter()
        .map(|v| ((v.form_id, v.version), v.title))
        .collect();
    let submissions = rows
        .iter()
        .map(|s| {
            let title = titles
                .get(&(s.form_id.clone(), s.version))
                .map_or(s.form_id.as_str(), String::as_str);
            view(s, title)
        })
        .collect::<Result<_, _>>()?;
    Ok(axum::Json(SubmissionList { submissions }))
}

/// One of the person's submissions and where each department's part stands.
#[utoipa::path(get, path = paths::SUBMISSION, tag = "forms", security(("bearer" = [])),
    params(("instance_id" = String, Path, description = "the submission")),
    responses((status = 200, body = Submission),
        (status = 404, description = "form_submission_not_found", body = Problem, content_type = "application/problem+json")))]
pub async fn one(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(instance_id): Path<String>,
) -> Result<axum::Json<Submission>, ApiError> {
    auth.require(Scope::FormsSubmit)?;
    let user_id = auth.user_id()?;
    match state.store.submission(&instance_id).await? {
        // Another person's reads as absent: an instance id says nothing about whose it is.
        Some(s) if s.user_id == user_id => Ok(axum::Json(view_of(&state, &s).await?)),
        _ => Err(submission_not_found(&instance_id)),
    }
}
