//! The wire types of `/v1/supervision/...`, shared by the BFF, the SDK and the mini-app.

use serde::{Deserialize, Serialize};

use super::access::Action;
use super::amount::Amount;
use super::item::{ItemDraft, Priority, TaskDraft};
use super::nudge::Nudge;
use super::org::Role;
use super::report::{ReportDraft, ReportStatus, Value};
use super::tree::TaskStatus;
use crate::forms::definition::AttachmentRef;

/// `GET /v1/supervision/me`: who the official is in supervision and what they may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SupervisionMe {
    /// Their role, from the organisation tree.
    pub role: Role,
    /// The role as shown (“督查联络员”).
    pub role_name: String,
    /// Their name.
    pub name: String,
    /// Their unit's code.
    pub unit: String,
    /// Their unit's name.
    pub unit_name: String,
    /// The actions they may take somewhere (on a task of their unit, for unit roles).
    pub may: Vec<Action>,
}

/// A unit of the tree as the mini-app's pickers show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitView {
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its parent's code.
    pub parent: Option<String>,
    /// Its depth (the root is 0).
    pub depth: u32,
}

/// A person as the pickers show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonView {
    /// Employee code.
    pub employee_code: String,
    /// Name.
    pub name: String,
    /// Job title.
    pub title: String,
}

/// `GET /v1/supervision/org`: the units tasks may go to and the city's leaders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgView {
    /// Every unit, parents before children.
    pub units: Vec<UnitView>,
    /// The city leaders who can own an item.
    pub leaders: Vec<PersonView>,
    /// The supervision office's code.
    pub office: String,
}

/// `POST /v1/supervision/items`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewItem {
    /// The device's id of this request (8–64 of `A-Z a-z 0-9 -`), sent again on a retry: the
    /// item is made once.
    pub request_id: String,
    /// The item.
    pub item: ItemDraft,
}

/// An item in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemSummary {
    /// Its id.
    pub id: String,
    /// Title.
    pub title: String,
    /// How urgent.
    pub priority: Priority,
    /// The owner leader's name.
    pub owner_name: String,
    /// Due date, `YYYY-MM-DD`.
    pub due: String,
    /// `active` or `closed`.
    pub status: String,
    /// Progress, in thousandths.
    pub progress_permille: u32,
    /// Tasks that count.
    pub tasks: u32,
    /// Of them, overdue.
    pub overdue: u32,
}

/// `GET /v1/supervision/items`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemList {
    /// The items the official sees, due soonest first.
    pub items: Vec<ItemSummary>,
}

/// One indicator of an item or a task: target and value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IndicatorProgress {
    /// Key.
    pub key: String,
    /// Name.
    pub name: String,
    /// Unit.
    pub unit: String,
    /// Target.
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub target: Amount,
    /// Reached.
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub value: Amount,
    /// Reached over target, in thousandths, capped at 1,000.
    pub completion_permille: u32,
}

/// A task as an official sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskView {
    /// Its id.
    pub id: String,
    /// Its item.
    pub item_id: String,
    /// Its item's title.
    pub item_title: String,
    /// What it was decomposed from.
    pub parent: Option<String>,
    /// Its unit's code.
    pub unit: String,
    /// Its unit's name.
    pub unit_name: String,
    /// What the unit must do.
    pub content: String,
    /// Due date, `YYYY-MM-DD`.
    pub due: String,
    /// Days until it (negative when overdue).
    pub days_left: i64,
    /// Its status.
    pub status: TaskStatus,
    /// Open past its due date.
    pub overdue: bool,
    /// Progress, in thousandths.
    pub progress_permille: u32,
    /// Its targets and values.
    pub targets: Vec<IndicatorProgress>,
    /// Whether it is decomposed (its values come from its subtasks).
    pub decomposed: bool,
    /// The report waiting for the unit's leader.
    pub pending_report: Option<String>,
    /// What the official may do with it.
    pub may: Vec<Action>,
}

/// `GET /v1/supervision/tasks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskList {
    /// The official's open tasks, due soonest first.
    pub tasks: Vec<TaskView>,
}

/// A report as officials see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportView {
    /// Its id.
    pub id: String,
    /// Its task.
    pub task_id: String,
    /// Who reported.
    pub reporter_name: String,
    /// What was done.
    pub text: String,
    /// Values reached.
    pub values: Vec<Value>,
    /// Photos.
    pub photos: Vec<AttachmentRef>,
    /// Whether it asks to close the task.
    pub completes: bool,
    /// Where it is.
    pub status: ReportStatus,
    /// Why it came back.
    pub reason: Option<String>,
    /// Who decided.
    pub decided_by_name: Option<String>,
    /// When reported (RFC 3339).
    pub created_at: String,
    /// When decided (RFC 3339).
    pub decided_at: Option<String>,
}

/// One step in an item's history (every state change: who, when, what).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventView {
    /// When (RFC 3339).
    pub at: String,
    /// Who (a name; “系统” for the scheduler).
    pub actor_name: String,
    /// What, as stored (`dispatch`, `report`, `approve` …).
    pub action: String,
    /// What, in words.
    pub detail: String,
    /// The task it was about.
    pub task_id: Option<String>,
}

/// A notification (and to-do) sent about a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NoticeView {
    /// Its id (the work notification's `bizMsgId`).
    pub id: String,
    /// The task.
    pub task_id: String,
    /// Why.
    pub nudge: Nudge,
    /// Its title.
    pub title: String,
    /// Who it reaches.
    pub receivers: Vec<String>,
    /// When it falls due (RFC 3339).
    pub due_at: String,
    /// When 浙政钉 took it (RFC 3339); none while waiting or retrying.
    pub sent_at: Option<String>,
}

/// `GET /v1/supervision/items/{item_id}`: an item with its tree, reports and history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemView {
    /// The summary.
    pub summary: ItemSummary,
    /// The item as written.
    pub item: ItemDraft,
    /// Its indicators' progress.
    pub indicators: Vec<IndicatorProgress>,
    /// Its tasks the official sees, parents before children.
    pub tasks: Vec<TaskView>,
    /// Their reports, newest first.
    pub reports: Vec<ReportView>,
    /// The history, oldest first.
    pub events: Vec<EventView>,
    /// The notifications sent and scheduled, by when they fall due.
    pub notices: Vec<NoticeView>,
    /// What the official may do with the item (`dispatch`, `manage`).
    pub may: Vec<Action>,
}

/// `POST /v1/supervision/items/{item_id}/tasks`: dispatch from the item, or decompose a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Dispatch {
    /// The task decomposed; none to dispatch from the item.
    #[serde(default)]
    pub parent: Option<String>,
    /// The tasks, 1–100.
    pub tasks: Vec<TaskDraft>,
}

/// `POST /v1/supervision/tasks/{task_id}/move`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MoveTask {
    /// The task to move under; none for directly under the item.
    #[serde(default)]
    pub parent: Option<String>,
}

/// `POST /v1/supervision/tasks/{task_id}/cancel`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CancelTask {
    /// Why, 1–200 characters.
    pub reason: String,
}

/// `POST /v1/supervision/tasks/{task_id}/reports`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewReport {
    /// The device's id of this request, sent again on a retry: the report is made once.
    pub request_id: String,
    /// The report.
    pub report: ReportDraft,
}

/// `POST /v1/supervision/tasks/{task_id}/urge`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Urge {
    /// The office's words, up to 200 characters.
    #[serde(default)]
    pub message: Option<String>,
}
