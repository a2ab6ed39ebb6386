//! Consents for data consumers (本人授权推送), the citizen's side: read a bank's request,
//! approve it (after the host re-authenticates the person) or decline it, list the consents
//! given, and pause, resume or revoke one. The approval is a presentation of the request's
//! first certificate made on this device, disclosing nothing, bound to the terms' digest: the
//! platform signs the artefact only over a valid one.

use std::sync::Arc;

use zhelikit_domain::paths;
use zhelikit_domain::vault::consent::{
    ChangeConsent, Consent, ConsentAction, ConsentDecision, ConsentTerms, DecisionOutcome,
    FetchType, PendingConsent,
};
use zhelikit_domain::vault::history::{Happened, HistoryEvent};

use crate::context::{now_ms, Context};
use crate::error::{Error, Result};
use crate::host::Reauthenticator;
use crate::vault::inner::Vault;
use crate::vault::types::ClaimKind;

/// One claim a consumer asks for.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ConsentClaim {
    /// Its name, e.g. `id_number`.
    pub name: String,
    /// What a person reads, e.g. `公民身份号码`.
    pub label: String,
    /// Raw (the value itself leaves), masked, or a yes/no.
    pub kind: ClaimKind,
}

/// One certificate's part of a consent.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ConsentItem {
    /// The kind, e.g. `resident_id`.
    pub kind: String,
    /// Its name, e.g. `电子居民身份证`.
    pub name: String,
    /// The claims.
    pub claims: Vec<ConsentClaim>,
}

/// A consent request, or a consent given, as the person reads it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ConsentView {
    /// The id (the request's, which becomes the consent's).
    pub id: String,
    /// The consumer's id, e.g. `zk-demo-bank`.
    pub consumer_id: String,
    /// Who asks, e.g. `温州银行`.
    pub consumer_name: String,
    /// Why, e.g. `个人住房贷款审批`.
    pub purpose: String,
    /// What.
    pub items: Vec<ConsentItem>,
    /// From (seconds since the epoch).
    pub start: i64,
    /// Until.
    pub expiry: i64,
    /// `ONCE` or `PERIODIC`.
    pub fetch_type: String,
    /// How often, in words: `一次性`, `每月最多 2 次`.
    pub frequency: String,
    /// How many days the consumer keeps the data.
    pub data_life_days: u32,
    /// A request: until when it can be answered. None for a consent given.
    pub answer_by: Option<i64>,
    /// A consent given: `ACTIVE`, `PAUSED`, `REVOKED`, `EXPIRED`. None for a request.
    pub status: Option<String>,
    /// A consent given: its status as the person reads it (`生效中` …).
    pub status_text: Option<String>,
    /// A consent given: how many times the consumer has fetched under it.
    pub use_count: u32,
    /// A consent given: the platform-signed artefact (compact JWS).
    pub artefact: Option<String>,
}

fn view(terms: &ConsentTerms) -> ConsentView {
    ConsentView {
        id: terms.id.clone(),
        consumer_id: terms.consumer.clone(),
        consumer_name: terms.consumer_name.clone(),
        purpose: terms.purpose.text.clone(),
        items: terms
            .items
            .iter()
            .map(|i| ConsentItem {
                kind: i.kind.as_str().into(),
                name: i.name.clone(),
                claims: i
                    .claims
                    .iter()
                    .map(|c| ConsentClaim {
                        name: c.claim.clone(),
                        label: c.label.clone(),
                        kind: c.class.into(),
                    })
                    .collect(),
            })
            .collect(),
        start: terms.start,
        expiry: terms.expiry,
        fetch_type: match terms.fetch_type {
            FetchType::Once => "ONCE",
            FetchType::Periodic => "PERIODIC",
        }
        .into(),
        frequency: terms.frequency_text(),
        data_life_days: terms.data_life_days,
        answer_by: None,
        status: None,
        status_text: None,
        use_count: 0,
        artefact: None,
    }
}

impl From<&Consent> for ConsentView {
    fn from(c: &Consent) -> Self {
        ConsentView {
            status: Some(c.status.as_str().into()),
            status_text: Some(c.status.zh().into()),
            use_count: c.use_count,
            artefact: Some(c.artefact.clone()),
            ..view(&c.terms)
        }
    }
}

