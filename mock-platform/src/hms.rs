//! A faithful stand-in for Huawei Push Kit and its OAuth endpoint: the demo app's client id
//! and secret (made at first use, readable from the admin API as from AppGallery Connect)
//! exchanged for expiring access tokens, messages checked as Push Kit does (4096 bytes, a
//! collapse key in −1…100, tokens present) and recorded, a token beginning `invalid-` refused
//! with `80300007` (all tokens invalid), and flow control (`80100017`, HTTP 503 with
//! `Retry-After`) for the next sends set through `PUT /__admin/hms/fault`.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Form, Json, Router};
use chrono::Utc;
use platform_api::hms::{
    send_path, SendRequest, SendResponse, TokenResponse, ALL_TOKENS_INVALID, FLOW_CONTROL,
    MAX_MESSAGE_BYTES, MESSAGE_STRUCTURE, MESSAGE_TOO_LARGE, OAUTH_EXPIRED, SUCCESS,
};
use serde::{Deserialize, Serialize};

use crate::MockState;

/// The demo app's id.
pub const APP_ID: &str = "110000001";
/// The OAuth endpoint, below the mock's base URL.
pub const TOKEN_PATH: &str = "/huawei/oauth2/v3/token";
/// The push API's base, below the mock's base URL.
pub const PUSH_BASE: &str = "/hms";
/// The admin API: the demo app's credentials.
pub const CREDENTIALS_PATH: &str = "/__admin/hms/credentials";
/// The admin API: every message accepted.
pub const MESSAGES_PATH: &str = "/__admin/hms/messages";
/// The admin API: flow control for the next sends.
pub const FAULT_PATH: &str = "/__admin/hms/fault";

const TOKEN_SECS: u64 = 3_600;

/// The demo app's credentials, as AppGallery Connect shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    /// The app id (the OAuth client id).
    pub client_id: String,
    /// The app secret.
    pub client_secret: String,
}

/// A message Push Kit accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Received {
    /// The token it went to.
    pub token: String,
    /// The message.
    pub message: platform_api::hms::Message,
}

/// Flow control for the next `count` sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// `Retry-After` seconds.
    pub retry_after_secs: u64,
    /// How many sends meet it.
    pub count: u32,
}

/// The mock Push Kit's state.
#[derive(Default)]
pub struct Hms {
    secret: OnceLock<String>,
    tokens: Mutex<HashMap<String, i64>>,
    received: Mutex<Vec<Received>>,
    fault: Mutex<Option<Fault>>,
}

impl std::fmt::Debug for Hms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        f.debug_struct("Hms")
            .field("received", &self.received().len())
            .finish_non_exhaustive()
    }
}

impl Hms {
    /// The demo app's credentials (the secret made once).
    pub fn credentials(&self) -> Credentials {
        Credentials {
            client_id: APP_ID.into(),
            client_secret: self
                .secret
                .get_or_init(|| uuid::Uuid::new_v4().simple().to_string())
                .clone(),
        }
    }

    /// Every message accepted, oldest first.
    pub fn received(&self) -> Vec<Received> {
        self.received
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Flow control for the next `fault.count` sends.
    pub fn set_fault(&self, fault: Fault) {
        *self.fault.lock().unwrap_or_else(|p| p.into_inner()) = Some(fault);
    }

    fn take_fault(&self) -> Option<Fault> {
        let mut slot = self.fault.lock().unwrap_or_else(|p| p.into_inner());
        let fault = (*slot)?;
        *slot = (fault.count > 1).then_some(Fault {
            count: fault.count - 1,
            ..fault
        });
        Some(fault)
    }
}

/// The routes: OAuth, `messages:send`, admin.
pub fn routes() -> Router<MockState> {
    Router::new()
        .route(TOKEN_PATH, post(token))
        .route(&format!("{PUSH_BASE}{}", send_path("{app_id}")), post(send))
        .route(CREDENTIALS_PATH, get(credentials))
        .route(MESSAGES_PATH, get(messages))
        .route(FAULT_PATH, put(fault))
}

#[derive(Deserialize)]
struct TokenForm {
    grant_type: String,
    client_id: String,
    client_secret: String,
}

async fn token(State(state): State<MockState>, Form(form): Form<TokenForm>) -> Response {
    let expected = state.hms.credentials();
    if form.grant_type != "client_credentials" {
        return (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({"error": 1102, "error_description": "unsupported grant_type"})),
        )
            .into_response();
    }
    if form.client_id != expected.client_id || form.client_secret != expected.client_secret {
        return (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({"error": 1101, "error_description": "invalid client"})),
        )
            .into_response();
    }
    let access = format!("hms-mock-{}", uuid::Uuid::new_v4().simple());
    state
        .hms
        .tokens
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

fn answer(status: StatusCode, code: &str, msg: &str) -> Response {
    let body = SendResponse {
        code: code.to_string(),
        msg: msg.to_string(),
        request_id: uuid::Uuid::new_v4().simple().to_string(),
    };
    (status, Json(body)).into_response()
}

async fn send(
    State(state): State<MockState>,
    Path(app_id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let hms = &state.hms;
    let valid = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .is_some_and(|t| {
            hms.tokens
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(t)
                .is_some_and(|&exp| exp > Utc::now().timestamp())
        });
    if !valid {
        return answer(
            StatusCode::UNAUTHORIZED,
            OAUTH_EXPIRED,
            "Access token expired",
        );
    }
    if app_id != APP_ID {
        return answer(
            StatusCode::BAD_REQUEST,
            MESSAGE_STRUCTURE,
            "The app id does not match the token",
        );
    }
    let Ok(request) = serde_json::from_slice::<SendRequest>(&body) else {
        return answer(
            StatusCode::BAD_REQUEST,
            MESSAGE_STRUCTURE,
            "Incorrect message structure",
        );
    };
    let message = request.message;
    if serde_json::to_vec(&message).map_or(usize::MAX, |b| b.len()) > MAX_MESSAGE_BYTES {
        return answer(
            StatusCode::BAD_REQUEST,
            MESSAGE_TOO_LARGE,
            "The message body size exceeds the default value",
        );
    }
    if message.token.is_empty() || !(-1..=100).contains(&message.android.collapse_key) {
        return answer(
            StatusCode::BAD_REQUEST,
            MESSAGE_STRUCTURE,
            "Incorrect message structure",
        );
    }
    if message.token.iter().all(|t| t.starts_with("invalid-")) {
        return answer(
            StatusCode::OK,
            ALL_TOKENS_INVALID,
            "All the tokens are invalid",
        );
    }
    if let Some(fault) = hms.take_fault() {
        let mut response = answer(
            StatusCode::SERVICE_UNAVAILABLE,
            FLOW_CONTROL,
            "Flow control",
        );
        if let Ok(v) = fault.retry_after_secs.to_string().parse() {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, v);
        }
        return response;
    }
    if !request.validate_only {
        let mut received = hms.received.lock().unwrap_or_else(|p| p.into_inner());
        for token in &message.token {
            received.push(Received {
                token: token.clone(),
                message: message.clone(),
            });
        }
    }
    answer(StatusCode::OK, SUCCESS, "Success")
}

async fn credentials(State(state): State<MockState>) -> Json<Credentials> {
    Json(state.hms.credentials())
}

async fn messages(State(state): State<MockState>) -> Json<Vec<Received>> {
    Json(state.hms.received())
}

async fn fault(State(state): State<MockState>, Json(fault): Json<Fault>) -> StatusCode {
    state.hms.set_fault(fault);
    StatusCode::NO_CONTENT
}
