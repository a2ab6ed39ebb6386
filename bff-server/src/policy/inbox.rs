//! The enterprise's inbox and its devices, and the campaign that fills the inboxes when a
//! policy is published: a durable job (queue `policy_campaign`, written in the publishing
//! step's transaction) that puts one message in the inbox of every enterprise the policy
//! matches, with the reasons. Run again after a crash, it adds nothing twice.

use std::sync::{Arc, Weak};

use async_trait::async_trait;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use zhelikit_domain::api::{Problem, UserKind};
use zhelikit_domain::lang::Text;
use zhelikit_domain::paths;
use zhelikit_domain::policy::inbox::{device_id, MAX_PAGE};
use zhelikit_domain::policy::{
    policy_deep_link, DeviceRegistration, EnterpriseProfile, InboxMessage, InboxPage, PolicyDraft,
    PolicyStatus, Reason,
};
use zhelikit_domain::problem_code::ProblemCode;
use zhelikit_domain::scope::Scope;
use zhelikit_push::matching::{Rule, Subject};

use crate::app::{App, AppState};
use crate::http::json::ApiJson;
use crate::http::problem::ApiError;
use crate::identity::auth::Authenticated;
use crate::jobs::{Handler, Job, JobError};
use crate::policy::profiles::enterprise_of;
use crate::storage::{InboxMark, NewInboxMessage, PushDevice, StoredJob, StoredPolicy};

/// The campaigns' queue.
pub const CAMPAIGN_QUEUE: &str = "policy_campaign";

/// Messages written per transaction.
const INBOX_BATCH: usize = 500;

#[derive(Debug, Serialize, Deserialize)]
struct CampaignJob {
    policy_id: String,
}

/// The job that runs a policy's campaign; at most one per policy.
pub fn campaign_job(policy_id: &str) -> Job {
    let mut job = Job::new(
        CAMPAIGN_QUEUE,
        &CampaignJob {
            policy_id: policy_id.to_string(),
        },
    );
    job.dedupe_key = Some(format!("policy-campaign:{policy_id}"));
    job
}

/// What a message says, as kept.
#[derive(Debug, Serialize, Deserialize)]
struct MessageBody {
    title: String,
    summary: String,
    benefit: String,
    department: String,
    reasons: Vec<Reason>,
    deep_link: String,
}

/// Runs campaigns: the policy's audience from the matching index, a message each.
pub struct Campaigns {
    app: Weak<App>,
}

impl Campaigns {
    /// Campaigns through `app` (weak: the app owns its workers).
    pub fn new(app: Weak<App>) -> Self {
        Self { app }
    }
}

#[async_trait]
impl Handler for Campaigns {
    async fn run(&self, job: &StoredJob) -> Result<(), JobError> {
        let CampaignJob { policy_id } = serde_json::from_str(&job.payload)
            .map_err(|e| JobError::Permanent(format!("a malformed campaign job: {e}")))?;
        let app = self
            .app
            .upgrade()
            .ok_or_else(|| JobError::retry("the BFF is stopping"))?;
        let retry = |e: crate::storage::StoreError| JobError::retry(e.to_string());
        let Some(policy) = app.store.policy(&policy_id).await.map_err(retry)? else {
            return Err(JobError::Permanent(format!("no policy {policy_id}")));
        };
        if policy.status != PolicyStatus::Published.as_str() {
            // Withdrawn before its campaign ran: nobody is told.
            return Ok(());
        }
        let draft: PolicyDraft = serde_json::from_str(&policy.draft)
            .map_err(|e| JobError::Permanent(format!("policy {policy_id} unreadable: {e}")))?;
        let eligibility = draft
            .criteria
            .check()
            .map_err(|e| JobError::Permanent(format!("policy {policy_id}'s criteria: {e}")))?;
        let rule = Rule::new(&eligibility);
        app.matcher
            .catch_up(app.store.as_ref())
            .await
            .map_err(retry)?;
        let mut audience = app.matcher.matched(&rule);
        // In USCC order, so a run after a crash resumes after the last page written.
        audience.sort_by(|a, b| a.uscc.cmp(&b.uscc));
        let earlier = app.store.campaign(&policy_id).await.map_err(retry)?;
        let through = earlier.as_ref().and_then(|c| c.expanded_through.clone());
        let started = Utc::now();
        if earlier.is_none() {
            app.store
                .record_campaign(&policy_id, audience.len() as i64, 0, started, None)
                .await
                .map_err(retry)?;
        }
        let mini_app = enterprise_mini_app(&app);
        let nudge = super::deliveries::Nudge::new(&policy_id, &draft, &mini_app);
        let start = through.map_or(0, |t| audience.partition_point(|p| p.uscc <= t));
        for page in audience[start..].chunks(INBOX_BATCH) {
            let messages: Vec<NewInboxMessage> = page
                .iter()
                .filter_map(|profile| message(&policy, &draft, &rule, profile, &mini_app))
                .collect();
            // With a push for every device of these enterprises: the nudge to sync.
            let usccs: Vec<String> = page.iter().map(|p| p.uscc.clone()).collect();
            let last = usccs.last().map(String::as_str);
            super::deliveries::write_page(&app, &nudge, last, &messages, &usccs).await?;
        }
        // What is there, however many runs (a crash, a retry) it took.
        let inboxed = app
            .store
            .campaign(&policy_id)
            .await
            .map_err(retry)?
            .map_or(0, |c| c.inboxed);
        app.store
            .record_campaign(
                &policy_id,
                audience.len() as i64,
                inboxed,
                started,
                Some(Utc::now()),
            )
            .await
            .map_err(retry)?;
        Ok(())
    }
}

