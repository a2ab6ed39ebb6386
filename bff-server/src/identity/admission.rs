//! The mini-app registry's rules: who may log in to a mini-app and which scopes a session for
//! it carries. Pure functions over the stored registration.

use crate::identity::IdentityError;
use crate::storage::{MiniApp, NewUser};

/// The scopes a session gets: what the user agreed to (`requested`), or everything the
/// mini-app may ask for when the request names none. Asking for more is an error naming the
/// scopes, not a silent narrowing, so a developer sees the mistake.
pub fn grant(app: &MiniApp, requested: Option<&[String]>) -> Result<Vec<String>, IdentityError> {
    let Some(requested) = requested else {
        return Ok(app.allowed_scopes.clone());
    };
    let refused: Vec<String> = requested
        .iter()
        .filter(|s| !app.allowed_scopes.contains(s))
        .cloned()
        .collect();
    if !refused.is_empty() {
        return Err(IdentityError::ScopeNotAllowed {
            mini_app: app.id.clone(),
            scopes: refused,
        });
    }
    let mut granted: Vec<String> = requested.to_vec();
    granted.sort();
    granted.dedup();
    Ok(granted)
}

/// Whether this person may have a session for this mini-app (kind of user, real-name level).
pub fn admit(app: &MiniApp, user: &NewUser) -> Result<(), IdentityError> {
    if !app.allowed_user_kinds.contains(&user.kind) {
        return Err(IdentityError::UserKindNotAllowed {
            mini_app: app.id.clone(),
            kind: user.kind,
        });
    }
    if user.real_name_level < app.min_real_name_level {
        return Err(IdentityError::RealNameLevelTooLow {
            mini_app: app.id.clone(),
            required: app.min_real_name_level,
            actual: user.real_name_level,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhelikit_domain::api::UserKind;

    fn app() -> MiniApp {
        MiniApp {
            id: "vault".into(),
            name: "Vault".into(),
            callback_urls: vec![],
            allowed_scopes: vec!["profile".into(), "vault.read".into()],
            min_real_name_level: 3,
            allowed_user_kinds: vec![UserKind::Citizen],
        }
    }

    fn user(kind: UserKind, level: u8) -> NewUser {
        NewUser {
            kind,
            subject: "s".into(),
            display_name: "d".into(),
            real_name_level: level,
            id_number_masked: None,
            id_number_sealed: None,
            phone_masked: None,
            enterprise: None,
            official: None,
        }
    }

    #[test]
    fn no_requested_scopes_means_all_the_app_may_have() {
        assert_eq!(grant(&app(), None).unwrap(), vec!["profile", "vault.read"]);
        assert_eq!(
            grant(&app(), Some(&["profile".into(), "profile".into()])).unwrap(),
            vec!["profile"]
        );
    }

    #[test]
    fn asking_for_a_scope_the_app_lacks_names_it() {
        let err = grant(&app(), Some(&["profile".into(), "org.read".into()])).unwrap_err();
        assert!(
            matches!(err, IdentityError::ScopeNotAllowed { scopes, .. } if scopes == vec!["org.read".to_string()])
        );
    }

    #[test]
    fn a_low_real_name_level_or_another_kind_is_refused() {
        assert!(admit(&app(), &user(UserKind::Citizen, 3)).is_ok());
        assert!(matches!(
            admit(&app(), &user(UserKind::Citizen, 2)),
            Err(IdentityError::RealNameLevelTooLow {
                required: 3,
                actual: 2,
                ..
            })
        ));
        assert!(matches!(
            admit(&app(), &user(UserKind::Official, 3)),
            Err(IdentityError::UserKindNotAllowed { .. })
        ));
    }
}
