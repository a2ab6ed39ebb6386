//! The profile index: every enterprise's matchable values in columns, and a bitset per value a
//! criterion can name, so one policy's matches are computed a machine word (64 enterprises) at
//! a time.
//!
//! A condition the bitsets decide exactly (a county, a division, a size class) costs one load
//! per word. A condition they only narrow (an industry group or class inside a division, a
//! capital or founding date inside a bucket) marks the enterprises it is unsure of, and those
//! few are decided on the one column the condition is about — so the index answers exactly what
//! [`Rule::admits`] says, for every enterprise, and a property test holds it to that.

use zhelikit_domain::policy::industry::{DIVISIONS, SECTIONS};
use zhelikit_domain::policy::SCOPE_KEYWORDS;
use zhelikit_domain::policy::{parse_day, Industry, Qualification, SizeClass, TaxCredit};
use zhelikit_domain::region::WENZHOU_DIVISIONS;

use super::bitset::{ones, Bitset};
use super::rule::{Rule, Subject};

/// Lower bounds of the registered-capital buckets, in 万元: the round figures policies use.
const CAPITAL_BUCKETS: [u64; 17] = [
    0, 10, 20, 30, 50, 100, 200, 300, 500, 1_000, 2_000, 3_000, 5_000, 10_000, 20_000, 50_000,
    100_000,
];
/// Founding years with a bucket of their own; earlier and later years share one each.
const FIRST_YEAR: i64 = 1980;
const LAST_YEAR: i64 = 2040;

/// Where a slot's county column says "outside Wenzhou".
const NO_COUNTY: u8 = u8::MAX;

/// Why a subject cannot go in the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexError {
    /// Its industry is a section only; enterprises are registered in a class.
    IndustryTooCoarse(Industry),
}

/// Every enterprise's matchable values, indexed.
#[derive(Debug, Clone)]
pub struct ProfileIndex {
    slots: usize,
    live: Bitset,
    county: Vec<u8>,
    industry: Vec<Industry>,
    size: Vec<u8>,
    tax: Vec<u8>,
    qualifications: Vec<u8>,
    capital: Vec<u64>,
    founded: Vec<i32>,
    keywords: Vec<u64>,
    abnormal: Bitset,
    /// Registered in any county of Wenzhou.
    in_wenzhou: Bitset,
    by_county: Vec<Bitset>,
    by_section: Vec<Bitset>,
    by_division: Vec<Bitset>,
    by_size: Vec<Bitset>,
    by_tax: Vec<Bitset>,
    by_qualification: Vec<Bitset>,
    by_keyword: Vec<Bitset>,
    /// `by_capital[b]`: every slot whose capital is in bucket `b` or a lower one, so that a
    /// range of buckets is two loads however wide it is.
    by_capital: Vec<Bitset>,
    /// `by_year[b]`: every slot founded in year bucket `b` or earlier.
    by_year: Vec<Bitset>,
    /// First day of each year bucket (days since 1970-01-01), ascending.
    year_starts: Vec<i64>,
}

/// How a policy's matches fall across Wenzhou's counties and the industry divisions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breakdown {
    /// Enterprises matched.
    pub total: u64,
    /// Per county of [`WENZHOU_DIVISIONS`], in its order.
    pub by_county: Vec<u64>,
    /// Per division (`by_division[d - 1]` for division `d`).
    pub by_division: Vec<u64>,
}

fn bitsets(n: usize, slots: usize) -> Vec<Bitset> {
    (0..n).map(|_| Bitset::with_len(slots)).collect()
}

