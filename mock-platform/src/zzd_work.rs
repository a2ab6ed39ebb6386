//! 浙政钉 work notifications (工作通知) and to-dos (待办): what an app sends to officials, kept
//! so that tests and the simulator can see what each official received.
//!
//! Both are idempotent by the caller's id (`bizMsgId`, `bizTaskId`): the same id again answers
//! the first sending and delivers nothing new, so a caller that retries after a lost answer
//! does not notify twice; the same id with other content is refused. The messaging APIs can be
//! switched down ([`MESSAGING_PATH`]) to test that a caller delivers later, none lost.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response as HttpResponse};
use axum::routing::{get, post, put};
use axum::{Extension, Json, Router};
use chrono::{DateTime, Utc};
use platform_api::zzd::{
    codes, MessageSent, Response, TodoCreated, WorkMessage, MAX_RECEIVERS, REVOKE_MESSAGE_PATH,
    TODO_CANCEL_PATH, TODO_CREATE_PATH, TODO_FINISH_PATH, WORK_NOTIFICATION_PATH,
};
use serde::{Deserialize, Serialize};

use crate::gateway::ZzdCaller;
use crate::grants::random_hex;
use crate::params::Params;
use crate::zzd::check_org_call;
use crate::MockState;

/// `GET`: what the official `{accountId}` received: `{notifications, todos}`.
pub const RECEIVED_PATH: &str = "/__admin/zzd/received/{account_id}";
/// `GET`: every message and to-do sent, and how many calls were refused while down.
/// `DELETE`: forget them all.
pub const SENT_PATH: &str = "/__admin/zzd/sent";
/// `PUT {"down": true}`: the messaging APIs answer HTTP 503 until `{"down": false}`.
pub const MESSAGING_PATH: &str = "/__admin/zzd/messaging";

/// Longest caller id of a message or to-do.
const MAX_BIZ_ID: usize = 64;

/// A work notification as sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SentMessage {
    /// The platform's id.
    pub msg_id: String,
    /// The caller's id.
    pub biz_msg_id: String,
    /// The app that sent it.
    pub app_key: String,
    /// Its receivers' account ids.
    pub receivers: Vec<i64>,
    /// The card's title.
    pub title: String,
    /// Its text.
    pub content: String,
    /// The page it opens.
    pub url: String,
    /// When sent (the platform's clock).
    pub sent_at: DateTime<Utc>,
    /// Whether revoked since.
    pub revoked: bool,
    /// How many calls sent it (a retry with the same `bizMsgId` is answered, not delivered).
    pub asked: u32,
}

/// Where a to-do is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TodoStatus {
    /// Waiting for its assignee.
    Open,
    /// Done.
    Finished,
    /// Withdrawn.
    Cancelled,
}

/// A to-do as created.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Todo {
    /// The platform's id.
    pub task_uuid: String,
    /// The caller's id.
    pub biz_task_id: String,
    /// The app that created it.
    pub app_key: String,
    /// What is asked.
    pub subject: String,
    /// Who asks (account id).
    pub creator_id: i64,
    /// Who must do it (account id).
    pub assignee_id: i64,
    /// The page it opens.
    pub url: String,
    /// Its due time, Unix milliseconds.
    pub due_date: Option<i64>,
    /// Where it is.
    pub status: TodoStatus,
    /// When created (the platform's clock).
    pub created_at: DateTime<Utc>,
}

/// Every message and to-do sent, and the down switch.
#[derive(Debug, Default)]
pub struct Work {
    messages: Mutex<Vec<SentMessage>>,
    todos: Mutex<Vec<Todo>>,
    down: AtomicBool,
    refused: AtomicU64,
}

