//! 浙里办 personal SSO (个人用户单点登录): the login page at
//! [`PERSONAL_LOGIN_PAGE_PATH`] and the servlet at [`PERSONAL_SSO_PATH`], the flow of
//! [`crate::sso`] over the fixture citizens.

use axum::Router;
use platform_api::zlb::{
    PersonalUserInfo, ResultCode, TicketValidation, PERSONAL_LOGIN_PAGE_PATH, PERSONAL_SSO_PATH,
};

use crate::fixtures::Citizen;
use crate::pages::Choice;
use crate::sso::{self, Entry, Failure, SsoKind};
use crate::{MockState, PlatformState};

/// How many citizens the login page lists; the free-text field reaches the rest.
pub const LISTED_CITIZENS: usize = 20;

/// The personal entry: citizens.
pub struct Personal;

impl SsoKind for Personal {
    const TITLE: &'static str = "浙里办 个人登录 (mock)";
    const PAGE_PATH: &'static str = PERSONAL_LOGIN_PAGE_PATH;
    const SSO_PATH: &'static str = PERSONAL_SSO_PATH;
    const UNKNOWN_ID: &'static str = "no citizen has that user id";
    const MISSING_ACCOUNT: &'static str = "user no longer exists";
    const NAME: &'static str = "personal";
    type UserInfo = PersonalUserInfo;

    fn entry(platform: &PlatformState) -> &Entry {
        &platform.personal
    }

    fn choices(platform: &PlatformState) -> Vec<Choice> {
        platform
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
            .collect()
    }

    fn exists(platform: &PlatformState, userid: &str) -> bool {
        platform.fixtures.citizen(userid).is_some()
    }

    fn validated(
        platform: &PlatformState,
        userid: &str,
        token: String,
    ) -> Option<TicketValidation> {
        let citizen = platform.fixtures.citizen(userid)?;
        Some(TicketValidation {
            result: ResultCode::Ok.code(),
            errmsg: String::new(),
            token,
            userid: citizen.userid.clone(),
            loginname: citizen.loginname.clone(),
            username: citizen.name.clone(),
            orgcoding: String::new(),
        })
    }

    fn user_info(platform: &PlatformState, userid: &str) -> Option<PersonalUserInfo> {
        platform.fixtures.citizen(userid).map(personal_user_info)
    }

    fn refused(f: Failure) -> PersonalUserInfo {
        PersonalUserInfo {
            result: f.code.code(),
            errmsg: f.message,
            ..PersonalUserInfo::default()
        }
    }
}

/// The browser-facing login page.
pub fn pages() -> Router<MockState> {
    sso::pages::<Personal>()
}

/// The servlet, to be mounted behind the IRS gateway.
pub fn server_routes() -> Router<MockState> {
    sso::server_routes::<Personal>()
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
