//! 政务督查: items, their task trees, reports, the history of every change, the notifications
//! scheduled and sent, and the to-dos created on 浙政钉. What a change writes — the rows, its
//! history line, the notifications it causes and their jobs — is one transaction: a change is
//! kept whole or not at all.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{NewJob, StoreResult};

/// An item as kept.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredItem {
    /// Its id.
    pub id: String,
    /// Who made it and their request id (`{employee}:{request_id}`): the item is made once.
    pub request_key: String,
    /// The 浙政钉 mini-app it was made in (its notifications come from that app).
    pub mini_app_id: String,
    /// Its title.
    pub title: String,
    /// The item as written, JSON.
    pub draft: String,
    /// The owner leader's employee code.
    pub owner: String,
    /// Their name.
    pub owner_name: String,
    /// Its last day.
    pub due_day: i64,
    /// `urgent`, `high`, `normal`.
    pub priority: String,
    /// `active` or `closed`.
    pub status: String,
    /// Who made it (employee code).
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A task as kept.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredTask {
    /// Its id.
    pub id: String,
    /// Its item.
    pub item_id: String,
    /// What it was decomposed from.
    pub parent_id: Option<String>,
    /// Its unit's code.
    pub unit_code: String,
    /// Its unit's name when dispatched.
    pub unit_name: String,
    /// What the unit must do.
    pub content: String,
    /// Its last day.
    pub due_day: i64,
    /// Its targets, JSON `[{key, target}]`.
    pub targets: String,
    /// The values of its approved reports, JSON `{key: amount}`.
    pub reported: String,
    /// `open`, `done`, `cancelled`.
    pub status: String,
    /// The day it was done.
    pub done_day: Option<i64>,
    /// How many reports it has had (each new round of reminders asks for the next).
    pub reports: i32,
    /// When dispatched.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A report as kept.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredReport {
    /// Its id.
    pub id: String,
    /// `{employee}:{request_id}`: the report is made once.
    pub request_key: String,
    /// Its task.
    pub task_id: String,
    /// Its item.
    pub item_id: String,
    /// The reporter's employee code.
    pub reporter: String,
    /// Their name.
    pub reporter_name: String,
    /// The report as written, JSON.
    pub body: String,
    /// `pending`, `approved`, `rejected`.
    pub status: String,
    /// Why it came back.
    pub reason: Option<String>,
    /// Who decided (employee code).
    pub decided_by: Option<String>,
    /// Their name.
    pub decided_by_name: Option<String>,
    /// When reported.
    pub created_at: DateTime<Utc>,
    /// When decided.
    pub decided_at: Option<DateTime<Utc>>,
}

/// One line of an item's history.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    /// The item.
    pub item_id: String,
    /// The task, when about one.
    pub task_id: Option<String>,
    /// Who (employee code, or `system`).
    pub actor: String,
    /// Their name.
    pub actor_name: String,
    /// What (`create`, `dispatch`, `report` …).
    pub action: String,
    /// What, in words.
    pub detail: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// A notification about a task, scheduled or sent.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredNotice {
    /// Its id, which is also its `bizMsgId` on 浙政钉.
    pub id: String,
    /// The item.
    pub item_id: String,
    /// The task.
    pub task_id: String,
    /// Why (`due_soon`, `urge` …).
    pub nudge: String,
    /// The office's words (urging) or the leader's reason (returning).
    pub note: Option<String>,
    /// When it falls due.
    pub due_at: DateTime<Utc>,
    /// `scheduled`, `sent`, `skipped` (the task closed before it fell due).
    pub status: String,
    /// Its title, once sent.
    pub title: Option<String>,
    /// Its receivers, JSON `[{account_id, name}]`, once sent.
    pub receivers: String,
    /// When 浙政钉 took it.
    pub sent_at: Option<DateTime<Utc>>,
}

/// A to-do created on 浙政钉.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredTodo {
    /// Its `bizTaskId`.
    pub biz_task_id: String,
    /// The task it is about.
    pub task_id: String,
    /// The report, for a review to-do.
    pub report_id: Option<String>,
    /// `report`, `review`, `escalation`.
    pub kind: String,
    /// Its assignee.
    pub account_id: i64,
    /// 浙政钉's id of it.
    pub task_uuid: String,
    /// `open`, `finished`, `cancelled`.
    pub status: String,
    /// The mini-app it was created as.
    pub mini_app_id: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A decision on a report, and what it does to the task.
