//! What 浙里办's personal and legal-person SSO entries share: the login page's checks, tickets,
//! the servlet's `ticketValidation` and the platform token `getUserInfo` takes.
//!
//! Each entry has its own ledgers, so a ticket or token from one is simply unknown to the other
//! (the real platform keeps them apart the same way: separate servlets, separate stores).

use axum::extract::{RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use chrono::{DateTime, Utc};
use platform_api::zlb::{ResultCode, TicketValidation};
use url::Url;
use zhelikit_domain::mask;

use crate::gateway::IrsCaller;
use crate::grants::{random_hex, Ledger, Lookup, Redemption};
use crate::pages::{self, Choice, Picker, FREE_TEXT_SUFFIX};
use crate::params::Params;
use crate::{MockState, PlatformState, RegisteredApp};

pub use platform_api::zlb::TICKET_TTL_SECS;

/// How long a platform token from `ticketValidation` stays valid. (Not public; two hours is the
/// common lifetime of such tokens and longer than any login needs.)
pub const TOKEN_TTL_SECS: i64 = 2 * 3600;

/// Prefix of a ticket, as the real platform's CAS-style tickets carry.
pub const TICKET_PREFIX: &str = "ST-";

/// Who a ticket or token was issued to, and for which app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The service code the login page was opened with.
    pub service_code: String,
    /// The platform user id (citizen or enterprise).
    pub userid: String,
}

/// One SSO entry's tickets and tokens.
#[derive(Debug, Default)]
pub struct Entry {
    tickets: Ledger<Grant>,
    tokens: Ledger<Grant>,
}

/// A refusal as the servlet reports it: a result code and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The result code.
    pub code: ResultCode,
    /// `errmsg`.
    pub message: String,
}

impl Failure {
    fn new(code: ResultCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// The servlet's two methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServletMethod {
    /// `method=ticketValidation`.
    TicketValidation,
    /// `method=getUserInfo`.
    GetUserInfo,
}

/// Reads `method`; a missing or unknown one is a format error (6004).
pub fn servlet_method(params: &Params) -> Result<ServletMethod, Failure> {
    match params.get("method") {
        Some("ticketValidation") => Ok(ServletMethod::TicketValidation),
        Some("getUserInfo") => Ok(ServletMethod::GetUserInfo),
        Some(other) => Err(Failure::new(
            ResultCode::BadFormat,
            format!("unknown method {other:?}"),
        )),
        None => Err(Failure::new(ResultCode::BadFormat, "method is missing")),
    }
}

/// True for `ST-` followed by 32 hex digits, the only shape this mock issues.
pub fn is_well_formed_ticket(st: &str) -> bool {
    st.strip_prefix(TICKET_PREFIX)
        .is_some_and(|hex| hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit()))
}

/// The request's service code, which must belong to the app that signed the request: an app
/// cannot validate tickets or read users of another app's service code.
fn caller_service_code<'p>(
    platform: &PlatformState,
    caller: &IrsCaller,
    params: &'p Params,
) -> Result<&'p str, Failure> {
    let service_code = params
        .get("servicecode")
        .ok_or_else(|| Failure::new(ResultCode::BadFormat, "servicecode is missing"))?;
    match platform.app_by_service_code(service_code) {
        Some(app) if app.irs.access_key == caller.access_key => Ok(service_code),
        Some(_) => Err(Failure::new(
            ResultCode::OtherApp,
            "servicecode belongs to another app than the caller's access key",
        )),
        None => Err(Failure::new(
            ResultCode::OtherApp,
            format!("servicecode {service_code:?} is not registered"),
        )),
    }
}

impl Entry {
    /// Issues a fresh single-use ticket for `userid` logging in to `service_code`.
    pub fn issue_ticket(&self, service_code: &str, userid: &str, now: DateTime<Utc>) -> String {
        let ticket = format!("{TICKET_PREFIX}{}", random_hex());
        self.tickets.issue(
            ticket.clone(),
            Grant {
                service_code: service_code.to_string(),
                userid: userid.to_string(),
            },
            now,
            TICKET_TTL_SECS,
        );
        ticket
    }

