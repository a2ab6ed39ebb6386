//! The bridge's `zhelikit.inbox.*` methods: the enterprise's inbox of [`crate::InboxClient`]
//! for a page — synced (an `inboxMessage` event for each message that arrived), listed
//! offline, read, opened (its deep link to follow) and "why am I seeing this".

use serde_json::{json, Value};

use super::{from_sdk_error, text_param, Bridge, Outcome, Params};
use crate::inbox::{InboxMessage, Mark, PolicyReason};

fn reason_json(r: &PolicyReason) -> Value {
    json!({"condition": r.condition, "met": r.met, "text": r.text})
}

fn message_json(m: &InboxMessage) -> Value {
    json!({
        "id": m.id, "policyId": m.policy_id, "title": m.title, "summary": m.summary,
        "benefit": m.benefit, "department": m.department,
        "reasons": m.reasons.iter().map(reason_json).collect::<Vec<_>>(),
        "deepLink": {
            "url": m.deep_link.url, "miniAppId": m.deep_link.mini_app_id,
            "page": m.deep_link.page, "policyId": m.deep_link.policy_id,
        },
        "receivedAt": m.received_at, "read": m.read, "opened": m.opened,
        "claimed": m.claimed, "withdrawn": m.withdrawn,
    })
}

impl Bridge {
    /// One `zhelikit.inbox.*` call.
    pub(super) async fn inbox_call(&self, method: &str, params: &Params) -> Outcome {
        let inbox = &self.inbox;
        match method {
            "zhelikit.inbox.sync" => {
                let before: Vec<String> = inbox
                    .messages()
                    .map_err(from_sdk_error)?
                    .into_iter()
                    .map(|m| m.id)
                    .collect();
                let synced = inbox.sync().await.map_err(from_sdk_error)?;
                // Oldest first, as they arrived.
                for m in synced
                    .messages
                    .iter()
                    .rev()
                    .filter(|m| !before.contains(&m.id))
                {
                    self.emit("inboxMessage", message_json(m));
                }
                Ok(json!({
                    "newMessages": synced.new_messages, "unread": synced.unread,
                    "offline": synced.offline,
                    "messages": synced.messages.iter().map(message_json).collect::<Vec<_>>(),
                }))
            }
            "zhelikit.inbox.list" => {
                let messages = inbox.messages().map_err(from_sdk_error)?;
                Ok(json!({"messages": messages.iter().map(message_json).collect::<Vec<_>>()}))
            }
            "zhelikit.inbox.markRead" => {
                let id = text_param(params, "messageId")?;
                let m = inbox.mark(id, Mark::Read).await.map_err(from_sdk_error)?;
                Ok(message_json(&m))
            }
            "zhelikit.inbox.open" => {
                let id = text_param(params, "messageId")?;
                let m = inbox.mark(id, Mark::Opened).await.map_err(from_sdk_error)?;
                Ok(message_json(&m))
            }
            "zhelikit.inbox.claim" => {
                let id = text_param(params, "messageId")?;
                let m = inbox
                    .mark(id, Mark::Claimed)
                    .await
                    .map_err(from_sdk_error)?;
                Ok(message_json(&m))
            }
            "zhelikit.inbox.why" => {
                let id = text_param(params, "messageId")?;
                let reasons = inbox.why(id).map_err(from_sdk_error)?;
                Ok(json!({"reasons": reasons.iter().map(reason_json).collect::<Vec<_>>()}))
            }
            other => Err(zhelikit_domain::bridge::BridgeError::new(
                zhelikit_domain::bridge::BridgeFailure::UnknownMethod,
                format!("方法 {other} 尚未实现"),
                format!("method {other} is not implemented"),
            )),
        }
    }
}
