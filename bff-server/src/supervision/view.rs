//! Stored rows read back into the shared crate's types, and shown as the wire's views.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use zhelikit_domain::policy::format_day;
use zhelikit_domain::supervision::wire::{
    EventView, IndicatorProgress, ItemSummary, NoticeView, ReportView, TaskView,
};
use zhelikit_domain::supervision::{
    Action, Amount, ItemDraft, Node, Nudge, ReportDraft, ReportStatus, Rollup, Target, TaskStatus,
    Tree,
};

use super::Actor;
use crate::app::AppState;
use crate::http::problem::ApiError;
use crate::storage::{StoredEvent, StoredItem, StoredNotice, StoredReport, StoredTask};

/// A receiver of a notice, as kept on it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Receiver {
    pub account_id: i64,
    pub name: String,
}

fn corrupt(what: &str, id: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(format!("{what} {id} unreadable: {e}"))
}

/// A task's targets as kept.
pub(crate) fn targets_of(t: &StoredTask) -> Result<Vec<Target>, ApiError> {
    serde_json::from_str(&t.targets).map_err(|e| corrupt("task targets", &t.id, e))
}

/// A task's approved values as kept.
pub(crate) fn reported_of(t: &StoredTask) -> Result<BTreeMap<String, Amount>, ApiError> {
    serde_json::from_str(&t.reported).map_err(|e| corrupt("task values", &t.id, e))
}

/// A task's status as kept.
pub(crate) fn status_of(t: &StoredTask) -> Result<TaskStatus, ApiError> {
    TaskStatus::parse(&t.status).ok_or_else(|| corrupt("task status", &t.id, &t.status))
}

/// An item as written.
pub(crate) fn draft_of(i: &StoredItem) -> Result<ItemDraft, ApiError> {
    serde_json::from_str(&i.draft).map_err(|e| corrupt("item", &i.id, e))
}

/// The tree's node of a task.
fn node(t: &StoredTask) -> Result<Node, ApiError> {
    Ok(Node {
        id: t.id.clone(),
        parent: t.parent_id.clone(),
        unit: t.unit_code.clone(),
        due: t.due_day,
        status: status_of(t)?,
        targets: targets_of(t)?
            .into_iter()
            .map(|t| (t.key, t.target))
            .collect(),
        reported: reported_of(t)?,
    })
}

/// An item with its tasks, their tree and its rollup.
pub(crate) struct Model {
    pub item: StoredItem,
    pub draft: ItemDraft,
    pub tasks: Vec<StoredTask>,
    pub tree: Tree,
    pub rollup: Rollup,
}

impl Model {
    /// The model of `item` and its `tasks`.
    pub fn new(item: StoredItem, tasks: Vec<StoredTask>) -> Result<Model, ApiError> {
        let draft = draft_of(&item)?;
        let nodes = tasks.iter().map(node).collect::<Result<Vec<_>, _>>()?;
        let tree = Tree::new(nodes).map_err(|e| corrupt("task tree of item", &item.id, e))?;
        let rollup = tree.rollup();
        Ok(Model {
            item,
            draft,
            tasks,
            tree,
            rollup,
        })
    }

    /// The model of item `id`, if there is one.
    pub async fn load(state: &AppState, id: &str) -> Result<Option<Model>, ApiError> {
        let Some(item) = state.store.supervision_item(id).await? else {
            return Ok(None);
        };
        let tasks = state.store.tasks_of_item(id).await?;
        Model::new(item, tasks).map(Some)
    }

    /// The task `id` of the item.
    pub fn task(&self, id: &str) -> Option<&StoredTask> {
        self.tasks.iter().find(|t| t.id == id)
    }

    /// The item's indicators: targets and values.
    pub fn indicators(&self) -> Vec<IndicatorProgress> {
        let values = self.rollup.item_values(&self.tree);
        self.draft
            .indicators
            .iter()
            .map(|i| {
                let value = values.get(&i.key).copied().unwrap_or_default();
                IndicatorProgress {
                    key: i.key.clone(),
                    name: i.name.clone(),
                    unit: i.unit.clone(),
                    target: i.target,
                    value,
                    completion_permille: value.permille_of(i.target),
                }
            })
            .collect()
    }

    /// The item's progress.
    pub fn progress(&self) -> u32 {
        let targets = self
            .draft
            .indicators
            .iter()
            .map(|i| (i.key.clone(), i.target))
            .collect();
        self.rollup.item_progress(&self.tree, &targets)
    }

    /// The item in a list.
    pub fn summary(&self, today: i64) -> ItemSummary {
        let counting = self.tasks.iter().filter(|t| t.status != "cancelled");
        let (tasks, overdue) = counting.fold((0, 0), |(n, o), t| {
            (
                n + 1,
                o + u32::from(t.status == "open" && today > t.due_day),
            )
        });
        ItemSummary {
            id: self.item.id.clone(),
            title: self.item.title.clone(),
            priority: self.draft.priority,
            owner_name: self.item.owner_name.clone(),
            due: format_day(self.item.due_day),
            status: self.item.status.clone(),
            progress_permille: self.progress(),
            tasks,
            overdue,
        }
    }

