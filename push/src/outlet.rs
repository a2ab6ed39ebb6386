//! One project's way out: a [`Channel`] behind its [`Governor`] (the quota's pace, the retry
//! budget) and a bound on sends in flight, which every delivery worker of a process shares. A
//! 429 from any send slows every send of the project; a credential refused after its one
//! refresh is remembered, so the operator's alert (`push_credential_refused`) stays up until a
//! send succeeds again.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use crate::channels::{Channel, Push, SendError};
use crate::pacing::{BudgetSettings, Governor, PaceSettings};

/// What became of one push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    /// The provider took it; its id.
    Accepted(String),
    /// The provider refused it, or could not be reached.
    Failed(SendError),
    /// A retry the budget held back: not sent, to be tried later.
    HeldBack,
    /// Not sent: the pace gave it no slot before the caller's deadline.
    Deferred,
}

/// A channel shared by a process's delivery workers.
pub struct Outlet {
    channel: Arc<dyn Channel>,
    governor: Governor,
    in_flight: tokio::sync::Semaphore,
    refused_since: Mutex<Option<SystemTime>>,
    /// Pushes handed to the outlet and not yet gone to the provider (waiting for a slot or
    /// for their turn in the pace).
    waiting: AtomicUsize,
    /// Told whenever one of them leaves.
    left: tokio::sync::Notify,
}

/// Counts a push as waiting until it leaves (sent, or given up) by any path.
struct Waiting<'a>(&'a Outlet);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.waiting.fetch_sub(1, Ordering::AcqRel);
        self.0.left.notify_waiters();
    }
}

impl Outlet {
    /// `channel` at `pace`, with at most `in_flight` sends at once.
    pub fn new(
        channel: Arc<dyn Channel>,
        pace: PaceSettings,
        budget: BudgetSettings,
        in_flight: usize,
    ) -> Self {
        Outlet {
            channel,
            governor: Governor::new(pace, budget),
            in_flight: tokio::sync::Semaphore::new(in_flight.max(1)),
            refused_since: Mutex::new(None),
            waiting: AtomicUsize::new(0),
            left: tokio::sync::Notify::new(),
        }
    }