impl ProfileIndex {
    /// An empty index with room for `slots` enterprises (it grows past that as needed).
    pub fn with_capacity(slots: usize) -> Self {
        let mut year_starts = vec![i64::MIN];
        year_starts.extend(
            (FIRST_YEAR..=LAST_YEAR + 1).filter_map(|y| parse_day(&format!("{y:04}-01-01"))),
        );
        ProfileIndex {
            slots: 0,
            live: Bitset::with_len(slots),
            county: Vec::with_capacity(slots),
            industry: Vec::with_capacity(slots),
            size: Vec::with_capacity(slots),
            tax: Vec::with_capacity(slots),
            qualifications: Vec::with_capacity(slots),
            capital: Vec::with_capacity(slots),
            founded: Vec::with_capacity(slots),
            keywords: Vec::with_capacity(slots),
            abnormal: Bitset::with_len(slots),
            in_wenzhou: Bitset::with_len(slots),
            by_county: bitsets(WENZHOU_DIVISIONS.len(), slots),
            by_section: bitsets(SECTIONS.len(), slots),
            by_division: bitsets(DIVISIONS.len(), slots),
            by_size: bitsets(SizeClass::ALL.len(), slots),
            by_tax: bitsets(TaxCredit::ALL.len(), slots),
            by_qualification: bitsets(Qualification::ALL.len(), slots),
            by_keyword: bitsets(SCOPE_KEYWORDS.len(), slots),
            by_capital: bitsets(CAPITAL_BUCKETS.len(), slots),
            by_year: bitsets(year_starts.len(), slots),
            year_starts,
        }
    }

    /// One past the highest slot ever used.
    pub fn slots(&self) -> usize {
        self.slots
    }

    /// Enterprises in the index.
    pub fn len(&self) -> u64 {
        self.live.count()
    }

    /// True when no enterprise is indexed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn every_bitset(&mut self) -> impl Iterator<Item = &mut Bitset> {
        std::iter::once(&mut self.live)
            .chain(std::iter::once(&mut self.abnormal))
            .chain(std::iter::once(&mut self.in_wenzhou))
            .chain(self.by_county.iter_mut())
            .chain(self.by_section.iter_mut())
            .chain(self.by_division.iter_mut())
            .chain(self.by_size.iter_mut())
            .chain(self.by_tax.iter_mut())
            .chain(self.by_qualification.iter_mut())
            .chain(self.by_keyword.iter_mut())
            .chain(self.by_capital.iter_mut())
            .chain(self.by_year.iter_mut())
    }

    fn capital_bucket(capital: u64) -> usize {
        CAPITAL_BUCKETS.partition_point(|&b| b <= capital) - 1
    }

    fn year_bucket(&self, day: i64) -> usize {
        self.year_starts.partition_point(|&s| s <= day) - 1
    }

    /// Puts the enterprise at `slot`, replacing whoever was there: a new profile, or an update
    /// of a department's record. Slots are the caller's dense ids (a table's row number).
    pub fn upsert(&mut self, slot: u32, s: &Subject) -> Result<(), IndexError> {
        s.industry
            .division()
            .ok_or(IndexError::IndustryTooCoarse(s.industry))?;
        self.remove(slot);
        let i = slot as usize;
        if i >= self.slots {
            self.slots = i + 1;
            let slots = self.slots;
            for b in self.every_bitset() {
                b.grow(slots);
            }
            self.county.resize(slots, NO_COUNTY);
            self.industry.resize(slots, s.industry);
            self.size.resize(slots, 0);
            self.tax.resize(slots, 0);
            self.qualifications.resize(slots, 0);
            self.capital.resize(slots, 0);
            self.founded.resize(slots, 0);
            self.keywords.resize(slots, 0);
        }
        self.county[i] = s.county.unwrap_or(NO_COUNTY);
        self.industry[i] = s.industry;
        self.size[i] = s.size.index() as u8;
        self.tax[i] = s.tax_credit.index() as u8;
        self.qualifications[i] = s.qualifications;
        self.capital[i] = s.capital_wan;
        self.founded[i] = s.founded.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32;
        self.keywords[i] = s.keywords;
        self.set_bits(slot, true);
        if s.abnormal {
            self.abnormal.insert(slot);
        }
        Ok(())
    }

    /// Takes the enterprise at `slot` out (deregistered, or no longer eligible for any push).
    pub fn remove(&mut self, slot: u32) {
        if self.live.contains(slot) {
            self.set_bits(slot, false);
            self.abnormal.remove(slot);
        }
    }

    fn set_bits(&mut self, slot: u32, on: bool) {
        let i = slot as usize;
        let set = |b: &mut Bitset| if on { b.insert(slot) } else { b.remove(slot) };
        set(&mut self.live);
        if let Some(b) = self.by_county.get_mut(usize::from(self.county[i])) {
            set(b);
            set(&mut self.in_wenzhou);
        }
        let industry = self.industry[i];
        if let Some(p) = SECTIONS.iter().position(|s| s.letter == industry.letter()) {
            set(&mut self.by_section[p]);
        }
        if let Some(d) = industry.division() {
            set(&mut self.by_division[usize::from(d) - 1]);
        }
        set(&mut self.by_size[usize::from(self.size[i])]);
        set(&mut self.by_tax[usize::from(self.tax[i])]);
        for (q, b) in self.by_qualification.iter_mut().enumerate() {
            if self.qualifications[i] & (1 << q) != 0 {
                set(b);
            }
        }
        for (k, b) in self.by_keyword.iter_mut().enumerate() {
            if self.keywords[i] & (1 << k) != 0 {
                set(b);
            }
        }
        // Cumulative: a slot is in its own bucket's set and every one above it.
        let capital = Self::capital_bucket(self.capital[i]);
        self.by_capital[capital..].iter_mut().for_each(set);
        let year = self.year_bucket(i64::from(self.founded[i]));
        self.by_year[year..].iter_mut().for_each(set);
    }

    /// The subject at `slot`, if one is there.
    pub fn subject(&self, slot: u32) -> Option<Subject> {
        if !self.live.contains(slot) {
            return None;
        }
        Some(self.subject_at(slot as usize))
    }

    fn subject_at(&self, i: usize) -> Subject {
        Subject {
            county: (self.county[i] != NO_COUNTY).then_some(self.county[i]),
            industry: self.industry[i],
            size: SizeClass::ALL[usize::from(self.size[i])],
            capital_wan: self.capital[i],
            founded: i64::from(self.founded[i]),
            tax_credit: TaxCredit::ALL[usize::from(self.tax[i])],
            abnormal: self.abnormal.contains(i as u32),
            qualifications: self.qualifications[i],
            keywords: self.keywords[i],
        }
    }
}

