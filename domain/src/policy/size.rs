//! 企业规模: large, medium, small and micro enterprises by the national statistical rule
//! (统计上大中小微型企业划分办法（2017）, 国统字〔2017〕213号).
//!
//! Each industry group is measured on one to two of: employees (从业人员), operating revenue
//! (营业收入) and total assets (资产总额). Large, medium and small each need *every* measure the
//! group uses at or above its lower bound, else the enterprise falls to the next class down;
//! micro needs only one measure below the small bound. Revenue and assets are in 万元.

use serde::{Deserialize, Serialize};

use super::industry::Industry;

/// A size class (企业规模).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SizeClass {
    /// 大型.
    Large,
    /// 中型.
    Medium,
    /// 小型.
    Small,
    /// 微型.
    Micro,
}

impl SizeClass {
    /// Every class, largest first.
    pub const ALL: [SizeClass; 4] = [Self::Large, Self::Medium, Self::Small, Self::Micro];

    /// The class as the rule names it: `小型`.
    pub fn chinese_name(self) -> &'static str {
        match self {
            Self::Large => "大型",
            Self::Medium => "中型",
            Self::Small => "小型",
            Self::Micro => "微型",
        }
    }

    /// Its position in [`SizeClass::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// The figures the rule measures, as the departments report them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SizeFigures {
    /// 从业人员: employees at the end of the period.
    pub employees: u32,
    /// 营业收入 of the last year, in 万元.
    pub revenue_wan: u64,
    /// 资产总额 at the end of the last year, in 万元.
    pub assets_wan: u64,
}

#[derive(Clone, Copy)]
enum Measure {
    Employees,
    Revenue,
    Assets,
}

/// One measure's lower bounds for large, medium and small.
type Bounds = (Measure, [u64; 3]);

/// The rule's table: which measures an industry group uses, and their bounds.
fn bounds(industry: Industry) -> &'static [Bounds] {
    use Measure::*;
    const FARMING: &[Bounds] = &[(Revenue, [20_000, 500, 50])];
    const INDUSTRY: &[Bounds] = &[
        (Employees, [1_000, 300, 20]),
        (Revenue, [40_000, 2_000, 300]),
    ];
    const CONSTRUCTION: &[Bounds] = &[
        (Revenue, [80_000, 6_000, 300]),
        (Assets, [80_000, 5_000, 300]),
    ];
    const WHOLESALE: &[Bounds] = &[(Employees, [200, 20, 5]), (Revenue, [40_000, 5_000, 1_000])];
    const RETAIL: &[Bounds] = &[(Employees, [300, 50, 10]), (Revenue, [20_000, 500, 100])];
    const TRANSPORT: &[Bounds] = &[
        (Employees, [1_000, 300, 20]),
        (Revenue, [30_000, 3_000, 200]),
    ];
    const WAREHOUSING: &[Bounds] = &[(Employees, [200, 100, 20]), (Revenue, [30_000, 1_000, 100])];
    const POSTAL: &[Bounds] = &[
        (Employees, [1_000, 300, 20]),
        (Revenue, [30_000, 2_000, 100]),
    ];
    const LODGING_CATERING: &[Bounds] =
        &[(Employees, [300, 100, 10]), (Revenue, [10_000, 2_000, 100])];
    const TELECOM_INTERNET: &[Bounds] = &[
        (Employees, [2_000, 100, 10]),
        (Revenue, [100_000, 1_000, 100]),
    ];
    const SOFTWARE: &[Bounds] = &[(Employees, [300, 100, 10]), (Revenue, [10_000, 1_000, 50])];
    const REAL_ESTATE: &[Bounds] = &[
        (Revenue, [200_000, 1_000, 100]),
        (Assets, [10_000, 5_000, 2_000]),
    ];
    const PROPERTY_MANAGEMENT: &[Bounds] = &[
        (Employees, [1_000, 300, 100]),
        (Revenue, [5_000, 1_000, 500]),
    ];
    const LEASING_BUSINESS: &[Bounds] =
        &[(Employees, [300, 100, 10]), (Assets, [120_000, 8_000, 100])];
    const OTHER: &[Bounds] = &[(Employees, [300, 100, 10])];

    let division = industry.division().unwrap_or(0);
    match industry.letter() {
        'A' => FARMING,
        'B' | 'C' | 'D' => INDUSTRY,
        'E' => CONSTRUCTION,
        'F' if division == 51 => WHOLESALE,
        'F' => RETAIL,
        'G' if division == 59 => WAREHOUSING,
        'G' if division == 60 => POSTAL,
        'G' => TRANSPORT,
        'H' => LODGING_CATERING,
        'I' if division == 65 => SOFTWARE,
        'I' => TELECOM_INTERNET,
        'K' if industry.code() == "K7010" => REAL_ESTATE,
        'K' if industry.code() == "K7020" => PROPERTY_MANAGEMENT,
        'L' => LEASING_BUSINESS,
        _ => OTHER,
    }
}

