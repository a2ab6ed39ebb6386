//! The vault's history the citizen can see (EUDI dashboard rules): every pull, presentation,
//! share, consent, correction and failure, with its time, counterpart, purpose, the claims asked for and shown, and
//! the outcome — claim *names*, never values — each entry chained to the one before by SM3, so
//! an entry altered, removed or inserted afterwards shows.
//!
//! `hash = SM3(prev ‖ 0x00 ‖ the entry's canonical JSON without its hash)`, hex; the first
//! entry's `prev` is 64 zeros. The canonical JSON is serde's of [`EntryBody`] (`seq`, the
//! fields of [`Happened`], `prev`, in declaration order), so every implementation that keeps
//! these structs agrees.

use serde::{Deserialize, Serialize};

use crate::gm::{hex, sm3};

/// The `prev` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HistoryEvent {
    /// A certificate was pulled from its department (or the pull failed).
    Pulled,
    /// A presentation was made (a 亮证 code, or one for a verifier).
    Presented,
    /// A raw value was shown on this device after re-authentication (or refused).
    Revealed,
    /// A verifier's online request was answered (shared, declined or refused).
    Shared,
    /// A consent for a data consumer was approved, declined, paused, resumed or revoked.
    Consented,
    /// A correction was filed, decided (accepted, rejected) or reissued.
    Corrected,
}

/// An entry without its hash: what is hashed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryBody {
    /// Its place in the chain, from 1.
    pub seq: u64,
    /// What happened.
    #[serde(flatten)]
    pub what: Happened,
    /// The hash of the entry before ([`GENESIS`] for the first).
    pub prev: String,
}

/// One entry of the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// What happened.
    #[serde(flatten)]
    pub body: EntryBody,
    /// SM3 over `prev` and the body, hex.
    pub hash: String,
}

/// The hash of `body`.
pub fn hash_of(body: &EntryBody) -> String {
    let mut input = body.prev.as_bytes().to_vec();
    input.push(0);
    input.extend_from_slice(&serde_json::to_vec(body).unwrap_or_default());
    hex(&sm3(&input))
}

/// What to record; the chain adds its place and links.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Happened {
    /// When, seconds since the epoch.
    pub at: i64,
    /// What happened.
    pub event: HistoryEvent,
    /// The certificate's kind.
    pub kind: String,
    /// Who was on the other side: a department, a verifier (`zk-demo-verifier`),
    /// `zhelikit:in-person`, or `device`.
    pub counterpart: String,
    /// Why, when the counterpart said (a share request's purpose).
    pub purpose: Option<String>,
    /// The claims asked for (names).
    pub requested: Vec<String>,
    /// The claims shown (names).
    pub disclosed: Vec<String>,
    /// `ok`, or why not (`declined`, `over_asked`, `certificate_not_held`, `cancelled` …).
    pub outcome: String,
}

/// The entry that follows `last` (none: the first) for `happened`.
pub fn next(last: Option<&HistoryEntry>, happened: Happened) -> HistoryEntry {
    let body = EntryBody {
        seq: last.map_or(1, |l| l.body.seq + 1),
        what: happened,
        prev: last.map_or_else(|| GENESIS.to_string(), |l| l.hash.clone()),
    };
    let hash = hash_of(&body);
    HistoryEntry { body, hash }
}

/// Where a chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// The entry at `seq` does not hash to what it says (altered).
    #[error("entry {0} was altered")]
    Altered(u64),
    /// The entry at `seq` does not follow the one before (one removed, inserted or reordered).
    #[error("the chain breaks before entry {0}")]
    Broken(u64),
}

/// Checks `entries` (in order, from the first): each hashes to its `hash`, follows the one
/// before, and numbers on.
pub fn verify_chain(entries: &[HistoryEntry]) -> Result<(), ChainError> {
    let mut prev = GENESIS.to_string();
    for (i, e) in entries.iter().enumerate() {
        if e.body.prev != prev || e.body.seq != i as u64 + 1 {
            return Err(ChainError::Broken(e.body.seq));
        }
        if hash_of(&e.body) != e.hash {
            return Err(ChainError::Altered(e.body.seq));
        }
        prev = e.hash.clone();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn happened(outcome: &str) -> Happened {
        Happened {
            at: 1_796_176_800,
            event: HistoryEvent::Presented,
            kind: "resident_id".into(),
            counterpart: "zhelikit:in-person".into(),
            purpose: None,
            requested: vec!["age_over_18".into()],
            disclosed: vec!["age_over_18".into()],
            outcome: outcome.into(),
        }
    }

    fn chain(n: usize) -> Vec<HistoryEntry> {
        let mut entries: Vec<HistoryEntry> = Vec::new();
        for i in 0..n {
            let e = next(entries.last(), happened(&format!("ok-{i}")));
            entries.push(e);
        }
        entries
    }

    #[test]
    fn a_chain_verifies_and_any_change_shows_where() {
        let entries = chain(4);
        assert_eq!(entries[0].body.prev, GENESIS);
        assert_eq!(verify_chain(&entries), Ok(()));

        let mut altered = entries.clone();
        altered[2].body.what.disclosed.push("name".into());
        assert_eq!(verify_chain(&altered), Err(ChainError::Altered(3)));

        let mut removed = entries.clone();
        removed.remove(1);
        assert_eq!(verify_chain(&removed), Err(ChainError::Broken(3)));

        let mut rehashed = entries.clone();
        rehashed[1].body.what.outcome = "forged".into();
        rehashed[1].hash = hash_of(&rehashed[1].body);
        assert_eq!(
            verify_chain(&rehashed),
            Err(ChainError::Broken(3)),
            "re-hashing one entry breaks the next link"
        );
    }

    #[test]
    fn an_entry_names_claims_never_values_and_round_trips_as_json() {
        let e = &chain(1)[0];
        let json = serde_json::to_string(e).unwrap();
        assert!(json.contains("\"disclosed\":[\"age_over_18\"]"), "{json}");
        let back: HistoryEntry = serde_json::from_str(&json).unwrap();
        assert_eq!(&back, e);
        assert_eq!(verify_chain(&[back]), Ok(()));
    }
}
