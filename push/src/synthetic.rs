//! A synthetic enterprise population and policy mix, seeded, for property tests and the
//! matching and delivery benchmarks (1M–10M enterprises, more than the fixtures' 200).
//!
//! Proportions follow Wenzhou's economy: private manufacturing (electrical equipment, shoes,
//! clothing, valves, glasses, auto parts) and trade dominate; most firms are micro; the larger
//! counties (乐清, 瑞安, 鹿城) hold most enterprises; founding dates skew recent.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use zhelikit_domain::policy::{
    classify, parse_day, scope_keyword, Criteria, DateRange, Exclusions, Industry, Qualification,
    SizeClass, SizeFigures, TaxCredit, WanRange, WENZHOU_CITY,
};
use zhelikit_domain::region::WENZHOU_DIVISIONS;

use crate::matching::Subject;

/// Enterprises per county, in [`WENZHOU_DIVISIONS`] order (鹿城 … 龙港), roughly as registered.
const COUNTY_WEIGHTS: [u32; 12] = [16, 8, 10, 1, 8, 7, 6, 2, 2, 16, 18, 6];

/// Registered industries and their weights, with the scope keywords firms in them register.
const INDUSTRIES: &[(&str, u32, &[&str])] = &[
    ("F5137", 8, &["服装", "鞋", "货物进出口"]),
    ("F5191", 6, &["货物进出口", "技术进出口", "日用百货"]),
    ("F5211", 10, &["日用百货", "食品销售"]),
    ("F5294", 3, &["电子商务", "日用百货"]),
    ("C3823", 6, &["低压电器", "电气元件"]),
    ("C3824", 2, &["电气元件", "光电子器件"]),
    ("C3811", 1, &["通用机械", "新能源"]),
    ("C1952", 5, &["鞋", "皮革"]),
    ("C1810", 4, &["服装"]),
    ("C3443", 4, &["阀门", "泵"]),
    ("C3587", 2, &["眼镜", "医疗器械"]),
    ("C3670", 4, &["汽车零部件", "模具"]),
    ("C2929", 3, &["包装", "模具"]),
    ("C3311", 2, &["通用机械"]),
    ("C2319", 2, &["印刷", "包装"]),
    ("C2231", 1, &["包装"]),
    ("C2411", 1, &["文具"]),
    ("C3976", 1, &["光电子器件", "集成电路"]),
    ("C1419", 1, &["食品生产"]),
    ("I6513", 3, &["软件开发", "信息技术", "人工智能"]),
    ("I6511", 1, &["软件开发", "数据处理"]),
    ("I6531", 1, &["信息技术", "数据处理"]),
    ("I6450", 1, &["互联网", "电子商务", "数据处理"]),
    ("E4710", 3, &["房屋建筑", "市政工程"]),
    ("E5010", 2, &["建筑装饰"]),
    ("G5430", 3, &["道路运输"]),
    ("G5920", 1, &["仓储"]),
    ("H6210", 4, &["餐饮服务"]),
    ("H6110", 1, &["旅游", "餐饮服务"]),
    ("L7212", 3, &["信息技术", "文化创意"]),
    ("L7251", 2, &["文化创意"]),
    ("M7320", 1, &["检验检测", "节能环保"]),
    ("M7450", 1, &["检验检测"]),
    ("K7010", 1, &["房屋建筑"]),
    ("K7020", 1, &[]),
    ("O8010", 2, &[]),
    ("A0141", 1, &["农产品"]),
    ("R8810", 1, &["文化创意"]),
    ("Q8411", 1, &["医疗器械"]),
];

fn weighted<T>(rng: &mut ChaCha8Rng, items: &[T], weight: impl Fn(&T) -> u32) -> usize {
    let total: u32 = items.iter().map(&weight).sum();
    let mut pick = rng.gen_range(0..total);
    for (i, item) in items.iter().enumerate() {
        let w = weight(item);
        if pick < w {
            return i;
        }
        pick -= w;
    }
    items.len() - 1
}

fn industry(code: &str) -> Industry {
    // The table above holds valid codes only; its test checks them.
    Industry::parse(code)
        .unwrap_or_else(|_| Industry::parse("C").unwrap_or_else(|_| unreachable!()))
}

/// An endless, seeded stream of enterprises.
pub struct Population {
    rng: ChaCha8Rng,
    industries: Vec<(Industry, u32, u64)>,
    first_day: i64,
}

