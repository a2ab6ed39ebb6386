//! Tasks: dispatched from an item to units (交办), decomposed by a unit to the units below it
//! (分解), moved (调整) or cancelled (撤销) by the office, and each official's open tasks.
//! Dispatching a task schedules its reminders and escalations in the same transaction.

use std::collections::{BTreeSet, HashMap};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use zhelikit_domain::api::Problem;
use zhelikit_domain::input::invalid;
use zhelikit_domain::lang::Text;
use zhelikit_domain::paths;
use zhelikit_domain::policy::format_day;
use zhelikit_domain::problem_code::ProblemCode;
use zhelikit_domain::supervision::item::MAX_DISPATCH;
use zhelikit_domain::supervision::wire::{CancelTask, Dispatch, MoveTask, TaskList};
use zhelikit_domain::supervision::{Action, Parent, Role};

use super::nudges;
use super::view::{pending_by_task, status_of, Model};
use super::{actor, item_not_found, new_id, task_closed, task_not_found, visible_task, Actor};
use crate::app::AppState;
use crate::http::json::ApiJson;
use crate::http::problem::ApiError;
use crate::identity::auth::Authenticated;
use crate::storage::{StoredEvent, StoredTask};

/// Dispatches tasks from the item (the office), or decomposes a task to the units below its
/// unit (its unit's leader, or the office). Each task is due no later than what it comes
/// from; its reminders are scheduled with it.
#[utoipa::path(post, path = paths::SUPERVISION_ITEM_TASKS, tag = "supervision", security(("bearer" = [])),
    params(("item_id" = String, Path, description = "the item")),
    request_body = Dispatch,
    responses((status = 201, body = TaskList),
        (status = 400, description = "invalid_field (tasks, tasks.unit, tasks.content, tasks.due, tasks.targets)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "supervision_forbidden", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "supervision_item_not_found, supervision_task_not_found", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "supervision_task_closed", body = Problem, content_type = "application/problem+json")))]
pub async fn dispatch(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(item_id): Path<String>,
    ApiJson(body): ApiJson<Dispatch>,
) -> Result<(StatusCode, Json<TaskList>), ApiError> {
    let a = actor(&state, &auth).await?;
    let model = Model::load(&state, &item_id)
        .await?
        .ok_or_else(|| item_not_found(&item_id))?;
    let today = state.clock.today();
    let parent_task = match &body.parent {
        None => {
            a.may(Action::Dispatch, None)?;
            None
        }
        Some(id) => {
            let t = model.task(id).ok_or_else(|| task_not_found(id))?;
            a.may(Action::Decompose, Some(&t.unit_code))?;
            if t.status != "open" {
                return Err(task_closed(&t.status));
            }
            Some(t)
        }
    };
    let keys = parent_task
        .map(|t| model.target_keys(t))
        .unwrap_or_default();
    let parent = match parent_task {
        None => Parent::Item {
            due: model.item.due_day,
        },
        Some(t) => Parent::Task {
            unit: &t.unit_code,
            due: t.due_day,
            targets: keys.iter().map(String::as_str).collect(),
        },
    };
    if body.tasks.is_empty() || body.tasks.len() > MAX_DISPATCH {
        return Err(invalid(
            "tasks",
            format!("一次交办 1–{MAX_DISPATCH} 项任务"),
            format!("dispatch 1–{MAX_DISPATCH} tasks at a time"),
        )
        .into());
    }
    let now = state.clock.now();
    let action = if parent_task.is_some() {
        ("decompose", "分解")
    } else {
        ("dispatch", "交办")
    };
    let mut rows = Vec::with_capacity(body.tasks.len());
    let mut events = Vec::with_capacity(body.tasks.len());
    let mut notices = Vec::new();
    let mut jobs = Vec::new();
    for (n, draft) in body.tasks.iter().enumerate() {
        let checked = draft.check(n + 1, &parent, &model.draft.indicators, &a.org, today)?;
        let unit_name = a.org.unit_name(&draft.unit).to_string();
        let task = StoredTask {
            id: new_id("t"),
            item_id: model.item.id.clone(),
            parent_id: body.parent.clone(),
            unit_code: draft.unit.clone(),
            unit_name: unit_name.clone(),
            content: draft.content.trim().to_string(),
            due_day: checked.due,
            targets: serde_json::to_string(&draft.targets)
                .map_err(|e| ApiError::internal(e.to_string()))?,
            reported: "{}".into(),
            status: "open".into(),
            done_day: None,
            reports: 0,
            created_at: now,
            updated_at: now,
        };
        events.push(StoredEvent {
            item_id: model.item.id.clone(),
            task_id: Some(task.id.clone()),
            actor: a.person.employee_code.clone(),
            actor_name: a.person.name.clone(),
            action: action.0.into(),
            detail: format!(
                "{}给{unit_name}，截止 {}",
                action.1,
                format_day(checked.due)
            ),
            at: now,
        });
        let (n, j) = nudges::scheduled(&task, now);
        notices.extend(n);
        jobs.extend(j);
        rows.push(task);
    }
    let written = state
        .store
        .insert_tasks(body.parent.as_deref(), &rows, &events, &notices, &jobs)
        .await?;
    if !written {
        return Err(task_closed("cancelled"));
    }
    for job in &jobs {
        state.jobs.published(job).await;
    }
    let model = Model::load(&state, &item_id)
        .await?
        .ok_or_else(|| item_not_found(&item_id))?;
    let made: BTreeSet<&str> = rows.iter().map(|t| t.id.as_str()).collect();
    let tasks = model
        .tasks
        .iter()
        .filter(|t| made.contains(t.id.as_str()))
        .map(|t| model.task_view(t, &a, today, None))
        .collect();
    Ok((StatusCode::CREATED, Json(TaskList { tasks })))
}

/// Most tasks in "my tasks".
const MY_TASKS: usize = 200;

/// The official's open tasks, due soonest first: their unit's for a unit role, those of the
/// items they own for a city leader, every unit's for the office.
#[utoipa::path(get, path = paths::SUPERVISION_TASKS, tag = "supervision", security(("bearer" = [])),
    responses((status = 200, body = TaskList),
        (status = 403, description = "missing_scope, user_kind_not_allowed, supervision_not_in_org", body = Problem, content_type = "application/problem+json")))]