impl Work {
    fn messages(&self) -> std::sync::MutexGuard<'_, Vec<SentMessage>> {
        self.messages.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn todos(&self) -> std::sync::MutexGuard<'_, Vec<Todo>> {
        self.todos.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The messaging APIs, to be mounted behind the 浙政钉 gateway.
pub fn server_routes() -> Router<MockState> {
    Router::new()
        .route(WORK_NOTIFICATION_PATH, post(work_notification))
        .route(REVOKE_MESSAGE_PATH, post(revoke))
        .route(TODO_CREATE_PATH, post(create_todo))
        .route(TODO_FINISH_PATH, post(finish_todo))
        .route(TODO_CANCEL_PATH, post(cancel_todo))
}

/// The admin routes.
pub fn admin_routes() -> Router<MockState> {
    Router::new()
        .route(RECEIVED_PATH, get(received))
        .route(SENT_PATH, get(sent).delete(forget))
        .route(MESSAGING_PATH, put(set_messaging))
}

type Answer<T> = Json<Response<T>>;

fn error<T>(code: &str, message: &str) -> Answer<T> {
    Json(Response::error(code, message))
}

/// One messaging call: refused with 503 while down; else the form parsed, token and tenant
/// checked, then `answer`.
fn work_call<T: Serialize>(
    state: &MockState,
    caller: &ZzdCaller,
    body: &Bytes,
    answer: impl FnOnce(&Params) -> Result<T, Answer<T>>,
) -> HttpResponse {
    if state.work.down.load(Ordering::SeqCst) {
        state.work.refused.fetch_add(1, Ordering::SeqCst);
        let body = serde_json::json!({"success": false, "errorCode": "SERVICE_UNAVAILABLE", "errorMsg": "消息服务暂不可用"});
        return (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
    }
    let params = Params::parse_body(body);
    let answered = match check_org_call::<T>(state, caller, &params) {
        Ok(()) => match answer(&params) {
            Ok(data) => Json(Response::ok(data)),
            Err(refused) => refused,
        },
        Err(refused) => refused,
    };
    answered.into_response()
}

fn biz_id<'p, T>(params: &'p Params, name: &str) -> Result<&'p str, Answer<T>> {
    let id = params
        .get(name)
        .ok_or_else(|| error(codes::PARAM_INVALID, &format!("{name} is required")))?;
    if id.len() > MAX_BIZ_ID || !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(error(
            codes::PARAM_INVALID,
            &format!("{name} must be 1–{MAX_BIZ_ID} printable characters"),
        ));
    }
    Ok(id)
}

fn account<T>(state: &MockState, params: &Params, name: &str) -> Result<i64, Answer<T>> {
    let id = params
        .get(name)
        .ok_or_else(|| error(codes::PARAM_INVALID, &format!("{name} is required")))?
        .parse::<i64>()
        .map_err(|_| {
            error(
                codes::PARAM_INVALID,
                &format!("{name} must be an account id"),
            )
        })?;
    state
        .fixtures
        .official_by_account(id)
        .map(|o| o.account_id)
        .ok_or_else(|| error(codes::NOT_FOUND, &format!("no account {id}")))
}

