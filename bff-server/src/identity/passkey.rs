//! Passkeys (WebAuthn, webauthn-rs): a logged-in user registers one; later it alone starts a
//! session. Ceremony state lives in the cache for five minutes, keyed by a random ceremony id,
//! and is taken (read and deleted) when finished: never handed to the client, never reusable.
//!
//! A passkey is a login that never expires, so it is guarded like one: registering needs a
//! session whose login (platform or passkey) is recent (`auth_time` within five minutes by
//! default), not merely a token with scope `passkey` (a stolen token would otherwise become a permanent login); the
//! user can list, rename and delete their passkeys, and "log out everywhere" can delete them
//! all; every registration and removal is audited; only mini-apps allowed `passkey` may log in
//! with one; and starting a login answers alike whether the user id is unknown, has no
//! passkeys or has some (a decoy credential), so it cannot be used to learn who has one.

use std::time::Duration;
use zhelikit_domain::paths;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use uuid::Uuid;
use webauthn_rs::prelude::{
    Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential,
};
use zhelikit_domain::api::{
    PasskeyChallenge, PasskeyFinish, PasskeyInfo, PasskeyList, PasskeyLoginStart,
    PasskeyRegistered, PasskeyRename, Problem, Session,
};

use zhelikit_domain::input;
use zhelikit_domain::lang::Text;
use zhelikit_domain::problem_code::ProblemCode;
use zhelikit_domain::scope::Scope;

use crate::app::{App, AppState};
use crate::audit::{self, Event};
use crate::http::client::ClientAddr;
use crate::http::json::ApiJson;
use crate::http::problem::ApiError;
use crate::identity::auth::Authenticated;
use crate::identity::login;
use crate::identity::{limits, IdentityError};
use crate::storage::{StoreError, StoredPasskey};

/// WebAuthn relying-party settings.
#[derive(Debug, Clone)]
pub struct PasskeySettings {
    /// Relying-party id: the registrable domain, e.g. `zhelikit.example.gov.cn`.
    pub rp_id: String,
    /// Display name shown by authenticators.
    pub rp_name: String,
    /// Allowed origins: `https://…` web origins and Android `android:apk-key-hash:…` origins.
    pub origins: Vec<String>,
    /// How recent (seconds) the login of a session must be to register a passkey
    /// (`ZK_PASSKEY_REAUTH_SECS`, default 300).
    pub reauthentication_window_secs: i64,
}

const CEREMONY_TTL: Duration = Duration::from_secs(300);

/// The authenticator timeout webauthn-rs puts in its options (its default), repeated in decoys.
const AUTHENTICATOR_TIMEOUT_MS: u32 = 300_000;

#[derive(Serialize, Deserialize)]
struct RegistrationState {
    user_id: Uuid,
    state: PasskeyRegistration,
}

#[derive(Serialize, Deserialize)]
struct AuthenticationState {
    user_id: Uuid,
    mini_app_id: String,
    scopes: Option<Vec<String>>,
    /// `None` for a decoy ceremony (a user id without passkeys): it can only fail.
    state: Option<PasskeyAuthentication>,
}

async fn put_state<T: Serialize>(app: &App, prefix: &str, value: &T) -> Result<String, ApiError> {
    let ceremony_id = Uuid::new_v4().simple().to_string();
    let bytes = serde_json::to_vec(value).map_err(|e| ApiError::internal(e.to_string()))?;
    app.cache
        .set(&format!("{prefix}{ceremony_id}"), &bytes, CEREMONY_TTL)
        .await
        .map_err(|e| ApiError::storage_unavailable(e.to_string()))?;
    Ok(ceremony_id)
}

