//! Sessions: issuing the token pair, rotating refresh tokens with reuse detection, logout.

use zhelikit_domain::paths;

use axum::extract::State;
use axum::http::StatusCode;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::Utc;
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;
use zhelikit_domain::api::{LogoutAll, Me, Problem, RefreshRequest, Session};
use zhelikit_domain::lang::Text;
use zhelikit_domain::scope::Scope;

use crate::app::{App, AppState};
use crate::audit::{self, Event};
use crate::http::client::ClientAddr;
use crate::http::json::ApiJson;
use crate::http::problem::ApiError;
use crate::identity::auth::Authenticated;
use crate::identity::limits::{self, Limited};
use crate::identity::tokens::AccessClaims;
use crate::identity::users::user_profile;
use crate::identity::{admission, IdentityError};
use crate::storage::{MiniApp, NextRefreshToken, RefreshToken, Rotation, User};

/// Refresh tokens are 256 random bits with a recognisable prefix (so secret scanners find
/// leaked ones).
fn new_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("zkr_{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// Only this hash is stored.
pub fn hash_refresh_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// What an access token is signed for.
struct Grant<'a> {
    user: &'a User,
    family_id: Uuid,
    mini_app_id: &'a str,
    scopes: &'a [String],
    auth_time: chrono::DateTime<Utc>,
}

fn access_token(app: &App, grant: Grant<'_>) -> Result<String, ApiError> {
    let Grant {
        user,
        family_id,
        mini_app_id,
        scopes,
        auth_time,
    } = grant;
    let (user_id, kind, level) = (user.id, user.profile.kind, user.profile.real_name_level);
    let now = Utc::now().timestamp();
    let claims = AccessClaims {
        iss: app.keyring.issuer().to_string(),
        sub: user_id.to_string(),
        aud: mini_app_id.to_string(),
        exp: now + app.config.access_ttl_secs as i64,
        iat: now,
        jti: Uuid::new_v4().simple().to_string(),
        sid: family_id.to_string(),
        kind,
        scope: scopes.join(" "),
        rnl: level,
        auth_time: auth_time.timestamp(),
    };
    app.keyring.sign(&claims).map_err(ApiError::internal)
}

fn session(app: &App, access_token: String, refresh_token: String, scopes: Vec<String>) -> Session {
    Session {
        access_token,
        token_type: "Bearer".into(),
        expires_in: app.config.access_ttl_secs,
        refresh_token,
        refresh_expires_in: app.config.refresh_ttl_secs,
        scopes,
    }
}

/// Starts a new session (token family) for `user` in `mini_app`, who authenticated just now
/// (the platform login or a passkey): that moment is the session's `auth_time` for good.
pub async fn start(
    app: &App,
    user: &User,
    mini_app: &MiniApp,
    scopes: Vec<String>,
) -> Result<Session, ApiError> {
    let family_id = Uuid::new_v4();
    let refresh = new_refresh_token();
    let auth_time = Utc::now();
    app.store
        .insert_refresh_token(&RefreshToken {
            token_hash: hash_refresh_token(&refresh),
            family_id,
            user_id: user.id,
            mini_app_id: mini_app.id.clone(),
            scopes: scopes.clone(),
            expires_at: auth_time + chrono::Duration::seconds(app.config.refresh_ttl_secs as i64),
            auth_time,
        })
        .await?;
    let access = access_token(
        app,
        Grant {
            user,
            family_id,
            mini_app_id: &mini_app.id,
            scopes: &scopes,
            auth_time,
        },
    )?;
    Ok(session(app, access, refresh, scopes))
}

