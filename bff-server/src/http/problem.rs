//! The one error type of the BFF's HTTP surface, answered as RFC 9457 problem JSON.
//!
//! [`ApiError`] is capability-neutral: it knows statuses, [`ProblemCode`]s and messages, not
//! logins or passkeys. The cross-cutting refusals (a malformed body, a missing token, a rate
//! limit, storage down) have constructors here; each capability has an error enum of its own
//! (e.g. [`crate::identity::IdentityError`]) that converts into it with `From`, so adding a
//! capability never edits this file.
//!
//! Input errors carry a precise `detail` (and the field at fault) and are not logged as
//! failures; internal errors are logged with their context and answered generically, so a
//! client never sees a database message. Every message is written in Simplified Chinese (the
//! default) and English; the request's `Accept-Language` picks one ([`super::language`]).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use zhelikit_domain::api::{FieldError, Problem, PROBLEM_CONTENT_TYPE};
use zhelikit_domain::lang::Text;
use zhelikit_domain::problem_code::ProblemCode;
use zhelikit_domain::scope::Scope;

use crate::http::{language, request_id};

/// Everything a ZheliKit endpoint can answer instead of success.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: ProblemCode,
    detail: Text,
    field: Option<String>,
    scope: Option<Scope>,
    real_name_levels: Option<RealNameLevels>,
    /// `Retry-After`, a form's every error, a conflict's current state: rare, so boxed (every handler
    /// returns this type; it stays small).
    extras: Option<Box<Extras>>,
    /// For server errors only: what actually went wrong. Logged, never answered.
    cause: Option<String>,
}

/// What a few problems carry beyond the rest.
#[derive(Debug, Default)]
struct Extras {
    retry_after_secs: Option<u64>,
    errors: Option<Vec<(String, String, Text)>>,
    current: Option<serde_json::Value>,
}

/// The two levels a `real_name_level_too_low` problem names.
#[derive(Debug, Clone, Copy)]
pub struct RealNameLevels {
    /// What the mini-app requires.
    pub required: u8,
    /// What the user has.
    pub actual: u8,
}

impl ApiError {
    /// A refusal of the request as sent: `detail` says what was wrong in both languages.
    pub fn new(status: StatusCode, code: ProblemCode, detail: Text) -> Self {
        Self {
            status,
            code,
            detail,
            field: None,
            scope: None,
            real_name_levels: None,
            extras: None,
            cause: None,
        }
    }

    /// A failure on our side or upstream: `detail` is what the client is told, `cause` what the
    /// log records.
    pub fn server(status: StatusCode, code: ProblemCode, detail: Text, cause: String) -> Self {
        Self {
            cause: Some(cause),
            ..Self::new(status, code, detail)
        }
    }

    /// Names the request field at fault.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// Names the scope the call needed.
    pub fn with_scope(mut self, scope: Scope) -> Self {
        self.scope = Some(scope);
        self
    }

    /// Names the real-name levels involved.
    pub fn with_real_name_levels(mut self, levels: RealNameLevels) -> Self {
        self.real_name_levels = Some(levels);
        self
    }

