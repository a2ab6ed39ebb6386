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
