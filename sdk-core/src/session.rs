//! The session of one client: tokens kept sealed in the local store, a single-flight refresh,
//! and the host told of every change.
//!
//! Single flight: a call that finds the access token expiring (or refused) asks for a refresh
//! *of the token it saw*. Refreshes are serialised; one that finds a newer token than the one it
//! was asked about returns that token instead of refreshing again. So 50 calls racing on an
//! expired token make exactly one refresh request and all succeed.

use std::sync::{Arc, RwLock};
use zhelikit_domain::paths;

use serde::{Deserialize, Serialize};
use zhelikit_domain::api::{Me, RefreshRequest, Session as WireSession};

use crate::bff::Bff;
use crate::error::{Error, Result};
use crate::host::{Log, SessionListener, SessionState};
use crate::jwt;
use crate::store::LocalStore;

/// What is kept of a session (sealed in the store).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Tokens {
    pub(crate) access_token: String,
    pub(crate) refresh_token: String,
    /// Access token expiry by the device clock, seconds since the epoch.
    pub(crate) expires_at: i64,
    pub(crate) user_id: String,
    pub(crate) scopes: Vec<String>,
    /// The last `/v1/me` answer, for showing the user offline.
    pub(crate) user: Option<Me>,
}

const TARGET: &str = "zhelikit::session";

pub(crate) struct SessionManager {
    tokens: RwLock<Option<Tokens>>,
    /// Shared by every client of this mini-app on this store (see [`shared_refresh_lock`]).
    refresh_lock: Arc<tokio::sync::Mutex<()>>,
    store: Arc<LocalStore>,
    bff: Arc<Bff>,
    log: Log,
    listener: RwLock<Option<Arc<dyn SessionListener>>>,
    /// Store row of this mini-app's session.
    row: String,
    /// Row remembering the last user id, for passkey login after logout.
    last_user_row: String,
    mini_app_id: String,
    refresh_margin_secs: i64,
}

