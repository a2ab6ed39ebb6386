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

use crate::config::PlatformConfig;
use crate::identity::profile::{self, PersonalDataKeys};
use crate::infra::outbound;
use crate::storage::NewUser;

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

/// The four ways a person arrives from the platform, each redeemed with the registration of
/// the mini-app the person is logging in to.
#[async_trait]
pub trait Platform: Send + Sync + 'static {
    /// 浙里办 personal SSO ticket.
    async fn personal_ticket(
        &self,
        app: &AppRegistration,
        ticket: &str,
    ) -> Result<NewUser, PlatformError>;
    /// 浙里办 legal-person SSO ticket.
    async fn legal_person_ticket(
        &self,
        app: &AppRegistration,
        ticket: &str,
    ) -> Result<NewUser, PlatformError>;
    /// 浙里办 mini-program `ticketId`.
    async fn miniprogram_ticket_id(
        &self,
        app: &AppRegistration,
        ticket_id: &str,
    ) -> Result<NewUser, PlatformError>;
    /// 浙政钉 免登 auth code.
    async fn official_auth_code(
        &self,
        app: &AppRegistration,
        code: &str,
    ) -> Result<NewUser, PlatformError>;
}

/// [`Platform`] over HTTP, as deployed.
pub struct HttpPlatform {
    http: reqwest::Client,
    config: PlatformConfig,
    /// The 浙政钉 app token of each app key is valid 7200 s and `gettoken` is rate limited:
    /// cache it.
    zzd_tokens: Mutex<HashMap<String, (String, Instant)>>,
    /// Keys the pseudonymous part of legal-person subjects.
    personal_data: PersonalDataKeys,
}

impl HttpPlatform {
    /// A client for the configured platform.
    pub fn new(
        config: PlatformConfig,
        personal_data: PersonalDataKeys,
    ) -> Result<Self, PlatformError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .connect_timeout(Duration::from_secs(2))
            .build()
            .map_err(|e| PlatformError::Unreachable(e.without_url().to_string()))?;
        Ok(Self {
            http,
            config,
            zzd_tokens: Mutex::new(HashMap::new()),
            personal_data,
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
            .get(format!("{}{path}?{query}", self.config.zlb_base_url));
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
            .post(format!("{}{path}", self.config.zlb_base_url))
            .json(body);
        for (name, value) in irs::sign(&app.irs, "POST", path, "", Utc::now()) {
            request = request.header(name, value);
        }
        read_json(request.send().await).await
    }

    async fn zzd_call<T: DeserializeOwned>(
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
        let url = format!("{}{path}", self.config.zzd_base_url);
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

    async fn zzd_token(&self, app: &AppRegistration) -> Result<String, PlatformError> {
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
    async fn forget_zzd_token(&self, app: &AppRegistration) {
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

fn check_result(result: i32, errmsg: &str) -> Result<(), PlatformError> {
    match zlb::ResultCode::from_code(result) {
        zlb::ResultCode::Ok => Ok(()),
        code => Err(PlatformError::TicketRejected {
            code,
            message: errmsg.to_string(),
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

#[async_trait]
impl Platform for HttpPlatform {
    async fn personal_ticket(
        &self,
        app: &AppRegistration,
        ticket: &str,
    ) -> Result<NewUser, PlatformError> {
        let sc = app.service_code.as_str();
        let validation: zlb::TicketValidation = self
            .irs_get(
                app,
                zlb::PERSONAL_SSO_PATH,
                &[
                    ("method", "ticketValidation"),
                    ("servicecode", sc),
                    ("st", ticket),
                    ("datatype", "json"),
                ],
            )
            .await?;
        check_result(validation.result, &validation.errmsg)?;
        let info: zlb::PersonalUserInfo = self
            .irs_get(
                app,
                zlb::PERSONAL_SSO_PATH,
                &[
                    ("method", "getUserInfo"),
                    ("servicecode", sc),
                    ("token", &validation.token),
                    ("datatype", "json"),
                ],
            )
            .await?;
        check_result(info.result, &info.errmsg)?;
        profile::from_personal(&self.personal_data, &info)
    }

    async fn legal_person_ticket(
        &self,
        app: &AppRegistration,
        ticket: &str,
    ) -> Result<NewUser, PlatformError> {
        let sc = app.service_code.as_str();
        let validation: zlb::TicketValidation = self
            .irs_get(
                app,
                zlb::LEGAL_PERSON_SSO_PATH,
                &[
                    ("method", "ticketValidation"),
                    ("servicecode", sc),
                    ("st", ticket),
                    ("datatype", "json"),
                ],
            )
            .await?;
        check_result(validation.result, &validation.errmsg)?;
        let info: zlb::LegalPersonUserInfo = self
            .irs_get(
                app,
                zlb::LEGAL_PERSON_SSO_PATH,
                &[
                    ("method", "getUserInfo"),
                    ("servicecode", sc),
                    ("token", &validation.token),
                    ("datatype", "json"),
                ],
            )
            .await?;
        check_result(info.result, &info.errmsg)?;
        profile::from_legal_person(&self.personal_data, &info)
    }

    async fn miniprogram_ticket_id(
        &self,
        app: &AppRegistration,
        ticket_id: &str,
    ) -> Result<NewUser, PlatformError> {
        let request = zlb::AccessTokenRequest {
            ticket_id: ticket_id.to_string(),
            app_id: app.miniprogram_app_id.clone(),
        };
        let token = check_envelope::<zlb::AccessTokenData>(
            self.irs_post(app, zlb::MINIPROGRAM_ACCESS_TOKEN_PATH, &request)
                .await?,
        )?;
        let user = check_envelope::<zlb::MiniProgramUser>(
            self.irs_post(
                app,
                zlb::MINIPROGRAM_USER_INFO_PATH,
                &zlb::UserInfoRequest {
                    token: token.access_token,
                },
            )
            .await?,
        )?;
        profile::from_miniprogram(&self.personal_data, &user)
    }

    async fn official_auth_code(
        &self,
        app: &AppRegistration,
        code: &str,
    ) -> Result<NewUser, PlatformError> {
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
        let organisation: zzd::Organization = self
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
        Ok(profile::from_official(&user, &organisation))
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
