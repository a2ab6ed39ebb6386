//! The 亮证 QR payload: a presentation (an SD-JWT with its key binding) made small enough for a
//! QR code a phone camera reads at arm's length, and back, losslessly.
//!
//! A presentation is base64url text around JSON, signatures and digests; a QR code holds text
//! best in its *alphanumeric* mode (5.5 bits a character, the 45 characters of base45), and
//! most scanners hand binary content over badly. So, as the EU's COVID certificate did, but
//! knowing what an SD-JWT is made of:
//!
//! 1. every `~`-separated part and every `.`-separated piece of it is base64url-decoded to its
//!    bytes (base64url without padding is canonical, so encoding them again gives the very
//!    same text: the signatures still verify);
//! 2. what is random — signatures, and inside the JSON every base64url string of 32 bytes
//!    (digests, key coordinates, `sd_hash`) or 16 bytes (salts, nonces) — goes as its raw bytes
//!    to a tail that is not compressed (it cannot be), each leaving a control byte in the JSON
//!    where it was (JSON text never holds a raw control byte, so the mark is unambiguous);
//! 3. what remains, the JSON skeleton, is compressed with raw DEFLATE and a preset dictionary
//!    of what every ZheliKit presentation repeats (the JOSE headers, the claim names, the issuer,
//!    status and type URNs), and shrinks to a few dozen bytes;
//! 4. the whole is base45 text (RFC 9285) after the prefix [`PREFIX`].
//!
//! The dictionary and the marks are part of the format: changing either makes a new prefix
//! (`ZKV2:`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use crate::vault::sd_jwt::MAX_SD_JWT_BYTES;

/// What every ZheliKit QR payload starts with (alphanumeric, as base45 is).
pub const PREFIX: &str = "ZKV1:";

/// Longest QR text accepted: a version 40 code holds at most 4,296 alphanumeric characters.
pub const MAX_TEXT_CHARS: usize = 4_296;

/// Most `~`-separated parts a presentation may have (an issuer JWT, the disclosures, a key
/// binding JWT; a certificate has a few dozen claims at most).
const MAX_PARTS: u64 = 256;

/// A piece kept as JSON text (with marks for its random strings).
const TEXT_PIECE: u8 = 0;
/// A piece kept as raw bytes in the tail (a signature).
const RAW_PIECE: u8 = 1;
/// The marks in the JSON text, each for a base64url string whose bytes are in the tail, by
/// how many bytes it has.
const MARKS: [(u8, usize); 2] = [(0x01, 32), (0x02, 16)];
/// The mark of a JWK's `y` that follows its `x`: the tail holds one byte, the SEC1 prefix of
/// the compressed point (`y` is computed again from `x`, 31 bytes saved).
const Y_MARK: u8 = 0x03;

fn is_mark(b: u8) -> bool {
    b == Y_MARK || MARKS.iter().any(|(m, _)| *m == b)
}

/// The SEC1 prefix of the compressed point (`x`, `y`), when the point is on the curve.
fn compressed_prefix(x: &[u8], y: &[u8]) -> Option<u8> {
    let prefix = 0x02 | (y.last()? & 1);
    (y_of(x, prefix)? == y).then_some(prefix)
}

/// The `y` of the point with `x` and SEC1 prefix `prefix`.
fn y_of(x: &[u8], prefix: u8) -> Option<Vec<u8>> {
    let mut sec1 = Vec::with_capacity(33);
    sec1.push(prefix);
    sec1.extend_from_slice(x);
    let key = crate::gm::Sm2PublicKey::from_sec1(&sec1).ok()?;
    Some(key.to_sec1().get(33..65)?.to_vec())
}

