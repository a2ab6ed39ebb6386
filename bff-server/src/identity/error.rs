//! What identity refuses, as one enum. Handlers and the login flow return it (or anything that
//! converts into it); `From<IdentityError> for ApiError` is the only place its statuses, codes
//! and words (zh-CN and English) are chosen.

use axum::http::StatusCode;
use zhelikit_domain::api::UserKind;
use zhelikit_domain::lang::Text;
use zhelikit_domain::problem_code::ProblemCode;

use crate::http::problem::{ApiError, RealNameLevels};
use crate::storage::RefreshRefusal;

/// Everything identity (logins, sessions, passkeys) can refuse.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IdentityError {
    /// A login credential (`ticket`, `ticket_id`, `auth_code`) is not the short printable token
    /// the platform issues; refused before the platform sees it.
    #[error("{field} is not a platform credential")]
    CredentialMalformed {
        /// The request field.
        field: &'static str,
        /// Whether the platform said so (rather than our own check).
        by_platform: bool,
    },
    /// `mini_app_id` is not of the form of a mini-app id.
    #[error("mini_app_id is not a mini-app id")]
    MiniAppIdMalformed,
    /// The mini-app id is not registered.
    #[error("mini-app {0:?} is not registered")]
    UnknownMiniApp(String),
    /// The mini-app may not ask for these scopes.
    #[error("mini-app {mini_app} may not request scopes {scopes:?}")]
    ScopeNotAllowed {
        /// The mini-app.
        mini_app: String,
        /// The scopes it may not have.
        scopes: Vec<String>,
    },
    /// The platform refused the credential; `code` says how (expired, another app's …).
    #[error("login rejected: {0}")]
    LoginRejected(ProblemCode),
    /// The user's real-name level is below what the mini-app requires.
    #[error("real-name level {actual} is below the {required} that mini-app {mini_app} requires")]
    RealNameLevelTooLow {
        /// The mini-app.
        mini_app: String,
        /// Its minimum.
        required: u8,
        /// The user's.
        actual: u8,
    },
    /// This kind of user may not use this mini-app.
    #[error("mini-app {mini_app} is not available to {kind:?} users")]
    UserKindNotAllowed {
        /// The mini-app.
        mini_app: String,
        /// The user's kind.
        kind: UserKind,
    },
    /// The refresh token is unknown, expired or its session ended.
    #[error("refresh token refused: {0:?}")]
    RefreshRejected(RefreshRefusal),
    /// The session's mini-app is no longer registered: the refresh ended the session.
    #[error("the mini-app is no longer registered")]
    RefreshMiniAppGone,
    /// The session's user no longer exists: the refresh ended the session.
    #[error("the user of the session no longer exists")]
    RefreshUserGone,
    /// An already-used refresh token was presented: the whole session family is now revoked.
    #[error("refresh token reused")]
    RefreshReused,
    /// The session's user no longer exists.
    #[error("the user no longer exists")]
    UserGone,
    /// Registering a passkey needs a login within the last `window_secs` seconds.
    #[error("login older than {window_secs} s")]
    ReauthenticationRequired {
        /// The window.
        window_secs: i64,
    },
    /// No such passkey ceremony (expired, finished, never started, or another user's).
    #[error("passkey ceremony unknown")]
    PasskeyCeremonyUnknown,
    /// The authenticator's answer did not verify. The reason is for the log only: a detail
    /// would tell who has a passkey.
    #[error("passkey verification failed: {0}")]
    PasskeyVerificationFailed(String),
    /// This passkey is already registered.
    #[error("passkey already registered")]
    PasskeyAlreadyRegistered,
    /// The mini-app does not offer passkey login.
    #[error("mini-app {0} does not offer passkey login")]
    PasskeyNotAllowed(String),
    /// The user has no passkey with this credential id.
    #[error("no passkey {0:?}")]
    PasskeyNotFound(String),
    /// The platform (浙里办/浙政钉 or its gateway) could not be reached or answered nonsense.
    #[error("platform unavailable: {0}")]
    PlatformUnavailable(String),
    /// The platform's gateway refused our own credentials: a configuration problem.
    #[error("platform gateway refused the BFF's credentials: {0}")]
    PlatformMisconfigured(String),
}

