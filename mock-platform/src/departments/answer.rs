//! From a request body to the [`DeptResponse`] envelope: parse the query, find the record, let
//! the operation draw its payload.
//!
//! As at the IRS gateway, every answer of a department itself is HTTP 200: a bad question is
//! `code` [`CODE_BAD_REQUEST`], a record the department does not hold is [`CODE_NOT_FOUND`].

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{post, MethodRouter};
use axum::Json;
use platform_api::departments::{
    DeptResponse, EnterpriseQuery, Operation, PersonQuery, CODE_NOT_FOUND, CODE_OK,
};
use serde::Serialize;
use zhelikit_domain::{ResidentId, Uscc};

use super::record::{Company, Person};
use crate::MockState;

/// `code` of a question the department cannot read: a body that is not the query's JSON, or an
/// identifier that is not well formed. (platform-api names only `00` and `04`.)
pub const CODE_BAD_REQUEST: &str = "40";

/// What an operation about a person draws: `None` when the person has no such record.
pub type PersonAnswer<T> = fn(&Person<'_>) -> Option<T>;
/// What an operation about an enterprise draws: `None` when it has no such record.
pub type CompanyAnswer<T> = fn(&Company<'_>) -> Option<T>;

/// The `POST` route of an operation about a person.
pub fn about_a_person<T>(operation: Operation, answer: PersonAnswer<T>) -> MethodRouter<MockState>
where
    T: Serialize + Send + 'static,
{
    post(
        move |State(state): State<MockState>, body: Bytes| async move {
            let query = match serde_json::from_slice::<PersonQuery>(&body) {
                Ok(query) => query,
                Err(e) => {
                    return bad_request(format!(
                        "the body must be JSON {{\"idNumber\": \"…\"}}: {e}"
                    ))
                }
            };
            let id = match ResidentId::parse(&query.id_number) {
                Ok(id) => id,
                Err(e) => {
                    return bad_request(format!("idNumber is not a valid resident ID number: {e}"))
                }
            };
            let person = state
                .directory
                .person(id.as_str())
                .and_then(|index| Person::new(&state, index, operation));
            envelope(person.as_ref().and_then(answer))
        },
    )
}

/// The `POST` route of an operation about an enterprise.
pub fn about_a_company<T>(operation: Operation, answer: CompanyAnswer<T>) -> MethodRouter<MockState>
where
    T: Serialize + Send + 'static,
{
    post(
        move |State(state): State<MockState>, body: Bytes| async move {
            let query = match serde_json::from_slice::<EnterpriseQuery>(&body) {
                Ok(query) => query,
                Err(e) => {
                    return bad_request(format!("the body must be JSON {{\"uscc\": \"…\"}}: {e}"))
                }
            };
            let uscc = match Uscc::parse(&query.uscc) {
                Ok(uscc) => uscc,
                Err(e) => {
                    return bad_request(format!(
                        "uscc is not a valid unified social credit code: {e}"
                    ))
                }
            };
            let company = state
                .directory
                .enterprise(uscc.as_str())
                .and_then(|index| Company::new(&state, index, operation));
            envelope(company.as_ref().and_then(answer))
        },
    )
}

pub(super) fn envelope<T: Serialize>(data: Option<T>) -> Response {
    let (code, msg) = match data {
        Some(_) => (CODE_OK, "成功"),
        None => (CODE_NOT_FOUND, "查无记录"),
    };
    Json(DeptResponse {
        code: code.to_string(),
        msg: msg.to_string(),
        data,
    })
    .into_response()
}

pub(super) fn bad_request(msg: String) -> Response {
    Json(DeptResponse::<()> {
        code: CODE_BAD_REQUEST.to_string(),
        msg,
        data: None,
    })
    .into_response()
}
