//! 浙里办 single sign-on as its server APIs speak it.
//!
//! Three entries whose tickets never mix: personal SSO (`ticket` on the callback), legal-person
//! SSO (its own entry and user query) and the unified mini-program login (`ticketId` from
//! `ZWJSBridge.ssoTicket()`). All server calls go through the IRS gateway ([`crate::irs`]).

use serde::{Deserialize, Serialize};

/// IRS path of the personal SSO servlet (`method=ticketValidation` / `method=getUserInfo`).
pub const PERSONAL_SSO_PATH: &str = "/restapi/prod/IC33000020220228000002/sso/servlet/simpleauth";
/// IRS path of the legal-person SSO servlet, same methods, enterprise fields.
/// (The real interface code is not public; this follows the personal one's numbering.)
pub const LEGAL_PERSON_SSO_PATH: &str =
    "/restapi/prod/IC33000020220228000004/sso/servlet/simpleauth";
/// IRS path exchanging a mini-program `ticketId` for an access token (POST JSON).
pub const MINIPROGRAM_ACCESS_TOKEN_PATH: &str =
    "/restapi/prod/IC33000020220329000007/uc/sso/access_token";
/// IRS path returning the mini-program user for an access token (POST JSON).
pub const MINIPROGRAM_USER_INFO_PATH: &str =
    "/restapi/prod/IC33000020220329000008/uc/sso/getUserInfo";
/// The browser-facing SSO login page (not behind the gateway): `?servicecode=…&goto=…`.
pub const PERSONAL_LOGIN_PAGE_PATH: &str = "/sso/login";
/// The browser-facing legal-person login page.
pub const LEGAL_PERSON_LOGIN_PAGE_PATH: &str = "/sso/legal/login";
/// How long a ticket stays valid, in seconds.
pub const TICKET_TTL_SECS: i64 = 300;

/// `result` codes of the SSO servlet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultCode {
    /// `0`: success.
    Ok,
    /// `6001`: the ticket expired (or was already used: the real platform reports both so).
    TicketExpired,
    /// `6002`: the value is not a ticket.
    NotATicket,
    /// `6003`: the ticket was issued to another app.
    OtherApp,
    /// `6004`: malformed request parameters.
    BadFormat,
    /// `6099`: anything else.
    Other,
}

impl ResultCode {
    /// The numeric code on the wire.
    pub fn code(self) -> i32 {
        match self {
            Self::Ok => 0,
            Self::TicketExpired => 6001,
            Self::NotATicket => 6002,
            Self::OtherApp => 6003,
            Self::BadFormat => 6004,
            Self::Other => 6099,
        }
    }

    /// Inverse of [`ResultCode::code`]; unknown codes are [`ResultCode::Other`].
    pub fn from_code(code: i32) -> Self {
        match code {
            0 => Self::Ok,
            6001 => Self::TicketExpired,
            6002 => Self::NotATicket,
            6003 => Self::OtherApp,
            6004 => Self::BadFormat,
            _ => Self::Other,
        }
    }
}

/// The result code and message every personal and legal-person SSO answer carries.
pub trait SsoAnswer {
    /// See [`ResultCode`].
    fn result(&self) -> i32;
    /// Message for non-zero results.
    fn errmsg(&self) -> &str;
}

macro_rules! sso_answer {
    ($($answer:ty),*) => {$(
        impl SsoAnswer for $answer {
            fn result(&self) -> i32 {
                self.result
            }
            fn errmsg(&self) -> &str {
                &self.errmsg
            }
        }
    )*};
}

sso_answer!(TicketValidation, PersonalUserInfo, LegalPersonUserInfo);

/// Answer of `method=ticketValidation` (personal and legal person).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TicketValidation {
    /// See [`ResultCode`].
    pub result: i32,
    /// Message for non-zero results.
    #[serde(default)]
    pub errmsg: String,
    /// Platform token for `getUserInfo`; empty on failure.
    #[serde(default)]
    pub token: String,
    /// Platform user id.
    #[serde(default)]
    pub userid: String,
    /// Login name.
    #[serde(default)]
    pub loginname: String,
    /// Display name.
    #[serde(default)]
    pub username: String,
    /// Organisation code (legal person only).
    #[serde(default)]
    pub orgcoding: String,
}

/// Answer of personal `method=getUserInfo`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct PersonalUserInfo {
    /// See [`ResultCode`].
    pub result: i32,
    /// Message for non-zero results.
    #[serde(default)]
    pub errmsg: String,
    /// Platform user id.
    #[serde(default)]
    pub userid: String,
    /// Real name.
    #[serde(default)]
    pub username: String,
    /// Login name.
    #[serde(default)]
    pub loginname: String,
    /// `1` resident ID card … `6` foreign permanent resident card.
    #[serde(default)]
    pub idtype: String,
    /// Certificate number (resident ID number for `idtype` 1).
    #[serde(default)]
    pub idnum: String,
    /// Mobile number.
    #[serde(default)]
    pub mobile: String,
    /// `1` not real-name, `2` basic real-name, `3` advanced real-name.
    #[serde(default)]
    pub authlevel: String,
    /// `1` male, `2` female.
    #[serde(default)]
    pub sex: String,
    /// Ethnicity.
    #[serde(default)]
    pub nation: String,
    /// E-mail.
    #[serde(default)]
    pub email: String,
    /// CA key of a digital certificate, if any.
    #[serde(default)]
    pub cakey: String,
    /// `1` when the account is usable.
    #[serde(default)]
    pub useable: String,
    /// Avatar URL.
    #[serde(default)]
    pub headpicture: String,
}

