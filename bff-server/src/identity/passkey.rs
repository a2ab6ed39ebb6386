//! Passkeys (WebAuthn, webauthn-rs): a logged-in user registers one; later it alone starts a
//! session. Ceremony state lives in the cache for five minutes, keyed by a random ceremony id,
//! and is taken (read and deleted) when finished: never handed to the client, never reusable.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use axum::extract::State;
use axum::http::StatusCode;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use uuid::Uuid;
use webauthn_rs::prelude::{
    Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential,
};
use zhelikit_domain::api::{
    PasskeyChallenge, PasskeyFinish, PasskeyLoginStart, PasskeyRegistered, Problem, Session,
};

use crate::app::{App, AppState};
use crate::audit::{self, Event};
use crate::http::client::ClientAddr;
use crate::http::json::ApiJson;
use crate::http::problem::ApiError;
use crate::identity::auth::Authenticated;
use crate::identity::login;
use crate::storage::{StoreError, StoredPasskey};

const CEREMONY_TTL: Duration = Duration::from_secs(300);

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
    state: PasskeyAuthentication,
}

fn failed(code: &'static str, status: StatusCode, detail: impl Into<String>) -> ApiError {
    ApiError::Passkey {
        code,
        status,
        detail: detail.into(),
    }
}

async fn put_state<T: Serialize>(app: &App, prefix: &str, value: &T) -> Result<String, ApiError> {
    let ceremony_id = Uuid::new_v4().simple().to_string();
    let bytes = serde_json::to_vec(value).map_err(|e| ApiError::Internal(e.to_string()))?;
    app.cache
        .set(&format!("{prefix}{ceremony_id}"), &bytes, CEREMONY_TTL)
        .await
        .map_err(|e| ApiError::StorageUnavailable(e.to_string()))?;
    Ok(ceremony_id)
}

async fn take_state<T: DeserializeOwned>(
    app: &App,
    prefix: &str,
    ceremony_id: &str,
) -> Result<T, ApiError> {
    if ceremony_id.is_empty() || ceremony_id.len() > 64 {
        return Err(ApiError::InvalidField {
            field: "ceremony_id",
            reason: "must be the id from the start call".into(),
        });
    }
    let bytes = app
        .cache
        .take(&format!("{prefix}{ceremony_id}"))
        .await
        .map_err(|e| ApiError::StorageUnavailable(e.to_string()))?
        .ok_or_else(|| {
            failed(
                "passkey_ceremony_unknown",
                StatusCode::BAD_REQUEST,
                "no such ceremony: it expired, was finished already, or never started",
            )
        })?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::Internal(format!("ceremony state unreadable: {e}")))
}

fn parse_credential<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_json::from_value(value).map_err(|e| ApiError::InvalidField {
        field: "credential",
        reason: format!("not a WebAuthn credential: {e}"),
    })
}

fn options_json<T: Serialize>(options: &T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(options).map_err(|e| ApiError::Internal(e.to_string()))
}

fn stored_passkeys(rows: &[StoredPasskey]) -> Result<Vec<Passkey>, ApiError> {
    rows.iter()
        .map(|r| {
            serde_json::from_str(&r.passkey_json)
                .map_err(|e| ApiError::Internal(format!("stored passkey unreadable: {e}")))
        })
        .collect()
}

/// Starts registering a passkey for the logged-in user. Needs scope `passkey`.
#[utoipa::path(post, path = "/v1/passkeys/registration/start", tag = "passkeys", security(("bearer" = [])),
    responses((status = 200, body = PasskeyChallenge), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn registration_start(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<axum::Json<PasskeyChallenge>, ApiError> {
    auth.require("passkey")?;
    let user_id = auth.user_id()?;
    let user = state
        .store
        .user(user_id)
        .await?
        .ok_or(ApiError::Unauthenticated("the user no longer exists"))?;
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
        .map_err(|e| ApiError::Internal(format!("webauthn: {e}")))?;
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
#[utoipa::path(post, path = "/v1/passkeys/registration/finish", tag = "passkeys", security(("bearer" = [])), request_body = PasskeyFinish,
    responses((status = 201, body = PasskeyRegistered), (status = 400, description = "passkey_ceremony_unknown, invalid_field", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "passkey_verification_failed", body = Problem, content_type = "application/problem+json"), (status = 409, description = "passkey_already_registered", body = Problem, content_type = "application/problem+json")))]
pub async fn registration_finish(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    auth: Authenticated,
    ApiJson(body): ApiJson<PasskeyFinish>,
) -> Result<(StatusCode, axum::Json<PasskeyRegistered>), ApiError> {
    auth.require("passkey")?;
    let user_id = auth.user_id()?;
    let credential: RegisterPublicKeyCredential = parse_credential(body.credential)?;
    let ceremony: RegistrationState = take_state(&state, "passkey:reg:", &body.ceremony_id).await?;
    if ceremony.user_id != user_id {
        return Err(failed(
            "passkey_ceremony_unknown",
            StatusCode::BAD_REQUEST,
            "this ceremony belongs to another user",
        ));
    }
    let passkey = state
        .webauthn
        .finish_passkey_registration(&credential, &ceremony.state)
        .map_err(|e| {
            failed(
                "passkey_verification_failed",
                StatusCode::UNAUTHORIZED,
                format!("the authenticator's answer did not verify: {e}"),
            )
        })?;
    let credential_id = URL_SAFE_NO_PAD.encode(passkey.cred_id().as_ref());
    let row = StoredPasskey {
        credential_id: credential_id.clone(),
        user_id,
        passkey_json: serde_json::to_string(&passkey)
            .map_err(|e| ApiError::Internal(e.to_string()))?,
    };
    match state.store.insert_passkey(&row).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            return Err(failed(
                "passkey_already_registered",
                StatusCode::CONFLICT,
                "this passkey is already registered",
            ));
        }
        Err(e) => return Err(e.into()),
    }
    audit::record(
        &state,
        Event::PasskeyRegistered,
        Some(user_id),
        Some(&auth.0.aud),
        &client,
        "",
    )
    .await;
    Ok((
        StatusCode::CREATED,
        axum::Json(PasskeyRegistered { credential_id }),
    ))
}

