//! E-certificates as SD-JWT VCs (RFC 9901 SD-JWT; the IETF SD-JWT VC type `dc+sd-jwt`), signed
//! and hashed with 国密, built and taken apart with `sd-jwt-payload`:
//!
//! - **Signatures**: JOSE `alg` `SM2` ([`gm::JWS_ALG`]: SM2 over SM3, ID `1234567812345678`,
//!   `r ‖ s`), for the issuer's JWT and the holder's key binding JWT alike.
//! - **Digests**: `_sd_alg` `sm3`. SD-JWT asks for a name from IANA's "Named Information Hash
//!   Algorithm" registry, which has no SM3; `sm3` is the name GM/T 0006 and OpenSSL use. A
//!   verifier outside the 国密 world would need SM3 anyway, to check the SM2 signatures.
//! - **Holder binding**: `cnf.jwk` is a device key made for this credential alone (so two
//!   presentations of different credentials cannot be linked by key); a presentation carries a
//!   KB-JWT over the disclosed SD-JWT (`sd_hash`), with the verifier's `aud`, a `nonce` and
//!   `iat`.
//! - **Status**: `status.status_list` points into the issuer's Token Status List.
//!
//! Every claim about the person is selectively disclosable: raw values, masked values and
//! predicates (`age_over_18` …) alike, each its own disclosure, so a presentation shows exactly
//! what the person chose. The raw values sit together in one disclosable object, [`RAW_GROUP`]
//! (each value still its own disclosure inside it): a presentation of masked and predicate
//! claims, the default, then carries one digest for all the raw values instead of one each,
//! which is what keeps a 亮证 QR small ([`crate::vault::qr`]). What is always visible: the
//! issuer, the type, the dates, the holder key and the status pointer.
//!
//! Salts are 16 random bytes (128 bits, RFC 9901 §9.3's floor; the crate's default is 30).

use sd_jwt_payload::{Hasher, JwsSigner, KeyBindingJwt, RequiredKeyBinding, SdJwt, SdJwtBuilder};
use serde_json::{json, Map, Value};

use crate::gm::{self, Jws, Sm2PrivateKey, Sm2PublicKey};
use crate::lang::Text;
use crate::vault::status_list::{StatusReference, TokenStatus};

/// `_sd_alg` of ZheliKit's credentials.
pub const SD_ALG: &str = "sm3";
/// The `typ` of an issuer-signed SD-JWT VC.
pub const VC_TYP: &str = "dc+sd-jwt";
/// The `typ` of a key binding JWT.
pub const KB_TYP: &str = "kb+jwt";
/// The longest a presentation is accepted after it was made (its KB-JWT's `iat`), in seconds:
/// 亮证 QR codes are refreshed well within it.
pub const MAX_PRESENTATION_AGE_SECS: i64 = 120;
/// How far a presenter's clock may be ahead of the verifier's, in seconds.
pub const MAX_CLOCK_AHEAD_SECS: i64 = 30;
/// Longest SD-JWT accepted, in bytes (a certificate is a few kilobytes).
pub const MAX_SD_JWT_BYTES: usize = 64 * 1024;
/// The disclosable object the raw claims sit in.
pub const RAW_GROUP: &str = "raw";
/// Random bytes in each disclosure's salt.
pub const SALT_BYTES: usize = 16;

/// SM3 for disclosure digests.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sm3Hasher;

impl Hasher for Sm3Hasher {
    fn digest(&self, input: &[u8]) -> Vec<u8> {
        gm::sm3(input).to_vec()
    }

    fn alg_name(&self) -> &str {
        SD_ALG
    }
}

/// Signs JWTs with an SM2 key, for `sd-jwt-payload`.
struct Sm2Signer<'k> {
    key: &'k Sm2PrivateKey,
}

#[async_trait::async_trait]
impl JwsSigner for Sm2Signer<'_> {
    type Error = String;

    async fn sign(
        &self,
        header: &Map<String, Value>,
        payload: &Map<String, Value>,
    ) -> Result<Vec<u8>, String> {
        let payload = serde_json::to_vec(payload).map_err(|e| e.to_string())?;
        Ok(gm::sign_jws(self.key, &Value::Object(header.clone()), &payload).into_bytes())
    }
}

/// Runs one of `sd-jwt-payload`'s async steps whose signer never waits (ours signs at once).
fn ready<T>(future: impl std::future::Future<Output = T>) -> Result<T, String> {
    futures::FutureExt::now_or_never(Box::pin(future))
        .ok_or_else(|| "the signer did not answer at once".to_string())
}

