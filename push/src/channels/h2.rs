//! HTTP/2 connections to one provider, each carrying at most 100 requests at once: FCM and
//! APNs both take many concurrent streams on one connection and cap them (APNs at its
//! `SETTINGS_MAX_CONCURRENT_STREAMS`, FCM's guidance at 100), so throughput comes from a few
//! connections kept full rather than from a connection per request. Over `https://` the
//! protocol is agreed by ALPN; over `http://` (the loopback mock) HTTP/2 is spoken from the
//! first byte (h2c prior knowledge).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};

/// Streams per connection at most.
pub const MAX_STREAMS: usize = 100;

/// A pool of HTTP/2 connections.
pub struct H2Pool {
    connections: Vec<(reqwest::Client, Semaphore)>,
    streams: usize,
    next: AtomicUsize,
}

/// A connection lent for one request; its stream is given back when dropped.
pub struct Lent<'a> {
    /// The connection's client.
    pub client: &'a reqwest::Client,
    _stream: SemaphorePermit<'a>,
}

impl H2Pool {
    /// `connections` connections to `base_url` of up to `streams` (≤ [`MAX_STREAMS`]) streams.
    pub fn new(
        base_url: &str,
        connections: usize,
        streams: usize,
        timeout: Duration,
    ) -> Result<Self, reqwest::Error> {
        let cleartext = base_url.starts_with("http://");
        let streams = streams.clamp(1, MAX_STREAMS);
        let connections = (0..connections.max(1))
            .map(|_| {
                let mut builder = reqwest::Client::builder()
                    .timeout(timeout)
                    .pool_max_idle_per_host(1)
                    .http2_keep_alive_interval(Duration::from_secs(30))
                    .http2_keep_alive_while_idle(true);
                if cleartext {
                    builder = builder.http2_prior_knowledge();
                }
                builder.build().map(|c| (c, Semaphore::new(streams)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(H2Pool {
            connections,
            streams,
            next: AtomicUsize::new(0),
        })
    }

    /// A connection with a free stream: the next one round the pool that has one, or, when
    /// all are full, a wait on the next one's.
    pub async fn lend(&self) -> Lent<'_> {
        let n = self.connections.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed) % n;
        for i in 0..n {
            let (client, streams) = &self.connections[(start + i) % n];
            if let Ok(permit) = streams.try_acquire() {
                return Lent {
                    client,
                    _stream: permit,
                };
            }
        }
        let (client, streams) = &self.connections[start];
        // The semaphore is never closed.
        let permit = match streams.acquire().await {
            Ok(p) => p,
            Err(_) => unreachable!("a pool's semaphores are never closed"),
        };
        Lent {
            client,
            _stream: permit,
        }
    }

    /// Requests in flight on each connection.
    pub fn in_flight(&self) -> Vec<usize> {
        self.connections
            .iter()
            .map(|(_, s)| self.streams - s.available_permits())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn streams_are_spread_over_the_connections_and_capped_on_each() {
        let pool = H2Pool::new("http://127.0.0.1:1", 3, 2, Duration::from_secs(1)).expect("pool");
        let mut lent = Vec::new();
        for _ in 0..6 {
            lent.push(pool.lend().await);
        }
        assert_eq!(pool.in_flight(), [2, 2, 2]);
        // A seventh waits for a stream to come back.
        let waiting = tokio::time::timeout(Duration::from_millis(50), pool.lend()).await;
        assert!(waiting.is_err(), "every connection is full");
        lent.pop();
        let seventh = tokio::time::timeout(Duration::from_secs(1), pool.lend()).await;
        assert!(
            seventh.is_ok(),
            "the stream given back is found round the pool"
        );
    }
}
