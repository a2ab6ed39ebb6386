//! Progress reports (进展反馈) and their leaders' decisions (审核). A report asks the unit's
//! leaders to review it (a work notification and a to-do) and finishes the contacts' "report"
//! to-dos; an approval makes its values count (and closes the task when the report said it
//! is finished); a rejection goes back to the contacts with its reason.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use zhelikit_domain::api::Problem;
use zhelikit_domain::input;
use zhelikit_domain::lang::Text;
use zhelikit_domain::paths;
use zhelikit_domain::problem_code::ProblemCode;
use zhelikit_domain::supervision::report::{NotNow, ReportedTask};
use zhelikit_domain::supervision::wire::{NewReport, ReportView};
use zhelikit_domain::supervision::{Action, Decision, Nudge, ReportStatus};

use super::nudges;
use super::view::{report_view, reported_of, status_of};
use super::{actor, new_id, report_not_found, task_closed, visible_task};
use crate::app::AppState;
use crate::http::json::ApiJson;
use crate::http::problem::ApiError;
use crate::identity::auth::Authenticated;
use crate::storage::{Decided, ReportTaken, StoredEvent, StoredReport};

fn pending_conflict() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        ProblemCode::SupervisionReportPending,
        Text::new(
            "上一份进展报告尚待单位负责人审核，审核后再报送",
            "an earlier report waits for the unit's leader",
        ),
    )
}

