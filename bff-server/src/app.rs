//! The application state every handler shares: `AppState(Arc<App>)`, built once at start-up
//! from the configuration, with each external service chosen there and nowhere else.

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use uuid::Uuid;

use metrics_exporter_prometheus::PrometheusHandle;
use webauthn_rs::prelude::{Url, Webauthn, WebauthnBuilder};

use crate::config::Config;
use crate::departments::{Departments, Recorder};
use crate::identity::platform::{HttpPlatformClient, PlatformClient};
use crate::identity::tokens::Keyring;
use crate::infra::cache::{Cache, MemoryCache, RedisCache};
use crate::infra::local_ttl::LocalTtlMap;
use crate::infra::rate_limit::{
    FallbackRateLimiter, MemoryRateLimiter, RateLimiter, RedisRateLimiter,
};
use crate::infra::revocations::Revocations;
use crate::personal_data::PersonalDataKeys;
use crate::storage::{self, Store, User};

/// Why the BFF could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// Storage could not be opened or migrated.
    #[error("storage: {0}")]
    Storage(#[from] storage::StoreError),
    /// Redis could not be reached at start-up.
    #[error("redis: {0}")]
    Redis(#[from] crate::infra::CacheError),
    /// The passkey settings are unusable.
    #[error("passkeys: {0}")]
    Passkeys(String),
    /// The platform client could not be built.
    #[error("platform: {0}")]
    Platform(String),
}

/// Everything the handlers use.
pub struct App {
    /// The configuration it was built from.
    pub config: Config,
    /// PostgreSQL or SQLite.
    pub store: Arc<dyn Store>,
    /// Redis or in-process.
    pub cache: Arc<dyn Cache>,
    /// Redis or in-process.
    pub limiter: Arc<dyn RateLimiter>,
    /// Revoked sessions, checked in memory on every request.
    pub revocations: Arc<Revocations>,
    /// Recently read user profiles, so `GET /v1/me` does not read the database every time.
    /// Entries live [`crate::identity::users::PROFILE_TTL`]; a login on this instance refreshes its user's entry.
    pub profiles: LocalTtlMap<Uuid, Arc<User>>,
    /// Access-token keys.
    pub keyring: Keyring,
    /// 浙里办 / 浙政钉.
    pub platform: Arc<dyn PlatformClient>,
    /// Keys for pseudonyms and sealed personal data.
    pub personal_data: PersonalDataKeys,
    /// The department adapters and their cache.
    pub departments: Arc<Departments>,
    /// Where department calls are recorded (drained at shutdown).
    pub recorder: Recorder,
    /// The WebAuthn relying party.
    pub webauthn: Webauthn,
    /// Prometheus rendering.
    pub metrics: PrometheusHandle,
    /// Deletes rows past their retention, in the background.
    pub pruner: crate::retention::Pruner,
    /// The platform's SM2 key for consent artefacts, notices and fetched data's key binding.
    pub consent_key: crate::vault::consents::ConsentKey,
    /// Posts consent notices to consumers' webhooks.
    pub webhooks: reqwest::Client,
    /// Each active consent's content key (SM4, SM2-encrypted to its consumer once), in memory
    /// only: a fetch seals under it instead of paying an SM2 encryption.
    pub consent_content_keys: LocalTtlMap<String, Arc<zhelikit_domain::gm::envelope::ContentKey>>,
    /// The durable job mechanism: background work (webhook notices, …) and its workers.
    pub jobs: Arc<crate::jobs::Jobs>,
    /// The calendar clock: supervision's days and the jobs' due times.
    pub clock: Arc<crate::clock::Clock>,
    /// This instance's policy-matching index over every profiled enterprise.
    pub matcher: crate::policy::Matcher,
    /// The push channels configured (FCM when its service account is).
    pub channels: crate::policy::deliveries::Channels,
    /// The forms published, loaded into the engine.
    pub forms: crate::forms::Registry,
    /// 政务督查's reading of 浙政钉 (the organisation tree, messaging).
    pub supervision: crate::supervision::Directory,
}

/// Cheap to clone; what axum hands each handler.
#[derive(Clone)]
pub struct AppState(pub Arc<App>);

impl Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}

