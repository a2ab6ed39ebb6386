//! How a batch of recorded department calls is stored: one JSON document per batch with its
//! repeated strings (departments, operations, outcomes, users) written once in a table and each
//! call a row of numbers. Tens of thousands of calls a second make this the BFF's largest write;
//! the plain array of objects it replaces was about seven times larger, and PostgreSQL spent its
//! share of the benchmark's two cores parsing and compressing it. Pure, tested without I/O.
//!
//! A stored batch reads back in either form (`{"v":2,…}`, or the earlier plain array), so rows
//! written before the change stay readable.

use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use super::UpstreamCall;

/// The compact form.
#[derive(Serialize, Deserialize)]
struct Compact {
    /// Format version.
    v: u8,
    /// Start of the first call, microseconds since the epoch; calls count from it.
    t0_us: i64,
    /// Every distinct label (department, operation, outcome) of the batch.
    labels: Vec<String>,
    /// Every distinct user of the batch.
    users: Vec<String>,
    /// `[start − t0 (µs), department, operation, outcome, latency ms, user]`, indexes into
    /// `labels` and `users`.
    calls: Vec<(i64, u32, u32, u32, i64, u32)>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Stored {
    Compact(Compact),
    Plain(Vec<UpstreamCall>),
}

/// Interns strings into a table, giving each its index.
struct Table<'a> {
    index: HashMap<&'a str, u32>,
    values: Vec<String>,
}

impl<'a> Table<'a> {
    fn new() -> Self {
        Self {
            index: HashMap::new(),
            values: Vec::new(),
        }
    }

    fn intern(&mut self, value: &'a str) -> u32 {
        *self.index.entry(value).or_insert_with(|| {
            self.values.push(value.to_string());
            (self.values.len() - 1) as u32
        })
    }
}

/// The stored form of `calls`.
pub fn encode(calls: &[UpstreamCall]) -> Result<String, serde_json::Error> {
    let t0_us = calls
        .iter()
        .map(|c| c.at.timestamp_micros())
        .min()
        .unwrap_or(0);
    let (mut labels, mut users) = (Table::new(), Table::new());
    let rows = calls
        .iter()
        .map(|c| {
            (
                c.at.timestamp_micros() - t0_us,
                labels.intern(&c.department),
                labels.intern(&c.operation),
                labels.intern(&c.outcome),
                c.latency_ms,
                users.intern(&c.on_behalf),
            )
        })
        .collect();
    serde_json::to_string(&Compact {
        v: 2,
        t0_us,
        labels: labels.values,
        users: users.values,
        calls: rows,
    })
}

/// The calls of a stored batch, in the order they were recorded.
pub fn decode(stored: &str) -> Result<Vec<UpstreamCall>, String> {
    let batch = match serde_json::from_str(stored).map_err(|e| e.to_string())? {
        Stored::Plain(calls) => return Ok(calls),
        Stored::Compact(batch) => batch,
    };
    let label = |i: u32| {
        batch
            .labels
            .get(i as usize)
            .cloned()
            .ok_or_else(|| format!("label {i} out of range"))
    };
    batch
        .calls
        .iter()
        .map(
            |&(dt_us, department, operation, outcome, latency_ms, user)| {
                let at: DateTime<Utc> = Utc
                    .timestamp_micros(batch.t0_us + dt_us)
                    .single()
                    .ok_or_else(|| format!("time {} out of range", batch.t0_us + dt_us))?;
                Ok(UpstreamCall {
                    at,
                    department: label(department)?.into(),
                    operation: label(operation)?.into(),
                    latency_ms,
                    outcome: label(outcome)?.into(),
                    on_behalf: batch
                        .users
                        .get(user as usize)
                        .cloned()
                        .ok_or_else(|| format!("user {user} out of range"))?,
                })
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::SubsecRound;

    fn calls(n: usize) -> Vec<UpstreamCall> {
        let t0 = Utc::now().trunc_subsecs(6);
        (0..n)
            .map(|i| UpstreamCall {
                at: t0 + chrono::Duration::microseconds((i * 37) as i64),
                department: ["public_security", "transport"][i % 2].into(),
                operation: ["household_register", "driving_licence"][i % 2].into(),
                latency_ms: i as i64,
                outcome: ["found", "timeout", "not_found"][i % 3].into(),
                on_behalf: format!("user-{}", i % 7),
            })
            .collect()
    }

    #[test]
    fn a_batch_reads_back_exactly_and_is_much_smaller_than_a_plain_array() {
        let calls = calls(2_000);
        let stored = encode(&calls).unwrap();
        assert_eq!(decode(&stored).unwrap(), calls);
        let plain = serde_json::to_string(&calls).unwrap();
        assert!(
            stored.len() * 4 < plain.len(),
            "{} vs {} bytes",
            stored.len(),
            plain.len()
        );
        assert_eq!(decode(&encode(&[]).unwrap()).unwrap(), vec![]);
    }

    #[test]
    fn batches_stored_as_plain_arrays_still_read() {
        let calls = calls(3);
        assert_eq!(
            decode(&serde_json::to_string(&calls).unwrap()).unwrap(),
            calls
        );
    }

    #[test]
    fn a_damaged_batch_is_an_error_not_a_panic() {
        assert!(decode("{").is_err());
        let bad = r#"{"v":2,"t0_us":0,"labels":[],"users":[],"calls":[[0,0,0,0,1,0]]}"#;
        assert!(decode(bad).unwrap_err().contains("label 0"));
    }
}
