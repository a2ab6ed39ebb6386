//! The bearer-token check: signature and expiry from the token alone (memoised per token), then
//! the in-memory revocation list (logout and logout everywhere add the sessions they end), then
//! the audience: a request naming its mini-app (`x-zhelikit-mini-app`, sent by the SDK) must
//! carry a token issued for that mini-app.
//! No I/O on the request path.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use zhelikit_domain::api::MINI_APP_HEADER;
use zhelikit_domain::lang::Text;
use zhelikit_domain::scope::Scope;

use crate::app::AppState;
use crate::http::problem::ApiError;
use crate::identity::tokens::AccessClaims;

/// A request with a valid access token.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Arc<AccessClaims>);

impl Authenticated {
    /// Refuses with 403 unless the token carries `scope`.
    pub fn require(&self, scope: Scope) -> Result<&AccessClaims, ApiError> {
        if self.0.has_scope(scope) {
            Ok(&self.0)
        } else {
            Err(ApiError::missing_scope(scope))
        }
    }

    /// The user id as a UUID.
    pub fn user_id(&self) -> Result<uuid::Uuid, ApiError> {
        self.0.sub.parse().map_err(|_| {
            ApiError::unauthenticated(Text::new(
                "令牌的主体不是用户编号",
                "token subject is not a user id",
            ))
        })
    }
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
            .ok_or(ApiError::unauthenticated(Text::new(
                "缺少 Authorization 请求头",
                "no Authorization header",
            )))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(ApiError::unauthenticated(Text::new(
                "Authorization 须为 `Bearer <访问令牌>`",
                "Authorization must be `Bearer <access token>`",
            )))?;
        let claims = state.keyring.verify(token.trim()).map_err(|e| {
            tracing::debug!(reason = %e, "access token refused");
            ApiError::unauthenticated(Text::new(
                "访问令牌无效或已过期",
                "access token is invalid or expired",
            ))
        })?;
        if state.revocations.is_revoked(&claims.sid) {
            return Err(ApiError::unauthenticated(Text::new(
                "会话已结束",
                "the session was ended",
            )));
        }
        let caller = parts.headers.get(MINI_APP_HEADER);
        if let Some(caller) = caller {
            if caller.as_bytes() != claims.aud.as_bytes() {
                return Err(ApiError::unauthenticated(Text::new(
                    "该访问令牌是签发给其他小程序的",
                    "the access token was issued for another mini-app",
                )));
            }
        }
        Ok(Self(claims))
    }
}
