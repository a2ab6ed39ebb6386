//! The vault's history on the device: an SM3 chain (`zhelikit_domain::vault::history`) of
//! what the vault did — pulls, presentations, raw values shown, share answers — kept sealed
//! per user, one row per entry. An append writes the entry, then the head; an entry left
//! without its head (the app killed between the two) is adopted by the next append, so none is
//! lost and the chain stays whole.

use std::sync::Arc;

use zhelikit_domain::vault::history::{next, verify_chain, ChainError, Happened, HistoryEntry};
use zhelikit_domain::vault::CertificateKind;

use crate::context::Context;
use crate::error::{Error, Result};

const HEAD: &str = "vault:history:head";

fn entry_row(seq: u64) -> String {
    format!("vault:history:{seq:012}")
}

/// One entry of the history, for the app (claim names, never values).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct HistoryItem {
    /// Its place, from 1.
    pub seq: u64,
    /// When, seconds since the epoch.
    pub at: i64,
    /// `pulled`, `presented`, `revealed` or `shared`.
    pub event: String,
    /// The certificate's kind.
    pub kind: String,
    /// The certificate's name, e.g. `电子居民身份证`.
    pub certificate_name: String,
    /// Who was on the other side: a department, a verifier, `zhelikit:in-person`, `device`.
    pub counterpart: String,
    /// Why, when the counterpart said.
    pub purpose: Option<String>,
    /// The claims asked for.
    pub requested: Vec<String>,
    /// The claims shown.
    pub disclosed: Vec<String>,
    /// `ok`, or why not.
    pub outcome: String,
    /// Its SM3 hash (hex), chained to the entry before.
    pub hash: String,
}

/// The history and whether its chain is whole.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct History {
    /// Every entry, oldest first.
    pub entries: Vec<HistoryItem>,
    /// Whether every entry hashes right and follows the one before.
    pub intact: bool,
    /// Where it breaks, when not intact (the entry's `seq`).
    pub broken_at: Option<u64>,
}

/// The history of the logged-in user.
pub(crate) struct VaultHistory<'a> {
    pub(crate) ctx: &'a Arc<Context>,
}

impl VaultHistory<'_> {
    fn row(&self, what: &str) -> Result<String> {
        self.ctx.session.user_row(what).ok_or(Error::NotLoggedIn)
    }

    pub(crate) fn entry(&self, seq: u64) -> Result<Option<HistoryEntry>> {
        Ok(self
            .ctx
            .store
            .get(&self.row(&entry_row(seq))?)?
            .and_then(|b| serde_json::from_slice(&b).ok()))
    }

    /// Appends `happened` to the chain.
    pub(crate) fn record(&self, happened: Happened) -> Result<()> {
        let _one_append_at_a_time = self
            .ctx
            .vault_history
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let mut last: Option<HistoryEntry> = self
            .ctx
            .store
            .get(&self.row(HEAD)?)?
            .and_then(|b| serde_json::from_slice(&b).ok());
        // An entry written without its head (killed between the two writes): adopt it.
        let after = last.as_ref().map_or(1, |l| l.body.seq + 1);
        if let Some(orphan) = self.entry(after)? {
            let follows = orphan.body.prev
                == last.as_ref().map_or_else(
                    || zhelikit_domain::vault::history::GENESIS.to_string(),
                    |l| l.hash.clone(),
                );
            if follows {
                last = Some(orphan);
            }
        }
        let entry = next(last.as_ref(), happened);
        let bytes = serde_json::to_vec(&entry).map_err(|e| Error::Internal(e.to_string()))?;
        self.ctx
            .store
            .put(&self.row(&entry_row(entry.body.seq))?, &bytes)?;
        self.ctx.store.put(&self.row(HEAD)?, &bytes)?;
        Ok(())
    }

    /// Every entry, oldest first.
    pub(crate) fn entries(&self) -> Result<Vec<HistoryEntry>> {
        let mut entries = Vec::new();
        let mut seq = 1;
        while let Some(e) = self.entry(seq)? {
            entries.push(e);
            seq += 1;
        }
        Ok(entries)
    }

    /// The history, its chain checked.
    pub(crate) fn history(&self) -> Result<History> {
        let entries = self.entries()?;
        let broken_at = match verify_chain(&entries) {
            Ok(()) => None,
            Err(ChainError::Altered(seq) | ChainError::Broken(seq)) => Some(seq),
        };
        Ok(History {
            intact: broken_at.is_none(),
            broken_at,
            entries: entries.into_iter().map(item).collect(),
        })
    }

    /// The chain as JSON (`{"entries": […]}`), for the person to keep or hand to a complaint:
    /// anyone can check it with `zhelikit_domain::vault::history::verify_chain`.
    pub(crate) fn export(&self) -> Result<String> {
        let entries = self.entries()?;
        serde_json::to_string_pretty(&serde_json::json!({
            "format": "zhelikit-vault-history/1",
            "hash": "SM3(prev || 0x00 || entry JSON without hash), hex",
            "entries": entries,
        }))
        .map_err(|e| Error::Internal(e.to_string()))
    }
}

fn item(e: HistoryEntry) -> HistoryItem {
    let seq = e.body.seq;
    let b = e.body.what;
    let event = serde_json::to_value(b.event)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    HistoryItem {
        seq,
        at: b.at,
        event,
        certificate_name: CertificateKind::parse(&b.kind)
            .map_or_else(|| b.kind.clone(), |k| k.name_zh().to_string()),
        kind: b.kind,
        counterpart: b.counterpart,
        purpose: b.purpose,
        requested: b.requested,
        disclosed: b.disclosed,
        outcome: b.outcome,
        hash: e.hash,
    }
}
