//! The key-value store's part of a scenario file, as written, and its validation.

use faultline_engine::SimDuration;
use serde::Deserialize;

use super::{KvConfig, KvPolicy};
use crate::check::{Check, Step::Field};
use crate::raw::Dur;

/// More replicas than this is a typo, not a scenario.
const MAX_REPLICAS: u32 = 15;
/// Operations are drawn up front; more than this is a typo.
const MAX_OPS: f64 = 1_000_000.0;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Kv")]
pub struct RawKv {
    pub replicas: u32,
    pub keys: u32,
    pub writes_per_s: f64,
    /// When the client stops writing.
    pub writes_until: Dur,
    pub reads_per_s: f64,
    /// When the client stops reading.
    pub reads_until: Dur,
    /// How long the client waits for a quorum.
    pub timeout: Dur,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Kv")]
pub struct RawKvPolicy {
    pub write_quorum: u32,
    pub read_quorum: u32,
    #[serde(default)]
    pub read_repair: bool,
}

pub(super) fn config(raw: &RawKv, end: SimDuration, c: &mut Check) -> KvConfig {
    if raw.replicas == 0 || raw.replicas > MAX_REPLICAS {
        let message = format!("replicas must be 1 to {MAX_REPLICAS}, not {}", raw.replicas);
        c.error(&[Field("replicas")], message, None);
    }
    if raw.keys == 0 {
        c.error(&[Field("keys")], "a store needs at least one key".into(), None);
    }
    for (field, rate, until) in [
        ("writes_per_s", raw.writes_per_s, raw.writes_until),
        ("reads_per_s", raw.reads_per_s, raw.reads_until),
    ] {
        if !(rate.is_finite() && rate >= 0.0) || rate * until.0.as_secs_f64() > MAX_OPS {
            let message = format!("{field} must be 0 or more, at most {MAX_OPS} operations in all");
            c.error(&[Field(field)], message, None);
        }
        if until.0 + raw.timeout.0 > end {
            let message = format!(
                "operations until {} plus the {} timeout end after the run ({}): the last \
                 ones would be neither served nor failed",
                until.0.human(),
                raw.timeout.0.human(),
                end.human()
            );
            c.error(
                &[Field(field)],
                message,
                Some("stop operations one timeout before the end".into()),
            );
        }
    }
    if raw.timeout.0 == SimDuration::ZERO {
        c.error(&[Field("timeout")], "the timeout must be longer than zero".into(), None);
    }
    KvConfig {
        replicas: raw.replicas,
        keys: raw.keys,
        writes_per_s: raw.writes_per_s,
        writes_until: raw.writes_until.0,
        reads_per_s: raw.reads_per_s,
        reads_until: raw.reads_until.0,
        timeout: raw.timeout.0,
    }
}

pub(super) fn policy(raw: &RawKvPolicy, config: &KvConfig, c: &mut Check) -> KvPolicy {
    // With a wrong replica count the quorums have nothing to be checked against; that one
    // error is enough.
    let replicas_ok = (1..=MAX_REPLICAS).contains(&config.replicas);
    for (field, quorum) in [("write_quorum", raw.write_quorum), ("read_quorum", raw.read_quorum)] {
        if replicas_ok && !(1..=config.replicas).contains(&quorum) {
            let message =
                format!("{field} must be 1 to {} (the replicas), not {quorum}", config.replicas);
            c.error(&[Field(field)], message, None);
        }
    }
    KvPolicy {
        write_quorum: raw.write_quorum,
        read_quorum: raw.read_quorum,
        read_repair: raw.read_repair,
    }
}
