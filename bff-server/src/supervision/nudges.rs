//! Reminders, urging and escalation, delivered through the one durable job mechanism.
//!
//! Every nudge is a notice row (what the item shows: scheduled, sent, skipped) and a job of
//! [`NUDGE_QUEUE`] written in the same transaction as what caused it — a dispatch schedules
//! a task's reminders for when they fall due ([`zhelikit_domain::supervision::schedule`]),
//! a report asks for review at once, the office urges at once. The job's dedupe key is the
//! notice's id, and the id is the work notification's `bizMsgId` and the stem of its to-dos'
//! `bizTaskId`s: however many BFF instances sweep, a reminder is one job, claimed once; and
//! a retry after a lost answer is not delivered twice by 浙政钉. While 浙政钉's messaging is
//! down the job backs off and tries again, for as long as a day: late, never lost.
//!
//! When what a to-do asked is done (the contact reported, the leader decided, the task
//! closed), a [`TODO_QUEUE`] job finishes or cancels it on 浙政钉.

use std::sync::Weak;

use async_trait::async_trait;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, TimeZone, Utc};
use platform_api::zzd::WorkMessage;
use serde::{Deserialize, Serialize};
use zhelikit_domain::api::Problem;
use zhelikit_domain::input::invalid;
use zhelikit_domain::paths;
use zhelikit_domain::policy::format_day;
use zhelikit_domain::supervision::nudge::task_deep_link;
use zhelikit_domain::supervision::wire::{NoticeView, Urge};
use zhelikit_domain::supervision::{schedule, Action, Audience, Nudge, Person};

use super::view::{notice_view, Receiver};
use super::{actor, new_id, task_closed, task_not_found};
use crate::app::{App, AppState};
use crate::http::json::ApiJson;
use crate::http::problem::ApiError;
use crate::identity::auth::Authenticated;
use crate::identity::platform::PlatformError;
use crate::jobs::{Handler, Job, JobError};
use crate::storage::{
    NewJob, StoredEvent, StoredItem, StoredJob, StoredNotice, StoredTask, StoredTodo,
};

/// The queue of notifications to send.
pub const NUDGE_QUEUE: &str = "supervision.nudge";
/// The queue of to-dos to finish or cancel.
pub const TODO_QUEUE: &str = "supervision.todos";

/// Attempts before a nudge is buried: with backoff capped at 15 minutes, more than a day of
/// 浙政钉 being down.
const ATTEMPTS: i32 = 200;
/// The app name on a notification card.
const APP_NAME: &str = "政务督查";

