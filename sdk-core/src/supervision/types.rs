//! What the supervision calls hand the app, and what it hands them. Amounts travel as decimal
//! text (`"3.2"`) so that no float rounds an indicator on its way through the FFI.

use zhelikit_domain::supervision::{self as sv, wire, Amount};

use crate::error::Error;

/// Who the official is in supervision.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SupervisionProfile {
    /// `city_leader`, `office`, `unit_leader`, `contact` or `member`.
    pub role: String,
    /// The role as shown (“督查联络员”).
    pub role_name: String,
    /// Their name.
    pub name: String,
    /// Their unit's code.
    pub unit: String,
    /// Their unit's name.
    pub unit_name: String,
    /// What they may do (`create_item`, `dispatch`, `decompose`, `report`, `decide`, `urge`,
    /// `manage`, `view`, `dashboard`).
    pub may: Vec<String>,
}

/// An indicator's target and value, for an item or a task.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct IndicatorProgress {
    /// Its key.
    pub key: String,
    /// Its name.
    pub name: String,
    /// Its unit (“亿元”).
    pub unit: String,
    /// The target, as decimal text.
    pub target: String,
    /// Reached so far, as decimal text.
    pub value: String,
    /// Reached over target, in thousandths (capped at 1,000).
    pub completion_permille: u32,
}

/// A task as the official sees it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SupervisionTask {
    /// Its id.
    pub id: String,
    /// Its item.
    pub item_id: String,
    /// Its item's title.
    pub item_title: String,
    /// The task it was decomposed from.
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
    /// `open`, `done` or `cancelled`.
    pub status: String,
    /// Open past its due date.
    pub overdue: bool,
    /// Progress, in thousandths.
    pub progress_permille: u32,
    /// Its targets and values.
    pub targets: Vec<IndicatorProgress>,
    /// Whether its values come from its subtasks.
    pub decomposed: bool,
    /// The report waiting for the unit's leader.
    pub pending_report: Option<String>,
    /// What the official may do with it (as in [`SupervisionProfile::may`]).
    pub may: Vec<String>,
}

/// One indicator's value in a report.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReportedValue {
    /// The indicator's key.
    pub key: String,
    /// The value reached so far (cumulative), as decimal text (`"3.2"`).
    pub value: String,
    /// Its unit; must be the indicator's.
    pub unit: String,
}

/// A progress report.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SupervisionReport {
    /// Its id.
    pub id: String,
    /// Its task.
    pub task_id: String,
    /// Who reported.
    pub reporter_name: String,
    /// What was done.
    pub text: String,
    /// Values reached.
    pub values: Vec<ReportedValue>,
    /// Whether it asks to close the task.
    pub completes: bool,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    /// Why it came back.
    pub reason: Option<String>,
    /// Who decided.
    pub decided_by_name: Option<String>,
    /// When reported (RFC 3339).
    pub created_at: String,
}

/// One step of an item's history.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SupervisionEvent {
    /// When (RFC 3339).
    pub at: String,
    /// Who.
    pub actor_name: String,
    /// What, as stored (`dispatch`, `report`, `approve` …).
    pub action: String,
    /// What, in words.
    pub detail: String,
}

/// A notification scheduled or sent about a task.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SupervisionNotice {
    /// Its id.
    pub id: String,
    /// The task.
    pub task_id: String,
    /// Why (`due_soon`, `due_tomorrow`, `overdue`, `long_overdue`, `urge`, `review`,
    /// `returned`).
    pub nudge: String,
    /// Its title.
    pub title: String,
    /// Who it reaches (names).
    pub receivers: Vec<String>,
    /// When it falls due (RFC 3339).
    pub due_at: String,
    /// When 浙政钉 took it; none while waiting.
    pub sent_at: Option<String>,
}

/// An item whole, as the official sees it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SupervisionItem {
    /// Its id.
    pub id: String,
    /// Title.
    pub title: String,
    /// `urgent`, `high` or `normal`.
    pub priority: String,
    /// The owner leader's name.
    pub owner_name: String,
    /// Due date, `YYYY-MM-DD`.
    pub due: String,
    /// Progress, in thousandths.
    pub progress_permille: u32,
    /// Its indicators.
    pub indicators: Vec<IndicatorProgress>,
    /// Its tasks the official sees, parents first.
    pub tasks: Vec<SupervisionTask>,
    /// Their reports, newest first.
    pub reports: Vec<SupervisionReport>,
    /// The history, oldest first.
    pub events: Vec<SupervisionEvent>,
    /// The notifications, by when they fall due.
    pub notices: Vec<SupervisionNotice>,
}

