//! Identity: platform logins turned into ZheliKit sessions, refresh-token rotation, logout,
//! passkeys, and the bearer-token check every other endpoint stands on.

pub mod admission;
pub mod auth;
mod error;
pub mod limits;
pub mod login;
pub mod passkey;
pub mod platform;
pub mod profile;
pub mod session;
pub mod tokens;
pub mod users;

pub use error::IdentityError;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;

/// Identity's routes: the platform logins, sessions, the current user, passkeys.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login::zlb_ticket))
        .routes(routes!(login::zlb_legal_ticket))
        .routes(routes!(login::zlb_ticket_id))
        .routes(routes!(login::zzd_auth_code))
        .routes(routes!(session::refresh))
        .routes(routes!(session::logout))
        .routes(routes!(session::logout_all))
        .routes(routes!(session::me))
        .routes(routes!(passkey::registration_start))
        .routes(routes!(passkey::registration_finish))
        .routes(routes!(passkey::login_start))
        .routes(routes!(passkey::login_finish))
        .routes(routes!(passkey::list))
        .routes(routes!(passkey::rename, passkey::delete))
}
