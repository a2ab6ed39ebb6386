//! The baseline of the identity benchmark: the most trivial axum handler, served the same way
//! as the BFF (tokio multi-thread runtime, axum::serve), so `GET /v1/me` is compared against
//! what the framework alone costs on this machine in the same run.
//!
//! `trivial-server 127.0.0.1:PORT` answers `GET /trivial` with a small JSON body.

use axum::routing::get;
use axum::{Json, Router};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8090".into());
    let app = Router::new().route(
        "/trivial",
        get(|| async {
            Json(serde_json::json!({"ok": true, "user_id": "00000000-0000-0000-0000-000000000000"}))
        }),
    );
    let listener = match tokio::net::TcpListener::bind(&addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("trivial-server: cannot bind {addr}: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match axum::serve(listener, app).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("trivial-server: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