/// An indicator of a new item.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct IndicatorInput {
    /// Its key: 1–32 of `a-z`, `0-9`, `_`, starting with a letter.
    pub key: String,
    /// Its name.
    pub name: String,
    /// Its unit (“亿元”).
    pub unit: String,
    /// Whole numbers only (`true`: 个, 项) or up to four decimal places.
    pub whole: bool,
    /// The target, as decimal text.
    pub target: String,
}

/// A new item (立项).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ItemInput {
    /// Title, 1–80 characters.
    pub title: String,
    /// `instruction`, `meeting`, `document`, `proposal` or `other`.
    pub source_kind: String,
    /// The instruction, meeting or document.
    pub source: String,
    /// What must be done.
    pub description: String,
    /// The owner leader's employee code (from `org`'s leaders).
    pub owner: String,
    /// Due date, `YYYY-MM-DD`.
    pub due: String,
    /// `urgent`, `high` or `normal`.
    pub priority: String,
    /// Its quantitative targets.
    pub indicators: Vec<IndicatorInput>,
}

/// A task's target for one indicator.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TargetInput {
    /// The indicator's key.
    pub key: String,
    /// The unit's share, as decimal text.
    pub target: String,
}

/// A task to dispatch or decompose.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TaskInput {
    /// The unit's organisation code.
    pub unit: String,
    /// What the unit must do.
    pub content: String,
    /// Due date, `YYYY-MM-DD`.
    pub due: String,
    /// Its targets.
    pub targets: Vec<TargetInput>,
}

/// A progress report to send.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReportInput {
    /// What was done.
    pub text: String,
    /// Values reached, in each indicator's unit.
    pub values: Vec<ReportedValue>,
    /// Whether the task is finished (申请办结).
    pub completes: bool,
}

/// One unit's figures.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct UnitFigures {
    /// The unit's code.
    pub unit: String,
    /// Its name.
    pub name: String,
    /// Its tasks.
    pub tasks: u32,
    /// Done.
    pub done: u32,
    /// Open after the due date.
    pub overdue: u32,
    /// Done on time over done plus overdue, in thousandths.
    pub on_time_permille: Option<u32>,
    /// Mean progress, in thousandths.
    pub progress_permille: u32,
}

/// The city-wide figures.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SupervisionFigures {
    /// The day, `YYYY-MM-DD`.
    pub as_of: String,
    /// Items counted.
    pub items: u32,
    /// Over every unit.
    pub totals: UnitFigures,
    /// Per unit, most tasks first.
    pub units: Vec<UnitFigures>,
    /// Per indicator of each item.
    pub indicators: Vec<IndicatorProgress>,
    /// Overdue tasks.
    pub overdue_tasks: u32,
}

fn amount(field: &'static str, text: &str) -> Result<Amount, Error> {
    Amount::parse(text.trim()).ok_or_else(|| Error::Input {
        field,
        reason: format!("“{text}”不是最多四位小数的数值"),
    })
}

fn choice<T>(
    field: &'static str,
    text: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, Error> {
    parse(text).ok_or_else(|| Error::Input {
        field,
        reason: format!("“{text}”不是可选的值"),
    })
}

fn by_name<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(text.to_string())).ok()
}

fn name_of<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(serde_json::Value::Object(o)) => o
            .get("role")
            .and_then(|r| r.as_str())
            .unwrap_or_default()
            .to_string(),
        _ => String::new(),
    }
}

pub(crate) fn item_input(i: ItemInput) -> Result<sv::ItemDraft, Error> {
    Ok(sv::ItemDraft {
        title: i.title,
        source_kind: choice("source_kind", &i.source_kind, by_name)?,
        source: i.source,
        description: i.description,
        owner: i.owner,
        due: i.due,
        priority: choice("priority", &i.priority, sv::Priority::parse)?,
        indicators: i
            .indicators
            .into_iter()
            .map(|x| {
                Ok(sv::Indicator {
                    key: x.key,
                    name: x.name,
                    unit: x.unit,
                    kind: if x.whole {
                        sv::IndicatorKind::Integer
                    } else {
                        sv::IndicatorKind::Decimal
                    },
                    target: amount("indicators.target", &x.target)?,
                })
            })
            .collect::<Result<_, Error>>()?,
        attachments: Vec::new(),
    })
}

pub(crate) fn task_input(t: TaskInput) -> Result<sv::TaskDraft, Error> {
    Ok(sv::TaskDraft {
        unit: t.unit,
        content: t.content,
        due: t.due,
        targets: t
            .targets
            .into_iter()
            .map(|x| {
                Ok(sv::Target {
                    key: x.key,
                    target: amount("tasks.targets", &x.target)?,
                })
            })
            .collect::<Result<_, Error>>()?,
    })
}