/// What an issuer (a department) puts in a credential.
#[derive(Debug, Clone)]
pub struct Issuance {
    /// The issuer's id (`iss`), e.g. `https://departments.example/public_security`.
    pub issuer: String,
    /// The issuer key's id (`kid`).
    pub kid: String,
    /// The credential type (`vct`), e.g. `urn:zhelikit:cert:driving_licence`.
    pub vct: String,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Expires at.
    pub exp: i64,
    /// The holder's device key for this credential.
    pub holder: Sm2PublicKey,
    /// Where its status is kept.
    pub status: StatusReference,
    /// The masked and predicate claims about the person, each selectively disclosable, in
    /// order.
    pub claims: Vec<(String, Value)>,
    /// The raw claims, each selectively disclosable, inside the disclosable [`RAW_GROUP`].
    pub raw_claims: Vec<(String, Value)>,
}

/// Issues the credential: the compact SD-JWT `jwt~disclosure~…~`, every claim disclosed.
pub fn issue(issuance: &Issuance, key: &Sm2PrivateKey) -> Result<String, String> {
    let mut object = Map::new();
    object.insert("iss".into(), json!(issuance.issuer));
    object.insert("vct".into(), json!(issuance.vct));
    object.insert("iat".into(), json!(issuance.iat));
    object.insert("exp".into(), json!(issuance.exp));
    object.insert("status".into(), json!({"status_list": issuance.status}));
    let mut raw = Map::new();
    for (name, value) in &issuance.claims {
        if object.contains_key(name) || name == RAW_GROUP {
            return Err(format!("claim {name} clashes with a registered claim"));
        }
        object.insert(name.clone(), value.clone());
    }
    for (name, value) in &issuance.raw_claims {
        if object.contains_key(name) || raw.contains_key(name) {
            return Err(format!("claim {name} is named twice"));
        }
        raw.insert(name.clone(), value.clone());
    }
    let grouped = !raw.is_empty();
    if grouped {
        object.insert(RAW_GROUP.into(), Value::Object(raw));
    }
    let mut builder =
        SdJwtBuilder::new_with_hasher_and_salt_size(Value::Object(object), Sm3Hasher, SALT_BYTES)
            .map_err(|e| e.to_string())?;
    // The raw values first: once their group is concealed, their paths are gone.
    for (name, _) in &issuance.raw_claims {
        builder = builder
            .make_concealable(&raw_path(name))
            .map_err(|e| e.to_string())?;
    }
    if grouped {
        builder = builder
            .make_concealable(&format!("/{RAW_GROUP}"))
            .map_err(|e| e.to_string())?;
    }
    for (name, _) in &issuance.claims {
        builder = builder
            .make_concealable(&format!("/{}", json_pointer_escape(name)))
            .map_err(|e| e.to_string())?;
    }
    let jwk = serde_json::to_value(issuance.holder.to_jwk()).map_err(|e| e.to_string())?;
    let Value::Object(jwk) = jwk else {
        return Err("a JWK is an object".into());
    };
    let sd_jwt = ready(
        builder
            .header("typ", VC_TYP)
            .header("kid", issuance.kid.clone())
            .require_key_binding(RequiredKeyBinding::Jwk(jwk))
            .finish(&Sm2Signer { key }, gm::JWS_ALG),
    )?
    .map_err(|e| e.to_string())?;
    Ok(sd_jwt.presentation())
}

fn json_pointer_escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

fn raw_path(name: &str) -> String {
    format!("/{RAW_GROUP}/{}", json_pointer_escape(name))
}

/// The claims a credential can disclose, with their values: what the holder holds. An error
/// when it is not an SD-JWT.
pub fn disclosable_claims(credential: &str) -> Result<Map<String, Value>, String> {
    let sd_jwt = SdJwt::parse(credential).map_err(|e| e.to_string())?;
    let mut claims = Map::new();
    for disclosure in sd_jwt.disclosures() {
        match &disclosure.claim_name {
            Some(name) if name != RAW_GROUP => {
                claims.insert(name.clone(), disclosure.claim_value.clone());
            }
            _ => {}
        }
    }
    Ok(claims)
}

