//! Request coalescing: identical concurrent calls (same operation, same subject) share one
//! upstream call. Twenty phones of one family opening the app at once ask 公安 once.
//!
//! The shared call runs in a task of its own, bounded by a deadline, rather than inside
//! whichever caller polls it: when the screen deadline or a disconnect drops every caller, the
//! call still finishes (or times out) so its result reaches the breaker and the cache, and its
//! concurrency permit, connection and request body (which carries the ID number) are released.
//! A call still waiting past its bound (three attempt timeouts: two attempts and a permit) is
//! cancelled and removed.
//! A future kept in the table but polled by nobody would hold all three forever.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::{BoxFuture, FutureExt, Shared};
use tower::ServiceExt;

use super::upstream::{Answer, AnswerFuture, UpstreamError, UpstreamRequest};

type InFlight =
    Arc<Mutex<HashMap<Arc<str>, Shared<BoxFuture<'static, Result<Answer, UpstreamError>>>>>>;

/// Adds coalescing to a department service.
#[derive(Clone)]
pub struct CoalesceLayer {
    bound: Duration,
    running: Arc<AtomicUsize>,
}

impl CoalesceLayer {
    /// A layer; each service it wraps has its own table of calls in flight. `bound` is the
    /// longest a shared call may run, waiting for a permit and retries included: past it the
    /// call is cancelled and removed from the table, and its callers get a timeout (the breaker
    /// and the recorder see only the attempts that started). `running` counts the calls in
    /// flight across every service built with this layer (graceful shutdown waits for them).
    pub fn new(bound: Duration, running: Arc<AtomicUsize>) -> Self {
        Self { bound, running }
    }
}

/// Leaves the table (and the running count) when the call's task ends, however it ends — an
/// answer, the deadline, a panic, or a runtime shutting down before it ran.
struct Leave {
    table: InFlight,
    key: Arc<str>,
    running: Arc<AtomicUsize>,
}

impl Drop for Leave {
    fn drop(&mut self) {
        self.table
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.key);
        self.running.fetch_sub(1, Ordering::SeqCst);
    }
}

impl<S> tower::Layer<S> for CoalesceLayer {
    type Service = Coalesce<S>;
    fn layer(&self, inner: S) -> Coalesce<S> {
        Coalesce {
            inner,
            in_flight: InFlight::default(),
            bound: self.bound,
            running: self.running.clone(),
        }
    }
}

/// The coalescing service.
#[derive(Clone)]
pub struct Coalesce<S> {
    inner: S,
    in_flight: InFlight,
    bound: Duration,
    running: Arc<AtomicUsize>,
}

impl<S> Coalesce<S> {
    /// How many distinct calls are in flight (for tests and the metrics of a stuck department).
    pub fn in_flight(&self) -> usize {
        self.in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }
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
    type Future = AnswerFuture;

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
        self.running.fetch_add(1, Ordering::SeqCst);
        let leave = Leave {
            table: self.in_flight.clone(),
            key: key.clone(),
            running: self.running.clone(),
        };
        let (inner, bound) = (self.inner.clone(), self.bound);
        // Detached: dropping the join handle (every caller gone) does not cancel the task.
        let task = tokio::spawn(async move {
            let _leave = leave;
            tokio::time::timeout(bound, inner.oneshot(request))
                .await
                .unwrap_or(Err(UpstreamError::Timeout))
        });
        let shared = async move {
            task.await.unwrap_or_else(|_| {
                Err(UpstreamError::Unreachable("the call's task failed".into()))
            })
        }
        .boxed()
        .shared();
        in_flight.insert(key, shared.clone());
        Box::pin(shared)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use platform_api::departments::Operation;

    use tower::{Layer as _, Service as _};

    use super::*;
    use crate::departments::upstream::SubjectQuery;
    use crate::departments::Subject;

    /// A department that answers after `delay`, counting calls finished and calls dropped.
    #[derive(Clone)]
    struct Slow {
        delay: Duration,
        finished: Arc<AtomicUsize>,
        dropped: Arc<AtomicUsize>,
    }

    struct CountDrop(Arc<AtomicUsize>);
    impl Drop for CountDrop {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    impl tower::Service<UpstreamRequest> for Slow {
        type Response = Answer;
        type Error = UpstreamError;
        type Future = BoxFuture<'static, Result<Answer, UpstreamError>>;
        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), UpstreamError>> {
            Poll::Ready(Ok(()))
        }
        fn call(&mut self, _: UpstreamRequest) -> Self::Future {
            let (delay, finished) = (self.delay, self.finished.clone());
            let guard = CountDrop(self.dropped.clone());
            async move {
                let _guard = guard;
                tokio::time::sleep(delay).await;
                finished.fetch_add(1, Ordering::SeqCst);
                Ok(Answer::NotFound)
            }
            .boxed()
        }
    }

    fn request(id: &str) -> UpstreamRequest {
        let query = SubjectQuery::new(&Subject::Person(id.into()), format!("p-{id}"));
        UpstreamRequest::new(Operation::DrivingLicence, &query, &Arc::from("u"))
    }

    async fn settle(coalesce: &Coalesce<Slow>, within: Duration) -> bool {
        let until = tokio::time::Instant::now() + within;
        while tokio::time::Instant::now() < until {
            if coalesce.in_flight() == 0 {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        false
    }

    #[tokio::test]
    async fn a_call_every_caller_abandoned_still_finishes_and_leaves_the_table() {
        let slow = Slow {
            delay: Duration::from_millis(50),
            finished: Arc::default(),
            dropped: Arc::default(),
        };
        let mut coalesce =
            CoalesceLayer::new(Duration::from_secs(5), Arc::default()).layer(slow.clone());
        for id in ["a", "b", "c"] {
            // The caller gives up long before the department answers.
            let _ =
                tokio::time::timeout(Duration::from_millis(1), coalesce.call(request(id))).await;
        }
        assert!(
            settle(&coalesce, Duration::from_secs(2)).await,
            "the table empties"
        );
        assert_eq!(
            slow.finished.load(Ordering::SeqCst),
            3,
            "each call ran to its end"
        );
    }

    #[tokio::test]
    async fn a_call_past_its_bound_is_cancelled_and_removed() {
        let hung = Slow {
            delay: Duration::from_secs(3600),
            finished: Arc::default(),
            dropped: Arc::default(),
        };
        let mut coalesce =
            CoalesceLayer::new(Duration::from_millis(50), Arc::default()).layer(hung.clone());
        let waiting = coalesce.call(request("a"));
        let joined = coalesce.call(request("a"));
        assert_eq!(coalesce.in_flight(), 1, "identical calls share one");
        assert_eq!(waiting.await, Err(UpstreamError::Timeout));
        assert_eq!(joined.await, Err(UpstreamError::Timeout));
        assert!(settle(&coalesce, Duration::from_secs(2)).await);
        assert_eq!(
            hung.dropped.load(Ordering::SeqCst),
            1,
            "the hung call was dropped"
        );
        assert_eq!(hung.finished.load(Ordering::SeqCst), 0);
    }
}