/// Exchanges a refresh token for a new pair. The presented token is spent. Presenting it again
/// within the grace window (10 s by default) while its successor is unused returns that same
/// successor — the answer may have been lost on the way; presenting it later, or an older one,
/// revokes the whole session, since only a thief or a replay would do that.
#[utoipa::path(post, path = paths::REFRESH, tag = "identity", request_body = RefreshRequest,
    responses((status = 200, body = Session), (status = 401, description = "refresh_token_invalid or refresh_token_reused", body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json")))]
pub async fn refresh(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> Result<axum::Json<Session>, ApiError> {
    limits::check(
        &state,
        Limited::Refresh,
        format!("refresh:client:{}", crate::http::client::limit_key(&client)),
        state.config.rate_limits.refresh_per_client,
    )
    .await?;
    if body.refresh_token.is_empty() || body.refresh_token.len() > 128 {
        return Err(ApiError::invalid_field(
            "refresh_token",
            Text::new(
                "须为某个会话的刷新令牌",
                "must be the refresh token of a session",
            ),
        ));
    }
    let presented = hash_refresh_token(&body.refresh_token);
    let now = Utc::now();
    // Everything that can refuse a refresh runs before the token is spent, so a refused
    // refresh leaves the session usable.
    let mut scopes = None;
    if let Some(live) = state.store.live_refresh_token(&presented, now).await? {
        limits::check(
            &state,
            Limited::Refresh,
            format!("refresh:user:{}", live.user_id),
            state.config.rate_limits.refresh_per_user,
        )
        .await?;
        scopes = Some(reapply_mini_app_rules(&state, &live).await?);
    }
    let next = new_refresh_token();
    let successor = NextRefreshToken {
        token_hash: hash_refresh_token(&next),
        sealed: state.personal_data.seal_successor(&presented, &next),
        expires_at: now + chrono::Duration::seconds(state.config.refresh_ttl_secs as i64),
        scopes: scopes.unwrap_or_default(),
    };
    match state
        .store
        .rotate_refresh_token(&presented, &successor, now, state.config.refresh_grace)
        .await?
    {
        Rotation::Rotated(old) => {
            let user = stored_user(&state, old.user_id).await?;
            let access = access_token(
                &state,
                Grant {
                    user: &user,
                    family_id: old.family_id,
                    mini_app_id: &old.mini_app_id,
                    scopes: &successor.scopes,
                    auth_time: old.auth_time,
                },
            )?;
            Ok(axum::Json(session(&state, access, next, successor.scopes)))
        }
        Rotation::Replayed {
            spent,
            successor_sealed,
            successor_scopes,
        } => {
            // The first answer to this token was lost (or another client of this device got
            // it): the same successor again, so both end up holding one live token.
            let again = state
                .personal_data
                .open_successor(&presented, &successor_sealed)
                .ok_or_else(|| ApiError::internal("sealed successor does not open"))?;
            metrics::counter!("refresh_replays_total").increment(1);
            let user = stored_user(&state, spent.user_id).await?;
            let access = access_token(
                &state,
                Grant {
                    user: &user,
                    family_id: spent.family_id,
                    mini_app_id: &spent.mini_app_id,
                    scopes: &successor_scopes,
                    auth_time: spent.auth_time,
                },
            )?;
            Ok(axum::Json(session(&state, access, again, successor_scopes)))
        }
        Rotation::Reused { family_id, user_id } => {
            mark_session_revoked(&state, family_id);
            audit::record(
                &state,
                Event::RefreshReuse,
                Some(user_id),
                None,
                &client,
                &format!("family {family_id}"),
            )
            .await;
            Err(IdentityError::RefreshReused.into())
        }
        Rotation::Rejected(why) => Err(IdentityError::RefreshRejected(why).into()),
    }
}

async fn stored_user(app: &App, user_id: Uuid) -> Result<User, ApiError> {
    app.store
        .user(user_id)
        .await?
        .ok_or_else(|| ApiError::internal(format!("refresh token of missing user {user_id}")))
}

/// A session lives under its mini-app's current rules: if the mini-app was removed, no longer
/// admits this user, or no longer may have some scopes, the refresh ends the session or narrows
/// its scopes. Returns the scopes the successor carries.
async fn reapply_mini_app_rules(app: &App, live: &RefreshToken) -> Result<Vec<String>, ApiError> {
    let mini_app = app.store.mini_app(&live.mini_app_id).await?;
    let user = app.store.user(live.user_id).await?;
    let refusal = match (&mini_app, &user) {
        (None, _) => Some(IdentityError::RefreshMiniAppGone),
        (_, None) => Some(IdentityError::RefreshUserGone),
        (Some(mini_app), Some(user)) => admission::admit(mini_app, &user.profile).err(),
    };
    if let Some(refusal) = refusal {
        app.store.revoke_family(live.family_id, Utc::now()).await?;
        mark_session_revoked(app, live.family_id);
        return Err(refusal.into());
    }
    let allowed = mini_app.map(|m| m.allowed_scopes).unwrap_or_default();
    Ok(live
        .scopes
        .iter()
        .filter(|s| allowed.contains(s))
        .cloned()
        .collect())
}

fn mark_session_revoked(app: &App, family_id: Uuid) {
    // The database already says so; this makes it effective on this instance at once (others
    // learn it from their next poll).
    app.revocations.revoked(&family_id.to_string());
}

/// Ends this session: its refresh token stops working and its access tokens are refused.
#[utoipa::path(post, path = paths::LOGOUT, tag = "identity", security(("bearer" = [])),
    responses((status = 204, description = "session ended"), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn logout(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    auth: Authenticated,
) -> Result<StatusCode, ApiError> {
    let family_id: Uuid = auth.0.sid.parse().map_err(|_| {
        ApiError::unauthenticated(Text::new("令牌没有会话编号", "token has no session id"))
    })?;
    state.store.revoke_family(family_id, Utc::now()).await?;
    mark_session_revoked(&state, family_id);
    audit::record(
        &state,
        Event::Logout,
        Some(auth.user_id()?),
        Some(&auth.0.aud),
        &client,
        "",
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends every session of this user, on every device and mini-app. With
/// `{"remove_passkeys": true}` (for a lost or stolen phone) every passkey is deleted too, so no
/// device can start a session without a new platform login. The body is optional.
#[utoipa::path(post, path = paths::LOGOUT_ALL, tag = "identity", security(("bearer" = [])), request_body(content = LogoutAll, description = "optional"),
    responses((status = 204, description = "all sessions ended"), (status = 400, description = "malformed_body", body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn logout_all(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    auth: Authenticated,
    body: axum::body::Bytes,
) -> Result<StatusCode, ApiError> {
    let options: LogoutAll = if body.iter().all(u8::is_ascii_whitespace) {
        LogoutAll::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::malformed_body(e.to_string()))?
    };
    let user_id = auth.user_id()?;
    if options.remove_passkeys {
        crate::identity::passkey::remove_all(&state, user_id, &auth.0.aud, &client).await?;
    }
    let families = state.store.revoke_user(user_id, Utc::now()).await?;
    for family_id in &families {
        mark_session_revoked(&state, *family_id);
    }
    audit::record(
        &state,
        Event::LogoutAll,
        Some(user_id),
        Some(&auth.0.aud),
        &client,
        &format!("{} sessions", families.len()),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// The current user, with personal data masked. Needs scope `profile`.
#[utoipa::path(get, path = paths::ME, tag = "identity", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, description = "missing_scope", body = Problem, content_type = "application/problem+json")))]
pub async fn me(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<axum::Json<Me>, ApiError> {
    let claims = auth.require(Scope::Profile)?;
    let user = user_profile(&state, auth.user_id()?).await?;
    let p = user.profile.clone();
    Ok(axum::Json(Me {
        user_id: user.id.to_string(),
        kind: p.kind,
        display_name: p.display_name,
        real_name_level: p.real_name_level,
        id_number_masked: p.id_number_masked,
        phone_masked: p.phone_masked,
        enterprise: p.enterprise,
        official: p.official,
        mini_app_id: claims.aud.clone(),
        scopes: claims
            .scope
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_tokens_are_random_prefixed_and_stored_only_as_hashes() {
        let (a, b) = (new_refresh_token(), new_refresh_token());
        assert_ne!(a, b);
        assert!(a.starts_with("zkr_") && a.len() == 47);
        assert_eq!(hash_refresh_token(&a).len(), 64);
        assert_ne!(hash_refresh_token(&a), a);
    }
}
