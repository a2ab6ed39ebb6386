//! The BFF as a client of 浙里办 and 浙政钉: exchanges a login credential for the person it
//! identifies. Every call is signed for its gateway. Login credentials are single-use, so no
//! call here is ever retried.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::Utc;
use std::collections::HashMap;

use platform_api::registration::AppRegistration;
use platform_api::{dingtalk_sign, irs, zlb, zzd};
use serde::de::DeserializeOwned;
use tokio::sync::Mutex;

use crate::infra::outbound;

/// Why the platform did not identify a user.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlatformError {
    /// 浙里办 refused the ticket or ticketId.
    #[error("ticket refused ({code:?}): {message}")]
    TicketRejected {
        code: zlb::ResultCode,
        message: String,
    },
    /// 浙政钉 refused the auth code.
    #[error("auth code refused ({code}): {message}")]
    AuthCodeRejected { code: String, message: String },
    /// The gateway refused the BFF's own credentials or signature.
    #[error("gateway refused our request with HTTP {status}: {body}")]
    GatewayRefused { status: u16, body: String },
    /// No answer (connection refused, timeout).
    #[error("platform unreachable: {0}")]
    Unreachable(String),
    /// An answer we could not understand.
    #[error("unexpected platform answer: {0}")]
    Malformed(String),
}

/// How the BFF reaches 浙里办 / 浙政钉 and who it is there.
#[derive(Debug, Clone)]
pub struct PlatformSettings {
    /// Base URL of the 浙里办 IRS gateway (the mock in development).
    pub zlb_base_url: String,
    /// Base URL of the 浙政钉 open platform.
    pub zzd_base_url: String,
    /// The BFF's own registration (the base of the demo mini-apps' registrations).
    pub own: AppRegistration,
    /// Each mini-app's own registration at the platforms, by mini-app id: its logins are
    /// redeemed with it, so a credential issued to one mini-app never opens another.
    pub registrations: HashMap<String, AppRegistration>,
}

/// The four ways a person arrives from the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginMethod {
    /// 浙里办 personal SSO `ticket` (个人用户单点登录).
    ZlbTicket,
    /// 浙里办 legal-person SSO `ticket` (法人用户单点登录).
    ZlbLegalTicket,
    /// 浙里办 mini-program `ticketId`.
    ZlbTicketId,
    /// 浙政钉 免登 auth code.
    ZzdAuthCode,
}

impl LoginMethod {
    /// The name in the audit log and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ZlbTicket => "zlb_ticket",
            Self::ZlbLegalTicket => "zlb_legal_ticket",
            Self::ZlbTicketId => "zlb_ticket_id",
            Self::ZzdAuthCode => "zzd_auth_code",
        }
    }

    /// The request field that carries the credential.
    pub fn field(self) -> &'static str {
        match self {
            Self::ZlbTicket | Self::ZlbLegalTicket => "ticket",
            Self::ZlbTicketId => "ticket_id",
            Self::ZzdAuthCode => "auth_code",
        }
    }
}

/// The person a credential identifies, as the platform described them. The login flow turns
/// it into the stored user (`identity::profile`), minimised and masked.
#[derive(Debug, Clone, PartialEq)]
pub enum PlatformUser {
    /// A 浙里办 personal user.
    Personal(zlb::PersonalUserInfo),
    /// A 浙里办 legal-person (enterprise) user.
    LegalPerson(zlb::LegalPersonUserInfo),
    /// A user of the 浙里办 mini-program container (personal or legal person).
    MiniProgram(zlb::MiniProgramUser),
    /// A 浙政钉 official and the organisation of their main post.
    Official {
        /// Who they are.
        user: zzd::AppUser,
        /// Where they work.
        organisation: zzd::Organisation,
    },
}

/// 浙里办 and 浙政钉 as the BFF uses them: redeem a login credential, as the mini-app registered
/// as `app`, for the person it identifies.
#[async_trait]
pub trait PlatformClient: Send + Sync + 'static {
    /// Asks the platform who `credential` (of `method`) identifies.
    async fn redeem(
        &self,
        app: &AppRegistration,
        method: LoginMethod,
        credential: &str,
    ) -> Result<PlatformUser, PlatformError>;
}

