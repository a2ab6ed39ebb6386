//! The one error type of the BFF's HTTP surface, answered as RFC 9457 problem JSON.
//!
//! Input errors carry a precise `detail` (and the field at fault) and are not logged as
//! failures; internal errors are logged with their context and answered generically, so a
//! client never sees a database message.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use zhelikit_domain::api::{Problem, PROBLEM_CONTENT_TYPE};
use zhelikit_domain::problem_code::ProblemCode;

use crate::http::request_id;

/// Everything a ZheliKit endpoint can answer instead of success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not the JSON the endpoint takes (syntax, missing field, wrong type).
    #[error("malformed request body: {0}")]
    MalformedBody(String),
    /// The body is larger than the configured limit.
    #[error("request body is larger than {limit} bytes")]
    BodyTooLarge { limit: usize },
    /// A well-formed field holds a value that is not acceptable.
    #[error("{field}: {reason}")]
    InvalidField { field: &'static str, reason: String },
    /// The mini-app id is not registered.
    #[error("mini-app {0:?} is not registered")]
    UnknownMiniApp(String),
    /// The mini-app may not ask for these scopes.
    #[error("mini-app {mini_app} may not request scopes {scopes:?}")]
    ScopeNotAllowed {
        mini_app: String,
        scopes: Vec<String>,
    },
    /// The platform refused the login credential (ticket, ticketId, auth code).
    #[error("{detail}")]
    LoginRejected { code: ProblemCode, detail: String },
    /// The user's real-name level is below what the mini-app requires.
    #[error("real-name level {actual} is below the {required} that mini-app {mini_app} requires")]
    RealNameLevelTooLow {
        mini_app: String,
        required: u8,
        actual: u8,
    },
    /// This kind of user may not use this mini-app.
    #[error("mini-app {mini_app} is not available to {kind} users")]
    UserKindNotAllowed {
        mini_app: String,
        kind: &'static str,
    },
    /// No bearer token, or one that fails verification.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// The token is valid but lacks the scope this endpoint needs.
    #[error("this endpoint needs scope {0:?}, which the token was not granted")]
    MissingScope(&'static str),
    /// The refresh token is unknown, expired or revoked.
    #[error("refresh token is not valid: {0}")]
    RefreshRejected(&'static str),
    /// An already-used refresh token was presented: the whole session family is now revoked.
    #[error("refresh token was already used; every token of this session has been revoked")]
    RefreshReused,
    /// A passkey ceremony failed.
    #[error("{detail}")]
    Passkey {
        code: ProblemCode,
        status: StatusCode,
        detail: String,
    },
    /// Too many requests for this client or user.
    #[error("too many {what} requests; retry after {retry_after_secs} s")]
    RateLimited {
        what: &'static str,
        retry_after_secs: u64,
    },
    /// No such route.
    #[error("no route for {0}")]
    NotFound(String),
    /// The platform (浙里办/浙政钉 or its gateway) could not be reached or answered nonsense.
    #[error("platform unavailable: {0}")]
    PlatformUnavailable(String),
    /// The platform's gateway refused our own credentials: a configuration problem.
    #[error("platform gateway refused the BFF's credentials: {0}")]
    PlatformMisconfigured(String),
    /// Storage is unreachable.
    #[error("storage unavailable: {0}")]
    StorageUnavailable(String),
    /// Anything else: a bug or an unexpected state. Logged, answered generically.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    fn parts(&self) -> (StatusCode, ProblemCode, &'static str) {
        use ProblemCode as C;
        use StatusCode as S;
        match self {
            Self::MalformedBody(_) => (S::BAD_REQUEST, C::MalformedBody, "Malformed request body"),
            Self::BodyTooLarge { .. } => (
                S::PAYLOAD_TOO_LARGE,
                C::BodyTooLarge,
                "Request body too large",
            ),
            Self::InvalidField { .. } => (S::BAD_REQUEST, C::InvalidField, "Invalid field"),
            Self::UnknownMiniApp(_) => (S::BAD_REQUEST, C::UnknownMiniApp, "Unknown mini-app"),
            Self::ScopeNotAllowed { .. } => {
                (S::BAD_REQUEST, C::ScopeNotAllowed, "Scope not allowed")
            }
            Self::LoginRejected { code, .. } => (S::UNAUTHORIZED, *code, "Login rejected"),
            Self::RealNameLevelTooLow { .. } => (
                S::FORBIDDEN,
                C::RealNameLevelTooLow,
                "Real-name level too low",
            ),
            Self::UserKindNotAllowed { .. } => {
                (S::FORBIDDEN, C::UserKindNotAllowed, "User kind not allowed")
            }
            Self::Unauthenticated(_) => (S::UNAUTHORIZED, C::Unauthenticated, "Unauthenticated"),
            Self::MissingScope(_) => (S::FORBIDDEN, C::MissingScope, "Missing scope"),
            Self::RefreshRejected(_) => (
                S::UNAUTHORIZED,
                C::RefreshTokenInvalid,
                "Refresh token invalid",
            ),
            Self::RefreshReused => (
                S::UNAUTHORIZED,
                C::RefreshTokenReused,
                "Refresh token reused",
            ),
            Self::Passkey { code, status, .. } => (*status, *code, "Passkey ceremony failed"),
            Self::RateLimited { .. } => (S::TOO_MANY_REQUESTS, C::RateLimited, "Too many requests"),
            Self::NotFound(_) => (S::NOT_FOUND, C::NotFound, "Not found"),
            Self::PlatformUnavailable(_) => (
                S::SERVICE_UNAVAILABLE,
                C::PlatformUnavailable,
                "Platform unavailable",
            ),
            Self::PlatformMisconfigured(_) => (
                S::BAD_GATEWAY,
                C::PlatformCredentialsRejected,
                "Platform refused the BFF",
            ),
            Self::StorageUnavailable(_) => (
                S::SERVICE_UNAVAILABLE,
                C::StorageUnavailable,
                "Storage unavailable",
            ),
            Self::Internal(_) => (S::INTERNAL_SERVER_ERROR, C::Internal, "Internal error"),
        }
    }

    /// The stable `code` clients branch on.
    pub fn code(&self) -> &'static str {
        self.parts().1.as_str()
    }

    fn field(&self) -> Option<String> {
        match self {
            Self::InvalidField { field, .. } => Some((*field).to_string()),
            Self::UnknownMiniApp(_) => Some("mini_app_id".into()),
            Self::ScopeNotAllowed { .. } => Some("scopes".into()),
            _ => None,
        }
    }
}

