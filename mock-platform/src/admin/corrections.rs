//! Deciding correction requests (数据纠错) as the departments would: a test, or a person at
//! `/departments/corrections`, accepts or rejects one; the department then revokes the old
//! credentials (on acceptance) and sends its signed decision to ZheliKit, trying three times.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use zhelikit_domain::paths;
use zhelikit_domain::vault::catalogue::issuer_id;
use zhelikit_domain::vault::correction::{Decision, DecisionCallback, Outcome};

use crate::departments::corrections::Filed;
use crate::MockState;

/// `GET`: every correction the departments received, oldest first.
pub const CORRECTIONS_PATH: &str = "/__admin/corrections";
/// `POST {"outcome": "accepted" | "rejected", "reason": "…"}`: the department decides.
pub const CORRECTION_DECISION_PATH: &str = "/__admin/corrections/{reference}/decision";
/// The departments' page for deciding by hand.
pub const CORRECTIONS_PAGE: &str = "/departments/corrections";

/// Body of [`CORRECTION_DECISION_PATH`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Decide {
    /// Accepted or rejected.
    pub outcome: Outcome,
    /// Why (a rejection must say).
    pub reason: Option<String>,
}

/// What deciding did.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Decided {
    /// The correction now.
    pub correction: Filed,
    /// Credentials revoked in the issuer's status list.
    pub revoked: usize,
    /// Why ZheliKit did not acknowledge the decision, if it did not.
    pub delivery_error: Option<String>,
}

/// The routes.
pub fn routes() -> Router<MockState> {
    Router::new()
        .route(CORRECTIONS_PATH, get(list))
        .route(CORRECTION_DECISION_PATH, post(decide))
        .route(CORRECTIONS_PAGE, get(page))
}

async fn list(State(state): State<MockState>) -> Json<Vec<Filed>> {
    Json(state.corrections.all())
}

fn refused(status: StatusCode, error: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "error": error.into() }))).into_response()
}

async fn decide(
    State(state): State<MockState>,
    Path(reference): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let decide: Decide = match serde_json::from_slice(&body) {
        Ok(d) => d,
        Err(e) => {
            return refused(
                StatusCode::BAD_REQUEST,
                format!("expected {{\"outcome\": \"accepted\"|\"rejected\", \"reason\"}}: {e}"),
            )
        }
    };
    let reason = decide
        .reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    if decide.outcome == Outcome::Rejected && reason.is_none() {
        return refused(StatusCode::BAD_REQUEST, "a rejection must give its reason");
    }
    let Some(filed) = state.corrections.get(&reference) else {
        return refused(StatusCode::NOT_FOUND, format!("no correction {reference}"));
    };
    let mut revoked = 0;
    match filed.outcome {
        // Decided the same way before: send it again (ZheliKit may not have had it).
        Some(o) if o == decide.outcome => {}
        Some(o) => return refused(StatusCode::CONFLICT, format!("already decided: {o:?}")),
        None => {
            state
                .corrections
                .decide(&reference, decide.outcome, reason.clone());
            if decide.outcome == Outcome::Accepted {
                let issuer = state.issuers.of(filed.department);
                revoked = issuer.revoke_issued(&filed.id_number, filed.kind);
                if let Some(idx) = filed.credential_idx {
                    // Issued before the ledger began (a restarted mock): revoke it by its index.
                    issuer.set_status(
                        idx,
                        zhelikit_domain::vault::status_list::TokenStatus::Invalid,
                    );
                }
            }
        }
    }
    let issuer = state.issuers.of(filed.department);
    let decision = Decision {
        iss: issuer_id(filed.department.as_str()),
        reference: reference.clone(),
        outcome: decide.outcome,
        reason: reason.or(filed.decision_reason.clone()),
        iat: state.clock.now().timestamp(),
    };
    let callback = DecisionCallback {
        decision: issuer.sign_decision(&decision),
    };
    let delivery_error = super::call_back(&state, paths::VAULT_CORRECTION_DECISIONS, &callback)
        .await
        .err();
    if delivery_error.is_none() {
        state.corrections.delivered(&reference);
    }
    let Some(correction) = state.corrections.get(&reference) else {
        return refused(StatusCode::NOT_FOUND, format!("no correction {reference}"));
    };
    Json(Decided {
        correction,
        revoked,
        delivery_error,
    })
    .into_response()
}

async fn page() -> Html<&'static str> {
    Html(PAGE)
}

const PAGE: &str = r#"<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>部门数据纠错受理（模拟）</title>
<style>body{font-family:sans-serif;margin:24px;max-width:960px}table{border-collapse:collapse;width:100%}
td,th{border:1px solid #ccc;padding:6px;text-align:left;font-size:14px}.done{color:#888}</style></head>
<body><h1>部门数据纠错受理（模拟）</h1>
<p>市民在“个人数据宝”提交的纠错申请。通过后部门更正档案、撤销旧证照，并将签名的处理结果回传浙里办。</p>
<table><thead><tr><th>受理编号</th><th>部门</th><th>证照 · 项目</th><th>申请更正为</th><th>理由</th><th>材料</th><th>处理</th></tr></thead>
<tbody id="rows"></tbody></table>
<script>
const esc = s => String(s ?? '').replace(/[&<>"]/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
async function load() {
  const all = await (await fetch('/__admin/corrections')).json();
  document.getElementById('rows').innerHTML = all.map(c => `<tr class="${c.outcome ? 'done' : ''}">
    <td>${esc(c.caseNumber)}</td><td>${esc(c.department)}</td><td>${esc(c.kind)} · ${esc(c.claimLabel)}</td>
    <td>${esc(c.proposedValue)}</td><td>${esc(c.reason)}</td><td>${c.evidence ? esc(c.evidence[0]) : '无'}</td>
    <td>${c.outcome ? (c.outcome === 'accepted' ? '已通过' : '已驳回：' + esc(c.decisionReason)) + (c.delivered ? '' : '（未送达）')
      : `<button data-ref="${esc(c.reference)}" data-outcome="accepted">通过</button>
         <input placeholder="驳回理由" id="why-${esc(c.reference)}">
         <button data-ref="${esc(c.reference)}" data-outcome="rejected">驳回</button>`}</td></tr>`).join('');
}
document.addEventListener('click', async e => {
  const b = e.target.closest('button[data-ref]');
  if (!b) return;
  const ref = b.dataset.ref, outcome = b.dataset.outcome;
  const reason = outcome === 'rejected' ? document.getElementById('why-' + ref).value : '已核实，予以更正';
  const r = await fetch(`/__admin/corrections/${ref}/decision`, {method: 'POST',
    headers: {'content-type': 'application/json'}, body: JSON.stringify({outcome, reason})});
  if (!r.ok) alert((await r.json()).error);
  load();
});
load();
</script></body></html>"#;
