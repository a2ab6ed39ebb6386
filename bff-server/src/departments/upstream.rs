//! The innermost service: one IRS-signed `POST` to a department API, and the types every layer
//! passes along.

use std::collections::HashMap;
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
use serde_json::value::RawValue;
use zhelikit_domain::lang::Text;
use zhelikit_domain::records::Record;

use super::Subject;
use crate::infra::outbound;

/// What every layer of a department stack returns: a boxed future of the answer.
pub type AnswerFuture = Pin<Box<dyn Future<Output = Result<Answer, UpstreamError>> + Send>>;

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
    /// Set for an answer that may be kept although its operation's is not: an issuance bound
    /// to the platform's own consent key (the same holder for every fetch under consent).
    pub kept_for: Option<std::time::Duration>,
}

impl UpstreamRequest {
    /// A first attempt of `op` about the subject of `query`.
    pub fn new(op: Operation, query: &SubjectQuery, on_behalf: &Arc<str>) -> Self {
        Self {
            op,
            body: query.body.clone(),
            key: Arc::from(format!("{}:{}", op.as_str(), query.pseudonym)),
            on_behalf: on_behalf.clone(),
            attempt: 0,
            kept_for: None,
        }
    }

    /// A first attempt of vault operation `op` with its own `body` and call `key` (see
    /// [`super::Departments::fetch_vault`]), kept `kept_for` when given.
    pub fn vault(
        op: Operation,
        body: Bytes,
        key: String,
        on_behalf: &Arc<str>,
        kept_for: Option<std::time::Duration>,
    ) -> Self {
        Self {
            op,
            body,
            key: Arc::from(key),
            on_behalf: on_behalf.clone(),
            attempt: 0,
            kept_for,
        }
    }
}

/// Whose data a screen's calls ask for, prepared once for all of them: the request body (which
/// carries the ID number or USCC, and is never logged or cached) and the subject's keyed
/// pseudonym (which identifies identical calls and cache entries without personal data).
#[derive(Debug, Clone)]
pub struct SubjectQuery {
    body: Bytes,
    pseudonym: String,
}

impl SubjectQuery {
    /// The body and pseudonym for `subject`; `pseudonym` is its keyed hash.
    pub fn new(subject: &Subject, pseudonym: String) -> Self {
        let body = match subject {
            Subject::Person(id_number) => serde_json::to_vec(&PersonQuery {
                id_number: id_number.clone(),
            }),
            Subject::Enterprise(uscc) => {
                serde_json::to_vec(&EnterpriseQuery { uscc: uscc.clone() })
            }
        }
        // Serialising two strings into JSON cannot fail; an empty body would be refused upstream.
        .unwrap_or_default();
        Self {
            body: Bytes::from(body),
            pseudonym,
        }
    }
}

/// A department's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// The record (`data` of the envelope), checked against its operation's schema.
    Found(Arc<Record>),
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

    /// What a person is told about a section this error left unavailable: our own words, chosen
    /// by outcome, never the department's message or an error's detail.
    pub fn reason(&self) -> Text {
        let (zh, en) = match self {
            Self::Timeout => (
                "部门系统未能及时响应",
                "the department did not answer in time",
            ),
            Self::Unreachable(_) | Self::Status(_) | Self::Malformed(_) => (
                "部门服务暂时不可用",
                "the department's service is not working right now",
            ),
            Self::Refused(_) => (
                "部门无法处理此次查询",
                "the department could not answer this request",
            ),
            Self::CircuitOpen => (
                "部门系统故障，已暂停调用，稍后自动恢复",
                "the department is failing; calls are paused for a while",
            ),
        };
        Text::new(zh, en)
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
    /// Every operation's URL, parsed once: parsing one per call showed in the profile.
    urls: Arc<HashMap<Operation, reqwest::Url>>,
    creds: Arc<irs::Credentials>,
}

impl HttpUpstream {
    /// A caller of the IRS gateway at `base_url` with `creds`; fails on a base URL that does not
    /// parse.
    pub fn new(
        http: reqwest::Client,
        base_url: &str,
        creds: irs::Credentials,
    ) -> Result<Self, url::ParseError> {
        let urls = Operation::ALL
            .into_iter()
            .map(|op| {
                Ok((
                    op,
                    reqwest::Url::parse(&format!("{base_url}{}", op.path()))?,
                ))
            })
            .collect::<Result<_, url::ParseError>>()?;
        Ok(Self {
            http,
            urls: Arc::new(urls),
            creds: Arc::new(creds),
        })
    }
}

