//! 数据纠错 (correcting the government's data): the citizen disputes one claim of a certificate
//! — which claim, the value it should have, why, and evidence — and the department that issued
//! it decides. `SUBMITTED → ACCEPTED | REJECTED (with the department's reason)`, and an accepted
//! correction becomes `REISSUED` when the citizen's device pulls the corrected certificate; the
//! department has by then revoked every credential it issued with the wrong value (its status
//! list says so to every verifier).
//!
//! Who sees what (可用不可见): the proposed value, the reason and the evidence go to the
//! department; ZheliKit's server keeps only their SM3 digest, so it can show that what the
//! department decided on is what the citizen sent, and the citizen's device keeps the text.
//! The department's decision reaches the server as a JWS signed with the department's issuer
//! key ([`DECISION_TYP`]), the key its certificates verify under, so the server relays nothing
//! it could have made up.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::gm::{self, hex, sm3, Sm2PrivateKey};
use crate::input::{invalid as refuse, Invalid};
use crate::vault::catalogue::{issuer_id, ClaimClass};
use crate::vault::{CertificateKind, IssuerKeySet};

/// `typ` of a department's signed decision.
pub const DECISION_TYP: &str = "zhelikit-correction+jwt";
/// Largest evidence file, decoded (a phone photo or a scanned page).
pub const MAX_EVIDENCE_BYTES: usize = 2 * 1024 * 1024;
/// What evidence may be: a photo or a PDF.
pub const EVIDENCE_TYPES: [&str; 3] = ["image/jpeg", "image/png", "application/pdf"];
/// Longest proposed value, in characters.
pub const MAX_VALUE_CHARS: usize = 200;
/// Longest reason, in characters.
pub const MAX_REASON_CHARS: usize = 500;
/// Longest evidence file name, in characters.
const MAX_NAME_CHARS: usize = 100;

/// A file the citizen attaches to a dispute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Evidence {
    /// The file's name as the person chose it (`户口本首页.jpg`).
    pub name: String,
    /// `image/jpeg`, `image/png` or `application/pdf`.
    pub media_type: String,
    /// The file, standard base64; at most [`MAX_EVIDENCE_BYTES`] decoded.
    pub content: String,
}

/// Body of `POST /v1/vault/corrections` (the citizen's device).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DisputeRequest {
    /// Made on the device once per dispute and sent again on every retry: a retry after a lost
    /// answer is the same dispute, not a second one. 8–64 letters, digits or `-`.
    pub request_id: String,
    /// The certificate's kind.
    pub kind: CertificateKind,
    /// The claim in dispute: one of the kind's raw claims (`school`, `birth_date` …); masked
    /// and yes/no claims follow from those.
    pub claim: String,
    /// The value the citizen says it should have.
    pub proposed_value: String,
    /// Why.
    pub reason: String,
    /// Evidence, if any.
    pub evidence: Option<Evidence>,
    /// The disputed credential's issuer-signed JWT (the part before the first `~`, no
    /// disclosure): the department knows which credential to revoke, and reads no value from
    /// it.
    pub credential: String,
}

/// A dispute that passed [`DisputeRequest::check`]: the digests the server keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedDispute {
    /// SM3 of the claim, proposed value, reason and evidence digest, hex.
    pub proposal_digest: String,
    /// SM3 of the evidence file, hex.
    pub evidence_digest: Option<String>,
}

impl DisputeRequest {
    /// Checks every field; the first wrong one is named. Pure.
    pub fn check(&self) -> Result<CheckedDispute, Invalid> {
        crate::input::request_id(&self.request_id)?;
        match self.kind.claim(&self.claim) {
            Some(c) if c.class == ClaimClass::Raw => {}
            Some(c) => {
                return Err(refuse(
                    "claim",
                    format!("“{}”由其他信息推出，请对其依据的信息申请纠错", c.label),
                    format!(
                        "{} follows from other claims: dispute the claim it is made from",
                        self.claim
                    ),
                ))
            }
            None => {
                return Err(refuse(
                    "claim",
                    format!("{}没有“{}”这一项", self.kind.name_zh(), self.claim),
                    format!("a {} has no claim {}", self.kind.as_str(), self.claim),
                ))
            }
        }
        let value = self.proposed_value.trim();
        if value.is_empty() || value.chars().count() > MAX_VALUE_CHARS {
            return Err(refuse(
                "proposed_value",
                format!("请填写正确的值（1–{MAX_VALUE_CHARS} 个字）"),
                format!("give the correct value (1–{MAX_VALUE_CHARS} characters)"),
            ));
        }
        let reason = self.reason.trim().chars().count();
        if !(2..=MAX_REASON_CHARS).contains(&reason) {
            return Err(refuse(
                "reason",
                format!("请说明理由（2–{MAX_REASON_CHARS} 个字）"),
                format!("give a reason (2–{MAX_REASON_CHARS} characters)"),
            ));
        }
        let evidence_digest = match &self.evidence {
            Some(e) => Some(check_evidence(e)?),
            None => None,
        };
        check_credential(&self.credential, self.kind)?;
        Ok(CheckedDispute {
            proposal_digest: proposal_digest(
                &self.claim,
                value,
                &self.reason,
                evidence_digest.as_deref(),
            ),
            evidence_digest,
        })
    }
}

