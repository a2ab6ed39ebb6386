//! `zhelikit-simulator`: serves the mini-app simulator on its own port (`SIMULATOR_ADDR`,
//! default 127.0.0.1:8090) against the BFF (`ZK_BFF_URL`) and the mock platform
//! (`ZK_PLATFORM_URL`), with the demo credentials' bases (`ZK_MINIPROGRAM_APP_ID`,
//! `ZK_ZZD_APP_KEY`). `scripts/run` starts it.

use std::path::PathBuf;

use zhelikit_simulator::{apps_router, router, Settings, Simulator};

fn var(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_string())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let addr = var("SIMULATOR_ADDR", "127.0.0.1:8090");
    // The mini-apps' own origin (another port): `SIMULATOR_APPS_ADDR`, default 127.0.0.1:8091.
    let apps_addr = var("SIMULATOR_APPS_ADDR", "127.0.0.1:8091");
    let apps_listener = tokio::net::TcpListener::bind(&apps_addr).await?;
    let apps_origin = format!("http://{}", apps_listener.local_addr()?);
    let miniapps_dir = std::env::var("ZK_MINIAPPS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".."));
    let settings = Settings {
        bff_url: var("ZK_BFF_URL", "http://127.0.0.1:8080"),
        platform_url: var("ZK_PLATFORM_URL", "http://127.0.0.1:8081"),
        miniprogram_app_id: var("ZK_MINIPROGRAM_APP_ID", "zhelikit-demo-miniprogram"),
        zzd_app_key: var("ZK_ZZD_APP_KEY", "zhelikit-demo-zzd"),
        miniapps_dir,
        dev_dir: std::env::var("ZK_DEV_MINIAPPS").ok().map(PathBuf::from),
        apps_origin: Some(apps_origin.clone()),
    };
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    tracing::info!(url = %format!("http://{}", listener.local_addr()?), apps = %apps_origin, "simulator listening");
    let simulator = Simulator::new(settings);
    let apps = axum::serve(apps_listener, apps_router(simulator.clone()));
    let page = axum::serve(listener, router(simulator));
    tokio::try_join!(async { apps.await }, async { page.await })?;
    Ok(())
}
