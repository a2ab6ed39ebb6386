//! `zhelikit-worker` for the end-to-end tests: the same job workers, configured as the test
//! harness configures a stack (from `ZK_E2E_WORKER_SPEC`), so a test can run them in a process
//! of its own and kill it with `kill -9`.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    bff_server::server::init_logging();
    let spec = match std::env::var("ZK_E2E_WORKER_SPEC")
        .map_err(|e| e.to_string())
        .and_then(|s| {
            serde_json::from_str::<zhelikit_e2e::WorkerSpec>(&s).map_err(|e| e.to_string())
        }) {
        Ok(spec) => spec,
        Err(e) => {
            eprintln!("e2e-worker: ZK_E2E_WORKER_SPEC: {e}");
            return ExitCode::from(2);
        }
    };
    match bff_server::server::work_until_signal(spec.config().await).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("e2e-worker: {e}");
            ExitCode::FAILURE
        }
    }
}
