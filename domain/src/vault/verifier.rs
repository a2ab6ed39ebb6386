//! What a verifier of e-certificates holds and answers, shared by the SDK (an officer's phone,
//! offline too), the BFF (online verifiers) and any verifier app: the issuers' keys and status
//! lists it has fetched ([`TrustMaterial`]), and the answer a person reads ([`Verification`]).
//! The checks themselves are [`sd_jwt::verify`]; this module only feeds it.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::gm::Sm2PublicKey;
use crate::lang::Text;
use crate::vault::catalogue::{issuer_id, status_list_uri, CertificateKind};
use crate::vault::sd_jwt::{self, Expectation, ReplayGuard, StatusCheck, StatusFreshness};
use crate::vault::status_list::{self, StatusListError, StatusReference, VerifiedStatusList};
use crate::vault::{qr, IssuerKeySet};

/// The audience of a presentation shown in person (a 亮证 QR): any verifier that scans it.
/// Such a presentation's nonce is the holder's, so a verifier refuses one it has seen.
pub const IN_PERSON_AUDIENCE: &str = "zhelikit:in-person";

/// The issuers' keys and status lists a verifier has, with when it fetched each list.
#[derive(Debug, Default, Clone)]
pub struct TrustMaterial {
    issuers: Vec<IssuerKeySet>,
    /// By list URI: the verified list and when it was fetched (seconds).
    lists: HashMap<String, (VerifiedStatusList, i64)>,
}

impl TrustMaterial {
    /// Material with these issuers' keys and no lists yet.
    pub fn new(issuers: Vec<IssuerKeySet>) -> Self {
        Self {
            issuers,
            lists: HashMap::new(),
        }
    }

    /// The key `kid` of issuer `iss`, if the directory has it.
    pub fn issuer_key(&self, iss: &str, kid: &str) -> Option<Sm2PublicKey> {
        self.issuers
            .iter()
            .filter(|set| set.issuer == iss)
            .flat_map(|set| set.keys.iter())
            .find(|jwk| jwk.kid.as_deref() == Some(kid))
            .and_then(|jwk| Sm2PublicKey::from_jwk(jwk).ok())
    }

    /// Adds `department`'s status list token, fetched at `fetched_at`, after checking it is
    /// signed by one of the department's published keys and is the department's list.
    pub fn add_status_list(
        &mut self,
        department: &str,
        token: &str,
        fetched_at: i64,
    ) -> Result<(), StatusListError> {
        let issuer = issuer_id(department);
        let uri = status_list_uri(department);
        let kid = crate::gm::Jws::parse(token)
            .ok()
            .and_then(|jws| jws.header.get("kid")?.as_str().map(str::to_string))
            .unwrap_or_default();
        let key = self
            .issuer_key(&issuer, &kid)
            .ok_or(StatusListError::BadSignature)?;
        let verified = status_list::verify(token, &key, &uri)?;
        self.lists.insert(uri, (verified, fetched_at));
        Ok(())
    }

    /// When `department`'s list was fetched, and whether it may still be relied on at `now`.
    pub fn list_fetched(&self, department: &str, now: i64) -> Option<(i64, bool)> {
        self.lists
            .get(&status_list_uri(department))
            .map(|(list, at)| (*at, list.is_fresh(*at, now)))
    }

    /// What the lists say of `reference` at `now`.
    pub fn status(&self, reference: &StatusReference, now: i64) -> StatusCheck {
        match self.lists.get(&reference.uri) {
            None => StatusCheck::Unavailable,
            Some((list, fetched_at)) => match list.list.get(reference.idx) {
                // An index past the list's end: not a credential of this list.
                None => StatusCheck::Unavailable,
                Some(s) if list.is_fresh(*fetched_at, now) => StatusCheck::Fresh(s),
                Some(s) => StatusCheck::Stale(s),
            },
        }
    }

    /// Checks `text` (a 亮证 QR text or an SD-JWT presentation) made for `audience`, with
    /// `nonce` if the verifier gave one. No replay check: see [`TrustMaterial::verify`], or
    /// record [`sd_jwt::Verified::nonce`] in a guard shared across instances.
    pub fn check(
        &self,
        text: &str,
        audience: &str,
        nonce: Option<&str>,
        now: i64,
    ) -> Result<sd_jwt::Verified, sd_jwt::VerifyError> {
        let presentation =
            qr::presentation_of(text).map_err(|e| sd_jwt::VerifyError::Malformed(e.to_string()))?;
        sd_jwt::verify(
            &presentation,
            |iss, kid| self.issuer_key(iss, kid),
            |reference| self.status(reference, now),
            &Expectation {
                audience,
                nonce,
                now,
            },
        )
    }

    /// [`TrustMaterial::check`], and a presentation whose nonce `replays` has seen within the
    /// window is refused.
    pub fn verify(
        &self,
        text: &str,
        audience: &str,
        nonce: Option<&str>,
        replays: &mut ReplayGuard,
        now: i64,
    ) -> Verification {
        match self.check(text, audience, nonce, now) {
            Ok(verified) => match replays.check(&verified.nonce, now) {
                Ok(()) => Verification::accepted(&verified),
                Err(e) => Verification::refused(&e),
            },
            Err(e) => Verification::refused(&e),
        }
    }
}

