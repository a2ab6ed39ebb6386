//! 本人授权推送 (consented sharing with a data consumer, e.g. a bank's loan desk), on the Account
//! Aggregator model: a registered consumer asks for some claims of some certificates, for a
//! purpose, over a window, once or at a frequency, and says how long it keeps what it gets; the
//! citizen approves on the phone; the platform signs a **consent artefact** with those terms
//! and the device's proof of approval; the consumer then fetches under the artefact, and the
//! platform answers with the data sealed to the consumer's SM2 key
//! ([`crate::gm::envelope`]), so nothing between them reads it. The citizen pauses, resumes or
//! revokes it at any time; each fetch is counted.
//!
//! Everything here is pure: the request's checks against the registration, the artefact's
//! terms and their signing input, status changes, and whether a fetch is allowed now. The BFF
//! keeps the artefacts and runs the fetches; the device shows the terms and signs the approval.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::gm::{self, Sm2Jwk, Sm2PrivateKey, Sm2PublicKey};
use crate::lang::Text;
use crate::vault::CertificateKind;

/// How long a consent request may be answered, in seconds.
pub const REQUEST_TTL_SECS: i64 = 600;
/// The longest consent window a consumer may ask for: one year.
pub const MAX_WINDOW_SECS: i64 = 366 * 86_400;
/// The `typ` of a signed consent artefact.
pub const ARTEFACT_TYP: &str = "zhelikit-consent+jwt";

/// One purpose a consumer is registered for (AA's purpose codes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsentPurpose {
    /// A stable code, e.g. `home_loan`.
    pub code: String,
    /// As the citizen reads it, e.g. `个人住房贷款审批`.
    pub text: String,
}

/// A data consumer registered with the platform (a bank), with what it may ask for and where
/// the platform tells it of changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsumerRegistration {
    /// Its id, e.g. `zk-demo-bank`.
    pub id: String,
    /// Who it is, as the citizen reads it.
    pub name: String,
    /// What it may ask for data for.
    pub purposes: Vec<ConsentPurpose>,
    /// The claims it may ask for, by kind.
    pub allowed: BTreeMap<CertificateKind, Vec<String>>,
    /// Where consent changes are posted (signed by the platform); none to poll instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<String>,
    /// Its SM2 key: fetched data is sealed to it.
    pub encryption_key: Sm2Jwk,
    /// SM3 (hex) of its API secret: the secret itself is never kept.
    pub secret_sm3: String,
}

/// Checks a registry of data consumers (a deployment's configuration): ids unique, a name and
/// purposes, only claims the catalogue has, a usable SM2 encryption key, the secret's SM3 as 64
/// hex digits, a webhook that is an http(s) URL; the first fault, naming its consumer. Pure.
pub fn check_consumers(registry: &[ConsumerRegistration]) -> Result<(), String> {
    let mut seen = std::collections::BTreeSet::new();
    for c in registry {
        let who = &c.id;
        if who.trim().is_empty() || !seen.insert(who.as_str()) {
            return Err(format!("consumer id {who:?} is empty or used twice"));
        }
        if c.name.trim().is_empty() || c.purposes.is_empty() {
            return Err(format!("consumer {who} needs a name and a purpose"));
        }
        for (kind, claims) in &c.allowed {
            if let Some(claim) = claims.iter().find(|n| kind.claim(n).is_none()) {
                return Err(format!(
                    "consumer {who}: a {} has no claim {claim}",
                    kind.as_str()
                ));
            }
        }
        Sm2PublicKey::from_jwk(&c.encryption_key)
            .map_err(|e| format!("consumer {who}: encryption_key: {e}"))?;
        if c.secret_sm3.len() != 64 || !c.secret_sm3.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!(
                "consumer {who}: secret_sm3 must be the SM3 of its API secret, 64 hex digits"
            ));
        }
        if let Some(url) = &c.webhook {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(format!(
                    "consumer {who}: webhook {url:?} is not an http(s) URL"
                ));
            }
        }
    }
    Ok(())
}

