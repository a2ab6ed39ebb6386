//! Fault injection for the department APIs: per department, at run time, added latency, a share
//! of errors, and one way of misbehaving ([`FaultMode`]), so tests and benchmarks can show how
//! the BFF copes with a slow, failing, hanging or garbage-returning department.
//!
//! A [`Fault`] is set through the admin API (`PUT /__admin/faults/{department}`, see
//! [`crate::admin`]) or in process with [`crate::MockState::set_fault`]; [`inject`] applies it
//! to each request after the IRS gateway accepted it. Every department starts healthy.
//!
//! ```json
//! {"latency": {"uniform_ms": [50, 150]}, "error_rate": 0.1, "mode": "healthy"}
//! {"mode": {"status": 503}}
//! {"mode": "hang"}
//! ```

mod board;
mod inject;

use std::fmt;
use std::time::Duration;

use rand::Rng;
use serde::{Deserialize, Serialize};

pub use board::{DepartmentStats, FaultBoard};
pub use inject::{inject, FaultSite};

/// The longest latency a fault may add: longer is a hang, which [`FaultMode::Hang`] says.
pub const MAX_LATENCY_MS: u64 = 600_000;

/// How a department misbehaves. Each request first waits out [`Fault::latency`], then fails
/// with HTTP 500 with probability [`Fault::error_rate`], and otherwise meets [`Fault::mode`].
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// Added before anything else; `None` for none.
    #[serde(default)]
    pub latency: Option<Latency>,
    /// Share of requests answered HTTP 500 with a gateway error body, in `0..=1`.
    #[serde(default)]
    pub error_rate: f64,
    /// What the remaining requests get.
    #[serde(default)]
    pub mode: FaultMode,
}

/// Latency added to each request, in milliseconds.
///
/// JSON: `{"fixed_ms": 200}`, `{"uniform_ms": [50, 150]}` or
/// `{"normal_ms": {"mean": 100, "stddev": 30}}` (a sample below zero counts as zero).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Latency {
    /// Always this long.
    FixedMs(u64),
    /// Uniform between the two bounds, inclusive; the first not above the second.
    UniformMs([u64; 2]),
    /// Normally distributed, clamped to `0..=`[`MAX_LATENCY_MS`].
    NormalMs {
        /// Mean.
        mean: f64,
        /// Standard deviation, not negative.
        stddev: f64,
    },
}

/// What a department does with a request that was neither delayed forever nor failed by the
/// error rate.
///
/// JSON: `"healthy"`, `{"status": 503}`, `"hang"`, `"malformed"`, `"wrong_shape"` or `"close"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultMode {
    /// Answers normally.
    #[default]
    Healthy,
    /// Answers every request with this HTTP status (400–599) and a gateway error body.
    Status(u16),
    /// Never answers (until the fault changes or the mock stops). Holds no thread.
    Hang,
    /// HTTP 200 with a body that is not JSON.
    Malformed,
    /// HTTP 200, a well-formed success envelope, and a record that is not the operation's (as
    /// when a department changes its interface without notice).
    WrongShape,
    /// Starts a 200 answer, then drops the connection in the middle of the body.
    Close,
}

/// Why a [`Fault`] was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidFault(pub String);

impl fmt::Display for InvalidFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvalidFault {}

impl Fault {
    /// No fault.
    pub const HEALTHY: Fault = Fault {
        latency: None,
        error_rate: 0.0,
        mode: FaultMode::Healthy,
    };

    /// Checks what serde cannot: ranges and the order of bounds.
    pub fn validate(&self) -> Result<(), InvalidFault> {
        let invalid = |message: String| Err(InvalidFault(message));
        if !(0.0..=1.0).contains(&self.error_rate) {
            return invalid(format!(
                "error_rate must be between 0 and 1, got {}",
                self.error_rate
            ));
        }
        if let FaultMode::Status(status) = self.mode {
            if !(400..=599).contains(&status) {
                return invalid(format!(
                    "mode.status must be an HTTP error status (400–599), got {status}"
                ));
            }
        }
        match self.latency {
            None => Ok(()),
            Some(Latency::FixedMs(ms)) if ms > MAX_LATENCY_MS => invalid(format!(
                "latency.fixed_ms must be at most {MAX_LATENCY_MS} (use mode \"hang\" for longer), got {ms}"
            )),
            Some(Latency::UniformMs([lo, hi])) if lo > hi || hi > MAX_LATENCY_MS => {
                invalid(format!(
                    "latency.uniform_ms must be [low, high] with low ≤ high ≤ {MAX_LATENCY_MS}, got [{lo}, {hi}]"
                ))
            }
            Some(Latency::NormalMs { mean, stddev })
                if !(0.0..=MAX_LATENCY_MS as f64).contains(&mean)
                    || !(0.0..=MAX_LATENCY_MS as f64).contains(&stddev) =>
            {
                invalid(format!(
                    "latency.normal_ms needs mean and stddev between 0 and {MAX_LATENCY_MS}, got mean {mean}, stddev {stddev}"
                ))
            }
            Some(_) => Ok(()),
        }
    }