async fn work_notification(
    State(state): State<MockState>,
    Extension(caller): Extension<ZzdCaller>,
    body: Bytes,
) -> HttpResponse {
    work_call(&state, &caller, &body, |params| {
        let biz_msg_id = biz_id(params, "bizMsgId")?;
        let receivers_text = params
            .get("receiverIds")
            .ok_or_else(|| error(codes::PARAM_INVALID, "receiverIds is required"))?;
        let mut receivers = Vec::new();
        for id in receivers_text.split(',').map(str::trim) {
            let id: i64 = id.parse().map_err(|_| {
                error(
                    codes::PARAM_INVALID,
                    &format!("receiverIds: {id:?} is not an account id"),
                )
            })?;
            if state.fixtures.official_by_account(id).is_none() {
                return Err(error(
                    codes::NOT_FOUND,
                    &format!("receiverIds: no account {id}"),
                ));
            }
            if !receivers.contains(&id) {
                receivers.push(id);
            }
        }
        if receivers.is_empty() || receivers.len() > MAX_RECEIVERS {
            return Err(error(
                codes::PARAM_INVALID,
                &format!("receiverIds must name 1–{MAX_RECEIVERS} accounts"),
            ));
        }
        let msg: WorkMessage = params
            .get("msg")
            .ok_or_else(|| error(codes::PARAM_INVALID, "msg is required"))
            .and_then(|m| {
                serde_json::from_str(m).map_err(|e| {
                    error(codes::PARAM_INVALID, &format!("msg is not an OA card: {e}"))
                })
            })?;
        if msg.msgtype != "oa" || msg.oa.body.title.is_empty() || msg.oa.body.content.is_empty() {
            return Err(error(
                codes::PARAM_INVALID,
                "msg must be an oa card with a title and content",
            ));
        }
        let mut messages = state.work.messages();
        if let Some(first) = messages
            .iter_mut()
            .find(|m| m.app_key == caller.app_key && m.biz_msg_id == biz_msg_id)
        {
            first.asked += 1;
            let same = first.receivers == receivers
                && first.title == msg.oa.body.title
                && first.content == msg.oa.body.content;
            return if same {
                Ok(MessageSent {
                    msg_id: first.msg_id.clone(),
                })
            } else {
                Err(error(
                    codes::PARAM_INVALID,
                    "bizMsgId was used for another message",
                ))
            };
        }
        let msg_id = random_hex();
        tracing::info!(
            biz_msg_id,
            receivers = receivers.len(),
            "浙政钉 work notification"
        );
        messages.push(SentMessage {
            msg_id: msg_id.clone(),
            biz_msg_id: biz_msg_id.to_string(),
            app_key: caller.app_key.clone(),
            receivers,
            title: msg.oa.body.title,
            content: msg.oa.body.content,
            url: msg.oa.message_url,
            sent_at: state.clock.now(),
            revoked: false,
            asked: 1,
        });
        Ok(MessageSent { msg_id })
    })
}

async fn revoke(
    State(state): State<MockState>,
    Extension(caller): Extension<ZzdCaller>,
    body: Bytes,
) -> HttpResponse {
    work_call(&state, &caller, &body, |params| {
        let biz_msg_id = biz_id(params, "bizMsgId")?;
        let mut messages = state.work.messages();
        let m = messages
            .iter_mut()
            .find(|m| m.app_key == caller.app_key && m.biz_msg_id == biz_msg_id)
            .ok_or_else(|| error(codes::NOT_FOUND, "no such message"))?;
        m.revoked = true;
        Ok(true)
    })
}

async fn create_todo(
    State(state): State<MockState>,
    Extension(caller): Extension<ZzdCaller>,
    body: Bytes,
) -> HttpResponse {
    work_call(&state, &caller, &body, |params| {
        let biz_task_id = biz_id(params, "bizTaskId")?;
        let subject = params
            .get("subject")
            .filter(|s| s.chars().count() <= 200)
            .ok_or_else(|| {
                error(
                    codes::PARAM_INVALID,
                    "subject is required (≤ 200 characters)",
                )
            })?;
        let creator_id = account(&state, params, "creatorId")?;
        let assignee_id = account(&state, params, "assigneeId")?;
        let url = params
            .get("mobileUrl")
            .or_else(|| params.get("url"))
            .ok_or_else(|| error(codes::PARAM_INVALID, "url or mobileUrl is required"))?;
        let due_date =
            match params.get("dueDate") {
                None => None,
                Some(d) => Some(d.parse::<i64>().map_err(|_| {
                    error(codes::PARAM_INVALID, "dueDate must be Unix milliseconds")
                })?),
            };
        let mut todos = state.work.todos();
        if let Some(first) = todos
            .iter()
            .find(|t| t.app_key == caller.app_key && t.biz_task_id == biz_task_id)
        {
            return if first.assignee_id == assignee_id && first.subject == subject {
                Ok(TodoCreated {
                    task_uuid: first.task_uuid.clone(),
                })
            } else {
                Err(error(
                    codes::PARAM_INVALID,
                    "bizTaskId was used for another to-do",
                ))
            };
        }
        let task_uuid = random_hex();
        todos.push(Todo {
            task_uuid: task_uuid.clone(),
            biz_task_id: biz_task_id.to_string(),
            app_key: caller.app_key.clone(),
            subject: subject.to_string(),
            creator_id,
            assignee_id,
            url: url.to_string(),
            due_date,
            status: TodoStatus::Open,
            created_at: state.clock.now(),
        });
        Ok(TodoCreated { task_uuid })
    })
}

