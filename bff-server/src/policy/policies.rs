//! The policy console's side (officials on 浙政钉): draft, edit, submit, approve (a second
//! official of the same organisation), return, publish, withdraw — each step recorded with the
//! change, in one transaction — and a preview of whom criteria match.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::Utc;
use zhelikit_domain::api::{Problem, UserKind};
use zhelikit_domain::lang::Text;
use zhelikit_domain::paths;
use zhelikit_domain::policy::industry::DIVISIONS;
use zhelikit_domain::policy::{
    next_status, CountCell, Criteria, DeliveryStats, MatchExample, MatchPreview, Policy,
    PolicyDraft, PolicyEdit, PolicyEvent, PolicyStatus, PolicyStep, StepRefusal,
};
use zhelikit_domain::problem_code::ProblemCode;
use zhelikit_domain::region::WENZHOU_DIVISIONS;
use zhelikit_domain::scope::Scope;
use zhelikit_push::matching::{Rule, Subject};

use crate::app::AppState;
use crate::http::json::ApiJson;
use crate::http::problem::ApiError;
use crate::identity::auth::Authenticated;
use crate::identity::users::user_profile;
use crate::policy::inbox::campaign_job;
use crate::storage::{StoredPolicy, StoredPolicyEvent};

/// Examples a preview shows.
const PREVIEW_EXAMPLES: usize = 5;

/// The official acting: who, and for which organisation.
struct Official {
    id: String,
    name: String,
    organisation_code: String,
    organisation_name: String,
}

async fn official(state: &AppState, auth: &Authenticated) -> Result<Official, ApiError> {
    auth.require(Scope::PolicyManage)?;
    let user = user_profile(state, auth.user_id()?).await?;
    match (&user.profile.kind, &user.profile.official) {
        (UserKind::Official, Some(o)) => Ok(Official {
            id: user.id.to_string(),
            name: user.profile.display_name.clone(),
            organisation_code: o.organisation_code.clone(),
            organisation_name: o.organisation_name.clone(),
        }),
        _ => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ProblemCode::UserKindNotAllowed,
            Text::new(
                "仅浙政钉工作人员可管理政策",
                "only officials (浙政钉) manage policies",
            ),
        )),
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ProblemCode::PolicyNotFound,
        Text::new(format!("政策 {id} 不存在"), format!("no policy {id}")),
    )
}

fn conflict(zh: String, en: String) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        ProblemCode::PolicyStatusConflict,
        Text::new(zh, en),
    )
}

fn draft_of(p: &StoredPolicy) -> Result<PolicyDraft, ApiError> {
    serde_json::from_str(&p.draft)
        .map_err(|e| ApiError::internal(format!("policy {} unreadable: {e}", p.id)))
}

fn stored_status(p: &StoredPolicy) -> Result<PolicyStatus, ApiError> {
    PolicyStatus::parse(&p.status)
        .ok_or_else(|| ApiError::internal(format!("policy {} has status {:?}", p.id, p.status)))
}

fn today() -> i64 {
    zhelikit_domain::policy::china_day(Utc::now().timestamp())
}

/// A policy of the official's organisation; others read as absent.
async fn owned(state: &AppState, who: &Official, id: &str) -> Result<StoredPolicy, ApiError> {
    match state.store.policy(id).await? {
        Some(p) if p.organisation_code == who.organisation_code => Ok(p),
        _ => Err(not_found(id)),
    }
}

async fn view(state: &AppState, p: &StoredPolicy) -> Result<Policy, ApiError> {
    let draft = draft_of(p)?;
    let status = stored_status(p)?.on(&draft.valid_until, today());
    let history = state
        .store
        .policy_events(&p.id)
        .await?
        .into_iter()
        .map(|e| PolicyEvent {
            action: e.action,
            actor: e.actor_name,
            at: e.at.timestamp(),
            note: e.note,
        })
        .collect();
    Ok(Policy {
        id: p.id.clone(),
        status,
        status_text: status.zh().to_string(),
        department: p.department.clone(),
        organisation_code: p.organisation_code.clone(),
        draft,
        drafted_by: p.drafted_by_name.clone(),
        approved_by: p.approved_by_name.clone(),
        version: p.version,
        history,
        delivery: delivery(state, &p.id).await?,
    })
}