/// Answer of legal-person `method=getUserInfo`: the enterprise and the person acting for it.
/// (Field names follow the personal answer's flat lower-case style; the real ones are not public.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct LegalPersonUserInfo {
    /// See [`ResultCode`].
    pub result: i32,
    /// Message for non-zero results.
    #[serde(default)]
    pub errmsg: String,
    /// Platform user id of the enterprise account.
    #[serde(default)]
    pub userid: String,
    /// Registered enterprise name.
    #[serde(default)]
    pub companyname: String,
    /// Unified social credit code.
    #[serde(default)]
    pub creditcode: String,
    /// Legal representative's name.
    #[serde(default)]
    pub legalperson: String,
    /// Name of the person acting (经办人).
    #[serde(default)]
    pub attnname: String,
    /// Resident ID number of the person acting.
    #[serde(default)]
    pub attnidnum: String,
    /// Mobile number of the person acting.
    #[serde(default)]
    pub attnmobile: String,
    /// Real-name level of the person acting.
    #[serde(default)]
    pub authlevel: String,
    /// Organisation type, e.g. `企业法人`.
    #[serde(default)]
    pub orgtype: String,
}

/// The mini-program envelope: `{success, errorCode, errorMsg, data}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope<T> {
    /// True on success.
    pub success: bool,
    /// Error code on failure (same numbers as [`ResultCode`], as text).
    #[serde(default)]
    pub error_code: Option<String>,
    /// Error message on failure.
    #[serde(default)]
    pub error_msg: Option<String>,
    /// The payload on success.
    #[serde(default = "Option::default")]
    pub data: Option<T>,
}

/// Body of [`MINIPROGRAM_ACCESS_TOKEN_PATH`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessTokenRequest {
    /// The ticket id from `ZWJSBridge.ssoTicket()`.
    pub ticket_id: String,
    /// The mini-program's app id.
    pub app_id: String,
}

/// `data` of a successful access-token exchange.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessTokenData {
    /// Token for [`MINIPROGRAM_USER_INFO_PATH`].
    pub access_token: String,
    /// Platform refresh token (ZheliKit does not use it: it keeps its own session).
    pub refresh_token: String,
    /// Expiry as epoch milliseconds.
    pub expires_time: i64,
}

/// Body of [`MINIPROGRAM_USER_INFO_PATH`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserInfoRequest {
    /// The access token.
    pub token: String,
}

/// `data` of the mini-program user query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MiniProgramUser {
    /// `PERSON` or `LEGAL_PERSON`.
    pub user_type: String,
    /// Set for `PERSON`.
    #[serde(default)]
    pub person_info: Option<PersonInfo>,
    /// Set for `LEGAL_PERSON`.
    #[serde(default)]
    pub legal_person_info: Option<LegalPersonInfo>,
}

/// A natural person in the mini-program answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonInfo {
    /// Platform user id.
    pub user_id: String,
    /// Real name.
    pub user_name: String,
    /// `ID_CARD`, `PASSPORT`, …
    pub id_type: String,
    /// Certificate number.
    pub id_no: String,
    /// Mobile number.
    pub phone: String,
    /// Real-name level, `1`–`3` (the mini-program answer carries it as a number).
    pub auth_level: u8,
    /// CA key, if any.
    #[serde(default)]
    pub cert_key: String,
}

/// An enterprise in the mini-program answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LegalPersonInfo {
    /// Enterprise name.
    pub name: String,
    /// Unified social credit code.
    pub unified_social_id: String,
    /// Organisation type.
    pub org_type: String,
    /// Acting person's name.
    pub attn_name: String,
    /// Acting person's phone.
    pub attn_phone: String,
    /// Acting person's resident ID number.
    pub attn_id_no: String,
    /// Legal representative.
    pub principal: String,
    /// Platform enterprise id.
    pub corp_id: String,
    /// Real-name level of the acting person.
    pub auth_level: u8,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_codes_round_trip() {
        for c in [
            ResultCode::Ok,
            ResultCode::TicketExpired,
            ResultCode::NotATicket,
            ResultCode::OtherApp,
            ResultCode::BadFormat,
            ResultCode::Other,
        ] {
            assert_eq!(ResultCode::from_code(c.code()), c);
        }
        assert_eq!(ResultCode::from_code(1234), ResultCode::Other);
    }

    #[test]
    fn envelopes_use_camel_case() {
        let e: Envelope<AccessTokenData> = serde_json::from_str(
            r#"{"success":true,"data":{"accessToken":"a","refreshToken":"r","expiresTime":1}}"#,
        )
        .unwrap();
        assert_eq!(e.data.map(|d| d.access_token), Some("a".into()));
    }
}