/// The inbox message of `policy` for the enterprise of `profile`, with why it matches.
pub(crate) fn message(
    policy: &StoredPolicy,
    draft: &PolicyDraft,
    rule: &Rule,
    profile: &EnterpriseProfile,
    mini_app: &str,
) -> Option<NewInboxMessage> {
    let subject = Subject::of(profile).ok()?;
    let body = MessageBody {
        title: draft.title.clone(),
        summary: draft.summary.clone(),
        benefit: draft.benefit.clone(),
        department: policy.department.clone(),
        reasons: rule.reasons(&subject),
        deep_link: policy_deep_link(mini_app, &policy.id),
    };
    Some(NewInboxMessage {
        id: format!("msg-{}", uuid::Uuid::new_v4().simple()),
        uscc: profile.uscc.clone(),
        policy_id: policy.id.clone(),
        message: serde_json::to_string(&body).ok()?,
        created_at: Utc::now(),
    })
}

/// The registered mini-app enterprises read policies in (its deep links open there).
pub(crate) fn enterprise_mini_app(app: &App) -> String {
    app.config
        .mini_apps
        .iter()
        .find(|a| {
            a.allowed_scopes
                .iter()
                .any(|s| s == Scope::PolicyRead.as_str())
                && a.allowed_user_kinds.contains(&UserKind::LegalPerson)
        })
        .map_or_else(|| "zk-demo-policy".to_string(), |a| a.id.clone())
}

/// `?after=&limit=` of an inbox sync.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct InboxQuery {
    /// The cursor of the last message the device has (0: from the start).
    #[serde(default)]
    pub after: i64,
    /// At most this many (1–200; 50 when omitted).
    pub limit: Option<u32>,
}

/// The enterprise's messages after a cursor, oldest first: the inbox is the truth, a push only
/// says there is something to sync.
#[utoipa::path(get, path = paths::INBOX, tag = "policies", security(("bearer" = [])),
    params(InboxQuery),
    responses((status = 200, body = InboxPage),
        (status = 400, description = "invalid_field (limit)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "missing_scope, user_kind_not_allowed", body = Problem, content_type = "application/problem+json")))]
pub async fn sync(
    State(state): State<AppState>,
    auth: Authenticated,
    Query(q): Query<InboxQuery>,
) -> Result<axum::Json<InboxPage>, ApiError> {
    auth.require(Scope::PolicyRead)?;
    let limit = q.limit.unwrap_or(50);
    if limit == 0 || limit > MAX_PAGE {
        return Err(ApiError::invalid_field(
            "limit",
            Text::new(
                format!("须为 1–{MAX_PAGE}"),
                format!("must be 1–{MAX_PAGE}"),
            ),
        ));
    }
    let uscc = enterprise_of(&state, &auth).await?;
    // One more than asked says whether more follow.
    let rows = state
        .store
        .inbox_of(&uscc, q.after, i64::from(limit) + 1)
        .await?;
    let more = rows.len() > limit as usize;
    let messages: Vec<InboxMessage> = rows
        .into_iter()
        .take(limit as usize)
        .filter_map(|r| {
            let body: MessageBody = match serde_json::from_str(&r.message) {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(message = %r.id, error = %e, "inbox message unreadable");
                    return None;
                }
            };
            Some(InboxMessage {
                id: r.id,
                cursor: r.cursor,
                policy_id: r.policy_id,
                title: body.title,
                summary: body.summary,
                benefit: body.benefit,
                department: body.department,
                reasons: body.reasons,
                deep_link: body.deep_link,
                created_at: r.created_at.timestamp(),
                read: r.read_at.is_some(),
                opened: r.opened_at.is_some(),
                claimed: r.claimed_at.is_some(),
            })
        })
        .collect();
    let next_cursor = messages.last().map_or(q.after, |m| m.cursor);
    let withdrawn = state.store.withdrawn_messages(&uscc).await?;
    Ok(axum::Json(InboxPage {
        messages,
        next_cursor,
        more,
        withdrawn,
    }))
}

/// The enterprise whose inbox the session reads.
async fn inbox_owner(state: &AppState, auth: &Authenticated) -> Result<String, ApiError> {
    auth.require(Scope::PolicyRead)?;
    enterprise_of(state, auth).await
}

async fn mark(
    state: &AppState,
    uscc: &str,
    id: &str,
    how: InboxMark,
) -> Result<StatusCode, ApiError> {
    if !state.store.mark_inbox(uscc, id, how, Utc::now()).await? {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            ProblemCode::InboxMessageNotFound,
            Text::new(format!("消息 {id} 不存在"), format!("no message {id}")),
        ));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The enterprise read a message.
#[utoipa::path(post, path = paths::INBOX_READ, tag = "policies", security(("bearer" = [])),
    params(("id" = String, Path, description = "The message")),
    responses((status = 204, description = "marked (the first read counts)"),
        (status = 404, description = "inbox_message_not_found", body = Problem, content_type = "application/problem+json")))]
