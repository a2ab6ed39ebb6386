//! Sharing a certificate online (出示给线上核验方): a registered verifier asks for some claims
//! of one certificate, for a purpose; the holder's device shows who asks, why and for what,
//! flags what the verifier is not registered to ask for, and — when the person approves —
//! answers with a presentation made for that verifier and its nonce. An over-asking request is
//! refused unless the person explicitly allows it.
//!
//! The rules here are the one place both sides read: the BFF registers verifiers and keeps the
//! request; the SDK checks the request against the verifier's registration itself, so a
//! request the BFF passed on wrongly is still caught on the device.

use serde::{Deserialize, Serialize};

use crate::vault::verifier::Verification;
use crate::vault::CertificateKind;

/// How long a request may be answered, in seconds.
pub const REQUEST_TTL_SECS: i64 = 600;

/// What a verifier is registered to ask for of one kind of certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AllowedClaims {
    /// The kind.
    pub kind: CertificateKind,
    /// The claims it may ask for.
    pub claims: Vec<String>,
}

/// A verifier registered to ask for certificates online (a service counter's system, a bank's
/// loan desk). Its id is the id of the mini-app it asks through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VerifierRegistration {
    /// Its id (the mini-app it asks through), the presentation's `aud`.
    pub id: String,
    /// Who it is, as the person reads it, e.g. `温州市公安局交通警察支队`.
    pub name: String,
    /// What it may ask for, in words the person reads.
    pub purposes: Vec<String>,
    /// The claims it may ask for, by kind.
    pub allowed: Vec<AllowedClaims>,
}

/// Checks a registry of verifiers (a deployment's configuration): ids unique and not empty,
/// a name, at least one purpose, and only claims the catalogue has for each kind; the first
/// fault, naming its verifier. Pure.
pub fn check_verifiers(registry: &[VerifierRegistration]) -> Result<(), String> {
    let mut seen = std::collections::BTreeSet::new();
    for v in registry {
        if v.id.trim().is_empty() || !seen.insert(v.id.as_str()) {
            return Err(format!("verifier id {:?} is empty or used twice", v.id));
        }
        if v.name.trim().is_empty() || v.purposes.is_empty() {
            return Err(format!("verifier {} needs a name and a purpose", v.id));
        }
        for a in &v.allowed {
            if let Some(c) = a.claims.iter().find(|c| a.kind.claim(c).is_none()) {
                return Err(format!(
                    "verifier {}: a {} has no claim {c}",
                    v.id,
                    a.kind.as_str()
                ));
            }
        }
    }
    Ok(())
}

impl VerifierRegistration {
    /// The claims of `claims` this verifier is not registered to ask of `kind`: over-asking.
    pub fn over_asked(&self, kind: CertificateKind, claims: &[String]) -> Vec<String> {
        let allowed = self.allowed.iter().find(|a| a.kind == kind);
        claims
            .iter()
            .filter(|c| allowed.is_none_or(|a| !a.claims.contains(c)))
            .cloned()
            .collect()
    }
}

/// The verifiers registered on the demo stack.
pub fn demo_verifiers() -> Vec<VerifierRegistration> {
    let claims = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
    vec![VerifierRegistration {
        id: "zk-demo-verifier".into(),
        name: "温州市公安局交通警察支队".into(),
        purposes: vec!["交通执法现场核验驾驶资格".into(), "核验身份".into()],
        allowed: vec![
            AllowedClaims {
                kind: CertificateKind::DrivingLicence,
                claims: claims(&[
                    "name_masked",
                    "id_number_masked",
                    "licence_number_masked",
                    "licence_class",
                    "licence_valid",
                    "age_over_18",
                ]),
            },
            AllowedClaims {
                kind: CertificateKind::VehicleLicence,
                claims: claims(&["plate_masked", "inspection_valid"]),
            },
            AllowedClaims {
                kind: CertificateKind::ResidentId,
                claims: claims(&[
                    "name_masked",
                    "id_number_masked",
                    "age_over_18",
                    "resident_of_wenzhou",
                ]),
            },
        ],
    }]
}

/// `POST /v1/vault/share-requests` (the verifier): ask a holder for claims of one certificate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateShareRequest {
    /// The kind of certificate.
    pub kind: CertificateKind,
    /// The claims asked for.
    pub claims: Vec<String>,
    /// Why, one of the verifier's registered purposes.
    pub purpose: String,
}

/// A share request, as the verifier made it and the holder reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShareRequest {
    /// Its id (what the verifier shows the holder, e.g. as a QR).
    pub id: String,
    /// Who asks.
    pub verifier: VerifierRegistration,
    /// Why.
    pub purpose: String,
    /// The kind of certificate.
    pub kind: CertificateKind,
    /// The claims asked for.
    pub claims: Vec<String>,
    /// The nonce the presentation must carry.
    pub nonce: String,
    /// Until when it can be answered (seconds since the epoch).
    pub expires_at: i64,
}

/// Why a holder did not share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Declined {
    /// The person said no.
    Declined,
    /// The request asked for claims the verifier is not registered for, and the person did
    /// not allow it (the default).
    OverAsked,
}

/// `POST /v1/vault/share-requests/{id}/response` (the holder): a presentation, or why not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShareResponse {
    /// The presentation for the verifier (`aud` its id, the request's nonce).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presentation: Option<String>,
    /// Why not, instead of a presentation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declined: Option<Declined>,
}

/// Where a share request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ShareState {
    /// Not answered yet.
    Pending,
    /// Answered with a presentation (see the verification).
    Answered,
    /// The holder did not share (see why).
    Declined,
}

/// `GET /v1/vault/share-requests/{id}/result` (the verifier), and what the holder's answer got.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShareResult {
    /// Where it stands.
    pub state: ShareState,
    /// The check of the presentation, when answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
    /// Why not, when declined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declined: Option<Declined>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_registry_passes_its_own_check_and_faults_are_named() {
        let demo = demo_verifiers();
        assert_eq!(check_verifiers(&demo), Ok(()));
        let twice = [demo[0].clone(), demo[0].clone()];
        assert!(check_verifiers(&twice).unwrap_err().contains("used twice"));
        let mut bad = demo[0].clone();
        bad.allowed[0].claims.push("shoe_size".into());
        assert!(check_verifiers(&[bad]).unwrap_err().contains("shoe_size"));
    }

    #[test]
    fn over_asking_is_what_the_registration_does_not_name() {
        let officer = &demo_verifiers()[0];
        let asked = vec!["licence_valid".to_string(), "id_number".to_string()];
        assert_eq!(
            officer.over_asked(CertificateKind::DrivingLicence, &asked),
            ["id_number"]
        );
        assert_eq!(
            officer.over_asked(CertificateKind::HomePurchase, &asked),
            asked,
            "a kind it is not registered for at all"
        );
        assert!(officer
            .over_asked(CertificateKind::ResidentId, &["age_over_18".to_string()])
            .is_empty());
        for allowed in &officer.allowed {
            for claim in &allowed.claims {
                assert!(
                    allowed.kind.claim(claim).is_some(),
                    "{claim} is a claim of {:?}",
                    allowed.kind
                );
            }
        }
    }
}
