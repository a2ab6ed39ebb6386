//! The two signing gateways in front of the server APIs.
//!
//! - IRS (公共数据平台) in front of every 浙里办 `/restapi/...` API: `X-BG-HMAC-*` headers,
//!   checked with [`platform_api::irs::verify`]; a refusal answers the gateway's own
//!   [`GatewayError`] with the status [`GatewayError::code_for`] gives.
//! - 浙政钉's gateway in front of every 浙政钉 server API: `X-Hmac-Auth-*` headers, checked with
//!   [`platform_api::dingtalk_sign::verify`] plus a nonce memory against replay; a refusal
//!   answers HTTP 401 with a [`zzd::Response`] error.
//!
//! Both use the real wall clock, not the time-travel clock: callers sign with their real clock.
//! A verified request carries the caller ([`IrsCaller`], [`ZzdCaller`]) to the handler.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use platform_api::irs::GatewayError;
use platform_api::{dingtalk_sign, irs, zzd, SignatureError, MAX_CLOCK_SKEW_SECS};

use crate::grants::random_hex;
use crate::MockState;

/// Code of a 浙政钉 gateway refusal. (The real code is not public; platform-api has no constant
/// for it, so it is defined here.)
pub const ZZD_SIGNATURE_INVALID: &str = "SIGNATURE_INVALID";

/// Largest form body the 浙政钉 gateway buffers to check its signature.
const MAX_SIGNED_BODY_BYTES: usize = 64 * 1024;

/// The application whose IRS access key signed the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IrsCaller {
    /// The verified access key.
    pub access_key: String,
}

/// The application whose 浙政钉 app key signed the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZzdCaller {
    /// The verified app key.
    pub app_key: String,
}

fn header_value<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Middleware: verifies the IRS signature over method, path and raw query string.
pub async fn irs(State(state): State<MockState>, mut request: Request, next: Next) -> Response {
    let verified = irs::verify(
        |name| header_value(request.headers(), name),
        request.method().as_str(),
        request.uri().path(),
        request.uri().query().unwrap_or(""),
        |access_key| {
            state
                .app_by_access_key(access_key)
                .map(|app| app.irs.secret_key.clone())
        },
        Utc::now(),
    );
    match verified {
        Ok(access_key) => {
            request.extensions_mut().insert(IrsCaller { access_key });
            next.run(request).await
        }
        Err(err) => irs_refusal(&err, request.uri().path()),
    }
}

fn irs_refusal(err: &SignatureError, path: &str) -> Response {
    let (code, status) = GatewayError::code_for(err);
    let body = GatewayError {
        code: code.to_string(),
        message: err.to_string(),
        request_id: random_hex(),
    };
    tracing::info!(path, code, reason = %err, "IRS gateway refused a request");
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::UNAUTHORIZED);
    (status, Json(body)).into_response()
}

/// Nonces seen by the 浙政钉 gateway, per app key.
#[derive(Debug, Default)]
pub struct NonceBook {
    seen: Mutex<HashMap<(String, String), DateTime<Utc>>>,
}

impl NonceBook {
    /// Records a nonce; false when it was already seen and is still remembered.
    ///
    /// A signed timestamp is accepted anywhere within ±[`MAX_CLOCK_SKEW_SECS`] of now, so a
    /// captured request stays acceptable for up to twice that after it was first seen: the nonce
    /// is remembered that long, not just the skew.
    pub fn remember(&self, app_key: &str, nonce: &str, now: DateTime<Utc>) -> bool {
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let window = Duration::seconds(2 * MAX_CLOCK_SKEW_SECS);
        seen.retain(|_, at| now - *at < window);
        let key = (app_key.to_string(), nonce.to_string());
        if seen.contains_key(&key) {
            return false;
        }
        seen.insert(key, now);
        true
    }
}

/// Middleware: verifies the 浙政钉 signature (params are the query for GET, the form body
/// otherwise) and refuses a nonce already used.
pub async fn zzd(State(state): State<MockState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, MAX_SIGNED_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return zzd_refusal(
                StatusCode::PAYLOAD_TOO_LARGE,
                zzd::codes::PARAM_INVALID,
                "the request body is too large or could not be read",
            )
        }
    };
    let raw_params = if parts.method == Method::GET {
        parts.uri.query().unwrap_or("").to_string()
    } else {
        match std::str::from_utf8(&body) {
            Ok(text) => text.to_string(),
            Err(_) => {
                return zzd_refusal(
                    StatusCode::BAD_REQUEST,
                    zzd::codes::PARAM_INVALID,
                    "the form body is not UTF-8",
                )
            }
        }
    };
    let now = Utc::now();
    let verified = dingtalk_sign::verify(
        |name| header_value(&parts.headers, name),
        parts.method.as_str(),
        parts.uri.path(),
        &raw_params,
        |app_key| {
            state
                .app_by_zzd_key(app_key)
                .map(|app| app.zzd.app_secret.clone())
        },
        now,
    )
    .and_then(|v| {
        if state.nonces.remember(&v.app_key, &v.nonce, now) {
            Ok(v)
        } else {
            Err(SignatureError::ReplayedNonce)
        }
    });
    match verified {
        Ok(v) => {
            parts.extensions.insert(ZzdCaller { app_key: v.app_key });
            next.run(Request::from_parts(parts, Body::from(body))).await
        }
        Err(err) => {
            tracing::info!(path = parts.uri.path(), reason = %err, "浙政钉 gateway refused a request");
            zzd_refusal(
                StatusCode::UNAUTHORIZED,
                ZZD_SIGNATURE_INVALID,
                &err.to_string(),
            )
        }
    }
}

/// A gateway-level refusal: unlike an API error, the outer `success` is false too.
fn zzd_refusal(status: StatusCode, code: &str, message: &str) -> Response {
    let mut body = zzd::Response::<()>::error(code, message);
    body.success = false;
    (status, Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_is_refused_while_remembered_and_accepted_after() {
        let book = NonceBook::default();
        let now = Utc::now();
        assert!(book.remember("k", "n", now));
        assert!(!book.remember("k", "n", now + Duration::seconds(599)));
        assert!(book.remember("other-app", "n", now));
        assert!(book.remember("k", "n", now + Duration::seconds(601)));
    }
}
