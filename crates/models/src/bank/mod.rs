//! The article's banking story: user A moves $100 from account X to Y while user B moves
//! $100 from X to Z, and X held $100. The variants are the strategies a client can use
//! against the bank: the article's check-then-act race, a read-modify-write that loses updates,
//! and the fixes — a conditional debit, compare-and-set, a lock with leases (with and
//! without fencing tokens), a single writer — and retries with and without idempotency keys.

mod checker;
mod nodes;
mod replica;
mod scenario;

use faultline_engine::{
    LimitExceeded, NodeId, Prng, SimConfig, SimDuration, SimTime, Simulation, Stream, rename_faults,
};
use faultline_outcome::{ChartId, ChartSpec, Invariant, Metric, Outcome, Series, Tradeoff, Unit};

use crate::check::{Check, Step::Field, Step::Index};
use crate::model::{Knob, KnobSize, Model};
use crate::resilience::Backoff;
use crate::setup::RunSetup;
pub use nodes::{BankMsg, BankNode, BankObs, BankTimer, Strategy};
pub use replica::Replication;
pub use scenario::{RawBank, RawBankPolicy};

pub const NO_NEGATIVE_BALANCE: Invariant =
    Invariant { id: "no-negative-balance", promise: "no account ever holds less than $0" };
pub const CONSERVATION: Invariant = Invariant {
    id: "conservation",
    promise: "whenever no transfer is in flight, the accounts hold what they opened with",
};
pub const EXACTLY_ONCE: Invariant =
    Invariant { id: "exactly-once", promise: "every transfer is applied at most once" };
pub const NO_LOST_UPDATE: Invariant = Invariant {
    id: "no-lost-update",
    promise: "no write overwrites a balance that changed since it was read",
};
pub const REPLICA_CONVERGENCE: Invariant = Invariant {
    id: "replica-convergence",
    promise: "once the faults heal, every replica holds the same balances",
};

pub const TRANSFERS_SUBMITTED: Metric = Metric::new(
    "transfers.submitted",
    Unit::Count,
    "transfers the clients started, each repeat and each contending client's copy one of its own",
);
pub const TRANSFERS_COMMITTED: Metric = Metric::new(
    "transfers.committed",
    Unit::Count,
    "transfers whose client was told they went through",
);
pub const TRANSFERS_REJECTED: Metric = Metric::new(
    "transfers.rejected",
    Unit::Count,
    "transfers refused for insufficient funds: the balance read, the conditional debit or the \
     replica's check fell short of the amount",
);
pub const TRANSFERS_UNAVAILABLE: Metric = Metric::new(
    "transfers.unavailable",
    Unit::Count,
    "transfers that could not complete: no answer in time and no retry left, a lease or a \
     compare-and-set refused on every attempt, a stale fencing token refused, a lease holder's \
     transaction refused (a newer holder's token seen, or the source changed since its read), \
     no quorum or primary within reach, or still under way when the run ended",
);
pub const AVAILABILITY: Metric = Metric::new(
    "availability",
    Unit::Share,
    "committed and rejected transfers as a share of those submitted: answered either way \
     rather than unavailable; absent when none was submitted",
);
pub const LATENCY_P50_MS: Metric = Metric::new(
    "latency_p50_ms",
    Unit::Ms,
    "the median time from a transfer's start to its ending, whichever it was, over transfers \
     that ended (nearest rank); absent when none ended",
);
pub const LATENCY_P99_MS: Metric = Metric::new(
    "latency_p99_ms",
    Unit::Ms,
    "the 99th percentile of the same times; absent when no transfer ended",
);
pub const BALANCE_MIN: Metric = Metric::new(
    "balance.min_cents",
    Unit::Cents,
    "the lowest balance any account reached at the bank or at any replica, opening balances \
     included: below 0 is an overdraft",
);
pub const MONEY_CREATED: Metric = Metric::new(
    "money.created_cents",
    Unit::Cents,
    "when the run ends, what the accounts hold together minus what they opened with, at the \
     store (the bank, or the replica) where that differs most: below 0 when money was \
     destroyed (a debit whose credit never landed)",
);
pub const TRANSFERS_APPLIED_TWICE: Metric = Metric::new(
    "transfers.applied_twice",
    Unit::Count,
    "transfers whose debit landed more than once at one store (a retry without an \
     idempotency key taken for a new transfer)",
);
pub const UPDATES_LOST: Metric = Metric::new(
    "updates.lost",
    Unit::Count,
    "absolute balance writes the bank applied although the account had changed since the \
     writer read it",
);
pub const READS_STALE: Metric = Metric::new(
    "reads.stale",
    Unit::Count,
    "approvals by a replica that had not yet applied a transfer another replica had \
     approved: decisions on a stale balance (always 0 on one bank)",
);
pub const CALLS_TOTAL: Metric = Metric::new(
    "calls.total",
    Unit::Count,
    "write requests (debits, conditional debits, writes, compare-and-sets, lease holders' \
     transactions, transfers) that \
     reached the bank or a replica, resends and network duplicates included; reads, credits \
     and lock requests are not counted",
);
pub const COMPLETION_S: Metric = Metric::new(
    "completion_s",
    Unit::Seconds,
    "from the first transfer's start to the last transfer's ending; absent when none ended",
);

