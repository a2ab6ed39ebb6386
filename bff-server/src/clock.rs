//! The BFF's clock for what follows the calendar — supervision's days and the due times of
//! the job mechanism (a reminder at 09:00 three days before a due date). It is the wall clock;
//! in a development deployment (`ZK_DEV_CLOCK=1`: the README's run command and the tests) it
//! can be moved forward, as the mock platform's clock can, so that a demo or a test can let a
//! task go overdue and watch its reminders, urging and escalation arrive.
//!
//! Tokens, sessions, signatures and rate limits keep the real wall clock: a caller signs with
//! its own, and nothing security-relevant may be moved by an endpoint.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};

/// The wall clock, or (in development) the wall clock plus an offset that only grows.
#[derive(Debug, Default)]
pub struct Clock {
    offset_secs: AtomicI64,
    movable: bool,
}

impl Clock {
    /// The wall clock; [`Self::advance`] refuses.
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock that [`Self::advance`] moves forward.
    pub fn movable() -> Self {
        Self {
            offset_secs: AtomicI64::new(0),
            movable: true,
        }
    }

    /// Whether it can be moved.
    pub fn is_movable(&self) -> bool {
        self.movable
    }

    /// Now.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::seconds(self.offset_secs())
    }

    /// Today in China, days since 1970-01-01.
    pub fn today(&self) -> i64 {
        zhelikit_domain::policy::china_day(self.now().timestamp())
    }

    /// How far ahead of the wall clock it is, in seconds.
    pub fn offset_secs(&self) -> i64 {
        self.offset_secs.load(Ordering::SeqCst)
    }

    /// Moves it forward by `secs`; the new offset, or none when it is the wall clock.
    pub fn advance(&self, secs: u32) -> Option<i64> {
        if !self.movable {
            return None;
        }
        let moved = self
            .offset_secs
            .fetch_add(i64::from(secs), Ordering::SeqCst);
        Some(moved + i64::from(secs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_movable_clock_moves() {
        assert_eq!(Clock::system().advance(60), None);
        let clock = Clock::movable();
        let before = clock.now();
        assert_eq!(clock.advance(86_400), Some(86_400));
        assert!(clock.now() - before >= Duration::seconds(86_400));
        assert_eq!(
            clock.today() - zhelikit_domain::policy::china_day(before.timestamp()),
            1
        );
    }
}
