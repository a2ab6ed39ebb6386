//! Reminders (提醒), urging (催办) and escalation (督办): when each falls due, who receives it,
//! and what it says. Each reaches its people as a 浙政钉 work notification and, when it asks
//! for something to be done, a to-do that is finished when it is done.
//!
//! The schedule of a task: three days and one day before its due date the unit's contact is
//! reminded; the day after, still open, it is overdue and escalated to the unit's leaders;
//! three days after, to the item's owner leader. All at 09:00 China time, the start of the
//! working day. The office urges whenever it decides to.

use serde::{Deserialize, Serialize};

/// 09:00 in China (UTC+8, no daylight saving) is 01:00 UTC of the same date: seconds after
/// the date's UTC midnight, which is where `day * 86_400` lands for a day as
/// [`crate::policy::china_day`] counts it.
const NINE_AM: i64 = 3_600;

/// A reason to tell someone about a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Nudge {
    /// 到期提醒: due in three days.
    DueSoon,
    /// 到期提醒: due tomorrow.
    DueTomorrow,
    /// 逾期督办: a day overdue, to the unit's leaders.
    Overdue,
    /// 逾期督办: three days overdue, to the owner leader.
    LongOverdue,
    /// 催办: the office urges.
    Urge,
    /// 待审核: a report waits for the unit's leader.
    Review,
    /// 退回: a report came back.
    Returned,
}

/// Whom a nudge reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Audience {
    /// The task unit's supervision contacts.
    Contacts,
    /// The task unit's leaders.
    UnitLeaders,
    /// The item's owner leader.
    Owner,
}

impl Nudge {
    /// The scheduled nudges, in order.
    pub const SCHEDULED: [Nudge; 4] = [
        Nudge::DueSoon,
        Nudge::DueTomorrow,
        Nudge::Overdue,
        Nudge::LongOverdue,
    ];

    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DueSoon => "due_soon",
            Self::DueTomorrow => "due_tomorrow",
            Self::Overdue => "overdue",
            Self::LongOverdue => "long_overdue",
            Self::Urge => "urge",
            Self::Review => "review",
            Self::Returned => "returned",
        }
    }

    /// The nudge stored as `text`.
    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::DueSoon,
            Self::DueTomorrow,
            Self::Overdue,
            Self::LongOverdue,
            Self::Urge,
            Self::Review,
            Self::Returned,
        ]
        .into_iter()
        .find(|n| n.as_str() == text)
    }

    /// As shown in the item's list of notices.
    pub fn zh(self) -> &'static str {
        match self {
            Self::DueSoon => "到期提醒（三天前）",
            Self::DueTomorrow => "到期提醒（一天前）",
            Self::Overdue => "逾期督办（单位负责人）",
            Self::LongOverdue => "逾期督办（责任领导）",
            Self::Urge => "催办",
            Self::Review => "待审核提醒",
            Self::Returned => "退回通知",
        }
    }

    /// When a scheduled nudge of a task due on `due` (a China day) falls, in Unix seconds;
    /// none for those sent when something happens.
    pub fn at(self, due: i64) -> Option<i64> {
        let day = match self {
            Self::DueSoon => due - 3,
            Self::DueTomorrow => due - 1,
            Self::Overdue => due + 1,
            Self::LongOverdue => due + 3,
            Self::Urge | Self::Review | Self::Returned => return None,
        };
        Some(day * 86_400 + NINE_AM)
    }

    /// Whom it reaches.
    pub fn audience(self) -> Audience {
        match self {
            Self::DueSoon | Self::DueTomorrow | Self::Urge | Self::Returned => Audience::Contacts,
            Self::Overdue | Self::Review => Audience::UnitLeaders,
            Self::LongOverdue => Audience::Owner,
        }
    }

    /// Whether it is sent only while the task is still open (a reminder for a task done since
    /// is dropped).
    pub fn needs_open_task(self) -> bool {
        !matches!(self, Self::Returned)
    }

    /// The work notification's words and the to-do's subject for a task of `item` given to
    /// `unit`, due on `due` (`YYYY-MM-DD`); `note` is the office's words when urging or the
    /// leader's reason when returning.
    pub fn words(self, item: &str, unit: &str, due: &str, note: Option<&str>) -> Words {
        let note = note.map(|n| format!("：{n}")).unwrap_or_default();
        let (title, text, todo) = match self {
            Self::DueSoon => (
                "督查到期提醒",
                format!("“{item}”交{unit}办理的任务将于 {due} 到期，请及时报送进展。"),
                format!("报送进展：{item}"),
            ),
            Self::DueTomorrow => (
                "督查到期提醒",
                format!("“{item}”交{unit}办理的任务明天（{due}）到期，请尽快报送进展。"),
                format!("报送进展：{item}"),
            ),
            Self::Overdue => (
                "督查逾期督办",
                format!("“{item}”交{unit}办理的任务已于 {due} 到期，尚未办结，请督促办理。"),
                format!("督办：{item}（{unit}）"),
            ),
            Self::LongOverdue => (
                "督查逾期督办",
                format!("您负责的“{item}”交{unit}办理的任务已逾期三天（截止 {due}），尚未办结。"),
                format!("督办：{item}（{unit}）"),
            ),
            Self::Urge => (
                "督查催办",
                format!("督查室催办“{item}”交{unit}办理的任务（截止 {due}）{note}"),
                format!("催办：{item}"),
            ),
            Self::Review => (
                "进展报告待审核",
                format!("{unit}报送了“{item}”的进展，请审核。"),
                format!("审核进展：{item}"),
            ),
            Self::Returned => (
                "进展报告被退回",
                format!("“{item}”的进展报告被退回{note}，请修改后重新报送。"),
                format!("重新报送：{item}"),
            ),
        };
        Words {
            title: title.to_string(),
            text,
            todo,
        }
    }
}

