//! What the mock push providers (FCM, APNs) share: the faults they are set to answer with —
//! the next few sends, or every send for a while (a storm) — the answers they gave, counted
//! by status, and whether they keep what they accept.

use std::collections::VecDeque;
use std::sync::Mutex;

use axum::response::Response;
use serde::{Deserialize, Serialize};

/// What the next sends answer instead of accepting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// 429, 500 or 503.
    pub status: u16,
    /// `Retry-After` seconds to send, if any.
    #[serde(default)]
    pub retry_after_secs: Option<u64>,
    /// How many sends meet it.
    #[serde(default)]
    pub count: u32,
    /// Instead of a count: every send for this many milliseconds meets it (a storm).
    #[serde(default)]
    pub for_ms: Option<u64>,
}

/// The faults a mock provider is set to answer with, the answers it gave, and whether it
/// records what it accepts (a benchmark's million pushes are counted, not kept).
#[derive(Default)]
pub struct Faults {
    queue: Mutex<VecDeque<Fault>>,
    storm: Mutex<Option<(Fault, std::time::Instant)>>,
    answered: Mutex<std::collections::BTreeMap<u16, u64>>,
    not_recording: std::sync::atomic::AtomicBool,
}

impl Faults {
    /// Sets the fault the next sends meet (replacing any set before).
    pub fn set(&self, fault: Fault) {
        match fault.for_ms {
            Some(ms) => {
                let until = std::time::Instant::now() + std::time::Duration::from_millis(ms);
                *self.storm.lock().unwrap_or_else(|p| p.into_inner()) = Some((fault, until));
            }
            None => {
                let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
                queue.clear();
                queue.push_back(fault);
            }
        }
    }

    /// The fault this send meets, if any.
    pub fn take(&self) -> Option<Fault> {
        {
            let mut storm = self.storm.lock().unwrap_or_else(|p| p.into_inner());
            match *storm {
                Some((fault, until)) if std::time::Instant::now() < until => return Some(fault),
                Some(_) => *storm = None,
                None => {}
            }
        }
        let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        let front = queue.front_mut()?;
        let fault = *front;
        front.count = front.count.saturating_sub(1);
        if front.count == 0 {
            queue.pop_front();
        }
        (fault.count > 0).then_some(fault)
    }

    /// Counts an answer.
    pub fn answered(&self, status: u16) {
        *self
            .answered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(status)
            .or_default() += 1;
    }

    /// The answers given, by status.
    pub fn answers(&self) -> std::collections::BTreeMap<u16, u64> {
        self.answered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Whether what is accepted is kept.
    pub fn recording(&self) -> bool {
        !self
            .not_recording
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Keep what is accepted, or only count it.
    pub fn set_recording(&self, on: bool) {
        self.not_recording
            .store(!on, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Adds `Retry-After: secs` to `response`.
pub(crate) fn retry_after(response: &mut Response, secs: Option<u64>) {
    if let Some(v) = secs.and_then(|s| s.to_string().parse().ok()) {
        response
            .headers_mut()
            .insert(axum::http::header::RETRY_AFTER, v);
    }
}
