//! The intake of a finalized submission from a device's outbox: checked by the form's own
//! engine (a client cannot skip a rule the phone checked), split into each department's part,
//! and taken exactly once — with its parts and the jobs that deliver them, in one transaction.
//!
//! - The same instance again (a retry after a lost answer, an app killed mid-send) gets the
//!   first answer back; a different body under that instance id is a 409 with the submission
//!   as it was taken.
//! - A new instance from an outbox place at or below one applied is a 409: the outbox's order
//!   is the order things happened in.
//! - A correction names the submission it supersedes, which must be the person's latest of
//!   that line; a stale one is a 409 with the latest. Parts a correction leaves as they were
//!   (same answers, not sent back) carry over with their department's status; the others go
//!   to their departments again.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::Utc;
use zhelikit_domain::api::Problem;
use zhelikit_domain::forms::prefill::Sources;
use zhelikit_domain::forms::routing;
use zhelikit_domain::forms::submission::{
    json_digest, part_reference, PartStatus, Submission, SubmissionRequest,
};
use zhelikit_domain::lang::Text;
use zhelikit_domain::paths;
use zhelikit_domain::problem_code::ProblemCode;
use zhelikit_domain::scope::Scope;

use crate::app::AppState;
use crate::audit::{self, Event};
use crate::http::client::ClientAddr;
use crate::http::json::ApiJson;
use crate::http::problem::ApiError;
use crate::identity::auth::Authenticated;
use crate::storage::{StoredPart, StoredSubmission, Taken};

use super::submissions::view_of;
use super::{form_not_found, prefill, routing as delivery, today};

/// Longest client or instance id.
const MAX_ID: usize = 100;

fn identifier(field: &str, value: &str) -> Result<(), ApiError> {
    let ok = !value.is_empty()
        && value.len() <= MAX_ID
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid_field(
            field,
            Text::new(
                format!("须为 1–{MAX_ID} 个字母、数字或 - _ : ."),
                format!("must be 1–{MAX_ID} letters, digits or - _ : ."),
            ),
        ))
    }
}

fn instance_conflict(current: Option<&Submission>) -> ApiError {
    let e = ApiError::new(
        StatusCode::CONFLICT,
        ProblemCode::FormInstanceConflict,
        Text::new(
            "该提交编号已用于内容不同的另一份提交",
            "this instance id was used for a submission that says something else",
        ),
    )
    .with_field("instance_id");
    match current.and_then(|c| serde_json::to_value(c).ok()) {
        Some(c) => e.with_current(c),
        None => e,
    }
}

/// The 422 of answers with `problems`, every one in `errors`.
fn answers_invalid(problems: Vec<zhelikit_domain::forms::definition::Problem>) -> ApiError {
    let n = problems.len();
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        ProblemCode::FormAnswersInvalid,
        Text::new(
            format!("表单有 {n} 处需要修改"),
            format!("{n} answers need fixing"),
        ),
    )
    .with_field("answers")
    .with_errors(
        problems
            .into_iter()
            .map(|p| (p.path, p.code.to_string(), p.message))
            .collect(),
    )
}

/// What a submission taken before answers a send of `digest` by `user_id`: itself again, or
/// a conflict.
async fn replay(
    state: &AppState,
    kept: &StoredSubmission,
    user_id: uuid::Uuid,
    digest: &str,
) -> Result<(StatusCode, axum::Json<Submission>), ApiError> {
    if kept.user_id != user_id {
        // Someone else's: say nothing of it.
        return Err(instance_conflict(None));
    }
    let view = view_of(state, kept).await?;
    if kept.digest == digest {
        Ok((StatusCode::OK, axum::Json(view)))
    } else {
        Err(instance_conflict(Some(&view)))
    }
}

