//! Pushes, sent in batches: a campaign page writes, in its own transaction, a pending
//! delivery row per device of its enterprises and a job (queue `push_delivery`) per batch of
//! them (`ZK_PUSH_BATCH`, 100: small enough that a batch's last answer comes soon after its
//! claim, large enough that rows are claimed and recorded many at a time); a worker claims a batch's unfinished rows, sends them concurrently
//! through the channel's [`Outlet`] (the project's pace and retry budget), and records every
//! outcome in one transaction. The inbox already holds the message; a push only nudges the
//! phone to sync, so a push that fails loses nothing.
//!
//! What a failure means is the channel's [`SendError`]: a token no longer registered is
//! deleted (if the device still has it) and never retried, a malformed message is reported
//! and not retried, a quota or an outage is retried after the channel's `Retry-After` or with
//! backoff (the batch job's, for the rows still `retrying`), a refused credential was
//! refreshed once by the channel and is retried later while the alert stays up. A batch is
//! claimed as a whole (its job's claim): when the attempt before died, its unfinished rows may
//! have reached the provider, so they are sent again and counted (`resent`), the only way a
//! device gets a push twice — and the collapse key is the campaign's, so the phone shows it
//! once.

use std::collections::BTreeMap;
use std::sync::{Arc, Weak};
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use zhelikit_domain::policy::{policy_deep_link, PolicyDraft};
use zhelikit_push::channels::apns::Apns;
use zhelikit_push::channels::fcm::Fcm;
use zhelikit_push::channels::h2::{H2Pool, MAX_STREAMS};
use zhelikit_push::channels::hms::Hms;
use zhelikit_push::channels::{Channel, Push, SendError};
use zhelikit_push::outlet::{Outlet, Sent};
use zhelikit_push::pacing::{BudgetSettings, PaceSettings};

use crate::app::App;
use crate::config::PushSettings;
use crate::jobs::{Handler, Job, JobError};
use crate::storage::{
    ClaimedPush, DeliveryOutcome, NewInboxMessage, NewPushBatch, PushDevice, StoredJob,
};

/// The pushes' queue.
pub const QUEUE: &str = "push_delivery";

/// While a batch is being sent, its outcomes so far are recorded this often: a crash then
/// resends (and counts as possibly doubled) only what was sent since. A batch sent faster is
/// recorded once, at its end.
const RECORD_EVERY: Duration = Duration::from_millis(100);

/// HTTP/2 connections per provider per process, each of at most [`MAX_STREAMS`] streams.
const CONNECTIONS: usize = 4;

/// Sends in flight per channel per process: every stream of its connections.
const IN_FLIGHT: usize = CONNECTIONS * MAX_STREAMS;

/// How long a provider has to answer.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Why the push channels could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("push channel {channel}: {reason}")]
pub struct ChannelSetupError {
    channel: &'static str,
    reason: String,
}

/// The channels configured, each behind its outlet.
pub struct Channels {
    fcm: Option<Arc<Outlet>>,
    apns: Option<Arc<Outlet>>,
    hms: Option<Arc<Outlet>>,
}

