//! The durable job mechanism on both databases: a job is claimed once however many workers
//! race for it; two BFF instances sharing PostgreSQL and Redis Streams run each job once; a
//! failing job is retried with backoff and buried after its last attempt; a job whose worker
//! died mid-attempt is run again when its lease runs out.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bff_server::jobs::signal::{InProcess, RedisStreams, Signal};
use bff_server::jobs::{Handler, Job, JobError, JobSettings, Jobs};
use bff_server::storage::{Store, StoredJob};
use chrono::Utc;

const QUEUE: &str = "test_jobs";

/// Runs jobs by their payload: `"ok"` succeeds, `"flaky"` fails its first attempt, `"bad"`
/// always fails for good; counts every attempt per job and which instance made it.
#[derive(Default)]
struct Recording {
    attempts: Mutex<HashMap<String, Vec<&'static str>>>,
}

struct Worker {
    name: &'static str,
    seen: Arc<Recording>,
}

#[async_trait]
impl Handler for Worker {
    async fn run(&self, job: &StoredJob) -> Result<(), JobError> {
        self.seen
            .attempts
            .lock()
            .unwrap()
            .entry(job.id.clone())
            .or_default()
            .push(self.name);
        match serde_json::from_str::<String>(&job.payload)
            .unwrap()
            .as_str()
        {
            "flaky" if job.attempts == 1 => Err(JobError::retry("first attempt fails")),
            "bad" => Err(JobError::Permanent("refused for good".into())),
            _ => Ok(()),
        }
    }
}

fn settings() -> JobSettings {
    JobSettings {
        lease: Duration::from_secs(1),
        sweep_every: Duration::from_millis(50),
        republish_after: Duration::from_millis(500),
        backoff_base: Duration::from_millis(20),
        backoff_cap: Duration::from_millis(100),
        batch: 16,
    }
}

