//! 浙政钉 (government DingTalk): app token, 免登 (login-free) auth codes and the organisation
//! (组织架构) queries.
//!
//! Server APIs sit behind the 浙政钉 signing gateway ([`crate::gateway::zzd`]) and answer HTTP
//! 200 with a [`Response`] whose inner `success` says whether the API accepted the call. In the
//! container a page calls `getAuthCode`; here the [`AUTH_CODE_PAGE_PATH`] page (browser) and
//! `POST /zzd/auth/code` (scripts and tests) stand in for it.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response as HttpResponse};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use platform_api::zzd;
use platform_api::zzd::{
    codes, AppToken, AppUser, Employee, EmployeeAccount, Page, Position, Response,
    APP_TOKEN_TTL_SECS, AUTH_CODE_PAGE_PATH, AUTH_CODE_TTL_SECS, EMPLOYEES_BY_CODES_PATH,
    EMPLOYEE_ACCOUNT_IDS_PATH, EMPLOYEE_BY_CODE_PATH, GET_TOKEN_PATH, ORGANIZATIONS_BY_CODES_PATH,
    ORGANIZATION_BY_CODE_PATH, ORGANIZATION_EMPLOYEE_CODES_PATH, ROOT_ORGANIZATION_PATH,
    SUB_ORGANIZATION_CODES_PATH, USER_BY_CODE_PATH,
};
use serde::{Deserialize, Serialize};
use zhelikit_domain::mask;

use crate::fixtures::{Official, Organisation, ROOT_ORGANISATION_NAME, TENANT_ID};
use crate::gateway::ZzdCaller;
use crate::grants::{random_hex, Ledger, Lookup, Redemption};
use crate::pages::{self, Choice, Picker};
use crate::params::Params;
use crate::{sso, MockState, RegisteredApp};

/// Path of the stand-in for `getAuthCode` used by scripts and tests.
pub const AUTH_CODE_API_PATH: &str = "/zzd/auth/code";
/// How many officials the auth page lists; the free-text field reaches the rest.
pub const LISTED_OFFICIALS: usize = 20;
/// Page size when `pageSize` is absent.
pub const DEFAULT_PAGE_SIZE: u64 = 20;
/// Largest page the organisation queries return.
pub const MAX_PAGE_SIZE: u64 = 100;

/// An auth code: which app asked for it, for whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthCodeGrant {
    /// The app key that requested the code.
    pub app_key: String,
    /// The official logging in.
    pub account_id: i64,
}

/// 浙政钉's auth codes and app access tokens (a token grants its app key).
#[derive(Debug, Default)]
pub struct Ledgers {
    codes: Ledger<AuthCodeGrant>,
    tokens: Ledger<String>,
}

/// Body of [`AUTH_CODE_API_PATH`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthCodeRequest {
    /// The app key the page belongs to.
    pub appkey: String,
    /// The official logged in to the container.
    pub account_id: i64,
}

/// Answer of [`AUTH_CODE_API_PATH`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthCodeAnswer {
    /// The single-use auth code.
    pub code: String,
}

/// The browser page and the `getAuthCode` stand-in.
pub fn pages() -> Router<MockState> {
    Router::new()
        .route(AUTH_CODE_PAGE_PATH, get(auth_page).post(auth_page_submit))
        .route(AUTH_CODE_API_PATH, post(auth_code_api))
}

/// The server APIs, to be mounted behind the 浙政钉 gateway.
pub fn server_routes() -> Router<MockState> {
    Router::new()
        .route(GET_TOKEN_PATH, get(get_token))
        .route(USER_BY_CODE_PATH, post(user_by_code))
        .route(ROOT_ORGANIZATION_PATH, post(root_organisation))
        .route(ORGANIZATION_BY_CODE_PATH, post(organisation_by_code))
        .route(SUB_ORGANIZATION_CODES_PATH, post(sub_organisation_codes))
        .route(
            ORGANIZATION_EMPLOYEE_CODES_PATH,
            post(organisation_employee_codes),
        )
        .route(EMPLOYEE_BY_CODE_PATH, post(employee_by_code))
        .route(EMPLOYEE_ACCOUNT_IDS_PATH, post(employee_account_ids))
        .route(EMPLOYEES_BY_CODES_PATH, post(employees_by_codes))
        .route(ORGANIZATIONS_BY_CODES_PATH, post(organisations_by_codes))
}

type Answer<T> = Json<Response<T>>;