/// A policy's campaign figures, pushes included.
async fn delivery(state: &AppState, id: &str) -> Result<Option<DeliveryStats>, ApiError> {
    let Some(c) = state.store.campaign(id).await? else {
        return Ok(None);
    };
    let mut stats = DeliveryStats {
        matched: c.matched.max(0) as u64,
        inboxed: c.inboxed.max(0) as u64,
        read: c.read.max(0) as u64,
        opened: c.opened.max(0) as u64,
        claimed: c.claimed.max(0) as u64,
        targeted_devices: 0,
        pushes_pending: 0,
        pushes_accepted: 0,
        pushes_retrying: 0,
        pushes_possibly_doubled: 0,
        pushes_failed: Default::default(),
        finished_at: c.finished_at.map(|t| t.timestamp()),
    };
    let counts = state.store.delivery_counts(id).await?;
    stats.pushes_possibly_doubled = counts.possibly_doubled.max(0) as u64;
    for (status, reason, n) in counts.by_status {
        let n = n.max(0) as u64;
        stats.targeted_devices += n;
        match status.as_str() {
            "pending" | "sending" => stats.pushes_pending += n,
            "accepted" => stats.pushes_accepted += n,
            "retrying" => stats.pushes_retrying += n,
            _ => {
                *stats
                    .pushes_failed
                    .entry(reason.unwrap_or_default())
                    .or_default() += n
            }
        }
    }
    Ok(Some(stats))
}

fn event(who: &Official, action: &str, note: Option<String>) -> StoredPolicyEvent {
    StoredPolicyEvent {
        action: action.to_string(),
        actor: who.id.clone(),
        actor_name: who.name.clone(),
        note,
        at: Utc::now(),
    }
}

/// An official drafts a policy for their organisation.
#[utoipa::path(post, path = paths::POLICIES, tag = "policies", security(("bearer" = [])),
    request_body = PolicyDraft,
    responses((status = 201, body = Policy),
        (status = 400, description = "invalid_field (title, summary, text, benefit, grant.link, valid_from, valid_until, criteria.*)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "missing_scope, user_kind_not_allowed", body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<AppState>,
    auth: Authenticated,
    ApiJson(draft): ApiJson<PolicyDraft>,
) -> Result<(StatusCode, axum::Json<Policy>), ApiError> {
    let who = official(&state, &auth).await?;
    draft.check()?;
    let now = Utc::now();
    let stored = StoredPolicy {
        id: format!("pol-{}", uuid::Uuid::new_v4().simple()),
        organisation_code: who.organisation_code.clone(),
        department: who.organisation_name.clone(),
        status: PolicyStatus::Draft.as_str().to_string(),
        draft: serde_json::to_string(&draft).map_err(|e| ApiError::internal(e.to_string()))?,
        drafted_by: who.id.clone(),
        drafted_by_name: who.name.clone(),
        approved_by_name: None,
        version: 1,
        created_at: now,
        updated_at: now,
        published_at: None,
    };
    state
        .store
        .insert_policy(&stored, &event(&who, "drafted", None))
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(view(&state, &stored).await?),
    ))
}

