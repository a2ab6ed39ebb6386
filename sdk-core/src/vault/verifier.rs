//! The verifier on a phone (an officer's 浙政钉 checking a 亮证 code): the shared verifier of
//! `zhelikit_domain::vault::verifier`, fed with the issuers' keys and status lists fetched from
//! ZheliKit and kept on the device, so a check works offline too — with a status list past its
//! time to live reported as "not confirmed", never as valid.

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use zhelikit_domain::paths;
use zhelikit_domain::vault::sd_jwt::ReplayGuard;
use zhelikit_domain::vault::verifier::{claimed_department, TrustMaterial, IN_PERSON_AUDIENCE};
use zhelikit_domain::vault::wire::{IssuerDirectory, StatusListAnswer};
use zhelikit_domain::vault::IssuerKeySet;

use crate::context::{now_ms, Context};
use crate::error::{Error, Result};
use crate::vault::types::Verification;

/// How long fetched issuer keys are used before fetching them again (keys rotate rarely; a
/// key the directory lacks is fetched at once).
pub(crate) const ISSUERS_TTL_SECS: i64 = 6 * 3600;

/// The row of the issuer directory (public data: not per user, kept across logins).
const ISSUERS_ROW: &str = "vault:trust:issuers";

fn status_row(department: &str) -> String {
    format!("vault:trust:status:{department}")
}

#[derive(Serialize, Deserialize)]
struct KeptIssuers {
    fetched_at: i64,
    issuers: Vec<IssuerKeySet>,
}

#[derive(Serialize, Deserialize)]
struct KeptList {
    fetched_at: i64,
    token: String,
}

/// The nonces of codes this phone accepted recently, shared by every vault sub-client of one
/// client: a code shown twice is refused.
pub(crate) type Replays = Arc<Mutex<ReplayGuard>>;

/// Verifies presentations on this phone.
pub(crate) struct PhoneVerifier<'a> {
    pub(crate) ctx: &'a Arc<Context>,
}

impl PhoneVerifier<'_> {
    fn kept<T: for<'de> Deserialize<'de>>(&self, row: &str) -> Result<Option<T>> {
        Ok(self
            .ctx
            .store
            .get(row)?
            .and_then(|bytes| serde_json::from_slice(&bytes).ok()))
    }

    fn keep<T: Serialize>(&self, row: &str, value: &T) -> Result<()> {
        let bytes = serde_json::to_vec(value).map_err(|e| Error::Internal(e.to_string()))?;
        Ok(self.ctx.store.put(row, &bytes)?)
    }

    /// The issuer directory: the kept one while young enough, else fetched (the kept one
    /// stays if the fetch fails).
    async fn issuers(&self, now: i64, force: bool) -> Result<Vec<IssuerKeySet>> {
        let kept: Option<KeptIssuers> = self.kept(ISSUERS_ROW)?;
        if let Some(k) = &kept {
            if !force && now - k.fetched_at < ISSUERS_TTL_SECS {
                return Ok(k.issuers.clone());
            }
        }
        match self.ctx.get::<IssuerDirectory>(paths::VAULT_ISSUERS).await {
            Ok(dir) => {
                let mut issuers = dir.issuers;
                // A department unavailable now keeps the keys we had for it.
                if let Some(k) = kept {
                    for old in k.issuers {
                        if !issuers.iter().any(|i| i.issuer == old.issuer) {
                            issuers.push(old);
                        }
                    }
                }
                self.keep(
                    ISSUERS_ROW,
                    &KeptIssuers {
                        fetched_at: now,
                        issuers: issuers.clone(),
                    },
                )?;
                Ok(issuers)
            }
            Err(e) => match kept {
                Some(k) => {
                    self.ctx.log.info(
                        "zhelikit::vault",
                        &format!("issuer keys not refreshed ({e}); using those kept"),
                    );
                    Ok(k.issuers)
                }
                None if matches!(e, Error::Offline(_)) => Ok(Vec::new()),
                None => Err(e),
            },
        }
    }

    /// Adds `department`'s status list to `material`: the kept one while fresh (unless
    /// `force`), else fetched; when neither a fresh nor a kept list can be had, the kept one or
    /// none (the status is then stale or unknown).
    async fn add_status_list(
        &self,
        material: &mut TrustMaterial,
        department: &str,
        now: i64,
        force: bool,
    ) {
        let row = status_row(department);
        let kept: Option<KeptList> = self.kept(&row).ok().flatten();
        if let Some(k) = &kept {
            if material
                .add_status_list(department, &k.token, k.fetched_at)
                .is_ok()
                && !force
                && material
                    .list_fetched(department, now)
                    .is_some_and(|(_, fresh)| fresh)
            {
                return;
            }
        }
        let fetched = self
            .ctx
            .get::<StatusListAnswer>(&paths::vault_status(department))
            .await;
        if let Ok(answer) = fetched {
            // The BFF's own copy may be old (the department down): age it by what it says.
            let fetched_at = now - answer.stale_secs.map_or(0, |s| s as i64);
            if material
                .add_status_list(department, &answer.token, fetched_at)
                .is_ok()
            {
                let _ = self.keep(
                    &row,
                    &KeptList {
                        fetched_at,
                        token: answer.token,
                    },
                );
            }
        }
    }

    /// What the phone keeps of the issuers' keys and `departments`' status lists, without the
    /// network: what the holder's list shows its own certificates' status from.
    pub(crate) fn kept_material(&self, departments: &[&str]) -> TrustMaterial {
        let issuers = self
            .kept::<KeptIssuers>(ISSUERS_ROW)
            .ok()
            .flatten()
            .map(|k| k.issuers)
            .unwrap_or_default();
        let mut material = TrustMaterial::new(issuers);
        for d in departments {
            if let Some(k) = self.kept::<KeptList>(&status_row(d)).ok().flatten() {
                // A kept list that no longer verifies (a rotated key) is as good as none.
                let _ = material.add_status_list(d, &k.token, k.fetched_at);
            }
        }
        material
    }

    /// Fetches the issuers' keys (when old) and `departments`' status lists now, keeping them;
    /// what cannot be fetched stays as kept.
    pub(crate) async fn refresh(&self, departments: &[&str]) -> Result<()> {
        let now = now_ms() / 1000;
        let issuers = self.issuers(now, false).await?;
        let mut material = TrustMaterial::new(issuers);
        for d in departments {
            self.add_status_list(&mut material, d, now, true).await;
        }
        Ok(())
    }

    /// Checks `text` (a 亮证 QR text or an SD-JWT presentation made for in-person use).
    pub(crate) async fn verify(&self, text: &str, replays: &Replays) -> Result<Verification> {
        if text.is_empty() {
            return Err(Error::Input {
                field: "text",
                reason: "nothing was scanned".into(),
            });
        }
        let now = now_ms() / 1000;
        let department = claimed_department(text);
        let mut issuers = self.issuers(now, false).await?;
        if let Some(d) = &department {
            // A department the kept directory lacks (new, or rotated its key): ask again.
            let known = issuers.iter().any(|i| &i.department == d);
            if !known {
                issuers = self.issuers(now, true).await?;
            }
        }
        let mut material = TrustMaterial::new(issuers);
        if let Some(d) = &department {
            self.add_status_list(&mut material, d, now, false).await;
        }
        let mut guard = replays.lock().unwrap_or_else(|e| e.into_inner());
        Ok(material
            .verify(text, IN_PERSON_AUDIENCE, None, &mut guard, now)
            .into())
    }
}