pub async fn read(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let uscc = inbox_owner(&state, &auth).await?;
    mark(&state, &uscc, &id, InboxMark::Read).await
}

/// The enterprise opened a message (from a notification or the list); opening reads it too.
#[utoipa::path(post, path = paths::INBOX_OPENED, tag = "policies", security(("bearer" = [])),
    params(("id" = String, Path, description = "The message")),
    responses((status = 204, description = "marked (the first open counts)"),
        (status = 404, description = "inbox_message_not_found", body = Problem, content_type = "application/problem+json")))]
pub async fn opened(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let uscc = inbox_owner(&state, &auth).await?;
    mark(&state, &uscc, &id, InboxMark::Opened).await
}

/// The enterprise started a claim from a message (followed its claim link); claiming opens
/// it too. A withdrawn policy cannot be claimed.
#[utoipa::path(post, path = paths::INBOX_CLAIMED, tag = "policies", security(("bearer" = [])),
    params(("id" = String, Path, description = "The message")),
    responses((status = 204, description = "marked (the first claim counts)"),
        (status = 404, description = "inbox_message_not_found", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "policy_status_conflict: the policy was withdrawn", body = Problem, content_type = "application/problem+json")))]
pub async fn claimed(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let uscc = inbox_owner(&state, &auth).await?;
    if state.store.withdrawn_messages(&uscc).await?.contains(&id) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ProblemCode::PolicyStatusConflict,
            Text::new(
                "该政策已撤回，不能再申报",
                "the policy was withdrawn; it can no longer be claimed",
            ),
        ));
    }
    mark(&state, &uscc, &id, InboxMark::Claimed).await
}

/// Registers (or replaces) the device's push token, so new messages are nudged to it.
#[utoipa::path(put, path = paths::DEVICE, tag = "policies", security(("bearer" = [])),
    params(("device_id" = String, Path, description = "The SDK's id of this install")),
    request_body = DeviceRegistration,
    responses((status = 204, description = "registered"),
        (status = 400, description = "invalid_field (device_id, token, channel)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "missing_scope, user_kind_not_allowed", body = Problem, content_type = "application/problem+json")))]
pub async fn register_device(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(device): Path<String>,
    ApiJson(body): ApiJson<DeviceRegistration>,
) -> Result<StatusCode, ApiError> {
    auth.require(Scope::PolicyRead)?;
    device_id(&device)?;
    body.check()?;
    let uscc = enterprise_of(&state, &auth).await?;
    state
        .store
        .upsert_device(&PushDevice {
            user_id: auth.user_id()?.to_string(),
            device_id: device,
            uscc: Some(uscc),
            channel: body.channel.as_str().to_string(),
            platform: body.platform.as_str().to_string(),
            token: body.token,
            updated_at: Utc::now(),
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Unregisters the device (logout, push turned off): no more nudges; the inbox still syncs.
#[utoipa::path(delete, path = paths::DEVICE, tag = "policies", security(("bearer" = [])),
    params(("device_id" = String, Path, description = "The SDK's id of this install")),
    responses((status = 204, description = "unregistered (or was not registered)")))]
pub async fn unregister_device(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(device): Path<String>,
) -> Result<StatusCode, ApiError> {
    auth.require(Scope::PolicyRead)?;
    device_id(&device)?;
    state
        .store
        .remove_device(&auth.user_id()?.to_string(), &device)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// For `start_background`.
pub fn campaigns(app: &Arc<App>) -> Arc<Campaigns> {
    Arc::new(Campaigns::new(Arc::downgrade(app)))
}
