//! 浙里辦 personal SSO (個人用戶單點登錄): the login page at
//! [`PERSONAL_LOGIN_PAGE_PATH`] and the servlet at [`PERSONAL_SSO_PATH`].

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use platform_api::zlb::{
    PersonalUserInfo, ResultCode, TicketValidation, PERSONAL_LOGIN_PAGE_PATH, PERSONAL_SSO_PATH,
};
use zhelikit_domain::mask;

use crate::fixtures::Citizen;
use crate::gateway::IrsCaller;
use crate::pages::{Choice, Picker};
use crate::params::Params;
use crate::sso::{self, Failure, ServletMethod};
use crate::MockState;

/// How many citizens the login page lists; the free-text field reaches the rest.
pub const LISTED_CITIZENS: usize = 20;

/// The browser-facing login page.
pub fn pages() -> Router<MockState> {
    Router::new().route(PERSONAL_LOGIN_PAGE_PATH, get(login_page).post(log_in))
}

/// The servlet, to be mounted behind the IRS gateway.
pub fn server_routes() -> Router<MockState> {
    Router::new().route(PERSONAL_SSO_PATH, get(servlet))
}

fn picker<'a>(state: &MockState, params: &'a Params, error: Option<&'a str>) -> Picker<'a> {
    Picker {
        title: "浙里辦 個人登錄 (mock)",
        action: PERSONAL_LOGIN_PAGE_PATH,
        hidden: vec![
            ("servicecode", params.get("servicecode").unwrap_or_default()),
            ("goto", params.get("goto").unwrap_or_default()),
        ],
        field: "userid",
        choices: state
            .fixtures
            .citizens
            .iter()
            .take(LISTED_CITIZENS)
            .map(|c| Choice {
                value: c.userid.clone(),
                label: format!(
                    "{} {} (authlevel {})",
                    c.userid,
                    c.name,
                    c.auth_level.code()
                ),
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
    let Some(citizen) =
        sso::submitted_id(&params, "userid").and_then(|id| state.fixtures.citizen(id))
    else {
        let error = "no citizen has that user id";
        return picker(&state, &params, Some(error)).render(StatusCode::BAD_REQUEST);
    };
    let ticket = state
        .personal
        .issue_ticket(&app.service_code, &citizen.userid, state.clock.now());
    tracing::info!(
        userid = citizen.userid,
        ticket = mask::token(&ticket),
        "personal login: ticket issued"
    );
    sso::redirect_with(callback, "ticket", &ticket)
}

/// `method=ticketValidation` and `method=getUserInfo`; every answer is HTTP 200 with a
/// `result` code, as the real servlet does.
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

fn ticket_validation(state: &MockState, caller: &IrsCaller, params: &Params) -> TicketValidation {
    let (grant, token) = match state.personal.validate_ticket(state, caller, params) {
        Ok(ok) => ok,
        Err(f) => return validation_failure(f),
    };
    let Some(citizen) = state.fixtures.citizen(&grant.userid) else {
        return validation_failure(missing_user());
    };
    TicketValidation {
        result: ResultCode::Ok.code(),
        errmsg: String::new(),
        token,
        userid: citizen.userid.clone(),
        loginname: citizen.loginname.clone(),
        username: citizen.name.clone(),
        orgcoding: String::new(),
    }
}

/// A grant naming a user the fixtures lack cannot happen (grants are issued only for fixture
/// users); answered as "other" rather than trusted.
fn missing_user() -> Failure {
    Failure {
        code: ResultCode::Other,
        message: "user no longer exists".to_string(),
    }
}

fn user_info(state: &MockState, caller: &IrsCaller, params: &Params) -> PersonalUserInfo {
    let failure = |f: Failure| PersonalUserInfo {
        result: f.code.code(),
        errmsg: f.message,
        ..PersonalUserInfo::default()
    };
    let grant = match state.personal.session(state, caller, params) {
        Ok(grant) => grant,
        Err(f) => return failure(f),
    };
    match state.fixtures.citizen(&grant.userid) {
        Some(citizen) => personal_user_info(citizen),
        None => failure(missing_user()),
    }
}

/// Every field of the personal answer, filled from the fixture.
pub fn personal_user_info(c: &Citizen) -> PersonalUserInfo {
    PersonalUserInfo {
        result: ResultCode::Ok.code(),
        errmsg: String::new(),
        userid: c.userid.clone(),
        username: c.name.clone(),
        loginname: c.loginname.clone(),
        idtype: c.idtype.clone(),
        idnum: c.id_number.clone(),
        mobile: c.mobile.clone(),
        authlevel: c.auth_level.code().to_string(),
        sex: c.sex.code().to_string(),
        nation: c.nation.clone(),
        email: c.email.clone(),
        cakey: String::new(),
        useable: "1".to_string(),
        headpicture: String::new(),
    }
}
