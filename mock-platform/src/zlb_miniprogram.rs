//! 浙里办 unified mini-program login (小程序统一登录): `ticketId` → access token → user.
//!
//! In the container the page calls `ZWJSBridge.ssoTicket()`; here
//! `POST /sso/miniprogram/ticket {appId, userid}` stands in for it. The server then exchanges
//! the ticket id at [`MINIPROGRAM_ACCESS_TOKEN_PATH`] and reads the user at
//! [`MINIPROGRAM_USER_INFO_PATH`], both behind the IRS gateway and answering in an
//! [`Envelope`] whose error codes are the servlet's (`6001` … `6004`) as text.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Json, Router};
use chrono::Duration;
use platform_api::zlb::{
    AccessTokenData, AccessTokenRequest, Envelope, LegalPersonInfo, MiniProgramUser, PersonInfo,
    ResultCode, UserInfoRequest, MINIPROGRAM_ACCESS_TOKEN_PATH, MINIPROGRAM_USER_INFO_PATH,
    TICKET_TTL_SECS,
};
use serde::{Deserialize, Serialize};
use zhelikit_domain::mask;

use crate::fixtures::Citizen;
use crate::gateway::IrsCaller;
use crate::grants::{random_hex, Ledger, Lookup, Redemption};
use crate::zlb_legal::{legal_account, LegalAccount};
use crate::{MockState, PlatformState};

/// Path of the stand-in for `ZWJSBridge.ssoTicket()`.
pub const TICKET_PATH: &str = "/sso/miniprogram/ticket";
/// Lifetime of a mini-program access token. (Not public; two hours like the SSO token.)
pub const ACCESS_TOKEN_TTL_SECS: i64 = 2 * 3600;

/// Who a ticket id or access token was issued to, and for which mini-program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The mini-program's app id.
    pub app_id: String,
    /// A citizen's or an enterprise's platform user id.
    pub userid: String,
}

/// The mini-program entry's ticket ids and access tokens.
#[derive(Debug, Default)]
pub struct Ledgers {
    tickets: Ledger<Grant>,
    tokens: Ledger<Grant>,
}

/// Body of [`TICKET_PATH`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketRequest {
    /// The mini-program's app id.
    pub app_id: String,
    /// Who is logged in to the container: a citizen's or an enterprise's user id.
    pub userid: String,
}

/// Answer of [`TICKET_PATH`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketAnswer {
    /// The single-use ticket id.
    pub ticket_id: String,
}

/// The container stand-in.
pub fn pages() -> Router<MockState> {
    Router::new().route(TICKET_PATH, post(issue_ticket))
}

/// The server APIs, to be mounted behind the IRS gateway.
pub fn server_routes() -> Router<MockState> {
    Router::new()
        .route(MINIPROGRAM_ACCESS_TOKEN_PATH, post(access_token))
        .route(MINIPROGRAM_USER_INFO_PATH, post(user_info))
}

fn bad_request(message: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(serde_json::json!({ "error": message })),
    )
        .into_response()
}

async fn issue_ticket(State(state): State<MockState>, body: Bytes) -> Response {
    let request: TicketRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return bad_request(format!("expected {{\"appId\", \"userid\"}}: {e}")),
    };
    if state.app_by_miniprogram_id(&request.app_id).is_none() {
        return bad_request(format!("appId {:?} is not registered", request.app_id));
    }
    let known = state.fixtures.citizen(&request.userid).is_some()
        || state.fixtures.enterprise(&request.userid).is_some();
    if !known {
        return bad_request(format!(
            "userid {:?} is neither a citizen nor an enterprise",
            request.userid
        ));
    }
    let ticket_id = random_hex();
    state.miniprogram.tickets.issue(
        ticket_id.clone(),
        Grant {
            app_id: request.app_id,
            userid: request.userid.clone(),
        },
        state.clock.now(),
        TICKET_TTL_SECS,
    );
    tracing::info!(
        userid = request.userid,
        ticket_id = mask::token(&ticket_id),
        "mini-program ticket id issued"
    );
    Json(TicketAnswer { ticket_id }).into_response()
}

fn failure<T>(code: ResultCode, message: &str) -> Json<Envelope<T>> {
    Json(Envelope {
        success: false,
        error_code: Some(code.code().to_string()),
        error_msg: Some(message.to_string()),
        data: None,
    })
}

fn success<T>(data: T) -> Json<Envelope<T>> {
    Json(Envelope {
        success: true,
        error_code: None,
        error_msg: None,
        data: Some(data),
    })
}

/// Whether the app signing the request owns this mini-program app id.
fn caller_owns(platform: &PlatformState, caller: &IrsCaller, app_id: &str) -> bool {
    platform
        .app_by_miniprogram_id(app_id)
        .is_some_and(|app| app.irs.access_key == caller.access_key)
}

