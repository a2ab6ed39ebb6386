//! Identity inside the app: log a user in (浙里办 ticket or ticketId, 浙政钉 auth code,
//! passkey), read who they are, log out.

use std::sync::Arc;
use zhelikit_domain::{input, paths};

use zhelikit_domain::api::{
    self, AuthCodeLogin, LogoutAll, Me, PasskeyChallenge as WireChallenge, PasskeyFinish,
    PasskeyList, PasskeyLoginStart, PasskeyRegistered, PasskeyRename, Session, TicketIdLogin,
    TicketLogin,
};

use crate::client::Shared;
use crate::error::{Error, Result, SdkError};
use crate::host::SessionListener;
use crate::passkey;
use crate::task::TaskHandle;

/// One of the user's passkeys, as [`IdentityClient::list_passkeys`] shows them (no key
/// material): for a "your passkeys" screen where the user renames or deletes them.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PasskeyInfo {
    /// The credential id (base64url): what rename and delete take.
    pub credential_id: String,
    /// The name the user gave it (or the default, 通行密钥 N and its date).
    pub name: String,
    /// When it was registered, milliseconds since the epoch.
    pub created_at_ms: i64,
    /// When it last started a session, milliseconds since the epoch; `None` if never.
    pub last_used_at_ms: Option<i64>,
}

impl From<api::PasskeyInfo> for PasskeyInfo {
    fn from(p: api::PasskeyInfo) -> Self {
        Self {
            credential_id: p.credential_id,
            name: p.name,
            created_at_ms: p.created_at_ms,
            last_used_at_ms: p.last_used_at_ms,
        }
    }
}

/// Who a user is to ZheliKit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum UserKind {
    /// A natural person (个人), from 浙里办.
    Citizen,
    /// Someone acting for an enterprise (法人), from 浙里办.
    LegalPerson,
    /// A civil servant (公务员), from 浙政钉.
    Official,
}

/// The enterprise a legal-person user acts for.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Enterprise {
    /// Registered name.
    pub name: String,
    /// Unified social credit code (统一社会信用代码).
    pub uscc: String,
    /// Legal representative, name masked.
    pub legal_representative: String,
}

/// Where an official works.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Official {
    /// 浙政钉 organisation code.
    pub organisation_code: String,
    /// Organisation name.
    pub organisation_name: String,
    /// Employee code.
    pub employee_code: String,
}

/// The logged-in user. Personal numbers come masked; the SDK never holds them in full.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CurrentUser {
    /// Pseudonymous ZheliKit user id: stable per person, safe to store and to log.
    pub user_id: String,
    /// Citizen, legal person or official.
    pub kind: UserKind,
    /// Name for greeting.
    pub display_name: String,
    /// 浙里办 real-name level: 1 not verified, 2 basic, 3 advanced (officials: 3).
    pub real_name_level: u8,
    /// Masked resident ID number, e.g. `330302********1234`.
    pub id_number_masked: Option<String>,
    /// Masked mobile number, e.g. `138****5678`.
    pub phone_masked: Option<String>,
    /// Set for legal persons.
    pub enterprise: Option<Enterprise>,
    /// Set for officials.
    pub official: Option<Official>,
    /// Scopes granted to this mini-app.
    pub scopes: Vec<String>,
}

impl From<Me> for CurrentUser {
    fn from(me: Me) -> Self {
        Self {
            user_id: me.user_id,
            kind: match me.kind {
                api::UserKind::Citizen => UserKind::Citizen,
                api::UserKind::LegalPerson => UserKind::LegalPerson,
                api::UserKind::Official => UserKind::Official,
            },
            display_name: me.display_name,
            real_name_level: me.real_name_level,
            id_number_masked: me.id_number_masked,
            phone_masked: me.phone_masked,
            enterprise: me.enterprise.map(|e| Enterprise {
                name: e.name,
                uscc: e.uscc,
                legal_representative: e.legal_representative,
            }),
            official: me.official.map(|o| Official {
                organisation_code: o.organisation_code,
                organisation_name: o.organisation_name,
                employee_code: o.employee_code,
            }),
            scopes: me.scopes,
        }
    }
}

/// A WebAuthn challenge to hand to the platform authenticator.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PasskeyChallenge {
    /// Pass back to the matching `finish_…` call.
    pub ceremony_id: String,
    /// The whole options document `{"publicKey": …}`: for browsers, WebViews and iOS.
    pub options_json: String,
    /// The inner `publicKey` object: for Android's `CreatePublicKeyCredentialRequest` /
    /// `GetPublicKeyCredentialOption`.
    pub android_request_json: String,
}

