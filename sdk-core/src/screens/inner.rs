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
        let fetched = self
            .ctx
            .cached("home", || self.ctx.get::<api::HomeScreen>(paths::HOME))
            .await?;
        Ok(match fetched {
            Cached::Fresh(wire) => from_wire(wire, None),
            Cached::Offline(value) => {
                // Aged from when ZheliKit assembled it, not from when it was kept.
                let age_ms = (now_ms() - value.generated_at_ms).max(0);
                from_wire(value, Some(u64::try_from(age_ms / 1000).unwrap_or(0)))
            }
        })
    }
}