fn kind_name(kind: UserKind) -> (&'static str, &'static str) {
    match kind {
        UserKind::Citizen => ("个人用户", "citizen"),
        UserKind::LegalPerson => ("法人用户", "legal-person"),
        UserKind::Official => ("政务人员", "official"),
    }
}

impl From<IdentityError> for ApiError {
    fn from(e: IdentityError) -> Self {
        use IdentityError as E;
        use ProblemCode as C;
        use StatusCode as S;
        match e {
            E::CredentialMalformed { field, by_platform } => ApiError::invalid_field(
                field,
                if by_platform {
                    Text::new("政务平台认为该凭证格式有误", "the platform says it is malformed")
                } else {
                    Text::new(
                        "须为政务平台签发的 1–256 个可打印字符",
                        "must be the 1–256 printable characters the platform issued",
                    )
                },
            ),
            E::MiniAppIdMalformed => ApiError::invalid_field(
                "mini_app_id",
                Text::new("须为已登记的小程序编号", "must be a registered mini-app id"),
            ),
            E::UnknownMiniApp(id) => ApiError::new(
                S::BAD_REQUEST,
                C::UnknownMiniApp,
                Text::new(
                    format!("小程序 {id:?} 未登记"),
                    format!("mini-app {id:?} is not registered"),
                ),
            )
            .with_field("mini_app_id"),
            E::ScopeNotAllowed { mini_app, scopes } => ApiError::new(
                S::BAD_REQUEST,
                C::ScopeNotAllowed,
                Text::new(
                    format!("小程序 {mini_app} 不能申请权限 {scopes:?}"),
                    format!("mini-app {mini_app} may not request scopes {scopes:?}"),
                ),
            )
            .with_field("scopes"),
            E::LoginRejected(code) => {
                let (zh, en) = match code {
                    C::TicketExpired => (
                        "票据已过期或已被使用，请重新登录",
                        "the ticket has expired or was already used; start the login again",
                    ),
                    C::TicketInvalid => ("政务平台未签发过该票据", "the platform did not issue this ticket"),
                    C::TicketOtherApp => (
                        "该票据是签发给其他应用的",
                        "the ticket was issued to another application",
                    ),
                    C::AuthCodeInvalid => (
                        "授权码已过期、已被使用或从未签发",
                        "the auth code has expired, was already used or was never issued",
                    ),
                    C::AuthCodeOtherApp => (
                        "该授权码是签发给其他应用的",
                        "the auth code was issued to another application",
                    ),
                    _ => ("政务平台拒绝了该票据", "the platform refused the ticket"),
                };
                ApiError::new(S::UNAUTHORIZED, code, Text::new(zh, en))
            }
            E::RealNameLevelTooLow {
                mini_app,
                required,
                actual,
            } => ApiError::new(
                S::FORBIDDEN,
                C::RealNameLevelTooLow,
                Text::new(
                    format!("小程序 {mini_app} 要求实名认证等级 {required}，当前为 {actual}"),
                    format!("real-name level {actual} is below the {required} that mini-app {mini_app} requires"),
                ),
            )
            .with_real_name_levels(RealNameLevels { required, actual }),
            E::UserKindNotAllowed { mini_app, kind } => {
                let (zh, en) = kind_name(kind);
                ApiError::new(
                    S::FORBIDDEN,
                    C::UserKindNotAllowed,
                    Text::new(
                        format!("小程序 {mini_app} 不对{zh}开放"),
                        format!("mini-app {mini_app} is not available to {en} users"),
                    ),
                )
            }
            E::RefreshRejected(_) | E::RefreshMiniAppGone | E::RefreshUserGone => {
                let (zh, en) = match e {
                    E::RefreshRejected(RefreshRefusal::Unknown) => {
                        ("未知的刷新令牌", "unknown refresh token")
                    }
                    E::RefreshRejected(RefreshRefusal::Expired) => {
                        ("刷新令牌已过期", "refresh token expired")
                    }
                    E::RefreshRejected(RefreshRefusal::SessionEnded) => {
                        ("会话已结束", "the session was ended")
                    }
                    E::RefreshMiniAppGone => {
                        ("小程序已不再登记", "the mini-app is no longer registered")
                    }
                    _ => ("用户已不存在", "the user no longer exists"),
                };
                ApiError::new(
                    S::UNAUTHORIZED,
                    C::RefreshTokenInvalid,
                    Text::new(
                        format!("刷新令牌无效：{zh}"),
                        format!("refresh token is not valid: {en}"),
                    ),
                )
            }
            E::RefreshReused => ApiError::new(
                S::UNAUTHORIZED,
                C::RefreshTokenReused,
                Text::new(
                    "刷新令牌已被使用过；该会话的全部令牌均已作废",
                    "refresh token was already used; every token of this session has been revoked",
                ),
            ),
            E::UserGone => {
                ApiError::unauthenticated(Text::new("用户已不存在", "the user no longer exists"))
            }
            E::ReauthenticationRequired { window_secs } => ApiError::new(
                S::FORBIDDEN,
                C::ReauthenticationRequired,
                Text::new(
                    format!("登记通行密钥需要在 {window_secs} 秒内登录过：请重新登录后再登记"),
                    format!("registering a passkey needs a login within the last {window_secs} seconds: log in again, then register"),
                ),
            ),
            E::PasskeyCeremonyUnknown => ApiError::new(
                S::BAD_REQUEST,
                C::PasskeyCeremonyUnknown,
                Text::new(
                    "没有这个通行密钥流程：已过期、已完成或从未开始",
                    "no such ceremony: it expired, was finished already, or never started",
                ),
            ),
            E::PasskeyVerificationFailed(reason) => {
                // One answer whatever went wrong (a decoy, a wrong or deleted passkey).
                tracing::debug!(%reason, "passkey refused");
                ApiError::new(
                    S::UNAUTHORIZED,
                    C::PasskeyVerificationFailed,
                    Text::new("通行密钥验证未通过", "the passkey's answer did not verify"),
                )
            }
            E::PasskeyAlreadyRegistered => ApiError::new(
                S::CONFLICT,
                C::PasskeyAlreadyRegistered,
                Text::new("该通行密钥已登记", "this passkey is already registered"),
            ),
            E::PasskeyNotAllowed(mini_app) => ApiError::new(
                S::FORBIDDEN,
                C::PasskeyNotAllowed,
                Text::new(
                    format!("小程序 {mini_app} 不支持通行密钥登录，请通过政务平台登录"),
                    format!("mini-app {mini_app} does not offer passkey login; log in through the platform"),
                ),
            ),
            E::PasskeyNotFound(id) => ApiError::new(
                S::NOT_FOUND,
                C::PasskeyNotFound,
                Text::new(
                    format!("您没有通行密钥 {id:?}"),
                    format!("you have no passkey {id:?}"),
                ),
            ),
            E::PlatformUnavailable(cause) => ApiError::server(
                S::SERVICE_UNAVAILABLE,
                C::PlatformUnavailable,
                Text::new(
                    "政务平台没有响应，请稍后再试",
                    "the government platform did not answer; try again shortly",
                ),
                cause,
            ),
            E::PlatformMisconfigured(cause) => ApiError::server(
                S::BAD_GATEWAY,
                C::PlatformCredentialsRejected,
                Text::new(
                    "政务平台拒绝了本服务，已上报处理",
                    "the government platform refused this service; it has been reported",
                ),
                cause,
            ),
        }
    }
}
