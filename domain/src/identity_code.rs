//! Validators for the two identity codes of Chinese government data.
//!
//! Parse, don't validate: [`ResidentId::parse`] and [`Uscc::parse`] turn untrusted text into a
//! value that is known to be well formed, or into an [`IdentityCodeError`] that names exactly
//! what is wrong (a form can point at the character).

use std::fmt;

/// Why a resident ID number or a USCC was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityCodeError {
    /// The code does not have the 18 characters both standards require.
    #[error("must be 18 characters, got {len}")]
    WrongLength {
        /// The length found.
        len: usize,
    },
    /// A character is not allowed at this (zero-based) position.
    #[error("character {found:?} at position {position} is not allowed there")]
    InvalidCharacter {
        /// Zero-based position of the character.
        position: usize,
        /// The character found there.
        found: char,
    },
    /// Characters 7–14 of a resident ID number are not a real date (YYYYMMDD).
    #[error("birth date {0} is not a valid date")]
    InvalidBirthDate(String),
    /// The embedded organisation code (GB 11714) of a USCC has a wrong check character.
    #[error("organisation code check character is {found:?}, expected {expected:?}")]
    OrganisationCodeChecksum {
        /// The check character the organisation code needs.
        expected: char,
        /// The one it has.
        found: char,
    },
    /// The final check character does not match the other seventeen.
    #[error("check character is {found:?}, expected {expected:?}")]
    ChecksumMismatch {
        /// The check character the code needs.
        expected: char,
        /// The one it has.
        found: char,
    },
}

/// An 18-character resident ID number (公民身份号码) that passed GB 11643-1999:
/// six-digit address code, birth date, three-digit sequence, ISO 7064 MOD 11-2 check character.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ResidentId(String);

const RESIDENT_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const RESIDENT_CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

impl ResidentId {
    /// Parses and checks a resident ID number. A lower-case `x` check character is accepted
    /// and normalised to `X`, as people type both.
    pub fn parse(input: &str) -> Result<Self, IdentityCodeError> {
        let (text, last) = Self::checked(input)?;
        let mut number = String::with_capacity(18);
        number.push_str(&text[..17]);
        number.push(last as char);
        Ok(Self(number))
    }

    /// Whether `input` is a valid resident ID number (what [`Self::parse`] checks), without
    /// making one: a form's check needs the answer, not a copy of it.
    pub fn validate(input: &str) -> Result<(), IdentityCodeError> {
        Self::checked(input).map(|_| ())
    }

    /// The trimmed input and its check character, upper-case, once every rule holds. On the
    /// bytes and without allocating: the BFF checks millions in a bulk intake, the SDK one per
    /// keystroke.
    fn checked(input: &str) -> Result<(&str, u8), IdentityCodeError> {
        let text = input.trim();
        let b = text.as_bytes();
        if b.len() != 18 || !text.is_ascii() {
            return Err(not_eighteen_ascii(text));
        }
        let mut sum = 0;
        for (position, (&c, w)) in b[..17].iter().zip(RESIDENT_WEIGHTS).enumerate() {
            if !c.is_ascii_digit() {
                return Err(IdentityCodeError::InvalidCharacter {
                    position,
                    found: c as char,
                });
            }
            sum += u32::from(c - b'0') * w;
        }
        let last = b[17].to_ascii_uppercase();
        if !(last.is_ascii_digit() || last == b'X') {
            return Err(IdentityCodeError::InvalidCharacter {
                position: 17,
                found: b[17] as char,
            });
        }
        if !is_valid_yyyymmdd(&text[6..14]) {
            return Err(IdentityCodeError::InvalidBirthDate(text[6..14].to_string()));
        }
        let expected = RESIDENT_CHECK[(sum % 11) as usize];
        if expected as u8 != last {
            return Err(IdentityCodeError::ChecksumMismatch {
                expected,
                found: b[17] as char,
            });
        }
        Ok((text, last))
    }

