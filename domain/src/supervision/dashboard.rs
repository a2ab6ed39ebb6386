//! The leaders' figures (统计): progress per unit, the on-time rate, indicator completion and
//! the overdue list, computed once from the tasks so that the mini-app's charts and the
//! exported report show the same numbers.
//!
//! Definitions, as the report's notes state them: a task counts unless cancelled; it is
//! **overdue** when still open after its due date; **done on time** when closed on or before
//! it; the **on-time rate** is done-on-time over the tasks that have reached their end (done,
//! or overdue) — a task not yet due counts neither way.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::amount::Amount;
use super::tree::TaskStatus;

/// One task as the figures need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskFact {
    /// The item.
    pub item: String,
    /// The task.
    pub task: String,
    /// Its unit's code.
    pub unit: String,
    /// Its unit's name.
    pub unit_name: String,
    /// Its last day.
    pub due: i64,
    /// Its status.
    pub status: TaskStatus,
    /// The day it was done.
    pub done_on: Option<i64>,
    /// Its progress, in thousandths.
    pub progress: u32,
}

/// One indicator of an item as the figures need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndicatorFact {
    /// The item.
    pub item: String,
    /// The item's title.
    pub item_title: String,
    /// The indicator's key.
    pub key: String,
    /// Its name.
    pub name: String,
    /// Its unit.
    pub unit: String,
    /// The item's target.
    pub target: Amount,
    /// The value reached (the sum of the approved reports under it).
    pub value: Amount,
}

/// Counts over a set of tasks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Counts {
    /// Tasks that count (not cancelled).
    pub tasks: u32,
    /// Of them, still open.
    pub open: u32,
    /// Done.
    pub done: u32,
    /// Done on or before the due date.
    pub done_on_time: u32,
    /// Open after the due date.
    pub overdue: u32,
    /// Done on time over done plus overdue, in thousandths; none while no task has reached
    /// its end.
    pub on_time_permille: Option<u32>,
    /// Mean progress, in thousandths.
    pub progress_permille: u32,
}

/// One unit's row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitRow {
    /// The unit's code.
    pub unit: String,
    /// Its name.
    pub name: String,
    /// Its tasks' counts.
    #[serde(flatten)]
    pub counts: Counts,
}

/// One indicator's row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IndicatorRow {
    /// The item.
    pub item: String,
    /// The item's title.
    pub item_title: String,
    /// The indicator's key.
    pub key: String,
    /// Its name.
    pub name: String,
    /// Its unit.
    pub unit: String,
    /// The target.
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub target: Amount,
    /// Reached so far.
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub value: Amount,
    /// Value over target, in thousandths, capped at 1,000.
    pub completion_permille: u32,
}

/// One overdue task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OverdueRow {
    /// The item.
    pub item: String,
    /// The task.
    pub task: String,
    /// Its unit's name.
    pub unit_name: String,
    /// Its due date, `YYYY-MM-DD`.
    pub due: String,
    /// Days past it.
    pub days_overdue: i64,
}

/// The figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Dashboard {
    /// The day they are for, `YYYY-MM-DD`.
    pub as_of: String,
    /// Items counted.
    pub items: u32,
    /// Over every task.
    pub totals: Counts,
    /// Per unit, most tasks first.
    pub units: Vec<UnitRow>,
    /// Per indicator of each item.
    pub indicators: Vec<IndicatorRow>,
    /// Overdue tasks, longest overdue first.
    pub overdue: Vec<OverdueRow>,
}

#[derive(Default)]
struct Tally {
    counts: Counts,
    progress_sum: u64,
}

impl Tally {
    fn add(&mut self, t: &TaskFact, today: i64) {
        if t.status == TaskStatus::Cancelled {
            return;
        }
        let c = &mut self.counts;
        c.tasks += 1;
        self.progress_sum += u64::from(t.progress);
        match t.status {
            TaskStatus::Done => {
                c.done += 1;
                if t.done_on.is_some_and(|d| d <= t.due) {
                    c.done_on_time += 1;
                }
            }
            _ => {
                c.open += 1;
                if today > t.due {
                    c.overdue += 1;
                }
            }
        }
    }

