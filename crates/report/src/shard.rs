//! The file `sweep --shard I/N --json` writes and `faultline merge` reads: one slice of a
//! sweep's seeds, what it was run from, and its tallies in full, so that the slices of a range
//! merge into exactly the sweep of the whole range.
//!
//! Floats are written as their IEEE-754 bits (`u64`): a decimal spelling would need a
//! correctly rounding parser to come back bit for bit, and has no spelling for infinities.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::exact_sum::ExactSum;
use crate::sweep::{InvariantTally, MetricTally, VariantTally};

/// The `format` of a shard file; a reader refuses any other.
pub const SHARD_FORMAT: &str = "faultline-sweep-shard/1";

/// One shard of a sweep, as written to and read from its file.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Shard {
    /// Always [`SHARD_FORMAT`].
    pub format: String,
    /// The faultline version that ran it: another version may run the same seed differently.
    pub faultline_version: String,
    pub scenario: String,
    /// The scenario file as the command line named it, for the commands merge prints.
    pub scenario_path: String,
    /// FNV-1a (64 bits) of the scenario file's bytes, as 16 hex digits: an edited file is
    /// another experiment.
    pub scenario_fnv1a: String,
    /// The whole sweep's seeds, half-open.
    pub seeds: [u64; 2],
    /// This shard's place: `[I, N]`, I from 1 to N.
    pub shard: [u64; 2],
    /// This shard's seeds, half-open (empty when there are more shards than seeds).
    pub shard_seeds: [u64; 2],
    pub swarm: bool,
    /// The invariants the scenario checks, in its order.
    pub invariants: Vec<String>,
    /// The model's headline metrics, in order.
    pub headline_metrics: Vec<String>,
    /// One per selected variant, in the scenario's order.
    pub tallies: Vec<ShardTally>,
}

/// A [`VariantTally`] as a shard file holds it.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ShardTally {
    pub name: String,
    pub runs: u64,
    pub runs_anomalous: u64,
    pub events: u64,
    /// `[name, runs violating, first violating seeds]`, in the tally's order.
    pub invariants: Vec<(String, u64, Vec<u64>)>,
    pub metrics: BTreeMap<String, ShardMetric>,
}

/// A [`MetricTally`] with every float as its bits; the sum as its exact partials.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ShardMetric {
    pub runs: u64,
    pub min_bits: u64,
    pub max_bits: u64,
    pub sum_partials_bits: Vec<u64>,
    pub sum_non_finite_bits: u64,
}

impl From<&VariantTally> for ShardTally {
    fn from(tally: &VariantTally) -> ShardTally {
        let invariants = tally.invariants.iter();
        let metrics = tally.metrics.iter().map(|(name, metric)| {
            let (partials, non_finite) = metric.sum.parts();
            let shard = ShardMetric {
                runs: metric.runs,
                min_bits: metric.min.to_bits(),
                max_bits: metric.max.to_bits(),
                sum_partials_bits: partials.iter().map(|p| p.to_bits()).collect(),
                sum_non_finite_bits: non_finite.to_bits(),
            };
            (name.clone(), shard)
        });
        ShardTally {
            name: tally.name.clone(),
            runs: tally.runs,
            runs_anomalous: tally.runs_anomalous,
            events: tally.events,
            invariants: invariants
                .map(|(name, i)| (name.clone(), i.runs_violating, i.seeds_first.clone()))
                .collect(),
            metrics: metrics.collect(),
        }
    }
}

impl From<ShardTally> for VariantTally {
    fn from(shard: ShardTally) -> VariantTally {
        let invariants = shard.invariants.into_iter().map(|(name, runs_violating, seeds_first)| {
            (name, InvariantTally { runs_violating, seeds_first })
        });
        let metrics = shard.metrics.into_iter().map(|(name, metric)| {
            let partials = metric.sum_partials_bits.into_iter().map(f64::from_bits).collect();
            let tally = MetricTally {
                runs: metric.runs,
                sum: ExactSum::from_parts(partials, f64::from_bits(metric.sum_non_finite_bits)),
                min: f64::from_bits(metric.min_bits),
                max: f64::from_bits(metric.max_bits),
            };
            (name, tally)
        });
        VariantTally {
            name: shard.name,
            runs: shard.runs,
            runs_anomalous: shard.runs_anomalous,
            invariants: invariants.collect(),
            metrics: metrics.collect(),
            events: shard.events,
        }
    }
}
