//! A faithful stand-in for Firebase Cloud Messaging HTTP v1 and Google's OAuth token endpoint:
//! a demo service account (its RSA key made at first use, its key file downloadable from the
//! admin API as from the Firebase console), assertions verified against its public key,
//! access tokens that expire, messages validated as FCM does (one target, at most 4096 bytes)
//! and recorded, and errors on demand: a registration token beginning `unregistered-` is
//! `UNREGISTERED` (404), one beginning `invalid-` is `INVALID_ARGUMENT` (400), a fault set
//! through `PUT /__admin/fcm/fault` answers the next sends (or every send for a while) with 429
//! or 5xx and `Retry-After`, the key can be revoked (`PUT /__admin/fcm/credential`) and the
//! access tokens expired early (`POST /__admin/fcm/expire-tokens`); `GET /__admin/fcm/stats`
//! counts the answers by status.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Form, Json, Router};
use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use platform_api::fcm::{
    send_path, AssertionClaims, ErrorBody, SendRequest, SendResponse, ServiceAccount, TokenRequest,
    TokenResponse, GRANT_TYPE, MAX_MESSAGE_BYTES, SCOPE,
};
use serde::{Deserialize, Serialize};

use crate::MockState;

/// The demo Firebase project.
pub const PROJECT: &str = "zhelikit-demo";
/// Where the token endpoint is, below the mock's base URL.
pub const TOKEN_PATH: &str = "/google/oauth2/token";
/// The FCM API's base, below the mock's base URL.
pub const FCM_BASE: &str = "/fcm";
/// The admin API: the demo service account's key file.
pub const SERVICE_ACCOUNT_PATH: &str = "/__admin/fcm/service-account";
/// The admin API: every message accepted, oldest first (`?token=` those to one device: a
/// simulated phone's notifications).
pub const MESSAGES_PATH: &str = "/__admin/fcm/messages";
/// The admin API: the fault the next sends meet.
pub const FAULT_PATH: &str = "/__admin/fcm/fault";
/// The admin API: revoke the service account's key (`{"revoked": true}`) or restore it.
pub const CREDENTIAL_PATH: &str = "/__admin/fcm/credential";
/// The admin API: every access token issued stops working.
pub const EXPIRE_TOKENS_PATH: &str = "/__admin/fcm/expire-tokens";
/// The admin API: the sends answered, by status.
pub const STATS_PATH: &str = "/__admin/fcm/stats";

/// How long an access token lasts.
const TOKEN_SECS: u64 = 3_600;

/// A message FCM accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Received {
    /// The provider's name for it.
    pub name: String,
    /// The registration token it went to.
    pub token: String,
    /// The message as sent.
    pub message: platform_api::fcm::Message,
}

use crate::provider_faults::retry_after;
pub use crate::provider_faults::{Fault, Faults};

/// The mock FCM's state.
#[derive(Default)]
pub struct Fcm {
    key: OnceLock<(String, String)>,
    tokens: Mutex<HashMap<String, i64>>,
    received: Mutex<Vec<Received>>,
    revoked: std::sync::atomic::AtomicBool,
    /// Faults, answers, recording.
    pub faults: Faults,
}

impl std::fmt::Debug for Fcm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("Fcm")
            .field("received", &self.received().len())
            .finish_non_exhaustive()
    }
}

impl Fcm {
    /// The demo key pair (PKCS#8 private PEM, SPKI public PEM), made once.
    fn key(&self) -> &(String, String) {
        self.key.get_or_init(|| {
            use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
            let mut rng = rand::thread_rng();
            let private = rsa::RsaPrivateKey::new(&mut rng, 2048).unwrap_or_else(|e| {
                // Only a broken RNG fails here; the mock cannot run without its key.
                panic!("generating the demo FCM key: {e}")
            });
            let public = rsa::RsaPublicKey::from(&private);
            (
                private
                    .to_pkcs8_pem(LineEnding::LF)
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
                public.to_public_key_pem(LineEnding::LF).unwrap_or_default(),
            )
        })
    }

