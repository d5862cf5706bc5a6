//! A replicated key-value store with quorums and read repair: the example model of
//! `docs/writing-a-model.md`, small enough to read in one sitting.
//!
//! One client writes and reads keys on every replica and waits for a quorum: `write_quorum`
//! acknowledgements, `read_quorum` answers (it returns the newest version among them).
//! With `W + R <= N` a read may miss the newest acknowledged write: a stale read. Read repair
//! sends the newest version to replicas that answered with an older one, so replicas that
//! missed writes during a partition catch up once they are read.

mod checker;
mod nodes;
mod scenario;

use faultline_engine::{LimitExceeded, NodeId, Prng, SimDuration, SimTime, Simulation, Stream};
use faultline_outcome::{ChartId, ChartSpec, Invariant, Metric, Metrics, Outcome, Tradeoff, Unit};

use crate::check::Check;
use crate::model::Model;
use crate::setup::RunSetup;
use crate::workload::RateSchedule;
pub use nodes::{KvMsg, KvNode, KvObs, KvTimer, Op, Reply, Request};
pub use scenario::{RawKv, RawKvPolicy};

pub const NO_STALE_READ: Invariant = Invariant {
    id: "no-stale-read",
    promise: "a read returns at least the newest version acknowledged before it began",
};
pub const CONVERGENCE: Invariant = Invariant {
    id: "convergence",
    promise: "when the run ends, every replica holds the same version of every key",
};

pub const READS_OK: Metric = Metric::new(
    "reads.ok",
    Unit::Count,
    "reads a read quorum answered in time, stale ones included",
);
pub const READS_STALE: Metric = Metric::new(
    "reads.stale",
    Unit::Count,
    "answered reads that returned an older version of their key than the newest write \
     acknowledged before the read began",
);
pub const READS_FAILED: Metric = Metric::new(
    "reads.failed",
    Unit::Count,
    "reads the client gave up on: no read quorum within `timeout`, or a crash of the client",
);
pub const WRITES_ACKED: Metric =
    Metric::new("writes.acked", Unit::Count, "writes a write quorum acknowledged in time");
pub const WRITES_FAILED: Metric = Metric::new(
    "writes.failed",
    Unit::Count,
    "writes the client gave up on: no write quorum within `timeout`, or a crash of the client",
);
pub const AVAILABILITY: Metric = Metric::new(
    "availability",
    Unit::Share,
    "answered reads and acknowledged writes as a share of every operation the workload \
     scheduled, those a crashed client never started included; absent with none scheduled",
);
pub const KEYS_DIVERGED_AT_END: Metric = Metric::new(
    "keys.diverged_at_end",
    Unit::Count,
    "keys whose replicas hold different versions when the run ends",
);

pub const STALE_READS: ChartId = ChartId("stale-reads");
pub const DIVERGED_KEYS: ChartId = ChartId("diverged-keys");

/// The store and its workload, shared by every variant.
#[derive(Clone, Debug, PartialEq)]
pub struct KvConfig {
    /// Replicas `r1` … `rN`.
    pub replicas: u32,
    /// Keys `0` … `keys - 1`, each operation on one drawn uniformly.
    pub keys: u32,
    pub writes_per_s: f64,
    pub writes_until: SimDuration,
    pub reads_per_s: f64,
    pub reads_until: SimDuration,
    pub timeout: SimDuration,
}

/// What the variants vary: the quorums, and whether reads repair.
#[derive(Clone, Debug, PartialEq)]
pub struct KvPolicy {
    pub write_quorum: u32,
    pub read_quorum: u32,
    pub read_repair: bool,
}

/// The example model: one client, N replicas, quorums and read repair.
pub struct Kv;

