//! Supervision's inner API over the [`Context`]: each call one BFF request with the shared
//! crate's wire types; what can be checked on the phone (ids fit for a path, amounts exact to
//! four places, the report's words) is checked here first, and the BFF — which knows the
//! organisation tree — is the final word on everything else.

use std::sync::Arc;

use zhelikit_domain::paths;
use zhelikit_domain::supervision::wire::{
    CancelTask, Dispatch, ItemList, ItemView, MoveTask, NewItem, NewReport, NoticeView, OrgView,
    ReportView, SupervisionMe, TaskList, Urge,
};
use zhelikit_domain::supervision::{Dashboard, Decision, ItemDraft, ReportDraft, TaskDraft};

use crate::context::Context;
use crate::error::{Error, Result};

/// Longest id the SDK puts in a path.
const MAX_ID: usize = 64;

/// An id fit for a path: what the BFF makes (`i…`, `t…`, `r…`), never a `/` or a query.
pub(crate) fn id(field: &'static str, value: &str) -> Result<String> {
    let fits = !value.is_empty()
        && value.len() <= MAX_ID
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if fits {
        Ok(value.to_string())
    } else {
        Err(Error::Input {
            field,
            reason: format!("编号 {value:?} 格式不正确"),
        })
    }
}

/// A request id for one call: sent again on the SDK's own retries, so the item or report is
/// made once.
fn request_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The supervision calls of one client.
#[derive(Clone)]
pub(crate) struct Supervision {
    ctx: Arc<Context>,
}

impl Supervision {
    pub(crate) fn new(ctx: Arc<Context>) -> Self {
        Self { ctx }
    }

    pub(crate) fn context(&self) -> &Arc<Context> {
        &self.ctx
    }

    /// Who the official is in supervision.
    pub(crate) async fn me(&self) -> Result<SupervisionMe> {
        self.ctx.get(paths::SUPERVISION_ME).await
    }

    /// The tree's units and the city's leaders.
    pub(crate) async fn org(&self) -> Result<OrgView> {
        self.ctx.get(paths::SUPERVISION_ORG).await
    }

    /// The items the official sees.
    pub(crate) async fn items(&self) -> Result<ItemList> {
        self.ctx.get(paths::SUPERVISION_ITEMS).await
    }

    /// One item whole.
    pub(crate) async fn item(&self, item_id: &str) -> Result<ItemView> {
        let id = id("item_id", item_id)?;
        self.ctx.get(&paths::supervision_item(&id)).await
    }

    /// Opens an item (made once, whatever the retries).
    pub(crate) async fn create_item(&self, item: ItemDraft) -> Result<ItemView> {
        let body = NewItem {
            request_id: request_id(),
            item,
        };
        self.ctx.post(paths::SUPERVISION_ITEMS, &body).await
    }

    /// Dispatches tasks from the item, or decomposes task `parent`.
    pub(crate) async fn dispatch(
        &self,
        item_id: &str,
        parent: Option<&str>,
        tasks: Vec<TaskDraft>,
    ) -> Result<TaskList> {
        let item = id("item_id", item_id)?;
        let parent = parent.map(|p| id("parent", p)).transpose()?;
        self.ctx
            .post(
                &paths::supervision_item_tasks(&item),
                &Dispatch { parent, tasks },
            )
            .await
    }

    /// The official's open tasks.
    pub(crate) async fn tasks(&self) -> Result<TaskList> {
        self.ctx.get(paths::SUPERVISION_TASKS).await
    }

    /// Reports a task's progress (made once, whatever the retries).
    pub(crate) async fn report(&self, task_id: &str, report: ReportDraft) -> Result<ReportView> {
        let task = id("task_id", task_id)?;
        if report.text.trim().is_empty() {
            return Err(Error::Input {
                field: "text",
                reason: "请填写进展情况".into(),
            });
        }
        let body = NewReport {
            request_id: request_id(),
            report,
        };
        self.ctx
            .post(&paths::supervision_task_reports(&task), &body)
            .await
    }

    /// Approves a report or sends it back with a reason.
    pub(crate) async fn decide(&self, report_id: &str, decision: Decision) -> Result<ReportView> {
        let report = id("report_id", report_id)?;
        decision.check()?;
        self.ctx
            .post(&paths::supervision_report_decision(&report), &decision)
            .await
    }

    /// Urges a task's unit.
    pub(crate) async fn urge(&self, task_id: &str, message: Option<String>) -> Result<NoticeView> {
        let task = id("task_id", task_id)?;
        self.ctx
            .post(&paths::supervision_task_urge(&task), &Urge { message })
            .await
    }

    /// Moves a task under another (or under the item).
    pub(crate) async fn move_task(&self, task_id: &str, parent: Option<&str>) -> Result<()> {
        let task = id("task_id", task_id)?;
        let parent = parent.map(|p| id("parent", p)).transpose()?;
        self.ctx
            .send(
                reqwest::Method::POST,
                &paths::supervision_task_move(&task),
                Some(&MoveTask { parent }),
            )
            .await
    }

    /// Cancels a task and its subtasks.
    pub(crate) async fn cancel(&self, task_id: &str, reason: String) -> Result<()> {
        let task = id("task_id", task_id)?;
        self.ctx
            .send(
                reqwest::Method::POST,
                &paths::supervision_task_cancel(&task),
                Some(&CancelTask { reason }),
            )
            .await
    }

    /// The city-wide figures.
    pub(crate) async fn dashboard(&self) -> Result<Dashboard> {
        self.ctx.get(paths::SUPERVISION_DASHBOARD).await
    }

    /// The figures as an `.xlsx` workbook.
    pub(crate) async fn export(&self) -> Result<Vec<u8>> {
        self.ctx.get_bytes(paths::SUPERVISION_EXPORT).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_cannot_reach_another_path() {
        assert_eq!(
            id("task_id", "t0a1b2c3d4e5f6a7b").ok().as_deref(),
            Some("t0a1b2c3d4e5f6a7b")
        );
        for bad in ["", "../me", "t1?x=1", "t 1", &"t".repeat(65)] {
            assert!(
                matches!(
                    id("task_id", bad),
                    Err(Error::Input {
                        field: "task_id",
                        ..
                    })
                ),
                "{bad:?}"
            );
        }
    }
}