impl tower::Service<UpstreamRequest> for HttpUpstream {
    type Response = Answer;
    type Error = UpstreamError;
    type Future = AnswerFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: UpstreamRequest) -> Self::Future {
        let (op, path) = (request.op, request.op.path());
        let Some(url) = self.urls.get(&request.op).cloned() else {
            return Box::pin(std::future::ready(Err(UpstreamError::Unreachable(
                format!("no URL for {}", request.op.as_str()),
            ))));
        };
        let mut builder = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(request.body);
        for (name, value) in irs::sign(&self.creds, "POST", path, "", Utc::now()) {
            builder = builder.header(name, value);
        }
        Box::pin(async move {
            let response = builder
                .send()
                .await
                .map_err(|e| UpstreamError::Unreachable(e.without_url().to_string()))?;
            let status = response.status();
            let body = outbound::read_capped(response).await.map_err(|e| match e {
                outbound::ReadError::Cut(why) => UpstreamError::Unreachable(why),
                // A gateway streaming without end is as unusable as garbage.
                outbound::ReadError::TooLarge => UpstreamError::Malformed(e.to_string()),
            })?;
            if !status.is_success() {
                return Err(UpstreamError::Status(status.as_u16()));
            }
            read_envelope(op, &body)
        })
    }
}

/// The answer inside a department envelope, its record typed by `op`. Pure, tested without I/O.
pub fn read_envelope(op: Operation, body: &[u8]) -> Result<Answer, UpstreamError> {
    let envelope: DeptResponse<&RawValue> = serde_json::from_slice(body)
        .map_err(|e| UpstreamError::Malformed(outbound::describe_json_error(&e)))?;
    match (envelope.code.as_str(), envelope.data) {
        (CODE_OK, Some(data)) => {
            // A record that breaks its schema is as unusable to a screen as garbage: the
            // section shows unavailable and the breaker counts it, rather than the app failing
            // on it later.
            let record = Record::from_section(
                op.as_str(),
                &mut serde_json::Deserializer::from_str(data.get()),
            )
            // Record errors name the field and the expected type, never the value.
            .map_err(|e| UpstreamError::Malformed(e.to_string()))?;
            Ok(Answer::Found(Arc::new(record)))
        }
        (CODE_OK, _) | (CODE_NOT_FOUND, _) => Ok(Answer::NotFound),
        // The department's own `msg` stays out: it may quote what was asked (a birth date, a
        // name). The code says enough for the logs.
        (code, _) => Err(UpstreamError::Refused(format!("code {code}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_become_typed_answers_or_precise_errors() {
        let credit = r#"{"rating":"A","abnormalOperations":false,"penalties":0}"#;
        assert_eq!(
            read_envelope(
                Operation::EnterpriseCredit,
                format!(r#"{{"code":"00","msg":"ok","data":{credit}}}"#).as_bytes()
            ),
            Ok(Answer::Found(Arc::new(Record::EnterpriseCredit(
                serde_json::from_str(credit).unwrap()
            ))))
        );
        for none in [
            r#"{"code":"04","msg":"none","data":null}"#,
            r#"{"code":"00","msg":"ok","data":null}"#,
            r#"{"code":"00","msg":"ok"}"#,
        ] {
            assert_eq!(
                read_envelope(Operation::EnterpriseCredit, none.as_bytes()),
                Ok(Answer::NotFound),
                "{none}"
            );
        }
        assert_eq!(
            read_envelope(
                Operation::EnterpriseCredit,
                br#"{"code":"40","msg":"bad id"}"#
            ),
            Err(UpstreamError::Refused("code 40".into()))
        );
        assert!(matches!(
            read_envelope(Operation::EnterpriseCredit, b"<html>"),
            Err(UpstreamError::Malformed(_))
        ));
        // Well-formed JSON, wrong record: the credit rating is missing.
        assert!(matches!(
            read_envelope(Operation::EnterpriseCredit, br#"{"code":"00","msg":"ok","data":{"a":1}}"#),
            Err(UpstreamError::Malformed(reason)) if reason.contains("rating")
        ));
    }

    #[test]
    fn a_refusal_keeps_the_departments_message_out_of_errors_and_reasons() {
        let refused = read_envelope(
            Operation::HouseholdRegister,
            "{\"code\":\"40\",\"msg\":\"出生日期 19900101 无效\"}".as_bytes(),
        )
        .unwrap_err();
        assert!(!refused.to_string().contains("19900101"), "{refused}");
        let reason = refused.reason();
        assert!(!reason.zh.contains("19900101") && !reason.en.contains("19900101"));
        let wrong = read_envelope(
            Operation::EnterpriseCredit,
            br#"{"code":"00","msg":"ok","data":{"rating":330302199001011234}}"#,
        )
        .unwrap_err();
        assert!(!wrong.to_string().contains("330302"), "{wrong}");
        assert!(!format!("{wrong:?}").contains("330302"), "{wrong:?}");
    }

    #[test]
    fn the_request_key_carries_no_id_number() {
        let id = "330302199001011234";
        let query = SubjectQuery::new(&Subject::Person(id.into()), "pseudonym-abc".into());
        let request =
            UpstreamRequest::new(Operation::HouseholdRegister, &query, &Arc::from("user-1"));
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
