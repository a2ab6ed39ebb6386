//! FCM HTTP v1: the service account's key signs an RS256 assertion, exchanged at the token
//! endpoint for an access token that is cached and refreshed five minutes before it expires
//! (or at once when FCM refuses it); `messages:send` with one token per message, the campaign's
//! collapse key on Android and iOS, over HTTP/2 connections of at most 100 streams each
//! ([`H2Pool`]).

use std::collections::BTreeMap;

use async_trait::async_trait;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use platform_api::fcm::{
    send_path, AndroidConfig, ApnsConfig, AssertionClaims, ErrorBody, Message, Notification,
    SendResponse, ServiceAccount, GRANT_TYPE, MAX_MESSAGE_BYTES, SCOPE,
};

use std::sync::Arc;

use super::h2::H2Pool;
use super::{retry_after, Channel, Push, SendError, TokenCache};

/// Why the channel could not be built.
#[derive(Debug, thiserror::Error)]
pub enum FcmSetupError {
    /// The key file's private key is not an RSA PKCS#8 PEM.
    #[error("the service account's private key is unreadable: {0}")]
    Key(String),
}

/// The FCM channel of one service account.
pub struct Fcm {
    account: ServiceAccount,
    key: EncodingKey,
    /// `https://fcm.googleapis.com` (or the mock's `/fcm`).
    base_url: String,
    /// For the token endpoint.
    http: reqwest::Client,
    /// For `messages:send`.
    pool: Arc<H2Pool>,
    token: TokenCache,
}

impl Fcm {
    /// The channel of `account`, sending to `base_url` over `pool` (and asking the token
    /// endpoint over `http`).
    pub fn new(
        account: ServiceAccount,
        base_url: &str,
        pool: Arc<H2Pool>,
        http: reqwest::Client,
    ) -> Result<Self, FcmSetupError> {
        let key = EncodingKey::from_rsa_pem(account.private_key.as_bytes())
            .map_err(|e| FcmSetupError::Key(e.to_string()))?;
        Ok(Fcm {
            account,
            key,
            base_url: base_url.trim_end_matches('/').to_string(),
            http,
            pool,
            token: TokenCache::new(),
        })
    }

    /// The project pushes go to.
    pub fn project(&self) -> &str {
        &self.account.project_id
    }

    /// A valid access token: the cached one, or one for a new signed assertion.
    async fn access_token(&self) -> Result<String, SendError> {
        let form = || {
            let now = chrono::Utc::now().timestamp();
            let claims = AssertionClaims {
                iss: self.account.client_email.clone(),
                scope: SCOPE.to_string(),
                aud: self.account.token_uri.clone(),
                iat: now,
                exp: now + 3_600,
            };
            let mut header = Header::new(Algorithm::RS256);
            header.kid = Some(self.account.private_key_id.clone());
            let assertion = jsonwebtoken::encode(&header, &claims, &self.key)
                .map_err(|e| SendError::Unauthenticated(format!("signing the assertion: {e}")))?;
            Ok(vec![
                ("grant_type", GRANT_TYPE.to_string()),
                ("assertion", assertion),
            ])
        };
        self.token
            .get(&self.http, &self.account.token_uri, form)
            .await
    }
}

/// The FCM message of a push.
pub fn message(push: &Push) -> Message {
    Message {
        token: Some(push.token.clone()),
        notification: Some(Notification {
            title: push.title.clone(),
            body: push.body.clone(),
        }),
        data: push.data.clone(),
        android: Some(AndroidConfig {
            collapse_key: push.collapse_key.clone(),
            priority: "normal".into(),
        }),
        apns: Some(ApnsConfig {
            headers: BTreeMap::from([("apns-collapse-id".to_string(), push.collapse_key.clone())]),
        }),
        ..Message::default()
    }
}

#[async_trait]
impl Channel for Fcm {
    fn name(&self) -> &'static str {
        "fcm"
    }

    async fn send(&self, push: &Push) -> Result<String, SendError> {
        let message = message(push);
        let encoded =
            serde_json::to_vec(&message).map_err(|e| SendError::InvalidArgument(e.to_string()))?;
        let size = encoded.len();
        if size > MAX_MESSAGE_BYTES {
            // FCM would refuse it: never sent.
            return Err(SendError::InvalidArgument(format!(
                "the message is {size} bytes; FCM takes at most {MAX_MESSAGE_BYTES}"
            )));
        }
        let url = format!("{}{}", self.base_url, send_path(&self.account.project_id));
        // `{"message": …}` around the message encoded once (its size was checked on it).
        let mut body = Vec::with_capacity(size + 12);
        body.extend_from_slice(b"{\"message\":");
        body.extend_from_slice(&encoded);
        body.push(b'}');
        // A refused credential is refreshed once and the send tried again.
        for attempt in 0..2 {
            let token = self.access_token().await?;
            let lent = self.pool.lend().await;
            let answer = lent
                .client
                .post(&url)
                .bearer_auth(&token)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone())
                .send()
                .await
                .map_err(|e| SendError::Unavailable {
                    reason: e.to_string(),
                    retry_after: None,
                })?;
            let status = answer.status();
            if status.is_success() {
                let sent: SendResponse =
                    answer.json().await.map_err(|e| SendError::Unavailable {
                        reason: e.to_string(),
                        retry_after: None,
                    })?;
                return Ok(sent.name);
            }
            let wait = retry_after(answer.headers());
            let body: Option<ErrorBody> = answer.json().await.ok();
            let code = body
                .as_ref()
                .and_then(|b| b.error_code())
                .unwrap_or("")
                .to_string();
            let message = body.map(|b| b.error.message).unwrap_or_default();
            match (status.as_u16(), code.as_str()) {
                (401, _) | (_, "THIRD_PARTY_AUTH_ERROR") if attempt == 0 => {
                    self.token.forget(&token).await;
                    continue;
                }
                (401, _) | (403, _) | (_, "THIRD_PARTY_AUTH_ERROR") | (_, "SENDER_ID_MISMATCH") => {
                    return Err(SendError::Unauthenticated(message))
                }
                (_, "UNREGISTERED") | (404, _) => return Err(SendError::Unregistered),
                (_, "INVALID_ARGUMENT") | (400, _) => {
                    return Err(SendError::InvalidArgument(message))
                }
                (_, "QUOTA_EXCEEDED") | (429, _) => {
                    return Err(SendError::QuotaExceeded { retry_after: wait })
                }
                _ => {
                    return Err(SendError::Unavailable {
                        reason: format!("{status} {code}: {message}"),
                        retry_after: wait,
                    })
                }
            }
        }
        Err(SendError::Unauthenticated(
            "the refreshed credential was refused too".into(),
        ))
    }
}