/// What decides the enterprises a clause's bitsets are unsure of: the one column it is about.
#[derive(Clone, Copy)]
enum Residual<'r> {
    /// Admitted when the industry is under one of the prefixes.
    Industry(&'r [Industry]),
    /// Admitted when the registered capital is in the range.
    Capital(u64, u64),
    /// Admitted when the founding day is in the range.
    Founded(i64, i64),
}

/// Slots in bucket `b` of a cumulative family: `upto[b]` minus `upto[b - 1]`.
#[derive(Clone, Copy)]
struct Band<'a> {
    upto: &'a [u64],
    below: Option<&'a [u64]>,
}

impl Band<'_> {
    #[inline]
    fn word(&self, w: usize) -> u64 {
        self.upto[w] & !self.below.map_or(0, |b| b[w])
    }
}

/// One condition as bitsets: the enterprises it surely admits (the union of `exact`, or of its
/// complement when `complement` is set, and the `band`) and those it may admit (`partial`),
/// which `residual` decides one by one.
struct Clause<'a, 'r> {
    exact: Vec<&'a [u64]>,
    complement: bool,
    band: Option<Band<'a>>,
    partial: Vec<Band<'a>>,
    residual: Option<Residual<'r>>,
}

impl<'a> Clause<'a, '_> {
    fn new() -> Self {
        Clause {
            exact: Vec::new(),
            complement: false,
            band: None,
            partial: Vec::new(),
            residual: None,
        }
    }

    fn cost(&self) -> usize {
        self.exact.len() + 2 * usize::from(self.band.is_some()) + 4 * self.partial.len()
    }

    /// The clause's sure and unsure enterprises in word `w`.
    #[inline]
    fn word(&self, w: usize) -> (u64, u64) {
        let mut exact = 0;
        for m in &self.exact {
            exact |= m[w];
        }
        if self.complement {
            exact = !exact;
        }
        if let Some(band) = &self.band {
            exact |= band.word(w);
        }
        let mut partial = 0;
        for band in &self.partial {
            partial |= band.word(w);
        }
        (exact, partial & !exact)
    }
}

