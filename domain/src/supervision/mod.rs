//! 政务督查 (supervision on 浙政钉): a city leader's instruction becomes an item with
//! quantitative indicators; the office decomposes it into tasks dispatched to units of the
//! organisation tree, which decompose further to their divisions; each unit's contact reports
//! progress, its leader approves; reminders, urging and escalation reach the right people; the
//! leaders see the figures. The rules, once, with no I/O:
//!
//! - [`org`]: the organisation tree and the roles it gives (city leader, office, unit leader,
//!   contact, member);
//! - [`access`]: which role may do what, on which unit's task;
//! - [`item`]: items, indicators and tasks as written, and the rules of decomposition;
//! - [`tree`]: an item's task tree — values rolled up, progress, no cycles;
//! - [`report`]: progress reports and the leader's decision;
//! - [`nudge`]: reminders, urging and escalation — when, to whom, in what words;
//! - [`dashboard`]: the figures the charts and the exported report share;
//! - [`amount`]: exact indicator quantities;
//! - [`wire`]: the HTTP API's types.

pub mod access;
pub mod amount;
pub mod dashboard;
pub mod item;
pub mod nudge;
pub mod org;
pub mod report;
pub mod tree;
pub mod wire;

pub use access::{allows, refusal, Action};
pub use amount::Amount;
pub use dashboard::{dashboard, Dashboard, IndicatorFact, TaskFact};
pub use item::{
    Indicator, IndicatorKind, ItemDraft, Parent, Priority, SourceKind, Target, TaskDraft,
};
pub use nudge::{schedule, Audience, Nudge};
pub use org::{Org, Person, Role, Unit, CONTACT_TITLE};
pub use report::{Decision, ReportDraft, ReportStatus, Value};
pub use tree::{Node, Rollup, TaskStatus, Tree};