/// The policies of the official's organisation, last changed first.
#[utoipa::path(get, path = paths::POLICIES, tag = "policies", security(("bearer" = [])),
    responses((status = 200, body = Vec<Policy>),
        (status = 403, description = "missing_scope, user_kind_not_allowed", body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<axum::Json<Vec<Policy>>, ApiError> {
    let who = official(&state, &auth).await?;
    let mut out = Vec::new();
    for p in state.store.policies_of(&who.organisation_code).await? {
        out.push(view(&state, &p).await?);
    }
    Ok(axum::Json(out))
}

/// One policy of the official's organisation, with every step taken.
#[utoipa::path(get, path = paths::POLICY, tag = "policies", security(("bearer" = [])),
    params(("id" = String, Path, description = "The policy")),
    responses((status = 200, body = Policy),
        (status = 404, description = "policy_not_found", body = Problem, content_type = "application/problem+json")))]
pub async fn read(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
) -> Result<axum::Json<Policy>, ApiError> {
    let who = official(&state, &auth).await?;
    let p = owned(&state, &who, &id).await?;
    Ok(axum::Json(view(&state, &p).await?))
}

/// A new text of a draft, made on the version the official saw.
#[utoipa::path(put, path = paths::POLICY, tag = "policies", security(("bearer" = [])),
    params(("id" = String, Path, description = "The policy")), request_body = PolicyEdit,
    responses((status = 200, body = Policy),
        (status = 400, description = "invalid_field", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "policy_not_found", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "policy_status_conflict: not a draft, or edited since that version", body = Problem, content_type = "application/problem+json")))]
pub async fn edit(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
    ApiJson(edit): ApiJson<PolicyEdit>,
) -> Result<axum::Json<Policy>, ApiError> {
    let who = official(&state, &auth).await?;
    edit.draft.check()?;
    let current = owned(&state, &who, &id).await?;
    let status = stored_status(&current)?;
    if status != PolicyStatus::Draft {
        return Err(conflict(
            format!("政策{}，只有草稿可以修改", status.zh()),
            format!(
                "the policy is {}; only a draft can be edited",
                status.as_str()
            ),
        ));
    }
    let stale = || {
        conflict(
            format!("政策已被修改（当前版本 {}），请刷新后再改", current.version),
            format!(
                "the policy was changed since (now version {})",
                current.version
            ),
        )
    };
    if edit.version != current.version {
        return Err(stale());
    }
    let next = StoredPolicy {
        draft: serde_json::to_string(&edit.draft).map_err(|e| ApiError::internal(e.to_string()))?,
        version: current.version + 1,
        updated_at: Utc::now(),
        ..current.clone()
    };
    if !state
        .store
        .update_policy(&next, current.version, &event(&who, "edited", None), &[])
        .await?
    {
        return Err(stale());
    }
    Ok(axum::Json(view(&state, &next).await?))
}

