//! 数据纠错, the citizen's side: dispute one claim of a certificate held here (the value it
//! should have, why, and evidence), and follow the department's decision. The proposed value,
//! the reason and the evidence's name stay on this device, sealed in the store with the rest
//! of the vault; ZheliKit's server keeps only their digest.
//!
//! [`corrections`] is where the person is told: it fetches where each correction stands, and
//! for one the department accepted it pulls the corrected certificate at once (which makes
//! the correction `REISSUED`, and the old credential was revoked by the department). Every
//! change since the last look is marked `changed` and written to the history.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use zhelikit_domain::gm::{hex, sm3};
use zhelikit_domain::paths;
use zhelikit_domain::vault::correction::{
    proposal_digest, Correction, CorrectionStatus, DisputeRequest, Evidence,
};
use zhelikit_domain::vault::history::{Happened, HistoryEvent};
use zhelikit_domain::vault::CertificateKind;

use crate::context::now_ms;
use crate::error::{Error, Result};
use crate::vault::inner::Vault;

/// A file attached to a dispute.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct EvidenceFile {
    /// Its name, e.g. `毕业证书.jpg`.
    pub name: String,
    /// `image/jpeg`, `image/png` or `application/pdf`.
    pub media_type: String,
    /// The file; at most 2 MiB.
    pub data: Vec<u8>,
}

/// What the person disputes.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct DisputeInput {
    /// The certificate's kind, e.g. `education`.
    pub kind: String,
    /// The claim, one of the kind's raw claims, e.g. `school`.
    pub claim: String,
    /// The value it should have.
    pub proposed_value: String,
    /// Why (2–500 characters).
    pub reason: String,
    /// Evidence, if any.
    pub evidence: Option<EvidenceFile>,
}

/// A correction as the person reads it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CorrectionView {
    /// Its id.
    pub id: String,
    /// The certificate's kind, e.g. `education`.
    pub kind: String,
    /// Its name, e.g. `学历学位证明`.
    pub kind_name: String,
    /// The claim, e.g. `school`.
    pub claim: String,
    /// What a person reads, e.g. `毕业院校`.
    pub claim_label: String,
    /// The value asked for (kept on this device; none if filed from another one).
    pub proposed_value: Option<String>,
    /// The reason given (on this device only, as the value).
    pub reason: Option<String>,
    /// The evidence's file name.
    pub evidence_name: Option<String>,
    /// The deciding department, e.g. `education`.
    pub department: String,
    /// The department's case number (受理编号).
    pub case_number: String,
    /// `SUBMITTED`, `ACCEPTED`, `REJECTED` or `REISSUED`.
    pub status: String,
    /// The status as the person reads it, e.g. `已更正并重新签发`.
    pub status_text: String,
    /// The department's reason (a rejection's, or a note with an acceptance).
    pub decision_reason: Option<String>,
    /// When filed (seconds since the epoch).
    pub submitted_at: i64,
    /// When decided.
    pub decided_at: Option<i64>,
    /// When the corrected certificate came to this device.
    pub reissued_at: Option<i64>,
    /// Whether its status changed since the last time the corrections were listed here: what
    /// to tell the person about.
    pub changed: bool,
}

/// What the device keeps of a dispute it filed.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Filed {
    request_id: String,
    input_digest: String,
    proposed_value: String,
    reason: String,
    evidence_name: Option<String>,
}

/// The statuses last shown, by id.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Seen {
    corrections: Vec<Correction>,
}

const SEEN_ROW: &str = "vault:corrections:seen";

fn filed_row(id: &str) -> String {
    format!("vault:correction:{id}")
}

fn pending_row(kind: CertificateKind, claim: &str) -> String {
    format!("vault:correction:pending:{}:{claim}", kind.as_str())
}

fn kind_of(kind: &str) -> Result<CertificateKind> {
    CertificateKind::parse(kind).ok_or_else(|| Error::Input {
        field: "kind",
        reason: format!("no certificate kind {kind}"),
    })
}

impl Vault {
    fn record_correction(&self, c: &Correction, outcome: &str) {
        self.record(Happened {
            at: now_ms() / 1000,
            event: HistoryEvent::Corrected,
            kind: c.kind.as_str().into(),
            counterpart: c.department.clone(),
            purpose: None,
            requested: vec![c.claim.clone()],
            disclosed: Vec::new(),
            outcome: outcome.into(),
        });
    }

    /// Once `c` is decided, the same dispute again is a new one.
    fn forget_pending(&self, c: &Correction) {
        let pending = pending_row(c.kind, &c.claim);
        let ours = self
            .kept_json::<Filed>(&pending)
            .ok()
            .flatten()
            .is_some_and(|f| f.request_id == c.request_id);
        if ours {
            if let Ok(row) = self.user_row(&pending) {
                let _ = self.context().store.delete(&row);
            }
        }
    }

