//! APNs, token-based, over HTTP/2: one ES256 provider token signed with the team's `.p8` key
//! is kept for every send and renewed after 50 minutes — never sooner than 20 (APNs answers
//! `TooManyProviderTokenUpdates`), never later than 60 (`ExpiredProviderToken`); each push
//! carries `apns-topic`, `apns-push-type: alert`, `apns-priority: 5` (a policy notice is not
//! urgent, so the phone may save power), `apns-expiration` a week on (the inbox keeps it after
//! that) and the campaign's `apns-collapse-id`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use platform_api::apns::{
    device_path, reason, Alert, ApnsKey, Aps, ErrorBody, Payload, ProviderClaims, APNS_ID,
    COLLAPSE_ID, EXPIRATION, MAX_COLLAPSE_ID_BYTES, MAX_PAYLOAD_BYTES, PRIORITY, PUSH_TYPE,
    TOKEN_LIFETIME_SECS, TOKEN_MIN_RENEWAL_SECS, TOPIC,
};

use super::h2::H2Pool;
use super::{retry_after, Channel, Push, SendError};

/// A provider token is renewed once it is this old: well inside APNs' hour, well past its
/// twenty minutes.
pub const RENEW_AFTER: Duration = Duration::from_secs(50 * 60);

/// How long APNs keeps trying an offline phone.
const EXPIRES_AFTER_SECS: i64 = 7 * 24 * 3_600;

/// Whether a provider token `age` old is to be renewed before the next send; `refused` when
/// APNs just answered `ExpiredProviderToken` for it.
pub fn renew_due(age: Duration, refused: bool) -> bool {
    let min = Duration::from_secs(TOKEN_MIN_RENEWAL_SECS as u64);
    let max = Duration::from_secs(TOKEN_LIFETIME_SECS as u64);
    // A refusal of a token younger than twenty minutes would be answered with
    // TooManyProviderTokenUpdates if renewed: the clock is off, and an alert says so.
    (refused && age >= min) || age >= RENEW_AFTER.min(max)
}

/// Why the channel could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ApnsSetupError {
    /// The `.p8` key is not a PKCS#8 PEM P-256 key.
    #[error("the APNs key is unreadable: {0}")]
    Key(String),
}

/// The APNs channel of one team key and app.
pub struct Apns {
    key: ApnsKey,
    signing: EncodingKey,
    base_url: String,
    pool: Arc<H2Pool>,
    token: std::sync::Mutex<Option<(String, Instant)>>,
}

impl Apns {
    /// The channel of `key`, sending to `base_url` (`https://api.push.apple.com`, or the
    /// mock's `/apns`) over `pool`.
    pub fn new(key: ApnsKey, base_url: &str, pool: Arc<H2Pool>) -> Result<Self, ApnsSetupError> {
        let signing = EncodingKey::from_ec_pem(key.private_key.as_bytes())
            .map_err(|e| ApnsSetupError::Key(e.to_string()))?;
        Ok(Apns {
            key,
            signing,
            base_url: base_url.trim_end_matches('/').to_string(),
            pool,
            token: std::sync::Mutex::new(None),
        })
    }

    /// The provider token to send with: the one kept, or a new one when it is due.
    fn provider_token(&self, refused: bool) -> Result<String, SendError> {
        let mut kept = self.token.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((token, made)) = kept.as_ref() {
            if !renew_due(made.elapsed(), refused) {
                return Ok(token.clone());
            }
        }
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.key.key_id.clone());
        let claims = ProviderClaims {
            iss: self.key.team_id.clone(),
            iat: chrono::Utc::now().timestamp(),
        };
        let token = jsonwebtoken::encode(&header, &claims, &self.signing)
            .map_err(|e| SendError::Unauthenticated(format!("signing the provider token: {e}")))?;
        *kept = Some((token.clone(), Instant::now()));
        Ok(token)
    }
}

/// The payload of a push.
pub fn payload(push: &Push) -> Payload {
    Payload {
        aps: Aps {
            alert: Alert {
                title: push.title.clone(),
                body: push.body.clone(),
            },
            thread_id: Some(push.collapse_key.clone()),
            // Wakes the app to sync its inbox.
            content_available: Some(1),
        },
        data: push.data.clone(),
    }
}

