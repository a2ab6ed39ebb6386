//! 一表通's auto-fill: a form says where each answer can come from (`prefill` of a field), and
//! [`Form::prefill`](super::definition::Form::prefill) fills a new draft from what those
//! sources gave, saying for every answer where it came from and for every source that gave
//! nothing why. Pure: the BFF asks the departments (through its adapter layer) and hands the
//! records here; the SDK keeps what it was given for offline drafts.
//!
//! Two kinds of source, as Singpass MyInfo and ODK's `last-saved` have them:
//! - **Government-verified** (`registration.name`, `profile.id_number` …): a department's
//!   record or the platform's real-name check. While the source gives the value, the field is
//!   read-only and the BFF refuses any other answer; a source that is down leaves the field
//!   empty and editable — a form is never blocked by a department.
//! - **The person's last submission of the form** (`last`): a convenience, freely edited.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use super::expr::Scalar;
use crate::lang::Text;
use crate::records::Record;

/// A government source of answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The platform's real-name check of the person logged in (浙里办实名认证).
    Profile,
    /// 公安: the resident ID card (居民身份证).
    ResidentId,
    /// 公安: the household register (户籍).
    Household,
    /// 卫健: the newest birth a hospital registered for the person as a parent.
    Birth,
    /// 市场监管: the enterprise's registration (营业执照).
    Registration,
    /// 税务: the enterprise's tax figures.
    Tax,
    /// 人社: the enterprise's social-security summary.
    SocialSecurity,
}

impl Source {
    /// Every source.
    pub const ALL: [Source; 7] = [
        Self::Profile,
        Self::ResidentId,
        Self::Household,
        Self::Birth,
        Self::Registration,
        Self::Tax,
        Self::SocialSecurity,
    ];

    /// Its name in a form's `prefill` (`registration` of `registration.name`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Profile => "profile",
            Self::ResidentId => "resident_id",
            Self::Household => "household",
            Self::Birth => "birth",
            Self::Registration => "registration",
            Self::Tax => "tax",
            Self::SocialSecurity => "social_security",
        }
    }

    /// The source named `name`.
    pub fn parse(name: &str) -> Option<Source> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Who vouches for it, as the person reads it beside a filled field.
    pub fn provider_zh(self) -> &'static str {
        match self {
            Self::Profile => "浙里办实名认证",
            Self::ResidentId => "公安厅·居民身份证",
            Self::Household => "公安厅·户籍信息",
            Self::Birth => "卫健委·出生医学信息",
            Self::Registration => "市场监管局·营业执照",
            Self::Tax => "税务局·纳税信息",
            Self::SocialSecurity => "人力社保局·参保信息",
        }
    }

    /// Whose data it is: a person's sources need a person, an enterprise's an enterprise.
    pub fn of_enterprise(self) -> bool {
        matches!(self, Self::Registration | Self::Tax | Self::SocialSecurity)
    }

    /// The keys it gives and the type of each.
    pub fn keys(self) -> &'static [(&'static str, Scalar)] {
        use Scalar::*;
        match self {
            Self::Profile => &[("name", Text), ("id_number", Text)],
            Self::ResidentId => &[
                ("name", Text),
                ("sex", Text),
                ("nation", Text),
                ("birth_date", Date),
                ("address", Text),
            ],
            Self::Household => &[
                ("household_number", Text),
                ("head_of_household", Text),
                ("relation_to_head", Text),
                ("address", Text),
                ("police_station", Text),
            ],
            Self::Birth => &[
                ("sex", Text),
                ("birth_date", Date),
                ("birth_time", Text),
                ("weight_grams", Int),
                ("hospital", Text),
                ("province_code", Text),
                ("city_code", Text),
                ("county_code", Text),
            ],
            Self::Registration => &[
                ("name", Text),
                ("uscc", Text),
                ("legal_representative", Text),
                ("registered_capital", Money),
                ("established_at", Date),
                ("address", Text),
                ("business_scope", Text),
                ("industry_code", Text),
                ("province_code", Text),
                ("city_code", Text),
                ("county_code", Text),
            ],
            Self::Tax => &[
                ("credit_rating", Text),
                ("year", Int),
                ("revenue", Money),
                ("assets", Money),
                ("settlement_bank", Text),
                ("settlement_account", Text),
            ],
            Self::SocialSecurity => &[("insured_employees", Int), ("arrears", Money)],
        }
    }

    /// What record `record` of this source gives, by key, in the form's units (money in fen,
    /// days as `YYYY-MM-DD`); none when the record is not of this source.
    pub fn values(self, record: &Record) -> Option<Map<String, Json>> {
        let mut out = Map::new();
        let mut put = |k: &str, v: Json| {
            out.insert(k.to_string(), v);
        };
        // 万元 → fen, saturating rather than wrapping on absurd figures.
        let wan =
            |w: u64| Json::from(i64::try_from(w.saturating_mul(1_000_000)).unwrap_or(i64::MAX));
        // The region cascade of a county: province and city codes from its first digits.
        let region = |out: &mut Map<String, Json>, county: &str| {
            if county.len() == 6 && county.bytes().all(|b| b.is_ascii_digit()) {
                out.insert(
                    "province_code".into(),
                    format!("{}0000", &county[..2]).into(),
                );
                out.insert("city_code".into(), format!("{}00", &county[..4]).into());
                out.insert("county_code".into(), county.into());
            }
        };
        match (self, record) {
            (Self::Birth, Record::BirthRecord(r)) => {
                let b = r.births.first()?;
                put("sex", b.sex.clone().into());
                put("birth_date", b.birth_date.clone().into());
                put("birth_time", b.birth_time.clone().into());
                put("weight_grams", Json::from(b.weight_grams));
                put("hospital", b.hospital.clone().into());
                region(&mut out, &b.county_code);
            }
            (Self::ResidentId, Record::ResidentIdCard(r)) => {
                put("name", r.name.clone().into());
                put("sex", r.sex.clone().into());
                put("nation", r.nation.clone().into());
                put("birth_date", r.birth_date.clone().into());
                put("address", r.address.clone().into());
            }
            (Self::Household, Record::HouseholdRegister(r)) => {
                put("household_number", r.household_number.clone().into());
                put("head_of_household", r.head_of_household.clone().into());
                put("relation_to_head", r.relation_to_head.clone().into());
                put("address", r.address.clone().into());
                put("police_station", r.police_station.clone().into());
            }
            (Self::Registration, Record::EnterpriseRegistration(r)) => {
                put("name", r.name.clone().into());
                put("uscc", r.uscc.clone().into());
                put(
                    "legal_representative",
                    r.legal_representative.clone().into(),
                );
                put("registered_capital", wan(r.registered_capital_wan));
                put("established_at", r.established_at.clone().into());
                put("address", r.address.clone().into());
                put("business_scope", r.business_scope.clone().into());
                put("industry_code", r.industry_code.clone().into());
                region(&mut out, &r.region_code);
            }
            (Self::Tax, Record::EnterpriseTax(r)) => {
                put("credit_rating", r.credit_rating.clone().into());
                put("year", Json::from(r.year));
                put("revenue", wan(r.revenue_wan));
                put("assets", wan(r.assets_wan));
                if !r.settlement_account.is_empty() {
                    put("settlement_bank", r.settlement_bank.clone().into());
                    put("settlement_account", r.settlement_account.clone().into());
                }
            }
            (Self::SocialSecurity, Record::EnterpriseSocialSecurity(r)) => {
                put("insured_employees", Json::from(r.insured_employees));
                put(
                    "arrears",
                    Json::from(i64::try_from(r.arrears_fen).unwrap_or(i64::MAX)),
                );
            }
            _ => return None,
        }
        Some(out)
    }

    /// The profile source: what the platform's real-name check says of the person.
    pub fn profile(name: &str, id_number: Option<&str>) -> Map<String, Json> {
        let mut out = Map::new();
        out.insert("name".into(), name.into());
        if let Some(id) = id_number {
            out.insert("id_number".into(), id.into());
        }
        out
    }
}

