//! One policy's eligibility as matching evaluates it: for one enterprise at a time (the
//! reference semantics, with reasons), and in the shape the index needs.

use zhelikit_domain::policy::{
    format_day, parse_day, Condition, Eligibility, EnterpriseProfile, Industry, Qualification,
    Reason, SizeClass, TaxCredit, SCOPE_KEYWORDS,
};
use zhelikit_domain::region::WENZHOU_DIVISIONS;

/// An enterprise as matching sees it: its profile reduced to the values criteria test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subject {
    /// Index into [`WENZHOU_DIVISIONS`] of its county; `None` when registered outside Wenzhou.
    pub county: Option<u8>,
    /// Registered industry.
    pub industry: Industry,
    /// Size class.
    pub size: SizeClass,
    /// Registered capital, 万元.
    pub capital_wan: u64,
    /// Founding date, days since 1970-01-01.
    pub founded: i64,
    /// Tax credit rating.
    pub tax_credit: TaxCredit,
    /// Listed for abnormal operations.
    pub abnormal: bool,
    /// Qualifications held, as [`Qualification::bit`]s.
    pub qualifications: u8,
    /// Scope keywords, as bits of [`SCOPE_KEYWORDS`].
    pub keywords: u64,
}

/// Why a profile cannot be matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileError {
    /// The founding date is not `YYYY-MM-DD`.
    FoundedOn(String),
    /// A keyword is not in [`SCOPE_KEYWORDS`].
    Keyword(String),
}

impl Subject {
    /// The subject of a profile.
    pub fn of(profile: &EnterpriseProfile) -> Result<Self, ProfileError> {
        let founded = parse_day(&profile.founded_on)
            .ok_or_else(|| ProfileError::FoundedOn(profile.founded_on.clone()))?;
        let mut keywords = 0u64;
        for word in &profile.keywords {
            let bit = SCOPE_KEYWORDS
                .iter()
                .position(|k| k == word)
                .ok_or_else(|| ProfileError::Keyword(word.clone()))?;
            keywords |= 1 << bit;
        }
        Ok(Subject {
            county: WENZHOU_DIVISIONS
                .iter()
                .position(|d| d.code == profile.region)
                .map(|i| i as u8),
            industry: profile.industry,
            size: profile.size,
            capital_wan: profile.registered_capital_wan,
            founded,
            tax_credit: profile.tax_credit,
            abnormal: profile.abnormal_operations,
            qualifications: profile
                .qualifications
                .iter()
                .fold(0, |bits, q| bits | q.bit()),
            keywords,
        })
    }
}

/// A policy's eligibility compiled for matching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Counties admitted as bits of [`WENZHOU_DIVISIONS`] indices; 0 admits all.
    pub(crate) counties: u16,
    pub(crate) excluded_counties: u16,
    pub(crate) industries: Vec<Industry>,
    pub(crate) excluded_industries: Vec<Industry>,
    /// Size classes admitted as bits of [`SizeClass::index`]; 0 admits all.
    pub(crate) sizes: u8,
    /// Tax ratings admitted as bits of [`TaxCredit::index`]; 0 admits all.
    pub(crate) tax_credits: u8,
    pub(crate) qualifications: u8,
    pub(crate) keywords: u64,
    pub(crate) capital_wan: Option<(u64, u64)>,
    pub(crate) founded: Option<(i64, i64)>,
    pub(crate) exclude_abnormal: bool,
}

