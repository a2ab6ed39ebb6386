//! Identity's inner API: plain async Rust over the [`Context`], returning the internal
//! [`Error`]. The exported [`super::IdentityClient`] is a thin wrapper over it, and the
//! mini-app bridge calls it directly.

use std::sync::Arc;

use zhelikit_domain::api::{
    AuthCodeLogin, LogoutAll, Me, PasskeyChallenge as WireChallenge, PasskeyFinish, PasskeyList,
    PasskeyLoginStart, PasskeyRegistered, PasskeyRename, Session, TicketIdLogin, TicketLogin,
};
use zhelikit_domain::{input, paths};

use crate::context::Context;
use crate::error::{Error, Result};
use crate::identity::passkey;
use crate::identity::types::{CurrentUser, PasskeyChallenge, PasskeyInfo};

/// A credential the platform issued for a login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Credential {
    /// 浙里办 personal SSO `ticket`.
    ZlbTicket(String),
    /// 浙里办 legal-person SSO `ticket`.
    ZlbLegalTicket(String),
    /// `ticketId` from `ZWJSBridge.ssoTicket()` (mini-program container).
    ZlbTicketId(String),
    /// 浙政钉 免登 auth code from `getAuthCode`.
    ZzdAuthCode(String),
}

impl Credential {
    /// The request field that carries it.
    fn field(&self) -> &'static str {
        match self {
            Self::ZlbTicket(_) | Self::ZlbLegalTicket(_) => "ticket",
            Self::ZlbTicketId(_) => "ticket_id",
            Self::ZzdAuthCode(_) => "auth_code",
        }
    }

    fn value(&self) -> &str {
        match self {
            Self::ZlbTicket(v) | Self::ZlbLegalTicket(v) | Self::ZlbTicketId(v) => v,
            Self::ZzdAuthCode(v) => v,
        }
    }
}

/// Identity for one client: logins, the current user, logout, passkeys.
#[derive(Clone)]
pub(crate) struct Identity {
    ctx: Arc<Context>,
}

impl Identity {
    pub(crate) fn new(ctx: Arc<Context>) -> Self {
        Self { ctx }
    }

    pub(crate) fn context(&self) -> &Arc<Context> {
        &self.ctx
    }

    /// Redeems a platform credential for a session of this mini-app. The credential is checked
    /// first, so a typo never spends a single-use ticket.
    pub(crate) async fn login(&self, credential: Credential) -> Result<CurrentUser> {
        input::platform_credential(credential.field(), credential.value())?;
        let (mini_app_id, scopes) = (
            self.ctx.config.mini_app_id.clone(),
            self.ctx.config.scopes.clone(),
        );
        let json = |body: Result<serde_json::Value, serde_json::Error>| {
            body.map_err(|e| Error::Internal(e.to_string()))
        };
        let (path, body) = match credential {
            Credential::ZlbTicket(ticket) => (
                paths::ZLB_TICKET,
                json(serde_json::to_value(TicketLogin {
                    mini_app_id,
                    ticket,
                    scopes,
                }))?,
            ),
            Credential::ZlbLegalTicket(ticket) => (
                paths::ZLB_LEGAL_TICKET,
                json(serde_json::to_value(TicketLogin {
                    mini_app_id,
                    ticket,
                    scopes,
                }))?,
            ),
            Credential::ZlbTicketId(ticket_id) => (
                paths::ZLB_TICKET_ID,
                json(serde_json::to_value(TicketIdLogin {
                    mini_app_id,
                    ticket_id,
                    scopes,
                }))?,
            ),
            Credential::ZzdAuthCode(auth_code) => (
                paths::ZZD_AUTH_CODE,
                json(serde_json::to_value(AuthCodeLogin {
                    mini_app_id,
                    auth_code,
                    scopes,
                }))?,
            ),
        };
        let session: Session = self.ctx.bff.post(path, &body, None).await?;
        self.begin(session).await
    }

    async fn begin(&self, session: Session) -> Result<CurrentUser> {
        Ok(CurrentUser::from(self.ctx.session.begin(session).await?))
    }

    /// True when a session is stored.
    pub(crate) fn is_logged_in(&self) -> bool {
        self.ctx.session.is_logged_in()
    }

    /// The user as last read, without the network.
    pub(crate) fn cached_user(&self) -> Option<CurrentUser> {
        self.ctx.session.cached_user().map(CurrentUser::from)
    }

    /// Reads the current user and remembers it for [`Identity::cached_user`].
    pub(crate) async fn current_user(&self) -> Result<CurrentUser> {
        let me: Me = self.ctx.get(paths::ME).await?;
        self.ctx.session.remember_user(&me)?;
        Ok(CurrentUser::from(me))
    }

    /// Ends this session (on the server, then on the device).
    pub(crate) async fn logout(&self) -> Result<()> {
        self.end_with(paths::LOGOUT, None).await
    }

