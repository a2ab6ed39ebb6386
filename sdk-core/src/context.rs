//! What every capability's calls run on: one [`Context`] per client (the configuration, the
//! SDK's runtime, the BFF client, the session, the local store, the log and the analytics
//! queue's locks), with the two
//! helpers every capability needs: an authenticated call ([`Context::get`], [`Context::post`],
//! [`Context::send`]) and a read kept on the device for offline use ([`Context::cached`]).
//!
//! A capability's inner type (e.g. `identity::Identity`) holds an `Arc<Context>` and returns
//! the internal [`Error`]; its exported wrapper runs it on the runtime with [`Context::run`] and
//! converts the error at the boundary.

use std::future::Future;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::bff::Bff;
use crate::client::ClientConfig;
use crate::error::{Error, Result, SdkError};
use crate::host::Log;
use crate::runtime::Runtime;
use crate::session::SessionManager;
use crate::store::LocalStore;

/// The state one client's capabilities share.
pub(crate) struct Context {
    pub(crate) config: ClientConfig,
    pub(crate) runtime: Runtime,
    pub(crate) bff: Arc<Bff>,
    pub(crate) session: Arc<SessionManager>,
    pub(crate) store: Arc<LocalStore>,
    pub(crate) log: Log,
    /// The locks of the analytics queue, shared by every bridge and sub-client of the client.
    pub(crate) analytics: crate::analytics::QueueLocks,
    /// The nonces of 亮证 codes this phone accepted lately, shared by every vault sub-client.
    pub(crate) vault_replays: crate::vault::Replays,
    /// Held while the vault's history is appended to: one entry at a time gets each place.
    pub(crate) vault_history: std::sync::Mutex<()>,
    /// Held while the forms' drafts or outbox rows are read and written back.
    pub(crate) forms: std::sync::Mutex<()>,
    /// Held while the outbox is sent: one sync at a time per client.
    pub(crate) forms_sync: tokio::sync::Mutex<()>,
}

/// A value read through [`Context::cached`]: fresh from the BFF, or the copy kept on the device
/// while offline, with its age.
pub(crate) enum Cached<T> {
    /// Just fetched (and kept).
    Fresh(T),
    /// Kept on the device; the BFF could not be reached.
    Offline(T),
}

/// The stored form: the value and when it was kept (for diagnostics and later capabilities
/// that age by it).
#[derive(Serialize, serde::Deserialize)]
struct Kept<T> {
    kept_at_ms: i64,
    value: T,
}

/// Now, milliseconds since the epoch (device clock).
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl Context {
    /// Runs `work` on the SDK's runtime (so any executor may poll the exported future) and
    /// converts its error for the host.
    pub(crate) async fn run<T, F>(&self, work: F) -> std::result::Result<T, SdkError>
    where
        F: Future<Output = Result<T>> + Send + 'static,
        T: Send + 'static,
    {
        Ok(self.runtime.run(work).await?)
    }

    /// `GET path` with the session's access token (refreshed when needed).
    pub(crate) async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let bff = &self.bff;
        self.session
            .with_token(|token| async move { bff.get(path, &token).await })
            .await
    }

    /// `GET path` with the session's access token; the body as it came.
    pub(crate) async fn get_bytes(&self, path: &str) -> Result<Vec<u8>> {
        let bff = &self.bff;
        self.session
            .with_token(|token| async move { bff.get_bytes(path, &token).await })
            .await
    }

    /// `POST path` with a JSON body and the session's access token.
    pub(crate) async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T> {
        self.request(reqwest::Method::POST, path, body).await
    }

    /// `PUT path` with a JSON body and the session's access token.
    pub(crate) async fn put<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T> {
        self.request(reqwest::Method::PUT, path, body).await
    }

    async fn request<B: Serialize, T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &B,
    ) -> Result<T> {
        let bff = &self.bff;
        self.session
            .with_token(|token| {
                let method = method.clone();
                async move { bff.request(method, path, body, Some(&token)).await }
            })
            .await
    }

    /// `method path` with an optional JSON body and the access token; no content back.
    pub(crate) async fn send<B: Serialize>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<()> {
        let bff = &self.bff;
        self.session
            .with_token(|token| {
                let method = method.clone();
                async move { bff.send_no_content(method, path, body, &token).await }
            })
            .await
    }

    /// The logged-in user's row `what`, as JSON; none when absent (or no longer readable: a
    /// copy an older SDK kept in another form is as good as none).
    pub(crate) fn kept_json<T: DeserializeOwned>(&self, what: &str) -> Result<Option<T>> {
        let row = self.session.user_row(what).ok_or(Error::NotLoggedIn)?;
        Ok(self
            .store
            .get(&row)?
            .and_then(|b| serde_json::from_slice(&b).ok()))
    }

    /// Keeps `value` as the logged-in user's row `what`, sealed with the rest of the store;
    /// it goes when their session ends.
    pub(crate) fn keep_json<T: Serialize>(&self, what: &str, value: &T) -> Result<()> {
        let row = self.session.user_row(what).ok_or(Error::NotLoggedIn)?;
        let bytes = serde_json::to_vec(value).map_err(|e| Error::Internal(e.to_string()))?;
        Ok(self.store.put(&row, &bytes)?)
    }

    /// Reads through `fetch` and keeps the answer sealed in the store under the user's row
    /// `what`; offline, answers with the kept copy. The row belongs to the logged-in user and
    /// goes when their session ends, so the next user of the device never sees it.
    pub(crate) async fn cached<T, F, Fut>(&self, what: &str, fetch: F) -> Result<Cached<T>>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let row = self.session.user_row(what).ok_or(Error::NotLoggedIn)?;
        match fetch().await {
            Ok(value) => {
                let kept = Kept {
                    kept_at_ms: now_ms(),
                    value,
                };
                let bytes =
                    serde_json::to_vec(&kept).map_err(|e| Error::Internal(e.to_string()))?;
                self.store.put(&row, &bytes)?;
                Ok(Cached::Fresh(kept.value))
            }
            Err(Error::Offline(detail)) => {
                let kept = self.store.get(&row)?.and_then(|bytes| {
                    // A copy an older SDK kept in another form is as good as none.
                    serde_json::from_slice::<Kept<T>>(&bytes).ok()
                });
                match kept {
                    Some(kept) => {
                        self.log.info(
                            "zhelikit::context",
                            &format!("offline: answering with the {what} kept on the device"),
                        );
                        Ok(Cached::Offline(kept.value))
                    }
                    None => Err(Error::Offline(detail)),
                }
            }
            Err(other) => Err(other),
        }
    }
}
