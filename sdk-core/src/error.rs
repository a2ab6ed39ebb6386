//! Errors: one public enum of actionable variants ([`SdkError`]), converted at the boundary from
//! the richer internal [`Error`], which keeps the detail for logs.

use zhelikit_domain::api::Problem;
use zhelikit_domain::problem_code::ProblemCode;

/// What went wrong, in terms an app can act on. In Kotlin this is `SdkException`, with one
/// subclass per variant; in Swift, `SdkError`.
#[derive(Debug, Clone, PartialEq, thiserror::Error, uniffi::Error)]
pub enum SdkError {
    /// ZheliKit could not be reached: the device is offline, or the service did not answer.
    /// Nothing was lost; retry when the network is back.
    #[error("offline: {detail}")]
    Offline {
        /// What failed, for logs.
        detail: String,
    },
    /// No one is logged in to this mini-app: start a platform login.
    #[error("not logged in")]
    NotLoggedIn,
    /// The session ended (logged out elsewhere, revoked, or expired): log in again.
    /// The session-state listener has been told as well.
    #[error("session expired: {detail}")]
    SessionExpired {
        /// The server's reason, for logs.
        detail: String,
    },
    /// The session lacks a scope this call needs: the user must grant it at the next login.
    #[error("this call needs scope {scope:?}, which the session was not granted")]
    ForbiddenScope {
        /// The scope the call needed, e.g. `profile`.
        scope: String,
    },
    /// The user's 浙里办 real-name level is below what the mini-app requires: send them to
    /// real-name verification (实名认证) in 浙里办.
    #[error("real-name level {actual} is below the required {required}")]
    RealNameLevelTooLow {
        /// The level the mini-app requires (2 or 3).
        required: u8,
        /// The user's level.
        actual: u8,
    },
    /// The platform refused the login credential (`code` e.g. `ticket_expired`,
    /// `ticket_other_app`, `auth_code_invalid`, `passkey_verification_failed`): restart the login.
    #[error("login rejected ({code}): {detail}")]
    LoginRejected {
        /// The stable code, e.g. `ticket_expired`.
        code: String,
        /// What the platform said, for logs.
        detail: String,
    },
    /// The call needs a recent login (registering a passkey: within five minutes) and this
    /// session's is older: log in through the platform again, then retry.
    #[error("log in again first: {detail}")]
    ReauthenticationRequired {
        /// The server's reason, for logs.
        detail: String,
    },
    /// An argument was wrong; `field` names it. A programming error in the app.
    #[error("invalid input {field}: {reason}")]
    InvalidInput {
        /// The argument or field at fault.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Too many attempts; retry after the given number of seconds.
    #[error("rate limited; retry after {retry_after_secs} s")]
    RateLimited {
        /// Seconds to wait before trying again.
        retry_after_secs: u64,
    },
    /// The service answered with a problem not covered above; `code` is its stable code and
    /// `request_id` the id to quote to support.
    #[error("server problem {code} (HTTP {status}): {detail}")]
    Server {
        /// HTTP status.
        status: u16,
        /// The problem's stable code.
        code: String,
        /// The problem's detail, for logs.
        detail: String,
        /// The request id to quote to support.
        request_id: Option<String>,
    },
    /// The local store failed; `failure` says how. Never silently ignored.
    #[error("local storage ({failure:?}): {detail}")]
    Storage {
        /// How it failed.
        failure: StorageFailure,
        /// Detail, for logs.
        detail: String,
    },
    /// The operation was cancelled through its [`crate::TaskHandle`].
    #[error("cancelled")]
    Cancelled,
    /// A bug in the SDK (including a caught panic). Please report it with the detail.
    #[error("internal error: {detail}")]
    Internal {
        /// What went wrong, for the bug report.
        detail: String,
    },
}

/// How the local store failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum StorageFailure {
    /// The key from the [`crate::KeySource`] is not the key the store was created with (for
    /// example after the app's keystore entry was reset). The stored session cannot be read;
    /// the user logs in again after the app calls `reset_storage`.
    WrongKey,
    /// A stored value failed authentication: it was modified outside the SDK.
    Tampered,
    /// The key source itself failed (keystore locked or unavailable).
    KeySource,
    /// The database could not be opened, read or written (disk full, permissions).
    Io,
}

impl From<uniffi::UnexpectedUniFFICallbackError> for SdkError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        Self::Internal {
            detail: format!("host callback failed: {}", e.reason),
        }
    }
}

/// The SDK's internal error, with everything needed to log and to decide.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error("offline: {0}")]
    Offline(String),
    #[error("not logged in")]
    NotLoggedIn,
    #[error("session ended: {0}")]
    SessionEnded(String),
    #[error("HTTP {status}: {problem:?}")]
    Problem {
        status: u16,
        problem: Box<Problem>,
        retry_after: Option<u64>,
    },
    #[error("unexpected answer from the BFF: {0}")]
    Decode(String),
    #[error("storage: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("invalid input {field}: {reason}")]
    Input { field: &'static str, reason: String },
    #[error("cancelled")]
    Cancelled,
    #[error("{0}")]
    Internal(String),
}

impl From<zhelikit_domain::input::Invalid> for Error {
    fn from(e: zhelikit_domain::input::Invalid) -> Self {
        Error::Input {
            field: e.field,
            reason: e.reason.zh,
        }
    }
}