/// SM3 (hex) of what a dispute proposes — the claim, the value and the reason (trimmed) and the
/// evidence's digest — which identifies a dispute without holding it.
pub fn proposal_digest(
    claim: &str,
    value: &str,
    reason: &str,
    evidence_digest: Option<&str>,
) -> String {
    let mut input = Vec::new();
    for part in [
        claim,
        value.trim(),
        reason.trim(),
        evidence_digest.unwrap_or(""),
    ] {
        input.extend_from_slice(part.as_bytes());
        input.push(0);
    }
    hex(&sm3(&input))
}

/// The evidence's SM3 digest, hex, once its name, type and size are acceptable.
fn check_evidence(e: &Evidence) -> Result<String, Invalid> {
    let name = e.name.trim().chars().count();
    if name == 0 || name > MAX_NAME_CHARS {
        return Err(refuse(
            "evidence",
            format!("证明材料须有文件名（最多 {MAX_NAME_CHARS} 个字）"),
            format!("the evidence needs a file name (at most {MAX_NAME_CHARS} characters)"),
        ));
    }
    if !EVIDENCE_TYPES.contains(&e.media_type.as_str()) {
        return Err(refuse(
            "evidence",
            "证明材料须为 JPG、PNG 图片或 PDF 文件",
            format!(
                "evidence must be {} (not {})",
                EVIDENCE_TYPES.join(", "),
                e.media_type
            ),
        ));
    }
    // Base64 is 4/3 of the bytes: refuse an oversized file before decoding it.
    if e.content.len() > MAX_EVIDENCE_BYTES / 3 * 4 + 4 {
        return Err(too_big());
    }
    let bytes = STANDARD.decode(e.content.as_bytes()).map_err(|_| {
        refuse(
            "evidence",
            "证明材料内容无法读取（须为 base64）",
            "the evidence content is not standard base64",
        )
    })?;
    if bytes.is_empty() {
        return Err(refuse(
            "evidence",
            "证明材料是空文件",
            "the evidence file is empty",
        ));
    }
    if bytes.len() > MAX_EVIDENCE_BYTES {
        return Err(too_big());
    }
    Ok(hex(&sm3(&bytes)))
}

fn too_big() -> Invalid {
    refuse(
        "evidence",
        format!("证明材料不能超过 {} MB", MAX_EVIDENCE_BYTES / (1024 * 1024)),
        format!(
            "evidence is at most {} MiB",
            MAX_EVIDENCE_BYTES / (1024 * 1024)
        ),
    )
}

/// The credential's JWT says it is a `kind` from `kind`'s department. Its signature is the
/// department's to check: it revokes nothing it did not issue.
fn check_credential(credential: &str, kind: CertificateKind) -> Result<(), Invalid> {
    let wrong = || {
        refuse(
            "credential",
            format!("不是一张{}", kind.name_zh()),
            format!("not a {} credential", kind.as_str()),
        )
    };
    if credential.contains('~') {
        return Err(refuse(
            "credential",
            "只需签发方签名部分，不含任何披露项",
            "send the issuer-signed JWT only, without disclosures",
        ));
    }
    let jws = gm::Jws::parse(credential).map_err(|_| wrong())?;
    let claims: serde_json::Value = serde_json::from_slice(&jws.payload).map_err(|_| wrong())?;
    let vct_ok = claims["vct"].as_str() == Some(kind.vct().as_str());
    let iss_ok = claims["iss"].as_str() == Some(issuer_id(kind.department()).as_str());
    if vct_ok && iss_ok {
        Ok(())
    } else {
        Err(wrong())
    }
}

