//! What tells a worker which job to look at: Redis Streams with one consumer group per queue
//! (several BFF instances or worker processes share a queue; each entry goes to one consumer,
//! and one left unacknowledged by a consumer that died is claimed by another), or, on the
//! embedded default, an in-process queue. Neither is the truth — the `jobs` table is — so a
//! lost or doubled signal costs a sweep or a refused claim, never a job.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use redis::streams::{
    StreamAutoClaimOptions, StreamAutoClaimReply, StreamReadOptions, StreamReadReply,
};
use redis::AsyncCommands;
use tokio::sync::Notify;

use crate::infra::CacheError;

/// One signal received: a job id, and what acknowledges it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The job's id.
    pub job_id: String,
    /// The stream entry (Redis) to acknowledge.
    pub entry: Option<String>,
}

/// The transport of job signals.
#[async_trait]
pub trait Signal: Send + Sync + 'static {
    /// Says job `job_id` of `queue` is due.
    async fn publish(&self, queue: &str, job_id: &str) -> Result<(), CacheError>;
    /// Up to `count` signals for `queue`, waiting at most `wait` for the first; a signal left
    /// unacknowledged for `stale` by another consumer (it died) is taken over.
    async fn receive(
        &self,
        queue: &str,
        count: usize,
        wait: Duration,
        stale: Duration,
    ) -> Result<Vec<Delivery>, CacheError>;
    /// Done with `delivery` (its job finished, was put back or buried, or was not due).
    async fn ack(&self, queue: &str, delivery: &Delivery) -> Result<(), CacheError>;
}

/// The consumer group every worker of a queue joins.
const GROUP: &str = "workers";

/// Redis Streams: `{prefix}jobs:{queue}`, entries `{job: id}`, group [`GROUP`].
///
/// A blocking read holds its connection until it returns, and Redis answers one connection's
/// commands in order: so each queue's worker reads on a connection of its own (opened on its
/// first read), and publishing and acknowledging share another that never blocks. (With one
/// shared connection, every signal waited behind the other queues' blocked reads.)
pub struct RedisStreams {
    url: String,
    conn: redis::aio::ConnectionManager,
    readers: tokio::sync::Mutex<HashMap<String, redis::aio::ConnectionManager>>,
    prefix: String,
    consumer: String,
    groups: Mutex<std::collections::HashSet<String>>,
}

impl RedisStreams {
    /// Signals through the Redis at `url` (`conn`, already open, publishes and acknowledges;
    /// each queue's reads open their own), as consumer `consumer`.
    pub fn new(
        url: &str,
        conn: redis::aio::ConnectionManager,
        prefix: &str,
        consumer: &str,
    ) -> Self {
        Self {
            url: url.to_string(),
            conn,
            readers: tokio::sync::Mutex::default(),
            prefix: prefix.to_string(),
            consumer: consumer.to_string(),
            groups: Mutex::default(),
        }
    }

    fn key(&self, queue: &str) -> String {
        format!("{}jobs:{queue}", self.prefix)
    }

    /// The connection `queue`'s blocking reads use, opened on first use. Its response timeout
    /// outlasts the longest block.
    async fn reader(
        &self,
        queue: &str,
        wait: Duration,
    ) -> Result<redis::aio::ConnectionManager, CacheError> {
        let mut readers = self.readers.lock().await;
        if let Some(conn) = readers.get(queue) {
            return Ok(conn.clone());
        }
        let conn = crate::infra::redis_connection_waiting(&self.url, wait + Duration::from_secs(4))
            .await?;
        readers.insert(queue.to_string(), conn.clone());
        Ok(conn)
    }

    /// `e`, and when it says the group is gone (`NOGROUP`: Redis restarted without its data,
    /// or the stream was deleted), forgets that it was made, so the next read makes it again.
    /// What was signalled before is lost with it; the sweeper publishes it again.
    fn lost_group(&self, key: &str, e: redis::RedisError) -> CacheError {
        if e.code() == Some("NOGROUP") {
            self.groups
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(key);
        }
        e.into()
    }

