//! Configuration: an optional TOML file (`ZK_CONFIG`), then environment variables over it, then
//! defaults that make the README's run command work with nothing installed.
//!
//! [`Config`] is made of plain settings structs, each defined by the module that uses it
//! (`identity::platform::PlatformSettings`, `identity::passkey::PasskeySettings`,
//! `identity::limits::RateLimits`, `departments::AdapterSettings`, `retention::Retention`) and
//! loaded here by a function of its own; nothing depends back on this module but start-up.

mod file;
mod mini_apps;
mod source;

use std::net::SocketAddr;
use std::time::Duration;

use platform_api::dingtalk_sign::AppCredentials;
use platform_api::irs::Credentials;
use platform_api::registration::AppRegistration;

use crate::departments::AdapterSettings;
use crate::identity::limits::RateLimits;
use crate::identity::passkey::PasskeySettings;
use crate::identity::platform::PlatformSettings;
use crate::retention::Retention;
use crate::storage::{Backend, MiniApp, DEFAULT_SQLITE_URL};
pub use mini_apps::{demo_mini_apps, from_manifest};
use source::Source;

/// Why the configuration could not be loaded; names the variable or key at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A required setting is absent.
    #[error("missing setting {0} (set the environment variable or the key in the ZK_CONFIG file)")]
    Missing(&'static str),
    /// A setting has a value of the wrong form.
    #[error("setting {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
    /// The TOML file could not be read or parsed.
    #[error("config file {path}: {reason}")]
    File { path: String, reason: String },
}

/// Everything the BFF needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen.
    pub listen: SocketAddr,
    /// `sqlite:…` or `postgres://…`.
    pub database_url: String,
    /// Redis for cache and rate limits; in-process when absent.
    pub redis_url: Option<String>,
    /// Prefix for every Redis key.
    pub redis_prefix: String,
    /// `iss` of issued tokens; the BFF's public base URL.
    pub issuer: String,
    /// Access token lifetime in seconds.
    pub access_ttl_secs: u64,
    /// Refresh token lifetime in seconds.
    pub refresh_ttl_secs: u64,
    /// How long a spent refresh token may be presented again and get the same successor
    /// (`ZK_REFRESH_GRACE_SECS`, default 10; 0 switches idempotent rotation off).
    pub refresh_grace: Duration,
    /// The platforms.
    pub platform: PlatformSettings,
    /// Passkeys.
    pub passkeys: PasskeySettings,
    /// Rate limits.
    pub rate_limits: RateLimits,
    /// Mini-apps registered at start-up (upserted into storage).
    pub mini_apps: Vec<MiniApp>,
    /// How long a screen waits for its departments before answering with what it has
    /// (`ZK_SCREEN_DEADLINE_MS`, default 800).
    pub screen_deadline: Duration,
    /// Department adapters (`ZK_DEPARTMENT_TIMEOUT_MS` sets the per-attempt timeout).
    pub adapters: AdapterSettings,
    /// The durable job mechanism's lease, sweep and backoff (defaults; tests shorten them).
    pub jobs: crate::jobs::JobSettings,
    /// Whether this BFF runs the job workers itself (`ZK_RUN_JOBS`, default true); false when
    /// `zhelikit-worker` processes run them apart (PostgreSQL + Redis).
    pub run_jobs: bool,
    /// How often 市场监管's register is walked to rebuild the profiles whose records changed
    /// (`ZK_REGISTER_SYNC_SECS`; off when unset, so tests profile only whom they touch).
    pub register_sync_every: Option<std::time::Duration>,
    /// Where a deployment's own forms are (`ZK_FORMS_DIR`: `.xlsx` spreadsheets or `.json`
    /// definitions), published at start beside the samples.
    pub forms_dir: Option<std::path::PathBuf>,
    /// 政务督查's reading of 浙政钉.
    pub supervision: SupervisionSettings,
    /// Whether the calendar clock may be moved forward (`ZK_DEV_CLOCK`, default false): a
    /// development deployment's time travel ([`crate::clock`]). Never in production.
    pub dev_clock: bool,
    /// Proxies whose `X-Forwarded-For` is believed (`ZK_TRUSTED_PROXIES`, comma-separated IPs).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// How long rows are kept before the background pruner deletes them.
    pub retention: Retention,
    /// The verifiers registered to ask holders for certificates online (the demo registry:
    /// [`zhelikit_domain::vault::share::demo_verifiers`]).
    pub vault_verifiers: Vec<zhelikit_domain::vault::share::VerifierRegistration>,
    /// The data consumers (banks) registered to ask citizens for consent (the demo registry:
    /// [`zhelikit_domain::vault::consent::demo_consumers`], the mock bank, its webhook on the
    /// mock platform).
    pub vault_consumers: Vec<zhelikit_domain::vault::consent::ConsumerRegistration>,
    /// The push channels' credentials: FCM's service-account key file
    /// (`ZK_FCM_SERVICE_ACCOUNT_FILE`) and base URL (`ZK_FCM_URL`). Without a key file, pushes
    /// to FCM devices are recorded as `channel_not_configured`; the inbox still has them.
    pub push: PushSettings,
}

