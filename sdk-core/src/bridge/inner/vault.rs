//! The bridge's `zhelikit.vault.*` methods: the vault of [`crate::VaultClient`] for a page —
//! its certificates listed, pulled, a claim revealed after the person confirms (the
//! container's re-authentication), a 亮证 code shown and refreshed as `vaultCode` events, and a
//! scanned code verified (an officer's mini-app, scope `vault.verify`), and a data
//! consumer's consent requests read, answered (approval after the container's
//! re-authentication), listed, paused, resumed and revoked, and corrections (数据纠错) filed
//! and followed.

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{json, Value};
use zhelikit_domain::bridge::{BridgeError, BridgeFailure as F};
use zhelikit_domain::vault::CertificateKind;

use super::{from_sdk_error, invalid, optional_text, text_param, Bridge, Outcome, Params};
use crate::bridge::host::{BridgeHost, HostAction, HostReply};
use crate::host::{CodeListener, Reauthenticator};
use crate::task::TaskHandle;
use crate::vault::{
    Certificate, CertificateClaim, CertificateState, ClaimKind, ConsentView, CorrectionView,
    DisputeInput, EvidenceFile, ObjectionView, Presentation, ShareApproval, ShareApprover,
    ShareDecision, ShareOutcome, Verification, CODE_REFRESH,
};

/// A page's evidence file: `{name, mediaType, base64}`.
fn evidence_param(e: &serde_json::Map<String, Value>) -> Result<EvidenceFile, BridgeError> {
    let text = |name: &str| match e.get(name) {
        Some(Value::String(s)) => Ok(s.clone()),
        _ => Err(invalid(
            format!("evidence.{name} 须为字符串"),
            format!("evidence.{name} must be a string"),
        )),
    };
    let data = STANDARD.decode(text("base64")?.as_bytes()).map_err(|_| {
        invalid(
            "evidence.base64 不是有效的 base64",
            "evidence.base64 is not standard base64",
        )
    })?;
    Ok(EvidenceFile {
        name: text("name")?,
        media_type: text("mediaType")?,
        data,
    })
}

fn objection_json(o: &ObjectionView) -> Value {
    json!({
        "id": o.id, "kind": o.kind, "consentId": o.consent_id, "entrySeq": o.entry_seq,
        "counterpart": o.counterpart, "message": o.message, "status": o.status,
        "statusText": o.status_text, "raisedAt": o.raised_at,
    })
}

fn correction_json(c: &CorrectionView) -> Value {
    json!({
        "id": c.id, "kind": c.kind, "kindName": c.kind_name, "claim": c.claim,
        "claimLabel": c.claim_label, "proposedValue": c.proposed_value, "reason": c.reason,
        "evidenceName": c.evidence_name, "department": c.department,
        "caseNumber": c.case_number, "status": c.status, "statusText": c.status_text,
        "decisionReason": c.decision_reason, "submittedAt": c.submitted_at,
        "decidedAt": c.decided_at, "reissuedAt": c.reissued_at, "changed": c.changed,
    })
}

/// The container's re-authentication (`HostAction::Reauthenticate`), as the vault asks for it.
struct HostReauthenticator(Arc<dyn BridgeHost>);

impl Reauthenticator for HostReauthenticator {
    fn reauthenticate(&self, reason: String) -> bool {
        matches!(
            self.0.perform(HostAction::Reauthenticate { reason }),
            Ok(HostReply::Confirmed { ok: true })
        )
    }
}

/// The container's share sheet (`HostAction::ApproveShare`) as the vault asks for a decision.
/// A page cannot allow over-asking: the container's "yes" is [`ShareDecision::Share`], which
/// the vault refuses for a request that over-asks.
struct HostShareSheet(Arc<dyn BridgeHost>);