/// Moves the caller's to-do `taskUuid` from open to `to`; closing it again the same way is
/// harmless, the other way refused.
fn close_todo(
    state: &MockState,
    caller: &ZzdCaller,
    params: &Params,
    to: TodoStatus,
) -> Result<bool, Answer<bool>> {
    let uuid = params
        .get("taskUuid")
        .ok_or_else(|| error(codes::PARAM_INVALID, "taskUuid is required"))?;
    let mut todos = state.work.todos();
    let t = todos
        .iter_mut()
        .find(|t| t.app_key == caller.app_key && t.task_uuid == uuid)
        .ok_or_else(|| error(codes::NOT_FOUND, "no such to-do"))?;
    match t.status {
        TodoStatus::Open => {
            t.status = to;
            Ok(true)
        }
        s if s == to => Ok(true),
        _ => Err(error(codes::TODO_CLOSED, "the to-do is closed already")),
    }
}

async fn finish_todo(
    State(state): State<MockState>,
    Extension(caller): Extension<ZzdCaller>,
    body: Bytes,
) -> HttpResponse {
    work_call(&state, &caller, &body, |params| {
        close_todo(&state, &caller, params, TodoStatus::Finished)
    })
}

async fn cancel_todo(
    State(state): State<MockState>,
    Extension(caller): Extension<ZzdCaller>,
    body: Bytes,
) -> HttpResponse {
    work_call(&state, &caller, &body, |params| {
        close_todo(&state, &caller, params, TodoStatus::Cancelled)
    })
}

/// What one official received.
#[derive(Debug, Serialize)]
struct Received {
    notifications: Vec<SentMessage>,
    todos: Vec<Todo>,
}

async fn received(State(state): State<MockState>, Path(account_id): Path<i64>) -> Json<Received> {
    let notifications = state
        .work
        .messages()
        .iter()
        .filter(|m| m.receivers.contains(&account_id) && !m.revoked)
        .cloned()
        .collect();
    let todos = state
        .work
        .todos()
        .iter()
        .filter(|t| t.assignee_id == account_id)
        .cloned()
        .collect();
    Json(Received {
        notifications,
        todos,
    })
}

async fn sent(State(state): State<MockState>) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "notifications": *state.work.messages(),
        "todos": *state.work.todos(),
        "refusedWhileDown": state.work.refused.load(Ordering::SeqCst),
    }))
}

async fn forget(State(state): State<MockState>) -> StatusCode {
    state.work.messages().clear();
    state.work.todos().clear();
    state.work.refused.store(0, Ordering::SeqCst);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct Messaging {
    down: bool,
}

async fn set_messaging(State(state): State<MockState>, body: Bytes) -> HttpResponse {
    match serde_json::from_slice::<Messaging>(&body) {
        Ok(Messaging { down }) => {
            state.work.down.store(down, Ordering::SeqCst);
            tracing::info!(down, "浙政钉 messaging switched");
            Json(serde_json::json!({"down": down})).into_response()
        }
        Err(e) => (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({"error": format!("expected {{\"down\": true|false}}: {e}")})),
        )
            .into_response(),
    }
}