    /// The demo service account's key file, with its token URI at `base_url`.
    pub fn service_account(&self, base_url: &str) -> ServiceAccount {
        ServiceAccount {
            kind: "service_account".into(),
            project_id: PROJECT.into(),
            private_key_id: "demo-key-1".into(),
            private_key: self.key().0.clone(),
            client_email: format!("firebase-adminsdk@{PROJECT}.iam.gserviceaccount.com"),
            token_uri: format!("{}{TOKEN_PATH}", base_url.trim_end_matches('/')),
        }
    }

    /// Every message accepted, oldest first.
    pub fn received(&self) -> Vec<Received> {
        self.received
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Sets the fault the next `fault.count` sends (or those of `fault.for_ms`) meet.
    pub fn set_fault(&self, fault: Fault) {
        self.faults.set(fault);
    }

    /// Revokes the key (the token endpoint refuses its assertions, the access tokens it got
    /// stop working), or restores it.
    pub fn set_revoked(&self, revoked: bool) {
        self.revoked
            .store(revoked, std::sync::atomic::Ordering::SeqCst);
        if revoked {
            self.expire_tokens();
        }
    }

    /// Every access token issued stops working.
    pub fn expire_tokens(&self) {
        self.tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}

/// The routes: the token endpoint, `messages:send`, and the admin API.
pub fn routes() -> Router<MockState> {
    Router::new()
        .route(TOKEN_PATH, post(token))
        .route(&format!("{FCM_BASE}{}", send_path("{project}")), post(send))
        .route(SERVICE_ACCOUNT_PATH, get(service_account))
        .route(MESSAGES_PATH, get(messages))
        .route(FAULT_PATH, put(fault))
        .route(CREDENTIAL_PATH, put(credential))
        .route(EXPIRE_TOKENS_PATH, post(expire_tokens))
        .route(STATS_PATH, get(stats))
}

fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

fn oauth_error(error: &str, description: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(serde_json::json!({"error": error, "error_description": description})),
    )
        .into_response()
}

async fn token(
    State(state): State<MockState>,
    headers: HeaderMap,
    Form(form): Form<TokenRequest>,
) -> Response {
    if form.grant_type != GRANT_TYPE {
        return oauth_error("unsupported_grant_type", "expected the JWT-bearer grant");
    }
    let fcm = &state.fcm;
    if fcm.revoked.load(std::sync::atomic::Ordering::SeqCst) {
        // As Google answers for a deleted key.
        return oauth_error("invalid_grant", "Invalid JWT Signature.");
    }
    let Ok(key) = DecodingKey::from_rsa_pem(fcm.key().1.as_bytes()) else {
        return oauth_error("server_error", "the demo key is unreadable");
    };
    let audience = format!("{}{TOKEN_PATH}", base_url(&headers));
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "iat", "aud", "iss"]);
    let claims = match jsonwebtoken::decode::<AssertionClaims>(&form.assertion, &key, &validation) {
        Ok(data) => data.claims,
        Err(e) => {
            return oauth_error(
                "invalid_grant",
                &format!("the assertion does not verify: {e}"),
            )
        }
    };
    if claims.scope.split(' ').all(|s| s != SCOPE) || claims.exp - claims.iat > 3_600 {
        return oauth_error(
            "invalid_scope",
            "the assertion must ask the messaging scope for at most an hour",
        );
    }
    let access = format!("ya29.mock-{}", uuid::Uuid::new_v4().simple());
    fcm.tokens
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(access.clone(), Utc::now().timestamp() + TOKEN_SECS as i64);
    Json(TokenResponse {
        access_token: access,
        expires_in: TOKEN_SECS,
        token_type: "Bearer".into(),
    })
    .into_response()
}

fn error(code: u16, status: &str, error_code: &str, message: &str) -> Response {
    let status_code = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status_code,
        Json(ErrorBody::fcm(code, status, error_code, message)),
    )
        .into_response()
}

async fn send(
    State(state): State<MockState>,
    Path(project): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let response = answer(&state, &project, &headers, &body);
    state.fcm.faults.answered(response.status().as_u16());
    response
}