impl ProfileIndex {
    /// The enterprises `rule` admits.
    pub fn select(&self, rule: &Rule) -> Bitset {
        let (clauses, exclusions) = self.plan(rule);
        let mut out = Bitset::with_len(self.slots);
        let live = self.live.words();
        for (w, slot_word) in out.words_mut().iter_mut().enumerate() {
            let mut v = live[w];
            for clause in &clauses {
                if v == 0 {
                    break;
                }
                let (exact, partial) = clause.word(w);
                let unsure = v & partial;
                v &= exact;
                if unsure != 0 {
                    v |= self.decide(unsure, w, clause.residual);
                }
            }
            if v != 0 {
                let (exact, partial) = exclusions.word(w);
                v &= !exact;
                let unsure = v & partial;
                if unsure != 0 {
                    v &= !self.decide(unsure, w, exclusions.residual);
                }
            }
            *slot_word = v;
        }
        out
    }

    /// The slots of `unsure` (word `w`) whose column meets `residual`.
    fn decide(&self, unsure: u64, w: usize, residual: Option<Residual<'_>>) -> u64 {
        let mut met = 0u64;
        for slot in ones(unsure, w) {
            let i = slot as usize;
            let yes = match residual {
                Some(Residual::Industry(prefixes)) => {
                    prefixes.iter().any(|p| p.covers(self.industry[i]))
                }
                Some(Residual::Capital(lo, hi)) => (lo..=hi).contains(&self.capital[i]),
                Some(Residual::Founded(lo, hi)) => (lo..=hi).contains(&i64::from(self.founded[i])),
                None => false,
            };
            if yes {
                met |= 1 << (slot % 64);
            }
        }
        met
    }

    /// How the enterprises of `matched` (a [`ProfileIndex::select`] answer) fall across counties
    /// and divisions: what an official sees before publishing.
    pub fn breakdown(&self, matched: &Bitset) -> Breakdown {
        Breakdown {
            total: matched.count(),
            by_county: self
                .by_county
                .iter()
                .map(|b| b.count_and(matched))
                .collect(),
            by_division: self
                .by_division
                .iter()
                .map(|b| b.count_and(matched))
                .collect(),
        }
    }

    /// Heap bytes the index holds: its columns and bitsets.
    pub fn heap_bytes(&self) -> usize {
        let columns = self.county.capacity()
            + self.industry.capacity() * std::mem::size_of::<Industry>()
            + self.size.capacity()
            + self.tax.capacity()
            + self.qualifications.capacity()
            + self.capital.capacity() * 8
            + self.founded.capacity() * 4
            + self.keywords.capacity() * 8;
        let bitsets = [
            &self.by_county,
            &self.by_section,
            &self.by_division,
            &self.by_size,
            &self.by_tax,
            &self.by_qualification,
            &self.by_keyword,
            &self.by_capital,
            &self.by_year,
        ]
        .iter()
        .flat_map(|v| v.iter())
        .chain([&self.live, &self.abnormal, &self.in_wenzhou])
        .map(Bitset::heap_bytes)
        .sum::<usize>();
        columns + bitsets
    }

