//! A policy's eligibility criteria (申报条件): as officials write them ([`Criteria`], the wire
//! form) and as matching reads them ([`Eligibility`], checked and typed).
//!
//! Every list means "any of" and an empty list means "no condition"; the conditions together
//! mean "all of". Exclusions remove enterprises the conditions would admit.

use serde::{Deserialize, Serialize};

use super::industry::{Industry, IndustryError};
use super::profile::{scope_keyword, Qualification, TaxCredit};
use super::size::SizeClass;
use crate::analytics::parse_day;
use crate::input::{invalid, Invalid};
use crate::region::{Division, WENZHOU_DIVISIONS};

/// GB/T 2260 code of Wenzhou as a whole (温州市), which a criterion may name for every county.
pub const WENZHOU_CITY: &str = "330300";

/// Most entries one list of a criterion may hold.
pub const MAX_LIST: usize = 50;

/// An inclusive range of 万元; either end may be open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WanRange {
    /// At least this many 万元.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<u64>,
    /// At most this many 万元.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<u64>,
}

/// An inclusive range of dates, `YYYY-MM-DD`; either end may be open.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DateRange {
    /// On or after this day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// On or before this day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

/// Who a policy leaves out even when the conditions admit them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Exclusions {
    /// Divisions left out (GB/T 2260).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
    /// Industry prefixes left out (GB/T 4754-2017).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub industries: Vec<String>,
    /// Leave out enterprises in the abnormal-operations directory (经营异常名录).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub abnormal_operations: bool,
}

/// A policy's criteria as an official writes them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Criteria {
    /// Registered in any of these divisions (GB/T 2260): `330300` for all of Wenzhou, or a county.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
    /// Registered industry under any of these prefixes (GB/T 4754-2017: `C`, `C38`, `C3823`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub industries: Vec<String>,
    /// Any of these size classes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sizes: Vec<SizeClass>,
    /// Registered capital within this range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_capital_wan: Option<WanRange>,
    /// Founded within this range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub founded: Option<DateRange>,
    /// Holding any of these qualifications.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub qualifications: Vec<Qualification>,
    /// A tax credit rating among these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tax_credits: Vec<TaxCredit>,
    /// Business scope containing any of these words (from the scope keyword list).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// Who is left out.
    #[serde(default)]
    pub exclusions: Exclusions,
}

/// Criteria checked and typed: what matching evaluates.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Eligibility {
    /// The counties admitted; empty admits all. A criterion naming the city lists every county.
    pub counties: Vec<&'static Division>,
    /// Industry prefixes admitted; empty admits all.
    pub industries: Vec<Industry>,
    /// Size classes admitted; empty admits all.
    pub sizes: Vec<SizeClass>,
    /// Registered capital bounds in 万元, inclusive.
    pub capital_wan: Option<(u64, u64)>,
    /// Founding-date bounds in days since 1970-01-01, inclusive.
    pub founded: Option<(i64, i64)>,
    /// Qualifications admitted (any), as bits of [`Qualification::bit`]; 0 admits all.
    pub qualifications: u8,
    /// Tax ratings admitted; empty admits all.
    pub tax_credits: Vec<TaxCredit>,
    /// Scope keywords admitted (any), as bits of [`super::profile::scope_keywords`]; 0 admits all.
    pub keywords: u64,
    /// Counties left out.
    pub excluded_counties: Vec<&'static Division>,
    /// Industry prefixes left out.
    pub excluded_industries: Vec<Industry>,
    /// Leave out enterprises listed for abnormal operations.
    pub exclude_abnormal: bool,
}

