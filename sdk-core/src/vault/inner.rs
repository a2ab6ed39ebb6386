//! The vault's inner type: certificates pulled from the departments through ZheliKit, each
//! bound to a key made on this device for it alone, kept sealed in the local store (the
//! holder key's private half with it, so under the data key the host's key source wraps), and
//! presented with only the claims the person chooses.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use zhelikit_domain::gm::Sm2PrivateKey;
use zhelikit_domain::paths;
use zhelikit_domain::problem_code::ProblemCode;
use zhelikit_domain::vault::catalogue::ClaimClass;
use zhelikit_domain::vault::sd_jwt::StatusCheck;
use zhelikit_domain::vault::sd_jwt::{
    disclosable_claims, present, PresentationRequest, MAX_PRESENTATION_AGE_SECS,
};
use zhelikit_domain::vault::status_list::TokenStatus;
use zhelikit_domain::vault::verifier::{status_reference, TrustMaterial, IN_PERSON_AUDIENCE};
use zhelikit_domain::vault::wire::{PullCertificate, PulledCertificate};
use zhelikit_domain::vault::{qr, CertificateKind};

use crate::context::{now_ms, Context};
use crate::error::{Error, Result};
use crate::host::{CodeListener, Reauthenticator};
use crate::vault::history::VaultHistory;
use crate::vault::types::{Certificate, CertificateClaim, CertificateState, Presentation};
use crate::vault::verifier::PhoneVerifier;
use zhelikit_domain::vault::history::{Happened, HistoryEvent};

/// A certificate as kept on the device.
#[derive(Serialize, Deserialize)]
struct Held {
    credential: String,
    holder_pkcs8: Vec<u8>,
    expires_at: i64,
    refresh_after: i64,
}

/// The last failed pull of a kind.
#[derive(Serialize, Deserialize)]
struct Failed {
    reason: String,
    at_ms: i64,
}

fn row(kind: CertificateKind) -> String {
    format!("vault:cert:{}", kind.as_str())
}

fn failure_row(kind: CertificateKind) -> String {
    format!("vault:failed:{}", kind.as_str())
}

/// The vault of one client.
#[derive(Clone)]
pub(crate) struct Vault {
    ctx: Arc<Context>,
}

impl Vault {
    pub(crate) fn new(ctx: Arc<Context>) -> Self {
        Self { ctx }
    }

    pub(crate) fn context(&self) -> &Arc<Context> {
        &self.ctx
    }

    pub(crate) fn user_row(&self, what: &str) -> Result<String> {
        self.ctx.session.user_row(what).ok_or(Error::NotLoggedIn)
    }

    /// The user's row `what`, as JSON; none when absent (or no longer readable).
    pub(crate) fn kept_json<T: for<'de> Deserialize<'de>>(&self, what: &str) -> Result<Option<T>> {
        self.ctx.kept_json(what)
    }

    /// Keeps `value` as the user's row `what`, sealed with the rest of the store.
    pub(crate) fn keep_json<T: Serialize>(&self, what: &str, value: &T) -> Result<()> {
        self.ctx.keep_json(what, value)
    }

    fn held(&self, kind: CertificateKind) -> Result<Option<Held>> {
        self.kept_json(&row(kind))
    }

    /// The issuer-signed JWT of the certificate of `kind` held here (no disclosure), if any.
    pub(crate) fn issuer_jwt(&self, kind: CertificateKind) -> Result<Option<String>> {
        Ok(self
            .held(kind)?
            .and_then(|h| h.credential.split('~').next().map(str::to_string)))
    }

    fn failed(&self, kind: CertificateKind) -> Result<Option<Failed>> {
        self.kept_json(&failure_row(kind))
    }

    /// Appends to the vault's history. A failure to write it is logged, not returned: what it
    /// records has happened already.
    pub(crate) fn record(&self, happened: Happened) {
        if let Err(e) = (VaultHistory { ctx: &self.ctx }).record(happened) {
            self.ctx
                .log
                .warn("zhelikit::vault", &format!("history not written: {e}"));
        }
    }

    /// Every kind, from the device alone (works offline).
    pub(crate) fn list(&self) -> Result<Vec<Certificate>> {
        let now = now_ms() / 1000;
        let material = self.kept_material();
        CertificateKind::ALL
            .into_iter()
            .map(|kind| self.certificate(kind, now, &material))
            .collect()
    }

