//! Login endpoints: one per way a person arrives from the platform. Each checks the request
//! before spending the single-use credential, asks the platform who it is, applies the
//! mini-app's rules, and starts a session.

use axum::extract::State;
use platform_api::{zlb::ResultCode, zzd};
use zhelikit_domain::api::{AuthCodeLogin, Problem, Session, TicketIdLogin, TicketLogin};
use zhelikit_domain::paths;

use crate::app::{App, AppState};
use crate::audit::{self, Event};
use crate::http::client::ClientAddr;
use crate::http::json::ApiJson;
use crate::http::problem::ApiError;
use crate::identity::limits::{self, Limited};
use crate::identity::platform::{LoginMethod, PlatformError};
use crate::identity::profile;
use crate::identity::session;
use crate::identity::{admission, users, IdentityError};
use crate::storage::{MiniApp, NewUser};
use zhelikit_domain::input;
use zhelikit_domain::problem_code::ProblemCode;

/// Loads the mini-app and works out the scopes, before anything is spent.
pub async fn prepare(
    app: &App,
    mini_app_id: &str,
    scopes: Option<&[String]>,
) -> Result<(MiniApp, Vec<String>), ApiError> {
    input::mini_app_id(mini_app_id)?;
    let mini_app = app
        .store
        .mini_app(mini_app_id)
        .await?
        .ok_or_else(|| IdentityError::UnknownMiniApp(mini_app_id.to_string()))?;
    let granted = admission::grant(&mini_app, scopes)?;
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
    if let Err(refused) = admission::admit(mini_app, &person) {
        let refused = ApiError::from(refused);
        record_outcome(app, client, method, &mini_app.id, Err(refused.code())).await;
        return Err(refused);
    }
    let rl = app.config.rate_limits;
    limits::check(
        app,
        Limited::Login,
        format!("login:user:{}:{}", person.kind.as_str(), person.subject),
        rl.login_per_user,
    )
    .await?;
    let user = app.store.upsert_user(&person).await?;
    users::remember(app, &user);
    let session = session::start(app, &user, mini_app, scopes).await?;
    record_outcome(app, client, method, &mini_app.id, Ok(user.id)).await;
    Ok(session)
}

/// The one login flow: check the request, load the mini-app and its platform registration,
/// redeem the credential with that registration (so a credential issued to another mini-app is
/// refused by the platform), admit, start the session; audit and count every refusal.
async fn login(
    app: &App,
    client: &str,
    method: LoginMethod,
    request: &impl LoginRequest,
) -> Result<Session, ApiError> {
    let (mini_app_id, scopes, credential) = (
        request.mini_app_id(),
        request.scopes(),
        request.credential(),
    );
    input::platform_credential(method.field(), credential)?;
    limits::login_by_client(app, client).await?;
    let (mini_app, granted) = prepare(app, mini_app_id, scopes).await?;
    let registration = app
        .config
        .platform
        .registrations
        .get(&mini_app.id)
        // Our configuration's fault (a mini-app stored by an earlier deployment, not in the
        // current `mini_apps`): logged as an internal error, not blamed on the platform.
        .ok_or_else(|| {
            ApiError::internal(format!(
                "mini-app {} has no platform registration configured",
                mini_app.id
            ))
        })?;
    let redeemed = app
        .platform
        .redeem(registration, method, credential)
        .await
        .and_then(|user| profile::compose(&app.personal_data, &user));
    let person = match redeemed {
        Ok(person) => person,
        Err(e) => {
            let refused = ApiError::from(refusal(e, method.field()));
            record_outcome(
                app,
                client,
                method.as_str(),
                &mini_app.id,
                Err(refused.code()),
            )
            .await;
            return Err(refused);
        }
    };
    finish(app, client, method.as_str(), &mini_app, granted, person).await
}

/// Audits and counts a login's outcome: the user it started a session for, or the code it was
/// refused with (the audit detail is the method for a success, the code for a refusal).
async fn record_outcome(
    app: &App,
    client: &str,
    method: &'static str,
    mini_app_id: &str,
    outcome: Result<uuid::Uuid, ProblemCode>,
) {
    let (event, user, detail, label) = match outcome {
        Ok(user) => (Event::Login, Some(user), method, "ok"),
        Err(code) => (Event::LoginFailed, None, code.as_str(), code.as_str()),
    };
    audit::record(app, event, user, Some(mini_app_id), client, detail).await;
    metrics::counter!("logins_total", "method" => method, "outcome" => label).increment(1);
}

