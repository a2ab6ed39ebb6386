//! The organisation tree, read from 浙政钉 and kept for a while ([`SupervisionSettings::org_ttl`]):
//! roles are checked on every request, and reading the tree is a hundred calls. One reading
//! at a time (others wait for it); when 浙政钉 does not answer, the last reading is used and
//! the failure logged, and only without any reading is the request refused.
//!
//! [`SupervisionSettings::org_ttl`]: crate::config::SupervisionSettings::org_ttl

use std::sync::Arc;
use std::time::Instant;

use axum::http::StatusCode;
use platform_api::registration::AppRegistration;
use zhelikit_domain::lang::Text;
use zhelikit_domain::problem_code::ProblemCode;
use zhelikit_domain::supervision::Org;

use super::zzd::{Snapshot, ZzdWork};
use crate::app::App;
use crate::http::problem::ApiError;

/// 政务督查's view of 浙政钉: its client and the last reading of the tree.
pub struct Directory {
    zzd: Arc<dyn ZzdWork>,
    last: tokio::sync::Mutex<Option<(Arc<Org>, Instant)>>,
}

impl Directory {
    /// Reads through `zzd`.
    pub fn new(zzd: Arc<dyn ZzdWork>) -> Self {
        Self {
            zzd,
            last: tokio::sync::Mutex::new(None),
        }
    }

    /// The client.
    pub fn zzd(&self) -> &dyn ZzdWork {
        self.zzd.as_ref()
    }

    /// The tree, read as `mini_app` when it must be read again.
    pub async fn org(&self, app: &App, mini_app: &str) -> Result<Arc<Org>, ApiError> {
        // Held while reading: concurrent requests wait for one reading instead of each making
        // a hundred calls.
        let mut last = self.last.lock().await;
        if let Some((org, at)) = last.as_ref() {
            if at.elapsed() < app.config.supervision.org_ttl {
                return Ok(org.clone());
            }
        }
        let registration = registration(app, mini_app)?;
        let read = self
            .zzd
            .org_tree(registration, app.config.supervision.tenant_id)
            .await
            .map_err(|e| e.to_string())
            .and_then(|snapshot| build(snapshot, app.config.supervision.office.as_deref()));
        match read {
            Ok(org) => {
                let org = Arc::new(org);
                *last = Some((org.clone(), Instant::now()));
                Ok(org)
            }
            Err(e) => match last.as_ref() {
                Some((org, _)) => {
                    tracing::warn!(error = %e, "organisation tree not read again; the last reading is used");
                    Ok(org.clone())
                }
                None => Err(ApiError::server(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ProblemCode::PlatformUnavailable,
                    Text::new(
                        "暂时无法读取浙政钉组织架构，请稍后再试",
                        "the 浙政钉 organisation tree cannot be read now; try again shortly",
                    ),
                    e,
                )),
            },
        }
    }
}

/// The platform registration of `mini_app`.
pub(crate) fn registration<'a>(
    app: &'a App,
    mini_app: &str,
) -> Result<&'a AppRegistration, ApiError> {
    app.config
        .platform
        .registrations
        .get(mini_app)
        .ok_or_else(|| {
            ApiError::internal(format!("mini-app {mini_app} has no platform registration"))
        })
}

/// The tree of `snapshot` with its supervision office: the unit `office`, or the one whose
/// name ends in 督查室.
fn build(snapshot: Snapshot, office: Option<&str>) -> Result<Org, String> {
    let office = match office {
        Some(code) => code.to_string(),
        None => snapshot
            .units
            .iter()
            .find(|u| u.name.ends_with("督查室"))
            .map(|u| u.code.clone())
            .ok_or("the tree has no unit named …督查室 and ZK_SUPERVISION_OFFICE is unset")?,
    };
    Org::new(snapshot.units, snapshot.people, &office).map_err(|e| e.to_string())
}