    fn finish(mut self) -> Counts {
        let ended = self.counts.done + self.counts.overdue;
        self.counts.on_time_permille = (ended > 0).then(|| {
            u32::try_from(u64::from(self.counts.done_on_time) * 1_000 / u64::from(ended))
                .unwrap_or(1_000)
        });
        self.counts.progress_permille = if self.counts.tasks == 0 {
            0
        } else {
            u32::try_from(self.progress_sum / u64::from(self.counts.tasks)).unwrap_or(1_000)
        };
        self.counts
    }
}

/// The figures over `items` items, their `tasks` and `indicators`, on `today`.
pub fn dashboard(
    items: u32,
    tasks: &[TaskFact],
    indicators: &[IndicatorFact],
    today: i64,
) -> Dashboard {
    let mut total = Tally::default();
    let mut units: BTreeMap<&str, (&str, Tally)> = BTreeMap::new();
    let mut overdue = Vec::new();
    for t in tasks {
        total.add(t, today);
        units
            .entry(t.unit.as_str())
            .or_insert_with(|| (t.unit_name.as_str(), Tally::default()))
            .1
            .add(t, today);
        if t.status == TaskStatus::Open && today > t.due {
            overdue.push(OverdueRow {
                item: t.item.clone(),
                task: t.task.clone(),
                unit_name: t.unit_name.clone(),
                due: crate::policy::format_day(t.due),
                days_overdue: today - t.due,
            });
        }
    }
    let mut units: Vec<UnitRow> = units
        .into_iter()
        .map(|(code, (name, tally))| UnitRow {
            unit: code.to_string(),
            name: name.to_string(),
            counts: tally.finish(),
        })
        .collect();
    units.sort_by(|a, b| {
        b.counts
            .tasks
            .cmp(&a.counts.tasks)
            .then(a.name.cmp(&b.name))
    });
    overdue.sort_by(|a, b| {
        b.days_overdue
            .cmp(&a.days_overdue)
            .then(a.unit_name.cmp(&b.unit_name))
            .then(a.task.cmp(&b.task))
    });
    Dashboard {
        as_of: crate::policy::format_day(today),
        items,
        totals: total.finish(),
        units,
        indicators: indicators
            .iter()
            .map(|i| IndicatorRow {
                item: i.item.clone(),
                item_title: i.item_title.clone(),
                key: i.key.clone(),
                name: i.name.clone(),
                unit: i.unit.clone(),
                target: i.target,
                value: i.value,
                completion_permille: i.value.permille_of(i.target),
            })
            .collect(),
        overdue,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(
        task: &str,
        unit: &str,
        due: i64,
        status: TaskStatus,
        done_on: Option<i64>,
    ) -> TaskFact {
        TaskFact {
            item: "i".into(),
            task: task.into(),
            unit: unit.into(),
            unit_name: format!("{unit}局"),
            due,
            status,
            done_on,
            progress: if status == TaskStatus::Done {
                1_000
            } else {
                400
            },
        }
    }

    #[test]
    fn on_time_rate_counts_only_tasks_that_reached_their_end() {
        let today = 100;
        let tasks = [
            fact("t1", "a", 90, TaskStatus::Done, Some(89)),
            fact("t2", "a", 90, TaskStatus::Done, Some(95)),
            fact("t3", "a", 95, TaskStatus::Open, None),
            fact("t4", "b", 120, TaskStatus::Open, None),
            fact("t5", "b", 80, TaskStatus::Cancelled, None),
        ];
        let d = dashboard(1, &tasks, &[], today);
        assert_eq!(d.totals.tasks, 4);
        assert_eq!(d.totals.done, 2);
        assert_eq!(d.totals.done_on_time, 1);
        assert_eq!(d.totals.overdue, 1);
        assert_eq!(d.totals.on_time_permille, Some(333));
        assert_eq!(d.totals.progress_permille, 700);
        assert_eq!(d.units[0].unit, "a");
        assert_eq!(d.units[1].counts.on_time_permille, None);
        assert_eq!(d.overdue.len(), 1);
        assert_eq!(d.overdue[0].days_overdue, 5);
    }

    #[test]
    fn indicator_rows_carry_their_completion() {
        let i = IndicatorFact {
            item: "i".into(),
            item_title: "项目".into(),
            key: "inv".into(),
            name: "投资".into(),
            unit: "亿元".into(),
            target: Amount::from_units(5),
            value: Amount::parse("3.2").expect("3.2"),
        };
        let d = dashboard(1, &[], &[i], 0);
        assert_eq!(d.indicators[0].completion_permille, 640);
        assert_eq!(d.totals.on_time_permille, None);
    }
}
