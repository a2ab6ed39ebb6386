//! Masking of personal data (个人信息脱敏).
//!
//! The rule everywhere in ZheliKit: a token, an ID number or a phone number is never written to a
//! log or shown on a screen that does not need it in full. These functions are the one way to do
//! that, so that every masked value looks the same to a citizen and to an auditor.

/// Masks a resident ID number or USCC, keeping the region (first six) and the last four
/// characters: `330302199001011234` → `330302********1234`.
///
/// Shorter inputs keep proportionally less, and anything of six characters or fewer is fully
/// masked, so a malformed value never leaks whole.
pub fn id_number(value: &str) -> String {
    keep_ends(value, 6, 4)
}

/// Masks a mobile number, keeping the first three and last four digits:
/// `13812345678` → `138****5678`.
pub fn phone(value: &str) -> String {
    keep_ends(value, 3, 4)
}

/// Masks a card, licence or certificate number, keeping its first and last four characters:
/// `6217001234567890` → `6217********7890`. Shorter numbers keep a quarter at each end, so at
/// least half of any number is hidden: `464700210` → `46*****10`.
pub fn card_number(value: &str) -> String {
    let keep = if value.chars().count() >= 12 {
        4
    } else {
        value.chars().count() / 4
    };
    keep_ends(value, keep, keep)
}

/// Masks an address after its first six characters (the city and district):
/// `浙江省温州市鹿城区五马街1号` → `浙江省温州市********`.
pub fn address(value: &str) -> String {
    let head: String = value.chars().take(6).collect();
    let hidden = value.chars().count().saturating_sub(6);
    head + &"*".repeat(hidden.min(8))
}

/// Masks a bearer token or other secret, keeping only its first four characters so log lines
/// about the same token can still be correlated: `eyJhbGciOi…` → `eyJh…`.
pub fn token(value: &str) -> String {
    let head: String = value.chars().take(4).collect();
    format!("{head}…")
}

/// Masks a person's name, keeping the family name: `张三丰` → `张**`.
pub fn name(value: &str) -> String {
    let mut chars = value.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

/// Masks, inside free text, everything that looks like a bearer token (JWT), a ZheliKit refresh
/// token, a platform ticket, a resident ID number or a mobile number. A second line of defence
/// for log messages, behind masking each value where it is logged.
pub fn scrub(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
            word.push(c);
        } else {
            out.push_str(&scrub_word(&word));
            word.clear();
            out.push(c);
        }
    }
    out.push_str(&scrub_word(&word));
    out
}

fn scrub_word(word: &str) -> String {
    let looks_like_token = (word.starts_with("eyJ") && word.contains('.'))
        || (word.starts_with("zkr_") && word.len() > 8)
        || (word.starts_with("ST-") && word.len() > 10);
    if looks_like_token {
        return token(word);
    }
    // Digit runs inside the word: 18 (with a possible final X) is an ID number, 11 starting
    // with 1 is a mobile number.
    let chars: Vec<char> = word.chars().collect();
    let mut out = String::with_capacity(word.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        if i - start == 17 && i < chars.len() && matches!(chars[i], 'X' | 'x') {
            i += 1;
        }
        let run: String = chars[start..i].iter().collect();
        match run.len() {
            18 => out.push_str(&id_number(&run)),
            11 if run.starts_with('1') => out.push_str(&phone(&run)),
            _ => out.push_str(&run),
        }
    }
    out
}

fn keep_ends(value: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = value.chars().collect();
    let n = chars.len();
    if n <= head + tail {
        // Too short to keep both ends and still hide something: keep at most a third.
        let keep = n / 3;
        return chars[..keep].iter().collect::<String>() + &"*".repeat(n - keep);
    }
    let mut out: String = chars[..head].iter().collect();
    out.push_str(&"*".repeat(n - head - tail));
    out.extend(&chars[n - tail..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_numbers_keep_region_and_last_four() {
        assert_eq!(id_number("330302199001011234"), "330302********1234");
        assert_eq!(id_number("91330302MA2XXXXX1X"), "913303********XX1X");
    }

    #[test]
    fn phones_keep_prefix_and_last_four() {
        assert_eq!(phone("13812345678"), "138****5678");
    }

    #[test]
    fn short_values_never_leak_whole() {
        assert_eq!(id_number("123"), "1**");
        assert_eq!(phone(""), "");
        assert_eq!(id_number("12345678"), "12******");
    }

    #[test]
    fn cards_and_addresses_keep_only_what_identifies_the_kind() {
        assert_eq!(card_number("6217001234567890"), "6217********7890");
        assert_eq!(card_number("464700210"), "46*****10");
        assert_eq!(
            address("浙江省温州市鹿城区五马街1号"),
            "浙江省温州市********"
        );
        assert_eq!(address("温州"), "温州");
    }

    #[test]
    fn names_keep_the_family_name() {
        assert_eq!(name("张三丰"), "张**");
        assert_eq!(name(""), "");
    }

    #[test]
    fn scrub_masks_tokens_ids_and_phones_in_free_text() {
        let text = "login of 330302199001011234 (13812345678) with eyJhbGciOi.eyJzdWIi.sig, refresh zkr_abcdefgh1234 ticket=ST-0123456789abcdef";
        assert_eq!(
            scrub(text),
            "login of 330302********1234 (138****5678) with eyJh…, refresh zkr_… ticket=ST-0…"
        );
        assert_eq!(
            scrub("id 11010519491231002X end"),
            "id 110105********002X end"
        );
        assert_eq!(
            scrub("order 12345 of 2026-11-26"),
            "order 12345 of 2026-11-26"
        );
    }

    #[test]
    fn tokens_keep_four_characters() {
        assert_eq!(token("eyJhbGciOiJFZERTQSJ9"), "eyJh…");
    }
}