impl Population {
    /// The stream for `seed`: the same enterprises in the same order on every machine.
    pub fn new(seed: u64) -> Self {
        Population {
            rng: ChaCha8Rng::seed_from_u64(seed),
            industries: INDUSTRIES
                .iter()
                .map(|(code, weight, words)| {
                    let keywords = words
                        .iter()
                        .filter_map(|w| scope_keyword(w))
                        .fold(0u64, |set, bit| set | 1 << bit);
                    (industry(code), *weight, keywords)
                })
                .collect(),
            first_day: parse_day("1980-01-01").unwrap_or_default(),
        }
    }
}

impl Iterator for Population {
    type Item = Subject;

    fn next(&mut self) -> Option<Subject> {
        let rng = &mut self.rng;
        let county = if rng.gen_bool(0.01) {
            None
        } else {
            Some(weighted(rng, &COUNTY_WEIGHTS, |w| *w) as u8)
        };
        let (industry, _, scope) = self.industries[weighted(rng, &self.industries, |i| i.1)];
        let employees: u32 = match rng.gen_range(0..1000) {
            0..600 => rng.gen_range(0..10),
            600..850 => rng.gen_range(10..50),
            850..970 => rng.gen_range(50..300),
            970..995 => rng.gen_range(300..1_000),
            _ => rng.gen_range(1_000..5_000),
        };
        let revenue_wan = u64::from(employees) * rng.gen_range(15..90) + rng.gen_range(0..60);
        let assets_wan = revenue_wan * rng.gen_range(5..20) / 10;
        let size = classify(
            industry,
            SizeFigures {
                employees,
                revenue_wan,
                assets_wan,
            },
        );
        let capital_wan = match size {
            SizeClass::Large => [5_000, 10_000, 20_000, 50_000][rng.gen_range(0..4)],
            SizeClass::Medium => [500, 1_000, 2_000, 3_000, 5_000][rng.gen_range(0..5)],
            _ => [3, 10, 30, 50, 50, 100, 100, 200, 300, 500, 1_000][rng.gen_range(0..11)],
        } + if rng.gen_bool(0.1) {
            rng.gen_range(1..100)
        } else {
            0
        };
        // Exponential ages with a mean of eight years, from 2025 back to 1980.
        let age_days = (-(1.0 - rng.gen::<f64>()).ln() * 8.0 * 365.25) as i64;
        let last_day = self.first_day + 45 * 365 + 11;
        let founded = (last_day - age_days).max(self.first_day - rng.gen_range(0..3_000));
        let tax_credit = TaxCredit::ALL[weighted(rng, &[22u32, 48, 15, 10, 5], |w| *w)];
        let technical = matches!(industry.letter(), 'C' | 'I' | 'M');
        let mut qualifications = 0u8;
        let mut grant = |q: Qualification, p: f64, rng: &mut ChaCha8Rng| {
            if rng.gen_bool(p) {
                qualifications |= q.bit();
            }
        };
        grant(
            Qualification::HighTech,
            if technical { 0.08 } else { 0.01 },
            rng,
        );
        grant(
            Qualification::TechSme,
            if technical { 0.10 } else { 0.01 },
            rng,
        );
        grant(Qualification::Innovative, 0.03, rng);
        if industry.letter() == 'C' && rng.gen_bool(0.03) {
            qualifications |= Qualification::Specialised.bit();
            if rng.gen_bool(0.1) {
                qualifications |= Qualification::LittleGiant.bit();
            }
        }
        let mut keywords = scope & rng.gen::<u64>();
        if keywords == 0 && scope != 0 {
            keywords = 1 << scope.trailing_zeros();
        }
        for (word, p) in [
            ("货物进出口", 0.2),
            ("技术进出口", 0.05),
            ("节能环保", 0.03),
        ] {
            if rng.gen_bool(p) {
                keywords |= scope_keyword(word).map_or(0, |b| 1 << b);
            }
        }
        Some(Subject {
            county,
            industry,
            size,
            capital_wan,
            founded,
            tax_credit,
            abnormal: rng.gen_bool(0.04),
            qualifications,
            keywords,
        })
    }
}

/// A seeded stream of policy criteria, in the proportions departments write them.
pub struct PolicyMix {
    rng: ChaCha8Rng,
}