impl ConsumerRegistration {
    /// Whether `secret` is this consumer's API secret.
    pub fn authenticates(&self, secret: &str) -> bool {
        let given = gm::hex(&gm::sm3(secret.as_bytes()));
        // Both are hex of a 32-byte digest: compare in constant time anyway.
        given.len() == self.secret_sm3.len()
            && given
                .bytes()
                .zip(self.secret_sm3.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

/// The demo bank's id.
pub const DEMO_BANK_ID: &str = "zk-demo-bank";
/// The demo bank's API secret: a fixture, named as one, for the mock bank and tests only.
pub const DEMO_BANK_SECRET: &str = "zk-demo-bank-fixture-secret-not-for-production";

/// The demo bank's SM2 key: a fixture derived from a named seed, so the mock bank and the
/// BFF's demo registration agree without any secret being written down.
pub fn demo_bank_key() -> Sm2PrivateKey {
    let seed = gm::sm3("zhelikit fixture: the demo bank's SM2 key (not a secret)".as_bytes());
    Sm2PrivateKey::from_scalar(&seed)
        .unwrap_or_else(|_| unreachable!("an SM3 digest below the curve order is a valid scalar"))
}

/// The consumers registered on the demo stack: 温州银行 (the mock bank), whose webhook is
/// `webhook` (the mock platform's bank endpoint, known only when the stack starts).
pub fn demo_consumers(webhook: Option<String>) -> Vec<ConsumerRegistration> {
    let claims = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
    vec![ConsumerRegistration {
        id: DEMO_BANK_ID.into(),
        name: "温州银行".into(),
        purposes: vec![
            ConsentPurpose {
                code: "home_loan".into(),
                text: "个人住房贷款审批".into(),
            },
            ConsentPurpose {
                code: "account_kyc".into(),
                text: "开立账户身份核验".into(),
            },
        ],
        allowed: BTreeMap::from([
            (
                CertificateKind::ResidentId,
                claims(&["name", "id_number", "age_over_18", "resident_of_wenzhou"]),
            ),
            (
                CertificateKind::HomePurchase,
                claims(&[
                    "owns_home_in_wenzhou",
                    "floor_area",
                    "property_address_masked",
                ]),
            ),
            (
                CertificateKind::SocialSecurityCard,
                claims(&["insured", "card_active"]),
            ),
        ]),
        webhook,
        encryption_key: demo_bank_key().public_key().to_jwk(),
        secret_sm3: gm::hex(&gm::sm3(DEMO_BANK_SECRET.as_bytes())),
    }]
}

/// Once, or again at most `count` times per `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FetchType {
    /// One fetch, then the consent is used up.
    Once,
    /// Repeated fetches within the window, at most [`Frequency`].
    Periodic,
}

/// The unit of a frequency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Period {
    /// A day (86,400 s).
    Day,
    /// A month, counted as 30 days.
    Month,
    /// A year, counted as 365 days.
    Year,
}

impl Period {
    /// Its length in seconds (the window counted back from now).
    pub fn seconds(self) -> i64 {
        match self {
            Self::Day => 86_400,
            Self::Month => 30 * 86_400,
            Self::Year => 365 * 86_400,
        }
    }

    fn zh(self) -> &'static str {
        match self {
            Self::Day => "天",
            Self::Month => "月",
            Self::Year => "年",
        }
    }
}

/// At most `count` fetches per `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Frequency {
    /// How many.
    pub count: u32,
    /// Per what.
    pub period: Period,
}

/// The claims asked of one kind of certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsentItem {
    /// The kind.
    pub kind: CertificateKind,
    /// The claims, by name (raw, masked or predicate).
    pub claims: Vec<String>,
}

/// What a consumer asks for (`POST /v1/vault/consumers/consent-requests`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateConsentRequest {
    /// One of its registered purpose codes.
    pub purpose: String,
    /// What it asks for.
    pub items: Vec<ConsentItem>,
    /// The window's start (seconds since the epoch); now when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<i64>,
    /// The window's end.
    pub expiry: i64,
    /// Once or periodic.
    pub fetch_type: FetchType,
    /// For periodic fetches: how often.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency: Option<Frequency>,
    /// How many days the consumer keeps what it fetched.
    pub data_life_days: u32,
}

/// Why a consent request is refused before the citizen sees it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestRefusal {
    /// A field is wrong; `field` names it.
    #[error("{field}: {}", message.en)]
    Invalid {
        /// The field, e.g. `items[0].claims`.
        field: String,
        /// What is wrong with it.
        message: Text,
    },
    /// Claims the consumer is not registered to ask for.
    #[error("over-asked: {0:?}")]
    OverAsked(Vec<String>),
}

fn invalid(field: impl Into<String>, zh: String, en: String) -> RequestRefusal {
    RequestRefusal::Invalid {
        field: field.into(),
        message: Text::new(zh, en),
    }
}