impl PasskeyChallenge {
    fn from_wire(wire: WireChallenge) -> Result<Self> {
        Ok(Self {
            ceremony_id: wire.ceremony_id,
            android_request_json: passkey::android_request(&wire.options)?,
            options_json: wire.options.to_string(),
        })
    }
}

/// Identity operations of a [`crate::ZheliKitClient`]. Obtain it with `client.identity()`.
#[derive(uniffi::Object)]
pub struct IdentityClient {
    shared: Arc<Shared>,
}

impl IdentityClient {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    async fn login<B: serde::Serialize + Send + Sync + 'static>(
        &self,
        path: &'static str,
        body: B,
    ) -> Result<CurrentUser, SdkError> {
        let shared = self.shared.clone();
        let work = async move {
            let wire: Session = shared.bff.post(path, &body, None).await?;
            Ok(CurrentUser::from(shared.session.begin(wire).await?))
        };
        Ok(self.shared.runtime.run(work).await?)
    }

    fn scopes(&self) -> Option<Vec<String>> {
        self.shared.config.scopes.clone()
    }
}

#[uniffi::export]
impl IdentityClient {
    /// Logs in with the `ticket` that 浙里办 personal SSO appended to the mini-app's callback
    /// URL. Tickets are single use and expire after 5 minutes.
    ///
    /// Errors: `LoginRejected` (`ticket_expired`, `ticket_invalid`, `ticket_other_app`),
    /// `RealNameLevelTooLow`, `InvalidInput`, `Offline`.
    pub async fn login_with_ticket(&self, ticket: String) -> Result<CurrentUser, SdkError> {
        input::platform_credential("ticket", &ticket)?;
        let body = TicketLogin {
            mini_app_id: self.shared.config.mini_app_id.clone(),
            ticket,
            scopes: self.scopes(),
        };
        self.login(paths::ZLB_TICKET, body).await
    }

    /// Logs in with a 浙里办 legal-person (enterprise) SSO ticket.
    pub async fn login_with_legal_person_ticket(
        &self,
        ticket: String,
    ) -> Result<CurrentUser, SdkError> {
        input::platform_credential("ticket", &ticket)?;
        let body = TicketLogin {
            mini_app_id: self.shared.config.mini_app_id.clone(),
            ticket,
            scopes: self.scopes(),
        };
        self.login(paths::ZLB_LEGAL_TICKET, body).await
    }

    /// Logs in with the `ticketId` from `ZWJSBridge.ssoTicket()` (mini-program container).
    /// An empty `ticketId` means the container wants the page reloaded
    /// (`ZWJSBridge.openLink({type: 'reload'})`); this call refuses it as `InvalidInput`.
    pub async fn login_with_ticket_id(&self, ticket_id: String) -> Result<CurrentUser, SdkError> {
        input::platform_credential("ticket_id", &ticket_id)?;
        let body = TicketIdLogin {
            mini_app_id: self.shared.config.mini_app_id.clone(),
            ticket_id,
            scopes: self.scopes(),
        };
        self.login(paths::ZLB_TICKET_ID, body).await
    }

    /// Logs an official in with the 免登 auth code from `getAuthCode` (浙政钉, `gdt-jsapi`).
    pub async fn login_with_auth_code(&self, auth_code: String) -> Result<CurrentUser, SdkError> {
        input::platform_credential("auth_code", &auth_code)?;
        let body = AuthCodeLogin {
            mini_app_id: self.shared.config.mini_app_id.clone(),
            auth_code,
            scopes: self.scopes(),
        };
        self.login(paths::ZZD_AUTH_CODE, body).await
    }

    /// True when a session is stored (it may still turn out to be expired on the next call).
    pub fn is_logged_in(&self) -> bool {
        self.shared.session.is_logged_in()
    }

    /// The user as last read, without the network: for showing a name while offline.
    pub fn cached_user(&self) -> Option<CurrentUser> {
        self.shared.session.cached_user().map(CurrentUser::from)
    }

    /// Reads the current user from ZheliKit (refreshing the session if needed) and remembers it
    /// for [`IdentityClient::cached_user`].
    ///
    /// Errors: `NotLoggedIn`, `SessionExpired` (log in again), `ForbiddenScope` (the session
    /// lacks `profile`), `Offline`.
    pub async fn current_user(&self) -> Result<CurrentUser, SdkError> {
        let shared = self.shared.clone();
        let work = async move {
            let me: Me = shared
                .session
                .with_token(|token| {
                    let bff = shared.bff.clone();
                    async move { bff.get(paths::ME, &token).await }
                })
                .await?;
            shared.session.remember_user(&me)?;
            Ok(CurrentUser::from(me))
        };
        Ok(self.shared.runtime.run(work).await?)
    }