impl AppState {
    /// Registers every queue's handler and starts the job workers (the server does, once the
    /// state is shared; handlers that need the app hold it weakly).
    pub fn start_background(&self) {
        use crate::vault::notices;
        let jobs = &self.jobs;
        jobs.register(
            notices::QUEUE,
            Arc::new(notices::ConsentNotices::new(
                self.webhooks.clone(),
                self.config.vault_consumers.clone(),
            )),
        );
        jobs.register(
            notices::EXPIRY_QUEUE,
            Arc::new(notices::ConsentExpiries::new(Arc::downgrade(&self.0))),
        );
        jobs.register(
            crate::policy::inbox::CAMPAIGN_QUEUE,
            crate::policy::inbox::campaigns(&self.0),
        );
        {
            use crate::policy::sync;
            let app = Arc::downgrade(&self.0);
            jobs.register(
                sync::REGISTER_QUEUE,
                Arc::new(sync::RegisterPages::new(app.clone())),
            );
            jobs.register(
                sync::PROFILE_QUEUE,
                Arc::new(sync::Profiles::new(app.clone())),
            );
            jobs.register(
                sync::REMATCH_QUEUE,
                Arc::new(sync::Rematches::new(app.clone())),
            );
            jobs.register_concurrent(
                crate::forms::routing::QUEUE,
                Arc::new(crate::forms::routing::Deliveries::new(app.clone())),
                4,
            );
            jobs.register_concurrent(
                crate::supervision::nudges::NUDGE_QUEUE,
                Arc::new(crate::supervision::nudges::Nudges::new(app.clone())),
                8,
            );
            jobs.register_concurrent(
                crate::supervision::nudges::TODO_QUEUE,
                Arc::new(crate::supervision::nudges::Todos::new(app.clone())),
                2,
            );
            jobs.register_concurrent(
                crate::policy::deliveries::QUEUE,
                Arc::new(crate::policy::deliveries::Deliveries::new(app)),
                self.config.push.concurrent_batches as usize,
            );
        }
        jobs.start();
        if let Some(every) = self.config.register_sync_every {
            crate::policy::sync::schedule(&self.0, every);
        }
    }
}

impl App {
    /// Opens storage (running migrations), connects Redis when configured, loads or creates the
    /// signing key and registers the configured mini-apps.
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        // First: the department clients register their metric handles while being built.
        let metrics = crate::http::metrics::handle();
        let store = storage::connect(&config.database_url).await?;
        // A session can be revoked for as long as its access tokens live.
        let revocation_ttl = Duration::from_secs(config.access_ttl_secs + 60);
        let (cache, limiter): (Arc<dyn Cache>, Arc<dyn RateLimiter>) = match &config.redis_url {
            Some(url) => {
                let conn = crate::infra::redis_connection(url).await?;
                (
                    Arc::new(RedisCache::new(conn.clone(), &config.redis_prefix)),
                    Arc::new(FallbackRateLimiter::new(RedisRateLimiter::new(
                        conn,
                        &config.redis_prefix,
                    ))),
                )
            }
            None => (
                Arc::new(MemoryCache::default()),
                Arc::new(MemoryRateLimiter::default()),
            ),
        };
        let revocations = Revocations::start(store.clone(), revocation_ttl).await?;
        crate::forms::registry::publish_all(store.as_ref(), config.forms_dir.as_deref()).await?;
        for app in &config.mini_apps {
            store.upsert_mini_app(app).await?;
        }
        let keyring = Keyring::load_or_create(store.as_ref(), &config.issuer).await?;
        let personal_data = personal_data_keys(store.as_ref()).await?;
        crate::personal_data::reseal_legacy_id_numbers_once(store.as_ref(), &personal_data).await?;
        let platform = Arc::new(
            HttpPlatformClient::new(config.platform.clone())
                .map_err(|e| StartupError::Platform(e.to_string()))?,
        );
        let supervision = crate::supervision::Directory::new(platform.clone());
        let recorder = Recorder::start(store.clone());
        let departments = Arc::new(
            Departments::new(
                &config.platform.zlb_base_url,
                &config.platform.own.irs,
                &config.adapters,
                cache.clone(),
                personal_data.clone(),
                recorder.clone(),
            )
            .map_err(StartupError::Platform)?,
        );
        let webauthn = build_webauthn(&config)?;
        crate::http::metrics::start_upkeep();
        let pruner = crate::retention::start(store.clone(), config.retention, config.refresh_grace);
        let consent_key =
            crate::vault::consents::ConsentKey::load_or_create(store.as_ref()).await?;
        let webhooks = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(5))
            .build()
            .map_err(|e| StartupError::Platform(e.to_string()))?;
        let signal: Arc<dyn crate::jobs::signal::Signal> = match &config.redis_url {
            Some(url) => Arc::new(crate::jobs::signal::RedisStreams::new(
                url,
                crate::infra::redis_connection_waiting(url, Duration::from_secs(5)).await?,
                &config.redis_prefix,
                &format!("bff-{}", Uuid::new_v4().simple()),
            )),
            None => Arc::new(crate::jobs::signal::InProcess::default()),
        };
        let channels = crate::policy::deliveries::Channels::new(&config.push)
            .map_err(|e| StartupError::Platform(format!("push channels: {e}")))?;
        let clock = Arc::new(if config.dev_clock {
            crate::clock::Clock::movable()
        } else {
            crate::clock::Clock::system()
        });
        let jobs = Arc::new(crate::jobs::Jobs::new(
            store.clone(),
            signal,
            config.jobs.clone(),
            clock.clone(),
        ));

        Ok(Self {
            config,
            store,
            cache,
            limiter,
            revocations,
            personal_data,
            departments,
            recorder,
            profiles: LocalTtlMap::new(100_000),
            keyring,
            platform,
            webauthn,
            metrics,
            pruner,
            consent_key,
            webhooks,
            consent_content_keys: LocalTtlMap::new(100_000),
            jobs,
            clock,
            matcher: crate::policy::Matcher::default(),
            channels,
            forms: crate::forms::Registry::default(),
            supervision,
        })
    }
}