fn is_well_formed_id(value: &str) -> bool {
    value.len() == 32 && value.chars().all(|c| c.is_ascii_hexdigit())
}

async fn access_token(
    State(state): State<MockState>,
    Extension(caller): Extension<IrsCaller>,
    body: Bytes,
) -> Json<Envelope<AccessTokenData>> {
    let Ok(request) = serde_json::from_slice::<AccessTokenRequest>(&body) else {
        return failure(ResultCode::BadFormat, "expected {\"ticketId\", \"appId\"}");
    };
    if !is_well_formed_id(request.ticket_id.trim()) {
        return failure(ResultCode::BadFormat, "ticketId is missing or malformed");
    }
    if !caller_owns(&state, &caller, &request.app_id) {
        return failure(
            ResultCode::OtherApp,
            "appId does not belong to the caller's access key",
        );
    }
    let now = state.clock.now();
    let redeemed = state
        .miniprogram
        .tickets
        .redeem(request.ticket_id.trim(), now, |g| {
            if g.app_id == request.app_id {
                Ok(())
            } else {
                Err(())
            }
        });
    let grant = match redeemed {
        Redemption::Redeemed(grant) => grant,
        Redemption::Unknown => return failure(ResultCode::NotATicket, "ticketId not found"),
        Redemption::Refused(()) => {
            return failure(ResultCode::OtherApp, "ticketId was issued to another appId")
        }
        Redemption::Used => {
            return failure(ResultCode::TicketExpired, "ticketId has already been used")
        }
        Redemption::Expired => return failure(ResultCode::TicketExpired, "ticketId has expired"),
    };
    let access_token = random_hex();
    state
        .miniprogram
        .tokens
        .issue(access_token.clone(), grant, now, ACCESS_TOKEN_TTL_SECS);
    success(AccessTokenData {
        access_token,
        refresh_token: random_hex(),
        expires_time: (now + Duration::seconds(ACCESS_TOKEN_TTL_SECS)).timestamp_millis(),
    })
}

async fn user_info(
    State(state): State<MockState>,
    Extension(caller): Extension<IrsCaller>,
    body: Bytes,
) -> Json<Envelope<MiniProgramUser>> {
    let Ok(request) = serde_json::from_slice::<UserInfoRequest>(&body) else {
        return failure(ResultCode::BadFormat, "expected {\"token\"}");
    };
    let token = request.token.trim();
    if token.is_empty() {
        return failure(ResultCode::BadFormat, "token is missing");
    }
    let grant = match state.miniprogram.tokens.lookup(token, state.clock.now()) {
        Lookup::Valid(grant) => grant,
        Lookup::Unknown => return failure(ResultCode::NotATicket, "token not found"),
        Lookup::Expired => return failure(ResultCode::TicketExpired, "token has expired"),
    };
    if !caller_owns(&state, &caller, &grant.app_id) {
        return failure(ResultCode::OtherApp, "token was issued to another app");
    }
    if let Some(citizen) = state.fixtures.citizen(&grant.userid) {
        return success(person(citizen));
    }
    match legal_account(&state.fixtures, &grant.userid) {
        Some(account) => success(legal_person(&account)),
        None => failure(ResultCode::Other, "user no longer exists"),
    }
}

/// A citizen as the mini-program answer shows them.
pub fn person(c: &Citizen) -> MiniProgramUser {
    MiniProgramUser {
        user_type: "PERSON".to_string(),
        person_info: Some(PersonInfo {
            user_id: c.userid.clone(),
            user_name: c.name.clone(),
            // Every fixture holds a resident ID card (idtype 1).
            id_type: "ID_CARD".to_string(),
            id_no: c.id_number.clone(),
            phone: c.mobile.clone(),
            auth_level: c.auth_level.code(),
            cert_key: String::new(),
        }),
        legal_person_info: None,
    }
}

/// An enterprise as the mini-program answer shows it.
pub fn legal_person(a: &LegalAccount<'_>) -> MiniProgramUser {
    MiniProgramUser {
        user_type: "LEGAL_PERSON".to_string(),
        person_info: None,
        legal_person_info: Some(LegalPersonInfo {
            name: a.enterprise.name.clone(),
            unified_social_id: a.enterprise.uscc.clone(),
            org_type: a.enterprise.org_type.clone(),
            attn_name: a.attn.name.clone(),
            attn_phone: a.attn.mobile.clone(),
            attn_id_no: a.attn.id_number.clone(),
            principal: a.representative.name.clone(),
            corp_id: a.enterprise.corp_id.clone(),
            auth_level: a.attn.auth_level.code(),
        }),
    }
}
