//! Matching policies to enterprises (政策匹配), as pure code over plain data.
//!
//! - [`Rule`]: one policy's checked criteria, compiled; [`Rule::admits`] is what a match *is*,
//!   and [`Rule::reasons`] says why in words an enterprise understands.
//! - [`ProfileIndex`]: every enterprise's values and a bitset per value, answering "which
//!   enterprises match this policy" ([`ProfileIndex::select`]) exactly as `admits` would, a
//!   word of 64 enterprises at a time, and how they fall by county and industry.
//! - "Which policies match this enterprise" is `admits` over the live rules: a profile update
//!   re-matches one enterprise without touching the others.

mod bitset;
mod index;
mod rule;

pub use bitset::Bitset;
pub use index::{Breakdown, IndexError, ProfileIndex};
pub use rule::{ProfileError, Rule, Subject};

/// The rules (by the caller's policy key) that admit `subject`, in the order given.
pub fn policies_for<'a, K: Copy + 'a>(
    subject: &Subject,
    rules: impl IntoIterator<Item = (K, &'a Rule)>,
) -> Vec<K> {
    rules
        .into_iter()
        .filter(|(_, rule)| rule.admits(subject))
        .map(|(key, _)| key)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{PolicyMix, Population};
    use zhelikit_domain::policy::{parse_day, Criteria, DateRange, Industry, WanRange};

    fn rule(c: &Criteria) -> Rule {
        Rule::new(&c.check().unwrap_or_else(|e| panic!("{e}")))
    }

    fn brute_force(subjects: &[Subject], rule: &Rule) -> Vec<u32> {
        (0..subjects.len() as u32)
            .filter(|&i| rule.admits(&subjects[i as usize]))
            .collect()
    }

    fn indexed(subjects: &[Subject]) -> ProfileIndex {
        let mut index = ProfileIndex::with_capacity(subjects.len());
        for (slot, s) in subjects.iter().enumerate() {
            index
                .upsert(slot as u32, s)
                .unwrap_or_else(|e| panic!("{e:?}"));
        }
        index
    }

    #[test]
    fn the_index_selects_exactly_what_the_rule_admits_for_generated_policies() {
        for seed in 0..8 {
            let subjects: Vec<_> = Population::new(seed).take(3_000).collect();
            let index = indexed(&subjects);
            let mut mix = PolicyMix::new(seed);
            for _ in 0..60 {
                let criteria = mix.next_criteria();
                let r = rule(&criteria);
                let got: Vec<_> = index.select(&r).iter().collect();
                assert_eq!(got, brute_force(&subjects, &r), "seed {seed}: {criteria:?}");
            }
        }
    }

    #[test]
    fn bucket_edges_and_deep_industry_codes_are_decided_exactly() {
        let base: Vec<_> = Population::new(99).take(500).collect();
        // Put enterprises right on and beside the edges criteria name.
        let day = |d: &str| parse_day(d).unwrap_or_default();
        let mut subjects = base.clone();
        for (i, s) in subjects.iter_mut().enumerate() {
            s.capital_wan = [99, 100, 101, 500, 499, 0, u64::MAX][i % 7];
            s.founded = [
                day("2019-12-31"),
                day("2020-01-01"),
                day("2020-06-30"),
                day("1975-01-01"),
            ][i % 4];
            s.industry =
                Industry::parse(["C3823", "C3824", "C3811", "C3800"][i % 4]).unwrap_or(s.industry);
        }
        let index = indexed(&subjects);
        let cases = [
            Criteria {
                registered_capital_wan: Some(WanRange {
                    min: Some(100),
                    max: Some(499),
                }),
                ..Criteria::default()
            },
            Criteria {
                registered_capital_wan: Some(WanRange {
                    min: Some(101),
                    max: None,
                }),
                founded: Some(DateRange {
                    from: Some("2020-01-01".into()),
                    to: Some("2020-06-29".into()),
                }),
                ..Criteria::default()
            },
            Criteria {
                industries: vec!["C382".into(), "C3811".into()],
                exclusions: zhelikit_domain::policy::Exclusions {
                    industries: vec!["C3824".into()],
                    ..Default::default()
                },
                ..Criteria::default()
            },
            Criteria {
                founded: Some(DateRange {
                    from: None,
                    to: Some("1979-12-31".into()),
                }),
                ..Criteria::default()
            },
        ];
        for c in &cases {
            let r = rule(c);
            let got: Vec<_> = index.select(&r).iter().collect();
            let want = brute_force(&subjects, &r);
            assert!(
                !want.is_empty(),
                "{c:?} matches nobody: the case tests nothing"
            );
            assert_eq!(got, want, "{c:?}");
        }
    }

    #[test]
    fn an_update_moves_an_enterprise_between_matches_and_a_removal_drops_it() {
        let subjects: Vec<_> = Population::new(5).take(1_000).collect();
        let mut index = indexed(&subjects);
        let r = rule(&Criteria {
            regions: vec!["330381".into()],
            ..Criteria::default()
        });
        let before = index.select(&r);
        let slot = (0..1_000u32)
            .find(|&i| !before.contains(i))
            .unwrap_or_else(|| panic!("everybody is in 瑞安"));
        let mut moved = subjects[slot as usize];
        moved.county = Some(9); // 瑞安市
        index
            .upsert(slot, &moved)
            .unwrap_or_else(|e| panic!("{e:?}"));
        let after = index.select(&r);
        assert!(after.contains(slot));
        assert_eq!(after.count(), before.count() + 1);
        assert_eq!(index.subject(slot), Some(moved));
        assert_eq!(policies_for(&moved, [(7, &r)]), [7]);

        index.remove(slot);
        assert_eq!(index.select(&r), before);
        assert_eq!(index.len(), 999);
        assert_eq!(index.subject(slot), None);
    }

    #[test]
    fn the_breakdown_counts_matches_by_county_and_division() {
        let subjects: Vec<_> = Population::new(3).take(2_000).collect();
        let index = indexed(&subjects);
        let r = rule(&Criteria {
            industries: vec!["C".into()],
            ..Criteria::default()
        });
        let matched = index.select(&r);
        let b = index.breakdown(&matched);
        assert_eq!(b.total, matched.count());
        // Enterprises registered outside Wenzhou count in no county.
        let outside = (0..2_000u32)
            .filter(|&i| matched.contains(i) && subjects[i as usize].county.is_none())
            .count() as u64;
        assert_eq!(b.by_county.iter().sum::<u64>() + outside, b.total);
        assert_eq!(b.by_division.iter().sum::<u64>(), b.total);
        // Manufacturing is divisions 13–43 only.
        assert!(b.by_division[..12]
            .iter()
            .chain(&b.by_division[43..])
            .all(|&n| n == 0));
        assert!(b.total > 0);
    }
}
