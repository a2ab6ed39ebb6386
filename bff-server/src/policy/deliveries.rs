//! Pushes: one durable job per (campaign, device), queue `push_delivery`, written by the
//! campaign for every device of every enterprise it reached. The inbox already holds the
//! message; a push only nudges the phone to sync, so a push that fails loses nothing.
//!
//! What a failure means is the channel's [`SendError`]: a token no longer registered is
//! deleted and never retried, a malformed message is reported and not retried, a quota or an
//! outage is retried after the channel's `Retry-After` or with backoff, a refused credential
//! was refreshed once by the channel and is retried. Every outcome is recorded per device for
//! the official's figures. The collapse key is the campaign's, so a push a crash doubled shows
//! once on the phone.

use std::collections::BTreeMap;
use std::sync::{Arc, Weak};

use async_trait::async_trait;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use zhelikit_domain::policy::{policy_deep_link, PolicyDraft};
use zhelikit_push::channels::fcm::{Fcm, FcmSetupError};
use zhelikit_push::channels::hms::Hms;
use zhelikit_push::channels::{Channel, Push, SendError};

use crate::app::App;
use crate::config::PushSettings;
use crate::jobs::{Handler, Job, JobError};
use crate::policy::inbox::enterprise_mini_app;
use crate::storage::{DeliveryOutcome, PushDevice, StoredJob};

/// The pushes' queue.
pub const QUEUE: &str = "push_delivery";

/// The channels configured.
pub struct Channels {
    fcm: Option<Arc<dyn Channel>>,
    hms: Option<Arc<dyn Channel>>,
}

impl Channels {
    /// The channels `settings` configure.
    pub fn new(settings: &PushSettings) -> Result<Self, FcmSetupError> {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .pool_max_idle_per_host(32)
            .build()
            .map_err(|e| FcmSetupError::Key(format!("HTTP client: {e}")))?;
        let fcm = match &settings.fcm_account {
            None => None,
            Some(account) => Some(Arc::new(Fcm::new(
                account.clone(),
                &settings.fcm_url,
                http.clone(),
            )?) as Arc<dyn Channel>),
        };
        let hms = settings
            .hms
            .clone()
            .map(|account| Arc::new(Hms::new(account, http)) as Arc<dyn Channel>);
        Ok(Channels { fcm, hms })
    }