    fn correction_view(&self, c: &Correction, changed: bool) -> CorrectionView {
        let filed: Option<Filed> = self.kept_json(&filed_row(&c.id)).ok().flatten();
        CorrectionView {
            id: c.id.clone(),
            kind: c.kind.as_str().into(),
            kind_name: c.kind.name_zh().into(),
            claim: c.claim.clone(),
            claim_label: c
                .kind
                .claim(&c.claim)
                .map_or_else(|| c.claim.clone(), |d| d.label.into()),
            proposed_value: filed.as_ref().map(|f| f.proposed_value.clone()),
            reason: filed.as_ref().map(|f| f.reason.clone()),
            evidence_name: filed.and_then(|f| f.evidence_name),
            department: c.department.clone(),
            case_number: c.case_number.clone(),
            status: c.status.as_str().into(),
            status_text: c.status.zh().into(),
            decision_reason: c.decision_reason.clone(),
            submitted_at: c.submitted_at,
            decided_at: c.decided_at,
            reissued_at: c.reissued_at,
            changed,
        }
    }
}

/// Files a dispute. The same dispute sent again before it is decided (a retry after a
/// failure, a second tap) goes under the same request id, so the department gets it once.
pub(crate) async fn dispute(vault: &Vault, input: DisputeInput) -> Result<CorrectionView> {
    let kind = kind_of(&input.kind)?;
    let credential = vault.issuer_jwt(kind)?.ok_or_else(|| Error::Input {
        field: "kind",
        reason: format!("no {} is held on this device", kind.as_str()),
    })?;
    let evidence = input.evidence.as_ref().map(|e| Evidence {
        name: e.name.clone(),
        media_type: e.media_type.clone(),
        content: STANDARD.encode(&e.data),
    });
    // The same dispute (what the server would file) is the same digest.
    let evidence_digest = input.evidence.as_ref().map(|e| hex(&sm3(&e.data)));
    let input_digest = proposal_digest(
        &input.claim,
        &input.proposed_value,
        &input.reason,
        evidence_digest.as_deref(),
    );
    let pending = pending_row(kind, &input.claim);
    let request_id = match vault.kept_json::<Filed>(&pending)? {
        Some(f) if f.input_digest == input_digest => f.request_id,
        _ => uuid::Uuid::new_v4().to_string(),
    };
    let request = DisputeRequest {
        request_id: request_id.clone(),
        kind,
        claim: input.claim.clone(),
        proposed_value: input.proposed_value.clone(),
        reason: input.reason.clone(),
        evidence,
        credential,
    };
    // The server's rules, here first: the person hears at once what to fix.
    request.check()?;
    let filed = Filed {
        request_id,
        input_digest,
        proposed_value: input.proposed_value.trim().into(),
        reason: input.reason.trim().into(),
        evidence_name: input.evidence.as_ref().map(|e| e.name.clone()),
    };
    // Kept before sending: an answer lost on the way is retried under the same request id.
    vault.keep_json(&pending, &filed)?;
    let correction: Correction = vault
        .context()
        .post(paths::VAULT_CORRECTIONS, &request)
        .await?;
    let known = vault
        .kept_json::<Filed>(&filed_row(&correction.id))?
        .is_some();
    vault.keep_json(&filed_row(&correction.id), &filed)?;
    // The pending row stays until the correction is decided: the same dispute sent again
    // meanwhile is the same correction.
    if !known {
        vault.record_correction(&correction, "submitted");
    }
    Ok(vault.correction_view(&correction, false))
}

/// The corrections, newest first; an accepted one's certificate pulled now. Offline, the last
/// ones seen.
pub(crate) async fn corrections(vault: &Vault) -> Result<Vec<CorrectionView>> {
    let seen: Seen = vault.kept_json(SEEN_ROW)?.unwrap_or_default();
    let fetched: Result<Vec<Correction>> = vault.context().get(paths::VAULT_CORRECTIONS).await;
    let mut now = match fetched {
        Ok(list) => list,
        Err(Error::Offline(_)) => {
            return Ok(seen
                .corrections
                .iter()
                .map(|c| vault.correction_view(c, false))
                .collect())
        }
        Err(e) => return Err(e),
    };
    let accepted: Vec<CertificateKind> = now
        .iter()
        .filter(|c| c.status == CorrectionStatus::Accepted)
        .map(|c| c.kind)
        .collect();
    if !accepted.is_empty() {
        for kind in &accepted {
            // The pull makes the server mark the correction reissued.
            vault.pull(*kind).await?;
        }
        now = vault.context().get(paths::VAULT_CORRECTIONS).await?;
    }
    let views = now
        .iter()
        .map(|c| {
            let before = seen.corrections.iter().find(|s| s.id == c.id);
            let changed = before.is_some_and(|b| b.status != c.status)
                // Decided before this device first looked.
                || (before.is_none() && c.status != CorrectionStatus::Submitted);
            if changed {
                // Accepted and reissued in one look: both are history.
                if before.is_none_or(|b| b.status == CorrectionStatus::Submitted)
                    && c.status == CorrectionStatus::Reissued
                {
                    vault.record_correction(c, "accepted");
                }
                vault.record_correction(c, &c.status.as_str().to_ascii_lowercase());
            }
            if c.status != CorrectionStatus::Submitted {
                vault.forget_pending(c);
            }
            vault.correction_view(c, changed)
        })
        .collect();
    vault.keep_json(SEEN_ROW, &Seen { corrections: now })?;
    Ok(views)
}
