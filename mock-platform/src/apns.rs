//! A faithful stand-in for APNs' provider API, token-based: a demo team key (a P-256 key made
//! at first use, its `.p8` downloadable from the admin API as from the developer account),
//! provider tokens verified against its public key and held to APNs' rules (refused after an
//! hour, a new one refused within twenty minutes of the last), HTTP/2 only, every `apns-*`
//! header checked as APNs checks it, pushes recorded, and errors on demand: a device token that
//! is not hex is `BadDeviceToken`, one beginning `dead` is `Unregistered` (410), and a fault set
//! through `PUT /__admin/apns/fault` answers the next pushes with 429 or 5xx.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Version};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use base64::Engine as _;
use platform_api::apns::{
    device_path, reason, ApnsKey, ErrorBody, Payload, ProviderClaims, APNS_ID, COLLAPSE_ID,
    EXPIRATION, MAX_COLLAPSE_ID_BYTES, MAX_PAYLOAD_BYTES, PRIORITY, PUSH_TYPE, TOKEN_LIFETIME_SECS,
    TOKEN_MIN_RENEWAL_SECS, TOPIC,
};
use serde::{Deserialize, Serialize};

use crate::provider_faults::{retry_after, Fault, Faults};
use crate::MockState;

/// The demo team.
pub const TEAM_ID: &str = "ZKDEMOTEAM";
/// The demo key's id.
pub const KEY_ID: &str = "ZKAPNSKEY1";
/// The demo app's bundle id.
pub const BUNDLE_ID: &str = "cn.gov.zj.zhelikit.demo";
/// APNs' base, below the mock's base URL.
pub const APNS_BASE: &str = "/apns";
/// The admin API: the demo key (`GET`), or revoke it (`PUT {"revoked": true}`).
pub const KEY_PATH: &str = "/__admin/apns/key";
/// The admin API: the demo key's `.p8` file alone (PEM).
pub const P8_PATH: &str = "/__admin/apns/key.p8";
/// The admin API: every push accepted, oldest first.
pub const NOTIFICATIONS_PATH: &str = "/__admin/apns/notifications";
/// The admin API: the fault the next pushes meet.
pub const FAULT_PATH: &str = "/__admin/apns/fault";

/// A push APNs accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Received {
    /// `apns-id`.
    pub apns_id: String,
    /// The device token.
    pub device_token: String,
    /// The `apns-*` headers as sent.
    pub headers: BTreeMap<String, String>,
    /// The payload.
    pub payload: Payload,
}

/// The mock APNs' state.
#[derive(Default)]
pub struct Apns {
    /// PKCS#8 PEM, and the public key's uncompressed point.
    key: OnceLock<(String, Vec<u8>)>,
    revoked: AtomicBool,
    /// The provider token in use: it, and its `iat`.
    current: Mutex<Option<(String, i64)>>,
    received: Mutex<Vec<Received>>,
    faults: Faults,
}

impl std::fmt::Debug for Apns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("Apns")
            .field("received", &self.received().len())
            .finish_non_exhaustive()
    }
}

impl Apns {
    fn key(&self) -> &(String, Vec<u8>) {
        self.key.get_or_init(|| {
            use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
            let rng = ring::rand::SystemRandom::new();
            // Only a broken RNG fails here; the mock cannot run without its key.
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                .unwrap_or_else(|_| panic!("generating the demo APNs key"));
            let pair =
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
                    .unwrap_or_else(|_| panic!("reading the demo APNs key"));
            let b64 = base64::engine::general_purpose::STANDARD.encode(pkcs8.as_ref());
            let mut pem = String::from("-----BEGIN PRIVATE KEY-----\n");
            for line in b64.as_bytes().chunks(64) {
                pem.push_str(&String::from_utf8_lossy(line));
                pem.push('\n');
            }
            pem.push_str("-----END PRIVATE KEY-----\n");
            (pem, pair.public_key().as_ref().to_vec())
        })
    }

