//! 埋点 (`ZwLog` analytics): the page views (`sendPV`) and the exposures, clicks and other events
//! (`record(eventCode, 'EXP'|'CLK'|'OTHER', params)`) a mini-app reports. The SDK captures them
//! through the bridge, masks them, keeps them in its encrypted store and sends them in batches;
//! the BFF checks each batch again with the same rules, counts it once, and shows a mini-app's
//! owner its page views. Both sides use only what is here: the limits, the masking, the day an
//! event counts on.
//!
//! Masking (个人信息脱敏) happens before an event is stored on the phone: a value that looks
//! like an ID number, a mobile number, a bank card or an e-mail address is masked wherever it
//! appears, and the value of a key that names personal data (`idCard`, `phone`, `userName` …) is
//! masked whatever it looks like. What leaves the phone is already masked; the BFF masks again,
//! since a client is not to be trusted with the rule.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::lang::Text;
use crate::mask;

/// Most events in one batch the BFF takes.
pub const MAX_BATCH_EVENTS: usize = 50;
/// Most parameters an event keeps.
pub const MAX_PARAMS: usize = 20;
/// Longest parameter name, in characters.
pub const MAX_KEY_CHARS: usize = 40;
/// Longest parameter value (and page id), in characters.
pub const MAX_VALUE_CHARS: usize = 200;
/// Longest event code, in characters.
pub const MAX_CODE_CHARS: usize = 64;
/// Events older than this are not counted: a phone offline for longer has lost nothing of
/// value, and a batch id needs remembering only this long to count each batch once.
pub const MAX_EVENT_AGE_MS: i64 = 30 * 24 * 3600 * 1000;
/// A phone's clock ahead of the server's by more than this counts its events now.
pub const MAX_CLOCK_AHEAD_MS: i64 = 5 * 60 * 1000;
/// Most days one report covers.
pub const MAX_REPORT_DAYS: i64 = 92;

/// The kind of an event, as `ZwLog` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum EventKind {
    /// A page view (`sendPV`).
    #[serde(rename = "PV")]
    PageView,
    /// Something was shown (`record(code, 'EXP')`).
    #[serde(rename = "EXP")]
    Exposure,
    /// Something was tapped (`record(code, 'CLK')`).
    #[serde(rename = "CLK")]
    Click,
    /// Anything else (`record(code, 'OTHER')`).
    #[serde(rename = "OTHER")]
    Other,
}

impl EventKind {
    /// `PV`, `EXP`, `CLK` or `OTHER`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PageView => "PV",
            Self::Exposure => "EXP",
            Self::Click => "CLK",
            Self::Other => "OTHER",
        }
    }

    /// The kind named `text`, if any.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::PageView, Self::Exposure, Self::Click, Self::Other]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// One event, masked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnalyticsEvent {
    /// What happened.
    pub kind: EventKind,
    /// The event code of `record`; empty for a page view.
    #[serde(default)]
    pub code: String,
    /// The page it happened on (`pageId`), empty when the mini-app did not say.
    #[serde(default)]
    pub page_id: String,
    /// When, in milliseconds since the epoch, by the phone's clock.
    pub at_ms: i64,
    /// Page views: how long the page took to load (`t2 - t0`), in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_ms: Option<u32>,
    /// Page views: how long the person stayed (`Page_duration`), in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u32>,
    /// Page views: whether the person was logged in (`log_status` `01`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logged_in: Option<bool>,
    /// The other parameters, as text, masked.
    #[serde(default)]
    pub params: BTreeMap<String, String>,
}

/// A batch of events from one phone for one mini-app. The id is the phone's; sending the same
/// batch again (after a lost answer) counts nothing twice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventBatch {
    /// A UUID the phone gave the batch.
    pub batch_id: String,
    /// At most [`MAX_BATCH_EVENTS`].
    pub events: Vec<AnalyticsEvent>,
}

