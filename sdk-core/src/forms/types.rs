//! What the forms client hands the app: forms, drafts with their problems, the outbox, and
//! where each submission stands.

use zhelikit_domain::forms::definition::Problem;
use zhelikit_domain::forms::submission::{self, FormSummary};

/// A form the person may fill.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FormInfo {
    /// Its id.
    pub id: String,
    /// Its open version.
    pub version: u32,
    /// Its title, zh-CN.
    pub title: String,
    /// The departments an application reaches (一件事), by code.
    pub departments: Vec<String>,
}

impl From<FormSummary> for FormInfo {
    fn from(s: FormSummary) -> Self {
        Self {
            id: s.id,
            version: s.version,
            title: s.title,
            departments: s.departments,
        }
    }
}

/// A form version, as the page renders it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FormView {
    /// Its id.
    pub id: String,
    /// The version.
    pub version: u32,
    /// Its title, zh-CN.
    pub title: String,
    /// `open`, `closing` (finish drafts begun on it) or `closed`.
    pub status: String,
    /// The definition (fields, choices, routing), JSON: what the page lays out.
    pub definition_json: String,
    /// True when this is the copy kept on the device (the BFF could not be reached).
    pub offline: bool,
}

/// What is wrong with one answer.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FieldProblem {
    /// Where: the field's path (`shareholders[0].contribution`).
    pub path: String,
    /// What kind: `required`, `type`, `format`, `choice`, `constraint`, `count`, `unknown`.
    pub code: String,
    /// What to tell the person, zh-CN.
    pub message: String,
}

impl From<Problem> for FieldProblem {
    fn from(p: Problem) -> Self {
        Self {
            path: p.path,
            code: p.code.into(),
            message: p.message.zh,
        }
    }
}

/// A draft: answers being given, kept sealed on the device and saved on every change.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Draft {
    /// Its id on this device.
    pub draft_id: String,
    /// The form.
    pub form_id: String,
    /// The version it is on.
    pub version: u32,
    /// The answers so far, JSON (a field's answer under its name; a repeat's as a list).
    pub answers_json: String,
    /// Every problem the answers have now, by path (the same check the BFF makes); empty
    /// means the draft may be finalized.
    pub problems: Vec<FieldProblem>,
    /// Answers the form's newer version no longer asks for, by path: the draft moved to it
    /// without them. Tell the person.
    pub dropped_fields: Vec<String>,
    /// The submission this draft corrects (a department sent a part back).
    pub supersedes: Option<String>,
    /// When last saved, milliseconds since the epoch.
    pub updated_at_ms: i64,
    /// The answers filled for the person that still stand (one the person changed is theirs
    /// now and drops out): show each with its source; a `verified` one read-only.
    pub filled: Vec<FilledField>,
    /// The sources that filled nothing and why (a department down, no record): show the
    /// reason beside the fields left to type.
    pub unfilled: Vec<UnfilledSource>,
    /// Fields not to show now (their relevance does not hold), by name; what they hold is
    /// not submitted.
    pub hidden: Vec<String>,
    /// The choice codes each select with a choice filter offers now (the county of the city
    /// chosen …), by field name; a select not here offers its whole list.
    pub options: std::collections::HashMap<String, Vec<String>>,
    /// The calculations' values now, JSON by field name (shown read-only).
    pub computed_json: String,
}

/// An answer filled for the person (一表通), and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FilledField {
    /// The field's name.
    pub field: String,
    /// True for a government-verified answer: show it read-only (ZheliKit refuses another
    /// answer while the department gives this one).
    pub verified: bool,
    /// The source: `profile`, `resident_id`, `household`, `registration`, `tax`,
    /// `social_security`, or `last` (the person's last submission of the form).
    pub source: String,
    /// Who vouches for it, zh-CN (市场监管局·营业执照, 上次提交 …).
    pub provider: String,
    /// How old it is, in seconds: the department's record's age, or the last submission's.
    pub age_secs: u64,
    /// For `last`: the submission it came from.
    pub from_instance: Option<String>,
}

/// A source that filled nothing, and why.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct UnfilledSource {
    /// The source (as in [`FilledField::source`]).
    pub source: String,
    /// Who it is, zh-CN.
    pub provider: String,
    /// Why nothing came, zh-CN (部门没有您的记录, 税务局暂时无法访问 …).
    pub reason: String,
    /// The fields left for the person to type.
    pub fields: Vec<String>,
}

