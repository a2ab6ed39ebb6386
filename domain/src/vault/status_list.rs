//! Revocation through an IETF Token Status List (draft-ietf-oauth-status-list): each issuer
//! publishes one list, 2 bits per credential (`00` valid, `01` revoked, `10` suspended), zlib
//! compressed, in a JWT (`typ` `statuslist+jwt`) it signs SM2. A credential names its list's
//! URI and a random index in it (so a list reveals nothing about who holds which credential,
//! and the order of issue is hidden).
//!
//! A verifier keeps a fetched list no longer than its `ttl` (and never past its `exp`): past
//! that, the status it gives is reported as stale — what it was when last seen — never as
//! valid.

use std::io::Read as _;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::gm::{self, Jws, Sm2PrivateKey, Sm2PublicKey};

/// Bits per credential in ZheliKit's lists.
pub const BITS: u8 = 2;
/// The `typ` of a status list token.
pub const TYP: &str = "statuslist+jwt";
/// Largest decompressed list accepted (a compressed list can expand enormously).
pub const MAX_LIST_BYTES: usize = 1 << 20;

/// A credential's status in its issuer's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenStatus {
    /// `0x00`.
    Valid,
    /// `0x01`: revoked for good.
    Invalid,
    /// `0x02`: suspended (may become valid again).
    Suspended,
    /// `0x03`: reserved for the application; treated as not valid.
    Other,
}

impl TokenStatus {
    fn from_bits(bits: u8) -> Self {
        match bits & 0b11 {
            0 => Self::Valid,
            1 => Self::Invalid,
            2 => Self::Suspended,
            _ => Self::Other,
        }
    }

    fn bits(self) -> u8 {
        match self {
            Self::Valid => 0,
            Self::Invalid => 1,
            Self::Suspended => 2,
            Self::Other => 3,
        }
    }
}

/// A credential's pointer into its issuer's list (`status.status_list` in the credential).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusReference {
    /// Index in the list.
    pub idx: u32,
    /// The list's URI (the token's `sub`).
    pub uri: String,
}

/// An issuer's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusList {
    bytes: Vec<u8>,
}

/// The list as it travels: `{"bits": 2, "lst": base64url(zlib(bytes))}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncodedStatusList {
    /// Bits per entry.
    pub bits: u8,
    /// The compressed list.
    pub lst: String,
}

/// What is wrong with a status list (token).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusListError {
    /// Not a JWS, not JSON, not the right `typ`, not 2 bits, not zlib, too large.
    #[error("malformed status list: {0}")]
    Malformed(String),
    /// The signature does not verify under the issuer's key.
    #[error("the status list's signature does not verify")]
    BadSignature,
    /// The token is for another list than the credential names.
    #[error("the status list is {got}, the credential names {expected}")]
    WrongList {
        /// What the credential names.
        expected: String,
        /// What the token is.
        got: String,
    },
    /// The credential's index lies outside the list.
    #[error("index {0} is outside the status list")]
    OutOfRange(u32),
}

impl StatusList {
    /// A list of `entries` credentials, all valid.
    pub fn new(entries: u32) -> Self {
        let bytes = (entries as usize * BITS as usize).div_ceil(8);
        Self {
            bytes: vec![0; bytes],
        }
    }

    /// How many entries it holds.
    pub fn len(&self) -> u32 {
        u32::try_from(self.bytes.len() * 8 / BITS as usize).unwrap_or(u32::MAX)
    }

    /// Whether it holds no entry.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The status at `idx`; `None` outside the list.
    pub fn get(&self, idx: u32) -> Option<TokenStatus> {
        let bit = idx as usize * BITS as usize;
        let byte = self.bytes.get(bit / 8)?;
        Some(TokenStatus::from_bits(byte >> (bit % 8)))
    }

    /// Sets the status at `idx`; false outside the list.
    pub fn set(&mut self, idx: u32, status: TokenStatus) -> bool {
        let bit = idx as usize * BITS as usize;
        let Some(byte) = self.bytes.get_mut(bit / 8) else {
            return false;
        };
        let shift = bit % 8;
        *byte = (*byte & !(0b11 << shift)) | (status.bits() << shift);
        true
    }

    /// Compressed (zlib) and base64url-encoded.
    pub fn encode(&self) -> EncodedStatusList {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        // Writing to a Vec cannot fail.
        let _ = std::io::Write::write_all(&mut z, &self.bytes);
        let compressed = z.finish().unwrap_or_default();
        EncodedStatusList {
            bits: BITS,
            lst: URL_SAFE_NO_PAD.encode(compressed),
        }
    }

    /// From its encoded form; refuses other widths, bad zlib and lists over
    /// [`MAX_LIST_BYTES`].
    pub fn decode(encoded: &EncodedStatusList) -> Result<Self, StatusListError> {
        if encoded.bits != BITS {
            return Err(StatusListError::Malformed(format!(
                "{} bits per entry, not {BITS}",
                encoded.bits
            )));
        }
        let compressed = URL_SAFE_NO_PAD
            .decode(&encoded.lst)
            .map_err(|_| StatusListError::Malformed("lst is not base64url".into()))?;
        let mut bytes = Vec::new();
        flate2::read::ZlibDecoder::new(compressed.as_slice())
            .take(MAX_LIST_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| StatusListError::Malformed(format!("lst is not zlib: {e}")))?;
        if bytes.len() > MAX_LIST_BYTES {
            return Err(StatusListError::Malformed(format!(
                "the list is larger than {MAX_LIST_BYTES} bytes"
            )));
        }
        Ok(Self { bytes })
    }
}

