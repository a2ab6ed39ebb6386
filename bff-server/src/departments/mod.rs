//! The adapter layer: one typed client per department API (公安, 人社, 交通, 市场监管, 卫健, 教育),
//! all built on one mechanism — a tower stack per department — and a cache in front of them.
//!
//! A call goes, outermost first: cache (fresh / stale-while-revalidate / stale-if-error) →
//! coalescing (identical concurrent calls made once) → circuit breaker (failsafe) → retry within
//! a budget (≤ 10% extra calls) → recording (every attempt: department, operation, latency,
//! outcome, on whose behalf) → timeout → concurrency limit → the signed HTTP call.

pub mod breaker;
pub mod coalesce;
pub mod record_cache;
pub mod recorder;
pub mod retry;
pub mod upstream;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use platform_api::departments::{Department, Operation};
use tower::util::BoxCloneSyncService;
use tower::{ServiceBuilder, ServiceExt};

use crate::infra::cache::Cache;
use crate::personal_data::PersonalDataKeys;
use platform_api::irs;
pub use record_cache::{Freshness, RecordLookup};
pub use recorder::Recorder;
pub use upstream::{Answer, SubjectQuery, UpstreamError, UpstreamRequest};

/// How the adapters behave; defaults suit the mock and a production gateway alike.
#[derive(Debug, Clone)]
pub struct AdapterSettings {
    /// Per-attempt timeout of one department call.
    pub timeout: Duration,
    /// Most calls in flight to one department.
    pub concurrency: usize,
    /// Consecutive failures that open a department's circuit.
    pub breaker_failures: u32,
    /// Retries allowed as a share of calls (0.1 = at most 10% extra calls).
    pub retry_ratio: f32,
    /// Overrides every operation's freshness window (and its stale-while-revalidate window);
    /// `None` keeps the per-operation policy of [`record_cache::policy`]; zero switches the cache off.
    pub cache_ttl: Option<Duration>,
}

impl Default for AdapterSettings {
    fn default() -> Self {
        Self {
            timeout: Duration::from_millis(400),
            concurrency: 64,
            breaker_failures: 5,
            retry_ratio: 0.1,
            cache_ttl: None,
        }
    }
}

type DepartmentService = BoxCloneSyncService<UpstreamRequest, Answer, UpstreamError>;

/// Every department client, the cache and the recorder.
pub struct Departments {
    services: HashMap<Department, DepartmentService>,
    cache: Arc<dyn Cache>,
    keys: PersonalDataKeys,
    cache_ttl: Option<Duration>,
    /// Department calls in flight (their own tasks), for graceful shutdown.
    running: Arc<AtomicUsize>,
}

/// Whose data a call asks for.
#[derive(Debug, Clone)]
pub enum Subject {
    /// A person, by resident ID number.
    Person(String),
    /// An enterprise, by USCC.
    Enterprise(String),
}

