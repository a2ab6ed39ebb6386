//! 数据纠错 (correcting a department's data), the BFF's part. The citizen's device files a
//! dispute (`POST /v1/vault/corrections`); the BFF checks it, checks that the disputed
//! credential carries its department's signature, and files it with that department through
//! the adapter layer (the filing is idempotent by reference, so the layer's retry is safe, and
//! a device retrying after a lost answer files nothing twice). It keeps the correction's state
//! and the digest of what was filed — not the value, the reason or the evidence.
//!
//! The department's decision comes back signed with its issuer key
//! (`POST /v1/vault/corrections/decisions`); on acceptance the BFF refetches that department's
//! status list at once, so verifiers asking here see the old credential revoked without
//! waiting out the cached list. The correction becomes `REISSUED` when the device next pulls
//! that kind of certificate ([`super::certificates::pull`] calls [`reissued`]).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use platform_api::departments::{CorrectionFiling, Operation};
use uuid::Uuid;
use zhelikit_domain::api::{Problem, UserKind};
use zhelikit_domain::lang::Text;
use zhelikit_domain::paths;
use zhelikit_domain::problem_code::ProblemCode;
use zhelikit_domain::records::Record;
use zhelikit_domain::scope::Scope;
use zhelikit_domain::vault::catalogue::issuer_id;
use zhelikit_domain::vault::correction::{
    self, correction_id, Correction, CorrectionStatus, DecisionCallback, DisputeRequest, Outcome,
    Transition, MAX_EVIDENCE_BYTES,
};
use zhelikit_domain::vault::{CertificateKind, VaultRecord};

use crate::app::AppState;
use crate::audit::{self, Event};
use crate::departments::RecordLookup;
use crate::http::client::ClientAddr;
use crate::http::json::ApiJson;
use crate::http::problem::ApiError;
use crate::identity::auth::Authenticated;
use crate::identity::users::{citizen_id_number, user_profile};
use crate::storage::StoredCorrection;
use crate::vault::{at, internal, issuers, VaultError};

/// The largest body of a filing: the evidence, base64, and room for the rest.
pub const FILING_BODY_LIMIT: usize = MAX_EVIDENCE_BYTES / 3 * 4 + 64 * 1024;

fn view(s: &StoredCorrection) -> Result<Correction, ApiError> {
    Ok(Correction {
        id: s.id.clone(),
        request_id: s.request_id.clone(),
        kind: CertificateKind::parse(&s.kind)
            .ok_or_else(|| internal("a stored correction's kind", &s.kind))?,
        claim: s.claim.clone(),
        department: s.department.clone(),
        case_number: s.case_number.clone(),
        status: CorrectionStatus::parse(&s.status)
            .ok_or_else(|| internal("a stored correction's status", &s.status))?,
        proposal_digest: s.proposal_digest.clone(),
        submitted_at: s.submitted_at.timestamp(),
        decided_at: s.decided_at.map(|t| t.timestamp()),
        decision_reason: s.decision_reason.clone(),
        reissued_at: s.reissued_at.map(|t| t.timestamp()),
    })
}

fn request_reused() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        ProblemCode::CorrectionStatusConflict,
        Text::new(
            "该申请编号已用于另一项纠错申请",
            "this request id was used for another dispute",
        ),
    )
    .with_field("request_id")
}

/// The citizen disputes a claim of one of their certificates: filed with the department that
/// issued it. Sending the same `request_id` again returns the correction filed the first time.
#[utoipa::path(post, path = paths::VAULT_CORRECTIONS, tag = "vault", security(("bearer" = [])),
    request_body = DisputeRequest,
    responses((status = 201, body = Correction), (status = 200, description = "filed before under this request_id", body = Correction),
        (status = 400, description = "invalid_field (request_id, claim, proposed_value, reason, evidence, credential)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "missing_scope, user_kind_not_allowed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "certificate_not_held (the department has no record of the person)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "correction_status_conflict (the request_id was used for another dispute, or this claim has an open correction)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "body_too_large", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "department_unavailable", body = Problem, content_type = "application/problem+json")))]