    /// Ends this session on the server and on the device. Offline, the session is still
    /// forgotten on the device and `Offline` is returned: the server-side session then ends at
    /// its expiry.
    pub async fn logout(&self) -> Result<(), SdkError> {
        self.end_with(paths::LOGOUT, None).await
    }

    /// Ends every session of this user, on every device and mini-app. With `remove_passkeys`
    /// (offer it for a lost or stolen phone) every passkey of the user is deleted too, so no
    /// device can start a session again without a platform login. Defaults to `false`.
    #[uniffi::method(default(remove_passkeys = false))]
    pub async fn logout_everywhere(&self, remove_passkeys: bool) -> Result<(), SdkError> {
        self.end_with(paths::LOGOUT_ALL, Some(LogoutAll { remove_passkeys }))
            .await
    }

    /// The user's passkeys, oldest first (needs scope `passkey`).
    pub async fn list_passkeys(&self) -> Result<Vec<PasskeyInfo>, SdkError> {
        let shared = self.shared.clone();
        let work = async move {
            let list: PasskeyList = shared
                .session
                .with_token(|token| {
                    let bff = shared.bff.clone();
                    async move { bff.get(paths::PASSKEYS, &token).await }
                })
                .await?;
            Ok(list.passkeys.into_iter().map(PasskeyInfo::from).collect())
        };
        Ok(self.shared.runtime.run(work).await?)
    }

    /// Renames one of the user's passkeys (1–64 characters).
    ///
    /// Errors: `InvalidInput` for a bad name or an unknown credential id.
    pub async fn rename_passkey(
        &self,
        credential_id: String,
        name: String,
    ) -> Result<(), SdkError> {
        let name = input::passkey_name(&name).map_err(Error::from)?.to_string();
        self.passkey_call(
            reqwest::Method::PATCH,
            credential_id,
            Some(PasskeyRename { name }),
        )
        .await
    }

    /// Deletes one of the user's passkeys: it can no longer start a session.
    ///
    /// Errors: `InvalidInput` for an unknown credential id.
    pub async fn delete_passkey(&self, credential_id: String) -> Result<(), SdkError> {
        self.passkey_call(reqwest::Method::DELETE, credential_id, None)
            .await
    }

    /// Registers a passkey for the logged-in user (needs scope `passkey`, and a platform login
    /// within the last five minutes: otherwise `ReauthenticationRequired`, log in again first).
    /// Hand the challenge to the platform authenticator, then call
    /// [`IdentityClient::finish_passkey_registration`].
    pub async fn begin_passkey_registration(&self) -> Result<PasskeyChallenge, SdkError> {
        let shared = self.shared.clone();
        let work = async move {
            let wire: WireChallenge = shared
                .session
                .with_token(|token| {
                    let bff = shared.bff.clone();
                    async move {
                        bff.post(
                            paths::PASSKEY_REGISTRATION_START,
                            &serde_json::json!({}),
                            Some(&token),
                        )
                        .await
                    }
                })
                .await?;
            PasskeyChallenge::from_wire(wire)
        };
        Ok(self.shared.runtime.run(work).await?)
    }

    /// Finishes registration with the authenticator's answer (Android's registration response
    /// JSON, or [`crate::ios_registration_response`]) and names the passkey (e.g. the device's
    /// name; `None` names it 通行密钥 N with the date). Returns the credential id.
    ///
    /// Errors: `ReauthenticationRequired` when the login is older than five minutes.
    #[uniffi::method(default(name = None))]
    pub async fn finish_passkey_registration(
        &self,
        ceremony_id: String,
        response_json: String,
        name: Option<String>,
    ) -> Result<String, SdkError> {
        let credential = passkey::parse_response(&response_json)?;
        if let Some(name) = &name {
            input::passkey_name(name).map_err(Error::from)?;
        }
        let shared = self.shared.clone();
        let work = async move {
            let body = PasskeyFinish {
                ceremony_id,
                credential,
                name,
            };
            let done: PasskeyRegistered = shared
                .session
                .with_token(|token| {
                    let (bff, body) = (shared.bff.clone(), body.clone());
                    async move {
                        bff.post(paths::PASSKEY_REGISTRATION_FINISH, &body, Some(&token))
                            .await
                    }
                })
                .await?;
            Ok(done.credential_id)
        };
        Ok(self.shared.runtime.run(work).await?)
    }

