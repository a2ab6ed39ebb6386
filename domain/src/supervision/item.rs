//! A supervision item (督查事项) and its tasks as officials write them, and the rules they must
//! keep: an item owned by a city leader, with quantitative indicators; tasks dispatched to
//! units of the tree, each due no later than what it was decomposed from, a unit's task
//! decomposed only to the units below it.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::amount::Amount;
use super::org::{Org, Role};
use crate::forms::definition::AttachmentRef;
use crate::input::{invalid, Invalid};

/// Most indicators an item has.
pub const MAX_INDICATORS: usize = 12;
/// Most attachments an item or a report has (a phone's picker offers nine).
pub const MAX_ATTACHMENTS: usize = 9;
/// Largest attachment, in bytes.
pub const MAX_ATTACHMENT_BYTES: u64 = crate::forms::definition::DEFAULT_MAX_ATTACHMENT;
/// Most tasks one dispatch makes.
pub const MAX_DISPATCH: usize = 100;

/// Where an item comes from (督查事项来源).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// 领导批示: a leader's written instruction.
    Instruction,
    /// 会议议定: decided at a meeting.
    Meeting,
    /// 文件部署: a document's assignment.
    Document,
    /// 人大建议、政协提案: a deputy's suggestion or a CPPCC proposal.
    Proposal,
    /// 其他.
    Other,
}

impl SourceKind {
    /// As shown.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Instruction => "领导批示",
            Self::Meeting => "会议议定",
            Self::Document => "文件部署",
            Self::Proposal => "建议提案",
            Self::Other => "其他",
        }
    }
}

/// How urgent an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// 特急.
    Urgent,
    /// 加急.
    High,
    /// 平急.
    Normal,
}

impl Priority {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Urgent => "urgent",
            Self::High => "high",
            Self::Normal => "normal",
        }
    }

    /// The priority stored as `text`.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Urgent, Self::High, Self::Normal]
            .into_iter()
            .find(|p| p.as_str() == text)
    }

    /// As shown.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Urgent => "特急",
            Self::High => "加急",
            Self::Normal => "平急",
        }
    }
}

/// Whether an indicator counts things or measures them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum IndicatorKind {
    /// Whole numbers (个, 项, 家).
    Integer,
    /// Up to four decimal places (亿元, 公里, %).
    Decimal,
}

/// A quantitative target of an item (量化指标): "投资完成 5.0 亿元".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Indicator {
    /// Its key within the item: 1–32 of `a-z`, `0-9`, `_`, starting with a letter.
    pub key: String,
    /// Its name, 1–40 characters (“固定资产投资完成额”).
    pub name: String,
    /// Its unit, 1–10 characters (“亿元”).
    pub unit: String,
    /// Counted or measured.
    pub kind: IndicatorKind,
    /// The target for the whole item.
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub target: Amount,
}

/// What a city leader or the office writes to open an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemDraft {
    /// Title, 1–80 characters.
    pub title: String,
    /// Where it comes from.
    pub source_kind: SourceKind,
    /// The instruction, meeting or document, 1–200 characters (“市政府第 12 次常务会议”).
    pub source: String,
    /// What must be done, up to 2,000 characters.
    #[serde(default)]
    pub description: String,
    /// Employee code of the city leader who owns it (责任领导).
    pub owner: String,
    /// Last day, `YYYY-MM-DD`; today or later.
    pub due: String,
    /// How urgent.
    pub priority: Priority,
    /// Its quantitative targets.
    #[serde(default)]
    pub indicators: Vec<Indicator>,
    /// Its documents (the instruction's scan, the meeting minutes).
    #[serde(default)]
    pub attachments: Vec<AttachmentRef>,
}

/// A task's target for one of its item's indicators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Target {
    /// The indicator's key.
    pub key: String,
    /// The unit's share of it.
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub target: Amount,
}

