//! The cache in front of the departments (Redis when configured, in-process otherwise): per
//! operation a time to live, a stale-while-revalidate window (answer at once from the cache and
//! refresh in the background) and a stale-if-error window (a dead department still shows its
//! last answer, marked with its age). Keys hold an operation and a keyed pseudonym of the
//! subject: never an ID number. Values are sealed (AES-GCM under a key of the BFF's, the cache
//! key as associated data): whoever reads Redis reads no personal data.

use std::sync::Arc;
use std::time::Duration;

use platform_api::departments::Operation;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use zhelikit_domain::lang::Text;
use zhelikit_domain::records::Record;

use super::upstream::{Answer, UpstreamError, UpstreamRequest};
use super::Departments;

/// How old an answer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Just fetched, or within its time to live.
    Fresh,
    /// From the cache, past its time to live (being refreshed, or the department failed).
    Stale {
        /// Seconds since it was fetched.
        age_secs: u64,
    },
}

/// What a section gets.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordLookup {
    /// The department's record.
    Found {
        /// The record.
        data: Arc<Record>,
        /// How old.
        freshness: Freshness,
    },
    /// The department has no record for the subject.
    NotFound {
        /// How old that knowledge is.
        freshness: Freshness,
    },
    /// No answer and nothing usable in the cache.
    Unavailable {
        /// Why, in words a person can read (zh-CN and English).
        reason: Text,
    },
}

/// Cache timing of one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CachePolicy {
    /// Served as fresh this long.
    pub ttl: Duration,
    /// Then served stale while refreshed in the background, this much longer.
    pub stale_while_revalidate: Duration,
    /// Kept this long after fetching, to show when the department fails.
    pub stale_if_error: Duration,
}

/// How long each kind of record may be served: certificates change rarely, contributions
/// monthly, credit and health data more often.
pub fn policy(op: Operation) -> CachePolicy {
    let minutes = |m: u64| Duration::from_secs(m * 60);
    match op {
        // Each issuance binds a new holder key: never one person's credential for another call.
        Operation::Certificate(_) => return NO_CACHE,
        // A filing is an act, not a record.
        Operation::Correction(_) | Operation::Intake(_) => return NO_CACHE,
        // Revocation must be seen soon: a minute fresh, never served stale without saying so,
        // and the last list kept a day for when the department is down (reported as stale).
        Operation::StatusList(_) => {
            return CachePolicy {
                ttl: minutes(1),
                stale_while_revalidate: Duration::ZERO,
                stale_if_error: minutes(24 * 60),
            }
        }
        _ => {}
    }
    let ttl = match op {
        Operation::IssuerKeys(_) => minutes(6 * 60),
        Operation::Certificate(_)
        | Operation::StatusList(_)
        | Operation::Correction(_)
        | Operation::Intake(_) => {
            Duration::ZERO
        }
        Operation::ResidentIdCard | Operation::EducationRecord => minutes(24 * 60),
        Operation::HouseholdRegister
        | Operation::SocialSecurityCard
        | Operation::EnterpriseRegistration
        // A tax rating is annual and a qualification lasts years.
        | Operation::EnterpriseTax
        | Operation::EnterpriseQualifications => minutes(6 * 60),
        Operation::Contributions | Operation::EnterpriseSocialSecurity => minutes(30),
        // A sync walks the register once; a page a minute old is as good as new.
        Operation::EnterpriseRegister => minutes(1),
        Operation::DrivingLicence
        | Operation::Vehicles
        | Operation::EnterpriseCredit
        | Operation::HealthCard
        | Operation::BirthRecord => minutes(60),
    };
    CachePolicy {
        ttl,
        stale_while_revalidate: ttl,
        stale_if_error: minutes(7 * 24 * 60),
    }
}

/// No caching at all.
pub const NO_CACHE: CachePolicy = CachePolicy {
    ttl: Duration::ZERO,
    stale_while_revalidate: Duration::ZERO,
    stale_if_error: Duration::ZERO,
};

