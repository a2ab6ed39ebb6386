//! 一件事 at the departments: each takes its part of an application ([`Operation::Intake`]),
//! files each reference once (a retry gets the first receipt), and tells ZheliKit where the
//! part stands through its signed callback — `received` at once, then `accepted`, `rejected`
//! (with a reason) or `completed` when a test or a person at `/departments/intake` says so
//! (`POST /__admin/intake/{reference}/status`, see [`crate::admin::intake`]).

use std::collections::BTreeMap;
use std::sync::Mutex;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use platform_api::departments::{Department, IntakeFiling, IntakeReceipt, Operation};
use serde::Serialize;
use serde_json::Value;
use zhelikit_domain::forms::submission::PartStatus;

use super::certificates::{ok, refuse};
use super::CODE_BAD_REQUEST;
use crate::MockState;

/// A part as the department keeps it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Part {
    /// ZheliKit's reference.
    pub reference: String,
    /// The department's case number (受理编号).
    pub case_number: String,
    /// The department.
    pub department: Department,
    /// The form and the part's title.
    pub form_title: String,
    /// What the department does with it.
    pub part_title: String,
    /// Who applies (name only: what a clerk's list shows).
    pub applicant_name: String,
    /// The answers the department received.
    pub answers: Value,
    /// The part this one corrects.
    pub corrects: Option<String>,
    /// When received (platform clock, seconds).
    pub received_at: i64,
    /// Where it stands as the department last said.
    pub status: PartStatus,
    /// Why (a rejection's).
    pub reason: Option<String>,
    /// Whether ZheliKit acknowledged the last status.
    pub delivered: bool,
}

/// Every department's parts, by reference.
#[derive(Debug, Default)]
pub struct Intakes {
    parts: Mutex<BTreeMap<String, Part>>,
}

impl Intakes {
    /// Every part received, oldest first.
    pub fn all(&self) -> Vec<Part> {
        let mut all: Vec<Part> = self.lock().values().cloned().collect();
        all.sort_by(|a, b| a.case_number.cmp(&b.case_number));
        all
    }

    /// The part filed under `reference`.
    pub fn get(&self, reference: &str) -> Option<Part> {
        self.lock().get(reference).cloned()
    }

    /// Records that the department says `status` of `reference` (not yet delivered).
    pub(crate) fn set(&self, reference: &str, status: PartStatus, reason: Option<String>) {
        if let Some(p) = self.lock().get_mut(reference) {
            p.status = status;
            p.reason = reason;
            p.delivered = false;
        }
    }

    /// Marks the last status of `reference` acknowledged by ZheliKit.
    pub(crate) fn delivered(&self, reference: &str) {
        if let Some(p) = self.lock().get_mut(reference) {
            p.delivered = true;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Part>> {
        self.parts.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// `department`'s intake.
pub fn routes(department: Department) -> Router<MockState> {
    Router::new().route(
        Operation::Intake(department).path(),
        post(
            move |State(state): State<MockState>, body: Bytes| async move {
                file(&state, department, &body)
            },
        ),
    )
}

fn file(state: &MockState, department: Department, body: &[u8]) -> Response {
    let filing: IntakeFiling = match serde_json::from_slice(body) {
        Ok(f) => f,
        Err(e) => {
            return refuse(
                CODE_BAD_REQUEST,
                format!("the body must be an intake filing: {e}"),
            )
        }
    };
    if let Some(p) = state.intakes.get(&filing.reference) {
        // Filed once per reference: a retry gets the first receipt.
        return ok(receipt(&p));
    }
    if !filing.answers.is_object() {
        return refuse(CODE_BAD_REQUEST, "answers must be a JSON object".into());
    }
    let now = state.clock.now();
    let part = {
        let mut parts = state.intakes.lock();
        let case_number = format!(
            "{}{}{:06}",
            case_prefix(department),
            now.format("%Y%m%d"),
            parts.len() + 1
        );
        let part = Part {
            reference: filing.reference.clone(),
            case_number,
            department,
            form_title: filing.form_title,
            part_title: filing.part_title,
            applicant_name: filing.applicant.name,
            answers: filing.answers,
            corrects: filing.corrects,
            received_at: now.timestamp(),
            status: PartStatus::Received,
            reason: None,
            delivered: false,
        };
        parts.insert(part.reference.clone(), part.clone());
        part
    };
    // The department's system signs for it (签收) on its own time, as real ones do: the
    // receipt answers the filing, the status follows through the callback.
    let notify = state.clone();
    let reference = part.reference.clone();
    tokio::spawn(async move {
        crate::admin::intake::send_status(&notify, &reference).await;
    });
    ok(receipt(&part))
}

/// The first letters of a department's case numbers (市场监管 SL…, 税务 SW…).
fn case_prefix(department: Department) -> &'static str {
    match department {
        Department::PublicSecurity => "GA",
        Department::HumanResources => "RS",
        Department::Transport => "JT",
        Department::MarketRegulation => "SJ",
        Department::Health => "WJ",
        Department::Education => "JY",
        Department::Housing => "ZJ",
        Department::Taxation => "SW",
        Department::Economy => "JX",
    }
}

fn receipt(p: &Part) -> IntakeReceipt {
    IntakeReceipt {
        reference: p.reference.clone(),
        case_number: p.case_number.clone(),
    }
}
