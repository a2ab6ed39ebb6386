//! Online sharing (出示给线上核验方), the BFF's part: a registered verifier makes a request
//! (`POST /v1/vault/share-requests`), the holder's device reads it
//! (`GET /v1/vault/share-requests/{id}`) and answers
//! (`POST /v1/vault/share-requests/{id}/response`) with a presentation for that verifier and the
//! request's nonce — checked here with the one verifier — or with why not; the verifier reads
//! the outcome (`GET /v1/vault/share-requests/{id}/result`).
//!
//! A request is short-lived state (ten minutes), kept in the cache (Redis when deployed) as the
//! passkey ceremonies are; answering takes it out in one step, so it is answered once.

use std::time::Duration;

use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use zhelikit_domain::api::Problem;
use zhelikit_domain::lang::Text;
use zhelikit_domain::paths;
use zhelikit_domain::problem_code::ProblemCode;
use zhelikit_domain::scope::Scope;
use zhelikit_domain::vault::share::{
    CreateShareRequest, Declined, ShareRequest, ShareResponse, ShareResult, ShareState,
    VerifierRegistration, REQUEST_TTL_SECS,
};
use zhelikit_domain::vault::verifier::Verification;

use crate::app::AppState;
use crate::audit::{self, Event};
use crate::http::client::ClientAddr;
use crate::http::json::ApiJson;
use crate::http::problem::ApiError;
use crate::identity::auth::Authenticated;
use crate::vault::verifications::trust_material;

/// What the cache keeps of a request.
#[derive(Serialize, Deserialize)]
struct Kept {
    request: ShareRequest,
    result: ShareResult,
}

fn row(id: &str) -> String {
    format!("vault:share:{id}")
}

fn ttl() -> Duration {
    Duration::from_secs(REQUEST_TTL_SECS as u64)
}

fn gone(id: &str) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        ProblemCode::ShareRequestNotFound,
        Text::new(
            "该核验请求不存在、已过期或已答复",
            format!("share request {id} does not exist, expired or was answered"),
        ),
    )
}

async fn kept(state: &AppState, id: &str) -> Result<Kept, ApiError> {
    let bytes = state
        .cache
        .get(&row(id))
        .await
        .map_err(|e| ApiError::internal(format!("reading a share request: {e}")))?
        .ok_or_else(|| gone(id))?;
    serde_json::from_slice(&bytes).map_err(|e| ApiError::internal(e.to_string()))
}

async fn keep(state: &AppState, kept: &Kept) -> Result<(), ApiError> {
    let bytes = serde_json::to_vec(kept).map_err(|e| ApiError::internal(e.to_string()))?;
    state
        .cache
        .set(&row(&kept.request.id), &bytes, ttl())
        .await
        .map_err(|e| ApiError::internal(format!("keeping a share request: {e}")))
}

/// The registration of the verifier the session is of (its mini-app).
fn registration<'a>(
    state: &'a AppState,
    auth: &Authenticated,
) -> Result<&'a VerifierRegistration, ApiError> {
    state
        .config
        .vault_verifiers
        .iter()
        .find(|v| v.id == auth.0.aud)
        .ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                ProblemCode::VerifierNotRegistered,
                Text::new(
                    format!("小程序 {} 未登记为核验方", auth.0.aud),
                    format!("mini-app {} is not a registered verifier", auth.0.aud),
                ),
            )
        })
}

/// A registered verifier asks a holder for claims of one certificate, for one of its
/// purposes. Claims beyond its registration are accepted here and flagged on the holder's
/// device, which refuses them unless the person allows it. Needs scope `vault.verify`.
#[utoipa::path(post, path = paths::VAULT_SHARE_REQUESTS, tag = "vault", security(("bearer" = [])),
    request_body = CreateShareRequest,
    responses((status = 200, body = ShareRequest),
        (status = 400, description = "invalid_field (claims, purpose)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "missing_scope, verifier_not_registered", body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AppState>,
    auth: Authenticated,
    ApiJson(body): ApiJson<CreateShareRequest>,
) -> Result<axum::Json<ShareRequest>, ApiError> {
    auth.require(Scope::VaultVerify)?;
    let verifier = registration(&state, &auth)?.clone();
    if !verifier.purposes.contains(&body.purpose) {
        return Err(ApiError::invalid_field(
            "purpose",
            Text::new(
                format!("须为登记的用途之一：{}", verifier.purposes.join("、")),
                format!(
                    "must be a registered purpose: {}",
                    verifier.purposes.join(", ")
                ),
            ),
        ));
    }
    let unknown = body.claims.iter().find(|c| body.kind.claim(c).is_none());
    if body.claims.is_empty() || unknown.is_some() {
        let name = unknown.map_or("", String::as_str);
        return Err(ApiError::invalid_field(
            "claims",
            Text::new(
                format!("须为{}的信息项（{name}）", body.kind.name_zh()),
                format!("must name claims of {} ({name})", body.kind.as_str()),
            ),
        ));
    }
    let nonce: [u8; 16] = rand::random();
    let request = ShareRequest {
        id: uuid::Uuid::new_v4().simple().to_string(),
        verifier,
        purpose: body.purpose,
        kind: body.kind,
        claims: body.claims,
        nonce: base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, nonce),
        expires_at: chrono::Utc::now().timestamp() + REQUEST_TTL_SECS,
    };
    keep(
        &state,
        &Kept {
            request: request.clone(),
            result: ShareResult {
                state: ShareState::Pending,
                verification: None,
                declined: None,
            },
        },
    )
    .await?;
    Ok(axum::Json(request))
}