/// The id of a dispute: the same for the same person's same `request_id`, so a filing that is
/// retried reaches the department under one reference. 32 hex digits.
pub fn correction_id(user_id: &str, request_id: &str) -> String {
    super::request_key("zhelikit-correction", user_id, request_id)
}

/// What the server files with the department (through the IRS gateway).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CorrectionFiling {
    /// ZheliKit's id of the correction ([`correction_id`]); the department answers under it
    /// and files one correction per reference however often it is sent.
    pub reference: String,
    /// Whose record.
    pub id_number: String,
    /// The certificate's kind.
    pub kind: CertificateKind,
    /// The claim.
    pub claim: String,
    /// The value the citizen proposes.
    pub proposed_value: String,
    /// Why.
    pub reason: String,
    /// Evidence.
    pub evidence: Option<Evidence>,
    /// The disputed credential's issuer-signed JWT.
    pub credential: String,
}

/// The department's receipt of a filing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CorrectionReceipt {
    /// The filing's reference.
    pub reference: String,
    /// The department's own case number (受理编号).
    pub case_number: String,
    /// When it was received (seconds since the epoch).
    pub received_at: i64,
}

/// Where a correction stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CorrectionStatus {
    /// Filed with the department, not decided yet.
    Submitted,
    /// The department agreed and corrected its record; the certificate is to be pulled again.
    Accepted,
    /// The department kept its record; its reason says why.
    Rejected,
    /// The corrected certificate was pulled (the old one is revoked).
    Reissued,
}

impl CorrectionStatus {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "SUBMITTED",
            Self::Accepted => "ACCEPTED",
            Self::Rejected => "REJECTED",
            Self::Reissued => "REISSUED",
        }
    }

    /// The stored text back; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Submitted,
            Self::Accepted,
            Self::Rejected,
            Self::Reissued,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    /// What the citizen reads.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Submitted => "已提交，待部门处理",
            Self::Accepted => "部门已更正，待重新签发",
            Self::Rejected => "部门未予更正",
            Self::Reissued => "已更正并重新签发",
        }
    }
}

/// What a department's decision does to a correction that is `current`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Record it.
    Apply,
    /// Recorded already (the decision delivered twice): nothing to do.
    AlreadyThere,
    /// Decided otherwise before: a decision is not changed.
    Conflict,
}

/// The rule: a submitted correction is decided once; the same decision again is a repeat
/// (also once the accepted correction was reissued). Pure.
pub fn on_decision(current: CorrectionStatus, outcome: Outcome) -> Transition {
    use CorrectionStatus::*;
    match (current, outcome) {
        (Submitted, _) => Transition::Apply,
        (Accepted | Reissued, Outcome::Accepted) | (Rejected, Outcome::Rejected) => {
            Transition::AlreadyThere
        }
        _ => Transition::Conflict,
    }
}

/// A correction as its citizen sees it (the server's part: no value, no reason text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Correction {
    /// Its id ([`correction_id`]).
    pub id: String,
    /// The device's id of the dispute.
    pub request_id: String,
    /// The certificate's kind.
    pub kind: CertificateKind,
    /// The claim disputed.
    pub claim: String,
    /// The department deciding (`education` …).
    pub department: String,
    /// The department's case number.
    pub case_number: String,
    /// Where it stands.
    pub status: CorrectionStatus,
    /// SM3 of what was filed ([`CheckedDispute::proposal_digest`]).
    pub proposal_digest: String,
    /// When filed (seconds since the epoch).
    pub submitted_at: i64,
    /// When the department decided.
    pub decided_at: Option<i64>,
    /// The department's reason (a rejection's, or a note with an acceptance).
    pub decision_reason: Option<String>,
    /// When the corrected certificate was pulled.
    pub reissued_at: Option<i64>,
}

/// The department's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Corrected.
    Accepted,
    /// Not corrected.
    Rejected,
}

impl Outcome {
    /// The status it leads to.
    pub fn status(self) -> CorrectionStatus {
        match self {
            Self::Accepted => CorrectionStatus::Accepted,
            Self::Rejected => CorrectionStatus::Rejected,
        }
    }
}

/// What a department's decision JWS says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// The issuer (`iss` of its certificates).
    pub iss: String,
    /// The correction's reference.
    pub reference: String,
    /// Accepted or rejected.
    pub outcome: Outcome,
    /// Why (required for a rejection).
    pub reason: Option<String>,
    /// When decided (seconds since the epoch).
    pub iat: i64,
}