/// A unit's contact reports the task's progress: text, the values reached (in each
/// indicator's unit), photos, and whether the task is finished. Sent again with the same
/// `request_id`, the report made the first time is answered (200).
#[utoipa::path(post, path = paths::SUPERVISION_TASK_REPORTS, tag = "supervision", security(("bearer" = [])),
    params(("task_id" = String, Path, description = "the task")),
    request_body = NewReport,
    responses((status = 201, body = ReportView), (status = 200, description = "made before under this request_id", body = ReportView),
        (status = 400, description = "invalid_field (request_id, text, values, photos)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "supervision_forbidden", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "supervision_task_not_found", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "supervision_task_closed, supervision_report_pending", body = Problem, content_type = "application/problem+json")))]
pub async fn report(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(task_id): Path<String>,
    ApiJson(body): ApiJson<NewReport>,
) -> Result<(StatusCode, Json<ReportView>), ApiError> {
    let a = actor(&state, &auth).await?;
    let (t, model) = visible_task(&state, &a, &task_id).await?;
    a.may(Action::Report, Some(&t.unit_code))?;
    let request_id = input::request_id(&body.request_id)?;
    let request_key = format!("{}:{request_id}", a.person.employee_code);
    let reports = state.store.reports_of_item(&t.item_id).await?;
    if let Some(before) = reports.iter().find(|r| r.request_key == request_key) {
        return Ok((StatusCode::OK, Json(report_view(before)?)));
    }
    let pending = reports
        .iter()
        .any(|r| r.task_id == t.id && r.status == ReportStatus::Pending.as_str());
    let keys = model.target_keys(&t);
    let targets = keys.iter().map(String::as_str).collect();
    let checked = body.report.check(ReportedTask {
        status: status_of(&t)?,
        decomposed: model.tree.is_decomposed(&t.id),
        pending,
        indicators: &model.draft.indicators,
        targets: &targets,
    });
    match checked {
        Ok(()) => {}
        Err(Ok(NotNow::Closed(s))) => return Err(task_closed(s.as_str())),
        Err(Ok(NotNow::Pending)) => return Err(pending_conflict()),
        Err(Err(invalid)) => return Err(invalid.into()),
    }
    let now = state.clock.now();
    let stored = StoredReport {
        id: new_id("r"),
        request_key,
        task_id: t.id.clone(),
        item_id: t.item_id.clone(),
        reporter: a.person.employee_code.clone(),
        reporter_name: a.person.name.clone(),
        body: serde_json::to_string(&body.report).map_err(|e| ApiError::internal(e.to_string()))?,
        status: ReportStatus::Pending.as_str().into(),
        reason: None,
        decided_by: None,
        decided_by_name: None,
        created_at: now,
        decided_at: None,
    };
    let event = StoredEvent {
        item_id: t.item_id.clone(),
        task_id: Some(t.id.clone()),
        actor: a.person.employee_code.clone(),
        actor_name: a.person.name.clone(),
        action: "report".into(),
        detail: format!(
            "{}报送{}的进展{}",
            a.person.name,
            t.unit_name,
            if body.report.completes {
                "，申请办结"
            } else {
                ""
            }
        ),
        at: now,
    };
    let (notice, nudge_job) = nudges::immediate(
        &t,
        &format!("sv-{}-review", stored.id),
        Nudge::Review,
        None,
        now,
    );
    let jobs = vec![
        nudge_job,
        nudges::close_todos_job(&t.id, &["report"], true, now),
    ];
    match state
        .store
        .insert_report(&stored, &event, &[notice], &jobs)
        .await?
    {
        ReportTaken::Taken => {}
        ReportTaken::Exists(before) => return Ok((StatusCode::OK, Json(report_view(&before)?))),
        ReportTaken::Pending => return Err(pending_conflict()),
        ReportTaken::Closed => return Err(task_closed("done")),
    }
    for job in &jobs {
        state.jobs.published(job).await;
    }
    Ok((StatusCode::CREATED, Json(report_view(&stored)?)))
}

/// The task unit's leader approves a report (its values count; a report saying the task is
/// finished closes it) or sends it back with a reason.
#[utoipa::path(post, path = paths::SUPERVISION_REPORT_DECISION, tag = "supervision", security(("bearer" = [])),
    params(("report_id" = String, Path, description = "the report")),
    request_body = Decision,
    responses((status = 200, body = ReportView),
        (status = 400, description = "invalid_field (reason)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "supervision_forbidden", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "supervision_report_not_found", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "supervision_report_decided, supervision_task_closed", body = Problem, content_type = "application/problem+json")))]
pub async fn decide(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(report_id): Path<String>,
    ApiJson(decision): ApiJson<Decision>,
) -> Result<Json<ReportView>, ApiError> {
    let a = actor(&state, &auth).await?;
    let r = state
        .store
        .supervision_report(&report_id)
        .await?
        .ok_or_else(|| report_not_found(&report_id))?;
    let (t, _) = visible_task(&state, &a, &r.task_id)
        .await
        .map_err(|_| report_not_found(&report_id))?;
    a.may(Action::Decide, Some(&t.unit_code))?;
    let reason = decision.check()?;
    let decided_conflict = || {
        ApiError::new(
            StatusCode::CONFLICT,
            ProblemCode::SupervisionReportDecided,
            Text::new("该报告已审核", "the report was decided already"),
        )
    };
    if r.status != ReportStatus::Pending.as_str() {
        return Err(decided_conflict());
    }
    let body: zhelikit_domain::supervision::ReportDraft = serde_json::from_str(&r.body)
        .map_err(|e| ApiError::internal(format!("report {} unreadable: {e}", r.id)))?;
    let now = state.clock.now();
    let today = state.clock.today();
    let mut events = Vec::new();
    let mut notices = Vec::new();
    let mut jobs = vec![nudges::close_todos_job(&t.id, &["review"], true, now)];
    let event = |action: &str, detail: String| StoredEvent {
        item_id: t.item_id.clone(),
        task_id: Some(t.id.clone()),
        actor: a.person.employee_code.clone(),
        actor_name: a.person.name.clone(),
        action: action.into(),
        detail,
        at: now,
    };
    let decided = if decision.approve {
        let mut values = reported_of(&t)?;
        for v in &body.values {
            values.insert(v.key.clone(), v.value);
        }
        let done = body.completes.then_some(today);
        events.push(event(
            "approve",
            format!("审核通过{}报送的进展", r.reporter_name),
        ));
        if done.is_some() {
            events.push(event("done", format!("{}的任务办结", t.unit_name)));
            jobs.push(nudges::close_todos_job(&t.id, &[], true, now));
        }
        Decided {
            report_id: r.id.clone(),
            status: ReportStatus::Approved.as_str().into(),
            reason: None,
            decided_by: a.person.employee_code.clone(),
            decided_by_name: a.person.name.clone(),
            at: now,
            task: Some((
                serde_json::to_string(&values).map_err(|e| ApiError::internal(e.to_string()))?,
                done,
            )),
        }
    } else {
        let reason = reason.unwrap_or_default().to_string();
        events.push(event(
            "reject",
            format!("退回{}报送的进展：{reason}", r.reporter_name),
        ));
        let (notice, job) = nudges::immediate(
            &t,
            &format!("sv-{}-returned", r.id),
            Nudge::Returned,
            Some(&reason),
            now,
        );
        notices.push(notice);
        jobs.push(job);
        Decided {
            report_id: r.id.clone(),
            status: ReportStatus::Rejected.as_str().into(),
            reason: Some(reason),
            decided_by: a.person.employee_code.clone(),
            decided_by_name: a.person.name.clone(),
            at: now,
            task: None,
        }
    };
    if !state
        .store
        .decide_report(&decided, &events, &notices, &jobs)
        .await?
    {
        let now_report = state.store.supervision_report(&r.id).await?;
        return Err(match now_report {
            Some(r) if r.status == ReportStatus::Pending.as_str() => task_closed("cancelled"),
            _ => decided_conflict(),
        });
    }
    for job in &jobs {
        state.jobs.published(job).await;
    }
    let after = state
        .store
        .supervision_report(&r.id)
        .await?
        .ok_or_else(|| report_not_found(&r.id))?;
    Ok(Json(report_view(&after)?))
}
