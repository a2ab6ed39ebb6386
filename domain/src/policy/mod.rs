//! 惠企政策直通车's shared vocabulary: enterprise profiles (企业画像), the industry code table
//! (GB/T 4754-2017), size classes by the national statistical rule, and a policy's criteria.
//! Matching them lives in the `zhelikit-push` crate; both the BFF and the SDK read these types.

pub mod criteria;
pub mod inbox;
pub mod industry;
pub mod lifecycle;
pub mod profile;
pub mod size;
pub mod vocabulary;

pub use criteria::{Criteria, DateRange, Eligibility, Exclusions, WanRange, WENZHOU_CITY};
pub use inbox::{
    policy_deep_link, DevicePlatform, DeviceRegistration, InboxMessage, InboxPage, PushChannel,
};
pub use industry::{Industry, IndustryError};
pub use lifecycle::{
    next_status, CountCell, DeliveryStats, EnterprisePolicies, EnterpriseProfileView, Grant,
    MatchExample, MatchPreview, MatchedPolicy, Policy, PolicyDraft, PolicyEdit, PolicyEvent,
    PolicyStatus, PolicyStep, ProfileSource, StepRefusal,
};
pub use profile::{
    build_profile, scope_keyword, scope_keywords, EnterpriseProfile, ProfileGap, ProfileRecords,
    Qualification, TaxCredit, SCOPE_KEYWORDS,
};
pub use size::{classify, SizeClass, SizeFigures};
pub use vocabulary::{vocabulary, Choice, SectionChoices, Vocabulary};

/// The `YYYY-MM-DD` date `days` after 1970-01-01.
pub fn format_day(days: i64) -> String {
    crate::analytics::format_day(days)
}

/// The day in China (UTC+8; China keeps no daylight saving) at `unix_secs`, as days since
/// 1970-01-01: the day a policy's validity and a qualification's are read in.
pub fn china_day(unix_secs: i64) -> i64 {
    (unix_secs + 8 * 3_600).div_euclid(86_400)
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date, if it is a real date.
pub fn parse_day(text: &str) -> Option<i64> {
    crate::analytics::parse_day(text)
}

use serde::{Deserialize, Serialize};

/// One condition of a policy, as a reason names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// Where the enterprise is registered.
    Region,
    /// Its registered industry.
    Industry,
    /// Its size class.
    Size,
    /// Its registered capital.
    RegisteredCapital,
    /// When it was founded.
    Founded,
    /// The qualifications it holds.
    Qualification,
    /// Its tax credit rating.
    TaxCredit,
    /// Its business scope.
    Keywords,
    /// A region the policy leaves out.
    ExcludedRegion,
    /// An industry the policy leaves out.
    ExcludedIndustry,
    /// The abnormal-operations directory.
    AbnormalOperations,
}

/// Why a policy does or does not apply to an enterprise, one condition at a time, in words the
/// enterprise understands (“注册资本 500 万元，不低于政策要求的 100 万元”).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reason {
    /// The condition.
    pub condition: Condition,
    /// True when the enterprise meets it.
    pub met: bool,
    /// The reason, in zh-CN.
    pub text: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_china_day_turns_at_midnight_in_beijing_not_in_greenwich() {
        let day = |d| parse_day(d).unwrap_or_default();
        // 2026-12-31T16:00:00Z is midnight of 2027-01-01 in Beijing.
        let midnight = day("2027-01-01") * 86_400 - 8 * 3_600;
        assert_eq!(china_day(midnight - 1), day("2026-12-31"));
        assert_eq!(china_day(midnight), day("2027-01-01"));
        assert_eq!(format_day(china_day(midnight)), "2027-01-01");
    }
}
