//! HTTP plumbing shared by every endpoint: problem errors, request ids, the language of the
//! request, the JSON extractor, metrics and the client identity used for rate limits.

pub mod client;
pub mod json;
pub mod language;
pub mod metrics;
pub mod problem;
pub mod request_id;

/// Largest request body the BFF reads; every ZheliKit request is small JSON.
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;
