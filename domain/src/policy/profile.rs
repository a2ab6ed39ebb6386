//! 企业画像: what the government knows of an enterprise that a policy can be matched on.

use serde::{Deserialize, Serialize};

use super::industry::Industry;
use super::size::SizeClass;

/// 纳税信用等级: the tax bureau's annual credit rating of a taxpayer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TaxCredit {
    /// A 级: the best.
    A,
    /// B 级.
    B,
    /// M 级: new taxpayers and those without revenue, who have no record to rate yet.
    M,
    /// C 级.
    C,
    /// D 级: serious dishonesty.
    D,
}

impl TaxCredit {
    /// Every rating, best first.
    pub const ALL: [TaxCredit; 5] = [Self::A, Self::B, Self::M, Self::C, Self::D];

    /// `A 级`.
    pub fn label(self) -> &'static str {
        match self {
            Self::A => "A 级",
            Self::B => "B 级",
            Self::M => "M 级",
            Self::C => "C 级",
            Self::D => "D 级",
        }
    }

    /// Its position in [`TaxCredit::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Parses the letter the tax bureau publishes.
    pub fn parse(letter: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|r| r.label().starts_with(letter) && letter.len() == 1)
    }
}

/// A qualification an enterprise holds (企业资质), as recognised by the department that grants it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Qualification {
    /// 高新技术企业 (科技部门认定, three years).
    HighTech,
    /// 科技型中小企业 (科技部门入库, yearly).
    TechSme,
    /// 创新型中小企业 (经信部门).
    Innovative,
    /// 专精特新中小企业 (经信部门).
    Specialised,
    /// 专精特新“小巨人”企业 (工业和信息化部).
    LittleGiant,
}

impl Qualification {
    /// Every qualification.
    pub const ALL: [Qualification; 5] = [
        Self::HighTech,
        Self::TechSme,
        Self::Innovative,
        Self::Specialised,
        Self::LittleGiant,
    ];

    /// The name the granting department uses.
    pub fn chinese_name(self) -> &'static str {
        match self {
            Self::HighTech => "高新技术企业",
            Self::TechSme => "科技型中小企业",
            Self::Innovative => "创新型中小企业",
            Self::Specialised => "专精特新中小企业",
            Self::LittleGiant => "专精特新“小巨人”企业",
        }
    }

    /// Its bit in a set of qualifications.
    pub fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// The business-scope words (经营范围关键词) policies can name. A policy's keywords come from this
/// list so that matching stays an index lookup, not a text search over every enterprise; a
/// profile's are the words its registered business scope contains.
pub const SCOPE_KEYWORDS: [&str; 40] = [
    "软件开发",
    "信息技术",
    "数据处理",
    "集成电路",
    "人工智能",
    "电子商务",
    "互联网",
    "低压电器",
    "电气元件",
    "光电子器件",
    "新能源",
    "汽车零部件",
    "阀门",
    "泵",
    "通用机械",
    "模具",
    "鞋",
    "皮革",
    "服装",
    "眼镜",
    "文具",
    "印刷",
    "包装",
    "食品生产",
    "食品销售",
    "农产品",
    "道路运输",
    "仓储",
    "货物进出口",
    "技术进出口",
    "日用百货",
    "房屋建筑",
    "市政工程",
    "建筑装饰",
    "医疗器械",
    "检验检测",
    "节能环保",
    "餐饮服务",
    "旅游",
    "文化创意",
];

/// The position of `word` in [`SCOPE_KEYWORDS`].
pub fn scope_keyword(word: &str) -> Option<usize> {
    SCOPE_KEYWORDS.iter().position(|k| *k == word)
}

/// The set of [`SCOPE_KEYWORDS`] a business scope's text contains, one bit per keyword.
pub fn scope_keywords(business_scope: &str) -> u64 {
    SCOPE_KEYWORDS
        .iter()
        .enumerate()
        .filter(|(_, k)| business_scope.contains(*k))
        .fold(0, |set, (i, _)| set | 1 << i)
}