    /// Ends every session of the user; with `remove_passkeys`, deletes their passkeys too.
    pub(crate) async fn logout_everywhere(&self, remove_passkeys: bool) -> Result<()> {
        self.end_with(paths::LOGOUT_ALL, Some(LogoutAll { remove_passkeys }))
            .await
    }

    async fn end_with(&self, path: &str, body: Option<LogoutAll>) -> Result<()> {
        let told = self
            .ctx
            .send(reqwest::Method::POST, path, body.as_ref())
            .await;
        let session = &self.ctx.session;
        match told {
            // Already ended on the server: the goal is reached.
            Ok(()) | Err(Error::SessionEnded(_)) => session.end_local(),
            Err(Error::NotLoggedIn) => Ok(()),
            // Offline: forgotten on the device all the same; the server's ends at its expiry.
            Err(e @ Error::Offline(_)) => {
                session.end_local()?;
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    /// The user's passkeys, oldest first.
    pub(crate) async fn list_passkeys(&self) -> Result<Vec<PasskeyInfo>> {
        let list: PasskeyList = self.ctx.get(paths::PASSKEYS).await?;
        Ok(list.passkeys.into_iter().map(PasskeyInfo::from).collect())
    }

    /// Renames one passkey.
    pub(crate) async fn rename_passkey(&self, credential_id: &str, name: &str) -> Result<()> {
        let id = input::passkey_credential_id(credential_id)?;
        let name = input::passkey_name(name)?.to_string();
        self.ctx
            .send(
                reqwest::Method::PATCH,
                &paths::passkey(id),
                Some(&PasskeyRename { name }),
            )
            .await
    }

    /// Deletes one passkey.
    pub(crate) async fn delete_passkey(&self, credential_id: &str) -> Result<()> {
        let id = input::passkey_credential_id(credential_id)?;
        self.ctx
            .send::<()>(reqwest::Method::DELETE, &paths::passkey(id), None)
            .await
    }

    /// Starts registering a passkey for the logged-in user.
    pub(crate) async fn begin_passkey_registration(&self) -> Result<PasskeyChallenge> {
        let wire: WireChallenge = self
            .ctx
            .post(paths::PASSKEY_REGISTRATION_START, &serde_json::json!({}))
            .await?;
        PasskeyChallenge::from_wire(wire)
    }

    /// Finishes a registration with the authenticator's answer; returns the credential id.
    pub(crate) async fn finish_passkey_registration(
        &self,
        ceremony_id: String,
        response_json: &str,
        name: Option<String>,
    ) -> Result<String> {
        let credential = passkey::parse_response(response_json)?;
        if let Some(name) = &name {
            input::passkey_name(name)?;
        }
        let body = PasskeyFinish {
            ceremony_id,
            credential,
            name,
        };
        let done: PasskeyRegistered = self
            .ctx
            .post(paths::PASSKEY_REGISTRATION_FINISH, &body)
            .await?;
        Ok(done.credential_id)
    }

    /// Starts a passkey login for the user last logged in on this device.
    pub(crate) async fn begin_passkey_login(&self) -> Result<PasskeyChallenge> {
        let user_id = self.ctx.session.last_user_id()?.ok_or(Error::NotLoggedIn)?;
        let body = PasskeyLoginStart {
            mini_app_id: self.ctx.config.mini_app_id.clone(),
            user_id,
            scopes: self.ctx.config.scopes.clone(),
        };
        let wire: WireChallenge = self
            .ctx
            .bff
            .post(paths::PASSKEY_LOGIN_START, &body, None)
            .await?;
        PasskeyChallenge::from_wire(wire)
    }

    /// Finishes a passkey login with the authenticator's assertion and starts a session.
    pub(crate) async fn finish_passkey_login(
        &self,
        ceremony_id: String,
        response_json: &str,
    ) -> Result<CurrentUser> {
        let body = PasskeyFinish {
            ceremony_id,
            credential: passkey::parse_response(response_json)?,
            name: None,
        };
        let session: Session = self
            .ctx
            .bff
            .post(paths::PASSKEY_LOGIN_FINISH, &body, None)
            .await?;
        self.begin(session).await
    }

    /// Refreshes the access token shortly before it expires, until the session ends.
    pub(crate) async fn keep_fresh(self) {
        let session = &self.ctx.session;
        while let Some(due_in) = session.refresh_due_in() {
            let wait = u64::try_from(due_in.max(1)).unwrap_or(1);
            tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
            match session.access_token().await {
                Ok(_) => {}
                Err(Error::SessionEnded(_) | Error::NotLoggedIn) => return,
                // Offline or a server hiccup: try again in a while.
                Err(e) => {
                    self.ctx.log.warn(
                        "zhelikit::session",
                        &format!("background refresh failed: {e}"),
                    );
                    tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                }
            }
        }
    }
}
