//! The user behind a token, remembered for a short while so `GET /v1/me` and the screens do
//! not read the database on every request.

use std::sync::Arc;
use std::time::Duration;

use uuid::Uuid;

use crate::app::App;
use crate::http::problem::ApiError;
use crate::identity::IdentityError;
use crate::storage::User;

/// How long a user profile may be served from memory. Profiles change only when the platform's
/// data changes (a new login brings it), so a short staleness across instances is harmless.
pub const PROFILE_TTL: Duration = Duration::from_secs(30);

/// The user behind a token: from memory when read recently, else from storage.
pub async fn user_profile(app: &App, user_id: Uuid) -> Result<Arc<User>, ApiError> {
    if let Some(user) = app.profiles.get(&user_id) {
        return Ok(user);
    }
    let user = Arc::new(
        app.store
            .user(user_id)
            .await?
            .ok_or(IdentityError::UserGone)?,
    );
    app.profiles.insert(user_id, user.clone(), PROFILE_TTL);
    Ok(user)
}

/// Remembers what the platform just said about a user: the freshest profile there is.
pub fn remember(app: &App, user: &User) {
    app.profiles
        .insert(user.id, Arc::new(user.clone()), PROFILE_TTL);
}

/// The full ID number of a citizen, opened from its seal (it is bound to its owner's row); an
/// internal error for a citizen without one, which a login never leaves behind.
pub fn citizen_id_number(app: &App, user: &User) -> Result<String, ApiError> {
    user.profile
        .id_number_sealed
        .as_deref()
        .and_then(|sealed| {
            let owner =
                crate::personal_data::id_number_owner(user.profile.kind, &user.profile.subject);
            app.personal_data.open_id_number(&owner, sealed)
        })
        .ok_or_else(|| {
            ApiError::internal(format!(
                "user {} has no readable ID number on file",
                user.id
            ))
        })
}