pub const BALANCE: ChartId = ChartId("balance");
/// Money in all accounts together: created or destroyed money leaves the opening total.
pub const TOTAL: ChartId = ChartId("total");
pub const CONTENTION_CALLS: ChartId = ChartId("contention-calls");
pub const CONTENTION_COMPLETION: ChartId = ChartId("contention-completion");

/// Two transfers from one account, and the strategies that keep money from being created
/// or an account from going negative.
pub struct Bank;

impl Model for Bank {
    const NAME: &'static str = "Bank";
    const ABOUT: &'static str = "clients move money between accounts on one bank or on \
                                 replicas; check-then-debit races against the fixes";
    const INVARIANTS: &'static [Invariant] =
        &[NO_NEGATIVE_BALANCE, CONSERVATION, EXACTLY_ONCE, NO_LOST_UPDATE, REPLICA_CONVERGENCE];
    const METRICS: &'static [Metric] = &[
        TRANSFERS_SUBMITTED,
        TRANSFERS_COMMITTED,
        TRANSFERS_REJECTED,
        TRANSFERS_UNAVAILABLE,
        AVAILABILITY,
        LATENCY_P50_MS,
        LATENCY_P99_MS,
        BALANCE_MIN,
        MONEY_CREATED,
        TRANSFERS_APPLIED_TWICE,
        UPDATES_LOST,
        READS_STALE,
        CALLS_TOTAL,
        COMPLETION_S,
    ];
    const HEADLINE_METRICS: &'static [Metric] =
        &[BALANCE_MIN, MONEY_CREATED, AVAILABILITY, LATENCY_P99_MS];
    const TRADEOFF: Option<Tradeoff> =
        Some(Tradeoff::higher(AVAILABILITY, "availability (share of transfers answered)"));

    type RawConfig = RawBank;
    type RawPolicy = RawBankPolicy;
    type Config = BankConfig;
    type Policy = BankPolicy;

    fn config(raw: &RawBank, duration: SimDuration, check: &mut Check) -> BankConfig {
        scenario::config(raw, duration, check)
    }

    fn policy(raw: &RawBankPolicy, config: &BankConfig, check: &mut Check) -> BankPolicy {
        scenario::policy(raw, config, check)
    }

    fn node_names(config: &BankConfig) -> Vec<String> {
        config.node_names()
    }

    fn inapplicable(config: &BankConfig) -> Vec<(Invariant, String)> {
        if config.replicas.is_empty() {
            let why = "there are no replicas (one bank holds every account)";
            vec![(REPLICA_CONVERGENCE, why.into())]
        } else {
            // Replicas apply transfers as deltas, or quorum writes by version; the checker
            // sees a lost update only where the single bank takes an absolute write.
            let why = "the checker sees lost updates only in the single bank's absolute \
                       writes (on replicas, a lost update shows as money created, which \
                       conservation checks)";
            vec![(NO_LOST_UPDATE, why.into())]
        }
    }

    /// The charts every bank report shows.
    fn charts(config: &BankConfig, variants: &[(&str, &BankPolicy)]) -> Vec<ChartSpec> {
        let source = config.accounts.first().map_or("X", |(name, _)| name.as_str());
        let mut charts = Vec::new();
        if !config.contention.is_empty() {
            let curve = |id, title: &str, y_label: &str| ChartSpec {
                x_label: Some("contending clients".into()),
                ..ChartSpec::line(id, title, y_label)
            };
            charts.push(curve(
                CONTENTION_CALLS,
                "Write attempts on the hot account: without jitter, retries collide again and again",
                "write attempts",
            ));
            charts.push(curve(
                CONTENTION_COMPLETION,
                "Time until every client has succeeded: backoff without jitter waits longest; jitter is close to not waiting",
                "completion (s)",
            ));
        }
        // Contention runs are about retries, and every strategy there keeps balances whole:
        // a balance chart would be a flat line.
        if !config.contention.is_empty() {
            return charts;
        }
        let balance = |title: String| ChartSpec {
            reference_lines: vec![(0.0, "zero".into())],
            ..ChartSpec::line(BALANCE, title, format!("{source} ($)"))
        };
        if config.replicas.is_empty() {
            charts.push(balance(format!(
                "Balance of {source} over time: below the red line is money that does not exist"
            )));
            let opening_usd =
                config.accounts.iter().map(|(_, cents)| *cents).sum::<i64>() as f64 / 100.0;
            charts.push(ChartSpec {
                reference_lines: vec![(opening_usd, "the opening total".into())],
                ..ChartSpec::line(
                    TOTAL,
                    "Money in all accounts: a transfer dips it between its debit and its credit; settled away from the red line, money was created or destroyed",
                    "all accounts ($)",
                )
            });
        } else {
            // One chart per variant, a line per replica: where replicas disagree is the point,
            // and nine lines on one chart hide it.
            for (variant, _) in variants {
                charts.push(
                    balance(format!(
                        "{variant}: {source} on each replica; below the red line is money that does not exist"
                    ))
                    .of_variant(variant),
                );
            }
        }
        charts
    }

    /// Fewer transfers, and fewer repeats and clients for those written with them.
    fn workload_knobs(raw: &RawBank) -> Vec<Knob> {
        let transfers = KnobSize::List { len: raw.transfers.len(), min: 1 };
        let mut knobs = vec![Knob { path: vec![Field("transfers")], size: transfers }];
        for (i, transfer) in raw.transfers.iter().enumerate() {
            for (field, value) in [("repeat", transfer.repeat), ("clients", transfer.clients)] {
                if value > 1 {
                    let size = KnobSize::Count { value: u64::from(value), min: 1 };
                    knobs.push(Knob {
                        path: vec![Field("transfers"), Index(i), Field(field)],
                        size,
                    });
                }
            }
        }
        knobs
    }

    fn workload_size(config: &BankConfig, _seed: u64) -> Option<String> {
        let (transfers, clients) = (config.transfers.len(), config.clients.len());
        let plural = |n: usize, noun: &str| format!("{n} {noun}{}", if n == 1 { "" } else { "s" });
        Some(format!("{} by {}", plural(transfers, "transfer"), plural(clients, "client")))
    }

    /// Runs one variant.
    fn run(
        config: &BankConfig,
        policy: &BankPolicy,
        setup: &RunSetup,
        variant: &str,
    ) -> Result<Outcome, LimitExceeded> {
        let starts = start_times(config, setup.sim.seed);
        let names = config.node_names();
        let first_server = config.clients.len() as u32;
        let server = |index: usize| NodeId(first_server + index as u32);
        let mut nodes: Vec<(String, BankNode)> = config
            .clients
            .iter()
            .enumerate()
            .map(|(c, name)| {
                let mine = config
                    .transfers
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| t.client == c)
                    .map(|(id, t)| nodes::Job::new(id as u32, t.clone(), starts[id]))
                    .collect();
                let target =
                    if config.replicas.is_empty() { server(0) } else { server(config.attach[c]) };
                (name.clone(), BankNode::client(mine, config, policy, target, server(1)))
            })
            .collect();
        match &policy.strategy {
            Strategy::Replicated(mode) => {
                let replicas: Vec<NodeId> = (0..config.replicas.len()).map(server).collect();
                for (i, name) in config.replicas.iter().enumerate() {
                    let node = BankNode::replica(i, replicas.clone(), *mode, &config.accounts);
                    nodes.push((name.clone(), node));
                }
            }
            _ => {
                nodes.push((BANK.to_string(), BankNode::bank(&config.accounts)));
                nodes.push((LOCKS.to_string(), BankNode::locks(config.lease)));
            }
        }
        let mut sim = Simulation::new(setup.sim.clone(), nodes);
        sim.set_labels(config.accounts.iter().map(|(name, _)| name.clone()).collect());
        let mut checker = checker::Checker::new(config, setup);
        let stats = sim.run(&mut |at, node, obs| checker.observe(at, node, obs))?;
        let trace = sim.take_trace();
        let mut summary = checker.finish(stats.end, variant, &names);
        if !config.contention.is_empty() {
            let (mut calls, mut completion) = (Vec::new(), Vec::new());
            let quiet =
                RunSetup { sim: SimConfig { trace: false, ..setup.sim.clone() }, ..setup.clone() };
            for &clients in &config.contention {
                let contenders = config.with_contenders(clients);
                // More or fewer clients shift the servers' ids: faults follow their nodes by name.
                let faults = rename_faults(&setup.sim.faults, &names, &contenders.node_names());
                let quiet =
                    RunSetup { sim: SimConfig { faults, ..quiet.sim.clone() }, ..quiet.clone() };
                let rerun = Bank::run(&contenders, policy, &quiet, variant)?;
                let x = f64::from(clients);
                let metric = |m: Metric| rerun.metrics.get(m.name()).map(|&y| (x, y));
                calls.extend(metric(CALLS_TOTAL));
                // No transfer finished (the faults stopped them all): no completion time,
                // so no point, rather than a made-up one.
                completion.extend(metric(COMPLETION_S));
            }
            summary.series.push(Series::new(CONTENTION_CALLS, calls));
            summary.series.push(Series::new(CONTENTION_COMPLETION, completion));
        }
        Ok(Outcome {
            variant: variant.to_string(),
            trace_hash: stats.trace_hash,
            events: stats.events,
            sim_time: stats.end,
            metrics: summary.metrics,
            violations: summary.violations,
            series: summary.series,
            verdict: summary.verdict,
            trace,
        })
    }
}

