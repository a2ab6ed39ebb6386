//! Firebase Cloud Messaging HTTP v1 as ZheliKit speaks it: a service account's key signs an
//! RS256 JWT, which the OAuth token endpoint exchanges for an access token
//! (`urn:ietf:params:oauth:grant-type:jwt-bearer`); the token authorises
//! `POST /v1/projects/{project}/messages:send`, one message to one target. The push channel
//! (client) and the mock FCM (server) share these payloads.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The OAuth scope a send needs.
pub const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
/// The JWT-bearer grant type.
pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// Largest message FCM accepts, in bytes of its JSON.
pub const MAX_MESSAGE_BYTES: usize = 4096;

/// The send path of `project`, below the FCM base URL.
pub fn send_path(project: &str) -> String {
    format!("/v1/projects/{project}/messages:send")
}

/// A service account's key file, as the Firebase console hands it out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceAccount {
    /// Always `service_account`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The Firebase project.
    pub project_id: String,
    /// The key's id (the JWT's `kid`).
    pub private_key_id: String,
    /// The RSA private key, PKCS#8 PEM.
    pub private_key: String,
    /// The account (the JWT's `iss`).
    pub client_email: String,
    /// Where assertions are exchanged for access tokens (the JWT's `aud`).
    pub token_uri: String,
}

/// The assertion's claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssertionClaims {
    /// The service account's email.
    pub iss: String,
    /// [`SCOPE`].
    pub scope: String,
    /// The token URI.
    pub aud: String,
    /// Issued at, Unix seconds.
    pub iat: i64,
    /// Expiry, at most an hour after `iat`.
    pub exp: i64,
}

/// The token endpoint's form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRequest {
    /// [`GRANT_TYPE`].
    pub grant_type: String,
    /// The signed JWT.
    pub assertion: String,
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
    /// The message.
    pub message: Message,
}

/// One message: exactly one of `token`, `topic`, `condition`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Message {
    /// A device's registration token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// A topic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// A condition over topics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// What the system shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification: Option<Notification>,
    /// What the app reads.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub data: BTreeMap<String, String>,
    /// Android options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub android: Option<AndroidConfig>,
    /// APNs options (FCM relays to iOS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apns: Option<ApnsConfig>,
}

/// The notification shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
}

/// Android options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AndroidConfig {
    /// Messages with one collapse key replace one another on the device.
    pub collapse_key: String,
    /// `normal` or `high`.
    pub priority: String,
}

/// APNs options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApnsConfig {
    /// `apns-collapse-id` and the like.
    pub headers: BTreeMap<String, String>,
}

/// `messages:send`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendResponse {
    /// `projects/{project}/messages/{id}`.
    pub name: String,
}

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorStatus,
}

/// The error's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorStatus {
    /// The HTTP status.
    pub code: u16,
    /// What happened.
    pub message: String,
    /// `NOT_FOUND`, `INVALID_ARGUMENT`, `RESOURCE_EXHAUSTED`, `UNAVAILABLE`, `UNAUTHENTICATED` …
    pub status: String,
    /// FCM's own error code among the details.
    #[serde(default)]
    pub details: Vec<ErrorDetail>,
}

/// One detail of an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// `type.googleapis.com/google.firebase.fcm.v1.FcmError`.
    #[serde(rename = "@type")]
    pub kind: String,
    /// `UNREGISTERED`, `INVALID_ARGUMENT`, `QUOTA_EXCEEDED`, `UNAVAILABLE`, `INTERNAL`,
    /// `SENDER_ID_MISMATCH`, `THIRD_PARTY_AUTH_ERROR`.
    #[serde(rename = "errorCode")]
    pub error_code: String,
}

/// The detail type FCM errors carry.
pub const FCM_ERROR_TYPE: &str = "type.googleapis.com/google.firebase.fcm.v1.FcmError";

impl ErrorBody {
    /// An FCM error: HTTP `code`, its gRPC `status`, FCM's `error_code`.
    pub fn fcm(code: u16, status: &str, error_code: &str, message: &str) -> Self {
        ErrorBody {
            error: ErrorStatus {
                code,
                message: message.to_string(),
                status: status.to_string(),
                details: vec![ErrorDetail {
                    kind: FCM_ERROR_TYPE.to_string(),
                    error_code: error_code.to_string(),
                }],
            },
        }
    }

    /// FCM's error code, if it gave one.
    pub fn error_code(&self) -> Option<&str> {
        self.error
            .details
            .iter()
            .find(|d| d.kind == FCM_ERROR_TYPE)
            .map(|d| d.error_code.as_str())
    }
}