    /// Starts a passkey login for the user last logged in on this device (no platform ticket).
    /// The challenge comes whether or not that user still has a passkey (the server does not
    /// tell); without one, finishing fails with `LoginRejected` (`passkey_verification_failed`).
    ///
    /// Errors: `NotLoggedIn` when no one has logged in on this device yet, `LoginRejected`
    /// (`passkey_not_allowed`) when this mini-app does not offer passkey login.
    pub async fn begin_passkey_login(&self) -> Result<PasskeyChallenge, SdkError> {
        let shared = self.shared.clone();
        let work = async move {
            let user_id = shared.session.last_user_id()?.ok_or(Error::NotLoggedIn)?;
            let body = PasskeyLoginStart {
                mini_app_id: shared.config.mini_app_id.clone(),
                user_id,
                scopes: shared.config.scopes.clone(),
            };
            let wire: WireChallenge = shared
                .bff
                .post(paths::PASSKEY_LOGIN_START, &body, None)
                .await?;
            PasskeyChallenge::from_wire(wire)
        };
        Ok(self.shared.runtime.run(work).await?)
    }

    /// Finishes a passkey login with the authenticator's assertion JSON and starts a session.
    pub async fn finish_passkey_login(
        &self,
        ceremony_id: String,
        response_json: String,
    ) -> Result<CurrentUser, SdkError> {
        let credential = passkey::parse_response(&response_json)?;
        let body = PasskeyFinish {
            ceremony_id,
            credential,
            name: None,
        };
        self.login(paths::PASSKEY_LOGIN_FINISH, body).await
    }

    /// Tells `listener` of every session change (logged in, logged out, expired), from
    /// background threads. `None` stops telling.
    pub fn set_session_listener(&self, listener: Option<Arc<dyn SessionListener>>) {
        self.shared.session.set_listener(listener);
    }

    /// Keeps the session fresh in the background: refreshes the access token shortly before it
    /// expires, so the next call never waits for a refresh. Runs until the handle is cancelled
    /// or dropped, or the session ends.
    pub fn keep_session_fresh(&self) -> Result<Arc<TaskHandle>, SdkError> {
        let shared = self.shared.clone();
        let task = self.shared.runtime.spawn(async move {
            while let Some(due_in) = shared.session.refresh_due_in() {
                tokio::time::sleep(std::time::Duration::from_secs(due_in.max(1) as u64)).await;
                match shared.session.access_token().await {
                    Ok(_) => {}
                    Err(Error::SessionEnded(_) | Error::NotLoggedIn) => return,
                    // Offline or a server hiccup: try again in a while.
                    Err(e) => {
                        shared.log.warn(
                            "zhelikit::session",
                            &format!("background refresh failed: {e}"),
                        );
                        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                    }
                }
            }
        })?;
        Ok(Arc::new(TaskHandle::new(task)))
    }
}

impl IdentityClient {
    async fn passkey_call(
        &self,
        method: reqwest::Method,
        credential_id: String,
        body: Option<PasskeyRename>,
    ) -> Result<(), SdkError> {
        input::passkey_credential_id(&credential_id)?;
        let shared = self.shared.clone();
        let path = paths::passkey(&credential_id);
        let work = async move {
            shared
                .session
                .with_token(|token| {
                    let (bff, method, path, body) = (
                        shared.bff.clone(),
                        method.clone(),
                        path.clone(),
                        body.clone(),
                    );
                    async move {
                        bff.send_no_content(method, &path, body.as_ref(), &token)
                            .await
                    }
                })
                .await
        };
        Ok(self.shared.runtime.run(work).await?)
    }

    async fn end_with(&self, path: &'static str, body: Option<LogoutAll>) -> Result<(), SdkError> {
        let shared = self.shared.clone();
        let work = async move {
            let told = shared
                .session
                .with_token(|token| {
                    let (bff, body) = (shared.bff.clone(), body.clone());
                    async move {
                        bff.send_no_content(reqwest::Method::POST, path, body.as_ref(), &token)
                            .await
                    }
                })
                .await;
            match told {
                // Already ended on the server: the goal is reached.
                Ok(()) | Err(Error::SessionEnded(_)) => shared.session.end_local(),
                Err(Error::NotLoggedIn) => Ok(()),
                Err(e @ Error::Offline(_)) => {
                    shared.session.end_local()?;
                    Err(e)
                }
                Err(e) => Err(e),
            }
        };
        Ok(self.shared.runtime.run(work).await?)
    }
}