/// `apns-collapse-id`: the campaign's key, cut to APNs' 64 bytes on a character boundary.
fn collapse_id(key: &str) -> &str {
    if key.len() <= MAX_COLLAPSE_ID_BYTES {
        return key;
    }
    let mut end = MAX_COLLAPSE_ID_BYTES;
    while !key.is_char_boundary(end) {
        end -= 1;
    }
    &key[..end]
}

#[async_trait]
impl Channel for Apns {
    fn name(&self) -> &'static str {
        "apns"
    }

    async fn send(&self, push: &Push) -> Result<String, SendError> {
        let body = serde_json::to_vec(&payload(push))
            .map_err(|e| SendError::InvalidArgument(e.to_string()))?;
        if body.len() > MAX_PAYLOAD_BYTES {
            return Err(SendError::InvalidArgument(format!(
                "the payload is {} bytes; APNs takes at most {MAX_PAYLOAD_BYTES}",
                body.len()
            )));
        }
        let url = format!("{}{}", self.base_url, device_path(&push.token));
        let expiration = (chrono::Utc::now().timestamp() + EXPIRES_AFTER_SECS).to_string();
        let mut refused = false;
        for attempt in 0..2 {
            let token = self.provider_token(refused)?;
            let lent = self.pool.lend().await;
            let answer = lent
                .client
                .post(&url)
                .header(reqwest::header::AUTHORIZATION, format!("bearer {token}"))
                .header(TOPIC, &self.key.topic)
                .header(PUSH_TYPE, "alert")
                .header(PRIORITY, "5")
                .header(EXPIRATION, &expiration)
                .header(COLLAPSE_ID, collapse_id(&push.collapse_key))
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone())
                .send()
                .await
                .map_err(|e| SendError::Unavailable {
                    reason: e.to_string(),
                    retry_after: None,
                })?;
            let status = answer.status().as_u16();
            if status == 200 {
                return Ok(answer
                    .headers()
                    .get(APNS_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string());
            }
            let wait = retry_after(answer.headers());
            let why = answer
                .json::<ErrorBody>()
                .await
                .map(|b| b.reason)
                .unwrap_or_default();
            match (status, why.as_str()) {
                (403, reason::EXPIRED_PROVIDER_TOKEN) if attempt == 0 => {
                    refused = true;
                    continue;
                }
                (403, _) => return Err(SendError::Unauthenticated(why)),
                (410, _)
                | (400, reason::BAD_DEVICE_TOKEN)
                | (400, reason::DEVICE_TOKEN_NOT_FOR_TOPIC) => return Err(SendError::Unregistered),
                (429, reason::TOO_MANY_PROVIDER_TOKEN_UPDATES) => {
                    return Err(SendError::Unavailable {
                        reason: why,
                        retry_after: wait,
                    })
                }
                (429, _) => return Err(SendError::QuotaExceeded { retry_after: wait }),
                (400 | 404 | 405 | 413, _) => {
                    return Err(SendError::InvalidArgument(format!("{status} {why}")))
                }
                _ => {
                    return Err(SendError::Unavailable {
                        reason: format!("{status} {why}"),
                        retry_after: wait,
                    })
                }
            }
        }
        Err(SendError::Unauthenticated(
            "the renewed provider token was refused too".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_provider_token_is_kept_twenty_to_sixty_minutes() {
        let min = |m: u64| Duration::from_secs(m * 60);
        assert!(!renew_due(min(0), false));
        assert!(!renew_due(min(49), false));
        assert!(renew_due(min(50), false));
        // Refused as expired: renewed, unless it is younger than APNs allows renewing.
        assert!(!renew_due(min(19), true));
        assert!(renew_due(min(20), true));
    }

    #[test]
    fn a_collapse_id_is_cut_to_64_bytes_on_a_character_boundary() {
        assert_eq!(collapse_id("policy-p1"), "policy-p1");
        let long = "政".repeat(30);
        let cut = collapse_id(&long);
        assert!(cut.len() <= 64 && cut.len() >= 62, "{}", cut.len());
        assert!(long.starts_with(cut));
    }
}