impl Channels {
    /// The channels `settings` configure.
    pub fn new(settings: &PushSettings) -> Result<Self, ChannelSetupError> {
        let failed = |channel: &'static str, e: &dyn std::fmt::Display| ChannelSetupError {
            channel,
            reason: e.to_string(),
        };
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .pool_max_idle_per_host(64)
            .build()
            .map_err(|e| failed("http", &e))?;
        let pool = |url: &str, channel: &'static str| {
            H2Pool::new(url, CONNECTIONS, MAX_STREAMS, TIMEOUT)
                .map(Arc::new)
                .map_err(|e| failed(channel, &e))
        };
        let pace = PaceSettings::per_minute(settings.quota_per_minute);
        let outlet = |channel: Arc<dyn Channel>| {
            Arc::new(Outlet::new(
                channel,
                pace,
                BudgetSettings::for_rate(pace.max_per_sec),
                IN_FLIGHT,
            ))
        };
        let fcm = match &settings.fcm_account {
            None => None,
            Some(account) => {
                let fcm = Fcm::new(
                    account.clone(),
                    &settings.fcm_url,
                    pool(&settings.fcm_url, "fcm")?,
                    http.clone(),
                )
                .map_err(|e| failed("fcm", &e))?;
                Some(outlet(Arc::new(fcm)))
            }
        };
        let apns = match &settings.apns {
            None => None,
            Some(key) => {
                let apns = Apns::new(
                    key.clone(),
                    &settings.apns_url,
                    pool(&settings.apns_url, "apns")?,
                )
                .map_err(|e| failed("apns", &e))?;
                Some(outlet(Arc::new(apns)))
            }
        };
        let hms = settings
            .hms
            .clone()
            .map(|account| outlet(Arc::new(Hms::new(account, http))));
        Ok(Channels { fcm, apns, hms })
    }

    fn of(&self, channel: &str) -> Option<&Arc<Outlet>> {
        match channel {
            "fcm" => self.fcm.as_ref(),
            "apns" => self.apns.as_ref(),
            "hms" => self.hms.as_ref(),
            _ => None,
        }
    }

    /// Every outlet configured.
    pub fn all(&self) -> impl Iterator<Item = &Arc<Outlet>> {
        [&self.fcm, &self.apns, &self.hms].into_iter().flatten()
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
struct BatchJob {
    #[serde(flatten)]
    nudge: Nudge,
}

/// The batches of `size` pushing `nudge` to `devices`: a job each, and its devices.
pub fn batches(nudge: &Nudge, devices: &[PushDevice], size: usize) -> Vec<NewPushBatch> {
    devices
        .chunks(size.max(1))
        .map(|chunk| {
            let mut job = Job::new(
                QUEUE,
                &BatchJob {
                    nudge: nudge.clone(),
                },
            );
            // Retries held back by the budget spend attempts too: room for an outage's worth.
            job.max_attempts = 16;
            NewPushBatch {
                job: job.row(),
                devices: chunk
                    .iter()
                    .map(|d| (d.user_id.clone(), d.device_id.clone(), d.channel.clone()))
                    .collect(),
            }
        })
        .collect()
}

/// Writes one page of a campaign — `messages`, and a push for every device of the
/// enterprises in `usccs` — in one transaction, `through` the last enterprise of the page
/// (none for one enterprise's rematch), and signals its batches. Returns the messages added.
pub async fn write_page(
    app: &App,
    nudge: &Nudge,
    through: Option<&str>,
    messages: &[NewInboxMessage],
    usccs: &[String],
) -> Result<u64, JobError> {
    let retry = |e: crate::storage::StoreError| JobError::retry(e.to_string());
    let devices = app.store.devices_of(usccs).await.map_err(retry)?;
    let pushes = batches(nudge, &devices, app.config.push.batch as usize);
    let added = app
        .store
        .add_campaign_page(&nudge.policy_id, through, messages, &pushes)
        .await
        .map_err(retry)?;
    for batch in &pushes {
        app.jobs.published(&batch.job).await;
    }
    Ok(added)
}

/// Sends push batches.
pub struct Deliveries {
    app: Weak<App>,
    /// When the last batch let through [`Handler::ready`] was, while its pushes have not
    /// reached the outlets yet: until they do, the outlets' backlog does not show them.
    taking: std::sync::Mutex<Option<std::time::Instant>>,
}

impl Deliveries {
    /// Through `app` (weak: the app owns its workers).
    pub fn new(app: Weak<App>) -> Self {
        Self {
            app,
            taking: std::sync::Mutex::new(None),
        }
    }

    /// The batch let through has reached the outlets (or has nothing to send).
    fn handed_over(&self) {
        *self.taking.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

/// How long a batch let through may take to reach the outlets before the next is let
/// through anyway (a job claimed by another worker meanwhile never reaches them).
const HANDOVER_WITHIN: Duration = Duration::from_millis(20);

fn body_of(summary: &str) -> String {
    // A notification shows a line or two; the inbox has the rest.
    let mut body: String = summary.chars().take(60).collect();
    if summary.chars().count() > 60 {
        body.push('…');
    }
    body
}

/// What to retry a batch after: the longest `Retry-After` its pushes met.
#[derive(Default)]
struct Retries {
    count: usize,
    after: Option<Duration>,
    reason: &'static str,
}

impl Retries {
    fn add(&mut self, reason: &'static str, after: Option<Duration>) {
        self.count += 1;
        self.reason = reason;
        self.after = self.after.max(after);
    }
}

/// A refused credential is tried again after at most this, not at once: it was refreshed
/// already, and the alert is up.
const CREDENTIAL_RETRY: Duration = Duration::from_secs(30);

/// The outcome of one push, and what its batch must retry; a push not sent by `deadline` is
/// left pending for the next attempt.
async fn deliver(
    app: &App,
    nudge: &Nudge,
    claimed: ClaimedPush,
    last_attempt: bool,
    deadline: tokio::time::Instant,
    claimed_at: std::time::Instant,
) -> (DeliveryOutcome, Option<(&'static str, Option<Duration>)>) {
    let outcome = |status: &'static str, reason: Option<&str>, sent: bool| DeliveryOutcome {
        user_id: claimed.user_id.clone(),
        device_id: claimed.device_id.clone(),
        status,
        reason: reason.map(str::to_string),
        provider_id: None,
        sent,
        remove_token: None,
    };
    let Some((channel, token)) = claimed.target.clone() else {
        // Unregistered since its batch was made: nothing to nudge.
        return (outcome("failed", Some("device_removed"), false), None);
    };
    let Some(outlet) = app.channels.of(&channel) else {
        return (
            outcome("failed", Some("channel_not_configured"), false),
            None,
        );
    };
    let push = Push {
        token: token.clone(),
        title: nudge.title.clone(),
        body: nudge.body.clone(),
        data: BTreeMap::from([
            ("policy_id".to_string(), nudge.policy_id.clone()),
            ("deep_link".to_string(), nudge.deep_link.clone()),
        ]),
        collapse_key: format!("policy-{}", nudge.policy_id),
    };
    // A push an earlier attempt could not send spends retry budget; one resent after a
    // crash does not (it is not a retry of a refusal).
    let retry = claimed.last_reason.is_some();
    let retrying = |reason: &'static str, after: Option<Duration>, sent: bool| {
        if last_attempt {
            (outcome("failed", Some(reason), sent), None)
        } else {
            (
                outcome("retrying", Some(reason), sent),
                Some((reason, after)),
            )
        }
    };
    let name = outlet.name();
    let started = std::time::Instant::now();
    let sent = outlet.send_by(&push, retry, Some(deadline)).await;
    if !matches!(sent, Sent::HeldBack | Sent::Deferred) {
        // From the batch's claim to the provider's answer: what a queued push waits and takes.
        metrics::histogram!("push_claim_to_answer_seconds", "channel" => name)
            .record(claimed_at.elapsed().as_secs_f64());
        metrics::histogram!("push_wait_and_send_seconds", "channel" => name)
            .record(started.elapsed().as_secs_f64());
    }
    metrics::counter!("push_sends_total", "channel" => name, "outcome" => match &sent {
        Sent::Accepted(_) => "accepted",
        Sent::HeldBack => "held_back",
        Sent::Deferred => "deferred",
        Sent::Failed(e) => e.reason(),
    })
    .increment(1);
    match sent {
        Sent::Accepted(id) => {
            let mut o = outcome("accepted", None, true);
            o.provider_id = Some(id);
            (o, None)
        }
        Sent::HeldBack => retrying("retry_budget", None, false),
        Sent::Deferred if last_attempt => (outcome("failed", Some("unsent"), false), None),
        Sent::Deferred => {
            // Never left: pending again, as it was (a retry stays one), tried at once.
            let mut o = outcome("pending", None, false);
            o.reason = claimed.last_reason.clone();
            (o, Some(("deferred", Some(Duration::ZERO))))
        }
        Sent::Failed(e) => {
            let reason = e.reason();
            match e {
                SendError::Unregistered => {
                    // The token is dead: gone from the devices, never tried again.
                    let mut o = outcome("failed", Some(reason), true);
                    o.remove_token = Some(token);
                    (o, None)
                }
                SendError::InvalidArgument(detail) => {
                    tracing::warn!(policy = %nudge.policy_id, %detail, "push refused as malformed");
                    (outcome("failed", Some(reason), true), None)
                }
                SendError::QuotaExceeded { retry_after }
                | SendError::Unavailable { retry_after, .. } => retrying(reason, retry_after, true),
                SendError::Unauthenticated(detail) => {
                    tracing::error!(%channel, %detail, "push credential refused after a refresh");
                    let wait = app.config.jobs.backoff_cap.min(CREDENTIAL_RETRY);
                    retrying(reason, Some(wait), true)
                }
            }
        }
    }
}

#[async_trait]
impl Handler for Deliveries {
    async fn ready(&self) -> usize {
        let Some(app) = self.app.upgrade() else {
            return 1;
        };
        // Unset: batches are taken as slots free up, the outlets' queue their slack.
        let Some(within) = app.config.push.take_within else {
            return usize::MAX;
        };
        let batch = app.config.push.batch.max(1) as usize;
        loop {
            // A batch is taken only when it would go out within `within` at the outlets' pace
            // beside what waits there already; the busiest channel decides (a batch may be
            // all of its devices).
            for outlet in app.channels.all() {
                outlet.room_for(batch, within).await;
            }
            {
                let mut taking = self.taking.lock().unwrap_or_else(|p| p.into_inner());
                match *taking {
                    Some(at) if at.elapsed() < HANDOVER_WITHIN => {}
                    _ => {
                        *taking = Some(std::time::Instant::now());
                        return 1;
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    async fn run(&self, job: &StoredJob) -> Result<(), JobError> {
        let BatchJob { nudge } = serde_json::from_str(&job.payload)
            .map_err(|e| JobError::Permanent(format!("a malformed push job: {e}")))?;
        let app = self
            .app
            .upgrade()
            .ok_or_else(|| JobError::retry("the BFF is stopping"))?;
        let retry = |e: crate::storage::StoreError| JobError::retry(e.to_string());
        let claimed_at = std::time::Instant::now();
        let claimed = app
            .store
            .claim_pushes(&job.id, job.previous_attempt_died, Utc::now())
            .await;
        let claimed = match claimed {
            Ok(c) => c,
            Err(e) => {
                self.handed_over();
                return Err(retry(e));
            }
        };
        if claimed.is_empty() {
            self.handed_over();
            return Ok(());
        }
        let last_attempt = job.attempts >= job.max_attempts;
        // Sending stops at half the lease: an attempt still sending when its lease ran out
        // would be claimed again and its pushes sent twice.
        let deadline = tokio::time::Instant::now() + app.config.jobs.lease / 2;
        let mut sending: futures::stream::FuturesUnordered<_> = claimed
            .into_iter()
            .map(|c| deliver(&app, &nudge, c, last_attempt, deadline, claimed_at))
            .collect();
        // Each push counts as waiting at its outlet from its first poll, just below.
        self.handed_over();
        let mut retries = Retries::default();
        let mut outcomes = Vec::new();
        let mut recorded = std::time::Instant::now();
        // One record in flight at a time, beside the sends: answers keep being taken (and
        // sends keep starting) while the outcomes before them are written, so a write's wait
        // for the database is not added to every push in flight.
        let mut recording: Option<futures::future::BoxFuture<'static, Result<(), JobError>>> = None;
        let record = |outcomes: Vec<DeliveryOutcome>| {
            let (app, policy_id, job_id) = (app.clone(), nudge.policy_id.clone(), job.id.clone());
            Box::pin(async move {
                app.store
                    .record_pushes(&policy_id, &job_id, &outcomes, Utc::now())
                    .await
                    .map_err(|e| JobError::retry(e.to_string()))
            }) as futures::future::BoxFuture<'static, Result<(), JobError>>
        };
        loop {
            tokio::select! {
                next = futures::StreamExt::next(&mut sending) => {
                    let Some((outcome, retry_of)) = next else { break };
                    if let Some((reason, after)) = retry_of {
                        retries.add(reason, after);
                    }
                    outcomes.push(outcome);
                    // Recorded every RECORD_EVERY: a crash then resends (and counts as
                    // possibly doubled) only the pushes sent since, not the whole batch.
                    if recording.is_none() && recorded.elapsed() >= RECORD_EVERY {
                        recording = Some(record(std::mem::take(&mut outcomes)));
                        recorded = std::time::Instant::now();
                    }
                }
                done = async { recording.as_mut().expect("guarded").await }, if recording.is_some() => {
                    recording = None;
                    done?;
                }
            }
        }
        if let Some(last) = recording.take() {
            last.await?;
        }
        if !outcomes.is_empty() {
            record(outcomes).await?;
        }
        for outlet in app.channels.all() {
            let channel = outlet.name();
            // The alert: a credential refused after its refresh stays 1 until a send succeeds.
            let refused = outlet.credential_refused_since().is_some();
            metrics::gauge!("push_credential_refused", "channel" => channel)
                .set(f64::from(u8::from(refused)));
            metrics::gauge!("push_send_rate", "channel" => channel).set(outlet.rate());
        }
        if retries.count > 0 {
            return Err(JobError::Retry {
                reason: format!("{} pushes to retry ({})", retries.count, retries.reason),
                after: retries.after,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_job_per_hundred_devices_each_naming_its_devices() {
        let draft: PolicyDraft = serde_json::from_value(serde_json::json!({
            "title": "科技型中小企业研发补助",
            "summary": "对研发投入给予补助",
            "text": "全文",
            "benefit": "最高 50 万元",
            "valid_from": "2026-01-01",
            "valid_until": "2026-12-31",
            "grant": {"mode": "automatic"},
            "criteria": {}
        }))
        .expect("draft");
        let nudge = Nudge::new("p1", &draft, "zk-demo-policy");
        let devices: Vec<PushDevice> = (0..250)
            .map(|i| PushDevice {
                user_id: format!("u{i:03}"),
                device_id: "d".into(),
                uscc: Some("91330300MA2C00001X".into()),
                channel: "fcm".into(),
                platform: "android".into(),
                token: format!("t{i}"),
                updated_at: Utc::now(),
            })
            .collect();
        let made = batches(&nudge, &devices, 100);
        assert_eq!(
            made.iter().map(|b| b.devices.len()).collect::<Vec<_>>(),
            [100, 100, 50]
        );
        assert_eq!(made[2].devices[0].0, "u200");
        assert!(made.iter().all(|b| b.job.queue == QUEUE));
        let payload: serde_json::Value = serde_json::from_str(&made[0].job.payload).expect("json");
        assert_eq!(payload["policy_id"], "p1");
        assert_eq!(
            payload["deep_link"],
            "zhelikit://mini-app/zk-demo-policy/home?policy=p1"
        );
    }
}