    /// `ticketValidation`: consumes the ticket and returns its grant and a new platform token.
    pub fn validate_ticket(
        &self,
        platform: &PlatformState,
        caller: &IrsCaller,
        params: &Params,
    ) -> Result<(Grant, String), Failure> {
        let st = params.get("st");
        let service_code = caller_service_code(platform, caller, params);
        let st = match st {
            Some(st) if is_well_formed_ticket(st) => st,
            Some(_) => return Err(Failure::new(ResultCode::BadFormat, "st is not a ticket")),
            None => return Err(Failure::new(ResultCode::BadFormat, "st is missing")),
        };
        let service_code = service_code?;
        let now = platform.clock.now();
        let grant = match self.tickets.redeem(st, now, |g| {
            if g.service_code == service_code {
                Ok(())
            } else {
                Err(())
            }
        }) {
            Redemption::Redeemed(grant) => grant,
            Redemption::Unknown => {
                return Err(Failure::new(ResultCode::NotATicket, "ticket not found"))
            }
            Redemption::Refused(()) => {
                return Err(Failure::new(
                    ResultCode::OtherApp,
                    "ticket was issued for another servicecode",
                ))
            }
            // The real platform reports a used ticket as expired (PLATFORM.md).
            Redemption::Used => {
                return Err(Failure::new(
                    ResultCode::TicketExpired,
                    "ticket has already been used",
                ))
            }
            Redemption::Expired => {
                return Err(Failure::new(
                    ResultCode::TicketExpired,
                    "ticket has expired",
                ))
            }
        };
        let token = random_hex();
        self.tokens
            .issue(token.clone(), grant.clone(), now, TOKEN_TTL_SECS);
        tracing::info!(
            userid = grant.userid,
            ticket = mask::token(st),
            "ticket validated"
        );
        Ok((grant, token))
    }

    /// `getUserInfo`: the grant behind a platform token. An expired token answers 6001 (the
    /// real code for an expired token is not public; "expired" is its closest code).
    pub fn session(
        &self,
        platform: &PlatformState,
        caller: &IrsCaller,
        params: &Params,
    ) -> Result<Grant, Failure> {
        let service_code = caller_service_code(platform, caller, params);
        let token = params
            .get("token")
            .ok_or_else(|| Failure::new(ResultCode::BadFormat, "token is missing"))?;
        let service_code = service_code?;
        match self.tokens.lookup(token, platform.clock.now()) {
            Lookup::Valid(grant) if grant.service_code == service_code => Ok(grant),
            Lookup::Valid(_) => Err(Failure::new(
                ResultCode::OtherApp,
                "token was issued for another servicecode",
            )),
            Lookup::Unknown => Err(Failure::new(ResultCode::NotATicket, "token not found")),
            Lookup::Expired => Err(Failure::new(ResultCode::TicketExpired, "token has expired")),
        }
    }
}

/// The app a login page was opened for and its checked callback URL, or a sentence naming
/// which of the two is wrong (for [`bad_login_page`]).
pub fn login_target<'p>(
    platform: &'p PlatformState,
    params: &Params,
) -> Result<(&'p RegisteredApp, Url), String> {
    let service_code = params
        .get("servicecode")
        .ok_or_else(|| "servicecode is missing".to_string())?;
    let app = platform
        .app_by_service_code(service_code)
        .ok_or_else(|| format!("servicecode {service_code:?} is not registered"))?;
    let goto = params
        .get("goto")
        .ok_or_else(|| "goto (the callback URL) is missing".to_string())?;
    let url = app.allowed_callback(goto)?;
    Ok((app, url))
}

/// The 400 page of a login request that cannot be served.
pub fn bad_login_page(detail: &str) -> Response {
    pages::error_page(
        StatusCode::BAD_REQUEST,
        "登录请求无效 / Bad login request",
        detail,
    )
}

/// The id a login form submitted: the free-text field when filled, else the selection.
pub fn submitted_id<'p>(params: &'p Params, field: &str) -> Option<&'p str> {
    params
        .get(&format!("{field}{FREE_TEXT_SUFFIX}"))
        .or_else(|| params.get(field))
}

/// A 302 to `callback` with `name=value` added to its query (after any existing parameters,
/// before any fragment).
pub fn redirect_with(mut callback: Url, name: &str, value: &str) -> Response {
    callback.query_pairs_mut().append_pair(name, value);
    (
        StatusCode::FOUND,
        [(header::LOCATION, callback.to_string())],
    )
        .into_response()
}

/// What differs between 浙里办's personal and legal-person SSO entries: who can log in and
/// what the servlet says about them. The flow — login page, single-use ticket bound to its
/// service code, `ticketValidation`, `getUserInfo` — is one, below.
pub trait SsoKind: Send + Sync + 'static {
    /// Heading of the login page.
    const TITLE: &'static str;
    /// Path of the login page.
    const PAGE_PATH: &'static str;
    /// Path of the servlet.
    const SSO_PATH: &'static str;
    /// The page's error for an id no account has.
    const UNKNOWN_ID: &'static str;
    /// The servlet's message for a grant whose account is gone.
    const MISSING_ACCOUNT: &'static str;
    /// Which entry, for the log.
    const NAME: &'static str;
    /// The `getUserInfo` answer.
    type UserInfo: serde::Serialize;
    /// This entry's tickets and tokens.
    fn entry(platform: &PlatformState) -> &Entry;
    /// The accounts the login page lists.
    fn choices(platform: &PlatformState) -> Vec<Choice>;
    /// Whether an account has this user id.
    fn exists(platform: &PlatformState, userid: &str) -> bool;
    /// The `ticketValidation` answer for the account `userid`, with the platform token.
    fn validated(platform: &PlatformState, userid: &str, token: String)
        -> Option<TicketValidation>;
    /// The `getUserInfo` answer for the account `userid`.
    fn user_info(platform: &PlatformState, userid: &str) -> Option<Self::UserInfo>;
    /// A `getUserInfo` refusal.
    fn refused(failure: Failure) -> Self::UserInfo;
}

