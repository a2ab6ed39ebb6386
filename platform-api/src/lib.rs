//! The protocol of the real platforms, as far as ZheliKit speaks it, written once so that the
//! BFF (the client) and `mock-platform` (the stand-in server) cannot drift apart:
//!
//! - [`irs`]: the IRS gateway's HMAC request signing, in front of every 浙里办 server API;
//! - [`dingtalk_sign`]: 浙政钉's own gateway signing (`X-Hmac-Auth-*`);
//! - [`zlb`]: 浙里办 SSO paths, result codes and payloads (personal, legal person, mini-program);
//! - [`zzd`]: 浙政钉 免登, token and organisation paths and payloads;
//! - [`fcm`], [`hms`]: the push providers' HTTP APIs (Firebase Cloud Messaging v1, Huawei Push Kit);
//! - [`registration`]: what one application is registered as (each mini-app has its own).
//!
//! Where a detail of the real platform is not public, the choice made here is the most likely
//! one and is marked as such.

#![warn(missing_docs)]

pub mod apns;
pub mod departments;
pub mod dingtalk_sign;
pub mod fcm;
pub mod hms;
pub mod irs;
pub mod registration;
pub mod zlb;
pub mod zzd;

/// How far a signed request's clock may be from the gateway's before it is refused.
pub const MAX_CLOCK_SKEW_SECS: i64 = 300;

/// Canonical form of a query or form string for signing: pairs sorted by key then value, as they
/// appear on the wire (still percent-encoded), joined with `&`. Empty pairs are dropped.
pub fn canonical_query(raw: &str) -> String {
    let mut pairs: Vec<&str> = raw.split('&').filter(|p| !p.is_empty()).collect();
    pairs.sort_by(|a, b| {
        let (ka, va) = a.split_once('=').unwrap_or((a, ""));
        let (kb, vb) = b.split_once('=').unwrap_or((b, ""));
        (ka, va).cmp(&(kb, vb))
    });
    pairs.join("&")
}

fn hmac_sha256_hex(secret: &str, message: &str) -> String {
    use hmac::Mac as _;
    // HMAC accepts keys of any length, so this cannot fail.
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else {
        unreachable!("HMAC takes any key length")
    };
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn hmac_sha256_base64(secret: &str, message: &str) -> String {
    use base64::Engine as _;
    use hmac::Mac as _;
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes any key length");
    mac.update(message.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Compares two signatures in constant time, so a forger learns nothing from response timing.
fn signatures_match(expected: &str, presented: &str) -> bool {
    let (a, b) = (expected.as_bytes(), presented.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Why a gateway refused a signed request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// A required header was absent.
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    /// The algorithm header names something other than `hmac-sha256`.
    #[error("unsupported signing algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    /// The access key (or app key) is not registered with the gateway.
    #[error("unknown access key")]
    UnknownAccessKey,
    /// The date header could not be parsed.
    #[error("malformed date header {0:?}")]
    MalformedDate(String),
    /// The date is further from the gateway's clock than [`MAX_CLOCK_SKEW_SECS`].
    #[error("request date is {skew_secs} s away from the gateway clock")]
    StaleDate {
        /// Seconds between the request's date and the gateway clock (positive: in the past).
        skew_secs: i64,
    },
    /// The nonce was already used within the clock window (浙政钉 only).
    #[error("nonce already used")]
    ReplayedNonce,
    /// The signature does not match the request.
    #[error("signature does not match the request")]
    SignatureMismatch,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_query_sorts_by_key_then_value() {
        assert_eq!(canonical_query("b=2&a=9&a=1&&c"), "a=1&a=9&b=2&c");
        assert_eq!(canonical_query(""), "");
    }

    #[test]
    fn signature_comparison_needs_equal_lengths_and_bytes() {
        assert!(signatures_match("abc", "abc"));
        assert!(!signatures_match("abc", "abd"));
        assert!(!signatures_match("abc", "ab"));
    }
}
