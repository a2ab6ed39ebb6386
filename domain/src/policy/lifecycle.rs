//! A policy as officials write it and the steps it goes through (政策发布流程): draft → submitted
//! → approved by a second official (四眼原则) → published → withdrawn, or expired when its
//! validity ends. The rules are here, once; the BFF applies them and records every step.

use serde::{Deserialize, Serialize};

use super::criteria::Criteria;
use super::Reason;
use crate::input::{invalid, Invalid};

/// How an enterprise gets the benefit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Grant {
    /// 免申即享: granted to every matching enterprise without applying.
    Automatic,
    /// 申报: claimed through a form; `link` is where (an `https://` page, or a page of a mini-app
    /// as `/path`), until the forms capability provides the form.
    Claim {
        /// Where to claim.
        link: String,
    },
}

/// What an official writes: the policy's text, benefit, validity and criteria.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyDraft {
    /// Title, 1–80 characters.
    pub title: String,
    /// One or two sentences an enterprise reads in its inbox, 1–200 characters.
    pub summary: String,
    /// The full text, up to 20,000 characters.
    pub text: String,
    /// The benefit in plain words (“最高补助 50 万元”), 1–200 characters.
    pub benefit: String,
    /// Automatic, or claimed through a link.
    pub grant: Grant,
    /// First day it applies, `YYYY-MM-DD`.
    pub valid_from: String,
    /// Last day it applies, `YYYY-MM-DD`.
    pub valid_until: String,
    /// Who it is for.
    #[serde(default)]
    pub criteria: Criteria,
}

fn chars(field: &'static str, value: &str, min: usize, max: usize) -> Result<(), Invalid> {
    let n = value.trim().chars().count();
    if n < min || n > max {
        return Err(invalid(
            field,
            format!("须为 {min}–{max} 个字符"),
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

impl PolicyDraft {
    /// Checks every field (the criteria included) and returns the first at fault.
    pub fn check(&self) -> Result<super::Eligibility, Invalid> {
        chars("title", &self.title, 1, 80)?;
        chars("summary", &self.summary, 1, 200)?;
        chars("text", &self.text, 0, 20_000)?;
        chars("benefit", &self.benefit, 1, 200)?;
        if let Grant::Claim { link } = &self.grant {
            let ok = (link.starts_with("https://") && link.len() > 8 || link.starts_with('/'))
                && link.len() <= 512
                && !link.chars().any(|c| c.is_whitespace() || c.is_control());
            if !ok {
                return Err(invalid(
                    "grant.link",
                    "申报入口须为 https:// 网址或小程序页面路径（以 / 开头）",
                    "must be an https:// URL or a mini-app page path starting with /",
                ));
            }
        }
        let day = |field: &'static str, text: &str| {
            super::parse_day(text).ok_or_else(|| {
                invalid(
                    field,
                    format!("“{text}”不是日期，应为 YYYY-MM-DD"),
                    format!("{text:?} is not a date YYYY-MM-DD"),
                )
            })
        };
        let (from, until) = (
            day("valid_from", &self.valid_from)?,
            day("valid_until", &self.valid_until)?,
        );
        if until < from {
            return Err(invalid(
                "valid_until",
                "截止日期早于起始日期",
                "is before valid_from",
            ));
        }
        self.criteria.check()
    }
}

/// Where a policy is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PolicyStatus {
    /// 草稿: being written; only now may it be edited.
    Draft,
    /// 待审核: waiting for a second official.
    Submitted,
    /// 已审核: approved, not yet published.
    Approved,
    /// 已发布: enterprises see it and matching ones are told.
    Published,
    /// 已撤回: taken back after publishing.
    Withdrawn,
    /// 已过期: published, and its validity has ended.
    Expired,
}

impl PolicyStatus {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Submitted => "submitted",
            Self::Approved => "approved",
            Self::Published => "published",
            Self::Withdrawn => "withdrawn",
            Self::Expired => "expired",
        }
    }

    /// Inverse of [`PolicyStatus::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Draft,
            Self::Submitted,
            Self::Approved,
            Self::Published,
            Self::Withdrawn,
            Self::Expired,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }

    /// As an official reads it.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Draft => "草稿",
            Self::Submitted => "待审核",
            Self::Approved => "已审核",
            Self::Published => "已发布",
            Self::Withdrawn => "已撤回",
            Self::Expired => "已过期",
        }
    }

    /// The status a stored status reads as on `today` (days since 1970-01-01): a published
    /// policy past its last day is expired.
    pub fn on(self, valid_until: &str, today: i64) -> Self {
        match (self, super::parse_day(valid_until)) {
            (Self::Published, Some(last)) if last < today => Self::Expired,
            _ => self,
        }
    }
}

/// A step an official takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum PolicyStep {
    /// The drafter hands the draft in for review.
    Submit,
    /// A second official approves it.
    Approve,
    /// A reviewer sends it back to its drafter, saying why.
    Return {
        /// Why, 1–500 characters.
        reason: String,
    },
    /// Publish an approved policy: matching enterprises are told.
    Publish,
    /// Take a published policy back, saying why.
    Withdraw {
        /// Why, 1–500 characters.
        reason: String,
    },
}