/// How 政务督查 reads the organisation tree.
#[derive(Debug, Clone)]
pub struct SupervisionSettings {
    /// The 浙政钉 tenant (`ZK_ZZD_TENANT_ID`; default [`Self::DEMO_TENANT`]).
    pub tenant_id: i64,
    /// The supervision office's organisation code (`ZK_SUPERVISION_OFFICE`); when unset, the
    /// unit of the tree whose name ends in 督查室.
    pub office: Option<String>,
    /// How long a reading of the tree is used before it is read again
    /// (`ZK_SUPERVISION_ORG_TTL_SECS`, default 300); a failed reading keeps the last one.
    pub org_ttl: Duration,
}

impl SupervisionSettings {
    /// The mock platform's Wenzhou tenant.
    pub const DEMO_TENANT: i64 = 196_729;
}

/// The push channels' settings (serialisable, so a worker started apart can be handed them).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PushSettings {
    /// FCM's service account.
    pub fcm_account: Option<platform_api::fcm::ServiceAccount>,
    /// FCM's base URL.
    pub fcm_url: String,
    /// Huawei Push Kit's app credentials (`ZK_HMS_APP_ID`, `ZK_HMS_CLIENT_SECRET`) and
    /// endpoints (`ZK_HMS_TOKEN_URL`, `ZK_HMS_URL`).
    pub hms: Option<zhelikit_push::channels::hms::HmsAccount>,
    /// APNs' team key (`ZK_APNS_KEY_FILE`, the `.p8`; `ZK_APNS_KEY_ID`, `ZK_APNS_TEAM_ID`,
    /// `ZK_APNS_TOPIC`), and its base URL (`ZK_APNS_URL`).
    pub apns: Option<platform_api::apns::ApnsKey>,
    /// APNs' base URL.
    pub apns_url: String,
    /// Each project's send quota a minute (`ZK_PUSH_QUOTA_PER_MINUTE`; FCM's default,
    /// 600,000): the pace its sends start at and climb back to after a 429.
    pub quota_per_minute: u32,
    /// Devices per push batch job (`ZK_PUSH_BATCH`, 100).
    pub batch: u32,
    /// Batches a worker process sends at once (`ZK_PUSH_CONCURRENT_BATCHES`, 8).
    pub concurrent_batches: u32,
    /// When set, a batch is taken from the queue only once it would go out within this at
    /// the pace (`ZK_PUSH_TAKE_WITHIN_MS`; unset: as slots free up). Bounds a push's time from
    /// the queue to the provider's answer (about this plus a round trip) at the cost of the
    /// slack that hides the database's pauses: measured in `docs/benchmarks.md`.
    #[serde(default)]
    pub take_within: Option<std::time::Duration>,
}