/// The BFF's answer to a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchReceipt {
    /// Events counted now.
    pub counted: u32,
    /// Events too old to count ([`MAX_EVENT_AGE_MS`]).
    pub too_old: u32,
    /// True when this batch was counted before: nothing was counted again.
    pub duplicate: bool,
}

/// What is wrong with an event or a batch: the field and why, in both languages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {}", reason.en)]
pub struct AnalyticsError {
    /// The parameter or field at fault, e.g. `eventCode`, `params.price`, `events[3].kind`.
    pub field: String,
    /// Why.
    pub reason: Text,
}

fn bad(field: impl Into<String>, zh: impl Into<String>, en: impl Into<String>) -> AnalyticsError {
    AnalyticsError {
        field: field.into(),
        reason: Text::new(zh, en),
    }
}

/// The page-view parameters `ZwLog.sendPV` documents that are kept as fields of their own or
/// dropped (the mini-app's id and name are known from its session), not as parameters.
const PAGE_VIEW_FIELDS: [&str; 8] = [
    "miniAppId",
    "miniAppName",
    "pageId",
    "pageName",
    "t0",
    "t2",
    "log_status",
    "Page_duration",
];

/// The event of a bridge `monitorTrace` call, as `ZwLog` makes it: `{type, eventCode, pageId,
/// params}`, where `type` is `PV` for `sendPV` (whose `params` are `sendPV`'s argument) and
/// `EXP`/`CLK`/`OTHER` for `record`. Masked; recorded at `now_ms`. Every problem names its field.
pub fn event_from_trace(
    trace: &Map<String, Value>,
    now_ms: i64,
) -> Result<AnalyticsEvent, AnalyticsError> {
    let kind = match trace.get("type") {
        Some(Value::String(t)) => EventKind::parse(t).ok_or_else(|| {
            bad(
                "type",
                format!("type 须为 PV、EXP、CLK 或 OTHER，而不是 {t}"),
                format!("type must be PV, EXP, CLK or OTHER, not {t}"),
            )
        })?,
        _ => return Err(bad("type", "缺少 type", "type is missing")),
    };
    let params = match trace.get("params") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(p)) => p.clone(),
        Some(_) => return Err(bad("params", "params 须为对象", "params must be an object")),
    };
    let code = match (kind, trace.get("eventCode")) {
        (EventKind::PageView, _) => String::new(),
        (_, Some(Value::String(c))) => c.clone(),
        (_, _) => {
            return Err(bad(
                "eventCode",
                "record 须给出事件编码 eventCode",
                "record needs an eventCode",
            ))
        }
    };
    let page_id = match trace.get("pageId").or_else(|| params.get("pageId")) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(p)) => p.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => {
            return Err(bad(
                "pageId",
                "pageId 须为字符串",
                "pageId must be a string",
            ))
        }
    };
    let (load_ms, duration_ms, logged_in) = if kind == EventKind::PageView {
        let t0 = millis(&params, "t0")?;
        let t2 = millis(&params, "t2")?;
        let load = match (t0, t2) {
            (Some(t0), Some(t2)) if t2 >= t0 => Some(clamp_u32(t2 - t0)),
            (Some(_), Some(_)) => return Err(bad("t2", "t2 早于 t0", "t2 is before t0")),
            _ => None,
        };
        let duration = millis(&params, "Page_duration")?.map(clamp_u32);
        let logged_in = match params.get("log_status") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s == "01" => Some(true),
            Some(Value::String(s)) if s == "02" => Some(false),
            Some(_) => {
                return Err(bad(
                    "log_status",
                    "log_status 须为 01（已登录）或 02（未登录）",
                    "log_status must be 01 (logged in) or 02 (not logged in)",
                ))
            }
        };
        (load, duration, logged_in)
    } else {
        (None, None, None)
    };
    let mut kept = BTreeMap::new();
    for (key, value) in &params {
        if kind == EventKind::PageView && PAGE_VIEW_FIELDS.contains(&key.as_str()) {
            continue;
        }
        let text = match value {
            Value::Null => continue,
            Value::String(s) => s.clone(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            Value::Array(_) | Value::Object(_) => {
                return Err(bad(
                    format!("params.{key}"),
                    format!("参数 {key} 须为字符串、数字或布尔值"),
                    format!("parameter {key} must be a string, a number or a boolean"),
                ))
            }
        };
        kept.insert(key.clone(), text);
    }
    let mut event = AnalyticsEvent {
        kind,
        code,
        page_id,
        at_ms: now_ms,
        load_ms,
        duration_ms,
        logged_in,
        params: kept,
    };
    checked(&mut event, "")?;
    Ok(event)
}

