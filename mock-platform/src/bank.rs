//! 温州银行 (the mock bank): a data consumer registered with ZheliKit
//! ([`zhelikit_domain::vault::consent::demo_consumers`]) that asks citizens for consent to
//! their certificates for a home loan, is told of consent changes at its webhook, fetches
//! under a consent, opens the sealed answer with its SM2 key and checks every certificate
//! with the one verifier against the issuers' keys and status lists ZheliKit publishes.
//!
//! It speaks to the BFF as a real bank's back office would (HTTP Basic with its id and API
//! secret); the BFF's address is given at start (`ZK_BFF_URL`) or later through
//! [`crate::BffLink::set`] (tests start the BFF after the mock). Its page `/bank` is what the loan
//! officer sees; `/bank/api/…` is what the page calls.

use std::collections::BTreeMap;
use std::sync::Mutex;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{json, Value};
use zhelikit_domain::gm::{Jws, Sm2PublicKey};
use zhelikit_domain::paths;
use zhelikit_domain::vault::consent::{
    demo_bank_key, ConsentItem, ConsentNotice, CreateConsentRequest, FetchType, Frequency,
    NoticeEvent, PendingConsent, Period, SealedFetch, DEMO_BANK_ID, DEMO_BANK_SECRET, NOTICE_TYP,
};
use zhelikit_domain::vault::verifier::TrustMaterial;
use zhelikit_domain::vault::wire::{IssuerDirectory, StatusListAnswer};
use zhelikit_domain::vault::CertificateKind;

use crate::MockState;

/// Where the webhook is (the BFF's demo registration points here).
pub const WEBHOOK_PATH: &str = "/bank/webhook";

/// What the bank knows of one consent.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BankConsent {
    /// The consent's id.
    pub id: String,
    /// Its status as last told (`ACTIVE` …, `DECLINED`), none while unanswered.
    pub status: Option<String>,
    /// Every notice received, oldest first (each verified under the platform's key).
    pub notices: Vec<ConsentNotice>,
    /// What the last fetch gave: per certificate, its claims by label.
    pub data: Vec<FetchedCertificate>,
    /// How many fetches succeeded.
    pub fetches: u32,
    /// The last refusal (problem `code` and `detail`), if the last fetch was refused.
    pub refused: Option<Value>,
    /// When the customer asked the bank to delete what it had under this consent (the bank
    /// did: `data` is empty since).
    pub deleted_at: Option<i64>,
}

/// One certificate a fetch gave, as the bank checked it.
#[derive(Debug, Clone, Serialize)]
pub struct FetchedCertificate {
    /// The kind.
    pub kind: String,
    /// Its name.
    pub name: String,
    /// The issuing department.
    pub department: Option<String>,
    /// Whether the bank's check accepted it, and if not why.
    pub accepted: bool,
    /// The verifier's message.
    pub message: String,
    /// The claims, by label.
    pub claims: BTreeMap<String, String>,
}

/// The bank's state.
#[derive(Debug, Default)]
pub struct Bank {
    consents: Mutex<BTreeMap<String, BankConsent>>,
    /// Notices still to be answered 503 (an outage of the bank's webhook, for tests).
    webhook_failures: std::sync::atomic::AtomicU32,
}

/// `POST {"count": N}`: the bank's webhook answers the next N notices 503 (its outage).
pub const WEBHOOK_FAILURES_PATH: &str = "/__admin/bank/webhook-failures";

#[derive(Debug, serde::Deserialize)]
struct Failures {
    count: u32,
}

async fn webhook_failures(State(state): State<MockState>, body: axum::body::Bytes) -> StatusCode {
    match serde_json::from_slice::<Failures>(&body) {
        Ok(f) => {
            state
                .bank
                .webhook_failures
                .store(f.count, std::sync::atomic::Ordering::SeqCst);
            StatusCode::NO_CONTENT
        }
        Err(_) => StatusCode::BAD_REQUEST,
    }
}

/// The BFF the bank talks to ([`crate::BffLink`]).
fn bff(state: &MockState) -> Result<String, BankError> {
    state.bff.get().ok_or(BankError::NoBff)
}

impl Bank {
    fn update(&self, id: &str, change: impl FnOnce(&mut BankConsent)) {
        let mut all = self.consents.lock().unwrap_or_else(|p| p.into_inner());
        let entry = all.entry(id.to_string()).or_insert_with(|| BankConsent {
            id: id.to_string(),
            ..BankConsent::default()
        });
        change(entry);
    }

    /// What the bank knows of consent `id`.
    pub fn consent(&self, id: &str) -> Option<BankConsent> {
        self.consents
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()
    }
}