fn checked_id(id: &str) -> Result<()> {
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(Error::Input {
            field: "consent_id",
            reason: "an id is 1–64 letters, digits or '-'".into(),
        });
    }
    Ok(())
}

/// Records what happened to a consent in the history, one entry per certificate it covers;
/// with the claims asked for when `asked` (an answer to a request), without for a change.
fn record(vault: &Vault, terms: &ConsentTerms, asked: bool, outcome: &str) {
    for item in &terms.items {
        vault.record(Happened {
            at: now_ms() / 1000,
            event: HistoryEvent::Consented,
            kind: item.kind.as_str().into(),
            counterpart: terms.consumer.clone(),
            purpose: Some(terms.purpose.text.clone()),
            requested: if asked {
                item.claims.iter().map(|c| c.claim.clone()).collect()
            } else {
                Vec::new()
            },
            disclosed: Vec::new(),
            outcome: outcome.into(),
        });
    }
}

/// Request `id` as the person reads it.
pub(crate) async fn request(ctx: &Context, id: &str) -> Result<ConsentView> {
    checked_id(id)?;
    let pending: PendingConsent = ctx.get(&paths::vault_consent_request(id)).await?;
    Ok(ConsentView {
        answer_by: Some(pending.answer_by),
        ..view(&pending.terms)
    })
}

/// Answers request `id`. Approving asks `reauth` first and makes the approval on this
/// device; declining needs no confirmation. The consent when approved.
pub(crate) async fn answer(
    vault: &Vault,
    id: &str,
    approve: bool,
    reauth: Arc<dyn Reauthenticator>,
) -> Result<Option<ConsentView>> {
    checked_id(id)?;
    let ctx = vault.context();
    let pending: PendingConsent = ctx.get(&paths::vault_consent_request(id)).await?;
    let terms = pending.terms;
    let first = terms
        .items
        .first()
        .ok_or_else(|| Error::Decode("a consent request without items".into()))?;
    let record = |outcome: &str| record(vault, &terms, true, outcome);
    let decision = if approve {
        let reason = format!(
            "同意向{}授权（{}）",
            terms.consumer_name, terms.purpose.text
        );
        let confirmed = tokio::task::spawn_blocking(move || reauth.reauthenticate(reason))
            .await
            .unwrap_or(false);
        if !confirmed {
            record("cancelled");
            return Err(Error::Cancelled);
        }
        let approval = vault.make_presentation(
            first.kind,
            Some(Vec::new()),
            &terms.consumer,
            &terms.digest(),
        )?;
        ConsentDecision {
            approve: true,
            approval: Some(approval.payload),
        }
    } else {
        ConsentDecision {
            approve: false,
            approval: None,
        }
    };
    let outcome: DecisionOutcome = ctx
        .post(&paths::vault_consent_decision(id), &decision)
        .await?;
    record(if approve { "approved" } else { "declined" });
    Ok(outcome.consent.as_ref().map(ConsentView::from))
}

/// The consents given, newest first.
pub(crate) async fn list(ctx: &Context) -> Result<Vec<ConsentView>> {
    let consents: Vec<Consent> = ctx.get(paths::VAULT_CONSENTS).await?;
    Ok(consents.iter().map(ConsentView::from).collect())
}

/// Pauses, resumes or revokes consent `id` (`pause`, `resume`, `revoke`).
pub(crate) async fn change(vault: &Vault, id: &str, action: &str) -> Result<ConsentView> {
    checked_id(id)?;
    let action = match action {
        "pause" => ConsentAction::Pause,
        "resume" => ConsentAction::Resume,
        "revoke" => ConsentAction::Revoke,
        other => {
            return Err(Error::Input {
                field: "action",
                reason: format!("{other} is not pause, resume or revoke"),
            })
        }
    };
    let consent: Consent = vault
        .context()
        .post(&paths::vault_consent_status(id), &ChangeConsent { action })
        .await?;
    let outcome = consent.status.as_str().to_ascii_lowercase();
    record(vault, &consent.terms, false, &outcome);
    Ok(ConsentView::from(&consent))
}