impl Config {
    /// Loads from the process environment (and the `ZK_CONFIG` file if set).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::load(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// Loads with `env` as the environment: tests pass a map.
    pub fn load(env: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut source = Source::new(&env)?;
        let listen = listen(&source)?;
        let file_apps = std::mem::take(&mut source.file.mini_apps);
        let platform = platform(&source, file_apps)?;
        let (mini_apps, platform) = platform;
        let vault_consumers = match source.file.vault_consumers.take() {
            Some(registry) => {
                zhelikit_domain::vault::consent::check_consumers(&registry).map_err(|reason| {
                    ConfigError::Invalid {
                        name: "vault_consumers",
                        reason,
                    }
                })?;
                registry
            }
            // The demo bank, its webhook on the mock platform beside the departments.
            None => zhelikit_domain::vault::consent::demo_consumers(Some(format!(
                "{}/bank/webhook",
                platform.zlb_base_url.trim_end_matches('/')
            ))),
        };
        let vault_verifiers = match source.file.vault_verifiers.take() {
            Some(registry) => {
                zhelikit_domain::vault::share::check_verifiers(&registry).map_err(|reason| {
                    ConfigError::Invalid {
                        name: "vault_verifiers",
                        reason,
                    }
                })?;
                registry
            }
            None => zhelikit_domain::vault::share::demo_verifiers(),
        };
        Ok(Self {
            listen,
            database_url: database_url(&source)?,
            redis_url: source.pick("REDIS_URL", &source.file.redis_url),
            redis_prefix: source
                .var("ZK_REDIS_PREFIX")
                .unwrap_or_else(|| "zk:".into()),
            issuer: source
                .pick("ZK_ISSUER", &source.file.issuer)
                .unwrap_or_else(|| format!("http://{listen}")),
            access_ttl_secs: source.positive_seconds("ZK_ACCESS_TTL_SECS", 15 * 60)?,
            refresh_ttl_secs: 30 * 24 * 3600,
            refresh_grace: source.seconds("ZK_REFRESH_GRACE_SECS", 10)?,
            platform,
            passkeys: passkeys(&source, listen)?,
            rate_limits: rate_limits(&source)?,
            mini_apps,
            screen_deadline: source.millis("ZK_SCREEN_DEADLINE_MS", 800)?,
            adapters: adapters(&source)?,
            jobs: crate::jobs::JobSettings::default(),
            run_jobs: source.flag("ZK_RUN_JOBS", true)?,
            register_sync_every: source
                .optional_secs("ZK_REGISTER_SYNC_SECS")?
                .filter(|d| !d.is_zero()),
            forms_dir: source.var("ZK_FORMS_DIR").map(std::path::PathBuf::from),
            dev_clock: source.flag("ZK_DEV_CLOCK", false)?,
            supervision: SupervisionSettings {
                tenant_id: match source.var("ZK_ZZD_TENANT_ID") {
                    None => SupervisionSettings::DEMO_TENANT,
                    Some(t) => t.parse().map_err(|_| ConfigError::Invalid {
                        name: "ZK_ZZD_TENANT_ID",
                        reason: format!("{t:?} is not a tenant id"),
                    })?,
                },
                office: source.var("ZK_SUPERVISION_OFFICE"),
                org_ttl: source.seconds("ZK_SUPERVISION_ORG_TTL_SECS", 300)?,
            },
            trusted_proxies: trusted_proxies(&source)?,
            retention: retention(&source)?,
            vault_verifiers,
            vault_consumers,
            push: push_settings(&source)?,
        })
    }
}

fn listen(source: &Source<'_>) -> Result<SocketAddr, ConfigError> {
    source
        .pick("BFF_ADDR", &source.file.listen)
        .unwrap_or_else(|| "127.0.0.1:8080".into())
        .parse()
        .map_err(|e| ConfigError::Invalid {
            name: "BFF_ADDR",
            reason: format!("{e}"),
        })
}

fn database_url(source: &Source<'_>) -> Result<String, ConfigError> {
    match source.pick("DATABASE_URL", &source.file.database_url) {
        None => Ok(DEFAULT_SQLITE_URL.to_string()),
        Some(url) if url == "sqlite:" => Ok(DEFAULT_SQLITE_URL.to_string()),
        Some(url) if Backend::of(&url).is_some() => Ok(url),
        Some(_) => Err(ConfigError::Invalid {
            name: "DATABASE_URL",
            reason: "must start with sqlite: or postgres:".into(),
        }),
    }
}