/// The page a notification or to-do about task `task_id` opens in the supervision mini-app.
pub fn task_deep_link(mini_app_id: &str, task_id: &str) -> String {
    format!("zhelikit://mini-app/{mini_app_id}/home?task={task_id}")
}

/// What a nudge says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words {
    /// The notification's title.
    pub title: String,
    /// Its text.
    pub text: String,
    /// The to-do's subject.
    pub todo: String,
}

/// The scheduled nudges of a task due on `due` that fall after `now` (Unix seconds), with
/// when: a task dispatched two days before its due date gets no three-day reminder.
pub fn schedule(due: i64, now: i64) -> Vec<(Nudge, i64)> {
    Nudge::SCHEDULED
        .into_iter()
        .filter_map(|n| n.at(due).map(|at| (n, at)))
        .filter(|(_, at)| *at > now)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{china_day, parse_day};

    #[test]
    fn reminders_fall_at_nine_in_the_morning_china_time() {
        let due = parse_day("2026-12-10").expect("a day");
        let at = Nudge::DueSoon.at(due).expect("scheduled");
        assert_eq!(china_day(at), parse_day("2026-12-07").expect("a day"));
        // 01:00 UTC is 09:00 in Beijing.
        assert_eq!(at.rem_euclid(86_400), 3_600);
        assert_eq!(
            china_day(Nudge::LongOverdue.at(due).expect("scheduled")),
            due + 3
        );
        assert_eq!(Nudge::Urge.at(due), None);
    }

    #[test]
    fn a_task_due_soon_after_dispatch_skips_the_reminders_already_past() {
        let due = parse_day("2026-12-10").expect("a day");
        let two_days_before = (due - 2) * 86_400;
        let kinds: Vec<Nudge> = schedule(due, two_days_before)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(
            kinds,
            [Nudge::DueTomorrow, Nudge::Overdue, Nudge::LongOverdue]
        );
        assert_eq!(schedule(due, 0).len(), 4);
    }

    #[test]
    fn each_nudge_reaches_its_audience_with_its_words() {
        assert_eq!(Nudge::Overdue.audience(), Audience::UnitLeaders);
        assert_eq!(Nudge::LongOverdue.audience(), Audience::Owner);
        let w = Nudge::Urge.words(
            "推进重大项目",
            "温州市交通运输局",
            "2026-12-10",
            Some("请本周内报送"),
        );
        assert_eq!(w.title, "督查催办");
        assert!(
            w.text.ends_with("（截止 2026-12-10）：请本周内报送"),
            "{}",
            w.text
        );
        for n in Nudge::SCHEDULED {
            assert_eq!(Nudge::parse(n.as_str()), Some(n));
        }
    }
}
