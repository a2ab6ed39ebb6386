//! The bridge's `zhelikit.forms.*` methods: the forms client of [`crate::FormsClient`] for a
//! page — forms kept for offline use, drafts checked on every save, finalize into the outbox
//! and sync, the applicant's submissions and corrections. Answers travel as JSON objects
//! (`answers`), as a page holds them.

use serde_json::{json, Value};

use super::{from_sdk_error, invalid, text_param, Bridge, Outcome, Params};
use crate::forms::{
    Draft, FieldProblem, FilledField, FormView, OutboxState, Outgoing, SubmissionInfo,
    UnfilledSource,
};

fn problem_json(p: &FieldProblem) -> Value {
    json!({"path": p.path, "code": p.code, "message": p.message})
}

fn filled_json(f: &[FilledField]) -> Value {
    f.iter()
        .map(|f| {
            json!({
                "field": f.field, "verified": f.verified, "source": f.source,
                "provider": f.provider, "ageSecs": f.age_secs, "fromInstance": f.from_instance,
            })
        })
        .collect()
}

fn unfilled_json(u: &[UnfilledSource]) -> Value {
    u.iter()
        .map(|u| json!({"source": u.source, "provider": u.provider, "reason": u.reason, "fields": u.fields}))
        .collect()
}

fn draft_json(d: &Draft) -> Value {
    json!({
        "draftId": d.draft_id, "formId": d.form_id, "version": d.version,
        "answers": serde_json::from_str::<Value>(&d.answers_json).unwrap_or(Value::Null),
        "problems": d.problems.iter().map(problem_json).collect::<Vec<_>>(),
        "droppedFields": d.dropped_fields, "supersedes": d.supersedes,
        "updatedAt": d.updated_at_ms,
        "filled": filled_json(&d.filled), "unfilled": unfilled_json(&d.unfilled),
        "hidden": d.hidden, "options": d.options,
        "computed": serde_json::from_str::<Value>(&d.computed_json).unwrap_or(Value::Null),
    })
}

/// The `answers` parameter: an object of field name → answer.
fn answers_param(params: &Params) -> Result<&Value, zhelikit_domain::bridge::BridgeError> {
    params
        .get("answers")
        .filter(|a| a.is_object())
        .ok_or_else(|| {
            invalid(
                "参数 answers 须为对象（字段名 → 回答）",
                "parameter answers must be an object (field name → answer)",
            )
        })
}

fn form_json(f: &FormView) -> Value {
    json!({
        "id": f.id, "version": f.version, "title": f.title, "status": f.status,
        "definition": serde_json::from_str::<Value>(&f.definition_json).unwrap_or(Value::Null),
        "offline": f.offline,
    })
}

fn submission_json(s: &SubmissionInfo) -> Value {
    json!({
        "instanceId": s.instance_id, "formId": s.form_id, "title": s.title,
        "status": s.status, "statusText": s.status_text, "receivedAt": s.received_at,
        "supersedes": s.supersedes, "supersededBy": s.superseded_by,
        "parts": s.parts.iter().map(|p| json!({
            "department": p.department, "departmentName": p.department_name, "title": p.title,
            "status": p.status, "statusText": p.status_text, "reason": p.reason,
            "caseNumber": p.case_number,
        })).collect::<Vec<_>>(),
    })
}

fn outgoing_json(o: &Outgoing) -> Value {
    let state = match o.state {
        OutboxState::Queued => "queued",
        OutboxState::Sent => "sent",
        OutboxState::Refused => "refused",
    };
    json!({
        "instanceId": o.instance_id, "formId": o.form_id, "version": o.version, "seq": o.seq,
        "state": state, "refusalCode": o.refusal_code, "refusal": o.refusal,
        "problems": o.problems.iter().map(problem_json).collect::<Vec<_>>(),
        "submission": o.submission.as_ref().map(submission_json),
        "finalizedAt": o.finalized_at_ms,
    })
}