#[derive(Debug, Clone, PartialEq)]
pub struct Decided {
    /// The report.
    pub report_id: String,
    /// `approved` or `rejected`.
    pub status: String,
    /// Why it came back.
    pub reason: Option<String>,
    /// Who decided.
    pub decided_by: String,
    /// Their name.
    pub decided_by_name: String,
    /// When.
    pub at: DateTime<Utc>,
    /// On approval: the task's values now, JSON; and the day it is done, when the report
    /// closes it. The task must still be open.
    pub task: Option<(String, Option<i64>)>,
}

/// What writing a report did.
#[derive(Debug, Clone, PartialEq)]
pub enum ReportTaken {
    /// Written.
    Taken,
    /// Written before under the same request: here it is.
    Exists(Box<StoredReport>),
    /// Another report of the task waits for its leader.
    Pending,
    /// The task is not open.
    Closed,
}

/// What the supervision data is kept in.
#[async_trait]
pub trait SupervisionStore: Send + Sync {
    /// Writes an item and its first history line; the item made before under the same
    /// request key, if there was one (nothing written then).
    async fn insert_item(
        &self,
        item: &StoredItem,
        event: &StoredEvent,
    ) -> StoreResult<Option<StoredItem>>;
    /// One item.
    async fn supervision_item(&self, id: &str) -> StoreResult<Option<StoredItem>>;
    /// Every item, due soonest first.
    async fn supervision_items(&self) -> StoreResult<Vec<StoredItem>>;
    /// The ids of the items with a task in one of `units`.
    async fn items_with_tasks_in(&self, units: &[String]) -> StoreResult<Vec<String>>;
    /// An item's tasks, in the order dispatched.
    async fn tasks_of_item(&self, item_id: &str) -> StoreResult<Vec<StoredTask>>;
    /// Every task of the items `status` (`active`), for the figures.
    async fn tasks_of_items_in(&self, status: &str) -> StoreResult<Vec<StoredTask>>;
    /// One task.
    async fn supervision_task(&self, id: &str) -> StoreResult<Option<StoredTask>>;
    /// The open tasks of `units`, due soonest first.
    async fn open_tasks_in(&self, units: &[String]) -> StoreResult<Vec<StoredTask>>;
    /// Writes tasks with their history lines, notices and jobs, provided their parent (when
    /// given) is still open; false (nothing written) when it is not.
    async fn insert_tasks(
        &self,
        parent: Option<&str>,
        tasks: &[StoredTask],
        events: &[StoredEvent],
        notices: &[StoredNotice],
        jobs: &[NewJob],
    ) -> StoreResult<bool>;
    /// Moves an open task from under `from` to under `to`; false when it is not there (or
    /// not open) any more.
    async fn move_task(
        &self,
        task_id: &str,
        from: Option<&str>,
        to: Option<&str>,
        event: &StoredEvent,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Cancels the open tasks `ids` (a task and its subtasks) with the history line and the
    /// jobs it causes; false (nothing written) when the first is not open any more.
    async fn cancel_tasks(
        &self,
        ids: &[String],
        event: &StoredEvent,
        jobs: &[NewJob],
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Writes a report of an open task with its history line, notices and jobs, and counts it
    /// on the task.
    async fn insert_report(
        &self,
        report: &StoredReport,
        event: &StoredEvent,
        notices: &[StoredNotice],
        jobs: &[NewJob],
    ) -> StoreResult<ReportTaken>;
    /// One report.
    async fn supervision_report(&self, id: &str) -> StoreResult<Option<StoredReport>>;
    /// An item's reports, newest first.
    async fn reports_of_item(&self, item_id: &str) -> StoreResult<Vec<StoredReport>>;
    /// Every report waiting for a leader, as `(task_id, report_id)`.
    async fn pending_reports(&self) -> StoreResult<Vec<(String, String)>>;
    /// Decides a pending report (and moves its task) with the history lines, notices and
    /// jobs; false (nothing written) when it is not pending or its task not open any more.
    async fn decide_report(
        &self,
        decided: &Decided,
        events: &[StoredEvent],
        notices: &[StoredNotice],
        jobs: &[NewJob],
    ) -> StoreResult<bool>;
    /// An item's history, oldest first.
    async fn events_of_item(&self, item_id: &str) -> StoreResult<Vec<StoredEvent>>;
    /// Writes notices (urging) with a history line and their jobs.
    async fn insert_notices(
        &self,
        notices: &[StoredNotice],
        event: &StoredEvent,
        jobs: &[NewJob],
    ) -> StoreResult<()>;
    /// One notice.
    async fn supervision_notice(&self, id: &str) -> StoreResult<Option<StoredNotice>>;
    /// An item's notices, by when they fall due.
    async fn notices_of_item(&self, item_id: &str) -> StoreResult<Vec<StoredNotice>>;
    /// Marks a scheduled notice sent (or `skipped`) with its title and receivers, and its
    /// history line; false when it was marked before.
    async fn settle_notice(
        &self,
        notice: &StoredNotice,
        event: Option<&StoredEvent>,
    ) -> StoreResult<bool>;
    /// Keeps a to-do created on 浙政钉 (once per `bizTaskId`).
    async fn insert_todo(&self, todo: &StoredTodo) -> StoreResult<()>;
    /// The open to-dos of a task, of `kinds` (all kinds when empty).
    async fn open_todos(&self, task_id: &str, kinds: &[&str]) -> StoreResult<Vec<StoredTodo>>;
    /// Marks a to-do closed (`finished`, `cancelled`).
    async fn close_todo(&self, biz_task_id: &str, status: &str) -> StoreResult<()>;
}

/// Implements [`SupervisionStore`] for a backend.
macro_rules! supervision_sql {
    ($store:ty) => {
        const _: () = {
            use $crate::storage::supervision::{
                Decided, ReportTaken, StoredEvent, StoredItem, StoredNotice, StoredReport,
                StoredTask, StoredTodo, SupervisionStore,
            };
            use $crate::storage::{NewJob, StoreResult};
            use chrono::{DateTime, Utc};
            use sqlx::Row as _;

            const ITEM: &str = "id, request_key, mini_app_id, title, draft, owner, owner_name, due_day, priority, status, created_by, created_at";
            const TASK: &str = "id, item_id, parent_id, unit_code, unit_name, content, due_day, targets, reported, status, done_day, reports, created_at, updated_at";
            const REPORT: &str = "id, request_key, task_id, item_id, reporter, reporter_name, body, status, reason, decided_by, decided_by_name, created_at, decided_at";
            const EVENT: &str = "item_id, task_id, actor, actor_name, action, detail, at";
            const NOTICE: &str = "id, item_id, task_id, nudge, note, due_at, status, title, receivers, sent_at";
            const TODO: &str = "biz_task_id, task_id, report_id, kind, account_id, task_uuid, status, mini_app_id, created_at";

            fn item<R: sqlx::Row>(r: &R) -> StoreResult<StoredItem>
            where
                for<'c> &'c str: sqlx::ColumnIndex<R>,
                for<'c> String: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
                for<'c> i64: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
                for<'c> DateTime<Utc>: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
            {
                Ok(StoredItem {
                    id: r.try_get("id")?,
                    request_key: r.try_get("request_key")?,
                    mini_app_id: r.try_get("mini_app_id")?,
                    title: r.try_get("title")?,
                    draft: r.try_get("draft")?,
                    owner: r.try_get("owner")?,
                    owner_name: r.try_get("owner_name")?,
                    due_day: r.try_get("due_day")?,
                    priority: r.try_get("priority")?,
                    status: r.try_get("status")?,
                    created_by: r.try_get("created_by")?,
                    created_at: r.try_get("created_at")?,
                })
            }

            fn task<R: sqlx::Row>(r: &R) -> StoreResult<StoredTask>
            where
                for<'c> &'c str: sqlx::ColumnIndex<R>,
                for<'c> String: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
                for<'c> i64: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
                for<'c> i32: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
                for<'c> DateTime<Utc>: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
            {
                Ok(StoredTask {
                    id: r.try_get("id")?,
                    item_id: r.try_get("item_id")?,
                    parent_id: r.try_get("parent_id")?,
                    unit_code: r.try_get("unit_code")?,
                    unit_name: r.try_get("unit_name")?,
                    content: r.try_get("content")?,
                    due_day: r.try_get("due_day")?,
                    targets: r.try_get("targets")?,
                    reported: r.try_get("reported")?,
                    status: r.try_get("status")?,
                    done_day: r.try_get("done_day")?,
                    reports: r.try_get("reports")?,
                    created_at: r.try_get("created_at")?,
                    updated_at: r.try_get("updated_at")?,
                })
            }

            fn report<R: sqlx::Row>(r: &R) -> StoreResult<StoredReport>
            where
                for<'c> &'c str: sqlx::ColumnIndex<R>,
                for<'c> String: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
                for<'c> DateTime<Utc>: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
            {
                Ok(StoredReport {
                    id: r.try_get("id")?,
                    request_key: r.try_get("request_key")?,
                    task_id: r.try_get("task_id")?,
                    item_id: r.try_get("item_id")?,
                    reporter: r.try_get("reporter")?,
                    reporter_name: r.try_get("reporter_name")?,
                    body: r.try_get("body")?,
                    status: r.try_get("status")?,
                    reason: r.try_get("reason")?,
                    decided_by: r.try_get("decided_by")?,
                    decided_by_name: r.try_get("decided_by_name")?,
                    created_at: r.try_get("created_at")?,
                    decided_at: r.try_get("decided_at")?,
                })
            }

            fn event<R: sqlx::Row>(r: &R) -> StoreResult<StoredEvent>
            where
                for<'c> &'c str: sqlx::ColumnIndex<R>,
                for<'c> String: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
                for<'c> DateTime<Utc>: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
            {
                Ok(StoredEvent {
                    item_id: r.try_get("item_id")?,
                    task_id: r.try_get("task_id")?,
                    actor: r.try_get("actor")?,
                    actor_name: r.try_get("actor_name")?,
                    action: r.try_get("action")?,
                    detail: r.try_get("detail")?,
                    at: r.try_get("at")?,
                })
            }

            fn notice<R: sqlx::Row>(r: &R) -> StoreResult<StoredNotice>
            where
                for<'c> &'c str: sqlx::ColumnIndex<R>,
                for<'c> String: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
                for<'c> DateTime<Utc>: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
            {
                Ok(StoredNotice {
                    id: r.try_get("id")?,
                    item_id: r.try_get("item_id")?,
                    task_id: r.try_get("task_id")?,
                    nudge: r.try_get("nudge")?,
                    note: r.try_get("note")?,
                    due_at: r.try_get("due_at")?,
                    status: r.try_get("status")?,
                    title: r.try_get("title")?,
                    receivers: r.try_get("receivers")?,
                    sent_at: r.try_get("sent_at")?,
                })
            }

            fn todo<R: sqlx::Row>(r: &R) -> StoreResult<StoredTodo>
            where
                for<'c> &'c str: sqlx::ColumnIndex<R>,
                for<'c> String: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
                for<'c> i64: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
                for<'c> DateTime<Utc>: sqlx::Decode<'c, R::Database> + sqlx::Type<R::Database>,
            {
                Ok(StoredTodo {
                    biz_task_id: r.try_get("biz_task_id")?,
                    task_id: r.try_get("task_id")?,
                    report_id: r.try_get("report_id")?,
                    kind: r.try_get("kind")?,
                    account_id: r.try_get("account_id")?,
                    task_uuid: r.try_get("task_uuid")?,
                    status: r.try_get("status")?,
                    mini_app_id: r.try_get("mini_app_id")?,
                    created_at: r.try_get("created_at")?,
                })
            }

            /// `$n, $n+1, …` for `count` values.
            fn placeholders(from: usize, count: usize) -> String {
                (from..from + count)
                    .map(|i| format!("${i}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }

            macro_rules! write_event {
                ($tx:expr, $e:expr) => {{
                    let e: &StoredEvent = $e;
                    sqlx::query(&format!("INSERT INTO supervision_events ({EVENT}) VALUES ($1, $2, $3, $4, $5, $6, $7)"))
                        .bind(&e.item_id)
                        .bind(&e.task_id)
                        .bind(&e.actor)
                        .bind(&e.actor_name)
                        .bind(&e.action)
                        .bind(&e.detail)
                        .bind(e.at)
                        .execute($tx)
                        .await?;
                }};
            }

            macro_rules! write_notice {
                ($tx:expr, $n:expr) => {{
                    let n: &StoredNotice = $n;
                    sqlx::query(&format!("INSERT INTO supervision_notices ({NOTICE}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING"))
                        .bind(&n.id)
                        .bind(&n.item_id)
                        .bind(&n.task_id)
                        .bind(&n.nudge)
                        .bind(&n.note)
                        .bind(n.due_at)
                        .bind(&n.status)
                        .bind(&n.title)
                        .bind(&n.receivers)
                        .bind(n.sent_at)
                        .execute($tx)
                        .await?;
                }};
            }

            #[async_trait::async_trait]
            impl SupervisionStore for $store {
                async fn insert_item(
                    &self,
                    i: &StoredItem,
                    e: &StoredEvent,
                ) -> StoreResult<Option<StoredItem>> {
                    let _gate = self.write_gate().await;
                    let mut tx = self.pool.begin().await?;
                    let done = sqlx::query(&format!("INSERT INTO supervision_items ({ITEM}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (request_key) DO NOTHING"))
                        .bind(&i.id)
                        .bind(&i.request_key)
                        .bind(&i.mini_app_id)
                        .bind(&i.title)
                        .bind(&i.draft)
                        .bind(&i.owner)
                        .bind(&i.owner_name)
                        .bind(i.due_day)
                        .bind(&i.priority)
                        .bind(&i.status)
                        .bind(&i.created_by)
                        .bind(i.created_at)
                        .execute(&mut *tx)
                        .await?;
                    if done.rows_affected() != 1 {
                        let row = sqlx::query(&format!("SELECT {ITEM} FROM supervision_items WHERE request_key = $1"))
                            .bind(&i.request_key)
                            .fetch_one(&mut *tx)
                            .await?;
                        return item(&row).map(Some);
                    }
                    write_event!(&mut *tx, e);
                    tx.commit().await?;
                    Ok(None)
                }

                async fn supervision_item(&self, id: &str) -> StoreResult<Option<StoredItem>> {
                    let row = sqlx::query(&format!("SELECT {ITEM} FROM supervision_items WHERE id = $1"))
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                    row.as_ref().map(item).transpose()
                }

                async fn supervision_items(&self) -> StoreResult<Vec<StoredItem>> {
                    let rows = sqlx::query(&format!("SELECT {ITEM} FROM supervision_items ORDER BY due_day, created_at, id"))
                        .fetch_all(&self.pool)
                        .await?;
                    rows.iter().map(item).collect()
                }

                async fn items_with_tasks_in(&self, units: &[String]) -> StoreResult<Vec<String>> {
                    if units.is_empty() {
                        return Ok(Vec::new());
                    }
                    let sql = format!("SELECT DISTINCT item_id FROM supervision_tasks WHERE unit_code IN ({})", placeholders(1, units.len()));
                    let mut q = sqlx::query(&sql);
                    for u in units {
                        q = q.bind(u);
                    }
                    let rows = q.fetch_all(&self.pool).await?;
                    rows.iter().map(|r| Ok(r.try_get::<String, _>("item_id")?)).collect()
                }

                async fn tasks_of_item(&self, item_id: &str) -> StoreResult<Vec<StoredTask>> {
                    let rows = sqlx::query(&format!("SELECT {TASK} FROM supervision_tasks WHERE item_id = $1 ORDER BY created_at, id"))
                        .bind(item_id)
                        .fetch_all(&self.pool)
                        .await?;
                    rows.iter().map(task).collect()
                }

                async fn tasks_of_items_in(&self, status: &str) -> StoreResult<Vec<StoredTask>> {
                    let rows = sqlx::query(&format!("SELECT {} FROM supervision_tasks t JOIN supervision_items i ON i.id = t.item_id WHERE i.status = $1 ORDER BY t.item_id, t.created_at, t.id", TASK.split(", ").map(|c| format!("t.{c}")).collect::<Vec<_>>().join(", ")))
                        .bind(status)
                        .fetch_all(&self.pool)
                        .await?;
                    rows.iter().map(task).collect()
                }

                async fn supervision_task(&self, id: &str) -> StoreResult<Option<StoredTask>> {
                    let row = sqlx::query(&format!("SELECT {TASK} FROM supervision_tasks WHERE id = $1"))
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                    row.as_ref().map(task).transpose()
                }

                async fn open_tasks_in(&self, units: &[String]) -> StoreResult<Vec<StoredTask>> {
                    if units.is_empty() {
                        return Ok(Vec::new());
                    }
                    let sql = format!("SELECT {TASK} FROM supervision_tasks WHERE status = 'open' AND unit_code IN ({}) ORDER BY due_day, created_at, id", placeholders(1, units.len()));
                    let mut q = sqlx::query(&sql);
                    for u in units {
                        q = q.bind(u);
                    }
                    let rows = q.fetch_all(&self.pool).await?;
                    rows.iter().map(task).collect()
                }

                async fn insert_tasks(
                    &self,
                    parent: Option<&str>,
                    tasks: &[StoredTask],
                    events: &[StoredEvent],
                    notices: &[StoredNotice],
                    jobs: &[NewJob],
                ) -> StoreResult<bool> {
                    let _gate = self.write_gate().await;
                    let mut tx = self.pool.begin().await?;
                    if let Some(parent) = parent {
                        // Touching the parent takes its row lock on PostgreSQL: a cancel of it
                        // waits for this dispatch, or this dispatch sees the cancel.
                        let open = sqlx::query("UPDATE supervision_tasks SET updated_at = updated_at WHERE id = $1 AND status = 'open'")
                            .bind(parent)
                            .execute(&mut *tx)
                            .await?;
                        if open.rows_affected() != 1 {
                            return Ok(false);
                        }
                    }
                    for t in tasks {
                        sqlx::query(&format!("INSERT INTO supervision_tasks ({TASK}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"))
                            .bind(&t.id)
                            .bind(&t.item_id)
                            .bind(&t.parent_id)
                            .bind(&t.unit_code)
                            .bind(&t.unit_name)
                            .bind(&t.content)
                            .bind(t.due_day)
                            .bind(&t.targets)
                            .bind(&t.reported)
                            .bind(&t.status)
                            .bind(t.done_day)
                            .bind(t.reports)
                            .bind(t.created_at)
                            .bind(t.updated_at)
                            .execute(&mut *tx)
                            .await?;
                    }
                    for e in events {
                        write_event!(&mut *tx, e);
                    }
                    for n in notices {
                        write_notice!(&mut *tx, n);
                    }
                    for job in jobs {
                        $crate::storage::jobs::insert_job!(&mut *tx, job)?;
                    }
                    tx.commit().await?;
                    Ok(true)
                }

                async fn move_task(
                    &self,
                    task_id: &str,
                    from: Option<&str>,
                    to: Option<&str>,
                    e: &StoredEvent,
                    now: DateTime<Utc>,
                ) -> StoreResult<bool> {
                    let _gate = self.write_gate().await;
                    let mut tx = self.pool.begin().await?;
                    let moved = match from {
                        Some(from) => sqlx::query("UPDATE supervision_tasks SET parent_id = $1, updated_at = $2 WHERE id = $3 AND status = 'open' AND parent_id = $4")
                            .bind(to)
                            .bind(now)
                            .bind(task_id)
                            .bind(from)
                            .execute(&mut *tx)
                            .await?,
                        None => sqlx::query("UPDATE supervision_tasks SET parent_id = $1, updated_at = $2 WHERE id = $3 AND status = 'open' AND parent_id IS NULL")
                            .bind(to)
                            .bind(now)
                            .bind(task_id)
                            .execute(&mut *tx)
                            .await?,
                    };
                    if moved.rows_affected() != 1 {
                        return Ok(false);
                    }
                    write_event!(&mut *tx, e);
                    tx.commit().await?;
                    Ok(true)
                }

                async fn cancel_tasks(
                    &self,
                    ids: &[String],
                    e: &StoredEvent,
                    jobs: &[NewJob],
                    now: DateTime<Utc>,
                ) -> StoreResult<bool> {
                    let _gate = self.write_gate().await;
                    let mut tx = self.pool.begin().await?;
                    for (n, id) in ids.iter().enumerate() {
                        let done = sqlx::query("UPDATE supervision_tasks SET status = 'cancelled', updated_at = $1 WHERE id = $2 AND status = 'open'")
                            .bind(now)
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                        if n == 0 && done.rows_affected() != 1 {
                            return Ok(false);
                        }
                    }
                    // Their pending reports need no decision any more.
                    for id in ids {
                        sqlx::query("UPDATE supervision_reports SET status = 'rejected', reason = '任务已撤销' WHERE task_id = $1 AND status = 'pending'")
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                    }
                    write_event!(&mut *tx, e);
                    for job in jobs {
                        $crate::storage::jobs::insert_job!(&mut *tx, job)?;
                    }
                    tx.commit().await?;
                    Ok(true)
                }

                async fn insert_report(
                    &self,
                    r: &StoredReport,
                    e: &StoredEvent,
                    notices: &[StoredNotice],
                    jobs: &[NewJob],
                ) -> StoreResult<ReportTaken> {
                    let _gate = self.write_gate().await;
                    let mut tx = self.pool.begin().await?;
                    let before = sqlx::query(&format!("SELECT {REPORT} FROM supervision_reports WHERE request_key = $1"))
                        .bind(&r.request_key)
                        .fetch_optional(&mut *tx)
                        .await?;
                    if let Some(row) = before {
                        return Ok(ReportTaken::Exists(Box::new(report(&row)?)));
                    }
                    let open = sqlx::query("UPDATE supervision_tasks SET reports = reports + 1, updated_at = $1 WHERE id = $2 AND status = 'open'")
                        .bind(r.created_at)
                        .bind(&r.task_id)
                        .execute(&mut *tx)
                        .await?;
                    if open.rows_affected() != 1 {
                        return Ok(ReportTaken::Closed);
                    }
                    let inserted = sqlx::query(&format!("INSERT INTO supervision_reports ({REPORT}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"))
                        .bind(&r.id)
                        .bind(&r.request_key)
                        .bind(&r.task_id)
                        .bind(&r.item_id)
                        .bind(&r.reporter)
                        .bind(&r.reporter_name)
                        .bind(&r.body)
                        .bind(&r.status)
                        .bind(&r.reason)
                        .bind(&r.decided_by)
                        .bind(&r.decided_by_name)
                        .bind(r.created_at)
                        .bind(r.decided_at)
                        .execute(&mut *tx)
                        .await;
                    match inserted {
                        Ok(_) => {}
                        // The one-pending index: another report waits for the leader.
                        Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                            return Ok(ReportTaken::Pending)
                        }
                        Err(other) => return Err(other.into()),
                    }
                    write_event!(&mut *tx, e);
                    for n in notices {
                        write_notice!(&mut *tx, n);
                    }
                    for job in jobs {
                        $crate::storage::jobs::insert_job!(&mut *tx, job)?;
                    }
                    tx.commit().await?;
                    Ok(ReportTaken::Taken)
                }

                async fn supervision_report(&self, id: &str) -> StoreResult<Option<StoredReport>> {
                    let row = sqlx::query(&format!("SELECT {REPORT} FROM supervision_reports WHERE id = $1"))
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                    row.as_ref().map(report).transpose()
                }

                async fn reports_of_item(&self, item_id: &str) -> StoreResult<Vec<StoredReport>> {
                    let rows = sqlx::query(&format!("SELECT {REPORT} FROM supervision_reports WHERE item_id = $1 ORDER BY created_at DESC, id"))
                        .bind(item_id)
                        .fetch_all(&self.pool)
                        .await?;
                    rows.iter().map(report).collect()
                }

                async fn pending_reports(&self) -> StoreResult<Vec<(String, String)>> {
                    let rows = sqlx::query("SELECT task_id, id FROM supervision_reports WHERE status = 'pending'")
                        .fetch_all(&self.pool)
                        .await?;
                    rows.iter()
                        .map(|r| Ok((r.try_get::<String, _>("task_id")?, r.try_get::<String, _>("id")?)))
                        .collect()
                }

                async fn decide_report(
                    &self,
                    d: &Decided,
                    events: &[StoredEvent],
                    notices: &[StoredNotice],
                    jobs: &[NewJob],
                ) -> StoreResult<bool> {
                    let _gate = self.write_gate().await;
                    let mut tx = self.pool.begin().await?;
                    let decided = sqlx::query("UPDATE supervision_reports SET status = $1, reason = $2, decided_by = $3, decided_by_name = $4, decided_at = $5 WHERE id = $6 AND status = 'pending' RETURNING task_id")
                        .bind(&d.status)
                        .bind(&d.reason)
                        .bind(&d.decided_by)
                        .bind(&d.decided_by_name)
                        .bind(d.at)
                        .bind(&d.report_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                    let Some(row) = decided else { return Ok(false) };
                    let task_id: String = row.try_get("task_id")?;
                    if let Some((reported, done_day)) = &d.task {
                        let status = if done_day.is_some() { "done" } else { "open" };
                        let moved = sqlx::query("UPDATE supervision_tasks SET reported = $1, status = $2, done_day = $3, updated_at = $4 WHERE id = $5 AND status = 'open'")
                            .bind(reported)
                            .bind(status)
                            .bind(done_day)
                            .bind(d.at)
                            .bind(&task_id)
                            .execute(&mut *tx)
                            .await?;
                        if moved.rows_affected() != 1 {
                            return Ok(false);
                        }
                    }
                    for e in events {
                        write_event!(&mut *tx, e);
                    }
                    for n in notices {
                        write_notice!(&mut *tx, n);
                    }
                    for job in jobs {
                        $crate::storage::jobs::insert_job!(&mut *tx, job)?;
                    }
                    tx.commit().await?;
                    Ok(true)
                }

                async fn events_of_item(&self, item_id: &str) -> StoreResult<Vec<StoredEvent>> {
                    let rows = sqlx::query(&format!("SELECT {EVENT} FROM supervision_events WHERE item_id = $1 ORDER BY seq"))
                        .bind(item_id)
                        .fetch_all(&self.pool)
                        .await?;
                    rows.iter().map(event).collect()
                }

                async fn insert_notices(
                    &self,
                    notices: &[StoredNotice],
                    e: &StoredEvent,
                    jobs: &[NewJob],
                ) -> StoreResult<()> {
                    let _gate = self.write_gate().await;
                    let mut tx = self.pool.begin().await?;
                    for n in notices {
                        write_notice!(&mut *tx, n);
                    }
                    write_event!(&mut *tx, e);
                    for job in jobs {
                        $crate::storage::jobs::insert_job!(&mut *tx, job)?;
                    }
                    tx.commit().await?;
                    Ok(())
                }

                async fn supervision_notice(&self, id: &str) -> StoreResult<Option<StoredNotice>> {
                    let row = sqlx::query(&format!("SELECT {NOTICE} FROM supervision_notices WHERE id = $1"))
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                    row.as_ref().map(notice).transpose()
                }

                async fn notices_of_item(&self, item_id: &str) -> StoreResult<Vec<StoredNotice>> {
                    let rows = sqlx::query(&format!("SELECT {NOTICE} FROM supervision_notices WHERE item_id = $1 ORDER BY due_at, id"))
                        .bind(item_id)
                        .fetch_all(&self.pool)
                        .await?;
                    rows.iter().map(notice).collect()
                }

                async fn settle_notice(
                    &self,
                    n: &StoredNotice,
                    e: Option<&StoredEvent>,
                ) -> StoreResult<bool> {
                    let _gate = self.write_gate().await;
                    let mut tx = self.pool.begin().await?;
                    let done = sqlx::query("UPDATE supervision_notices SET status = $1, title = $2, receivers = $3, sent_at = $4 WHERE id = $5 AND status = 'scheduled'")
                        .bind(&n.status)
                        .bind(&n.title)
                        .bind(&n.receivers)
                        .bind(n.sent_at)
                        .bind(&n.id)
                        .execute(&mut *tx)
                        .await?;
                    if done.rows_affected() != 1 {
                        return Ok(false);
                    }
                    if let Some(e) = e {
                        write_event!(&mut *tx, e);
                    }
                    tx.commit().await?;
                    Ok(true)
                }

                async fn insert_todo(&self, t: &StoredTodo) -> StoreResult<()> {
                    let _gate = self.write_gate().await;
                    sqlx::query(&format!("INSERT INTO supervision_todos ({TODO}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (biz_task_id) DO NOTHING"))
                        .bind(&t.biz_task_id)
                        .bind(&t.task_id)
                        .bind(&t.report_id)
                        .bind(&t.kind)
                        .bind(t.account_id)
                        .bind(&t.task_uuid)
                        .bind(&t.status)
                        .bind(&t.mini_app_id)
                        .bind(t.created_at)
                        .execute(&self.pool)
                        .await?;
                    Ok(())
                }

                async fn open_todos(&self, task_id: &str, kinds: &[&str]) -> StoreResult<Vec<StoredTodo>> {
                    let rows = sqlx::query(&format!("SELECT {TODO} FROM supervision_todos WHERE task_id = $1 AND status = 'open' ORDER BY created_at, biz_task_id"))
                        .bind(task_id)
                        .fetch_all(&self.pool)
                        .await?;
                    let all: Vec<StoredTodo> = rows.iter().map(todo).collect::<StoreResult<_>>()?;
                    Ok(all
                        .into_iter()
                        .filter(|t| kinds.is_empty() || kinds.contains(&t.kind.as_str()))
                        .collect())
                }

                async fn close_todo(&self, biz_task_id: &str, status: &str) -> StoreResult<()> {
                    let _gate = self.write_gate().await;
                    sqlx::query("UPDATE supervision_todos SET status = $1 WHERE biz_task_id = $2 AND status = 'open'")
                        .bind(status)
                        .bind(biz_task_id)
                        .execute(&self.pool)
                        .await?;
                    Ok(())
                }
            }
        };
    };
}
pub(crate) use supervision_sql;
