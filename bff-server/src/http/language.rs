//! The language of the request being handled, from its `Accept-Language`, so every problem
//! document (and any other message a person reads) answers in it: Simplified Chinese unless
//! the caller prefers English.

use axum::extract::Request;
use axum::http::header::ACCEPT_LANGUAGE;
use axum::middleware::Next;
use axum::response::Response;
use zhelikit_domain::lang::Lang;

tokio::task_local! {
    static LANG: Lang;
}

/// The language of the request on this task; zh-CN outside a request.
pub fn current() -> Lang {
    LANG.try_with(|l| *l).unwrap_or_default()
}

/// Middleware: runs the request with its negotiated language.
pub async fn negotiate(request: Request, next: Next) -> Response {
    let lang = request
        .headers()
        .get(ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map_or(Lang::ZhCn, Lang::from_accept_language);
    LANG.scope(lang, next.run(request)).await
}