/// What the holder shows to whom.
#[derive(Debug, Clone)]
pub struct PresentationRequest<'a> {
    /// The claims to disclose (by name); every other stays hidden.
    pub disclose: &'a [String],
    /// The verifier (`aud`): a verifier's id, or `zhelikit:in-person` for a 亮证 QR.
    pub audience: &'a str,
    /// The nonce the verifier gave, or one the holder made for a QR.
    pub nonce: &'a str,
    /// Now, seconds since the epoch (the KB-JWT's `iat`).
    pub iat: i64,
}

/// A presentation of `credential` disclosing only what `request` names, bound to the holder by
/// a KB-JWT signed with `holder` (the credential's `cnf` key).
pub fn present(
    credential: &str,
    request: &PresentationRequest<'_>,
    holder: &Sm2PrivateKey,
) -> Result<String, String> {
    let sd_jwt = SdJwt::parse(credential).map_err(|e| e.to_string())?;
    // Where each claim sits: at the top, or in the raw group.
    let full = sd_jwt
        .clone()
        .into_disclosed_object(&Sm3Hasher)
        .map_err(|e| e.to_string())?;
    let raw = full.get(RAW_GROUP).and_then(Value::as_object);
    let mut paths = Vec::with_capacity(request.disclose.len());
    for claim in request.disclose {
        if claim != RAW_GROUP && full.contains_key(claim) {
            paths.push(format!("/{}", json_pointer_escape(claim)));
        } else if raw.is_some_and(|r| r.contains_key(claim)) {
            paths.push(raw_path(claim));
        } else {
            return Err(format!("the credential has no claim {claim}"));
        }
    }
    let mut builder = sd_jwt
        .into_presentation(&Sm3Hasher)
        .map_err(|e| e.to_string())?
        .conceal_all();
    for path in &paths {
        // Disclosing a raw value discloses its group too (it holds the value's digest).
        builder = builder.disclose(path).map_err(|e| e.to_string())?;
    }
    let (mut shown, _hidden) = builder.finish();
    let kb = ready(
        KeyBindingJwt::builder()
            .iat(request.iat)
            .aud(request.audience)
            .nonce(request.nonce)
            .finish(&shown, &Sm3Hasher, gm::JWS_ALG, &Sm2Signer { key: holder }),
    )?
    .map_err(|e| e.to_string())?;
    shown.attach_key_binding_jwt(kb);
    Ok(shown.presentation())
}

/// What a verifier expects of a presentation.
#[derive(Debug, Clone)]
pub struct Expectation<'a> {
    /// Its own id: the KB-JWT's `aud` must be it.
    pub audience: &'a str,
    /// The nonce it gave, if it gave one (a QR's nonce is the holder's; the verifier then
    /// refuses a nonce it has seen, with [`ReplayGuard`]).
    pub nonce: Option<&'a str>,
    /// Now, seconds since the epoch.
    pub now: i64,
}

/// What the issuer's status list says, as the verifier's cache has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusCheck {
    /// From a list within its time to live.
    Fresh(TokenStatus),
    /// From a list past its time to live or expiry (the issuer could not be reached since).
    Stale(TokenStatus),
    /// No list could be had.
    Unavailable,
}

/// How current the credential's status is, in a verified presentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StatusFreshness {
    /// Valid per a current list.
    Valid,
    /// Valid per a list past its time to live: show it as not confirmed.
    Stale,
    /// No list could be had: show it as not confirmed.
    Unknown,
}

/// A presentation that verified.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// The issuer (`iss`).
    pub issuer: String,
    /// The credential type (`vct`).
    pub vct: String,
    /// Issued at.
    pub iat: i64,
    /// Expires at.
    pub exp: i64,
    /// The disclosed claims (and nothing else about the person).
    pub claims: Map<String, Value>,
    /// How current its status is (revoked and suspended credentials do not verify).
    pub status: StatusFreshness,
    /// The nonce of its key binding.
    pub nonce: String,
}

