//! How fast pushes go out, and how many failed ones are tried again: the part of delivery
//! that keeps one project inside its provider's quota and keeps an outage from being made
//! worse by retries. Pure state machines over an [`Instant`] the caller passes, so they are
//! tested without clocks; [`Governor`] shares them between a worker's concurrent sends.
//!
//! - [`Pace`]: a token bucket at the project's quota (FCM: 600,000 a minute) whose rate backs
//!   off multiplicatively when the provider answers 429 and climbs back additively while
//!   sends succeed (AIMD, as TCP does), and which stops every send until the provider's
//!   `Retry-After` has passed. gorush retries a 429 at once; FCM then answers more 429s.
//! - [`RetryBudget`]: a retry spends a credit that first sends earn (a fifth of one each,
//!   Finagle's default), plus a small floor per second so a small campaign can still retry;
//!   in an outage the retries stay a fraction of the traffic instead of multiplying it.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A [`Pace`]'s settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PaceSettings {
    /// The quota, sends a second (FCM's default project quota: 600,000 a minute).
    pub max_per_sec: f64,
    /// The rate never backs off below this.
    pub min_per_sec: f64,
    /// How much the rate climbs per second of sends without a 429.
    pub increase_per_sec: f64,
    /// What a 429 multiplies the rate by.
    pub decrease: f64,
    /// Sends allowed at once after a quiet spell.
    pub burst: f64,
}

impl Default for PaceSettings {
    fn default() -> Self {
        PaceSettings {
            max_per_sec: 10_000.0,
            min_per_sec: 50.0,
            // From half the quota back to all of it in five seconds without a 429.
            increase_per_sec: 1_000.0,
            decrease: 0.5,
            burst: 200.0,
        }
    }
}

impl PaceSettings {
    /// The settings for a quota of `per_minute` sends a minute.
    pub fn per_minute(per_minute: u32) -> Self {
        let max = f64::from(per_minute.max(60)) / 60.0;
        PaceSettings {
            max_per_sec: max,
            min_per_sec: (max / 200.0).max(1.0),
            increase_per_sec: max / 10.0,
            burst: (max / 50.0).clamp(1.0, 500.0),
            ..PaceSettings::default()
        }
    }
}

/// A token bucket whose rate is set by AIMD, with a pause for `Retry-After`.
#[derive(Debug, Clone)]
pub struct Pace {
    settings: PaceSettings,
    rate: f64,
    /// May go below zero: the sends already promised a slot.
    tokens: f64,
    refilled: Instant,
    paused_until: Option<Instant>,
    /// One 429 burst backs the rate off once: the sends in flight when the first came back
    /// were sent at the old rate and answer 429 too.
    last_decrease: Option<Instant>,
}

/// How long the sends in flight at a 429 take to come back; 429s within it are one event.
const DECREASE_WINDOW: Duration = Duration::from_millis(250);

impl Pace {
    /// At full rate from `now`.
    pub fn new(settings: PaceSettings, now: Instant) -> Self {
        Pace {
            settings,
            rate: settings.max_per_sec,
            tokens: settings.burst,
            refilled: now,
            paused_until: None,
            last_decrease: None,
        }
    }

    /// The rate now, sends a second.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// Until when every send waits (a `Retry-After`), if it does.
    pub fn paused_until(&self) -> Option<Instant> {
        self.paused_until
    }

    fn refill(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.refilled).as_secs_f64();
        self.tokens = (self.tokens + dt * self.rate).min(self.settings.burst);
        self.refilled = now;
    }

    /// Promises one send a slot: how long it waits for it (zero: send now). A send that
    /// waited asks again, since a 429 meanwhile may have paused everything.
    pub fn reserve(&mut self, now: Instant) -> Duration {
        if let Some(until) = self.paused_until {
            if now < until {
                return until - now;
            }
            self.paused_until = None;
        }
        self.refill(now);
        self.tokens -= 1.0;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / self.rate)
        }
    }

    /// Gives back a slot promised to a send that was not made (it waited, then met a pause).
    pub fn release(&mut self) {
        self.tokens = (self.tokens + 1.0).min(self.settings.burst);
    }

    /// A send succeeded: the rate climbs.
    pub fn on_success(&mut self, now: Instant) {
        if self.rate >= self.settings.max_per_sec {
            return;
        }
        let since = self.last_decrease.map_or(Duration::ZERO, |t| {
            now.saturating_duration_since(t).min(Duration::from_secs(1))
        });
        // Climbs in proportion to the time since the last change, not per send: the same
        // speed at any rate.
        let step = self.settings.increase_per_sec * since.as_secs_f64();
        if step > 0.0 {
            self.rate = (self.rate + step).min(self.settings.max_per_sec);
            self.last_decrease = Some(now);
        }
    }

    /// The provider answered 429: the rate backs off (once per burst of them), and when it
    /// said `Retry-After`, nothing is sent until then.
    pub fn on_quota_exceeded(&mut self, retry_after: Option<Duration>, now: Instant) {
        let fresh = self
            .last_decrease
            .is_none_or(|t| now.saturating_duration_since(t) >= DECREASE_WINDOW);
        if fresh {
            self.rate = (self.rate * self.settings.decrease).max(self.settings.min_per_sec);
        }
        self.last_decrease = Some(now);
        if let Some(wait) = retry_after {
            let until = now + wait;
            if self.paused_until.is_none_or(|p| p < until) {
                self.paused_until = Some(until);
            }
            // The slots promised before the pause are void: every send asks again after it.
            self.tokens = self.tokens.max(0.0);
        }
    }
}