impl Criteria {
    /// Checks every criterion and returns them typed, or the first one at fault (by its field
    /// path, with the bad value in the reason).
    pub fn check(&self) -> Result<Eligibility, Invalid> {
        let mut e = Eligibility {
            counties: counties("criteria.regions", &self.regions)?,
            industries: industries("criteria.industries", &self.industries)?,
            sizes: dedup(limit("criteria.sizes", &self.sizes)?),
            capital_wan: None,
            founded: None,
            qualifications: limit("criteria.qualifications", &self.qualifications)?
                .iter()
                .fold(0, |bits, q| bits | q.bit()),
            tax_credits: dedup(limit("criteria.tax_credits", &self.tax_credits)?),
            keywords: 0,
            excluded_counties: counties("criteria.exclusions.regions", &self.exclusions.regions)?,
            excluded_industries: industries(
                "criteria.exclusions.industries",
                &self.exclusions.industries,
            )?,
            exclude_abnormal: self.exclusions.abnormal_operations,
        };
        if let Some(range) = self.registered_capital_wan {
            let (min, max) = (range.min.unwrap_or(0), range.max.unwrap_or(u64::MAX));
            if min > max {
                return Err(invalid(
                    "criteria.registered_capital_wan",
                    format!("注册资本下限 {min} 万元高于上限 {max} 万元"),
                    format!("the minimum {min} is above the maximum {max}"),
                ));
            }
            e.capital_wan = Some((min, max));
        }
        if let Some(range) = &self.founded {
            let day = |field: &'static str, text: &Option<String>, open: i64| match text {
                None => Ok(open),
                Some(t) => parse_day(t).ok_or_else(|| {
                    invalid(
                        field,
                        format!("“{t}”不是日期，应为 YYYY-MM-DD"),
                        format!("{t:?} is not a date YYYY-MM-DD"),
                    )
                }),
            };
            let from = day("criteria.founded.from", &range.from, i64::MIN)?;
            let to = day("criteria.founded.to", &range.to, i64::MAX)?;
            if from > to {
                return Err(invalid(
                    "criteria.founded",
                    "成立日期的起始晚于截止",
                    "from is after to",
                ));
            }
            e.founded = Some((from, to));
        }
        for word in limit("criteria.keywords", &self.keywords)? {
            let bit = scope_keyword(word).ok_or_else(|| {
                invalid(
                    "criteria.keywords",
                    format!("“{word}”不在经营范围关键词表中"),
                    format!("{word:?} is not in the business-scope keyword list"),
                )
            })?;
            e.keywords |= 1 << bit;
        }
        Ok(e)
    }
}

fn limit<'a, T>(field: &'static str, list: &'a [T]) -> Result<&'a [T], Invalid> {
    if list.len() > MAX_LIST {
        return Err(invalid(
            field,
            format!("至多 {MAX_LIST} 项"),
            format!("at most {MAX_LIST} entries"),
        ));
    }
    Ok(list)
}

fn dedup<T: Copy + Ord>(list: &[T]) -> Vec<T> {
    let mut v = list.to_vec();
    v.sort_unstable();
    v.dedup();
    v
}

