//! The SDK's entry point: one client per mini-app, handing out one sub-client per capability.
//! This file shows the whole public API: every accessor is here.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::analytics::{Analytics, AnalyticsClient};
use crate::bff::Bff;
use crate::bridge::{Bridge, BridgeHost, MiniAppBridge};
use crate::context::Context;
use crate::error::{Error, Result, SdkError};
use crate::forms::{Forms, FormsClient};
use crate::host::{KeySource, Log, Logger, NetworkMonitor};
use crate::identity::{Identity, IdentityClient};
use crate::inbox::{Inbox, InboxClient};
use crate::policies::{Policies, PoliciesClient};
use crate::runtime::Runtime;
use crate::screens::{Screens, ScreensClient};
use crate::session::SessionManager;
use crate::store::{self, LocalStore};
use crate::supervision::{Supervision, SupervisionClient};
use crate::vault::{Vault, VaultClient};

/// How a [`ZheliKitClient`] is set up.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ClientConfig {
    /// Base URL of the ZheliKit BFF, e.g. `https://zhelikit.example.gov.cn`.
    pub bff_url: String,
    /// The mini-app's registered id; sessions are per mini-app.
    pub mini_app_id: String,
    /// A private directory of the app for the local store (Android: `context.filesDir`,
    /// iOS: Application Support).
    pub storage_dir: String,
    /// Scopes to ask for at login; `None` asks for all the mini-app may have.
    #[uniffi(default = None)]
    pub scopes: Option<Vec<String>>,
    /// Refresh the access token when it has less than this many seconds left.
    #[uniffi(default = 60)]
    pub refresh_margin_secs: u32,
    /// Give up on a request to the BFF after this many milliseconds.
    #[uniffi(default = 15000)]
    pub request_timeout_ms: u32,
}

/// The ZheliKit SDK for one mini-app. Thread-safe; create one per mini-app and keep it for the
/// app's lifetime. Closing it (Kotlin `close()`, Swift deinit) stops its background work; the
/// session stays stored and is restored by the next `open`.
#[derive(uniffi::Object)]
pub struct ZheliKitClient {
    ctx: Arc<Context>,
}

#[uniffi::export]
impl ZheliKitClient {
    /// Opens the client: opens (or creates) the encrypted local store under
    /// `config.storage_dir`, unwrapping its key with `key_source`, and restores the last
    /// session of `config.mini_app_id`. Does no network I/O.
    ///
    /// `logger` receives the SDK's log records (already masked); `network_monitor` lets calls
    /// fail fast with `Offline` when the device has no network.
    ///
    /// Errors: `InvalidInput` for a bad configuration; `Storage` with `WrongKey` when the key
    /// source gives another key than the store was created with (call
    /// [`reset_storage`] and log in again), `Tampered`, `KeySource` or `Io`.
    #[uniffi::constructor]
    pub fn open(
        config: ClientConfig,
        key_source: Arc<dyn KeySource>,
        logger: Option<Arc<dyn Logger>>,
        network_monitor: Option<Arc<dyn NetworkMonitor>>,
    ) -> Result<Arc<Self>, SdkError> {
        Ok(Arc::new(Self::open_inner(
            config,
            key_source,
            logger,
            network_monitor,
        )?))
    }

    /// Identity: log in, read the user, log out, passkeys.
    pub fn identity(&self) -> Arc<IdentityClient> {
        Arc::new(IdentityClient::new(Identity::new(self.ctx.clone())))
    }

    /// Screens aggregated from the departments: the home screen.
    pub fn screens(&self) -> Arc<ScreensClient> {
        Arc::new(ScreensClient::new(Screens::new(self.ctx.clone())))
    }

    /// 个人数据宝: the citizen's e-certificates on this device — list (offline), pull, present.
    pub fn vault(&self) -> Arc<VaultClient> {
        Arc::new(VaultClient::new(Vault::new(self.ctx.clone())))
    }

    /// 惠企政策直通车's inbox: the policies pushed to the enterprise — sync, read, open, why.
    pub fn inbox(&self) -> Arc<InboxClient> {
        Arc::new(InboxClient::new(Inbox::new(self.ctx.clone())))
    }

    /// 惠企政策直通车's policies: the published policies the enterprise matches, with why
    /// (offline from the device's copy).
    pub fn policies(&self) -> Arc<PoliciesClient> {
        Arc::new(PoliciesClient::new(Policies::new(self.ctx.clone())))
    }

    /// 政务督查 for officials on 浙政钉: their role and tasks, items and their task trees,
    /// reports and decisions, urging, the figures and their report.
    pub fn supervision(&self) -> Arc<SupervisionClient> {
        Arc::new(SupervisionClient::new(Supervision::new(self.ctx.clone())))
    }

