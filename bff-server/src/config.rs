//! Configuration: an optional TOML file (`ZK_CONFIG`), then environment variables over it, then
//! defaults that make the README's run command work with nothing installed.

use std::net::SocketAddr;
use std::path::Path;

use std::collections::HashMap;

use platform_api::dingtalk_sign::AppCredentials;
use platform_api::irs::Credentials;
use platform_api::registration::AppRegistration;
use serde::Deserialize;
use zhelikit_domain::api::UserKind;
use zhelikit_domain::scope::Scope;

use crate::storage::MiniApp;

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

/// How the BFF reaches 浙里办 / 浙政钉 and who it is there.
#[derive(Debug, Clone)]
pub struct PlatformConfig {
    /// Base URL of the 浙里办 IRS gateway (the mock in development).
    pub zlb_base_url: String,
    /// Base URL of the 浙政钉 open platform.
    pub zzd_base_url: String,
    /// The BFF's 浙里办 service code.
    pub service_code: String,
    /// IRS gateway credentials.
    pub irs: Credentials,
    /// App id for the mini-program (ticketId) login.
    pub miniprogram_app_id: String,
    /// 浙政钉 app credentials.
    pub zzd: AppCredentials,
    /// Each mini-app's own registration at the platforms, by mini-app id: its logins are
    /// redeemed with it, so a credential issued to one mini-app never opens another.
    pub registrations: HashMap<String, AppRegistration>,
}

impl PlatformConfig {
    /// The BFF's own registration (the base of the demo mini-apps' registrations).
    pub fn own(&self) -> AppRegistration {
        AppRegistration {
            service_code: self.service_code.clone(),
            irs: self.irs.clone(),
            miniprogram_app_id: self.miniprogram_app_id.clone(),
            zzd: self.zzd.clone(),
        }
    }
}

/// WebAuthn relying-party settings.
#[derive(Debug, Clone)]
pub struct PasskeyConfig {
    /// Relying-party id: the registrable domain, e.g. `zhelikit.example.gov.cn`.
    pub rp_id: String,
    /// Display name shown by authenticators.
    pub rp_name: String,
    /// Allowed origins: `https://…` web origins and Android `android:apk-key-hash:…` origins.
    pub origins: Vec<String>,
    /// How recent (seconds) the login of a session must be to register a passkey
    /// (`ZK_PASSKEY_REAUTH_SECS`, default 300).
    pub reauthentication_window_secs: i64,
}

/// Rate limits, per minute.
#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    /// Login attempts per client address.
    pub login_per_client: u32,
    /// Logins per user (after the platform identified them).
    pub login_per_user: u32,
    /// Refreshes per client address.
    pub refresh_per_client: u32,
    /// Refreshes per user.
    pub refresh_per_user: u32,
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
    /// The platforms.
    pub platform: PlatformConfig,
    /// Passkeys.
    pub passkeys: PasskeyConfig,
    /// Rate limits.
    pub rate_limits: RateLimits,
    /// Mini-apps registered at start-up (upserted into storage).
    pub mini_apps: Vec<MiniApp>,
    /// How long a screen waits for its departments before answering with what it has
    /// (`ZK_SCREEN_DEADLINE_MS`, default 800).
    pub screen_deadline: std::time::Duration,
    /// Department adapters (`ZK_DEPARTMENT_TIMEOUT_MS` sets the per-attempt timeout).
    pub adapters: crate::departments::AdapterConfig,
    /// Proxies whose `X-Forwarded-For` is believed (`ZK_TRUSTED_PROXIES`, comma-separated IPs).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// How long a spent refresh token may be presented again and get the same successor
    /// (`ZK_REFRESH_GRACE_SECS`, default 10; 0 switches idempotent rotation off).
    pub refresh_grace: std::time::Duration,
    /// How long rows are kept before the background pruner deletes them.
    pub retention: Retention,
}

/// Retention periods (`ZK_RETAIN_*_DAYS`) and how often the pruner runs.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    /// Refresh tokens after they were spent, revoked or expired (default 30 days).
    pub refresh_tokens: std::time::Duration,
    /// Recorded department call batches (default 90 days).
    pub upstream_calls: std::time::Duration,
    /// Audit events (default 180 days: the Cybersecurity Law asks for at least six months of
    /// logs).
    pub audit_events: std::time::Duration,
    /// Time between pruning rounds (`ZK_PRUNE_EVERY_SECS`, default one hour).
    pub every: std::time::Duration,
}