#[derive(Debug, thiserror::Error)]
enum BankError {
    #[error("the bank does not know the BFF's address yet")]
    NoBff,
    #[error("the BFF could not be reached: {0}")]
    Unreachable(String),
    #[error("the BFF refused: {1}")]
    Refused(u16, Value),
    #[error("{0}")]
    Bad(String),
}

impl IntoResponse for BankError {
    fn into_response(self) -> Response {
        match self {
            BankError::Refused(status, problem) => (
                StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
                Json(json!({"refused": problem})),
            )
                .into_response(),
            other => (
                StatusCode::BAD_GATEWAY,
                Json(json!({"error": other.to_string()})),
            )
                .into_response(),
        }
    }
}

/// One HTTP client for every call to the BFF (its connection pool reused).
pub(crate) fn client() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(reqwest::Client::new)
}

async fn answer(response: Result<reqwest::Response, reqwest::Error>) -> Result<Value, BankError> {
    let response = response.map_err(|e| BankError::Unreachable(e.without_url().to_string()))?;
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if status == 200 {
        Ok(body)
    } else {
        Err(BankError::Refused(status, body))
    }
}

/// The bank's routes: its page, the page's API and the webhook.
pub fn routes() -> Router<MockState> {
    Router::new()
        .route("/bank", get(page))
        .route("/bank/api/consent-requests", post(ask))
        .route("/bank/api/consents/{id}", get(read))
        .route("/bank/api/consents/{id}/fetch", post(fetch))
        .route(WEBHOOK_PATH, post(webhook))
        .route(WEBHOOK_FAILURES_PATH, post(webhook_failures))
}

/// What the officer can ask for: a home loan (`home_loan`) or opening an account
/// (`account_kyc`).
#[derive(Debug, serde::Deserialize)]
struct Ask {
    #[serde(default)]
    purpose: Option<String>,
}

/// Opening an account: identity only, checked again up to four times a month for a year
/// (ongoing due diligence); the data kept 30 days.
fn account_kyc(now: i64) -> CreateConsentRequest {
    CreateConsentRequest {
        purpose: "account_kyc".into(),
        items: vec![ConsentItem {
            kind: CertificateKind::ResidentId,
            claims: ["name", "id_number", "age_over_18"]
                .map(String::from)
                .to_vec(),
        }],
        start: None,
        expiry: now + 365 * 86_400,
        fetch_type: FetchType::Periodic,
        frequency: Some(Frequency {
            count: 4,
            period: Period::Month,
        }),
        data_life_days: 30,
    }
}

/// The home-loan request: identity and home ownership; twice a month for half a year; the
/// data kept 90 days.
fn home_loan(now: i64) -> CreateConsentRequest {
    let claims = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
    CreateConsentRequest {
        purpose: "home_loan".into(),
        items: vec![
            ConsentItem {
                kind: CertificateKind::ResidentId,
                claims: claims(&["name", "id_number", "age_over_18"]),
            },
            ConsentItem {
                kind: CertificateKind::HomePurchase,
                claims: claims(&["owns_home_in_wenzhou", "floor_area"]),
            },
        ],
        start: None,
        expiry: now + 180 * 86_400,
        fetch_type: FetchType::Periodic,
        frequency: Some(Frequency {
            count: 2,
            period: Period::Month,
        }),
        data_life_days: 90,
    }
}

async fn ask(
    State(state): State<MockState>,
    axum::extract::Query(ask): axum::extract::Query<Ask>,
) -> Result<Json<PendingConsent>, BankError> {
    let bff = bff(&state)?;
    let now = chrono::Utc::now().timestamp();
    let request = match ask.purpose.as_deref() {
        Some("account_kyc") => account_kyc(now),
        _ => home_loan(now),
    };
    let body = answer(
        client()
            .post(format!("{bff}{}", paths::VAULT_CONSUMER_CONSENT_REQUESTS))
            .basic_auth(DEMO_BANK_ID, Some(DEMO_BANK_SECRET))
            .json(&request)
            .send()
            .await,
    )
    .await?;
    let pending: PendingConsent =
        serde_json::from_value(body).map_err(|e| BankError::Bad(e.to_string()))?;
    state.bank.update(&pending.terms.id, |_| {});
    Ok(Json(pending))
}

async fn read(State(state): State<MockState>, Path(id): Path<String>) -> Response {
    match state.bank.consent(&id) {
        Some(c) => Json(c).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "unknown consent"})),
        )
            .into_response(),
    }
}

