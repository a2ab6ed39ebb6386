//! The citizen's say over their vault's history: complaints about an entry, requests that a
//! consumer delete what it received under a consent (sent to its webhook as a signed notice —
//! a durable job written with the request), and the platform's side of the history — what
//! happened at the BFF with no device involved (a bank's fetch under a consent, a
//! department's decision on a correction), names and kinds, never values.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use zhelikit_domain::api::Problem;
use zhelikit_domain::lang::Text;
use zhelikit_domain::paths;
use zhelikit_domain::problem_code::ProblemCode;
use zhelikit_domain::scope::Scope;
use zhelikit_domain::vault::consent::{ConsentStatus, NoticeEvent};
use zhelikit_domain::vault::objection::{
    objection_id, Objection, ObjectionKind, ObjectionStatus, RaiseObjection, ServerActivity,
};

use crate::app::AppState;
use crate::audit::Event;
use crate::http::json::ApiJson;
use crate::http::problem::ApiError;
use crate::identity::auth::Authenticated;
use crate::storage::StoredObjection;
use crate::vault::notices::notice_job;
use crate::vault::{at, internal};

/// What the platform's side of the history shows.
const ACTIVITY: [Event; 4] = [
    Event::ConsentFetched,
    Event::ConsentChanged,
    Event::CorrectionDecided,
    Event::CorrectionReissued,
];

async fn view(state: &AppState, o: &StoredObjection) -> Result<Objection, ApiError> {
    let kind = match o.kind.as_str() {
        "deletion" => ObjectionKind::Deletion,
        _ => ObjectionKind::Complaint,
    };
    let status = match &o.job_id {
        Some(job) => {
            let job = (state.store.job(job).await).map_err(|e| internal("reading a job", e))?;
            // A job no longer there was done long ago (done jobs are pruned; buried ones stay).
            ObjectionStatus::of_job(job.as_ref().map_or("done", |j| j.status.as_str()))
        }
        None => ObjectionStatus::Received,
    };
    Ok(Objection {
        id: o.id.clone(),
        kind,
        consent_id: o.consent_id.clone(),
        entry_seq: o.entry_seq.and_then(|s| u64::try_from(s).ok()),
        entry_hash: o.entry_hash.clone(),
        counterpart: o.counterpart.clone(),
        message: o.message.clone(),
        status,
        status_text: status.zh().into(),
        raised_at: o.raised_at.timestamp(),
    })
}

