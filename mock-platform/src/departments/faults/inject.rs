//! The middleware that applies a department's [`Fault`] to each of its requests.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use platform_api::departments::Department;
use platform_api::irs::GatewayError;
use rand::Rng;

use super::{Fault, FaultMode};
use crate::grants::random_hex;
use crate::MockState;

/// Which department a route belongs to: the state of [`inject`] on that department's routes.
#[derive(Debug, Clone)]
pub struct FaultSite {
    /// The platform, whose [`super::FaultBoard`] holds the fault.
    pub state: MockState,
    /// The department of the routes.
    pub department: Department,
}

/// What the dice decided for one request, drawn before any await: the thread-local generator
/// cannot be held across one.
struct Roll {
    delay: Option<Duration>,
    fail: bool,
}

fn roll(fault: &Fault) -> Roll {
    let mut rng = rand::thread_rng();
    Roll {
        delay: fault.latency.map(|latency| latency.sample(&mut rng)),
        fail: fault.error_rate > 0.0 && rng.gen_bool(fault.error_rate.clamp(0.0, 1.0)),
    }
}

/// Middleware: counts the request, then applies the department's fault. Mounted inside the IRS
/// gateway, so refused requests neither count nor meet a fault.
pub async fn inject(State(site): State<FaultSite>, request: Request, next: Next) -> Response {
    let board = &site.state.faults;
    board.count(site.department);
    let fault = board.get(site.department);
    if fault.is_healthy() {
        return next.run(request).await;
    }
    let roll = roll(&fault);
    if let Some(delay) = roll.delay {
        tokio::time::sleep(delay).await;
    }
    if roll.fail {
        return gateway_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "IRS-500-UPSTREAM",
            site.department,
            "the department failed (injected error rate)",
        );
    }
    match fault.mode {
        FaultMode::Healthy => next.run(request).await,
        FaultMode::Status(status) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            gateway_error(
                status,
                &format!("IRS-{}-UPSTREAM", status.as_u16()),
                site.department,
                "the department answered an error (injected status)",
            )
        }
        FaultMode::Hang => {
            board.wait_while_hanging(site.department).await;
            // Only reached once the hang is lifted or the mock stops; the caller has most
            // likely given up by then.
            gateway_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "IRS-503-UPSTREAM",
                site.department,
                "the hang was lifted",
            )
        }
        FaultMode::Malformed => malformed(),
        FaultMode::WrongShape => wrong_shape(),
        FaultMode::Close => broken_off(),
    }
}

/// An error as the IRS gateway reports a failing upstream.
fn gateway_error(
    status: StatusCode,
    code: &str,
    department: Department,
    message: &str,
) -> Response {
    let body = GatewayError {
        code: code.to_string(),
        message: format!(
            "{} ({}): {message}",
            department.as_str(),
            department.chinese_name()
        ),
        request_id: random_hex(),
    };
    (status, Json(body)).into_response()
}

/// A 200 that claims JSON and starts like the envelope, but stops half-way through.
fn malformed() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"code":"00","msg":"成功","data":{"#,
    )
        .into_response()
}

/// A 200 with a success envelope whose record fits no operation: every field renamed.
fn wrong_shape() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"code":"00","msg":"成功","data":{"recordV2":{"fields":[]}}}"#,
    )
        .into_response()
}

/// A 200 whose body fails after its first bytes: the server drops the connection, and the client
/// sees a response cut short.
fn broken_off() -> Response {
    let chunks: [Result<Bytes, std::io::Error>; 2] = [
        Ok(Bytes::from_static(br#"{"code":"00","msg":"#)),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "injected fault: connection closed mid-response",
        )),
    ];
    (
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(futures::stream::iter(chunks)),
    )
        .into_response()
}