/// The personal-data keys, created at the first start of a deployment.
async fn personal_data_keys(store: &dyn Store) -> Result<PersonalDataKeys, StartupError> {
    let random = || {
        let mut bytes = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
        bytes
    };
    let pseudonym = store.server_secret("pseudonym-key", &random()).await?;
    let sealing = store.server_secret("sealing-key", &random()).await?;
    PersonalDataKeys::new(pseudonym, &sealing).ok_or_else(|| {
        StartupError::Storage(crate::storage::StoreError::Corrupt(
            "sealing-key is not 32 bytes".into(),
        ))
    })
}

fn build_webauthn(config: &Config) -> Result<Webauthn, StartupError> {
    let origins: Vec<Url> = config
        .passkeys
        .origins
        .iter()
        .map(|o| Url::parse(o).map_err(|e| StartupError::Passkeys(format!("origin {o:?}: {e}"))))
        .collect::<Result<_, _>>()?;
    // The relying party is anchored on a web origin of its domain; Android app origins
    // (`android:apk-key-hash:…`) are added beside it, whatever order they were configured in.
    let web_origin = match origins
        .iter()
        .find(|o| o.scheme() == "https" || o.scheme() == "http")
    {
        Some(origin) => origin.clone(),
        None => Url::parse(&format!("https://{}", config.passkeys.rp_id)).map_err(|e| {
            StartupError::Passkeys(format!("relying party id {:?}: {e}", config.passkeys.rp_id))
        })?,
    };
    let mut builder = WebauthnBuilder::new(&config.passkeys.rp_id, &web_origin)
        .map_err(|e| StartupError::Passkeys(e.to_string()))?
        .rp_name(&config.passkeys.rp_name);
    for origin in origins.iter().filter(|o| **o != web_origin) {
        builder = builder.append_allowed_origin(origin);
    }
    builder
        .build()
        .map_err(|e| StartupError::Passkeys(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_with_origins(origins: &[&str]) -> Config {
        let mut config = Config::load(|k| match k {
            "ZK_ZLB_SERVICE_CODE"
            | "ZK_IRS_ACCESS_KEY"
            | "ZK_IRS_SECRET_KEY"
            | "ZK_MINIPROGRAM_APP_ID"
            | "ZK_ZZD_APP_KEY"
            | "ZK_ZZD_APP_SECRET" => Some("x".into()),
            "ZK_PASSKEY_RP_ID" => Some("zhelikit.test".into()),
            _ => None,
        })
        .unwrap();
        config.passkeys.origins = origins.iter().map(|o| o.to_string()).collect();
        config
    }

    #[test]
    fn android_origins_may_come_first_or_alone() {
        assert!(build_webauthn(&config_with_origins(&[
            "android:apk-key-hash:abc",
            "https://zhelikit.test"
        ]))
        .is_ok());
        assert!(build_webauthn(&config_with_origins(&["android:apk-key-hash:abc"])).is_ok());
        assert!(
            build_webauthn(&config_with_origins(&["https://elsewhere.test"])).is_err(),
            "an origin outside the RP id is refused"
        );
    }
}