    /// True when the fault does nothing.
    pub fn is_healthy(&self) -> bool {
        *self == Self::HEALTHY
    }
}

impl Latency {
    /// One delay drawn from the distribution.
    pub fn sample(&self, rng: &mut impl Rng) -> Duration {
        let ms = match *self {
            Latency::FixedMs(ms) => ms as f64,
            Latency::UniformMs([lo, hi]) => rng.gen_range(lo..=hi.max(lo)) as f64,
            Latency::NormalMs { mean, stddev } => mean + stddev * standard_normal(rng),
        };
        // NaN and negative samples become zero; a validated fault cannot go above the cap.
        Duration::try_from_secs_f64(ms.clamp(0.0, MAX_LATENCY_MS as f64) / 1000.0)
            .unwrap_or_default()
    }
}

/// A standard normal sample by the Box–Muller transform (`rand_distr` is not a dependency).
fn standard_normal(rng: &mut impl Rng) -> f64 {
    // `1 - gen()` lies in (0, 1], so the logarithm is finite.
    let u1: f64 = 1.0 - rng.gen::<f64>();
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn parse(json: &str) -> Result<Fault, String> {
        let fault: Fault = serde_json::from_str(json).map_err(|e| e.to_string())?;
        fault.validate().map_err(|e| e.to_string())?;
        Ok(fault)
    }

    #[test]
    fn every_documented_shape_parses() {
        assert_eq!(parse("{}"), Ok(Fault::HEALTHY));
        assert_eq!(
            parse(r#"{"latency": {"fixed_ms": 20}, "error_rate": 0.5, "mode": {"status": 503}}"#),
            Ok(Fault {
                latency: Some(Latency::FixedMs(20)),
                error_rate: 0.5,
                mode: FaultMode::Status(503),
            })
        );
        assert_eq!(
            parse(r#"{"latency": {"uniform_ms": [1, 3]}, "mode": "hang"}"#).map(|f| f.latency),
            Ok(Some(Latency::UniformMs([1, 3])))
        );
        assert_eq!(
            parse(r#"{"latency": {"normal_ms": {"mean": 10, "stddev": 2}}}"#).map(|f| f.latency),
            Ok(Some(Latency::NormalMs {
                mean: 10.0,
                stddev: 2.0
            }))
        );
        for mode in ["healthy", "hang", "malformed", "wrong_shape", "close"] {
            assert!(parse(&format!(r#"{{"mode": "{mode}"}}"#)).is_ok(), "{mode}");
        }
    }

    #[test]
    fn unknown_fields_and_out_of_range_values_are_refused_with_the_reason() {
        let err = |json| parse(json).expect_err(json);
        assert!(err(r#"{"eror_rate": 1}"#).contains("unknown field `eror_rate`"));
        assert!(err(r#"{"error_rate": 1.5}"#).contains("error_rate must be between 0 and 1"));
        assert!(err(r#"{"mode": {"status": 200}}"#).contains("400–599"));
        assert!(err(r#"{"mode": "sleepy"}"#).contains("unknown variant `sleepy`"));
        assert!(err(r#"{"latency": {"uniform_ms": [5, 1]}}"#).contains("low ≤ high"));
        assert!(err(r#"{"latency": {"normal_ms": {"mean": 1, "stddev": -1}}}"#).contains("stddev"));
        assert!(
            err(r#"{"latency": {"normal_ms": {"mean": 1, "stddev": 1, "skew": 2}}}"#)
                .contains("unknown field `skew`")
        );
    }

    #[test]
    fn latency_samples_stay_in_their_range() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        assert_eq!(
            Latency::FixedMs(7).sample(&mut rng),
            Duration::from_millis(7)
        );
        for _ in 0..1_000 {
            let d = Latency::UniformMs([5, 9]).sample(&mut rng);
            assert!((5..=9).contains(&d.as_millis()), "{d:?}");
            // A wide normal around zero is often negative before clamping.
            let n = Latency::NormalMs {
                mean: 0.0,
                stddev: 50.0,
            }
            .sample(&mut rng);
            assert!(n <= Duration::from_millis(MAX_LATENCY_MS));
        }
    }

    #[test]
    fn the_normal_sample_has_roughly_the_asked_mean() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let latency = Latency::NormalMs {
            mean: 100.0,
            stddev: 10.0,
        };
        let total: f64 = (0..10_000)
            .map(|_| latency.sample(&mut rng).as_secs_f64() * 1000.0)
            .sum();
        let mean = total / 10_000.0;
        assert!((98.0..102.0).contains(&mean), "{mean}");
    }
}