impl From<zhelikit_domain::input::Invalid> for SdkError {
    fn from(e: zhelikit_domain::input::Invalid) -> Self {
        Error::from(e).into()
    }
}

impl From<Error> for SdkError {
    fn from(e: Error) -> Self {
        use crate::store::StoreError as S;
        match e {
            Error::Offline(detail) => Self::Offline { detail },
            Error::NotLoggedIn => Self::NotLoggedIn,
            Error::SessionEnded(detail) => Self::SessionExpired { detail },
            Error::Problem {
                status,
                problem,
                retry_after,
            } => from_problem(status, *problem, retry_after),
            Error::Decode(detail) => Self::Internal {
                detail: format!("unexpected answer from the BFF: {detail}"),
            },
            Error::Store(S::WrongKey) => Self::Storage {
                failure: StorageFailure::WrongKey,
                detail: S::WrongKey.to_string(),
            },
            Error::Store(e @ S::Tampered(_)) => Self::Storage {
                failure: StorageFailure::Tampered,
                detail: e.to_string(),
            },
            Error::Store(e @ S::KeySource(_)) => Self::Storage {
                failure: StorageFailure::KeySource,
                detail: e.to_string(),
            },
            Error::Store(e @ S::Io(_)) => Self::Storage {
                failure: StorageFailure::Io,
                detail: e.to_string(),
            },
            Error::Input { field, reason } => Self::InvalidInput {
                field: field.to_string(),
                reason,
            },
            Error::Cancelled => Self::Cancelled,
            Error::Internal(detail) => Self::Internal { detail },
        }
    }
}

/// Maps a problem document to the variant an app acts on, by its stable `code` (the shared
/// [`ProblemCode`]; a code newer than this SDK is a `Server` problem, or a login refusal when
/// its status is 401).
fn from_problem(status: u16, p: Problem, retry_after: Option<u64>) -> SdkError {
    use ProblemCode as C;
    let input = |field: Option<String>, reason: String| SdkError::InvalidInput {
        field: field.unwrap_or_default(),
        reason,
    };
    match ProblemCode::parse(&p.code) {
        Some(C::MissingScope) => SdkError::ForbiddenScope {
            scope: p.scope.unwrap_or_default(),
        },
        Some(C::RealNameLevelTooLow) => SdkError::RealNameLevelTooLow {
            required: p.required_real_name_level.unwrap_or(0),
            actual: p.real_name_level.unwrap_or(0),
        },
        Some(C::Unauthenticated | C::RefreshTokenInvalid | C::RefreshTokenReused) => {
            SdkError::SessionExpired { detail: p.detail }
        }
        Some(C::RateLimited) => SdkError::RateLimited {
            retry_after_secs: retry_after.unwrap_or(1),
        },
        Some(C::ReauthenticationRequired) => {
            SdkError::ReauthenticationRequired { detail: p.detail }
        }
        Some(C::PasskeyNotFound) => input(Some("credential_id".into()), p.detail),
        Some(
            C::MalformedBody
            | C::InvalidField
            | C::UnknownMiniApp
            | C::ScopeNotAllowed
            | C::BodyTooLarge,
        ) => input(p.field, p.detail),
        Some(code) if code.is_login_refusal() => SdkError::LoginRejected {
            code: p.code,
            detail: p.detail,
        },
        _ if status == 401 => SdkError::LoginRejected {
            code: p.code,
            detail: p.detail,
        },
        _ => SdkError::Server {
            status,
            code: p.code,
            detail: p.detail,
            request_id: p.request_id,
        },
    }
}

pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(code: &str, status: u16) -> Problem {
        Problem {
            type_uri: String::new(),
            title: String::new(),
            status,
            detail: "d".into(),
            code: code.into(),
            request_id: Some("r1".into()),
            field: Some("ticket".into()),
            scope: Some("passkey".into()),
            required_real_name_level: Some(3),
            real_name_level: Some(2),
            errors: None,
            current: None,
        }
    }

    fn sdk(code: &str, status: u16) -> SdkError {
        Error::Problem {
            status,
            problem: Box::new(problem(code, status)),
            retry_after: Some(7),
        }
        .into()
    }

    #[test]
    fn problems_become_actionable_variants_by_code() {
        assert_eq!(
            sdk("missing_scope", 403),
            SdkError::ForbiddenScope {
                scope: "passkey".into()
            }
        );
        assert_eq!(
            sdk("real_name_level_too_low", 403),
            SdkError::RealNameLevelTooLow {
                required: 3,
                actual: 2
            }
        );
        assert_eq!(
            sdk("ticket_expired", 401),
            SdkError::LoginRejected {
                code: "ticket_expired".into(),
                detail: "d".into()
            }
        );
        assert_eq!(
            sdk("invalid_field", 400),
            SdkError::InvalidInput {
                field: "ticket".into(),
                reason: "d".into()
            }
        );
        assert_eq!(
            sdk("rate_limited", 429),
            SdkError::RateLimited {
                retry_after_secs: 7
            }
        );
        assert_eq!(
            sdk("refresh_token_reused", 401),
            SdkError::SessionExpired { detail: "d".into() }
        );
        assert!(matches!(
            sdk("storage_unavailable", 503),
            SdkError::Server {
                status: 503,
                request_id: Some(_),
                ..
            }
        ));
    }
}