pub async fn mine(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<Json<TaskList>, ApiError> {
    let a = actor(&state, &auth).await?;
    let today = state.clock.today();
    let rows = match &a.role {
        Role::CityLeader | Role::Office => {
            let units: Vec<String> = a.org.units().map(|u| u.code.clone()).collect();
            let mut rows = state.store.open_tasks_in(&units).await?;
            if a.role == Role::CityLeader {
                let owned: BTreeSet<String> = state
                    .store
                    .supervision_items()
                    .await?
                    .into_iter()
                    .filter(|i| i.owner == a.person.employee_code)
                    .map(|i| i.id)
                    .collect();
                rows.retain(|t| owned.contains(&t.item_id));
            }
            rows
        }
        other => {
            let unit = other.unit().unwrap_or_default().to_string();
            state.store.open_tasks_in(&[unit]).await?
        }
    };
    Ok(Json(TaskList {
        tasks: views(&state, &a, rows.into_iter().take(MY_TASKS), today).await?,
    }))
}

/// The views of `rows`, each with its item's rollup.
async fn views(
    state: &AppState,
    a: &Actor,
    rows: impl Iterator<Item = StoredTask>,
    today: i64,
) -> Result<Vec<zhelikit_domain::supervision::wire::TaskView>, ApiError> {
    let mut models: HashMap<String, (Model, HashMap<String, String>)> = HashMap::new();
    let mut out = Vec::new();
    for t in rows {
        if !models.contains_key(&t.item_id) {
            let Some(model) = Model::load(state, &t.item_id).await? else {
                continue;
            };
            let pending = pending_by_task(&state.store.reports_of_item(&t.item_id).await?);
            models.insert(t.item_id.clone(), (model, pending));
        }
        if let Some((model, pending)) = models.get(&t.item_id) {
            out.push(model.task_view(&t, a, today, pending.get(&t.id).map(String::as_str)));
        }
    }
    Ok(out)
}

/// The office moves a task under another task of the item (or directly under the item):
/// the rules of decomposition hold again, and a move that would make a cycle is refused.
#[utoipa::path(post, path = paths::SUPERVISION_TASK_MOVE, tag = "supervision", security(("bearer" = [])),
    params(("task_id" = String, Path, description = "the task")),
    request_body = MoveTask,
    responses((status = 204, description = "moved"),
        (status = 400, description = "invalid_field (parent, tasks.unit, tasks.due)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "supervision_forbidden", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "supervision_task_not_found", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "supervision_task_closed", body = Problem, content_type = "application/problem+json")))]
pub async fn move_task(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(task_id): Path<String>,
    ApiJson(body): ApiJson<MoveTask>,
) -> Result<StatusCode, ApiError> {
    let a = actor(&state, &auth).await?;
    a.may(Action::Manage, None)?;
    let (t, model) = visible_task(&state, &a, &task_id).await?;
    if t.status != "open" {
        return Err(task_closed(&t.status));
    }
    model.tree.check_move(&t.id, body.parent.as_deref())?;
    let (name, parent_due) = match body.parent.as_deref() {
        None => ("督查事项".to_string(), model.item.due_day),
        Some(p) => {
            let parent = model.task(p).ok_or_else(|| task_not_found(p))?;
            if parent.status != "open" {
                return Err(task_closed(&parent.status));
            }
            if !a.org.below(&t.unit_code, &parent.unit_code) {
                return Err(invalid(
                    "parent",
                    format!("{}不是{}的下级单位", t.unit_name, parent.unit_name),
                    format!("{} is not below {}", t.unit_code, parent.unit_code),
                )
                .into());
            }
            (format!("{}的任务", parent.unit_name), parent.due_day)
        }
    };
    if t.due_day > parent_due {
        return Err(invalid(
            "parent",
            format!(
                "任务截止日期 {} 晚于{name}的截止日期 {}",
                format_day(t.due_day),
                format_day(parent_due)
            ),
            "the task is due after its new parent",
        )
        .into());
    }
    let now = state.clock.now();
    let event = StoredEvent {
        item_id: t.item_id.clone(),
        task_id: Some(t.id.clone()),
        actor: a.person.employee_code.clone(),
        actor_name: a.person.name.clone(),
        action: "move".into(),
        detail: format!("将{}的任务调整到{name}之下", t.unit_name),
        at: now,
    };
    let moved = state
        .store
        .move_task(
            &t.id,
            t.parent_id.as_deref(),
            body.parent.as_deref(),
            &event,
            now,
        )
        .await?;
    if !moved {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ProblemCode::SupervisionTaskClosed,
            Text::new(
                "任务刚被他人调整或撤销，请刷新后重试",
                "the task changed meanwhile; reload and retry",
            ),
        ));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The office cancels a task and its open subtasks; their to-dos on 浙政钉 are cancelled
/// and their reminders dropped.
#[utoipa::path(post, path = paths::SUPERVISION_TASK_CANCEL, tag = "supervision", security(("bearer" = [])),
    params(("task_id" = String, Path, description = "the task")),
    request_body = CancelTask,
    responses((status = 204, description = "cancelled"),
        (status = 400, description = "invalid_field (reason)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "supervision_forbidden", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "supervision_task_not_found", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "supervision_task_closed", body = Problem, content_type = "application/problem+json")))]
pub async fn cancel(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(task_id): Path<String>,
    ApiJson(body): ApiJson<CancelTask>,
) -> Result<StatusCode, ApiError> {
    let a = actor(&state, &auth).await?;
    a.may(Action::Manage, None)?;
    let reason = body.reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 || reason.chars().any(char::is_control) {
        return Err(invalid(
            "reason",
            "撤销须写明原因（1–200 个字符）",
            "a reason of 1–200 characters is needed",
        )
        .into());
    }
    let (t, model) = visible_task(&state, &a, &task_id).await?;
    if status_of(&t)? != zhelikit_domain::supervision::TaskStatus::Open {
        return Err(task_closed(&t.status));
    }
    let mut ids = vec![t.id.clone()];
    ids.extend(
        model
            .tasks
            .iter()
            .filter(|o| o.id != t.id && o.status == "open" && model.tree.within(&o.id, &t.id))
            .map(|o| o.id.clone()),
    );
    let now = state.clock.now();
    let event = StoredEvent {
        item_id: t.item_id.clone(),
        task_id: Some(t.id.clone()),
        actor: a.person.employee_code.clone(),
        actor_name: a.person.name.clone(),
        action: "cancel".into(),
        detail: format!(
            "撤销{}的任务（含下级任务 {} 项）：{reason}",
            t.unit_name,
            ids.len() - 1
        ),
        at: now,
    };
    let jobs: Vec<_> = ids
        .iter()
        .map(|id| nudges::close_todos_job(id, &[], false, now))
        .collect();
    if !state.store.cancel_tasks(&ids, &event, &jobs, now).await? {
        return Err(task_closed("cancelled"));
    }
    for job in &jobs {
        state.jobs.published(job).await;
    }
    Ok(StatusCode::NO_CONTENT)
}
