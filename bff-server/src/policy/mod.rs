//! 惠企政策直通车 (policies to enterprises), the BFF's part: enterprise profiles built from
//! department records (`profiles`), the policy console's lifecycle and preview for officials
//! (`policies`), the matched policies an enterprise sees (`matches`), and the inboxes a
//! published policy's campaign fills, a durable job (`inbox`). Matching itself is
//! the `zhelikit-push` crate's pure code; `matcher` is this instance's index over it.

pub mod deliveries;
pub mod inbox;
pub mod matcher;
pub mod matches;
pub mod policies;
pub mod profiles;
pub mod sync;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;

pub use matcher::Matcher;

/// The policy routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(profiles::profile))
        .routes(routes!(matches::matched))
        .routes(routes!(policies::create, policies::list))
        .routes(routes!(policies::read, policies::edit))
        .routes(routes!(policies::step))
        .routes(routes!(policies::preview))
        .routes(routes!(inbox::sync))
        .routes(routes!(inbox::read))
        .routes(routes!(inbox::opened))
        .routes(routes!(inbox::register_device, inbox::unregister_device))
}
