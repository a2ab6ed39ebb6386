//! 本人授权推送 (consented sharing with a bank), the BFF's part. A registered consumer
//! authenticates with its id and API secret (HTTP Basic) and asks for consent
//! (`POST /v1/vault/consumers/consent-requests`); the request lives ten minutes in the cache,
//! as share requests do. The citizen's device reads it (`GET /v1/vault/consent-requests/{id}`)
//! and answers (`POST …/{id}/decision`) with an approval: a presentation of the first item's
//! certificate, disclosing nothing, bound to the terms' digest. The BFF checks it with the one
//! verifier, signs the artefact with the platform's consent key, keeps it, and tells the
//! consumer's webhook. The consumer fetches (`POST /v1/vault/consumers/consents/{id}/fetches`):
//! the rules of [`zhelikit_domain::vault::consent::check_fetch`], the fetch counted in the
//! same statement that checks the count, the certificates pulled through the department layer
//! bound to the platform's key (kept a few minutes: the same holder every time), each presented
//! with the consented claims only, and the whole sealed to the consumer's SM2 key.
//!
//! Webhook notices are signed when the change is written and delivered as durable jobs in the
//! same transaction ([`super::notices`]): retried with backoff until the consumer takes them;
//! the consumer can always read the consent's state too (`GET /v1/vault/consumers/consents/{id}`).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chrono::Utc;
use serde::Serialize;
use zhelikit_domain::api::{Problem, UserKind};
use zhelikit_domain::gm::envelope::ContentKey;
use zhelikit_domain::gm::{self, Sm2Jwk, Sm2PrivateKey, Sm2PublicKey};
use zhelikit_domain::lang::Text;
use zhelikit_domain::paths;
use zhelikit_domain::problem_code::ProblemCode;
use zhelikit_domain::scope::Scope;
use zhelikit_domain::vault::consent::{
    self, Approval, ArtefactBody, ChangeConsent, Consent, ConsentDecision, ConsentStatus,
    ConsentTerms, ConsumerRegistration, CreateConsentRequest, DecisionOutcome, FetchRefusal,
    FetchWindow, FetchedData, FetchedItem, NoticeEvent, PendingConsent, RequestRefusal,
    SealedFetch, REQUEST_TTL_SECS,
};
use zhelikit_domain::vault::sd_jwt::{self, PresentationRequest};
use zhelikit_domain::vault::CertificateKind;

use crate::app::AppState;
use crate::audit::{self, Event};
use crate::http::client::ClientAddr;
use crate::http::json::ApiJson;
use crate::http::problem::ApiError;
use crate::identity::auth::Authenticated;
use crate::identity::users::{citizen_id_number, user_profile};
use crate::storage::{AuditEvent, NewJob, StoreError, StoredConsent};
use crate::vault::certificates;
use crate::vault::notices::{expiry_job, notice_job};
use crate::vault::verifications::trust_material;
use crate::vault::{at, internal, VaultError};

/// How long a certificate pulled for a consumer is kept: a bank's periodic fetches within
/// this reuse one issuance.
const BROKERED_KEEP: Duration = Duration::from_secs(300);

/// The platform's SM2 key for consents: it signs artefacts and notices, and is the holder key
/// of the certificates pulled for consumers. Made at the first start, the same on every
/// instance (kept with the server's secrets).
#[derive(Clone)]
pub struct ConsentKey {
    /// The key.
    pub key: Sm2PrivateKey,
    /// Its id (thumbprint).
    pub kid: String,
}

impl ConsentKey {
    /// The deployment's key, made now if it has none.
    pub async fn load_or_create(store: &dyn crate::storage::Store) -> Result<Self, StoreError> {
        let der = store
            .server_secret(
                "vault-consent-key",
                &Sm2PrivateKey::generate().to_pkcs8_der(),
            )
            .await?;
        let key = Sm2PrivateKey::from_pkcs8_der(&der)
            .map_err(|e| StoreError::Corrupt(format!("vault-consent-key: {e}")))?;
        let kid = key.public_key().thumbprint();
        Ok(Self { key, kid })
    }

