//! 惠企政策直通车's policies on the device. For an enterprise: the published policies it
//! matches, each with why, kept sealed so the list and a policy's page open offline. For an
//! official on 浙政钉: the policy console — drafting, the four-eyes steps, a preview of whom
//! criteria match, and the delivery statistics — which mini-apps reach through the bridge's
//! `zhelikit.policy.console.*` methods.
//!
//! [`PoliciesClient`] is the exported surface over the inner [`Policies`](inner::Policies).

pub(crate) mod inner;
mod types;

pub(crate) use inner::Policies;
pub use types::{MatchedPolicies, MatchedPolicy, PolicyGrant};

use crate::error::SdkError;

/// The enterprise's matched policies. Obtain it with `client.policies()`; the session must be
/// a legal person's (浙里办 法人) in a mini-app with scope `policy.read`.
#[derive(uniffi::Object)]
pub struct PoliciesClient {
    inner: Policies,
}

impl PoliciesClient {
    pub(crate) fn new(inner: Policies) -> Self {
        Self { inner }
    }
}

#[uniffi::export]
impl PoliciesClient {
    /// The published policies in effect that match the enterprise's profile (企业画像), newest
    /// first, each with the reasons it applies; the list is kept sealed on the device, and
    /// offline it is answered from there (`offline = true`).
    ///
    /// Errors: `NotLoggedIn`, `SessionExpired`, `ForbiddenScope` (needs `policy.read`),
    /// `Server` with code `user_kind_not_allowed` (not a legal person's session), `Offline`
    /// (offline, with no list kept yet).
    pub async fn matched(&self) -> Result<MatchedPolicies, SdkError> {
        let inner = self.inner.clone();
        self.inner
            .context()
            .run(async move {
                let matched = inner.matched().await?;
                Ok(MatchedPolicies {
                    policies: matched
                        .policies
                        .policies
                        .iter()
                        .map(types::matched)
                        .collect(),
                    offline: matched.offline,
                })
            })
            .await
    }
}