/// Where a field's answer comes from, as its `prefill` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spec {
    /// Key `.1` of government source `.0`.
    Verified(Source, &'static str),
    /// The person's last submission of the form.
    Last,
}

impl Spec {
    /// Reads a `prefill`: `last`, or `source.key` of a known source and key; else what is
    /// wrong, in words.
    pub fn parse(text: &str) -> Result<Spec, Text> {
        if text == "last" {
            return Ok(Spec::Last);
        }
        let Some((source, key)) = text.split_once('.') else {
            return Err(Text::new(
                format!("prefill {text:?} 须为 last 或 来源.字段（如 registration.name）"),
                format!("prefill {text:?} must be last or source.key (such as registration.name)"),
            ));
        };
        let Some(s) = Source::parse(source) else {
            let known: Vec<&str> = Source::ALL.iter().map(|s| s.as_str()).collect();
            return Err(Text::new(
                format!("没有数据来源 {source}（可用：{}）", known.join("、")),
                format!("there is no source {source} (known: {})", known.join(", ")),
            ));
        };
        match s.keys().iter().find(|(k, _)| *k == key) {
            Some((k, _)) => Ok(Spec::Verified(s, k)),
            None => {
                let keys: Vec<&str> = s.keys().iter().map(|(k, _)| *k).collect();
                Err(Text::new(
                    format!("{source} 没有 {key}（可用：{}）", keys.join("、")),
                    format!("{source} gives no {key} (it gives: {})", keys.join(", ")),
                ))
            }
        }
    }

    /// The type of what it gives; none for `last` (whatever the field took).
    pub fn scalar(self) -> Option<Scalar> {
        match self {
            Spec::Verified(s, key) => s.keys().iter().find(|(k, _)| *k == key).map(|(_, t)| *t),
            Spec::Last => None,
        }
    }
}

/// What a government source gave for one request.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceState {
    /// Its record, by key ([`Source::values`]).
    Found {
        /// The values.
        values: Map<String, Json>,
        /// Seconds since the department said it (0: just now).
        age_secs: u64,
    },
    /// The department has no record of the person or enterprise.
    NotFound,
    /// No answer: the department is down, slow, or the source does not apply to this user.
    Unavailable {
        /// Why, in words a person can read.
        reason: Text,
    },
}