    /// The public half as a JWK with `kid` and `alg`.
    pub fn jwk(&self) -> Sm2Jwk {
        Sm2Jwk {
            kid: Some(self.kid.clone()),
            alg: Some(gm::JWS_ALG.into()),
            ..self.key.public_key().to_jwk()
        }
    }
}

/// The platform's consent key, published.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConsentKeySet {
    /// The key (one; a rotation would list the old one too).
    pub keys: Vec<Sm2Jwk>,
}

/// The key artefacts, notices and fetched data's key bindings verify under.
#[utoipa::path(get, path = paths::VAULT_CONSENT_KEY, tag = "vault",
    responses((status = 200, body = ConsentKeySet)))]
pub async fn consent_key(State(state): State<AppState>) -> axum::Json<ConsentKeySet> {
    axum::Json(ConsentKeySet {
        keys: vec![state.consent_key.jwk()],
    })
}

/// A request authenticated as a registered consumer (HTTP Basic: its id and API secret).
pub struct ConsumerAuth(pub ConsumerRegistration);

impl FromRequestParts<AppState> for ConsumerAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let refused = |why: &str| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                ProblemCode::ConsumerUnauthenticated,
                Text::new(
                    format!("须以登记的数据使用方编号和密钥认证（HTTP Basic）：{why}"),
                    format!("authenticate as a registered consumer (HTTP Basic id:secret): {why}"),
                ),
            )
        };
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .ok_or_else(|| refused("没有 Authorization"))?;
        let encoded = header
            .strip_prefix("Basic ")
            .ok_or_else(|| refused("不是 Basic"))?;
        let decoded = STANDARD
            .decode(encoded.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| refused("不是 base64"))?;
        let (id, secret) = decoded
            .split_once(':')
            .ok_or_else(|| refused("须为 编号:密钥"))?;
        state
            .config
            .vault_consumers
            .iter()
            .find(|c| c.id == id && c.authenticates(secret))
            .cloned()
            .map(Self)
            .ok_or_else(|| refused("编号或密钥不对"))
    }
}

fn pending_row(id: &str) -> String {
    format!("vault:consent-request:{id}")
}

fn request_gone(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ProblemCode::ConsentRequestNotFound,
        Text::new(
            "该授权请求不存在、已过期或已答复",
            format!("consent request {id} does not exist, expired or was answered"),
        ),
    )
}

fn consent_gone(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ProblemCode::ConsentNotFound,
        Text::new(
            "该授权不存在（或尚未获用户同意）",
            format!("consent {id} does not exist (or was not approved)"),
        ),
    )
}

fn not_yours() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        ProblemCode::ConsentNotYours,
        Text::new("该授权不属于您", "this consent is not yours"),
    )
}

/// A consumer asks a citizen for consent. The request is checked against the consumer's
/// registration (purpose, claims: asking beyond it is refused here, window, frequency, data
/// life); the citizen answers within ten minutes.
#[utoipa::path(post, path = paths::VAULT_CONSUMER_CONSENT_REQUESTS, tag = "vault",
    security(("consumer" = [])),
    request_body = CreateConsentRequest,
    responses((status = 200, body = PendingConsent),
        (status = 400, description = "invalid_field (purpose, items, start, expiry, frequency, data_life_days)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "consumer_unauthenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "consent_over_asked", body = Problem, content_type = "application/problem+json")))]
pub async fn create_request(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ConsumerAuth(consumer): ConsumerAuth,
    ApiJson(body): ApiJson<CreateConsentRequest>,
) -> Result<axum::Json<PendingConsent>, ApiError> {
    let now = Utc::now().timestamp();
    let start = body.check(&consumer, now).map_err(|e| match e {
        RequestRefusal::Invalid { field, message } => ApiError::invalid_field(&field, message),
        RequestRefusal::OverAsked(claims) => ApiError::new(
            StatusCode::FORBIDDEN,
            ProblemCode::ConsentOverAsked,
            Text::new(
                format!("{} 未登记可申请：{}", consumer.name, claims.join("、")),
                format!(
                    "{} is not registered to ask for {}",
                    consumer.id,
                    claims.join(", ")
                ),
            ),
        ),
    })?;
    let id = uuid::Uuid::new_v4().simple().to_string();
    let pending = PendingConsent {
        terms: ConsentTerms::of(id.clone(), &consumer, &body, start),
        answer_by: now + REQUEST_TTL_SECS,
    };
    let bytes = serde_json::to_vec(&pending).map_err(|e| internal("a consent request", e))?;
    state
        .cache
        .set(
            &pending_row(&id),
            &bytes,
            Duration::from_secs(REQUEST_TTL_SECS as u64),
        )
        .await
        .map_err(|e| internal("keeping a consent request", e))?;
    let detail = format!("{}:{}", consumer.id, body.purpose);
    audit::record(
        &state,
        Event::ConsentRequested,
        None,
        Some(&consumer.id),
        &client,
        &detail,
    )
    .await;
    Ok(axum::Json(pending))
}