#[derive(Debug, Serialize, Deserialize)]
struct SendNotice {
    notice: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct CloseTodos {
    task: String,
    /// Only these kinds (`report`, `review`, `escalation`); every kind when empty.
    kinds: Vec<String>,
    finish: bool,
}

fn notice(
    task: &StoredTask,
    id: &str,
    nudge: Nudge,
    note: Option<&str>,
    due_at: DateTime<Utc>,
) -> StoredNotice {
    StoredNotice {
        id: id.to_string(),
        item_id: task.item_id.clone(),
        task_id: task.id.clone(),
        nudge: nudge.as_str().into(),
        note: note.map(str::to_string),
        due_at,
        status: "scheduled".into(),
        title: None,
        receivers: "[]".into(),
        sent_at: None,
    }
}

fn nudge_job(id: &str, due_at: DateTime<Utc>, now: DateTime<Utc>) -> NewJob {
    let mut job = Job::new(NUDGE_QUEUE, &SendNotice { notice: id.into() });
    job.run_at = Some(due_at);
    job.max_attempts = ATTEMPTS;
    job.dedupe_key = Some(format!("{NUDGE_QUEUE}:{id}"));
    job.row_at(now)
}

/// The reminders and escalations of a newly dispatched `task`, with their jobs.
pub(crate) fn scheduled(task: &StoredTask, now: DateTime<Utc>) -> (Vec<StoredNotice>, Vec<NewJob>) {
    schedule(task.due_day, now.timestamp())
        .into_iter()
        .filter_map(|(nudge, at)| {
            let at = Utc.timestamp_opt(at, 0).single()?;
            let id = format!("sv-{}-{}", task.id, nudge.as_str());
            Some((notice(task, &id, nudge, None, at), nudge_job(&id, at, now)))
        })
        .unzip()
}

/// A nudge about `task` sent at once, with its job.
pub(crate) fn immediate(
    task: &StoredTask,
    id: &str,
    nudge: Nudge,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> (StoredNotice, NewJob) {
    (notice(task, id, nudge, note, now), nudge_job(id, now, now))
}

/// The job closing `task`'s open to-dos of `kinds` (all kinds when empty).
pub(crate) fn close_todos_job(
    task: &str,
    kinds: &[&str],
    finish: bool,
    now: DateTime<Utc>,
) -> NewJob {
    let mut job = Job::new(
        TODO_QUEUE,
        &CloseTodos {
            task: task.into(),
            kinds: kinds.iter().map(|k| (*k).to_string()).collect(),
            finish,
        },
    );
    job.max_attempts = ATTEMPTS;
    job.row_at(now)
}

/// The office (or a city leader) urges the unit of an open task: its contacts get a work
/// notification and a to-do at once.
#[utoipa::path(post, path = paths::SUPERVISION_TASK_URGE, tag = "supervision", security(("bearer" = [])),
    params(("task_id" = String, Path, description = "the task")),
    request_body = Urge,
    responses((status = 202, description = "the notification is on its way", body = NoticeView),
        (status = 400, description = "invalid_field (message)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "supervision_forbidden", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "supervision_task_not_found", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "supervision_task_closed", body = Problem, content_type = "application/problem+json")))]
pub async fn urge(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(task_id): Path<String>,
    ApiJson(body): ApiJson<Urge>,
) -> Result<(StatusCode, Json<NoticeView>), ApiError> {
    let a = actor(&state, &auth).await?;
    let t = state
        .store
        .supervision_task(&task_id)
        .await?
        .ok_or_else(|| task_not_found(&task_id))?;
    a.may(Action::Urge, Some(&t.unit_code))?;
    if t.status != "open" {
        return Err(task_closed(&t.status));
    }
    let message = body
        .message
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty());
    if message.is_some_and(|m| m.chars().count() > 200 || m.chars().any(char::is_control)) {
        return Err(invalid(
            "message",
            "催办内容最多 200 个字符",
            "at most 200 characters",
        )
        .into());
    }
    let now = state.clock.now();
    let id = format!("sv-{}-urge-{}", t.id, &new_id("")[..8]);
    let (n, job) = immediate(&t, &id, Nudge::Urge, message, now);
    let event = StoredEvent {
        item_id: t.item_id.clone(),
        task_id: Some(t.id.clone()),
        actor: a.person.employee_code.clone(),
        actor_name: a.person.name.clone(),
        action: "urge".into(),
        detail: format!(
            "催办{}{}",
            t.unit_name,
            message.map(|m| format!("：{m}")).unwrap_or_default()
        ),
        at: now,
    };
    state
        .store
        .insert_notices(std::slice::from_ref(&n), &event, std::slice::from_ref(&job))
        .await?;
    state.jobs.published(&job).await;
    Ok((StatusCode::ACCEPTED, Json(notice_view(&n)?)))
}

/// Sends the notices of [`NUDGE_QUEUE`].
pub struct Nudges {
    app: Weak<App>,
}

impl Nudges {
    /// The handler, holding the app weakly (the app holds the jobs).
    pub fn new(app: Weak<App>) -> Self {
        Self { app }
    }
}

fn retry(e: impl std::fmt::Display) -> JobError {
    JobError::retry(e.to_string())
}

/// A platform failure as the job sees it: no answer is tried again, a refusal is not.
fn platform(e: PlatformError) -> JobError {
    match e {
        PlatformError::Unreachable(why) => JobError::retry(why),
        other => JobError::Permanent(other.to_string()),
    }
}

/// Whom a nudge about `task` of `item` reaches now.
fn audience<'o>(
    org: &'o zhelikit_domain::supervision::Org,
    nudge: Nudge,
    item: &StoredItem,
    task: &StoredTask,
) -> Vec<&'o Person> {
    match nudge.audience() {
        Audience::Contacts => org.contacts_of(&task.unit_code),
        Audience::UnitLeaders => org.leaders_of(&task.unit_code),
        Audience::Owner => org.person(&item.owner).into_iter().collect(),
    }
}

/// The kind and `bizTaskId` of the to-do a nudge leaves each receiver: the contacts' "report"
/// to-do is one per round of reports (a new one after each report), an escalation one per
/// level, a review one per report.
fn todo_of(
    nudge: Nudge,
    notice_id: &str,
    task: &StoredTask,
    account: i64,
) -> (&'static str, String, Option<String>) {
    match nudge {
        Nudge::DueSoon | Nudge::DueTomorrow | Nudge::Urge | Nudge::Returned => (
            "report",
            format!("sv-{}-report-{}-{account}", task.id, task.reports),
            None,
        ),
        Nudge::Overdue => ("escalation", format!("sv-{}-esc1-{account}", task.id), None),
        Nudge::LongOverdue => ("escalation", format!("sv-{}-esc2-{account}", task.id), None),
        Nudge::Review => {
            let report = notice_id
                .strip_prefix("sv-")
                .and_then(|r| r.strip_suffix("-review"))
                .map(str::to_string);
            ("review", format!("{notice_id}-{account}"), report)
        }
    }
}

/// Whether what a nudge asks is still to be done: the task open (for the nudges that need
/// it), no report made since `reports` (for the contacts' "report" to-do), the report still
/// pending (for a review).
async fn still_wanted(
    app: &App,
    nudge: Nudge,
    notice_id: &str,
    task_id: &str,
    reports: i32,
) -> Result<bool, JobError> {
    let Some(task) = app.store.supervision_task(task_id).await.map_err(retry)? else {
        return Ok(false);
    };
    if nudge.needs_open_task() && task.status != "open" {
        return Ok(false);
    }
    Ok(match nudge {
        Nudge::DueSoon | Nudge::DueTomorrow | Nudge::Urge => task.reports == reports,
        Nudge::Review => {
            let report = todo_of(nudge, notice_id, &task, 0).2.unwrap_or_default();
            app.store
                .supervision_report(&report)
                .await
                .map_err(retry)?
                .is_some_and(|r| r.status == "pending")
        }
        Nudge::Overdue | Nudge::LongOverdue | Nudge::Returned => true,
    })
}

#[async_trait]
impl Handler for Nudges {
    async fn run(&self, job: &StoredJob) -> Result<(), JobError> {
        let SendNotice { notice: id } = serde_json::from_str(&job.payload)
            .map_err(|e| JobError::Permanent(format!("a malformed nudge job: {e}")))?;
        let app = self
            .app
            .upgrade()
            .ok_or_else(|| JobError::retry("the BFF is stopping"))?;
        let store = &app.store;
        let mut n = store
            .supervision_notice(&id)
            .await
            .map_err(retry)?
            .ok_or_else(|| JobError::Permanent(format!("no notice {id}")))?;
        if n.status != "scheduled" {
            return Ok(());
        }
        let nudge = Nudge::parse(&n.nudge)
            .ok_or_else(|| JobError::Permanent(format!("notice {id} has nudge {:?}", n.nudge)))?;
        let task = store
            .supervision_task(&n.task_id)
            .await
            .map_err(retry)?
            .ok_or_else(|| JobError::Permanent(format!("no task {}", n.task_id)))?;
        let item = store
            .supervision_item(&task.item_id)
            .await
            .map_err(retry)?
            .ok_or_else(|| JobError::Permanent(format!("no item {}", task.item_id)))?;
        let now = app.clock.now();
        let system = |detail: String| StoredEvent {
            item_id: item.id.clone(),
            task_id: Some(task.id.clone()),
            actor: "system".into(),
            actor_name: "系统".into(),
            action: "notify".into(),
            detail,
            at: now,
        };
        if !still_wanted(&app, nudge, &n.id, &task.id, task.reports).await? {
            n.status = "skipped".into();
            store.settle_notice(&n, None).await.map_err(retry)?;
            return Ok(());
        }
        let org = app
            .supervision
            .org(&app, &item.mini_app_id)
            .await
            .map_err(|e| JobError::retry(e.to_string()))?;
        let people = audience(&org, nudge, &item, &task);
        if people.is_empty() {
            n.status = "skipped".into();
            let detail = format!("{}无人可接收：{}未设接收人", nudge.zh(), task.unit_name);
            store
                .settle_notice(&n, Some(&system(detail)))
                .await
                .map_err(retry)?;
            return Ok(());
        }
        let registration = super::org::registration(&app, &item.mini_app_id)
            .map_err(|e| JobError::Permanent(e.to_string()))?;
        let tenant = app.config.supervision.tenant_id;
        let words = nudge.words(
            &item.title,
            &task.unit_name,
            &format_day(task.due_day),
            n.note.as_deref(),
        );
        let link = task_deep_link(&item.mini_app_id, &task.id);
        let accounts: Vec<i64> = people.iter().map(|p| p.account_id).collect();
        let zzd = app.supervision.zzd();
        zzd.notify(
            registration,
            tenant,
            &n.id,
            &accounts,
            &WorkMessage::oa(APP_NAME, &words.title, &words.text, &link),
        )
        .await
        .map_err(platform)?;
        let creator = org
            .person(&item.created_by)
            .map(|p| p.account_id)
            .unwrap_or(accounts[0]);
        // The end of the due day, China time.
        let due_ms = ((task.due_day + 1) * 86_400 - 8 * 3_600) * 1_000;
        let mut made = Vec::new();
        // Read once: a retry finds the to-dos an earlier attempt made and makes only the rest.
        let open = store.open_todos(&task.id, &[]).await.map_err(retry)?;
        for p in &people {
            let (kind, biz, report) = todo_of(nudge, &n.id, &task, p.account_id);
            if open.iter().any(|t| t.biz_task_id == biz) {
                continue;
            }
            let uuid = zzd
                .create_todo(
                    registration,
                    tenant,
                    &super::zzd::NewTodo {
                        biz_task_id: &biz,
                        subject: &words.todo,
                        creator,
                        assignee: p.account_id,
                        url: &link,
                        due_ms: Some(due_ms),
                    },
                )
                .await
                .map_err(platform)?;
            let todo = StoredTodo {
                biz_task_id: biz,
                task_id: task.id.clone(),
                report_id: report,
                kind: kind.into(),
                account_id: p.account_id,
                task_uuid: uuid,
                status: "open".into(),
                mini_app_id: item.mini_app_id.clone(),
                created_at: now,
            };
            store.insert_todo(&todo).await.map_err(retry)?;
            made.push(todo);
        }
        // Done while the to-dos were being made (a report, a decision), whose closing job
        // found none of them yet: closed here instead. One of the two sees the other's write.
        if !made.is_empty() && !still_wanted(&app, nudge, &n.id, &task.id, task.reports).await? {
            for t in &made {
                zzd.close_todo(registration, tenant, &t.task_uuid, t.account_id, true)
                    .await
                    .map_err(platform)?;
                store
                    .close_todo(&t.biz_task_id, "finished")
                    .await
                    .map_err(retry)?;
            }
        }
        let names: Vec<&str> = people.iter().map(|p| p.name.as_str()).collect();
        let receivers: Vec<Receiver> = people
            .iter()
            .map(|p| Receiver {
                account_id: p.account_id,
                name: p.name.clone(),
            })
            .collect();
        n.status = "sent".into();
        n.title = Some(words.title.clone());
        n.receivers =
            serde_json::to_string(&receivers).map_err(|e| JobError::Permanent(e.to_string()))?;
        n.sent_at = Some(now);
        let detail = format!("{}已发送给{}", words.title, names.join("、"));
        store
            .settle_notice(&n, Some(&system(detail)))
            .await
            .map_err(retry)?;
        Ok(())
    }
}

/// Finishes or cancels to-dos on 浙政钉 ([`TODO_QUEUE`]).
pub struct Todos {
    app: Weak<App>,
}

impl Todos {
    /// The handler, holding the app weakly.
    pub fn new(app: Weak<App>) -> Self {
        Self { app }
    }
}

#[async_trait]
impl Handler for Todos {
    async fn run(&self, job: &StoredJob) -> Result<(), JobError> {
        let CloseTodos {
            task,
            kinds,
            finish,
        } = serde_json::from_str(&job.payload)
            .map_err(|e| JobError::Permanent(format!("a malformed to-do job: {e}")))?;
        let app = self
            .app
            .upgrade()
            .ok_or_else(|| JobError::retry("the BFF is stopping"))?;
        let kinds: Vec<&str> = kinds.iter().map(String::as_str).collect();
        let open = app.store.open_todos(&task, &kinds).await.map_err(retry)?;
        for t in open {
            let registration = super::org::registration(&app, &t.mini_app_id)
                .map_err(|e| JobError::Permanent(e.to_string()))?;
            app.supervision
                .zzd()
                .close_todo(
                    registration,
                    app.config.supervision.tenant_id,
                    &t.task_uuid,
                    t.account_id,
                    finish,
                )
                .await
                .map_err(platform)?;
            app.store
                .close_todo(
                    &t.biz_task_id,
                    if finish { "finished" } else { "cancelled" },
                )
                .await
                .map_err(retry)?;
        }
        Ok(())
    }
}