    /// The ISO 7064 MOD 11-2 check character for the first seventeen digits.
    pub fn check_character(first17: &str) -> Result<char, IdentityCodeError> {
        let digits: Vec<char> = first17.chars().collect();
        if digits.len() != 17 {
            return Err(IdentityCodeError::WrongLength {
                len: digits.len() + 1,
            });
        }
        let mut sum = 0;
        for (position, (c, w)) in digits.iter().zip(RESIDENT_WEIGHTS).enumerate() {
            let d = c.to_digit(10).ok_or(IdentityCodeError::InvalidCharacter {
                position,
                found: *c,
            })?;
            sum += d * w;
        }
        Ok(RESIDENT_CHECK[(sum % 11) as usize])
    }

    /// The whole number, upper-case.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The six-digit address code of the place of first registration.
    pub fn region_code(&self) -> &str {
        &self.0[..6]
    }

    /// The birth date as `YYYYMMDD`.
    pub fn birth_date(&self) -> &str {
        &self.0[6..14]
    }

    /// True when the sequence number is odd, which the standard assigns to men.
    pub fn is_male(&self) -> bool {
        self.0.as_bytes()[16] % 2 == 1
    }
}

impl fmt::Display for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ResidentId {
    // Debug output ends up in logs: never the number in clear.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResidentId({})", crate::mask::id_number(&self.0))
    }
}

/// What is wrong with a code that is not 18 ASCII characters: its length in characters, or
/// the first character no code holds.
fn not_eighteen_ascii(text: &str) -> IdentityCodeError {
    let len = text.chars().count();
    match text.chars().enumerate().find(|(_, c)| !c.is_ascii()) {
        Some((position, found)) if len == 18 => {
            IdentityCodeError::InvalidCharacter { position, found }
        }
        _ => IdentityCodeError::WrongLength { len },
    }
}

fn is_valid_yyyymmdd(s: &str) -> bool {
    let (Ok(y), Ok(m), Ok(d)) = (
        s[..4].parse::<u32>(),
        s[4..6].parse::<u32>(),
        s[6..].parse::<u32>(),
    ) else {
        return false;
    };
    if !(1900..=2100).contains(&y) || !(1..=12).contains(&m) || d == 0 {
        return false;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    d <= days
}

/// A unified social credit code (统一社会信用代码) that passed GB 32100-2015: registration
/// authority, organisation type, six-digit division code, nine-character organisation code with
/// its own GB 11714 check character, and a MOD 31 check character.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Uscc(String);

/// The 31 characters a USCC may contain (no I, O, S, V, Z: they look like digits).
const USCC_CHARSET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];
const ORG_CODE_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

fn uscc_value(c: char) -> Option<u32> {
    USCC_CHARSET.find(c).map(|i| i as u32)
}

/// [`uscc_value`] of an ASCII byte, by table: `0`–`9` then the letters GB 32100 uses (no I,
/// O, S, V, Z).
fn uscc_byte_value(c: u8) -> Option<u32> {
    const TABLE: [u8; 128] = {
        let mut table = [u8::MAX; 128];
        let set = USCC_CHARSET.as_bytes();
        let mut i = 0;
        while i < set.len() {
            table[set[i] as usize] = i as u8;
            i += 1;
        }
        table
    };
    TABLE
        .get(c as usize)
        .filter(|v| **v != u8::MAX)
        .map(|v| u32::from(*v))
}

/// Value of a character in a GB 11714 organisation code: digits as themselves, letters A=10 … Z=35.
fn org_code_value(c: char) -> Option<u32> {
    c.to_digit(36)
}

impl Uscc {
    /// Parses and checks a USCC. Lower-case letters are accepted and normalised to upper case.
    pub fn parse(input: &str) -> Result<Self, IdentityCodeError> {
        Ok(Self(Self::checked(input)?.to_ascii_uppercase()))
    }