/// A consent request as the citizen reads it: who asks, why, for which claims (raw, masked
/// or yes/no), over what window, how often, and how long the data is kept.
#[utoipa::path(get, path = paths::VAULT_CONSENT_REQUEST, tag = "vault", security(("bearer" = [])),
    params(("id" = String, Path, description = "the request's id")),
    responses((status = 200, body = PendingConsent),
        (status = 403, description = "missing_scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "consent_request_not_found", body = Problem, content_type = "application/problem+json")))]
pub async fn read_request(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
) -> Result<axum::Json<PendingConsent>, ApiError> {
    auth.require(Scope::VaultRead)?;
    let bytes = state
        .cache
        .get(&pending_row(&id))
        .await
        .map_err(|e| internal("reading a consent request", e))?
        .ok_or_else(|| request_gone(&id))?;
    Ok(axum::Json(
        serde_json::from_slice(&bytes).map_err(|e| internal("a kept consent request", e))?,
    ))
}

/// The citizen approves or declines. An approval carries the device's presentation of the
/// first item's certificate (no disclosures, `aud` the consumer, nonce the terms' digest); it
/// is checked with the one verifier, then the artefact is signed and kept. Either way the
/// request is answered once and the consumer's webhook is told.
#[utoipa::path(post, path = paths::VAULT_CONSENT_DECISION, tag = "vault", security(("bearer" = [])),
    params(("id" = String, Path, description = "the request's id")),
    request_body = ConsentDecision,
    responses((status = 200, body = DecisionOutcome),
        (status = 400, description = "invalid_field (approval), consent_approval_invalid", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "missing_scope, user_kind_not_allowed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "consent_request_not_found", body = Problem, content_type = "application/problem+json")))]
pub async fn decide(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    auth: Authenticated,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ConsentDecision>,
) -> Result<axum::Json<DecisionOutcome>, ApiError> {
    auth.require(Scope::VaultRead)?;
    let user_id = auth.user_id()?;
    let user = user_profile(&state, user_id).await?;
    if user.profile.kind != UserKind::Citizen {
        return Err(VaultError::NotACitizen.into());
    }
    let approval = match (body.approve, body.approval.as_deref()) {
        (true, Some(a)) if !a.trim().is_empty() => Some(a.trim().to_string()),
        (true, _) => {
            return Err(ApiError::invalid_field(
                "approval",
                Text::new(
                    "同意时须附设备的授权确认",
                    "an approval needs the device's presentation",
                ),
            ))
        }
        (false, _) => None,
    };
    // Peek first: a bad approval leaves the request to be answered again.
    let bytes = state
        .cache
        .get(&pending_row(&id))
        .await
        .map_err(|e| internal("reading a consent request", e))?
        .ok_or_else(|| request_gone(&id))?;
    let pending: PendingConsent =
        serde_json::from_slice(&bytes).map_err(|e| internal("a kept consent request", e))?;
    let now = Utc::now().timestamp();
    let terms = pending.terms;
    let consumer = state
        .config
        .vault_consumers
        .iter()
        .find(|c| c.id == terms.consumer)
        .cloned()
        .ok_or_else(|| internal("a consent request", "its consumer is no longer registered"))?;
    if let Some(presentation) = &approval {
        check_approval(&state, &terms, presentation, now).await?;
    }
    // Answered once: whoever takes it out answers it.
    state
        .cache
        .take(&pending_row(&id))
        .await
        .map_err(|e| internal("answering a consent request", e))?
        .ok_or_else(|| request_gone(&id))?;
    let Some(presentation) = approval else {
        audit::record(
            &state,
            Event::ConsentChanged,
            Some(user_id),
            Some(&auth.0.aud),
            &client,
            &format!("{}:DECLINED", consumer.id),
        )
        .await;
        if let Some(job) = notice_job(&state, &consumer, &id, NoticeEvent::Declined, None, now) {
            if let Err(e) = state.jobs.add(&job).await {
                tracing::warn!(error = %e, "the consumer's notice of a decline was not queued");
            }
        }
        return Ok(axum::Json(DecisionOutcome { consent: None }));
    };
    let body = ArtefactBody {
        terms: terms.clone(),
        subject: state.departments.pseudonym(&user_id.to_string()),
        approval: Approval {
            presentation,
            approved_at: now,
        },
        iat: now,
    };
    let artefact = consent::sign_artefact(&body, &state.consent_key.key, &state.consent_key.kid);
    let stored = StoredConsent {
        id: id.clone(),
        consumer_id: consumer.id.clone(),
        user_id,
        artefact,
        terms: serde_json::to_string(&terms).map_err(|e| internal("consent terms", e))?,
        status: ConsentStatus::Active.as_str().into(),
        use_count: 0,
        created_at: at(now),
        status_changed_at: at(now),
    };
    let notice = notice_job(
        &state,
        &consumer,
        &id,
        NoticeEvent::Approved,
        Some(ConsentStatus::Active),
        now,
    )
    .map(|j| j.row());
    // Its expiry is a job too: the consumer is told when it comes, fetch or no fetch.
    let jobs: Vec<NewJob> = notice
        .into_iter()
        .chain([expiry_job(&id, terms.expiry).row()])
        .collect();
    state
        .store
        .insert_consent(&stored, &jobs)
        .await
        .map_err(|e| internal("keeping a consent", e))?;
    for row in &jobs {
        state.jobs.published(row).await;
    }
    audit::record(
        &state,
        Event::ConsentChanged,
        Some(user_id),
        Some(&auth.0.aud),
        &client,
        &format!("{}:ACTIVE", consumer.id),
    )
    .await;
    Ok(axum::Json(DecisionOutcome {
        consent: Some(read_consent(&stored, now)?),
    }))
}

/// The approval verifies (issuer, status, holder binding to these terms and this consumer)
/// and is of the first item's kind.
async fn check_approval(
    state: &AppState,
    terms: &ConsentTerms,
    presentation: &str,
    now: i64,
) -> Result<(), ApiError> {
    let invalid = |why: Text| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ProblemCode::ConsentApprovalInvalid,
            why,
        )
        .with_field("approval")
    };
    let material = trust_material(state, presentation, now).await;
    let verified = material
        .check(presentation, &terms.consumer, Some(&terms.digest()), now)
        .map_err(|e| invalid(e.text()))?;
    let kind = CertificateKind::from_vct(&verified.vct);
    if kind != terms.items.first().map(|i| i.kind) {
        return Err(invalid(Text::new(
            "授权确认须出示所申请的第一项证照",
            "the approval must present the request's first certificate",
        )));
    }
    Ok(())
}

/// A kept consent as the API shows it, its status as of `now`.
fn read_consent(stored: &StoredConsent, now: i64) -> Result<Consent, ApiError> {
    let terms: ConsentTerms =
        serde_json::from_str(&stored.terms).map_err(|e| internal("kept consent terms", e))?;
    let status = ConsentStatus::parse(&stored.status)
        .ok_or_else(|| internal("a kept consent", format!("status {}", stored.status)))?;
    Ok(Consent {
        artefact: stored.artefact.clone(),
        status: consent::effective_status(status, &terms, now),
        terms,
        use_count: u32::try_from(stored.use_count).unwrap_or(u32::MAX),
        status_changed_at: stored.status_changed_at.timestamp(),
    })
}

/// The citizen's consents, newest first, each with its status and use count.
#[utoipa::path(get, path = paths::VAULT_CONSENTS, tag = "vault", security(("bearer" = [])),
    responses((status = 200, body = Vec<Consent>),
        (status = 403, description = "missing_scope", body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<axum::Json<Vec<Consent>>, ApiError> {
    auth.require(Scope::VaultRead)?;
    let now = Utc::now().timestamp();
    let rows = state
        .store
        .consents_of(auth.user_id()?)
        .await
        .map_err(|e| internal("reading consents", e))?;
    rows.iter()
        .map(|r| read_consent(r, now))
        .collect::<Result<_, _>>()
        .map(axum::Json)
}

/// The citizen pauses, resumes or revokes a consent; it takes effect at once (the next fetch
/// is refused) and the consumer's webhook is told.
#[utoipa::path(post, path = paths::VAULT_CONSENT_STATUS, tag = "vault", security(("bearer" = [])),
    params(("id" = String, Path, description = "the consent's id")),
    request_body = ChangeConsent,
    responses((status = 200, body = Consent),
        (status = 403, description = "missing_scope, consent_not_yours", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "consent_not_found", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "consent_status_conflict", body = Problem, content_type = "application/problem+json")))]
pub async fn change(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    auth: Authenticated,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ChangeConsent>,
) -> Result<axum::Json<Consent>, ApiError> {
    auth.require(Scope::VaultRead)?;
    let user_id = auth.user_id()?;
    let stored = kept(&state, &id).await?;
    if stored.user_id != user_id {
        return Err(not_yours());
    }
    let now = Utc::now().timestamp();
    let current = read_consent(&stored, now)?;
    let to = consent::apply(current.status, &current.terms, body.action, now).map_err(|why| {
        ApiError::new(
            StatusCode::CONFLICT,
            ProblemCode::ConsentStatusConflict,
            why,
        )
    })?;
    let notice = (state.config.vault_consumers.iter())
        .find(|c| c.id == stored.consumer_id)
        .and_then(|consumer| {
            notice_job(
                &state,
                consumer,
                &id,
                NoticeEvent::of(to, Some(body.action)),
                Some(to),
                now,
            )
        })
        .map(|j| j.row());
    let changed = state
        .store
        .set_consent_status(&id, &stored.status, to.as_str(), at(now), notice.as_slice())
        .await
        .map_err(|e| internal("changing a consent", e))?;
    if !changed {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ProblemCode::ConsentStatusConflict,
            Text::new(
                "授权状态刚刚改变，请刷新后重试",
                "the consent changed meanwhile; reload and retry",
            ),
        ));
    }
    state.consent_content_keys.remove(id.as_str());
    audit::record(
        &state,
        Event::ConsentChanged,
        Some(user_id),
        Some(&auth.0.aud),
        &client,
        &format!("{}:{}", stored.consumer_id, to.as_str()),
    )
    .await;
    if let Some(row) = &notice {
        state.jobs.published(row).await;
    }
    let after = kept(&state, &id).await?;
    Ok(axum::Json(read_consent(&after, now)?))
}

