//! Login endpoints: one per way a person arrives from the platform. Each checks the request
//! before spending the single-use credential, asks the platform who it is, applies the
//! mini-app's rules, and starts a session.

use axum::extract::State;
use platform_api::{zlb::ResultCode, zzd};
use zhelikit_domain::api::{AuthCodeLogin, Problem, Session, TicketIdLogin, TicketLogin};

use crate::app::{App, AppState};
use crate::audit::{self, Event};
use crate::http::client::ClientAddr;
use crate::http::json::ApiJson;
use crate::http::problem::ApiError;
use crate::identity::platform::{Platform, PlatformError};
use crate::identity::session;
use crate::miniapps;
use crate::storage::{MiniApp, NewUser};
use platform_api::registration::AppRegistration;
use zhelikit_domain::problem_code::ProblemCode;

/// The way a person logged in, for the audit log and metrics.
#[derive(Debug, Clone, Copy)]
enum Method {
    ZlbTicket,
    ZlbLegalTicket,
    ZlbTicketId,
    ZzdAuthCode,
}

impl Method {
    fn name(self) -> &'static str {
        match self {
            Self::ZlbTicket => "zlb_ticket",
            Self::ZlbLegalTicket => "zlb_legal_ticket",
            Self::ZlbTicketId => "zlb_ticket_id",
            Self::ZzdAuthCode => "zzd_auth_code",
        }
    }

    /// The request field that carries the credential.
    fn field(self) -> &'static str {
        match self {
            Self::ZlbTicket | Self::ZlbLegalTicket => "ticket",
            Self::ZlbTicketId => "ticket_id",
            Self::ZzdAuthCode => "auth_code",
        }
    }

    /// Asks the platform who `credential` identifies, as the mini-app registered as `app`.
    async fn redeem(
        self,
        platform: &dyn Platform,
        app: &AppRegistration,
        credential: &str,
    ) -> Result<NewUser, PlatformError> {
        match self {
            Self::ZlbTicket => platform.personal_ticket(app, credential).await,
            Self::ZlbLegalTicket => platform.legal_person_ticket(app, credential).await,
            Self::ZlbTicketId => platform.miniprogram_ticket_id(app, credential).await,
            Self::ZzdAuthCode => platform.official_auth_code(app, credential).await,
        }
    }
}

/// A credential is a short printable token; anything else is refused before the platform sees it.
fn check_credential(field: &'static str, value: &str) -> Result<(), ApiError> {
    if value.is_empty() || value.len() > 256 || !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::InvalidField {
            field,
            reason: "must be the 1–256 printable characters the platform issued".into(),
        });
    }
    Ok(())
}

/// Counts a login attempt (of any method, passkeys included) against the client's quota.
pub async fn limit_client(app: &App, client: &str) -> Result<(), ApiError> {
    session::limit(
        app,
        "login",
        format!("login:client:{}", crate::http::client::limit_key(client)),
        app.config.rate_limits.login_per_client,
    )
    .await
}

/// Loads the mini-app and works out the scopes, before anything is spent.
pub async fn prepare(
    app: &App,
    mini_app_id: &str,
    scopes: Option<&[String]>,
) -> Result<(MiniApp, Vec<String>), ApiError> {
    if mini_app_id.is_empty() || mini_app_id.len() > 64 {
        return Err(ApiError::InvalidField {
            field: "mini_app_id",
            reason: "must be a registered mini-app id".into(),
        });
    }
    let mini_app = app
        .store
        .mini_app(mini_app_id)
        .await?
        .ok_or_else(|| ApiError::UnknownMiniApp(mini_app_id.to_string()))?;
    let granted = miniapps::grant(&mini_app, scopes)?;
    Ok((mini_app, granted))
}

/// Admits an identified person to the mini-app and starts the session; audits either way.
pub async fn finish(
    app: &App,
    client: &str,
    method: &'static str,
    mini_app: &MiniApp,
    scopes: Vec<String>,
    person: NewUser,
) -> Result<Session, ApiError> {
    if let Err(refused) = miniapps::admit(mini_app, &person) {
        record_refusal(app, client, method, &mini_app.id, &refused).await;
        return Err(refused);
    }
    let rl = app.config.rate_limits;
    session::limit(
        app,
        "login",
        format!("login:user:{}:{}", person.kind.as_str(), person.subject),
        rl.login_per_user,
    )
    .await?;
    let user = app.store.upsert_user(&person).await?;
    // What the platform just said is the freshest profile there is.
    app.profiles.insert(
        user.id,
        std::sync::Arc::new(user.clone()),
        crate::app::PROFILE_TTL,
    );
    let session = session::start(app, &user, mini_app, scopes).await?;
    audit::record(
        app,
        Event::Login,
        Some(user.id),
        Some(&mini_app.id),
        client,
        method,
    )
    .await;
    metrics::counter!("logins_total", "method" => method, "outcome" => "ok").increment(1);
    Ok(session)
}

/// The one login flow: check the request, load the mini-app and its platform registration,
/// redeem the credential with that registration (so a credential issued to another mini-app is
/// refused by the platform), admit, start the session; audit and count every refusal.
async fn login(
    app: &App,
    client: &str,
    method: Method,
    mini_app_id: &str,
    scopes: Option<&[String]>,
    credential: &str,
) -> Result<Session, ApiError> {
    check_credential(method.field(), credential)?;
    limit_client(app, client).await?;
    let (mini_app, granted) = prepare(app, mini_app_id, scopes).await?;
    let registration = app
        .config
        .platform
        .registrations
        .get(&mini_app.id)
        // Our configuration's fault (a mini-app stored by an earlier deployment, not in the
        // current `mini_apps`): logged as an internal error, not blamed on the platform.
        .ok_or_else(|| {
            ApiError::Internal(format!(
                "mini-app {} has no platform registration configured",
                mini_app.id
            ))
        })?;
    let person = match method
        .redeem(app.platform.as_ref(), registration, credential)
        .await
    {
        Ok(person) => person,
        Err(e) => {
            let refused = refusal(e);
            record_refusal(app, client, method.name(), &mini_app.id, &refused).await;
            return Err(refused);
        }
    };
    finish(app, client, method.name(), &mini_app, granted, person).await
}

