//! Huawei Push Kit (HMS Core, 华为推送服务) as ZheliKit speaks it: the app's client id and secret
//! are exchanged at the OAuth endpoint (`client_credentials`) for an access token, which
//! authorises `POST /v1/{app_id}/messages:send` (most Chinese Android phones have no Google
//! services, so FCM cannot reach them). Answers carry Push Kit's result `code` (`80000000`
//! success); the push channel (client) and the mock (server) share these payloads.

use serde::{Deserialize, Serialize};

/// Success.
pub const SUCCESS: &str = "80000000";
/// Some tokens of the request were invalid (the answer names them).
pub const PARTIAL_FAILURE: &str = "80100000";
/// A parameter is wrong.
pub const PARAMETER_ERROR: &str = "80100001";
/// The message's structure is wrong.
pub const MESSAGE_STRUCTURE: &str = "80100003";
/// Sent too fast (flow control).
pub const FLOW_CONTROL: &str = "80100017";
/// The access token is not valid.
pub const OAUTH_FAILED: &str = "80200001";
/// The access token expired.
pub const OAUTH_EXPIRED: &str = "80200003";
/// Every token of the request is invalid (uninstalled, or another app's).
pub const ALL_TOKENS_INVALID: &str = "80300007";
/// The message is over the size limit.
pub const MESSAGE_TOO_LARGE: &str = "80300008";
/// Push Kit's own failure.
pub const INTERNAL_ERROR: &str = "81000001";
/// Largest message body, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 4096;

/// The send path of app `app_id`, below the push API's base URL.
pub fn send_path(app_id: &str) -> String {
    format!("/v1/{app_id}/messages:send")
}

/// The token endpoint's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    /// The bearer token.
    pub access_token: String,
    /// Seconds it lasts.
    pub expires_in: u64,
    /// `Bearer`.
    pub token_type: String,
}

/// `messages:send`'s body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendRequest {
    /// Check only, do not send.
    #[serde(default)]
    pub validate_only: bool,
    /// The message.
    pub message: Message,
}

/// A message to devices by token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// What the app reads, a JSON string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    /// Android options.
    pub android: AndroidConfig,
    /// The devices' tokens (ZheliKit sends one per message).
    pub token: Vec<String>,
}

/// Android options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AndroidConfig {
    /// Messages with one key replace one another while the phone is offline (-1 to 100).
    pub collapse_key: i32,
    /// The notification shown.
    pub notification: Notification,
}

/// The notification shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
    /// What a tap does.
    pub click_action: ClickAction,
}

/// What a tap does: `type` 1 opens the app page of `intent`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClickAction {
    /// 1: a custom page (`intent`); 3: the app's launcher page.
    #[serde(rename = "type")]
    pub kind: u8,
    /// The page, as an intent URI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<String>,
}

/// `messages:send`'s answer, on success and on failure alike.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendResponse {
    /// [`SUCCESS`] or an error code.
    pub code: String,
    /// What it means.
    pub msg: String,
    /// Push Kit's id of the request.
    #[serde(rename = "requestId")]
    pub request_id: String,
}