/// The preset dictionary of `ZKV1:`, the JSON skeletons with their marks. DEFLATE reaches
/// back at most 32 KiB and finds the nearest match cheapest, so what every presentation
/// carries comes last.
const DICTIONARY: &str = concat!(
    "household_number relation_to_head police_station licence_number_masked licence_class ",
    "points_deducted plate_masked model inspection_due inspection_valid card_number_masked bank ",
    "card_active insured qualification level certificate_number_masked issued_at ",
    "qualification_valid highest_degree school graduated_at bachelor_or_above ",
    "property_address_masked floor_area contract_number registered_at owns_home_in_wenzhou ",
    "child_name birth_place hospital born_in_wenzhou sex nation birth_date address_masked ",
    "issued_by valid_until age_over_60 licence_valid age_over_18 resident_of_wenzhou ",
    "household_register vehicle_licence social_security_card professional_qualification ",
    "education home_purchase birth_certificate driving_licence resident_id ",
    "transport human_resources education housing health public_security ",
    "{\"alg\":\"SM2\",\"kid\":\"public_security-1\",\"typ\":\"dc+sd-jwt\"}",
    "{\"_sd\":[\"\u{1}\",\"\u{1}\",\"\u{1}\",\"\u{1}\",\"\u{1}\",\"\u{1}\",\"\u{1}\"],",
    "\"_sd_alg\":\"sm3\",\"cnf\":{\"jwk\":{\"crv\":\"SM2\",\"kty\":\"EC\",",
    "\"x\":\"\u{1}\",\"y\":\"\u{3}\"}},\"exp\":1,\"iat\":1,\"iss\":\"urn:zhelikit:issuer:",
    "\",\"status\":{\"status_list\":{\"idx\":1,\"uri\":\"urn:zhelikit:status:",
    "\"}},\"vct\":\"urn:zhelikit:cert:\"}",
    "[\"\u{2}\",\"name\",\"\"][\"\u{2}\",\"id_number\",\"\"]",
    "[\"\u{2}\",\"raw\",{\"_sd\":[\"\u{1}\",\"\u{1}\",\"\u{1}\",\"\u{1}\",\"\u{1}\"]}]",
    "[\"\u{2}\",\"name_masked\",\"\"][\"\u{2}\",\"id_number_masked\",\"\"]",
    "[\"\u{2}\",\"\",true]",
    "{\"alg\":\"SM2\",\"typ\":\"kb+jwt\"}",
    "{\"aud\":\"zhelikit:in-person\",\"iat\":1,\"nonce\":\"\u{2}\",\"sd_hash\":\"\u{1}\"}",
);

/// Why a QR payload could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QrError {
    /// Not a ZheliKit payload (another prefix, or none).
    #[error("not a ZheliKit certificate code (no {PREFIX} prefix)")]
    NotOurs,
    /// Longer than any QR code holds.
    #[error("longer than {MAX_TEXT_CHARS} characters")]
    TooLong,
    /// Damaged: bad base45, bad compression, bad structure.
    #[error("damaged code: {0}")]
    Damaged(String),
    /// Not a presentation this codec can carry (not base64url pieces).
    #[error("cannot encode: {0}")]
    NotEncodable(String),
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// A reader over the decompressed record.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn varint(&mut self) -> Result<u64, QrError> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = self
                .bytes
                .split_first()
                .ok_or_else(|| QrError::Damaged("cut short".into()))?;
            self.bytes = rest;
            n |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err(QrError::Damaged("a length is too long".into()))
    }

    fn take(&mut self, len: u64) -> Result<&'a [u8], QrError> {
        let len = usize::try_from(len)
            .ok()
            .filter(|l| *l <= self.bytes.len())
            .ok_or_else(|| QrError::Damaged("a piece runs past the end".into()))?;
        let (piece, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        Ok(piece)
    }
}

