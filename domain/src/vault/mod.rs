//! 个人数据宝 (the personal data vault), what every side of it shares: the e-certificate
//! format (SD-JWT VC with 国密, [`sd_jwt`]), revocation ([`status_list`]), and the one verifier
//! the SDK, the BFF and verifier apps all use ([`sd_jwt::verify`]).

pub mod catalogue;
pub mod consent;
pub mod correction;
pub mod history;
pub mod objection;
pub mod qr;
pub mod sd_jwt;
pub mod share;
pub mod status_list;
pub mod verifier;
pub mod wire;

use serde::{Deserialize, Serialize};

use crate::gm::Sm2Jwk;
pub use catalogue::{CertificateKind, ClaimClass, ClaimDef};

/// The server's id of a request a person's device made (`label` names the kind of request):
/// the same for the same person's same `request_id`, so a retried request lands on the same
/// record. 32 hex digits of SM3.
pub(crate) fn request_key(label: &str, user_id: &str, request_id: &str) -> String {
    let digest = crate::gm::sm3(format!("{label}\0{user_id}\0{request_id}").as_bytes());
    crate::gm::hex(&digest)[..32].to_string()
}

/// A department's answer to an issuance request: the credential, bound to the holder key the
/// request named.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuedCertificate {
    /// The SD-JWT VC, every claim disclosed (`jwt~disclosure~…~`).
    pub credential: String,
    /// Its kind.
    pub kind: CertificateKind,
    /// When it expires (seconds since the epoch).
    pub expires_at: i64,
    /// After this the holder should pull it again (the department's data may have changed).
    pub refresh_after: i64,
}

/// A department's published issuer keys (JWKS-like), for verifiers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuerKeySet {
    /// The issuer id its credentials carry (`iss`).
    pub issuer: String,
    /// The department (`public_security` …).
    pub department: String,
    /// Its SM2 keys, each with `kid` and `alg`.
    pub keys: Vec<Sm2Jwk>,
    /// The same keys as SPKI PEM, by `kid`, for tools that read PEM (`openssl`).
    pub spki_pem: std::collections::BTreeMap<String, String>,
}

/// `jws` verifies under the key of issuer `iss` that its `kid` names: how everything a
/// department signs with its issuer key (a credential, a correction's decision, an 一件事 part's
/// status) is checked.
pub fn verify_issued_by(
    jws: &crate::gm::Jws,
    iss: &str,
    issuers: &[IssuerKeySet],
) -> Result<(), String> {
    let kid = jws.header.get("kid").and_then(|k| k.as_str());
    let jwk = issuers
        .iter()
        .filter(|i| i.issuer == iss)
        .flat_map(|i| i.keys.iter())
        .find(|k| k.kid.as_deref() == kid)
        .ok_or_else(|| format!("no key {kid:?} of issuer {iss}"))?;
    let key = crate::gm::Sm2PublicKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    jws.verify(&key).map_err(|e| e.to_string())
}

/// A department's signed status list (`statuslist+jwt`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusListToken {
    /// The compact JWS.
    pub token: String,
}

/// What a department answers for the vault, typed by the operation that asked.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum VaultRecord {
    /// An issued certificate.
    Certificate(IssuedCertificate),
    /// The issuer's keys.
    IssuerKeys(IssuerKeySet),
    /// The issuer's status list.
    StatusList(StatusListToken),
    /// The department's receipt of a correction request.
    CorrectionReceipt(correction::CorrectionReceipt),
}
