//! The SDK's own tokio runtime. Exported async functions hand their work to it and await the
//! result, so they can be polled by any executor (Kotlin coroutines, Swift tasks) without the
//! host knowing about tokio. Panics in that work come back as errors, never cross to the host.

use std::future::Future;

use crate::error::{Error, Result};

/// A runtime owned by one client.
pub(crate) struct Runtime(Option<tokio::runtime::Runtime>);

impl Runtime {
    pub(crate) fn new() -> Result<Self> {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("zhelikit")
            .enable_all()
            .build()
            .map(|rt| Self(Some(rt)))
            .map_err(|e| Error::Internal(format!("cannot start the SDK runtime: {e}")))
    }

    fn handle(&self) -> Result<&tokio::runtime::Runtime> {
        self.0
            .as_ref()
            .ok_or_else(|| Error::Internal("the client was closed".into()))
    }

    /// Runs `work` on the runtime. Dropping the returned future aborts the work.
    pub(crate) async fn run<T, F>(&self, work: F) -> Result<T>
    where
        F: Future<Output = Result<T>> + Send + 'static,
        T: Send + 'static,
    {
        let mut task = AbortOnDrop(self.handle()?.spawn(work));
        match (&mut task.0).await {
            Ok(result) => result,
            Err(e) if e.is_cancelled() => Err(Error::Cancelled),
            Err(e) => Err(Error::Internal(format!(
                "SDK task panicked: {}",
                panic_message(e)
            ))),
        }
    }

    /// Spawns background work (a keep-alive loop), returning its handle.
    pub(crate) fn spawn<F>(&self, work: F) -> Result<tokio::task::JoinHandle<()>>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        Ok(self.handle()?.spawn(work))
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        // The last reference may go away on one of the runtime's own threads (inside a task);
        // shutting down in the background never blocks or panics there.
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn panic_message(e: tokio::task::JoinError) -> String {
    match e.try_into_panic() {
        Ok(payload) => payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into()),
        Err(e) => e.to_string(),
    }
}
