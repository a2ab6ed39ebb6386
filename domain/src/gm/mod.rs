//! 国密 (the Chinese national cryptographic standards) as ZheliKit uses them: SM3 hashing
//! (GB/T 32905), SM2 signatures over SM3 (GB/T 32918.2, with the standard's default
//! distinguishing identifier `1234567812345678`, GM/T 0009, which most 国密 libraries use —
//! OpenSSL 3.0's `pkeyutl` needs `-pkeyopt distid:1234567812345678` to match), and SM2 keys in
//! the standard encodings: PKCS#8 and SPKI (DER or PEM, `id-ecPublicKey` with the SM2 curve
//! `1.2.156.10197.1.301`, as `openssl genpkey -algorithm SM2` writes them) and JWK
//! (`{"kty": "EC", "crv": "SM2", "x", "y"}`).
//!
//! From RustCrypto (`sm2`, `sm3`), checked against the published vectors and the `openssl`
//! CLI. Signatures travel in two forms: raw `r ‖ s` (64 bytes) inside JWS, as ES256 does, and
//! DER (`SEQUENCE {r INTEGER, s INTEGER}`) where OpenSSL reads and writes them.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sm2::dsa::signature::{Signer as _, Verifier as _};
use sm2::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use sm3::Digest as _;

pub mod envelope;

/// The distinguishing identifier (ID) hashed into every SM2 signature: the standard's
/// default (GM/T 0009).
pub const DEFAULT_DISTID: &str = "1234567812345678";

/// The JOSE `alg` of an SM2-over-SM3 signature with [`DEFAULT_DISTID`] (a private algorithm
/// name: JOSE registers none for SM2). The signature is `r ‖ s`, 32 bytes each.
pub const JWS_ALG: &str = "SM2";

/// What went wrong with a key or a signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GmError {
    /// A key that does not decode (wrong encoding, not an SM2 key, not on the curve).
    #[error("not an SM2 key: {0}")]
    BadKey(String),
    /// A signature that is not 64 bytes of `r ‖ s` or DER of two integers.
    #[error("not an SM2 signature: {0}")]
    BadSignature(String),
    /// A well-formed signature that does not verify.
    #[error("the SM2 signature does not verify")]
    Mismatch,
}

/// SM3 of `data` (32 bytes).
pub fn sm3(data: &[u8]) -> [u8; 32] {
    sm3::Sm3::digest(data).into()
}

/// `bytes` as lowercase hex, how digests are written where text is wanted (history hashes,
/// cache keys, registered secrets).
pub fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            use std::fmt::Write;
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// A private SM2 key, for signing (a department's issuer key, a device's holder key, the
/// platform's consent key).
#[derive(Clone)]
pub struct Sm2PrivateKey {
    secret: sm2::SecretKey,
    signing: sm2::dsa::SigningKey,
}

impl std::fmt::Debug for Sm2PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sm2PrivateKey")
            .field("public", &self.public_key().to_jwk())
            .finish_non_exhaustive()
    }
}

impl Sm2PrivateKey {
    /// A new random key.
    pub fn generate() -> Self {
        use sm2::elliptic_curve::Generate as _;
        let secret = sm2::SecretKey::try_generate_from_rng(&mut getrandom::SysRng)
            .unwrap_or_else(|e| panic!("the system has no randomness: {e}"));
        Self::from_secret(secret)
            .unwrap_or_else(|_| unreachable!("a random SM2 secret is a valid key"))
    }

    fn from_secret(secret: sm2::SecretKey) -> Result<Self, GmError> {
        let signing = sm2::dsa::SigningKey::new(DEFAULT_DISTID, &secret)
            .map_err(|e| GmError::BadKey(e.to_string()))?;
        Ok(Self { secret, signing })
    }

    /// From its 32-byte scalar (big-endian), as the standard's examples give it.
    pub fn from_scalar(bytes: &[u8]) -> Result<Self, GmError> {
        let secret =
            sm2::SecretKey::from_slice(bytes).map_err(|e| GmError::BadKey(e.to_string()))?;
        Self::from_secret(secret)
    }