/// Audits and counts a refused login.
async fn record_refusal(
    app: &App,
    client: &str,
    method: &'static str,
    mini_app_id: &str,
    refused: &ApiError,
) {
    audit::record(
        app,
        Event::LoginFailed,
        None,
        Some(mini_app_id),
        client,
        refused.code(),
    )
    .await;
    metrics::counter!("logins_total", "method" => method, "outcome" => refused.code()).increment(1);
}

/// What a client is told when the platform did not identify the user.
fn refusal(e: PlatformError) -> ApiError {
    let rejected = |code: ProblemCode, detail: &str| ApiError::LoginRejected {
        code,
        detail: detail.to_string(),
    };
    match e {
        PlatformError::TicketRejected { code, .. } => match code {
            ResultCode::TicketExpired => rejected(
                ProblemCode::TicketExpired,
                "the ticket has expired or was already used; start the login again",
            ),
            ResultCode::NotATicket => rejected(
                ProblemCode::TicketInvalid,
                "the platform did not issue this ticket",
            ),
            ResultCode::OtherApp => rejected(
                ProblemCode::TicketOtherApp,
                "the ticket was issued to another application",
            ),
            ResultCode::BadFormat => ApiError::InvalidField {
                field: "ticket",
                reason: "the platform says the ticket is malformed".into(),
            },
            ResultCode::Ok | ResultCode::Other => rejected(
                ProblemCode::TicketRejected,
                "the platform refused the ticket",
            ),
        },
        PlatformError::AuthCodeRejected { code, message } => match code.as_str() {
            zzd::codes::AUTH_CODE_INVALID => rejected(
                ProblemCode::AuthCodeInvalid,
                "the auth code has expired, was already used or was never issued",
            ),
            zzd::codes::AUTH_CODE_OTHER_APP => rejected(
                ProblemCode::AuthCodeOtherApp,
                "the auth code was issued to another application",
            ),
            zzd::codes::PARAM_INVALID => ApiError::InvalidField {
                field: "auth_code",
                reason: "the platform says the auth code is malformed".into(),
            },
            _ => ApiError::PlatformMisconfigured(format!("浙政钉 refused ({code}): {message}")),
        },
        PlatformError::GatewayRefused { status, body } => {
            ApiError::PlatformMisconfigured(format!("HTTP {status}: {body}"))
        }
        PlatformError::Unreachable(m) | PlatformError::Malformed(m) => {
            ApiError::PlatformUnavailable(m)
        }
    }
}

/// Log in with a 浙里办 personal SSO ticket.
#[utoipa::path(post, path = "/v1/auth/zlb/ticket", tag = "identity", request_body = TicketLogin,
    responses((status = 200, body = Session),
        (status = 400, description = "malformed_body, invalid_field, unknown_mini_app, scope_not_allowed", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "ticket_expired, ticket_invalid, ticket_other_app", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "real_name_level_too_low, user_kind_not_allowed", body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"), (status = 503, body = Problem, content_type = "application/problem+json")))]
pub async fn zlb_ticket(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(body): ApiJson<TicketLogin>,
) -> Result<axum::Json<Session>, ApiError> {
    login(
        &state,
        &client,
        Method::ZlbTicket,
        &body.mini_app_id,
        body.scopes.as_deref(),
        &body.ticket,
    )
    .await
    .map(axum::Json)
}

/// Log in with a 浙里办 legal-person (enterprise) SSO ticket.
#[utoipa::path(post, path = "/v1/auth/zlb/legal-ticket", tag = "identity", request_body = TicketLogin,
    responses((status = 200, body = Session), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn zlb_legal_ticket(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(body): ApiJson<TicketLogin>,
) -> Result<axum::Json<Session>, ApiError> {
    login(
        &state,
        &client,
        Method::ZlbLegalTicket,
        &body.mini_app_id,
        body.scopes.as_deref(),
        &body.ticket,
    )
    .await
    .map(axum::Json)
}

/// Log in with the `ticketId` of the 浙里办 mini-program container.
#[utoipa::path(post, path = "/v1/auth/zlb/ticket-id", tag = "identity", request_body = TicketIdLogin,
    responses((status = 200, body = Session), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn zlb_ticket_id(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(body): ApiJson<TicketIdLogin>,
) -> Result<axum::Json<Session>, ApiError> {
    login(
        &state,
        &client,
        Method::ZlbTicketId,
        &body.mini_app_id,
        body.scopes.as_deref(),
        &body.ticket_id,
    )
    .await
    .map(axum::Json)
}

/// Log in an official with a 浙政钉 免登 auth code.
#[utoipa::path(post, path = "/v1/auth/zzd/auth-code", tag = "identity", request_body = AuthCodeLogin,
    responses((status = 200, body = Session), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 401, description = "auth_code_invalid, auth_code_other_app", body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn zzd_auth_code(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(body): ApiJson<AuthCodeLogin>,
) -> Result<axum::Json<Session>, ApiError> {
    login(
        &state,
        &client,
        Method::ZzdAuthCode,
        &body.mini_app_id,
        body.scopes.as_deref(),
        &body.auth_code,
    )
    .await
    .map(axum::Json)
}