impl ShareApprover for HostShareSheet {
    fn decide(&self, approval: ShareApproval) -> ShareDecision {
        let label = |name: &str| {
            approval
                .claims
                .iter()
                .find(|c| c.name == name)
                .map_or_else(|| name.to_string(), |c| c.label.clone())
        };
        let action = HostAction::ApproveShare {
            verifier_name: approval.verifier_name.clone(),
            purpose: approval.purpose.clone(),
            certificate_name: approval.certificate_name.clone(),
            claims: approval.claims.iter().map(|c| c.label.clone()).collect(),
            over_asked: approval.over_asked.iter().map(|c| label(c)).collect(),
        };
        match self.0.perform(action) {
            Ok(HostReply::Confirmed { ok: true }) => ShareDecision::Share,
            _ => ShareDecision::Decline,
        }
    }
}

/// Carries each new code of a shown certificate to the page as a `vaultCode` event.
struct CodeEvents {
    host: Arc<dyn BridgeHost>,
    kind: CertificateKind,
}

impl CodeListener for CodeEvents {
    fn on_code(&self, code: Presentation) {
        let event = json!({"event": "vaultCode", "data": code_json(self.kind, &code)});
        self.host.emit(event.to_string());
    }

    fn on_stopped(&self, reason: String) {
        let event = json!({"event": "vaultCodeStopped", "data": {"kind": self.kind.as_str(), "reason": reason}});
        self.host.emit(event.to_string());
    }
}

fn kind_param(params: &Params) -> Result<CertificateKind, BridgeError> {
    let kind = text_param(params, "kind")?;
    CertificateKind::parse(kind).ok_or_else(|| {
        invalid(
            format!("没有 {kind} 这类证照"),
            format!("there is no certificate kind {kind}"),
        )
    })
}

fn claims_param(params: &Params) -> Result<Option<Vec<String>>, BridgeError> {
    match params.get("claims") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|c| {
                c.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| invalid("claims 须为字符串数组", "claims must be strings"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(invalid("claims 须为字符串数组", "claims must be strings")),
    }
}

fn claim_kind(kind: ClaimKind) -> &'static str {
    match kind {
        ClaimKind::Raw => "raw",
        ClaimKind::Masked => "masked",
        ClaimKind::Predicate => "predicate",
    }
}

fn value_of(value_json: Option<&str>) -> Value {
    value_json
        .and_then(|v| serde_json::from_str(v).ok())
        .unwrap_or(Value::Null)
}

fn claim_json(c: &CertificateClaim) -> Value {
    json!({
        "name": c.name,
        "label": c.label,
        "kind": claim_kind(c.kind),
        "value": value_of(c.value_json.as_deref()),
    })
}

fn certificate_json(c: &Certificate) -> Value {
    let (state, reason) = match &c.state {
        CertificateState::Available => ("available", None),
        CertificateState::Stale => ("stale", None),
        CertificateState::Expired => ("expired", None),
        CertificateState::Revoked => ("revoked", None),
        CertificateState::Suspended => ("suspended", None),
        CertificateState::NotPulled => ("not_pulled", None),
        CertificateState::PullFailed { reason } => ("pull_failed", Some(reason.clone())),
    };
    json!({
        "kind": c.kind,
        "name": c.name,
        "department": c.department,
        "state": state,
        "reason": reason,
        "held": c.credential_held,
        "expiresAt": c.expires_at,
        "refreshAfter": c.refresh_after,
        "claims": c.claims.iter().map(claim_json).collect::<Vec<_>>(),
        // What a correction may dispute: the kind's raw claims (masked and yes/no claims follow
        // from them).
        "correctable": CertificateKind::parse(&c.kind).map(|k| {
            k.claims()
                .into_iter()
                .filter(|d| d.class == zhelikit_domain::vault::ClaimClass::Raw)
                .map(|d| json!({"name": d.name, "label": d.label}))
                .collect::<Vec<_>>()
        }),
    })
}