/// Waits (bounded) until no job of the queue is pending or running.
async fn settled(store: &Arc<dyn Store>) -> Vec<(String, i64)> {
    for _ in 0..400 {
        let counts = store.job_counts(QUEUE).await.unwrap();
        if counts
            .iter()
            .all(|(status, _)| status == "done" || status == "dead")
        {
            return counts;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "jobs did not settle: {:?}",
        store.job_counts(QUEUE).await.unwrap()
    );
}

#[tokio::test]
async fn a_job_is_claimed_once_by_racing_workers_and_a_due_job_is_swept_once() {
    for (name, store) in common::both_stores().await {
        let row = Job::new(QUEUE, &"ok").row();
        assert!(store.enqueue_job(&row).await.unwrap(), "{name}");
        let now = Utc::now();
        let lease = now + chrono::Duration::seconds(30);
        let claims =
            futures::future::join_all((0..8).map(|_| store.claim_job(&row.id, now, lease))).await;
        let won: Vec<StoredJob> = claims.into_iter().filter_map(|c| c.unwrap()).collect();
        assert_eq!(won.len(), 1, "{name}: one claim wins");
        assert_eq!(won[0].attempts, 1);
        assert!(store.finish_job(&row.id, now).await.unwrap());
        assert!(
            store
                .claim_job(&row.id, now, lease)
                .await
                .unwrap()
                .is_none(),
            "{name}: done is done"
        );

        // A dedupe key admits one job.
        let keyed = Job {
            dedupe_key: Some(format!("reminder:{name}")),
            ..Job::new(QUEUE, &"ok")
        };
        assert!(store.enqueue_job(&keyed.row()).await.unwrap());
        assert!(!store.enqueue_job(&keyed.row()).await.unwrap(), "{name}");

        // Due jobs are handed to one sweeper each, however many sweep at once.
        let later = Utc::now() + chrono::Duration::seconds(1);
        let mut ids = Vec::new();
        for _ in 0..40 {
            let mut r = Job::new(QUEUE, &"ok").row();
            r.published_at = None;
            ids.push(r.id.clone());
            store.enqueue_job(&r).await.unwrap();
        }
        let (a, b) = tokio::join!(
            store.take_due_jobs(later, later, 1000),
            store.take_due_jobs(later, later, 1000)
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        let mut all: Vec<String> = a.iter().chain(b.iter()).map(|(id, _)| id.clone()).collect();
        all.sort();
        let before = all.len();
        all.dedup();
        assert_eq!(all.len(), before, "{name}: no job swept twice");
        for id in &ids {
            assert!(all.contains(id), "{name}: every due job swept");
        }
        // Retried later: not due before its time; buried: never again.
        let first = &ids[0];
        store
            .claim_job(first, later, later + chrono::Duration::seconds(30))
            .await
            .unwrap()
            .unwrap();
        let retry_at = later + chrono::Duration::seconds(60);
        assert!(store.retry_job(first, retry_at, "HTTP 503").await.unwrap());
        assert!(
            store
                .claim_job(first, later, later)
                .await
                .unwrap()
                .is_none(),
            "{name}"
        );
        let again = store
            .claim_job(first, retry_at, retry_at)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(again.attempts, 2);
        assert_eq!(again.last_error.as_deref(), Some("HTTP 503"));
        assert!(store.bury_job(first, retry_at, "gave up").await.unwrap());
        assert_eq!(store.job(first).await.unwrap().unwrap().status, "dead");

        // Done jobs are pruned after their retention; a buried one stays for an operator.
        let pruned = store
            .prune(
                bff_server::storage::Retained::FinishedJobs,
                Utc::now() + chrono::Duration::days(1),
                1000,
            )
            .await
            .unwrap();
        assert_eq!(pruned, 1, "{name}: the one done");
        assert!(store.job(&row.id).await.unwrap().is_none());
        assert!(store.job(first).await.unwrap().is_some(), "{name}");
    }
}

/// Enqueues a batch (ok, flaky and bad jobs) and one whose worker "died" holding it; checks
/// what `instances` made of them.
async fn run_batch(
    name: &str,
    store: Arc<dyn Store>,
    instances: Vec<Arc<Jobs>>,
    seen: Arc<Recording>,
) {
    let mut ok = Vec::new();
    for i in 0..150 {
        let job = Job::new(QUEUE, &if i % 25 == 0 { "flaky" } else { "ok" });
        let row = job.row();
        store.enqueue_job(&row).await.unwrap();
        // Signalled through one instance or the other: any worker may take it.
        instances[i % instances.len()].published(&row).await;
        ok.push((row.id, i % 25 == 0));
    }
    let bad = Job {
        max_attempts: 3,
        ..Job::new(QUEUE, &"bad")
    };
    assert!(instances[0].add(&bad).await.unwrap());
    // A worker claimed this one and died: its lease runs out and another runs it.
    let orphan = Job::new(QUEUE, &"ok").row();
    store.enqueue_job(&orphan).await.unwrap();
    let now = Utc::now();
    store
        .claim_job(&orphan.id, now, now + chrono::Duration::milliseconds(500))
        .await
        .unwrap()
        .unwrap();

    let counts = settled(&store).await;
    assert_eq!(
        counts,
        vec![("dead".to_string(), 1), ("done".to_string(), 151)],
        "{name}"
    );
    let attempts = seen.attempts.lock().unwrap().clone();
    for (id, flaky) in &ok {
        let made = attempts.get(id).map_or(0, Vec::len);
        assert_eq!(made, if *flaky { 2 } else { 1 }, "{name}: job {id}");
    }
    assert_eq!(
        attempts[&orphan.id].len(),
        1,
        "{name}: the orphan ran once, here"
    );
    assert_eq!(store.job(&orphan.id).await.unwrap().unwrap().attempts, 2);
    let buried: Vec<StoredJob> = futures::future::join_all(attempts.keys().map(|id| store.job(id)))
        .await
        .into_iter()
        .filter_map(|j| j.unwrap())
        .filter(|j| j.status == "dead")
        .collect();
    assert_eq!(buried.len(), 1, "{name}");
    assert_eq!(
        buried[0].attempts, 1,
        "{name}: a permanent failure is not retried"
    );
    assert_eq!(buried[0].last_error.as_deref(), Some("refused for good"));
    for i in &instances {
        i.stop().await;
    }
}

#[tokio::test]
async fn the_embedded_default_runs_each_job_once_in_process() {
    let store = bff_server::storage::connect(&common::fresh_sqlite_url())
        .await
        .unwrap();
    let seen = Arc::new(Recording::default());
    let jobs = Arc::new(Jobs::new(
        store.clone(),
        Arc::new(InProcess::default()),
        settings(),
        Arc::new(bff_server::clock::Clock::system()),
    ));
    jobs.register(
        QUEUE,
        Arc::new(Worker {
            name: "only",
            seen: seen.clone(),
        }),
    );
    jobs.start();
    run_batch("sqlite", store, vec![jobs], seen).await;
}

#[tokio::test]
async fn two_instances_sharing_postgres_and_redis_streams_run_each_job_once_between_them() {
    let redis = std::env::var("ZK_TEST_REDIS_URL")
        .expect("ZK_TEST_REDIS_URL is not set: run the tests with scripts/test");
    let store = bff_server::storage::connect(&common::fresh_postgres_database().await)
        .await
        .unwrap();
    let prefix = format!("zk-test-{}:", uuid::Uuid::new_v4().simple());
    let seen = Arc::new(Recording::default());
    let mut instances = Vec::new();
    for name in ["bff-a", "bff-b"] {
        let conn = bff_server::infra::redis_connection_waiting(&redis, Duration::from_secs(5))
            .await
            .unwrap();
        let signal: Arc<dyn Signal> = Arc::new(RedisStreams::new(&redis, conn, &prefix, name));
        let jobs = Arc::new(Jobs::new(
            store.clone(),
            signal,
            settings(),
            Arc::new(bff_server::clock::Clock::system()),
        ));
        jobs.register(
            QUEUE,
            Arc::new(Worker {
                name,
                seen: seen.clone(),
            }),
        );
        jobs.start();
        instances.push(jobs);
    }
    run_batch("postgres+redis", store, instances, seen.clone()).await;
    let by: HashMap<&str, usize> =
        seen.attempts
            .lock()
            .unwrap()
            .values()
            .flatten()
            .fold(HashMap::new(), |mut m, w| {
                *m.entry(*w).or_default() += 1;
                m
            });
    assert!(by.len() == 2, "both instances took part: {by:?}");
}
