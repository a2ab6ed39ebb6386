//! 个人数据宝 (the personal data vault): the citizen's e-certificates (电子证照) on the device —
//! pulled from the issuing departments through ZheliKit, each bound to a key made for it on
//! this device, listed offline, and presented (亮证) with only the claims the person chooses.
//!
//! [`VaultClient`] is the exported surface over the inner [`Vault`](inner::Vault).

pub(crate) mod consent;
pub(crate) mod correction;
mod history;
pub(crate) mod inner;
pub(crate) mod objection;
mod share;
mod types;
mod verifier;

pub use consent::{ConsentClaim, ConsentItem, ConsentView};
pub use correction::{CorrectionView, DisputeInput, EvidenceFile};
pub use history::{History, HistoryItem};
pub(crate) use inner::Vault;
pub use objection::{ActivityItem, ObjectionView};
pub use share::{
    MadeRequest, RequestStatus, RequestedClaim, ShareApproval, ShareApprover, ShareDecision,
    ShareOutcome,
};
pub use types::{
    Certificate, CertificateClaim, CertificateState, CheckedClaim, ClaimKind, Presentation,
    Verification,
};
pub(crate) use verifier::Replays;

use std::sync::Arc;

use zhelikit_domain::vault::sd_jwt::MAX_PRESENTATION_AGE_SECS;
use zhelikit_domain::vault::CertificateKind;

use crate::error::{Error, SdkError};
use crate::host::{CodeListener, Reauthenticator};
use crate::task::TaskHandle;