/// The citizen complains about a history entry (or a consent), or asks a consumer to delete
/// what it received under a consent. The same `request_id` again returns the first.
#[utoipa::path(post, path = paths::VAULT_OBJECTIONS, tag = "vault", security(("bearer" = [])),
    request_body = RaiseObjection,
    responses((status = 201, body = Objection), (status = 200, description = "raised before under this request_id", body = Objection),
        (status = 400, description = "invalid_field (request_id, message, entry, consent_id)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "missing_scope, consent_not_yours", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "consent_not_found", body = Problem, content_type = "application/problem+json")))]
pub async fn raise(
    State(state): State<AppState>,
    auth: Authenticated,
    ApiJson(body): ApiJson<RaiseObjection>,
) -> Result<(StatusCode, axum::Json<Objection>), ApiError> {
    auth.require(Scope::VaultRead)?;
    body.check()?;
    let user_id = auth.user_id()?;
    let id = objection_id(&user_id.to_string(), &body.request_id);
    if let Some(kept) =
        (state.store.objection(&id).await).map_err(|e| internal("reading an objection", e))?
    {
        return Ok((StatusCode::OK, axum::Json(view(&state, &kept).await?)));
    }
    let consent = match &body.consent_id {
        Some(cid) => {
            let c = (state.store.consent(cid).await)
                .map_err(|e| internal("reading a consent", e))?
                .ok_or_else(|| {
                    ApiError::new(
                        StatusCode::NOT_FOUND,
                        ProblemCode::ConsentNotFound,
                        Text::new(format!("没有授权 {cid}"), format!("no consent {cid}")),
                    )
                })?;
            if c.user_id != user_id {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    ProblemCode::ConsentNotYours,
                    Text::new("这不是您的授权", "not your consent"),
                ));
            }
            Some(c)
        }
        None => None,
    };
    let now = Utc::now();
    // A deletion request reaches the consumer as a signed notice, delivered as a job.
    let job = match (&body.kind, &consent) {
        (ObjectionKind::Deletion, Some(c)) => state
            .config
            .vault_consumers
            .iter()
            .find(|k| k.id == c.consumer_id)
            .and_then(|consumer| {
                notice_job(
                    &state,
                    consumer,
                    &c.id,
                    NoticeEvent::DeletionRequested,
                    ConsentStatus::parse(&c.status),
                    now.timestamp(),
                )
            })
            .map(|j| j.row()),
        _ => None,
    };
    let counterpart = consent
        .as_ref()
        .map(|c| c.consumer_id.clone())
        .or_else(|| body.entry.as_ref().map(|e| e.body.what.counterpart.clone()));
    let stored = StoredObjection {
        id: id.clone(),
        user_id,
        request_id: body.request_id.clone(),
        kind: match body.kind {
            ObjectionKind::Complaint => "complaint".into(),
            ObjectionKind::Deletion => "deletion".into(),
        },
        consent_id: body.consent_id.clone(),
        entry_seq: (body.entry.as_ref()).and_then(|e| i64::try_from(e.body.seq).ok()),
        entry_hash: body.entry.as_ref().map(|e| e.hash.clone()),
        counterpart,
        message: body.message.trim().into(),
        job_id: job.as_ref().map(|j| j.id.clone()),
        raised_at: at(now.timestamp()),
    };
    let inserted = (state.store.insert_objection(&stored, job.as_slice()).await)
        .map_err(|e| internal("keeping an objection", e))?;
    if !inserted {
        let kept = (state.store.objection(&id).await)
            .map_err(|e| internal("reading an objection", e))?
            .ok_or_else(|| ApiError::internal("an objection vanished"))?;
        return Ok((StatusCode::OK, axum::Json(view(&state, &kept).await?)));
    }
    if let Some(row) = &job {
        state.jobs.published(row).await;
    }
    Ok((
        StatusCode::CREATED,
        axum::Json(view(&state, &stored).await?),
    ))
}

/// The citizen's complaints and deletion requests, newest first, with where each stands.
#[utoipa::path(get, path = paths::VAULT_OBJECTIONS, tag = "vault", security(("bearer" = [])),
    responses((status = 200, body = Vec<Objection>),
        (status = 403, description = "missing_scope", body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<axum::Json<Vec<Objection>>, ApiError> {
    auth.require(Scope::VaultRead)?;
    let rows = (state.store.objections_of(auth.user_id()?).await)
        .map_err(|e| internal("reading objections", e))?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(view(&state, r).await?);
    }
    Ok(axum::Json(out))
}

/// What happened at the platform about the citizen with no device involved, newest first (the
/// last 200): a consumer's fetches and consent changes, departments' decisions.
#[utoipa::path(get, path = paths::VAULT_ACTIVITY, tag = "vault", security(("bearer" = [])),
    responses((status = 200, body = Vec<ServerActivity>),
        (status = 403, description = "missing_scope", body = Problem, content_type = "application/problem+json")))]
pub async fn activity(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<axum::Json<Vec<ServerActivity>>, ApiError> {
    auth.require(Scope::VaultRead)?;
    let names: Vec<&str> = ACTIVITY.iter().map(|e| e.name()).collect();
    let lines = (state.store.audit_of(auth.user_id()?, &names, 200).await)
        .map_err(|e| internal("reading the platform's history", e))?;
    Ok(axum::Json(
        lines
            .into_iter()
            .map(|(at, e)| ServerActivity {
                at: at.timestamp(),
                event: e.event,
                counterpart: e.mini_app_id,
                detail: e.detail,
            })
            .collect(),
    ))
}