/// What a cached answer of a given age may be used for. Pure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Staleness {
    /// Serve it as fresh.
    Fresh,
    /// Serve it marked stale and refresh in the background.
    ServeAndRevalidate,
    /// Fetch; serve it only if the fetch fails.
    OnlyIfError,
    /// Too old for anything.
    Expired,
}

/// Decides what an answer fetched `age` ago may be used for under `policy`.
pub fn staleness(age: Duration, policy: CachePolicy) -> Staleness {
    if age < policy.ttl {
        Staleness::Fresh
    } else if age < policy.ttl + policy.stale_while_revalidate {
        Staleness::ServeAndRevalidate
    } else if age < policy.stale_if_error {
        Staleness::OnlyIfError
    } else {
        Staleness::Expired
    }
}

/// A cached answer.
struct Entry {
    fetched_at_ms: i64,
    data: Option<Arc<Record>>,
}

/// An [`Entry`] as the cache keeps it; the record is typed again, by its operation, when read.
#[derive(Serialize, Deserialize)]
struct Stored<R> {
    fetched_at_ms: i64,
    data: Option<R>,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Entry {
    fn age(&self) -> Duration {
        Duration::from_millis(u64::try_from(now_ms() - self.fetched_at_ms).unwrap_or(0))
    }

    fn fetched(self, freshness: Freshness) -> RecordLookup {
        match self.data {
            Some(data) => RecordLookup::Found { data, freshness },
            None => RecordLookup::NotFound { freshness },
        }
    }

    /// `None` for bytes that are not an entry of `op` (written by another version): a miss.
    fn from_bytes(op: Operation, bytes: &[u8]) -> Option<Self> {
        let stored: Stored<&RawValue> = serde_json::from_slice(bytes).ok()?;
        let data = match stored.data {
            Some(raw) => Some(Arc::new(
                Record::from_section(
                    op.as_str(),
                    &mut serde_json::Deserializer::from_str(raw.get()),
                )
                .ok()?,
            )),
            None => None,
        };
        Some(Self {
            fetched_at_ms: stored.fetched_at_ms,
            data,
        })
    }
}

fn cache_key(request: &UpstreamRequest) -> String {
    format!("dept:{}", request.key)
}

async fn read(departments: &Departments, op: Operation, key: &str) -> Option<Entry> {
    match departments.cache.get(key).await {
        // An entry that does not open (another deployment's key, moved to another key,
        // tampered with) is a miss.
        Ok(sealed) => sealed
            .and_then(|sealed| departments.keys.open_cached(key, &sealed))
            .and_then(|bytes| Entry::from_bytes(op, &bytes)),
        Err(e) => {
            // The cache is down: go to the department directly.
            tracing::debug!(error = %e, "cache read failed; bypassing");
            metrics::counter!("cache_bypassed_total", "op" => "read").increment(1);
            None
        }
    }
}

async fn write(departments: &Departments, key: &str, answer: &Answer, policy: CachePolicy) {
    let entry = Stored {
        fetched_at_ms: now_ms(),
        data: match answer {
            Answer::Found(data) => Some(data.as_ref()),
            Answer::NotFound => None,
        },
    };
    let Ok(bytes) = serde_json::to_vec(&entry) else {
        return;
    };
    // Records hold ID and licence numbers, addresses, family members: the cache (Redis above
    // all) only ever holds them sealed, bound to their key.
    let sealed = departments.keys.seal_cached(key, &bytes);
    if let Err(e) = departments
        .cache
        .set(key, &sealed, policy.stale_if_error)
        .await
    {
        tracing::debug!(error = %e, "cache write failed; bypassing");
        metrics::counter!("cache_bypassed_total", "op" => "write").increment(1);
    }
}

/// Calls the department and caches its answer, in a task of its own: a caller that gives up
/// (the screen deadline, a disconnect) does not stop the answer from reaching the cache.
fn call_and_store(
    departments: Arc<Departments>,
    request: UpstreamRequest,
    key: String,
    policy: CachePolicy,
) -> impl std::future::Future<Output = Result<Answer, UpstreamError>> {
    // Spawned now, not when first polled, so a caller may also drop the future at once.
    let task = tokio::spawn(async move {
        let answer = departments.call(request).await?;
        write(&departments, &key, &answer, policy).await;
        Ok(answer)
    });
    async move {
        task.await
            .unwrap_or_else(|_| Err(UpstreamError::Unreachable("the call's task failed".into())))
    }
}

/// Fetches through the cache. See the module documentation.
pub async fn fetch_through(
    departments: Arc<Departments>,
    request: UpstreamRequest,
) -> RecordLookup {
    let key = cache_key(&request);
    let policy = departments.cache_policy(&request);
    if policy.ttl.is_zero() {
        // Caching switched off: every screen asks the departments.
        return match departments.call(request).await {
            Ok(Answer::Found(data)) => RecordLookup::Found {
                data,
                freshness: Freshness::Fresh,
            },
            Ok(Answer::NotFound) => RecordLookup::NotFound {
                freshness: Freshness::Fresh,
            },
            Err(e) => RecordLookup::Unavailable { reason: e.reason() },
        };
    }
    let cached = read(&departments, request.op, &key).await;
    let cached = match cached {
        Some(entry) => match staleness(entry.age(), policy) {
            Staleness::Fresh => return entry.fetched(Freshness::Fresh),
            Staleness::ServeAndRevalidate => {
                let age_secs = entry.age().as_secs();
                // Detached: the answer is for the next screen.
                drop(call_and_store(departments.clone(), request, key, policy));
                return entry.fetched(Freshness::Stale { age_secs });
            }
            Staleness::OnlyIfError => Some(entry),
            Staleness::Expired => None,
        },
        None => None,
    };
    match call_and_store(departments.clone(), request, key, policy).await {
        Ok(answer) => match answer {
            Answer::Found(data) => RecordLookup::Found {
                data,
                freshness: Freshness::Fresh,
            },
            Answer::NotFound => RecordLookup::NotFound {
                freshness: Freshness::Fresh,
            },
        },
        Err(e) => match cached {
            Some(entry) => {
                let age_secs = entry.age().as_secs();
                entry.fetched(Freshness::Stale { age_secs })
            }
            None => RecordLookup::Unavailable { reason: e.reason() },
        },
    }
}

/// Asks the department now, whatever the cache holds, and keeps the answer: for when the
/// department said its answer changed (a correction revoked credentials in its status list).
pub async fn refetch(departments: Arc<Departments>, request: UpstreamRequest) -> Result<(), Text> {
    let key = cache_key(&request);
    let policy = departments.cache_policy(&request);
    call_and_store(departments, request, key, policy)
        .await
        .map(|_| ())
        .map_err(|e| e.reason())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_fresh_then_revalidated_then_kept_for_errors_then_expired() {
        let p = CachePolicy {
            ttl: Duration::from_secs(60),
            stale_while_revalidate: Duration::from_secs(60),
            stale_if_error: Duration::from_secs(3600),
        };
        assert_eq!(staleness(Duration::from_secs(10), p), Staleness::Fresh);
        assert_eq!(
            staleness(Duration::from_secs(90), p),
            Staleness::ServeAndRevalidate
        );
        assert_eq!(
            staleness(Duration::from_secs(600), p),
            Staleness::OnlyIfError
        );
        assert_eq!(staleness(Duration::from_secs(7200), p), Staleness::Expired);
    }

    #[test]
    fn every_operation_has_a_policy_whose_windows_nest() {
        for op in Operation::ALL {
            let p = policy(op);
            assert!(
                p.ttl + p.stale_while_revalidate <= p.stale_if_error,
                "{op:?}"
            );
        }
    }
}
