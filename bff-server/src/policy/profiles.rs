//! 企业画像: an enterprise's profile, built from five departments' records through the adapter
//! layer (cache, breakers, retries, recording), kept, and put in the matching index.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use futures::future::join_all;
use platform_api::departments::Operation;
use zhelikit_domain::api::{Problem, UserKind};
use zhelikit_domain::lang::Text;
use zhelikit_domain::paths;
use zhelikit_domain::policy::{
    build_profile, EnterpriseProfile, EnterpriseProfileView, ProfileRecords, ProfileSource,
};
use zhelikit_domain::problem_code::ProblemCode;
use zhelikit_domain::records::Record;
use zhelikit_domain::scope::Scope;

use crate::app::AppState;
use crate::departments::{RecordLookup, Subject};
use crate::http::problem::ApiError;
use crate::identity::auth::Authenticated;
use crate::identity::users::user_profile;

/// The records a profile is built from, in the order of [`ProfileRecords`].
pub const SOURCES: [Operation; 5] = [
    Operation::EnterpriseRegistration,
    Operation::EnterpriseCredit,
    Operation::EnterpriseSocialSecurity,
    Operation::EnterpriseTax,
    Operation::EnterpriseQualifications,
];

/// A profile and where it came from.
pub struct Built {
    /// The profile.
    pub profile: Arc<EnterpriseProfile>,
    /// Unix seconds it was built at.
    pub built_at: i64,
    /// Each source's state.
    pub sources: Vec<ProfileSource>,
}

/// The USCC a legal-person session acts for; others are refused.
pub async fn enterprise_of(state: &AppState, auth: &Authenticated) -> Result<String, ApiError> {
    let user = user_profile(state, auth.user_id()?).await?;
    match (&user.profile.kind, &user.profile.enterprise) {
        (UserKind::LegalPerson, Some(e)) => Ok(e.uscc.clone()),
        _ => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ProblemCode::UserKindNotAllowed,
            Text::new(
                "仅企业（法人）用户可查看企业画像与惠企政策",
                "only enterprise (legal-person) users have a profile",
            ),
        )),
    }
}

/// A source's state as the profile view names it.
fn state_of(lookup: &RecordLookup) -> &'static str {
    match lookup {
        RecordLookup::Found {
            freshness: crate::departments::Freshness::Fresh,
            ..
        } => "fresh",
        RecordLookup::Found { .. } => "stale",
        // The department has no record: its default applies.
        RecordLookup::NotFound { .. } => "none",
        RecordLookup::Unavailable { .. } => "unavailable",
    }
}