/// Servers, after the clients (whose names come from the scenario).
pub const BANK: &str = "bank";
pub const LOCKS: &str = "locks";

/// One transfer of the workload.
#[derive(Clone, Debug, PartialEq)]
pub struct TransferSpec {
    /// Index into [`BankConfig::clients`].
    pub client: usize,
    /// Indices into [`BankConfig::accounts`].
    pub from: usize,
    pub to: usize,
    pub amount_cents: i64,
    pub at: SimTime,
}

/// Accounts, clients and transfers, shared by every variant.
#[derive(Clone, Debug, PartialEq)]
pub struct BankConfig {
    /// Account names and opening balances in cents.
    pub accounts: Vec<(String, i64)>,
    pub clients: Vec<String>,
    pub transfers: Vec<TransferSpec>,
    /// Each transfer starts at a time drawn from `[at, at + start_jitter]` (workload stream),
    /// so a seed sweep explores the interleavings.
    pub start_jitter: SimDuration,
    /// A client's own work between reading and writing (where a long GC pause lands).
    pub think_time: SimDuration,
    /// How long a client waits for any one answer before it gives up (or retries).
    pub request_timeout: SimDuration,
    /// How long a lock lease lasts.
    pub lease: SimDuration,
    /// Replica names, when the accounts are replicated (the bank and lock service are not
    /// used then), and the replica each client talks to, by index.
    pub replicas: Vec<String>,
    pub attach: Vec<usize>,
    /// Contention curves: rerun each variant with this many clients each making the first
    /// transfer at once, and chart write attempts and completion time against the count.
    pub contention: Vec<u32>,
}