    /// Pushes waiting for their turn now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Acquire)
    }

    /// Waits until `more` pushes handed over now would each leave within `window` at the
    /// current rate, beside those already waiting — or nothing waits at all, so a slow pace
    /// still moves. A sender that takes work only then keeps what it took from the queue
    /// short: what it holds is sent soon after it was taken.
    pub async fn room_for(&self, more: usize, window: Duration) {
        loop {
            // Registered before the check, so a push leaving in between still wakes it.
            let mut left = std::pin::pin!(self.left.notified());
            left.as_mut().enable();
            let waiting = self.waiting();
            let fits = (waiting + more) as f64 <= self.rate() * window.as_secs_f64();
            if waiting == 0 || fits {
                return;
            }
            // Woken when one leaves; the timeout covers a rate that rose meanwhile.
            let _ = tokio::time::timeout(window, left).await;
        }
    }

    /// `fcm`, `apns`, `hms`.
    pub fn name(&self) -> &'static str {
        self.channel.name()
    }

    /// The rate sends may go at now (a second).
    pub fn rate(&self) -> f64 {
        self.governor.rate()
    }

    /// Since when the provider refuses the credential (refreshed once, refused again); none
    /// while it is taken.
    pub fn credential_refused_since(&self) -> Option<SystemTime> {
        *self.refused_since.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sends `push` when the pace allows; `retry` when an earlier attempt failed in a way
    /// worth retrying (it spends retry budget, and is held back when there is none).
    pub async fn send(&self, push: &Push, retry: bool) -> Sent {
        self.send_by(push, retry, None).await
    }

    /// [`Self::send`], unless no slot comes before `deadline`: then it is not sent at all
    /// ([`Sent::Deferred`]), so a caller whose time is up knows what never left.
    pub async fn send_by(
        &self,
        push: &Push,
        retry: bool,
        deadline: Option<tokio::time::Instant>,
    ) -> Sent {
        self.waiting.fetch_add(1, Ordering::AcqRel);
        let waiting = Waiting(self);
        if retry {
            if !self.governor.may_retry() {
                return Sent::HeldBack;
            }
        } else {
            self.governor.first_send();
        }
        let slot = match deadline {
            None => self.in_flight.acquire().await,
            Some(at) => match tokio::time::timeout_at(at, self.in_flight.acquire()).await {
                Ok(slot) => slot,
                Err(_) => return Sent::Deferred,
            },
        };
        let Ok(_slot) = slot else {
            return Sent::HeldBack;
        };
        if !self.governor.ready_by(deadline.map(|d| d.into_std())).await {
            return Sent::Deferred;
        }
        drop(waiting);
        let answer = self.channel.send(push).await;
        let refused = matches!(answer, Err(SendError::Unauthenticated(_)));
        {
            let mut since = self.refused_since.lock().unwrap_or_else(|p| p.into_inner());
            match (&answer, refused) {
                (Ok(_), _) => *since = None,
                (_, true) if since.is_none() => *since = Some(SystemTime::now()),
                _ => {}
            }
        }
        match answer {
            Ok(id) => {
                self.governor.succeeded();
                Sent::Accepted(id)
            }
            Err(e) => {
                if let SendError::QuotaExceeded { retry_after } = &e {
                    self.governor.quota_exceeded(*retry_after);
                }
                Sent::Failed(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// A channel answering from a script: `quota` 429s first, then accepting; or refusing the
    /// credential while `refuse` is set.
    struct Scripted {
        sends: AtomicUsize,
        quota: usize,
        refuse: std::sync::atomic::AtomicBool,
    }

    #[async_trait::async_trait]
    impl Channel for Scripted {
        fn name(&self) -> &'static str {
            "fcm"
        }
        async fn send(&self, _push: &Push) -> Result<String, SendError> {
            let n = self.sends.fetch_add(1, Ordering::SeqCst);
            if self.refuse.load(Ordering::SeqCst) {
                return Err(SendError::Unauthenticated("revoked".into()));
            }
            if n < self.quota {
                return Err(SendError::QuotaExceeded {
                    retry_after: Some(Duration::from_millis(300)),
                });
            }
            Ok(format!("m{n}"))
        }
    }

    fn push() -> Push {
        Push {
            token: "t".into(),
            title: "标题".into(),
            body: "正文".into(),
            data: Default::default(),
            collapse_key: "policy-1".into(),
        }
    }

    #[tokio::test]
    async fn a_429_slows_every_send_and_pauses_them_for_retry_after() {
        let channel = Arc::new(Scripted {
            sends: AtomicUsize::new(0),
            quota: 1,
            refuse: Default::default(),
        });
        let outlet = Outlet::new(
            channel.clone(),
            PaceSettings::default(),
            BudgetSettings::default(),
            64,
        );
        assert!(matches!(
            outlet.send(&push(), false).await,
            Sent::Failed(SendError::QuotaExceeded { .. })
        ));
        assert_eq!(outlet.rate(), 5_000.0);
        // The next send, first or not, waits out the Retry-After.
        let t = std::time::Instant::now();
        assert_eq!(
            outlet.send(&push(), true).await,
            Sent::Accepted("m1".into())
        );
        assert!(
            t.elapsed() >= Duration::from_millis(250),
            "{:?}",
            t.elapsed()
        );
    }

    #[tokio::test]
    async fn room_is_given_when_what_waits_would_leave_within_the_window() {
        let channel = Arc::new(Scripted {
            sends: AtomicUsize::new(0),
            quota: 0,
            refuse: Default::default(),
        });
        // 1,000 a second, a burst of 20: 200 pushes take about 180 ms to leave.
        let outlet = Arc::new(Outlet::new(
            channel.clone(),
            PaceSettings::per_minute(60_000),
            BudgetSettings::default(),
            64,
        ));
        // Nothing waits: room at once, however little the window holds.
        tokio::time::timeout(
            Duration::from_millis(50),
            outlet.room_for(500, Duration::from_millis(1)),
        )
        .await
        .expect("room when nothing waits");
        let sends: Vec<_> = (0..200)
            .map(|_| {
                let outlet = outlet.clone();
                tokio::spawn(async move { outlet.send(&push(), false).await })
            })
            .collect();
        // Until the sends have entered, spin; then 200 wait and 10 more do not fit 20 ms.
        while outlet.waiting() < 150 {
            tokio::task::yield_now().await;
        }
        let t = std::time::Instant::now();
        outlet.room_for(10, Duration::from_millis(20)).await;
        assert!(outlet.waiting() + 10 <= 20, "{} waiting", outlet.waiting());
        assert!(
            t.elapsed() >= Duration::from_millis(100),
            "{:?}",
            t.elapsed()
        );
        for s in sends {
            assert!(matches!(s.await.expect("send"), Sent::Accepted(_)));
        }
        assert_eq!(outlet.waiting(), 0);
    }

    #[tokio::test]
    async fn retries_beyond_the_budget_are_held_back_not_sent() {
        let channel = Arc::new(Scripted {
            sends: AtomicUsize::new(0),
            quota: 0,
            refuse: Default::default(),
        });
        let outlet = Outlet::new(
            channel.clone(),
            PaceSettings::default(),
            BudgetSettings {
                ratio: 0.5,
                floor_per_sec: 0.0,
                cap: 100.0,
            },
            64,
        );
        for _ in 0..10 {
            outlet.send(&push(), false).await;
        }
        let mut held = 0;
        for _ in 0..10 {
            if outlet.send(&push(), true).await == Sent::HeldBack {
                held += 1;
            }
        }
        assert_eq!(held, 5, "ten first sends pay for five retries");
        assert_eq!(channel.sends.load(Ordering::SeqCst), 15);
    }

    #[tokio::test]
    async fn a_refused_credential_is_remembered_until_a_send_succeeds() {
        let channel = Arc::new(Scripted {
            sends: AtomicUsize::new(0),
            quota: 0,
            refuse: std::sync::atomic::AtomicBool::new(true),
        });
        let outlet = Outlet::new(
            channel.clone(),
            PaceSettings::default(),
            BudgetSettings::default(),
            8,
        );
        outlet.send(&push(), false).await;
        let since = outlet.credential_refused_since().expect("refused");
        outlet.send(&push(), false).await;
        assert_eq!(
            outlet.credential_refused_since(),
            Some(since),
            "since the first"
        );
        channel.refuse.store(false, Ordering::SeqCst);
        assert!(matches!(
            outlet.send(&push(), false).await,
            Sent::Accepted(_)
        ));
        assert_eq!(outlet.credential_refused_since(), None);
    }
}