/// A [`RetryBudget`]'s settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BudgetSettings {
    /// Credit a first send earns.
    pub ratio: f64,
    /// Credit earned every second whatever the traffic.
    pub floor_per_sec: f64,
    /// Credit kept at most (an outage after a busy hour still meets a bounded budget).
    pub cap: f64,
}

impl Default for BudgetSettings {
    fn default() -> Self {
        BudgetSettings {
            ratio: 0.2,
            floor_per_sec: 10.0,
            cap: 1_000.0,
        }
    }
}

impl BudgetSettings {
    /// The budget of a project sending at most `max_per_sec`: a fifth of first sends, and a
    /// floor of a tenth of the quota — so in an outage retries add at most that to the load,
    /// and after it the pushes left to retry drain in seconds, not hours — kept at most two
    /// seconds' worth of the floor (an outage after a quiet hour meets no hoard of credit).
    pub fn for_rate(max_per_sec: f64) -> Self {
        let floor = (max_per_sec / 10.0).max(1.0);
        BudgetSettings {
            ratio: 0.2,
            floor_per_sec: floor,
            cap: 2.0 * floor,
        }
    }
}

/// Retries as a bounded share of first sends.
#[derive(Debug, Clone)]
pub struct RetryBudget {
    settings: BudgetSettings,
    credit: f64,
    earned: Instant,
}

impl RetryBudget {
    /// Empty but for the floor, from `now`.
    pub fn new(settings: BudgetSettings, now: Instant) -> Self {
        RetryBudget {
            settings,
            credit: settings.floor_per_sec,
            earned: now,
        }
    }

    fn earn(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.earned).as_secs_f64();
        self.credit = (self.credit + dt * self.settings.floor_per_sec).min(self.settings.cap);
        self.earned = now;
    }

    /// A first send was made.
    pub fn deposit(&mut self, now: Instant) {
        self.earn(now);
        self.credit = (self.credit + self.settings.ratio).min(self.settings.cap);
    }

    /// Whether a retry may be sent now (spending its credit).
    pub fn withdraw(&mut self, now: Instant) -> bool {
        self.earn(now);
        if self.credit >= 1.0 {
            self.credit -= 1.0;
            true
        } else {
            false
        }
    }
}

/// A [`Pace`] and a [`RetryBudget`] shared by the concurrent sends of one project.
pub struct Governor {
    pace: Mutex<Pace>,
    budget: Mutex<RetryBudget>,
}

impl Governor {
    /// A governor at full rate.
    pub fn new(pace: PaceSettings, budget: BudgetSettings) -> Self {
        let now = Instant::now();
        Governor {
            pace: Mutex::new(Pace::new(pace, now)),
            budget: Mutex::new(RetryBudget::new(budget, now)),
        }
    }

    fn pace(&self) -> std::sync::MutexGuard<'_, Pace> {
        self.pace.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for a slot to send in, unless it would come after `deadline`: then no slot is
    /// taken (another send has it) and the answer is false.
    pub async fn ready_by(&self, deadline: Option<Instant>) -> bool {
        loop {
            let (wait, slot) = {
                let mut pace = self.pace();
                let now = Instant::now();
                let (wait, slot) = match pace.paused_until() {
                    // Paused: no slot is promised; ask again when the pause ends, in turn.
                    Some(until) if now < until => (until - now, false),
                    _ => (pace.reserve(now), true),
                };
                if deadline.is_some_and(|d| now + wait > d) {
                    if slot {
                        pace.release();
                    }
                    return false;
                }
                (wait, slot)
            };
            if slot && wait.is_zero() {
                return true;
            }
            tokio::time::sleep(wait).await;
            if !slot {
                continue;
            }
            // The slot was promised; a pause that began meanwhile voids it (see `reserve`).
            let mut pace = self.pace();
            match pace.paused_until() {
                Some(until) if Instant::now() < until => pace.release(),
                _ => return true,
            }
        }
    }

    /// The rate now, sends a second.
    pub fn rate(&self) -> f64 {
        self.pace().rate()
    }

    /// A send succeeded.
    pub fn succeeded(&self) {
        self.pace().on_success(Instant::now());
    }

    /// The provider answered 429.
    pub fn quota_exceeded(&self, retry_after: Option<Duration>) {
        self.pace().on_quota_exceeded(retry_after, Instant::now());
    }

    /// A first send is made.
    pub fn first_send(&self) {
        self.budget
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .deposit(Instant::now());
    }

