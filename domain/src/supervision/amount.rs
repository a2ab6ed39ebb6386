//! Indicator quantities (指标数值): decimals with at most four places, kept as whole
//! ten-thousandths so that sums and comparisons are exact ("3.2 of 5.0 亿元" never reads
//! 3.1999999).

use serde::{Deserialize, Serialize};

/// Ten-thousandths per unit.
const SCALE: i64 = 10_000;
/// The largest magnitude accepted, in units: a hundred billion is more than any indicator a
/// city sets (a city's yearly investment in 亿元 is in the hundreds), and keeps every sum of
/// ten thousand values far from overflowing.
pub const MAX_UNITS: i64 = 100_000_000_000;

/// A quantity with at most four decimal places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(i64);

impl Amount {
    /// Zero.
    pub const ZERO: Amount = Amount(0);

    /// The amount of `ten_thousandths` / 10,000 units.
    pub fn from_ten_thousandths(ten_thousandths: i64) -> Self {
        Self(ten_thousandths)
    }

    /// `units` whole units.
    pub fn from_units(units: i64) -> Self {
        Self(units.saturating_mul(SCALE))
    }

    /// The amount in ten-thousandths of a unit (how it is stored).
    pub fn ten_thousandths(self) -> i64 {
        self.0
    }

    /// Whether it has no fractional part.
    pub fn is_whole(self) -> bool {
        self.0 % SCALE == 0
    }

    /// Whether it is below zero.
    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// The sum, saturating (never reached within [`MAX_UNITS`]).
    pub fn plus(self, other: Amount) -> Amount {
        Amount(self.0.saturating_add(other.0))
    }

    /// `self / of` in thousandths (‰), capped at 1,000: how much of a target is done. A zero
    /// or negative target is met by anything at or above it.
    pub fn permille_of(self, of: Amount) -> u32 {
        if of.0 <= 0 {
            return if self.0 >= of.0 { 1_000 } else { 0 };
        }
        if self.0 <= 0 {
            return 0;
        }
        let ratio = i128::from(self.0) * 1_000 / i128::from(of.0);
        u32::try_from(ratio.min(1_000)).unwrap_or(1_000)
    }

    /// Parses `12`, `-3.5`, `0.0625`: an optional minus, digits, and at most four decimals.
    /// `None` for anything else (exponents, more places, beyond [`MAX_UNITS`]).
    pub fn parse(text: &str) -> Option<Amount> {
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, fraction) = match digits.split_once('.') {
            Some((w, f)) => (w, f),
            None => (digits, ""),
        };
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty()
            || !all_digits(whole)
            || !all_digits(fraction)
            || fraction.len() > 4
            || (digits.contains('.') && fraction.is_empty())
            || whole.len() > 12
        {
            return None;
        }
        let units: i64 = whole.parse().ok()?;
        if units > MAX_UNITS {
            return None;
        }
        let padded = format!("{fraction:0<4}");
        let part: i64 = padded.parse().ok()?;
        let magnitude = units * SCALE + part;
        Some(Amount(if negative { -magnitude } else { magnitude }))
    }

    /// A JSON number (or a string holding one) as an amount; `None` past four places or
    /// [`MAX_UNITS`].
    pub fn from_json(value: &serde_json::Value) -> Option<Amount> {
        match value {
            // A number's own text, not its float: 0.1 + 0.2 stays 0.3.
            serde_json::Value::Number(n) => Amount::parse(&n.to_string()).or_else(|| {
                // `1e3` and the like: through the float, if that is exact to four places.
                let f = n.as_f64()?;
                let scaled = f * SCALE as f64;
                let rounded = scaled.round();
                ((scaled - rounded).abs() < 1e-6 && rounded.abs() <= (MAX_UNITS * SCALE) as f64)
                    .then_some(Amount(rounded as i64))
            }),
            serde_json::Value::String(s) => Amount::parse(s.trim()),
            _ => None,
        }
    }
}

impl std::fmt::Display for Amount {
    /// `3.2`, `5`, `-0.0625`: no trailing zeros.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let magnitude = self.0.unsigned_abs();
        let scale = SCALE.unsigned_abs();
        let (whole, part) = (magnitude / scale, magnitude % scale);
        if part == 0 {
            write!(f, "{sign}{whole}")
        } else {
            let fraction = format!("{part:04}");
            write!(f, "{sign}{whole}.{}", fraction.trim_end_matches('0'))
        }
    }
}

/// On the wire an amount is a JSON number (`3.2`, and `12` when whole), which every client
/// reads as it is.
impl Serialize for Amount {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.is_whole() {
            return serializer.serialize_i64(self.0 / SCALE);
        }
        // Exact: at most 15 significant digits below MAX_UNITS with four places.
        let n: f64 = self.to_string().parse().unwrap_or(0.0);
        serializer.serialize_f64(n)
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        Amount::from_json(&value).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "{value} is not a number with at most four decimal places"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_to_four_places_and_print_without_trailing_zeros() {
        assert_eq!(Amount::parse("3.2"), Some(Amount(32_000)));
        assert_eq!(Amount::parse("-0.0625"), Some(Amount(-625)));
        assert_eq!(Amount::parse("5"), Some(Amount::from_units(5)));
        for bad in [
            "",
            ".5",
            "5.",
            "1.23456",
            "1e3",
            "+1",
            "1,5",
            "--1",
            "1000000000000",
        ] {
            assert_eq!(Amount::parse(bad), None, "{bad:?}");
        }
        assert_eq!(Amount(32_000).to_string(), "3.2");
        assert_eq!(Amount(-625).to_string(), "-0.0625");
        assert_eq!(Amount::from_units(5).to_string(), "5");
    }

    #[test]
    fn json_numbers_are_read_from_their_text_so_sums_stay_exact() {
        let v: Vec<Amount> = serde_json::from_str("[0.1, 0.2, 1e3, \"2.5\"]").expect("amounts");
        assert_eq!(v[0].plus(v[1]), Amount::parse("0.3").expect("0.3"));
        assert_eq!(v[2], Amount::from_units(1_000));
        assert_eq!(v[3].to_string(), "2.5");
        assert!(serde_json::from_str::<Amount>("0.00001").is_err());
        assert!(serde_json::from_str::<Amount>("true").is_err());
        assert_eq!(
            serde_json::to_string(&Amount::parse("3.2").expect("3.2")).expect("json"),
            "3.2"
        );
        assert_eq!(
            serde_json::to_string(&Amount::from_units(12)).expect("json"),
            "12"
        );
    }

    #[test]
    fn completion_is_in_thousandths_and_capped() {
        let target = Amount::from_units(5);
        assert_eq!(Amount::parse("3.2").expect("3.2").permille_of(target), 640);
        assert_eq!(Amount::from_units(9).permille_of(target), 1_000);
        assert_eq!(Amount::from_units(-1).permille_of(target), 0);
        assert_eq!(Amount::ZERO.permille_of(Amount::ZERO), 1_000);
    }
}