async fn take_state<T: DeserializeOwned>(
    app: &App,
    prefix: &str,
    ceremony_id: &str,
) -> Result<T, ApiError> {
    input::ceremony_id(ceremony_id)?;
    let bytes = app
        .cache
        .take(&format!("{prefix}{ceremony_id}"))
        .await
        .map_err(|e| ApiError::storage_unavailable(e.to_string()))?
        .ok_or(IdentityError::PasskeyCeremonyUnknown)?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::internal(format!("ceremony state unreadable: {e}")))
}

fn parse_credential<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_json::from_value(value).map_err(|e| {
        ApiError::invalid_field(
            "credential",
            Text::new(
                format!("不是 WebAuthn 凭证：{e}"),
                format!("not a WebAuthn credential: {e}"),
            ),
        )
    })
}

fn options_json<T: Serialize>(options: &T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(options).map_err(|e| ApiError::internal(e.to_string()))
}

fn stored_passkeys(rows: &[StoredPasskey]) -> Result<Vec<Passkey>, ApiError> {
    rows.iter()
        .map(|r| {
            serde_json::from_str(&r.passkey_json)
                .map_err(|e| ApiError::internal(format!("stored passkey unreadable: {e}")))
        })
        .collect()
}

/// Refuses unless the session's platform login (or passkey login) happened less than
/// `window_secs` ago (`ZK_PASSKEY_REAUTH_SECS`, default 300). Pure over the token's claims.
fn require_recent_login(auth: &Authenticated, window_secs: i64) -> Result<(), ApiError> {
    let age = chrono::Utc::now().timestamp() - auth.0.auth_time;
    if auth.0.auth_time > 0 && age < window_secs {
        return Ok(());
    }
    Err(IdentityError::ReauthenticationRequired { window_secs }.into())
}

/// Starts registering a passkey for the logged-in user. Needs scope `passkey` and a login
/// (platform or passkey) within the last five minutes (`ZK_PASSKEY_REAUTH_SECS`).
#[utoipa::path(post, path = paths::PASSKEY_REGISTRATION_START, tag = "passkeys", security(("bearer" = [])),
    responses((status = 200, body = PasskeyChallenge), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, description = "missing_scope, reauthentication_required", body = Problem, content_type = "application/problem+json")))]
pub async fn registration_start(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<axum::Json<PasskeyChallenge>, ApiError> {
    auth.require(Scope::Passkey)?;
    require_recent_login(&auth, state.config.passkeys.reauthentication_window_secs)?;
    let user_id = auth.user_id()?;
    let user = state
        .store
        .user(user_id)
        .await?
        .ok_or(IdentityError::UserGone)?;
    let existing = stored_passkeys(&state.store.passkeys(user_id).await?)?;
    let exclude =
        (!existing.is_empty()).then(|| existing.iter().map(|p| p.cred_id().clone()).collect());
    // The user handle is the pseudonymous id: the authenticator never learns an ID number.
    let (options, reg_state) = state
        .webauthn
        .start_passkey_registration(
            user_id,
            &user_id.to_string(),
            &user.profile.display_name,
            exclude,
        )
        .map_err(|e| ApiError::internal(format!("webauthn: {e}")))?;
    let ceremony_id = put_state(
        &state,
        "passkey:reg:",
        &RegistrationState {
            user_id,
            state: reg_state,
        },
    )
    .await?;
    Ok(axum::Json(PasskeyChallenge {
        ceremony_id,
        options: options_json(&options)?,
    }))
}

/// Finishes registration with the authenticator's attestation.
#[utoipa::path(post, path = paths::PASSKEY_REGISTRATION_FINISH, tag = "passkeys", security(("bearer" = [])), request_body = PasskeyFinish,
    responses((status = 201, body = PasskeyRegistered), (status = 400, description = "passkey_ceremony_unknown, invalid_field", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "missing_scope, reauthentication_required", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "passkey_verification_failed", body = Problem, content_type = "application/problem+json"), (status = 409, description = "passkey_already_registered", body = Problem, content_type = "application/problem+json")))]