/// Why a presentation was refused, in words an officer or a bank understands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// Not an SD-JWT of ours (bad encoding, missing parts, too large).
    #[error("malformed presentation: {0}")]
    Malformed(String),
    /// Issued by someone whose key the verifier does not know.
    #[error("unknown issuer {issuer} (key {kid})")]
    UnknownIssuer {
        /// `iss`.
        issuer: String,
        /// `kid`.
        kid: String,
    },
    /// The issuer's signature does not verify: altered or forged.
    #[error("the issuer's signature does not verify")]
    BadIssuerSignature,
    /// A disclosure does not match any digest the issuer signed.
    #[error("a disclosed claim was altered: {0}")]
    TamperedDisclosure(String),
    /// Past its expiry.
    #[error("the credential expired at {0}")]
    Expired(i64),
    /// No key binding JWT, or one that does not verify under the credential's key.
    #[error("not presented by its holder: {0}")]
    BadKeyBinding(String),
    /// Made for another verifier.
    #[error("made for {got}, not {expected}")]
    WrongAudience {
        /// This verifier.
        expected: String,
        /// The KB-JWT's `aud`.
        got: String,
    },
    /// Not the nonce this verifier gave.
    #[error("the nonce does not match")]
    WrongNonce,
    /// Made too long ago (or in the future).
    #[error("made {age_secs} s ago; presentations are valid for {MAX_PRESENTATION_AGE_SECS} s")]
    TooOld {
        /// Seconds since it was made (negative: ahead of our clock).
        age_secs: i64,
    },
    /// Seen before (a replayed QR).
    #[error("this presentation was already used")]
    Replayed,
    /// Revoked by its issuer.
    #[error("the credential was revoked by its issuer")]
    Revoked,
    /// Suspended by its issuer.
    #[error("the credential is suspended by its issuer")]
    Suspended,
}

impl VerifyError {
    /// A stable code for the refusal.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "malformed",
            Self::UnknownIssuer { .. } => "unknown_issuer",
            Self::BadIssuerSignature => "bad_issuer_signature",
            Self::TamperedDisclosure(_) => "tampered_disclosure",
            Self::Expired(_) => "expired",
            Self::BadKeyBinding(_) => "bad_key_binding",
            Self::WrongAudience { .. } => "wrong_audience",
            Self::WrongNonce => "wrong_nonce",
            Self::TooOld { .. } => "presentation_too_old",
            Self::Replayed => "replayed",
            Self::Revoked => "revoked",
            Self::Suspended => "suspended",
        }
    }

    /// What the person checking reads, in zh-CN and English.
    pub fn text(&self) -> Text {
        let zh = match self {
            Self::Malformed(_) => "无法识别的证照码".to_string(),
            Self::UnknownIssuer { issuer, .. } => format!("签发机构 {issuer} 不在可信名单中"),
            Self::BadIssuerSignature => "签发机构的签名校验失败，证照可能被伪造".to_string(),
            Self::TamperedDisclosure(_) => "证照内容被篡改".to_string(),
            Self::Expired(_) => "证照已过有效期".to_string(),
            Self::BadKeyBinding(_) => "出示人不是证照持有人（设备签名无效）".to_string(),
            Self::WrongAudience { .. } => "该证照码是出示给其他核验方的".to_string(),
            Self::WrongNonce => "该证照码不是为本次核验生成的".to_string(),
            Self::TooOld { .. } => format!(
                "证照码已过期（有效 {MAX_PRESENTATION_AGE_SECS} 秒），请持证人刷新后重新出示"
            ),
            Self::Replayed => "该证照码已被使用过，请持证人刷新后重新出示".to_string(),
            Self::Revoked => "证照已被签发机构注销".to_string(),
            Self::Suspended => "证照已被签发机构暂停使用".to_string(),
        };
        Text::new(zh, self.to_string())
    }
}

fn claim_i64(claims: &Map<String, Value>, name: &str) -> Result<i64, VerifyError> {
    claims
        .get(name)
        .and_then(Value::as_i64)
        .ok_or_else(|| VerifyError::Malformed(format!("no {name}")))
}

fn claim_str(claims: &Map<String, Value>, name: &str) -> Result<String, VerifyError> {
    claims
        .get(name)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| VerifyError::Malformed(format!("no {name}")))
}

