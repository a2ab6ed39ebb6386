//! 数字信封 (a digital envelope): data sealed for one holder of an SM2 key, so that nothing
//! between the sealer and that holder can read it — the BFF's answer to a bank fetching under
//! a consent, readable by the bank alone.
//!
//! A fresh 16-byte SM4 key encrypts the data in GCM (12-byte IV, 16-byte tag, the envelope's
//! own header as associated data, so a key id or algorithm swapped in transit fails the tag);
//! the SM4 key itself is SM2-encrypted to the recipient (GB/T 32918.4, SM3 as the KDF and
//! hash, `C1 ‖ C3 ‖ C2` in the GM/T 0009 DER form that `openssl pkeyutl -encrypt` writes).
//! This is the shape of GM/T 0010's enveloped data without its ASN.1 wrapping: the fields
//! travel as base64url in JSON beside the rest of an API answer.

use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::RngCore as _;
use serde::{Deserialize, Serialize};

use super::{Sm2PrivateKey, Sm2PublicKey};

/// SM4 in GCM, from aes-gcm's mode over any 128-bit block cipher.
type Sm4Gcm = aes_gcm::AesGcm<sm4::Sm4, U12>;

/// The envelope's `alg`: SM2 encryption of an SM4-GCM key.
pub const ENVELOPE_ALG: &str = "SM2+SM4-GCM";

/// Data sealed for one SM2 key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Envelope {
    /// [`ENVELOPE_ALG`].
    pub alg: String,
    /// The recipient key's thumbprint ([`Sm2PublicKey::thumbprint`]), so a holder of several
    /// keys knows which one opens it.
    pub kid: String,
    /// The SM4 key, SM2-encrypted to the recipient (GM/T 0009 DER), base64url.
    pub key: String,
    /// The GCM IV (12 bytes), base64url.
    pub iv: String,
    /// The SM4-GCM ciphertext with its 16-byte tag appended, base64url.
    pub ciphertext: String,
}

/// Why an envelope does not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// Not an envelope of [`ENVELOPE_ALG`], or a field that does not decode.
    #[error("not an SM2+SM4-GCM envelope: {0}")]
    Malformed(String),
    /// Sealed for another key.
    #[error("the envelope is sealed for key {0}, not this one")]
    OtherKey(String),
    /// The key or the data was changed after sealing, or the associated data differs.
    #[error("the envelope does not open: changed after sealing or wrong associated data")]
    Tampered,
}

/// SM2-encrypts `message` to `recipient`: GM/T 0009 DER of `C1 ‖ C3 ‖ C2`, as
/// `openssl pkeyutl -encrypt` writes it.
pub fn sm2_encrypt(recipient: &Sm2PublicKey, message: &[u8]) -> Vec<u8> {
    sm2::pke::EncryptingKey::new(recipient.sm2_public())
        .encrypt_der(&mut getrandom::SysRng, message)
        .unwrap_or_else(|e| panic!("SM2 encryption of a short message to a valid key: {e}"))
}

/// Decrypts what [`sm2_encrypt`] (or `openssl pkeyutl -encrypt`) made for `key`.
pub fn sm2_decrypt(key: &Sm2PrivateKey, der: &[u8]) -> Result<Vec<u8>, EnvelopeError> {
    sm2::pke::DecryptingKey::new(key.secret.clone())
        .decrypt_der(der)
        .map_err(|_| EnvelopeError::Tampered)
}

/// The associated data GCM binds: the header a receiver reads before opening, then the
/// caller's own (e.g. the consent and fetch ids).
fn associated(alg: &str, kid: &str, extra: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(alg.len() + kid.len() + extra.len() + 2);
    aad.extend_from_slice(alg.as_bytes());
    aad.push(0);
    aad.extend_from_slice(kid.as_bytes());
    aad.push(0);
    aad.extend_from_slice(extra);
    aad
}

/// An SM4 key already SM2-encrypted to one recipient, to seal several envelopes for it (the
/// fetches under one consent): the SM2 encryption, most of an envelope's cost, is paid once.
/// Each envelope still has its own random IV; GCM keeps its guarantees for far more messages
/// under one key (2³² with random IVs) than a consent ever sees. Keep it in memory only.
#[derive(Clone)]
pub struct ContentKey {
    key: [u8; 16],
    wrapped: String,
    kid: String,
}

impl std::fmt::Debug for ContentKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContentKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl ContentKey {
    /// A fresh key, encrypted to `recipient`.
    pub fn new(recipient: &Sm2PublicKey) -> Self {
        let mut key = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut key);
        Self {
            wrapped: URL_SAFE_NO_PAD.encode(sm2_encrypt(recipient, &key)),
            kid: recipient.thumbprint(),
            key,
        }
    }

    /// Seals `plaintext` under this key with a fresh IV, binding `aad`.
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Envelope {
        let mut iv = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut iv);
        let ciphertext = Sm4Gcm::new((&self.key).into())
            .encrypt(
                (&iv).into(),
                Payload {
                    msg: plaintext,
                    aad: &associated(ENVELOPE_ALG, &self.kid, aad),
                },
            )
            .unwrap_or_else(|_| unreachable!("GCM encrypts any message under 64 GiB"));
        Envelope {
            alg: ENVELOPE_ALG.into(),
            key: self.wrapped.clone(),
            kid: self.kid.clone(),
            iv: URL_SAFE_NO_PAD.encode(iv),
            ciphertext: URL_SAFE_NO_PAD.encode(ciphertext),
        }
    }
}

