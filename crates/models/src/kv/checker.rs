//! The key-value store's checker: it sees only the history (acknowledged writes, finished
//! reads, what each replica applied), never a node's state, and judges reads and replicas.

use std::collections::BTreeMap;

use faultline_engine::{NodeId, SimTime};
use faultline_outcome::{Series, Violation};

use super::nodes::KvObs;
use super::{CONVERGENCE, DIVERGED_KEYS, NO_STALE_READ, STALE_READS};
use crate::setup::RunSetup;
use crate::stats::{Bins, rates};

pub(super) struct Checker<'a> {
    setup: &'a RunSetup,
    names: &'a [String],
    /// Per key, the acknowledged writes as (when, version), in time order.
    acked: BTreeMap<u32, Vec<(SimTime, u64)>>,
    /// Per replica (by node index), the newest version of each key it applied.
    replicas: BTreeMap<usize, BTreeMap<u32, u64>>,
    replica_count: usize,
    /// Keys on which the replicas disagree now, and that count at the end of each bin
    /// (a write takes milliseconds to reach every replica; sampling skips that flicker).
    diverged: usize,
    diverged_per_bin: Vec<(f64, f64)>,
    bins: Bins,
    pub(super) reads: u64,
    /// When each stale read finished.
    pub(super) stale: Vec<SimTime>,
    pub(super) writes_acked: u64,
    pub(super) failed_reads: u64,
    pub(super) failed_writes: u64,
    violations: Vec<Violation>,
}

impl<'a> Checker<'a> {
    pub(super) fn new(setup: &'a RunSetup, names: &'a [String], replica_count: usize) -> Self {
        Checker {
            setup,
            names,
            acked: BTreeMap::new(),
            replicas: BTreeMap::new(),
            replica_count,
            diverged: 0,
            diverged_per_bin: Vec::new(),
            bins: Bins::seconds(setup.sim.duration),
            reads: 0,
            stale: Vec::new(),
            writes_acked: 0,
            failed_reads: 0,
            failed_writes: 0,
            violations: Vec::new(),
        }
    }

    pub(super) fn observe(&mut self, at: SimTime, node: NodeId, obs: KvObs) {
        self.sample_until(at);
        match obs {
            KvObs::WriteAcked { key, version } => {
                self.writes_acked += 1;
                self.acked.entry(key).or_default().push((at, version));
            }
            KvObs::ReadDone { op, key, version, started } => {
                self.reads += 1;
                // The newest write acknowledged before the read began: the read must see it.
                let before = self.acked.get(&key).map_or(&[][..], Vec::as_slice);
                let owed = before.iter().take_while(|(t, _)| *t < started).map(|&(_, v)| v).max();
                if let Some(owed) = owed.filter(|&owed| version < owed) {
                    self.stale.push(at);
                    // The first stale read explains the failure; the metric counts the rest.
                    if self.setup.checks(NO_STALE_READ) && self.stale.len() == 1 {
                        let detail = format!(
                            "a read of key {key} that began at {:.3} s returned version {version}, \
                             but version {owed} had been acknowledged before it began",
                            started.as_secs_f64()
                        );
                        let violation = Violation::new(NO_STALE_READ, at, "client", detail);
                        self.violations.push(violation.about(u64::from(op)));
                    }
                }
            }
            KvObs::Failed { write } => {
                if write {
                    self.failed_writes += 1;
                } else {
                    self.failed_reads += 1;
                }
            }
            KvObs::Applied { key, version } => {
                let was = self.disagree(key);
                self.replicas.entry(node.index()).or_default().insert(key, version);
                let now = self.disagree(key);
                if was != now {
                    self.diverged = if now { self.diverged + 1 } else { self.diverged - 1 };
                }
            }
        }
    }

    /// Records the diverged count for every whole bin that ended by `at`.
    fn sample_until(&mut self, at: SimTime) {
        while self.diverged_per_bin.len() < self.bins.count()
            && self.bins.start(self.diverged_per_bin.len() + 1) <= at
        {
            let end_s = self.bins.start_s(self.diverged_per_bin.len() + 1);
            self.diverged_per_bin.push((end_s, self.diverged as f64));
        }
    }

    /// Whether the replicas hold different versions of `key` (missing counts as version 0).
    fn disagree(&self, key: u32) -> bool {
        let version = |replica: Option<&BTreeMap<u32, u64>>| {
            replica.and_then(|store| store.get(&key)).copied().unwrap_or(0)
        };
        let held: Vec<u64> =
            (0..self.replica_count).map(|r| version(self.replicas.get(&(r + 1)))).collect();
        held.iter().any(|&v| v != held[0])
    }

    /// Checks convergence at the end and hands over the violations and chart series.
    pub(super) fn finish(mut self, end: SimTime) -> (Vec<Violation>, Vec<Series>, usize) {
        if self.diverged > 0 && self.setup.checks(CONVERGENCE) {
            let keys: Vec<u32> = self
                .replicas
                .values()
                .flat_map(|store| store.keys().copied())
                .filter(|&key| self.disagree(key))
                .collect::<std::collections::BTreeSet<u32>>()
                .into_iter()
                .collect();
            let detail = format!(
                "when the run ended the replicas still disagreed on {} keys (key {} first); \
                 nothing would ever bring them together",
                self.diverged, keys[0]
            );
            let node = self.names.get(1).map_or("replicas", String::as_str);
            self.violations.push(Violation::new(CONVERGENCE, end, node, detail));
        }
        self.sample_until(end);
        let series = vec![
            Series::new(STALE_READS, rates(self.stale.iter().copied(), &self.bins)),
            Series::new(DIVERGED_KEYS, self.diverged_per_bin),
        ];
        (self.violations, series, self.diverged)
    }
}
