//! Huawei Push Kit: the app's id and secret exchanged (`client_credentials`) for an access
//! token, cached and renewed five minutes early or when Push Kit refuses it;
//! `messages:send` with one token per message, a tap opening the message's deep link, and the
//! campaign's collapse key folded into the 0–100 Push Kit allows.

use async_trait::async_trait;
use platform_api::hms::{
    send_path, AndroidConfig, ClickAction, Message, Notification, SendRequest, SendResponse,
    ALL_TOKENS_INVALID, FLOW_CONTROL, INTERNAL_ERROR, MAX_MESSAGE_BYTES, MESSAGE_STRUCTURE,
    MESSAGE_TOO_LARGE, OAUTH_EXPIRED, OAUTH_FAILED, PARAMETER_ERROR, PARTIAL_FAILURE, SUCCESS,
};

use super::{retry_after, Channel, Push, SendError, TokenCache};

/// An app's Push Kit credentials and where Push Kit is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HmsAccount {
    /// The app id (the OAuth client id).
    pub app_id: String,
    /// The app secret.
    pub client_secret: String,
    /// The OAuth token endpoint.
    pub token_url: String,
    /// The push API's base URL.
    pub push_url: String,
}

/// The Push Kit channel of one app.
pub struct Hms {
    account: HmsAccount,
    http: reqwest::Client,
    token: TokenCache,
}

/// The collapse key of a campaign key: Push Kit allows −1 (none) to 100.
pub fn collapse_key(key: &str) -> i32 {
    // FNV-1a: stable across processes and versions, unlike the std hasher.
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    (hash % 101) as i32
}

impl Hms {
    /// The channel of `account` over `http`.
    pub fn new(account: HmsAccount, http: reqwest::Client) -> Self {
        Hms {
            account,
            http,
            token: TokenCache::new(),
        }
    }

    async fn access_token(&self) -> Result<String, SendError> {
        let form = || {
            Ok(vec![
                ("grant_type", "client_credentials".to_string()),
                ("client_id", self.account.app_id.clone()),
                ("client_secret", self.account.client_secret.clone()),
            ])
        };
        self.token
            .get(&self.http, &self.account.token_url, form)
            .await
    }
}

/// The Push Kit message of a push.
pub fn message(push: &Push) -> Message {
    Message {
        data: serde_json::to_string(&push.data).ok(),
        android: AndroidConfig {
            collapse_key: collapse_key(&push.collapse_key),
            notification: Notification {
                title: push.title.clone(),
                body: push.body.clone(),
                click_action: ClickAction {
                    kind: 1,
                    intent: push.data.get("deep_link").cloned(),
                },
            },
        },
        token: vec![push.token.clone()],
    }
}

#[async_trait]
impl Channel for Hms {
    fn name(&self) -> &'static str {
        "hms"
    }

    async fn send(&self, push: &Push) -> Result<String, SendError> {
        let message = message(push);
        let size = serde_json::to_vec(&message).map_or(usize::MAX, |b| b.len());
        if size > MAX_MESSAGE_BYTES {
            return Err(SendError::InvalidArgument(format!(
                "the message is {size} bytes; Push Kit takes at most {MAX_MESSAGE_BYTES}"
            )));
        }
        let url = format!(
            "{}{}",
            self.account.push_url.trim_end_matches('/'),
            send_path(&self.account.app_id)
        );
        for attempt in 0..2 {
            let token = self.access_token().await?;
            let answer = self
                .http
                .post(&url)
                .bearer_auth(&token)
                .json(&SendRequest {
                    validate_only: false,
                    message: message.clone(),
                })
                .send()
                .await
                .map_err(|e| SendError::Unavailable {
                    reason: e.to_string(),
                    retry_after: None,
                })?;
            let status = answer.status();
            let wait = retry_after(answer.headers());
            let body: Option<SendResponse> = answer.json().await.ok();
            let code = body.as_ref().map(|b| b.code.clone()).unwrap_or_default();
            let msg = body.as_ref().map(|b| b.msg.clone()).unwrap_or_default();
            match code.as_str() {
                SUCCESS => return Ok(body.map(|b| b.request_id).unwrap_or_default()),
                OAUTH_EXPIRED | OAUTH_FAILED if attempt == 0 => {
                    self.token.forget(&token).await;
                    continue;
                }
                OAUTH_EXPIRED | OAUTH_FAILED => return Err(SendError::Unauthenticated(msg)),
                // One token per message: some invalid is all invalid.
                ALL_TOKENS_INVALID | PARTIAL_FAILURE => return Err(SendError::Unregistered),
                MESSAGE_TOO_LARGE | MESSAGE_STRUCTURE | PARAMETER_ERROR => {
                    return Err(SendError::InvalidArgument(format!("{code}: {msg}")))
                }
                FLOW_CONTROL => return Err(SendError::QuotaExceeded { retry_after: wait }),
                INTERNAL_ERROR => {
                    return Err(SendError::Unavailable {
                        reason: format!("{code}: {msg}"),
                        retry_after: wait,
                    })
                }
                _ if status.as_u16() == 401 && attempt == 0 => {
                    self.token.forget(&token).await;
                    continue;
                }
                _ if status.as_u16() == 429 => {
                    return Err(SendError::QuotaExceeded { retry_after: wait })
                }
                _ => {
                    return Err(SendError::Unavailable {
                        reason: format!("{status} {code}: {msg}"),
                        retry_after: wait,
                    })
                }
            }
        }
        Err(SendError::Unauthenticated(
            "the renewed token was refused too".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_campaign_has_one_collapse_key_in_push_kit_s_range() {
        let k = collapse_key("policy-pol-1");
        assert_eq!(k, collapse_key("policy-pol-1"));
        assert!((0..=100).contains(&k));
        let spread: std::collections::HashSet<_> = (0..500)
            .map(|i| collapse_key(&format!("policy-{i}")))
            .collect();
        assert!(
            spread.len() > 80,
            "keys spread over the range: {}",
            spread.len()
        );
    }
}
