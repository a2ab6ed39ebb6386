//! The route table and the middleware stack, with the OpenAPI document generated from the
//! same handlers so the two cannot drift.

use axum::extract::DefaultBodyLimit;
use axum::http::Uri;
use axum::routing::get;
use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use zhelikit_domain::paths;

use crate::analytics;
use crate::app::AppState;
use crate::forms;
use crate::http::problem::ApiError;
use crate::http::{self, BODY_LIMIT_BYTES};
use crate::identity;
use crate::ops;
use crate::policy;
use crate::screens;
use crate::supervision;
use crate::vault;

#[derive(OpenApi)]
#[openapi(
    info(title = "ZheliKit BFF", description = "Sessions for 浙里办 / 浙政钉 mini-apps. Every error is RFC 9457 problem JSON with a stable `code`."),
    modifiers(&BearerAuth),
    tags((name = "identity", description = "Platform logins, sessions, the current user"), (name = "passkeys"), (name = "screens", description = "Mobile screens aggregated from the departments"), (name = "vault", description = "个人数据宝: e-certificates pulled to the device, issuer keys and status lists for verifiers, online sharing, consents for data consumers"), (name = "forms", description = "一表通 · 一件事: forms to fill, finalized submissions from the outbox applied exactly once, each department's part and the joint status"), (name = "supervision", description = "政务督查 on 浙政钉: items, task trees dispatched to units, progress reports, reminders, urging and escalation, the leaders' figures and their report"), (name = "analytics", description = "ZwLog page views and events (埋点), and each mini-app's report for its owner"), (name = "operations"))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        // Data consumers (banks) fetching under consent: their id and API secret.
        components.add_security_scheme(
            "consumer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
        );
    }
}

/// Every capability's routes, merged: adding a capability adds one line here.
fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(identity::routes())
        .merge(screens::routes())
        .merge(analytics::routes())
        .merge(vault::routes())
        .merge(policy::routes())
        .merge(forms::routes())
        .merge(supervision::routes())
        .merge(ops::routes())
}

/// The OpenAPI 3.1 document, as served at `/openapi.json`.
pub fn openapi() -> OpenApiDoc {
    api().split_for_parts().1
}

/// The whole application: routes, middleware, state.
pub fn router(state: AppState) -> Router {
    let (routes, doc) = api().split_for_parts();
    let doc_json = serde_json::to_string_pretty(&doc).unwrap_or_default();
    routes
        .route(
            paths::OPENAPI,
            get(move || async move {
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    doc_json,
                )
            }),
        )
        .fallback(|uri: Uri| async move { ApiError::not_found(uri.path()) })
        .layer(axum::middleware::from_fn(http::metrics::track))
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_| {
            axum::response::IntoResponse::into_response(ApiError::internal("handler panicked"))
        }))
        .layer(axum::middleware::from_fn(http::language::negotiate))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            http::request_id::assign,
        ))
        .with_state(state)
}