impl CreateConsentRequest {
    /// Checks the request against the consumer's registration at `now`; the window's start.
    pub fn check(&self, consumer: &ConsumerRegistration, now: i64) -> Result<i64, RequestRefusal> {
        if !consumer.purposes.iter().any(|p| p.code == self.purpose) {
            return Err(invalid(
                "purpose",
                format!("{} 未登记用途 {}", consumer.name, self.purpose),
                format!(
                    "{} is not registered for purpose {}",
                    consumer.id, self.purpose
                ),
            ));
        }
        if self.items.is_empty() {
            return Err(invalid(
                "items",
                "至少申请一项证照".into(),
                "ask for at least one certificate".into(),
            ));
        }
        let mut over = Vec::new();
        for (i, item) in self.items.iter().enumerate() {
            if self.items[..i].iter().any(|o| o.kind == item.kind) {
                return Err(invalid(
                    format!("items[{i}].kind"),
                    format!("{} 重复", item.kind.name_zh()),
                    format!("{} appears twice", item.kind.as_str()),
                ));
            }
            if item.claims.is_empty() {
                return Err(invalid(
                    format!("items[{i}].claims"),
                    "至少申请一项数据".into(),
                    "ask for at least one claim".into(),
                ));
            }
            for claim in &item.claims {
                if item.kind.claim(claim).is_none() {
                    return Err(invalid(
                        format!("items[{i}].claims"),
                        format!("{}没有数据项 {claim}", item.kind.name_zh()),
                        format!("{} has no claim {claim}", item.kind.as_str()),
                    ));
                }
                let allowed = consumer.allowed.get(&item.kind);
                if allowed.is_none_or(|a| !a.contains(claim)) {
                    over.push(format!("{}.{claim}", item.kind.as_str()));
                }
            }
        }
        if !over.is_empty() {
            return Err(RequestRefusal::OverAsked(over));
        }
        let start = self.start.unwrap_or(now);
        if start < now - 60 {
            return Err(invalid(
                "start",
                "开始时间不能早于现在".into(),
                "start must not be in the past".into(),
            ));
        }
        if self.expiry <= start {
            return Err(invalid(
                "expiry",
                "截止时间须晚于开始时间".into(),
                "expiry must be after start".into(),
            ));
        }
        if self.expiry - start > MAX_WINDOW_SECS {
            return Err(invalid(
                "expiry",
                "授权期限最长一年".into(),
                "a consent lasts at most a year".into(),
            ));
        }
        if self.data_life_days == 0 || self.data_life_days > 3_650 {
            return Err(invalid(
                "data_life_days",
                "数据保存期限须为 1 至 3650 天".into(),
                "data_life_days must be 1 to 3650".into(),
            ));
        }
        match (self.fetch_type, self.frequency) {
            (FetchType::Once, Some(_)) => Err(invalid(
                "frequency",
                "一次性授权不设频率".into(),
                "a one-time consent has no frequency".into(),
            )),
            (FetchType::Periodic, None) => Err(invalid(
                "frequency",
                "周期性授权须说明频率".into(),
                "a periodic consent needs a frequency".into(),
            )),
            (FetchType::Periodic, Some(f)) if f.count == 0 || f.count > 1_000 => Err(invalid(
                "frequency.count",
                "频率须为 1 至 1000 次".into(),
                "frequency.count must be 1 to 1000".into(),
            )),
            _ => Ok(start),
        }
    }
}

/// A claim as the citizen sees it in a request: its name, its label, and whether the raw
/// value, a masked value or only a yes/no leaves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClaimView {
    /// The claim name.
    pub claim: String,
    /// Its label, e.g. `公民身份号码`.
    pub label: String,
    /// `raw`, `masked` or `predicate`.
    pub class: crate::vault::ClaimClass,
}

/// A certificate's part of a request, as the citizen sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemView {
    /// The kind.
    pub kind: CertificateKind,
    /// Its name, e.g. `居民身份证`.
    pub name: String,
    /// The claims asked for.
    pub claims: Vec<ClaimView>,
}

/// The terms a consent request proposes and an artefact fixes: who, why, what, when, how
/// often and how long the data is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsentTerms {
    /// The request's id, which becomes the artefact's.
    pub id: String,
    /// The consumer's id.
    pub consumer: String,
    /// The consumer as the citizen reads it.
    pub consumer_name: String,
    /// Why.
    pub purpose: ConsentPurpose,
    /// What.
    pub items: Vec<ItemView>,
    /// From (seconds since the epoch).
    pub start: i64,
    /// Until.
    pub expiry: i64,
    /// Once or periodic.
    pub fetch_type: FetchType,
    /// How often, for periodic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency: Option<Frequency>,
    /// Days the consumer keeps what it fetched.
    pub data_life_days: u32,
}