/// [`PlatformClient`] over HTTP, as deployed.
pub struct HttpPlatformClient {
    http: reqwest::Client,
    settings: PlatformSettings,
    /// The 浙政钉 app token of each app key is valid 7200 s and `gettoken` is rate limited:
    /// cache it.
    zzd_tokens: Mutex<HashMap<String, (String, Instant)>>,
}

impl HttpPlatformClient {
    /// A client for the configured platform.
    pub fn new(settings: PlatformSettings) -> Result<Self, PlatformError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .connect_timeout(Duration::from_secs(2))
            .build()
            .map_err(|e| PlatformError::Unreachable(e.without_url().to_string()))?;
        Ok(Self {
            http,
            settings,
            zzd_tokens: Mutex::new(HashMap::new()),
        })
    }

    async fn irs_get<T: DeserializeOwned>(
        &self,
        app: &AppRegistration,
        path: &str,
        params: &[(&str, &str)],
    ) -> Result<T, PlatformError> {
        let query = serde_urlencoded::to_string(params)
            .map_err(|e| PlatformError::Malformed(e.to_string()))?;
        let mut request = self
            .http
            .get(format!("{}{path}?{query}", self.settings.zlb_base_url));
        for (name, value) in irs::sign(&app.irs, "GET", path, &query, Utc::now()) {
            request = request.header(name, value);
        }
        read_json(request.send().await).await
    }

    async fn irs_post<T: DeserializeOwned>(
        &self,
        app: &AppRegistration,
        path: &str,
        body: &impl serde::Serialize,
    ) -> Result<T, PlatformError> {
        let mut request = self
            .http
            .post(format!("{}{path}", self.settings.zlb_base_url))
            .json(body);
        for (name, value) in irs::sign(&app.irs, "POST", path, "", Utc::now()) {
            request = request.header(name, value);
        }
        read_json(request.send().await).await
    }

    /// One signed 浙政钉 call; an API-level refusal is [`PlatformError::AuthCodeRejected`]
    /// with the platform's code.
    pub(crate) async fn zzd_call<T: DeserializeOwned>(
        &self,
        app: &AppRegistration,
        method: &str,
        path: &str,
        params: &[(&str, &str)],
    ) -> Result<T, PlatformError> {
        let encoded = serde_urlencoded::to_string(params)
            .map_err(|e| PlatformError::Malformed(e.to_string()))?;
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let headers = dingtalk_sign::sign(&app.zzd, method, path, &encoded, &nonce, Utc::now());
        let url = format!("{}{path}", self.settings.zzd_base_url);
        let mut request = if method == "GET" {
            self.http.get(format!("{url}?{encoded}"))
        } else {
            self.http
                .post(url)
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(encoded)
        };
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let answer: zzd::Response<T> = read_json(request.send().await).await?;
        match answer.content.data {
            Some(data) if answer.success && answer.content.success => Ok(data),
            _ => Err(PlatformError::AuthCodeRejected {
                code: answer.content.response_code,
                message: answer.content.response_message,
            }),
        }
    }

    /// `app`'s 浙政钉 app token, cached until a minute before it expires.
    pub(crate) async fn zzd_token(&self, app: &AppRegistration) -> Result<String, PlatformError> {
        let mut cached = self.zzd_tokens.lock().await;
        if let Some((token, until)) = cached.get(&app.zzd.app_key) {
            if Instant::now() < *until {
                return Ok(token.clone());
            }
        }
        let creds = &app.zzd;
        let token: zzd::AppToken = self
            .zzd_call(
                app,
                "GET",
                zzd::GET_TOKEN_PATH,
                &[("appkey", &creds.app_key), ("appsecret", &creds.app_secret)],
            )
            .await?;
        // Renew a minute early so a token never expires between check and use.
        let life = Duration::from_secs(u64::try_from(token.expires_in - 60).unwrap_or(0));
        cached.insert(
            app.zzd.app_key.clone(),
            (token.access_token.clone(), Instant::now() + life),
        );
        Ok(token.access_token)
    }

    /// Forgets `app`'s cached 浙政钉 token (the platform ended it early).
    pub(crate) async fn forget_zzd_token(&self, app: &AppRegistration) {
        self.zzd_tokens.lock().await.remove(&app.zzd.app_key);
    }
}

