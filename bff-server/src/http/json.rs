//! A JSON body extractor whose rejections are problem documents naming what was wrong.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;

use crate::http::problem::ApiError;

/// Like `axum::Json`, but a malformed or oversized body becomes an [`ApiError`].
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    axum::Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let limit = (req.extensions().get::<crate::http::BodyLimit>())
            .map_or(crate::http::BODY_LIMIT_BYTES, |l| l.0);
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::body_too_large(limit))
            }
            Err(rejection) => Err(ApiError::malformed_body(rejection.body_text())),
        }
    }
}

/// Like `axum::extract::Query`, but a missing or malformed parameter becomes an [`ApiError`]
/// naming it.
pub struct ApiQuery<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for ApiQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                zhelikit_domain::problem_code::ProblemCode::InvalidField,
                zhelikit_domain::lang::Text::new(
                    format!("查询参数有误：{}", rejection.body_text()),
                    format!("bad query parameters: {}", rejection.body_text()),
                ),
            )),
        }
    }
}