pub async fn registration_finish(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    auth: Authenticated,
    ApiJson(body): ApiJson<PasskeyFinish>,
) -> Result<(StatusCode, axum::Json<PasskeyRegistered>), ApiError> {
    auth.require(Scope::Passkey)?;
    require_recent_login(&auth, state.config.passkeys.reauthentication_window_secs)?;
    let user_id = auth.user_id()?;
    let name = match body.name.as_deref() {
        Some(name) => Some(input::passkey_name(name)?.to_string()),
        None => None,
    };
    let credential: RegisterPublicKeyCredential = parse_credential(body.credential)?;
    let ceremony: RegistrationState = take_state(&state, "passkey:reg:", &body.ceremony_id).await?;
    if ceremony.user_id != user_id {
        // Said as if it did not exist: another user's ceremony is none of this one's business.
        return Err(IdentityError::PasskeyCeremonyUnknown.into());
    }
    let passkey = state
        .webauthn
        .finish_passkey_registration(&credential, &ceremony.state)
        .map_err(|e| IdentityError::PasskeyVerificationFailed(e.to_string()))?;
    let credential_id = URL_SAFE_NO_PAD.encode(passkey.cred_id().as_ref());
    let now = chrono::Utc::now();
    let name = match name {
        Some(name) => name,
        None => {
            let count = state.store.passkeys(user_id).await?.len() + 1;
            format!("通行密钥 {count}（{}）", now.format("%Y-%m-%d"))
        }
    };
    let row = StoredPasskey {
        credential_id: credential_id.clone(),
        user_id,
        passkey_json: serde_json::to_string(&passkey)
            .map_err(|e| ApiError::internal(e.to_string()))?,
        name,
        created_at: now,
        last_used_at: None,
    };
    match state.store.insert_passkey(&row).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            return Err(IdentityError::PasskeyAlreadyRegistered.into());
        }
        Err(e) => return Err(e.into()),
    }
    audit::record(
        &state,
        Event::PasskeyRegistered,
        Some(user_id),
        Some(&auth.0.aud),
        &client,
        &credential_id,
    )
    .await;
    Ok((
        StatusCode::CREATED,
        axum::Json(PasskeyRegistered { credential_id }),
    ))
}

/// Refuses a passkey login into a mini-app not allowed the `passkey` scope.
fn require_passkey_mini_app(mini_app: &crate::storage::MiniApp) -> Result<(), ApiError> {
    if mini_app
        .allowed_scopes
        .iter()
        .any(|s| s == Scope::Passkey.as_str())
    {
        return Ok(());
    }
    Err(IdentityError::PasskeyNotAllowed(mini_app.id.clone()).into())
}

/// The options of a ceremony that can only fail, shaped as webauthn-rs shapes real ones: a
/// fresh challenge and a credential id that is the same on every call for this user id.
fn decoy_options(state: &App, user_id: &Uuid) -> serde_json::Value {
    let mut challenge = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut challenge);
    serde_json::json!({
        "publicKey": {
            "challenge": URL_SAFE_NO_PAD.encode(challenge),
            "timeout": AUTHENTICATOR_TIMEOUT_MS,
            "rpId": state.config.passkeys.rp_id,
            "allowCredentials": [{
                "type": "public-key",
                "id": URL_SAFE_NO_PAD.encode(state.personal_data.decoy_credential_id(&user_id.to_string())),
            }],
            "userVerification": "required",
        }
    })
}