/// One refresh lock per store file and mini-app, shared by every client opened on them in this
/// process: two clients of one mini-app on one device (an app and its widget, say) must not
/// present the same refresh token at once.
fn shared_refresh_lock(store_key: &str) -> Arc<tokio::sync::Mutex<()>> {
    type Locks = std::collections::HashMap<String, Arc<tokio::sync::Mutex<()>>>;
    static LOCKS: std::sync::OnceLock<std::sync::Mutex<Locks>> = std::sync::OnceLock::new();
    LOCKS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(store_key.to_string())
        .or_default()
        .clone()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl SessionManager {
    /// Restores the session of `mini_app_id` from the store, if any.
    /// `store_path` names the store file, so clients of the same file share a refresh lock.
    pub(crate) fn restore(
        store: Arc<LocalStore>,
        store_path: &str,
        bff: Arc<Bff>,
        log: Log,
        mini_app_id: &str,
        refresh_margin_secs: u32,
    ) -> Result<Self> {
        let row = format!("session:{mini_app_id}");
        // Screens kept by SDK versions before rows were per user: never shown again.
        store.delete(&format!("home:{mini_app_id}"))?;
        let tokens = match store.get(&row)? {
            Some(bytes) => Some(
                serde_json::from_slice(&bytes)
                    .map_err(|e| Error::Internal(format!("stored session unreadable: {e}")))?,
            ),
            None => None,
        };
        Ok(Self {
            tokens: RwLock::new(tokens),
            refresh_lock: shared_refresh_lock(&format!("{store_path}\n{mini_app_id}")),
            store,
            bff,
            log,
            listener: RwLock::new(None),
            row,
            last_user_row: format!("last-user:{mini_app_id}"),
            mini_app_id: mini_app_id.to_string(),
            refresh_margin_secs: i64::from(refresh_margin_secs),
        })
    }

    fn read(&self) -> Option<Tokens> {
        self.tokens
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub(crate) fn is_logged_in(&self) -> bool {
        self.read().is_some()
    }

    pub(crate) fn cached_user(&self) -> Option<Me> {
        self.read().and_then(|t| t.user)
    }

    pub(crate) fn last_user_id(&self) -> Result<Option<String>> {
        Ok(self
            .store
            .get(&self.last_user_row)?
            .map(|b| String::from_utf8_lossy(&b).into_owned()))
    }

    pub(crate) fn set_listener(&self, listener: Option<Arc<dyn SessionListener>>) {
        *self.listener.write().unwrap_or_else(|e| e.into_inner()) = listener;
    }

    fn notify(&self, state: SessionState) {
        let listener = self
            .listener
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some(listener) = listener {
            listener.on_session_state(state);
        }
    }

    /// Persists first, then publishes: a crash in between loses nothing the server knows.
    fn save(&self, tokens: Tokens) -> Result<()> {
        let bytes = serde_json::to_vec(&tokens).map_err(|e| Error::Internal(e.to_string()))?;
        self.store.put(&self.row, &bytes)?;
        self.store
            .put(&self.last_user_row, tokens.user_id.as_bytes())?;
        *self.tokens.write().unwrap_or_else(|e| e.into_inner()) = Some(tokens);
        Ok(())
    }

    /// The prefix of the rows kept for `user_id` in this mini-app.
    fn user_prefix(&self, user_id: &str) -> String {
        format!("user:{}:{user_id}:", self.mini_app_id)
    }

    /// The name of the row `what` kept for the logged-in user (the offline home screen, …):
    /// keyed by user, so the next user of the device never sees it, and removed when the
    /// session ends. `None` when nobody is logged in.
    pub(crate) fn user_row(&self, what: &str) -> Option<String> {
        self.read()
            .map(|t| format!("{}{what}", self.user_prefix(&t.user_id)))
    }

    /// Forgets the session and everything kept for its user.
    fn clear(&self) -> Result<()> {
        let ended = self
            .tokens
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        self.store.delete(&self.row)?;
        if let Some(tokens) = ended {
            self.store
                .delete_prefix(&self.user_prefix(&tokens.user_id))?;
        }
        Ok(())
    }

    /// The session as another client of this store may have left it (after its refresh).
    fn stored(&self) -> Result<Option<Tokens>> {
        match self.store.get(&self.row)? {
            Some(bytes) => Ok(Some(serde_json::from_slice(&bytes).map_err(|e| {
                Error::Internal(format!("stored session unreadable: {e}"))
            })?)),
            None => Ok(None),
        }
    }

    /// Starts a session from a login answer, reading the user once.
    pub(crate) async fn begin(&self, wire: WireSession) -> Result<Me> {
        let claims = jwt::claims(&wire.access_token)
            .ok_or_else(|| Error::Decode("access token is not a JWT".into()))?;
        // Another user logging in over a session still stored: what was kept for the first
        // goes with their session.
        if let Some(previous) = self.read().filter(|t| t.user_id != claims.sub) {
            self.store
                .delete_prefix(&self.user_prefix(&previous.user_id))?;
        }
        let user: Me = self
            .bff
            .get(paths::ME, &wire.access_token)
            .await
            .or_else(|e| match e {
                // A session without `profile` is valid; its user is only known by id.
                Error::Problem { status: 403, .. } => Ok(Me {
                    user_id: claims.sub.clone(),
                    kind: zhelikit_domain::api::UserKind::Citizen,
                    display_name: String::new(),
                    real_name_level: 0,
                    id_number_masked: None,
                    phone_masked: None,
                    enterprise: None,
                    official: None,
                    mini_app_id: String::new(),
                    scopes: wire.scopes.clone(),
                }),
                other => Err(other),
            })?;
        self.save(Tokens {
            access_token: wire.access_token,
            refresh_token: wire.refresh_token,
            expires_at: claims.expires_at_local(now()),
            user_id: claims.sub.clone(),
            scopes: wire.scopes,
            user: Some(user.clone()),
        })?;
        self.log
            .info(TARGET, &format!("logged in as user {}", claims.sub));
        self.notify(SessionState::LoggedIn {
            user_id: claims.sub,
        });
        Ok(user)
    }

    /// A usable access token, refreshing first if it expires within the margin.
    pub(crate) async fn access_token(self: &Arc<Self>) -> Result<String> {
        let tokens = self.read().ok_or(Error::NotLoggedIn)?;
        if tokens.expires_at - self.refresh_margin_secs > now() {
            return Ok(tokens.access_token);
        }
        self.refresh(&tokens.access_token).await
    }

    /// Refreshes the session whose access token was `stale`, once however many ask.
    pub(crate) async fn refresh(self: &Arc<Self>, stale: &str) -> Result<String> {
        let (this, stale) = (self.clone(), stale.to_string());
        // Runs to completion even if the caller is cancelled: a refresh the BFF performed but
        // the device never stored would make the next one a reuse, which ends the session.
        tokio::spawn(async move { this.refresh_now(&stale).await })
            .await
            .map_err(|e| Error::Internal(format!("refresh task failed: {e}")))?
    }

    async fn refresh_now(&self, stale: &str) -> Result<String> {
        let _one_at_a_time = self.refresh_lock.lock().await;
        // Another client of this store may have refreshed while we waited: its tokens are in
        // the store, and ours in memory are spent.
        if let Some(stored) = self.stored()? {
            let differs = self.read().map(|t| t.access_token) != Some(stored.access_token.clone());
            if differs && stored.access_token != stale {
                *self.tokens.write().unwrap_or_else(|e| e.into_inner()) = Some(stored);
            }
        }
        let current = self.read().ok_or(Error::NotLoggedIn)?;
        if current.access_token != stale {
            return Ok(current.access_token);
        }
        let request = RefreshRequest {
            refresh_token: current.refresh_token.clone(),
        };
        match self
            .bff
            .post::<_, WireSession>(paths::REFRESH, &request, None)
            .await
        {
            Ok(wire) => {
                let claims = jwt::claims(&wire.access_token)
                    .ok_or_else(|| Error::Decode("access token is not a JWT".into()))?;
                let access = wire.access_token.clone();
                self.save(Tokens {
                    access_token: wire.access_token,
                    refresh_token: wire.refresh_token,
                    expires_at: claims.expires_at_local(now()),
                    scopes: wire.scopes,
                    ..current
                })?;
                self.log.debug(TARGET, "session refreshed");
                Ok(access)
            }
            Err(other) => Err(self.ended_if_refused(other)?),
        }
    }

    /// A 401 means the server ended the session: it ends here too (the host is told) and the
    /// caller gets `SessionEnded`; any other error is passed on as it is.
    fn ended_if_refused(&self, error: Error) -> Result<Error> {
        match error {
            Error::Problem {
                status: 401,
                problem,
                ..
            } => {
                self.end_expired(&problem.code)?;
                Ok(Error::SessionEnded(problem.detail))
            }
            other => Ok(other),
        }
    }

    fn end_expired(&self, code: &str) -> Result<()> {
        self.clear()?;
        self.log
            .warn(TARGET, &format!("session ended by the server ({code})"));
        self.notify(SessionState::Expired {
            reason: code.to_string(),
        });
        Ok(())
    }

    /// Runs `call` with a fresh access token; if the BFF says the token is no longer accepted,
    /// refreshes once and retries. A refused refresh ends the session.
    pub(crate) async fn with_token<T, F, Fut>(self: &Arc<Self>, call: F) -> Result<T>
    where
        F: Fn(String) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let token = self.access_token().await?;
        match call(token.clone()).await {
            Err(Error::Problem { status: 401, .. }) => {
                let fresh = self.refresh(&token).await?;
                match call(fresh).await {
                    Err(e) => Err(self.ended_if_refused(e)?),
                    ok => ok,
                }
            }
            other => other,
        }
    }

    /// Stores a fresh `/v1/me` answer for offline use.
    pub(crate) fn remember_user(&self, user: &Me) -> Result<()> {
        match self.read() {
            Some(tokens) => self.save(Tokens {
                user: Some(user.clone()),
                ..tokens
            }),
            None => Ok(()),
        }
    }

    /// Ends the session locally after the server ended it (or could not be told).
    pub(crate) fn end_local(&self) -> Result<()> {
        self.clear()?;
        self.log.info(TARGET, "logged out");
        self.notify(SessionState::LoggedOut);
        Ok(())
    }

    /// Seconds until the access token should be refreshed (0 = now); `None` when logged out.
    pub(crate) fn refresh_due_in(&self) -> Option<i64> {
        self.read()
            .map(|t| (t.expires_at - self.refresh_margin_secs - now()).max(0))
    }
}
