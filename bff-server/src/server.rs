//! Serving: bind, serve with connect info (for per-client limits), stop gracefully.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::app::{App, AppState, StartupError};
use crate::config::Config;
use crate::router::router;

/// A BFF serving in the background (tests, the benchmark). Dropping it stops the server.
pub struct RunningBff {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// The bound address.
    pub addr: SocketAddr,
    /// The shared state, for tests that look inside (e.g. the audit log).
    pub state: AppState,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl RunningBff {
    /// Stops accepting, lets in-flight requests finish, stores the department calls they made,
    /// and waits.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        // Department calls that outlived their screens, or refresh the cache in the
        // background, are bounded by their deadline (1.2 s by default): let them finish.
        let bound = self.state.config.adapters.timeout * 3;
        self.state.departments.settle(bound).await;
        self.state.jobs.stop().await;
        self.state.recorder.drain().await;
    }
}

impl Drop for RunningBff {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Builds the app from `config` and serves it on `config.listen` (port 0 for a free one).
pub async fn spawn(config: Config) -> Result<RunningBff, StartupError> {
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| StartupError::Platform(format!("bind {}: {e}", config.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| StartupError::Platform(e.to_string()))?;
    let state = AppState(Arc::new(App::build(config).await?));
    if state.config.run_jobs {
        state.start_background();
    }
    let (stop, stopped) = oneshot::channel::<()>();
    let app = router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let task = tokio::spawn(async move {
        let serve = axum::serve(listener, app).with_graceful_shutdown(async {
            let _ = stopped.await;
        });
        if let Err(e) = serve.await {
            tracing::error!(error = %e, "server stopped with an error");
        }
    });
    Ok(RunningBff {
        base_url: format!("http://{addr}"),
        addr,
        state,
        stop: Some(stop),
        task: Some(task),
    })
}

/// Serves until SIGINT or SIGTERM, then drains in-flight requests.
pub async fn serve_until_signal(config: Config) -> Result<(), StartupError> {
    let running = spawn(config).await?;
    tracing::info!(url = %running.base_url, "ZheliKit BFF listening");
    shutdown_signal().await;
    tracing::info!("shutting down: draining in-flight requests");
    running.shutdown().await;
    Ok(())
}

/// Logs to stderr, filtered by `RUST_LOG` (default: info, sqlx at warn): what both binaries do
/// first.
pub fn init_logging() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn")),
        )
        .init();
}

/// A job worker without the HTTP server: the app built from `config`, its queues' workers and
/// sweeper running (what `zhelikit-worker` runs, and tests). Stop it with `state.jobs.stop()`.
pub async fn spawn_worker(config: Config) -> Result<AppState, StartupError> {
    let state = AppState(Arc::new(App::build(config).await?));
    state.start_background();
    Ok(state)
}

/// Runs the job workers until SIGINT or SIGTERM, then lets the current attempts finish.
pub async fn work_until_signal(config: Config) -> Result<(), StartupError> {
    let state = spawn_worker(config).await?;
    tracing::info!("ZheliKit job worker running");
    shutdown_signal().await;
    tracing::info!("shutting down: finishing the attempts under way");
    state.jobs.stop().await;
    state.recorder.drain().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