    /// Creates the queue's stream and group once per process (`BUSYGROUP`: another did).
    async fn ensure_group(&self, key: &str) -> Result<(), CacheError> {
        if self
            .groups
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(key)
        {
            return Ok(());
        }
        let mut conn = self.conn.clone();
        let created: redis::RedisResult<()> = conn.xgroup_create_mkstream(key, GROUP, "0").await;
        match created {
            Ok(()) => {}
            Err(e) if e.code() == Some("BUSYGROUP") => {}
            Err(e) => return Err(e.into()),
        }
        self.groups
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.to_string());
        Ok(())
    }
}

fn job_of(entry: &redis::streams::StreamId) -> Delivery {
    Delivery {
        job_id: entry.get::<String>("job").unwrap_or_default(),
        entry: Some(entry.id.clone()),
    }
}

#[async_trait]
impl Signal for RedisStreams {
    async fn publish(&self, queue: &str, job_id: &str) -> Result<(), CacheError> {
        let key = self.key(queue);
        self.ensure_group(&key).await?;
        let mut conn = self.conn.clone();
        let _: String = conn.xadd(&key, "*", &[("job", job_id)]).await?;
        Ok(())
    }

    async fn receive(
        &self,
        queue: &str,
        count: usize,
        wait: Duration,
        stale: Duration,
    ) -> Result<Vec<Delivery>, CacheError> {
        let key = self.key(queue);
        self.ensure_group(&key).await?;
        let mut conn = self.reader(queue, wait).await?;
        // First what a dead consumer left behind.
        let stale_ms = u64::try_from(stale.as_millis()).unwrap_or(u64::MAX);
        let claimed: StreamAutoClaimReply = conn
            .xautoclaim_options(
                &key,
                GROUP,
                &self.consumer,
                stale_ms,
                "0-0",
                StreamAutoClaimOptions::default().count(count),
            )
            .await
            .map_err(|e| self.lost_group(&key, e))?;
        let mut out: Vec<Delivery> = claimed.claimed.iter().map(job_of).collect();
        if !out.is_empty() {
            return Ok(out);
        }
        let options = StreamReadOptions::default()
            .group(GROUP, &self.consumer)
            .count(count)
            .block(usize::try_from(wait.as_millis()).unwrap_or(1000));
        let read: Option<StreamReadReply> = conn
            .xread_options(&[&key], &[">"], &options)
            .await
            .map_err(|e| self.lost_group(&key, e))?;
        for k in read.map(|r| r.keys).unwrap_or_default() {
            out.extend(k.ids.iter().map(job_of));
        }
        Ok(out)
    }

    async fn ack(&self, queue: &str, delivery: &Delivery) -> Result<(), CacheError> {
        let Some(entry) = &delivery.entry else {
            return Ok(());
        };
        let key = self.key(queue);
        let mut conn = self.conn.clone();
        // Acknowledged and deleted: the stream holds only what is in flight.
        let _: i64 = conn.xack(&key, GROUP, &[entry]).await?;
        let _: i64 = conn.xdel(&key, &[entry]).await?;
        Ok(())
    }
}

/// The embedded default's queue: one process, so a deque and a wake-up per queue.
#[derive(Default)]
pub struct InProcess {
    queues: Mutex<HashMap<String, VecDeque<String>>>,
    wake: Notify,
}

#[async_trait]
impl Signal for InProcess {
    async fn publish(&self, queue: &str, job_id: &str) -> Result<(), CacheError> {
        self.queues
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(queue.to_string())
            .or_default()
            .push_back(job_id.to_string());
        self.wake.notify_waiters();
        Ok(())
    }

    async fn receive(
        &self,
        queue: &str,
        count: usize,
        wait: Duration,
        _stale: Duration,
    ) -> Result<Vec<Delivery>, CacheError> {
        let take = || {
            let mut queues = self.queues.lock().unwrap_or_else(|p| p.into_inner());
            let q = queues.entry(queue.to_string()).or_default();
            let n = count.min(q.len());
            q.drain(..n)
                .map(|job_id| Delivery {
                    job_id,
                    entry: None,
                })
                .collect::<Vec<_>>()
        };
        let woken = self.wake.notified();
        let now = take();
        if !now.is_empty() {
            return Ok(now);
        }
        let _ = tokio::time::timeout(wait, woken).await;
        Ok(take())
    }

    async fn ack(&self, _queue: &str, _delivery: &Delivery) -> Result<(), CacheError> {
        Ok(())
    }
}
