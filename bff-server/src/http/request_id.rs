//! Request ids: taken from `x-request-id` only when a trusted proxy sent the request (anyone
//! else could plant ids that make their requests look like another's in the logs), otherwise
//! generated,
//! echoed on the response, attached to every log line and quoted in problem documents.

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;

use crate::app::AppState;
use axum::response::Response;

/// The header that carries the request id.
pub const HEADER: &str = "x-request-id";

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being handled on this task, if any.
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// Middleware: assigns the id, runs the request inside a tracing span and the task-local.
pub async fn assign(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let trusted =
        super::client::from_trusted_proxy(request.extensions(), &state.config.trusted_proxies);
    let id = request
        .headers()
        .get(HEADER)
        .filter(|_| trusted)
        .and_then(|v| v.to_str().ok())
        // Only short printable ids are kept, so a client cannot inject into logs.
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_string)
        // From the thread-local generator: a fresh id per request without a system call.
        .unwrap_or_else(|| {
            uuid::Uuid::from_u128(rand::random::<u128>())
                .simple()
                .to_string()
        });
    if let Ok(value) = HeaderValue::from_str(&id) {
        request.headers_mut().insert(HEADER, value);
    }
    let span = tracing::info_span!("request", request_id = %id, method = %request.method(), path = %request.uri().path());
    let mut response = REQUEST_ID
        .scope(
            id.clone(),
            tracing::Instrument::instrument(next.run(request), span),
        )
        .await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    response
}
