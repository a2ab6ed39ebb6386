//! What a policy's criteria can name, as the policy console offers it: the counties of
//! Wenzhou, the sections and divisions of GB/T 4754-2017, the size classes, qualifications,
//! tax credit ratings and business-scope keywords. Built from the tables the criteria are
//! checked against, so a console cannot offer a code the BFF would refuse.

use serde::{Deserialize, Serialize};

use super::industry::{DIVISIONS, SECTIONS};
use super::profile::{Qualification, TaxCredit, SCOPE_KEYWORDS};
use super::size::SizeClass;
use crate::region::WENZHOU_DIVISIONS;

/// One choice: the code a criterion takes and its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    /// The code, as the criteria take it (`330302`, `C38`, `small`, `high_tech`, `A`).
    pub code: String,
    /// Its name, zh-CN.
    pub name: String,
}

/// A section (门类) of GB/T 4754-2017 and its divisions (大类).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionChoices {
    /// The section: its letter and name.
    pub section: Choice,
    /// Its divisions, as `C38`-style codes.
    pub divisions: Vec<Choice>,
}

/// Everything the criteria can name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vocabulary {
    /// The counties of Wenzhou (GB/T 2260), and the city itself first.
    pub regions: Vec<Choice>,
    /// The industry sections, each with its divisions.
    pub industries: Vec<SectionChoices>,
    /// The size classes, largest first.
    pub sizes: Vec<Choice>,
    /// The qualifications.
    pub qualifications: Vec<Choice>,
    /// The tax credit ratings, best first.
    pub tax_credits: Vec<Choice>,
    /// The business-scope keywords.
    pub keywords: Vec<String>,
}

fn code_of<T: Serialize>(value: T) -> String {
    // Each of these enums serialises as a plain string: the code the criteria take.
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn choice(code: impl Into<String>, name: impl Into<String>) -> Choice {
    Choice {
        code: code.into(),
        name: name.into(),
    }
}

/// The vocabulary of criteria.
pub fn vocabulary() -> Vocabulary {
    let mut regions = vec![choice(super::WENZHOU_CITY, "温州市（全市）")];
    regions.extend(WENZHOU_DIVISIONS.iter().map(|d| choice(d.code, d.name)));
    let industries = SECTIONS
        .iter()
        .map(|s| SectionChoices {
            section: choice(s.letter.to_string(), s.name),
            divisions: (s.divisions.0..=s.divisions.1)
                .map(|n| choice(format!("{}{n:02}", s.letter), DIVISIONS[usize::from(n) - 1]))
                .collect(),
        })
        .collect();
    Vocabulary {
        regions,
        industries,
        sizes: SizeClass::ALL
            .iter()
            .map(|&s| choice(code_of(s), s.chinese_name()))
            .collect(),
        qualifications: Qualification::ALL
            .iter()
            .map(|&q| choice(code_of(q), q.chinese_name()))
            .collect(),
        tax_credits: TaxCredit::ALL
            .iter()
            .map(|&t| choice(code_of(t), t.label()))
            .collect(),
        keywords: SCOPE_KEYWORDS.iter().map(|k| k.to_string()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Criteria;

    #[test]
    fn every_code_offered_is_one_the_criteria_accept() {
        let v = vocabulary();
        assert_eq!(v.regions.len(), WENZHOU_DIVISIONS.len() + 1);
        assert_eq!(
            v.industries
                .iter()
                .map(|s| s.divisions.len())
                .sum::<usize>(),
            97
        );
        let criteria = Criteria {
            regions: v.regions.iter().map(|c| c.code.clone()).take(12).collect(),
            industries: v.industries[2]
                .divisions
                .iter()
                .map(|c| c.code.clone())
                .take(20)
                .collect(),
            sizes: serde_json::from_value(serde_json::json!(v
                .sizes
                .iter()
                .map(|c| &c.code)
                .collect::<Vec<_>>()))
            .unwrap(),
            qualifications: serde_json::from_value(serde_json::json!(v
                .qualifications
                .iter()
                .map(|c| &c.code)
                .collect::<Vec<_>>()))
            .unwrap(),
            tax_credits: serde_json::from_value(serde_json::json!(v
                .tax_credits
                .iter()
                .map(|c| &c.code)
                .collect::<Vec<_>>()))
            .unwrap(),
            keywords: v.keywords.iter().take(10).cloned().collect(),
            ..Criteria::default()
        };
        assert!(criteria.check().is_ok(), "{:?}", criteria.check().err());
        assert_eq!(
            v.industries[2].divisions[25],
            choice("C38", "电气机械和器材制造业")
        );
        assert_eq!(v.sizes[0], choice("large", "大型"));
        assert_eq!(v.tax_credits[0], choice("A", "A 级"));
    }
}
