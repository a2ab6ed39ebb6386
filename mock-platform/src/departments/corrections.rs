//! 数据纠错 at the issuing departments: each takes correction requests against its own
//! certificates ([`Operation::Correction`]), files each reference once, and decides later — in
//! the mock, when a test or a person at `/departments/corrections` says so
//! (`POST /__admin/corrections/{reference}/decision`, see [`crate::admin::corrections`]).
//!
//! Accepting changes the department's record (the next certificate of that kind carries the
//! corrected value, its masked form recomputed) and revokes, in the issuer's status list, every
//! credential of that kind it issued to the person before. The decision goes to ZheliKit as a
//! JWS signed with the issuer key.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use platform_api::departments::{
    CorrectionFiling, CorrectionReceipt, Department, Operation, CODE_NOT_FOUND,
};
use serde::Serialize;
use serde_json::Value;
use zhelikit_domain::vault::catalogue::ClaimClass;
use zhelikit_domain::vault::correction::{Outcome, MAX_EVIDENCE_BYTES};
use zhelikit_domain::vault::CertificateKind;
use zhelikit_domain::{mask, ResidentId};

use super::certificates::{ok, refuse};
use super::CODE_BAD_REQUEST;
use crate::MockState;

/// A correction as the department keeps it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Filed {
    /// ZheliKit's reference.
    pub reference: String,
    /// The department's case number (受理编号).
    pub case_number: String,
    /// The department.
    pub department: Department,
    /// The certificate's kind.
    pub kind: CertificateKind,
    /// The claim.
    pub claim: String,
    /// The claim as a person reads it.
    pub claim_label: String,
    /// The value proposed.
    pub proposed_value: String,
    /// Why.
    pub reason: String,
    /// The evidence's file name and size.
    pub evidence: Option<(String, usize)>,
    /// When received (platform clock, seconds).
    pub received_at: i64,
    /// Accepted or rejected, once decided.
    pub outcome: Option<Outcome>,
    /// The department's reason.
    pub decision_reason: Option<String>,
    /// Whether ZheliKit acknowledged the decision.
    pub delivered: bool,
    #[serde(skip)]
    pub(crate) id_number: String,
    /// The disputed credential's status-list index.
    #[serde(skip)]
    pub(crate) credential_idx: Option<u32>,
}

/// Every department's corrections and what they changed.
#[derive(Debug, Default)]
pub struct Corrections {
    filed: Mutex<BTreeMap<String, Filed>>,
    /// (ID number, kind, claim) → the corrected value.
    changed: Mutex<HashMap<(String, CertificateKind, String), Value>>,
}

impl Corrections {
    /// Every correction filed, oldest first.
    pub fn all(&self) -> Vec<Filed> {
        let mut all: Vec<Filed> = self.lock_filed().values().cloned().collect();
        all.sort_by(|a, b| a.case_number.cmp(&b.case_number));
        all
    }

    /// The correction filed under `reference`.
    pub fn get(&self, reference: &str) -> Option<Filed> {
        self.lock_filed().get(reference).cloned()
    }

    /// Records a decision on `reference` and, when accepted, the corrected value.
    pub(crate) fn decide(&self, reference: &str, outcome: Outcome, reason: Option<String>) {
        let mut filed = self.lock_filed();
        let Some(f) = filed.get_mut(reference) else {
            return;
        };
        f.outcome = Some(outcome);
        f.decision_reason = reason;
        if outcome == Outcome::Accepted {
            self.changed
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(
                    (f.id_number.clone(), f.kind, f.claim.clone()),
                    Value::String(f.proposed_value.clone()),
                );
        }
    }

    /// Marks the decision on `reference` as acknowledged by ZheliKit.
    pub(crate) fn delivered(&self, reference: &str) {
        if let Some(f) = self.lock_filed().get_mut(reference) {
            f.delivered = true;
        }
    }

