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
        .routes(routes!(inbox::claimed))
        .routes(routes!(inbox::register_device, inbox::unregister_device))
}

/// A published policy in effect, read and compiled.
pub struct InEffect {
    /// As kept.
    pub policy: crate::storage::StoredPolicy,
    /// Its text.
    pub draft: zhelikit_domain::policy::PolicyDraft,
    /// Its criteria, compiled.
    pub rule: zhelikit_push::matching::Rule,
}

/// Every published policy in effect on `today` (days since 1970-01-01, in China). A policy
/// that no longer reads or checks is logged and left out.
pub async fn in_effect(
    store: &dyn crate::storage::Store,
    today: i64,
) -> crate::storage::StoreResult<Vec<InEffect>> {
    use zhelikit_domain::policy::{parse_day, PolicyDraft, PolicyStatus};
    let published = store
        .policies_with_status(PolicyStatus::Published.as_str())
        .await?;
    Ok(published
        .into_iter()
        .filter_map(|policy| {
            let draft: PolicyDraft = match serde_json::from_str(&policy.draft) {
                Ok(d) => d,
                Err(e) => {
                    tracing::warn!(policy = %policy.id, error = %e, "published policy unreadable");
                    return None;
                }
            };
            let Ok(eligibility) = draft.criteria.check() else {
                tracing::warn!(policy = %policy.id, "published policy's criteria no longer check");
                return None;
            };
            let open = parse_day(&draft.valid_from).is_some_and(|d| d <= today)
                && parse_day(&draft.valid_until).is_some_and(|d| today <= d);
            open.then(|| InEffect {
                rule: zhelikit_push::matching::Rule::new(&eligibility),
                policy,
                draft,
            })
        })
        .collect())
}
