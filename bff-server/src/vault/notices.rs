//! Consent notices to data consumers' webhooks, as durable jobs ([`crate::jobs`]): the notice
//! is signed once, when the change that causes it is written, and its job goes in that
//! write's transaction; the worker posts it until the consumer takes it (2xx), backing off on
//! 5xx, timeouts and refused connections, honouring `Retry-After` on 429 and 503, and giving
//! up on any other 4xx (the consumer refused it for good). A consumer may get a notice twice
//! (a crash between its 2xx and our record of it): each carries the consent, the event and its
//! time, by which the consumer tells them apart.

use std::time::Duration;

use async_trait::async_trait;
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use zhelikit_domain::gm;
use zhelikit_domain::vault::consent::{
    ConsentNotice, ConsentStatus, ConsumerRegistration, NoticeEvent, NOTICE_TYP,
};

use crate::app::App;
use crate::jobs::{Handler, Job, JobError};
use crate::storage::StoredJob;

/// The queue of consent notices.
pub const QUEUE: &str = "consent_notice";
/// The queue of consent expiries: each consent's job, due at its expiry.
pub const EXPIRY_QUEUE: &str = "consent_expiry";

/// A consent's expiry job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ExpiryJob {
    consent: String,
}

/// The job that expires consent `consent_id` at `expiry` (and tells its consumer); one per
/// consent.
pub(crate) fn expiry_job(consent_id: &str, expiry: i64) -> Job {
    Job {
        run_at: Some(chrono::DateTime::from_timestamp(expiry, 0).unwrap_or_default()),
        max_attempts: 20,
        dedupe_key: Some(format!("consent-expiry:{consent_id}")),
        ..Job::new(
            EXPIRY_QUEUE,
            &ExpiryJob {
                consent: consent_id.to_string(),
            },
        )
    }
}

/// Expires consents when their time comes: one still active or paused becomes `EXPIRED` and
/// its consumer is told (a notice job in the same transaction); one revoked or expired before
/// is left as it is.
pub struct ConsentExpiries {
    app: std::sync::Weak<App>,
}

impl ConsentExpiries {
    /// Expiring through `app` (weak: the app owns its workers).
    pub fn new(app: std::sync::Weak<App>) -> Self {
        Self { app }
    }
}

#[async_trait]
impl Handler for ConsentExpiries {
    async fn run(&self, job: &StoredJob) -> Result<(), JobError> {
        let expiry: ExpiryJob = serde_json::from_str(&job.payload)
            .map_err(|e| JobError::Permanent(format!("a malformed expiry job: {e}")))?;
        let app = self
            .app
            .upgrade()
            .ok_or_else(|| JobError::retry("the BFF is stopping"))?;
        let Some(stored) = (app.store.consent(&expiry.consent).await)
            .map_err(|e| JobError::retry(e.to_string()))?
        else {
            return Ok(());
        };
        let terms: zhelikit_domain::vault::consent::ConsentTerms =
            serde_json::from_str(&stored.terms)
                .map_err(|e| JobError::Permanent(format!("stored terms: {e}")))?;
        let now = chrono::Utc::now().timestamp();
        if now < terms.expiry {
            // Early (another instance's clock): again at the expiry.
            return Err(JobError::Retry {
                reason: "not expired yet".into(),
                after: Some(Duration::from_secs((terms.expiry - now).unsigned_abs())),
            });
        }
        let live = [
            ConsentStatus::Active.as_str(),
            ConsentStatus::Paused.as_str(),
        ];
        if !live.contains(&stored.status.as_str()) {
            return Ok(());
        }
        let consumer = app
            .config
            .vault_consumers
            .iter()
            .find(|c| c.id == stored.consumer_id)
            .cloned()
            .ok_or_else(|| JobError::Permanent(format!("no consumer {}", stored.consumer_id)))?;
        let state = crate::app::AppState(app);
        super::consents::expire(&state, &consumer, &stored, now).await;
        Ok(())
    }
}

/// A notice's job: whom to post it to and the signed notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct NoticeJob {
    consumer: String,
    /// The notice, a compact JWS (`application/jose`).
    body: String,
}