pub async fn file(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    auth: Authenticated,
    ApiJson(body): ApiJson<DisputeRequest>,
) -> Result<(StatusCode, axum::Json<Correction>), ApiError> {
    auth.require(Scope::VaultRead)?;
    let checked = body.check()?;
    let user_id = auth.user_id()?;
    let id = correction_id(&user_id.to_string(), &body.request_id);
    let replay = |stored: StoredCorrection| {
        if stored.proposal_digest == checked.proposal_digest {
            Ok((StatusCode::OK, axum::Json(view(&stored)?)))
        } else {
            Err(request_reused())
        }
    };
    if let Some(stored) =
        (state.store.correction(&id).await).map_err(|e| internal("reading a correction", e))?
    {
        return replay(stored);
    }
    let open = (state.store.corrections_of(user_id).await)
        .map_err(|e| internal("reading corrections", e))?
        .into_iter()
        .find(|c| {
            c.kind == body.kind.as_str()
                && c.claim == body.claim
                && c.status == CorrectionStatus::Submitted.as_str()
        });
    if let Some(open) = open {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ProblemCode::CorrectionStatusConflict,
            Text::new(
                format!("该项已有一件待部门处理的纠错申请（{}）", open.case_number),
                format!(
                    "a correction of this claim is still open ({})",
                    open.case_number
                ),
            ),
        )
        .with_field("claim"));
    }
    let user = user_profile(&state, user_id).await?;
    if user.profile.kind != UserKind::Citizen {
        return Err(VaultError::NotACitizen.into());
    }
    let directory = issuers::directory(&state).await;
    correction::verify_credential_signature(&body.credential, &directory.issuers).map_err(
        |reason| {
            ApiError::invalid_field(
                "credential",
                Text::new(
                    format!("签发方签名无法验证：{reason}"),
                    format!("the issuer's signature does not verify: {reason}"),
                ),
            )
        },
    )?;
    let department = Operation::Certificate(body.kind).department();
    let op = Operation::Correction(department);
    let filing = CorrectionFiling {
        reference: id.clone(),
        id_number: citizen_id_number(&state, &user)?,
        kind: body.kind,
        claim: body.claim.clone(),
        proposed_value: body.proposed_value.trim().into(),
        reason: body.reason.trim().into(),
        evidence: body.evidence.clone(),
        credential: body.credential.clone(),
    };
    let request = serde_json::to_vec(&filing).map_err(|e| internal("a filing", e))?;
    let on_behalf: Arc<str> = Arc::from(user_id.to_string());
    let receipt = match state
        .departments
        .fetch_vault(
            op,
            request.into(),
            format!("{}:{id}", op.as_str()),
            &on_behalf,
        )
        .await
    {
        RecordLookup::Found { data, .. } => match &*data {
            Record::Vault(VaultRecord::CorrectionReceipt(r)) if r.reference == id => r.clone(),
            _ => {
                return Err(ApiError::internal(
                    "the department answered a filing with another record",
                ))
            }
        },
        RecordLookup::NotFound { .. } => return Err(VaultError::NotHeld(body.kind).into()),
        RecordLookup::Unavailable { reason } => return Err(VaultError::Unavailable(reason).into()),
    };
    let stored = StoredCorrection {
        id: id.clone(),
        user_id,
        request_id: body.request_id.clone(),
        kind: body.kind.as_str().into(),
        claim: body.claim.clone(),
        department: department.as_str().into(),
        case_number: receipt.case_number,
        status: CorrectionStatus::Submitted.as_str().into(),
        proposal_digest: checked.proposal_digest.clone(),
        evidence_digest: checked.evidence_digest,
        submitted_at: at(Utc::now().timestamp()),
        decided_at: None,
        decision_reason: None,
        reissued_at: None,
    };
    let inserted = (state.store.insert_correction(&stored).await)
        .map_err(|e| internal("keeping a correction", e))?;
    if !inserted {
        // The same dispute, sent twice at once: the other one kept it.
        let kept = (state.store.correction(&id).await)
            .map_err(|e| internal("reading a correction", e))?
            .ok_or_else(|| ApiError::internal("a correction vanished"))?;
        return replay(kept);
    }
    audit::record(
        &state,
        Event::CorrectionFiled,
        Some(user_id),
        Some(&auth.0.aud),
        &client,
        &format!("{id} {} {}", body.kind.as_str(), body.claim),
    )
    .await;
    Ok((StatusCode::CREATED, axum::Json(view(&stored)?)))
}