/// Checks a batch from a phone and masks it again in place (the phone's masking is not
/// trusted). The first problem names its event: `events[3].code`.
pub fn check_batch(batch: &mut EventBatch) -> Result<(), AnalyticsError> {
    if !is_uuid(&batch.batch_id) {
        return Err(bad(
            "batch_id",
            "batch_id 须为 UUID",
            "batch_id must be a UUID",
        ));
    }
    if batch.events.is_empty() || batch.events.len() > MAX_BATCH_EVENTS {
        return Err(bad(
            "events",
            format!("一批须有 1 至 {MAX_BATCH_EVENTS} 个事件"),
            format!("a batch holds 1 to {MAX_BATCH_EVENTS} events"),
        ));
    }
    for (i, event) in batch.events.iter_mut().enumerate() {
        checked(event, &format!("events[{i}]."))?;
    }
    Ok(())
}

/// Checks one event's code, page id and parameters against the limits and masks the
/// parameters. `at` prefixes the field names of its problems.
fn checked(event: &mut AnalyticsEvent, at: &str) -> Result<(), AnalyticsError> {
    let code_ok = |c: &str| {
        c.chars().count() <= MAX_CODE_CHARS
            && c.chars()
                .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '_' | '-' | '.' | ':'))
    };
    match event.kind {
        EventKind::PageView if !event.code.is_empty() => {
            return Err(bad(
                format!("{at}code"),
                "页面浏览不带事件编码",
                "a page view has no event code",
            ))
        }
        EventKind::PageView => {}
        _ if event.code.is_empty() || !code_ok(&event.code) => {
            return Err(bad(
                format!("{at}eventCode"),
                format!("事件编码须为 1 至 {MAX_CODE_CHARS} 个字母、数字或 _-.:"),
                format!("an event code is 1 to {MAX_CODE_CHARS} letters, digits or _-.:"),
            ))
        }
        _ => {}
    }
    if event.page_id.chars().count() > MAX_CODE_CHARS || event.page_id.chars().any(char::is_control)
    {
        return Err(bad(
            format!("{at}pageId"),
            format!("pageId 至多 {MAX_CODE_CHARS} 个字符，且不含控制字符"),
            format!("pageId is at most {MAX_CODE_CHARS} characters, none a control character"),
        ));
    }
    event.page_id = mask::scrub(&event.page_id);
    if event.params.len() > MAX_PARAMS {
        return Err(bad(
            format!("{at}params"),
            format!("参数至多 {MAX_PARAMS} 个"),
            format!("at most {MAX_PARAMS} parameters"),
        ));
    }
    let mut masked = BTreeMap::new();
    for (key, value) in std::mem::take(&mut event.params) {
        let key_ok = !key.is_empty()
            && key.chars().count() <= MAX_KEY_CHARS
            && !key.chars().any(char::is_control);
        if !key_ok {
            return Err(bad(
                format!("{at}params"),
                format!("参数名须为 1 至 {MAX_KEY_CHARS} 个字符"),
                format!("a parameter name is 1 to {MAX_KEY_CHARS} characters"),
            ));
        }
        if value.chars().count() > MAX_VALUE_CHARS {
            return Err(bad(
                format!("{at}params.{key}"),
                format!("参数 {key} 超过 {MAX_VALUE_CHARS} 个字符"),
                format!("parameter {key} is longer than {MAX_VALUE_CHARS} characters"),
            ));
        }
        let value = mask_param(&key, &value);
        masked.insert(key, value);
    }
    event.params = masked;
    Ok(())
}