impl Departments {
    /// Builds one client per department against the IRS gateway at `gateway_url`, signing
    /// as `credentials`.
    pub fn new(
        gateway_url: &str,
        credentials: &irs::Credentials,
        config: &AdapterSettings,
        cache: Arc<dyn Cache>,
        keys: PersonalDataKeys,
        recorder: Recorder,
    ) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(1))
            // The gateway answers; it never redirects. A redirect is a misconfiguration to see
            // as an error status, not to follow (and checking each request for one showed in
            // the profile).
            .redirect(reqwest::redirect::Policy::none())
            // Every department sits behind the one IRS gateway host: keep enough idle
            // connections for all of them at full concurrency, or busy screens reconnect.
            .pool_max_idle_per_host(config.concurrency * Department::ALL.len())
            .build()
            .map_err(|e| e.to_string())?;
        let mut services = HashMap::new();
        let running = Arc::new(AtomicUsize::new(0));
        for department in Department::ALL {
            let leaf = upstream::HttpUpstream::new(http.clone(), gateway_url, credentials.clone())
                .map_err(|e| format!("bad platform URL {gateway_url}: {e}"))?;
            let service = ServiceBuilder::new()
                // Two attempts (one retry at most) and as long again waiting for a permit.
                .layer(coalesce::CoalesceLayer::new(
                    config.timeout * 3,
                    running.clone(),
                ))
                .layer(breaker::BreakerLayer::new(
                    department,
                    config.breaker_failures,
                ))
                .layer(tower::retry::RetryLayer::new(retry::BudgetPolicy::new(
                    config.retry_ratio,
                )))
                .layer(recorder::RecordLayer::new(department, recorder.clone()))
                .map_err(upstream::UpstreamError::from_box)
                .timeout(config.timeout)
                .concurrency_limit(config.concurrency)
                .service(leaf);
            services.insert(department, BoxCloneSyncService::new(service));
        }
        Ok(Self {
            services,
            cache,
            keys,
            cache_ttl: config.cache_ttl,
            running,
        })
    }

    /// Prepares the calls of one screen about `subject`: its request body and its keyed
    /// pseudonym, made once for all of them.
    pub fn query_for(&self, subject: &Subject) -> SubjectQuery {
        // A USCC is public registration data; hashing it too keeps keys uniform.
        let pseudonym = match subject {
            Subject::Person(id) | Subject::Enterprise(id) => self.keys.pseudonym(id),
        };
        SubjectQuery::new(subject, pseudonym)
    }

    /// Asks `op` about the subject of `query`, on behalf of the pseudonymous user `on_behalf`,
    /// through the cache. Never fails: an unanswerable call is [`RecordLookup::Unavailable`] with the
    /// reason.
    pub async fn fetch(
        self: &Arc<Self>,
        op: Operation,
        query: &SubjectQuery,
        on_behalf: &Arc<str>,
    ) -> RecordLookup {
        record_cache::fetch_through(self.clone(), UpstreamRequest::new(op, query, on_behalf)).await
    }

    /// [`Self::fetch`], given up at `deadline` (a screen's, a profile's): what did not answer
    /// by then is [`RecordLookup::Unavailable`] with the timeout's reason.
    pub async fn fetch_by(
        self: &Arc<Self>,
        deadline: tokio::time::Instant,
        op: Operation,
        query: &SubjectQuery,
        on_behalf: &Arc<str>,
    ) -> RecordLookup {
        tokio::time::timeout_at(deadline, self.fetch(op, query, on_behalf))
            .await
            .unwrap_or_else(|_| RecordLookup::Unavailable {
                reason: UpstreamError::Timeout.reason(),
            })
    }

    /// Asks a vault operation (an issuance, a department's keys or status list) with its own
    /// `body`, through the same stack and cache. `key` identifies identical calls and the cache
    /// entry and must carry no personal data: an issuance's names the subject's pseudonym and
    /// the holder key's thumbprint, so two devices never share one credential.
    pub async fn fetch_vault(
        self: &Arc<Self>,
        op: Operation,
        body: bytes::Bytes,
        key: String,
        on_behalf: &Arc<str>,
    ) -> RecordLookup {
        let request = UpstreamRequest::vault(op, body, key, on_behalf, None);
        record_cache::fetch_through(self.clone(), request).await
    }

    /// An issuance bound to the platform's consent key, for a consumer fetching under a
    /// consent: unlike a device's, it is kept `keep` (the holder is the same for every fetch,
    /// and the consumer only ever gets the consented disclosures of it). `key` as in
    /// [`Self::fetch_vault`].
    pub async fn fetch_brokered(
        self: &Arc<Self>,
        op: Operation,
        body: bytes::Bytes,
        key: String,
        on_behalf: &Arc<str>,
        keep: Duration,
    ) -> RecordLookup {
        let request = UpstreamRequest::vault(op, body, key, on_behalf, Some(keep));
        record_cache::fetch_through(self.clone(), request).await
    }

    /// Asks vault operation `op` again now, past a fresh cached answer, and keeps what it says
    /// (see [`Self::fetch_vault`]); why not, when the department did not answer.
    pub async fn refetch_vault(
        self: &Arc<Self>,
        op: Operation,
        body: bytes::Bytes,
        key: String,
        on_behalf: &Arc<str>,
    ) -> Result<(), zhelikit_domain::lang::Text> {
        let request = UpstreamRequest::vault(op, body, key, on_behalf, None);
        record_cache::refetch(self.clone(), request).await
    }

    /// The keyed pseudonym of an ID number (for vault call keys).
    pub fn pseudonym(&self, id_number: &str) -> String {
        self.keys.pseudonym(id_number)
    }

    /// Waits (at most `limit`) until no department call is in flight: at shutdown, calls that
    /// outlived their screens (or refresh the cache in the background) finish and are recorded.
    pub async fn settle(&self, limit: Duration) {
        let until = tokio::time::Instant::now() + limit;
        while self.running.load(Ordering::SeqCst) > 0 && tokio::time::Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The cache timing of `request`'s operation, with the configured override.
    fn cache_policy(&self, request: &UpstreamRequest) -> record_cache::CachePolicy {
        if let Some(ttl) = request.kept_for {
            // Fresh for `ttl`, never served stale: a brokered issuance is refetched, not aged.
            return record_cache::CachePolicy {
                ttl,
                stale_while_revalidate: Duration::ZERO,
                stale_if_error: Duration::ZERO,
            };
        }
        let policy = record_cache::policy(request.op);
        match self.cache_ttl {
            // An issuance is never cached, whatever the override says.
            _ if policy.ttl.is_zero() => policy,
            Some(ttl) => record_cache::CachePolicy {
                ttl,
                stale_while_revalidate: ttl,
                ..policy
            },
            None => policy,
        }
    }

    /// One call to the department, bypassing the cache (the cache's own fetch).
    async fn call(&self, request: UpstreamRequest) -> Result<Answer, UpstreamError> {
        let service = self
            .services
            .get(&request.op.department())
            .cloned()
            .ok_or(UpstreamError::Unreachable("no client".into()))?;
        service.oneshot(request).await
    }
}
