//! The screens' inner API over the [`Context`]: the home screen, kept sealed on the device so
//! the last one can be shown offline.

use std::sync::Arc;

use zhelikit_domain::{api, paths};

use crate::context::{now_ms, Cached, Context};
use crate::error::Result;
use crate::screens::types::{from_wire, HomeScreen};

/// The screens of one client.
#[derive(Clone)]
pub(crate) struct Screens {
    ctx: Arc<Context>,
}

impl Screens {
    pub(crate) fn new(ctx: Arc<Context>) -> Self {
        Self { ctx }
    }

    pub(crate) fn context(&self) -> &Arc<Context> {
        &self.ctx
    }

    /// The home screen; offline, the last one kept, every section stale by its age.
    pub(crate) async fn home(&self) -> Result<HomeScreen> {
        let (wire, offline_age) = self.home_wire().await?;
        Ok(from_wire(wire, offline_age))
    }

    /// The home screen as the BFF sent it, and, when it is the copy kept on the device because
    /// ZheliKit could not be reached, its age in seconds (counted from when ZheliKit assembled
    /// it, not from when it was kept).
    pub(crate) async fn home_wire(&self) -> Result<(api::HomeScreen, Option<u64>)> {
        let fetched = self
            .ctx
            .cached("home", || self.ctx.get::<api::HomeScreen>(paths::HOME))
            .await?;
        Ok(match fetched {
            Cached::Fresh(wire) => (wire, None),
            Cached::Offline(wire) => {
                let age_ms = (now_ms() - wire.generated_at_ms).max(0);
                let age = u64::try_from(age_ms / 1000).unwrap_or(0);
                (wire, Some(age))
            }
        })
    }
}
