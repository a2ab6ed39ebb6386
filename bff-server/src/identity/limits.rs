//! Rate limits on logins and refreshes: per client address and per user, per minute
//! (`ZK_LOGIN_LIMIT_*`, `ZK_REFRESH_LIMIT_*`). The counting itself is the limiter in
//! `infra::rate_limit` (Redis, or this instance's memory).

use zhelikit_domain::lang::Text;

use crate::app::App;
use crate::http::problem::ApiError;
use crate::infra::rate_limit::{Decision, Quota};

/// Rate limits, per minute.
#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    /// Login attempts per client address.
    pub login_per_client: u32,
    /// Logins per user (after the platform identified them).
    pub login_per_user: u32,
    /// Refreshes per client address.
    pub refresh_per_client: u32,
    /// Refreshes per user.
    pub refresh_per_user: u32,
}

/// What is being limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    /// Login attempts (every method, passkeys included).
    Login,
    /// Refresh-token rotations.
    Refresh,
}

impl Limited {
    fn name(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Refresh => "refresh",
        }
    }

    fn text(self) -> Text {
        match self {
            Self::Login => Text::new("登录", "login"),
            Self::Refresh => Text::new("刷新", "refresh"),
        }
    }
}

/// Counts a request against a per-minute quota. A Redis outage falls back to this instance's
/// own limiter (see `FallbackRateLimiter`); an error here is unexpected and lets the request
/// through (logged) rather than locking everyone out.
pub async fn check(app: &App, what: Limited, key: String, per_minute: u32) -> Result<(), ApiError> {
    let name = what.name();
    match app.limiter.check(&key, Quota::per_minute(per_minute)).await {
        Ok(Decision::Allow) => Ok(()),
        Ok(Decision::Deny { retry_after }) => {
            metrics::counter!("rate_limited_total", "what" => name).increment(1);
            Err(ApiError::rate_limited(
                what.text(),
                retry_after.as_secs_f64().ceil() as u64,
            ))
        }
        Err(e) => {
            tracing::warn!(error = %e, what = name, "rate limit skipped: limiter unavailable");
            Ok(())
        }
    }
}

/// Counts a login attempt (of any method, passkeys included) against the client's quota.
pub async fn login_by_client(app: &App, client: &str) -> Result<(), ApiError> {
    check(
        app,
        Limited::Login,
        format!("login:client:{}", crate::http::client::limit_key(client)),
        app.config.rate_limits.login_per_client,
    )
    .await
}
