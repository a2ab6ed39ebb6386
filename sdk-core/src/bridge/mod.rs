//! The mini-app bridge: what a 浙里办 or 浙政钉 mini-app's page reaches through
//! `ZWJSBridge` / `gdt-jsapi`, served by the core. The host (a WebView, the simulator) only
//! shuttles strings: the page's JSON request goes to [`MiniAppBridge::call`], its JSON answer
//! goes back, and events come through [`BridgeHost::emit`]. Every decision — which methods
//! exist, what the manifest permits, what the user agreed to, what a failure's code is — is
//! made here, from the vocabulary in `zhelikit_domain::bridge`.

mod host;
pub(crate) mod inner;

use std::sync::Arc;

pub use host::{BridgeHost, HostAction, HostError, HostReply};
pub(crate) use inner::Bridge;

use crate::error::SdkError;

/// The bridge of one mini-app. Obtain it with `client.bridge(manifest_json, host)`.
#[derive(uniffi::Object)]
pub struct MiniAppBridge {
    inner: Arc<Bridge>,
}

impl MiniAppBridge {
    pub(crate) fn new(inner: Bridge) -> Self {
        Self {
            inner: Arc::new(inner),
        }
    }
}

#[uniffi::export]
impl MiniAppBridge {
    /// Answers one request from the page: JSON `{"id", "method", "params"}` in, JSON
    /// `{"id", "ok", "result" | "error": {"code", "zkCode", "message"}}` out. Never fails: a
    /// malformed request, an unknown method, a refused permission or an error of the call is an
    /// answer with the platform's numeric `code` and ZheliKit's stable `zkCode`.
    pub async fn call(&self, request_json: String) -> String {
        // The checks and the methods that need no waiting are answered here, on the caller's
        // thread; only what waits (the network, the host, a consent) goes to the SDK's runtime.
        let pending = match self.inner.prepare(&request_json) {
            inner::Step::Answered(answer) => return Bridge::to_json(&answer),
            inner::Step::Continue(pending) => pending,
        };
        let closed = self.inner.closed_answer(&pending);
        let inner = self.inner.clone();
        let work = async move { Ok(Bridge::to_json(&inner.finish(pending).await)) };
        match self.inner.context().run(work).await {
            Ok(answer) => answer,
            // The client was closed under the page.
            Err(_) => Bridge::to_json(&closed),
        }
    }

    /// Whether the mini-app can call `method` here (it exists on this platform and its scope is
    /// declared in the manifest).
    pub fn can_i_use(&self, method: String) -> bool {
        self.inner.can_use(&method)
    }

    /// The versioned method table as JSON, with each method's scope and availability.
    pub fn capabilities_json(&self) -> String {
        self.inner.capabilities().to_string()
    }

    /// Switches elder mode (长辈版): `getUiStyle` answers `elder`, and the page gets a
    /// `uiStyleChanged` event.
    pub fn set_elder_mode(&self, elder: bool) {
        self.inner.set_elder_mode(elder);
    }

    /// Tells the page the network came or went (`networkChanged`).
    pub fn network_changed(&self, online: bool) {
        self.inner.network_changed(online);
    }

    /// Forgets every consent the current user gave this mini-app; the next call needing one
    /// asks again.
    pub fn revoke_consent(&self) -> Result<(), SdkError> {
        Ok(self.inner.revoke_consent()?)
    }
}
