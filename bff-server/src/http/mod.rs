//! HTTP plumbing shared by every endpoint: problem errors, request ids, the language of the
//! request, the JSON extractor, metrics and the client identity used for rate limits.

pub mod client;
pub mod json;
pub mod language;
pub mod metrics;
pub mod problem;
pub mod request_id;

/// Largest request body the BFF reads; every ZheliKit request is small JSON (a correction
/// filing, which carries evidence, has its own [`BodyLimit`]).
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;

/// A route's own body limit where it takes more than [`BODY_LIMIT_BYTES`] (a filing with
/// evidence): set as an extension beside axum's `DefaultBodyLimit`, so the problem a too-large
/// body gets names the limit that applied.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);