/// Starts a passkey login for a user remembered on the device. The answer looks the same
/// whether that user has passkeys or not (or does not exist): only finishing tells.
#[utoipa::path(post, path = paths::PASSKEY_LOGIN_START, tag = "passkeys", request_body = PasskeyLoginStart,
    responses((status = 200, body = PasskeyChallenge), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 403, description = "passkey_not_allowed", body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json")))]
pub async fn login_start(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(body): ApiJson<PasskeyLoginStart>,
) -> Result<axum::Json<PasskeyChallenge>, ApiError> {
    limits::login_by_client(&state, &client).await?;
    let user_id: Uuid = body.user_id.parse().map_err(|_| {
        ApiError::invalid_field(
            "user_id",
            Text::new(
                "须为 ZheliKit 用户编号（UUID）",
                "must be a ZheliKit user id (UUID)",
            ),
        )
    })?;
    // Checked now so a bad mini-app or scope fails before the user touches the authenticator.
    let (mini_app, _) = login::prepare(&state, &body.mini_app_id, body.scopes.as_deref()).await?;
    require_passkey_mini_app(&mini_app)?;
    let passkeys = stored_passkeys(&state.store.passkeys(user_id).await?)?;
    let (options, auth_state) = if passkeys.is_empty() {
        (decoy_options(&state, &user_id), None)
    } else {
        let (options, auth_state) = state
            .webauthn
            .start_passkey_authentication(&passkeys)
            .map_err(|e| ApiError::internal(format!("webauthn: {e}")))?;
        (options_json(&options)?, Some(auth_state))
    };
    let ceremony = AuthenticationState {
        user_id,
        mini_app_id: body.mini_app_id,
        scopes: body.scopes,
        state: auth_state,
    };
    let ceremony_id = put_state(&state, "passkey:auth:", &ceremony).await?;
    Ok(axum::Json(PasskeyChallenge {
        ceremony_id,
        options,
    }))
}

/// Finishes a passkey login and starts a session.
#[utoipa::path(post, path = paths::PASSKEY_LOGIN_FINISH, tag = "passkeys", request_body = PasskeyFinish,
    responses((status = 200, body = Session), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 401, description = "passkey_verification_failed", body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn login_finish(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(body): ApiJson<PasskeyFinish>,
) -> Result<axum::Json<Session>, ApiError> {
    limits::login_by_client(&state, &client).await?;
    let credential: PublicKeyCredential = parse_credential(body.credential)?;
    let ceremony: AuthenticationState =
        take_state(&state, "passkey:auth:", &body.ceremony_id).await?;
    let (mini_app, granted) =
        login::prepare(&state, &ceremony.mini_app_id, ceremony.scopes.as_deref()).await?;
    require_passkey_mini_app(&mini_app)?;
    let verified = match &ceremony.state {
        Some(auth_state) => state
            .webauthn
            .finish_passkey_authentication(&credential, auth_state)
            .map_err(|e| e.to_string()),
        // A decoy: no passkey can answer it; fails as a wrong passkey would.
        None => Err("decoy ceremony".to_string()),
    };
    // One answer whatever went wrong (decoy, wrong passkey, deleted passkey): the detail
    // would tell who has a passkey. The reason goes to the log only.
    let refuse = |why: String| ApiError::from(IdentityError::PasskeyVerificationFailed(why));
    let audit_refusal = || {
        audit::record(
            &state,
            Event::LoginFailed,
            Some(ceremony.user_id),
            Some(&mini_app.id),
            &client,
            ProblemCode::PasskeyVerificationFailed.as_str(),
        )
    };
    let result = match verified {
        Ok(result) => result,
        Err(e) => {
            audit_refusal().await;
            return Err(refuse(e));
        }
    };
    // The passkey must still be registered: one deleted after this ceremony started (a lost
    // phone, logout everywhere) no longer logs in. Its counter moves on, so a cloned
    // authenticator shows up.
    let mut still_registered = false;
    for row in state.store.passkeys(ceremony.user_id).await? {
        let mut passkey: Passkey = serde_json::from_str(&row.passkey_json)
            .map_err(|e| ApiError::internal(e.to_string()))?;
        let counter_moved = passkey.update_credential(&result);
        if counter_moved.is_some() {
            still_registered = true;
            // The passkey that answered: its counter (if it moved) and when it was last used.
            let json =
                serde_json::to_string(&passkey).map_err(|e| ApiError::internal(e.to_string()))?;
            state
                .store
                .update_passkey(&StoredPasskey {
                    passkey_json: json,
                    last_used_at: Some(chrono::Utc::now()),
                    ..row
                })
                .await?;
        }
    }
    if !still_registered {
        audit_refusal().await;
        return Err(refuse("the passkey was deleted during the ceremony".into()));
    }
    let user = state
        .store
        .user(ceremony.user_id)
        .await?
        .ok_or(IdentityError::UserGone)?;
    login::finish(&state, &client, "passkey", &mini_app, granted, user.profile)
        .await
        .map(axum::Json)
}

fn passkey_info(row: &StoredPasskey) -> PasskeyInfo {
    PasskeyInfo {
        credential_id: row.credential_id.clone(),
        name: row.name.clone(),
        created_at_ms: row.created_at.timestamp_millis(),
        last_used_at_ms: row.last_used_at.map(|t| t.timestamp_millis()),
    }
}

fn not_found(credential_id: &str) -> ApiError {
    IdentityError::PasskeyNotFound(credential_id.to_string()).into()
}

/// The logged-in user's passkeys (no key material). Needs scope `passkey`.
#[utoipa::path(get, path = paths::PASSKEYS, tag = "passkeys", security(("bearer" = [])),
    responses((status = 200, body = PasskeyList), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, description = "missing_scope", body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<axum::Json<PasskeyList>, ApiError> {
    auth.require(Scope::Passkey)?;
    let rows = state.store.passkeys(auth.user_id()?).await?;
    Ok(axum::Json(PasskeyList {
        passkeys: rows.iter().map(passkey_info).collect(),
    }))
}

/// Renames one of the user's passkeys. Needs scope `passkey`.
#[utoipa::path(patch, path = paths::PASSKEY, tag = "passkeys", security(("bearer" = [])), request_body = PasskeyRename,
    params(("credential_id" = String, Path, description = "The passkey's credential id, base64url")),
    responses((status = 204, description = "renamed"), (status = 400, description = "invalid_field", body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, description = "missing_scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "passkey_not_found", body = Problem, content_type = "application/problem+json")))]
pub async fn rename(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(credential_id): Path<String>,
    ApiJson(body): ApiJson<PasskeyRename>,
) -> Result<StatusCode, ApiError> {
    auth.require(Scope::Passkey)?;
    let name = input::passkey_name(&body.name)?;
    if !state
        .store
        .rename_passkey(auth.user_id()?, &credential_id, name)
        .await?
    {
        return Err(not_found(&credential_id));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes one of the user's passkeys: it can no longer start a session. Needs scope
/// `passkey`; audited.
#[utoipa::path(delete, path = paths::PASSKEY, tag = "passkeys", security(("bearer" = [])),
    params(("credential_id" = String, Path, description = "The passkey's credential id, base64url")),
    responses((status = 204, description = "deleted"), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "missing_scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "passkey_not_found", body = Problem, content_type = "application/problem+json")))]
pub async fn delete(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    auth: Authenticated,
    Path(credential_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    auth.require(Scope::Passkey)?;
    let user_id = auth.user_id()?;
    if !state.store.delete_passkey(user_id, &credential_id).await? {
        return Err(not_found(&credential_id));
    }
    audit::record(
        &state,
        Event::PasskeyRemoved,
        Some(user_id),
        Some(&auth.0.aud),
        &client,
        &credential_id,
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes every passkey of `user_id` (from "log out everywhere"); audited. Returns how many.
pub async fn remove_all(
    app: &App,
    user_id: Uuid,
    mini_app_id: &str,
    client: &str,
) -> Result<u64, ApiError> {
    let removed = app.store.delete_passkeys(user_id).await?;
    audit::record(
        app,
        Event::PasskeyRemoved,
        Some(user_id),
        Some(mini_app_id),
        client,
        &format!("all ({removed}) at logout everywhere"),
    )
    .await;
    Ok(removed)
}