/// The citizen's corrections, newest first, each with where it stands.
#[utoipa::path(get, path = paths::VAULT_CORRECTIONS, tag = "vault", security(("bearer" = [])),
    responses((status = 200, body = Vec<Correction>),
        (status = 403, description = "missing_scope", body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<axum::Json<Vec<Correction>>, ApiError> {
    auth.require(Scope::VaultRead)?;
    let rows = (state.store.corrections_of(auth.user_id()?).await)
        .map_err(|e| internal("reading corrections", e))?;
    rows.iter()
        .map(view)
        .collect::<Result<_, _>>()
        .map(axum::Json)
}

fn decision_invalid(reason: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        ProblemCode::CorrectionDecisionInvalid,
        Text::new(
            format!("处理结果未通过签名验证：{reason}"),
            format!("the decision does not verify: {reason}"),
        ),
    )
}

/// A department's decision on a correction, signed with its issuer key. Sending it again is
/// harmless; a decision that contradicts an earlier one is refused.
#[utoipa::path(post, path = paths::VAULT_CORRECTION_DECISIONS, tag = "vault",
    request_body = DecisionCallback,
    responses((status = 204, description = "recorded (or recorded before)"),
        (status = 401, description = "correction_decision_invalid", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "correction_not_found", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "correction_status_conflict", body = Problem, content_type = "application/problem+json")))]
pub async fn decision(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(body): ApiJson<DecisionCallback>,
) -> Result<StatusCode, ApiError> {
    let directory = issuers::directory(&state).await;
    let decision = correction::verify_decision(&body.decision, &directory.issuers)
        .map_err(decision_invalid)?;
    let not_found = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            ProblemCode::CorrectionNotFound,
            Text::new(
                format!("没有编号为 {} 的纠错申请", decision.reference),
                format!("no correction {}", decision.reference),
            ),
        )
    };
    let read = || async {
        (state.store.correction(&decision.reference).await)
            .map_err(|e| internal("reading a correction", e))?
            .ok_or_else(not_found)
    };
    let stored = read().await?;
    if issuer_id(&stored.department) != decision.iss {
        return Err(decision_invalid("another department filed it"));
    }
    let conflict = |current: &str| {
        ApiError::new(
            StatusCode::CONFLICT,
            ProblemCode::CorrectionStatusConflict,
            Text::new(
                format!("该纠错申请已处理（{current}）"),
                format!("the correction was decided already ({current})"),
            ),
        )
    };
    let status = |s: &StoredCorrection| {
        CorrectionStatus::parse(&s.status)
            .ok_or_else(|| internal("a stored correction's status", &s.status))
    };
    match correction::on_decision(status(&stored)?, decision.outcome) {
        Transition::AlreadyThere => return Ok(StatusCode::NO_CONTENT),
        Transition::Conflict => return Err(conflict(&stored.status)),
        Transition::Apply => {}
    }
    let applied = (state.store.decide_correction(
        &stored.id,
        decision.outcome.status().as_str(),
        decision.reason.as_deref(),
        at(Utc::now().timestamp()),
    ))
    .await
    .map_err(|e| internal("recording a decision", e))?;
    if !applied {
        // Another delivery of a decision got there first: the same one is a repeat.
        let now = read().await?;
        return match correction::on_decision(status(&now)?, decision.outcome) {
            Transition::Conflict => Err(conflict(&now.status)),
            _ => Ok(StatusCode::NO_CONTENT),
        };
    }
    if decision.outcome == Outcome::Accepted {
        if let Some(d) = platform_api::departments::Department::parse(&stored.department) {
            issuers::refetch_status_list(&state, d).await;
        }
    }
    audit::record(
        &state,
        Event::CorrectionDecided,
        Some(stored.user_id),
        None,
        &client,
        &format!("{} {}", stored.id, decision.outcome.status().as_str()),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// After a pull of `kind` for `user_id`: the citizen's accepted corrections of that kind are
/// reissued now. A failure is logged; the next pull marks them.
pub(crate) async fn reissued(state: &AppState, user_id: Uuid, client: &str, kind: CertificateKind) {
    match state
        .store
        .reissue_corrections(user_id, kind.as_str(), at(Utc::now().timestamp()))
        .await
    {
        Ok(ids) => {
            for id in ids {
                audit::record(
                    state,
                    Event::CorrectionReissued,
                    Some(user_id),
                    None,
                    client,
                    &id,
                )
                .await;
            }
        }
        Err(e) => tracing::warn!(error = %e, "corrections not marked reissued"),
    }
}