impl ConsentTerms {
    /// The terms of `request` from `consumer`, with id `id` and window start `start` (from
    /// [`CreateConsentRequest::check`]).
    pub fn of(
        id: String,
        consumer: &ConsumerRegistration,
        request: &CreateConsentRequest,
        start: i64,
    ) -> Self {
        let purpose = consumer
            .purposes
            .iter()
            .find(|p| p.code == request.purpose)
            .cloned()
            .unwrap_or_else(|| ConsentPurpose {
                code: request.purpose.clone(),
                text: request.purpose.clone(),
            });
        let items = request
            .items
            .iter()
            .map(|item| ItemView {
                kind: item.kind,
                name: item.kind.name_zh().into(),
                claims: item
                    .claims
                    .iter()
                    .filter_map(|c| item.kind.claim(c))
                    .map(|c| ClaimView {
                        claim: c.name.into(),
                        label: c.label.into(),
                        class: c.class,
                    })
                    .collect(),
            })
            .collect();
        Self {
            id,
            consumer: consumer.id.clone(),
            consumer_name: consumer.name.clone(),
            purpose,
            items,
            start,
            expiry: request.expiry,
            fetch_type: request.fetch_type,
            frequency: request.frequency,
            data_life_days: request.data_life_days,
        }
    }

    /// What the citizen's device signs to approve these terms: base64url SM3 of their
    /// canonical JSON (serde's field order, fixed by this type). Also the nonce of the
    /// approval's key binding.
    pub fn digest(&self) -> String {
        use base64::Engine as _;
        let bytes = serde_json::to_vec(self).unwrap_or_default();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(gm::sm3(&bytes))
    }

    /// The frequency in words, e.g. `一次性` or `每月最多 2 次`.
    pub fn frequency_text(&self) -> String {
        match (self.fetch_type, self.frequency) {
            (FetchType::Periodic, Some(f)) => format!("每{}最多 {} 次", f.period.zh(), f.count),
            _ => "一次性".into(),
        }
    }
}

/// The citizen's approval: a presentation of the first item's certificate by the device that
/// holds it, disclosing nothing, its key binding's nonce the terms' [`ConsentTerms::digest`]
/// and its audience the consumer — so anyone with the issuer's key can check that the holder
/// of a valid certificate approved exactly these terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Approval {
    /// The presentation (`jwt~kb-jwt`, no disclosures).
    pub presentation: String,
    /// When (seconds since the epoch).
    pub approved_at: i64,
}

/// A consent's status (AA's artefact states).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConsentStatus {
    /// Fetches allowed (within window and frequency).
    Active,
    /// Stopped by the citizen for now; they may resume it.
    Paused,
    /// Ended by the citizen; final.
    Revoked,
    /// Past its expiry, or a one-time consent used; final.
    Expired,
}

impl ConsentStatus {
    /// As stored and sent: `ACTIVE` …
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Paused => "PAUSED",
            Self::Revoked => "REVOKED",
            Self::Expired => "EXPIRED",
        }
    }

    /// From [`Self::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Active, Self::Paused, Self::Revoked, Self::Expired]
            .into_iter()
            .find(|v| v.as_str() == s)
    }

    /// The status as the citizen reads it.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Active => "生效中",
            Self::Paused => "已暂停",
            Self::Revoked => "已撤销",
            Self::Expired => "已过期",
        }
    }
}

/// A consent as it stands: the signed artefact, its terms read out, and what changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Consent {
    /// The artefact: a compact JWS (`typ` [`ARTEFACT_TYP`]) signed SM2 by the platform over
    /// [`ArtefactBody`].
    pub artefact: String,
    /// Its terms.
    pub terms: ConsentTerms,
    /// Its status now ([`ConsentStatus::Expired`] once past expiry, whatever was stored).
    pub status: ConsentStatus,
    /// How many fetches it has served.
    pub use_count: u32,
    /// When the status last changed.
    pub status_changed_at: i64,
}

/// What the platform signs: the terms, the approval, and the platform's id for the citizen
/// (a pseudonym, the same for every consumer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ArtefactBody {
    /// The terms.
    #[serde(flatten)]
    pub terms: ConsentTerms,
    /// The citizen, pseudonymously.
    pub subject: String,
    /// The citizen's approval.
    pub approval: Approval,
    /// Issued at.
    pub iat: i64,
}

/// Signs the artefact.
pub fn sign_artefact(body: &ArtefactBody, platform: &Sm2PrivateKey, kid: &str) -> String {
    let header = serde_json::json!({"alg": gm::JWS_ALG, "typ": ARTEFACT_TYP, "kid": kid});
    gm::sign_jws(
        platform,
        &header,
        &serde_json::to_vec(body).unwrap_or_default(),
    )
}