/// Body of the department's callback, `POST /v1/vault/corrections/decisions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DecisionCallback {
    /// The decision, a compact JWS ([`DECISION_TYP`]) signed with the department's issuer key.
    pub decision: String,
}

/// Signs `decision` as the department whose issuer key is `key` (`kid`).
pub fn sign_decision(decision: &Decision, key: &Sm2PrivateKey, kid: &str) -> String {
    let header = serde_json::json!({"alg": gm::JWS_ALG, "typ": DECISION_TYP, "kid": kid});
    gm::sign_jws(
        key,
        &header,
        &serde_json::to_vec(decision).unwrap_or_default(),
    )
}

/// Reads a decision, checked against the issuer keys in `issuers`: the key its `kid` names
/// must belong to the issuer its `iss` names, and a rejection must say why.
pub fn verify_decision(token: &str, issuers: &[IssuerKeySet]) -> Result<Decision, String> {
    let jws = gm::Jws::parse(token)?;
    if jws.header.get("typ").and_then(|t| t.as_str()) != Some(DECISION_TYP) {
        return Err(format!("not a {DECISION_TYP}"));
    }
    let decision: Decision =
        serde_json::from_slice(&jws.payload).map_err(|e| format!("the decision's body: {e}"))?;
    super::verify_issued_by(&jws, &decision.iss, issuers)?;
    if decision.outcome == Outcome::Rejected
        && decision
            .reason
            .as_deref()
            .is_none_or(|r| r.trim().is_empty())
    {
        return Err("a rejection must give its reason".into());
    }
    Ok(decision)
}