async fn kept(state: &AppState, id: &str) -> Result<StoredConsent, ApiError> {
    state
        .store
        .consent(id)
        .await
        .map_err(|e| internal("reading a consent", e))?
        .ok_or_else(|| consent_gone(id))
}

/// The consumer's own consent: 403 when another consumer's.
async fn consumers(
    state: &AppState,
    consumer: &ConsumerRegistration,
    id: &str,
) -> Result<StoredConsent, ApiError> {
    let stored = kept(state, id).await?;
    if stored.consumer_id != consumer.id {
        return Err(not_yours());
    }
    Ok(stored)
}

/// A consent as its consumer sees it: the signed artefact, status and use count.
#[utoipa::path(get, path = paths::VAULT_CONSUMER_CONSENT, tag = "vault", security(("consumer" = [])),
    params(("id" = String, Path, description = "the consent's id (the request's)")),
    responses((status = 200, body = Consent),
        (status = 401, description = "consumer_unauthenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "consent_not_yours", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "consent_not_found", body = Problem, content_type = "application/problem+json")))]
pub async fn consumer_consent(
    State(state): State<AppState>,
    ConsumerAuth(consumer): ConsumerAuth,
    Path(id): Path<String>,
) -> Result<axum::Json<Consent>, ApiError> {
    let stored = consumers(&state, &consumer, &id).await?;
    Ok(axum::Json(read_consent(&stored, Utc::now().timestamp())?))
}

fn refusal(e: &FetchRefusal, now: i64) -> ApiError {
    let code = match e {
        FetchRefusal::NotStarted => ProblemCode::ConsentNotStarted,
        FetchRefusal::Paused => ProblemCode::ConsentPaused,
        FetchRefusal::Revoked => ProblemCode::ConsentRevoked,
        FetchRefusal::Expired => ProblemCode::ConsentExpired,
        FetchRefusal::Used => ProblemCode::ConsentUsed,
        FetchRefusal::TooOften { .. } => ProblemCode::ConsentTooOften,
    };
    let status = match e {
        FetchRefusal::TooOften { .. } => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::FORBIDDEN,
    };
    let error = ApiError::new(status, code, e.text());
    match e {
        FetchRefusal::TooOften { next } => {
            error.with_retry_after(u64::try_from(next - now).unwrap_or(1).max(1))
        }
        _ => error,
    }
}

/// A fetch under a consent: checked (status, window, once, frequency) and counted in one
/// step; each item's certificate pulled through the department layer, presented with the
/// consented claims only (`aud` the consumer, nonce the fetch id, bound to the platform's
/// key) and the whole sealed to the consumer's SM2 key.
#[utoipa::path(post, path = paths::VAULT_CONSUMER_CONSENT_FETCHES, tag = "vault", security(("consumer" = [])),
    params(("id" = String, Path, description = "the consent's id")),
    responses((status = 200, body = SealedFetch),
        (status = 401, description = "consumer_unauthenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "consent_not_yours, consent_paused, consent_revoked, consent_expired, consent_used, consent_not_started", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "consent_not_found, certificate_not_held", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "consent_too_often (Retry-After)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "department_unavailable", body = Problem, content_type = "application/problem+json")))]
