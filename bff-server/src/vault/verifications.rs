//! `POST /v1/vault/verifications`: an online verifier (a service counter's app, an officials'
//! system) checks a presentation with the same verifier the phones use, fed with the
//! departments' keys and status lists through the adapter layer. A presentation is accepted
//! once: its nonce is recorded in the shared cache (Redis when deployed), so two BFF instances
//! cannot both accept the same code.

use std::time::Duration;

use axum::extract::State;
use platform_api::departments::Department;
use zhelikit_domain::api::Problem;
use zhelikit_domain::gm::{hex, sm3};
use zhelikit_domain::lang::Text;
use zhelikit_domain::paths;
use zhelikit_domain::scope::Scope;
use zhelikit_domain::vault::qr::MAX_TEXT_CHARS;
use zhelikit_domain::vault::sd_jwt::{
    VerifyError, MAX_CLOCK_AHEAD_SECS, MAX_PRESENTATION_AGE_SECS, MAX_SD_JWT_BYTES,
};
use zhelikit_domain::vault::verifier::{
    claimed_department, TrustMaterial, Verification, IN_PERSON_AUDIENCE,
};
use zhelikit_domain::vault::wire::VerifyPresentation;
use zhelikit_domain::vault::CertificateKind;

use crate::app::AppState;
use crate::audit::{self, Event};
use crate::http::client::ClientAddr;
use crate::http::json::ApiJson;
use crate::http::problem::ApiError;
use crate::identity::auth::Authenticated;
use crate::vault::issuers::{directory, status_answer};

/// What checking `presentation` needs, through the adapter layer: every department's keys
/// and the status list of the department it claims (aged by the BFF's copy). A list that does
/// not verify is no list: the status is then unknown.
pub(crate) async fn trust_material(
    state: &AppState,
    presentation: &str,
    now: i64,
) -> TrustMaterial {
    let mut material = TrustMaterial::new(directory(state).await.issuers);
    if let Some(d) = claimed_department(presentation)
        .as_deref()
        .and_then(Department::parse)
    {
        if let Ok(answer) = status_answer(state, d).await {
            let age = answer
                .stale_secs
                .map_or(0, |s| i64::try_from(s).unwrap_or(i64::MAX));
            let _ = material.add_status_list(d.as_str(), &answer.token, now - age);
        }
    }
    material
}

/// The cache key of a nonce accepted for `audience` (digested: a nonce is the holder's).
fn nonce_key(audience: &str, nonce: &str) -> String {
    let digest = sm3(format!("{audience}\u{0}{nonce}").as_bytes());
    format!("vault:nonce:{}", hex(&digest))
}

/// Checks a presentation: issuer signature against the department's published key, every
/// disclosure, expiry, the holder's key binding (`aud`, `nonce`, at most two minutes old),
/// that it was not accepted before, and the issuer's status list. A refusal is an answer
/// (`accepted: false` with its `refusal` code), not an error. Needs scope `vault.verify`.
#[utoipa::path(post, path = paths::VAULT_VERIFICATIONS, tag = "vault", security(("bearer" = [])),
    request_body = VerifyPresentation,
    responses((status = 200, body = Verification),
        (status = 400, description = "invalid_field (presentation, audience)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "missing_scope", body = Problem, content_type = "application/problem+json")))]
pub async fn verify(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    auth: Authenticated,
    ApiJson(body): ApiJson<VerifyPresentation>,
) -> Result<axum::Json<Verification>, ApiError> {
    auth.require(Scope::VaultVerify)?;
    let text = body.presentation.trim();
    if text.is_empty() || text.len() > MAX_SD_JWT_BYTES.max(MAX_TEXT_CHARS) {
        return Err(ApiError::invalid_field(
            "presentation",
            Text::new(
                format!("须为 1–{MAX_SD_JWT_BYTES} 字节的证照码或 SD-JWT"),
                format!("must be a code or SD-JWT of 1–{MAX_SD_JWT_BYTES} bytes"),
            ),
        ));
    }
    let audience = body.audience.as_deref().unwrap_or(IN_PERSON_AUDIENCE);
    // A verifier checks what was made for it: a code shown in person, or its own mini-app.
    if audience != IN_PERSON_AUDIENCE && audience != auth.0.aud {
        return Err(ApiError::invalid_field(
            "audience",
            Text::new(
                format!("须为 {IN_PERSON_AUDIENCE} 或本小程序编号"),
                format!("must be {IN_PERSON_AUDIENCE} or this mini-app's id"),
            ),
        ));
    }
    let now = chrono::Utc::now().timestamp();
    let material = trust_material(&state, text, now).await;
    // The kind for the audit: of what verified (a replay included), never of a forgery.
    let (verification, kind) = match material.check(text, audience, body.nonce.as_deref(), now) {
        Ok(verified) => {
            let window = (MAX_PRESENTATION_AGE_SECS + MAX_CLOCK_AHEAD_SECS) as u64;
            let first = state
                .cache
                .set_new(
                    &nonce_key(audience, &verified.nonce),
                    b"1",
                    Duration::from_secs(window),
                )
                .await
                .map_err(|e| ApiError::internal(format!("recording a nonce: {e}")))?;
            let kind = CertificateKind::from_vct(&verified.vct).map_or("-", |k| k.as_str());
            if first {
                (Verification::accepted(&verified), kind)
            } else {
                (Verification::refused(&VerifyError::Replayed), kind)
            }
        }
        Err(e) => (Verification::refused(&e), "-"),
    };
    let user_id = auth.user_id().ok();
    let outcome = verification.refusal.as_deref().unwrap_or("accepted");
    let detail = format!("{kind}:{outcome}");
    audit::record(
        &state,
        Event::CertificateVerified,
        user_id,
        Some(&auth.0.aud),
        &client,
        &detail,
    )
    .await;
    Ok(axum::Json(verification))
}
