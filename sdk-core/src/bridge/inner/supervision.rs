//! The bridge's `zhelikit.supervision.*` methods for the 政务督查 mini-app on 浙政钉 (scope
//! `supervision`): who the official is, the tree's units and leaders, items, tasks, reports,
//! decisions, urging, moving and cancelling, the figures and their `.xlsx` report.
//!
//! Items, tasks, reports and figures travel as the BFF's documents (its OpenAPI `ItemView`,
//! `TaskView`, `ReportView`, `Dashboard` …, snake_case), so the mini-app reads one description
//! of them. A session that is not an official's gets the BFF's `user_kind_not_allowed`, which
//! the bridge answers with the platform's permission code.

use base64::Engine as _;
use serde_json::{json, Value};
use zhelikit_domain::bridge::{BridgeError, BridgeFailure as F};
use zhelikit_domain::supervision::Decision;

use super::{from_sdk_error, invalid, text_param, to_json, typed_param, Bridge, Outcome, Params};

/// An optional text parameter.
fn optional_text(params: &Params, name: &str) -> Result<Option<String>, BridgeError> {
    match params.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid(
            format!("参数 {name} 须为字符串"),
            format!("parameter {name} must be a string"),
        )),
    }
}

impl Bridge {
    /// One `zhelikit.supervision.*` call.
    pub(super) async fn supervision_call(&self, method: &str, params: &Params) -> Outcome {
        let s = &self.supervision;
        let sdk = from_sdk_error;
        match method {
            "zhelikit.supervision.me" => to_json(&s.me().await.map_err(sdk)?),
            "zhelikit.supervision.org" => to_json(&s.org().await.map_err(sdk)?),
            "zhelikit.supervision.items" => to_json(&s.items().await.map_err(sdk)?),
            "zhelikit.supervision.item" => {
                let id = text_param(params, "itemId")?;
                to_json(&s.item(id).await.map_err(sdk)?)
            }
            "zhelikit.supervision.createItem" => {
                let item = typed_param(params, "item")?;
                to_json(&s.create_item(item).await.map_err(sdk)?)
            }
            "zhelikit.supervision.dispatch" => {
                let id = text_param(params, "itemId")?;
                let parent = optional_text(params, "parent")?;
                let tasks = typed_param(params, "tasks")?;
                to_json(
                    &s.dispatch(id, parent.as_deref(), tasks)
                        .await
                        .map_err(sdk)?,
                )
            }
            "zhelikit.supervision.tasks" => to_json(&s.tasks().await.map_err(sdk)?),
            "zhelikit.supervision.report" => {
                let id = text_param(params, "taskId")?;
                let report = typed_param(params, "report")?;
                to_json(&s.report(id, report).await.map_err(sdk)?)
            }
            "zhelikit.supervision.decide" => {
                let id = text_param(params, "reportId")?;
                let approve = params
                    .get("approve")
                    .and_then(Value::as_bool)
                    .ok_or_else(|| {
                        invalid(
                            "参数 approve 须为 true（通过）或 false（退回）",
                            "parameter approve must be true or false",
                        )
                    })?;
                let reason = optional_text(params, "reason")?;
                to_json(
                    &s.decide(id, Decision { approve, reason })
                        .await
                        .map_err(sdk)?,
                )
            }
            "zhelikit.supervision.urge" => {
                let id = text_param(params, "taskId")?;
                let message = optional_text(params, "message")?;
                to_json(&s.urge(id, message).await.map_err(sdk)?)
            }
            "zhelikit.supervision.moveTask" => {
                let id = text_param(params, "taskId")?;
                let parent = optional_text(params, "parent")?;
                s.move_task(id, parent.as_deref()).await.map_err(sdk)?;
                Ok(json!({}))
            }
            "zhelikit.supervision.cancelTask" => {
                let id = text_param(params, "taskId")?;
                let reason = text_param(params, "reason")?.to_string();
                s.cancel(id, reason).await.map_err(sdk)?;
                Ok(json!({}))
            }
            "zhelikit.supervision.dashboard" => to_json(&s.dashboard().await.map_err(sdk)?),
            "zhelikit.supervision.export" => {
                let bytes = s.export().await.map_err(sdk)?;
                Ok(json!({
                    "fileName": "督查统计报表.xlsx",
                    "mediaType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    "base64": base64::engine::general_purpose::STANDARD.encode(bytes),
                }))
            }
            other => Err(BridgeError::new(
                F::UnknownMethod,
                format!("方法 {other} 尚未实现"),
                format!("method {other} is not implemented"),
            )),
        }
    }
}