impl Default for Retention {
    fn default() -> Self {
        let days = |d: u64| std::time::Duration::from_secs(d * 24 * 3600);
        Self {
            refresh_tokens: days(30),
            upstream_calls: days(90),
            audit_events: days(180),
            every: std::time::Duration::from_secs(3600),
        }
    }
}

/// The file form: every key optional, environment variables win.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    database_url: Option<String>,
    redis_url: Option<String>,
    issuer: Option<String>,
    platform_url: Option<String>,
    zzd_url: Option<String>,
    service_code: Option<String>,
    irs_access_key: Option<String>,
    irs_secret_key: Option<String>,
    miniprogram_app_id: Option<String>,
    zzd_app_key: Option<String>,
    zzd_app_secret: Option<String>,
    passkey_rp_id: Option<String>,
    passkey_origins: Option<Vec<String>>,
    #[serde(default)]
    mini_apps: Vec<FileMiniApp>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileMiniApp {
    id: String,
    name: String,
    callback_urls: Vec<String>,
    allowed_scopes: Vec<String>,
    min_real_name_level: u8,
    allowed_user_kinds: Vec<String>,
    /// What the platform operators registered this mini-app as.
    platform: Option<FileRegistration>,
}

/// A mini-app's platform registration in the configuration file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRegistration {
    service_code: String,
    irs_access_key: String,
    irs_secret_key: String,
    miniprogram_app_id: String,
    zzd_app_key: String,
    zzd_app_secret: String,
}

impl From<FileRegistration> for AppRegistration {
    fn from(f: FileRegistration) -> Self {
        AppRegistration {
            service_code: f.service_code,
            irs: Credentials {
                access_key: f.irs_access_key,
                secret_key: f.irs_secret_key,
            },
            miniprogram_app_id: f.miniprogram_app_id,
            zzd: AppCredentials {
                app_key: f.zzd_app_key,
                app_secret: f.zzd_app_secret,
            },
        }
    }
}

/// Refuses two mini-apps sharing a service code, mini-program id or 浙政钉 app key: a
/// credential of one would then open the other. Pure.
fn check_distinct(registrations: &HashMap<String, AppRegistration>) -> Result<(), ConfigError> {
    let mut seen = HashMap::new();
    for (id, r) in registrations {
        for code in [&r.service_code, &r.miniprogram_app_id, &r.zzd.app_key] {
            if let Some(other) = seen.insert(code.clone(), id.clone()) {
                if other != *id {
                    return Err(ConfigError::Invalid {
                        name: "mini_apps.platform",
                        reason: format!(
                            "mini-apps {other} and {id} share the platform code {code:?}; each needs its own registration"
                        ),
                    });
                }
            }
        }
    }
    Ok(())
}

/// Default SQLite file of the embedded run, relative to the working directory.
pub const DEFAULT_SQLITE_URL: &str = "sqlite:.zhelikit/bff.db";

impl Config {
    /// Loads from the process environment (and the `ZK_CONFIG` file if set).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::load(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// Loads with `env` as the environment: tests pass a map.
    pub fn load(env: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let file = match env("ZK_CONFIG") {
            Some(path) => read_file(Path::new(&path))?,
            None => FileConfig::default(),
        };
        let pick = |var: &str, from_file: &Option<String>| env(var).or_else(|| from_file.clone());
        let required = |var: &'static str, from_file: &Option<String>| {
            pick(var, from_file).ok_or(ConfigError::Missing(var))
        };