/// The enterprise's size class under the rule, for its registered industry.
pub fn classify(industry: Industry, figures: SizeFigures) -> SizeClass {
    let measures = bounds(industry);
    let value = |m: Measure| match m {
        Measure::Employees => u64::from(figures.employees),
        Measure::Revenue => figures.revenue_wan,
        Measure::Assets => figures.assets_wan,
    };
    // Large, medium, small: every measure at or above the class's bound; else one class down.
    for (class, bound) in [SizeClass::Large, SizeClass::Medium, SizeClass::Small]
        .into_iter()
        .zip(0..)
    {
        if measures.iter().all(|(m, b)| value(*m) >= b[bound]) {
            return class;
        }
    }
    SizeClass::Micro
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(code: &str, employees: u32, revenue_wan: u64, assets_wan: u64) -> SizeClass {
        let industry = Industry::parse(code).unwrap_or_else(|e| panic!("{code}: {e:?}"));
        classify(
            industry,
            SizeFigures {
                employees,
                revenue_wan,
                assets_wan,
            },
        )
    }

    #[test]
    fn a_factory_needs_both_employees_and_revenue_for_its_class() {
        assert_eq!(of("C3823", 1_200, 50_000, 0), SizeClass::Large);
        // Large on employees, medium on revenue: medium.
        assert_eq!(of("C3823", 1_200, 30_000, 0), SizeClass::Medium);
        assert_eq!(of("C3823", 300, 2_000, 0), SizeClass::Medium);
        assert_eq!(of("C3823", 299, 2_000, 0), SizeClass::Small);
        assert_eq!(of("C3823", 20, 300, 0), SizeClass::Small);
        // Below one small bound: micro.
        assert_eq!(of("C3823", 19, 5_000, 0), SizeClass::Micro);
        assert_eq!(of("C3823", 100, 299, 0), SizeClass::Micro);
    }

    #[test]
    fn each_industry_group_is_measured_on_its_own_table() {
        // Software: 10 employees and 50 万元 make a small firm; a factory needs 20 and 300.
        assert_eq!(of("I6513", 10, 50, 0), SizeClass::Small);
        assert_eq!(of("C3443", 10, 50, 0), SizeClass::Micro);
        // Wholesale is measured on 5 employees for small; retail on 10.
        assert_eq!(of("F5137", 5, 1_000, 0), SizeClass::Small);
        assert_eq!(of("F5211", 5, 1_000, 0), SizeClass::Micro);
        // Construction on revenue and assets, not employees.
        assert_eq!(of("E4710", 0, 6_000, 5_000), SizeClass::Medium);
        // Real-estate development and property management differ within K70.
        assert_eq!(of("K7010", 0, 1_000, 5_000), SizeClass::Medium);
        assert_eq!(of("K7020", 300, 1_000, 0), SizeClass::Medium);
        // Farming on revenue alone; the unlisted industries on employees alone.
        assert_eq!(of("A0111", 0, 500, 0), SizeClass::Medium);
        assert_eq!(of("M7320", 100, 0, 0), SizeClass::Medium);
        // Warehousing and postal are not transport.
        assert_eq!(of("G5920", 100, 1_000, 0), SizeClass::Medium);
        assert_eq!(of("G5430", 100, 1_000, 0), SizeClass::Small);
    }
}