    /// Whether a retry may be sent now.
    pub fn may_retry(&self) -> bool {
        self.budget
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .withdraw(Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn the_bucket_lets_a_burst_through_then_spaces_sends_at_the_rate() {
        let t0 = Instant::now();
        let settings = PaceSettings {
            max_per_sec: 1_000.0,
            burst: 10.0,
            ..PaceSettings::default()
        };
        let mut pace = Pace::new(settings, t0);
        for _ in 0..10 {
            assert_eq!(pace.reserve(t0), Duration::ZERO);
        }
        // The eleventh waits one slot (1 ms at 1,000/s), the twentieth ten.
        assert_eq!(pace.reserve(t0), ms(1));
        for _ in 0..8 {
            pace.reserve(t0);
        }
        assert_eq!(pace.reserve(t0), ms(10));
        // A second later the bucket is full again, never fuller than the burst.
        let later = t0 + Duration::from_secs(1);
        for _ in 0..10 {
            assert_eq!(pace.reserve(later), Duration::ZERO);
        }
        assert!(pace.reserve(later) > Duration::ZERO);
    }

    #[test]
    fn a_429_halves_the_rate_once_per_burst_and_pauses_for_retry_after() {
        let t0 = Instant::now();
        let mut pace = Pace::new(PaceSettings::default(), t0);
        pace.on_quota_exceeded(Some(Duration::from_secs(2)), t0);
        assert_eq!(pace.rate(), 5_000.0);
        // The sends in flight answer 429 too: still one back-off.
        for i in 1..50 {
            pace.on_quota_exceeded(Some(Duration::from_secs(2)), t0 + ms(i));
        }
        assert_eq!(pace.rate(), 5_000.0);
        // Nothing is sent before Retry-After has passed.
        assert_eq!(pace.reserve(t0 + ms(500)), Duration::from_millis(1_549));
        assert_eq!(pace.reserve(t0 + ms(2_049)), Duration::ZERO);
        // A second burst later halves it again, down to the floor at most.
        pace.on_quota_exceeded(None, t0 + ms(3_000));
        assert_eq!(pace.rate(), 2_500.0);
        for i in 0..20 {
            pace.on_quota_exceeded(None, t0 + ms(4_000 + i * 300));
        }
        assert_eq!(pace.rate(), PaceSettings::default().min_per_sec);
    }

    #[test]
    fn the_rate_climbs_back_additively_while_sends_succeed() {
        let t0 = Instant::now();
        let mut pace = Pace::new(PaceSettings::default(), t0);
        pace.on_quota_exceeded(None, t0);
        assert_eq!(pace.rate(), 5_000.0);
        // 1,000/s a second: half a second of successes adds 500.
        for i in 1..=50 {
            pace.on_success(t0 + ms(i * 10));
        }
        assert!((pace.rate() - 5_500.0).abs() < 1e-6, "{}", pace.rate());
        for i in 1..=1_000 {
            pace.on_success(t0 + ms(500 + i * 10));
        }
        assert_eq!(pace.rate(), 10_000.0, "never above the quota");
    }

    #[test]
    fn a_pause_voids_the_slots_promised_before_it() {
        let t0 = Instant::now();
        let settings = PaceSettings {
            max_per_sec: 100.0,
            burst: 1.0,
            ..PaceSettings::default()
        };
        let mut pace = Pace::new(settings, t0);
        for _ in 0..100 {
            pace.reserve(t0);
        }
        pace.on_quota_exceeded(Some(Duration::from_secs(1)), t0);
        // After the pause sends start at once at the backed-off rate, not a second of debt later.
        assert_eq!(pace.reserve(t0 + Duration::from_secs(1)), Duration::ZERO);
        assert_eq!(pace.reserve(t0 + Duration::from_secs(1)), ms(20));
    }

    #[test]
    fn retries_stay_a_fifth_of_first_sends_plus_the_floor() {
        let t0 = Instant::now();
        let mut budget = RetryBudget::new(BudgetSettings::default(), t0);
        // In one instant: 1,000 first sends earn 200 retries, with the 10 of the floor.
        for _ in 0..1_000 {
            budget.deposit(t0);
        }
        let allowed = (0..2_000).filter(|_| budget.withdraw(t0)).count();
        assert!((209..=210).contains(&allowed), "{allowed}");
        // With no traffic the floor alone: ten a second.
        let allowed = (0..100)
            .filter(|_| budget.withdraw(t0 + Duration::from_secs(1)))
            .count();
        assert_eq!(allowed, 10);
    }

    #[test]
    fn the_budget_of_a_quota_floors_at_a_tenth_of_it() {
        let b = BudgetSettings::for_rate(10_000.0);
        assert_eq!((b.ratio, b.floor_per_sec, b.cap), (0.2, 1_000.0, 2_000.0));
    }

    #[test]
    fn the_settings_of_a_quota_a_minute() {
        let s = PaceSettings::per_minute(600_000);
        assert_eq!(s.max_per_sec, 10_000.0);
        assert_eq!(s.min_per_sec, 50.0);
        assert_eq!(s.burst, 200.0);
    }
}