pub async fn fetch(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ConsumerAuth(consumer): ConsumerAuth,
    Path(id): Path<String>,
) -> Result<axum::Json<SealedFetch>, ApiError> {
    let mut stored = consumers(&state, &consumer, &id).await?;
    let now = Utc::now().timestamp();
    let fetch_id = uuid::Uuid::new_v4().simple().to_string();
    let mut current = read_consent(&stored, now)?;
    // The fetch's audit line (kinds, never values), written with its count.
    let kinds: Vec<&str> = current
        .terms
        .items
        .iter()
        .map(|i| i.kind.as_str())
        .collect();
    let audit_line = AuditEvent {
        event: Event::ConsentFetched.name().into(),
        user_id: Some(stored.user_id),
        mini_app_id: Some(consumer.id.clone()),
        client: Some(client.clone()),
        request_id: crate::http::request_id::current(),
        detail: kinds.join(","),
    };
    // Checked, then counted only if nothing changed since the check (optimistic: the count
    // and status are compared in the counting statement). A fetch that lost a race to
    // another fetch of the same consent checks again; a revocation that won is refused.
    let mut attempts = 0;
    loop {
        let window = fetch_window(&state, &current, now).await?;
        if let Err(e) = consent::check_fetch(
            &current.terms,
            current.status,
            current.use_count,
            window,
            now,
        ) {
            if e == FetchRefusal::Expired && stored.status != ConsentStatus::Expired.as_str() {
                expire(&state, &consumer, &stored, now).await;
            }
            let detail = format!("refused:{}", e.code());
            audit::record(
                &state,
                Event::ConsentFetched,
                None,
                Some(&consumer.id),
                &client,
                &detail,
            )
            .await;
            return Err(refusal(&e, now));
        }
        let counted = state
            .store
            .record_consent_fetch(&id, stored.use_count, &fetch_id, at(now), &audit_line)
            .await
            .map_err(|e| internal("counting a consent fetch", e))?;
        if counted {
            break;
        }
        attempts += 1;
        if attempts == 3 {
            return Err(refusal(&FetchRefusal::TooOften { next: now + 1 }, now));
        }
        stored = kept(&state, &id).await?;
        current = read_consent(&stored, now)?;
    }
    let user = user_profile(&state, stored.user_id).await?;
    let id_number = citizen_id_number(&state, &user)?;
    let on_behalf: Arc<str> = Arc::from(stored.user_id.to_string());
    let holder = state.consent_key.key.public_key();
    let mut items = Vec::with_capacity(current.terms.items.len());
    for item in &current.terms.items {
        let issued = certificates::issue(
            &state,
            item.kind,
            id_number.clone(),
            &holder,
            &on_behalf,
            Some(BROKERED_KEEP),
        )
        .await?;
        let disclose: Vec<String> = item.claims.iter().map(|c| c.claim.clone()).collect();
        let presentation = sd_jwt::present(
            &issued.credential,
            &PresentationRequest {
                disclose: &disclose,
                audience: &consumer.id,
                nonce: &fetch_id,
                iat: now,
            },
            &state.consent_key.key,
        )
        .map_err(|e| internal("presenting a brokered certificate", e))?;
        items.push(FetchedItem {
            kind: item.kind,
            presentation,
        });
    }
    let data = FetchedData {
        consent: id.clone(),
        fetch: fetch_id.clone(),
        fetched_at: now,
        delete_by: now + i64::from(current.terms.data_life_days) * 86_400,
        items,
    };
    let plaintext = serde_json::to_vec(&data).map_err(|e| internal("fetched data", e))?;
    let envelope = content_key(&state, &consumer, &id)?
        .seal(&plaintext, &SealedFetch::associated_data(&id, &fetch_id));
    Ok(axum::Json(SealedFetch {
        consent: id,
        fetch: fetch_id,
        envelope,
    }))
}