impl Bridge {
    /// One `zhelikit.forms.*` call.
    pub(super) async fn forms_call(&self, method: &str, params: &Params) -> Outcome {
        let forms = &self.forms;
        match method {
            "zhelikit.forms.catalogue" => {
                let list = forms.catalogue().await.map_err(from_sdk_error)?;
                Ok(json!({"forms": list.iter().map(|f| json!({
                    "id": f.id, "version": f.version, "title": f.title, "departments": f.departments,
                })).collect::<Vec<_>>()}))
            }
            "zhelikit.forms.open" => {
                let id = text_param(params, "formId")?;
                Ok(form_json(&forms.open(id).await.map_err(from_sdk_error)?))
            }
            "zhelikit.forms.newDraft" => {
                let id = text_param(params, "formId")?;
                Ok(draft_json(
                    &forms.new_draft(id, None, None).map_err(from_sdk_error)?,
                ))
            }
            "zhelikit.forms.prefill" => {
                let id = text_param(params, "formId")?;
                let p = forms.prefill(id).await.map_err(from_sdk_error)?;
                Ok(json!({
                    "formId": p.form_id, "version": p.version,
                    "answers": serde_json::from_str::<Value>(&p.answers_json).unwrap_or(Value::Null),
                    "filled": filled_json(&p.filled), "unfilled": unfilled_json(&p.unfilled),
                    "coverage": p.coverage, "offline": p.offline,
                }))
            }
            "zhelikit.forms.updateDraft" => {
                let id = text_param(params, "draftId")?;
                let changes = answers_param(params)?;
                let saved = forms
                    .update(id, &changes.to_string())
                    .await
                    .map_err(from_sdk_error)?;
                Ok(draft_json(&saved))
            }
            "zhelikit.forms.saveDraft" => {
                let id = text_param(params, "draftId")?;
                let answers = answers_param(params)?;
                let saved = forms
                    .save(id, &answers.to_string())
                    .await
                    .map_err(from_sdk_error)?;
                Ok(draft_json(&saved))
            }
            "zhelikit.forms.draft" => {
                let id = text_param(params, "draftId")?;
                Ok(draft_json(&forms.draft(id).await.map_err(from_sdk_error)?))
            }
            "zhelikit.forms.drafts" => {
                let all = forms.drafts().await.map_err(from_sdk_error)?;
                Ok(json!({"drafts": all.iter().map(draft_json).collect::<Vec<_>>()}))
            }
            "zhelikit.forms.discardDraft" => {
                forms
                    .discard(text_param(params, "draftId")?)
                    .map_err(from_sdk_error)?;
                Ok(json!({}))
            }
            "zhelikit.forms.finalize" => {
                let id = text_param(params, "draftId")?;
                let item = forms.finalize_and_send(id).await.map_err(from_sdk_error)?;
                Ok(outgoing_json(&item))
            }
            "zhelikit.forms.sync" => {
                let r = forms.sync().await.map_err(from_sdk_error)?;
                Ok(
                    json!({"sent": r.sent, "refused": r.refused, "waiting": r.waiting, "offline": r.offline}),
                )
            }
            "zhelikit.forms.outbox" => {
                let items = forms.items().map_err(from_sdk_error)?;
                Ok(json!({"items": items.iter().map(outgoing_json).collect::<Vec<_>>()}))
            }
            "zhelikit.forms.submissions" => {
                let all = forms.submissions().await.map_err(from_sdk_error)?;
                Ok(json!({"submissions": all.iter().map(submission_json).collect::<Vec<_>>()}))
            }
            "zhelikit.forms.correct" => {
                let id = text_param(params, "instanceId")?;
                Ok(draft_json(&forms.correct(id).map_err(from_sdk_error)?))
            }
            other => Err(zhelikit_domain::bridge::BridgeError::new(
                zhelikit_domain::bridge::BridgeFailure::UnknownMethod,
                format!("方法 {other} 尚未实现"),
                format!("method {other} is not implemented"),
            )),
        }
    }
}