/// The platform's consent key, as published by the BFF.
async fn platform_key(bff: &str) -> Result<Sm2PublicKey, BankError> {
    let set = answer(
        client()
            .get(format!("{bff}{}", paths::VAULT_CONSENT_KEY))
            .send()
            .await,
    )
    .await?;
    let jwk = set["keys"]
        .get(0)
        .cloned()
        .ok_or_else(|| BankError::Bad("no consent key published".into()))?;
    let jwk = serde_json::from_value(jwk).map_err(|e| BankError::Bad(e.to_string()))?;
    Sm2PublicKey::from_jwk(&jwk).map_err(|e| BankError::Bad(e.to_string()))
}

/// A notice: a JWS signed by the platform's consent key.
async fn webhook(State(state): State<MockState>, body: String) -> StatusCode {
    let failing = state.bank.webhook_failures.fetch_update(
        std::sync::atomic::Ordering::SeqCst,
        std::sync::atomic::Ordering::SeqCst,
        |n| n.checked_sub(1),
    );
    if failing.is_ok() {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let Ok(bff) = bff(&state) else {
        return StatusCode::SERVICE_UNAVAILABLE;
    };
    let Ok(key) = platform_key(&bff).await else {
        return StatusCode::SERVICE_UNAVAILABLE;
    };
    let Ok(jws) = Jws::parse(body.trim()) else {
        return StatusCode::BAD_REQUEST;
    };
    if jws.header.get("typ").and_then(Value::as_str) != Some(NOTICE_TYP)
        || jws.verify(&key).is_err()
    {
        return StatusCode::UNAUTHORIZED;
    }
    let Ok(notice) = serde_json::from_slice::<ConsentNotice>(&jws.payload) else {
        return StatusCode::BAD_REQUEST;
    };
    state.bank.update(&notice.consent.clone(), |c| {
        if notice.event == NoticeEvent::DeletionRequested {
            // The customer's right to erasure: what was fetched goes now.
            c.data.clear();
            c.deleted_at = Some(notice.at);
        } else {
            c.status = Some(match notice.status {
                Some(s) => s.as_str().to_string(),
                None => "DECLINED".into(),
            });
        }
        c.notices.push(notice);
    });
    StatusCode::NO_CONTENT
}

/// What the bank trusts, as any verifier: the directory and status lists the BFF publishes.
async fn trust(bff: &str, kinds: &[CertificateKind]) -> Result<TrustMaterial, BankError> {
    let directory: IssuerDirectory = serde_json::from_value(
        answer(
            client()
                .get(format!("{bff}{}", paths::VAULT_ISSUERS))
                .send()
                .await,
        )
        .await?,
    )
    .map_err(|e| BankError::Bad(e.to_string()))?;
    let mut material = TrustMaterial::new(directory.issuers);
    let now = chrono::Utc::now().timestamp();
    let mut departments: Vec<&str> = kinds.iter().map(|k| k.department()).collect();
    departments.dedup();
    for d in departments {
        let list: StatusListAnswer = serde_json::from_value(
            answer(
                client()
                    .get(format!("{bff}{}", paths::vault_status(d)))
                    .send()
                    .await,
            )
            .await?,
        )
        .map_err(|e| BankError::Bad(e.to_string()))?;
        let age = list
            .stale_secs
            .map_or(0, |s| i64::try_from(s).unwrap_or(i64::MAX));
        material
            .add_status_list(d, &list.token, now - age)
            .map_err(|e| BankError::Bad(e.to_string()))?;
    }
    Ok(material)
}

/// Fetches under consent `id`, opens the envelope and checks each certificate.
async fn fetch(
    State(state): State<MockState>,
    Path(id): Path<String>,
) -> Result<Json<BankConsent>, BankError> {
    let bff = bff(&state)?;
    let sent = client()
        .post(format!(
            "{bff}{}",
            paths::vault_consumer_consent_fetches(&id)
        ))
        .basic_auth(DEMO_BANK_ID, Some(DEMO_BANK_SECRET))
        .send()
        .await;
    let sealed = match answer(sent).await {
        Ok(body) => body,
        Err(BankError::Refused(_, problem)) => {
            state.bank.update(&id, |c| c.refused = Some(problem));
            return Ok(Json(state.bank.consent(&id).unwrap_or_default()));
        }
        Err(e) => return Err(e),
    };
    let sealed: SealedFetch =
        serde_json::from_value(sealed).map_err(|e| BankError::Bad(e.to_string()))?;
    let data = sealed.open(&demo_bank_key()).map_err(BankError::Bad)?;
    let kinds: Vec<CertificateKind> = data.items.iter().map(|i| i.kind).collect();
    let material = trust(&bff, &kinds).await?;
    let now = chrono::Utc::now().timestamp();
    let checked = data
        .items
        .iter()
        .map(|item| {
            let v = material.verify(
                &item.presentation,
                DEMO_BANK_ID,
                Some(&data.fetch),
                &mut Default::default(),
                now,
            );
            FetchedCertificate {
                kind: item.kind.as_str().into(),
                name: item.kind.name_zh().into(),
                department: v.department.clone(),
                accepted: v.accepted,
                message: v.message.clone(),
                claims: v
                    .claims
                    .iter()
                    .map(|c| {
                        let value = match &c.value {
                            Value::String(s) => s.clone(),
                            Value::Bool(true) => "是".into(),
                            Value::Bool(false) => "否".into(),
                            other => other.to_string(),
                        };
                        (c.label.clone(), value)
                    })
                    .collect(),
            }
        })
        .collect();
    state.bank.update(&id, |c| {
        c.data = checked;
        c.fetches += 1;
        c.refused = None;
    });
    Ok(Json(state.bank.consent(&id).unwrap_or_default()))
}

async fn page() -> Html<&'static str> {
    Html(PAGE)
}