/// The person's last submission of the form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Previous {
    /// Its instance id.
    pub instance_id: String,
    /// When it was taken, ms since the epoch.
    pub submitted_at_ms: i64,
    /// Its answers, as taken (on whatever version it was filled).
    pub answers: Json,
}

/// Everything a prefill reads.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sources {
    /// Each government source asked, with what it gave; a source the form names but that is
    /// not here was not asked (its fields stay empty, reported as not applicable).
    pub government: BTreeMap<Source, SourceState>,
    /// The last submission, if any.
    pub previous: Option<Previous>,
}

/// Where a pre-filled answer came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// A government source: read-only while the source gives it.
    Verified {
        /// The source.
        source: Source,
        /// Who vouches for it (市场监管局·营业执照 …).
        provider: String,
        /// Seconds since the department said it.
        age_secs: u64,
    },
    /// The person's last submission of this form: theirs to change.
    Previous {
        /// Which.
        instance_id: String,
        /// When it was taken, ms since the epoch.
        submitted_at_ms: i64,
    },
}

/// A source that filled nothing, and why: the page says so beside its fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Unfilled {
    /// The source (`last` for the previous submission).
    pub source: String,
    /// Who it is, as the person reads it.
    pub provider: String,
    /// Why nothing came, zh-CN.
    pub reason: String,
    /// Why nothing came, English.
    pub reason_en: String,
    /// The fields left for the person to type.
    pub fields: Vec<String>,
}

/// A new draft filled from its sources.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Prefill {
    /// The form.
    pub form_id: String,
    /// The version filled.
    pub version: u32,
    /// The answers: defaults, what the sources gave, and the calculations they make.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub answers: Json,
    /// Where each filled answer came from, by field name.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub filled: BTreeMap<String, Origin>,
    /// The sources that gave nothing, each with why and the fields it would have filled.
    pub unfilled: Vec<Unfilled>,
    /// Answers a person would otherwise type (top-level fields and repeats, calculations
    /// excluded).
    pub typable: u32,
    /// Of those, the ones the form's defaults answer (and no source filled).
    #[serde(default)]
    pub defaulted: u32,
}

impl Prefill {
    /// The names of the fields filled from a government source: read-only on the page and
    /// checked against the source by the BFF.
    pub fn verified(&self) -> impl Iterator<Item = &str> {
        self.filled
            .iter()
            .filter(|(_, o)| matches!(o, Origin::Verified { .. }))
            .map(|(k, _)| k.as_str())
    }

    /// The share of typable answers filled for the person, 0–1.
    pub fn coverage(&self) -> f64 {
        if self.typable == 0 {
            0.0
        } else {
            self.filled.len() as f64 / f64::from(self.typable)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spec_names_a_known_source_and_key_or_says_what_is_known() {
        assert_eq!(
            Spec::parse("registration.name"),
            Ok(Spec::Verified(Source::Registration, "name"))
        );
        assert_eq!(Spec::parse("last"), Ok(Spec::Last));
        let e = Spec::parse("bank.account").unwrap_err();
        assert!(e.zh.contains("没有数据来源 bank"), "{}", e.zh);
        assert!(e.en.contains("registration"), "{}", e.en);
        let e = Spec::parse("tax.profit").unwrap_err();
        assert!(e.en.contains("revenue"), "{}", e.en);
        assert!(Spec::parse("name").is_err());
        assert_eq!(
            Spec::parse("tax.revenue").map(Spec::scalar),
            Ok(Some(Scalar::Money))
        );
    }

    #[test]
    fn a_registration_gives_money_in_fen_and_the_region_cascade() {
        let record = Record::EnterpriseRegistration(crate::records::EnterpriseRegistration {
            name: "温州瓯江智造有限公司".into(),
            // Only the mapping is tested here: the code is a placeholder, not a valid USCC.
            uscc: "91330300MA2XXXXX0X".into(),
            legal_representative: "陈立".into(),
            registered_capital_wan: 500,
            established_at: "2019-03-01".into(),
            address: "温州市鹿城区".into(),
            business_scope: "智能装备".into(),
            status: "存续".into(),
            industry_code: "C3823".into(),
            region_code: "330302".into(),
        });
        let v = Source::Registration.values(&record).expect("its record");
        assert_eq!(v["registered_capital"], Json::from(500_000_000_i64));
        assert_eq!(v["province_code"], "330000");
        assert_eq!(v["city_code"], "330300");
        assert_eq!(v["county_code"], "330302");
        // Every key it declares, it gives (and nothing else).
        let declared: Vec<&str> = Source::Registration
            .keys()
            .iter()
            .map(|(k, _)| *k)
            .collect();
        let mut given: Vec<&str> = v.keys().map(String::as_str).collect();
        given.sort_unstable();
        let mut sorted = declared.clone();
        sorted.sort_unstable();
        assert_eq!(given, sorted);
        assert_eq!(Source::Tax.values(&record), None);
    }
}
