//! The mock's clock: real time plus an offset that tests move forward (time travel).
//!
//! Only what the platform itself times (tickets, auth codes, tokens) follows this clock. Request
//! signatures are checked against the real wall clock, because the caller signs with its own
//! real clock and would otherwise be refused after every advance.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};

/// Real time shifted by an offset that only grows.
#[derive(Debug, Default)]
pub struct MockClock {
    offset_secs: AtomicI64,
}

impl MockClock {
    /// A clock that starts at real time.
    pub fn new() -> Self {
        Self::default()
    }

    /// The platform's notion of now.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::seconds(self.offset_secs())
    }

    /// How far ahead of real time the clock is, in seconds.
    pub fn offset_secs(&self) -> i64 {
        self.offset_secs.load(Ordering::SeqCst)
    }

    /// Moves the clock forward by `secs` and returns the new offset. Saturates rather than
    /// overflowing, so an absurd request cannot wrap time backwards.
    pub fn advance(&self, secs: u32) -> i64 {
        let mut current = self.offset_secs();
        loop {
            let next = current.saturating_add(i64::from(secs));
            match self.offset_secs.compare_exchange(
                current,
                next,
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => return next,
                Err(actual) => current = actual,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_now_forward_by_that_much() {
        let clock = MockClock::new();
        let before = clock.now();
        assert_eq!(clock.advance(300), 300);
        assert_eq!(clock.advance(60), 360);
        let moved = (clock.now() - before).num_seconds();
        assert!((360..=362).contains(&moved), "{moved}");
    }
}