impl PolicyStep {
    /// The step's name as recorded (`submitted`, `approved` …).
    pub fn recorded_as(&self) -> &'static str {
        match self {
            Self::Submit => "submitted",
            Self::Approve => "approved",
            Self::Return { .. } => "returned",
            Self::Publish => "published",
            Self::Withdraw { .. } => "withdrawn",
        }
    }

    /// The reason it carries, if any.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::Return { reason } | Self::Withdraw { reason } => Some(reason),
            _ => None,
        }
    }
}

/// Why a step was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepRefusal {
    /// The policy's status does not allow it.
    Status(PolicyStatus),
    /// The drafter tried to approve their own policy.
    SelfApproval,
    /// The step's own input is wrong (a missing reason).
    Invalid(Invalid),
}

/// The status `step` leads to from `status`, taken by the drafter or by someone else. Pure.
pub fn next_status(
    status: PolicyStatus,
    step: &PolicyStep,
    by_drafter: bool,
) -> Result<PolicyStatus, StepRefusal> {
    if let Some(reason) = step.reason() {
        chars("reason", reason, 1, 500).map_err(StepRefusal::Invalid)?;
    }
    use PolicyStatus::*;
    match (status, step) {
        (Draft, PolicyStep::Submit) => Ok(Submitted),
        (Submitted, PolicyStep::Approve) if by_drafter => Err(StepRefusal::SelfApproval),
        (Submitted, PolicyStep::Approve) => Ok(Approved),
        (Submitted | Approved, PolicyStep::Return { .. }) => Ok(Draft),
        (Approved, PolicyStep::Publish) => Ok(Published),
        (Published, PolicyStep::Withdraw { .. }) => Ok(Withdrawn),
        (other, _) => Err(StepRefusal::Status(other)),
    }
}

/// One recorded step of a policy: who did what, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyEvent {
    /// `drafted`, `edited`, `submitted`, `approved`, `returned`, `published`, `withdrawn`.
    pub action: String,
    /// The official, by name.
    pub actor: String,
    /// Unix seconds.
    pub at: i64,
    /// The reason given, for a return or a withdrawal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A policy as officials see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Policy {
    /// Its id.
    pub id: String,
    /// Where it is in its life (a published policy past its last day reads `expired`).
    pub status: PolicyStatus,
    /// The status in words.
    pub status_text: String,
    /// The issuing department (the drafter's 浙政钉 organisation).
    pub department: String,
    /// Its 浙政钉 organisation code.
    pub organisation_code: String,
    /// What was written.
    #[serde(flatten)]
    pub draft: PolicyDraft,
    /// Who drafted it.
    pub drafted_by: String,
    /// Who approved it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    /// Changes with every edit and step; an edit names the version it was made on.
    pub version: i64,
    /// Every step, oldest first.
    pub history: Vec<PolicyEvent>,
    /// What publishing it did, once its campaign has run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<DeliveryStats>,
}

/// A published policy's campaign so far (投放统计).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryStats {
    /// Enterprises it matched when the campaign ran.
    pub matched: u64,
    /// Messages put in their inboxes.
    pub inboxed: u64,
    /// Of those, read.
    pub read: u64,
    /// Of those, opened.
    pub opened: u64,
    /// Of those, a claim started from (申报; a 免申即享 policy has none to start).
    #[serde(default)]
    pub claimed: u64,
    /// Devices the campaign pushes to (one push each).
    pub targeted_devices: u64,
    /// Pushes not sent yet (queued, or being sent).
    pub pushes_pending: u64,
    /// Pushes the provider accepted (one per device).
    pub pushes_accepted: u64,
    /// Pushes still being retried (a quota, an outage).
    pub pushes_retrying: u64,
    /// Pushes sent again because the attempt sending them died before recording the
    /// provider's answer: the phone may have had two (the campaign's collapse key shows it
    /// once).
    pub pushes_possibly_doubled: u64,
    /// Pushes that failed for good, by reason (`unregistered`, `invalid_argument`,
    /// `channel_not_configured` …).
    pub pushes_failed: std::collections::BTreeMap<String, u64>,
    /// Unix seconds the campaign finished, if it has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<i64>,
}

/// `PUT /v1/policies/{id}`: a new text of a draft, made on the version the official saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyEdit {
    /// The version the edit was made on; another edit since is a conflict.
    pub version: i64,
    /// The new text.
    #[serde(flatten)]
    pub draft: PolicyDraft,
}

/// How many enterprises criteria match, where and in which industries, with a few examples:
/// what an official sees before submitting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MatchPreview {
    /// Enterprises profiled.
    pub profiled: u64,
    /// Of them, matched.
    pub matched: u64,
    /// Matched per county, every county listed.
    pub by_county: Vec<CountCell>,
    /// Matched per industry division, most first, divisions with none left out.
    pub by_industry: Vec<CountCell>,
    /// Up to five matched enterprises, with why.
    pub examples: Vec<MatchExample>,
}

