//! This instance's matching index over every profiled enterprise. The database is the truth:
//! the index catches up with profiles built anywhere (this instance or another) by reading
//! those built since its watermark before it answers, and takes this instance's own builds
//! at once.

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use zhelikit_domain::policy::EnterpriseProfile;
use zhelikit_push::matching::{Bitset, Breakdown, ProfileIndex, Rule, Subject};

use crate::storage::{Store, StoreResult, StoredProfile};

/// Profiles read per round trip while catching up.
const CATCH_UP_BATCH: i64 = 1_000;

struct Catalogue {
    index: ProfileIndex,
    profiles: Vec<Option<Arc<EnterpriseProfile>>>,
    /// The last profile read: built-at and slot.
    watermark: (DateTime<Utc>, i64),
}

/// The matching index and the profiles behind it.
pub struct Matcher {
    catalogue: RwLock<Catalogue>,
    catching_up: tokio::sync::Mutex<()>,
}

impl Default for Matcher {
    fn default() -> Self {
        Matcher {
            catalogue: RwLock::new(Catalogue {
                index: ProfileIndex::with_capacity(0),
                profiles: Vec::new(),
                // PostgreSQL timestamps start in 4713 BC; chrono's minimum is far before.
                watermark: (DateTime::<Utc>::UNIX_EPOCH, 0),
            }),
            catching_up: tokio::sync::Mutex::new(()),
        }
    }
}

/// What a selection found: counts and the matched enterprises' profiles, first few.
pub struct Selection {
    /// How the matches fall by county and division.
    pub breakdown: Breakdown,
    /// Enterprises in the index.
    pub profiled: u64,
    /// The first matched profiles, in slot order.
    pub examples: Vec<Arc<EnterpriseProfile>>,
}

impl Matcher {
    /// Puts one profile in the index (a build on this instance).
    pub fn note(&self, slot: i64, profile: Arc<EnterpriseProfile>) {
        let Ok(slot_u32) = u32::try_from(slot) else {
            tracing::warn!(slot, "profile slot beyond the index's range; not indexed");
            return;
        };
        let subject = match Subject::of(&profile) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(slot, error = ?e, "profile not indexable");
                return;
            }
        };
        let mut c = self.catalogue.write().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = c.index.upsert(slot_u32, &subject) {
            tracing::warn!(slot, error = ?e, "profile not indexable");
            return;
        }
        let i = slot_u32 as usize;
        if c.profiles.len() <= i {
            c.profiles.resize(i + 1, None);
        }
        c.profiles[i] = Some(profile);
    }

    /// Reads every profile built since the watermark (on any instance) into the index.
    pub async fn catch_up(&self, store: &dyn Store) -> StoreResult<()> {
        let _one = self.catching_up.lock().await;
        loop {
            let (since, after) = self
                .catalogue
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .watermark;
            let batch = store.profiles_since(since, after, CATCH_UP_BATCH).await?;
            let Some(last) = batch.last() else {
                return Ok(());
            };
            let mark = (last.built_at, last.slot);
            for StoredProfile { slot, profile, .. } in &batch {
                match serde_json::from_str::<EnterpriseProfile>(profile) {
                    Ok(p) => self.note(*slot, Arc::new(p)),
                    Err(e) => tracing::warn!(slot, error = %e, "stored profile unreadable"),
                }
            }
            self.catalogue
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .watermark = mark;
            if (batch.len() as i64) < CATCH_UP_BATCH {
                return Ok(());
            }
        }
    }

    /// Every profile `rule` admits, in slot order: a campaign's audience.
    pub fn matched(&self, rule: &Rule) -> Vec<Arc<EnterpriseProfile>> {
        let c = self.catalogue.read().unwrap_or_else(|p| p.into_inner());
        c.index
            .select(rule)
            .iter()
            .filter_map(|slot| c.profiles.get(slot as usize).cloned().flatten())
            .collect()
    }

    /// The enterprises `rule` admits: counts, and the first `examples` of them.
    pub fn select(&self, rule: &Rule, examples: usize) -> Selection {
        let c = self.catalogue.read().unwrap_or_else(|p| p.into_inner());
        let matched: Bitset = c.index.select(rule);
        Selection {
            breakdown: c.index.breakdown(&matched),
            profiled: c.index.len(),
            examples: matched
                .iter()
                .filter_map(|slot| c.profiles.get(slot as usize).cloned().flatten())
                .take(examples)
                .collect(),
        }
    }
}
