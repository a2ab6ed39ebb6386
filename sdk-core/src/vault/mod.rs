//! 个人数据宝 (the personal data vault): the citizen's e-certificates (电子证照) on the device —
//! pulled from the issuing departments through ZheliKit, each bound to a key made for it on
//! this device, listed offline, and presented (亮证) with only the claims the person chooses.
//!
//! [`VaultClient`] is the exported surface over the inner [`Vault`](inner::Vault).

pub(crate) mod inner;
mod types;

pub(crate) use inner::Vault;
pub use types::{Certificate, CertificateClaim, CertificateState, ClaimKind, Presentation};

use zhelikit_domain::vault::CertificateKind;

use crate::error::{Error, SdkError};

/// The vault of a [`crate::ZheliKitClient`]. Obtain it with `client.vault()`; the session needs
/// scope `vault.read` (a mini-app that declares it, and a citizen).
#[derive(uniffi::Object)]
pub struct VaultClient {
    inner: Vault,
}

impl VaultClient {
    pub(crate) fn new(inner: Vault) -> Self {
        Self { inner }
    }
}

fn kind_of(kind: &str) -> Result<CertificateKind, Error> {
    CertificateKind::parse(kind).ok_or_else(|| Error::Input {
        field: "kind",
        reason: format!("no certificate kind {kind}"),
    })
}

#[uniffi::export]
impl VaultClient {
    /// Every kind of certificate with its state on this device (available, stale, expired,
    /// not pulled, or why the last pull failed) and its masked and predicate claims. From the
    /// device alone: works offline.
    ///
    /// Errors: `NotLoggedIn`, `Storage`.
    pub fn list(&self) -> Result<Vec<Certificate>, SdkError> {
        Ok(self.inner.list()?)
    }

    /// Pulls the certificate of `kind` (`resident_id`, `driving_licence`, …) from its
    /// department, bound to a new key made on this device. When the department has no record
    /// or cannot answer, the certificate comes back in state `PullFailed` with the reason,
    /// and what was held before stays.
    ///
    /// Errors: `InvalidInput` (kind), `NotLoggedIn`, `SessionExpired`, `ForbiddenScope`
    /// (`vault.read`), `Offline`, `Storage`.
    pub async fn pull(&self, kind: String) -> Result<Certificate, SdkError> {
        let kind = kind_of(&kind)?;
        let inner = self.inner.clone();
        self.inner
            .context()
            .run(async move { inner.pull(kind).await })
            .await
    }

    /// A presentation of the certificate of `kind` for `audience` (a verifier's id, or
    /// `zhelikit:in-person` for a QR shown in person), bound by `nonce`: `claims` names what it
    /// discloses (`None`: the masked and predicate claims). Valid two minutes; show a new one
    /// before `valid_until`. Works offline.
    ///
    /// Errors: `InvalidInput` (no such kind, claim, none held, expired, empty nonce),
    /// `NotLoggedIn`, `Storage`.
    pub fn present(
        &self,
        kind: String,
        claims: Option<Vec<String>>,
        audience: String,
        nonce: String,
    ) -> Result<Presentation, SdkError> {
        let kind = kind_of(&kind)?;
        Ok(self.inner.present(kind, claims, &audience, &nonce)?)
    }
}