    /// From PKCS#8 DER.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, GmError> {
        let secret =
            sm2::SecretKey::from_pkcs8_der(der).map_err(|e| GmError::BadKey(e.to_string()))?;
        Self::from_secret(secret)
    }

    /// From PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, GmError> {
        let secret =
            sm2::SecretKey::from_pkcs8_pem(pem).map_err(|e| GmError::BadKey(e.to_string()))?;
        Self::from_secret(secret)
    }

    /// As PKCS#8 DER.
    pub fn to_pkcs8_der(&self) -> Vec<u8> {
        self.secret
            .to_pkcs8_der()
            .map(|d| d.as_bytes().to_vec())
            .unwrap_or_default()
    }

    /// As PKCS#8 PEM.
    pub fn to_pkcs8_pem(&self) -> String {
        self.secret
            .to_pkcs8_pem(sm2::pkcs8::LineEnding::LF)
            .map(|p| p.to_string())
            .unwrap_or_default()
    }

    /// Its public half.
    pub fn public_key(&self) -> Sm2PublicKey {
        Sm2PublicKey {
            verifying: self.signing.verifying_key().clone(),
        }
    }

    /// Signs `message` (SM3 over `Z_A ‖ message`); `r ‖ s`.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        let signature: sm2::dsa::Signature = self.signing.sign(message);
        let mut out = [0u8; 64];
        out.copy_from_slice(&signature.to_bytes());
        out
    }
}

/// A public SM2 key, for verifying.
#[derive(Clone)]
pub struct Sm2PublicKey {
    verifying: sm2::dsa::VerifyingKey,
}

impl PartialEq for Sm2PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.verifying.as_affine() == other.verifying.as_affine()
    }
}

impl Eq for Sm2PublicKey {}

impl std::fmt::Debug for Sm2PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sm2PublicKey({:?})", self.to_jwk())
    }
}

/// A public SM2 key as a JWK (`kty` `EC`, `crv` `SM2`, base64url `x` and `y`), with the
/// optional members ZheliKit's key sets carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Sm2Jwk {
    /// `EC`.
    pub kty: String,
    /// `SM2`.
    pub crv: String,
    /// The x coordinate, 32 bytes, base64url.
    pub x: String,
    /// The y coordinate, 32 bytes, base64url.
    pub y: String,
    /// The key id, in key sets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// `SM2`, in key sets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
}

impl Sm2PublicKey {
    /// From SEC1 bytes (`04 ‖ x ‖ y`, or compressed).
    pub fn from_sec1(bytes: &[u8]) -> Result<Self, GmError> {
        let verifying = sm2::dsa::VerifyingKey::from_sec1_bytes(DEFAULT_DISTID, bytes)
            .map_err(|e| GmError::BadKey(e.to_string()))?;
        Ok(Self { verifying })
    }

    /// From SPKI DER.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, GmError> {
        let public =
            sm2::PublicKey::from_public_key_der(der).map_err(|e| GmError::BadKey(e.to_string()))?;
        Self::from_sec1(&public.to_sec1_bytes())
    }

    /// From SPKI PEM (`-----BEGIN PUBLIC KEY-----`).
    pub fn from_spki_pem(pem: &str) -> Result<Self, GmError> {
        let public =
            sm2::PublicKey::from_public_key_pem(pem).map_err(|e| GmError::BadKey(e.to_string()))?;
        Self::from_sec1(&public.to_sec1_bytes())
    }

    /// From a JWK; the curve must be `SM2`.
    pub fn from_jwk(jwk: &Sm2Jwk) -> Result<Self, GmError> {
        if jwk.kty != "EC" || jwk.crv != "SM2" {
            return Err(GmError::BadKey(format!(
                "a JWK of kty {} crv {}, not EC SM2",
                jwk.kty, jwk.crv
            )));
        }
        let coordinate = |c: &str| {
            URL_SAFE_NO_PAD
                .decode(c)
                .ok()
                .filter(|b| b.len() == 32)
                .ok_or_else(|| GmError::BadKey("x and y must be 32 bytes of base64url".into()))
        };
        let mut sec1 = vec![4u8];
        sec1.extend(coordinate(&jwk.x)?);
        sec1.extend(coordinate(&jwk.y)?);
        Self::from_sec1(&sec1)
    }

    /// `04 ‖ x ‖ y`.
    pub fn to_sec1(&self) -> Vec<u8> {
        self.sm2_public().to_sec1_bytes().to_vec()
    }

    fn sm2_public(&self) -> sm2::PublicKey {
        sm2::PublicKey::from_affine(*self.verifying.as_affine())
            .unwrap_or_else(|_| unreachable!("a verifying key is a valid public key"))
    }

    /// As SPKI DER.
    pub fn to_spki_der(&self) -> Vec<u8> {
        self.sm2_public()
            .to_public_key_der()
            .map(|d| d.as_bytes().to_vec())
            .unwrap_or_default()
    }

    /// As SPKI PEM.
    pub fn to_spki_pem(&self) -> String {
        self.sm2_public()
            .to_public_key_pem(sm2::pkcs8::LineEnding::LF)
            .unwrap_or_default()
    }

    /// As a JWK without `kid` or `alg`.
    pub fn to_jwk(&self) -> Sm2Jwk {
        let sec1 = self.to_sec1();
        Sm2Jwk {
            kty: "EC".into(),
            crv: "SM2".into(),
            x: URL_SAFE_NO_PAD.encode(&sec1[1..33]),
            y: URL_SAFE_NO_PAD.encode(&sec1[33..65]),
            kid: None,
            alg: None,
        }
    }

    /// A stable id for the key: base64url of the SM3 of its SEC1 bytes, first 16 bytes.
    pub fn thumbprint(&self) -> String {
        URL_SAFE_NO_PAD.encode(&sm3(&self.to_sec1())[..16])
    }

    /// Verifies `r ‖ s` over `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), GmError> {
        let signature = sm2::dsa::Signature::from_slice(signature)
            .map_err(|e| GmError::BadSignature(e.to_string()))?;
        self.verifying
            .verify(message, &signature)
            .map_err(|_| GmError::Mismatch)
    }

    /// Verifies a DER signature (as `openssl pkeyutl -sign` writes) over `message`.
    pub fn verify_der(&self, message: &[u8], der: &[u8]) -> Result<(), GmError> {
        self.verify(message, &der_to_raw(der)?)
    }
}