impl From<crate::storage::StoreError> for ApiError {
    fn from(e: crate::storage::StoreError) -> Self {
        match e {
            crate::storage::StoreError::Unavailable(m) => Self::StorageUnavailable(m),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, title) = self.parts();
        let code = code.as_str();
        let detail = if status.is_server_error() {
            // Server-side detail stays in the log; the client gets something it can act on.
            tracing::error!(error = %self, code, "request failed");
            match self {
                Self::PlatformUnavailable(_) => {
                    "the government platform did not answer; try again shortly".to_string()
                }
                Self::StorageUnavailable(_) => {
                    "the service is temporarily unavailable; try again shortly".to_string()
                }
                Self::PlatformMisconfigured(_) => {
                    "the government platform refused this service; it has been reported".to_string()
                }
                _ => "an unexpected error occurred; quote the request id when reporting it"
                    .to_string(),
            }
        } else {
            // Only the code: the detail of an input error can quote what the client sent.
            tracing::info!(code, "request refused");
            self.to_string()
        };
        let problem = Problem {
            type_uri: format!("https://zhelikit.dev/problems/{code}"),
            title: title.to_string(),
            status: status.as_u16(),
            detail,
            code: code.to_string(),
            request_id: request_id::current(),
            field: self.field(),
            scope: match &self {
                Self::MissingScope(scope) => Some((*scope).to_string()),
                _ => None,
            },
            required_real_name_level: match &self {
                Self::RealNameLevelTooLow { required, .. } => Some(*required),
                _ => None,
            },
            real_name_level: match &self {
                Self::RealNameLevelTooLow { actual, .. } => Some(*actual),
                _ => None,
            },
        };
        let mut response = (status, axum::Json(problem)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(PROBLEM_CONTENT_TYPE),
        );
        if let Self::RateLimited {
            retry_after_secs, ..
        } = self
        {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after_secs.max(1)),
            );
        }
        response
    }
}
