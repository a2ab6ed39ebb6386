//! Sharing a certificate online, both sides: a verifier app asks for claims
//! ([`request`], [`result`]); the holder's app answers a request ([`answer`]) after the person
//! decides in the host's UI ([`ShareApprover`]). The device checks the request against the
//! verifier's registration itself: what the verifier is not registered to ask for is shown as
//! over-asking and refused unless the person explicitly allows it.

use std::sync::Arc;

use zhelikit_domain::paths;
use zhelikit_domain::vault::history::{Happened, HistoryEvent};
use zhelikit_domain::vault::share::{
    CreateShareRequest, Declined, ShareRequest, ShareResponse, ShareResult, ShareState,
};
use zhelikit_domain::vault::CertificateKind;

use crate::context::{now_ms, Context};
use crate::error::{Error, Result};
use crate::vault::inner::Vault;
use crate::vault::types::Verification;

/// One claim a verifier asks for, as the person sees it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct RequestedClaim {
    /// Its name, e.g. `licence_valid`.
    pub name: String,
    /// What a person reads, e.g. `驾驶证状态正常`.
    pub label: String,
    /// Whether the verifier is not registered to ask for it (show it in warning colours).
    pub over_asked: bool,
}

/// A verifier's request, as the host shows it before the person decides.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ShareApproval {
    /// The request's id.
    pub request_id: String,
    /// Who asks, e.g. `温州市公安局交通警察支队`.
    pub verifier_name: String,
    /// Why, e.g. `交通执法现场核验驾驶资格`.
    pub purpose: String,
    /// The certificate asked for, e.g. `电子驾驶证`.
    pub certificate_name: String,
    /// Whether it is on this device (if not, sharing will fail: pull it first).
    pub held: bool,
    /// The claims asked for.
    pub claims: Vec<RequestedClaim>,
    /// Those the verifier is not registered to ask for.
    pub over_asked: Vec<String>,
}

/// What the person decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ShareDecision {
    /// Share what was asked — refused anyway if the request over-asks.
    Share,
    /// Share what was asked, over-asked claims included: the person saw the warning and chose
    /// to. Offer it only behind that warning.
    ShareIncludingOverAsked,
    /// Do not share.
    Decline,
}

/// The host's UI for a share request: shows who asks, why and for what (with over-asked claims
/// marked) and answers what the person chose. Called on a background thread; may block until
/// the person answers.
#[uniffi::export(foreign)]
pub trait ShareApprover: Send + Sync {
    /// The person's decision on `approval`.
    fn decide(&self, approval: ShareApproval) -> ShareDecision;
}

/// How answering a request ended.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum ShareOutcome {
    /// Shared; what the verifier's check found.
    Shared {
        /// The check.
        verification: Verification,
    },
    /// The person declined (the verifier is told so).
    Declined,
    /// Refused: the request asked for claims the verifier is not registered for, and the
    /// person did not allow it (the verifier is told so).
    RefusedOverAsk {
        /// The claims over-asked.
        claims: Vec<String>,
    },
}

/// A request a verifier made, to show the holder (as a QR of `id`, or a link).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct MadeRequest {
    /// Its id: what the holder's app answers.
    pub id: String,
    /// Until when it can be answered (seconds since the epoch).
    pub expires_at: i64,
}

/// Where a request stands, for the verifier that made it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct RequestStatus {
    /// `pending`, `answered` or `declined`.
    pub state: String,
    /// The check of the presentation, once answered.
    pub verification: Option<Verification>,
    /// Why not (`declined`, `over_asked`), once declined.
    pub declined: Option<String>,
}

fn declined_name(d: Declined) -> &'static str {
    match d {
        Declined::Declined => "declined",
        Declined::OverAsked => "over_asked",
    }
}

/// Makes a request for `claims` of `kind` for `purpose` (a verifier app; scope `vault.verify`).
pub(crate) async fn request(
    ctx: &Context,
    kind: CertificateKind,
    claims: Vec<String>,
    purpose: String,
) -> Result<MadeRequest> {
    let made: ShareRequest = ctx
        .post(
            paths::VAULT_SHARE_REQUESTS,
            &CreateShareRequest {
                kind,
                claims,
                purpose,
            },
        )
        .await?;
    Ok(MadeRequest {
        id: made.id,
        expires_at: made.expires_at,
    })
}