    /// A task as `actor` sees it; `pending` is its report waiting for the leader.
    pub fn task_view(
        &self,
        t: &StoredTask,
        actor: &Actor,
        today: i64,
        pending: Option<&str>,
    ) -> TaskView {
        let status = TaskStatus::parse(&t.status).unwrap_or(TaskStatus::Cancelled);
        let open = status == TaskStatus::Open;
        let decomposed = self.tree.is_decomposed(&t.id);
        let values = self.rollup.values.get(&t.id);
        let targets = targets_of(t)
            .unwrap_or_default()
            .into_iter()
            .map(|target| {
                let indicator = self.draft.indicators.iter().find(|i| i.key == target.key);
                let value = values
                    .and_then(|v| v.get(&target.key))
                    .copied()
                    .unwrap_or_default();
                IndicatorProgress {
                    name: indicator.map(|i| i.name.clone()).unwrap_or_default(),
                    unit: indicator.map(|i| i.unit.clone()).unwrap_or_default(),
                    completion_permille: value.permille_of(target.target),
                    key: target.key,
                    target: target.target,
                    value,
                }
            })
            .collect();
        let mut may = Vec::new();
        if open {
            let unit = Some(t.unit_code.as_str());
            for a in actor.actions(
                &[
                    Action::Decompose,
                    Action::Report,
                    Action::Decide,
                    Action::Urge,
                    Action::Manage,
                ],
                unit,
            ) {
                let fits = match a {
                    Action::Report => pending.is_none(),
                    Action::Decide => pending.is_some(),
                    _ => true,
                };
                if fits {
                    may.push(a);
                }
            }
        }
        TaskView {
            id: t.id.clone(),
            item_id: t.item_id.clone(),
            item_title: self.item.title.clone(),
            parent: t.parent_id.clone(),
            unit: t.unit_code.clone(),
            unit_name: t.unit_name.clone(),
            content: t.content.clone(),
            due: format_day(t.due_day),
            days_left: t.due_day - today,
            status,
            overdue: open && today > t.due_day,
            progress_permille: self.rollup.progress.get(&t.id).copied().unwrap_or(0),
            targets,
            decomposed,
            pending_report: pending.map(str::to_string),
            may,
        }
    }

    /// The indicators a task has a target for.
    pub fn target_keys(&self, t: &StoredTask) -> BTreeSet<String> {
        targets_of(t)
            .unwrap_or_default()
            .into_iter()
            .map(|t| t.key)
            .collect()
    }
}

/// Each task's report waiting for a leader.
pub(crate) fn pending_by_task(reports: &[StoredReport]) -> HashMap<String, String> {
    reports
        .iter()
        .filter(|r| r.status == ReportStatus::Pending.as_str())
        .map(|r| (r.task_id.clone(), r.id.clone()))
        .collect()
}

/// A report as shown.
pub(crate) fn report_view(r: &StoredReport) -> Result<ReportView, ApiError> {
    let body: ReportDraft =
        serde_json::from_str(&r.body).map_err(|e| corrupt("report", &r.id, e))?;
    Ok(ReportView {
        id: r.id.clone(),
        task_id: r.task_id.clone(),
        reporter_name: r.reporter_name.clone(),
        text: body.text,
        values: body.values,
        photos: body.photos,
        completes: body.completes,
        status: ReportStatus::parse(&r.status)
            .ok_or_else(|| corrupt("report status", &r.id, &r.status))?,
        reason: r.reason.clone(),
        decided_by_name: r.decided_by_name.clone(),
        created_at: r.created_at.to_rfc3339(),
        decided_at: r.decided_at.map(|d| d.to_rfc3339()),
    })
}

/// A history line as shown.
pub(crate) fn event_view(e: &StoredEvent) -> EventView {
    EventView {
        at: e.at.to_rfc3339(),
        actor_name: e.actor_name.clone(),
        action: e.action.clone(),
        detail: e.detail.clone(),
        task_id: e.task_id.clone(),
    }
}

/// A notice as shown.
pub(crate) fn notice_view(n: &StoredNotice) -> Result<NoticeView, ApiError> {
    let nudge = Nudge::parse(&n.nudge).ok_or_else(|| corrupt("notice", &n.id, &n.nudge))?;
    let receivers: Vec<Receiver> =
        serde_json::from_str(&n.receivers).map_err(|e| corrupt("notice receivers", &n.id, e))?;
    Ok(NoticeView {
        id: n.id.clone(),
        task_id: n.task_id.clone(),
        nudge,
        title: n.title.clone().unwrap_or_else(|| nudge.zh().to_string()),
        receivers: receivers.into_iter().map(|r| r.name).collect(),
        due_at: n.due_at.to_rfc3339(),
        sent_at: n.sent_at.map(|d| d.to_rfc3339()),
    })
}