impl Model for Kv {
    const NAME: &'static str = "Kv";
    const ABOUT: &'static str =
        "a client reads and writes keys on N replicas with quorums; stale reads and read repair";
    const INVARIANTS: &'static [Invariant] = &[NO_STALE_READ, CONVERGENCE];
    const METRICS: &'static [Metric] = &[
        READS_OK,
        READS_STALE,
        READS_FAILED,
        WRITES_ACKED,
        WRITES_FAILED,
        AVAILABILITY,
        KEYS_DIVERGED_AT_END,
    ];
    const HEADLINE_METRICS: &'static [Metric] = &[READS_STALE, KEYS_DIVERGED_AT_END, AVAILABILITY];
    const TRADEOFF: Option<Tradeoff> =
        Some(Tradeoff::higher(AVAILABILITY, "availability (share of operations answered)"));

    type RawConfig = RawKv;
    type RawPolicy = RawKvPolicy;
    type Config = KvConfig;
    type Policy = KvPolicy;

    fn config(raw: &RawKv, duration: SimDuration, check: &mut Check) -> KvConfig {
        scenario::config(raw, duration, check)
    }

    fn policy(raw: &RawKvPolicy, config: &KvConfig, check: &mut Check) -> KvPolicy {
        scenario::policy(raw, config, check)
    }

    fn node_names(config: &KvConfig) -> Vec<String> {
        let replicas = (1..=config.replicas).map(|r| format!("r{r}"));
        std::iter::once("client".to_owned()).chain(replicas).collect()
    }

    fn charts(_config: &KvConfig, _variants: &[(&str, &KvPolicy)]) -> Vec<ChartSpec> {
        vec![
            ChartSpec::line(
                STALE_READS,
                "Stale reads per second: a read that missed an acknowledged write",
                "stale reads / s",
            ),
            ChartSpec::line(
                DIVERGED_KEYS,
                "Keys the replicas disagree on: read repair brings them back together",
                "diverged keys",
            ),
        ]
    }

    fn run(
        config: &KvConfig,
        policy: &KvPolicy,
        setup: &RunSetup,
        variant: &str,
    ) -> Result<Outcome, LimitExceeded> {
        let names = Kv::node_names(config);
        let replicas: Vec<NodeId> = (1..=config.replicas).map(NodeId).collect();
        let ops = workload(config, setup.sim.seed);
        let scheduled = ops.len() as u64;
        let client = nodes::Client::new(ops, replicas, policy.clone(), config.timeout);
        let mut nodes = vec![(names[0].clone(), KvNode::Client(client))];
        nodes.extend(
            names[1..].iter().map(|name| (name.clone(), KvNode::Replica(nodes::Replica::new()))),
        );
        let mut sim = Simulation::new(setup.sim.clone(), nodes);
        let mut checker = checker::Checker::new(setup, &names, config.replicas as usize);
        let stats = sim.run(&mut |at, node, obs| checker.observe(at, node, obs))?;
        let trace = sim.take_trace();
        let (reads, stale) = (checker.reads, checker.stale.len() as u64);
        let (writes, failed_reads, failed_writes) =
            (checker.writes_acked, checker.failed_reads, checker.failed_writes);
        let (violations, series, diverged) = checker.finish(stats.end);
        // Every scheduled operation counts: one the client never started (it was down) or
        // never finished (it crashed for good) was not served either.
        let mut metrics = Metrics::default();
        metrics.put(READS_OK, reads as f64);
        metrics.put(READS_STALE, stale as f64);
        metrics.put(READS_FAILED, failed_reads as f64);
        metrics.put(WRITES_ACKED, writes as f64);
        metrics.put(WRITES_FAILED, failed_writes as f64);
        metrics.put(KEYS_DIVERGED_AT_END, diverged as f64);
        if scheduled > 0 {
            let served = (reads + writes) as f64 / scheduled as f64;
            metrics.put(AVAILABILITY, served);
        }
        let verdict = match (stale, diverged) {
            (0, 0) => format!("{reads} reads, none stale; the replicas agree at the end."),
            (0, _) => format!(
                "{reads} reads, none stale, but the replicas still disagree on {diverged} keys."
            ),
            (_, 0) => {
                format!("{stale} of {reads} reads were stale; the replicas agree at the end.")
            }
            (_, _) => format!(
                "{stale} of {reads} reads were stale, and the replicas still disagree on {diverged} keys."
            ),
        };
        Ok(Outcome {
            variant: variant.to_owned(),
            trace_hash: stats.trace_hash,
            events: stats.events,
            sim_time: stats.end,
            metrics: metrics.into_map(),
            violations,
            series,
            verdict,
            trace,
        })
    }
}

/// The operations, drawn before the run from the workload stream: the same for every
/// variant. Writes and reads are two Poisson processes, merged in time order.
fn workload(config: &KvConfig, seed: u64) -> Vec<Op> {
    let mut rng = Prng::new(seed, Stream::Workload);
    let mut ops = Vec::new();
    for (rate, until, write) in [
        (config.writes_per_s, config.writes_until, true),
        (config.reads_per_s, config.reads_until, false),
    ] {
        let (schedule, end) = (RateSchedule::constant(rate), SimTime::ZERO + until);
        let mut at = SimTime::ZERO;
        while let Some(next) = schedule.next_arrival(&mut rng, at, end) {
            at = next;
            let key = rng.below(u64::from(config.keys)) as u32;
            ops.push(Op { at, key, write: write.then_some(0) });
        }
    }
    ops.sort_by_key(|op| op.at);
    // A single client writes, so numbering the writes in time order gives their versions.
    let mut version = 0;
    for op in &mut ops {
        if let Some(v) = &mut op.write {
            version += 1;
            *v = version;
        }
    }
    ops
}
