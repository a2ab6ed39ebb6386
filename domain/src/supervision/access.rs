//! Who may do what (权限): each action a rule over the actor's role and the unit of the task
//! it touches, so the BFF asks one question per request and the mini-app can grey out what
//! the person may not do.

use serde::{Deserialize, Serialize};

use super::org::{Org, Role};
use crate::lang::Text;

/// Something an official does in supervision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// 立项: open an item.
    CreateItem,
    /// 交办: dispatch an item's tasks to units.
    Dispatch,
    /// 分解: decompose a task to the units below its unit.
    Decompose,
    /// 反馈: report a task's progress.
    Report,
    /// 审核: approve or send back a report.
    Decide,
    /// 催办: urge the unit of a task.
    Urge,
    /// 调整: move or cancel a task, close an item.
    Manage,
    /// 查看: read a task.
    View,
    /// 统计: the city-wide dashboard and its export.
    Dashboard,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 9] = [
        Action::CreateItem,
        Action::Dispatch,
        Action::Decompose,
        Action::Report,
        Action::Decide,
        Action::Urge,
        Action::Manage,
        Action::View,
        Action::Dashboard,
    ];

    /// As shown.
    pub fn zh(self) -> &'static str {
        match self {
            Action::CreateItem => "立项",
            Action::Dispatch => "交办",
            Action::Decompose => "分解任务",
            Action::Report => "报送进展",
            Action::Decide => "审核报告",
            Action::Urge => "催办",
            Action::Manage => "调整任务",
            Action::View => "查看任务",
            Action::Dashboard => "查看统计",
        }
    }
}

/// Whether `role` may do `action`, on a task of `task_unit` when the action is about a task.
pub fn allows(org: &Org, role: &Role, action: Action, task_unit: Option<&str>) -> bool {
    let own = |unit: &str| task_unit == Some(unit);
    let above = |unit: &str| task_unit.is_some_and(|t| org.within(t, unit));
    match (action, role) {
        (Action::CreateItem | Action::Dashboard | Action::Urge, r) => r.sees_all(),
        (Action::Dispatch | Action::Manage, Role::Office) => true,
        (Action::Dispatch | Action::Manage, _) => false,
        (Action::Decompose, Role::Office) => true,
        (Action::Decompose | Action::Decide, Role::UnitLeader { unit }) => own(unit),
        (Action::Decompose | Action::Decide, _) => false,
        (Action::Report, Role::Contact { unit }) => own(unit),
        (Action::Report, _) => false,
        (Action::View, r) if r.sees_all() => true,
        // A unit sees its own tasks and those of the units below it (the parent sees the
        // division's report).
        (Action::View, r) => r.unit().is_some_and(above),
    }
}

/// The refusal of `action` to `role`, in words the official understands.
pub fn refusal(role: &Role, action: Action) -> Text {
    let who = role.zh();
    let en = match action {
        Action::CreateItem => "only city leaders and the supervision office open items",
        Action::Dispatch => "only the supervision office dispatches tasks",
        Action::Decompose => "only the task unit's leader or the office decomposes a task",
        Action::Report => "only the task unit's supervision contact reports",
        Action::Decide => "only the task unit's leader decides on its reports",
        Action::Urge => "only city leaders and the supervision office urge",
        Action::Manage => "only the supervision office adjusts tasks",
        Action::View => "the task belongs to another unit",
        Action::Dashboard => "only city leaders and the supervision office see the dashboard",
    };
    Text::new(format!("您的身份是{who}，无权{}", action.zh()), en)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supervision::org::tests::sample;

    fn role(org: &Org, code: &str) -> Role {
        org.role(org.person(code).expect("a person"))
    }

    #[test]
    fn each_role_does_only_its_part() {
        let org = sample();
        let table: &[(&str, Action, Option<&str>, bool)] = &[
            ("mayor", Action::CreateItem, None, true),
            ("mayor", Action::Dispatch, None, false),
            ("mayor", Action::Dashboard, None, true),
            ("clerk", Action::Dispatch, None, true),
            ("clerk", Action::Urge, Some("a"), true),
            ("clerk", Action::Report, Some("a"), false),
            ("a-head", Action::Decide, Some("a"), true),
            ("a-head", Action::Decide, Some("a1"), false),
            ("a-head", Action::Decompose, Some("a"), true),
            ("a-head", Action::Decompose, Some("b"), false),
            ("a-head", Action::View, Some("a1"), true),
            ("a-head", Action::CreateItem, None, false),
            ("a-contact", Action::Report, Some("a"), true),
            ("a-contact", Action::Report, Some("b"), false),
            ("a-contact", Action::Decide, Some("a"), false),
            ("a1-contact", Action::View, Some("a"), false),
            ("b-staff", Action::View, Some("b"), true),
            ("b-staff", Action::Report, Some("b"), false),
            ("b-staff", Action::Urge, Some("b"), false),
        ];
        for (who, action, unit, expected) in table {
            let r = role(&org, who);
            assert_eq!(
                allows(&org, &r, *action, *unit),
                *expected,
                "{who} {action:?} {unit:?}"
            );
        }
    }

    #[test]
    fn a_refusal_names_the_role_and_the_action() {
        let org = sample();
        let t = refusal(&role(&org, "b-staff"), Action::Report);
        assert_eq!(t.zh, "您的身份是工作人员，无权报送进展");
    }
}
