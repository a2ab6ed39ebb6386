//! The applications registered with the mock platform, and which callback URLs each may use.

use platform_api::registration::AppRegistration;
use platform_api::{dingtalk_sign, irs};
use url::Url;

/// What the mock is started with.
#[derive(Debug, Clone)]
pub struct MockConfig {
    /// Seed of the fixture data; the same seed always gives the same people.
    pub seed: u64,
    /// The applications allowed to use the platform.
    pub apps: Vec<RegisteredApp>,
}

/// One application as the platform's operators registered it: its codes, keys and callbacks on
/// 浙里办, the IRS gateway and 浙政钉.
#[derive(Debug, Clone)]
pub struct RegisteredApp {
    /// 浙里办 service code (`servicecode`) of the app, for personal and legal-person SSO.
    pub service_code: String,
    /// Allowed `goto` / `redirect` URLs of the login pages. A URL is allowed when it has the same
    /// scheme, host and port as one of these and its path lies under that one's path.
    pub callback_urls: Vec<String>,
    /// IRS gateway access and secret key.
    pub irs: irs::Credentials,
    /// App id of the mini-program (`ticketId` flow).
    pub miniprogram_app_id: String,
    /// 浙政钉 app key and secret.
    pub zzd: dingtalk_sign::AppCredentials,
}

impl RegisteredApp {
    /// The app registered as `registration`, sending users back only under `callback_urls`.
    pub fn new(registration: AppRegistration, callback_urls: Vec<String>) -> Self {
        Self {
            service_code: registration.service_code,
            callback_urls,
            irs: registration.irs,
            miniprogram_app_id: registration.miniprogram_app_id,
            zzd: registration.zzd,
        }
    }

    /// The codes and keys of this app, as the BFF holds them.
    pub fn registration(&self) -> AppRegistration {
        AppRegistration {
            service_code: self.service_code.clone(),
            irs: self.irs.clone(),
            miniprogram_app_id: self.miniprogram_app_id.clone(),
            zzd: self.zzd.clone(),
        }
    }

    /// Parses `candidate` and checks it lies under one of the registered callback URLs.
    ///
    /// Compares parsed origins rather than string prefixes, so `https://app.example.com.evil.io`
    /// does not pass for `https://app.example.com`. The real platform's rule is not public; an
    /// exact-origin, path-prefix rule is what OAuth-style registrations commonly enforce.
    pub fn allowed_callback(&self, candidate: &str) -> Result<Url, String> {
        let url = Url::parse(candidate)
            .map_err(|e| format!("the callback URL {candidate:?} is not an absolute URL ({e})"))?;
        let allowed = self.callback_urls.iter().any(|registered| {
            let Ok(registered) = Url::parse(registered) else {
                return false;
            };
            url.origin() == registered.origin() && path_is_under(url.path(), registered.path())
        });
        if allowed {
            Ok(url)
        } else {
            Err(format!(
                "the callback URL {candidate:?} is not under any URL registered for service code {:?} (registered: {})",
                self.service_code,
                self.callback_urls.join(", ")
            ))
        }
    }
}

fn path_is_under(path: &str, base: &str) -> bool {
    let base = base.trim_end_matches('/');
    path == base || path.starts_with(&format!("{base}/")) || base.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> RegisteredApp {
        RegisteredApp {
            service_code: "sc".into(),
            callback_urls: vec!["https://app.example.com/auth".into()],
            irs: irs::Credentials {
                access_key: "ak".into(),
                secret_key: "sk".into(),
            },
            miniprogram_app_id: "mp".into(),
            zzd: dingtalk_sign::AppCredentials {
                app_key: "k".into(),
                app_secret: "s".into(),
            },
        }
    }

    #[test]
    fn a_callback_under_a_registered_path_is_allowed() {
        let a = app();
        assert!(a.allowed_callback("https://app.example.com/auth").is_ok());
        assert!(a
            .allowed_callback("https://app.example.com/auth/zlb/callback?next=/x")
            .is_ok());
    }

    #[test]
    fn a_look_alike_host_or_sibling_path_is_refused() {
        let a = app();
        assert!(a
            .allowed_callback("https://app.example.com.evil.io/auth")
            .is_err());
        assert!(a.allowed_callback("https://app.example.com/authx").is_err());
        assert!(a.allowed_callback("http://app.example.com/auth").is_err());
        assert!(a.allowed_callback("/auth").is_err());
    }
}