fn error<T>(code: &str, message: &str) -> Answer<T> {
    Json(Response::error(code, message))
}

// ---- app token and 免登 ----

async fn get_token(
    State(state): State<MockState>,
    Extension(caller): Extension<ZzdCaller>,
    RawQuery(query): RawQuery,
) -> Answer<AppToken> {
    let params = Params::parse(query.as_deref().unwrap_or(""));
    let (Some(appkey), Some(appsecret)) = (params.get("appkey"), params.get("appsecret")) else {
        return error(codes::PARAM_INVALID, "appkey and appsecret are required");
    };
    let matches = state
        .app_by_zzd_key(appkey)
        .is_some_and(|app| app.zzd.app_secret == appsecret);
    if !matches {
        return error(
            codes::APP_SECRET_INVALID,
            "appkey and appsecret do not match",
        );
    }
    // One app cannot obtain another's token even if it knew the secret: the gateway already
    // told us who is calling.
    if appkey != caller.app_key {
        return error(
            codes::PARAM_INVALID,
            "appkey differs from the signing apiKey",
        );
    }
    let access_token = random_hex();
    state.zzd.tokens.issue(
        access_token.clone(),
        appkey.to_string(),
        state.clock.now(),
        APP_TOKEN_TTL_SECS,
    );
    Json(Response::ok(AppToken {
        access_token,
        expires_in: APP_TOKEN_TTL_SECS,
    }))
}

/// Checks `access_token`: it must be live and belong to the app that signed the request.
fn check_token<T>(state: &MockState, caller: &ZzdCaller, params: &Params) -> Result<(), Answer<T>> {
    let token = params
        .get("access_token")
        .ok_or_else(|| error(codes::PARAM_INVALID, "access_token is required"))?;
    match state.zzd.tokens.lookup(token, state.clock.now()) {
        Lookup::Valid(app_key) if app_key == caller.app_key => Ok(()),
        Lookup::Valid(_) => Err(error(
            codes::ACCESS_TOKEN_INVALID,
            "access_token belongs to another app",
        )),
        Lookup::Expired => Err(error(
            codes::ACCESS_TOKEN_INVALID,
            "access_token has expired",
        )),
        Lookup::Unknown => Err(error(
            codes::ACCESS_TOKEN_INVALID,
            "access_token is unknown",
        )),
    }
}

async fn user_by_code(
    State(state): State<MockState>,
    Extension(caller): Extension<ZzdCaller>,
    body: Bytes,
) -> Answer<AppUser> {
    let params = Params::parse_body(&body);
    if let Err(answer) = check_token(&state, &caller, &params) {
        return answer;
    }
    let Some(code) = params.get("auth_code") else {
        return error(codes::PARAM_INVALID, "auth_code is required");
    };
    let redeemed = state.zzd.codes.redeem(code, state.clock.now(), |g| {
        if g.app_key == caller.app_key {
            Ok(())
        } else {
            Err(())
        }
    });
    let grant = match redeemed {
        Redemption::Redeemed(grant) => grant,
        Redemption::Refused(()) => {
            return error(
                codes::AUTH_CODE_OTHER_APP,
                "auth_code was issued to another app",
            )
        }
        Redemption::Unknown => return error(codes::AUTH_CODE_INVALID, "auth_code is unknown"),
        Redemption::Used => {
            return error(codes::AUTH_CODE_INVALID, "auth_code has already been used")
        }
        Redemption::Expired => return error(codes::AUTH_CODE_INVALID, "auth_code has expired"),
    };
    match state.fixtures.official_by_account(grant.account_id) {
        Some(official) => Json(Response::ok(app_user(official, &caller.app_key))),
        None => error(codes::NOT_FOUND, "the account no longer exists"),
    }
}

/// An official as the 免登 answer shows them to `app_key`.
pub fn app_user(o: &Official, app_key: &str) -> AppUser {
    AppUser {
        account_id: o.account_id,
        account: o.account.clone(),
        employee_code: o.employee_code.clone(),
        last_name: o.last_name(),
        nick_name_cn: o.name.clone(),
        realm_id: o.tenant_id,
        realm_name: ROOT_ORGANISATION_NAME.to_string(),
        // The real shapes of these two ids are not public; they only need to be stable and,
        // for openid, differ between apps.
        tenant_user_id: format!("{}${}", o.tenant_id, o.account_id),
        openid: open_id(app_key, o.account_id),
        namespace: "local".to_string(),
    }
}