    /// `claims` of `kind` for `id_number` with what corrections changed: the value (a number
    /// where the record held one), its masked form, and the yes/no claims that follow from it
    /// as of `today`.
    pub fn corrected(
        &self,
        id_number: &str,
        kind: CertificateKind,
        mut claims: Vec<(String, Value)>,
        today: chrono::NaiveDate,
    ) -> Vec<(String, Value)> {
        let changed = self.changed.lock().unwrap_or_else(|p| p.into_inner());
        if changed.is_empty() {
            return claims;
        }
        let fixes: Vec<(String, String)> = claims
            .iter()
            .filter_map(|(name, _)| {
                let key = (id_number.to_string(), kind, name.clone());
                changed
                    .get(&key)
                    .and_then(|v| v.as_str())
                    .map(|v| (name.clone(), v.to_string()))
            })
            .collect();
        for (name, value) in fixes {
            for (claim, held) in claims.iter_mut() {
                if *claim == name {
                    *held = typed_like(held, &value);
                } else if *claim == format!("{name}_masked") {
                    *held = Value::String(remask(&name, &value));
                } else if let Some(fact) = follows(&name, &value, claim, today) {
                    *held = Value::Bool(fact);
                }
            }
        }
        claims
    }

    fn lock_filed(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Filed>> {
        self.filed.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The yes/no claim `predicate` once `claim` is `value`, for those that follow from one claim
/// alone (an age from the birth date, a validity from its date, a residence from an address);
/// none for the others.
fn follows(claim: &str, value: &str, predicate: &str, today: chrono::NaiveDate) -> Option<bool> {
    let date = || chrono::NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").ok();
    let age_over =
        |years: u32| date().and_then(|born| today.years_since(born).map(|age| age >= years));
    match (claim, predicate) {
        ("birth_date", "age_over_18") => age_over(18),
        ("birth_date", "age_over_60") => age_over(60),
        ("valid_until", "licence_valid") | ("inspection_due", "inspection_valid") => {
            date().map(|d| d >= today)
        }
        ("address", "resident_of_wenzhou") | ("property_address", "owns_home_in_wenzhou") => {
            Some(value.contains("温州市"))
        }
        _ => None,
    }
}

/// `value` as the kind of JSON `held` is: a number stays a number when it parses as one.
fn typed_like(held: &Value, value: &str) -> Value {
    match held {
        Value::Number(_) => serde_json::from_str::<serde_json::Number>(value)
            .map(Value::Number)
            .unwrap_or_else(|_| Value::String(value.into())),
        _ => Value::String(value.into()),
    }
}

/// The masked form of a corrected `claim`, masked as its department masks it.
fn remask(claim: &str, value: &str) -> String {
    match claim {
        "name" => mask::name(value),
        "id_number" | "licence_number" => mask::id_number(value),
        c if c.ends_with("address") => mask::address(value),
        _ => mask::card_number(value),
    }
}

/// `department`'s correction intake.
pub fn routes(department: Department) -> Router<MockState> {
    Router::new().route(
        Operation::Correction(department).path(),
        post(
            move |State(state): State<MockState>, body: Bytes| async move {
                file(&state, department, &body)
            },
        ),
    )
}

fn file(state: &MockState, department: Department, body: &[u8]) -> Response {
    let filing: CorrectionFiling = match serde_json::from_slice(body) {
        Ok(f) => f,
        Err(e) => {
            return refuse(
                CODE_BAD_REQUEST,
                format!("the body must be a correction filing: {e}"),
            )
        }
    };
    if let Some(f) = state.corrections.get(&filing.reference) {
        // Filed once per reference: a retry gets the first receipt.
        return ok(receipt(&f));
    }
    let Ok(id) = ResidentId::parse(&filing.id_number) else {
        return refuse(
            CODE_BAD_REQUEST,
            "idNumber is not a valid resident ID number".into(),
        );
    };
    if state.directory.person(id.as_str()).is_none() {
        return refuse(CODE_NOT_FOUND, "无记录".into());
    }
    if Operation::Certificate(filing.kind).department() != department {
        return refuse(
            CODE_BAD_REQUEST,
            format!("{} is not issued here", filing.kind.as_str()),
        );
    }
    let Some(claim) = filing
        .kind
        .claim(&filing.claim)
        .filter(|c| c.class == ClaimClass::Raw)
    else {
        return refuse(
            CODE_BAD_REQUEST,
            format!(
                "{} is no raw claim of {}",
                filing.claim,
                filing.kind.as_str()
            ),
        );
    };
    let credential = match state.issuers.of(department).verify_own(&filing.credential) {
        Ok(claims) => claims,
        Err(e) => return refuse(CODE_BAD_REQUEST, format!("credential: {e}")),
    };
    let credential_idx = credential["status"]["status_list"]["idx"]
        .as_u64()
        .and_then(|i| u32::try_from(i).ok());
    let evidence = match &filing.evidence {
        Some(e) => match STANDARD.decode(e.content.as_bytes()) {
            Ok(bytes) if !bytes.is_empty() && bytes.len() <= MAX_EVIDENCE_BYTES => {
                Some((e.name.clone(), bytes.len()))
            }
            _ => return refuse(CODE_BAD_REQUEST, "evidence: unreadable or too large".into()),
        },
        None => None,
    };
    let now = state.clock.now();
    let mut filed = state.corrections.lock_filed();
    let case_number = format!("JZ{}{:06}", now.format("%Y%m%d"), filed.len() + 1);
    let f = Filed {
        reference: filing.reference.clone(),
        case_number,
        department,
        kind: filing.kind,
        claim: filing.claim.clone(),
        claim_label: claim.label.into(),
        proposed_value: filing.proposed_value.trim().into(),
        reason: filing.reason.trim().into(),
        evidence,
        received_at: now.timestamp(),
        outcome: None,
        decision_reason: None,
        delivered: false,
        id_number: id.as_str().into(),
        credential_idx,
    };
    let answer = receipt(&f);
    filed.insert(f.reference.clone(), f);
    ok(answer)
}

fn receipt(f: &Filed) -> CorrectionReceipt {
    CorrectionReceipt {
        reference: f.reference.clone(),
        case_number: f.case_number.clone(),
        received_at: f.received_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_corrected_claim_keeps_its_type_and_its_mask_follows() {
        let corrections = Corrections::default();
        corrections.lock_filed().insert(
            "r".into(),
            Filed {
                reference: "r".into(),
                case_number: "JZ1".into(),
                department: Department::Housing,
                kind: CertificateKind::HomePurchase,
                claim: "floor_area".into(),
                claim_label: "建筑面积".into(),
                proposed_value: "98.5".into(),
                reason: "面积有误".into(),
                evidence: None,
                received_at: 0,
                outcome: None,
                decision_reason: None,
                delivered: false,
                id_number: "X".into(),
                credential_idx: None,
            },
        );
        let claims = vec![
            ("floor_area".to_string(), serde_json::json!(120.0)),
            ("property_address".to_string(), serde_json::json!("a")),
        ];
        // Undecided: nothing changes.
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let same = corrections.corrected("X", CertificateKind::HomePurchase, claims.clone(), today);
        assert_eq!(same, claims);
        corrections.decide("r", Outcome::Accepted, None);
        let fixed =
            corrections.corrected("X", CertificateKind::HomePurchase, claims.clone(), today);
        assert_eq!(fixed[0].1, serde_json::json!(98.5));
        assert_eq!(fixed[1], claims[1]);
        // Someone else's record is untouched.
        assert_eq!(
            corrections.corrected("Y", CertificateKind::HomePurchase, claims.clone(), today),
            claims
        );
        assert_eq!(
            remask("address", "浙江省温州市鹿城区某路1号"),
            mask::address("浙江省温州市鹿城区某路1号")
        );
    }
}
