//! 一表通 · 一件事 on the device: the forms a person may fill (kept for offline use), drafts
//! kept sealed and checked as the person types by the same engine the BFF runs, and an outbox
//! that delivers each finalized submission to ZheliKit exactly once — offline, killed
//! mid-send, or answered twice notwithstanding — and where each application stands at every
//! department it reaches.
//!
//! [`FormsClient`] is the exported surface over the inner [`Forms`](inner::Forms).

pub(crate) mod inner;
mod types;

pub(crate) use inner::Forms;
pub use types::{
    Draft, FieldProblem, FilledField, FormInfo, FormPrefill, FormView, OutboxState, OutboxSync,
    Outgoing, PartInfo, SubmissionInfo, UnfilledSource,
};

use crate::error::SdkError;

/// Forms to fill and submit. Obtain it with `client.forms()`; the session must be a citizen's
/// or a legal person's in a mini-app with scope `forms.submit`.
///
/// A page's life: [`Self::open`] the form (online once; then it works offline) and
/// [`Self::prefill`] it (一表通: what the government's records and the person's last
/// submission fill), [`Self::new_draft`] (filled from that), [`Self::save_draft`] or
/// [`Self::update_draft`] on every change (show each draft's `problems`
/// by its field), [`Self::finalize`] when there are none, and [`Self::sync`] whenever the
/// network comes back (the host's network monitor says so) — finalize tries at once.
#[derive(uniffi::Object)]
pub struct FormsClient {
    inner: Forms,
}

impl FormsClient {
    pub(crate) fn new(inner: Forms) -> Self {
        Self { inner }
    }
}

#[uniffi::export]
impl FormsClient {
    /// The forms the person may fill; offline, the list kept from the last time.
    ///
    /// Errors: `NotLoggedIn`, `ForbiddenScope` (needs `forms.submit`), `Offline` (and nothing
    /// kept).
    pub async fn catalogue(&self) -> Result<Vec<FormInfo>, SdkError> {
        let inner = self.inner.clone();
        self.inner
            .context()
            .run(async move { inner.catalogue().await })
            .await
    }

    /// The form's open version, kept on the device so drafts of it work offline; offline,
    /// the version kept (`offline = true`).
    ///
    /// Errors: `Server` `form_not_found`, `Offline` (and never opened on this device).
    pub async fn open(&self, form_id: String) -> Result<FormView, SdkError> {
        let inner = self.inner.clone();
        self.inner
            .context()
            .run(async move { inner.open(&form_id).await })
            .await
    }

    /// What 一表通 fills of the form's open version for the person: government-verified
    /// answers from the departments' records (read-only while a department gives them), the
    /// person's last submission of the form, and for each source that gave nothing (a
    /// department down, no record) why. Kept on the device: [`Self::new_draft`] starts from
    /// it, offline too. Offline, the one kept (`offline = true`).
    ///
    /// Errors: `Server` `form_not_found`, `Offline` (and never filled on this device).
    pub async fn prefill(&self, form_id: String) -> Result<FormPrefill, SdkError> {
        let inner = self.inner.clone();
        self.inner
            .context()
            .run(async move { inner.prefill(&form_id).await })
            .await
    }

    /// A new draft of the form (opened before on this device), with its defaults, filled from
    /// the kept [`Self::prefill`] of that version if there is one (`filled` says from where).
    /// Works offline.
    ///
    /// Errors: `InvalidInput` (`form_id`: never opened here).
    pub fn new_draft(&self, form_id: String) -> Result<Draft, SdkError> {
        Ok(self.inner.new_draft(&form_id, None, None)?)
    }

    /// Saves the draft's answers (call on every change: nothing typed is lost if the app is
    /// killed) and gives every problem they have now, by field path.
    ///
    /// Errors: `InvalidInput` (`draft_id`, or `answers_json` not a JSON object).
    pub async fn save_draft(
        &self,
        draft_id: String,
        answers_json: String,
    ) -> Result<Draft, SdkError> {
        let inner = self.inner.clone();
        self.inner
            .context()
            .run(async move { inner.save(&draft_id, &answers_json).await })
            .await
    }

    /// Saves the answers `changes_json` names over the draft's (`null` clears one) and gives
    /// every problem the draft has now: what a page calls as the person changes one field.
    ///
    /// Errors: `InvalidInput` (`draft_id`, or `changes_json` not a JSON object).
    pub async fn update_draft(
        &self,
        draft_id: String,
        changes_json: String,
    ) -> Result<Draft, SdkError> {
        let inner = self.inner.clone();
        self.inner
            .context()
            .run(async move { inner.update(&draft_id, &changes_json).await })
            .await
    }

    /// A draft, moved to the form's newer version when one has been opened since it was
    /// begun: answers kept by field name, those the new version no longer asks listed in
    /// `dropped_fields` (tell the person).
    ///
    /// Errors: `InvalidInput` (`draft_id`: none such, or finalized).
    pub async fn draft(&self, draft_id: String) -> Result<Draft, SdkError> {
        let inner = self.inner.clone();
        self.inner
            .context()
            .run(async move { inner.draft(&draft_id).await })
            .await
    }

    /// Every draft on this device, newest first.
    pub async fn drafts(&self) -> Result<Vec<Draft>, SdkError> {
        let inner = self.inner.clone();
        self.inner
            .context()
            .run(async move { inner.drafts().await })
            .await
    }

    /// Deletes a draft.
    pub fn discard_draft(&self, draft_id: String) -> Result<(), SdkError> {
        Ok(self.inner.discard(&draft_id)?)
    }

    /// Finalizes the draft — immutable from now on, with an instance id and its place in the
    /// outbox — and tries to send it at once (offline, it waits for [`Self::sync`]).
    /// Finalizing the same draft again gives the same submission, never a second one.
    ///
    /// Errors: `InvalidInput` (`answers`: problems remain — see the draft's `problems`;
    /// `draft_id`).
    pub async fn finalize(&self, draft_id: String) -> Result<Outgoing, SdkError> {
        let inner = self.inner.clone();
        self.inner
            .context()
            .run(async move { inner.finalize_and_send(&draft_id).await })
            .await
    }

    /// Sends every queued submission, in order; ZheliKit applies each once, however often it
    /// is sent. Call when the network comes back and when the app starts.
    ///
    /// Errors: `NotLoggedIn`, `SessionExpired` (log in again; nothing is lost).
    pub async fn sync(&self) -> Result<OutboxSync, SdkError> {
        let inner = self.inner.clone();
        self.inner
            .context()
            .run(async move { inner.sync().await })
            .await
    }

    /// The outbox: every submission finalized on this device and where it is.
    pub fn outbox(&self) -> Result<Vec<Outgoing>, SdkError> {
        Ok(self.inner.items()?)
    }

    /// The person's submissions and where each department's part stands; offline, the list
    /// kept.
    pub async fn submissions(&self) -> Result<Vec<SubmissionInfo>, SdkError> {
        let inner = self.inner.clone();
        self.inner
            .context()
            .run(async move { inner.submissions().await })
            .await
    }

    /// A new draft correcting a submission sent from this device (a department sent its part
    /// back): its answers, on the form's open version; finalized, it supersedes the original,
    /// and only the parts that changed go to their departments again.
    ///
    /// Errors: `InvalidInput` (`instance_id`: not sent from this device).
    pub fn correct(&self, instance_id: String) -> Result<Draft, SdkError> {
        Ok(self.inner.correct(&instance_id)?)
    }
}
