//! The push channels behind one trait: FCM HTTP v1, APNs and Huawei Push Kit.
//! A channel sends one message to one device and says how a failure is to be treated —
//! the token is gone for good, the message is wrong, slow down, try again, or re-authenticate —
//! so the delivery job decides retries once, for every channel.

pub mod apns;
pub mod fcm;
pub mod h2;
pub mod hms;

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;

/// One push to one device: a nudge that the inbox has something new.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Push {
    /// The device's registration token on the channel.
    pub token: String,
    /// Notification title.
    pub title: String,
    /// Notification body.
    pub body: String,
    /// What the app reads (the message and policy ids, the deep link).
    pub data: BTreeMap<String, String>,
    /// One per campaign: a duplicate a crash makes possible replaces the first on the phone.
    pub collapse_key: String,
}

/// How a send failed, by what the delivery must do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The token is no longer valid (app uninstalled, token rotated): delete it, never retry.
    #[error("the token is no longer registered")]
    Unregistered,
    /// The message or token is malformed: report it, never retry.
    #[error("the channel refused the message: {0}")]
    InvalidArgument(String),
    /// Over the project's quota: slow down, and retry after `retry_after` when given.
    #[error("quota exceeded")]
    QuotaExceeded {
        /// The channel's `Retry-After`.
        retry_after: Option<Duration>,
    },
    /// The channel is down or overloaded: retry with backoff (`retry_after` when given).
    #[error("the channel is unavailable: {reason}")]
    Unavailable {
        /// What it said.
        reason: String,
        /// The channel's `Retry-After`.
        retry_after: Option<Duration>,
    },
    /// The credential was refused (expired, revoked): it is refreshed; alert if it stays so.
    #[error("the channel refused the credential: {0}")]
    Unauthenticated(String),
}

impl SendError {
    /// A stable reason, for delivery figures.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Unregistered => "unregistered",
            Self::InvalidArgument(_) => "invalid_argument",
            Self::QuotaExceeded { .. } => "quota_exceeded",
            Self::Unavailable { .. } => "unavailable",
            Self::Unauthenticated(_) => "unauthenticated",
        }
    }
}

/// A push channel.
#[async_trait]
pub trait Channel: Send + Sync {
    /// `fcm`, `apns`, `hms`.
    fn name(&self) -> &'static str;
    /// Sends one push; the provider's id of it when accepted.
    async fn send(&self, push: &Push) -> Result<String, SendError>;
}

/// `Retry-After` as seconds (the form push providers send).
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// An OAuth access token, kept until five minutes before it expires (or until the provider
/// refuses it), and exchanged again at the provider's token endpoint when it is not valid:
/// the part of FCM and Push Kit's authentication that is the same.
pub(crate) struct TokenCache {
    token: tokio::sync::Mutex<Option<(String, std::time::Instant)>>,
    /// The endpoint's last refusal and until when it stands: a revoked key is not presented
    /// again by every send in flight.
    refused: std::sync::Mutex<Option<(String, std::time::Instant)>>,
}

/// How long a refusal of the credential stands before it is presented again.
const REFUSAL_STANDS: Duration = Duration::from_secs(5);

/// Renewed this long before it expires.
const REFRESH_EARLY: Duration = Duration::from_secs(300);

/// What a token endpoint answers (FCM's and Push Kit's alike).
#[derive(serde::Deserialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: u64,
}

impl TokenCache {
    pub(crate) fn new() -> Self {
        TokenCache {
            token: tokio::sync::Mutex::new(None),
            refused: std::sync::Mutex::new(None),
        }
    }

    /// The cached token, or a new one from posting the form `make_form` makes (only when one
    /// is needed: FCM's is a freshly signed assertion) to `url` with `http`.
    pub(crate) async fn get(
        &self,
        http: &reqwest::Client,
        url: &str,
        make_form: impl FnOnce() -> Result<Vec<(&'static str, String)>, SendError>,
    ) -> Result<String, SendError> {
        let mut cached = self.token.lock().await;
        if let Some((token, expires)) = cached.as_ref() {
            if std::time::Instant::now() + REFRESH_EARLY < *expires {
                return Ok(token.clone());
            }
        }
        if let Some((why, until)) = self
            .refused
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            if std::time::Instant::now() < *until {
                return Err(SendError::Unauthenticated(why.clone()));
            }
        }
        let form = make_form()?;
        let unavailable = |reason: String| SendError::Unavailable {
            reason,
            retry_after: None,
        };
        let answer = http
            .post(url)
            .form(&form)
            .send()
            .await
            .map_err(|e| unavailable(format!("token endpoint: {e}")))?;
        let status = answer.status();
        if !status.is_success() {
            let body = answer.text().await.unwrap_or_default();
            if status.is_server_error() {
                return Err(unavailable(format!("token endpoint answered {status}")));
            }
            let why = format!("token endpoint answered {status}: {body}");
            *self.refused.lock().unwrap_or_else(|p| p.into_inner()) =
                Some((why.clone(), std::time::Instant::now() + REFUSAL_STANDS));
            return Err(SendError::Unauthenticated(why));
        }
        *self.refused.lock().unwrap_or_else(|p| p.into_inner()) = None;
        let token: TokenAnswer = answer
            .json()
            .await
            .map_err(|e| unavailable(format!("token endpoint: {e}")))?;
        let expires = std::time::Instant::now() + Duration::from_secs(token.expires_in);
        *cached = Some((token.access_token.clone(), expires));
        Ok(token.access_token)
    }

    /// Forgets `refused` (the provider refused it), unless another send renewed it already:
    /// the sends in flight with it are refused together, and one renewal serves them all.
    pub(crate) async fn forget(&self, refused: &str) {
        let mut cached = self.token.lock().await;
        if cached.as_ref().is_some_and(|(t, _)| t == refused) {
            *cached = None;
        }
    }
}