async fn read_json<T: DeserializeOwned>(
    sent: reqwest::Result<reqwest::Response>,
) -> Result<T, PlatformError> {
    // Without the URL: its query carries tickets, platform tokens and, for gettoken, the secret.
    let response = sent.map_err(|e| PlatformError::Unreachable(e.without_url().to_string()))?;
    let status = response.status();
    let body = outbound::read_capped(response).await.map_err(|e| match e {
        outbound::ReadError::Cut(why) => PlatformError::Unreachable(why),
        outbound::ReadError::TooLarge => PlatformError::Malformed(e.to_string()),
    })?;
    if status == reqwest::StatusCode::UNAUTHORIZED
        || status == reqwest::StatusCode::FORBIDDEN
        || status == reqwest::StatusCode::BAD_REQUEST
    {
        return Err(PlatformError::GatewayRefused {
            status: status.as_u16(),
            // The gateway's own refusal (a signature or key problem), for the operator.
            body: String::from_utf8_lossy(&body).chars().take(300).collect(),
        });
    }
    if !status.is_success() {
        return Err(PlatformError::Unreachable(format!("HTTP {status}")));
    }
    // The answer carries personal data: the error names the field, never its value.
    serde_json::from_slice(&body)
        .map_err(|e| PlatformError::Malformed(outbound::describe_json_error(&e)))
}

fn check_result(answer: &impl zlb::SsoAnswer) -> Result<(), PlatformError> {
    match zlb::ResultCode::from_code(answer.result()) {
        zlb::ResultCode::Ok => Ok(()),
        code => Err(PlatformError::TicketRejected {
            code,
            message: answer.errmsg().to_string(),
        }),
    }
}

fn check_envelope<T>(envelope: zlb::Envelope<T>) -> Result<T, PlatformError> {
    match envelope.data {
        Some(data) if envelope.success => Ok(data),
        _ => {
            let code = envelope
                .error_code
                .as_deref()
                .and_then(|c| c.parse().ok())
                .unwrap_or(6099);
            Err(PlatformError::TicketRejected {
                code: zlb::ResultCode::from_code(code),
                message: envelope.error_msg.unwrap_or_default(),
            })
        }
    }
}

impl HttpPlatformClient {
    /// 浙里办 SSO (personal or legal person, by `path`): validate the ticket, then read the
    /// user with the token it gave.
    async fn sso<T: DeserializeOwned + zlb::SsoAnswer>(
        &self,
        app: &AppRegistration,
        path: &str,
        ticket: &str,
    ) -> Result<T, PlatformError> {
        let validation: zlb::TicketValidation = self
            .sso_step(app, path, "ticketValidation", ("st", ticket))
            .await?;
        check_result(&validation)?;
        let info: T = self
            .sso_step(app, path, "getUserInfo", ("token", &validation.token))
            .await?;
        check_result(&info)?;
        Ok(info)
    }

    /// One SSO call: `method` with the service code and one credential parameter.
    async fn sso_step<T: DeserializeOwned>(
        &self,
        app: &AppRegistration,
        path: &str,
        method: &str,
        (key, value): (&str, &str),
    ) -> Result<T, PlatformError> {
        let params = [
            ("method", method),
            ("servicecode", app.service_code.as_str()),
            (key, value),
            ("datatype", "json"),
        ];
        self.irs_get(app, path, &params).await
    }