/// How often a code on screen is replaced: half its validity, so the one shown always has a
/// minute left for the officer to scan.
pub(crate) const CODE_REFRESH: std::time::Duration =
    std::time::Duration::from_secs(MAX_PRESENTATION_AGE_SECS as u64 / 2);

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

    /// [`VaultClient::show_code`] with a new code every `every` (tests shorten the minute).
    pub(crate) fn show_code_every(
        &self,
        kind: String,
        claims: Option<Vec<String>>,
        listener: Arc<dyn CodeListener>,
        every: std::time::Duration,
    ) -> Result<Arc<TaskHandle>, SdkError> {
        let kind = kind_of(&kind)?;
        let (first, task) = self
            .inner
            .show_code(kind, claims, listener.clone(), every)?;
        let handle = Arc::new(TaskHandle::new(task));
        listener.on_code(first);
        Ok(handle)
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

    /// The vault's history on this device — every pull, presentation, raw value shown and share
    /// answer, with its counterpart, purpose, the claims asked for and shown (names, never
    /// values) and its outcome — with whether its SM3 chain is whole. Works offline.
    ///
    /// Errors: `NotLoggedIn`, `Storage`.
    pub fn history(&self) -> Result<History, SdkError> {
        Ok(history::VaultHistory {
            ctx: self.inner.context(),
        }
        .history()?)
    }

    /// The history as JSON with its hashes, for the person to keep or attach to a complaint;
    /// anyone can check the chain. Works offline.
    ///
    /// Errors: `NotLoggedIn`, `Storage`.
    pub fn export_history(&self) -> Result<String, SdkError> {
        Ok(history::VaultHistory {
            ctx: self.inner.context(),
        }
        .export()?)
    }

    /// Fetches the status lists of the issuers of the certificates held here (and their keys,
    /// when old), keeps them, and lists as [`VaultClient::list`] does: a certificate its
    /// issuer revoked or suspended shows as `Revoked` / `Suspended` from then on, offline too.
    /// A department that cannot be reached leaves what was kept.
    ///
    /// Errors: `NotLoggedIn`, `SessionExpired`, `Offline` (nothing kept yet), `Storage`.
    pub async fn refresh_status(&self) -> Result<Vec<Certificate>, SdkError> {
        let inner = self.inner.clone();
        self.inner
            .context()
            .run(async move { inner.refresh_status().await })
            .await
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

    /// Shows the certificate of `kind` as a 亮证 code, in person: `listener` gets a code
    /// before this returns and a new one every minute (each valid two minutes, each with a fresh nonce, so a
    /// photo of the screen is refused once the code it shows is used or old) until the handle
    /// is cancelled or dropped. `claims` as in [`VaultClient::present`]. Works offline.
    ///
    /// Errors: as [`VaultClient::present`].
    pub fn show_code(
        &self,
        kind: String,
        claims: Option<Vec<String>>,
        listener: Arc<dyn CodeListener>,
    ) -> Result<Arc<TaskHandle>, SdkError> {
        self.show_code_every(kind, claims, listener, CODE_REFRESH)
    }

    /// The value of claim `claim` of the certificate of `kind`. A raw claim (the full ID
    /// number, the address …) is shown only after `reauth` confirms the person; masked and
    /// predicate claims need no confirmation. Works offline.
    ///
    /// Errors: `InvalidInput` (no such kind or claim, none held), `Cancelled` (the person did
    /// not confirm), `NotLoggedIn`, `Storage`.
    pub async fn reveal(
        &self,
        kind: String,
        claim: String,
        reauth: Arc<dyn Reauthenticator>,
    ) -> Result<CertificateClaim, SdkError> {
        let kind = kind_of(&kind)?;
        let inner = self.inner.clone();
        self.inner
            .context()
            .run(async move { inner.reveal(kind, &claim, reauth).await })
            .await
    }

    /// Checks a certificate someone shows (the text of a scanned 亮证 code, or an SD-JWT
    /// presentation made in person): the issuer's signature against the department's
    /// published key, every disclosure, expiry, that the person showing holds it (the key
    /// binding, at most two minutes old), that the code was not shown here before, and the
    /// issuer's status list. The keys and lists are kept on the phone, so a check works
    /// offline; a status list past its time to live is reported (`status` `stale`), never taken
    /// as valid. A refusal is an answer (`accepted: false`, with its reason), not an error.
    ///
    /// Errors: `InvalidInput` (empty text), `NotLoggedIn`, `SessionExpired`, `Storage`.
    pub async fn verify(&self, text: String) -> Result<Verification, SdkError> {
        let ctx = self.inner.context().clone();
        self.inner
            .context()
            .run(async move { verify_on_phone(&ctx, &text).await })
            .await
    }
    /// Answers a verifier's online request `request_id` (from its QR or link): `approver` shows
    /// the person who asks, why and for what — claims the verifier is not registered to ask
    /// for marked as over-asking — and answers their decision. Over-asking is refused unless
    /// the person chose [`ShareDecision::ShareIncludingOverAsked`]. The verifier is told the
    /// outcome either way.
    ///
    /// Errors: `InvalidInput` (bad id, expired, the certificate not held), `NotLoggedIn`,
    /// `SessionExpired`, `ForbiddenScope` (`vault.read`), `Offline`, `Storage`; a request
    /// answered or gone is a `Server` problem `share_request_not_found`.
    pub async fn answer_request(
        &self,
        request_id: String,
        approver: Arc<dyn ShareApprover>,
    ) -> Result<ShareOutcome, SdkError> {
        let inner = self.inner.clone();
        self.inner
            .context()
            .run(async move { share::answer(&inner, &request_id, approver).await })
            .await
    }

    /// For a verifier app (scope `vault.verify`, registered as a verifier): asks a holder for
    /// `claims` of the certificate of `kind`, for `purpose` (one of the registered purposes).
    /// Show the returned id to the holder (a QR, a link); then poll [`VaultClient::request_status`].
    ///
    /// Errors: `InvalidInput` (kind, claims, purpose), `ForbiddenScope`, `NotLoggedIn`,
    /// `Offline`; a mini-app not registered as a verifier is a `Server` problem
    /// `verifier_not_registered`.
    pub async fn request_share(
        &self,
        kind: String,
        claims: Vec<String>,
        purpose: String,
    ) -> Result<MadeRequest, SdkError> {
        let kind = kind_of(&kind)?;
        let ctx = self.inner.context().clone();
        self.inner
            .context()
            .run(async move { share::request(&ctx, kind, claims, purpose).await })
            .await
    }

    /// For the verifier that made request `request_id`: pending, answered (with the check of
    /// the presentation) or declined (with why: `declined`, `over_asked`).
    ///
    /// Errors: `ForbiddenScope`, `NotLoggedIn`, `Offline`; an unknown or expired request is a
    /// `Server` problem `share_request_not_found`.
    pub async fn request_status(&self, request_id: String) -> Result<RequestStatus, SdkError> {
        let ctx = self.inner.context().clone();
        self.inner
            .context()
            .run(async move { share::result(&ctx, &request_id).await })
            .await
    }

    /// A data consumer's consent request `consent_id` (from the bank's QR or link), as the
    /// person should read it before deciding: who asks, why, which claims of which
    /// certificates (raw values, masked values or yes/no facts), the window, how often, and
    /// how long the consumer keeps the data.
    ///
    /// Errors: `InvalidInput` (a malformed id), `NotLoggedIn`, `Offline`; an unknown, expired
    /// or answered request is a `Server` problem `consent_request_not_found`.
    pub async fn consent_request(&self, consent_id: String) -> Result<ConsentView, SdkError> {
        let ctx = self.inner.context().clone();
        self.inner
            .context()
            .run(async move { consent::request(&ctx, &consent_id).await })
            .await
    }

    /// Approves (`approve`) or declines consent request `consent_id`. Approving asks
    /// `reauth` to confirm the person first, then signs the approval on this device with the
    /// key of the request's first certificate (which must be held here). The consent when
    /// approved; none when declined. Either is recorded in the history.
    ///
    /// Errors: `Cancelled` (the person did not confirm), `InvalidInput` (id; the certificate
    /// not held, expired or revoked), `NotLoggedIn`, `Offline`; a `Server` problem
    /// `consent_request_not_found` or `consent_approval_invalid`.
    pub async fn answer_consent(
        &self,
        consent_id: String,
        approve: bool,
        reauth: Arc<dyn Reauthenticator>,
    ) -> Result<Option<ConsentView>, SdkError> {
        let inner = self.inner.clone();
        self.inner
            .context()
            .run(async move { consent::answer(&inner, &consent_id, approve, reauth).await })
            .await
    }

    /// The consents this person gave, newest first, each with its status and use count.
    ///
    /// Errors: `NotLoggedIn`, `SessionExpired`, `Offline`.
    pub async fn consents(&self) -> Result<Vec<ConsentView>, SdkError> {
        let ctx = self.inner.context().clone();
        self.inner
            .context()
            .run(async move { consent::list(&ctx).await })
            .await
    }

    /// Pauses (`pause`), resumes (`resume`) or revokes (`revoke`) consent `consent_id`. It
    /// takes effect at once: the consumer's next fetch is refused (or allowed again), and the
    /// consumer is notified. Recorded in the history.
    ///
    /// Errors: `InvalidInput` (id, action), `NotLoggedIn`, `Offline`; a `Server` problem
    /// `consent_not_found`, `consent_not_yours` or `consent_status_conflict` (a revoked or
    /// expired consent is final).
    pub async fn change_consent(
        &self,
        consent_id: String,
        action: String,
    ) -> Result<ConsentView, SdkError> {
        let inner = self.inner.clone();
        self.inner
            .context()
            .run(async move { consent::change(&inner, &consent_id, &action).await })
            .await
    }

    /// Disputes a claim of the certificate of `input.kind` held here (数据纠错): the value it
    /// should have, why, and evidence go to the department that issued it (and stay on this
    /// device; ZheliKit keeps only their digest). The correction, `SUBMITTED`. Retrying the
    /// same dispute after a failure files it once.
    ///
    /// Errors: `InvalidInput` (kind, none held, claim not a raw claim of the kind, value,
    /// reason, evidence type or size), `NotLoggedIn`, `SessionExpired`, `Offline`, `Storage`;
    /// a `Server` problem `department_unavailable` or `certificate_not_held`.
    pub async fn dispute(&self, input: DisputeInput) -> Result<CorrectionView, SdkError> {
        let inner = self.inner.clone();
        self.inner
            .context()
            .run(async move { correction::dispute(&inner, input).await })
            .await
    }

    /// Complains (`kind` `complaint`) about the history entry `entry_seq` or consent
    /// `consent_id`, or asks the consumer of consent `consent_id` to delete what it received
    /// under it (`deletion`: sent to the consumer at once, retried until it takes it). `message`
    /// says what happened (2–500 characters). The same objection sent again is the same one.
    ///
    /// Errors: `InvalidInput` (kind, entry_seq not in the history, message, a deletion without
    /// a consent), `NotLoggedIn`, `Offline`; a `Server` problem `consent_not_found` or
    /// `consent_not_yours`.
    pub async fn raise_objection(
        &self,
        kind: String,
        consent_id: Option<String>,
        entry_seq: Option<u64>,
        message: String,
    ) -> Result<ObjectionView, SdkError> {
        let ctx = self.inner.context().clone();
        self.inner
            .context()
            .run(async move { objection::raise(&ctx, &kind, consent_id, entry_seq, message).await })
            .await
    }

    /// The person's complaints and deletion requests, newest first, with where each stands.
    ///
    /// Errors: `NotLoggedIn`, `SessionExpired`, `Offline`.
    pub async fn objections(&self) -> Result<Vec<ObjectionView>, SdkError> {
        let ctx = self.inner.context().clone();
        self.inner
            .context()
            .run(async move { objection::list(&ctx).await })
            .await
    }

    /// The platform's side of the history: what happened at ZheliKit's server about this person
    /// with no device involved — a bank's fetches and consent changes, a department's decisions
    /// on corrections — newest first; kinds and names, never values.
    ///
    /// Errors: `NotLoggedIn`, `SessionExpired`, `Offline`.
    pub async fn server_activity(&self) -> Result<Vec<ActivityItem>, SdkError> {
        let ctx = self.inner.context().clone();
        self.inner
            .context()
            .run(async move { objection::activity(&ctx).await })
            .await
    }

    /// The person's corrections, newest first, with where each stands. One the department
    /// accepted has its corrected certificate pulled now (it becomes `REISSUED`; the old one
    /// is revoked); each whose status changed since the last call is marked `changed` — tell
    /// the person — and written to the history. Offline: the last ones seen.
    ///
    /// Errors: `NotLoggedIn`, `SessionExpired`, `Storage`.
    pub async fn corrections(&self) -> Result<Vec<CorrectionView>, SdkError> {
        let inner = self.inner.clone();
        self.inner
            .context()
            .run(async move { correction::corrections(&inner).await })
            .await
    }
}

/// [`VaultClient::export_history`], for the bridge.
pub(crate) fn export_history_of(
    ctx: &Arc<crate::context::Context>,
) -> crate::error::Result<String> {
    history::VaultHistory { ctx }.export()
}

/// [`VaultClient::history`], for the bridge.
pub(crate) fn history_of(ctx: &Arc<crate::context::Context>) -> crate::error::Result<History> {
    history::VaultHistory { ctx }.history()
}

/// [`VaultClient::answer_request`], for the bridge.
pub(crate) async fn answer_request(
    vault: &Vault,
    request_id: &str,
    approver: Arc<dyn ShareApprover>,
) -> crate::error::Result<ShareOutcome> {
    share::answer(vault, request_id, approver).await
}

/// [`VaultClient::request_share`], for the bridge.
pub(crate) async fn request_share(
    ctx: &crate::context::Context,
    kind: CertificateKind,
    claims: Vec<String>,
    purpose: String,
) -> crate::error::Result<MadeRequest> {
    share::request(ctx, kind, claims, purpose).await
}

/// [`VaultClient::request_status`], for the bridge.
pub(crate) async fn request_status(
    ctx: &crate::context::Context,
    request_id: &str,
) -> crate::error::Result<RequestStatus> {
    share::result(ctx, request_id).await
}

/// [`VaultClient::verify`], for the bridge too: the phone's verifier with the client's replay
/// guard.
pub(crate) async fn verify_on_phone(
    ctx: &Arc<crate::context::Context>,
    text: &str,
) -> crate::error::Result<Verification> {
    verifier::PhoneVerifier { ctx }
        .verify(text, &ctx.vault_replays)
        .await
}
