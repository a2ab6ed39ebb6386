//! 浙政钉 gateway signing (the government DingTalk open platform, `X-Hmac-Auth-*` headers).
//!
//! `X-Hmac-Auth-Signature = base64(HMAC-SHA256(secret, "METHOD\ntimestamp\nnonce\nURI"))`, with
//! `"\n" + sorted params` appended when the request has any (query or form body).
//! The timestamp is ISO 8601 in China Standard Time (`2026-11-26T16:00:00.000+08:00`).

use chrono::{DateTime, FixedOffset, Utc};

use crate::{
    canonical_query, hmac_sha256_base64, signatures_match, SignatureError, MAX_CLOCK_SKEW_SECS,
};

/// Header carrying the app key.
pub const HEADER_API_KEY: &str = "apiKey";
/// Request time, ISO 8601 with `+08:00`.
pub const HEADER_TIMESTAMP: &str = "X-Hmac-Auth-Timestamp";
/// Signing scheme version; always `1.0`.
pub const HEADER_VERSION: &str = "X-Hmac-Auth-Version";
/// Single-use random value.
pub const HEADER_NONCE: &str = "X-Hmac-Auth-Nonce";
/// Caller IP, informational.
pub const HEADER_IP: &str = "X-Hmac-Auth-IP";
/// Caller MAC address, informational.
pub const HEADER_MAC: &str = "X-Hmac-Auth-MAC";
/// The base64 signature.
pub const HEADER_SIGNATURE: &str = "X-Hmac-Auth-Signature";

/// An app's 浙政钉 credentials.
#[derive(Clone)]
pub struct AppCredentials {
    /// App key (`apiKey`), public.
    pub app_key: String,
    /// App secret, never sent.
    pub app_secret: String,
}

impl std::fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppCredentials")
            .field("app_key", &self.app_key)
            .finish_non_exhaustive()
    }
}

fn china_time(now: DateTime<Utc>) -> String {
    let cst = FixedOffset::east_opt(8 * 3600).expect("+08:00 is a valid offset");
    now.with_timezone(&cst)
        .format("%Y-%m-%dT%H:%M:%S%.3f%:z")
        .to_string()
}

/// The exact text that is signed.
pub fn string_to_sign(
    method: &str,
    timestamp: &str,
    nonce: &str,
    uri: &str,
    raw_params: &str,
) -> String {
    let mut s = format!(
        "{}\n{}\n{}\n{}",
        method.to_ascii_uppercase(),
        timestamp,
        nonce,
        uri
    );
    let params = canonical_query(raw_params);
    if !params.is_empty() {
        s.push('\n');
        s.push_str(&params);
    }
    s
}

/// The signing headers for a request made at `now` with the given `nonce`.
pub fn sign(
    creds: &AppCredentials,
    method: &str,
    uri: &str,
    raw_params: &str,
    nonce: &str,
    now: DateTime<Utc>,
) -> [(&'static str, String); 7] {
    let timestamp = china_time(now);
    let signature = hmac_sha256_base64(
        &creds.app_secret,
        &string_to_sign(method, &timestamp, nonce, uri, raw_params),
    );
    [
        (HEADER_API_KEY, creds.app_key.clone()),
        (HEADER_TIMESTAMP, timestamp),
        (HEADER_VERSION, "1.0".to_string()),
        (HEADER_NONCE, nonce.to_string()),
        (HEADER_IP, "127.0.0.1".to_string()),
        (HEADER_MAC, "00:00:00:00:00:00".to_string()),
        (HEADER_SIGNATURE, signature),
    ]
}

/// What a verified request told the gateway: who signed it and with which nonce (the caller
/// must refuse a nonce it has seen within [`MAX_CLOCK_SKEW_SECS`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The app key that signed.
    pub app_key: String,
    /// The request's nonce.
    pub nonce: String,
}