    /// Says when to try again (`Retry-After`).
    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.extras
            .get_or_insert_with(Box::default)
            .retry_after_secs = Some(secs);
        self
    }

    /// Lists every error of an input checked whole: (path, code, message).
    pub fn with_errors(mut self, errors: Vec<(String, String, Text)>) -> Self {
        self.extras.get_or_insert_with(Box::default).errors = Some(errors);
        self
    }

    /// Gives the resource as it stands now (a conflict's).
    pub fn with_current(mut self, current: serde_json::Value) -> Self {
        self.extras.get_or_insert_with(Box::default).current = Some(current);
        self
    }

    /// The body is not the JSON the endpoint takes (syntax, missing field, wrong type).
    pub fn malformed_body(reason: String) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            ProblemCode::MalformedBody,
            Text::new(
                format!("请求内容不是本接口接受的 JSON：{reason}"),
                format!("malformed request body: {reason}"),
            ),
        )
    }

    /// The body is larger than `limit` bytes.
    pub fn body_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ProblemCode::BodyTooLarge,
            Text::new(
                format!("请求内容超过 {limit} 字节上限"),
                format!("request body is larger than {limit} bytes"),
            ),
        )
    }

    /// A well-formed `field` holds a value that is not acceptable, for the reason given.
    pub fn invalid_field(field: &str, reason: Text) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            ProblemCode::InvalidField,
            Text::new(
                format!("{field}：{}", reason.zh),
                format!("{field}: {}", reason.en),
            ),
        )
        .with_field(field)
    }

    /// No bearer token, or one that fails verification, for the reason given.
    pub fn unauthenticated(reason: Text) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            ProblemCode::Unauthenticated,
            reason,
        )
    }

    /// The token is valid but lacks `scope`.
    pub fn missing_scope(scope: Scope) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            ProblemCode::MissingScope,
            Text::new(
                format!("本接口需要权限 {}，当前令牌未获授予", scope.as_str()),
                format!(
                    "this endpoint needs scope {:?}, which the token was not granted",
                    scope.as_str()
                ),
            ),
        )
        .with_scope(scope)
    }

    /// Too many requests of a kind (`what`, e.g. 登录/login); retry after `secs`.
    pub fn rate_limited(what: Text, secs: u64) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            ProblemCode::RateLimited,
            Text::new(
                format!("{}请求过于频繁，请 {secs} 秒后再试", what.zh),
                format!("too many {} requests; retry after {secs} s", what.en),
            ),
        )
        .with_retry_after(secs)
    }

    /// No route for `path`.
    pub fn not_found(path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ProblemCode::NotFound,
            Text::new(
                format!("没有 {path} 这个接口"),
                format!("no route for {path}"),
            ),
        )
    }

    /// Storage (the database, the cache) is unreachable.
    pub fn storage_unavailable(cause: String) -> Self {
        Self::server(
            StatusCode::SERVICE_UNAVAILABLE,
            ProblemCode::StorageUnavailable,
            Text::new(
                "服务暂时不可用，请稍后再试",
                "the service is temporarily unavailable; try again shortly",
            ),
            cause,
        )
    }

    /// Anything else: a bug or an unexpected state. Logged, answered generically.
    pub fn internal(cause: impl Into<String>) -> Self {
        Self::server(
            StatusCode::INTERNAL_SERVER_ERROR,
            ProblemCode::Internal,
            Text::new(
                "发生意外错误；反馈时请提供请求编号",
                "an unexpected error occurred; quote the request id when reporting it",
            ),
            cause.into(),
        )
    }

    /// The stable `code` clients branch on.
    pub fn code(&self) -> ProblemCode {
        self.code
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.detail.en)?;
        if let Some(cause) = &self.cause {
            write!(f, " ({cause})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

impl From<zhelikit_domain::input::Invalid> for ApiError {
    fn from(e: zhelikit_domain::input::Invalid) -> Self {
        Self::invalid_field(e.field, e.reason)
    }
}

impl From<crate::storage::StoreError> for ApiError {
    fn from(e: crate::storage::StoreError) -> Self {
        match e {
            crate::storage::StoreError::Unavailable(m) => Self::storage_unavailable(m),
            other => Self::internal(other.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = self.code.as_str();
        if self.status.is_server_error() {
            // Server-side detail stays in the log; the client gets something it can act on.
            tracing::error!(error = %self, code, "request failed");
        } else {
            // Only the code: the detail of an input error can quote what the client sent.
            tracing::info!(code, "request refused");
        }
        let lang = language::current();
        let extras = self.extras.map(|e| *e).unwrap_or_default();
        let retry_after_secs = extras.retry_after_secs;
        let problem = Problem {
            type_uri: format!("https://zhelikit.dev/problems/{code}"),
            title: self.code.title(lang).to_string(),
            status: self.status.as_u16(),
            detail: self.detail.get(lang).to_string(),
            code: code.to_string(),
            request_id: request_id::current(),
            field: self.field,
            scope: self.scope.map(|s| s.as_str().to_string()),
            required_real_name_level: self.real_name_levels.map(|l| l.required),
            real_name_level: self.real_name_levels.map(|l| l.actual),
            errors: extras.errors.map(|errors| {
                errors
                    .into_iter()
                    .map(|(path, code, message)| FieldError {
                        path,
                        code,
                        message: message.get(lang).to_string(),
                    })
                    .collect()
            }),
            current: extras.current,
        };
        let mut response = (self.status, axum::Json(problem)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(PROBLEM_CONTENT_TYPE),
        );
        headers.insert(
            header::CONTENT_LANGUAGE,
            HeaderValue::from_static(lang.tag()),
        );
        if let Some(secs) = retry_after_secs {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        response
    }
}
