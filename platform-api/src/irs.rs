//! IRS gateway signing (公共数据平台 IRS), in front of every 浙里办 server-to-server API since 2022.
//!
//! `X-BG-HMAC-SIGNATURE = base64(HMAC-SHA256(secret, "METHOD\npath\nsorted query\naccess key\ndate\n"))`
//! with the date in RFC 1123 form (GMT). The secret never travels.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    canonical_query, hmac_sha256_base64, signatures_match, SignatureError, MAX_CLOCK_SKEW_SECS,
};

/// Header carrying the caller's access key.
pub const HEADER_ACCESS_KEY: &str = "X-BG-HMAC-ACCESS-KEY";
/// Header naming the algorithm; always [`ALGORITHM`].
pub const HEADER_ALGORITHM: &str = "X-BG-HMAC-ALGORITHM";
/// Header with the request time, RFC 1123 in GMT.
pub const HEADER_DATE_TIME: &str = "X-BG-DATE-TIME";
/// Header with the base64 signature.
pub const HEADER_SIGNATURE: &str = "X-BG-HMAC-SIGNATURE";
/// The one algorithm the gateway accepts.
pub const ALGORITHM: &str = "hmac-sha256";

/// An application's gateway credentials.
#[derive(Clone)]
pub struct Credentials {
    /// Public identifier sent with each request.
    pub access_key: String,
    /// Shared secret; never sent.
    pub secret_key: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key", &self.access_key)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// The IRS keys of demo mini-app `mini_app_id` under these (the demo stack's) keys: see
    /// [`crate::registration::AppRegistration::demo_for`].
    pub fn demo_for(&self, mini_app_id: &str) -> Credentials {
        Credentials {
            access_key: format!("{}.{mini_app_id}", self.access_key),
            secret_key: crate::hmac_sha256_hex(&self.secret_key, mini_app_id),
        }
    }
}

/// The exact text that is signed.
pub fn string_to_sign(
    method: &str,
    path: &str,
    raw_query: &str,
    access_key: &str,
    date: &str,
) -> String {
    format!(
        "{}\n{}\n{}\n{}\n{}\n",
        method.to_ascii_uppercase(),
        path,
        canonical_query(raw_query),
        access_key,
        date
    )
}

/// The four headers for a request made at `now`.
pub fn sign(
    creds: &Credentials,
    method: &str,
    path: &str,
    raw_query: &str,
    now: DateTime<Utc>,
) -> [(&'static str, String); 4] {
    let date = httpdate::fmt_http_date(now.into());
    let signature = hmac_sha256_base64(
        &creds.secret_key,
        &string_to_sign(method, path, raw_query, &creds.access_key, &date),
    );
    [
        (HEADER_ACCESS_KEY, creds.access_key.clone()),
        (HEADER_ALGORITHM, ALGORITHM.to_string()),
        (HEADER_DATE_TIME, date),
        (HEADER_SIGNATURE, signature),
    ]
}

/// Checks a request as the gateway does. `header` looks a header up by name;
/// `secret_for` returns the secret of a registered access key. Returns the access key.
pub fn verify<'h>(
    header: impl Fn(&str) -> Option<&'h str>,
    method: &str,
    path: &str,
    raw_query: &str,
    secret_for: impl Fn(&str) -> Option<String>,
    now: DateTime<Utc>,
) -> Result<String, SignatureError> {
    let access_key =
        header(HEADER_ACCESS_KEY).ok_or(SignatureError::MissingHeader(HEADER_ACCESS_KEY))?;
    let algorithm =
        header(HEADER_ALGORITHM).ok_or(SignatureError::MissingHeader(HEADER_ALGORITHM))?;
    let date = header(HEADER_DATE_TIME).ok_or(SignatureError::MissingHeader(HEADER_DATE_TIME))?;
    let signature =
        header(HEADER_SIGNATURE).ok_or(SignatureError::MissingHeader(HEADER_SIGNATURE))?;
    if !algorithm.eq_ignore_ascii_case(ALGORITHM) {
        return Err(SignatureError::UnsupportedAlgorithm(algorithm.to_string()));
    }
    let sent: DateTime<Utc> = httpdate::parse_http_date(date)
        .map_err(|_| SignatureError::MalformedDate(date.to_string()))?
        .into();
    let skew_secs = (now - sent).num_seconds();
    if skew_secs.abs() > MAX_CLOCK_SKEW_SECS {
        return Err(SignatureError::StaleDate { skew_secs });
    }
    let secret = secret_for(access_key).ok_or(SignatureError::UnknownAccessKey)?;
    let expected = hmac_sha256_base64(
        &secret,
        &string_to_sign(method, path, raw_query, access_key, date),
    );
    if !signatures_match(&expected, signature) {
        return Err(SignatureError::SignatureMismatch);
    }
    Ok(access_key.to_string())
}