/// Reads an artefact signed by `platform`; a consumer or a test checks it this way.
pub fn verify_artefact(artefact: &str, platform: &Sm2PublicKey) -> Result<ArtefactBody, String> {
    let jws = gm::Jws::parse(artefact)?;
    if jws.header.get("typ").and_then(|t| t.as_str()) != Some(ARTEFACT_TYP) {
        return Err(format!("not a {ARTEFACT_TYP}"));
    }
    jws.verify(platform).map_err(|e| e.to_string())?;
    serde_json::from_slice(&jws.payload).map_err(|e| format!("the artefact's body: {e}"))
}

/// What the citizen may do to a consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConsentAction {
    /// Stop fetches for now.
    Pause,
    /// Allow them again.
    Resume,
    /// End it.
    Revoke,
}

/// The status `stored` is in at `now`: an active or paused consent past its expiry is expired.
pub fn effective_status(stored: ConsentStatus, terms: &ConsentTerms, now: i64) -> ConsentStatus {
    match stored {
        ConsentStatus::Active | ConsentStatus::Paused if now >= terms.expiry => {
            ConsentStatus::Expired
        }
        s => s,
    }
}

/// The status after `action`, or why it cannot be done.
pub fn apply(
    stored: ConsentStatus,
    terms: &ConsentTerms,
    action: ConsentAction,
    now: i64,
) -> Result<ConsentStatus, Text> {
    let status = effective_status(stored, terms, now);
    match (status, action) {
        (ConsentStatus::Active, ConsentAction::Pause) => Ok(ConsentStatus::Paused),
        (ConsentStatus::Paused, ConsentAction::Resume) => Ok(ConsentStatus::Active),
        (ConsentStatus::Active | ConsentStatus::Paused, ConsentAction::Revoke) => {
            Ok(ConsentStatus::Revoked)
        }
        (s, a) => Err(Text::new(
            format!("授权{}，不能{}", s.zh(), action_zh(a)),
            format!("the consent is {}: it cannot be {a:?}d", s.as_str()),
        )),
    }
}

fn action_zh(a: ConsentAction) -> &'static str {
    match a {
        ConsentAction::Pause => "暂停",
        ConsentAction::Resume => "恢复",
        ConsentAction::Revoke => "撤销",
    }
}

/// Why a fetch is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchRefusal {
    /// The window has not begun.
    #[error("the consent starts later")]
    NotStarted,
    /// Paused by the citizen.
    #[error("the consent is paused")]
    Paused,
    /// Revoked by the citizen.
    #[error("the consent is revoked")]
    Revoked,
    /// Past its expiry.
    #[error("the consent has expired")]
    Expired,
    /// A one-time consent already used.
    #[error("the one-time consent has been used")]
    Used,
    /// The frequency's allowance for the period is spent; the next fetch is allowed at `next`.
    #[error("frequency exceeded")]
    TooOften {
        /// When the next fetch is allowed (seconds since the epoch).
        next: i64,
    },
}

impl FetchRefusal {
    /// A stable code for the consumer's systems.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotStarted => "not_started",
            Self::Paused => "paused",
            Self::Revoked => "revoked",
            Self::Expired => "expired",
            Self::Used => "used",
            Self::TooOften { .. } => "too_often",
        }
    }

    /// What a bank's officer reads.
    pub fn text(&self) -> Text {
        match self {
            Self::NotStarted => Text::new("授权尚未开始", "the consent has not started yet"),
            Self::Paused => Text::new("用户已暂停该授权", "the citizen has paused this consent"),
            Self::Revoked => Text::new("用户已撤销该授权", "the citizen has revoked this consent"),
            Self::Expired => Text::new("授权已过期", "the consent has expired"),
            Self::Used => Text::new("一次性授权已使用", "the one-time consent has been used"),
            Self::TooOften { .. } => {
                Text::new("超出授权的获取频率", "more often than the consent allows")
            }
        }
    }
}

/// The fetches of a consent within its frequency period (counted back from now), as far as
/// the frequency rule needs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FetchWindow {
    /// How many fetches fall within the period.
    pub count: u32,
    /// When `count` reaches the frequency's: the time of the `frequency.count`-th newest of
    /// them, the first to leave the period.
    pub leaving: Option<i64>,
}

impl FetchWindow {
    /// The window of the fetches at `times` (any order) for `frequency` at `now`.
    pub fn of(times: &[i64], frequency: Frequency, now: i64) -> Self {
        let since = now - frequency.period.seconds();
        let mut within: Vec<i64> = times.iter().copied().filter(|t| *t > since).collect();
        within.sort_unstable_by(|a, b| b.cmp(a));
        Self {
            count: within.len() as u32,
            leaving: within.get(frequency.count as usize - 1).copied(),
        }
    }
}