/// The enterprise's profile, rebuilt from its departments' records now (they are cached, so
/// this is usually no call at all) and kept; when a department cannot be reached, the last
/// kept profile stands, its sources saying which.
pub async fn refreshed(state: &AppState, uscc: &str) -> Result<Built, ApiError> {
    let deadline = tokio::time::Instant::from_std(Instant::now() + state.config.screen_deadline);
    let query = state
        .departments
        .query_for(&Subject::Enterprise(uscc.to_string()));
    let on_behalf: Arc<str> = Arc::from(format!("profile:{uscc}"));
    let lookups = join_all(SOURCES.iter().map(|op| {
        let (departments, query, on_behalf) = (state.departments.clone(), &query, &on_behalf);
        async move { departments.fetch_by(deadline, *op, query, on_behalf).await }
    }))
    .await;
    let sources: Vec<ProfileSource> = SOURCES
        .iter()
        .zip(&lookups)
        .map(|(op, lookup)| ProfileSource {
            department: op.department().chinese_name().to_string(),
            record: op.as_str().to_string(),
            state: state_of(lookup).to_string(),
        })
        .collect();
    if matches!(lookups[0], RecordLookup::NotFound { .. }) {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            ProblemCode::EnterpriseNotRegistered,
            Text::new(
                "市场监管部门没有该企业的登记信息",
                "the market regulator has no registration of this enterprise",
            ),
        ));
    }
    if lookups
        .iter()
        .any(|l| matches!(l, RecordLookup::Unavailable { .. }))
    {
        return kept(state, uscc, sources).await;
    }
    // Each lookup's record, when it is of the kind its operation answers.
    macro_rules! record {
        ($i:expr, $kind:ident) => {
            match &lookups[$i] {
                RecordLookup::Found { data, .. } => match data.as_ref() {
                    Record::$kind(r) => Some(r),
                    _ => None,
                },
                _ => None,
            }
        };
    }
    let Some(registration) = record!(0, EnterpriseRegistration) else {
        return Err(ApiError::internal(
            "enterprise_registration answered another record",
        ));
    };
    let now = Utc::now();
    let today =
        zhelikit_domain::policy::format_day(zhelikit_domain::policy::china_day(now.timestamp()));
    let profile = build_profile(ProfileRecords {
        registration,
        credit: record!(1, EnterpriseCredit),
        social_security: record!(2, EnterpriseSocialSecurity),
        tax: record!(3, EnterpriseTax),
        qualifications: record!(4, EnterpriseQualifications),
        today: &today,
    })
    .map_err(|gap| {
        ApiError::server(
            StatusCode::BAD_GATEWAY,
            ProblemCode::DepartmentUnavailable,
            Text::new(
                "部门数据格式有误，暂无法生成企业画像",
                "a department's record could not be read",
            ),
            gap.to_string(),
        )
    })?;
    let json = serde_json::to_string(&profile).map_err(|e| ApiError::internal(e.to_string()))?;
    let sources_json =
        serde_json::to_string(&sources).map_err(|e| ApiError::internal(e.to_string()))?;
    // A new or changed profile is matched again against the published policies (a job in the
    // same transaction): one that now qualifies is told, as if it had been there at publishing.
    let before = state.store.profile(uscc).await?;
    let changed = before.as_ref().is_none_or(|b| b.profile != json);
    let rematch = changed.then(|| super::sync::rematch_job(uscc).row());
    let slot = state
        .store
        .upsert_profile(uscc, &json, &sources_json, now, rematch.as_slice())
        .await?;
    if let Some(row) = &rematch {
        state.jobs.published(row).await;
    }
    let profile = Arc::new(profile);
    state.matcher.note(slot, profile.clone());
    Ok(Built {
        profile,
        built_at: now.timestamp(),
        sources,
    })
}

/// The last kept profile, with today's source states; 503 when there is none.
async fn kept(
    state: &AppState,
    uscc: &str,
    sources: Vec<ProfileSource>,
) -> Result<Built, ApiError> {
    let stored = state.store.profile(uscc).await?;
    let Some(stored) = stored else {
        let down: Vec<_> = sources
            .iter()
            .filter(|s| s.state == "unavailable")
            .map(|s| s.department.clone())
            .collect();
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ProblemCode::DepartmentUnavailable,
            Text::new(
                format!("{}系统暂不可用，暂无法生成企业画像", down.join("、")),
                format!(
                    "{} could not be reached to build the profile",
                    down.join(", ")
                ),
            ),
        )
        .with_retry_after(30));
    };
    let profile: EnterpriseProfile = serde_json::from_str(&stored.profile)
        .map_err(|e| ApiError::internal(format!("stored profile unreadable: {e}")))?;
    Ok(Built {
        profile: Arc::new(profile),
        built_at: stored.built_at.timestamp(),
        sources,
    })
}

/// The enterprise's profile (企业画像): what matching sees of it, and where each part came from.
#[utoipa::path(get, path = paths::ENTERPRISE_PROFILE, tag = "policies", security(("bearer" = [])),
    responses((status = 200, body = EnterpriseProfileView),
        (status = 403, description = "missing_scope, user_kind_not_allowed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "enterprise_not_registered", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "department_unavailable (and no profile kept)", body = Problem, content_type = "application/problem+json")))]
pub async fn profile(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<axum::Json<EnterpriseProfileView>, ApiError> {
    auth.require(Scope::PolicyRead)?;
    let uscc = enterprise_of(&state, &auth).await?;
    let built = refreshed(&state, &uscc).await?;
    Ok(axum::Json(EnterpriseProfileView {
        profile: Arc::unwrap_or_clone(built.profile),
        built_at: built.built_at,
        sources: built.sources,
    }))
}