/// Verifies a presentation: the issuer's signature (with `issuer_key(iss, kid)`), every
/// disclosure against the signed digests, expiry, the holder's key binding (`aud`, `nonce`,
/// `iat`, `sd_hash`, signed by `cnf.jwk`) and the status (`status(reference)`). Pure: the
/// caller brings the keys, the status and the clock.
pub fn verify(
    presentation: &str,
    issuer_key: impl Fn(&str, &str) -> Option<Sm2PublicKey>,
    status: impl Fn(&StatusReference) -> StatusCheck,
    expect: &Expectation<'_>,
) -> Result<Verified, VerifyError> {
    if presentation.len() > MAX_SD_JWT_BYTES {
        return Err(VerifyError::Malformed(format!(
            "larger than {MAX_SD_JWT_BYTES} bytes"
        )));
    }
    let Some((issuer_jwt, rest)) = presentation.split_once('~') else {
        return Err(VerifyError::Malformed(
            "no '~' after the issuer's JWT".into(),
        ));
    };
    let jws = Jws::parse(issuer_jwt).map_err(VerifyError::Malformed)?;
    if jws.header.get("typ").and_then(Value::as_str) != Some(VC_TYP) {
        return Err(VerifyError::Malformed(format!("typ is not {VC_TYP}")));
    }
    let signed: Map<String, Value> = serde_json::from_slice(&jws.payload)
        .map_err(|_| VerifyError::Malformed("the issuer's claims are not a JSON object".into()))?;
    let issuer = claim_str(&signed, "iss")?;
    let kid = jws
        .header
        .get("kid")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let key = issuer_key(&issuer, &kid).ok_or_else(|| VerifyError::UnknownIssuer {
        issuer: issuer.clone(),
        kid: kid.clone(),
    })?;
    jws.verify(&key)
        .map_err(|_| VerifyError::BadIssuerSignature)?;
    if signed.get("_sd_alg").and_then(Value::as_str) != Some(SD_ALG) {
        return Err(VerifyError::Malformed(format!("_sd_alg is not {SD_ALG}")));
    }

    // The key binding: the last part, over everything before it.
    let Some((disclosed, kb_jwt)) = presentation.rsplit_once('~') else {
        return Err(VerifyError::Malformed("no key binding part".into()));
    };
    if kb_jwt.is_empty() || rest.is_empty() {
        return Err(VerifyError::BadKeyBinding("no key binding JWT".into()));
    }
    let holder = signed
        .get("cnf")
        .and_then(|c| c.get("jwk"))
        .and_then(|j| serde_json::from_value::<gm::Sm2Jwk>(j.clone()).ok())
        .and_then(|jwk| Sm2PublicKey::from_jwk(&jwk).ok())
        .ok_or_else(|| VerifyError::Malformed("no SM2 holder key (cnf.jwk)".into()))?;
    let kb = Jws::parse(kb_jwt).map_err(VerifyError::BadKeyBinding)?;
    if kb.header.get("typ").and_then(Value::as_str) != Some(KB_TYP) {
        return Err(VerifyError::BadKeyBinding(format!("typ is not {KB_TYP}")));
    }
    kb.verify(&holder)
        .map_err(|_| VerifyError::BadKeyBinding("not signed by the credential's key".into()))?;
    let kb_claims: Map<String, Value> = serde_json::from_slice(&kb.payload)
        .map_err(|_| VerifyError::BadKeyBinding("claims are not a JSON object".into()))?;
    // The same digest the holder's KB-JWT was made with (`sd-jwt-payload`'s).
    let sd_hash = Sm3Hasher.encoded_digest(&format!("{disclosed}~"));
    if kb_claims.get("sd_hash").and_then(Value::as_str) != Some(sd_hash.as_str()) {
        return Err(VerifyError::BadKeyBinding(
            "sd_hash does not cover these disclosures".into(),
        ));
    }
    let aud = kb_claims
        .get("aud")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if aud != expect.audience {
        return Err(VerifyError::WrongAudience {
            expected: expect.audience.to_string(),
            got: aud.to_string(),
        });
    }
    let nonce = kb_claims
        .get("nonce")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if expect.nonce.is_some_and(|n| n != nonce) || nonce.is_empty() {
        return Err(VerifyError::WrongNonce);
    }
    let made = kb_claims
        .get("iat")
        .and_then(Value::as_i64)
        .ok_or_else(|| VerifyError::BadKeyBinding("no iat".into()))?;
    let age_secs = expect.now - made;
    if age_secs > MAX_PRESENTATION_AGE_SECS || age_secs < -MAX_CLOCK_AHEAD_SECS {
        return Err(VerifyError::TooOld { age_secs });
    }

    // The disclosures against the signed digests.
    let sd_jwt = SdJwt::parse(presentation).map_err(|e| VerifyError::Malformed(e.to_string()))?;
    let mut claims = sd_jwt
        .into_disclosed_object(&Sm3Hasher)
        .map_err(|e| VerifyError::TamperedDisclosure(e.to_string()))?;
    let exp = claim_i64(&claims, "exp")?;
    if expect.now > exp {
        return Err(VerifyError::Expired(exp));
    }
    let vct = claim_str(&claims, "vct")?;
    let iat = claim_i64(&claims, "iat")?;
    let reference: StatusReference = claims
        .get("status")
        .and_then(|s| s.get("status_list"))
        .and_then(|s| serde_json::from_value(s.clone()).ok())
        .ok_or_else(|| VerifyError::Malformed("no status_list".into()))?;
    let freshness = match status(&reference) {
        StatusCheck::Fresh(TokenStatus::Valid) => StatusFreshness::Valid,
        StatusCheck::Stale(TokenStatus::Valid) => StatusFreshness::Stale,
        StatusCheck::Unavailable => StatusFreshness::Unknown,
        StatusCheck::Fresh(TokenStatus::Suspended) | StatusCheck::Stale(TokenStatus::Suspended) => {
            return Err(VerifyError::Suspended)
        }
        StatusCheck::Fresh(_) | StatusCheck::Stale(_) => return Err(VerifyError::Revoked),
    };
    for registered in [
        "iss", "vct", "iat", "exp", "status", "cnf", "_sd", "_sd_alg",
    ] {
        claims.remove(registered);
    }
    if let Some(Value::Object(raw)) = claims.remove(RAW_GROUP) {
        for (name, value) in raw {
            if name != "_sd" {
                claims.insert(name, value);
            }
        }
    }
    Ok(Verified {
        issuer,
        vct,
        iat,
        exp,
        claims,
        status: freshness,
        nonce,
    })
}

