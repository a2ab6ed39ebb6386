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
    /// Expiry, seconds since the epoch (server clock).
    pub(crate) exp: i64,
    /// Issue time, seconds since the epoch (server clock).
    pub(crate) iat: i64,
}

impl Claims {
    /// When the token expires by *this device's* clock: its lifetime counted from now. Phone
    /// clocks are often minutes off; comparing the server's `exp` with them would refresh every
    /// call (clock ahead) or use expired tokens (clock behind).
    pub(crate) fn expires_at_local(&self, now: i64) -> i64 {
        now + (self.exp - self.iat).max(0)
    }
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
        let payload =
            URL_SAFE_NO_PAD.encode(br#"{"sub":"u1","exp":1800000900,"iat":1800000000,"aud":"a"}"#);
        let c = claims(&format!("h.{payload}.s")).unwrap();
        assert_eq!(
            c,
            Claims {
                sub: "u1".into(),
                exp: 1_800_000_900,
                iat: 1_800_000_000
            }
        );
        assert_eq!(
            c.expires_at_local(5),
            905,
            "the lifetime, counted on the device clock"
        );
        assert_eq!(claims("not-a-jwt"), None);
        assert_eq!(claims("a.!!!.c"), None);
    }
}