/// The platforms, the BFF's own registration and every mini-app's.
fn platform(
    source: &Source<'_>,
    file_apps: Vec<file::FileMiniApp>,
) -> Result<(Vec<MiniApp>, PlatformSettings), ConfigError> {
    let file = &source.file;
    let zlb_base_url = source
        .pick("ZK_PLATFORM_URL", &file.platform_url)
        .unwrap_or_else(|| "http://127.0.0.1:8081".into());
    let zzd_base_url = source
        .pick("ZK_ZZD_URL", &file.zzd_url)
        .unwrap_or_else(|| zlb_base_url.clone());
    let own = AppRegistration {
        service_code: source.required("ZK_ZLB_SERVICE_CODE", &file.service_code)?,
        irs: Credentials {
            access_key: source.required("ZK_IRS_ACCESS_KEY", &file.irs_access_key)?,
            secret_key: source.required("ZK_IRS_SECRET_KEY", &file.irs_secret_key)?,
        },
        miniprogram_app_id: source.required("ZK_MINIPROGRAM_APP_ID", &file.miniprogram_app_id)?,
        zzd: AppCredentials {
            app_key: source.required("ZK_ZZD_APP_KEY", &file.zzd_app_key)?,
            app_secret: source.required("ZK_ZZD_APP_SECRET", &file.zzd_app_secret)?,
        },
    };
    let dev_dir = source.var("ZK_DEV_MINIAPPS");
    let (mini_apps, registrations) = mini_apps::load(file_apps, &own, dev_dir.as_deref())?;
    Ok((
        mini_apps,
        PlatformSettings {
            zlb_base_url: zlb_base_url.trim_end_matches('/').to_string(),
            zzd_base_url: zzd_base_url.trim_end_matches('/').to_string(),
            own,
            registrations,
        },
    ))
}

fn passkeys(source: &Source<'_>, listen: SocketAddr) -> Result<PasskeySettings, ConfigError> {
    let rp_id = source
        .pick("ZK_PASSKEY_RP_ID", &source.file.passkey_rp_id)
        .unwrap_or_else(|| "localhost".into());
    let origins = match source.list("ZK_PASSKEY_ORIGINS") {
        Some(list) => list,
        None => source
            .file
            .passkey_origins
            .clone()
            .unwrap_or_else(|| vec![format!("http://{rp_id}:{}", listen.port())]),
    };
    if let Some(origin) = origins.iter().find(|o| url::Url::parse(o).is_err()) {
        return Err(ConfigError::Invalid {
            name: "ZK_PASSKEY_ORIGINS",
            reason: format!("{origin:?} is not a URL or android:apk-key-hash: origin"),
        });
    }
    let window = source.seconds("ZK_PASSKEY_REAUTH_SECS", 300)?.as_secs();
    Ok(PasskeySettings {
        rp_id,
        rp_name: "ZheliKit".into(),
        origins,
        reauthentication_window_secs: i64::try_from(window).unwrap_or(i64::MAX),
    })
}

fn rate_limits(source: &Source<'_>) -> Result<RateLimits, ConfigError> {
    Ok(RateLimits {
        login_per_client: source.per_minute("ZK_LOGIN_LIMIT_PER_CLIENT", 60)?,
        login_per_user: source.per_minute("ZK_LOGIN_LIMIT_PER_USER", 20)?,
        refresh_per_client: source.per_minute("ZK_REFRESH_LIMIT_PER_CLIENT", 120)?,
        refresh_per_user: source.per_minute("ZK_REFRESH_LIMIT_PER_USER", 60)?,
    })
}

fn adapters(source: &Source<'_>) -> Result<AdapterSettings, ConfigError> {
    Ok(AdapterSettings {
        timeout: source.millis("ZK_DEPARTMENT_TIMEOUT_MS", 400)?,
        cache_ttl: source.optional_millis("ZK_CACHE_TTL_MS")?,
        ..Default::default()
    })
}