/// A stable per-app id of an account (FNV-1a: only stability matters, not secrecy).
fn open_id(app_key: &str, account_id: i64) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in app_key
        .bytes()
        .chain([b'/'])
        .chain(account_id.to_string().bytes())
    {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

// ---- the getAuthCode stand-ins ----

fn issue_code(state: &MockState, app_key: &str, account_id: i64) -> String {
    let code = random_hex();
    state.zzd.codes.issue(
        code.clone(),
        AuthCodeGrant {
            app_key: app_key.to_string(),
            account_id,
        },
        state.clock.now(),
        AUTH_CODE_TTL_SECS,
    );
    tracing::info!(
        account_id,
        code = mask::token(&code),
        "浙政钉 auth code issued"
    );
    code
}

async fn auth_code_api(State(state): State<MockState>, body: Bytes) -> HttpResponse {
    let bad = |message: String| {
        (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({ "error": message })),
        )
            .into_response()
    };
    let request: AuthCodeRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return bad(format!("expected {{\"appkey\", \"accountId\"}}: {e}")),
    };
    if state.app_by_zzd_key(&request.appkey).is_none() {
        return bad(format!("appkey {:?} is not registered", request.appkey));
    }
    if state
        .fixtures
        .official_by_account(request.account_id)
        .is_none()
    {
        return bad(format!("no official has accountId {}", request.account_id));
    }
    let code = issue_code(&state, &request.appkey, request.account_id);
    Json(AuthCodeAnswer { code }).into_response()
}

/// The app the auth page was opened for and its checked redirect URL, or a sentence naming
/// what is wrong.
fn auth_target<'p>(
    state: &'p MockState,
    params: &Params,
) -> Result<(&'p RegisteredApp, url::Url), String> {
    let appkey = params
        .get("appkey")
        .ok_or_else(|| "appkey is missing".to_string())?;
    let app = state
        .app_by_zzd_key(appkey)
        .ok_or_else(|| format!("appkey {appkey:?} is not registered"))?;
    let redirect = params
        .get("redirect")
        .ok_or_else(|| "redirect is missing".to_string())?;
    // The page reuses the app's registered callbacks: the real container only opens pages of
    // the app's registered domain.
    let url = app.allowed_callback(redirect)?;
    Ok((app, url))
}

fn bad_auth_page(detail: &str) -> HttpResponse {
    pages::error_page(
        StatusCode::BAD_REQUEST,
        "免登请求无效 / Bad auth request",
        detail,
    )
}

fn auth_picker<'a>(state: &MockState, params: &'a Params, error: Option<&'a str>) -> Picker<'a> {
    Picker {
        title: "浙政钉 免登 (mock)",
        action: AUTH_CODE_PAGE_PATH,
        hidden: vec![
            ("appkey", params.get("appkey").unwrap_or_default()),
            ("redirect", params.get("redirect").unwrap_or_default()),
        ],
        field: "accountId",
        choices: state
            .fixtures
            .officials
            .iter()
            .take(LISTED_OFFICIALS)
            .map(|o| Choice {
                value: o.account_id.to_string(),
                label: format!("{} {} {}", o.account_id, o.name, o.job_title),
            })
            .collect(),
        error,
    }
}

async fn auth_page(State(state): State<MockState>, RawQuery(query): RawQuery) -> HttpResponse {
    let params = Params::parse(query.as_deref().unwrap_or(""));
    if let Err(detail) = auth_target(&state, &params) {
        return bad_auth_page(&detail);
    }
    auth_picker(&state, &params, None).render(StatusCode::OK)
}

async fn auth_page_submit(State(state): State<MockState>, body: Bytes) -> HttpResponse {
    let params = Params::parse_body(&body);
    let (app, redirect) = match auth_target(&state, &params) {
        Ok(target) => target,
        Err(detail) => return bad_auth_page(&detail),
    };
    let official = sso::submitted_id(&params, "accountId")
        .and_then(|id| id.parse::<i64>().ok())
        .and_then(|id| state.fixtures.official_by_account(id));
    let Some(official) = official else {
        let error = "no official has that account id";
        return auth_picker(&state, &params, Some(error)).render(StatusCode::BAD_REQUEST);
    };
    let code = issue_code(&state, &app.zzd.app_key, official.account_id);
    sso::redirect_with(redirect, "code", &code)
}

// ---- organisation ----

