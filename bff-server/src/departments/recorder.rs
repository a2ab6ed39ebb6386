//! Every upstream attempt is recorded — department, operation, latency, outcome, on whose behalf
//! (a pseudonymous user id) — and counted in Prometheus. Records go to storage in batches from a
//! background task, so a request never waits for the audit of its department calls.

use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use chrono::Utc;
use platform_api::departments::Department;
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinHandle;

use super::upstream::{Answer, AnswerFuture, UpstreamError, UpstreamRequest};
use crate::storage::{Store, UpstreamCall};

/// The sending side; cheap to clone.
#[derive(Clone)]
pub struct Recorder {
    tx: mpsc::Sender<UpstreamCall>,
    writer: Arc<Writer>,
}

/// The writer task and how to stop it.
struct Writer {
    stop: Notify,
    task: Mutex<Option<JoinHandle<()>>>,
}

// A batch is one row (see `storage::call_batch`): at most this many calls, ~25 bytes each.
const BATCH: usize = 10_000;
const QUEUE: usize = 50_000;
// How long records gather between writes: a few transactions a second, not one per call.
const TICK: Duration = Duration::from_millis(200);
/// The longest a shutdown waits for the last records to be stored.
const DRAIN_LIMIT: Duration = Duration::from_secs(10);

async fn store_batch(store: &dyn Store, batch: &mut Vec<UpstreamCall>) {
    if batch.is_empty() {
        return;
    }
    if let Err(e) = store.record_upstream_calls(batch).await {
        tracing::error!(error = %e, lost = batch.len(), "could not record upstream calls");
        metrics::counter!("upstream_records_lost_total").increment(batch.len() as u64);
    }
    batch.clear();
}

impl Recorder {
    /// Starts the writer task on the current runtime.
    pub fn start(store: Arc<dyn Store>) -> Self {
        let (tx, mut rx) = mpsc::channel::<UpstreamCall>(QUEUE);
        let writer = Arc::new(Writer {
            stop: Notify::new(),
            task: Mutex::new(None),
        });
        let stopping = writer.clone();
        let task = tokio::spawn(async move {
            let mut batch = Vec::with_capacity(BATCH);
            loop {
                let stop = tokio::select! {
                    n = rx.recv_many(&mut batch, BATCH) => {
                        if n == 0 {
                            break;
                        }
                        store_batch(store.as_ref(), &mut batch).await;
                        tokio::select! {
                            () = tokio::time::sleep(TICK) => false,
                            () = stopping.stop.notified() => true,
                        }
                    }
                    () = stopping.stop.notified() => true,
                };
                if stop {
                    // Take what is queued, refuse what comes later, store it all.
                    rx.close();
                    while rx.recv_many(&mut batch, BATCH).await > 0 {
                        store_batch(store.as_ref(), &mut batch).await;
                    }
                    break;
                }
            }
        });
        *writer.task.lock().unwrap_or_else(|e| e.into_inner()) = Some(task);
        Self { tx, writer }
    }

    /// Stores every record queued so far and stops the writer (graceful shutdown): what the
    /// last requests did is not lost with the process. Waits at most [`DRAIN_LIMIT`].
    pub async fn drain(&self) {
        self.writer.stop.notify_one();
        let task = self
            .writer
            .task
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(task) = task {
            if tokio::time::timeout(DRAIN_LIMIT, task).await.is_err() {
                tracing::error!("department call records not stored before shutdown");
            }
        }
    }

    fn record(&self, call: UpstreamCall) {
        if self.tx.try_send(call).is_err() {
            // Storage is behind by tens of thousands of records (or the BFF is stopping): drop
            // rather than slow requests.
            metrics::counter!("upstream_records_lost_total").increment(1);
        }
    }
}

/// Records each attempt that passes through it.
#[derive(Clone)]
pub struct RecordLayer {
    recorder: Recorder,
    histograms: Arc<OutcomeHistograms>,
}

impl RecordLayer {
    /// A layer for `department`'s stack, sending to `recorder`.
    pub fn new(department: Department, recorder: Recorder) -> Self {
        Self {
            recorder,
            histograms: Arc::new(OutcomeHistograms::register(department)),
        }
    }
}

/// Every outcome an attempt can have, as recorded and labelled.
const OUTCOMES: [&str; 8] = [
    "found",
    "not_found",
    "timeout",
    "unreachable",
    "status",
    "malformed",
    "refused",
    "circuit_open",
];

/// The department's latency histogram for each outcome, registered once: looking a labelled
/// histogram up in the registry on every attempt showed in the benchmark's profile.
struct OutcomeHistograms([metrics::Histogram; OUTCOMES.len()]);

impl OutcomeHistograms {
    fn register(department: Department) -> Self {
        Self(OUTCOMES.map(|outcome| {
            metrics::histogram!("upstream_request_duration_seconds", "department" => department.as_str(), "outcome" => outcome)
        }))
    }

    fn record(&self, outcome: &str, elapsed: Duration) {
        if let Some(i) = OUTCOMES.iter().position(|o| *o == outcome) {
            self.0[i].record(elapsed.as_secs_f64());
        }
    }
}

impl<S> tower::Layer<S> for RecordLayer {
    type Service = Record<S>;
    fn layer(&self, inner: S) -> Record<S> {
        Record {
            inner,
            recorder: self.recorder.clone(),
            histograms: self.histograms.clone(),
        }
    }
}

/// The recording service.
#[derive(Clone)]
pub struct Record<S> {
    inner: S,
    recorder: Recorder,
    histograms: Arc<OutcomeHistograms>,
}

impl<S> tower::Service<UpstreamRequest> for Record<S>
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
        let (op, on_behalf) = (request.op, request.on_behalf.clone());
        let (recorder, histograms) = (self.recorder.clone(), self.histograms.clone());
        let (at, started) = (Utc::now(), Instant::now());
        let call = self.inner.call(request);
        Box::pin(async move {
            let result = call.await;
            let elapsed = started.elapsed();
            let outcome = match &result {
                Ok(Answer::Found(_)) => "found",
                Ok(Answer::NotFound) => "not_found",
                Err(e) => e.outcome(),
            };
            histograms.record(outcome, elapsed);
            recorder.record(UpstreamCall {
                at,
                department: op.department().as_str().into(),
                operation: op.as_str().into(),
                latency_ms: elapsed.as_millis() as i64,
                outcome: outcome.into(),
                on_behalf: on_behalf.to_string(),
            });
            result
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_an_attempt_can_have_has_a_histogram() {
        let outcomes = [
            UpstreamError::Timeout,
            UpstreamError::Unreachable(String::new()),
            UpstreamError::Status(502),
            UpstreamError::Malformed(String::new()),
            UpstreamError::Refused(String::new()),
            UpstreamError::CircuitOpen,
        ]
        .map(|e| e.outcome());
        for outcome in outcomes.iter().chain(&["found", "not_found"]) {
            assert!(OUTCOMES.contains(outcome), "{outcome} has no histogram");
        }
    }
}
