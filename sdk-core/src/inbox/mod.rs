//! 惠企政策直通车's inbox on the device (消息中心): every policy pushed to the enterprise, kept
//! sealed on the device and synced by cursor. The inbox is the truth; a push notification is
//! only a nudge to [`InboxClient::sync`], so a phone without any push channel still gets every
//! message on its next sync.
//!
//! [`InboxClient`] is the exported surface over the inner [`Inbox`](inner::Inbox).

pub(crate) mod inner;
mod types;

pub(crate) use inner::{Inbox, Mark};
pub(crate) use types::reason;
pub use types::{DeepLink, DevicePlatform, InboxMessage, InboxSync, PolicyReason, PushChannel};

use crate::error::SdkError;

/// The enterprise's inbox. Obtain it with `client.inbox()`; the session must be a legal
/// person's (浙里办 法人) in a mini-app with scope `policy.read`.
#[derive(uniffi::Object)]
pub struct InboxClient {
    inner: Inbox,
}

impl InboxClient {
    pub(crate) fn new(inner: Inbox) -> Self {
        Self { inner }
    }
}

#[uniffi::export]
impl InboxClient {
    /// Registers this device's push token on `channel` (FCM, APNs or HMS), so new messages
    /// are nudged to it; call again whenever the channel's SDK hands the app a new token.
    ///
    /// Errors: `InvalidInput` (`token`, or `channel` for a platform it does not serve),
    /// `NotLoggedIn`, `ForbiddenScope` (needs `policy.read`), `Offline`.
    pub async fn register_push_token(
        &self,
        channel: PushChannel,
        platform: DevicePlatform,
        token: String,
    ) -> Result<(), SdkError> {
        let inner = self.inner.clone();
        self.inner
            .context()
            .run(async move { inner.register(channel, platform, token).await })
            .await
    }

    /// Unregisters this device's push token (push turned off, or before logging out). The
    /// inbox still syncs.
    pub async fn unregister_push_token(&self) -> Result<(), SdkError> {
        let inner = self.inner.clone();
        self.inner
            .context()
            .run(async move { inner.unregister().await })
            .await
    }

    /// Syncs: sends the reads and opens made offline, then fetches every message after the
    /// last one kept, and keeps them sealed on the device. Offline, answers with the messages
    /// kept (`offline = true`) — never an error for being offline.
    ///
    /// Errors: `NotLoggedIn`, `SessionExpired`, `ForbiddenScope` (needs `policy.read`).
    pub async fn sync(&self) -> Result<InboxSync, SdkError> {
        let inner = self.inner.clone();
        self.inner
            .context()
            .run(async move { inner.sync().await })
            .await
    }

    /// The messages kept on this device, newest first, without the network.
    pub fn messages(&self) -> Result<Vec<InboxMessage>, SdkError> {
        Ok(self.inner.messages()?)
    }

    /// Marks a message read, here at once and at ZheliKit now (offline: with the next sync).
    ///
    /// Errors: `InvalidInput` (`message_id`: not on this device; sync first).
    pub async fn mark_read(&self, message_id: String) -> Result<InboxMessage, SdkError> {
        let inner = self.inner.clone();
        self.inner
            .context()
            .run(async move { inner.mark(&message_id, Mark::Read).await })
            .await
    }

    /// Reports that the person opened a message (from a notification or the list; opening
    /// reads it too) and returns it: open its `deep_link` — the mini-app and page to show.
    ///
    /// Errors: `InvalidInput` (`message_id`: not on this device; sync first).
    pub async fn open(&self, message_id: String) -> Result<InboxMessage, SdkError> {
        let inner = self.inner.clone();
        self.inner
            .context()
            .run(async move { inner.mark(&message_id, Mark::Opened).await })
            .await
    }

    /// Reports that the person started the policy's claim from this message (申报: before
    /// opening the claim link) and returns it; claiming opens it too. Counted for the
    /// department's statistics; offline, told with the next sync.
    ///
    /// Errors: `InvalidInput` (`message_id`: not on this device, or its policy was withdrawn).
    pub async fn claim(&self, message_id: String) -> Result<InboxMessage, SdkError> {
        let inner = self.inner.clone();
        self.inner
            .context()
            .run(async move { inner.mark(&message_id, Mark::Claimed).await })
            .await
    }

    /// Why this message was sent to the enterprise (“为什么推送给我”): each condition of the
    /// policy and how the enterprise meets it, from the device's copy.
    pub fn why(&self, message_id: String) -> Result<Vec<PolicyReason>, SdkError> {
        Ok(self.inner.why(&message_id)?)
    }
}