/// Takes a finalized submission of form `form_id`. `201` the first time; `200` with the same
/// answer for the same instance sent again.
#[utoipa::path(post, path = paths::FORM_SUBMISSIONS, tag = "forms", security(("bearer" = [])),
    params(("form_id" = String, Path, description = "the form")),
    request_body = SubmissionRequest,
    responses((status = 201, description = "taken", body = Submission),
        (status = 200, description = "taken before (a replay)", body = Submission),
        (status = 400, description = "invalid_field, malformed_body", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "form_not_found", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "form_closed, form_instance_conflict, form_sequence_stale, form_submission_stale (with `current`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "form_answers_invalid (every error in `errors`)", body = Problem, content_type = "application/problem+json")))]
pub async fn submit(
    State(state): State<AppState>,
    auth: Authenticated,
    ClientAddr(client): ClientAddr,
    Path(form_id): Path<String>,
    ApiJson(body): ApiJson<SubmissionRequest>,
) -> Result<(StatusCode, axum::Json<Submission>), ApiError> {
    auth.require(Scope::FormsSubmit)?;
    let user_id = auth.user_id()?;
    identifier("client_id", &body.client_id)?;
    identifier("instance_id", &body.instance_id)?;
    if let Some(s) = &body.supersedes {
        identifier("supersedes", s)?;
    }
    let seq = i64::try_from(body.seq)
        .ok()
        .filter(|s| *s >= 1)
        .ok_or_else(|| {
            ApiError::invalid_field(
                "seq",
                Text::new("须为正整数", "must be a positive whole number"),
            )
        })?;
    let digest = body.digest(&form_id);
    // A replay first: what was taken stays taken, even once the form has closed.
    if let Some(kept) = state.store.submission(&body.instance_id).await? {
        return replay(&state, &kept, user_id, &digest).await;
    }
    let version = i32::try_from(body.version).unwrap_or(i32::MAX);
    let stored = state
        .store
        .form_version(&form_id, version)
        .await?
        .ok_or_else(|| form_not_found(&form_id, Some(body.version)).with_field("version"))?;
    if stored.status == "closed" {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ProblemCode::FormClosed,
            Text::new(
                format!("{}（第 {} 版）已停止受理", stored.title, stored.version),
                format!(
                    "{} v{} takes no more submissions",
                    stored.title, stored.version
                ),
            ),
        )
        .with_field("version"));
    }
    let form = state.forms.form(&stored)?;
    let today = today();
    // Checked as it will be kept: calculations made (a constraint on a calculated field holds
    // of what was calculated), irrelevant answers dropped.
    let submitted = form.submitted(&body.answers, today);
    let problems = form.check(&submitted, today);
    if !problems.is_empty() {
        return Err(answers_invalid(problems));
    }
    // A government-verified answer is the department's, not the client's: asked again (the
    // adapter layer's cache answers a draft filled minutes ago) and compared. A department
    // down now takes nothing away: what it does not say, the person's answer stands for.
    if !form.sources().is_empty() {
        let government = prefill::government(&state, &form, user_id).await?;
        let verified = form.prefill(
            &Sources {
                government,
                previous: None,
            },
            today,
        );
        let problems = form.check_verified(&submitted, &verified);
        if !problems.is_empty() {
            return Err(answers_invalid(problems));
        }
    }
    let corrected = match &body.supersedes {
        Some(id) => state
            .store
            .submission(id)
            .await?
            .filter(|s| s.user_id == user_id),
        None => None,
    };
    let now = Utc::now();
    let mut parts = Vec::new();
    let mut jobs = Vec::new();
    for (ordinal, ((department, answers), part)) in routing::split(form.definition(), &submitted)
        .into_iter()
        .zip(&form.definition().routing)
        .enumerate()
    {
        let part_digest = json_digest(&answers);
        let carried = corrected.as_ref().and_then(|c| {
            c.parts.iter().find(|p| {
                p.department == department
                    && p.digest == part_digest
                    && p.status != PartStatus::Rejected.as_str()
            })
        });
        parts.push(match carried {
            Some(old) => StoredPart {
                instance_id: body.instance_id.clone(),
                ordinal: ordinal as i32,
                ..old.clone()
            },
            None => {
                let reference = part_reference(&body.instance_id, &department);
                jobs.push(delivery::job(&reference, &body.instance_id, &department));
                StoredPart {
                    instance_id: body.instance_id.clone(),
                    department,
                    ordinal: ordinal as i32,
                    reference,
                    title: part.title.clone(),
                    digest: part_digest,
                    status: PartStatus::Pending.as_str().into(),
                    reason: None,
                    case_number: None,
                    updated_at: now,
                }
            }
        });
    }
    let plain = serde_json::to_vec(&submitted).map_err(|e| ApiError::internal(e.to_string()))?;
    let submission = StoredSubmission {
        instance_id: body.instance_id.clone(),
        form_id: form_id.clone(),
        version,
        user_id,
        client_id: body.client_id.clone(),
        seq,
        digest: digest.clone(),
        sealed_answers: state.personal_data.seal_answers(&body.instance_id, &plain),
        supersedes: body.supersedes.clone(),
        superseded_by: None,
        received_at: now,
        parts,
    };
    match state.store.take_submission(&submission, &jobs).await? {
        Taken::Taken => {}
        Taken::Exists(kept) => return replay(&state, &kept, user_id, &digest).await,
        Taken::SequenceStale { last } => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                ProblemCode::FormSequenceStale,
                Text::new(
                    format!("提交序号 {seq} 不大于该设备已处理的 {last}"),
                    format!("seq {seq} is not above {last}, the last this outbox applied"),
                ),
            )
            .with_field("seq"))
        }
        Taken::SupersededStale(latest) => {
            let e = ApiError::new(
                StatusCode::CONFLICT,
                ProblemCode::FormSubmissionStale,
                Text::new(
                    "所更正的提交已被更正过，请在最新一份的基础上修改",
                    "the submission corrected was corrected already: edit the latest one",
                ),
            )
            .with_field("supersedes");
            let current = match latest {
                Some(id) => state.store.submission(&id).await?,
                None => None,
            };
            return Err(match current {
                Some(c) => {
                    let view = view_of(&state, &c).await?;
                    e.with_current(serde_json::to_value(view).unwrap_or_default())
                }
                None => e,
            });
        }
    }
    for job in &jobs {
        state.jobs.published(job).await;
    }
    audit::record(
        &state,
        Event::FormSubmitted,
        Some(user_id),
        Some(&auth.0.aud),
        &client,
        &format!(
            "{} {form_id} v{} parts {}",
            body.instance_id,
            body.version,
            submission.parts.len()
        ),
    )
    .await;
    Ok((
        StatusCode::CREATED,
        axum::Json(view_of(&state, &submission).await?),
    ))
}