/// An enterprise's profile (企业画像), built from department records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnterpriseProfile {
    /// Unified social credit code.
    pub uscc: String,
    /// Registered name.
    pub name: String,
    /// County-level division of the registered address (GB/T 2260).
    pub region: String,
    /// Registered industry (GB/T 4754-2017 class).
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "C3823"))]
    pub industry: Industry,
    /// Size class under the statistical rule.
    pub size: SizeClass,
    /// Registered capital, in 万元.
    pub registered_capital_wan: u64,
    /// Founding date, `YYYY-MM-DD`.
    pub founded_on: String,
    /// Employees insured.
    pub employees: u32,
    /// 纳税信用等级.
    pub tax_credit: TaxCredit,
    /// Listed in the abnormal-operations directory (经营异常名录).
    pub abnormal_operations: bool,
    /// Qualifications held now.
    pub qualifications: Vec<Qualification>,
    /// The [`SCOPE_KEYWORDS`] its business scope contains.
    pub keywords: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_business_scope_yields_the_keywords_it_contains() {
        let set = scope_keywords("一般项目：软件开发；信息技术咨询服务；货物进出口");
        let words: Vec<_> = SCOPE_KEYWORDS
            .iter()
            .enumerate()
            .filter(|(i, _)| set & (1 << i) != 0)
            .map(|(_, k)| *k)
            .collect();
        assert_eq!(words, ["软件开发", "信息技术", "货物进出口"]);
        assert_eq!(scope_keyword("阀门"), Some(12));
        assert_eq!(scope_keyword("区块链"), None);
    }

    #[test]
    fn tax_ratings_parse_from_their_letter_only() {
        assert_eq!(TaxCredit::parse("M"), Some(TaxCredit::M));
        assert_eq!(TaxCredit::parse("A 级"), None);
        assert_eq!(TaxCredit::parse("E"), None);
    }
}

/// What departments said of an enterprise, to build its profile from. `None` means the
/// department has no record of it (no tax rating yet, no qualification, nobody insured), not
/// that it could not be asked: an unreachable department leaves the last profile in place.
#[derive(Debug, Clone, Copy)]
pub struct ProfileRecords<'a> {
    /// 市场监管: the registration (营业执照); without it there is no enterprise to profile.
    pub registration: &'a crate::records::EnterpriseRegistration,
    /// 市场监管: credit and the abnormal-operations directory.
    pub credit: Option<&'a crate::records::EnterpriseCredit>,
    /// 人社: employees insured.
    pub social_security: Option<&'a crate::records::EnterpriseSocialSecurity>,
    /// 税务: rating and last year's figures.
    pub tax: Option<&'a crate::records::EnterpriseTax>,
    /// 经信: qualifications.
    pub qualifications: Option<&'a crate::records::EnterpriseQualifications>,
    /// Today, `YYYY-MM-DD`: qualifications past their validity no longer count.
    pub today: &'a str,
}

/// Why a profile could not be built from the records: a department's record the rules cannot
/// read, named by its field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileGap {
    /// The record field, e.g. `enterprise_registration.industryCode`.
    pub field: &'static str,
    /// The value as the department sent it.
    pub value: String,
}

impl std::fmt::Display for ProfileGap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} cannot be read: {:?}", self.field, self.value)
    }
}

/// The profile the records make: the size class by the statistical rule, qualifications still
/// valid today, and the scope keywords of the registered business scope. Pure.
pub fn build_profile(r: ProfileRecords<'_>) -> Result<EnterpriseProfile, ProfileGap> {
    let reg = r.registration;
    let gap = |field: &'static str, value: &str| ProfileGap {
        field,
        value: value.to_string(),
    };
    let industry = Industry::parse(&reg.industry_code)
        .ok()
        .filter(|i| i.division().is_some())
        .ok_or_else(|| gap("enterprise_registration.industryCode", &reg.industry_code))?;
    if reg.region_code.len() != 6 || !reg.region_code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(gap("enterprise_registration.regionCode", &reg.region_code));
    }
    if super::parse_day(&reg.established_at).is_none() {
        return Err(gap(
            "enterprise_registration.establishedAt",
            &reg.established_at,
        ));
    }
    let tax_credit = match r.tax {
        None => TaxCredit::M,
        Some(t) => TaxCredit::parse(&t.credit_rating)
            .ok_or_else(|| gap("enterprise_tax.creditRating", &t.credit_rating))?,
    };
    let employees = r.social_security.map_or(0, |s| s.insured_employees);
    let size = super::size::classify(
        industry,
        super::size::SizeFigures {
            employees,
            revenue_wan: r.tax.map_or(0, |t| t.revenue_wan),
            assets_wan: r.tax.map_or(0, |t| t.assets_wan),
        },
    );
    let mut qualifications: Vec<Qualification> = r
        .qualifications
        .map(|q| q.qualifications.as_slice())
        .unwrap_or_default()
        .iter()
        // Dates are YYYY-MM-DD, so text order is date order.
        .filter(|q| q.valid_until.as_str() >= r.today)
        .filter_map(|q| {
            Qualification::ALL
                .into_iter()
                .find(|k| k.chinese_name() == q.name)
        })
        .collect();
    qualifications.sort_unstable();
    qualifications.dedup();
    let keywords = scope_keywords(&reg.business_scope);
    Ok(EnterpriseProfile {
        uscc: reg.uscc.clone(),
        name: reg.name.clone(),
        region: reg.region_code.clone(),
        industry,
        size,
        registered_capital_wan: reg.registered_capital_wan,
        founded_on: reg.established_at.clone(),
        employees,
        tax_credit,
        abnormal_operations: r.credit.is_some_and(|c| c.abnormal_operations),
        qualifications,
        keywords: SCOPE_KEYWORDS
            .iter()
            .enumerate()
            .filter(|(i, _)| keywords & (1 << i) != 0)
            .map(|(_, k)| k.to_string())
            .collect(),
    })
}