/// The request, for the holder's device: who asks, why, for what. Needs scope `vault.read`.
#[utoipa::path(get, path = paths::VAULT_SHARE_REQUEST, tag = "vault", security(("bearer" = [])),
    params(("id" = String, Path, description = "the request's id")),
    responses((status = 200, body = ShareRequest),
        (status = 404, description = "share_request_not_found", body = Problem, content_type = "application/problem+json")))]
pub async fn read(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
) -> Result<axum::Json<ShareRequest>, ApiError> {
    auth.require(Scope::VaultRead)?;
    let kept = kept(&state, &id).await?;
    if kept.result.state != ShareState::Pending {
        return Err(gone(&id));
    }
    Ok(axum::Json(kept.request))
}

/// The holder's answer: a presentation for the verifier (checked here: the verifier's `aud`,
/// the request's nonce, only claims it asked for), or why not. Once. Needs scope `vault.read`.
#[utoipa::path(post, path = paths::VAULT_SHARE_RESPONSE, tag = "vault", security(("bearer" = [])),
    params(("id" = String, Path, description = "the request's id")),
    request_body = ShareResponse,
    responses((status = 200, body = ShareResult),
        (status = 400, description = "invalid_field (presentation)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "share_request_not_found", body = Problem, content_type = "application/problem+json")))]
pub async fn respond(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    auth: Authenticated,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ShareResponse>,
) -> Result<axum::Json<ShareResult>, ApiError> {
    auth.require(Scope::VaultRead)?;
    let user_id = auth.user_id()?;
    // Taken out in one step: a second answer finds nothing.
    let bytes = state
        .cache
        .take(&row(&id))
        .await
        .map_err(|e| ApiError::internal(format!("reading a share request: {e}")))?
        .ok_or_else(|| gone(&id))?;
    let mut kept: Kept =
        serde_json::from_slice(&bytes).map_err(|e| ApiError::internal(e.to_string()))?;
    if kept.result.state != ShareState::Pending {
        keep(&state, &kept).await?;
        return Err(gone(&id));
    }
    kept.result = match (body.presentation, body.declined) {
        (None, Some(why)) => ShareResult {
            state: ShareState::Declined,
            verification: None,
            declined: Some(why),
        },
        (Some(presentation), None) => {
            let verification = check(&state, &kept.request, &presentation).await;
            ShareResult {
                state: ShareState::Answered,
                verification: Some(verification),
                declined: None,
            }
        }
        _ => {
            // Put it back: a malformed answer does not spend the request.
            keep(&state, &kept).await?;
            return Err(ApiError::invalid_field(
                "presentation",
                Text::new(
                    "须给出 presentation 或 declined 之一",
                    "give either presentation or declined",
                ),
            ));
        }
    };
    keep(&state, &kept).await?;
    let outcome = match (&kept.result.verification, kept.result.declined) {
        (Some(v), _) => v.refusal.clone().unwrap_or_else(|| "shared".into()),
        (None, Some(Declined::OverAsked)) => "over_asked".into(),
        (None, _) => "declined".into(),
    };
    let detail = format!(
        "{}:{}:{outcome}",
        kept.request.verifier.id,
        kept.request.kind.as_str()
    );
    audit::record(
        &state,
        Event::CertificateShared,
        Some(user_id),
        Some(&auth.0.aud),
        &client,
        &detail,
    )
    .await;
    Ok(axum::Json(kept.result))
}

/// The presentation checked for `request`: made for its verifier with its nonce, of its kind,
/// disclosing nothing it did not ask for.
async fn check(state: &AppState, request: &ShareRequest, presentation: &str) -> Verification {
    let now = chrono::Utc::now().timestamp();
    let material = trust_material(state, presentation, now).await;
    match material.check(
        presentation,
        &request.verifier.id,
        Some(&request.nonce),
        now,
    ) {
        Ok(verified) => {
            let v = Verification::accepted(&verified);
            let more = v.claims.iter().find(|c| !request.claims.contains(&c.name));
            match (v.kind.as_deref() == Some(request.kind.as_str()), more) {
                (true, None) => v,
                (false, _) => {
                    Verification::refused(&zhelikit_domain::vault::sd_jwt::VerifyError::Malformed(
                        format!("not a {}", request.kind.as_str()),
                    ))
                }
                (true, Some(c)) => {
                    Verification::refused(&zhelikit_domain::vault::sd_jwt::VerifyError::Malformed(
                        format!("discloses {}, which was not asked for", c.name),
                    ))
                }
            }
        }
        Err(e) => Verification::refused(&e),
    }
}

/// The outcome, for the verifier that asked. Needs scope `vault.verify`.
#[utoipa::path(get, path = paths::VAULT_SHARE_RESULT, tag = "vault", security(("bearer" = [])),
    params(("id" = String, Path, description = "the request's id")),
    responses((status = 200, body = ShareResult),
        (status = 404, description = "share_request_not_found", body = Problem, content_type = "application/problem+json")))]
pub async fn result(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
) -> Result<axum::Json<ShareResult>, ApiError> {
    auth.require(Scope::VaultVerify)?;
    let kept = kept(&state, &id).await?;
    // Another verifier learns nothing of it, not even that it exists.
    if kept.request.verifier.id != auth.0.aud {
        return Err(gone(&id));
    }
    Ok(axum::Json(kept.result))
}