    /// The issuers' keys and every issuing department's status list, as kept on the device.
    fn kept_material(&self) -> TrustMaterial {
        let mut departments: Vec<&str> = CertificateKind::ALL
            .iter()
            .map(|k| k.department())
            .collect();
        departments.dedup();
        PhoneVerifier { ctx: &self.ctx }.kept_material(&departments)
    }

    /// What the kept status list says of `held`: revoked, suspended, or `None` (valid, or no
    /// list kept).
    fn revocation(held: &Held, material: &TrustMaterial, now: i64) -> Option<CertificateState> {
        let reference = status_reference(&held.credential)?;
        match material.status(&reference, now) {
            // A list past its time to live still counts: a revocation is not undone by age.
            StatusCheck::Fresh(s) | StatusCheck::Stale(s) => match s {
                TokenStatus::Valid => None,
                TokenStatus::Suspended => Some(CertificateState::Suspended),
                TokenStatus::Invalid | TokenStatus::Other => Some(CertificateState::Revoked),
            },
            StatusCheck::Unavailable => None,
        }
    }

    /// Fetches the status lists of the held certificates' issuers, then lists.
    pub(crate) async fn refresh_status(&self) -> Result<Vec<Certificate>> {
        let mut departments: Vec<&str> = Vec::new();
        for kind in CertificateKind::ALL {
            if self.held(kind)?.is_some() && !departments.contains(&kind.department()) {
                departments.push(kind.department());
            }
        }
        PhoneVerifier { ctx: &self.ctx }
            .refresh(&departments)
            .await?;
        self.list()
    }

    fn certificate(
        &self,
        kind: CertificateKind,
        now: i64,
        material: &TrustMaterial,
    ) -> Result<Certificate> {
        let held = self.held(kind)?;
        let failed = self.failed(kind)?;
        let revoked = held
            .as_ref()
            .and_then(|h| Self::revocation(h, material, now));
        // What the issuer says of the held credential comes first: it decides whether the
        // certificate can be shown at all.
        let state = match (&held, failed, revoked) {
            (_, _, Some(revoked)) => revoked,
            (_, Some(f), None) => CertificateState::PullFailed { reason: f.reason },
            (Some(h), None, None) if now > h.expires_at => CertificateState::Expired,
            (Some(h), None, None) if now > h.refresh_after => CertificateState::Stale,
            (Some(_), None, None) => CertificateState::Available,
            (None, None, None) => CertificateState::NotPulled,
        };
        let values = held
            .as_ref()
            .and_then(|h| disclosable_claims(&h.credential).ok())
            .unwrap_or_default();
        let claims = kind
            .claims()
            .into_iter()
            .filter(|c| c.class != ClaimClass::Raw)
            .filter_map(|c| {
                let value = values.get(c.name)?;
                Some(CertificateClaim {
                    name: c.name.to_string(),
                    label: c.label.to_string(),
                    kind: c.class.into(),
                    value_json: Some(value.to_string()),
                })
            })
            .collect();
        Ok(Certificate {
            kind: kind.as_str().to_string(),
            name: kind.name_zh().to_string(),
            department: kind.department().to_string(),
            state,
            credential_held: held.is_some(),
            expires_at: held.as_ref().map_or(0, |h| h.expires_at),
            refresh_after: held.as_ref().map_or(0, |h| h.refresh_after),
            claims,
        })
    }