fn trusted_proxies(source: &Source<'_>) -> Result<Vec<std::net::IpAddr>, ConfigError> {
    source
        .list("ZK_TRUSTED_PROXIES")
        .unwrap_or_default()
        .iter()
        .map(|s| {
            s.parse().map_err(|_| ConfigError::Invalid {
                name: "ZK_TRUSTED_PROXIES",
                reason: format!("{s:?} is not an IP address"),
            })
        })
        .collect()
}

fn retention(source: &Source<'_>) -> Result<Retention, ConfigError> {
    let defaults = Retention::default();
    Ok(Retention {
        refresh_tokens: source.days("ZK_RETAIN_REFRESH_TOKENS_DAYS", defaults.refresh_tokens)?,
        upstream_calls: source.days("ZK_RETAIN_CALL_BATCHES_DAYS", defaults.upstream_calls)?,
        audit_events: source.days("ZK_RETAIN_AUDIT_DAYS", defaults.audit_events)?,
        jobs: source.days("ZK_RETAIN_JOBS_DAYS", defaults.jobs)?,
        analytics_visitors: source.days(
            "ZK_RETAIN_ANALYTICS_VISITORS_DAYS",
            defaults.analytics_visitors,
        )?,
        every: source.seconds("ZK_PRUNE_EVERY_SECS", defaults.every.as_secs())?,
    })
}