/// The disputed credential (as in [`DisputeRequest::credential`], already checked) carries its
/// issuer's signature: a dispute is about a certificate the department really issued.
pub fn verify_credential_signature(
    credential: &str,
    issuers: &[IssuerKeySet],
) -> Result<(), String> {
    let jws = gm::Jws::parse(credential)?;
    let claims: serde_json::Value =
        serde_json::from_slice(&jws.payload).map_err(|e| e.to_string())?;
    let iss = claims["iss"]
        .as_str()
        .ok_or("the credential names no issuer")?;
    super::verify_issued_by(&jws, iss, issuers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::sd_jwt::{issue, Issuance};
    use crate::vault::status_list::StatusReference;

    fn credential(kind: CertificateKind, key: &Sm2PrivateKey) -> String {
        let issuance = Issuance {
            issuer: issuer_id(kind.department()),
            kid: "k1".into(),
            vct: kind.vct(),
            iat: 1_700_000_000,
            exp: 1_800_000_000,
            holder: Sm2PrivateKey::generate().public_key(),
            status: StatusReference {
                idx: 7,
                uri: "https://example/status".into(),
            },
            claims: vec![("school".into(), serde_json::json!("温州大学"))],
            raw_claims: Vec::new(),
        };
        let full = issue(&issuance, key).unwrap();
        full.split('~').next().unwrap().to_string()
    }

    fn dispute(key: &Sm2PrivateKey) -> DisputeRequest {
        DisputeRequest {
            request_id: "dev-12345678".into(),
            kind: CertificateKind::Education,
            claim: "school".into(),
            proposed_value: "温州医科大学".into(),
            reason: "毕业院校记录有误".into(),
            evidence: Some(Evidence {
                name: "毕业证.png".into(),
                media_type: "image/png".into(),
                content: STANDARD.encode(b"\x89PNG fake bytes"),
            }),
            credential: credential(CertificateKind::Education, key),
        }
    }

    #[test]
    fn a_good_dispute_passes_and_its_digest_covers_what_was_sent() {
        let key = Sm2PrivateKey::generate();
        let d = dispute(&key);
        let checked = d.check().unwrap();
        assert_eq!(checked.proposal_digest.len(), 64);
        assert_eq!(
            checked.evidence_digest.as_deref(),
            Some(hex(&sm3(b"\x89PNG fake bytes")).as_str())
        );
        let other = DisputeRequest {
            proposed_value: "温州理工学院".into(),
            ..d.clone()
        };
        assert_ne!(
            other.check().unwrap().proposal_digest,
            checked.proposal_digest
        );
    }

    #[test]
    fn each_bad_field_is_named() {
        let key = Sm2PrivateKey::generate();
        let good = dispute(&key);
        let field = |d: DisputeRequest| d.check().unwrap_err().field;
        assert_eq!(
            field(DisputeRequest {
                request_id: "short".into(),
                ..good.clone()
            }),
            "request_id"
        );
        for claim in ["bachelor_or_above", "certificate_number_masked", "nope"] {
            assert_eq!(
                field(DisputeRequest {
                    claim: claim.into(),
                    ..good.clone()
                }),
                "claim",
                "{claim}"
            );
        }
        assert_eq!(
            field(DisputeRequest {
                proposed_value: "  ".into(),
                ..good.clone()
            }),
            "proposed_value"
        );
        assert_eq!(
            field(DisputeRequest {
                reason: "x".into(),
                ..good.clone()
            }),
            "reason"
        );
        let with = |e: Evidence| DisputeRequest {
            evidence: Some(e),
            ..good.clone()
        };
        let e = good.evidence.clone().unwrap();
        for bad in [
            Evidence {
                media_type: "text/html".into(),
                ..e.clone()
            },
            Evidence {
                content: "not base64!".into(),
                ..e.clone()
            },
            Evidence {
                content: String::new(),
                ..e.clone()
            },
            Evidence {
                content: STANDARD.encode(vec![0u8; MAX_EVIDENCE_BYTES + 1]),
                ..e.clone()
            },
            Evidence {
                name: String::new(),
                ..e.clone()
            },
        ] {
            assert_eq!(field(with(bad)), "evidence");
        }
        // Another kind's credential, a credential with disclosures, garbage.
        for credential in [
            credential(CertificateKind::DrivingLicence, &key),
            format!("{}~WyJzIiwibiIsInYiXQ~", good.credential),
            "a.b.c".into(),
        ] {
            assert_eq!(
                field(DisputeRequest {
                    credential,
                    ..good.clone()
                }),
                "credential"
            );
        }
    }

    #[test]
    fn ids_are_stable_per_person_and_request() {
        assert_eq!(correction_id("u1", "r1"), correction_id("u1", "r1"));
        assert_ne!(correction_id("u1", "r1"), correction_id("u2", "r1"));
        assert_ne!(correction_id("u1", "r1"), correction_id("u1", "r2"));
        assert_eq!(correction_id("u1", "r1").len(), 32);
    }

    #[test]
    fn a_correction_is_decided_once() {
        use CorrectionStatus::*;
        assert_eq!(on_decision(Submitted, Outcome::Accepted), Transition::Apply);
        assert_eq!(on_decision(Submitted, Outcome::Rejected), Transition::Apply);
        for (current, outcome) in [
            (Accepted, Outcome::Accepted),
            (Reissued, Outcome::Accepted),
            (Rejected, Outcome::Rejected),
        ] {
            assert_eq!(on_decision(current, outcome), Transition::AlreadyThere);
        }
        for (current, outcome) in [
            (Accepted, Outcome::Rejected),
            (Reissued, Outcome::Rejected),
            (Rejected, Outcome::Accepted),
        ] {
            assert_eq!(on_decision(current, outcome), Transition::Conflict);
        }
        for s in [Submitted, Accepted, Rejected, Reissued] {
            assert_eq!(CorrectionStatus::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn decisions_verify_under_their_issuers_key_only() {
        let key = Sm2PrivateKey::generate();
        let mut jwk = key.public_key().to_jwk();
        jwk.kid = Some("edu-1".into());
        let issuers = vec![IssuerKeySet {
            issuer: issuer_id("education"),
            department: "education".into(),
            keys: vec![jwk],
            spki_pem: Default::default(),
        }];
        let decision = Decision {
            iss: issuer_id("education"),
            reference: "r".into(),
            outcome: Outcome::Accepted,
            reason: None,
            iat: 1,
        };
        let token = sign_decision(&decision, &key, "edu-1");
        assert_eq!(verify_decision(&token, &issuers), Ok(decision.clone()));
        // Another key under the same kid; the right key claiming another issuer; no reason.
        let forged = sign_decision(&decision, &Sm2PrivateKey::generate(), "edu-1");
        assert!(verify_decision(&forged, &issuers).is_err());
        let elsewhere = Decision {
            iss: issuer_id("transport"),
            ..decision.clone()
        };
        assert!(verify_decision(&sign_decision(&elsewhere, &key, "edu-1"), &issuers).is_err());
        let bare = Decision {
            outcome: Outcome::Rejected,
            ..decision
        };
        assert!(
            verify_decision(&sign_decision(&bare, &key, "edu-1"), &issuers)
                .unwrap_err()
                .contains("reason")
        );
    }
}
