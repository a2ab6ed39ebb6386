//! Screens assembled by the BFF from several departments (打通信息孤岛): today the home screen.
//!
//! [`ScreensClient`] is the exported surface over the inner [`Screens`](inner::Screens).

pub(crate) mod inner;
pub mod records;
mod types;

pub(crate) use inner::Screens;
pub use types::{HomeScreen, HomeSection, SectionStatus};

use crate::error::SdkError;

/// The screens of a [`crate::ZheliKitClient`]. Obtain it with `client.screens()`.
#[derive(uniffi::Object)]
pub struct ScreensClient {
    inner: Screens,
}

impl ScreensClient {
    pub(crate) fn new(inner: Screens) -> Self {
        Self { inner }
    }
}

#[uniffi::export]
impl ScreensClient {
    /// The home screen: one section per department record (户籍, 社保, 驾驶证 … for citizens;
    /// 营业执照, 信用, 社保 for enterprises), each fresh, stale or unavailable. A slow or dead
    /// department costs its section, not the screen. The last screen is kept sealed on the
    /// device: offline, it is returned with `offline = true` and every section stale.
    ///
    /// Errors: `NotLoggedIn`, `SessionExpired`, `ForbiddenScope` (needs `profile`), and
    /// `Offline` only when offline with no screen kept yet.
    pub async fn home(&self) -> Result<HomeScreen, SdkError> {
        let inner = self.inner.clone();
        self.inner
            .context()
            .run(async move { inner.home().await })
            .await
    }
}
