//! Request coalescing: identical concurrent calls (same operation, same subject) share one
//! upstream call. Twenty phones of one family opening the app at once ask 公安 once.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures::future::{BoxFuture, FutureExt, Shared};
use tower::ServiceExt;

use super::upstream::{Answer, UpstreamError, UpstreamRequest};

type InFlight =
    Arc<Mutex<HashMap<Arc<str>, Shared<BoxFuture<'static, Result<Answer, UpstreamError>>>>>>;

/// Adds coalescing to a department service.
#[derive(Clone, Default)]
pub struct CoalesceLayer;

impl CoalesceLayer {
    /// A layer; each service it wraps has its own table of calls in flight.
    pub fn new() -> Self {
        Self
    }
}

impl<S> tower::Layer<S> for CoalesceLayer {
    type Service = Coalesce<S>;
    fn layer(&self, inner: S) -> Coalesce<S> {
        Coalesce {
            inner,
            in_flight: InFlight::default(),
        }
    }
}

/// The coalescing service.
#[derive(Clone)]
pub struct Coalesce<S> {
    inner: S,
    in_flight: InFlight,
}

impl<S> tower::Service<UpstreamRequest> for Coalesce<S>
where
    S: tower::Service<UpstreamRequest, Response = Answer, Error = UpstreamError>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = Answer;
    type Error = UpstreamError;
    type Future = Pin<Box<dyn Future<Output = Result<Answer, UpstreamError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // Readiness is the inner service's business, checked when a call is actually made.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: UpstreamRequest) -> Self::Future {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(shared) = in_flight.get(&request.key) {
            metrics::counter!("upstream_coalesced_total", "department" => request.op.department().as_str()).increment(1);
            return Box::pin(shared.clone());
        }
        let key = request.key.clone();
        let done_key = key.clone();
        let (inner, table) = (self.inner.clone(), self.in_flight.clone());
        let shared = async move {
            let result = inner.oneshot(request).await;
            table
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&done_key);
            result
        }
        .boxed()
        .shared();
        in_flight.insert(key, shared.clone());
        Box::pin(shared)
    }
}