/// A parameter value as it may be kept: masked as the personal data its key names, and every
/// personal number in it masked wherever it appears.
pub fn mask_param(key: &str, value: &str) -> String {
    let value = match personal_key(key) {
        Some(Personal::Name) => mask::name(value),
        Some(Personal::Address) => mask::address(value),
        Some(Personal::Number) => mask::card_number(value),
        Some(Personal::Phone) => mask::phone(value),
        Some(Personal::Email) => mask_email(value),
        None => value.to_string(),
    };
    scrub_numbers(&value)
}

enum Personal {
    Name,
    Address,
    Phone,
    Email,
    Number,
}

/// Whether `key` names personal data: split into words (`userName` → `user`, `name`;
/// `id_card` → `id`, `card`), it names an ID, phone, card, e-mail or address, or a person's
/// name (`name`, `userName`, `realName`, `xm` — not `pageName` or `btnName`).
fn personal_key(key: &str) -> Option<Personal> {
    let words = words(key);
    let has = |w: &str| words.iter().any(|x| x == w);
    let joined = words.concat();
    const PHONES: [&str; 5] = ["phone", "mobile", "tel", "telephone", "sjh"];
    if PHONES.iter().any(|n| has(n)) {
        return Some(Personal::Phone);
    }
    if has("email") || has("mail") {
        return Some(Personal::Email);
    }
    const NUMBERS: [&str; 10] = [
        "idcard", "idno", "idnumber", "sfz", "sfzh", "certno", "card", "cardno", "bankcard",
        "passport",
    ];
    if NUMBERS.iter().any(|n| has(n) || joined == *n) || (has("id") && has("card")) {
        return Some(Personal::Number);
    }
    if has("address") || has("addr") || has("dz") {
        return Some(Personal::Address);
    }
    const PEOPLE: [&str; 9] = [
        "user",
        "real",
        "person",
        "contact",
        "legal",
        "owner",
        "applicant",
        "true",
        "full",
    ];
    let names_person = words.last().is_some_and(|w| w == "name")
        && (words.len() == 1 || PEOPLE.contains(&words[words.len() - 2].as_str()));
    if names_person || joined == "xm" || joined == "username" || joined == "realname" {
        return Some(Personal::Name);
    }
    None
}

/// `userName` → `user`, `name`; `ID_CARD` → `id`, `card`; `id-no` → `id`, `no`.
fn words(key: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in key.chars() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// [`mask::scrub`] (ID and mobile numbers, tokens), and bank card numbers (16 to 19 digits) and
/// e-mail addresses as well, which log lines do not carry but free-form parameters may.
fn scrub_numbers(text: &str) -> String {
    let scrubbed = mask::scrub(text);
    let mut out = String::with_capacity(scrubbed.len());
    let chars: Vec<char> = scrubbed.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            let run: String = chars[start..i].iter().collect();
            if (16..=19).contains(&run.len()) {
                out.push_str(&mask::card_number(&run));
            } else {
                out.push_str(&run);
            }
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    mask_emails(&out)
}

/// Masks the local part of every e-mail address in `text` but its first character:
/// `zhang.san@example.cn` → `z***@example.cn`.
fn mask_emails(text: &str) -> String {
    let local_char =
        |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-');
    let domain_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-');
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (at, _) in chars.iter().enumerate().filter(|(_, c)| **c == '@') {
        let mut start = at;
        while start > copied && local_char(chars[start - 1]) {
            start -= 1;
        }
        let mut end = at + 1;
        while end < chars.len() && domain_char(chars[end]) {
            end += 1;
        }
        let domain: String = chars[at + 1..end].iter().collect();
        if start == at || !domain.trim_matches('.').contains('.') {
            continue;
        }
        out.extend(&chars[copied..=start]);
        out.push_str("***");
        copied = at;
    }
    out.extend(&chars[copied..]);
    out
}

/// A value its key says is an e-mail address, masked as one (or wholly, if it is not one).
fn mask_email(value: &str) -> String {
    let masked = mask_emails(value);
    if masked == value && !value.contains("***@") {
        mask::card_number(value)
    } else {
        masked
    }
}

fn millis(params: &Map<String, Value>, name: &str) -> Result<Option<i64>, AnalyticsError> {
    match params.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(v) if v.is_finite() && v >= 0.0 => Ok(Some(v as i64)),
            _ => Err(bad(
                name,
                format!("{name} 须为非负的毫秒数"),
                format!("{name} must be a non-negative number of milliseconds"),
            )),
        },
        Some(Value::String(s)) => s.trim().parse::<i64>().map(Some).map_err(|_| {
            bad(
                name,
                format!("{name} 须为毫秒数"),
                format!("{name} must be a number of milliseconds"),
            )
        }),
        Some(_) => Err(bad(
            name,
            format!("{name} 须为毫秒数"),
            format!("{name} must be a number of milliseconds"),
        )),
    }
}