impl Envelope {
    /// Seals `plaintext` for `recipient` under a fresh key, binding `aad` (which the receiver
    /// must present again).
    pub fn seal(recipient: &Sm2PublicKey, plaintext: &[u8], aad: &[u8]) -> Self {
        ContentKey::new(recipient).seal(plaintext, aad)
    }

    /// Opens the envelope with the recipient's private key and the `aad` it was sealed with.
    pub fn open(&self, recipient: &Sm2PrivateKey, aad: &[u8]) -> Result<Vec<u8>, EnvelopeError> {
        if self.alg != ENVELOPE_ALG {
            return Err(EnvelopeError::Malformed(format!(
                "alg {}, not {ENVELOPE_ALG}",
                self.alg
            )));
        }
        if self.kid != recipient.public_key().thumbprint() {
            return Err(EnvelopeError::OtherKey(self.kid.clone()));
        }
        let field = |name: &str, value: &str| {
            URL_SAFE_NO_PAD
                .decode(value)
                .map_err(|_| EnvelopeError::Malformed(format!("{name} is not base64url")))
        };
        let key = sm2_decrypt(recipient, &field("key", &self.key)?)?;
        let key: [u8; 16] = key.try_into().map_err(|_| EnvelopeError::Tampered)?;
        let iv: [u8; 12] = field("iv", &self.iv)?
            .try_into()
            .map_err(|_| EnvelopeError::Malformed("iv must be 12 bytes".into()))?;
        Sm4Gcm::new((&key).into())
            .decrypt(
                (&iv).into(),
                Payload {
                    msg: &field("ciphertext", &self.ciphertext)?,
                    aad: &associated(&self.alg, &self.kid, aad),
                },
            )
            .map_err(|_| EnvelopeError::Tampered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gm::tests::unhex as hex;

    #[test]
    fn sm4_gcm_matches_rfc_8998s_test_vector() {
        // RFC 8998 (ShangMi in TLS 1.3), Appendix A.1.
        let key: [u8; 16] = hex("0123456789ABCDEFFEDCBA9876543210").try_into().unwrap();
        let iv: [u8; 12] = hex("00001234567800000000ABCD").try_into().unwrap();
        let aad = hex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2");
        let plaintext = hex(concat!(
            "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD",
            "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA"
        ));
        let sealed = Sm4Gcm::new((&key).into())
            .encrypt(
                (&iv).into(),
                Payload {
                    msg: &plaintext,
                    aad: &aad,
                },
            )
            .unwrap();
        let expected = hex(concat!(
            "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735",
            "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D",
            "83DE3541E4C2B58177E065A9BF7B62EC"
        ));
        assert_eq!(sealed, expected);
    }

    #[test]
    fn an_envelope_opens_for_its_recipient_with_the_same_associated_data_only() {
        let bank = Sm2PrivateKey::generate();
        let sealed = Envelope::seal(
            &bank.public_key(),
            "收入证明：月薪 1.2 万".as_bytes(),
            b"c1",
        );
        assert_eq!(
            sealed.open(&bank, b"c1").unwrap(),
            "收入证明：月薪 1.2 万".as_bytes()
        );
        assert_eq!(sealed.open(&bank, b"c2"), Err(EnvelopeError::Tampered));
        let other = Sm2PrivateKey::generate();
        assert!(matches!(
            sealed.open(&other, b"c1"),
            Err(EnvelopeError::OtherKey(_))
        ));
    }

    #[test]
    fn envelopes_under_one_content_key_each_open_with_their_own_iv_and_data() {
        let bank = Sm2PrivateKey::generate();
        let key = ContentKey::new(&bank.public_key());
        let (a, b) = (key.seal(b"first", b"f1"), key.seal(b"second", b"f2"));
        assert_eq!(a.key, b.key, "the SM2 part is made once");
        assert_ne!(a.iv, b.iv);
        assert_eq!(a.open(&bank, b"f1").unwrap(), b"first");
        assert_eq!(b.open(&bank, b"f2").unwrap(), b"second");
        assert_eq!(a.open(&bank, b"f2"), Err(EnvelopeError::Tampered));
    }

    #[test]
    fn a_changed_ciphertext_key_or_header_does_not_open() {
        let bank = Sm2PrivateKey::generate();
        let sealed = Envelope::seal(&bank.public_key(), b"data", b"");
        let mut flipped = URL_SAFE_NO_PAD.decode(&sealed.ciphertext).unwrap();
        flipped[0] ^= 1;
        let changed = Envelope {
            ciphertext: URL_SAFE_NO_PAD.encode(flipped),
            ..sealed.clone()
        };
        assert_eq!(changed.open(&bank, b""), Err(EnvelopeError::Tampered));
        let mut key = URL_SAFE_NO_PAD.decode(&sealed.key).unwrap();
        let last = key.len() - 1;
        key[last] ^= 1;
        let changed = Envelope {
            key: URL_SAFE_NO_PAD.encode(key),
            ..sealed.clone()
        };
        assert_eq!(changed.open(&bank, b""), Err(EnvelopeError::Tampered));
        let renamed = Envelope {
            alg: "SM4-CBC".into(),
            ..sealed.clone()
        };
        assert!(matches!(
            renamed.open(&bank, b""),
            Err(EnvelopeError::Malformed(_))
        ));
        let short_iv = Envelope {
            iv: "AAAA".into(),
            ..sealed
        };
        assert!(matches!(
            short_iv.open(&bank, b""),
            Err(EnvelopeError::Malformed(_))
        ));
    }
}