/// The gateway's own error envelope, returned instead of the API's answer when a request is
/// refused before reaching the API. (The real field names are not public; these follow the
/// gateway's documented error table: a code, a message and the request id.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GatewayError {
    /// e.g. `IRS-401-SIGNATURE`.
    pub code: String,
    /// Human-readable reason.
    pub message: String,
    /// Gateway request id.
    #[serde(rename = "requestId")]
    pub request_id: String,
}

impl GatewayError {
    /// The gateway code and HTTP status for a signature failure.
    pub fn code_for(err: &SignatureError) -> (&'static str, u16) {
        match err {
            SignatureError::MissingHeader(_) | SignatureError::UnsupportedAlgorithm(_) => {
                ("IRS-400-BAD-AUTH-HEADER", 400)
            }
            SignatureError::UnknownAccessKey => ("IRS-401-UNKNOWN-KEY", 401),
            SignatureError::MalformedDate(_) | SignatureError::StaleDate { .. } => {
                ("IRS-401-DATE", 401)
            }
            SignatureError::ReplayedNonce | SignatureError::SignatureMismatch => {
                ("IRS-401-SIGNATURE", 401)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn creds() -> Credentials {
        Credentials {
            access_key: "ak-test".into(),
            secret_key: "sk-test".into(),
        }
    }

    fn verify_at(
        headers: &[(&'static str, String)],
        query: &str,
        now: DateTime<Utc>,
    ) -> Result<String, SignatureError> {
        verify(
            |name| {
                headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.as_str())
            },
            "GET",
            "/restapi/prod/IC1/sso",
            query,
            |ak| (ak == "ak-test").then(|| "sk-test".to_string()),
            now,
        )
    }

    #[test]
    fn the_string_to_sign_has_five_lines_and_a_sorted_query() {
        assert_eq!(
            string_to_sign(
                "get",
                "/p",
                "b=2&a=1",
                "ak",
                "Thu, 26 Nov 2026 08:00:00 GMT"
            ),
            "GET\n/p\na=1&b=2\nak\nThu, 26 Nov 2026 08:00:00 GMT\n"
        );
    }

    #[test]
    fn a_signed_request_verifies_whatever_the_query_order() {
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 8, 0, 0).unwrap();
        let headers = sign(
            &creds(),
            "GET",
            "/restapi/prod/IC1/sso",
            "st=x&method=y",
            now,
        );
        assert_eq!(headers[2].1, "Thu, 26 Nov 2026 08:00:00 GMT");
        assert_eq!(
            verify_at(&headers, "method=y&st=x", now),
            Ok("ak-test".into())
        );
    }

    #[test]
    fn tampering_with_the_query_breaks_the_signature() {
        let now = Utc::now();
        let headers = sign(&creds(), "GET", "/restapi/prod/IC1/sso", "st=x", now);
        assert_eq!(
            verify_at(&headers, "st=y", now),
            Err(SignatureError::SignatureMismatch)
        );
    }

    #[test]
    fn a_date_six_minutes_old_is_stale() {
        let now = Utc::now();
        let headers = sign(
            &creds(),
            "GET",
            "/restapi/prod/IC1/sso",
            "",
            now - chrono::Duration::minutes(6),
        );
        assert!(
            matches!(verify_at(&headers, "", now), Err(SignatureError::StaleDate { skew_secs }) if skew_secs >= 360)
        );
    }

    #[test]
    fn an_unknown_key_and_a_missing_header_are_named() {
        let now = Utc::now();
        let other = Credentials {
            access_key: "ak-other".into(),
            secret_key: "sk".into(),
        };
        let headers = sign(&other, "GET", "/restapi/prod/IC1/sso", "", now);
        assert_eq!(
            verify_at(&headers, "", now),
            Err(SignatureError::UnknownAccessKey)
        );
        assert_eq!(
            verify_at(&headers[..3], "", now),
            Err(SignatureError::MissingHeader(HEADER_SIGNATURE))
        );
    }
}
