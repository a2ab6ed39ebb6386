//! Handling the parts of applications (一件事) as the departments would: a test, or a person at
//! `/departments/intake`, accepts, rejects (with a reason) or completes one; the department
//! then sends its signed status to ZheliKit, trying three times. Saying the same status again
//! sends it again (ZheliKit may not have had it).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use zhelikit_domain::forms::submission::{IntakeCallback, IntakeStatus, PartStatus, Step};
use zhelikit_domain::paths;
use zhelikit_domain::vault::catalogue::issuer_id;

use crate::departments::intake::Part;
use crate::MockState;

/// `GET`: every part the departments received, oldest first.
pub const INTAKE_PATH: &str = "/__admin/intake";
/// `POST {"status": "accepted" | "rejected" | "completed", "reason": "…"}`: the department
/// says where the part stands.
pub const INTAKE_STATUS_PATH: &str = "/__admin/intake/{reference}/status";
/// The departments' page for handling parts by hand.
pub const INTAKE_PAGE: &str = "/departments/intake";

/// Body of [`INTAKE_STATUS_PATH`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetStatus {
    /// Where the part stands now.
    pub status: PartStatus,
    /// Why (a rejection must say).
    #[serde(default)]
    pub reason: Option<String>,
}

/// What saying a status did.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusSent {
    /// The part now.
    pub part: Part,
    /// Why ZheliKit did not acknowledge the status, if it did not.
    pub delivery_error: Option<String>,
}

/// The routes.
pub fn routes() -> Router<MockState> {
    Router::new()
        .route(INTAKE_PATH, get(list))
        .route(INTAKE_STATUS_PATH, post(set_status))
        .route(INTAKE_PAGE, get(page))
}

async fn list(State(state): State<MockState>) -> Json<Vec<Part>> {
    Json(state.intakes.all())
}

fn refused(status: StatusCode, error: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "error": error.into() }))).into_response()
}

async fn set_status(
    State(state): State<MockState>,
    Path(reference): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let set: SetStatus = match serde_json::from_slice(&body) {
        Ok(s) => s,
        Err(e) => {
            return refused(
                StatusCode::BAD_REQUEST,
                format!(
                "expected {{\"status\": \"accepted\"|\"rejected\"|\"completed\", \"reason\"}}: {e}"
            ),
            )
        }
    };
    let reason = set
        .reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    if set.status == PartStatus::Rejected && reason.is_none() {
        return refused(StatusCode::BAD_REQUEST, "a rejection must give its reason");
    }
    if set.status == PartStatus::Pending {
        return refused(
            StatusCode::BAD_REQUEST,
            "pending is ZheliKit's, not a department's",
        );
    }
    let Some(part) = state.intakes.get(&reference) else {
        return refused(StatusCode::NOT_FOUND, format!("no part {reference}"));
    };
    match part.status.step(set.status) {
        Step::Moved => state.intakes.set(&reference, set.status, reason),
        Step::Same => {}
        Step::Behind | Step::Contradicts => {
            return refused(
                StatusCode::CONFLICT,
                format!("the part is {} already", part.status.as_str()),
            )
        }
    }
    let delivery_error = send_status(&state, &reference).await;
    let Some(part) = state.intakes.get(&reference) else {
        return refused(StatusCode::NOT_FOUND, format!("no part {reference}"));
    };
    Json(StatusSent {
        part,
        delivery_error,
    })
    .into_response()
}

/// Signs where part `reference` stands with its department's issuer key and sends it to
/// ZheliKit; why not, if it was not acknowledged.
pub(crate) async fn send_status(state: &MockState, reference: &str) -> Option<String> {
    let part = state.intakes.get(reference)?;
    let status = IntakeStatus {
        iss: issuer_id(part.department.as_str()),
        reference: reference.to_string(),
        status: part.status,
        reason: part.reason.clone(),
        case_number: Some(part.case_number.clone()),
        iat: state.clock.now().timestamp(),
    };
    let callback = IntakeCallback {
        status: state
            .issuers
            .of(part.department)
            .sign_intake_status(&status),
    };
    match super::call_back(state, paths::INTAKE_STATUS, &callback).await {
        Ok(()) => {
            state.intakes.delivered(reference);
            None
        }
        Err(e) => {
            tracing::warn!(reference, error = %e, "a part's status was not delivered");
            Some(e)
        }
    }
}

async fn page() -> Html<&'static str> {
    Html(PAGE)
}

const PAGE: &str = r#"<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>部门一件事收件（模拟）</title>
<style>body{font-family:sans-serif;margin:24px;max-width:1080px}table{border-collapse:collapse;width:100%}
td,th{border:1px solid #ccc;padding:6px;text-align:left;font-size:14px;vertical-align:top}pre{margin:0;font-size:12px;white-space:pre-wrap}
.done{color:#888}</style></head>
<body><h1>部门一件事收件（模拟）</h1>
<p>申请人在“一表通”提交的联办申请，每个部门只收到本部门需要的部分。受理、退回或办结后，部门将签名的办理状态回传浙里办。</p>
<table><thead><tr><th>受理编号</th><th>部门 · 事项</th><th>申请人</th><th>收到的内容</th><th>状态</th><th>办理</th></tr></thead>
<tbody id="rows"></tbody></table>
<script>
const esc = s => String(s ?? '').replace(/[&<>"]/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
const words = {received: '已签收', accepted: '已受理', rejected: '已退回', completed: '已办结'};
async function load() {
  const all = await (await fetch('/__admin/intake')).json();
  document.getElementById('rows').innerHTML = all.map(p => `<tr class="${p.status === 'completed' ? 'done' : ''}">
    <td>${esc(p.caseNumber)}</td><td>${esc(p.department)} · ${esc(p.formTitle)} · ${esc(p.partTitle)}</td>
    <td>${esc(p.applicantName)}</td><td><pre>${esc(JSON.stringify(p.answers, null, 1))}</pre></td>
    <td>${words[p.status] || esc(p.status)}${p.reason ? '：' + esc(p.reason) : ''}${p.delivered ? '' : '（未送达）'}</td>
    <td>${p.status === 'received' ? `<button data-ref="${esc(p.reference)}" data-status="accepted">受理</button>
         <input placeholder="退回理由" id="why-${esc(p.reference)}">
         <button data-ref="${esc(p.reference)}" data-status="rejected">退回</button>`
      : p.status === 'accepted' ? `<button data-ref="${esc(p.reference)}" data-status="completed">办结</button>` : ''}</td></tr>`).join('');
}
document.addEventListener('click', async e => {
  const b = e.target.closest('button[data-ref]');
  if (!b) return;
  const ref = b.dataset.ref, status = b.dataset.status;
  const reason = status === 'rejected' ? document.getElementById('why-' + ref).value : null;
  const r = await fetch(`/__admin/intake/${encodeURIComponent(ref)}/status`, {method: 'POST',
    headers: {'content-type': 'application/json'}, body: JSON.stringify({status, reason})});
  if (!r.ok) alert((await r.json()).error);
  load();
});
load();
</script></body></html>"#;