/// Starts a passkey login for a user remembered on the device.
#[utoipa::path(post, path = "/v1/auth/passkey/start", tag = "passkeys", request_body = PasskeyLoginStart,
    responses((status = 200, body = PasskeyChallenge), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 404, description = "no_passkey", body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json")))]
pub async fn login_start(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(body): ApiJson<PasskeyLoginStart>,
) -> Result<axum::Json<PasskeyChallenge>, ApiError> {
    login::limit_client(&state, &client).await?;
    let user_id: Uuid = body.user_id.parse().map_err(|_| ApiError::InvalidField {
        field: "user_id",
        reason: "must be a ZheliKit user id (UUID)".into(),
    })?;
    // Checked now so a bad mini-app or scope fails before the user touches the authenticator.
    login::prepare(&state, &body.mini_app_id, body.scopes.as_deref()).await?;
    let passkeys = stored_passkeys(&state.store.passkeys(user_id).await?)?;
    if passkeys.is_empty() {
        return Err(failed(
            "no_passkey",
            StatusCode::NOT_FOUND,
            "this user has no passkey registered",
        ));
    }
    let (options, auth_state) = state
        .webauthn
        .start_passkey_authentication(&passkeys)
        .map_err(|e| ApiError::Internal(format!("webauthn: {e}")))?;
    let ceremony = AuthenticationState {
        user_id,
        mini_app_id: body.mini_app_id,
        scopes: body.scopes,
        state: auth_state,
    };
    let ceremony_id = put_state(&state, "passkey:auth:", &ceremony).await?;
    Ok(axum::Json(PasskeyChallenge {
        ceremony_id,
        options: options_json(&options)?,
    }))
}

/// Finishes a passkey login and starts a session.
#[utoipa::path(post, path = "/v1/auth/passkey/finish", tag = "passkeys", request_body = PasskeyFinish,
    responses((status = 200, body = Session), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 401, description = "passkey_verification_failed", body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn login_finish(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(body): ApiJson<PasskeyFinish>,
) -> Result<axum::Json<Session>, ApiError> {
    login::limit_client(&state, &client).await?;
    let credential: PublicKeyCredential = parse_credential(body.credential)?;
    let ceremony: AuthenticationState =
        take_state(&state, "passkey:auth:", &body.ceremony_id).await?;
    let (mini_app, granted) =
        login::prepare(&state, &ceremony.mini_app_id, ceremony.scopes.as_deref()).await?;
    let result = match state
        .webauthn
        .finish_passkey_authentication(&credential, &ceremony.state)
    {
        Ok(result) => result,
        Err(e) => {
            audit::record(
                &state,
                Event::LoginFailed,
                Some(ceremony.user_id),
                Some(&mini_app.id),
                &client,
                "passkey_verification_failed",
            )
            .await;
            return Err(failed(
                "passkey_verification_failed",
                StatusCode::UNAUTHORIZED,
                format!("the passkey's answer did not verify: {e}"),
            ));
        }
    };
    // Move the signature counter on, so a cloned authenticator shows up.
    for row in state.store.passkeys(ceremony.user_id).await? {
        let mut passkey: Passkey = serde_json::from_str(&row.passkey_json)
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        if passkey.update_credential(&result) == Some(true) {
            let json =
                serde_json::to_string(&passkey).map_err(|e| ApiError::Internal(e.to_string()))?;
            state
                .store
                .update_passkey(&StoredPasskey {
                    passkey_json: json,
                    ..row
                })
                .await?;
        }
    }
    let user = state
        .store
        .user(ceremony.user_id)
        .await?
        .ok_or(ApiError::Unauthenticated("the user no longer exists"))?;
    login::finish(&state, &client, "passkey", &mini_app, granted, user.profile)
        .await
        .map(axum::Json)
}