/// Whether a fetch is allowed at `now`: `stored` status, `use_count` fetches so far, and
/// `window` the fetches within the last frequency period.
pub fn check_fetch(
    terms: &ConsentTerms,
    stored: ConsentStatus,
    use_count: u32,
    window: FetchWindow,
    now: i64,
) -> Result<(), FetchRefusal> {
    match effective_status(stored, terms, now) {
        ConsentStatus::Paused => return Err(FetchRefusal::Paused),
        ConsentStatus::Revoked => return Err(FetchRefusal::Revoked),
        ConsentStatus::Expired => return Err(FetchRefusal::Expired),
        ConsentStatus::Active => {}
    }
    if now < terms.start {
        return Err(FetchRefusal::NotStarted);
    }
    match (terms.fetch_type, terms.frequency) {
        (FetchType::Once, _) if use_count > 0 => Err(FetchRefusal::Used),
        (FetchType::Periodic, Some(f)) if window.count >= f.count => Err(FetchRefusal::TooOften {
            // The oldest fetch that counts leaves the period first.
            next: window.leaving.unwrap_or(now) + f.period.seconds() + 1,
        }),
        _ => Ok(()),
    }
}

/// What a fetch returns, before it is sealed to the consumer: each item's certificate as a
/// presentation disclosing the consented claims only, issuer-signed, bound to the platform's
/// key and to this fetch (`aud` the consumer, nonce the fetch id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FetchedData {
    /// The consent.
    pub consent: String,
    /// This fetch.
    pub fetch: String,
    /// When (seconds since the epoch).
    pub fetched_at: i64,
    /// Delete by (seconds since the epoch): `fetched_at` + the consent's data life.
    pub delete_by: i64,
    /// One per item.
    pub items: Vec<FetchedItem>,
}

/// One certificate's part of a fetch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FetchedItem {
    /// The kind.
    pub kind: CertificateKind,
    /// The presentation (SD-JWT with the consented disclosures and a KB-JWT by the platform).
    pub presentation: String,
}

/// What happened to a consent, as its consumer's webhook is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NoticeEvent {
    /// The citizen approved the request: the consent is active.
    Approved,
    /// The citizen declined the request: there is no consent.
    Declined,
    /// Paused by the citizen.
    Paused,
    /// Resumed by the citizen.
    Resumed,
    /// Revoked by the citizen.
    Revoked,
    /// Found past its expiry.
    Expired,
    /// The citizen asks the consumer to delete what it received under the consent (whatever
    /// its data life allowed).
    DeletionRequested,
}

impl NoticeEvent {
    /// The event a status change to `status` is.
    pub fn of(status: ConsentStatus, action: Option<ConsentAction>) -> Self {
        match (status, action) {
            (ConsentStatus::Active, Some(ConsentAction::Resume)) => Self::Resumed,
            (ConsentStatus::Active, _) => Self::Approved,
            (ConsentStatus::Paused, _) => Self::Paused,
            (ConsentStatus::Revoked, _) => Self::Revoked,
            (ConsentStatus::Expired, _) => Self::Expired,
        }
    }
}

/// What a consumer's webhook receives when a consent changes (signed by the platform as a
/// JWS, `typ` [`NOTICE_TYP`], posted as the body).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsentNotice {
    /// The consent (the request's id).
    pub consent: String,
    /// What happened.
    pub event: NoticeEvent,
    /// Its status now; none when declined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ConsentStatus>,
    /// When.
    pub at: i64,
}

/// The `typ` of a signed [`ConsentNotice`].
pub const NOTICE_TYP: &str = "zhelikit-consent-notice+jwt";

/// A consent request as the consumer made it and the citizen reads it: its terms and until
/// when it may be answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PendingConsent {
    /// The proposed terms (`terms.id` is the request's id).
    pub terms: ConsentTerms,
    /// Answer by (seconds since the epoch).
    pub answer_by: i64,
}

/// The citizen's answer to a consent request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsentDecision {
    /// Approve (with `approval`) or decline.
    pub approve: bool,
    /// For an approval: the device's [`Approval::presentation`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<String>,
}

/// What a decision made: the consent when approved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DecisionOutcome {
    /// The new consent; none when declined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<Consent>,
}

/// Pause, resume or revoke.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangeConsent {
    /// What to do.
    pub action: ConsentAction,
}

/// A fetch's answer: [`FetchedData`] as JSON, sealed to the consumer's key with
/// [`SealedFetch::associated_data`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SealedFetch {
    /// The consent.
    pub consent: String,
    /// This fetch's id (also the nonce of the presentations inside).
    pub fetch: String,
    /// The data, readable by the consumer alone.
    pub envelope: crate::gm::envelope::Envelope,
}

