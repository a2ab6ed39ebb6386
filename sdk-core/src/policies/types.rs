//! What the enterprise's policy list hands the app.

use zhelikit_domain::policy;

use crate::inbox::PolicyReason;

/// How an enterprise gets a policy's benefit.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum PolicyGrant {
    /// 免申即享: granted without applying; show “无需申报，自动享受”.
    Automatic,
    /// 申报: claimed at `link` (an `https://` page, or a mini-app page as `/path`).
    Claim {
        /// Where to claim.
        link: String,
    },
}

/// A published policy the enterprise matches.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct MatchedPolicy {
    /// Its id (an inbox message's `policy_id` and deep link name it).
    pub id: String,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: String,
    /// The full text.
    pub text: String,
    /// The benefit, in plain words.
    pub benefit: String,
    /// Automatic, or claimed through a link.
    pub grant: PolicyGrant,
    /// The issuing department.
    pub department: String,
    /// First day it applies, `YYYY-MM-DD`.
    pub valid_from: String,
    /// Last day it applies, `YYYY-MM-DD`.
    pub valid_until: String,
    /// Why it is for this enterprise, condition by condition.
    pub reasons: Vec<PolicyReason>,
}

/// The enterprise's matched policies.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct MatchedPolicies {
    /// Newest first.
    pub policies: Vec<MatchedPolicy>,
    /// True when ZheliKit could not be reached: the list is the one kept on the device.
    pub offline: bool,
}

pub(crate) fn matched(p: &policy::MatchedPolicy) -> MatchedPolicy {
    MatchedPolicy {
        id: p.id.clone(),
        title: p.title.clone(),
        summary: p.summary.clone(),
        text: p.text.clone(),
        benefit: p.benefit.clone(),
        grant: match &p.grant {
            policy::Grant::Automatic => PolicyGrant::Automatic,
            policy::Grant::Claim { link } => PolicyGrant::Claim { link: link.clone() },
        },
        department: p.department.clone(),
        valid_from: p.valid_from.clone(),
        valid_until: p.valid_until.clone(),
        reasons: p.reasons.iter().map(crate::inbox::reason).collect(),
    }
}
