//! `GET /v1/home`: the citizen's or enterprise's home screen, one section per department record,
//! fetched in parallel under one deadline. A dead, slow or garbage-returning department costs its
//! own section, never the screen.

use std::sync::Arc;
use std::time::Instant;
use zhelikit_domain::paths;

use axum::extract::State;
use futures::future::join_all;
use platform_api::departments::Operation;
use zhelikit_domain::api::{HomeScreen, HomeSection, Problem, SectionStatus, UserKind};

use zhelikit_domain::scope::Scope;

use crate::app::AppState;
use crate::departments::{Freshness, RecordLookup, Subject};
use crate::http::language;
use crate::http::problem::ApiError;
use crate::identity::auth::Authenticated;
use crate::identity::users::{citizen_id_number, user_profile};
use crate::screens::ScreenError;

/// The sections of a citizen's home: five departments.
pub const CITIZEN_SECTIONS: &[(Operation, &str)] = &[
    (Operation::HouseholdRegister, "户籍"),
    (Operation::Contributions, "社保缴费"),
    (Operation::DrivingLicence, "驾驶证"),
    (Operation::HealthCard, "健康卡"),
    (Operation::EducationRecord, "学历"),
];

/// The sections of an enterprise's home.
pub const ENTERPRISE_SECTIONS: &[(Operation, &str)] = &[
    (Operation::EnterpriseRegistration, "营业执照"),
    (Operation::EnterpriseCredit, "企业信用"),
    (Operation::EnterpriseSocialSecurity, "社保概况"),
];

/// The home screen. Needs scope `profile`; with `vault.read`, personal numbers come unmasked.
#[utoipa::path(get, path = paths::HOME, tag = "screens", security(("bearer" = [])),
    responses((status = 200, body = HomeScreen),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "missing_scope, user_kind_not_allowed", body = Problem, content_type = "application/problem+json")))]
pub async fn home(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<axum::Json<HomeScreen>, ApiError> {
    auth.require(Scope::Profile)?;
    let reveal = auth.0.has_scope(Scope::VaultRead);
    let user_id = auth.user_id()?;
    let user = user_profile(&state, user_id).await?;
    let (sections, subject) = match user.profile.kind {
        UserKind::Citizen => {
            let id_number = citizen_id_number(&state, &user)?;
            (CITIZEN_SECTIONS, Subject::Person(id_number))
        }
        UserKind::LegalPerson => {
            let uscc = user
                .profile
                .enterprise
                .as_ref()
                .map(|e| e.uscc.clone())
                .ok_or_else(|| {
                    ApiError::internal(format!("legal person {user_id} without enterprise"))
                })?;
            (ENTERPRISE_SECTIONS, Subject::Enterprise(uscc))
        }
        UserKind::Official => {
            return Err(ScreenError::NoHomeScreenFor {
                mini_app: auth.0.aud.clone(),
                kind: UserKind::Official,
            }
            .into())
        }
    };
    let deadline = tokio::time::Instant::from_std(Instant::now() + state.config.screen_deadline);
    let on_behalf: Arc<str> = Arc::from(user_id.to_string());
    let query = state.departments.query_for(&subject);
    drop(subject); // The ID number now lives only in the request body.
    let fetches = sections.iter().map(|(op, _)| {
        let (departments, query, on_behalf) = (state.departments.clone(), &query, &on_behalf);
        async move { departments.fetch_by(deadline, *op, query, on_behalf).await }
    });
    let results = join_all(fetches).await;
    let sections = sections
        .iter()
        .zip(results)
        .map(|((op, title), fetched)| section(*op, title, fetched, reveal))
        .collect();
    Ok(axum::Json(HomeScreen {
        kind: user.profile.kind,
        generated_at_ms: chrono::Utc::now().timestamp_millis(),
        sections,
    }))
}

fn status(freshness: Freshness) -> SectionStatus {
    match freshness {
        Freshness::Fresh => SectionStatus::Fresh,
        Freshness::Stale { age_secs } => SectionStatus::Stale { age_secs },
    }
}

/// One section from what its fetch produced. Pure.
pub fn section(op: Operation, title: &str, fetched: RecordLookup, reveal: bool) -> HomeSection {
    let (status, data) = match fetched {
        RecordLookup::Found { data, freshness } => {
            // Usually the only holder by now (the cache keeps bytes): no copy to mask.
            let mut record = Arc::unwrap_or_clone(data);
            // Unless the session may see the numbers (`vault.read`, for mini-apps whose purpose
            // is showing the user their own certificates).
            if !reveal {
                record.mask_personal_data();
            }
            (status(freshness), Some(record))
        }
        RecordLookup::NotFound { freshness } => (status(freshness), None),
        RecordLookup::Unavailable { reason } => (
            SectionStatus::Unavailable {
                reason: reason.get(language::current()).to_string(),
            },
            None,
        ),
    };
    HomeSection {
        id: op.as_str().to_string(),
        department: op.department().as_str().to_string(),
        title: title.to_string(),
        status,
        data,
    }
}