    /// Pulls `kind` with a new device key. A department with no record, or one that cannot
    /// answer, leaves the reason for [`Vault::list`] and keeps what was held.
    pub(crate) async fn pull(&self, kind: CertificateKind) -> Result<Certificate> {
        let holder = Sm2PrivateKey::generate();
        let body = PullCertificate {
            holder_key: holder.public_key().to_jwk(),
        };
        let pulled = self
            .ctx
            .post::<_, PulledCertificate>(&paths::vault_certificate(kind.as_str()), &body)
            .await;
        let happened = |outcome: &str| Happened {
            at: now_ms() / 1000,
            event: HistoryEvent::Pulled,
            kind: kind.as_str().into(),
            counterpart: kind.department().into(),
            purpose: None,
            requested: Vec::new(),
            disclosed: Vec::new(),
            outcome: outcome.into(),
        };
        match pulled {
            Ok(p) => {
                self.record(happened("ok"));
                let held = Held {
                    credential: p.credential,
                    holder_pkcs8: holder.to_pkcs8_der(),
                    expires_at: p.expires_at,
                    refresh_after: p.refresh_after,
                };
                self.keep_json(&row(kind), &held)?;
                self.ctx.store.delete(&self.user_row(&failure_row(kind))?)?;
            }
            Err(Error::Problem { problem, .. })
                if matches!(
                    ProblemCode::parse(&problem.code),
                    Some(ProblemCode::CertificateNotHeld | ProblemCode::DepartmentUnavailable)
                ) =>
            {
                self.record(happened(&problem.code));
                let failed = Failed {
                    reason: problem.detail.clone(),
                    at_ms: now_ms(),
                };
                self.keep_json(&failure_row(kind), &failed)?;
            }
            Err(other) => return Err(other),
        }
        self.certificate(kind, now_ms() / 1000, &self.kept_material())
    }

    /// [`Vault::make_presentation`], recorded in the history.
    pub(crate) fn present(
        &self,
        kind: CertificateKind,
        claims: Option<Vec<String>>,
        audience: &str,
        nonce: &str,
    ) -> Result<Presentation> {
        let p = self.make_presentation(kind, claims, audience, nonce)?;
        self.record(Happened {
            at: now_ms() / 1000,
            event: HistoryEvent::Presented,
            kind: kind.as_str().into(),
            counterpart: audience.into(),
            purpose: None,
            requested: p.disclosed.clone(),
            disclosed: p.disclosed.clone(),
            outcome: "ok".into(),
        });
        Ok(p)
    }

    /// A presentation of `kind` disclosing `claims` (default: its masked and predicate
    /// claims) to `audience`, bound by `nonce`, valid for two minutes. Not recorded.
    pub(crate) fn make_presentation(
        &self,
        kind: CertificateKind,
        claims: Option<Vec<String>>,
        audience: &str,
        nonce: &str,
    ) -> Result<Presentation> {
        let held = self.held(kind)?.ok_or_else(|| Error::Input {
            field: "kind",
            reason: format!("no {} is held on this device: pull it first", kind.as_str()),
        })?;
        let now = now_ms() / 1000;
        if now > held.expires_at {
            return Err(Error::Input {
                field: "kind",
                reason: format!("the {} held here expired: pull it again", kind.as_str()),
            });
        }
        if let Some(state) = Self::revocation(&held, &self.kept_material(), now) {
            let what = if state == CertificateState::Suspended {
                "is suspended by its issuer"
            } else {
                "was revoked by its issuer: pull it again"
            };
            return Err(Error::Input {
                field: "kind",
                reason: format!("the {} held here {what}", kind.as_str()),
            });
        }
        let disclose: Vec<String> = match claims {
            Some(c) => c,
            None => kind
                .default_disclosure()
                .iter()
                .map(|c| c.to_string())
                .collect(),
        };
        if let Some(unknown) = disclose.iter().find(|c| kind.claim(c).is_none()) {
            return Err(Error::Input {
                field: "claims",
                reason: format!("{} has no claim {unknown}", kind.as_str()),
            });
        }
        if nonce.is_empty() || audience.is_empty() {
            return Err(Error::Input {
                field: "nonce",
                reason: "a presentation needs an audience and a nonce".into(),
            });
        }
        let holder = Sm2PrivateKey::from_pkcs8_der(&held.holder_pkcs8)
            .map_err(|e| Error::Internal(format!("the stored holder key: {e}")))?;
        let payload = present(
            &held.credential,
            &PresentationRequest {
                disclose: &disclose,
                audience,
                nonce,
                iat: now,
            },
            &holder,
        )
        .map_err(|reason| Error::Input {
            field: "claims",
            reason,
        })?;
        let qr_text = qr::encode(&payload)
            .map_err(|e| Error::Internal(format!("the QR form of a presentation: {e}")))?;
        Ok(Presentation {
            payload,
            qr_text,
            valid_until: now + MAX_PRESENTATION_AGE_SECS,
            disclosed: disclose,
        })
    }