    /// Whether `input` is a valid USCC (what [`Self::parse`] checks), without making one.
    pub fn validate(input: &str) -> Result<(), IdentityCodeError> {
        Self::checked(input).map(|_| ())
    }

    /// The trimmed input once every rule holds (letters in either case), on the bytes and
    /// without allocating (see [`ResidentId::validate`]): each character's value once, both
    /// checks summed in the same pass.
    fn checked(input: &str) -> Result<&str, IdentityCodeError> {
        let code = input.trim();
        let b = code.as_bytes();
        if b.len() != 18 || !code.is_ascii() {
            return Err(not_eighteen_ascii(code));
        }
        let upper = |i: usize| b[i].to_ascii_uppercase();
        let mut sum = 0;
        let mut org_sum = 0;
        for position in 0..18 {
            let c = upper(position);
            let value = uscc_byte_value(c);
            let allowed = match position {
                // The division code is always six digits.
                2..=7 => c.is_ascii_digit(),
                _ => value.is_some(),
            };
            let Some(value) = value.filter(|_| allowed) else {
                return Err(IdentityCodeError::InvalidCharacter {
                    position,
                    found: c as char,
                });
            };
            if position < 17 {
                sum += value * USCC_WEIGHTS[position];
            }
            if (8..16).contains(&position) {
                // GB 11714 values: digits as themselves, letters A=10 … Z=35.
                let org = (c as char).to_digit(36).unwrap_or(0);
                org_sum += org * ORG_CODE_WEIGHTS[position - 8];
            }
        }
        let org_expected = match 11 - org_sum % 11 {
            10 => 'X',
            11 => '0',
            n => char::from_digit(n, 10).unwrap_or('0'),
        };
        if org_expected as u8 != upper(16) {
            return Err(IdentityCodeError::OrganisationCodeChecksum {
                expected: org_expected,
                found: upper(16) as char,
            });
        }
        let expected = USCC_CHARSET.as_bytes()[((31 - sum % 31) % 31) as usize] as char;
        if expected as u8 != upper(17) {
            return Err(IdentityCodeError::ChecksumMismatch {
                expected,
                found: upper(17) as char,
            });
        }
        Ok(code)
    }

    /// The MOD 31 check character of GB 32100-2015 for the first seventeen characters.
    pub fn check_character(first17: &str) -> Result<char, IdentityCodeError> {
        let chars: Vec<char> = first17.chars().collect();
        if chars.len() != 17 {
            return Err(IdentityCodeError::WrongLength {
                len: chars.len() + 1,
            });
        }
        let mut sum = 0;
        for (position, (&c, w)) in chars.iter().zip(USCC_WEIGHTS).enumerate() {
            sum += uscc_value(c)
                .ok_or(IdentityCodeError::InvalidCharacter { position, found: c })?
                * w;
        }
        let index = (31 - sum % 31) % 31;
        Ok(USCC_CHARSET.as_bytes()[index as usize] as char)
    }

    /// The GB 11714 check character of an eight-character organisation code body.
    pub fn organisation_check_character(body: &str) -> Result<char, IdentityCodeError> {
        let chars: Vec<char> = body.chars().collect();
        if chars.len() != 8 {
            return Err(IdentityCodeError::WrongLength {
                len: chars.len() + 10,
            });
        }
        let mut sum = 0;
        for (i, (&c, w)) in chars.iter().zip(ORG_CODE_WEIGHTS).enumerate() {
            let v = org_code_value(c).ok_or(IdentityCodeError::InvalidCharacter {
                position: 8 + i,
                found: c,
            })?;
            sum += v * w;
        }
        Ok(match 11 - sum % 11 {
            10 => 'X',
            11 => '0',
            n => char::from_digit(n, 10).unwrap_or('0'),
        })
    }