/// The QR text of `presentation`.
pub fn encode(presentation: &str) -> Result<String, QrError> {
    if presentation.len() > MAX_SD_JWT_BYTES {
        return Err(QrError::NotEncodable("too large".into()));
    }
    let parts: Vec<&str> = presentation.split('~').collect();
    let mut skeleton = Vec::with_capacity(presentation.len());
    let mut tail = Vec::with_capacity(presentation.len() / 2);
    put_varint(&mut skeleton, parts.len() as u64);
    for part in parts {
        let pieces: Vec<&str> = part.split('.').collect();
        put_varint(&mut skeleton, pieces.len() as u64);
        for piece in pieces {
            let bytes = canonical_base64url(piece).ok_or_else(|| {
                QrError::NotEncodable("a piece is not canonical base64url".into())
            })?;
            match std::str::from_utf8(&bytes) {
                Ok(text) if !text.bytes().any(is_mark) => {
                    skeleton.push(TEXT_PIECE);
                    let marked = mark(text, &mut tail);
                    put_varint(&mut skeleton, marked.len() as u64);
                    skeleton.extend_from_slice(&marked);
                }
                _ => {
                    skeleton.push(RAW_PIECE);
                    put_varint(&mut skeleton, bytes.len() as u64);
                    tail.extend_from_slice(&bytes);
                }
            }
        }
    }
    let compressed = deflate(&skeleton)?;
    let mut record = Vec::with_capacity(compressed.len() + tail.len() + 4);
    put_varint(&mut record, compressed.len() as u64);
    record.extend_from_slice(&compressed);
    record.extend_from_slice(&tail);
    let mut text = String::with_capacity(PREFIX.len() + record.len() * 3 / 2 + 2);
    text.push_str(PREFIX);
    text.push_str(&base45::encode(record));
    Ok(text)
}

/// The bytes of `text` if it is base64url without padding and encodes back to itself.
fn canonical_base64url(text: &str) -> Option<Vec<u8>> {
    let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
    (URL_SAFE_NO_PAD.encode(&bytes) == text).then_some(bytes)
}

