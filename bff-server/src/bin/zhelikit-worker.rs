//! `zhelikit-worker`: the BFF's durable job workers as a process of their own (webhook
//! notices, expiries, and the queues later capabilities add), for deployments that run them
//! apart from the HTTP servers: the same configuration as `bff-server`, PostgreSQL and Redis
//! (Redis Streams carry the signals between processes), and `ZK_RUN_JOBS=false` on the BFFs.

use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    bff_server::server::init_logging();
    let config = match bff_server::Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("zhelikit-worker: {e}");
            return ExitCode::from(2);
        }
    };
    if config.redis_url.is_none() {
        // In-process signals do not cross processes: the embedded default runs its jobs in the
        // BFF.
        eprintln!("zhelikit-worker: REDIS_URL is required to run the workers apart from the BFF");
        return ExitCode::from(2);
    }
    match bff_server::server::work_until_signal(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("zhelikit-worker: {e}");
            ExitCode::FAILURE
        }
    }
}