fn answer(state: &MockState, project: &str, headers: &HeaderMap, body: &[u8]) -> Response {
    let fcm = &state.fcm;
    let bearer = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "));
    let valid = bearer.is_some_and(|t| {
        fcm.tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(t)
            .is_some_and(|&exp| exp > Utc::now().timestamp())
    });
    if !valid {
        return error(
            401,
            "UNAUTHENTICATED",
            "THIRD_PARTY_AUTH_ERROR",
            "Request had invalid authentication credentials.",
        );
    }
    if project != PROJECT {
        return error(
            403,
            "PERMISSION_DENIED",
            "SENDER_ID_MISMATCH",
            "The project does not match the credentials.",
        );
    }
    let Ok(request) = serde_json::from_slice::<SendRequest>(body) else {
        return error(
            400,
            "INVALID_ARGUMENT",
            "INVALID_ARGUMENT",
            "The message is not JSON of the expected shape.",
        );
    };
    let message = request.message;
    let targets = [
        message.token.is_some(),
        message.topic.is_some(),
        message.condition.is_some(),
    ];
    if targets.iter().filter(|t| **t).count() != 1 {
        return error(
            400,
            "INVALID_ARGUMENT",
            "INVALID_ARGUMENT",
            "Exactly one of token, topic or condition must be set.",
        );
    }
    let size = serde_json::to_vec(&message).map_or(usize::MAX, |b| b.len());
    if size > MAX_MESSAGE_BYTES {
        return error(
            400,
            "INVALID_ARGUMENT",
            "INVALID_ARGUMENT",
            "Message is too big: the limit is 4096 bytes.",
        );
    }
    let token = message.token.clone().unwrap_or_default();
    if token.starts_with("unregistered-") {
        return error(
            404,
            "NOT_FOUND",
            "UNREGISTERED",
            "Requested entity was not found.",
        );
    }
    if token.starts_with("invalid-") {
        return error(
            400,
            "INVALID_ARGUMENT",
            "INVALID_ARGUMENT",
            "The registration token is not a valid FCM registration token.",
        );
    }
    if let Some(fault) = fcm.faults.take() {
        let (status, code) = match fault.status {
            429 => ("RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED"),
            503 => ("UNAVAILABLE", "UNAVAILABLE"),
            _ => ("INTERNAL", "INTERNAL"),
        };
        let mut response = error(fault.status, status, code, "Injected by the mock.");
        retry_after(&mut response, fault.retry_after_secs);
        return response;
    }
    let name = format!(
        "projects/{PROJECT}/messages/{}",
        uuid::Uuid::new_v4().simple()
    );
    if fcm.faults.recording() {
        fcm.received
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Received {
                name: name.clone(),
                token,
                message,
            });
    }
    Json(SendResponse { name }).into_response()
}

async fn service_account(
    State(state): State<MockState>,
    headers: HeaderMap,
) -> Json<ServiceAccount> {
    Json(state.fcm.service_account(&base_url(&headers)))
}

#[derive(Deserialize)]
struct ToDevice {
    token: Option<String>,
}

async fn messages(
    State(state): State<MockState>,
    Query(to): Query<ToDevice>,
) -> Json<Vec<Received>> {
    let mut received = state.fcm.received();
    if let Some(token) = to.token {
        received.retain(|r| r.token == token);
    }
    Json(received)
}

async fn fault(State(state): State<MockState>, Json(fault): Json<Fault>) -> Response {
    if !matches!(fault.status, 429 | 500 | 503) {
        return (StatusCode::BAD_REQUEST, "status must be 429, 500 or 503").into_response();
    }
    state.fcm.set_fault(fault);
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
struct Revocation {
    revoked: bool,
}

async fn credential(State(state): State<MockState>, Json(r): Json<Revocation>) -> StatusCode {
    state.fcm.set_revoked(r.revoked);
    StatusCode::NO_CONTENT
}

async fn expire_tokens(State(state): State<MockState>) -> StatusCode {
    state.fcm.expire_tokens();
    StatusCode::NO_CONTENT
}

async fn stats(State(state): State<MockState>) -> Json<serde_json::Value> {
    let answered: serde_json::Map<String, serde_json::Value> = state
        .fcm
        .faults
        .answers()
        .into_iter()
        .map(|(status, n)| (status.to_string(), n.into()))
        .collect();
    Json(serde_json::json!({ "answered": answered }))
}
