//! `/__admin/faults` and `/__admin/departments/stats`: switch department faults at run time and
//! read how many requests each department received.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use platform_api::departments::Department;

use crate::departments::faults::{DepartmentStats, Fault};
use crate::MockState;

/// `GET`: every department's fault. `DELETE`: make every department healthy.
pub const FAULTS_PATH: &str = "/__admin/faults";
/// `PUT` a [`Fault`]: set the department's fault. `GET`: read it. `DELETE`: make it healthy.
/// The department is its [`Department::as_str`] name, e.g. `/__admin/faults/transport`.
pub const FAULT_PATH: &str = "/__admin/faults/{department}";
/// `GET`: `{"public_security": {"requests": N}, …}`, requests per department since start.
pub const DEPARTMENT_STATS_PATH: &str = "/__admin/departments/stats";

/// [`FAULT_PATH`] for one department.
pub fn fault_path(department: Department) -> String {
    format!("{FAULTS_PATH}/{}", department.as_str())
}

/// The fault-injection routes.
pub fn routes() -> Router<MockState> {
    Router::new()
        .route(FAULTS_PATH, get(all).delete(clear_all))
        .route(FAULT_PATH, get(one).put(set).delete(clear_one))
        .route(DEPARTMENT_STATS_PATH, get(stats))
}

async fn all(State(state): State<MockState>) -> Json<BTreeMap<Department, Fault>> {
    Json(state.faults.all())
}

async fn clear_all(State(state): State<MockState>) -> Json<BTreeMap<Department, Fault>> {
    state.clear_faults();
    tracing::info!("every department healthy again");
    Json(state.faults.all())
}

async fn one(State(state): State<MockState>, Path(name): Path<String>) -> Response {
    match Department::parse(&name) {
        Some(d) => Json(state.faults.get(d)).into_response(),
        None => unknown_department(&name),
    }
}

async fn set(State(state): State<MockState>, Path(name): Path<String>, body: Bytes) -> Response {
    let Some(d) = Department::parse(&name) else {
        return unknown_department(&name);
    };
    let fault = match serde_json::from_slice::<Fault>(&body) {
        Ok(fault) => fault,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("not a fault: {e}")),
    };
    match state.set_fault(d, fault) {
        Ok(()) => {
            tracing::info!(department = d.as_str(), ?fault, "department fault set");
            Json(fault).into_response()
        }
        Err(e) => error(StatusCode::BAD_REQUEST, e.to_string()),
    }
}

async fn clear_one(State(state): State<MockState>, Path(name): Path<String>) -> Response {
    let Some(d) = Department::parse(&name) else {
        return unknown_department(&name);
    };
    // A healthy fault is always valid.
    let _ = state.set_fault(d, Fault::HEALTHY);
    tracing::info!(department = d.as_str(), "department healthy again");
    Json(Fault::HEALTHY).into_response()
}

async fn stats(State(state): State<MockState>) -> Json<BTreeMap<Department, DepartmentStats>> {
    Json(state.faults.stats())
}

fn unknown_department(name: &str) -> Response {
    let known: Vec<&str> = Department::ALL.iter().map(|d| d.as_str()).collect();
    error(
        StatusCode::NOT_FOUND,
        format!(
            "no department {name:?}; the departments are {}",
            known.join(", ")
        ),
    )
}

fn error(status: StatusCode, message: String) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}