/// `json` with each string that is the base64url of 32 or 16 bytes replaced by its mark, the
/// bytes appended to `tail`.
fn mark(json: &str, tail: &mut Vec<u8>) -> Vec<u8> {
    let mut out = Vec::with_capacity(json.len());
    let mut rest = json;
    // The last `"x":"…"` marked, for the `"y":"…"` after it.
    let mut x: Option<Vec<u8>> = None;
    while let Some(open) = rest.find('"') {
        out.extend_from_slice(&rest.as_bytes()[..=open]);
        rest = &rest[open + 1..];
        let after_x = out.ends_with(br#""x":""#);
        let after_y = out.ends_with(br#","y":""#);
        let run = rest
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
            .count();
        let closes = rest.as_bytes().get(run) == Some(&b'"');
        let marked = closes
            .then(|| canonical_base64url(&rest[..run]))
            .flatten()
            .and_then(|bytes| {
                let (m, _) = MARKS.iter().find(|(_, len)| *len == bytes.len())?;
                Some((*m, bytes))
            });
        let y_prefix = match (&marked, &x) {
            (Some((_, y)), Some(x)) if after_y && y.len() == 32 => compressed_prefix(x, y),
            _ => None,
        };
        match (marked, y_prefix) {
            (Some(_), Some(prefix)) => {
                out.push(Y_MARK);
                tail.push(prefix);
                out.push(b'"');
                rest = &rest[run + 1..];
                x = None;
            }
            (Some((m, bytes)), None) => {
                out.push(m);
                x = (after_x && bytes.len() == 32).then(|| bytes.clone());
                tail.extend_from_slice(&bytes);
                out.push(b'"');
                rest = &rest[run + 1..];
            }
            // Not ours to shorten: copy the string's start and go on from its end.
            (None, _) => {
                out.extend_from_slice(&rest.as_bytes()[..run]);
                rest = &rest[run..];
                if closes {
                    out.push(b'"');
                    rest = &rest[1..];
                }
            }
        }
    }
    out.extend_from_slice(rest.as_bytes());
    out
}

/// The presentation in QR text `text`. Bounded: a code that inflates past
/// [`MAX_SD_JWT_BYTES`] is refused, not expanded.
pub fn decode(text: &str) -> Result<String, QrError> {
    let body = text.strip_prefix(PREFIX).ok_or(QrError::NotOurs)?;
    if text.len() > MAX_TEXT_CHARS {
        return Err(QrError::TooLong);
    }
    let record =
        base45::decode(body).map_err(|e| QrError::Damaged(format!("not base45: {e:?}")))?;
    let mut reader = Reader { bytes: &record };
    let compressed_len = reader.varint()?;
    let skeleton = inflate(reader.take(compressed_len)?)?;
    let mut tail = Reader {
        bytes: reader.bytes,
    };
    let mut reader = Reader { bytes: &skeleton };
    let parts = reader.varint()?;
    if parts == 0 || parts > MAX_PARTS {
        return Err(QrError::Damaged(format!("{parts} parts")));
    }
    let mut out = String::with_capacity(MAX_SD_JWT_BYTES.min(record.len() * 4));
    for p in 0..parts {
        if p > 0 {
            out.push('~');
        }
        let pieces = reader.varint()?;
        if !(1..=3).contains(&pieces) {
            return Err(QrError::Damaged(format!("a part of {pieces} pieces")));
        }
        for i in 0..pieces {
            if i > 0 {
                out.push('.');
            }
            let kind = reader.take(1)?[0];
            let len = reader.varint()?;
            match kind {
                TEXT_PIECE => {
                    let text = unmark(reader.take(len)?, &mut tail)?;
                    URL_SAFE_NO_PAD.encode_string(text, &mut out);
                }
                RAW_PIECE => URL_SAFE_NO_PAD.encode_string(tail.take(len)?, &mut out),
                other => return Err(QrError::Damaged(format!("a piece of kind {other}"))),
            }
            if out.len() > MAX_SD_JWT_BYTES {
                return Err(QrError::Damaged(format!(
                    "longer than {MAX_SD_JWT_BYTES} bytes"
                )));
            }
        }
    }
    if !reader.bytes.is_empty() || !tail.bytes.is_empty() {
        return Err(QrError::Damaged("bytes after the last part".into()));
    }
    Ok(out)
}

/// The JSON text of a marked piece, each mark replaced by the base64url of its bytes.
fn unmark(marked: &[u8], tail: &mut Reader<'_>) -> Result<Vec<u8>, QrError> {
    let mut out = Vec::with_capacity(marked.len() + 64);
    let mut last: &[u8] = &[];
    for &b in marked {
        if b == Y_MARK {
            let prefix = tail.take(1)?[0];
            let y = (last.len() == 32)
                .then(|| y_of(last, prefix))
                .flatten()
                .ok_or_else(|| QrError::Damaged("a key is not on the curve".into()))?;
            out.extend_from_slice(URL_SAFE_NO_PAD.encode(y).as_bytes());
            continue;
        }
        match MARKS.iter().find(|(m, _)| *m == b) {
            Some((_, len)) => {
                last = tail.take(*len as u64)?;
                out.extend_from_slice(URL_SAFE_NO_PAD.encode(last).as_bytes());
            }
            None => out.push(b),
        }
    }
    Ok(out)
}

/// A presentation given either way: a QR text ([`PREFIX`]) decoded, anything else as it is
/// (an SD-JWT sent online).
pub fn presentation_of(text: &str) -> Result<String, QrError> {
    if text.starts_with(PREFIX) {
        decode(text)
    } else {
        Ok(text.to_string())
    }
}

fn deflate(record: &[u8]) -> Result<Vec<u8>, QrError> {
    let mut compress = Compress::new(Compression::best(), false);
    compress
        .set_dictionary(DICTIONARY.as_bytes())
        .map_err(|e| QrError::NotEncodable(format!("dictionary: {e}")))?;
    // Incompressible input grows by a few bytes per 16 KiB block; the bound is generous.
    let mut out = Vec::with_capacity(record.len() + 64);
    loop {
        let status = compress
            .compress_vec(
                &record[compress.total_in() as usize..],
                &mut out,
                FlushCompress::Finish,
            )
            .map_err(|e| QrError::NotEncodable(format!("deflate: {e}")))?;
        match status {
            Status::StreamEnd => return Ok(out),
            Status::Ok | Status::BufError => out.reserve(out.capacity().max(256)),
        }
    }
}

fn inflate(compressed: &[u8]) -> Result<Vec<u8>, QrError> {
    let mut decompress = Decompress::new(false);
    decompress
        .set_dictionary(DICTIONARY.as_bytes())
        .map_err(|e| QrError::Damaged(format!("dictionary: {e}")))?;
    let mut out = Vec::with_capacity(compressed.len() * 3);
    loop {
        let consumed = decompress.total_in() as usize;
        let before = decompress.total_out();
        let status = decompress
            .decompress_vec(&compressed[consumed..], &mut out, FlushDecompress::Finish)
            .map_err(|e| QrError::Damaged(format!("inflate: {e}")))?;
        if out.len() > MAX_SD_JWT_BYTES {
            return Err(QrError::Damaged(format!(
                "inflates past {MAX_SD_JWT_BYTES} bytes"
            )));
        }
        match status {
            Status::StreamEnd => return Ok(out),
            _ if out.len() == out.capacity() => out.reserve(out.capacity().max(1024)),
            // No room was the only reason to stop short; input ran out without an end.
            _ if decompress.total_out() == before
                && decompress.total_in() as usize == compressed.len() =>
            {
                return Err(QrError::Damaged("the compressed data ends early".into()))
            }
            _ => {}
        }
    }
}

/// The SM3 digest of the dictionary, in hex: what freezes the format (see the test).
#[cfg(test)]
fn dictionary_digest() -> String {
    crate::gm::hex(&crate::gm::sm3(DICTIONARY.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_presentation_round_trips_exactly() {
        let jwt = format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"SM2","typ":"kb+jwt"}"#),
            URL_SAFE_NO_PAD.encode(br#"{"iat":1,"aud":"zhelikit:in-person"}"#),
            URL_SAFE_NO_PAD.encode([7u8; 64])
        );
        for presentation in [
            format!("{jwt}~"),
            format!(
                "{jwt}~{}~{jwt}",
                URL_SAFE_NO_PAD.encode(br#"["s","a",true]"#)
            ),
            format!("{jwt}~~{jwt}"),
        ] {
            let text = encode(&presentation).unwrap();
            assert!(text.starts_with(PREFIX));
            assert!(
                text.bytes()
                    .all(|b| b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".contains(&b)),
                "QR alphanumeric only: {text}"
            );
            assert_eq!(decode(&text).unwrap(), presentation);
            assert_eq!(presentation_of(&text).unwrap(), presentation);
        }
        assert_eq!(presentation_of("abc~").unwrap(), "abc~");
    }

    #[test]
    fn what_is_not_base64url_is_not_encoded() {
        assert!(matches!(
            encode("not base64!~"),
            Err(QrError::NotEncodable(_))
        ));
        // Non-zero trailing bits: decodable by a lax reader, but not the same text again.
        assert!(matches!(encode("QR~"), Err(QrError::NotEncodable(_))));
    }

    #[test]
    fn damaged_and_foreign_codes_are_refused_with_their_reason() {
        assert_eq!(decode("HC1:ABC"), Err(QrError::NotOurs));
        assert!(matches!(decode("ZKV1:!!"), Err(QrError::Damaged(_))));
        assert!(matches!(decode("ZKV1:"), Err(QrError::Damaged(_))));
        let long = format!("{PREFIX}{}", "0".repeat(MAX_TEXT_CHARS));
        assert_eq!(decode(&long), Err(QrError::TooLong));
        let good = encode("YQ.Yg.Yw~").unwrap();
        let cut = &good[..good.len() - 3];
        assert!(matches!(decode(cut), Err(QrError::Damaged(_))), "{cut}");
    }

    #[test]
    fn a_code_that_would_inflate_past_the_limit_is_refused() {
        // 1 MiB of zeros compresses to about a kilobyte.
        let record = vec![0u8; 1 << 20];
        let bomb = format!("{PREFIX}{}", base45::encode(deflate(&record).unwrap()));
        assert!(bomb.len() < MAX_TEXT_CHARS, "{}", bomb.len());
        assert!(matches!(decode(&bomb), Err(QrError::Damaged(_))));
    }

    #[test]
    fn the_dictionary_is_frozen_for_this_prefix() {
        // A changed dictionary reads old codes as garbage: it must come with a new PREFIX.
        assert_eq!(
            dictionary_digest(),
            "793db28e85ebb491aad27ba3af26f42f1cfc00bc57e0ea2ed261a4254e3e955a"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]

        #[test]
        fn decoding_any_text_never_panics(body in "[0-9A-Z $%*+./:-]{0,600}") {
            let _ = decode(&format!("{PREFIX}{body}"));
        }

        #[test]
        fn decoding_any_deflated_bytes_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let _ = decode(&format!("{PREFIX}{}", base45::encode(&bytes)));
            if let Ok(compressed) = deflate(&bytes) {
                let _ = decode(&format!("{PREFIX}{}", base45::encode(compressed)));
            }
        }

        #[test]
        fn any_base64url_pieces_round_trip(pieces in proptest::collection::vec(proptest::collection::vec(proptest::num::u8::ANY, 0..80), 1..12)) {
            let parts: Vec<String> = pieces.iter().map(|p| URL_SAFE_NO_PAD.encode(p)).collect();
            let presentation = parts.join("~");
            let text = encode(&presentation).unwrap();
            proptest::prop_assert_eq!(decode(&text).unwrap(), presentation);
        }
    }
}

#[cfg(test)]
mod sizes {
    use serde_json::{json, Value};

    use super::*;
    use crate::gm::Sm2PrivateKey;
    use crate::vault::catalogue::{issuer_id, status_list_uri, CertificateKind, ClaimClass};
    use crate::vault::sd_jwt::{issue, present, Issuance, PresentationRequest};
    use crate::vault::status_list::StatusReference;

    /// A value of the length real ones have.
    fn value_of(name: &str, class: ClaimClass) -> Value {
        match class {
            ClaimClass::Predicate => json!(true),
            ClaimClass::Masked if name.starts_with("id_number") => json!("330302********1234"),
            ClaimClass::Masked if name.starts_with("name") => json!("孙*刚"),
            ClaimClass::Masked => json!("浙江省温州市鹿城区****号"),
            ClaimClass::Raw if name == "id_number" => json!("330302199001011234"),
            ClaimClass::Raw => json!("浙江省温州市鹿城区五马街道"),
        }
    }

    /// The QR text of `kind` presented in person with `claims`.
    pub(crate) fn code(kind: CertificateKind, claims: &[&str]) -> String {
        let issuer = Sm2PrivateKey::generate();
        let holder = Sm2PrivateKey::generate();
        let department = kind.department();
        let (raw, other): (Vec<_>, Vec<_>) = kind
            .claims()
            .into_iter()
            .map(|c| (c.name.to_string(), value_of(c.name, c.class), c.class))
            .partition(|(_, _, class)| *class == ClaimClass::Raw);
        let strip = |v: Vec<(String, Value, ClaimClass)>| -> Vec<(String, Value)> {
            v.into_iter().map(|(n, v, _)| (n, v)).collect()
        };
        let credential = issue(
            &Issuance {
                issuer: issuer_id(department),
                kid: format!("{department}-1"),
                vct: kind.vct(),
                iat: 1_796_176_800,
                exp: 1_796_176_800 + 5 * 365 * 86_400,
                holder: holder.public_key(),
                status: StatusReference {
                    idx: 48_213,
                    uri: status_list_uri(department),
                },
                claims: strip(other),
                raw_claims: strip(raw),
            },
            &issuer,
        )
        .unwrap();
        let disclose: Vec<String> = claims.iter().map(|c| c.to_string()).collect();
        let presentation = present(
            &credential,
            &PresentationRequest {
                disclose: &disclose,
                audience: "zhelikit:in-person",
                nonce: "Vt3kq9XbYw2mN8pR",
                iat: 1_796_176_900,
            },
            &holder,
        )
        .unwrap();
        let text = encode(&presentation).unwrap();
        assert_eq!(decode(&text).unwrap(), presentation);
        text
    }

    #[test]
    fn a_three_claim_code_of_every_kind_fits_in_a_thousand_characters() {
        for kind in CertificateKind::ALL {
            let defaults = kind.default_disclosure();
            // The predicates and a masked claim: what a 亮证 usually shows.
            let three: Vec<&str> = defaults.iter().rev().take(3).copied().collect();
            let text = code(kind, &three);
            assert!(text.len() <= 1_000, "{kind:?}: {} characters", text.len());
        }
    }
}
