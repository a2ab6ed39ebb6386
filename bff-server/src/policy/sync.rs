//! Keeping profiles current (画像更新), on the one job mechanism:
//!
//! - `enterprise_register`: a page of 市场监管's register; each enterprise whose records changed
//!   since its profile was built gets an `enterprise_profile` job, and the next page its own
//!   job. A sync is started every `ZK_REGISTER_SYNC_SECS` (off when unset), once per period
//!   however many instances run (the job's dedupe key names the period).
//! - `enterprise_profile`: rebuilds one profile through the adapter layer.
//! - `policy_rematch`: written with a profile that changed; the published policies in effect
//!   it now matches are put in the enterprise's inbox (a message already there stays as it is).

use std::sync::{Arc, Weak};
use std::time::Duration;

use async_trait::async_trait;
use axum::http::StatusCode;
use chrono::Utc;
use platform_api::departments::{Operation, RegisterQuery};
use serde::{Deserialize, Serialize};
use zhelikit_domain::policy::EnterpriseProfile;
use zhelikit_domain::records::Record;
use zhelikit_push::matching::Subject;

use crate::app::{App, AppState};
use crate::departments::RecordLookup;
use crate::jobs::{Handler, Job, JobError};
use crate::policy::inbox::{enterprise_mini_app, message};
use crate::storage::StoredJob;

/// A page of the register.
pub const REGISTER_QUEUE: &str = "enterprise_register";
/// One profile to rebuild.
pub const PROFILE_QUEUE: &str = "enterprise_profile";
/// One changed profile to match again.
pub const REMATCH_QUEUE: &str = "policy_rematch";

/// Register entries per page.
const PAGE: u32 = 500;

#[derive(Debug, Serialize, Deserialize)]
struct RegisterPage {
    /// The sync this page belongs to.
    run: String,
    after: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct OneEnterprise {
    uscc: String,
}

fn register_job(run: &str, after: Option<String>) -> Job {
    let key = format!("register:{run}:{}", after.as_deref().unwrap_or(""));
    let mut job = Job::new(
        REGISTER_QUEUE,
        &RegisterPage {
            run: run.to_string(),
            after,
        },
    );
    job.dedupe_key = Some(key);
    job
}

/// The job that matches a changed profile again.
pub fn rematch_job(uscc: &str) -> Job {
    Job::new(
        REMATCH_QUEUE,
        &OneEnterprise {
            uscc: uscc.to_string(),
        },
    )
}

/// Starts a register sync now and every `every`, each period's once across instances.
pub fn schedule(app: &Arc<App>, every: Duration) {
    let app = Arc::downgrade(app);
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        loop {
            ticks.tick().await;
            let Some(app) = app.upgrade() else { return };
            let period = Utc::now().timestamp() / every.as_secs().max(1) as i64;
            if let Err(e) = app.jobs.add(&register_job(&period.to_string(), None)).await {
                tracing::warn!(error = %e, "register sync not started; next period will");
            }
        }
    });
}

/// Reads a page of the register and asks for the profiles that are out of date.
pub struct RegisterPages {
    app: Weak<App>,
}

/// Rebuilds one profile.
pub struct Profiles {
    app: Weak<App>,
}

/// Matches one changed profile against the published policies.
pub struct Rematches {
    app: Weak<App>,
}

impl RegisterPages {
    /// Through `app` (weak: the app owns its workers).
    pub fn new(app: Weak<App>) -> Self {
        Self { app }
    }
}
impl Profiles {
    /// Through `app`.
    pub fn new(app: Weak<App>) -> Self {
        Self { app }
    }
}
impl Rematches {
    /// Through `app`.
    pub fn new(app: Weak<App>) -> Self {
        Self { app }
    }
}

fn alive(app: &Weak<App>) -> Result<Arc<App>, JobError> {
    app.upgrade()
        .ok_or_else(|| JobError::retry("the BFF is stopping"))
}

fn store_retry(e: crate::storage::StoreError) -> JobError {
    JobError::retry(e.to_string())
}