/// What a client is told when the platform did not identify the user. Pure.
fn refusal(e: PlatformError, field: &'static str) -> IdentityError {
    use IdentityError::LoginRejected;
    match e {
        PlatformError::TicketRejected { code, .. } => match code {
            ResultCode::TicketExpired => LoginRejected(ProblemCode::TicketExpired),
            ResultCode::NotATicket => LoginRejected(ProblemCode::TicketInvalid),
            ResultCode::OtherApp => LoginRejected(ProblemCode::TicketOtherApp),
            ResultCode::BadFormat => IdentityError::CredentialMalformed {
                field,
                by_platform: true,
            },
            ResultCode::Ok | ResultCode::Other => LoginRejected(ProblemCode::TicketRejected),
        },
        PlatformError::AuthCodeRejected { code, message } => match code.as_str() {
            zzd::codes::AUTH_CODE_INVALID => LoginRejected(ProblemCode::AuthCodeInvalid),
            zzd::codes::AUTH_CODE_OTHER_APP => LoginRejected(ProblemCode::AuthCodeOtherApp),
            zzd::codes::PARAM_INVALID => IdentityError::CredentialMalformed {
                field,
                by_platform: true,
            },
            _ => {
                IdentityError::PlatformMisconfigured(format!("浙政钉 refused ({code}): {message}"))
            }
        },
        PlatformError::GatewayRefused { status, body } => {
            IdentityError::PlatformMisconfigured(format!("HTTP {status}: {body}"))
        }
        PlatformError::Unreachable(m) | PlatformError::Malformed(m) => {
            IdentityError::PlatformUnavailable(m)
        }
    }
}

/// A login request body: which mini-app, which scopes, and the credential.
trait LoginRequest {
    fn mini_app_id(&self) -> &str;
    fn scopes(&self) -> Option<&[String]>;
    fn credential(&self) -> &str;
}

macro_rules! login_request {
    ($($body:ty => $credential:ident),* $(,)?) => {$(
        impl LoginRequest for $body {
            fn mini_app_id(&self) -> &str {
                &self.mini_app_id
            }
            fn scopes(&self) -> Option<&[String]> {
                self.scopes.as_deref()
            }
            fn credential(&self) -> &str {
                &self.$credential
            }
        }
    )*};
}

login_request!(TicketLogin => ticket, TicketIdLogin => ticket_id, AuthCodeLogin => auth_code);

/// One endpoint per way of arriving, each the same thin call into [`login`]; only the OpenAPI
/// documentation differs.
macro_rules! login_endpoint {
    ($(#[$doc:meta])* $name:ident, $method:expr, $body:ty) => {
        $(#[$doc])*
        pub async fn $name(
            State(state): State<AppState>,
            ClientAddr(client): ClientAddr,
            ApiJson(body): ApiJson<$body>,
        ) -> Result<axum::Json<Session>, ApiError> {
            login(&state, &client, $method, &body).await.map(axum::Json)
        }
    };
}

login_endpoint!(
    /// Log in with a 浙里办 personal SSO ticket.
    #[utoipa::path(post, path = paths::ZLB_TICKET, tag = "identity", request_body = TicketLogin,
        responses((status = 200, body = Session),
            (status = 400, description = "malformed_body, invalid_field, unknown_mini_app, scope_not_allowed", body = Problem, content_type = "application/problem+json"),
            (status = 401, description = "ticket_expired, ticket_invalid, ticket_other_app", body = Problem, content_type = "application/problem+json"),
            (status = 403, description = "real_name_level_too_low, user_kind_not_allowed", body = Problem, content_type = "application/problem+json"),
            (status = 429, body = Problem, content_type = "application/problem+json"), (status = 503, body = Problem, content_type = "application/problem+json")))]
    zlb_ticket, LoginMethod::ZlbTicket, TicketLogin
);

login_endpoint!(
    /// Log in with a 浙里办 legal-person (enterprise) SSO ticket.
    #[utoipa::path(post, path = paths::ZLB_LEGAL_TICKET, tag = "identity", request_body = TicketLogin,
        responses((status = 200, body = Session), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
    zlb_legal_ticket, LoginMethod::ZlbLegalTicket, TicketLogin
);

login_endpoint!(
    /// Log in with the `ticketId` of the 浙里办 mini-program container.
    #[utoipa::path(post, path = paths::ZLB_TICKET_ID, tag = "identity", request_body = TicketIdLogin,
        responses((status = 200, body = Session), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
    zlb_ticket_id, LoginMethod::ZlbTicketId, TicketIdLogin
);

login_endpoint!(
    /// Log in an official with a 浙政钉 免登 auth code.
    #[utoipa::path(post, path = paths::ZZD_AUTH_CODE, tag = "identity", request_body = AuthCodeLogin,
        responses((status = 200, body = Session), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 401, description = "auth_code_invalid, auth_code_other_app", body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
    zzd_auth_code, LoginMethod::ZzdAuthCode, AuthCodeLogin
);