/// A count under a code: a county or an industry division.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CountCell {
    /// GB/T 2260 or GB/T 4754-2017 code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Enterprises.
    pub count: u64,
}

/// One enterprise a policy matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MatchExample {
    /// Registered name (public registration data).
    pub name: String,
    /// USCC (public registration data).
    pub uscc: String,
    /// Each condition and how it is met.
    pub reasons: Vec<Reason>,
}

/// A published policy matched to an enterprise, with why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MatchedPolicy {
    /// Its id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: String,
    /// The full text (the policy's page shows it).
    pub text: String,
    /// The benefit.
    pub benefit: String,
    /// Automatic or claimed.
    pub grant: Grant,
    /// The issuing department.
    pub department: String,
    /// First day it applies.
    pub valid_from: String,
    /// Last day it applies.
    pub valid_until: String,
    /// Why it is for this enterprise, condition by condition.
    pub reasons: Vec<Reason>,
}

/// `GET /v1/enterprise/policies`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnterprisePolicies {
    /// The matched policies, newest first.
    pub policies: Vec<MatchedPolicy>,
}

/// Where one part of a profile came from, and how fresh it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProfileSource {
    /// The department's name (`市场监管`).
    pub department: String,
    /// The record (`enterprise_registration`).
    pub record: String,
    /// `fresh`, `stale`, `none` (the department has no record: its default applies) or
    /// `unavailable` (not reached: the last profile's value stands).
    pub state: String,
}

/// `GET /v1/enterprise/profile`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnterpriseProfileView {
    /// The profile.
    pub profile: super::EnterpriseProfile,
    /// Unix seconds it was built at.
    pub built_at: i64,
    /// Where each part came from.
    pub sources: Vec<ProfileSource>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use PolicyStatus::*;

    fn draft() -> PolicyDraft {
        PolicyDraft {
            title: "高新技术企业认定奖励".into(),
            summary: "首次认定的高新技术企业给予一次性奖励。".into(),
            text: "根据……".into(),
            benefit: "一次性奖励 20 万元".into(),
            grant: Grant::Automatic,
            valid_from: "2026-01-01".into(),
            valid_until: "2026-12-31".into(),
            criteria: Criteria::default(),
        }
    }

    #[test]
    fn a_policy_goes_from_draft_to_published_with_a_second_official() {
        let s = next_status(Draft, &PolicyStep::Submit, true);
        assert_eq!(s, Ok(Submitted));
        assert_eq!(
            next_status(Submitted, &PolicyStep::Approve, false),
            Ok(Approved)
        );
        assert_eq!(
            next_status(Approved, &PolicyStep::Publish, true),
            Ok(Published)
        );
        let withdraw = PolicyStep::Withdraw {
            reason: "资金已用完".into(),
        };
        assert_eq!(next_status(Published, &withdraw, false), Ok(Withdrawn));
    }

    #[test]
    fn the_drafter_cannot_approve_and_steps_out_of_order_are_refused() {
        assert_eq!(
            next_status(Submitted, &PolicyStep::Approve, true),
            Err(StepRefusal::SelfApproval)
        );
        assert_eq!(
            next_status(Draft, &PolicyStep::Publish, false),
            Err(StepRefusal::Status(Draft))
        );
        assert_eq!(
            next_status(Withdrawn, &PolicyStep::Submit, true),
            Err(StepRefusal::Status(Withdrawn))
        );
        let empty = PolicyStep::Return { reason: " ".into() };
        assert!(matches!(
            next_status(Submitted, &empty, false),
            Err(StepRefusal::Invalid(Invalid {
                field: "reason",
                ..
            }))
        ));
        let back = PolicyStep::Return {
            reason: "补充申报条件".into(),
        };
        assert_eq!(next_status(Submitted, &back, false), Ok(Draft));
    }

    #[test]
    fn a_published_policy_past_its_last_day_reads_expired() {
        let day = |d| super::super::parse_day(d).unwrap_or_default();
        assert_eq!(Published.on("2026-12-31", day("2026-12-31")), Published);
        assert_eq!(Published.on("2026-12-31", day("2027-01-01")), Expired);
        assert_eq!(Draft.on("2026-12-31", day("2027-01-01")), Draft);
    }

    #[test]
    fn a_draft_is_checked_field_by_field() {
        assert!(draft().check().is_ok());
        let field = |d: PolicyDraft| d.check().err().map(|e| e.field);
        assert_eq!(
            field(PolicyDraft {
                title: "".into(),
                ..draft()
            }),
            Some("title")
        );
        assert_eq!(
            field(PolicyDraft {
                valid_until: "2025-12-31".into(),
                ..draft()
            }),
            Some("valid_until")
        );
        assert_eq!(
            field(PolicyDraft {
                grant: Grant::Claim {
                    link: "javascript:x".into()
                },
                ..draft()
            }),
            Some("grant.link")
        );
        let mut bad = draft();
        bad.criteria.regions = vec!["999999".into()];
        assert_eq!(field(bad), Some("criteria.regions"));
    }
}