/// The claims of a status list token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusListClaims {
    /// The list's URI.
    pub sub: String,
    /// When it was issued (seconds since the epoch).
    pub iat: i64,
    /// After this no one may rely on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// How long (seconds) a verifier may keep it before fetching again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<i64>,
    /// The list.
    pub status_list: EncodedStatusList,
}

/// The issuer's signed list: a compact JWS.
pub fn sign(
    key: &Sm2PrivateKey,
    kid: &str,
    uri: &str,
    list: &StatusList,
    iat: i64,
    ttl_secs: i64,
) -> String {
    let claims = StatusListClaims {
        sub: uri.to_string(),
        iat,
        // A list older than a day must not be relied on even by a verifier that ignores ttl.
        exp: Some(iat + 24 * 3600),
        ttl: Some(ttl_secs),
        status_list: list.encode(),
    };
    gm::sign_jws(
        key,
        &serde_json::json!({"alg": gm::JWS_ALG, "typ": TYP, "kid": kid}),
        &serde_json::to_vec(&claims).unwrap_or_default(),
    )
}

/// A verified list and what its token says about how long it may be relied on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedStatusList {
    /// The list.
    pub list: StatusList,
    /// The token's claims.
    pub claims: StatusListClaims,
}

impl VerifiedStatusList {
    /// Whether a list fetched at `fetched_at` may still be relied on at `now` (seconds): within
    /// its `ttl` (default 5 minutes) of fetching and before its `exp`.
    pub fn is_fresh(&self, fetched_at: i64, now: i64) -> bool {
        let ttl = self.claims.ttl.unwrap_or(300).max(0);
        now <= fetched_at + ttl && self.claims.exp.is_none_or(|exp| now <= exp)
    }
}

/// Verifies a status list token from the issuer whose key is `key`, for the list at `uri`.
pub fn verify(
    token: &str,
    key: &Sm2PublicKey,
    uri: &str,
) -> Result<VerifiedStatusList, StatusListError> {
    let jws = Jws::parse(token).map_err(StatusListError::Malformed)?;
    if jws.header.get("typ").and_then(|t| t.as_str()) != Some(TYP) {
        return Err(StatusListError::Malformed(format!("typ is not {TYP}")));
    }
    jws.verify(key).map_err(|_| StatusListError::BadSignature)?;
    let claims: StatusListClaims = serde_json::from_slice(&jws.payload)
        .map_err(|e| StatusListError::Malformed(format!("claims: {e}")))?;
    if claims.sub != uri {
        return Err(StatusListError::WrongList {
            expected: uri.to_string(),
            got: claims.sub,
        });
    }
    let list = StatusList::decode(&claims.status_list)?;
    Ok(VerifiedStatusList { list, claims })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_bits_per_entry_least_significant_first_as_the_draft_lays_them_out() {
        let mut list = StatusList::new(8);
        assert!(list.set(0, TokenStatus::Invalid));
        assert!(list.set(1, TokenStatus::Suspended));
        assert!(list.set(7, TokenStatus::Invalid));
        assert_eq!(list.bytes, [0b0000_1001, 0b0100_0000]);
        assert_eq!(list.get(1), Some(TokenStatus::Suspended));
        assert_eq!(list.get(2), Some(TokenStatus::Valid));
        assert_eq!(list.get(8), None);
        assert!(!list.set(8, TokenStatus::Invalid));
        list.set(1, TokenStatus::Valid);
        assert_eq!(list.get(1), Some(TokenStatus::Valid));
    }

    #[test]
    fn a_signed_list_verifies_and_reports_each_status() {
        let key = Sm2PrivateKey::generate();
        let mut list = StatusList::new(65_536);
        list.set(40_000, TokenStatus::Invalid);
        let token = sign(&key, "k1", "https://x/status/1", &list, 1000, 300);
        assert!(
            token.len() < 1000,
            "65,536 entries compress: {}",
            token.len()
        );
        let verified = verify(&token, &key.public_key(), "https://x/status/1").unwrap();
        assert_eq!(verified.list.get(40_000), Some(TokenStatus::Invalid));
        assert_eq!(verified.list.get(39_999), Some(TokenStatus::Valid));
        assert!(verified.is_fresh(1000, 1300));
        assert!(!verified.is_fresh(1000, 1301), "past its ttl");
        assert!(!verified.is_fresh(100_000, 100_001), "past its exp");

        assert_eq!(
            verify(
                &token,
                &Sm2PrivateKey::generate().public_key(),
                "https://x/status/1"
            ),
            Err(StatusListError::BadSignature)
        );
        assert!(matches!(
            verify(&token, &key.public_key(), "https://x/status/2"),
            Err(StatusListError::WrongList { .. })
        ));
        assert!(matches!(
            verify("garbage", &key.public_key(), "u"),
            Err(StatusListError::Malformed(_))
        ));
    }

    #[test]
    fn a_zip_bomb_and_other_widths_are_refused() {
        let huge = StatusList {
            bytes: vec![0; MAX_LIST_BYTES + 1],
        };
        assert!(matches!(
            StatusList::decode(&huge.encode()),
            Err(StatusListError::Malformed(_))
        ));
        let mut one_bit = StatusList::new(8).encode();
        one_bit.bits = 1;
        assert!(StatusList::decode(&one_bit).is_err());
        let not_zlib = EncodedStatusList {
            bits: 2,
            lst: URL_SAFE_NO_PAD.encode(b"plain"),
        };
        assert!(StatusList::decode(&not_zlib).is_err());
    }
}