    async fn miniprogram_ticket_id(
        &self,
        app: &AppRegistration,
        ticket_id: &str,
    ) -> Result<zlb::MiniProgramUser, PlatformError> {
        let request = zlb::AccessTokenRequest {
            ticket_id: ticket_id.to_string(),
            app_id: app.miniprogram_app_id.clone(),
        };
        let token = check_envelope::<zlb::AccessTokenData>(
            self.irs_post(app, zlb::MINIPROGRAM_ACCESS_TOKEN_PATH, &request)
                .await?,
        )?;
        check_envelope::<zlb::MiniProgramUser>(
            self.irs_post(
                app,
                zlb::MINIPROGRAM_USER_INFO_PATH,
                &zlb::UserInfoRequest {
                    token: token.access_token,
                },
            )
            .await?,
        )
    }

    async fn official_auth_code(
        &self,
        app: &AppRegistration,
        code: &str,
    ) -> Result<PlatformUser, PlatformError> {
        let mut token = self.zzd_token(app).await?;
        let by_code = |token: String| async move {
            self.zzd_call::<zzd::AppUser>(
                app,
                "POST",
                zzd::USER_BY_CODE_PATH,
                &[("access_token", &token), ("auth_code", code)],
            )
            .await
        };
        let user = match by_code(token.clone()).await {
            // The platform ended our app token early (rotation, a clock jump): the code was not
            // looked at, so one retry with a fresh token is safe.
            Err(PlatformError::AuthCodeRejected { code: c, .. })
                if c == zzd::codes::ACCESS_TOKEN_INVALID =>
            {
                self.forget_zzd_token(app).await;
                token = self.zzd_token(app).await?;
                by_code(token.clone()).await?
            }
            other => other?,
        };
        let tenant = user.realm_id.to_string();
        let employee: zzd::Employee = self
            .zzd_call(
                app,
                "POST",
                zzd::EMPLOYEE_BY_CODE_PATH,
                &[
                    ("access_token", &token),
                    ("tenantId", &tenant),
                    ("employeeCode", &user.employee_code),
                ],
            )
            .await
            .map_err(as_lookup_failure)?;
        let position = employee
            .positions
            .iter()
            .find(|p| p.main_job)
            .or_else(|| employee.positions.first())
            .ok_or_else(|| {
                PlatformError::Malformed(format!(
                    "employee {} holds no position",
                    user.employee_code
                ))
            })?;
        let organisation: zzd::Organisation = self
            .zzd_call(
                app,
                "POST",
                zzd::ORGANIZATION_BY_CODE_PATH,
                &[
                    ("access_token", &token),
                    ("tenantId", &tenant),
                    ("organizationCode", &position.organization_code),
                ],
            )
            .await
            .map_err(as_lookup_failure)?;
        Ok(PlatformUser::Official { user, organisation })
    }
}

#[async_trait]
impl PlatformClient for HttpPlatformClient {
    async fn redeem(
        &self,
        app: &AppRegistration,
        method: LoginMethod,
        credential: &str,
    ) -> Result<PlatformUser, PlatformError> {
        match method {
            LoginMethod::ZlbTicket => self
                .sso(app, zlb::PERSONAL_SSO_PATH, credential)
                .await
                .map(PlatformUser::Personal),
            LoginMethod::ZlbLegalTicket => self
                .sso(app, zlb::LEGAL_PERSON_SSO_PATH, credential)
                .await
                .map(PlatformUser::LegalPerson),
            LoginMethod::ZlbTicketId => self
                .miniprogram_ticket_id(app, credential)
                .await
                .map(PlatformUser::MiniProgram),
            LoginMethod::ZzdAuthCode => self.official_auth_code(app, credential).await,
        }
    }
}

/// After the code was accepted, a refusal of an organisation lookup is not the user's fault.
fn as_lookup_failure(e: PlatformError) -> PlatformError {
    match e {
        PlatformError::AuthCodeRejected { code, message } => {
            PlatformError::Malformed(format!("organisation lookup refused ({code}): {message}"))
        }
        other => other,
    }
}
