//! 惠企政策直通车's push pipeline.
//!
//! - [`matching`]: which enterprises a policy is for, which policies an enterprise is for, and
//!   why — pure code over enterprise profiles, indexed for a whole city's enterprises.
//! - [`channels`]: the push channels behind one trait (FCM HTTP v1, APNs, Huawei Push Kit),
//!   each failure classed by what the delivery must do about it.
//! - [`pacing`] and [`outlet`]: one project's sends kept inside its quota (a token bucket whose
//!   rate AIMD sets, paused for `Retry-After`), its retries inside a budget, its refused
//!   credential remembered for the alert.
//! - [`synthetic`]: a seeded population of enterprises and a mix of policies with Wenzhou's
//!   proportions, for property tests and the benchmarks.

#![warn(missing_docs)]

pub mod channels;
pub mod matching;
pub mod outlet;
pub mod pacing;
pub mod synthetic;