/// The loan officer's page: ask, watch the consent, fetch, see what came (or why not).
const PAGE: &str = r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>温州银行 · 数据授权</title>
<style>body{font-family:sans-serif;max-width:40rem;margin:1rem auto}dt{font-weight:bold}.refused{color:#c00}</style></head>
<body><h1>温州银行 · 数据授权</h1>
<p>经客户本人授权，从浙里办个人数据宝获取其电子证照数据，用于贷款审批。</p>
<button id="ask" data-testid="ask-loan">个人住房贷款：发起数据授权请求</button>
<button id="ask-kyc" data-testid="ask-kyc">开立账户：发起身份核验授权请求</button>
<section id="request" hidden><h2>授权请求</h2><p>请客户在浙里办「个人数据宝」中输入授权码：</p>
<p><code id="consent-id" data-testid="consent-id"></code></p>
<p>授权状态：<span id="status" data-testid="consent-status">等待客户同意</span></p>
<button id="fetch" data-testid="fetch">获取数据</button>
<p id="refused" class="refused" data-testid="refused"></p>
<p id="deleted" data-testid="deleted"></p>
<div id="data" data-testid="data"></div></section>
<script>
let id = null;
const statusText = {ACTIVE:"已同意（生效中）",PAUSED:"客户已暂停",REVOKED:"客户已撤销",EXPIRED:"已过期",DECLINED:"客户已拒绝"};
function show(c) {
  document.getElementById("status").textContent = c.status ? (statusText[c.status] || c.status) : "等待客户同意";
  document.getElementById("refused").textContent = c.refused ? ("获取被拒绝：" + (c.refused.detail || c.refused.code)) : "";
  document.getElementById("deleted").textContent = c.deleted_at ? "客户要求删除数据：已删除本行保存的全部数据" : "";
  const data = document.getElementById("data");
  data.innerHTML = "";
  for (const cert of c.data || []) {
    const h = document.createElement("h3");
    h.textContent = cert.name + "（" + (cert.accepted ? "核验通过" : "核验未通过：" + cert.message) + "）";
    data.appendChild(h);
    const dl = document.createElement("dl");
    for (const [label, value] of Object.entries(cert.claims)) {
      const dt = document.createElement("dt"); dt.textContent = label;
      const dd = document.createElement("dd"); dd.textContent = value;
      dl.append(dt, dd);
    }
    data.appendChild(dl);
  }
}
async function poll() {
  if (!id) return;
  const r = await fetch("/bank/api/consents/" + id);
  if (r.ok) show(await r.json());
}
async function ask(purpose) {
  const r = await fetch("/bank/api/consent-requests?purpose=" + purpose, {method: "POST"});
  const body = await r.json();
  if (!r.ok) { alert(JSON.stringify(body)); return; }
  id = body.terms.id;
  document.getElementById("consent-id").textContent = id;
  document.getElementById("request").hidden = false;
}
document.getElementById("ask").onclick = () => ask("home_loan");
document.getElementById("ask-kyc").onclick = () => ask("account_kyc");
document.getElementById("fetch").onclick = async () => {
  const r = await fetch("/bank/api/consents/" + id + "/fetch", {method: "POST"});
  const body = await r.json();
  if (r.ok) show(body); else document.getElementById("refused").textContent = JSON.stringify(body);
};
setInterval(poll, 500);
</script></body></html>"#;
