//! Analytics (`ZwLog` 埋点): the page views and events a mini-app reports through the bridge
//! (`ZwLog.sendPV`, `ZwLog.record`, i.e. `monitorTrace`), masked on the device, kept in the
//! encrypted store and sent to ZheliKit in batches, each counted once.
//!
//! [`AnalyticsClient`] is the exported surface over the inner [`Analytics`](inner::Analytics).
//! Recording happens in the bridge; the host only decides when to send early, e.g. when the
//! app goes to the background.

pub(crate) mod inner;

pub(crate) use inner::{Analytics, QueueLocks};

use crate::error::SdkError;

/// What [`AnalyticsClient::flush`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct FlushReport {
    /// Events ZheliKit counted now.
    pub counted: u64,
    /// Events still waiting on the device (offline, or no one logged in yet); they go with
    /// the next flush.
    pub pending: u64,
    /// Events given up because ZheliKit refused them as invalid.
    pub dropped: u64,
}

/// The analytics of a [`crate::ZheliKitClient`]. Obtain it with `client.analytics()`.
///
/// Events are sent on their own once 20 wait or the oldest is a minute old (and whenever the
/// network comes back to a mini-app's bridge); call [`AnalyticsClient::flush`] when the app goes
/// to the background so nothing waits for the next launch.
#[derive(uniffi::Object)]
pub struct AnalyticsClient {
    inner: Analytics,
}

impl AnalyticsClient {
    pub(crate) fn new(inner: Analytics) -> Self {
        Self { inner }
    }
}

#[uniffi::export]
impl AnalyticsClient {
    /// Sends every waiting event now. Offline or logged out, the events stay on the device and
    /// the report says how many wait; this is not an error.
    ///
    /// Errors: `SessionExpired` (the events wait for the next login), `Storage`.
    pub async fn flush(&self) -> Result<FlushReport, SdkError> {
        let inner = self.inner.clone();
        let flushed = self
            .inner
            .context()
            .run(async move { inner.flush().await })
            .await?;
        Ok(FlushReport {
            counted: flushed.counted,
            pending: flushed.pending,
            dropped: flushed.dropped,
        })
    }

    /// How many events wait on the device.
    ///
    /// Errors: `Storage`.
    pub fn pending(&self) -> Result<u64, SdkError> {
        Ok(self.inner.pending()?)
    }
}
