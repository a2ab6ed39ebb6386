//! The policies' inner API over the [`Context`]: for an enterprise, the published policies it
//! matches (kept sealed on the device, so the list and a policy's page open offline); for an
//! official, the policy console — draft, edit, the lifecycle steps, a preview of the matches
//! and the delivery statistics, each one BFF call checked here first where it can be.

use std::sync::Arc;

use zhelikit_domain::paths;
use zhelikit_domain::policy::{
    Criteria, EnterprisePolicies, MatchPreview, Policy, PolicyDraft, PolicyEdit, PolicyStep,
};

use crate::context::{Cached, Context};
use crate::error::{Error, Result};

/// The user's row the matched policies are kept in.
const MATCHED_ROW: &str = "policies.matched";
/// Longest policy id the SDK puts in a path.
const MAX_ID: usize = 64;

/// The matched policies and whether they are the device's copy.
pub(crate) struct Matched {
    pub(crate) policies: EnterprisePolicies,
    pub(crate) offline: bool,
}

/// The policies of one client.
#[derive(Clone)]
pub(crate) struct Policies {
    ctx: Arc<Context>,
}

/// A policy id fit for a path: what the BFF makes (`pol-…`), never a `/` or a query.
fn policy_path(template: &str, id: &str) -> Result<String> {
    let fits = !id.is_empty()
        && id.len() <= MAX_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !fits {
        return Err(Error::Input {
            field: "policy_id",
            reason: format!("政策编号 {id:?} 格式不正确"),
        });
    }
    Ok(template.replace("{id}", id))
}

impl Policies {
    pub(crate) fn new(ctx: Arc<Context>) -> Self {
        Self { ctx }
    }

    pub(crate) fn context(&self) -> &Arc<Context> {
        &self.ctx
    }

    /// The published policies the enterprise matches, each with why; offline, the copy kept.
    pub(crate) async fn matched(&self) -> Result<Matched> {
        let ctx = &self.ctx;
        let cached = ctx
            .cached(MATCHED_ROW, || {
                ctx.get::<EnterprisePolicies>(paths::ENTERPRISE_POLICIES)
            })
            .await?;
        Ok(match cached {
            Cached::Fresh(policies) => Matched {
                policies,
                offline: false,
            },
            Cached::Offline(policies) => Matched {
                policies,
                offline: true,
            },
        })
    }

    /// The policies of the official's organisation, last changed first.
    pub(crate) async fn list(&self) -> Result<Vec<Policy>> {
        self.ctx.get(paths::POLICIES).await
    }

    /// One policy of the official's organisation, with its history and delivery statistics.
    pub(crate) async fn read(&self, id: &str) -> Result<Policy> {
        self.ctx.get(&policy_path(paths::POLICY, id)?).await
    }

    /// A new draft; checked here first (the BFF checks it again, and is the final word).
    pub(crate) async fn create(&self, draft: &PolicyDraft) -> Result<Policy> {
        draft.check()?;
        self.ctx.post(paths::POLICIES, draft).await
    }

    /// A new text of a draft, made on `version`.
    pub(crate) async fn edit(&self, id: &str, edit: &PolicyEdit) -> Result<Policy> {
        edit.draft.check()?;
        self.ctx.put(&policy_path(paths::POLICY, id)?, edit).await
    }

    /// A lifecycle step.
    pub(crate) async fn step(&self, id: &str, step: &PolicyStep) -> Result<Policy> {
        self.ctx
            .post(&policy_path(paths::POLICY_STEPS, id)?, step)
            .await
    }

    /// How many profiled enterprises `criteria` match, by county and industry, with examples.
    pub(crate) async fn preview(&self, criteria: &Criteria) -> Result<MatchPreview> {
        criteria.check()?;
        self.ctx.post(paths::POLICY_PREVIEW, criteria).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_id_cannot_reach_another_path() {
        assert_eq!(
            policy_path(paths::POLICY_STEPS, "pol-0a1b").ok().as_deref(),
            Some("/v1/policies/pol-0a1b/steps")
        );
        for bad in ["", "../me", "pol-1?x=1", "pol 1", &"p".repeat(65)] {
            assert!(
                matches!(
                    policy_path(paths::POLICY, bad),
                    Err(Error::Input {
                        field: "policy_id",
                        ..
                    })
                ),
                "{bad:?}"
            );
        }
    }
}
