//! Progress reports (进展反馈): a unit's contact reports text, indicator values and photos; the
//! unit's leader approves it (the values then count) or sends it back with a reason. A report
//! may say the task is finished (申请办结); approved, that closes the task.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::amount::Amount;
use super::item::{check_attachments, Indicator};
use super::tree::TaskStatus;
use crate::forms::definition::AttachmentRef;
use crate::input::{invalid, Invalid};

/// One indicator's value in a report, with the unit the reporter read it in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Value {
    /// The indicator's key.
    pub key: String,
    /// The value reached so far (cumulative, not the change since the last report).
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub value: Amount,
    /// The unit it is in; must be the indicator's.
    pub unit: String,
}

/// What a contact reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportDraft {
    /// What was done, 1–2,000 characters.
    pub text: String,
    /// Values reached, for the task's targets.
    #[serde(default)]
    pub values: Vec<Value>,
    /// Photos of the work (进度照片), chosen through the bridge's `chooseImage`.
    #[serde(default)]
    pub photos: Vec<AttachmentRef>,
    /// Whether the unit asks to close the task as finished (申请办结).
    #[serde(default)]
    pub completes: bool,
}

/// Where a report is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    /// 待审核: waiting for the unit's leader.
    Pending,
    /// 已通过: its values count.
    Approved,
    /// 已退回: sent back with a reason.
    Rejected,
}

impl ReportStatus {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }

    /// The status stored as `text`.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Approved, Self::Rejected]
            .into_iter()
            .find(|s| s.as_str() == text)
    }

    /// As shown.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Pending => "待审核",
            Self::Approved => "已通过",
            Self::Rejected => "已退回",
        }
    }
}

/// A leader's decision on a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Decision {
    /// Approve, or send back.
    pub approve: bool,
    /// Why it goes back (required then), 1–200 characters.
    #[serde(default)]
    pub reason: Option<String>,
}

impl Decision {
    /// The reason of a rejection, checked; none for an approval.
    pub fn check(&self) -> Result<Option<&str>, Invalid> {
        if self.approve {
            return Ok(None);
        }
        let reason = self.reason.as_deref().map(str::trim).unwrap_or_default();
        let n = reason.chars().count();
        if n == 0 || n > 200 || reason.chars().any(char::is_control) {
            return Err(invalid(
                "reason",
                "退回须写明原因（1–200 个字符）",
                "a rejection needs a reason of 1–200 characters",
            ));
        }
        Ok(Some(reason))
    }
}

/// The task a report is for, as the rules need it.
#[derive(Debug, Clone, Copy)]
pub struct ReportedTask<'a> {
    /// Its status.
    pub status: TaskStatus,
    /// Whether it is decomposed (its values come from its subtasks).
    pub decomposed: bool,
    /// Whether it has a report waiting for its leader.
    pub pending: bool,
    /// The item's indicators.
    pub indicators: &'a [Indicator],
    /// The indicators the task has a target for.
    pub targets: &'a BTreeSet<&'a str>,
}

/// Why a report cannot be taken now (the task's state, not the report's content).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotNow {
    /// The task is done or cancelled.
    Closed(TaskStatus),
    /// An earlier report waits for the leader.
    Pending,
}

impl ReportDraft {
    /// Checks the report against its task: `Err(Ok(_))` when the task does not take reports
    /// now, `Err(Err(_))` when the report itself is at fault.
    pub fn check(&self, task: ReportedTask<'_>) -> Result<(), Result<NotNow, Invalid>> {
        if task.status != TaskStatus::Open {
            return Err(Ok(NotNow::Closed(task.status)));
        }
        if task.pending {
            return Err(Ok(NotNow::Pending));
        }
        self.check_content(task).map_err(Err)
    }

