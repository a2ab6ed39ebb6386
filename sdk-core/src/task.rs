//! Handles for long-running work. uniffi has no cancellation of its own, so anything that runs
//! on after the call returns hands back a [`TaskHandle`]: drop it or call
//! [`TaskHandle::cancel`] and the work stops.

use std::sync::Mutex;

/// A running background task of the SDK (e.g. keeping the session fresh).
/// In Kotlin, close it (`use { }`) or call `cancel()`; in Swift, let it go out of scope.
#[derive(uniffi::Object)]
pub struct TaskHandle {
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl TaskHandle {
    pub(crate) fn new(task: tokio::task::JoinHandle<()>) -> Self {
        Self {
            task: Mutex::new(Some(task)),
        }
    }
}

#[uniffi::export]
impl TaskHandle {
    /// Stops the task. Calling it again does nothing.
    pub fn cancel(&self) {
        if let Some(task) = self.task.lock().unwrap_or_else(|e| e.into_inner()).take() {
            task.abort();
        }
    }

    /// True once the task was cancelled or has ended by itself.
    pub fn is_finished(&self) -> bool {
        self.task
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .is_none_or(|t| t.is_finished())
    }
}

impl Drop for TaskHandle {
    fn drop(&mut self) {
        self.cancel();
    }
}
