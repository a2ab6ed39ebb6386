//! The bearer-token check: signature and expiry from the token alone, then one cache lookup
//! for revocation (logout and logout everywhere mark the sessions they end). No database on the request path.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::app::AppState;
use crate::http::problem::ApiError;
use crate::identity::tokens::AccessClaims;

/// A request with a valid access token.
#[derive(Debug, Clone)]
pub struct Authenticated(pub AccessClaims);

impl Authenticated {
    /// Refuses with 403 unless the token carries `scope`.
    pub fn require(&self, scope: &'static str) -> Result<&AccessClaims, ApiError> {
        if self.0.has_scope(scope) {
            Ok(&self.0)
        } else {
            Err(ApiError::MissingScope(scope))
        }
    }

    /// The user id as a UUID.
    pub fn user_id(&self) -> Result<uuid::Uuid, ApiError> {
        self.0
            .sub
            .parse()
            .map_err(|_| ApiError::Unauthenticated("token subject is not a user id"))
    }
}

/// Cache key marking one session revoked.
pub fn revoked_session_key(sid: &str) -> String {
    format!("revoked:sid:{sid}")
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or(ApiError::Unauthenticated("no Authorization header"))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(ApiError::Unauthenticated(
                "Authorization must be `Bearer <access token>`",
            ))?;
        let claims = state.keyring.verify(token.trim()).map_err(|e| {
            tracing::debug!(reason = %e, "access token refused");
            ApiError::Unauthenticated("access token is invalid or expired")
        })?;
        match state
            .cache
            .get_many(&[revoked_session_key(&claims.sid)])
            .await
        {
            Ok(found) => {
                if found.first().is_some_and(Option::is_some) {
                    return Err(ApiError::Unauthenticated("the session was ended"));
                }
            }
            // Fail open: tokens live 15 minutes and refresh is checked in the database, so a
            // cache outage widens the revocation window instead of logging everyone out.
            Err(e) => {
                tracing::warn!(error = %e, "revocation check skipped: cache unavailable");
                metrics::counter!("revocation_check_skipped_total").increment(1);
            }
        }
        Ok(Self(claims))
    }
}
