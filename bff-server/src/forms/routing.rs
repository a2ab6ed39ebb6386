//! 一件事 routing: each department's part of a submission delivered to its intake, and the
//! departments' statuses coming back.
//!
//! Delivery is a job of the one durable mechanism ([`QUEUE`]), written with the submission:
//! the job opens the sealed answers, takes the department's part (the form's routing, the
//! same split the intake made) and files it through the department adapter layer (breakers,
//! retries, recording — the department files each reference once, so a retry is safe). A
//! department that is down is tried again with backoff for as long as a day: its part waits,
//! nothing is lost. The receipt's case number marks the part received.
//!
//! A department answers on its own time with a status signed by its issuer key
//! ([`status`]): accepted, rejected with a reason, completed. Statuses only move a part
//! forward; one that arrives late is ignored, one that contradicts is refused.

use std::sync::{Arc, Weak};

use async_trait::async_trait;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use platform_api::departments::{Department, IntakeFiling, Operation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use zhelikit_domain::api::{Problem, UserKind};
use zhelikit_domain::forms::routing;
use zhelikit_domain::forms::submission::{
    verify_intake_status, Applicant, IntakeCallback, PartStatus, Step,
};
use zhelikit_domain::lang::Text;
use zhelikit_domain::paths;
use zhelikit_domain::problem_code::ProblemCode;
use zhelikit_domain::records::Record;
use zhelikit_domain::vault::catalogue::issuer_id;

use crate::app::{App, AppState};
use crate::audit::{self, Event};
use crate::departments::RecordLookup;
use crate::http::client::ClientAddr;
use crate::http::json::ApiJson;
use crate::http::problem::ApiError;
use crate::identity::users::{citizen_id_number, user_profile};
use crate::jobs::{Handler, Job, JobError};
use crate::storage::{NewJob, StoredJob};

/// The queue of part deliveries.
pub const QUEUE: &str = "forms.deliver";

/// Attempts before a delivery is buried: with backoff capped at 15 minutes, a day and more of
/// a department being down (an hour is routine maintenance).
const ATTEMPTS: i32 = 200;

/// A delivery job's payload.
#[derive(Debug, Serialize, Deserialize)]
struct Deliver {
    reference: String,
    instance_id: String,
    department: String,
}

/// The job delivering part `reference` (of `instance_id`, for `department`): one per part,
/// ever.
pub(crate) fn job(reference: &str, instance_id: &str, department: &str) -> NewJob {
    let mut job = Job::new(
        QUEUE,
        &Deliver {
            reference: reference.into(),
            instance_id: instance_id.into(),
            department: department.into(),
        },
    );
    job.max_attempts = ATTEMPTS;
    job.dedupe_key = Some(format!("{QUEUE}:{reference}"));
    job.row()
}

/// Delivers parts to their departments.
pub struct Deliveries {
    app: Weak<App>,
}

impl Deliveries {
    /// The handler, holding the app weakly (the app holds the jobs).
    pub fn new(app: Weak<App>) -> Self {
        Self { app }
    }
}

fn retry(e: impl std::fmt::Display) -> JobError {
    JobError::retry(e.to_string())
}

#[async_trait]
impl Handler for Deliveries {
    async fn run(&self, job: &StoredJob) -> Result<(), JobError> {
        let Deliver {
            reference,
            instance_id,
            department,
        } = serde_json::from_str(&job.payload)
            .map_err(|e| JobError::Permanent(format!("a malformed delivery job: {e}")))?;
        let app = self
            .app
            .upgrade()
            .ok_or_else(|| JobError::retry("the BFF is stopping"))?;
        let dept = Department::parse(&department)
            .ok_or_else(|| JobError::Permanent(format!("no department {department}")))?;
        let submission = app
            .store
            .submission(&instance_id)
            .await
            .map_err(retry)?
            .ok_or_else(|| JobError::Permanent(format!("no submission {instance_id}")))?;
        let Some(part) = submission.parts.iter().find(|p| p.reference == reference) else {
            return Err(JobError::Permanent(format!("no part {reference}")));
        };
        if part.status != PartStatus::Pending.as_str() {
            // Delivered before (a retry after the receipt was recorded).
            return Ok(());
        }
        let version = app
            .store
            .form_version(&submission.form_id, submission.version)
            .await
            .map_err(retry)?
            .ok_or_else(|| JobError::Permanent("the form version is gone".into()))?;
        let form = app
            .forms
            .form(&version)
            .map_err(|e| JobError::Permanent(e.to_string()))?;
        let plain = app
            .personal_data
            .open_answers(&instance_id, &submission.sealed_answers)
            .ok_or_else(|| JobError::Permanent("the sealed answers do not open".into()))?;
        let answers: serde_json::Value = serde_json::from_slice(&plain)
            .map_err(|e| JobError::Permanent(format!("the answers: {e}")))?;
        let Some((_, mine)) = routing::split(form.definition(), &answers)
            .into_iter()
            .find(|(d, _)| *d == department)
        else {
            return Err(JobError::Permanent(format!(
                "the form has no part for {department}"
            )));
        };
        let applicant = applicant(&app, submission.user_id).await?;
        let filing = IntakeFiling {
            reference: reference.clone(),
            form_id: submission.form_id.clone(),
            version: u32::try_from(submission.version).unwrap_or(0),
            form_title: version.title.clone(),
            part_title: part.title.clone(),
            applicant,
            answers: mine,
            corrects: submission
                .supersedes
                .as_ref()
                .map(|s| zhelikit_domain::forms::submission::part_reference(s, &department)),
        };
        let body = serde_json::to_vec(&filing).map_err(|e| JobError::Permanent(e.to_string()))?;
        audit::record(
            &app,
            Event::FormPartDelivered,
            Some(submission.user_id),
            None,
            "forms.deliver",
            &format!("{reference} {department}"),
        )
        .await;
        let on_behalf: Arc<str> = Arc::from(submission.user_id.to_string());
        let op = Operation::Intake(dept);
        let receipt = match app
            .departments
            .fetch_vault(op, body.into(), format!("intake:{reference}"), &on_behalf)
            .await
        {
            RecordLookup::Found { data, .. } => match data.as_ref() {
                Record::IntakeReceipt(r) if r.reference == reference => r.clone(),
                _ => {
                    return Err(JobError::Permanent(
                        "the department answered a filing with another record".into(),
                    ))
                }
            },
            RecordLookup::NotFound { .. } => {
                // The department will not take it (no such applicant on its side): the
                // applicant is told, as by a rejection.
                app.store
                    .move_part(
                        &reference,
                        PartStatus::Pending.as_str(),
                        PartStatus::Rejected.as_str(),
                        Some("部门未能受理：查无申请人记录"),
                        None,
                        Utc::now(),
                    )
                    .await
                    .map_err(retry)?;
                return Ok(());
            }
            RecordLookup::Unavailable { reason } => return Err(JobError::retry(reason.en)),
        };
        app.store
            .move_part(
                &reference,
                PartStatus::Pending.as_str(),
                PartStatus::Received.as_str(),
                None,
                Some(&receipt.case_number),
                Utc::now(),
            )
            .await
            .map_err(retry)?;
        Ok(())
    }
}

/// Who applies, as the department needs to know: the person, and the enterprise a legal
/// person acts for.
async fn applicant(app: &App, user_id: Uuid) -> Result<Applicant, JobError> {
    let user = user_profile(app, user_id)
        .await
        .map_err(|e| JobError::retry(format!("{:?}", e.code())))?;
    let profile = &user.profile;
    Ok(Applicant {
        kind: profile.kind.as_str().into(),
        name: profile.display_name.clone(),
        id_number: match profile.kind {
            UserKind::Official => None,
            _ => citizen_id_number(app, &user).ok(),
        },
        uscc: profile.enterprise.as_ref().map(|e| e.uscc.clone()),
    })
}

fn status_invalid(reason: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        ProblemCode::IntakeStatusInvalid,
        Text::new(
            format!("办理状态未通过签名验证：{reason}"),
            format!("the status does not verify: {reason}"),
        ),
    )
}

