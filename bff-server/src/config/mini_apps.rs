//! The mini-apps registered at start-up and their platform registrations: the demo ones of
//! the embedded run, or those of the configuration file, each checked.

use std::collections::HashMap;

use platform_api::registration::AppRegistration;
use zhelikit_domain::api::UserKind;
use zhelikit_domain::scope::Scope;

use super::file::FileMiniApp;
use super::ConfigError;
use crate::storage::MiniApp;

/// The mini-apps to register and their registrations: the file's, or the demo ones under the
/// BFF's own demo credentials when the file names none.
pub fn load(
    file_apps: Vec<FileMiniApp>,
    own: &AppRegistration,
) -> Result<(Vec<MiniApp>, HashMap<String, AppRegistration>), ConfigError> {
    let (apps, registrations) = if file_apps.is_empty() {
        let apps = demo_mini_apps();
        let registrations = apps
            .iter()
            .map(|a| (a.id.clone(), own.demo_for(&a.id)))
            .collect();
        (apps, registrations)
    } else {
        let mut apps = Vec::new();
        let mut registrations = HashMap::new();
        for file_app in file_apps {
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
    pub(super) fn into_mini_app(self) -> Result<MiniApp, ConfigError> {
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