    fn of(&self, channel: &str) -> Option<&Arc<dyn Channel>> {
        match channel {
            "fcm" => self.fcm.as_ref(),
            "hms" => self.hms.as_ref(),
            // APNs lands next; its devices' pushes are recorded as not configured.
            _ => None,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct DeliveryJob {
    policy_id: String,
    uscc: String,
    user_id: String,
    device_id: String,
}

/// The job pushing `policy_id` to `device`; at most one per (campaign, device).
pub fn delivery_job(policy_id: &str, device: &PushDevice) -> Job {
    let payload = DeliveryJob {
        policy_id: policy_id.to_string(),
        uscc: device.uscc.clone().unwrap_or_default(),
        user_id: device.user_id.clone(),
        device_id: device.device_id.clone(),
    };
    let mut job = Job::new(QUEUE, &payload);
    job.dedupe_key = Some(format!(
        "push:{policy_id}:{}:{}",
        device.user_id, device.device_id
    ));
    job
}

/// Sends pushes.
pub struct Deliveries {
    app: Weak<App>,
}

impl Deliveries {
    /// Through `app` (weak: the app owns its workers).
    pub fn new(app: Weak<App>) -> Self {
        Self { app }
    }
}

fn body_of(summary: &str) -> String {
    // A notification shows a line or two; the inbox has the rest.
    let mut body: String = summary.chars().take(60).collect();
    if summary.chars().count() > 60 {
        body.push('…');
    }
    body
}

#[async_trait]
impl Handler for Deliveries {
    async fn run(&self, job: &StoredJob) -> Result<(), JobError> {
        let d: DeliveryJob = serde_json::from_str(&job.payload)
            .map_err(|e| JobError::Permanent(format!("a malformed push job: {e}")))?;
        let app = self
            .app
            .upgrade()
            .ok_or_else(|| JobError::retry("the BFF is stopping"))?;
        let retry = |e: crate::storage::StoreError| JobError::retry(e.to_string());
        let devices = app.store.devices_of(&d.uscc).await.map_err(retry)?;
        let Some(device) = devices
            .into_iter()
            .find(|x| x.user_id == d.user_id && x.device_id == d.device_id)
        else {
            // Unregistered since: nothing to nudge.
            return Ok(());
        };
        let Some(policy) = app.store.policy(&d.policy_id).await.map_err(retry)? else {
            return Err(JobError::Permanent(format!("no policy {}", d.policy_id)));
        };
        let draft: PolicyDraft = serde_json::from_str(&policy.draft)
            .map_err(|e| JobError::Permanent(format!("policy {} unreadable: {e}", d.policy_id)))?;
        let record =
            |status: &str, reason: Option<&str>, provider_id: Option<String>| DeliveryOutcome {
                policy_id: d.policy_id.clone(),
                user_id: d.user_id.clone(),
                device_id: d.device_id.clone(),
                channel: device.channel.clone(),
                status: status.to_string(),
                reason: reason.map(str::to_string),
                provider_id,
                at: Utc::now(),
            };
        let Some(channel) = app.channels.of(&device.channel) else {
            let outcome = record("failed", Some("channel_not_configured"), None);
            app.store.record_delivery(&outcome).await.map_err(retry)?;
            return Ok(());
        };
        let push = Push {
            token: device.token.clone(),
            title: draft.title.clone(),
            body: body_of(&draft.summary),
            data: BTreeMap::from([
                ("policy_id".to_string(), d.policy_id.clone()),
                (
                    "deep_link".to_string(),
                    policy_deep_link(&enterprise_mini_app(&app), &d.policy_id),
                ),
            ]),
            collapse_key: format!("policy-{}", d.policy_id),
        };
        match channel.send(&push).await {
            Ok(provider_id) => {
                let outcome = record("accepted", None, Some(provider_id));
                app.store.record_delivery(&outcome).await.map_err(retry)?;
                Ok(())
            }
            Err(e) => {
                let reason = e.reason();
                match e {
                    SendError::Unregistered => {
                        // The token is dead: gone from the devices, never tried again.
                        app.store
                            .remove_device(&d.user_id, &d.device_id)
                            .await
                            .map_err(retry)?;
                        app.store
                            .record_delivery(&record("failed", Some(reason), None))
                            .await
                            .map_err(retry)?;
                        Ok(())
                    }
                    SendError::InvalidArgument(detail) => {
                        tracing::warn!(policy = %d.policy_id, %detail, "push refused as malformed");
                        app.store
                            .record_delivery(&record("failed", Some(reason), None))
                            .await
                            .map_err(retry)?;
                        Ok(())
                    }
                    SendError::QuotaExceeded { retry_after }
                    | SendError::Unavailable { retry_after, .. } => {
                        app.store
                            .record_delivery(&record("retrying", Some(reason), None))
                            .await
                            .map_err(retry)?;
                        Err(JobError::Retry {
                            reason: reason.to_string(),
                            after: retry_after,
                        })
                    }
                    SendError::Unauthenticated(detail) => {
                        tracing::error!(channel = %device.channel, %detail, "push credential refused after a refresh");
                        app.store
                            .record_delivery(&record("retrying", Some(reason), None))
                            .await
                            .map_err(retry)?;
                        Err(JobError::retry(detail))
                    }
                }
            }
        }
    }
}

/// Writes a push job for every device of each enterprise reached.
pub async fn enqueue(app: &Arc<App>, policy_id: &str, usccs: &[String]) -> Result<(), JobError> {
    for uscc in usccs {
        let devices = app
            .store
            .devices_of(uscc)
            .await
            .map_err(|e| JobError::retry(e.to_string()))?;
        for device in &devices {
            app.jobs
                .add(&delivery_job(policy_id, device))
                .await
                .map_err(|e| JobError::retry(e.to_string()))?;
        }
    }
    Ok(())
}