/// Checks the token and `tenantId` shared by every organisation query (and the messaging
/// APIs).
pub(crate) fn check_org_call<T>(
    state: &MockState,
    caller: &ZzdCaller,
    params: &Params,
) -> Result<(), Answer<T>> {
    check_token(state, caller, params)?;
    let tenant = params
        .get("tenantId")
        .ok_or_else(|| error(codes::PARAM_INVALID, "tenantId is required"))?;
    match tenant.parse::<i64>() {
        Ok(TENANT_ID) => Ok(()),
        Ok(_) => Err(error(codes::NOT_FOUND, "no such tenant")),
        Err(_) => Err(error(codes::PARAM_INVALID, "tenantId must be a number")),
    }
}

/// The platform's answer for one of the fixture organisations.
fn organization(o: &Organisation) -> zzd::Organisation {
    zzd::Organisation {
        organization_code: o.code.clone(),
        organization_name: o.name.clone(),
        parent_code: o.parent_code.clone().unwrap_or_default(),
        credit_code: o.credit_code.clone(),
    }
}

fn required_organisation<'s, T>(
    state: &'s MockState,
    params: &Params,
) -> Result<&'s Organisation, Answer<T>> {
    let code = params
        .get("organizationCode")
        .ok_or_else(|| error(codes::PARAM_INVALID, "organizationCode is required"))?;
    state
        .fixtures
        .organisation(code)
        .ok_or_else(|| error(codes::NOT_FOUND, "no such organization"))
}

/// One page of `codes` per `pageNo` (1-based) and `pageSize`.
fn page_of<T>(codes_in_order: Vec<String>, params: &Params) -> Result<Page, Answer<T>> {
    let number = |name: &str, default: u64| -> Result<u64, Answer<T>> {
        match params.get(name) {
            None => Ok(default),
            Some(v) => v.parse::<u64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                error(
                    codes::PARAM_INVALID,
                    &format!("{name} must be a positive integer"),
                )
            }),
        }
    };
    let page_no = number("pageNo", 1)?;
    let page_size = number("pageSize", DEFAULT_PAGE_SIZE)?.min(MAX_PAGE_SIZE);
    let total_size = codes_in_order.len() as u64;
    let skip = (page_no - 1).saturating_mul(page_size);
    let data = codes_in_order
        .into_iter()
        .skip(usize::try_from(skip).unwrap_or(usize::MAX))
        .take(usize::try_from(page_size).unwrap_or(usize::MAX))
        .collect();
    Ok(Page {
        data,
        total_size,
        current_page: page_no,
    })
}

/// One organisation call: the form parsed, the app token and tenant checked, then `answer`;
/// whatever refuses it is the platform's error envelope.
fn org_call<T>(
    state: &MockState,
    caller: &ZzdCaller,
    body: &Bytes,
    answer: impl FnOnce(&Params) -> Result<T, Answer<T>>,
) -> Answer<T> {
    let params = Params::parse_body(body);
    match check_org_call(state, caller, &params).and_then(|()| answer(&params)) {
        Ok(data) => Json(Response::ok(data)),
        Err(refused) => refused,
    }
}

async fn root_organisation(
    State(state): State<MockState>,
    Extension(caller): Extension<ZzdCaller>,
    body: Bytes,
) -> Answer<zzd::Organisation> {
    org_call(&state, &caller, &body, |_| {
        state
            .fixtures
            .root_organisation()
            .map(organization)
            .ok_or_else(|| error(codes::NOT_FOUND, "the tenant has no root organization"))
    })
}

async fn organisation_by_code(
    State(state): State<MockState>,
    Extension(caller): Extension<ZzdCaller>,
    body: Bytes,
) -> Answer<zzd::Organisation> {
    org_call(&state, &caller, &body, |params| {
        required_organisation(&state, params).map(organization)
    })
}

async fn sub_organisation_codes(
    State(state): State<MockState>,
    Extension(caller): Extension<ZzdCaller>,
    body: Bytes,
) -> Answer<Page> {
    org_call(&state, &caller, &body, |params| {
        let parent = required_organisation(&state, params)?;
        let children = state
            .fixtures
            .organisations
            .iter()
            .filter(|o| o.parent_code.as_deref() == Some(parent.code.as_str()))
            .map(|o| o.code.clone())
            .collect();
        page_of(children, params)
    })
}

async fn organisation_employee_codes(
    State(state): State<MockState>,
    Extension(caller): Extension<ZzdCaller>,
    body: Bytes,
) -> Answer<Page> {
    org_call(&state, &caller, &body, |params| {
        let org = required_organisation(&state, params)?;
        let staff = state
            .fixtures
            .officials
            .iter()
            .filter(|o| o.organisation_code == org.code)
            .map(|o| o.employee_code.clone())
            .collect();
        page_of(staff, params)
    })
}