fn code_json(kind: CertificateKind, code: &Presentation) -> Value {
    json!({
        "kind": kind.as_str(),
        "text": code.qr_text,
        "validUntil": code.valid_until,
        "disclosed": code.disclosed,
    })
}

fn verification_json(v: &Verification) -> Value {
    json!({
        "accepted": v.accepted,
        "refusal": v.refusal,
        "message": v.message,
        "kind": v.kind,
        "name": v.name,
        "department": v.department,
        "status": v.status,
        "expiresAt": v.expires_at,
        "claims": v.claims.iter().map(|c| json!({
            "name": c.name,
            "label": c.label,
            "value": value_of(Some(&c.value_json)),
        })).collect::<Vec<_>>(),
    })
}

fn consent_json(c: &ConsentView) -> Value {
    json!({
        "id": c.id,
        "consumerId": c.consumer_id,
        "consumerName": c.consumer_name,
        "purpose": c.purpose,
        "items": c.items.iter().map(|i| json!({
            "kind": i.kind,
            "name": i.name,
            "claims": i.claims.iter().map(|cl| json!({
                "name": cl.name, "label": cl.label, "kind": claim_kind(cl.kind),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "start": c.start,
        "expiry": c.expiry,
        "fetchType": c.fetch_type,
        "frequency": c.frequency,
        "dataLifeDays": c.data_life_days,
        "answerBy": c.answer_by,
        "status": c.status,
        "statusText": c.status_text,
        "useCount": c.use_count,
    })
}

impl Bridge {
    /// One `zhelikit.vault.*` call.
    pub(super) async fn vault_call(&self, method: &str, params: &Params) -> Outcome {
        let vault = &self.vault;
        match method {
            "zhelikit.vault.list" => {
                // `refresh: true` asks the issuers' status lists first (online); the list
                // itself always comes from the device.
                let certificates = if params.get("refresh") == Some(&Value::Bool(true)) {
                    match vault.refresh_status().await {
                        Ok(list) => list,
                        Err(crate::error::Error::Offline(_)) => {
                            vault.list().map_err(from_sdk_error)?
                        }
                        Err(e) => return Err(from_sdk_error(e)),
                    }
                } else {
                    vault.list().map_err(from_sdk_error)?
                };
                Ok(
                    json!({"certificates": certificates.iter().map(certificate_json).collect::<Vec<_>>()}),
                )
            }
            "zhelikit.vault.pull" => {
                let kind = kind_param(params)?;
                let c = vault.pull(kind).await.map_err(from_sdk_error)?;
                Ok(certificate_json(&c))
            }
            "zhelikit.vault.reveal" => {
                let kind = kind_param(params)?;
                let claim = text_param(params, "claim")?;
                let reauth = Arc::new(HostReauthenticator(self.host.clone()));
                let c = vault
                    .reveal(kind, claim, reauth)
                    .await
                    .map_err(|e| match e {
                        crate::error::Error::Cancelled => BridgeError::new(
                            F::Cancelled,
                            "未通过本人验证，不能查看完整信息",
                            "the person did not confirm",
                        ),
                        other => from_sdk_error(other),
                    })?;
                Ok(claim_json(&c))
            }
            "zhelikit.vault.showCode" => {
                let kind = kind_param(params)?;
                let claims = claims_param(params)?;
                let listener = Arc::new(CodeEvents {
                    host: self.host.clone(),
                    kind,
                });
                let (first, task) = vault
                    .show_code(kind, claims, listener, CODE_REFRESH)
                    .map_err(from_sdk_error)?;
                // One code on screen at a time: a new one replaces (and stops) the one before.
                *self.shown_code.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some(TaskHandle::new(task));
                // The container learns what is on screen from the events, the first code too
                // (a simulator's other phones scan it from there).
                self.emit("vaultCode", code_json(kind, &first));
                Ok(code_json(kind, &first))
            }
            "zhelikit.vault.hideCode" => {
                let shown = self
                    .shown_code
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .take();
                if shown.is_some() {
                    // The container learns the screen no longer shows a code.
                    self.emit("vaultCodeStopped", json!({"reason": "已停止出示"}));
                }
                Ok(json!({"result": shown.is_some()}))
            }
            "zhelikit.vault.history" => {
                let history = crate::vault::history_of(&self.ctx).map_err(from_sdk_error)?;
                let entries: Vec<Value> = history
                    .entries
                    .iter()
                    .map(|e| {
                        json!({
                            "seq": e.seq, "at": e.at, "event": e.event, "kind": e.kind,
                            "certificateName": e.certificate_name, "counterpart": e.counterpart,
                            "purpose": e.purpose, "requested": e.requested,
                            "disclosed": e.disclosed, "outcome": e.outcome, "hash": e.hash,
                        })
                    })
                    .collect();
                Ok(
                    json!({"entries": entries, "intact": history.intact, "brokenAt": history.broken_at}),
                )
            }
            "zhelikit.vault.exportHistory" => {
                let exported =
                    crate::vault::export_history_of(&self.ctx).map_err(from_sdk_error)?;
                Ok(json!({"json": exported}))
            }
            "zhelikit.vault.answerRequest" => {
                let id = text_param(params, "requestId")?;
                let sheet = Arc::new(HostShareSheet(self.host.clone()));
                let outcome = crate::vault::answer_request(vault, id, sheet)
                    .await
                    .map_err(from_sdk_error)?;
                Ok(match outcome {
                    ShareOutcome::Shared { verification } => {
                        json!({"outcome": "shared", "verification": verification_json(&verification)})
                    }
                    ShareOutcome::Declined => json!({"outcome": "declined"}),
                    ShareOutcome::RefusedOverAsk { claims } => {
                        json!({"outcome": "over_asked", "overAsked": claims})
                    }
                })
            }
            "zhelikit.vault.consentRequest" => {
                let id = text_param(params, "consentId")?;
                let view = crate::vault::consent::request(&self.ctx, id)
                    .await
                    .map_err(from_sdk_error)?;
                Ok(consent_json(&view))
            }
            "zhelikit.vault.answerConsent" => {
                let id = text_param(params, "consentId")?;
                let approve = match params.get("approve") {
                    Some(Value::Bool(b)) => *b,
                    _ => {
                        return Err(invalid(
                            "approve 须为 true 或 false",
                            "approve must be true or false",
                        ))
                    }
                };
                let reauth = Arc::new(HostReauthenticator(self.host.clone()));
                let consent = crate::vault::consent::answer(vault, id, approve, reauth)
                    .await
                    .map_err(|e| match e {
                        crate::error::Error::Cancelled => BridgeError::new(
                            F::Cancelled,
                            "未通过本人验证，未授权",
                            "the person did not confirm: nothing was approved",
                        ),
                        other => from_sdk_error(other),
                    })?;
                Ok(json!({
                    "outcome": if approve { "approved" } else { "declined" },
                    "consent": consent.as_ref().map(consent_json),
                }))
            }
            "zhelikit.vault.consents" => {
                let consents = crate::vault::consent::list(&self.ctx)
                    .await
                    .map_err(from_sdk_error)?;
                Ok(json!({"consents": consents.iter().map(consent_json).collect::<Vec<_>>()}))
            }
            "zhelikit.vault.changeConsent" => {
                let id = text_param(params, "consentId")?;
                let action = text_param(params, "action")?;
                let view = crate::vault::consent::change(vault, id, action)
                    .await
                    .map_err(from_sdk_error)?;
                Ok(consent_json(&view))
            }
            "zhelikit.vault.dispute" => {
                let evidence = match params.get("evidence") {
                    None | Some(Value::Null) => None,
                    Some(Value::Object(e)) => Some(evidence_param(e)?),
                    Some(_) => {
                        return Err(invalid(
                            "evidence 须为 {name, mediaType, base64}",
                            "evidence must be {name, mediaType, base64}",
                        ))
                    }
                };
                let input = DisputeInput {
                    kind: text_param(params, "kind")?.into(),
                    claim: text_param(params, "claim")?.into(),
                    proposed_value: text_param(params, "proposedValue")?.into(),
                    reason: text_param(params, "reason")?.into(),
                    evidence,
                };
                let view = crate::vault::correction::dispute(vault, input)
                    .await
                    .map_err(from_sdk_error)?;
                Ok(correction_json(&view))
            }
            "zhelikit.vault.raiseObjection" => {
                let entry_seq = match params.get("entrySeq") {
                    None | Some(Value::Null) => None,
                    Some(v) => Some(v.as_u64().ok_or_else(|| {
                        invalid("entrySeq 须为正整数", "entrySeq must be a positive integer")
                    })?),
                };
                let view = crate::vault::objection::raise(
                    &self.ctx,
                    text_param(params, "kind")?,
                    optional_text(params, "consentId")?.map(str::to_string),
                    entry_seq,
                    text_param(params, "message")?.to_string(),
                )
                .await
                .map_err(from_sdk_error)?;
                Ok(objection_json(&view))
            }
            "zhelikit.vault.objections" => {
                let all = crate::vault::objection::list(&self.ctx)
                    .await
                    .map_err(from_sdk_error)?;
                Ok(json!({"objections": all.iter().map(objection_json).collect::<Vec<_>>()}))
            }
            "zhelikit.vault.serverActivity" => {
                let all = crate::vault::objection::activity(&self.ctx)
                    .await
                    .map_err(from_sdk_error)?;
                let items: Vec<Value> = all
                    .iter()
                    .map(|a| json!({"at": a.at, "event": a.event, "counterpart": a.counterpart, "detail": a.detail}))
                    .collect();
                Ok(json!({"activity": items}))
            }
            "zhelikit.vault.corrections" => {
                let all = crate::vault::correction::corrections(vault)
                    .await
                    .map_err(from_sdk_error)?;
                Ok(json!({"corrections": all.iter().map(correction_json).collect::<Vec<_>>()}))
            }
            "zhelikit.vault.requestShare" => {
                let kind = kind_param(params)?;
                let claims = claims_param(params)?
                    .ok_or_else(|| invalid("缺少参数 claims", "parameter claims is missing"))?;
                let purpose = text_param(params, "purpose")?.to_string();
                let made = crate::vault::request_share(&self.ctx, kind, claims, purpose)
                    .await
                    .map_err(from_sdk_error)?;
                Ok(json!({"id": made.id, "expiresAt": made.expires_at}))
            }
            "zhelikit.vault.requestStatus" => {
                let id = text_param(params, "requestId")?;
                let status = crate::vault::request_status(&self.ctx, id)
                    .await
                    .map_err(from_sdk_error)?;
                Ok(json!({
                    "state": status.state,
                    "declined": status.declined,
                    "verification": status.verification.as_ref().map(verification_json),
                }))
            }
            "zhelikit.vault.verify" => {
                let text = text_param(params, "text")?.trim().to_string();
                if let Some(audience) = optional_text(params, "audience")? {
                    // Only in-person codes are checked on a phone; an online verifier's own
                    // audience and nonce are for the BFF's endpoint.
                    if audience != zhelikit_domain::vault::verifier::IN_PERSON_AUDIENCE {
                        return Err(invalid(
                            "手机上只核验当面出示的证照码",
                            "a phone verifies in-person codes only",
                        ));
                    }
                }
                let ctx = self.ctx.clone();
                let v = crate::vault::verify_on_phone(&ctx, &text)
                    .await
                    .map_err(from_sdk_error)?;
                Ok(verification_json(&v))
            }
            other => Err(BridgeError::new(
                F::UnknownMethod,
                format!("方法 {other} 尚未实现"),
                format!("method {other} is not implemented"),
            )),
        }
    }
}