/// The browser-facing login page of entry `K`.
pub fn pages<K: SsoKind>() -> Router<MockState> {
    Router::new().route(K::PAGE_PATH, get(login_page::<K>).post(log_in::<K>))
}

/// The servlet of entry `K`, to be mounted behind the IRS gateway.
pub fn server_routes<K: SsoKind>() -> Router<MockState> {
    Router::new().route(K::SSO_PATH, get(servlet::<K>))
}

fn picker<'a, K: SsoKind>(
    state: &MockState,
    params: &'a Params,
    error: Option<&'a str>,
) -> Picker<'a> {
    Picker {
        title: K::TITLE,
        action: K::PAGE_PATH,
        hidden: vec![
            ("servicecode", params.get("servicecode").unwrap_or_default()),
            ("goto", params.get("goto").unwrap_or_default()),
        ],
        field: "userid",
        choices: K::choices(state),
        error,
    }
}

async fn login_page<K: SsoKind>(
    State(state): State<MockState>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::parse(query.as_deref().unwrap_or(""));
    if let Err(detail) = login_target(&state, &params) {
        return bad_login_page(&detail);
    }
    picker::<K>(&state, &params, None).render(StatusCode::OK)
}

async fn log_in<K: SsoKind>(State(state): State<MockState>, body: axum::body::Bytes) -> Response {
    let params = Params::parse_body(&body);
    let (app, callback) = match login_target(&state, &params) {
        Ok(target) => target,
        Err(detail) => return bad_login_page(&detail),
    };
    let Some(userid) = submitted_id(&params, "userid").filter(|id| K::exists(&state, id)) else {
        return picker::<K>(&state, &params, Some(K::UNKNOWN_ID)).render(StatusCode::BAD_REQUEST);
    };
    let ticket = K::entry(&state).issue_ticket(&app.service_code, userid, state.clock.now());
    tracing::info!(
        entry = K::NAME,
        userid,
        ticket = mask::token(&ticket),
        "login: ticket issued"
    );
    redirect_with(callback, "ticket", &ticket)
}

fn validation_failure(f: Failure) -> TicketValidation {
    TicketValidation {
        result: f.code.code(),
        errmsg: f.message,
        ..TicketValidation::default()
    }
}

/// A grant naming an account the fixtures lack cannot happen (grants are issued only for
/// fixture accounts); answered as "other" rather than trusted.
fn missing_account<K: SsoKind>() -> Failure {
    Failure::new(ResultCode::Other, K::MISSING_ACCOUNT)
}

/// `method=ticketValidation` and `method=getUserInfo`; every answer is HTTP 200 with a
/// `result` code, as the real servlet does.
async fn servlet<K: SsoKind>(
    State(state): State<MockState>,
    Extension(caller): Extension<IrsCaller>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::parse(query.as_deref().unwrap_or(""));
    match servlet_method(&params) {
        Err(f) => Json(validation_failure(f)).into_response(),
        Ok(ServletMethod::TicketValidation) => {
            let answer = match K::entry(&state).validate_ticket(&state, &caller, &params) {
                Ok((grant, token)) => K::validated(&state, &grant.userid, token)
                    .unwrap_or_else(|| validation_failure(missing_account::<K>())),
                Err(f) => validation_failure(f),
            };
            Json(answer).into_response()
        }
        Ok(ServletMethod::GetUserInfo) => {
            let answer = match K::entry(&state).session(&state, &caller, &params) {
                Ok(grant) => K::user_info(&state, &grant.userid)
                    .unwrap_or_else(|| K::refused(missing_account::<K>())),
                Err(f) => K::refused(f),
            };
            Json(answer).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_st_and_32_hex_digits_is_a_ticket() {
        assert!(is_well_formed_ticket(&format!("ST-{}", random_hex())));
        assert!(!is_well_formed_ticket("ST-123"));
        assert!(!is_well_formed_ticket(&random_hex()));
        assert!(!is_well_formed_ticket(&format!("ST-{}", "g".repeat(32))));
    }

    #[test]
    fn the_ticket_goes_after_an_existing_query() {
        let r = redirect_with(
            Url::parse("https://a.example/cb?next=%2Fhome#top").expect("url"),
            "ticket",
            "ST-1",
        );
        assert_eq!(r.status(), StatusCode::FOUND);
        assert_eq!(
            r.headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok()),
            Some("https://a.example/cb?next=%2Fhome&ticket=ST-1#top")
        );
    }
}
