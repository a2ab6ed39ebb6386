//! Identity inside the app: log a user in (浙里办 ticket or ticketId, 浙政钉 auth code,
//! passkey), read who they are, log out, manage passkeys.
//!
//! [`IdentityClient`] is the exported surface; each method is one call into the inner
//! [`Identity`](inner::Identity), run on the SDK's runtime.

pub(crate) mod inner;
pub(crate) mod passkey;
mod types;

use std::future::Future;
use std::sync::Arc;

pub(crate) use inner::{Credential, Identity};
pub use passkey::{ios_assertion_response, ios_registration_response};
pub use types::{CurrentUser, Enterprise, Official, PasskeyChallenge, PasskeyInfo, UserKind};

use crate::error::{Result, SdkError};
use crate::host::SessionListener;
use crate::task::TaskHandle;

/// Identity operations of a [`crate::ZheliKitClient`]. Obtain it with `client.identity()`.
#[derive(uniffi::Object)]
pub struct IdentityClient {
    inner: Identity,
}

impl IdentityClient {
    pub(crate) fn new(inner: Identity) -> Self {
        Self { inner }
    }

    /// Runs `call` on the inner type, on the SDK's runtime.
    async fn run<T, F, Fut>(&self, call: F) -> std::result::Result<T, SdkError>
    where
        F: FnOnce(Identity) -> Fut,
        Fut: Future<Output = Result<T>> + Send + 'static,
        T: Send + 'static,
    {
        self.inner.context().run(call(self.inner.clone())).await
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
        self.run(|i| async move { i.login(Credential::ZlbTicket(ticket)).await })
            .await
    }

    /// Logs in with a 浙里办 legal-person (enterprise) SSO ticket.
    pub async fn login_with_legal_person_ticket(
        &self,
        ticket: String,
    ) -> Result<CurrentUser, SdkError> {
        self.run(|i| async move { i.login(Credential::ZlbLegalTicket(ticket)).await })
            .await
    }

    /// Logs in with the `ticketId` from `ZWJSBridge.ssoTicket()` (mini-program container).
    /// An empty `ticketId` means the container wants the page reloaded
    /// (`ZWJSBridge.openLink({type: 'reload'})`); this call refuses it as `InvalidInput`.
    pub async fn login_with_ticket_id(&self, ticket_id: String) -> Result<CurrentUser, SdkError> {
        self.run(|i| async move { i.login(Credential::ZlbTicketId(ticket_id)).await })
            .await
    }

    /// Logs an official in with the 免登 auth code from `getAuthCode` (浙政钉, `gdt-jsapi`).
    pub async fn login_with_auth_code(&self, auth_code: String) -> Result<CurrentUser, SdkError> {
        self.run(|i| async move { i.login(Credential::ZzdAuthCode(auth_code)).await })
            .await
    }

    /// True when a session is stored (it may still turn out to be expired on the next call).
    pub fn is_logged_in(&self) -> bool {
        self.inner.is_logged_in()
    }

    /// The user as last read, without the network: for showing a name while offline.
    pub fn cached_user(&self) -> Option<CurrentUser> {
        self.inner.cached_user()
    }

    /// Reads the current user from ZheliKit (refreshing the session if needed) and remembers it
    /// for [`IdentityClient::cached_user`].
    ///
    /// Errors: `NotLoggedIn`, `SessionExpired` (log in again), `ForbiddenScope` (the session
    /// lacks `profile`), `Offline`.
    pub async fn current_user(&self) -> Result<CurrentUser, SdkError> {
        self.run(|i| async move { i.current_user().await }).await
    }

    /// Ends this session on the server and on the device. Offline, the session is still
    /// forgotten on the device and `Offline` is returned: the server-side session then ends at
    /// its expiry.
    pub async fn logout(&self) -> Result<(), SdkError> {
        self.run(|i| async move { i.logout().await }).await
    }

    /// Ends every session of this user, on every device and mini-app. With `remove_passkeys`
    /// (offer it for a lost or stolen phone) every passkey of the user is deleted too, so no
    /// device can start a session again without a platform login. Defaults to `false`.
    #[uniffi::method(default(remove_passkeys = false))]
    pub async fn logout_everywhere(&self, remove_passkeys: bool) -> Result<(), SdkError> {
        self.run(|i| async move { i.logout_everywhere(remove_passkeys).await })
            .await
    }

    /// The user's passkeys, oldest first (needs scope `passkey`).
    pub async fn list_passkeys(&self) -> Result<Vec<PasskeyInfo>, SdkError> {
        self.run(|i| async move { i.list_passkeys().await }).await
    }

    /// Renames one of the user's passkeys (1–64 characters).
    ///
    /// Errors: `InvalidInput` for a bad name or an unknown credential id.
    pub async fn rename_passkey(
        &self,
        credential_id: String,
        name: String,
    ) -> Result<(), SdkError> {
        self.run(|i| async move { i.rename_passkey(&credential_id, &name).await })
            .await
    }

    /// Deletes one of the user's passkeys: it can no longer start a session.
    ///
    /// Errors: `InvalidInput` for an unknown credential id.
    pub async fn delete_passkey(&self, credential_id: String) -> Result<(), SdkError> {
        self.run(|i| async move { i.delete_passkey(&credential_id).await })
            .await
    }

    /// Registers a passkey for the logged-in user (needs scope `passkey`, and a platform login
    /// within the last five minutes: otherwise `ReauthenticationRequired`, log in again first).
    /// Hand the challenge to the platform authenticator, then call
    /// [`IdentityClient::finish_passkey_registration`].
    pub async fn begin_passkey_registration(&self) -> Result<PasskeyChallenge, SdkError> {
        self.run(|i| async move { i.begin_passkey_registration().await })
            .await
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
        self.run(|i| async move {
            i.finish_passkey_registration(ceremony_id, &response_json, name)
                .await
        })
        .await
    }

    /// Starts a passkey login for the user last logged in on this device (no platform ticket).
    /// The challenge comes whether or not that user still has a passkey (the server does not
    /// tell); without one, finishing fails with `LoginRejected` (`passkey_verification_failed`).
    ///
    /// Errors: `NotLoggedIn` when no one has logged in on this device yet, `LoginRejected`
    /// (`passkey_not_allowed`) when this mini-app does not offer passkey login.
    pub async fn begin_passkey_login(&self) -> Result<PasskeyChallenge, SdkError> {
        self.run(|i| async move { i.begin_passkey_login().await })
            .await
    }

    /// Finishes a passkey login with the authenticator's assertion JSON and starts a session.
    pub async fn finish_passkey_login(
        &self,
        ceremony_id: String,
        response_json: String,
    ) -> Result<CurrentUser, SdkError> {
        self.run(|i| async move { i.finish_passkey_login(ceremony_id, &response_json).await })
            .await
    }

    /// Tells `listener` of every session change (logged in, logged out, expired), from
    /// background threads. `None` stops telling.
    pub fn set_session_listener(&self, listener: Option<Arc<dyn SessionListener>>) {
        self.inner.context().session.set_listener(listener);
    }

    /// Keeps the session fresh in the background: refreshes the access token shortly before it
    /// expires, so the next call never waits for a refresh. Runs until the handle is cancelled
    /// or dropped, or the session ends.
    pub fn keep_session_fresh(&self) -> Result<Arc<TaskHandle>, SdkError> {
        let task = self
            .inner
            .context()
            .runtime
            .spawn(self.inner.clone().keep_fresh())?;
        Ok(Arc::new(TaskHandle::new(task)))
    }
}
