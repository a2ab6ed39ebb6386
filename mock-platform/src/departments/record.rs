//! The record a department answers about, and the seeded draws its payloads come from.

use chrono::{Datelike, Months, NaiveDate};
use platform_api::departments::Operation;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use zhelikit_domain::region::{wenzhou_division, Division, WENZHOU_DIVISIONS};

use crate::fixtures::{Citizen, Enterprise, Fixtures};
use crate::MockState;

/// A fixture person, as a department sees them when asked.
#[derive(Debug)]
pub struct Person<'a> {
    /// The fixture citizen.
    pub citizen: &'a Citizen,
    /// Every fixture, for records that point at another (an employer).
    pub fixtures: &'a Fixtures,
    /// The Wenzhou division of the ID number: where the person is registered.
    pub division: &'static Division,
    /// The day records are "as of": the first of the platform clock's month.
    pub as_of: NaiveDate,
    /// The operation asked, which salts [`Person::rng`].
    pub operation: Operation,
    seed: u64,
}

/// A fixture enterprise, as a department sees it when asked.
#[derive(Debug)]
pub struct Company<'a> {
    /// The fixture enterprise.
    pub enterprise: &'a Enterprise,
    /// Its legal representative (法定代表人).
    pub legal_representative: &'a Citizen,
    /// The Wenzhou division of the USCC: where it is registered.
    pub division: &'static Division,
    /// See [`Person::as_of`].
    pub as_of: NaiveDate,
    /// The operation asked, which salts [`Company::rng`].
    pub operation: Operation,
    seed: u64,
}

impl<'a> Person<'a> {
    /// The citizen at `index`, or `None` if the index is stale.
    pub fn new(state: &'a MockState, index: usize, operation: Operation) -> Option<Self> {
        let citizen = state.fixtures.citizens.get(index)?;
        Some(Self {
            citizen,
            fixtures: &state.fixtures,
            division: division_of(&citizen.id_number, 0..6),
            as_of: as_of(state),
            operation,
            seed: record_seed(state.directory.seed(), &citizen.id_number),
        })
    }

    /// A generator for this person and this operation: the same draws on every request.
    pub fn rng(&self) -> ChaCha8Rng {
        self.rng_for(self.operation.as_str())
    }

    /// A generator for a trait of the person that several operations share (their address,
    /// whether they drive), so the answers agree with one another.
    pub fn rng_for(&self, what: &str) -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(self.seed ^ fnv1a(what.as_bytes()))
    }

    /// Whole years of age on [`Person::as_of`].
    pub fn age(&self) -> u32 {
        self.as_of
            .years_since(self.citizen.birth_date)
            .unwrap_or_default()
    }

    /// The day the person turns `years`.
    pub fn birthday(&self, years: u32) -> NaiveDate {
        add_months(self.citizen.birth_date, years * 12)
    }
}

impl<'a> Company<'a> {
    /// The enterprise at `index`, or `None` if the index (or its representative's) is stale.
    pub fn new(state: &'a MockState, index: usize, operation: Operation) -> Option<Self> {
        let enterprise = state.fixtures.enterprises.get(index)?;
        Some(Self {
            enterprise,
            legal_representative: state.fixtures.citizen_at(enterprise.legal_representative)?,
            division: division_of(&enterprise.uscc, 2..8),
            as_of: as_of(state),
            operation,
            seed: record_seed(state.directory.seed(), &enterprise.uscc),
        })
    }

    /// See [`Person::rng`].
    pub fn rng(&self) -> ChaCha8Rng {
        self.rng_for(self.operation.as_str())
    }

    /// See [`Person::rng_for`].
    pub fn rng_for(&self, what: &str) -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(self.seed ^ fnv1a(what.as_bytes()))
    }
}

fn as_of(state: &MockState) -> NaiveDate {
    let today = state.clock.now().date_naive();
    today.with_day(1).unwrap_or(today)
}

/// Fixture codes are all Wenzhou ones; the fallback only keeps a foreign code from failing.
fn division_of(code: &str, digits: std::ops::Range<usize>) -> &'static Division {
    code.get(digits)
        .and_then(wenzhou_division)
        .unwrap_or(&WENZHOU_DIVISIONS[0])
}

fn record_seed(platform_seed: u64, identifier: &str) -> u64 {
    platform_seed ^ fnv1a(identifier.as_bytes())
}

/// FNV-1a: a hash that, unlike the standard library's, is promised to stay the same across Rust
/// versions, so a record does not change with the toolchain.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `date` plus `months`, saturating at the last representable day.
pub fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// `date` minus `months`, saturating at the first representable day.
pub fn sub_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_sub_months(Months::new(months))
        .unwrap_or(NaiveDate::MIN)
}

/// A day in `from..=to` (`from` when the range is empty).
pub fn day_between(rng: &mut ChaCha8Rng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let span = (to - from).num_days().max(0);
    from + chrono::Duration::days(rng.gen_range(0..=span))
}

/// `YYYY-MM-DD`, as the payloads carry dates.
pub fn ymd(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// `YYYY-MM`, as the payloads carry months.
pub fn ym(date: NaiveDate) -> String {
    date.format("%Y-%m").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_published_test_vectors() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn a_foreign_division_code_falls_back_to_the_first_wenzhou_one() {
        assert_eq!(division_of("330381199001011234", 0..6).name, "瑞安市");
        assert_eq!(division_of("110101199001011234", 0..6).code, "330302");
    }
}
