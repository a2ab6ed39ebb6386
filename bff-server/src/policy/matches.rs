//! 惠企政策直通车's enterprise side: the published policies in effect that match the
//! enterprise's profile, each with why, condition by condition.

use axum::extract::State;
use chrono::Utc;
use zhelikit_domain::api::Problem;
use zhelikit_domain::paths;
use zhelikit_domain::policy::{EnterprisePolicies, MatchedPolicy};
use zhelikit_domain::scope::Scope;
use zhelikit_push::matching::Subject;

use crate::app::AppState;
use crate::http::problem::ApiError;
use crate::identity::auth::Authenticated;
use crate::policy::profiles::{enterprise_of, refreshed};

/// The policies for this enterprise, newest first, each with the reasons it applies.
#[utoipa::path(get, path = paths::ENTERPRISE_POLICIES, tag = "policies", security(("bearer" = [])),
    responses((status = 200, body = EnterprisePolicies),
        (status = 403, description = "missing_scope, user_kind_not_allowed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "enterprise_not_registered", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "department_unavailable (and no profile kept)", body = Problem, content_type = "application/problem+json")))]
pub async fn matched(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<axum::Json<EnterprisePolicies>, ApiError> {
    auth.require(Scope::PolicyRead)?;
    let uscc = enterprise_of(&state, &auth).await?;
    let built = refreshed(&state, &uscc).await?;
    let subject = Subject::of(&built.profile)
        .map_err(|e| ApiError::internal(format!("profile of {uscc} not matchable: {e:?}")))?;
    let today = zhelikit_domain::policy::china_day(Utc::now().timestamp());
    let policies = super::in_effect(state.store.as_ref(), today)
        .await?
        .into_iter()
        .filter(|p| p.rule.admits(&subject))
        .map(
            |super::InEffect {
                 policy,
                 draft,
                 rule,
             }| MatchedPolicy {
                id: policy.id,
                title: draft.title,
                summary: draft.summary,
                text: draft.text,
                benefit: draft.benefit,
                grant: draft.grant,
                department: policy.department,
                valid_from: draft.valid_from,
                valid_until: draft.valid_until,
                reasons: rule.reasons(&subject),
            },
        )
        .collect();
    Ok(axum::Json(EnterprisePolicies { policies }))
}