impl SealedFetch {
    /// What the envelope is bound to: the consent and the fetch, so an envelope cannot be
    /// passed off as another fetch's.
    pub fn associated_data(consent: &str, fetch: &str) -> Vec<u8> {
        format!("{consent}\u{0}{fetch}").into_bytes()
    }

    /// Opens it with the consumer's key.
    pub fn open(&self, key: &Sm2PrivateKey) -> Result<FetchedData, String> {
        let bytes = self
            .envelope
            .open(key, &Self::associated_data(&self.consent, &self.fetch))
            .map_err(|e| e.to_string())?;
        serde_json::from_slice(&bytes).map_err(|e| format!("the sealed data: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_consumers_pass_their_own_check_and_faults_are_named() {
        let demo = demo_consumers(Some("http://127.0.0.1/bank/webhook".into()));
        assert_eq!(check_consumers(&demo), Ok(()));
        let mut bad = demo[0].clone();
        bad.encryption_key.x = "AAAA".into();
        assert!(check_consumers(&[bad])
            .unwrap_err()
            .contains("encryption_key"));
        let mut bad = demo[0].clone();
        bad.purposes.clear();
        assert!(check_consumers(&[bad]).unwrap_err().contains("purpose"));
    }

    const NOW: i64 = 1_800_000_000;

    fn bank() -> ConsumerRegistration {
        demo_consumers(None).remove(0)
    }

    fn ask(claims: &[&str]) -> CreateConsentRequest {
        CreateConsentRequest {
            purpose: "home_loan".into(),
            items: vec![ConsentItem {
                kind: CertificateKind::ResidentId,
                claims: claims.iter().map(|c| c.to_string()).collect(),
            }],
            start: None,
            expiry: NOW + 180 * 86_400,
            fetch_type: FetchType::Periodic,
            frequency: Some(Frequency {
                count: 2,
                period: Period::Month,
            }),
            data_life_days: 90,
        }
    }

    fn terms(request: &CreateConsentRequest) -> ConsentTerms {
        let start = request.check(&bank(), NOW).unwrap();
        ConsentTerms::of("c1".into(), &bank(), request, start)
    }

    #[test]
    fn a_request_within_the_registration_is_accepted_and_read_out_with_labels() {
        let t = terms(&ask(&["name", "age_over_18"]));
        assert_eq!(t.start, NOW);
        assert_eq!(t.purpose.text, "个人住房贷款审批");
        assert_eq!(t.items[0].name, "电子居民身份证");
        assert_eq!(t.items[0].claims[0].label, "姓名");
        assert_eq!(
            t.items[0].claims[1].class,
            crate::vault::ClaimClass::Predicate
        );
        assert_eq!(t.frequency_text(), "每月最多 2 次");
    }

    #[test]
    fn over_asking_unknown_claims_and_bad_windows_are_refused_naming_the_field() {
        assert_eq!(
            ask(&["name", "address"]).check(&bank(), NOW),
            Err(RequestRefusal::OverAsked(
                vec!["resident_id.address".into()]
            ))
        );
        let field = |r: CreateConsentRequest| match r.check(&bank(), NOW) {
            Err(RequestRefusal::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(ask(&["shoe_size"])), "items[0].claims");
        assert_eq!(
            field(CreateConsentRequest {
                purpose: "gambling".into(),
                ..ask(&["name"])
            }),
            "purpose"
        );
        assert_eq!(
            field(CreateConsentRequest {
                expiry: NOW,
                ..ask(&["name"])
            }),
            "expiry"
        );
        assert_eq!(
            field(CreateConsentRequest {
                expiry: NOW + 400 * 86_400,
                ..ask(&["name"])
            }),
            "expiry"
        );
        assert_eq!(
            field(CreateConsentRequest {
                data_life_days: 0,
                ..ask(&["name"])
            }),
            "data_life_days"
        );
        assert_eq!(
            field(CreateConsentRequest {
                frequency: None,
                ..ask(&["name"])
            }),
            "frequency"
        );
        assert_eq!(
            field(CreateConsentRequest {
                fetch_type: FetchType::Once,
                ..ask(&["name"])
            }),
            "frequency"
        );
        let mut twice = ask(&["name"]);
        twice.items.push(twice.items[0].clone());
        assert_eq!(field(twice), "items[1].kind");
    }

    #[test]
    fn a_periodic_consent_allows_its_frequency_and_says_when_the_next_fetch_is_allowed() {
        let t = terms(&ask(&["name"]));
        let s = ConsentStatus::Active;
        let f = t.frequency.unwrap();
        let w = |times: &[i64], now: i64| FetchWindow::of(times, f, now);
        assert_eq!(check_fetch(&t, s, 0, w(&[], NOW), NOW), Ok(()));
        assert_eq!(check_fetch(&t, s, 1, w(&[NOW], NOW + 10), NOW + 10), Ok(()));
        assert_eq!(
            check_fetch(&t, s, 2, w(&[NOW + 10, NOW], NOW + 20), NOW + 20),
            Err(FetchRefusal::TooOften {
                next: NOW + 30 * 86_400 + 1
            })
        );
        // A month after the first, one slot is free again.
        assert_eq!(
            check_fetch(
                &t,
                s,
                2,
                w(&[NOW, NOW + 10], NOW + 30 * 86_400 + 1),
                NOW + 30 * 86_400 + 1
            ),
            Ok(())
        );
        // Three within the period (one older does not count): the 2nd newest leaves first.
        assert_eq!(
            w(&[NOW - 40 * 86_400, NOW + 5, NOW + 9, NOW + 7], NOW + 10),
            FetchWindow {
                count: 3,
                leaving: Some(NOW + 7)
            }
        );
    }

    #[test]
    fn a_one_time_consent_serves_one_fetch_and_status_and_window_are_enforced() {
        let once = terms(&CreateConsentRequest {
            fetch_type: FetchType::Once,
            frequency: None,
            ..ask(&["name"])
        });
        assert_eq!(
            check_fetch(&once, ConsentStatus::Active, 0, FetchWindow::default(), NOW),
            Ok(())
        );
        assert_eq!(
            check_fetch(
                &once,
                ConsentStatus::Active,
                1,
                FetchWindow::default(),
                NOW + 1
            ),
            Err(FetchRefusal::Used)
        );
        assert_eq!(
            check_fetch(&once, ConsentStatus::Paused, 0, FetchWindow::default(), NOW),
            Err(FetchRefusal::Paused)
        );
        assert_eq!(
            check_fetch(
                &once,
                ConsentStatus::Revoked,
                0,
                FetchWindow::default(),
                NOW
            ),
            Err(FetchRefusal::Revoked)
        );
        assert_eq!(
            check_fetch(
                &once,
                ConsentStatus::Active,
                0,
                FetchWindow::default(),
                once.expiry
            ),
            Err(FetchRefusal::Expired)
        );
        assert_eq!(
            check_fetch(
                &once,
                ConsentStatus::Active,
                0,
                FetchWindow::default(),
                NOW - 100
            ),
            Err(FetchRefusal::NotStarted)
        );
    }

    #[test]
    fn pause_resume_and_revoke_follow_the_lifecycle_and_revoked_is_final() {
        let t = terms(&ask(&["name"]));
        use ConsentAction::*;
        use ConsentStatus::*;
        assert_eq!(apply(Active, &t, Pause, NOW), Ok(Paused));
        assert_eq!(apply(Paused, &t, Resume, NOW), Ok(Active));
        assert_eq!(apply(Paused, &t, Revoke, NOW), Ok(Revoked));
        assert_eq!(
            apply(Revoked, &t, Resume, NOW).unwrap_err().zh,
            "授权已撤销，不能恢复"
        );
        assert!(apply(Active, &t, Resume, NOW).is_err());
        assert_eq!(effective_status(Active, &t, t.expiry), Expired);
        assert!(apply(Active, &t, Pause, t.expiry).is_err());
    }

    #[test]
    fn an_artefact_verifies_under_the_platform_key_only_and_its_digest_pins_the_terms() {
        let platform = Sm2PrivateKey::generate();
        let t = terms(&ask(&["name"]));
        let body = ArtefactBody {
            terms: t.clone(),
            subject: "p-1".into(),
            approval: Approval {
                presentation: "x~y".into(),
                approved_at: NOW,
            },
            iat: NOW,
        };
        let signed = sign_artefact(&body, &platform, "k1");
        assert_eq!(
            verify_artefact(&signed, &platform.public_key()).unwrap(),
            body
        );
        assert!(verify_artefact(&signed, &Sm2PrivateKey::generate().public_key()).is_err());
        let mut other = t.clone();
        other.data_life_days += 1;
        assert_ne!(other.digest(), t.digest());
    }

    #[test]
    fn the_demo_bank_authenticates_with_its_fixture_secret_only() {
        assert!(bank().authenticates(DEMO_BANK_SECRET));
        assert!(!bank().authenticates("guess"));
        assert_eq!(
            Sm2PublicKey::from_jwk(&bank().encryption_key).unwrap(),
            demo_bank_key().public_key()
        );
    }
}
