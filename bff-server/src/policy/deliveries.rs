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

/// What a campaign's pushes say, made once per campaign and carried by each push job, so a
/// push reads no policy.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Nudge {
    policy_id: String,
    title: String,
    body: String,
    deep_link: String,
}

impl Nudge {
    /// The nudge of `policy_id` with text `draft`, opening in `mini_app`.
    pub fn new(policy_id: &str, draft: &PolicyDraft, mini_app: &str) -> Self {
        Nudge {
            policy_id: policy_id.to_string(),
            title: draft.title.clone(),
            body: body_of(&draft.summary),
            deep_link: policy_deep_link(mini_app, policy_id),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct DeliveryJob {
    #[serde(flatten)]
    nudge: Nudge,
    uscc: String,
    user_id: String,
    device_id: String,
}

/// The job pushing `nudge` to `device`; at most one per (campaign, device).
fn delivery_job(nudge: &Nudge, device: &PushDevice) -> Job {
    let policy_id = &nudge.policy_id;
    let payload = DeliveryJob {
        nudge: nudge.clone(),
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
        let record =
            |status: &str, reason: Option<&str>, provider_id: Option<String>| DeliveryOutcome {
                policy_id: d.nudge.policy_id.clone(),
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
            title: d.nudge.title.clone(),
            body: d.nudge.body.clone(),
            data: BTreeMap::from([
                ("policy_id".to_string(), d.nudge.policy_id.clone()),
                ("deep_link".to_string(), d.nudge.deep_link.clone()),
            ]),
            collapse_key: format!("policy-{}", d.nudge.policy_id),
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
                        tracing::warn!(policy = %d.nudge.policy_id, %detail, "push refused as malformed");
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

/// Writes a push job of `nudge` for every device of each enterprise reached.
pub async fn enqueue(app: &Arc<App>, nudge: &Nudge, usccs: &[String]) -> Result<(), JobError> {
    for uscc in usccs {
        let devices = app
            .store
            .devices_of(uscc)
            .await
            .map_err(|e| JobError::retry(e.to_string()))?;
        for device in &devices {
            app.jobs
                .add(&delivery_job(nudge, device))
                .await
                .map_err(|e| JobError::retry(e.to_string()))?;
        }
    }
    Ok(())
}