fn counties(field: &'static str, codes: &[String]) -> Result<Vec<&'static Division>, Invalid> {
    let mut out: Vec<&'static Division> = Vec::new();
    for code in limit(field, codes)? {
        if code == WENZHOU_CITY {
            out.extend(WENZHOU_DIVISIONS);
            continue;
        }
        let division = WENZHOU_DIVISIONS
            .iter()
            .find(|d| d.code == code)
            .ok_or_else(|| {
                invalid(
                    field,
                    format!("“{code}”不是温州市或其所辖县（市、区）的行政区划代码"),
                    format!("{code:?} is not the GB/T 2260 code of Wenzhou or one of its counties"),
                )
            })?;
        out.push(division);
    }
    out.sort_unstable_by_key(|d| d.code);
    out.dedup_by_key(|d| d.code);
    Ok(out)
}

fn industries(field: &'static str, codes: &[String]) -> Result<Vec<Industry>, Invalid> {
    let mut out = Vec::with_capacity(codes.len());
    for code in limit(field, codes)? {
        let industry = Industry::parse(code).map_err(|e| match e {
            IndustryError::Form => invalid(
                field,
                format!("“{code}”不是国民经济行业分类（GB/T 4754-2017）代码，应如 C、C38、C3823"),
                format!("{code:?} is not a GB/T 4754-2017 code such as C, C38 or C3823"),
            ),
            IndustryError::UnknownDivision => invalid(
                field,
                format!("“{code}”的行业大类不存在于国民经济行业分类（GB/T 4754-2017）"),
                format!("{code:?} names no division of GB/T 4754-2017"),
            ),
        })?;
        out.push(industry);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(c: Criteria) -> Invalid {
        match c.check() {
            Err(e) => e,
            Ok(e) => panic!("admitted {e:?}"),
        }
    }

    #[test]
    fn empty_criteria_admit_every_enterprise() {
        assert_eq!(Criteria::default().check(), Ok(Eligibility::default()));
    }

    #[test]
    fn the_city_code_stands_for_every_county_and_lists_are_deduplicated() {
        let e = Criteria {
            regions: vec!["330302".into(), WENZHOU_CITY.into()],
            industries: vec!["C38".into(), "C38".into()],
            sizes: vec![SizeClass::Small, SizeClass::Micro, SizeClass::Small],
            ..Criteria::default()
        }
        .check()
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(e.counties.len(), WENZHOU_DIVISIONS.len());
        assert_eq!(e.industries.len(), 1);
        assert_eq!(e.sizes, [SizeClass::Small, SizeClass::Micro]);
    }

    #[test]
    fn unknown_codes_are_refused_naming_the_field_and_the_code() {
        let e = refused(Criteria {
            regions: vec!["330302".into(), "110101".into()],
            ..Criteria::default()
        });
        assert_eq!(e.field, "criteria.regions");
        assert!(e.reason.zh.contains("110101"), "{}", e.reason.zh);

        let e = refused(Criteria {
            industries: vec!["C65".into()],
            ..Criteria::default()
        });
        assert_eq!(e.field, "criteria.industries");
        assert!(e.reason.zh.contains("大类"), "{}", e.reason.zh);

        let e = refused(Criteria {
            exclusions: Exclusions {
                industries: vec!["X1".into()],
                ..Exclusions::default()
            },
            ..Criteria::default()
        });
        assert_eq!(e.field, "criteria.exclusions.industries");

        let e = refused(Criteria {
            keywords: vec!["区块链".into()],
            ..Criteria::default()
        });
        assert_eq!(e.field, "criteria.keywords");
    }

    #[test]
    fn inverted_ranges_and_bad_dates_are_refused() {
        let e = refused(Criteria {
            registered_capital_wan: Some(WanRange {
                min: Some(500),
                max: Some(100),
            }),
            ..Criteria::default()
        });
        assert_eq!(e.field, "criteria.registered_capital_wan");
        assert!(e.reason.zh.contains("500"));

        let e = refused(Criteria {
            founded: Some(DateRange {
                from: Some("2024-01-01".into()),
                to: Some("2020-01-01".into()),
            }),
            ..Criteria::default()
        });
        assert_eq!(e.field, "criteria.founded");

        let e = refused(Criteria {
            founded: Some(DateRange {
                from: Some("2023-02-29".into()),
                to: None,
            }),
            ..Criteria::default()
        });
        assert_eq!(e.field, "criteria.founded.from");
    }

    #[test]
    fn open_ranges_keep_their_open_end() {
        let e = Criteria {
            registered_capital_wan: Some(WanRange {
                min: Some(100),
                max: None,
            }),
            founded: Some(DateRange {
                from: None,
                to: Some("1970-01-02".into()),
            }),
            ..Criteria::default()
        }
        .check()
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(e.capital_wan, Some((100, u64::MAX)));
        assert_eq!(e.founded, Some((i64::MIN, 1)));
    }

    #[test]
    fn a_list_longer_than_the_limit_is_refused() {
        let e = refused(Criteria {
            regions: vec!["330302".into(); MAX_LIST + 1],
            ..Criteria::default()
        });
        assert_eq!(e.field, "criteria.regions");
    }
}