/// A lifecycle step: submit, approve (not by the drafter), return, publish, withdraw.
#[utoipa::path(post, path = paths::POLICY_STEPS, tag = "policies", security(("bearer" = [])),
    params(("id" = String, Path, description = "The policy")), request_body = PolicyStep,
    responses((status = 200, body = Policy),
        (status = 400, description = "invalid_field (reason)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "policy_self_approval", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "policy_not_found", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "policy_status_conflict", body = Problem, content_type = "application/problem+json")))]
pub async fn step(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
    ApiJson(step): ApiJson<PolicyStep>,
) -> Result<axum::Json<Policy>, ApiError> {
    let who = official(&state, &auth).await?;
    let current = owned(&state, &who, &id).await?;
    let draft = draft_of(&current)?;
    let status = stored_status(&current)?.on(&draft.valid_until, today());
    let next_status = next_status(status, &step, current.drafted_by == who.id).map_err(|refusal| match refusal {
        StepRefusal::Status(s) => conflict(
            format!("政策{}，不能{}", s.zh(), step_zh(&step)),
            format!("a {} policy cannot be {}", s.as_str(), step.recorded_as()),
        ),
        StepRefusal::SelfApproval => ApiError::new(
            StatusCode::FORBIDDEN,
            ProblemCode::PolicySelfApproval,
            Text::new("起草人不能审核自己起草的政策，请由本单位另一名工作人员审核", "the drafter cannot approve their own policy; another official of the organisation must"),
        ),
        StepRefusal::Invalid(invalid) => invalid.into(),
    })?;
    let now = Utc::now();
    let next = StoredPolicy {
        status: next_status.as_str().to_string(),
        approved_by_name: match step {
            PolicyStep::Approve => Some(who.name.clone()),
            PolicyStep::Return { .. } => None,
            _ => current.approved_by_name.clone(),
        },
        published_at: if next_status == PolicyStatus::Published {
            Some(now)
        } else {
            current.published_at
        },
        version: current.version + 1,
        updated_at: now,
        ..current.clone()
    };
    let recorded = event(&who, step.recorded_as(), step.reason().map(str::to_string));
    // Publishing records its campaign with the step: the outbox is the jobs table.
    let campaign = (next_status == PolicyStatus::Published).then(|| campaign_job(&id).row());
    if !state
        .store
        .update_policy(&next, current.version, &recorded, campaign.as_slice())
        .await?
    {
        return Err(conflict(
            "政策刚被他人处理，请刷新后再试".to_string(),
            "the policy was changed meanwhile; reload and try again".to_string(),
        ));
    }
    if let Some(row) = &campaign {
        state.jobs.published(row).await;
    }
    Ok(axum::Json(view(&state, &next).await?))
}

fn step_zh(step: &PolicyStep) -> &'static str {
    match step {
        PolicyStep::Submit => "提交审核",
        PolicyStep::Approve => "审核通过",
        PolicyStep::Return { .. } => "退回",
        PolicyStep::Publish => "发布",
        PolicyStep::Withdraw { .. } => "撤回",
    }
}

/// How many profiled enterprises criteria match, by county and by industry, with examples
/// and why each matches: what an official sees before submitting a policy.
#[utoipa::path(post, path = paths::POLICY_PREVIEW, tag = "policies", security(("bearer" = [])),
    request_body = Criteria,
    responses((status = 200, body = MatchPreview),
        (status = 400, description = "invalid_field (criteria.*)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "missing_scope, user_kind_not_allowed", body = Problem, content_type = "application/problem+json")))]
pub async fn preview(
    State(state): State<AppState>,
    auth: Authenticated,
    ApiJson(criteria): ApiJson<Criteria>,
) -> Result<axum::Json<MatchPreview>, ApiError> {
    official(&state, &auth).await?;
    let rule = Rule::new(&criteria.check()?);
    state.matcher.catch_up(state.store.as_ref()).await?;
    let selection = state.matcher.select(&rule, PREVIEW_EXAMPLES);
    let b = &selection.breakdown;
    let by_county = WENZHOU_DIVISIONS
        .iter()
        .zip(&b.by_county)
        .map(|(d, &count)| CountCell {
            code: d.code.to_string(),
            name: d.name.to_string(),
            count,
        })
        .collect();
    let mut by_industry: Vec<CountCell> = b
        .by_division
        .iter()
        .enumerate()
        .filter(|(_, &n)| n > 0)
        .filter_map(|(i, &count)| {
            let division = i as u8 + 1;
            let section = zhelikit_domain::policy::industry::SECTIONS
                .iter()
                .find(|s| (s.divisions.0..=s.divisions.1).contains(&division))?;
            Some(CountCell {
                code: format!("{}{division:02}", section.letter),
                name: DIVISIONS[i].to_string(),
                count,
            })
        })
        .collect();
    by_industry.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.code.cmp(&b.code)));
    let examples = selection
        .examples
        .iter()
        .filter_map(|p| {
            let subject = Subject::of(p).ok()?;
            Some(MatchExample {
                name: p.name.clone(),
                uscc: p.uscc.clone(),
                reasons: rule.reasons(&subject),
            })
        })
        .collect();
    Ok(axum::Json(MatchPreview {
        profiled: selection.profiled,
        matched: b.total,
        by_county,
        by_industry,
        examples,
    }))
}