        let listen = pick("BFF_ADDR", &file.listen).unwrap_or_else(|| "127.0.0.1:8080".into());
        let listen: SocketAddr = listen.parse().map_err(|e| ConfigError::Invalid {
            name: "BFF_ADDR",
            reason: format!("{e}"),
        })?;
        let database_url = match pick("DATABASE_URL", &file.database_url) {
            None => DEFAULT_SQLITE_URL.to_string(),
            Some(url) if url == "sqlite:" => DEFAULT_SQLITE_URL.to_string(),
            Some(url)
                if url.starts_with("sqlite:")
                    || url.starts_with("postgres:")
                    || url.starts_with("postgresql:") =>
            {
                url
            }
            Some(_) => {
                return Err(ConfigError::Invalid {
                    name: "DATABASE_URL",
                    reason: "must start with sqlite: or postgres:".into(),
                })
            }
        };
        let platform_url = pick("ZK_PLATFORM_URL", &file.platform_url)
            .unwrap_or_else(|| "http://127.0.0.1:8081".into());
        let zzd_url = pick("ZK_ZZD_URL", &file.zzd_url).unwrap_or_else(|| platform_url.clone());
        let issuer = pick("ZK_ISSUER", &file.issuer).unwrap_or_else(|| format!("http://{listen}"));
        let rp_id =
            pick("ZK_PASSKEY_RP_ID", &file.passkey_rp_id).unwrap_or_else(|| "localhost".into());
        let origins = match env("ZK_PASSKEY_ORIGINS") {
            Some(list) => list
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            None => file
                .passkey_origins
                .clone()
                .unwrap_or_else(|| vec![format!("http://{rp_id}:{}", listen.port())]),
        };
        for origin in &origins {
            if url::Url::parse(origin).is_err() {
                return Err(ConfigError::Invalid {
                    name: "ZK_PASSKEY_ORIGINS",
                    reason: format!("{origin:?} is not a URL or android:apk-key-hash: origin"),
                });
            }
        }
        let own = AppRegistration {
            service_code: required("ZK_ZLB_SERVICE_CODE", &file.service_code)?,
            irs: Credentials {
                access_key: required("ZK_IRS_ACCESS_KEY", &file.irs_access_key)?,
                secret_key: required("ZK_IRS_SECRET_KEY", &file.irs_secret_key)?,
            },
            miniprogram_app_id: required("ZK_MINIPROGRAM_APP_ID", &file.miniprogram_app_id)?,
            zzd: AppCredentials {
                app_key: required("ZK_ZZD_APP_KEY", &file.zzd_app_key)?,
                app_secret: required("ZK_ZZD_APP_SECRET", &file.zzd_app_secret)?,
            },
        };
        let (mini_apps, registrations) = if file.mini_apps.is_empty() {
            // The demo: each demo mini-app registered under the BFF's own demo credentials.
            let apps = demo_mini_apps();
            let registrations = apps
                .iter()
                .map(|a| (a.id.clone(), own.demo_for(&a.id)))
                .collect();
            (apps, registrations)
        } else {
            let mut apps = Vec::new();
            let mut registrations = HashMap::new();
            for file_app in file.mini_apps {
                let registration = file_app.platform.ok_or_else(|| ConfigError::Invalid {
                    name: "mini_apps.platform",
                    reason: format!(
                        "mini-app {} has no platform registration (service_code, irs_access_key, irs_secret_key, miniprogram_app_id, zzd_app_key, zzd_app_secret)",
                        file_app.id
                    ),
                })?;
                registrations.insert(file_app.id.clone(), registration.into());
                apps.push(
                    FileMiniApp {
                        platform: None,
                        ..file_app
                    }
                    .into_mini_app()?,
                );
            }
            (apps, registrations)
        };
        check_distinct(&registrations)?;
        let trusted_proxies = env("ZK_TRUSTED_PROXIES")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse().map_err(|_| ConfigError::Invalid {
                    name: "ZK_TRUSTED_PROXIES",
                    reason: format!("{s:?} is not an IP address"),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let millis =
            |name: &'static str, default: u64| -> Result<std::time::Duration, ConfigError> {
                match env(name) {
                    None => Ok(std::time::Duration::from_millis(default)),
                    Some(v) => v
                        .parse::<u64>()
                        .map(std::time::Duration::from_millis)
                        .map_err(|_| ConfigError::Invalid {
                            name,
                            reason: format!("{v:?} is not a number of milliseconds"),
                        }),
                }
            };
        let cache_ttl = match env("ZK_CACHE_TTL_MS") {
            Some(_) => Some(millis("ZK_CACHE_TTL_MS", 0)?),
            None => None,
        };
        let adapters = crate::departments::AdapterConfig {
            timeout: millis("ZK_DEPARTMENT_TIMEOUT_MS", 400)?,
            cache_ttl,
            ..Default::default()
        };
        let per_minute = |name: &'static str, default: u32| -> Result<u32, ConfigError> {
            match env(name) {
                None => Ok(default),
                Some(v) => v.parse().map_err(|_| ConfigError::Invalid {
                    name,
                    reason: format!("{v:?} is not a number of requests per minute"),
                }),
            }
        };
        let seconds =
            |name: &'static str, default: u64| -> Result<std::time::Duration, ConfigError> {
                match env(name) {
                    None => Ok(std::time::Duration::from_secs(default)),
                    Some(v) => v
                        .parse::<u64>()
                        .map(std::time::Duration::from_secs)
                        .map_err(|_| ConfigError::Invalid {
                            name,
                            reason: format!("{v:?} is not a number of seconds"),
                        }),
                }
            };
        // Whole days, at least one (a shorter retention would prune what is still in use).
        let days = |name: &'static str, default: std::time::Duration| {
            let given = seconds(name, default.as_secs() / 86_400)?.as_secs();
            given
                .checked_mul(86_400)
                .filter(|_| given >= 1)
                .map(std::time::Duration::from_secs)
                .ok_or(ConfigError::Invalid {
                    name,
                    reason: format!("{given} is not a number of days between 1 and a few million"),
                })
        };
        let retention_defaults = Retention::default();
        let retention = Retention {
            refresh_tokens: days(
                "ZK_RETAIN_REFRESH_TOKENS_DAYS",
                retention_defaults.refresh_tokens,
            )?,
            upstream_calls: days(
                "ZK_RETAIN_CALL_BATCHES_DAYS",
                retention_defaults.upstream_calls,
            )?,
            audit_events: days("ZK_RETAIN_AUDIT_DAYS", retention_defaults.audit_events)?,
            every: seconds("ZK_PRUNE_EVERY_SECS", retention_defaults.every.as_secs())?,
        };
        Ok(Self {
            refresh_grace: seconds("ZK_REFRESH_GRACE_SECS", 10)?,
            retention,
            screen_deadline: millis("ZK_SCREEN_DEADLINE_MS", 800)?,
            adapters,
            trusted_proxies,
            listen,
            database_url,
            redis_url: pick("REDIS_URL", &file.redis_url),
            redis_prefix: env("ZK_REDIS_PREFIX").unwrap_or_else(|| "zk:".into()),
            issuer,
            access_ttl_secs: match env("ZK_ACCESS_TTL_SECS") {
                None => 15 * 60,
                Some(v) => v
                    .parse()
                    .ok()
                    .filter(|s: &u64| *s > 0)
                    .ok_or(ConfigError::Invalid {
                        name: "ZK_ACCESS_TTL_SECS",
                        reason: format!("{v:?} is not a positive number of seconds"),
                    })?,
            },
            refresh_ttl_secs: 30 * 24 * 3600,
            platform: PlatformConfig {
                zlb_base_url: platform_url.trim_end_matches('/').to_string(),
                zzd_base_url: zzd_url.trim_end_matches('/').to_string(),
                service_code: own.service_code,
                irs: own.irs,
                miniprogram_app_id: own.miniprogram_app_id,
                zzd: own.zzd,
                registrations,
            },
            passkeys: PasskeyConfig {
                rp_id,
                rp_name: "ZheliKit".into(),
                origins,
                reauthentication_window_secs: i64::try_from(
                    seconds("ZK_PASSKEY_REAUTH_SECS", 300)?.as_secs(),
                )
                .unwrap_or(i64::MAX),
            },
            rate_limits: RateLimits {
                login_per_client: per_minute("ZK_LOGIN_LIMIT_PER_CLIENT", 60)?,
                login_per_user: per_minute("ZK_LOGIN_LIMIT_PER_USER", 20)?,
                refresh_per_client: per_minute("ZK_REFRESH_LIMIT_PER_CLIENT", 120)?,
                refresh_per_user: per_minute("ZK_REFRESH_LIMIT_PER_USER", 60)?,
            },
            mini_apps,
        })
    }
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::File {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

impl FileMiniApp {
    fn into_mini_app(self) -> Result<MiniApp, ConfigError> {
        if !(1..=3).contains(&self.min_real_name_level) {
            return Err(ConfigError::Invalid {
                name: "mini_apps.min_real_name_level",
                reason: format!("{} is not 1, 2 or 3", self.min_real_name_level),
            });
        }
        if let Some(unknown) = self
            .allowed_scopes
            .iter()
            .find(|s| Scope::parse(s).is_none())
        {
            return Err(ConfigError::Invalid {
                name: "mini_apps.allowed_scopes",
                reason: format!(
                    "{unknown:?} is not a ZheliKit scope (known: {})",
                    Scope::ALL.map(Scope::as_str).join(", ")
                ),
            });
        }
        let allowed_user_kinds = self
            .allowed_user_kinds
            .iter()
            .map(|k| {
                UserKind::parse(k).ok_or_else(|| ConfigError::Invalid {
                    name: "mini_apps.allowed_user_kinds",
                    reason: format!("unknown kind {k:?}"),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(MiniApp {
            id: self.id,
            name: self.name,
            callback_urls: self.callback_urls,
            allowed_scopes: self.allowed_scopes,
            min_real_name_level: self.min_real_name_level,
            allowed_user_kinds,
        })
    }
}

/// The demo mini-apps of the embedded run, one per kind of user and real-name requirement.
pub fn demo_mini_apps() -> Vec<MiniApp> {
    use Scope as S;
    let app = |id: &str, name: &str, scopes: &[Scope], level: u8, kinds: &[UserKind]| MiniApp {
        id: id.into(),
        name: name.into(),
        callback_urls: vec![format!("http://127.0.0.1:8080/callback/{id}")],
        allowed_scopes: scopes.iter().map(|s| s.as_str().to_string()).collect(),
        min_real_name_level: level,
        allowed_user_kinds: kinds.to_vec(),
    };
    vec![
        app(
            "zk-demo-services",
            "掌上办事 demo",
            &[S::Profile, S::Passkey, S::FormsSubmit],
            1,
            &[UserKind::Citizen, UserKind::LegalPerson],
        ),
        app(
            "zk-demo-vault",
            "个人数据宝 demo",
            &[S::Profile, S::Passkey, S::VaultRead, S::VaultShare],
            3,
            &[UserKind::Citizen],
        ),
        app(
            "zk-demo-policy",
            "惠企政策直通车 demo",
            &[S::Profile, S::PolicyRead],
            2,
            &[UserKind::LegalPerson],
        ),
        app(
            "zk-demo-supervision",
            "政务督查 demo",
            &[S::Profile, S::Passkey, S::OrgRead],
            1,
            &[UserKind::Official],
        ),
    ]
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
        assert!(!codes.contains(config.platform.service_code.as_str()));
    }

    #[test]
    fn a_mini_app_naming_an_unknown_scope_is_a_configuration_error() {
        let app = FileMiniApp {
            id: "a".into(),
            name: "A".into(),
            callback_urls: vec![],
            allowed_scopes: vec!["profile".into(), "vault.reed".into()],
            min_real_name_level: 1,
            allowed_user_kinds: vec!["citizen".into()],
            platform: None,
        };
        let err = app.into_mini_app().unwrap_err();
        assert!(err.to_string().contains("vault.reed"), "{err}");
    }

    #[test]
    fn demo_mini_apps_only_use_known_scopes() {
        for app in demo_mini_apps() {
            assert!(
                app.allowed_scopes.iter().all(|s| Scope::parse(s).is_some()),
                "{}",
                app.id
            );
        }
    }
}

#[cfg(test)]
mod file_tests {
    use super::*;

    #[test]
    fn a_toml_file_provides_settings_and_the_environment_wins() {
        let dir = std::env::temp_dir().join(format!("zk-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bff.toml");
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
            id = "only-app"
            name = "Only"
            callback_urls = ["https://only.test/cb"]
            allowed_scopes = ["profile"]
            min_real_name_level = 2
            allowed_user_kinds = ["citizen"]
            [mini_apps.platform]
            service_code = "only-sc"
            irs_access_key = "only-ak"
            irs_secret_key = "only-sk"
            miniprogram_app_id = "only-mp"
            zzd_app_key = "only-zk"
            zzd_app_secret = "only-zs"
            "#,
        )
        .unwrap();
        let path_text = path.display().to_string();
        let config = Config::load(|k| match k {
            "ZK_CONFIG" => Some(path_text.clone()),
            "BFF_ADDR" => Some("127.0.0.1:9100".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(config.platform.service_code, "from-file");
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

        std::fs::write(&path, "unknown_key = 1\n").unwrap();
        let err = Config::load(|k| (k == "ZK_CONFIG").then(|| path_text.clone())).unwrap_err();
        assert!(matches!(err, ConfigError::File { .. }), "{err}");
        assert!(err.to_string().contains("unknown_key"), "{err}");
    }
}
