//! The bridge's `zhelikit.policy.*` methods. For an enterprise's page, `matched`: the
//! published policies it matches, with why (offline from the device's copy). For the policy
//! console on 浙政钉 (scope `policy.manage`), `console.*`: the criteria's vocabulary, the
//! organisation's policies, one policy with its history and delivery statistics, drafting,
//! editing on a version, the lifecycle steps and a preview of the matches.
//!
//! Policies, drafts, criteria and previews travel as the BFF's documents (its OpenAPI
//! `Policy`, `PolicyDraft`, `Criteria`, `MatchPreview`, snake_case like `getCurrentUser`'s),
//! so a console reads one description of them.

use serde_json::{json, Value};
use zhelikit_domain::bridge::{BridgeError, BridgeFailure as F};
use zhelikit_domain::policy::{vocabulary, PolicyEdit, PolicyStep};

use super::{from_sdk_error, invalid, text_param, to_json, typed_param, Bridge, Outcome, Params};

impl Bridge {
    /// One `zhelikit.policy.*` call.
    pub(super) async fn policy_call(&self, method: &str, params: &Params) -> Outcome {
        let policies = &self.policies;
        match method {
            "zhelikit.policy.matched" => {
                let matched = policies.matched().await.map_err(from_sdk_error)?;
                let mut value = to_json(&matched.policies)?;
                value["offline"] = Value::Bool(matched.offline);
                Ok(value)
            }
            "zhelikit.policy.console.vocabulary" => to_json(&vocabulary()),
            "zhelikit.policy.console.list" => {
                let list = policies.list().await.map_err(from_sdk_error)?;
                Ok(json!({"policies": to_json(&list)?}))
            }
            "zhelikit.policy.console.read" => {
                let id = text_param(params, "policyId")?;
                to_json(&policies.read(id).await.map_err(from_sdk_error)?)
            }
            "zhelikit.policy.console.create" => {
                let draft = typed_param(params, "draft")?;
                to_json(&policies.create(&draft).await.map_err(from_sdk_error)?)
            }
            "zhelikit.policy.console.edit" => {
                let id = text_param(params, "policyId")?;
                let version = match params.get("version").and_then(Value::as_i64) {
                    Some(v) => v,
                    None => {
                        return Err(invalid(
                            "参数 version 须为所看到的版本号（整数）",
                            "parameter version must be the version seen (an integer)",
                        ))
                    }
                };
                let edit = PolicyEdit {
                    version,
                    draft: typed_param(params, "draft")?,
                };
                to_json(&policies.edit(id, &edit).await.map_err(from_sdk_error)?)
            }
            "zhelikit.policy.console.step" => {
                let id = text_param(params, "policyId")?;
                let step: PolicyStep = typed_param(params, "step")?;
                to_json(&policies.step(id, &step).await.map_err(from_sdk_error)?)
            }
            "zhelikit.policy.console.preview" => {
                let criteria = typed_param(params, "criteria")?;
                to_json(&policies.preview(&criteria).await.map_err(from_sdk_error)?)
            }
            other => Err(BridgeError::new(
                F::UnknownMethod,
                format!("方法 {other} 尚未实现"),
                format!("method {other} is not implemented"),
            )),
        }
    }
}