/// Where a credential (or presentation) points into its issuer's status list (unverified: the
/// holder reads its own credential's pointer).
pub fn status_reference(text: &str) -> Option<StatusReference> {
    let presentation = qr::presentation_of(text).ok()?;
    let jws = crate::gm::Jws::parse(presentation.split('~').next()?).ok()?;
    let claims: serde_json::Map<String, Value> = serde_json::from_slice(&jws.payload).ok()?;
    serde_json::from_value(claims.get("status")?.get("status_list")?.clone()).ok()
}

/// The department a presentation says issued it (unverified: to know which status list to
/// fetch before verifying), e.g. `transport`.
pub fn claimed_department(text: &str) -> Option<String> {
    let presentation = qr::presentation_of(text).ok()?;
    let jwt = presentation.split('~').next()?;
    let jws = crate::gm::Jws::parse(jwt).ok()?;
    let claims: serde_json::Map<String, Value> = serde_json::from_slice(&jws.payload).ok()?;
    let iss = claims.get("iss")?.as_str()?;
    iss.strip_prefix(&issuer_id("")).map(str::to_string)
}

/// One disclosed claim, for the person checking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckedClaim {
    /// Its name, e.g. `age_over_18`.
    pub name: String,
    /// What a person reads, e.g. `已满 18 周岁` (the name itself for a claim the catalogue
    /// does not know).
    pub label: String,
    /// Its value.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub value: Value,
}

/// The answer of a verification, as the officer (or bank) reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Verification {
    /// Whether the presentation is accepted.
    pub accepted: bool,
    /// Why it was refused: a stable code (`revoked`, `replayed`, …; see
    /// [`sd_jwt::VerifyError::code`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
    /// What to show: "valid", or why not, in zh-CN.
    pub message: String,
    /// The same in English.
    pub message_en: String,
    /// The certificate's kind (`driving_licence` …), when accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Its name (`电子驾驶证`), when accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The issuing department (`transport`), when accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// How current its status is: `valid`, `stale` (the list is past its time to live) or
    /// `unknown` (no list could be had); when accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<StatusFreshness>,
    /// When the credential expires (seconds since the epoch), when accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    /// The disclosed claims, and nothing else about the person.
    pub claims: Vec<CheckedClaim>,
}

impl Verification {
    /// The answer refusing a presentation for `e`.
    pub fn refused(e: &sd_jwt::VerifyError) -> Self {
        let text = e.text();
        Self {
            accepted: false,
            refusal: Some(e.code().to_string()),
            message: text.zh,
            message_en: text.en,
            kind: None,
            name: None,
            department: None,
            status: None,
            expires_at: None,
            claims: Vec::new(),
        }
    }