/// How long a consent's content key is kept in memory.
const CONTENT_KEY_TTL: Duration = Duration::from_secs(300);

/// The content key of consent `id`'s envelopes: made (one SM2 encryption to the consumer) at
/// its first fetch and kept [`CONTENT_KEY_TTL`]; dropped when the consent changes.
fn content_key(
    state: &AppState,
    consumer: &ConsumerRegistration,
    id: &str,
) -> Result<Arc<ContentKey>, ApiError> {
    if let Some(key) = state.consent_content_keys.get(id) {
        return Ok(key);
    }
    let recipient = Sm2PublicKey::from_jwk(&consumer.encryption_key)
        .map_err(|e| internal("the consumer's key", e))?;
    let key = Arc::new(ContentKey::new(&recipient));
    state
        .consent_content_keys
        .insert(id.to_string(), key.clone(), CONTENT_KEY_TTL);
    Ok(key)
}

/// `consent`'s fetches within its frequency period (none needed otherwise).
async fn fetch_window(
    state: &AppState,
    consent: &Consent,
    now: i64,
) -> Result<FetchWindow, ApiError> {
    let (consent::FetchType::Periodic, Some(f)) =
        (consent.terms.fetch_type, consent.terms.frequency)
    else {
        return Ok(FetchWindow::default());
    };
    let (count, leaving) = state
        .store
        .consent_fetch_window(
            &consent.terms.id,
            at(now - f.period.seconds()),
            i64::from(f.count),
        )
        .await
        .map_err(|e| internal("reading consent fetches", e))?;
    Ok(FetchWindow {
        count: u32::try_from(count).unwrap_or(u32::MAX),
        leaving: leaving.map(|t| t.timestamp()),
    })
}

/// Marks a consent found past its expiry as expired, and tells the consumer.
pub(crate) async fn expire(
    state: &AppState,
    consumer: &ConsumerRegistration,
    stored: &StoredConsent,
    now: i64,
) {
    let notice = notice_job(
        state,
        consumer,
        &stored.id,
        NoticeEvent::Expired,
        Some(ConsentStatus::Expired),
        now,
    )
    .map(|j| j.row());
    match state
        .store
        .set_consent_status(
            &stored.id,
            &stored.status,
            ConsentStatus::Expired.as_str(),
            at(now),
            notice.as_slice(),
        )
        .await
    {
        Ok(true) => {
            if let Some(row) = &notice {
                state.jobs.published(row).await;
            }
        }
        Ok(false) => {}
        Err(e) => tracing::warn!(error = %e, "could not mark a consent expired"),
    }
}
