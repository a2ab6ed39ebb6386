//! Retries within a budget: a failed attempt is retried only while retries stay under a share
//! of all calls (tower's `TpsBudget`), so a failing department sees at most ~10% extra load
//! instead of a retry storm.

use std::sync::Arc;
use std::time::Duration;

use tower::retry::budget::{Budget as _, TpsBudget};

use super::upstream::{Answer, UpstreamError, UpstreamRequest};

/// Attempts after the first, at most, for one call.
const MAX_RETRIES: u32 = 1;

/// The retry policy shared by every department client (one budget per department).
#[derive(Clone)]
pub struct BudgetPolicy {
    budget: Arc<TpsBudget>,
}

impl BudgetPolicy {
    /// Retries up to `ratio` of calls (0.1 = 10%), measured over ten seconds; a trickle of one
    /// retry per second is always allowed so a quiet department can still recover from a blip.
    pub fn new(ratio: f32) -> Self {
        Self {
            budget: Arc::new(TpsBudget::new(Duration::from_secs(10), 1, ratio)),
        }
    }
}

impl tower::retry::Policy<UpstreamRequest, Answer, UpstreamError> for BudgetPolicy {
    type Future = std::future::Ready<()>;

    fn retry(
        &mut self,
        request: &mut UpstreamRequest,
        result: &mut Result<Answer, UpstreamError>,
    ) -> Option<Self::Future> {
        match result {
            Err(e)
                if e.is_transient() && request.attempt < MAX_RETRIES && self.budget.withdraw() =>
            {
                request.attempt += 1;
                metrics::counter!("upstream_retries_total", "department" => request.op.department().as_str()).increment(1);
                Some(std::future::ready(()))
            }
            _ => None,
        }
    }

    fn clone_request(&mut self, request: &UpstreamRequest) -> Option<UpstreamRequest> {
        // Called before every attempt; only first attempts earn budget.
        if request.attempt == 0 {
            self.budget.deposit();
        }
        Some(request.clone())
    }
}