    /// The answer accepting `v`.
    pub fn accepted(v: &sd_jwt::Verified) -> Self {
        let kind = CertificateKind::from_vct(&v.vct);
        let (zh, en) = match v.status {
            StatusFreshness::Valid => ("证照有效", "valid"),
            StatusFreshness::Stale => (
                "证照签名有效；注销状态未能确认（状态清单已过期，暂时无法更新）",
                "signatures valid; revocation not confirmed (the status list is out of date)",
            ),
            StatusFreshness::Unknown => (
                "证照签名有效；注销状态未能确认（无法取得状态清单）",
                "signatures valid; revocation not confirmed (no status list)",
            ),
        };
        let text = Text::new(zh, en);
        let claims = v
            .claims
            .iter()
            .map(|(name, value)| CheckedClaim {
                name: name.clone(),
                label: kind
                    .and_then(|k| k.claim(name))
                    .map_or_else(|| name.clone(), |c| c.label.to_string()),
                value: value.clone(),
            })
            .collect();
        Self {
            accepted: true,
            refusal: None,
            message: text.zh,
            message_en: text.en,
            kind: kind.map(|k| k.as_str().to_string()),
            name: kind.map(|k| k.name_zh().to_string()),
            department: kind.map(|k| k.department().to_string()),
            status: Some(v.status),
            expires_at: Some(v.exp),
            claims,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;
    use crate::gm::Sm2PrivateKey;
    use crate::vault::sd_jwt::{issue, present, Issuance, PresentationRequest};
    use crate::vault::status_list::{StatusList, TokenStatus};

    const NOW: i64 = 1_796_176_800;
    const DEPT: &str = "transport";

    struct World {
        issuer: Sm2PrivateKey,
        holder: Sm2PrivateKey,
        credential: String,
        material: TrustMaterial,
    }

    fn list_token(issuer: &Sm2PrivateKey, revoked: Option<u32>, iat: i64) -> String {
        let mut list = StatusList::new(1024);
        if let Some(idx) = revoked {
            list.set(idx, TokenStatus::Invalid);
        }
        status_list::sign(
            issuer,
            "transport-1",
            &status_list_uri(DEPT),
            &list,
            iat,
            300,
        )
    }

    fn world() -> World {
        let issuer = Sm2PrivateKey::generate();
        let holder = Sm2PrivateKey::generate();
        let credential = issue(
            &Issuance {
                issuer: issuer_id(DEPT),
                kid: "transport-1".into(),
                vct: CertificateKind::DrivingLicence.vct(),
                iat: NOW - 3600,
                exp: NOW + 86_400,
                holder: holder.public_key(),
                status: StatusReference {
                    idx: 7,
                    uri: status_list_uri(DEPT),
                },
                claims: vec![
                    ("licence_valid".into(), json!(true)),
                    ("age_over_18".into(), json!(true)),
                ],
                raw_claims: vec![("licence_class".into(), json!("C1"))],
            },
            &issuer,
        )
        .unwrap();
        let mut jwk = issuer.public_key().to_jwk();
        jwk.kid = Some("transport-1".into());
        let mut material = TrustMaterial::new(vec![IssuerKeySet {
            issuer: issuer_id(DEPT),
            department: DEPT.into(),
            keys: vec![jwk],
            spki_pem: BTreeMap::new(),
        }]);
        material
            .add_status_list(DEPT, &list_token(&issuer, None, NOW), NOW)
            .unwrap();
        World {
            issuer,
            holder,
            credential,
            material,
        }
    }

    fn code(w: &World, nonce: &str, iat: i64) -> String {
        let disclose = vec!["licence_valid".to_string(), "licence_class".to_string()];
        let p = present(
            &w.credential,
            &PresentationRequest {
                disclose: &disclose,
                audience: IN_PERSON_AUDIENCE,
                nonce,
                iat,
            },
            &w.holder,
        )
        .unwrap();
        qr::encode(&p).unwrap()
    }

    #[test]
    fn a_scanned_code_is_accepted_once_with_its_claims_labelled() {
        let w = world();
        let text = code(&w, "n-1", NOW);
        assert_eq!(claimed_department(&text).as_deref(), Some(DEPT));
        let mut replays = ReplayGuard::default();
        let v = w
            .material
            .verify(&text, IN_PERSON_AUDIENCE, None, &mut replays, NOW + 5);
        assert!(v.accepted, "{v:?}");
        assert_eq!(v.message, "证照有效");
        assert_eq!(v.kind.as_deref(), Some("driving_licence"));
        assert_eq!(v.status, Some(StatusFreshness::Valid));
        let labels: Vec<&str> = v.claims.iter().map(|c| c.label.as_str()).collect();
        assert!(labels.contains(&"驾驶证状态正常") && labels.contains(&"准驾车型"));

        let again = w
            .material
            .verify(&text, IN_PERSON_AUDIENCE, None, &mut replays, NOW + 6);
        assert_eq!(again.refusal.as_deref(), Some("replayed"));
        assert!(again.claims.is_empty());
    }

    #[test]
    fn revoked_stale_unknown_and_foreign_each_get_their_answer() {
        let mut w = world();
        let mut replays = ReplayGuard::default();
        // Past the list's ttl and the department unreachable since: valid, not confirmed.
        let stale = w.material.verify(
            &code(&w, "n-2", NOW + 400),
            IN_PERSON_AUDIENCE,
            None,
            &mut replays,
            NOW + 400,
        );
        assert!(stale.accepted);
        assert_eq!(stale.status, Some(StatusFreshness::Stale));
        assert!(stale.message.contains("未能确认"), "{}", stale.message);

        let revoked = list_token(&w.issuer, Some(7), NOW + 500);
        w.material
            .add_status_list(DEPT, &revoked, NOW + 500)
            .unwrap();
        let v = w.material.verify(
            &code(&w, "n-3", NOW + 500),
            IN_PERSON_AUDIENCE,
            None,
            &mut replays,
            NOW + 500,
        );
        assert_eq!(v.refusal.as_deref(), Some("revoked"));
        assert_eq!(v.message, "证照已被签发机构注销");

        let forged = list_token(&Sm2PrivateKey::generate(), None, NOW);
        assert_eq!(
            w.material.add_status_list(DEPT, &forged, NOW),
            Err(StatusListError::BadSignature)
        );

        let nobody = TrustMaterial::default();
        let v = nobody.verify(
            &code(&w, "n-4", NOW),
            IN_PERSON_AUDIENCE,
            None,
            &mut replays,
            NOW,
        );
        assert_eq!(v.refusal.as_deref(), Some("unknown_issuer"));

        let v = w
            .material
            .verify("HC1:NOT-OURS", IN_PERSON_AUDIENCE, None, &mut replays, NOW);
        assert_eq!(v.refusal.as_deref(), Some("malformed"));
        assert_eq!(claimed_department("garbage"), None);
    }

    #[test]
    fn an_old_code_is_refused_and_says_to_refresh() {
        let w = world();
        let mut replays = ReplayGuard::default();
        let v = w.material.verify(
            &code(&w, "n-5", NOW),
            IN_PERSON_AUDIENCE,
            None,
            &mut replays,
            NOW + 121,
        );
        assert_eq!(v.refusal.as_deref(), Some("presentation_too_old"));
        assert!(v.message.contains("刷新"), "{}", v.message);
    }
}