fn county_bits(divisions: &[&'static zhelikit_domain::region::Division]) -> u16 {
    divisions
        .iter()
        .filter_map(|d| WENZHOU_DIVISIONS.iter().position(|w| w.code == d.code))
        .fold(0, |bits, i| bits | 1 << i)
}

impl Rule {
    /// Compiles checked criteria.
    pub fn new(e: &Eligibility) -> Self {
        Rule {
            counties: county_bits(&e.counties),
            excluded_counties: county_bits(&e.excluded_counties),
            industries: e.industries.clone(),
            excluded_industries: e.excluded_industries.clone(),
            sizes: e.sizes.iter().fold(0, |b, s| b | 1 << s.index()),
            tax_credits: e.tax_credits.iter().fold(0, |b, t| b | 1 << t.index()),
            qualifications: e.qualifications,
            keywords: e.keywords,
            capital_wan: e.capital_wan,
            founded: e.founded,
            exclude_abnormal: e.exclude_abnormal,
        }
    }

    /// True when the policy applies to the subject. This is the definition of a match; the index
    /// computes the same answer for many subjects at once.
    pub fn admits(&self, s: &Subject) -> bool {
        let county = s.county.map_or(0, |c| 1u16 << c);
        (self.counties == 0 || self.counties & county != 0)
            && self.excluded_counties & county == 0
            && (self.industries.is_empty() || self.industries.iter().any(|p| p.covers(s.industry)))
            && !self
                .excluded_industries
                .iter()
                .any(|p| p.covers(s.industry))
            && (self.sizes == 0 || self.sizes & (1 << s.size.index()) != 0)
            && (self.tax_credits == 0 || self.tax_credits & (1 << s.tax_credit.index()) != 0)
            && (self.qualifications == 0 || self.qualifications & s.qualifications != 0)
            && (self.keywords == 0 || self.keywords & s.keywords != 0)
            && self
                .capital_wan
                .is_none_or(|(lo, hi)| (lo..=hi).contains(&s.capital_wan))
            && self
                .founded
                .is_none_or(|(lo, hi)| (lo..=hi).contains(&s.founded))
            && !(self.exclude_abnormal && s.abnormal)
    }

    /// Each condition of the policy, met or not by the subject, in words: "why am I seeing
    /// this" for an enterprise, "why not" for an official previewing matches. Conditions the
    /// policy does not set are not listed; an exclusion is listed only when it applies.
    pub fn reasons(&self, s: &Subject) -> Vec<Reason> {
        let mut out = Vec::new();
        let mut say = |condition, met, text: String| {
            out.push(Reason {
                condition,
                met,
                text,
            })
        };
        let county = s.county.map(|c| WENZHOU_DIVISIONS[usize::from(c)].name);
        let here = county.unwrap_or("温州市以外");
        let county_bit = s.county.map_or(0, |c| 1u16 << c);
        if self.counties != 0 {
            let all = self.counties.count_ones() as usize == WENZHOU_DIVISIONS.len();
            let met = self.counties & county_bit != 0;
            let scope = if all {
                "温州市".to_string()
            } else {
                counties(self.counties)
            };
            say(
                Condition::Region,
                met,
                if met {
                    format!("注册地在{here}，属于政策适用地区（{scope}）")
                } else {
                    format!("注册地在{here}，不在政策适用地区（{scope}）")
                },
            );
        }
        if self.excluded_counties & county_bit != 0 {
            say(
                Condition::ExcludedRegion,
                false,
                format!("注册地在{here}，属于政策排除的地区"),
            );
        }
        if !self.industries.is_empty() {
            let own = s.industry.label();
            match self.industries.iter().find(|p| p.covers(s.industry)) {
                Some(p) if p.code() == s.industry.code() => say(
                    Condition::Industry,
                    true,
                    format!("所属行业为 {own}，属于政策支持的行业"),
                ),
                Some(p) => say(
                    Condition::Industry,
                    true,
                    format!("所属行业为 {own}，属于政策支持的 {}", p.label()),
                ),
                None => say(
                    Condition::Industry,
                    false,
                    format!(
                        "所属行业为 {own}，不在政策支持的行业（{}）",
                        labels(&self.industries)
                    ),
                ),
            }
        }
        if let Some(p) = self
            .excluded_industries
            .iter()
            .find(|p| p.covers(s.industry))
        {
            say(
                Condition::ExcludedIndustry,
                false,
                format!(
                    "所属行业为 {}，属于政策排除的 {}",
                    s.industry.label(),
                    p.label()
                ),
            );
        }
        if self.sizes != 0 {
            let met = self.sizes & (1 << s.size.index()) != 0;
            let wanted = SizeClass::ALL
                .iter()
                .filter(|c| self.sizes & (1 << c.index()) != 0)
                .map(|c| c.chinese_name())
                .collect::<Vec<_>>()
                .join("、");
            say(
                Condition::Size,
                met,
                format!("企业规模为{}，政策面向{wanted}企业", s.size.chinese_name()),
            );
        }
        if let Some((lo, hi)) = self.capital_wan {
            let met = (lo..=hi).contains(&s.capital_wan);
            let verb = if met { "符合" } else { "不符合" };
            say(
                Condition::RegisteredCapital,
                met,
                format!(
                    "注册资本 {} 万元，{verb}政策要求的{}",
                    s.capital_wan,
                    match (lo, hi) {
                        (lo, u64::MAX) => format!("不低于 {lo} 万元"),
                        (0, hi) => format!("不高于 {hi} 万元"),
                        (lo, hi) => format!(" {lo}–{hi} 万元"),
                    }
                ),
            );
        }
        if let Some((lo, hi)) = self.founded {
            let met = (lo..=hi).contains(&s.founded);
            let verb = if met { "符合" } else { "不符合" };
            say(
                Condition::Founded,
                met,
                format!(
                    "成立于 {}，{verb}政策要求的成立日期{}",
                    format_day(s.founded),
                    match (lo, hi) {
                        (lo, i64::MAX) => format!("不早于 {}", format_day(lo)),
                        (i64::MIN, hi) => format!("不晚于 {}", format_day(hi)),
                        (lo, hi) => format!(" {} 至 {}", format_day(lo), format_day(hi)),
                    }
                ),
            );
        }
        if self.qualifications != 0 {
            let held = self.qualifications & s.qualifications;
            say(
                Condition::Qualification,
                held != 0,
                if held != 0 {
                    format!("具有{}资质", qualifications(held))
                } else {
                    format!(
                        "不具有政策要求的资质（{}）",
                        qualifications(self.qualifications)
                    )
                },
            );
        }
        if self.tax_credits != 0 {
            let met = self.tax_credits & (1 << s.tax_credit.index()) != 0;
            let wanted = TaxCredit::ALL
                .iter()
                .filter(|t| self.tax_credits & (1 << t.index()) != 0)
                .map(|t| t.label())
                .collect::<Vec<_>>()
                .join("、");
            say(
                Condition::TaxCredit,
                met,
                format!("纳税信用等级为 {}，政策要求 {wanted}", s.tax_credit.label()),
            );
        }
        if self.keywords != 0 {
            let shared = self.keywords & s.keywords;
            say(
                Condition::Keywords,
                shared != 0,
                if shared != 0 {
                    format!("经营范围含{}", keywords(shared))
                } else {
                    format!("经营范围不含政策所列的{}", keywords(self.keywords))
                },
            );
        }
        if self.exclude_abnormal {
            say(
                Condition::AbnormalOperations,
                !s.abnormal,
                if s.abnormal {
                    "已列入经营异常名录，政策不适用".to_string()
                } else {
                    "未列入经营异常名录".to_string()
                },
            );
        }
        out
    }
}

fn counties(bits: u16) -> String {
    WENZHOU_DIVISIONS
        .iter()
        .enumerate()
        .filter(|(i, _)| bits & (1 << i) != 0)
        .map(|(_, d)| d.name)
        .collect::<Vec<_>>()
        .join("、")
}

fn labels(industries: &[Industry]) -> String {
    industries
        .iter()
        .map(|i| i.label())
        .collect::<Vec<_>>()
        .join("、")
}

fn qualifications(bits: u8) -> String {
    Qualification::ALL
        .iter()
        .filter(|q| bits & q.bit() != 0)
        .map(|q| q.chinese_name())
        .collect::<Vec<_>>()
        .join("、")
}

fn keywords(bits: u64) -> String {
    SCOPE_KEYWORDS
        .iter()
        .enumerate()
        .filter(|(i, _)| bits & (1 << i) != 0)
        .map(|(_, k)| format!("“{k}”"))
        .collect::<Vec<_>>()
        .join("、")
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhelikit_domain::policy::{Criteria, DateRange, Exclusions, WanRange};

    fn software_firm() -> Subject {
        Subject {
            county: Some(0),
            industry: Industry::parse("I6513").unwrap_or_else(|e| panic!("{e:?}")),
            size: SizeClass::Small,
            capital_wan: 500,
            founded: parse_day("2015-03-02").unwrap_or_default(),
            tax_credit: TaxCredit::A,
            abnormal: false,
            qualifications: Qualification::HighTech.bit(),
            keywords: 1, // 软件开发
        }
    }

    fn rule(c: Criteria) -> Rule {
        Rule::new(&c.check().unwrap_or_else(|e| panic!("{e}")))
    }

    #[test]
    fn every_condition_met_is_said_in_words() {
        let r = rule(Criteria {
            regions: vec!["330300".into()],
            industries: vec!["I65".into()],
            sizes: vec![SizeClass::Medium, SizeClass::Small, SizeClass::Micro],
            registered_capital_wan: Some(WanRange {
                min: Some(100),
                max: None,
            }),
            founded: Some(DateRange {
                from: None,
                to: Some("2023-12-31".into()),
            }),
            qualifications: vec![Qualification::HighTech, Qualification::Specialised],
            tax_credits: vec![TaxCredit::A, TaxCredit::B],
            keywords: vec!["软件开发".into()],
            exclusions: Exclusions {
                abnormal_operations: true,
                ..Exclusions::default()
            },
        });
        let s = software_firm();
        assert!(r.admits(&s));
        let texts: Vec<_> = r
            .reasons(&s)
            .into_iter()
            .inspect(|r| assert!(r.met))
            .map(|r| r.text)
            .collect();
        assert_eq!(
            texts,
            [
                "注册地在鹿城区，属于政策适用地区（温州市）",
                "所属行业为 I6513 应用软件开发，属于政策支持的 I65 软件和信息技术服务业",
                "企业规模为小型，政策面向中型、小型、微型企业",
                "注册资本 500 万元，符合政策要求的不低于 100 万元",
                "成立于 2015-03-02，符合政策要求的成立日期不晚于 2023-12-31",
                "具有高新技术企业资质",
                "纳税信用等级为 A 级，政策要求 A 级、B 级",
                "经营范围含“软件开发”",
                "未列入经营异常名录",
            ]
        );
    }

    #[test]
    fn conditions_not_met_say_what_the_policy_wanted() {
        let r = rule(Criteria {
            regions: vec!["330381".into()],
            industries: vec!["C38".into()],
            registered_capital_wan: Some(WanRange {
                min: Some(1_000),
                max: Some(5_000),
            }),
            exclusions: Exclusions {
                regions: vec!["330302".into()],
                ..Exclusions::default()
            },
            ..Criteria::default()
        });
        let s = software_firm();
        assert!(!r.admits(&s));
        let reasons = r.reasons(&s);
        assert!(reasons.iter().all(|r| !r.met));
        let texts: Vec<_> = reasons.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "注册地在鹿城区，不在政策适用地区（瑞安市）",
                "注册地在鹿城区，属于政策排除的地区",
                "所属行业为 I6513 应用软件开发，不在政策支持的行业（C38 电气机械和器材制造业）",
                "注册资本 500 万元，不符合政策要求的 1000–5000 万元",
            ]
        );
    }

    #[test]
    fn an_enterprise_outside_wenzhou_meets_no_region_condition() {
        let r = rule(Criteria {
            regions: vec!["330300".into()],
            ..Criteria::default()
        });
        let s = Subject {
            county: None,
            ..software_firm()
        };
        assert!(!r.admits(&s));
        assert_eq!(
            r.reasons(&s)[0].text,
            "注册地在温州市以外，不在政策适用地区（温州市）"
        );
        assert!(rule(Criteria::default()).admits(&s));
    }
}
