//! What the platform has handed out (tickets, ticket ids, auth codes, tokens) and whether each
//! was used or has expired.
//!
//! One generic ledger serves every kind, so "single use, expires by the mock clock" is written
//! once. Redemption checks the binding (which app the grant belongs to) *before* consuming, so a
//! grant presented by the wrong app stays usable by the right one.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// How long a grant is remembered after it expired, so that a late use still answers
/// "expired" (or "used") rather than "unknown". Past this, it is forgotten.
const REMEMBER_AFTER_EXPIRY_HOURS: i64 = 24;

/// The outcome of presenting a single-use grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redemption<T, E> {
    /// Valid: it is now consumed.
    Redeemed(T),
    /// Never issued (or long forgotten).
    Unknown,
    /// The binding check refused it; it was not consumed.
    Refused(E),
    /// Already used.
    Used,
    /// Past its lifetime.
    Expired,
}

/// The outcome of looking up a reusable grant (a token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup<T> {
    /// Valid.
    Valid(T),
    /// Never issued (or long forgotten).
    Unknown,
    /// Past its lifetime.
    Expired,
}

#[derive(Debug)]
struct Grant<T> {
    value: T,
    expires_at: DateTime<Utc>,
    used: bool,
}

/// A ledger of grants of one kind, keyed by the random string handed out.
#[derive(Debug)]
pub struct Ledger<T> {
    grants: Mutex<HashMap<String, Grant<T>>>,
}

impl<T> Default for Ledger<T> {
    fn default() -> Self {
        Self {
            grants: Mutex::new(HashMap::new()),
        }
    }
}

impl<T: Clone> Ledger<T> {
    /// Records `key` as granting `value` until `now + ttl_secs`.
    pub fn issue(&self, key: String, value: T, now: DateTime<Utc>, ttl_secs: i64) {
        let mut grants = self.lock();
        let forget_before = now - Duration::hours(REMEMBER_AFTER_EXPIRY_HOURS);
        grants.retain(|_, g| g.expires_at > forget_before);
        grants.insert(
            key,
            Grant {
                value,
                expires_at: now + Duration::seconds(ttl_secs),
                used: false,
            },
        );
    }

    /// Consumes a single-use grant if `check` accepts it and it is fresh.
    pub fn redeem<E>(
        &self,
        key: &str,
        now: DateTime<Utc>,
        check: impl FnOnce(&T) -> Result<(), E>,
    ) -> Redemption<T, E> {
        let mut grants = self.lock();
        let Some(grant) = grants.get_mut(key) else {
            return Redemption::Unknown;
        };
        if let Err(e) = check(&grant.value) {
            return Redemption::Refused(e);
        }
        if grant.used {
            return Redemption::Used;
        }
        if now >= grant.expires_at {
            return Redemption::Expired;
        }
        grant.used = true;
        Redemption::Redeemed(grant.value.clone())
    }

    /// Looks up a reusable grant.
    pub fn lookup(&self, key: &str, now: DateTime<Utc>) -> Lookup<T> {
        match self.lock().get(key) {
            None => Lookup::Unknown,
            Some(g) if now >= g.expires_at => Lookup::Expired,
            Some(g) => Lookup::Valid(g.value.clone()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Grant<T>>> {
        // A panic while holding the lock cannot leave a half-written grant (each update is a
        // single insert or flag), so a poisoned lock is safe to keep using.
        self.grants
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A fresh unguessable value: 32 lowercase hex characters (128 random bits).
pub fn random_hex() -> String {
    format!("{:032x}", rand::random::<u128>())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger() -> (Ledger<&'static str>, DateTime<Utc>) {
        let l = Ledger::default();
        let now = Utc::now();
        l.issue("k".into(), "app-a", now, 300);
        (l, now)
    }

    fn bound_to_a(v: &&str) -> Result<(), &'static str> {
        if *v == "app-a" {
            Ok(())
        } else {
            Err("other app")
        }
    }

    #[test]
    fn a_grant_redeems_once_then_reports_used() {
        let (l, now) = ledger();
        assert_eq!(
            l.redeem("k", now, bound_to_a),
            Redemption::Redeemed("app-a")
        );
        assert_eq!(l.redeem("k", now, bound_to_a), Redemption::Used);
    }

    #[test]
    fn a_refused_grant_is_not_consumed() {
        let (l, now) = ledger();
        assert_eq!(
            l.redeem("k", now, |_| Err::<(), _>("other app")),
            Redemption::Refused("other app")
        );
        assert_eq!(
            l.redeem("k", now, bound_to_a),
            Redemption::Redeemed("app-a")
        );
    }

    #[test]
    fn a_grant_expires_at_its_ttl_and_unknown_keys_are_unknown() {
        let (l, now) = ledger();
        let later = now + Duration::seconds(300);
        assert_eq!(l.lookup("k", later), Lookup::Expired);
        assert_eq!(l.redeem("k", later, bound_to_a), Redemption::Expired);
        assert_eq!(l.lookup("nope", now), Lookup::Unknown);
        assert_eq!(l.lookup("k", now), Lookup::Valid("app-a"));
    }

    #[test]
    fn random_values_are_32_hex_characters() {
        let v = random_hex();
        assert_eq!(v.len(), 32);
        assert!(v.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(v, random_hex());
    }
}