/// Where request `id` stands (the verifier that made it).
pub(crate) async fn result(ctx: &Context, id: &str) -> Result<RequestStatus> {
    let r: ShareResult = ctx.get(&paths::vault_share_result(id)).await?;
    Ok(RequestStatus {
        state: match r.state {
            ShareState::Pending => "pending",
            ShareState::Answered => "answered",
            ShareState::Declined => "declined",
        }
        .into(),
        verification: r.verification.map(Into::into),
        declined: r.declined.map(|d| declined_name(d).into()),
    })
}

/// Answers request `id`: shows it to the person through `approver`, then shares, declines or
/// refuses an over-ask, and tells the verifier.
pub(crate) async fn answer(
    vault: &Vault,
    id: &str,
    approver: Arc<dyn ShareApprover>,
) -> Result<ShareOutcome> {
    if id.is_empty() || id.len() > 64 {
        return Err(Error::Input {
            field: "request_id",
            reason: "a request id is 1–64 characters".into(),
        });
    }
    let ctx = vault.context();
    let request: ShareRequest = ctx.get(&paths::vault_share_request(id)).await?;
    if request.expires_at < now_ms() / 1000 {
        return Err(Error::Input {
            field: "request_id",
            reason: "the request expired".into(),
        });
    }
    // The device's own check, whatever the BFF passed on.
    let over_asked = request.verifier.over_asked(request.kind, &request.claims);
    let held = vault
        .list()?
        .into_iter()
        .any(|c| c.kind == request.kind.as_str() && c.credential_held);
    let approval = ShareApproval {
        request_id: request.id.clone(),
        verifier_name: request.verifier.name.clone(),
        purpose: request.purpose.clone(),
        certificate_name: request.kind.name_zh().into(),
        held,
        claims: request
            .claims
            .iter()
            .map(|c| RequestedClaim {
                name: c.clone(),
                label: request
                    .kind
                    .claim(c)
                    .map_or_else(|| c.clone(), |d| d.label.to_string()),
                over_asked: over_asked.contains(c),
            })
            .collect(),
        over_asked: over_asked.clone(),
    };
    let decision = tokio::task::spawn_blocking(move || approver.decide(approval))
        .await
        .unwrap_or(ShareDecision::Decline);
    let declined = match decision {
        ShareDecision::Decline => Some(Declined::Declined),
        ShareDecision::Share if !over_asked.is_empty() => Some(Declined::OverAsked),
        ShareDecision::Share | ShareDecision::ShareIncludingOverAsked => None,
    };
    let path = paths::vault_share_response(id);
    let record = |disclosed: Vec<String>, outcome: &str| {
        vault.record(Happened {
            at: now_ms() / 1000,
            event: HistoryEvent::Shared,
            kind: request.kind.as_str().into(),
            counterpart: request.verifier.id.clone(),
            purpose: Some(request.purpose.clone()),
            requested: request.claims.clone(),
            disclosed,
            outcome: outcome.into(),
        })
    };
    if let Some(why) = declined {
        record(
            Vec::new(),
            match why {
                Declined::Declined => "declined",
                Declined::OverAsked => "over_asked",
            },
        );
        let _: ShareResult = ctx
            .post(
                &path,
                &ShareResponse {
                    presentation: None,
                    declined: Some(why),
                },
            )
            .await?;
        return Ok(match why {
            Declined::Declined => ShareOutcome::Declined,
            Declined::OverAsked => ShareOutcome::RefusedOverAsk { claims: over_asked },
        });
    }
    let presentation = vault.make_presentation(
        request.kind,
        Some(request.claims.clone()),
        &request.verifier.id,
        &request.nonce,
    )?;
    let answered: ShareResult = ctx
        .post(
            &path,
            &ShareResponse {
                presentation: Some(presentation.payload),
                declined: None,
            },
        )
        .await?;
    let verification = answered
        .verification
        .ok_or_else(|| Error::Decode("the BFF answered a share without its check".into()))?;
    let outcome = verification.refusal.clone().unwrap_or_else(|| "ok".into());
    record(presentation.disclosed.clone(), &outcome);
    Ok(ShareOutcome::Shared {
        verification: verification.into(),
    })
}
