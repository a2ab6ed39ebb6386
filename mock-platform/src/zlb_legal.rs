//! 浙里办 legal-person SSO (法人用户单点登录): the login page at
//! [`LEGAL_PERSON_LOGIN_PAGE_PATH`] and the servlet at [`LEGAL_PERSON_SSO_PATH`], the flow of
//! [`crate::sso`] over the fixture enterprises.
//!
//! It has its own tickets and tokens: a personal ticket presented here is unknown (6002), and
//! the other way round.

use axum::Router;
use platform_api::zlb::{
    LegalPersonUserInfo, ResultCode, TicketValidation, LEGAL_PERSON_LOGIN_PAGE_PATH,
    LEGAL_PERSON_SSO_PATH,
};

use crate::fixtures::{Citizen, Enterprise, Fixtures};
use crate::pages::Choice;
use crate::sso::{self, Entry, Failure, SsoKind};
use crate::{MockState, PlatformState};

/// How many enterprises the login page lists; the free-text field reaches the rest.
pub const LISTED_ENTERPRISES: usize = 20;

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

/// The legal-person entry: enterprises and the people acting for them.
pub struct LegalPerson;

impl SsoKind for LegalPerson {
    const TITLE: &'static str = "浙里办 法人登录 (mock)";
    const PAGE_PATH: &'static str = LEGAL_PERSON_LOGIN_PAGE_PATH;
    const SSO_PATH: &'static str = LEGAL_PERSON_SSO_PATH;
    const UNKNOWN_ID: &'static str = "no enterprise has that user id";
    const MISSING_ACCOUNT: &'static str = "enterprise account no longer exists";
    const NAME: &'static str = "legal person";
    type UserInfo = LegalPersonUserInfo;

    fn entry(platform: &PlatformState) -> &Entry {
        &platform.legal
    }

    fn choices(platform: &PlatformState) -> Vec<Choice> {
        platform
            .fixtures
            .enterprises
            .iter()
            .take(LISTED_ENTERPRISES)
            .map(|e| Choice {
                value: e.userid.clone(),
                label: format!("{} {} {}", e.userid, e.name, e.uscc),
            })
            .collect()
    }

    fn exists(platform: &PlatformState, userid: &str) -> bool {
        platform.fixtures.enterprise(userid).is_some()
    }

    fn validated(
        platform: &PlatformState,
        userid: &str,
        token: String,
    ) -> Option<TicketValidation> {
        let account = legal_account(&platform.fixtures, userid)?;
        Some(TicketValidation {
            result: ResultCode::Ok.code(),
            errmsg: String::new(),
            token,
            userid: account.enterprise.userid.clone(),
            // The acting person logs in; the account is the enterprise's. (Which login name the
            // real answer carries is not public; the acting person's is the likelier.)
            loginname: account.attn.loginname.clone(),
            username: account.enterprise.name.clone(),
            // The real field predates USCCs (it once held the nine-character organisation
            // code); today's platform fills the USCC, which contains it.
            orgcoding: account.enterprise.uscc.clone(),
        })
    }

    fn user_info(platform: &PlatformState, userid: &str) -> Option<LegalPersonUserInfo> {
        legal_account(&platform.fixtures, userid).map(|a| legal_person_user_info(&a))
    }

    fn refused(f: Failure) -> LegalPersonUserInfo {
        LegalPersonUserInfo {
            result: f.code.code(),
            errmsg: f.message,
            ..LegalPersonUserInfo::default()
        }
    }
}

/// The browser-facing login page.
pub fn pages() -> Router<MockState> {
    sso::pages::<LegalPerson>()
}

/// The servlet, to be mounted behind the IRS gateway.
pub fn server_routes() -> Router<MockState> {
    sso::server_routes::<LegalPerson>()
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