/// The job that tells `consumer` of `event` on consent `consent_id`; none for a consumer
/// without a webhook.
pub(crate) fn notice_job(
    app: &App,
    consumer: &ConsumerRegistration,
    consent_id: &str,
    event: NoticeEvent,
    status: Option<ConsentStatus>,
    now: i64,
) -> Option<Job> {
    consumer.webhook.as_ref()?;
    let notice = ConsentNotice {
        consent: consent_id.to_string(),
        event,
        status,
        at: now,
    };
    let header =
        serde_json::json!({"alg": gm::JWS_ALG, "typ": NOTICE_TYP, "kid": app.consent_key.kid});
    let body = gm::sign_jws(
        &app.consent_key.key,
        &header,
        &serde_json::to_vec(&notice).unwrap_or_default(),
    );
    Some(Job {
        max_attempts: 10,
        ..Job::new(
            QUEUE,
            &NoticeJob {
                consumer: consumer.id.clone(),
                body,
            },
        )
    })
}

/// Posts notices; the consumers' webhooks from the configuration.
pub struct ConsentNotices {
    client: reqwest::Client,
    consumers: Vec<ConsumerRegistration>,
}

impl ConsentNotices {
    /// Posting with `client` to the webhooks of `consumers`.
    pub fn new(client: reqwest::Client, consumers: Vec<ConsumerRegistration>) -> Self {
        Self { client, consumers }
    }
}

/// What an answer from a webhook means for the job. Pure.
pub fn classify(status: StatusCode, retry_after: Option<&str>) -> Result<(), JobError> {
    if status.is_success() {
        return Ok(());
    }
    let after = retry_after
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|s| Duration::from_secs(s.min(3600)));
    match status {
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => Err(JobError::Retry {
            reason: format!("HTTP {}", status.as_u16()),
            after,
        }),
        StatusCode::REQUEST_TIMEOUT => Err(JobError::retry("HTTP 408")),
        s if s.is_server_error() => Err(JobError::retry(format!("HTTP {}", s.as_u16()))),
        s => Err(JobError::Permanent(format!(
            "HTTP {}: the consumer refused the notice",
            s.as_u16()
        ))),
    }
}

#[async_trait]
impl Handler for ConsentNotices {
    async fn run(&self, job: &StoredJob) -> Result<(), JobError> {
        let notice: NoticeJob = serde_json::from_str(&job.payload)
            .map_err(|e| JobError::Permanent(format!("a malformed notice job: {e}")))?;
        let url = self
            .consumers
            .iter()
            .find(|c| c.id == notice.consumer)
            .and_then(|c| c.webhook.clone())
            .ok_or_else(|| {
                JobError::Permanent(format!("consumer {} has no webhook now", notice.consumer))
            })?;
        let sent = self
            .client
            .post(&url)
            .header("content-type", "application/jose")
            .body(notice.body)
            .send()
            .await;
        let outcome = match sent {
            Ok(r) => classify(
                r.status(),
                r.headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok()),
            ),
            Err(e) => Err(JobError::retry(e.without_url().to_string())),
        };
        let label = match &outcome {
            Ok(()) => "delivered",
            Err(JobError::Retry { .. }) => "retried",
            Err(JobError::Permanent(_)) => "refused",
        };
        metrics::counter!("consent_notices_total", "outcome" => label).increment(1);
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_answers_become_done_retry_or_give_up() {
        assert_eq!(classify(StatusCode::NO_CONTENT, None), Ok(()));
        assert_eq!(
            classify(StatusCode::TOO_MANY_REQUESTS, Some("7")),
            Err(JobError::Retry {
                reason: "HTTP 429".into(),
                after: Some(Duration::from_secs(7))
            })
        );
        assert!(matches!(
            classify(StatusCode::SERVICE_UNAVAILABLE, Some("soon")),
            Err(JobError::Retry { after: None, .. })
        ));
        assert!(matches!(
            classify(StatusCode::BAD_GATEWAY, None),
            Err(JobError::Retry { .. })
        ));
        assert!(matches!(
            classify(StatusCode::GONE, None),
            Err(JobError::Permanent(_))
        ));
        assert!(matches!(
            classify(StatusCode::BAD_REQUEST, Some("5")),
            Err(JobError::Permanent(_))
        ));
    }
}