fn push_settings(source: &Source<'_>) -> Result<PushSettings, ConfigError> {
    let fcm_account = match source.var("ZK_FCM_SERVICE_ACCOUNT_FILE") {
        None => None,
        Some(path) => {
            let json = std::fs::read_to_string(&path).map_err(|e| ConfigError::File {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            Some(serde_json::from_str(&json).map_err(|e| ConfigError::File {
                path: path.clone(),
                reason: format!("not a service-account key file: {e}"),
            })?)
        }
    };
    let hms = match (
        source.var("ZK_HMS_APP_ID"),
        source.var("ZK_HMS_CLIENT_SECRET"),
    ) {
        (Some(app_id), Some(client_secret)) => Some(zhelikit_push::channels::hms::HmsAccount {
            app_id,
            client_secret,
            token_url: source.var("ZK_HMS_TOKEN_URL").unwrap_or_else(|| {
                "https://oauth-login.cloud.huawei.com/oauth2/v3/token".to_string()
            }),
            push_url: source
                .var("ZK_HMS_URL")
                .unwrap_or_else(|| "https://push-api.cloud.huawei.com".to_string()),
        }),
        (None, None) => None,
        _ => {
            return Err(ConfigError::Invalid {
                name: "ZK_HMS_APP_ID",
                reason: "ZK_HMS_APP_ID and ZK_HMS_CLIENT_SECRET come together".into(),
            })
        }
    };
    let apns = match source.var("ZK_APNS_KEY_FILE") {
        None => None,
        Some(path) => {
            let private_key = std::fs::read_to_string(&path).map_err(|e| ConfigError::File {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            let needed = |name: &'static str| {
                source.var(name).ok_or_else(|| ConfigError::Invalid {
                    name,
                    reason: "required with ZK_APNS_KEY_FILE".into(),
                })
            };
            Some(platform_api::apns::ApnsKey {
                team_id: needed("ZK_APNS_TEAM_ID")?,
                key_id: needed("ZK_APNS_KEY_ID")?,
                topic: needed("ZK_APNS_TOPIC")?,
                private_key,
            })
        }
    };
    Ok(PushSettings {
        apns,
        apns_url: source
            .var("ZK_APNS_URL")
            .unwrap_or_else(|| "https://api.push.apple.com".to_string()),
        fcm_account,
        fcm_url: source
            .var("ZK_FCM_URL")
            .unwrap_or_else(|| "https://fcm.googleapis.com".to_string()),
        hms,
        quota_per_minute: source.count("ZK_PUSH_QUOTA_PER_MINUTE", "sends a minute", 600_000)?,
        batch: source.count("ZK_PUSH_BATCH", "devices", 100)?,
        concurrent_batches: source.count("ZK_PUSH_CONCURRENT_BATCHES", "batches", 8)?,
        take_within: source.optional_millis("ZK_PUSH_TAKE_WITHIN_MS")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn base_env() -> HashMap<&'static str, &'static str> {
        HashMap::from([
            ("ZK_ZLB_SERVICE_CODE", "svc"),
            ("ZK_IRS_ACCESS_KEY", "ak"),
            ("ZK_IRS_SECRET_KEY", "sk"),
            ("ZK_MINIPROGRAM_APP_ID", "app"),
            ("ZK_ZZD_APP_KEY", "zk"),
            ("ZK_ZZD_APP_SECRET", "zs"),
        ])
    }

    fn load(env: &HashMap<&'static str, &'static str>) -> Result<Config, ConfigError> {
        Config::load(|k| env.get(k).map(|v| v.to_string()))
    }

    #[test]
    fn defaults_are_sqlite_and_in_process() {
        let config = load(&base_env()).unwrap();
        assert_eq!(config.database_url, DEFAULT_SQLITE_URL);
        assert_eq!(config.redis_url, None);
        assert_eq!(config.listen.port(), 8080);
    }

    #[test]
    fn a_bare_sqlite_url_means_the_default_file_and_postgres_is_kept() {
        let mut env = base_env();
        env.insert("DATABASE_URL", "sqlite:");
        assert_eq!(load(&env).unwrap().database_url, DEFAULT_SQLITE_URL);
        env.insert("DATABASE_URL", "postgres://u@127.0.0.1/db");
        assert_eq!(
            load(&env).unwrap().database_url,
            "postgres://u@127.0.0.1/db"
        );
        env.insert("DATABASE_URL", "mysql://x");
        assert!(matches!(
            load(&env),
            Err(ConfigError::Invalid {
                name: "DATABASE_URL",
                ..
            })
        ));
    }

    #[test]
    fn a_missing_credential_is_named() {
        let mut env = base_env();
        env.remove("ZK_IRS_SECRET_KEY");
        assert!(matches!(
            load(&env),
            Err(ConfigError::Missing("ZK_IRS_SECRET_KEY"))
        ));
    }

    #[test]
    fn each_demo_mini_app_has_a_registration_of_its_own() {
        let config = load(&base_env()).unwrap();
        let ids: Vec<&str> = config.mini_apps.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(
            ids,
            platform_api::registration::DEMO_MINI_APPS,
            "the mock registers the same demo mini-apps"
        );
        let codes: std::collections::HashSet<&str> = config
            .platform
            .registrations
            .values()
            .map(|r| r.service_code.as_str())
            .collect();
        assert_eq!(codes.len(), ids.len(), "no two share a service code");
        assert!(!codes.contains(config.platform.own.service_code.as_str()));
    }
}

#[cfg(test)]
mod file_tests {
    use super::*;
    use zhelikit_domain::vault::CertificateKind as CertificateKindForTest;

    #[test]
    fn a_toml_file_provides_settings_and_the_environment_wins() {
        let dir = std::env::temp_dir().join(format!("zk-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bff.toml");
        let manifest = dir.join("miniapp.json");
        std::fs::write(
            &manifest,
            r#"{"id": "only-app", "name": "Only", "version": "1.0.0", "platform": "zlb",
                "entry": "index.html", "scopes": ["profile"], "min_real_name_level": 2,
                "user_kinds": ["citizen"], "min_sdk_version": "0.1.0"}"#,
        )
        .unwrap();
        std::fs::write(
            &path,
            r#"
            service_code = "from-file"
            irs_access_key = "ak"
            irs_secret_key = "sk"
            miniprogram_app_id = "mp"
            zzd_app_key = "zk"
            zzd_app_secret = "zs"
            listen = "127.0.0.1:9000"

            [[mini_apps]]
            manifest = "MANIFEST"
            callback_urls = ["https://only.test/cb"]
            [mini_apps.platform]
            service_code = "only-sc"
            irs_access_key = "only-ak"
            irs_secret_key = "only-sk"
            miniprogram_app_id = "only-mp"
            zzd_app_key = "only-zk"
            zzd_app_secret = "only-zs"
            "#
            .replace("MANIFEST", &manifest.display().to_string()),
        )
        .unwrap();
        let path_text = path.display().to_string();
        let config = Config::load(|k| match k {
            "ZK_CONFIG" => Some(path_text.clone()),
            "BFF_ADDR" => Some("127.0.0.1:9100".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(config.platform.own.service_code, "from-file");
        assert_eq!(
            config.listen.port(),
            9100,
            "the environment wins over the file"
        );
        assert_eq!(config.mini_apps.len(), 1);
        assert_eq!(config.mini_apps[0].min_real_name_level, 2);
        assert_eq!(
            config.platform.registrations["only-app"].service_code,
            "only-sc"
        );

        assert_eq!(
            config.vault_consumers[0].id, "zk-demo-bank",
            "no registry in the file: the demo bank"
        );

        // Registries from the file replace the demo ones; a fault names its entry.
        let bank_key = zhelikit_domain::gm::Sm2PrivateKey::generate()
            .public_key()
            .to_jwk();
        let registries = format!(
            r#"
            service_code = "from-file"
            irs_access_key = "ak"
            irs_secret_key = "sk"
            miniprogram_app_id = "mp"
            zzd_app_key = "zk"
            zzd_app_secret = "zs"

            [[vault_verifiers]]
            id = "wz-traffic"
            name = "温州市公安局交通警察支队"
            purposes = ["驾驶证核验"]
            [[vault_verifiers.allowed]]
            kind = "driving_licence"
            claims = ["licence_valid", "licence_class"]

            [[vault_consumers]]
            id = "wz-bank"
            name = "温州银行"
            webhook = "https://bank.example/zhelikit"
            secret_sm3 = "{}"
            purposes = [{{ code = "home_loan", text = "个人住房贷款审批" }}]
            [vault_consumers.allowed]
            resident_id = ["name", "age_over_18"]
            [vault_consumers.encryption_key]
            kty = "{}"
            crv = "{}"
            x = "{}"
            y = "{}"
            "#,
            "ab".repeat(32),
            bank_key.kty,
            bank_key.crv,
            bank_key.x,
            bank_key.y
        );
        std::fs::write(&path, &registries).unwrap();
        let config = Config::load(|k| (k == "ZK_CONFIG").then(|| path_text.clone())).unwrap();
        assert_eq!(config.vault_verifiers.len(), 1);
        assert_eq!(config.vault_verifiers[0].id, "wz-traffic");
        assert_eq!(config.vault_consumers.len(), 1);
        assert_eq!(config.vault_consumers[0].purposes[0].code, "home_loan");
        assert_eq!(
            config.vault_consumers[0].allowed[&CertificateKindForTest::ResidentId],
            vec!["name".to_string(), "age_over_18".to_string()]
        );
        for (broken, named) in [
            (
                registries.replace("\"licence_class\"", "\"shoe_size\""),
                "shoe_size",
            ),
            (
                registries.replace(&"ab".repeat(32), "not-hex"),
                "secret_sm3",
            ),
            (
                registries.replace("https://bank.example", "ftp://bank.example"),
                "webhook",
            ),
        ] {
            std::fs::write(&path, &broken).unwrap();
            let err = Config::load(|k| (k == "ZK_CONFIG").then(|| path_text.clone())).unwrap_err();
            assert!(err.to_string().contains(named), "{err}");
        }

        std::fs::write(&path, "unknown_key = 1\n").unwrap();
        let err = Config::load(|k| (k == "ZK_CONFIG").then(|| path_text.clone())).unwrap_err();
        assert!(matches!(err, ConfigError::File { .. }), "{err}");
        assert!(err.to_string().contains("unknown_key"), "{err}");
    }
}