fn clamp_u32(v: i64) -> u32 {
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}

fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

/// When an event counts, by the server's clock `now_ms`: its own time, or now if the phone's
/// clock is ahead by more than [`MAX_CLOCK_AHEAD_MS`]; `None` when it is older than
/// [`MAX_EVENT_AGE_MS`].
pub fn counted_at(at_ms: i64, now_ms: i64) -> Option<i64> {
    if at_ms > now_ms + MAX_CLOCK_AHEAD_MS {
        Some(now_ms)
    } else if at_ms < now_ms - MAX_EVENT_AGE_MS {
        None
    } else {
        Some(at_ms)
    }
}

/// The day (`YYYY-MM-DD`, China Standard Time, UTC+8 — China keeps no daylight saving) an
/// event at `at_ms` counts on.
pub fn day_of(at_ms: i64) -> String {
    let days = (at_ms + 8 * 3600 * 1000).div_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The days `from..=to` of a report request (`YYYY-MM-DD` each), checked: real dates, in
/// order, at most [`MAX_REPORT_DAYS`].
pub fn report_range(from: &str, to: &str) -> Result<(String, String), AnalyticsError> {
    let day = |field: &str, text: &str| {
        parse_day(text).ok_or_else(|| {
            bad(
                field,
                format!("{field} 须为日期 YYYY-MM-DD，而不是 {text}"),
                format!("{field} must be a date YYYY-MM-DD, not {text}"),
            )
        })
    };
    let (a, b) = (day("from", from)?, day("to", to)?);
    if b < a {
        return Err(bad("to", "to 早于 from", "to is before from"));
    }
    if b - a + 1 > MAX_REPORT_DAYS {
        return Err(bad(
            "to",
            format!("一次至多查询 {MAX_REPORT_DAYS} 天"),
            format!("a report covers at most {MAX_REPORT_DAYS} days"),
        ));
    }
    Ok((from.to_string(), to.to_string()))
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date.
pub(crate) fn parse_day(text: &str) -> Option<i64> {
    let mut parts = text.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d): (i64, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let days = days_from_civil(y, m, d);
    (civil_from_days(days) == (y, m, d)).then_some(days)
}

/// The `YYYY-MM-DD` date `days` after 1970-01-01.
pub(crate) fn format_day(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

// Howard Hinnant's date algorithms (proleptic Gregorian), exact for every date here.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// One page's figures in a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PageStats {
    /// The page (`pageId`); empty for views that named none.
    pub page_id: String,
    /// Page views.
    pub views: u64,
    /// Visitors, counted once a day each (访客数, 按日去重), summed over the days.
    pub visitors: u64,
    /// Mean load time of the views that reported one, in milliseconds.
    pub avg_load_ms: Option<u64>,
    /// Mean time on the page of the views that reported one, in milliseconds.
    pub avg_duration_ms: Option<u64>,
}

/// One day's figures in a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DayStats {
    /// `YYYY-MM-DD`, China Standard Time.
    pub day: String,
    /// Page views.
    pub views: u64,
    /// Visitors that day (each counted once).
    pub visitors: u64,
}

/// One event code's count in a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventStats {
    /// `EXP`, `CLK` or `OTHER`.
    pub kind: EventKind,
    /// The event code.
    pub code: String,
    /// How many.
    pub count: u64,
}

