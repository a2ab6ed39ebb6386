//! The `ZK_CONFIG` file's form: every key optional, environment variables win; mini-apps and
//! their platform registrations can only come from it.

use std::path::Path;

use platform_api::dingtalk_sign::AppCredentials;
use platform_api::irs::Credentials;
use platform_api::registration::AppRegistration;
use serde::Deserialize;

use super::ConfigError;

/// The file form: every key optional, environment variables win.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<String>,
    pub database_url: Option<String>,
    pub redis_url: Option<String>,
    pub issuer: Option<String>,
    pub platform_url: Option<String>,
    pub zzd_url: Option<String>,
    pub service_code: Option<String>,
    pub irs_access_key: Option<String>,
    pub irs_secret_key: Option<String>,
    pub miniprogram_app_id: Option<String>,
    pub zzd_app_key: Option<String>,
    pub zzd_app_secret: Option<String>,
    pub passkey_rp_id: Option<String>,
    pub passkey_origins: Option<Vec<String>>,
    #[serde(default)]
    pub mini_apps: Vec<FileMiniApp>,
    /// The verifiers registered to ask holders online (`[[vault_verifiers]]`); none: the demo
    /// registry.
    pub vault_verifiers: Option<Vec<zhelikit_domain::vault::share::VerifierRegistration>>,
    /// The data consumers registered to ask for consent (`[[vault_consumers]]`, each with its
    /// SM2 encryption key and the SM3 of its API secret); none: the demo bank.
    pub vault_consumers: Option<Vec<zhelikit_domain::vault::consent::ConsumerRegistration>>,
}

/// A mini-app in the configuration file (`[[mini_apps]]`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileMiniApp {
    /// Path of its `miniapp.json` (relative to the working directory): the id, name, scopes,
    /// real-name level and user kinds come from it, the one schema the SDK and the CLI read.
    pub manifest: String,
    /// Where the platform may send the user back after SSO.
    #[serde(default)]
    pub callback_urls: Vec<String>,
    /// What the platform operators registered this mini-app as.
    pub platform: Option<FileRegistration>,
}

/// A mini-app's platform registration in the configuration file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileRegistration {
    pub service_code: String,
    pub irs_access_key: String,
    pub irs_secret_key: String,
    pub miniprogram_app_id: String,
    pub zzd_app_key: String,
    pub zzd_app_secret: String,
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

impl FileConfig {
    /// Reads and parses the TOML file at `path`; unknown keys are errors.
    pub fn read(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::File {
            path: path.display().to_string(),
            reason: e.to_string(),
        })
    }
}
