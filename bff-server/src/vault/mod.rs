//! 个人数据宝 (the personal data vault), the BFF's part: pulling a citizen's e-certificates from
//! the departments that issue them, bound to a key of the citizen's device, publishing the
//! departments' issuer keys and status lists for verifiers, consents for data consumers, and
//! corrections (数据纠错) filed with the departments.
//!
//! Everything goes through the department adapter layer (breakers, retries, recording; the
//! keys and lists cached, issuance never). The BFF keeps no certificate: it hands the
//! department's answer to the device and records only that a pull happened (its kind).

pub mod certificates;
pub mod consents;
pub mod corrections;
pub mod issuers;
pub mod notices;
pub mod objections;
pub mod share;
pub mod verifications;

use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhelikit_domain::lang::Text;
use zhelikit_domain::problem_code::ProblemCode;
use zhelikit_domain::vault::CertificateKind;

use crate::app::AppState;
use crate::http::problem::ApiError;

/// The vault's routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(certificates::pull))
        .routes(routes!(issuers::issuers))
        .routes(routes!(issuers::status_list))
        .routes(routes!(verifications::verify))
        .routes(routes!(share::create))
        .routes(routes!(share::read))
        .routes(routes!(share::respond))
        .routes(routes!(share::result))
        .routes(routes!(consents::consent_key))
        .routes(routes!(consents::create_request))
        .routes(routes!(consents::read_request))
        .routes(routes!(consents::decide))
        .routes(routes!(consents::list))
        .routes(routes!(consents::change))
        .routes(routes!(consents::consumer_consent))
        .routes(routes!(consents::fetch))
        .routes(routes!(corrections::decision))
        .routes(routes!(objections::raise, objections::list))
        .routes(routes!(objections::activity))
        .merge(
            // A filing carries its evidence: its own, larger body limit.
            OpenApiRouter::new()
                .routes(routes!(corrections::file, corrections::list))
                .layer(axum::extract::DefaultBodyLimit::max(
                    corrections::FILING_BODY_LIMIT,
                ))
                .layer(axum::Extension(crate::http::BodyLimit(
                    corrections::FILING_BODY_LIMIT,
                ))),
        )
}

/// An internal error while doing `what` (storage, a kept record that no longer reads).
pub(crate) fn internal(what: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(format!("{what}: {e}"))
}

/// Seconds since the epoch as a stored time.
pub(crate) fn at(seconds: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(seconds, 0).unwrap_or_default()
}

/// What the vault refuses.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VaultError {
    /// No such kind of certificate.
    #[error("unknown certificate kind {0}")]
    UnknownKind(String),
    /// No such department.
    #[error("unknown department {0}")]
    UnknownDepartment(String),
    /// The device's key is not an SM2 public key.
    #[error("bad holder key: {0}")]
    BadHolderKey(String),
    /// Only citizens hold personal certificates.
    #[error("personal certificates are for citizens")]
    NotACitizen,
    /// The department has no such record for the person.
    #[error("no {0:?} on record")]
    NotHeld(CertificateKind),
    /// The department did not answer.
    #[error("department unavailable")]
    Unavailable(Text),
}

impl From<VaultError> for ApiError {
    fn from(e: VaultError) -> Self {
        match e {
            VaultError::UnknownKind(kind) => ApiError::invalid_field(
                "kind",
                Text::new(
                    format!("没有 {kind} 这类证照"),
                    format!("there is no certificate kind {kind}"),
                ),
            ),
            VaultError::UnknownDepartment(d) => ApiError::invalid_field(
                "department",
                Text::new(
                    format!("没有部门 {d}"),
                    format!("there is no department {d}"),
                ),
            ),
            VaultError::BadHolderKey(reason) => ApiError::invalid_field(
                "holder_key",
                Text::new(
                    format!("须为 SM2 公钥（JWK）：{reason}"),
                    format!("must be an SM2 public key (JWK): {reason}"),
                ),
            ),
            VaultError::NotACitizen => ApiError::new(
                StatusCode::FORBIDDEN,
                ProblemCode::UserKindNotAllowed,
                Text::new(
                    "个人证照仅向个人用户开放",
                    "personal certificates are for citizens",
                ),
            ),
            VaultError::NotHeld(kind) => ApiError::new(
                StatusCode::NOT_FOUND,
                ProblemCode::CertificateNotHeld,
                Text::new(
                    format!("签发部门没有您的{}记录", kind.name_zh()),
                    format!("the issuing department has no {} for you", kind.as_str()),
                ),
            ),
            VaultError::Unavailable(reason) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ProblemCode::DepartmentUnavailable,
                Text::new(
                    format!("签发部门暂时无法办理，请稍后再试（{}）", reason.zh),
                    format!("the issuing department cannot answer now: {}", reason.en),
                ),
            )
            .with_retry_after(30),
        }
    }
}