/// Retrying a transfer whose answer did not come.
#[derive(Clone, Debug, PartialEq)]
pub struct TransferRetry {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    pub backoff: Backoff,
    /// Send the transfer's id as an idempotency key, so the bank applies it once.
    pub idempotency_key: bool,
}

/// What a variant changes.
#[derive(Clone, Debug, PartialEq)]
pub struct BankPolicy {
    pub strategy: Strategy,
    pub retry: Option<TransferRetry>,
}

impl BankConfig {
    /// Node names: the clients, then the bank and the lock service.
    pub fn node_names(&self) -> Vec<String> {
        let mut names = self.clients.clone();
        if self.replicas.is_empty() {
            names.push(BANK.to_string());
            names.push(LOCKS.to_string());
        } else {
            names.extend(self.replicas.iter().cloned());
        }
        names
    }

    /// The first transfer, made at once by `clients` clients named `<client>-1` … `<client>-N`
    /// (the hot-account workload); the other transfers are dropped.
    pub fn with_contenders(&self, clients: u32) -> BankConfig {
        let Some(template) = self.transfers.first() else { return self.clone() };
        let base = self.clients[template.client].rsplit_once('-').map_or(
            self.clients[template.client].as_str(),
            |(stem, n)| {
                if n.parse::<u32>().is_ok() { stem } else { &self.clients[template.client] }
            },
        );
        let names: Vec<String> = (1..=clients).map(|k| format!("{base}-{k}")).collect();
        let transfers = (0..clients as usize)
            .map(|client| TransferSpec { client, ..template.clone() })
            .collect();
        BankConfig {
            attach: vec![0; names.len()],
            clients: names,
            transfers,
            contention: Vec::new(),
            ..self.clone()
        }
    }

    /// Where balances live: the bank, or each replica.
    pub(crate) fn stores(&self) -> Vec<String> {
        if self.replicas.is_empty() { vec![BANK.to_string()] } else { self.replicas.clone() }
    }
}

/// When each transfer starts, from the workload stream (the same for every variant).
fn start_times(config: &BankConfig, seed: u64) -> Vec<SimTime> {
    let mut rng = Prng::new(seed, Stream::Workload);
    config
        .transfers
        .iter()
        .map(|t| t.at + rng.duration_between(SimDuration::ZERO, config.start_jitter))
        .collect()
}
