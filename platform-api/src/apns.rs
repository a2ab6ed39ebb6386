//! Apple Push Notification service (APNs) as ZheliKit speaks it, token-based: a provider
//! token — an ES256 JWT `{alg, kid}` · `{iss: team id, iat}` signed with the team's `.p8` key —
//! authorises `POST /3/device/{device token}` over HTTP/2 (APNs speaks nothing else). APNs
//! refuses a token older than an hour (`ExpiredProviderToken`) and one renewed more often than
//! every twenty minutes (`TooManyProviderTokenUpdates`), so a sender keeps one token for
//! between 20 and 60 minutes. The channel (client) and the mock (server) share these names.

use serde::{Deserialize, Serialize};

/// Header: the app's bundle id the push is for.
pub const TOPIC: &str = "apns-topic";
/// Header: `alert` (shown) or `background` (silent).
pub const PUSH_TYPE: &str = "apns-push-type";
/// Header: `10` at once, `5` when the device sees fit.
pub const PRIORITY: &str = "apns-priority";
/// Header: Unix seconds after which APNs stops trying (`0`: once).
pub const EXPIRATION: &str = "apns-expiration";
/// Header: notifications with one collapse id show as one (at most 64 bytes).
pub const COLLAPSE_ID: &str = "apns-collapse-id";
/// Header: APNs' id of the notification, in its answer.
pub const APNS_ID: &str = "apns-id";
/// Largest `apns-collapse-id`, in bytes.
pub const MAX_COLLAPSE_ID_BYTES: usize = 64;
/// Largest payload of an alert, in bytes.
pub const MAX_PAYLOAD_BYTES: usize = 4096;
/// A provider token is refused this many seconds after its `iat`.
pub const TOKEN_LIFETIME_SECS: i64 = 3_600;
/// A new provider token is refused within this many seconds of the last one.
pub const TOKEN_MIN_RENEWAL_SECS: i64 = 1_200;

/// The path of a push to `device_token`.
pub fn device_path(device_token: &str) -> String {
    format!("/3/device/{device_token}")
}

/// A provider token's claims (its header: `alg` `ES256`, `kid` the key id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderClaims {
    /// The team id.
    pub iss: String,
    /// Issued at, Unix seconds.
    pub iat: i64,
}

/// The team's signing key, as the developer account hands it out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApnsKey {
    /// The team id (`iss`).
    pub team_id: String,
    /// The key's id (`kid`).
    pub key_id: String,
    /// The `.p8` file: a PKCS#8 PEM P-256 key.
    pub private_key: String,
    /// The app's bundle id (`apns-topic`).
    pub topic: String,
}

/// The alert a push shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
}

/// The `aps` dictionary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Aps {
    /// What is shown.
    pub alert: Alert,
    /// Groups the app's notifications (the policy's).
    #[serde(rename = "thread-id", default, skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<String>,
    /// Wakes the app to fetch (the inbox sync).
    #[serde(
        rename = "content-available",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub content_available: Option<u8>,
}

/// A push's payload: `aps` and the app's own keys beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payload {
    /// What the system does.
    pub aps: Aps,
    /// What the app reads.
    #[serde(flatten)]
    pub data: std::collections::BTreeMap<String, String>,
}

/// An error answer: `{"reason": …}`, with `timestamp` (ms) on 410.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// APNs' reason, e.g. `BadDeviceToken`.
    pub reason: String,
    /// When the token stopped being valid (410 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<i64>,
}

/// APNs' reasons, by what a sender does about them.
pub mod reason {
    /// 400: the token is not a device token (never valid).
    pub const BAD_DEVICE_TOKEN: &str = "BadDeviceToken";
    /// 400: the token belongs to another app.
    pub const DEVICE_TOKEN_NOT_FOR_TOPIC: &str = "DeviceTokenNotForTopic";
    /// 400: `apns-topic` missing.
    pub const MISSING_TOPIC: &str = "MissingTopic";
    /// 400: `apns-push-type` wrong.
    pub const INVALID_PUSH_TYPE: &str = "InvalidPushType";
    /// 400: `apns-priority` wrong.
    pub const BAD_PRIORITY: &str = "BadPriority";
    /// 400: `apns-expiration` wrong.
    pub const BAD_EXPIRATION_DATE: &str = "BadExpirationDate";
    /// 400: `apns-collapse-id` over 64 bytes.
    pub const BAD_COLLAPSE_ID: &str = "BadCollapseId";
    /// 400: the payload is not JSON with `aps`.
    pub const PAYLOAD_EMPTY: &str = "PayloadEmpty";
    /// 403: the provider token does not verify.
    pub const INVALID_PROVIDER_TOKEN: &str = "InvalidProviderToken";
    /// 403: the provider token is over an hour old.
    pub const EXPIRED_PROVIDER_TOKEN: &str = "ExpiredProviderToken";
    /// 403: no provider token.
    pub const MISSING_PROVIDER_TOKEN: &str = "MissingProviderToken";
    /// 410: the app is gone from the device.
    pub const UNREGISTERED: &str = "Unregistered";
    /// 413: the payload is over 4096 bytes.
    pub const PAYLOAD_TOO_LARGE: &str = "PayloadTooLarge";
    /// 429: provider tokens renewed too often.
    pub const TOO_MANY_PROVIDER_TOKEN_UPDATES: &str = "TooManyProviderTokenUpdates";
    /// 429: too many pushes to one device.
    pub const TOO_MANY_REQUESTS: &str = "TooManyRequests";
    /// 500.
    pub const INTERNAL_SERVER_ERROR: &str = "InternalServerError";
    /// 503.
    pub const SERVICE_UNAVAILABLE: &str = "ServiceUnavailable";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_payload_puts_the_apps_keys_beside_aps() {
        let payload = Payload {
            aps: Aps {
                alert: Alert {
                    title: "新政策".into(),
                    body: "研发补助".into(),
                },
                thread_id: Some("policy-p1".into()),
                content_available: Some(1),
            },
            data: [("policy_id".to_string(), "p1".to_string())].into(),
        };
        let json = serde_json::to_value(&payload).expect("json");
        assert_eq!(
            json,
            serde_json::json!({
                "aps": {"alert": {"title": "新政策", "body": "研发补助"}, "thread-id": "policy-p1", "content-available": 1},
                "policy_id": "p1"
            })
        );
        assert_eq!(device_path("ab12"), "/3/device/ab12");
    }
}
