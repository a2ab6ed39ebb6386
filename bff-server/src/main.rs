//! `bff-server`: reads the configuration from the environment and serves until stopped.

use std::process::ExitCode;

// Many small allocations a request (JSON, headers, futures) from both cores: mimalloc's per-thread
// heaps avoid the arena-lock contention glibc malloc showed under load (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    bff_server::server::init_logging();
    let config = match bff_server::Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("bff-server: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(dir) = config.database_url.strip_prefix("sqlite:").and_then(|p| {
        std::path::Path::new(p.split('?').next().unwrap_or(p))
            .parent()
            .map(|d| d.to_path_buf())
    }) {
        if !dir.as_os_str().is_empty() {
            if let Err(e) = std::fs::create_dir_all(&dir) {
                eprintln!("bff-server: cannot create {}: {e}", dir.display());
                return ExitCode::from(2);
            }
        }
    }
    match bff_server::server::serve_until_signal(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bff-server: {e}");
            ExitCode::FAILURE
        }
    }
}