#[async_trait]
impl Handler for RegisterPages {
    async fn run(&self, job: &StoredJob) -> Result<(), JobError> {
        let RegisterPage { run, after } = serde_json::from_str(&job.payload)
            .map_err(|e| JobError::Permanent(format!("a malformed register job: {e}")))?;
        let app = alive(&self.app)?;
        let body = serde_json::to_vec(&RegisterQuery {
            after: after.clone(),
            limit: PAGE,
        })
        .map_err(|e| JobError::Permanent(e.to_string()))?;
        let key = format!("register:{}", after.as_deref().unwrap_or(""));
        let on_behalf: Arc<str> = Arc::from("register-sync");
        let lookup = app
            .departments
            .fetch_vault(Operation::EnterpriseRegister, body.into(), key, &on_behalf)
            .await;
        let page = match lookup {
            RecordLookup::Found { data, .. } => match data.as_ref() {
                Record::EnterpriseRegister(page) => page.clone(),
                _ => {
                    return Err(JobError::Permanent(
                        "the register answered another record".into(),
                    ))
                }
            },
            RecordLookup::NotFound { .. } => return Ok(()),
            RecordLookup::Unavailable { reason } => return Err(JobError::retry(reason.en)),
        };
        for entry in &page.entries {
            let stored = app.store.profile(&entry.uscc).await.map_err(store_retry)?;
            let built_on = stored.map(|s| {
                zhelikit_domain::policy::format_day(zhelikit_domain::policy::china_day(
                    s.built_at.timestamp(),
                ))
            });
            // Dates are YYYY-MM-DD: text order is date order.
            if built_on.is_some_and(|b| b >= entry.updated_on) {
                continue;
            }
            let mut profile = Job::new(
                PROFILE_QUEUE,
                &OneEnterprise {
                    uscc: entry.uscc.clone(),
                },
            );
            profile.dedupe_key = Some(format!("profile:{}:{}", entry.uscc, entry.updated_on));
            app.jobs.add(&profile).await.map_err(store_retry)?;
        }
        if let Some(next) = page.next_after {
            app.jobs
                .add(&register_job(&run, Some(next)))
                .await
                .map_err(store_retry)?;
        }
        Ok(())
    }
}

#[async_trait]
impl Handler for Profiles {
    async fn run(&self, job: &StoredJob) -> Result<(), JobError> {
        let OneEnterprise { uscc } = serde_json::from_str(&job.payload)
            .map_err(|e| JobError::Permanent(format!("a malformed profile job: {e}")))?;
        let app = alive(&self.app)?;
        match super::profiles::refreshed(&AppState(app), &uscc).await {
            Ok(_) => Ok(()),
            // No longer registered: nothing to profile.
            Err(e) if e.status() == StatusCode::NOT_FOUND => Ok(()),
            Err(e) => Err(JobError::retry(format!("{:?}", e.code()))),
        }
    }
}

#[async_trait]
impl Handler for Rematches {
    async fn run(&self, job: &StoredJob) -> Result<(), JobError> {
        let OneEnterprise { uscc } = serde_json::from_str(&job.payload)
            .map_err(|e| JobError::Permanent(format!("a malformed rematch job: {e}")))?;
        let app = alive(&self.app)?;
        let Some(stored) = app.store.profile(&uscc).await.map_err(store_retry)? else {
            return Ok(());
        };
        let profile: EnterpriseProfile = serde_json::from_str(&stored.profile)
            .map_err(|e| JobError::Permanent(format!("stored profile unreadable: {e}")))?;
        let subject = Subject::of(&profile)
            .map_err(|e| JobError::Permanent(format!("profile not matchable: {e:?}")))?;
        let today = zhelikit_domain::policy::china_day(Utc::now().timestamp());
        let mini_app = enterprise_mini_app(&app);
        let matched: Vec<_> = super::in_effect(app.store.as_ref(), today)
            .await
            .map_err(store_retry)?
            .into_iter()
            .filter(|p| p.rule.admits(&subject))
            .collect();
        // Each new match's message, and a nudge to its devices (a push already made for a
        // policy and device is not made again).
        for p in &matched {
            let messages: Vec<_> = message(&p.policy, &p.draft, &p.rule, &profile, &mini_app)
                .into_iter()
                .collect();
            let nudge = super::deliveries::Nudge::new(&p.policy.id, &p.draft, &mini_app);
            super::deliveries::write_page(
                &app,
                &nudge,
                None,
                &messages,
                std::slice::from_ref(&uscc),
            )
            .await?;
        }
        Ok(())
    }
}
