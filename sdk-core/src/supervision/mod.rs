//! 政务督查 for an official's app on 浙政钉: who they are in supervision, their tasks, an
//! item with its task tree, opening an item, dispatching and decomposing, reporting progress,
//! deciding on a report, urging, the city-wide figures and their `.xlsx` report. Mini-apps
//! reach the same calls through the bridge's `zhelikit.supervision.*` methods.
//!
//! Every call needs a 浙政钉 session of a mini-app with scope `supervision`; what the official
//! may do comes from the organisation tree, which the BFF reads (a refusal is `Server` with
//! code `supervision_forbidden`, and its message says the role and the action).
//!
//! [`SupervisionClient`] is the exported surface over the inner [`Supervision`](inner::Supervision).

pub(crate) mod inner;
mod types;

pub(crate) use inner::Supervision;
pub use types::{
    IndicatorInput, IndicatorProgress, ItemInput, ReportInput, ReportedValue, SupervisionEvent,
    SupervisionFigures, SupervisionItem, SupervisionNotice, SupervisionProfile, SupervisionReport,
    SupervisionTask, TargetInput, TaskInput, UnitFigures,
};

use zhelikit_domain::supervision::Decision;

use crate::error::SdkError;

/// Supervision's calls. Obtain it with `client.supervision()`.
#[derive(uniffi::Object)]
pub struct SupervisionClient {
    inner: Supervision,
}

impl SupervisionClient {
    pub(crate) fn new(inner: Supervision) -> Self {
        Self { inner }
    }
}

#[uniffi::export]
impl SupervisionClient {
    /// Who the official is in supervision — role and unit from the organisation tree — and
    /// what they may do.
    ///
    /// Errors: `NotLoggedIn`, `SessionExpired`, `ForbiddenScope` (needs `supervision`),
    /// `Server` with code `user_kind_not_allowed` (not an official's session) or
    /// `supervision_not_in_org`.
    pub async fn profile(&self) -> Result<SupervisionProfile, SdkError> {
        let inner = self.inner.clone();
        self.inner
            .context()
            .run(async move { Ok(types::profile(&inner.me().await?)) })
            .await
    }

    /// The official's open tasks, due soonest first: their unit's for a unit's leader or
    /// contact, those of the items they own for a city leader, every unit's for the office.
    pub async fn my_tasks(&self) -> Result<Vec<SupervisionTask>, SdkError> {
        let inner = self.inner.clone();
        self.inner
            .context()
            .run(async move { Ok(inner.tasks().await?.tasks.iter().map(types::task).collect()) })
            .await
    }

    /// One item with what the official sees of it: tasks, reports, history, notifications.
    ///
    /// Errors: as [`Self::profile`], and `Server` with code `supervision_item_not_found`.
    pub async fn item(&self, item_id: String) -> Result<SupervisionItem, SdkError> {
        let inner = self.inner.clone();
        self.inner
            .context()
            .run(async move { Ok(types::item(&inner.item(&item_id).await?)) })
            .await
    }

    /// Opens an item (立项; a city leader or the office). Made once, however often the SDK
    /// retries. Errors: `InvalidInput` for an amount that is not decimal text, `Server` with
    /// code `invalid_field` (and the field) for anything else the BFF refuses.
    pub async fn create_item(&self, item: ItemInput) -> Result<SupervisionItem, SdkError> {
        let inner = self.inner.clone();
        self.inner
            .context()
            .run(async move {
                let draft = types::item_input(item)?;
                Ok(types::item(&inner.create_item(draft).await?))
            })
            .await
    }

    /// Dispatches tasks from the item (交办; the office), or decomposes the task `parent` to
    /// the units below its unit (分解; that unit's leader). Each task is due no later than
    /// what it comes from; reminders are scheduled with it.
    pub async fn dispatch(
        &self,
        item_id: String,
        parent: Option<String>,
        tasks: Vec<TaskInput>,
    ) -> Result<Vec<SupervisionTask>, SdkError> {
        let inner = self.inner.clone();
        self.inner
            .context()
            .run(async move {
                let drafts = tasks
                    .into_iter()
                    .map(types::task_input)
                    .collect::<Result<Vec<_>, _>>()?;
                let made = inner.dispatch(&item_id, parent.as_deref(), drafts).await?;
                Ok(made.tasks.iter().map(types::task).collect())
            })
            .await
    }

    /// Reports a task's progress (反馈; the unit's contact): made once, however often the
    /// SDK retries. Errors: `InvalidInput`, `Server` with code `invalid_field` (a value in
    /// another unit, a fraction of a whole-number indicator), `supervision_report_pending`,
    /// `supervision_task_closed`.
    pub async fn report(
        &self,
        task_id: String,
        report: ReportInput,
    ) -> Result<SupervisionReport, SdkError> {
        let inner = self.inner.clone();
        self.inner
            .context()
            .run(async move {
                let draft = types::report_input(report)?;
                Ok(types::report(&inner.report(&task_id, draft).await?))
            })
            .await
    }

    /// Approves a report (its values count; a report saying the task is finished closes it)
    /// or sends it back with `reason` (审核; the task unit's leader).
    pub async fn decide(
        &self,
        report_id: String,
        approve: bool,
        reason: Option<String>,
    ) -> Result<SupervisionReport, SdkError> {
        let inner = self.inner.clone();
        self.inner
            .context()
            .run(async move {
                let decided = inner
                    .decide(&report_id, Decision { approve, reason })
                    .await?;
                Ok(types::report(&decided))
            })
            .await
    }

    /// Urges a task's unit (催办; the office or a city leader): its contacts get a 浙政钉 work
    /// notification and a to-do. Returns the notification as scheduled.
    pub async fn urge(
        &self,
        task_id: String,
        message: Option<String>,
    ) -> Result<SupervisionNotice, SdkError> {
        let inner = self.inner.clone();
        self.inner
            .context()
            .run(async move {
                let n = inner.urge(&task_id, message).await?;
                Ok(SupervisionNotice {
                    id: n.id,
                    task_id: n.task_id,
                    nudge: n.nudge.as_str().to_string(),
                    title: n.title,
                    receivers: n.receivers,
                    due_at: n.due_at,
                    sent_at: n.sent_at,
                })
            })
            .await
    }

    /// The city-wide figures (city leaders and the office).
    pub async fn figures(&self) -> Result<SupervisionFigures, SdkError> {
        let inner = self.inner.clone();
        self.inner
            .context()
            .run(async move { Ok(types::figures(&inner.dashboard().await?)) })
            .await
    }

    /// The same figures as an `.xlsx` workbook (统计报表), for the app to save or share.
    pub async fn export_report(&self) -> Result<Vec<u8>, SdkError> {
        let inner = self.inner.clone();
        self.inner
            .context()
            .run(async move { inner.export().await })
            .await
    }
}