impl PolicyMix {
    /// The stream for `seed`.
    pub fn new(seed: u64) -> Self {
        PolicyMix {
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_9011_c1e5),
        }
    }

    /// The next policy's criteria (always valid).
    pub fn next_criteria(&mut self) -> Criteria {
        let rng = &mut self.rng;
        let county =
            |rng: &mut ChaCha8Rng| WENZHOU_DIVISIONS[rng.gen_range(0..12)].code.to_string();
        let prefix = |rng: &mut ChaCha8Rng| {
            let code = INDUSTRIES[weighted(rng, INDUSTRIES, |i| i.1)].0;
            let depth = [1, 3, 3, 3, 4, 5][rng.gen_range(0..6)];
            code[..depth].to_string()
        };
        let mut c = Criteria::default();
        match rng.gen_range(0..100) {
            0..35 => {}
            35..60 => c.regions = vec![WENZHOU_CITY.to_string()],
            _ => c.regions = (0..rng.gen_range(1..=2)).map(|_| county(rng)).collect(),
        }
        if rng.gen_bool(0.55) {
            c.industries = (0..rng.gen_range(1..=3)).map(|_| prefix(rng)).collect();
        }
        match rng.gen_range(0..10) {
            0..5 => c.sizes = vec![SizeClass::Medium, SizeClass::Small, SizeClass::Micro],
            5 => c.sizes = vec![SizeClass::Small, SizeClass::Micro],
            _ => {}
        }
        if rng.gen_bool(0.15) {
            let min = [50, 100, 200, 500, 1_000][rng.gen_range(0..5)];
            c.registered_capital_wan = Some(WanRange {
                min: Some(min),
                max: rng.gen_bool(0.3).then(|| min * 10 + rng.gen_range(0..7)),
            });
        }
        if rng.gen_bool(0.15) {
            let day = |rng: &mut ChaCha8Rng| {
                format!(
                    "{}-{:02}-{:02}",
                    rng.gen_range(2012..2025),
                    rng.gen_range(1..=12),
                    rng.gen_range(1..=28)
                )
            };
            c.founded = Some(if rng.gen_bool(0.5) {
                DateRange {
                    from: Some(day(rng)),
                    to: None,
                }
            } else {
                DateRange {
                    from: None,
                    to: Some(day(rng)),
                }
            });
        }
        if rng.gen_bool(0.25) {
            c.qualifications = (0..rng.gen_range(1..=2))
                .map(|_| Qualification::ALL[rng.gen_range(0..5)])
                .collect();
        }
        if rng.gen_bool(0.3) {
            c.tax_credits = TaxCredit::ALL[..rng.gen_range(1..=3)].to_vec();
        }
        if rng.gen_bool(0.15) {
            let words = zhelikit_domain::policy::SCOPE_KEYWORDS;
            c.keywords = (0..rng.gen_range(1..=2))
                .map(|_| words[rng.gen_range(0..words.len())].to_string())
                .collect();
        }
        c.exclusions = Exclusions {
            regions: if rng.gen_bool(0.05) {
                vec![county(rng)]
            } else {
                Vec::new()
            },
            industries: if rng.gen_bool(0.05) {
                vec![prefix(rng)]
            } else {
                Vec::new()
            },
            abnormal_operations: rng.gen_bool(0.5),
        };
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_industry_and_keyword_in_the_tables_is_valid() {
        for (code, _, words) in INDUSTRIES {
            assert!(
                Industry::parse(code).is_ok_and(|i| i.depth() == 4),
                "{code}"
            );
            for w in *words {
                assert!(scope_keyword(w).is_some(), "{w}");
            }
        }
        assert_eq!(COUNTY_WEIGHTS.len(), WENZHOU_DIVISIONS.len());
    }

    #[test]
    fn the_same_seed_gives_the_same_enterprises_and_policies() {
        let a: Vec<_> = Population::new(1).take(50).collect();
        let b: Vec<_> = Population::new(1).take(50).collect();
        assert_eq!(a, b);
        let mut m1 = PolicyMix::new(1);
        let mut m2 = PolicyMix::new(1);
        for _ in 0..50 {
            let c = m1.next_criteria();
            assert_eq!(c, m2.next_criteria());
            assert!(c.check().is_ok(), "{c:?}");
        }
    }

    #[test]
    fn most_enterprises_are_micro_and_few_are_large() {
        let sizes: Vec<_> = Population::new(2).take(20_000).map(|s| s.size).collect();
        let share = |c| sizes.iter().filter(|&&s| s == c).count() as f64 / sizes.len() as f64;
        assert!(share(SizeClass::Micro) > 0.5, "{}", share(SizeClass::Micro));
        assert!(
            share(SizeClass::Large) < 0.02,
            "{}",
            share(SizeClass::Large)
        );
        assert!(share(SizeClass::Small) > 0.1);
    }
}
