//! Mobile screens assembled from several departments (打通信息孤岛: one screen, many departments).

pub mod home;

use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhelikit_domain::api::UserKind;
use zhelikit_domain::lang::Text;
use zhelikit_domain::problem_code::ProblemCode;

use crate::app::AppState;
use crate::http::problem::ApiError;

/// The screens' routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(home::home))
}

/// What the screens refuse.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScreenError {
    /// This kind of user has no home screen (officials work in 浙政钉's own workbench).
    #[error("no home screen for {kind:?} users of {mini_app}")]
    NoHomeScreenFor {
        /// The mini-app asking.
        mini_app: String,
        /// The user's kind.
        kind: UserKind,
    },
}

impl From<ScreenError> for ApiError {
    fn from(e: ScreenError) -> Self {
        match e {
            ScreenError::NoHomeScreenFor { mini_app, kind } => ApiError::new(
                StatusCode::FORBIDDEN,
                ProblemCode::UserKindNotAllowed,
                Text::new(
                    format!("小程序 {mini_app} 的首页不对该类用户开放"),
                    format!(
                        "mini-app {mini_app} is not available to {} users",
                        kind.as_str()
                    ),
                ),
            ),
        }
    }
}