/// A mini-app's page views and events over some days, for its owner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnalyticsReport {
    /// The mini-app.
    pub mini_app_id: String,
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day, `YYYY-MM-DD`.
    pub to: String,
    /// Every day of the range, oldest first (days without views included, at zero).
    pub days: Vec<DayStats>,
    /// Each page viewed, most views first.
    pub pages: Vec<PageStats>,
    /// Each event code, most frequent first.
    pub events: Vec<EventStats>,
}

/// Every day of `from..=to` (checked by [`report_range`]), oldest first.
pub fn days_between(from: &str, to: &str) -> Vec<String> {
    match (parse_day(from), parse_day(to)) {
        (Some(a), Some(b)) => (a..=b)
            .map(|d| {
                let (y, m, dd) = civil_from_days(d);
                format!("{y:04}-{m:02}-{dd:02}")
            })
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn trace(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn a_page_view_keeps_its_timings_and_login_state_and_drops_the_known_fields() {
        let event = event_from_trace(
            &trace(json!({"type": "PV", "params": {
                "miniAppId": "x", "miniAppName": "掌上办事", "pageId": "home", "pageName": "首页",
                "t0": 1000, "t2": 1250, "log_status": "01", "Page_duration": 5000, "from": "banner"
            }})),
            42,
        )
        .unwrap();
        assert_eq!(event.kind, EventKind::PageView);
        assert_eq!(event.page_id, "home");
        assert_eq!(event.load_ms, Some(250));
        assert_eq!(event.duration_ms, Some(5000));
        assert_eq!(event.logged_in, Some(true));
        assert_eq!(event.at_ms, 42);
        assert_eq!(
            event.params,
            BTreeMap::from([("from".to_string(), "banner".to_string())])
        );
    }

    #[test]
    fn personal_numbers_are_masked_wherever_they_appear() {
        let event = event_from_trace(
            &trace(json!({"type": "CLK", "eventCode": "submit", "params": {
                "note": "身份证330302199001011234，手机13812345678，卡6217001234567890123，邮箱 zhang.san@example.cn",
                "idCard": "AB12345", "contactEmail": "li@zj.gov.cn", "userName": "张三丰", "pageName": "首页", "address": "浙江省温州市鹿城区五马街1号",
                "count": 3
            }})),
            0,
        )
        .unwrap();
        let p = &event.params;
        assert_eq!(
            p["note"],
            "身份证330302********1234，手机138****5678，卡6217***********0123，邮箱 z***@example.cn"
        );
        assert_eq!(p["idCard"], "A*****5");
        assert_eq!(p["contactEmail"], "l***@zj.gov.cn");
        assert_eq!(p["userName"], "张**");
        assert_eq!(p["pageName"], "首页");
        assert_eq!(p["address"], "浙江省温州市********");
        assert_eq!(p["count"], "3");
    }

    #[test]
    fn masking_twice_changes_nothing_more() {
        for (k, v) in [
            ("note", "手机13812345678"),
            ("userName", "张三丰"),
            ("phone", "13812345678"),
        ] {
            let once = mask_param(k, v);
            assert_eq!(mask_param(k, &once), once, "{k}");
        }
    }

    #[test]
    fn bad_traces_name_what_is_wrong() {
        let cases = [
            (json!({}), "type"),
            (json!({"type": "VIEW"}), "type"),
            (json!({"type": "CLK"}), "eventCode"),
            (json!({"type": "CLK", "eventCode": "a b"}), "eventCode"),
            (
                json!({"type": "CLK", "eventCode": "x", "params": [1]}),
                "params",
            ),
            (
                json!({"type": "CLK", "eventCode": "x", "params": {"a": {"b": 1}}}),
                "params.a",
            ),
            (
                json!({"type": "CLK", "eventCode": "x", "params": {"a": "y".repeat(201)}}),
                "params.a",
            ),
            (json!({"type": "PV", "params": {"t0": 5, "t2": 1}}), "t2"),
            (json!({"type": "PV", "params": {"t0": "soon"}}), "t0"),
            (
                json!({"type": "PV", "params": {"log_status": "1"}}),
                "log_status",
            ),
            (json!({"type": "PV", "pageId": {"x": 1}}), "pageId"),
        ];
        for (input, field) in cases {
            let err = event_from_trace(&trace(input.clone()), 0).unwrap_err();
            assert_eq!(err.field, field, "{input}");
            assert!(!err.reason.zh.is_empty());
        }
        let many: Map<String, Value> = (0..=MAX_PARAMS)
            .map(|i| (format!("k{i}"), json!(i)))
            .collect();
        let err = event_from_trace(
            &trace(json!({"type": "OTHER", "eventCode": "x", "params": many})),
            0,
        )
        .unwrap_err();
        assert_eq!(err.field, "params");
    }

    #[test]
    fn a_batch_is_checked_and_masked_again_on_the_server() {
        let mut batch = EventBatch {
            batch_id: "6f1c1e7a-3b1a-4c61-9d5e-0c6a2b7d9e10".into(),
            events: vec![AnalyticsEvent {
                kind: EventKind::Click,
                code: "tap".into(),
                page_id: "13812345678".into(),
                at_ms: 0,
                load_ms: None,
                duration_ms: None,
                logged_in: None,
                params: BTreeMap::from([("mobile".into(), "13812345678".into())]),
            }],
        };
        check_batch(&mut batch).unwrap();
        assert_eq!(batch.events[0].page_id, "138****5678");
        assert_eq!(batch.events[0].params["mobile"], "138****5678");

        batch.events[0].code = String::new();
        assert_eq!(
            check_batch(&mut batch).unwrap_err().field,
            "events[0].eventCode"
        );
        batch.batch_id = "not-a-uuid".into();
        assert_eq!(check_batch(&mut batch).unwrap_err().field, "batch_id");
        let mut empty = EventBatch {
            batch_id: "6f1c1e7a-3b1a-4c61-9d5e-0c6a2b7d9e10".into(),
            events: vec![],
        };
        assert_eq!(check_batch(&mut empty).unwrap_err().field, "events");
    }

    #[test]
    fn days_are_counted_in_china_standard_time() {
        // 2026-12-01T16:30:00Z is 00:30 on the 2nd in Hangzhou.
        assert_eq!(day_of(1_796_142_600_000), "2026-12-02");
        assert_eq!(day_of(1_796_142_600_000 - 3_600_000), "2026-12-01");
        assert_eq!(day_of(0), "1970-01-01");
        assert_eq!(
            days_between("2024-02-27", "2024-03-01"),
            ["2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01"]
        );
    }

    #[test]
    fn old_events_are_not_counted_and_future_ones_count_now() {
        let now = 10 * MAX_EVENT_AGE_MS;
        assert_eq!(counted_at(now - 1000, now), Some(now - 1000));
        assert_eq!(counted_at(now - MAX_EVENT_AGE_MS - 1, now), None);
        assert_eq!(counted_at(now + MAX_CLOCK_AHEAD_MS + 1, now), Some(now));
    }

    #[test]
    fn report_ranges_are_real_dates_in_order_and_bounded() {
        assert!(report_range("2026-11-01", "2026-11-30").is_ok());
        assert_eq!(
            report_range("2026-02-30", "2026-03-01").unwrap_err().field,
            "from"
        );
        assert_eq!(
            report_range("2026-11-02", "2026-11-01").unwrap_err().field,
            "to"
        );
        assert_eq!(
            report_range("2026-01-01", "2026-12-31").unwrap_err().field,
            "to"
        );
        assert_eq!(
            report_range("26-1-1", "2026-12-31").unwrap_err().field,
            "from"
        );
    }
}