    /// 一表通 · 一件事: forms to fill offline, drafts, and the outbox that submits each once.
    pub fn forms(&self) -> Arc<FormsClient> {
        Arc::new(FormsClient::new(Forms::new(self.ctx.clone())))
    }

    /// Analytics: the `ZwLog` events the mini-app's pages reported, waiting on the device;
    /// send them early with `flush()` (e.g. when the app goes to the background).
    pub fn analytics(&self) -> Arc<AnalyticsClient> {
        Arc::new(AnalyticsClient::new(Analytics::new(self.ctx.clone())))
    }

    /// The bridge for the mini-app described by `manifest_json` (its `miniapp.json`), whose
    /// page the host shows; `host` performs what the page asks the container for. The
    /// manifest must be this client's mini-app (its calls then use this client's session,
    /// bound to that mini-app) and must run on this SDK version.
    ///
    /// Errors: `InvalidInput` naming the manifest's problems, or a manifest of another mini-app.
    pub fn bridge(
        &self,
        manifest_json: String,
        host: Arc<dyn BridgeHost>,
    ) -> Result<Arc<MiniAppBridge>, SdkError> {
        let manifest =
            zhelikit_domain::manifest::Manifest::parse(&manifest_json).map_err(|problems| {
                Error::Input {
                    field: "manifest",
                    reason: problems
                        .iter()
                        .map(|p| p.to_string())
                        .collect::<Vec<_>>()
                        .join("; "),
                }
            })?;
        if manifest.id != self.ctx.config.mini_app_id {
            return Err(Error::Input {
                field: "manifest",
                reason: format!(
                    "the manifest is mini-app {:?}, this client is {:?}: open a client for it",
                    manifest.id, self.ctx.config.mini_app_id
                ),
            }
            .into());
        }
        if !manifest.runs_on(env!("CARGO_PKG_VERSION")) {
            return Err(Error::Input {
                field: "manifest",
                reason: format!(
                    "the mini-app needs SDK {} or newer; this is {}",
                    manifest.min_sdk_version,
                    env!("CARGO_PKG_VERSION")
                ),
            }
            .into());
        }
        Ok(Arc::new(MiniAppBridge::new(Bridge::new(
            self.ctx.clone(),
            manifest,
            host,
        ))))
    }

    /// The configuration this client was opened with.
    pub fn config(&self) -> ClientConfig {
        self.ctx.config.clone()
    }
}

impl ZheliKitClient {
    fn open_inner(
        config: ClientConfig,
        key_source: Arc<dyn KeySource>,
        logger: Option<Arc<dyn Logger>>,
        network_monitor: Option<Arc<dyn NetworkMonitor>>,
    ) -> Result<Self> {
        let url_ok =
            config.bff_url.starts_with("https://") || config.bff_url.starts_with("http://");
        if !url_ok {
            return Err(Error::Input {
                field: "bff_url",
                reason: "must be an http(s) URL".into(),
            });
        }
        zhelikit_domain::input::mini_app_id(&config.mini_app_id)?;
        if config.storage_dir.is_empty() {
            return Err(Error::Input {
                field: "storage_dir",
                reason: "must be a writable directory".into(),
            });
        }
        let log = Log::new(logger);
        let store = Arc::new(LocalStore::open(
            &PathBuf::from(&config.storage_dir),
            key_source.as_ref(),
        )?);
        let timeout = Duration::from_millis(u64::from(config.request_timeout_ms.max(1000)));
        let bff = Arc::new(Bff::new(
            &config.bff_url,
            &config.mini_app_id,
            timeout,
            network_monitor,
        )?);
        // Canonical, so two clients naming one directory differently share a refresh lock.
        let store_path = std::fs::canonicalize(&config.storage_dir)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| config.storage_dir.clone());
        let session = Arc::new(SessionManager::restore(
            store.clone(),
            &store_path,
            bff.clone(),
            log.clone(),
            &config.mini_app_id,
            config.refresh_margin_secs,
        )?);
        log.debug(
            "zhelikit::client",
            &format!(
                "opened for mini-app {}; logged in: {}",
                config.mini_app_id,
                session.is_logged_in()
            ),
        );
        Ok(Self {
            ctx: Arc::new(Context {
                runtime: Runtime::new()?,
                config,
                bff,
                session,
                store,
                log,
                analytics: Default::default(),
                vault_replays: Default::default(),
                vault_history: Default::default(),
                forms: Default::default(),
                forms_sync: Default::default(),
            }),
        })
    }
}

/// Deletes the local store in `storage_dir` (every session of every mini-app on this device).
/// For recovering from a `Storage` error with `WrongKey`: afterwards, open a client again and
/// log in. Close every client using the directory first.
#[uniffi::export]
pub fn reset_storage(storage_dir: String) -> Result<(), SdkError> {
    store::destroy(&PathBuf::from(storage_dir)).map_err(|e| SdkError::from(Error::from(e)))
}
