//! The circuit breaker (failsafe): after a run of consecutive failures a department's calls fail
//! at once for a while (1 s, doubling up to 30 s), then one is let through to probe it. A dead
//! department then costs a screen nothing instead of a timeout.

use std::task::{Context, Poll};
use std::time::Duration;

use failsafe::backoff::Exponential;
use failsafe::failure_policy::ConsecutiveFailures;
use failsafe::{Instrument, StateMachine};
use platform_api::departments::Department;

use super::upstream::{Answer, AnswerFuture, UpstreamError, UpstreamRequest};

/// Publishes the breaker's state as metrics.
#[derive(Clone)]
pub struct BreakerMetrics(Department);

impl Instrument for BreakerMetrics {
    fn on_call_rejected(&self) {
        metrics::counter!("upstream_calls_rejected_total", "department" => self.0.as_str())
            .increment(1);
    }
    fn on_open(&self) {
        tracing::warn!(department = self.0.as_str(), "circuit opened");
        metrics::gauge!("upstream_circuit_open", "department" => self.0.as_str()).set(1.0);
    }
    fn on_half_open(&self) {
        metrics::gauge!("upstream_circuit_open", "department" => self.0.as_str()).set(0.5);
    }
    fn on_closed(&self) {
        metrics::gauge!("upstream_circuit_open", "department" => self.0.as_str()).set(0.0);
    }
}

type Machine = StateMachine<ConsecutiveFailures<Exponential>, BreakerMetrics>;

/// Wraps a department service in its breaker.
#[derive(Clone)]
pub struct BreakerLayer {
    machine: Machine,
}

impl BreakerLayer {
    /// Opens after `failures` consecutive failures.
    pub fn new(department: Department, failures: u32) -> Self {
        let policy = failsafe::failure_policy::consecutive_failures(
            failures.max(1),
            failsafe::backoff::exponential(Duration::from_secs(1), Duration::from_secs(30)),
        );
        Self {
            machine: StateMachine::new(policy, BreakerMetrics(department)),
        }
    }
}

impl<S> tower::Layer<S> for BreakerLayer {
    type Service = Breaker<S>;
    fn layer(&self, inner: S) -> Breaker<S> {
        Breaker {
            inner,
            machine: self.machine.clone(),
        }
    }
}

/// The breaker service.
#[derive(Clone)]
pub struct Breaker<S> {
    inner: S,
    machine: Machine,
}

impl<S> tower::Service<UpstreamRequest> for Breaker<S>
where
    S: tower::Service<UpstreamRequest, Response = Answer, Error = UpstreamError>,
    S::Future: Send + 'static,
{
    type Response = Answer;
    type Error = UpstreamError;
    type Future = AnswerFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: UpstreamRequest) -> Self::Future {
        if !self.machine.is_call_permitted() {
            return Box::pin(std::future::ready(Err(UpstreamError::CircuitOpen)));
        }
        let machine = self.machine.clone();
        let call = self.inner.call(request);
        Box::pin(async move {
            let result = call.await;
            match &result {
                Err(e) if e.is_failure() => machine.on_error(),
                _ => machine.on_success(),
            }
            result
        })
    }
}