    /// A presentation for a QR shown in person: audience [`IN_PERSON_AUDIENCE`], a fresh
    /// 16-byte nonce (which a verifier refuses to see twice). Not recorded: a code shown is
    /// recorded once, not at each refresh.
    pub(crate) fn present_in_person(
        &self,
        kind: CertificateKind,
        claims: Option<Vec<String>>,
    ) -> Result<Presentation> {
        let nonce: [u8; 16] = rand::random();
        let nonce =
            base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, nonce);
        self.make_presentation(kind, claims, IN_PERSON_AUDIENCE, &nonce)
    }

    /// Shows `kind` as a 亮证 code: the first code, made now (an error here if none can be
    /// made), and the task that gives `listener` a new one every `every` until it is cancelled
    /// or no code can be made (the certificate expired, the person logged out), which
    /// `on_stopped` says.
    pub(crate) fn show_code(
        &self,
        kind: CertificateKind,
        claims: Option<Vec<String>>,
        listener: Arc<dyn CodeListener>,
        every: std::time::Duration,
    ) -> Result<(Presentation, tokio::task::JoinHandle<()>)> {
        let first = self.present_in_person(kind, claims.clone())?;
        self.record(Happened {
            at: now_ms() / 1000,
            event: HistoryEvent::Presented,
            kind: kind.as_str().into(),
            counterpart: IN_PERSON_AUDIENCE.into(),
            purpose: None,
            requested: first.disclosed.clone(),
            disclosed: first.disclosed.clone(),
            outcome: "ok".into(),
        });
        let vault = self.clone();
        let task = self.ctx.runtime.spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let next = vault.present_in_person(kind, claims.clone());
                // The host draws on its own thread; never hold the runtime while it does.
                let l = listener.clone();
                match next {
                    Ok(code) => {
                        let _ = tokio::task::spawn_blocking(move || l.on_code(code)).await;
                    }
                    Err(e) => {
                        let reason = match e {
                            Error::NotLoggedIn => "已退出登录，证照码已停止显示".to_string(),
                            Error::Input { reason, .. } => format!("无法继续出示：{reason}"),
                            other => format!("无法继续出示：{other}"),
                        };
                        let _ = tokio::task::spawn_blocking(move || l.on_stopped(reason)).await;
                        return;
                    }
                }
            }
        })?;
        Ok((first, task))
    }

    /// The value of claim `claim` of `kind`, raw claims included, once `reauth` confirms the
    /// person (the host's biometric prompt). Works offline.
    pub(crate) async fn reveal(
        &self,
        kind: CertificateKind,
        claim: &str,
        reauth: Arc<dyn Reauthenticator>,
    ) -> Result<CertificateClaim> {
        let def = kind.claim(claim).ok_or_else(|| Error::Input {
            field: "claim",
            reason: format!("{} has no claim {claim}", kind.as_str()),
        })?;
        let held = self.held(kind)?.ok_or_else(|| Error::Input {
            field: "kind",
            reason: format!("no {} is held on this device: pull it first", kind.as_str()),
        })?;
        let value = disclosable_claims(&held.credential)
            .ok()
            .and_then(|mut values| values.remove(claim))
            .ok_or_else(|| Error::Input {
                field: "claim",
                reason: format!("the {} held here has no {claim}", kind.as_str()),
            })?;
        if def.class == ClaimClass::Raw {
            let reason = format!("查看{}的{}", kind.name_zh(), def.label);
            let confirmed = tokio::task::spawn_blocking(move || reauth.reauthenticate(reason))
                .await
                .unwrap_or(false);
            let shown = if confirmed {
                vec![claim.to_string()]
            } else {
                Vec::new()
            };
            self.record(Happened {
                at: now_ms() / 1000,
                event: HistoryEvent::Revealed,
                kind: kind.as_str().into(),
                counterpart: "device".into(),
                purpose: None,
                requested: vec![claim.to_string()],
                disclosed: shown,
                outcome: if confirmed { "ok" } else { "cancelled" }.into(),
            });
            if !confirmed {
                return Err(Error::Cancelled);
            }
        }
        Ok(CertificateClaim {
            name: def.name.to_string(),
            label: def.label.to_string(),
            kind: def.class.into(),
            value_json: Some(value.to_string()),
        })
    }
}
