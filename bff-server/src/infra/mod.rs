//! Shared infrastructure with two implementations each: Redis when `REDIS_URL` is set, an
//! in-process fallback otherwise (the embedded default).

pub mod cache;
pub mod local_ttl;
pub mod outbound;
pub mod rate_limit;
pub mod revocations;

/// Why the cache or rate limiter could not answer. Callers decide whether to fail open.
#[derive(Debug, thiserror::Error)]
#[error("cache unavailable: {0}")]
pub struct CacheError(pub String);

impl From<redis::RedisError> for CacheError {
    fn from(e: redis::RedisError) -> Self {
        Self(e.to_string())
    }
}

/// Connects to Redis with a connection manager that reconnects by itself after an outage.
pub async fn redis_connection(url: &str) -> Result<redis::aio::ConnectionManager, CacheError> {
    // A request must not wait long on a dead Redis: it falls back instead.
    redis_connection_waiting(url, std::time::Duration::from_millis(500)).await
}

/// A connection whose commands may take up to `response_timeout` (a worker's blocking read of
/// its job stream), kept apart from the requests' connection.
pub async fn redis_connection_waiting(
    url: &str,
    response_timeout: std::time::Duration,
) -> Result<redis::aio::ConnectionManager, CacheError> {
    let client = redis::Client::open(url)?;
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(std::time::Duration::from_millis(500))
        .set_response_timeout(response_timeout)
        .set_number_of_retries(1);
    Ok(redis::aio::ConnectionManager::new_with_config(client, config).await?)
}
