//! The citizen's say over their vault's history: complain about an entry (or a consent), ask a
//! data consumer to delete what it received under a consent, follow both, and read the
//! platform's side of the history (what happened at ZheliKit's server with no device involved:
//! a bank's fetches, a department's decisions).

use zhelikit_domain::gm::{hex, sm3};
use zhelikit_domain::paths;
use zhelikit_domain::vault::objection::{Objection, ObjectionKind, RaiseObjection, ServerActivity};

use crate::context::Context;
use crate::error::{Error, Result};
use crate::vault::history::VaultHistory;

/// A complaint or deletion request as the person reads it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ObjectionView {
    /// Its id.
    pub id: String,
    /// `complaint` or `deletion`.
    pub kind: String,
    /// The consent it is about.
    pub consent_id: Option<String>,
    /// The history entry it is about (its `seq`).
    pub entry_seq: Option<u64>,
    /// Who it is about.
    pub counterpart: Option<String>,
    /// What the person said.
    pub message: String,
    /// `RECEIVED`, `FORWARDING`, `FORWARDED` or `FORWARD_FAILED`.
    pub status: String,
    /// The status as the person reads it.
    pub status_text: String,
    /// When raised (seconds since the epoch).
    pub raised_at: i64,
}

/// One thing the platform did with no device involved.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ActivityItem {
    /// When (seconds since the epoch).
    pub at: i64,
    /// `consent_fetched`, `consent_changed`, `correction_decided`, `correction_reissued`.
    pub event: String,
    /// Who (a consumer's id), when known.
    pub counterpart: Option<String>,
    /// What (the certificate kinds fetched, a new status, an outcome) — never values.
    pub detail: String,
}

fn view(o: &Objection) -> ObjectionView {
    ObjectionView {
        id: o.id.clone(),
        kind: match o.kind {
            ObjectionKind::Complaint => "complaint".into(),
            ObjectionKind::Deletion => "deletion".into(),
        },
        consent_id: o.consent_id.clone(),
        entry_seq: o.entry_seq,
        counterpart: o.counterpart.clone(),
        message: o.message.clone(),
        status: serde_json::to_value(o.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        status_text: o.status_text.clone(),
        raised_at: o.raised_at,
    }
}

/// Raises `kind` (`complaint`, `deletion`) about `consent_id` and/or the history entry at
/// `entry_seq`. The same objection sent again is the same one (its request id follows from
/// what it says).
pub(crate) async fn raise(
    ctx: &std::sync::Arc<Context>,
    kind: &str,
    consent_id: Option<String>,
    entry_seq: Option<u64>,
    message: String,
) -> Result<ObjectionView> {
    let kind = match kind {
        "complaint" => ObjectionKind::Complaint,
        "deletion" => ObjectionKind::Deletion,
        other => {
            return Err(Error::Input {
                field: "kind",
                reason: format!("{other} 不是 complaint 或 deletion"),
            })
        }
    };
    let entry = match entry_seq {
        Some(seq) => Some(
            VaultHistory { ctx }
                .entry(seq)?
                .ok_or_else(|| Error::Input {
                    field: "entry_seq",
                    reason: format!("使用记录中没有第 {seq} 条"),
                })?,
        ),
        None => None,
    };
    let said = format!(
        "{kind:?}\0{}\0{}\0{}",
        consent_id.as_deref().unwrap_or(""),
        entry.as_ref().map_or("", |e| e.hash.as_str()),
        message.trim()
    );
    let request = RaiseObjection {
        request_id: hex(&sm3(said.as_bytes()))[..32].to_string(),
        kind,
        consent_id,
        entry,
        message,
    };
    request.check()?;
    let raised: Objection = ctx.post(paths::VAULT_OBJECTIONS, &request).await?;
    Ok(view(&raised))
}

/// The person's objections, newest first.
pub(crate) async fn list(ctx: &Context) -> Result<Vec<ObjectionView>> {
    let all: Vec<Objection> = ctx.get(paths::VAULT_OBJECTIONS).await?;
    Ok(all.iter().map(view).collect())
}

/// The platform's side of the history, newest first.
pub(crate) async fn activity(ctx: &Context) -> Result<Vec<ActivityItem>> {
    let all: Vec<ServerActivity> = ctx.get(paths::VAULT_ACTIVITY).await?;
    Ok(all
        .into_iter()
        .map(|a| ActivityItem {
            at: a.at,
            event: a.event,
            counterpart: a.counterpart,
            detail: a.detail,
        })
        .collect())
}
