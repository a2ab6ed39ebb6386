//! Reads the claims of the SDK's own access token, to know when it expires. No verification:
//! the BFF verifies; the SDK only schedules its refresh.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Deserialize;

/// The claims the SDK uses.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct Claims {
    /// Pseudonymous user id.
    pub(crate) sub: String,
    /// Expiry, seconds since the epoch.
    pub(crate) exp: i64,
}

/// The claims of `token`, or `None` if it is not a JWT.
pub(crate) fn claims(token: &str) -> Option<Claims> {
    let payload = token.split('.').nth(1)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sub_and_exp_and_refuses_garbage() {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"u1","exp":1800000000,"aud":"a"}"#);
        assert_eq!(
            claims(&format!("h.{payload}.s")),
            Some(Claims {
                sub: "u1".into(),
                exp: 1_800_000_000
            })
        );
        assert_eq!(claims("not-a-jwt"), None);
        assert_eq!(claims("a.!!!.c"), None);
    }
}