/// What 一表通 filled of a form for the person, kept on the device so a draft begun
/// offline starts filled too.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FormPrefill {
    /// The form.
    pub form_id: String,
    /// The version it was filled for.
    pub version: u32,
    /// The filled answers, JSON (with the form's defaults and calculations).
    pub answers_json: String,
    /// Every answer filled and its source.
    pub filled: Vec<FilledField>,
    /// The sources that filled nothing and why.
    pub unfilled: Vec<UnfilledSource>,
    /// The share of the answers a person would type that were filled, 0–1.
    pub coverage: f64,
    /// True when this is the copy kept on the device (ZheliKit could not be reached).
    pub offline: bool,
}

/// Where a finalized submission is on its way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum OutboxState {
    /// Waiting to be sent (offline, or ZheliKit did not answer yet).
    Queued,
    /// Taken by ZheliKit (once, however often it was sent).
    Sent,
    /// Refused by ZheliKit for good (`refusal_code` says why); correct it in a new draft.
    Refused,
}

/// A finalized submission in the device's outbox.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Outgoing {
    /// Its id, made when it was finalized; ZheliKit applies it once.
    pub instance_id: String,
    /// The form.
    pub form_id: String,
    /// The version filled.
    pub version: u32,
    /// Its place in this device's outbox.
    pub seq: u64,
    /// Where it is.
    pub state: OutboxState,
    /// Why it was refused: the problem's stable code (`form_closed`, `form_answers_invalid` …).
    pub refusal_code: Option<String>,
    /// The refusal in words, zh-CN.
    pub refusal: Option<String>,
    /// A refusal's problems with the answers, by path.
    pub problems: Vec<FieldProblem>,
    /// Once sent: where the application stands.
    pub submission: Option<SubmissionInfo>,
    /// When finalized, milliseconds since the epoch.
    pub finalized_at_ms: i64,
}

/// The outcome of sending the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct OutboxSync {
    /// Taken by ZheliKit in this sync (including ones it had taken before an interruption).
    pub sent: u32,
    /// Refused for good in this sync.
    pub refused: u32,
    /// Still waiting.
    pub waiting: u32,
    /// True when the sync stopped because ZheliKit could not be reached.
    pub offline: bool,
}

/// One department's part of an application.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PartInfo {
    /// The department, by code.
    pub department: String,
    /// Its name (市场监管 …).
    pub department_name: String,
    /// What it does with the part (设立登记 …).
    pub title: String,
    /// `pending`, `received`, `accepted`, `rejected`, `completed`.
    pub status: String,
    /// The status in words, zh-CN (待送达, 已受理, 退回补正 …).
    pub status_text: String,
    /// The department's reason (a rejection's).
    pub reason: Option<String>,
    /// The department's case number.
    pub case_number: Option<String>,
}

/// A submission and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SubmissionInfo {
    /// Its id.
    pub instance_id: String,
    /// The form.
    pub form_id: String,
    /// The form's title.
    pub title: String,
    /// `submitted`, `in_progress`, `action_needed`, `completed`, `superseded`.
    pub status: String,
    /// The status in words, zh-CN.
    pub status_text: String,
    /// Each department's part.
    pub parts: Vec<PartInfo>,
    /// When ZheliKit took it, seconds since the epoch.
    pub received_at: i64,
    /// The submission it corrects.
    pub supersedes: Option<String>,
    /// The submission that corrects it.
    pub superseded_by: Option<String>,
}

fn name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

impl From<submission::Submission> for SubmissionInfo {
    fn from(s: submission::Submission) -> Self {
        Self {
            status: name(&s.status),
            status_text: s.status.zh().into(),
            parts: s
                .parts
                .into_iter()
                .map(|p| PartInfo {
                    status: name(&p.status),
                    status_text: p.status.zh().into(),
                    department: p.department,
                    department_name: p.department_name,
                    title: p.title,
                    reason: p.reason,
                    case_number: p.case_number,
                })
                .collect(),
            instance_id: s.instance_id,
            form_id: s.form_id,
            title: s.title,
            received_at: s.received_at,
            supersedes: s.supersedes,
            superseded_by: s.superseded_by,
        }
    }
}