    /// The rule as clauses over the bitsets, and its exclusions as one clause to subtract.
    fn plan<'a, 'r>(&'a self, rule: &'r Rule) -> (Vec<Clause<'a, 'r>>, Clause<'a, 'r>) {
        // A condition on a value every enterprise has exactly one of (size, tax rating) names
        // the members it admits or, when that is shorter, the ones it does not.
        let partition = |sets: &'a [Bitset], mask: u64| -> Clause<'a, 'r> {
            let admitted = mask.count_ones() as usize;
            let complement = admitted * 2 > sets.len();
            let mut c = Clause::new();
            c.complement = complement;
            c.exact = sets
                .iter()
                .enumerate()
                .filter(|(i, _)| (mask & (1 << i) != 0) != complement)
                .map(|(_, b)| b.words())
                .collect();
            c
        };
        let any_of = |sets: &'a [Bitset], mask: u64| -> Clause<'a, 'r> {
            let mut c = Clause::new();
            c.exact = sets
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, b)| b.words())
                .collect();
            c
        };
        let mut clauses = Vec::new();
        if rule.counties != 0 {
            if rule.counties.count_ones() as usize == self.by_county.len() {
                let mut c = Clause::new();
                c.exact.push(self.in_wenzhou.words());
                clauses.push(c);
            } else {
                clauses.push(any_of(&self.by_county, u64::from(rule.counties)));
            }
        }
        if !rule.industries.is_empty() {
            clauses.push(self.industry_clause(&rule.industries));
        }
        if rule.sizes != 0 {
            clauses.push(partition(&self.by_size, u64::from(rule.sizes)));
        }
        if rule.tax_credits != 0 {
            clauses.push(partition(&self.by_tax, u64::from(rule.tax_credits)));
        }
        if rule.qualifications != 0 {
            clauses.push(any_of(
                &self.by_qualification,
                u64::from(rule.qualifications),
            ));
        }
        if rule.keywords != 0 {
            clauses.push(any_of(&self.by_keyword, rule.keywords));
        }
        if let Some((lo, hi)) = rule.capital_wan {
            let upper = |b: usize| CAPITAL_BUCKETS.get(b + 1).map_or(u64::MAX, |u| u - 1);
            let mut c = buckets(&self.by_capital, |b| (CAPITAL_BUCKETS[b], upper(b)), lo, hi);
            c.residual = Some(Residual::Capital(lo, hi));
            clauses.push(c);
        }
        if let Some((lo, hi)) = rule.founded {
            let starts = &self.year_starts;
            let span = |b: usize| (starts[b], starts.get(b + 1).map_or(i64::MAX, |s| s - 1));
            let mut c = buckets(&self.by_year, span, lo, hi);
            c.residual = Some(Residual::Founded(lo, hi));
            clauses.push(c);
        }
        // Excluded counties and divisions subtract exactly; deeper industry codes are unsure.
        let mut exclusions = self.industry_clause(&rule.excluded_industries);
        exclusions
            .exact
            .extend(any_of(&self.by_county, u64::from(rule.excluded_counties)).exact);
        if rule.exclude_abnormal {
            exclusions.exact.push(self.abnormal.words());
        }
        // The cheapest clauses first: most words that fail, fail before the costly ones run.
        clauses.sort_by_key(Clause::cost);
        (clauses, exclusions)
    }

    fn industry_clause<'a, 'r>(&'a self, prefixes: &'r [Industry]) -> Clause<'a, 'r> {
        let mut clause = Clause::new();
        for p in prefixes {
            match (p.depth(), p.division()) {
                (0, _) | (_, None) => {
                    if let Some(s) = SECTIONS.iter().position(|s| s.letter == p.letter()) {
                        clause.exact.push(self.by_section[s].words());
                    }
                }
                (2, Some(d)) => clause
                    .exact
                    .push(self.by_division[usize::from(d) - 1].words()),
                (_, Some(d)) => clause.partial.push(Band {
                    upto: self.by_division[usize::from(d) - 1].words(),
                    below: None,
                }),
            }
        }
        clause.residual = Some(Residual::Industry(prefixes));
        clause
    }
}

/// A range condition over cumulative buckets (`upto[b]`: every slot in bucket `b` or below):
/// the buckets inside the range are sure, one band; the buckets it cuts are partial.
fn buckets<'a, 'r, T: Ord + Copy>(
    upto: &'a [Bitset],
    span: impl Fn(usize) -> (T, T),
    lo: T,
    hi: T,
) -> Clause<'a, 'r> {
    let bucket_of = |v: T| {
        (0..upto.len())
            .find(|&b| span(b).1 >= v)
            .unwrap_or(upto.len() - 1)
    };
    let band = |first: usize, last: usize| Band {
        upto: upto[last].words(),
        below: first.checked_sub(1).map(|b| upto[b].words()),
    };
    let (lo_b, hi_b) = (bucket_of(lo), bucket_of(hi));
    let lo_cut = lo > span(lo_b).0;
    let hi_cut = hi < span(hi_b).1;
    let mut clause = Clause::new();
    let first = lo_b + usize::from(lo_cut);
    if let Some(last) = hi_b.checked_sub(usize::from(hi_cut)) {
        if first <= last {
            clause.band = Some(band(first, last));
        }
    }
    if lo_cut {
        clause.partial.push(band(lo_b, lo_b));
    }
    if hi_cut && (hi_b != lo_b || !lo_cut) {
        clause.partial.push(band(hi_b, hi_b));
    }
    clause
}