#[cfg(test)]
mod building {
    use super::*;
    use crate::records::{
        EnterpriseCredit, EnterpriseQualification, EnterpriseQualifications,
        EnterpriseRegistration, EnterpriseSocialSecurity, EnterpriseTax,
    };

    fn registration() -> EnterpriseRegistration {
        EnterpriseRegistration {
            name: "温州瓯江电气有限公司".into(),
            uscc: "91330302MA2B3C4D1H".into(),
            legal_representative: "张三".into(),
            registered_capital_wan: 500,
            established_at: "2015-03-02".into(),
            address: "温州市鹿城区".into(),
            business_scope: "一般项目：低压电器、电气元件的研发、制造与销售；货物进出口".into(),
            status: "存续".into(),
            industry_code: "C3823".into(),
            region_code: "330302".into(),
        }
    }

    fn qualification(name: &str, valid_until: &str) -> EnterpriseQualification {
        EnterpriseQualification {
            name: name.into(),
            number: "GR2024330001".into(),
            granted_by: "浙江省科学技术厅".into(),
            granted_on: "2024-01-01".into(),
            valid_until: valid_until.into(),
        }
    }

    #[test]
    fn the_records_make_a_profile_with_the_size_class_by_the_rule() {
        let reg = registration();
        let social = EnterpriseSocialSecurity {
            insured_employees: 120,
            last_paid_month: "2026-11".into(),
            arrears_fen: 0,
        };
        let tax = EnterpriseTax {
            credit_rating: "A".into(),
            year: 2025,
            revenue_wan: 5_000,
            assets_wan: 4_000,
            settlement_bank: "温州银行".into(),
            settlement_account: "6200000000000000000".into(),
        };
        let credit = EnterpriseCredit {
            rating: "A".into(),
            abnormal_operations: false,
            penalties: 0,
        };
        let quals = EnterpriseQualifications {
            qualifications: vec![
                qualification("高新技术企业", "2027-01-01"),
                qualification("科技型中小企业", "2026-06-30"),
            ],
        };
        let p = build_profile(ProfileRecords {
            registration: &reg,
            credit: Some(&credit),
            social_security: Some(&social),
            tax: Some(&tax),
            qualifications: Some(&quals),
            today: "2026-12-03",
        })
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            crate::Uscc::parse(&p.uscc).is_ok(),
            "the fixture's USCC passes GB 32100"
        );
        // A factory with 120 employees and 5,000 万元 revenue: medium needs 300 employees.
        assert_eq!(p.size, SizeClass::Small);
        assert_eq!(p.employees, 120);
        assert_eq!(p.tax_credit, TaxCredit::A);
        // The expired 科技型中小企业 listing no longer counts.
        assert_eq!(p.qualifications, [Qualification::HighTech]);
        assert_eq!(p.keywords, ["低压电器", "电气元件", "货物进出口"]);
        assert_eq!(p.region, "330302");
    }

    #[test]
    fn records_a_department_has_not_are_the_rules_defaults() {
        let reg = registration();
        let p = build_profile(ProfileRecords {
            registration: &reg,
            credit: None,
            social_security: None,
            tax: None,
            qualifications: None,
            today: "2026-12-03",
        })
        .unwrap_or_else(|e| panic!("{e}"));
        // No rating yet is M; nobody insured and no revenue is micro.
        assert_eq!(p.tax_credit, TaxCredit::M);
        assert_eq!(p.size, SizeClass::Micro);
        assert!(p.qualifications.is_empty() && !p.abnormal_operations);
    }

    #[test]
    fn an_unreadable_record_names_its_field() {
        let mut reg = registration();
        reg.industry_code = "C".into();
        let records = |reg| ProfileRecords {
            registration: reg,
            credit: None,
            social_security: None,
            tax: None,
            qualifications: None,
            today: "2026-12-03",
        };
        let e = build_profile(records(&reg)).err();
        assert_eq!(
            e.map(|e| e.field),
            Some("enterprise_registration.industryCode")
        );
        let mut reg = registration();
        reg.region_code = "3303".into();
        let e = build_profile(records(&reg)).err();
        assert_eq!(
            e.map(|e| e.field),
            Some("enterprise_registration.regionCode")
        );
    }
}