/// The nonces of presentations a verifier accepted in the last
/// [`MAX_PRESENTATION_AGE_SECS`] (plus the clock allowance): a QR shown again is refused.
#[derive(Debug, Default)]
pub struct ReplayGuard {
    seen: std::collections::HashMap<String, i64>,
}

impl ReplayGuard {
    /// Records `nonce` seen at `now`; [`VerifyError::Replayed`] if it was seen within the window.
    pub fn check(&mut self, nonce: &str, now: i64) -> Result<(), VerifyError> {
        let window = MAX_PRESENTATION_AGE_SECS + MAX_CLOCK_AHEAD_SECS;
        self.seen.retain(|_, at| now - *at <= window);
        if self.seen.contains_key(nonce) {
            return Err(VerifyError::Replayed);
        }
        self.seen.insert(nonce.to_string(), now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_796_176_800;

    struct Fixture {
        issuer: Sm2PrivateKey,
        holder: Sm2PrivateKey,
        credential: String,
    }

    fn fixture() -> Fixture {
        let issuer = Sm2PrivateKey::generate();
        let holder = Sm2PrivateKey::generate();
        let credential = issue(
            &Issuance {
                issuer: "https://dept.example/transport".into(),
                kid: "transport-1".into(),
                vct: "urn:zhelikit:cert:driving_licence".into(),
                iat: NOW - 3600,
                exp: NOW + 365 * 86_400,
                holder: holder.public_key(),
                status: StatusReference {
                    idx: 42,
                    uri: "https://dept.example/transport/status".into(),
                },
                claims: vec![
                    ("id_number_masked".into(), json!("330302********1234")),
                    ("age_over_18".into(), json!(true)),
                    ("licence_valid".into(), json!(true)),
                ],
                raw_claims: vec![
                    ("name".into(), json!("孙磊刚")),
                    ("id_number".into(), json!("330302199001011234")),
                    ("licence_class".into(), json!("C1")),
                ],
            },
            &issuer,
        )
        .unwrap();
        Fixture {
            issuer,
            holder,
            credential,
        }
    }

    fn shown(f: &Fixture, claims: &[&str], audience: &str, nonce: &str, iat: i64) -> String {
        let disclose: Vec<String> = claims.iter().map(|c| c.to_string()).collect();
        present(
            &f.credential,
            &PresentationRequest {
                disclose: &disclose,
                audience,
                nonce,
                iat,
            },
            &f.holder,
        )
        .unwrap()
    }

    fn check(
        f: &Fixture,
        presentation: &str,
        status: StatusCheck,
        now: i64,
    ) -> Result<Verified, VerifyError> {
        let key = f.issuer.public_key();
        verify(
            presentation,
            |iss, kid| {
                (iss == "https://dept.example/transport" && kid == "transport-1")
                    .then(|| key.clone())
            },
            |_| status,
            &Expectation {
                audience: "officer-7",
                nonce: None,
                now,
            },
        )
    }

    #[test]
    fn a_presentation_shows_only_the_chosen_claims_and_verifies() {
        let f = fixture();
        assert_eq!(disclosable_claims(&f.credential).unwrap().len(), 6);
        let p = shown(
            &f,
            &["age_over_18", "licence_valid", "id_number_masked"],
            "officer-7",
            "n1",
            NOW,
        );
        let v = check(&f, &p, StatusCheck::Fresh(TokenStatus::Valid), NOW + 5).unwrap();
        assert_eq!(v.vct, "urn:zhelikit:cert:driving_licence");
        assert_eq!(v.status, StatusFreshness::Valid);
        let mut names: Vec<&String> = v.claims.keys().collect();
        names.sort();
        assert_eq!(names, ["age_over_18", "id_number_masked", "licence_valid"]);
        assert!(
            !p.contains("330302199001011234"),
            "the raw number never travels"
        );
        assert_eq!(v.nonce, "n1");
    }

    #[test]
    fn a_raw_claim_is_disclosed_alone_and_comes_out_beside_the_others() {
        let f = fixture();
        let without = shown(&f, &["age_over_18"], "officer-7", "n1", NOW);
        let with = shown(
            &f,
            &["age_over_18", "licence_class"],
            "officer-7",
            "n2",
            NOW,
        );
        // The raw group and the one raw value: two more disclosures, nothing else.
        assert_eq!(with.matches('~').count(), without.matches('~').count() + 2);
        let v = check(&f, &with, StatusCheck::Fresh(TokenStatus::Valid), NOW).unwrap();
        let mut names: Vec<&String> = v.claims.keys().collect();
        names.sort();
        assert_eq!(names, ["age_over_18", "licence_class"]);
        assert_eq!(v.claims["licence_class"], json!("C1"));
        assert!(!with.contains("330302199001011234") && !with.contains("孙磊刚"));
        let v = check(&f, &without, StatusCheck::Fresh(TokenStatus::Valid), NOW).unwrap();
        assert_eq!(
            v.claims.len(),
            1,
            "the raw group is not a claim: {:?}",
            v.claims
        );
    }

    #[test]
    fn the_raw_group_is_not_a_claim_one_can_ask_for() {
        let f = fixture();
        let disclose = vec![RAW_GROUP.to_string()];
        let asked = present(
            &f.credential,
            &PresentationRequest {
                disclose: &disclose,
                audience: "officer-7",
                nonce: "n1",
                iat: NOW,
            },
            &f.holder,
        );
        assert!(asked.is_err(), "{asked:?}");
    }

    #[test]
    fn every_kind_of_forgery_is_refused_with_its_reason() {
        let f = fixture();
        let p = shown(&f, &["age_over_18"], "officer-7", "n1", NOW);
        let fresh = StatusCheck::Fresh(TokenStatus::Valid);

        // Another verifier, too old, from the future.
        let elsewhere = shown(&f, &["age_over_18"], "bank-1", "n1", NOW);
        assert!(matches!(
            check(&f, &elsewhere, fresh, NOW),
            Err(VerifyError::WrongAudience { .. })
        ));
        assert!(matches!(
            check(&f, &p, fresh, NOW + 121),
            Err(VerifyError::TooOld { .. })
        ));
        assert!(matches!(
            check(&f, &p, fresh, NOW - 31),
            Err(VerifyError::TooOld { .. })
        ));

        // Revoked, suspended, stale.
        assert_eq!(
            check(&f, &p, StatusCheck::Fresh(TokenStatus::Invalid), NOW),
            Err(VerifyError::Revoked)
        );
        assert_eq!(
            check(&f, &p, StatusCheck::Stale(TokenStatus::Suspended), NOW),
            Err(VerifyError::Suspended)
        );
        assert_eq!(
            check(&f, &p, StatusCheck::Stale(TokenStatus::Valid), NOW)
                .unwrap()
                .status,
            StatusFreshness::Stale,
            "a stale list is reported as stale, not as valid"
        );

        // A disclosure swapped for one the issuer never signed.
        let parts: Vec<&str> = p.split('~').collect();
        let forged_disclosure = {
            use base64::Engine as _;
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(r#"["c2FsdHNhbHRzYWx0c2FsdA","age_over_18",false]"#)
        };
        let tampered = format!("{}~{}~{}", parts[0], forged_disclosure, parts[2]);
        let refused = check(&f, &tampered, fresh, NOW).unwrap_err();
        assert!(
            matches!(
                refused,
                VerifyError::BadKeyBinding(_) | VerifyError::TamperedDisclosure(_)
            ),
            "{refused:?}"
        );

        // The holder itself adds a claim the issuer never signed and binds it properly.
        let disclosed = format!("{}~{}~", parts[0], forged_disclosure);
        let kb = gm::sign_jws(
            &f.holder,
            &json!({"alg": gm::JWS_ALG, "typ": KB_TYP}),
            &serde_json::to_vec(&json!({"iat": NOW, "aud": "officer-7", "nonce": "n1",
                "sd_hash": Sm3Hasher.encoded_digest(&disclosed)}))
            .unwrap(),
        );
        assert!(matches!(
            check(&f, &format!("{disclosed}{kb}"), fresh, NOW),
            Err(VerifyError::TamperedDisclosure(_))
        ));

        // An issuer JWT re-signed by someone else; an unknown issuer key.
        let mallory = Sm2PrivateKey::generate();
        let jws = Jws::parse(parts[0]).unwrap();
        let resigned = gm::sign_jws(&mallory, &Value::Object(jws.header.clone()), &jws.payload);
        let forged = p.replacen(parts[0], &resigned, 1);
        assert_eq!(
            check(&f, &forged, fresh, NOW),
            Err(VerifyError::BadIssuerSignature)
        );
        let unknown = verify(
            &p,
            |_, _| None,
            |_| fresh,
            &Expectation {
                audience: "officer-7",
                nonce: None,
                now: NOW,
            },
        );
        assert!(matches!(unknown, Err(VerifyError::UnknownIssuer { .. })));

        // No key binding, or one by another key.
        let bare = format!("{}~{}~", parts[0], parts[1]);
        assert!(matches!(
            check(&f, &bare, fresh, NOW),
            Err(VerifyError::BadKeyBinding(_))
        ));
        let disclose = vec!["age_over_18".to_string()];
        let request = PresentationRequest {
            disclose: &disclose,
            audience: "officer-7",
            nonce: "n1",
            iat: NOW,
        };
        let stolen = present(&f.credential, &request, &Sm2PrivateKey::generate()).unwrap();
        assert!(matches!(
            check(&f, &stolen, fresh, NOW),
            Err(VerifyError::BadKeyBinding(_))
        ));

        // Expired (presented just now, a year after its expiry); garbage.
        let later = NOW + 400 * 86_400;
        let expired = shown(&f, &["age_over_18"], "officer-7", "n1", later);
        assert!(matches!(
            check(&f, &expired, fresh, later),
            Err(VerifyError::Expired(_))
        ));
        for garbage in ["", "~", "a.b.c~", "not a presentation"] {
            assert!(check(&f, garbage, fresh, NOW).is_err(), "{garbage:?}");
        }
    }

    #[test]
    fn a_nonce_seen_within_the_window_is_a_replay() {
        let mut guard = ReplayGuard::default();
        guard.check("n1", NOW).unwrap();
        assert_eq!(guard.check("n1", NOW + 10), Err(VerifyError::Replayed));
        guard.check("n2", NOW + 10).unwrap();
        guard.check("n1", NOW + 200).unwrap();
    }

    #[test]
    fn every_refusal_has_words_for_the_officer() {
        let all = [
            VerifyError::Malformed("x".into()),
            VerifyError::BadIssuerSignature,
            VerifyError::Revoked,
            VerifyError::Replayed,
            VerifyError::TooOld { age_secs: 500 },
        ];
        for e in all {
            assert!(!e.text().zh.is_empty() && !e.code().is_empty());
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]

        #[test]
        fn verifying_any_text_never_panics(text in "[A-Za-z0-9_~.-]{0,400}") {
            let f = fixture();
            let _ = check(&f, &text, StatusCheck::Fresh(TokenStatus::Valid), NOW);
        }

        /// One character of a real presentation changed anywhere: refused, or (a change the
        /// decoding cannot see, as in a base64 character's unused bits) the very same claims.
        #[test]
        fn a_presentation_changed_anywhere_attests_nothing_else(at in 0usize..4096, with in "[A-Za-z0-9_~.-]") {
            let f = fixture();
            let p = shown(&f, &["age_over_18", "licence_class"], "officer-7", "n1", NOW);
            let original = check(&f, &p, StatusCheck::Fresh(TokenStatus::Valid), NOW).unwrap();
            let at = at % p.len();
            let mut changed = p.clone();
            changed.replace_range(at..=at, &with);
            match check(&f, &changed, StatusCheck::Fresh(TokenStatus::Valid), NOW) {
                Ok(v) => proptest::prop_assert_eq!(v, original),
                Err(e) => proptest::prop_assert!(!e.code().is_empty()),
            }
        }
    }
}