    fn check_content(&self, task: ReportedTask<'_>) -> Result<(), Invalid> {
        let n = self.text.trim().chars().count();
        if n == 0 || n > 2_000 || self.text.chars().any(|c| c.is_control() && c != '\n') {
            return Err(invalid(
                "text",
                "进展情况须为 1–2000 个字符",
                "text must be 1–2,000 characters",
            ));
        }
        if task.decomposed && !self.values.is_empty() {
            return Err(invalid(
                "values",
                "此任务已分解，指标数值由下级任务汇总，不能直接报送",
                "this task is decomposed: its values add up from its subtasks",
            ));
        }
        let mut seen = BTreeSet::new();
        for v in &self.values {
            let Some(indicator) = task.indicators.iter().find(|i| i.key == v.key) else {
                return Err(invalid(
                    "values",
                    format!("督查事项没有指标“{}”", v.key),
                    format!("the item has no indicator {}", v.key),
                ));
            };
            if !task.targets.contains(v.key.as_str()) {
                return Err(invalid(
                    "values",
                    format!("本任务没有指标“{}”的目标", indicator.name),
                    format!("this task has no target for {}", v.key),
                ));
            }
            if v.unit.trim() != indicator.unit {
                return Err(invalid(
                    "values",
                    format!(
                        "指标“{}”的单位应为{}，收到的是“{}”",
                        indicator.name, indicator.unit, v.unit
                    ),
                    format!("{} is in {}, not {:?}", v.key, indicator.unit, v.unit),
                ));
            }
            indicator.check_amount("values", v.value)?;
            if !seen.insert(v.key.as_str()) {
                return Err(invalid(
                    "values",
                    format!("指标“{}”报送了两次", indicator.name),
                    format!("{} is reported twice", v.key),
                ));
            }
        }
        check_attachments("photos", &self.photos)?;
        if let Some(bad) = self
            .photos
            .iter()
            .find(|p| !p.media_type.starts_with("image/"))
        {
            return Err(invalid(
                "photos",
                format!("“{}”不是图片", bad.name),
                format!("{} is not an image", bad.name),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supervision::item::IndicatorKind;

    fn indicators() -> Vec<Indicator> {
        vec![
            Indicator {
                key: "investment".into(),
                name: "投资完成额".into(),
                unit: "亿元".into(),
                kind: IndicatorKind::Decimal,
                target: Amount::from_units(5),
            },
            Indicator {
                key: "projects".into(),
                name: "开工项目".into(),
                unit: "个".into(),
                kind: IndicatorKind::Integer,
                target: Amount::from_units(12),
            },
        ]
    }

    fn report(values: &[(&str, &str, &str)]) -> ReportDraft {
        ReportDraft {
            text: "已完成征迁".into(),
            values: values
                .iter()
                .map(|(k, v, u)| Value {
                    key: (*k).into(),
                    value: Amount::parse(v).expect("an amount"),
                    unit: (*u).into(),
                })
                .collect(),
            photos: vec![],
            completes: false,
        }
    }

    fn check(
        r: &ReportDraft,
        status: TaskStatus,
        decomposed: bool,
    ) -> Result<(), Result<NotNow, Invalid>> {
        let list = indicators();
        let targets: BTreeSet<&str> = ["investment", "projects"].into_iter().collect();
        r.check(ReportedTask {
            status,
            decomposed,
            pending: false,
            indicators: &list,
            targets: &targets,
        })
    }

    fn reason(r: Result<(), Result<NotNow, Invalid>>) -> String {
        match r {
            Err(Err(e)) => e.reason.zh,
            other => panic!("expected a refusal of the content, got {other:?}"),
        }
    }

    #[test]
    fn values_in_the_indicators_unit_and_kind_are_taken() {
        let r = report(&[("investment", "3.2", "亿元"), ("projects", "7", "个")]);
        assert_eq!(check(&r, TaskStatus::Open, false), Ok(()));
    }

    #[test]
    fn a_value_in_another_unit_or_of_the_wrong_type_is_refused_by_name() {
        let wrong_unit = report(&[("investment", "32000", "万元")]);
        let zh = reason(check(&wrong_unit, TaskStatus::Open, false));
        assert!(zh.contains("单位应为亿元") && zh.contains("万元"), "{zh}");
        let half = report(&[("projects", "7.5", "个")]);
        assert!(reason(check(&half, TaskStatus::Open, false)).contains("须为整数"));
        let unknown = report(&[("gdp", "1", "亿元")]);
        assert!(reason(check(&unknown, TaskStatus::Open, false)).contains("没有指标"));
        let twice = report(&[("projects", "1", "个"), ("projects", "2", "个")]);
        assert!(reason(check(&twice, TaskStatus::Open, false)).contains("两次"));
    }

    #[test]
    fn a_closed_task_takes_no_report_and_a_decomposed_one_no_values() {
        let r = report(&[]);
        assert_eq!(
            check(&r, TaskStatus::Done, false),
            Err(Ok(NotNow::Closed(TaskStatus::Done)))
        );
        assert_eq!(
            check(&r, TaskStatus::Cancelled, false),
            Err(Ok(NotNow::Closed(TaskStatus::Cancelled)))
        );
        assert_eq!(check(&r, TaskStatus::Open, true), Ok(()));
        let with_values = report(&[("investment", "1", "亿元")]);
        assert!(reason(check(&with_values, TaskStatus::Open, true)).contains("已分解"));
    }

    #[test]
    fn a_rejection_needs_a_reason() {
        let back = |reason: Option<&str>| Decision {
            approve: false,
            reason: reason.map(Into::into),
        };
        assert_eq!(back(Some(" 数据不实 ")).check(), Ok(Some("数据不实")));
        assert!(back(None).check().is_err());
        assert!(back(Some("  ")).check().is_err());
        let yes = Decision {
            approve: true,
            reason: None,
        };
        assert_eq!(yes.check(), Ok(None));
    }
}
