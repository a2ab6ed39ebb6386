//! The mini-apps registered at start-up and their platform registrations: the demo ones of
//! the embedded run, or those of the configuration file, each checked.

use std::collections::HashMap;

use platform_api::registration::AppRegistration;
use zhelikit_domain::manifest::{load_dir, Manifest};

use super::file::FileMiniApp;
use super::ConfigError;
use crate::storage::MiniApp;

/// The mini-apps to register and their registrations: the file's, or, when the file names
/// none, the demo ones and those under development in `dev_dir` (`ZK_DEV_MINIAPPS`), under the
/// BFF's own demo credentials (the mock platform registers the same).
pub fn load(
    file_apps: Vec<FileMiniApp>,
    own: &AppRegistration,
    dev_dir: Option<&str>,
) -> Result<(Vec<MiniApp>, HashMap<String, AppRegistration>), ConfigError> {
    let (apps, registrations) = if file_apps.is_empty() {
        let mut apps = demo_mini_apps();
        for found in dev_dir
            .map(|d| load_dir(std::path::Path::new(d)))
            .unwrap_or_default()
        {
            let (_, manifest, _) = found.map_err(|reason| ConfigError::Invalid {
                name: "ZK_DEV_MINIAPPS",
                reason,
            })?;
            if apps.iter().any(|a| a.id == manifest.id) {
                return Err(ConfigError::Invalid {
                    name: "ZK_DEV_MINIAPPS",
                    reason: format!("mini-app {} is already registered", manifest.id),
                });
            }
            let callback = format!("http://127.0.0.1:8080/callback/{}", manifest.id);
            apps.push(from_manifest(&manifest, vec![callback]));
        }
        let registrations = apps
            .iter()
            .map(|a| (a.id.clone(), own.demo_for(&a.id)))
            .collect();
        (apps, registrations)
    } else {
        let mut apps = Vec::new();
        let mut registrations = HashMap::new();
        for file_app in file_apps {
            let manifest = file_app.manifest()?;
            let registration = file_app.platform.ok_or_else(|| ConfigError::Invalid {
                name: "mini_apps.platform",
                reason: format!(
                    "mini-app {} has no platform registration (service_code, irs_access_key, irs_secret_key, miniprogram_app_id, zzd_app_key, zzd_app_secret)",
                    manifest.id
                ),
            })?;
            if registrations
                .insert(manifest.id.clone(), registration.into())
                .is_some()
            {
                return Err(ConfigError::Invalid {
                    name: "mini_apps.manifest",
                    reason: format!("mini-app {} is configured twice", manifest.id),
                });
            }
            apps.push(from_manifest(&manifest, file_app.callback_urls));
        }
        (apps, registrations)
    };
    check_distinct(&registrations)?;
    Ok((apps, registrations))
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

impl FileMiniApp {
    /// Reads and checks its manifest; every problem of it is named.
    fn manifest(&self) -> Result<Manifest, ConfigError> {
        let json = std::fs::read_to_string(&self.manifest).map_err(|e| ConfigError::File {
            path: self.manifest.clone(),
            reason: e.to_string(),
        })?;
        Manifest::parse(&json).map_err(|problems| ConfigError::File {
            path: self.manifest.clone(),
            reason: problems
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        })
    }
}

/// The manifests of the sample mini-apps (`miniapps/samples/*/miniapp.json`), built in: the
/// demo mini-apps of the embedded run are registered from them, so the registry and the
/// samples cannot disagree.
pub const DEMO_MANIFESTS: [&str; 7] = [
    include_str!("../../../miniapps/samples/services/miniapp.json"),
    include_str!("../../../miniapps/samples/forms/miniapp.json"),
    include_str!("../../../miniapps/samples/vault/miniapp.json"),
    include_str!("../../../miniapps/samples/enterprise/miniapp.json"),
    include_str!("../../../miniapps/samples/policy-console/miniapp.json"),
    include_str!("../../../miniapps/samples/supervision/miniapp.json"),
    include_str!("../../../miniapps/samples/verifier/miniapp.json"),
];

/// The registry entry for a manifest: what it declares, and where the platform may send the
/// user back (`callback_urls`, which a manifest does not carry).
pub fn from_manifest(manifest: &Manifest, callback_urls: Vec<String>) -> MiniApp {
    MiniApp {
        id: manifest.id.clone(),
        name: manifest.name.clone(),
        callback_urls,
        allowed_scopes: manifest
            .scopes
            .iter()
            .map(|s| s.as_str().to_string())
            .collect(),
        min_real_name_level: manifest.min_real_name_level,
        allowed_user_kinds: manifest.user_kinds.clone(),
    }
}

/// The demo mini-apps of the embedded run, from the sample mini-apps' manifests.
pub fn demo_mini_apps() -> Vec<MiniApp> {
    DEMO_MANIFESTS
        .iter()
        .filter_map(|json| match Manifest::parse(json) {
            Ok(m) => {
                let callback = format!("http://127.0.0.1:8080/callback/{}", m.id);
                Some(from_manifest(&m, vec![callback]))
            }
            // A test below proves every sample parses; nothing to register otherwise.
            Err(_) => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhelikit_domain::scope::Scope;

    #[test]
    fn every_sample_manifest_parses_and_is_registered() {
        for json in DEMO_MANIFESTS {
            assert!(
                Manifest::parse(json).is_ok(),
                "{:?}",
                Manifest::parse(json).err()
            );
        }
        assert_eq!(demo_mini_apps().len(), DEMO_MANIFESTS.len());
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