/// `r ‖ s` as DER `SEQUENCE {INTEGER r, INTEGER s}`, minimal encoding.
pub fn raw_to_der(raw: &[u8; 64]) -> Vec<u8> {
    fn integer(bytes: &[u8]) -> Vec<u8> {
        let start = bytes
            .iter()
            .position(|b| *b != 0)
            .unwrap_or(bytes.len() - 1);
        let mut value = bytes[start..].to_vec();
        if value[0] & 0x80 != 0 {
            value.insert(0, 0);
        }
        let mut out = vec![0x02, value.len() as u8];
        out.extend(value);
        out
    }
    let (r, s) = (integer(&raw[..32]), integer(&raw[32..]));
    let mut out = vec![0x30, (r.len() + s.len()) as u8];
    out.extend(r);
    out.extend(s);
    out
}

/// DER `SEQUENCE {INTEGER r, INTEGER s}` as `r ‖ s`; anything else is refused.
pub fn der_to_raw(der: &[u8]) -> Result<[u8; 64], GmError> {
    let bad = |why: &str| GmError::BadSignature(format!("DER: {why}"));
    let body = match der {
        [0x30, len, body @ ..] if usize::from(*len) == body.len() && *len < 0x80 => body,
        _ => return Err(bad("not a short SEQUENCE")),
    };
    let mut out = [0u8; 64];
    let mut rest = body;
    for half in 0..2 {
        let (value, tail) = match rest {
            [0x02, len, tail @ ..] if usize::from(*len) <= tail.len() && *len > 0 => {
                tail.split_at(usize::from(*len))
            }
            _ => return Err(bad("not an INTEGER")),
        };
        let value = match value {
            [0, v @ ..] if v.first().is_some_and(|b| b & 0x80 != 0) => v,
            [b, ..] if b & 0x80 != 0 => return Err(bad("a negative INTEGER")),
            v => v,
        };
        if value.len() > 32 {
            return Err(bad("an INTEGER longer than 32 bytes"));
        }
        out[half * 32 + 32 - value.len()..(half + 1) * 32].copy_from_slice(value);
        rest = tail;
    }
    if !rest.is_empty() {
        return Err(bad("bytes after the two INTEGERs"));
    }
    Ok(out)
}