/// A task to dispatch (交办): to which unit, by when, what, and its share of the indicators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskDraft {
    /// The unit's organisation code.
    pub unit: String,
    /// What the unit must do, 1–500 characters.
    pub content: String,
    /// Last day, `YYYY-MM-DD`: today or later, and no later than what it was decomposed from.
    pub due: String,
    /// Its targets, each for an indicator of the item.
    #[serde(default)]
    pub targets: Vec<Target>,
}

/// What a task is decomposed from: the item itself, or a task of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parent<'a> {
    /// The item, due on `due` (days since 1970-01-01).
    Item {
        /// Its last day.
        due: i64,
    },
    /// A task of `unit`, due on `due`, with targets for `targets`.
    Task {
        /// Its unit.
        unit: &'a str,
        /// Its last day.
        due: i64,
        /// The indicators it has a target for.
        targets: BTreeSet<&'a str>,
    },
}

fn chars(field: &'static str, value: &str, min: usize, max: usize) -> Result<(), Invalid> {
    let n = value.trim().chars().count();
    if n < min || n > max {
        let zh = if min > 0 {
            format!("须为 {min}–{max} 个字符")
        } else {
            format!("最多 {max} 个字符")
        };
        return Err(invalid(
            field,
            zh,
            format!("must be {min}–{max} characters"),
        ));
    }
    if value.chars().any(|c| c.is_control() && c != '\n') {
        return Err(invalid(
            field,
            "不能含控制字符",
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// The day `text` (`YYYY-MM-DD`) names, today or later.
pub fn due_day(field: &'static str, text: &str, today: i64) -> Result<i64, Invalid> {
    let day = crate::policy::parse_day(text).ok_or_else(|| {
        invalid(
            field,
            format!("“{text}”不是日期，应为 YYYY-MM-DD"),
            format!("{text:?} is not a date YYYY-MM-DD"),
        )
    })?;
    if day < today {
        return Err(invalid(
            field,
            format!("截止日期 {text} 早于今天"),
            format!("{text} is in the past"),
        ));
    }
    Ok(day)
}

/// Checks the attachments of an item or a report.
pub fn check_attachments(field: &'static str, list: &[AttachmentRef]) -> Result<(), Invalid> {
    if list.len() > MAX_ATTACHMENTS {
        return Err(invalid(
            field,
            format!("最多 {MAX_ATTACHMENTS} 个附件"),
            format!("at most {MAX_ATTACHMENTS} attachments"),
        ));
    }
    for a in list {
        let hex = a.sm3.len() == 64
            && a.sm3
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !hex {
            return Err(invalid(
                field,
                "附件的 SM3 摘要须为 64 位小写十六进制",
                "an attachment's sm3 must be 64 lowercase hex digits",
            ));
        }
        if a.size == 0 || a.size > MAX_ATTACHMENT_BYTES {
            return Err(invalid(
                field,
                "附件须为 1 字节至 20 MB",
                "an attachment must be 1 byte to 20 MB",
            ));
        }
        chars(field, &a.name, 1, 120)?;
        let media = a.media_type.split_once('/').is_some_and(|(t, s)| {
            !t.is_empty() && !s.is_empty() && a.media_type.len() <= 100 && a.media_type.is_ascii()
        });
        if !media {
            return Err(invalid(
                field,
                format!("“{}”不是媒体类型", a.media_type),
                format!("{:?} is not a media type", a.media_type),
            ));
        }
    }
    Ok(())
}

impl Indicator {
    fn check(&self) -> Result<(), Invalid> {
        let key_ok = (1..=32).contains(&self.key.len())
            && self
                .key
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_lowercase())
            && self
                .key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !key_ok {
            return Err(invalid(
                "indicators.key",
                format!(
                    "指标键“{}”须为 1–32 个小写字母、数字或下划线，以字母开头",
                    self.key
                ),
                format!(
                    "{:?} must be 1–32 of a-z, 0-9, _ starting with a letter",
                    self.key
                ),
            ));
        }
        chars("indicators.name", &self.name, 1, 40)?;
        chars("indicators.unit", &self.unit, 1, 10)?;
        self.check_amount("indicators.target", self.target)?;
        if self.target == Amount::ZERO {
            return Err(invalid(
                "indicators.target",
                format!("指标“{}”的目标须大于 0", self.name),
                format!("indicator {} needs a target above 0", self.key),
            ));
        }
        Ok(())
    }

    /// Checks `amount` is of this indicator's kind and not negative.
    pub fn check_amount(&self, field: &'static str, amount: Amount) -> Result<(), Invalid> {
        if amount.is_negative() {
            return Err(invalid(
                field,
                format!("指标“{}”的数值不能为负", self.name),
                format!("{} must not be negative", self.key),
            ));
        }
        if self.kind == IndicatorKind::Integer && !amount.is_whole() {
            return Err(invalid(
                field,
                format!(
                    "指标“{}”以{}计，须为整数，收到 {amount}",
                    self.name, self.unit
                ),
                format!(
                    "{} counts whole {}; {amount} is not whole",
                    self.key, self.unit
                ),
            ));
        }
        Ok(())
    }
}

/// An item draft that kept every rule: its due day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckedItem {
    /// Its last day, days since 1970-01-01.
    pub due: i64,
}

impl ItemDraft {
    /// Checks every field against the tree and `today`; the first fault is the answer.
    pub fn check(&self, org: &Org, today: i64) -> Result<CheckedItem, Invalid> {
        chars("title", &self.title, 1, 80)?;
        chars("source", &self.source, 1, 200)?;
        chars("description", &self.description, 0, 2_000)?;
        let owner = org.person(&self.owner).ok_or_else(|| {
            invalid(
                "owner",
                format!("组织架构中没有工号为 {} 的人员", self.owner),
                format!("no employee {} in the organisation", self.owner),
            )
        })?;
        if org.role(owner) != Role::CityLeader {
            return Err(invalid(
                "owner",
                format!("{}不是市领导，不能作为责任领导", owner.name),
                format!("{} is not a city leader", self.owner),
            ));
        }
        let due = due_day("due", &self.due, today)?;
        if self.indicators.len() > MAX_INDICATORS {
            return Err(invalid(
                "indicators",
                format!("最多 {MAX_INDICATORS} 项指标"),
                format!("at most {MAX_INDICATORS} indicators"),
            ));
        }
        let mut keys = BTreeSet::new();
        for i in &self.indicators {
            i.check()?;
            if !keys.insert(i.key.as_str()) {
                return Err(invalid(
                    "indicators.key",
                    format!("指标键“{}”重复", i.key),
                    format!("indicator key {} is repeated", i.key),
                ));
            }
        }
        check_attachments("attachments", &self.attachments)?;
        Ok(CheckedItem { due })
    }
}

/// A task draft that kept every rule: its due day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckedTask {
    /// Its last day, days since 1970-01-01.
    pub due: i64,
}

impl TaskDraft {
    /// Checks the task against what it is decomposed from, the item's indicators, the tree
    /// and `today`. `n` is its place in the dispatch (1-based), named in the message.
    pub fn check(
        &self,
        n: usize,
        parent: &Parent<'_>,
        indicators: &[Indicator],
        org: &Org,
        today: i64,
    ) -> Result<CheckedTask, Invalid> {
        let at = |e: Invalid| Invalid {
            field: e.field,
            reason: crate::lang::Text::new(
                format!("第 {n} 项任务：{}", e.reason.zh),
                format!("task {n}: {}", e.reason.en),
            ),
        };
        self.check_alone(parent, indicators, org, today).map_err(at)
    }

    fn check_alone(
        &self,
        parent: &Parent<'_>,
        indicators: &[Indicator],
        org: &Org,
        today: i64,
    ) -> Result<CheckedTask, Invalid> {
        let unit = org.unit(&self.unit).ok_or_else(|| {
            invalid(
                "tasks.unit",
                format!("组织架构中没有单位 {}", self.unit),
                format!("no unit {} in the organisation", self.unit),
            )
        })?;
        if unit.code == org.root() || unit.code == org.office() {
            return Err(invalid(
                "tasks.unit",
                format!("任务不能交办给{}", unit.name),
                format!("a task cannot be dispatched to {}", unit.code),
            ));
        }
        chars("tasks.content", &self.content, 1, 500)?;
        let due = due_day("tasks.due", &self.due, today)?;
        let parent_due = match parent {
            Parent::Item { due } => *due,
            Parent::Task {
                unit: above, due, ..
            } => {
                if !org.below(&unit.code, above) {
                    return Err(invalid(
                        "tasks.unit",
                        format!(
                            "{}不是{}的下级单位，只能分解给本单位的下级单位",
                            unit.name,
                            org.unit_name(above)
                        ),
                        format!("{} is not below {above}", unit.code),
                    ));
                }
                *due
            }
        };
        if due > parent_due {
            let what = match parent {
                Parent::Item { .. } => "督查事项",
                Parent::Task { .. } => "上级任务",
            };
            return Err(invalid(
                "tasks.due",
                format!(
                    "截止日期 {} 晚于{what}的截止日期 {}",
                    self.due,
                    crate::policy::format_day(parent_due)
                ),
                format!(
                    "{} is after the parent's due date {}",
                    self.due,
                    crate::policy::format_day(parent_due)
                ),
            ));
        }
        let mut seen = BTreeSet::new();
        for t in &self.targets {
            let indicator = indicators.iter().find(|i| i.key == t.key).ok_or_else(|| {
                invalid(
                    "tasks.targets",
                    format!("督查事项没有指标“{}”", t.key),
                    format!("the item has no indicator {}", t.key),
                )
            })?;
            if let Parent::Task { targets, .. } = parent {
                if !targets.contains(t.key.as_str()) {
                    return Err(invalid(
                        "tasks.targets",
                        format!("上级任务没有指标“{}”的目标，不能再分解", indicator.name),
                        format!("the parent task has no target for {}", t.key),
                    ));
                }
            }
            indicator.check_amount("tasks.targets", t.target)?;
            if !seen.insert(t.key.as_str()) {
                return Err(invalid(
                    "tasks.targets",
                    format!("指标“{}”的目标重复", indicator.name),
                    format!("{} has two targets", t.key),
                ));
            }
        }
        Ok(CheckedTask { due })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supervision::org::tests::sample;

    const TODAY: i64 = 20_400; // a day in November 2025

    fn day(offset: i64) -> String {
        crate::policy::format_day(TODAY + offset)
    }

    fn investment() -> Indicator {
        Indicator {
            key: "investment".into(),
            name: "投资完成额".into(),
            unit: "亿元".into(),
            kind: IndicatorKind::Decimal,
            target: Amount::from_units(5),
        }
    }

    fn projects() -> Indicator {
        Indicator {
            key: "projects".into(),
            name: "开工项目".into(),
            unit: "个".into(),
            kind: IndicatorKind::Integer,
            target: Amount::from_units(12),
        }
    }

    fn item() -> ItemDraft {
        ItemDraft {
            title: "推进重大项目建设".into(),
            source_kind: SourceKind::Meeting,
            source: "市政府第 12 次常务会议".into(),
            description: String::new(),
            owner: "mayor".into(),
            due: day(30),
            priority: Priority::High,
            indicators: vec![investment(), projects()],
            attachments: vec![],
        }
    }

    fn task(unit: &str, due: i64, targets: &[(&str, &str)]) -> TaskDraft {
        TaskDraft {
            unit: unit.into(),
            content: "按期完成".into(),
            due: day(due),
            targets: targets
                .iter()
                .map(|(k, v)| Target {
                    key: (*k).into(),
                    target: Amount::parse(v).expect("an amount"),
                })
                .collect(),
        }
    }

    #[test]
    fn an_item_is_owned_by_a_city_leader_and_due_today_or_later() {
        let org = sample();
        assert_eq!(item().check(&org, TODAY).map(|c| c.due), Ok(TODAY + 30));
        let mut not_leader = item();
        not_leader.owner = "a-head".into();
        let e = not_leader.check(&org, TODAY).expect_err("refused");
        assert_eq!(e.field, "owner");
        assert!(e.reason.zh.contains("不是市领导"), "{}", e.reason.zh);
        let mut past = item();
        past.due = day(-1);
        assert_eq!(past.check(&org, TODAY).map_err(|e| e.field), Err("due"));
        let mut twice = item();
        twice.indicators.push(investment());
        assert_eq!(
            twice.check(&org, TODAY).map_err(|e| e.field),
            Err("indicators.key")
        );
    }

    #[test]
    fn a_task_is_due_no_later_than_its_parent_and_names_its_place() {
        let org = sample();
        let parent = Parent::Item { due: TODAY + 30 };
        let ok = task("a", 20, &[("investment", "2.5")]);
        assert!(ok
            .check(1, &parent, &item().indicators, &org, TODAY)
            .is_ok());
        let late = task("b", 31, &[]);
        let e = late
            .check(2, &parent, &item().indicators, &org, TODAY)
            .expect_err("after the item");
        assert_eq!(e.field, "tasks.due");
        assert!(
            e.reason.zh.starts_with("第 2 项任务：截止日期"),
            "{}",
            e.reason.zh
        );
        assert!(e.reason.zh.contains("晚于督查事项"), "{}", e.reason.zh);
    }

    #[test]
    fn a_unit_decomposes_only_to_the_units_below_it_and_only_its_own_targets() {
        let org = sample();
        let indicators = item().indicators;
        let parent = Parent::Task {
            unit: "a",
            due: TODAY + 20,
            targets: ["investment"].into_iter().collect(),
        };
        assert!(task("a1", 10, &[("investment", "1")])
            .check(1, &parent, &indicators, &org, TODAY)
            .is_ok());
        let sideways = task("b", 10, &[]).check(1, &parent, &indicators, &org, TODAY);
        assert!(sideways.expect_err("not below").reason.zh.contains("不是"));
        let itself = task("a", 10, &[]).check(1, &parent, &indicators, &org, TODAY);
        assert_eq!(itself.map_err(|e| e.field), Err("tasks.unit"));
        let other_target =
            task("a1", 10, &[("projects", "1")]).check(1, &parent, &indicators, &org, TODAY);
        assert!(other_target
            .expect_err("no such target above")
            .reason
            .zh
            .contains("上级任务没有指标"));
        let late = task("a2", 21, &[]).check(1, &parent, &indicators, &org, TODAY);
        assert!(late.expect_err("after").reason.zh.contains("晚于上级任务"));
    }

    #[test]
    fn targets_keep_their_indicators_kind() {
        let org = sample();
        let parent = Parent::Item { due: TODAY + 30 };
        let indicators = item().indicators;
        let half_project = task("a", 5, &[("projects", "1.5")]);
        let e = half_project
            .check(1, &parent, &indicators, &org, TODAY)
            .expect_err("projects are whole");
        assert!(e.reason.zh.contains("须为整数"), "{}", e.reason.zh);
        let negative = task("a", 5, &[("investment", "-1")]);
        assert!(negative
            .check(1, &parent, &indicators, &org, TODAY)
            .is_err());
        let unknown = task("a", 5, &[("gdp", "1")]);
        assert!(unknown
            .check(1, &parent, &indicators, &org, TODAY)
            .expect_err("no such indicator")
            .reason
            .zh
            .contains("没有指标"));
        for unit in ["city", "office", "nowhere"] {
            assert_eq!(
                task(unit, 5, &[])
                    .check(1, &parent, &indicators, &org, TODAY)
                    .map_err(|e| e.field),
                Err("tasks.unit"),
                "{unit}"
            );
        }
    }
}
