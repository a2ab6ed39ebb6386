//! An application's registration at the platforms: its 浙里办 service code, IRS gateway keys,
//! mini-program app id and 浙政钉 app key. On the real 浙里办 a ticket belongs to the one
//! service it was issued for (validating it with another service code answers `6003`), so each
//! ZheliKit mini-app has a registration of its own and the BFF redeems a mini-app's logins with
//! that mini-app's registration: a ticket delivered to app A cannot open a session for app B.

use crate::dingtalk_sign::AppCredentials;
use crate::irs::Credentials;

/// The ids of the demo mini-apps that `scripts/run` and the tests register (their rules live
/// in the BFF's configuration).
pub const DEMO_MINI_APPS: [&str; 7] = [
    "zk-demo-services",
    "zk-demo-forms",
    "zk-demo-vault",
    "zk-demo-policy",
    "zk-demo-policy-console",
    "zk-demo-supervision",
    "zk-demo-verifier",
];

/// What one application is known by at 浙里办, the IRS gateway and 浙政钉.
#[derive(Debug, Clone)]
pub struct AppRegistration {
    /// 浙里办 service code (`servicecode`), for personal and legal-person SSO.
    pub service_code: String,
    /// IRS gateway access and secret key.
    pub irs: Credentials,
    /// App id of the 浙里办 mini-program (`ticketId` flow).
    pub miniprogram_app_id: String,
    /// 浙政钉 app key and secret (免登).
    pub zzd: AppCredentials,
}

impl AppRegistration {
    /// The registration of demo mini-app `mini_app_id` under this base registration, for the
    /// demo stack and the tests only: codes are this one's with `.{mini_app_id}` appended, and
    /// secrets are derived from this one's (HMAC-SHA256), so the mock platform and the BFF,
    /// started from the same generated demo credentials, agree without sharing a file. A real
    /// deployment registers every mini-app with the platform operators and configures what
    /// they issued (the `mini_apps` table of the BFF's configuration file).
    pub fn demo_for(&self, mini_app_id: &str) -> AppRegistration {
        let code = |base: &str| format!("{base}.{mini_app_id}");
        let secret = |base: &str| crate::hmac_sha256_hex(base, mini_app_id);
        AppRegistration {
            service_code: code(&self.service_code),
            irs: self.irs.demo_for(mini_app_id),
            miniprogram_app_id: code(&self.miniprogram_app_id),
            zzd: AppCredentials {
                app_key: code(&self.zzd.app_key),
                app_secret: secret(&self.zzd.app_secret),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> AppRegistration {
        AppRegistration {
            service_code: "demo".into(),
            irs: Credentials {
                access_key: "ak".into(),
                secret_key: "sk".into(),
            },
            miniprogram_app_id: "mp".into(),
            zzd: AppCredentials {
                app_key: "zk".into(),
                app_secret: "zs".into(),
            },
        }
    }

    #[test]
    fn each_demo_mini_app_gets_codes_and_secrets_of_its_own() {
        let a = base().demo_for("zk-demo-services");
        let b = base().demo_for("zk-demo-vault");
        assert_eq!(a.service_code, "demo.zk-demo-services");
        assert_eq!(a.zzd.app_key, "zk.zk-demo-services");
        assert_ne!(a.irs.secret_key, b.irs.secret_key);
        assert_ne!(a.irs.secret_key, "sk");
        assert_eq!(
            a.irs.secret_key,
            base().demo_for("zk-demo-services").irs.secret_key
        );
    }
}