async fn employee_by_code(
    State(state): State<MockState>,
    Extension(caller): Extension<ZzdCaller>,
    body: Bytes,
) -> Answer<Employee> {
    org_call(&state, &caller, &body, |params| {
        let code = params
            .get("employeeCode")
            .ok_or_else(|| error(codes::PARAM_INVALID, "employeeCode is required"))?;
        let o = state
            .fixtures
            .official_by_employee_code(code)
            .ok_or_else(|| error(codes::NOT_FOUND, "no such employee"))?;
        Ok(employee(o))
    })
}

/// The platform's answer for an official.
fn employee(o: &Official) -> Employee {
    Employee {
        employee_code: o.employee_code.clone(),
        employee_name: o.name.clone(),
        positions: vec![Position {
            organization_code: o.organisation_code.clone(),
            job_title: o.job_title.clone(),
            main_job: true,
            leader: o.leader,
        }],
    }
}

/// The codes of the batch parameter `name`, at most [`MAX_PAGE_SIZE`].
fn batch<'p, T>(params: &'p Params, name: &str) -> Result<Vec<&'p str>, Answer<T>> {
    let list = params
        .get(name)
        .ok_or_else(|| error(codes::PARAM_INVALID, &format!("{name} is required")))?;
    let asked: Vec<&str> = list.split(',').map(str::trim).collect();
    if asked.len() as u64 > MAX_PAGE_SIZE {
        return Err(error(
            codes::PARAM_INVALID,
            &format!("at most {MAX_PAGE_SIZE} {name} a call"),
        ));
    }
    Ok(asked)
}

/// At most [`MAX_PAGE_SIZE`] codes a call; unknown codes are left out.
async fn organisations_by_codes(
    State(state): State<MockState>,
    Extension(caller): Extension<ZzdCaller>,
    body: Bytes,
) -> Answer<Vec<zzd::Organisation>> {
    org_call(&state, &caller, &body, |params| {
        Ok(batch(params, "organizationCodes")?
            .into_iter()
            .filter_map(|code| state.fixtures.organisation(code))
            .map(organization)
            .collect())
    })
}

/// At most [`MAX_PAGE_SIZE`] codes a call; unknown codes are left out, as in
/// [`employee_account_ids`].
async fn employees_by_codes(
    State(state): State<MockState>,
    Extension(caller): Extension<ZzdCaller>,
    body: Bytes,
) -> Answer<Vec<Employee>> {
    org_call(&state, &caller, &body, |params| {
        Ok(batch(params, "employeeCodes")?
            .into_iter()
            .filter_map(|code| state.fixtures.official_by_employee_code(code))
            .map(employee)
            .collect())
    })
}

/// Unknown codes are left out of the answer rather than failing it: a batch lookup that fails
/// whole on one stale code is the less likely design.
async fn employee_account_ids(
    State(state): State<MockState>,
    Extension(caller): Extension<ZzdCaller>,
    body: Bytes,
) -> Answer<Vec<EmployeeAccount>> {
    org_call(&state, &caller, &body, |params| {
        let list = params
            .get("employeeCodes")
            .ok_or_else(|| error(codes::PARAM_INVALID, "employeeCodes is required"))?;
        Ok(list
            .split(',')
            .map(str::trim)
            .filter_map(|code| state.fixtures.official_by_employee_code(code))
            .map(|o| EmployeeAccount {
                employee_code: o.employee_code.clone(),
                account_id: o.account_id,
            })
            .collect())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_ids_are_stable_per_app_and_differ_between_apps() {
        assert_eq!(open_id("a", 1), open_id("a", 1));
        assert_ne!(open_id("a", 1), open_id("b", 1));
        assert_ne!(open_id("a", 1), open_id("a", 2));
    }

    #[test]
    fn pages_are_one_based_and_capped() {
        let codes: Vec<String> = (0..5).map(|i| i.to_string()).collect();
        let page = page_of::<()>(codes.clone(), &Params::parse("pageNo=2&pageSize=2"))
            .map_err(|_| "refused")
            .expect("valid paging");
        assert_eq!(page.data, vec!["2", "3"]);
        assert_eq!(page.total_size, 5);
        assert_eq!(page.current_page, 2);
        assert!(page_of::<()>(codes, &Params::parse("pageNo=0")).is_err());
    }
}