/// A department's status of a part, signed with its issuer key. Sending it again is
/// harmless; a status that contradicts an earlier one is refused.
#[utoipa::path(post, path = paths::INTAKE_STATUS, tag = "forms",
    request_body = IntakeCallback,
    responses((status = 204, description = "recorded (or recorded before, or behind what was)"),
        (status = 401, description = "intake_status_invalid", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "form_submission_not_found", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "intake_status_conflict", body = Problem, content_type = "application/problem+json")))]
pub async fn status(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(body): ApiJson<IntakeCallback>,
) -> Result<StatusCode, ApiError> {
    let directory = crate::vault::issuers::directory(&state).await;
    let said = verify_intake_status(&body.status, &directory.issuers).map_err(status_invalid)?;
    // A compare-and-set per attempt: a delivery's receipt or another status may land between
    // reading the part and moving it; then read again.
    for _ in 0..4 {
        let parts = state.store.parts_filed_as(&said.reference).await?;
        let Some(part) = parts.first() else {
            return Err(super::submission_not_found(&said.reference));
        };
        if issuer_id(&part.department) != said.iss {
            return Err(status_invalid("another department has this part"));
        }
        let current = PartStatus::parse(&part.status).ok_or_else(|| {
            ApiError::internal(format!(
                "part {} has status {:?}",
                part.reference, part.status
            ))
        })?;
        match current.step(said.status) {
            Step::Same | Step::Behind => return Ok(StatusCode::NO_CONTENT),
            Step::Contradicts => {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    ProblemCode::IntakeStatusConflict,
                    Text::new(
                        format!(
                            "该部分已是“{}”，不能再改为“{}”",
                            current.zh(),
                            said.status.zh()
                        ),
                        format!(
                            "the part is {} already; it cannot become {}",
                            current.as_str(),
                            said.status.as_str()
                        ),
                    ),
                ))
            }
            Step::Moved => {}
        }
        let moved = state
            .store
            .move_part(
                &said.reference,
                current.as_str(),
                said.status.as_str(),
                said.reason.as_deref(),
                said.case_number.as_deref(),
                Utc::now(),
            )
            .await?;
        if moved {
            audit::record(
                &state,
                Event::FormPartStatus,
                None,
                None,
                &client,
                &format!("{} {}", said.reference, said.status.as_str()),
            )
            .await;
            return Ok(StatusCode::NO_CONTENT);
        }
    }
    Err(ApiError::internal(format!(
        "part {} kept changing under its status",
        said.reference
    )))
}