/// Checks a request's signature and clock. Replay (nonce reuse) is the caller's to check,
/// since it needs memory.
pub fn verify<'h>(
    header: impl Fn(&str) -> Option<&'h str>,
    method: &str,
    uri: &str,
    raw_params: &str,
    secret_for: impl Fn(&str) -> Option<String>,
    now: DateTime<Utc>,
) -> Result<Verified, SignatureError> {
    let app_key = header(HEADER_API_KEY).ok_or(SignatureError::MissingHeader(HEADER_API_KEY))?;
    let timestamp =
        header(HEADER_TIMESTAMP).ok_or(SignatureError::MissingHeader(HEADER_TIMESTAMP))?;
    let nonce = header(HEADER_NONCE).ok_or(SignatureError::MissingHeader(HEADER_NONCE))?;
    let signature =
        header(HEADER_SIGNATURE).ok_or(SignatureError::MissingHeader(HEADER_SIGNATURE))?;
    let version = header(HEADER_VERSION).ok_or(SignatureError::MissingHeader(HEADER_VERSION))?;
    if version != "1.0" {
        return Err(SignatureError::UnsupportedAlgorithm(version.to_string()));
    }
    let sent = DateTime::parse_from_rfc3339(timestamp)
        .map_err(|_| SignatureError::MalformedDate(timestamp.to_string()))?;
    let skew_secs = (now - sent.with_timezone(&Utc)).num_seconds();
    if skew_secs.abs() > MAX_CLOCK_SKEW_SECS {
        return Err(SignatureError::StaleDate { skew_secs });
    }
    let secret = secret_for(app_key).ok_or(SignatureError::UnknownAccessKey)?;
    let expected = hmac_sha256_base64(
        &secret,
        &string_to_sign(method, timestamp, nonce, uri, raw_params),
    );
    if !signatures_match(&expected, signature) {
        return Err(SignatureError::SignatureMismatch);
    }
    Ok(Verified {
        app_key: app_key.to_string(),
        nonce: nonce.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn creds() -> AppCredentials {
        AppCredentials {
            app_key: "zzd-key".into(),
            app_secret: "zzd-secret".into(),
        }
    }

    fn check(
        headers: &[(&'static str, String)],
        params: &str,
        now: DateTime<Utc>,
    ) -> Result<Verified, SignatureError> {
        verify(
            |n| {
                headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(n))
                    .map(|(_, v)| v.as_str())
            },
            "POST",
            "/rpc/oauth2/dingtalk_app_user.json",
            params,
            |k| (k == "zzd-key").then(|| "zzd-secret".to_string()),
            now,
        )
    }

    #[test]
    fn timestamps_are_china_standard_time() {
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 8, 0, 0).unwrap();
        assert_eq!(china_time(now), "2026-11-26T16:00:00.000+08:00");
    }

    #[test]
    fn params_are_appended_only_when_present() {
        assert_eq!(string_to_sign("get", "t", "n", "/u", ""), "GET\nt\nn\n/u");
        assert_eq!(
            string_to_sign("POST", "t", "n", "/u", "z=1&a=2"),
            "POST\nt\nn\n/u\na=2&z=1"
        );
    }

    #[test]
    fn a_signed_request_verifies_and_a_changed_param_does_not() {
        let now = Utc::now();
        let headers = sign(
            &creds(),
            "POST",
            "/rpc/oauth2/dingtalk_app_user.json",
            "auth_code=abc",
            "n1",
            now,
        );
        assert_eq!(
            check(&headers, "auth_code=abc", now).map(|v| v.nonce),
            Ok("n1".to_string())
        );
        assert_eq!(
            check(&headers, "auth_code=abd", now),
            Err(SignatureError::SignatureMismatch)
        );
    }

    #[test]
    fn an_old_timestamp_is_refused() {
        let now = Utc::now();
        let headers = sign(
            &creds(),
            "POST",
            "/rpc/oauth2/dingtalk_app_user.json",
            "",
            "n",
            now - chrono::Duration::minutes(10),
        );
        assert!(matches!(
            check(&headers, "", now),
            Err(SignatureError::StaleDate { .. })
        ));
    }
}