    /// The demo team key, as the developer account hands it out.
    pub fn team_key(&self) -> ApnsKey {
        ApnsKey {
            team_id: TEAM_ID.into(),
            key_id: KEY_ID.into(),
            private_key: self.key().0.clone(),
            topic: BUNDLE_ID.into(),
        }
    }

    /// Every push accepted, oldest first.
    pub fn received(&self) -> Vec<Received> {
        self.received
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Revokes the key (every provider token is refused) or restores it.
    pub fn set_revoked(&self, revoked: bool) {
        self.revoked.store(revoked, Ordering::SeqCst);
    }

    /// Sets the fault the next pushes meet.
    pub fn set_fault(&self, fault: Fault) {
        self.faults.set(fault);
    }

    /// Checks a provider token as APNs does; the reason it is refused, with its status.
    fn check_token(&self, token: &str) -> Result<(), (u16, &'static str)> {
        let invalid = (403, reason::INVALID_PROVIDER_TOKEN);
        if self.revoked.load(Ordering::SeqCst) {
            return Err(invalid);
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| invalid)?;
        if header.alg != jsonwebtoken::Algorithm::ES256 || header.kid.as_deref() != Some(KEY_ID) {
            return Err(invalid);
        }
        let Some((signing_input, signature)) = token.rsplit_once('.') else {
            return Err(invalid);
        };
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let signature = b64.decode(signature).map_err(|_| invalid)?;
        ring::signature::UnparsedPublicKey::new(
            &ring::signature::ECDSA_P256_SHA256_FIXED,
            &self.key().1,
        )
        .verify(signing_input.as_bytes(), &signature)
        .map_err(|_| invalid)?;
        let claims_b64 = signing_input.split('.').nth(1).ok_or(invalid)?;
        let claims: ProviderClaims = b64
            .decode(claims_b64)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or(invalid)?;
        if claims.iss != TEAM_ID {
            return Err(invalid);
        }
        let now = chrono::Utc::now().timestamp();
        if now - claims.iat > TOKEN_LIFETIME_SECS {
            return Err((403, reason::EXPIRED_PROVIDER_TOKEN));
        }
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        match current.as_ref() {
            Some((t, _)) if t == token => Ok(()),
            Some((_, iat)) if claims.iat - iat < TOKEN_MIN_RENEWAL_SECS && claims.iat >= *iat => {
                Err((429, reason::TOO_MANY_PROVIDER_TOKEN_UPDATES))
            }
            _ => {
                *current = Some((token.to_string(), claims.iat));
                Ok(())
            }
        }
    }
}

/// The routes: pushes, and the admin API.
pub fn routes() -> Router<MockState> {
    Router::new()
        .route(
            &format!("{APNS_BASE}{}", device_path("{token}")),
            post(push),
        )
        .route(KEY_PATH, get(key).put(revoke))
        .route(P8_PATH, get(p8))
        .route(NOTIFICATIONS_PATH, get(notifications))
        .route(FAULT_PATH, put(fault))
}

fn refuse(status: u16, why: &str) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let timestamp = (status == 410).then(|| chrono::Utc::now().timestamp_millis());
    (
        code,
        Json(ErrorBody {
            reason: why.to_string(),
            timestamp,
        }),
    )
        .into_response()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

async fn push(
    State(state): State<MockState>,
    Path(device_token): Path<String>,
    version: Version,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let apns = &state.apns;
    if version != Version::HTTP_2 {
        // APNs speaks HTTP/2 only.
        return (
            StatusCode::HTTP_VERSION_NOT_SUPPORTED,
            "APNs requires HTTP/2",
        )
            .into_response();
    }
    let Some(token) = header(&headers, "authorization").and_then(|h| h.strip_prefix("bearer "))
    else {
        return refuse(403, reason::MISSING_PROVIDER_TOKEN);
    };
    if let Err((status, why)) = apns.check_token(token) {
        return refuse(status, why);
    }
    match header(&headers, TOPIC) {
        None => return refuse(400, reason::MISSING_TOPIC),
        Some(t) if t != BUNDLE_ID => return refuse(400, reason::DEVICE_TOKEN_NOT_FOR_TOPIC),
        Some(_) => {}
    }
    if !matches!(
        header(&headers, PUSH_TYPE),
        Some("alert" | "background" | "voip" | "complication" | "fileprovider" | "mdm")
    ) {
        return refuse(400, reason::INVALID_PUSH_TYPE);
    }
    if !matches!(header(&headers, PRIORITY), None | Some("1" | "5" | "10")) {
        return refuse(400, reason::BAD_PRIORITY);
    }
    if header(&headers, EXPIRATION).is_some_and(|v| v.parse::<u64>().is_err()) {
        return refuse(400, reason::BAD_EXPIRATION_DATE);
    }
    if header(&headers, COLLAPSE_ID).is_some_and(|v| v.len() > MAX_COLLAPSE_ID_BYTES) {
        return refuse(400, reason::BAD_COLLAPSE_ID);
    }
    let hex = device_token.len() >= 64
        && device_token.len() % 2 == 0
        && device_token.bytes().all(|b| b.is_ascii_hexdigit());
    if !hex {
        return refuse(400, reason::BAD_DEVICE_TOKEN);
    }
    if body.len() > MAX_PAYLOAD_BYTES {
        return refuse(413, reason::PAYLOAD_TOO_LARGE);
    }
    let Ok(payload) = serde_json::from_slice::<Payload>(&body) else {
        return refuse(400, reason::PAYLOAD_EMPTY);
    };
    if device_token.starts_with("dead") {
        return refuse(410, reason::UNREGISTERED);
    }
    if let Some(fault) = apns.faults.take() {
        let why = match fault.status {
            429 => reason::TOO_MANY_REQUESTS,
            503 => reason::SERVICE_UNAVAILABLE,
            _ => reason::INTERNAL_SERVER_ERROR,
        };
        let mut response = refuse(fault.status, why);
        retry_after(&mut response, fault.retry_after_secs);
        return response;
    }
    let apns_id = uuid::Uuid::new_v4().hyphenated().to_string().to_uppercase();
    let sent: BTreeMap<String, String> = headers
        .iter()
        .filter(|(name, _)| name.as_str().starts_with("apns-"))
        .filter_map(|(name, v)| Some((name.to_string(), v.to_str().ok()?.to_string())))
        .collect();
    if apns.faults.recording() {
        apns.received
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Received {
                apns_id: apns_id.clone(),
                device_token,
                headers: sent,
                payload,
            });
    }
    let mut response = StatusCode::OK.into_response();
    if let Ok(v) = apns_id.parse() {
        response.headers_mut().insert(APNS_ID, v);
    }
    response
}

async fn p8(State(state): State<MockState>) -> String {
    state.apns.team_key().private_key
}

async fn key(State(state): State<MockState>) -> Json<ApnsKey> {
    Json(state.apns.team_key())
}

#[derive(Deserialize)]
struct Revocation {
    revoked: bool,
}

async fn revoke(State(state): State<MockState>, Json(r): Json<Revocation>) -> StatusCode {
    state.apns.set_revoked(r.revoked);
    StatusCode::NO_CONTENT
}

async fn notifications(State(state): State<MockState>) -> Json<Vec<Received>> {
    Json(state.apns.received())
}

async fn fault(State(state): State<MockState>, Json(fault): Json<Fault>) -> Response {
    if !matches!(fault.status, 429 | 500 | 503) {
        return (StatusCode::BAD_REQUEST, "status must be 429, 500 or 503").into_response();
    }
    state.apns.set_fault(fault);
    StatusCode::NO_CONTENT.into_response()
}
