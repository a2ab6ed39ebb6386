//! 浙里辦 legal-person SSO (法人用戶單點登錄): the login page at
//! [`LEGAL_PERSON_LOGIN_PAGE_PATH`] and the servlet at [`LEGAL_PERSON_SSO_PATH`].
//!
//! Same shape as [`crate::zlb_personal`], with its own tickets and tokens: a personal ticket
//! presented here is unknown (6002), and the other way round.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use platform_api::zlb::{
    LegalPersonUserInfo, ResultCode, TicketValidation, LEGAL_PERSON_LOGIN_PAGE_PATH,
    LEGAL_PERSON_SSO_PATH,
};
use zhelikit_domain::mask;

use crate::fixtures::{Citizen, Enterprise, Fixtures};
use crate::gateway::IrsCaller;
use crate::pages::{Choice, Picker};
use crate::params::Params;
use crate::sso::{self, Failure, ServletMethod};
use crate::MockState;

/// How many enterprises the login page lists; the free-text field reaches the rest.
pub const LISTED_ENTERPRISES: usize = 20;

/// The browser-facing login page.
pub fn pages() -> Router<MockState> {
    Router::new().route(LEGAL_PERSON_LOGIN_PAGE_PATH, get(login_page).post(log_in))
}

/// The servlet, to be mounted behind the IRS gateway.
pub fn server_routes() -> Router<MockState> {
    Router::new().route(LEGAL_PERSON_SSO_PATH, get(servlet))
}

/// An enterprise with the two citizens it refers to.
pub struct LegalAccount<'f> {
    /// The enterprise.
    pub enterprise: &'f Enterprise,
    /// Its legal representative.
    pub representative: &'f Citizen,
    /// The person acting for it.
    pub attn: &'f Citizen,
}

/// The enterprise with this user id, resolved with its people.
pub fn legal_account<'f>(fixtures: &'f Fixtures, userid: &str) -> Option<LegalAccount<'f>> {
    let enterprise = fixtures.enterprise(userid)?;
    Some(LegalAccount {
        enterprise,
        representative: fixtures.citizen_at(enterprise.legal_representative)?,
        attn: fixtures.citizen_at(enterprise.attn)?,
    })
}

fn picker<'a>(state: &MockState, params: &'a Params, error: Option<&'a str>) -> Picker<'a> {
    Picker {
        title: "浙里辦 法人登錄 (mock)",
        action: LEGAL_PERSON_LOGIN_PAGE_PATH,
        hidden: vec![
            ("servicecode", params.get("servicecode").unwrap_or_default()),
            ("goto", params.get("goto").unwrap_or_default()),
        ],
        field: "userid",
        choices: state
            .fixtures
            .enterprises
            .iter()
            .take(LISTED_ENTERPRISES)
            .map(|e| Choice {
                value: e.userid.clone(),
                label: format!("{} {} {}", e.userid, e.name, e.uscc),
            })
            .collect(),
        error,
    }
}

async fn login_page(State(state): State<MockState>, RawQuery(query): RawQuery) -> Response {
    let params = Params::parse(query.as_deref().unwrap_or(""));
    if let Err(detail) = sso::login_target(&state, &params) {
        return sso::bad_login_page(&detail);
    }
    picker(&state, &params, None).render(StatusCode::OK)
}

async fn log_in(State(state): State<MockState>, body: axum::body::Bytes) -> Response {
    let params = Params::parse_body(&body);
    let (app, callback) = match sso::login_target(&state, &params) {
        Ok(target) => target,
        Err(detail) => return sso::bad_login_page(&detail),
    };
    let Some(enterprise) =
        sso::submitted_id(&params, "userid").and_then(|id| state.fixtures.enterprise(id))
    else {
        let error = "no enterprise has that user id";
        return picker(&state, &params, Some(error)).render(StatusCode::BAD_REQUEST);
    };
    let ticket = state
        .legal
        .issue_ticket(&app.service_code, &enterprise.userid, state.clock.now());
    tracing::info!(
        userid = enterprise.userid,
        ticket = mask::token(&ticket),
        "legal-person login: ticket issued"
    );
    sso::redirect_with(callback, "ticket", &ticket)
}

async fn servlet(
    State(state): State<MockState>,
    Extension(caller): Extension<IrsCaller>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::parse(query.as_deref().unwrap_or(""));
    let method = match sso::servlet_method(&params) {
        Ok(m) => m,
        Err(f) => return Json(validation_failure(f)).into_response(),
    };
    match method {
        ServletMethod::TicketValidation => {
            Json(ticket_validation(&state, &caller, &params)).into_response()
        }
        ServletMethod::GetUserInfo => Json(user_info(&state, &caller, &params)).into_response(),
    }
}

fn validation_failure(f: Failure) -> TicketValidation {
    TicketValidation {
        result: f.code.code(),
        errmsg: f.message,
        ..TicketValidation::default()
    }
}

fn missing_account() -> Failure {
    Failure {
        code: ResultCode::Other,
        message: "enterprise account no longer exists".to_string(),
    }
}

fn ticket_validation(state: &MockState, caller: &IrsCaller, params: &Params) -> TicketValidation {
    let (grant, token) = match state.legal.validate_ticket(state, caller, params) {
        Ok(ok) => ok,
        Err(f) => return validation_failure(f),
    };
    let Some(account) = legal_account(&state.fixtures, &grant.userid) else {
        return validation_failure(missing_account());
    };
    TicketValidation {
        result: ResultCode::Ok.code(),
        errmsg: String::new(),
        token,
        userid: account.enterprise.userid.clone(),
        // The acting person logs in; the account is the enterprise's. (Which login name the
        // real answer carries is not public; the acting person's is the likelier.)
        loginname: account.attn.loginname.clone(),
        username: account.enterprise.name.clone(),
        // The real field predates USCCs (it once held the nine-character organisation code);
        // today's platform fills the USCC, which contains it.
        orgcoding: account.enterprise.uscc.clone(),
    }
}

fn user_info(state: &MockState, caller: &IrsCaller, params: &Params) -> LegalPersonUserInfo {
    let failure = |f: Failure| LegalPersonUserInfo {
        result: f.code.code(),
        errmsg: f.message,
        ..LegalPersonUserInfo::default()
    };
    let grant = match state.legal.session(state, caller, params) {
        Ok(grant) => grant,
        Err(f) => return failure(f),
    };
    match legal_account(&state.fixtures, &grant.userid) {
        Some(account) => legal_person_user_info(&account),
        None => failure(missing_account()),
    }
}

/// Every field of the legal-person answer, filled from the fixture.
pub fn legal_person_user_info(a: &LegalAccount<'_>) -> LegalPersonUserInfo {
    LegalPersonUserInfo {
        result: ResultCode::Ok.code(),
        errmsg: String::new(),
        userid: a.enterprise.userid.clone(),
        companyname: a.enterprise.name.clone(),
        creditcode: a.enterprise.uscc.clone(),
        legalperson: a.representative.name.clone(),
        attnname: a.attn.name.clone(),
        attnidnum: a.attn.id_number.clone(),
        attnmobile: a.attn.mobile.clone(),
        authlevel: a.attn.auth_level.code().to_string(),
        orgtype: a.enterprise.org_type.clone(),
    }
}
