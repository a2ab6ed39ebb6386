//! A small in-process map whose entries expire: the one memo used on hot paths (verified
//! tokens, revoked sessions, user profiles), so those paths do no I/O.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// Entries live until their TTL; the map never holds more than `capacity` entries (expired ones
/// are purged first; if all are live, the map is emptied, which only costs re-computation).
pub struct LocalTtlMap<K, V> {
    entries: RwLock<HashMap<K, (V, Instant)>>,
    capacity: usize,
}

impl<K: Eq + Hash, V: Clone> LocalTtlMap<K, V> {
    /// An empty map holding at most `capacity` entries.
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: RwLock::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }

    /// A map that never evicts a live entry, however many there are.
    pub fn unbounded() -> Self {
        Self {
            entries: RwLock::new(HashMap::new()),
            capacity: usize::MAX,
        }
    }

    /// The live value for `key`.
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        // A poisoned lock only means another thread panicked mid-insert; the map is still valid.
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .filter(|(_, until)| *until > Instant::now())
            .map(|(v, _)| v.clone())
    }

    /// True when `key` has a live entry.
    pub fn contains<Q>(&self, key: &Q) -> bool
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.get(key).is_some()
    }

    /// Inserts or replaces `key` for `ttl`.
    pub fn insert(&self, key: K, value: V, ttl: Duration) {
        let now = Instant::now();
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.capacity {
            entries.retain(|_, (_, until)| *until > now);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        } else if entries.len() > 10_000 && entries.len().is_power_of_two() {
            // Unbounded maps still shed expired entries as they grow.
            entries.retain(|_, (_, until)| *until > now);
        }
        entries.insert(key, (value, now + ttl));
    }

    /// Removes `key`.
    pub fn remove<Q>(&self, key: &Q)
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.entries
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_the_map_stays_within_capacity() {
        let map = LocalTtlMap::new(2);
        map.insert("a", 1, Duration::from_secs(60));
        map.insert("gone", 2, Duration::ZERO);
        assert_eq!(map.get("a"), Some(1));
        assert_eq!(map.get("gone"), None);
        map.insert("b", 3, Duration::from_secs(60));
        map.insert("c", 4, Duration::from_secs(60));
        assert!(map.entries.read().unwrap().len() <= 2);
        assert_eq!(map.get("c"), Some(4));
        map.remove("c");
        assert!(!map.contains("c"));
    }
}
