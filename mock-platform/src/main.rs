//! `mock-platform`: runs the stand-in 浙里办 / 浙政钉 / IRS gateway for local development.
//!
//! Configuration comes from the environment (see [`APP_VARIABLES`]): the BFF's own application
//! and, derived from it, one registration per demo mini-app (each with its own service code and
//! keys, as the BFF derives them). Stops gracefully on Ctrl-C or SIGTERM.

use std::net::SocketAddr;

use anyhow::{bail, Context as _};
use mock_platform::{MockConfig, RegisteredApp};
use platform_api::{dingtalk_sign, irs};
use tracing_subscriber::EnvFilter;

const DEFAULT_ADDR: &str = "127.0.0.1:8081";
/// The default seed: the day 浙里办's predecessor app went live, an easy number to remember.
const DEFAULT_SEED: u64 = 20_190_415;

/// Every variable describing the one registered app; all are required.
const APP_VARIABLES: [&str; 7] = [
    "ZK_ZLB_SERVICE_CODE",
    "ZK_ZLB_CALLBACK_URLS",
    "ZK_IRS_ACCESS_KEY",
    "ZK_IRS_SECRET_KEY",
    "ZK_MINIPROGRAM_APP_ID",
    "ZK_ZZD_APP_KEY",
    "ZK_ZZD_APP_SECRET",
];

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // A configuration mistake should read as one sentence, not a backtrace.
            eprintln!("mock-platform: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();

    let addr: SocketAddr = std::env::var("MOCK_PLATFORM_ADDR")
        .unwrap_or_else(|_| DEFAULT_ADDR.to_string())
        .parse()
        .context("MOCK_PLATFORM_ADDR must be an address such as 127.0.0.1:8081")?;
    let seed = match std::env::var("MOCK_PLATFORM_SEED") {
        Ok(v) => v
            .trim()
            .parse()
            .context("MOCK_PLATFORM_SEED must be an unsigned integer")?,
        Err(_) => DEFAULT_SEED,
    };
    let app = app_from_env(|name| std::env::var(name).ok())?;
    let apps = with_demo_mini_apps(app);
    for app in &apps {
        tracing::info!(
            service_code = app.service_code,
            irs_access_key = app.irs.access_key,
            zzd_app_key = app.zzd.app_key,
            "registered application"
        );
    }
    tracing::info!(seed, "fixtures");

    let running = mock_platform::spawn(MockConfig { seed, apps }, addr).await?;
    // The mock bank calls the BFF as a real bank's back office would.
    if let Some(bff) = std::env::var("ZK_BFF_URL").ok().filter(|v| !v.is_empty()) {
        running.state.bff.set(&bff);
    }
    tracing::info!(base_url = running.base_url, "mock platform ready");
    shutdown_signal().await;
    tracing::info!("shutting down");
    running.shutdown().await
}

/// The BFF's own app and each demo mini-app's registration derived from it, all with the same
/// callback URLs.
/// The BFF's app, the demo mini-apps and those under development in `ZK_DEV_MINIAPPS` (the
/// BFF registers the same, and reports a broken manifest there).
fn with_demo_mini_apps(own: RegisteredApp) -> Vec<RegisteredApp> {
    let base = own.registration();
    let dev: Vec<String> = std::env::var("ZK_DEV_MINIAPPS")
        .map(|dir| {
            zhelikit_domain::manifest::load_dir(std::path::Path::new(&dir))
                .into_iter()
                .filter_map(Result::ok)
                .map(|(_, manifest, _)| manifest.id)
                .collect()
        })
        .unwrap_or_default();
    let mut apps: Vec<RegisteredApp> = platform_api::registration::DEMO_MINI_APPS
        .iter()
        .map(|id| id.to_string())
        .chain(dev)
        .map(|id| RegisteredApp::new(base.demo_for(&id), own.callback_urls.clone()))
        .collect();
    apps.insert(0, own);
    apps
}

/// Reads the registered app; names every missing variable at once so one restart fixes all.
fn app_from_env(var: impl Fn(&str) -> Option<String>) -> anyhow::Result<RegisteredApp> {
    let value = |name: &str| {
        var(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let missing: Vec<&str> = APP_VARIABLES
        .iter()
        .copied()
        .filter(|name| value(name).is_none())
        .collect();
    if !missing.is_empty() {
        bail!(
            "missing environment variable(s) for the registered app: {}",
            missing.join(", ")
        );
    }
    let get = |name: &str| value(name).unwrap_or_default();
    let callback_urls: Vec<String> = get("ZK_ZLB_CALLBACK_URLS")
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_string)
        .collect();
    for url in &callback_urls {
        url::Url::parse(url)
            .with_context(|| format!("ZK_ZLB_CALLBACK_URLS: {url:?} is not an absolute URL"))?;
    }
    Ok(RegisteredApp {
        service_code: get("ZK_ZLB_SERVICE_CODE"),
        callback_urls,
        irs: irs::Credentials {
            access_key: get("ZK_IRS_ACCESS_KEY"),
            secret_key: get("ZK_IRS_SECRET_KEY"),
        },
        miniprogram_app_id: get("ZK_MINIPROGRAM_APP_ID"),
        zzd: dingtalk_sign::AppCredentials {
            app_key: get("ZK_ZZD_APP_KEY"),
            app_secret: get("ZK_ZZD_APP_SECRET"),
        },
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_missing_variable_is_named() {
        let err = app_from_env(|name| (name == "ZK_IRS_ACCESS_KEY").then(|| "ak".to_string()))
            .expect_err("incomplete environment");
        let message = err.to_string();
        assert!(message.contains("ZK_ZLB_SERVICE_CODE"), "{message}");
        assert!(message.contains("ZK_ZZD_APP_SECRET"), "{message}");
        assert!(!message.contains("ZK_IRS_ACCESS_KEY"), "{message}");
    }

    #[test]
    fn every_demo_mini_app_is_registered_with_codes_of_its_own() {
        let own = app_from_env(|name| {
            Some(match name {
                "ZK_ZLB_CALLBACK_URLS" => "http://a.test/cb".to_string(),
                other => format!("{other}-value"),
            })
        })
        .expect("environment");
        let apps = with_demo_mini_apps(own);
        let demo = platform_api::registration::DEMO_MINI_APPS.len();
        assert_eq!(apps.len(), demo + 1, "its own and each demo mini-app's");
        assert_eq!(
            apps[1].service_code,
            "ZK_ZLB_SERVICE_CODE-value.zk-demo-services"
        );
        let codes: std::collections::HashSet<_> = apps.iter().map(|a| &a.service_code).collect();
        assert_eq!(codes.len(), demo + 1);
    }

    #[test]
    fn callback_urls_are_split_on_commas() {
        let app = app_from_env(|name| {
            Some(match name {
                "ZK_ZLB_CALLBACK_URLS" => "http://a.test/cb, http://b.test/cb".to_string(),
                other => format!("{other}-value"),
            })
        })
        .expect("complete environment");
        assert_eq!(
            app.callback_urls,
            vec!["http://a.test/cb", "http://b.test/cb"]
        );
    }
}