    /// The whole code, upper-case.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The six-digit division code of the registering authority.
    pub fn region_code(&self) -> &str {
        &self.0[2..8]
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A USCC is public registration data, so it may be shown whole.
        write!(f, "Uscc({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Published specimen numbers from the standards' worked examples.
    const SPECIMEN_ID: &str = "11010519491231002X";
    const SPECIMEN_USCC: &str = "91350100M000100Y43";

    #[test]
    fn the_standard_specimen_id_is_accepted() {
        let id = ResidentId::parse(SPECIMEN_ID).expect("specimen");
        assert_eq!(id.region_code(), "110105");
        assert_eq!(id.birth_date(), "19491231");
        assert!(!id.is_male());
    }

    #[test]
    fn a_lower_case_x_is_normalised() {
        assert_eq!(
            ResidentId::parse("11010519491231002x").map(|i| i.to_string()),
            Ok(SPECIMEN_ID.to_string())
        );
    }

    #[test]
    fn a_wrong_check_character_names_the_expected_one() {
        assert_eq!(
            ResidentId::parse("110105194912310021"),
            Err(IdentityCodeError::ChecksumMismatch {
                expected: 'X',
                found: '1'
            })
        );
    }

    #[test]
    fn id_errors_name_what_is_wrong() {
        assert_eq!(
            ResidentId::parse("1234"),
            Err(IdentityCodeError::WrongLength { len: 4 })
        );
        assert_eq!(
            ResidentId::parse("1101051949A231002X"),
            Err(IdentityCodeError::InvalidCharacter {
                position: 10,
                found: 'A'
            })
        );
        assert_eq!(
            ResidentId::parse("110105194902300021"),
            Err(IdentityCodeError::InvalidBirthDate("19490230".into()))
        );
    }

    #[test]
    fn leap_days_are_dates_only_in_leap_years() {
        assert!(is_valid_yyyymmdd("20000229"));
        assert!(!is_valid_yyyymmdd("19000229"));
        assert!(!is_valid_yyyymmdd("20231301"));
    }

    #[test]
    fn debug_output_masks_the_id_number() {
        let id = ResidentId::parse(SPECIMEN_ID).expect("specimen");
        assert_eq!(format!("{id:?}"), "ResidentId(110105********002X)");
    }

    #[test]
    fn the_standard_specimen_uscc_is_accepted() {
        let code = Uscc::parse(SPECIMEN_USCC).expect("specimen");
        assert_eq!(code.region_code(), "350100");
    }

    #[test]
    fn uscc_errors_name_what_is_wrong() {
        assert_eq!(
            Uscc::parse("91350100M000100Y44"),
            Err(IdentityCodeError::ChecksumMismatch {
                expected: '3',
                found: '4'
            })
        );
        assert_eq!(
            Uscc::parse("91350100M000100I43"),
            Err(IdentityCodeError::InvalidCharacter {
                position: 15,
                found: 'I'
            })
        );
        assert_eq!(
            Uscc::parse(""),
            Err(IdentityCodeError::WrongLength { len: 0 })
        );
        assert!(matches!(
            Uscc::parse("91350100M000101Y43"),
            Err(IdentityCodeError::OrganisationCodeChecksum { .. })
        ));
    }

    #[test]
    fn check_characters_round_trip_for_generated_codes() {
        for n in 0..200u32 {
            let first17 = format!("330302{:08}{:03}", 19800101 + n % 28, n % 1000);
            let id = format!(
                "{first17}{}",
                ResidentId::check_character(&first17).unwrap()
            );
            assert!(ResidentId::parse(&id).is_ok(), "{id}");

            let body = format!("MA{:06}", n * 7919 % 1_000_000);
            let org = format!(
                "{body}{}",
                Uscc::organisation_check_character(&body).unwrap()
            );
            let first = format!("91330302{org}");
            let code = format!("{first}{}", Uscc::check_character(&first).unwrap());
            assert!(Uscc::parse(&code).is_ok(), "{code}");
        }
    }
}