pub(crate) fn report_input(r: ReportInput) -> Result<sv::ReportDraft, Error> {
    Ok(sv::ReportDraft {
        text: r.text,
        values: r
            .values
            .into_iter()
            .map(|v| {
                Ok(sv::Value {
                    key: v.key,
                    value: amount("values", &v.value)?,
                    unit: v.unit,
                })
            })
            .collect::<Result<_, Error>>()?,
        photos: Vec::new(),
        completes: r.completes,
    })
}

pub(crate) fn profile(me: &wire::SupervisionMe) -> SupervisionProfile {
    SupervisionProfile {
        role: name_of(&me.role),
        role_name: me.role_name.clone(),
        name: me.name.clone(),
        unit: me.unit.clone(),
        unit_name: me.unit_name.clone(),
        may: me.may.iter().map(name_of).collect(),
    }
}

fn progress(i: &wire::IndicatorProgress) -> IndicatorProgress {
    IndicatorProgress {
        key: i.key.clone(),
        name: i.name.clone(),
        unit: i.unit.clone(),
        target: i.target.to_string(),
        value: i.value.to_string(),
        completion_permille: i.completion_permille,
    }
}

pub(crate) fn task(t: &wire::TaskView) -> SupervisionTask {
    SupervisionTask {
        id: t.id.clone(),
        item_id: t.item_id.clone(),
        item_title: t.item_title.clone(),
        parent: t.parent.clone(),
        unit: t.unit.clone(),
        unit_name: t.unit_name.clone(),
        content: t.content.clone(),
        due: t.due.clone(),
        days_left: t.days_left,
        status: t.status.as_str().to_string(),
        overdue: t.overdue,
        progress_permille: t.progress_permille,
        targets: t.targets.iter().map(progress).collect(),
        decomposed: t.decomposed,
        pending_report: t.pending_report.clone(),
        may: t.may.iter().map(name_of).collect(),
    }
}

pub(crate) fn report(r: &wire::ReportView) -> SupervisionReport {
    SupervisionReport {
        id: r.id.clone(),
        task_id: r.task_id.clone(),
        reporter_name: r.reporter_name.clone(),
        text: r.text.clone(),
        values: r
            .values
            .iter()
            .map(|v| ReportedValue {
                key: v.key.clone(),
                value: v.value.to_string(),
                unit: v.unit.clone(),
            })
            .collect(),
        completes: r.completes,
        status: r.status.as_str().to_string(),
        reason: r.reason.clone(),
        decided_by_name: r.decided_by_name.clone(),
        created_at: r.created_at.clone(),
    }
}

pub(crate) fn item(v: &wire::ItemView) -> SupervisionItem {
    SupervisionItem {
        id: v.summary.id.clone(),
        title: v.summary.title.clone(),
        priority: v.summary.priority.as_str().to_string(),
        owner_name: v.summary.owner_name.clone(),
        due: v.summary.due.clone(),
        progress_permille: v.summary.progress_permille,
        indicators: v.indicators.iter().map(progress).collect(),
        tasks: v.tasks.iter().map(task).collect(),
        reports: v.reports.iter().map(report).collect(),
        events: v
            .events
            .iter()
            .map(|e| SupervisionEvent {
                at: e.at.clone(),
                actor_name: e.actor_name.clone(),
                action: e.action.clone(),
                detail: e.detail.clone(),
            })
            .collect(),
        notices: v
            .notices
            .iter()
            .map(|n| SupervisionNotice {
                id: n.id.clone(),
                task_id: n.task_id.clone(),
                nudge: n.nudge.as_str().to_string(),
                title: n.title.clone(),
                receivers: n.receivers.clone(),
                due_at: n.due_at.clone(),
                sent_at: n.sent_at.clone(),
            })
            .collect(),
    }
}

fn unit_figures(unit: &str, name: &str, c: &sv::dashboard::Counts) -> UnitFigures {
    UnitFigures {
        unit: unit.to_string(),
        name: name.to_string(),
        tasks: c.tasks,
        done: c.done,
        overdue: c.overdue,
        on_time_permille: c.on_time_permille,
        progress_permille: c.progress_permille,
    }
}

pub(crate) fn figures(d: &sv::Dashboard) -> SupervisionFigures {
    SupervisionFigures {
        as_of: d.as_of.clone(),
        items: d.items,
        totals: unit_figures("", "全市", &d.totals),
        units: d
            .units
            .iter()
            .map(|u| unit_figures(&u.unit, &u.name, &u.counts))
            .collect(),
        indicators: d
            .indicators
            .iter()
            .map(|i| IndicatorProgress {
                key: i.key.clone(),
                name: format!("{}：{}", i.item_title, i.name),
                unit: i.unit.clone(),
                target: i.target.to_string(),
                value: i.value.to_string(),
                completion_permille: i.completion_permille,
            })
            .collect(),
        overdue_tasks: u32::try_from(d.overdue.len()).unwrap_or(u32::MAX),
    }
}
