//! The innermost service: one IRS-signed `POST` to a department API, and the types every layer
//! passes along.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use chrono::Utc;
use platform_api::departments::{
    DeptResponse, EnterpriseQuery, Operation, PersonQuery, CODE_NOT_FOUND, CODE_OK,
};
use platform_api::irs;

use super::Subject;

/// One department call.
#[derive(Debug, Clone)]
pub struct UpstreamRequest {
    /// What is asked.
    pub op: Operation,
    /// The JSON body (it carries the ID number or USCC: never logged).
    pub body: Bytes,
    /// Identifies identical calls without personal data: operation + pseudonymous subject.
    pub key: Arc<str>,
    /// Pseudonymous id of the user on whose behalf the call is made.
    pub on_behalf: Arc<str>,
    /// 0 for the first attempt; the retry policy counts up.
    pub attempt: u32,
}

impl UpstreamRequest {
    /// A first attempt of `op` about `subject`.
    pub fn new(op: Operation, subject: &Subject, subject_key: &str, on_behalf: &str) -> Self {
        let body = match subject {
            Subject::Person(id_number) => serde_json::to_vec(&PersonQuery {
                id_number: id_number.clone(),
            }),
            Subject::Enterprise(uscc) => {
                serde_json::to_vec(&EnterpriseQuery { uscc: uscc.clone() })
            }
        }
        .unwrap_or_default();
        Self {
            op,
            body: Bytes::from(body),
            key: Arc::from(format!("{}:{subject_key}", op.as_str())),
            on_behalf: Arc::from(on_behalf),
            attempt: 0,
        }
    }
}

/// A department's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// The record, as the department sent it (`data` of the envelope).
    Found(Arc<serde_json::Value>),
    /// The department has no record for this subject (not an error).
    NotFound,
}

/// Why a department call produced no answer. Cloneable: coalesced callers share one.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UpstreamError {
    /// No answer within the per-attempt timeout.
    #[error("the department did not answer in time")]
    Timeout,
    /// Connection refused, reset or closed mid-answer.
    #[error("the department could not be reached ({0})")]
    Unreachable(String),
    /// An HTTP error status from the department or the gateway.
    #[error("the department answered with HTTP {0}")]
    Status(u16),
    /// An answer that is not the department envelope.
    #[error("the department's answer could not be read")]
    Malformed(String),
    /// The department answered with an error code of its own.
    #[error("the department refused the request ({0})")]
    Refused(String),
    /// The circuit breaker is open: the department failed repeatedly and is given time.
    #[error("the department is failing; calls are paused for a while")]
    CircuitOpen,
}

impl UpstreamError {
    /// Whether trying again could help.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Timeout | Self::Unreachable(_) => true,
            Self::Status(status) => *status >= 500 && *status != 501,
            Self::Malformed(_) | Self::Refused(_) | Self::CircuitOpen => false,
        }
    }

    /// Whether it counts against the department's health (the breaker).
    pub fn is_failure(&self) -> bool {
        !matches!(self, Self::Refused(_) | Self::CircuitOpen)
    }

    /// Stable outcome label for metrics and records.
    pub fn outcome(&self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::Unreachable(_) => "unreachable",
            Self::Status(_) => "status",
            Self::Malformed(_) => "malformed",
            Self::Refused(_) => "refused",
            Self::CircuitOpen => "circuit_open",
        }
    }

    /// Converts the boxed errors of tower's timeout and concurrency layers.
    pub fn from_box(e: tower::BoxError) -> Self {
        if e.is::<tower::timeout::error::Elapsed>() {
            return Self::Timeout;
        }
        match e.downcast::<UpstreamError>() {
            Ok(e) => *e,
            Err(other) => Self::Unreachable(other.to_string()),
        }
    }
}

/// The signed HTTP call.
#[derive(Clone)]
pub struct HttpUpstream {
    http: reqwest::Client,
    base_url: Arc<str>,
    creds: Arc<irs::Credentials>,
}

impl HttpUpstream {
    /// A caller of the IRS gateway at `base_url` with `creds`.
    pub fn new(http: reqwest::Client, base_url: &str, creds: irs::Credentials) -> Self {
        Self {
            http,
            base_url: Arc::from(base_url),
            creds: Arc::new(creds),
        }
    }
}

impl tower::Service<UpstreamRequest> for HttpUpstream {
    type Response = Answer;
    type Error = UpstreamError;
    type Future = Pin<Box<dyn Future<Output = Result<Answer, UpstreamError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: UpstreamRequest) -> Self::Future {
        let path = request.op.path();
        let mut builder = self
            .http
            .post(format!("{}{path}", self.base_url))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(request.body);
        for (name, value) in irs::sign(&self.creds, "POST", &path, "", Utc::now()) {
            builder = builder.header(name, value);
        }
        Box::pin(async move {
            let response = builder
                .send()
                .await
                .map_err(|e| UpstreamError::Unreachable(e.without_url().to_string()))?;
            let status = response.status();
            let body = response
                .bytes()
                .await
                .map_err(|e| UpstreamError::Unreachable(e.without_url().to_string()))?;
            if !status.is_success() {
                return Err(UpstreamError::Status(status.as_u16()));
            }
            read_envelope(&body)
        })
    }
}

/// The answer inside a department envelope. Pure, tested without I/O.
pub fn read_envelope(body: &[u8]) -> Result<Answer, UpstreamError> {
    let envelope: DeptResponse<serde_json::Value> =
        serde_json::from_slice(body).map_err(|e| UpstreamError::Malformed(e.to_string()))?;
    match (envelope.code.as_str(), envelope.data) {
        (CODE_OK, Some(data)) => Ok(Answer::Found(Arc::new(data))),
        (CODE_OK, None) | (CODE_NOT_FOUND, _) => Ok(Answer::NotFound),
        (code, _) => Err(UpstreamError::Refused(format!("{code}: {}", envelope.msg))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_become_answers_or_precise_errors() {
        assert_eq!(
            read_envelope(br#"{"code":"00","msg":"ok","data":{"a":1}}"#),
            Ok(Answer::Found(Arc::new(serde_json::json!({"a":1}))))
        );
        assert_eq!(
            read_envelope(br#"{"code":"04","msg":"none","data":null}"#),
            Ok(Answer::NotFound)
        );
        assert_eq!(
            read_envelope(br#"{"code":"40","msg":"bad id"}"#),
            Err(UpstreamError::Refused("40: bad id".into()))
        );
        assert!(matches!(
            read_envelope(b"<html>"),
            Err(UpstreamError::Malformed(_))
        ));
    }

    #[test]
    fn the_request_key_carries_no_id_number() {
        let id = "330302199001011234";
        let request = UpstreamRequest::new(
            Operation::HouseholdRegister,
            &Subject::Person(id.into()),
            "pseudonym-abc",
            "user-1",
        );
        assert_eq!(&*request.key, "household_register:pseudonym-abc");
        assert!(!request.key.contains(id));
        assert!(
            String::from_utf8_lossy(&request.body).contains(id),
            "only the body, which is never logged or cached, carries it"
        );
    }

    #[test]
    fn only_transient_errors_are_retried_and_refusals_do_not_trip_the_breaker() {
        assert!(UpstreamError::Timeout.is_transient());
        assert!(UpstreamError::Status(503).is_transient());
        assert!(!UpstreamError::Status(404).is_transient());
        assert!(!UpstreamError::Malformed(String::new()).is_transient());
        assert!(!UpstreamError::Refused(String::new()).is_failure());
        assert!(UpstreamError::Malformed(String::new()).is_failure());
    }
}