/// A compact JWS (`header.payload.signature`, base64url) signed SM2 by `key`.
pub fn sign_jws(key: &Sm2PrivateKey, header: &serde_json::Value, payload: &[u8]) -> String {
    let header = URL_SAFE_NO_PAD.encode(serde_json::to_vec(header).unwrap_or_default());
    let payload = URL_SAFE_NO_PAD.encode(payload);
    let signature = key.sign(format!("{header}.{payload}").as_bytes());
    format!("{header}.{payload}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// The parts of a compact JWS: its header and payload decoded, checked against `key` when one
/// is given. The header's `alg` must be [`JWS_ALG`].
pub struct Jws {
    /// The protected header.
    pub header: serde_json::Map<String, serde_json::Value>,
    /// The payload bytes.
    pub payload: Vec<u8>,
    signing_input: String,
    signature: Vec<u8>,
}

impl Jws {
    /// Splits and decodes `compact`; nothing is verified yet.
    pub fn parse(compact: &str) -> Result<Self, String> {
        let mut parts = compact.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err("a JWS has three parts separated by '.'".into());
        };
        let decode = |what: &str, part: &str| {
            URL_SAFE_NO_PAD
                .decode(part)
                .map_err(|_| format!("the JWS {what} is not base64url"))
        };
        let header = serde_json::from_slice(&decode("header", h)?)
            .map_err(|_| "the JWS header is not a JSON object".to_string())?;
        Ok(Self {
            header,
            payload: decode("payload", p)?,
            signing_input: format!("{h}.{p}"),
            signature: decode("signature", s)?,
        })
    }

    /// The header's `alg` is SM2 and the signature verifies under `key`.
    pub fn verify(&self, key: &Sm2PublicKey) -> Result<(), GmError> {
        match self.header.get("alg").and_then(|a| a.as_str()) {
            Some(JWS_ALG) => key.verify(self.signing_input.as_bytes(), &self.signature),
            other => Err(GmError::BadSignature(format!(
                "alg {other:?}, not {JWS_ALG}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hex text (the standards' vectors) as bytes.
    pub(super) fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn sm3_matches_the_standards_examples() {
        // GB/T 32905-2016, Appendix A.
        assert_eq!(
            sm3(b"abc").to_vec(),
            unhex("66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")
        );
        assert_eq!(
            sm3("abcd".repeat(16).as_bytes()).to_vec(),
            unhex("debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732")
        );
    }

    /// GM/T 0003.5-2012 (GB/T 32918.5-2017) Annex A.2: the recommended curve, ID
    /// `1234567812345678`, message "message digest".
    const VECTOR_PRIVATE: &str = "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8";
    const VECTOR_PUBLIC: &str = "0409F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13";
    const VECTOR_SIGNATURE: &str = "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA";

    #[test]
    fn sm2_matches_the_standards_example() {
        let key = Sm2PrivateKey::from_scalar(&unhex(VECTOR_PRIVATE)).unwrap();
        assert_eq!(key.public_key().to_sec1(), unhex(VECTOR_PUBLIC));
        let public = Sm2PublicKey::from_sec1(&unhex(VECTOR_PUBLIC)).unwrap();
        public
            .verify(b"message digest", &unhex(VECTOR_SIGNATURE))
            .expect("the published signature verifies");
        assert_eq!(
            public.verify(b"message digesT", &unhex(VECTOR_SIGNATURE)),
            Err(GmError::Mismatch)
        );
        // Our own signatures verify too (k is random, so they differ from the example's).
        let ours = key.sign(b"message digest");
        public.verify(b"message digest", &ours).unwrap();
    }

    #[test]
    fn keys_round_trip_through_pkcs8_spki_and_jwk() {
        let key = Sm2PrivateKey::generate();
        let again = Sm2PrivateKey::from_pkcs8_pem(&key.to_pkcs8_pem()).unwrap();
        assert_eq!(again.public_key(), key.public_key());
        let der = Sm2PrivateKey::from_pkcs8_der(&key.to_pkcs8_der()).unwrap();
        assert_eq!(der.public_key(), key.public_key());
        let public = key.public_key();
        assert_eq!(
            Sm2PublicKey::from_spki_pem(&public.to_spki_pem()).unwrap(),
            public
        );
        assert_eq!(
            Sm2PublicKey::from_spki_der(&public.to_spki_der()).unwrap(),
            public
        );
        assert_eq!(Sm2PublicKey::from_jwk(&public.to_jwk()).unwrap(), public);
        let mut p256 = public.to_jwk();
        p256.crv = "P-256".into();
        assert!(matches!(
            Sm2PublicKey::from_jwk(&p256),
            Err(GmError::BadKey(_))
        ));
    }

    #[test]
    fn der_signatures_convert_both_ways_and_garbage_is_refused() {
        let raw: [u8; 64] = unhex(VECTOR_SIGNATURE).try_into().unwrap();
        let der = raw_to_der(&raw);
        assert_eq!(der[0], 0x30);
        assert_eq!(der_to_raw(&der).unwrap(), raw);
        let mut small = [0u8; 64];
        small[31] = 1;
        small[63] = 0x7f;
        assert_eq!(der_to_raw(&raw_to_der(&small)).unwrap(), small);
        for bad in [
            &[][..],
            &[0x30, 0x02, 0x02, 0x00][..],
            &[0x31, 0x00][..],
            &[0x30, 0x03, 0x02, 0x01, 0x80][..],
        ] {
            assert!(der_to_raw(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_jws_verifies_under_its_key_only_and_only_as_sm2() {
        let key = Sm2PrivateKey::generate();
        let jws = sign_jws(
            &key,
            &serde_json::json!({"alg": JWS_ALG, "typ": "JWT"}),
            b"{\"a\":1}",
        );
        let parsed = Jws::parse(&jws).unwrap();
        parsed.verify(&key.public_key()).unwrap();
        assert_eq!(parsed.payload, b"{\"a\":1}");
        assert_eq!(
            parsed.verify(&Sm2PrivateKey::generate().public_key()),
            Err(GmError::Mismatch)
        );
        let forged = sign_jws(&key, &serde_json::json!({"alg": "none"}), b"{}");
        assert!(matches!(
            Jws::parse(&forged).unwrap().verify(&key.public_key()),
            Err(GmError::BadSignature(_))
        ));
        assert!(Jws::parse("a.b").is_err());
    }
}
