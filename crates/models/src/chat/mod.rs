//! Chat across a partition, the seed document's first example: two users talk through
//! their servers, and the link between the servers is cut for a while.
//!
//! `FireAndForget` relays each message once: whatever is sent into the partition is gone,
//! and the conversation looks stuck. `AckRetransmit` numbers each user's messages,
//! retransmits with exponential backoff until the peer acknowledges them cumulatively, and
//! the receiver de-duplicates and reorders: every message arrives exactly once, in order,
//! after the partition heals.

use std::collections::{BTreeMap, BTreeSet};

use faultline_engine::{
    ChartKind, ChartSpec, LimitExceeded, NodeId, Outcome, Prng, Series, SimDuration, SimTime,
    Simulation, Stream, Violation,
};

use crate::setup::RunSetup;
pub use nodes::{ChatMsg, ChatNode, ChatObs, ChatTimer, Server, User};

mod nodes;
use crate::stats::{per_second, percentile};

/// The nodes, in id order: each user talks to its own server.
pub const NODE_NAMES: [&str; 4] = ["alice", "server-a", "server-b", "bob"];
const ALICE: NodeId = NodeId(0);
const SERVER_A: NodeId = NodeId(1);
const SERVER_B: NodeId = NodeId(2);
const BOB: NodeId = NodeId(3);

/// The metrics that tell the story at a glance, in the order tables show them.
pub const HEADLINE_METRICS: [&str; 4] =
    ["messages.sent", "messages.lost", "messages.reordered", "delivery_latency_p99_ms"];

/// The invariants this model can check.
pub const INVARIANTS: [&str; 3] = ["no-loss", "no-duplicate", "in-order"];

/// The workload, shared by every variant.
#[derive(Clone, Debug, PartialEq)]
pub struct ChatConfig {
    /// Messages each user sends per second (Poisson arrivals).
    pub rate_per_s: f64,
    /// Users stop typing at this time, so the rest of the run shows what eventually arrives.
    pub send_until: SimDuration,
}

/// How messages travel: what the variants vary.
#[derive(Clone, Debug, PartialEq)]
pub enum Delivery {
    FireAndForget,
    AckRetransmit {
        /// First retransmission timeout.
        rto: SimDuration,
        /// Backoff stops growing here.
        rto_max: SimDuration,
        /// Each retransmission multiplies the timeout by this.
        backoff: f64,
    },
}

/// Poisson arrival times in `[0, until)` at `rate_per_s`.
fn typing_schedule(rng: &mut Prng, rate_per_s: f64, until: SimDuration) -> Vec<SimTime> {
    let mut times = Vec::new();
    if rate_per_s <= 0.0 {
        return times;
    }
    let mean = SimDuration::from_secs(1).mul_f64(1.0 / rate_per_s);
    let end = SimTime::ZERO + until;
    let mut at = SimTime::ZERO + rng.exponential(mean);
    while at < end {
        times.push(at);
        at += rng.exponential(mean);
    }
    times
}

/// The charts every chat report shows.
pub fn charts() -> Vec<ChartSpec> {
    vec![
        ChartSpec {
            id: "delivered-per-second".into(),
            title: "Messages delivered per second: the gap is the partition; the spike after \
                    it is retransmission catching up"
                .into(),
            y_label: "messages delivered / s".into(),
            kind: ChartKind::Line,
            states: Vec::new(),
            reference_lines: Vec::new(),
            x_label: None,
        },
        ChartSpec {
            id: "delivery-latency".into(),
            title: "Delivery latency by send time: messages caught in the partition wait for \
                    it to heal, or never arrive"
                .into(),
            y_label: "latency (ms)".into(),
            kind: ChartKind::Points,
            states: Vec::new(),
            reference_lines: Vec::new(),
            x_label: None,
        },
    ]
}

/// Watches the users' reports: who sent what when, and what arrived.
struct Checker<'a> {
    setup: &'a RunSetup,
    /// Send time of each message, per author (index: seq).
    sent: BTreeMap<NodeId, Vec<SimTime>>,
    /// Arrival time of each message, per author, once delivered.
    arrived: BTreeMap<NodeId, BTreeMap<u32, SimTime>>,
    highest_delivered: BTreeMap<NodeId, u32>,
    retransmitted: u64,
    duplicated: u64,
    reordered: u64,
    violations: Vec<Violation>,
}

impl Checker<'_> {
    fn observe(&mut self, at: SimTime, node: NodeId, obs: ChatObs) {
        match obs {
            ChatObs::Sent { seq } => {
                let times = self.sent.entry(node).or_default();
                debug_assert_eq!(times.len(), seq as usize, "seqs are dense per author");
                times.push(at);
            }
            ChatObs::Retransmitted { .. } => self.retransmitted += 1,
            ChatObs::Delivered { author, seq } => {
                let (who, whom) = (NODE_NAMES[author.index()], NODE_NAMES[node.index()]);
                let arrived = self.arrived.entry(author).or_default();
                if arrived.contains_key(&seq) {
                    self.duplicated += 1;
                    if self.setup.checks("no-duplicate") {
                        self.violations.push(Violation {
                            invariant: "no-duplicate".into(),
                            at,
                            node: whom.into(),
                            detail: format!("{whom} was shown {who}'s message #{seq} twice"),
                        });
                    }
                    return;
                }
                arrived.insert(seq, at);
                let highest = self.highest_delivered.entry(author).or_insert(seq);
                if seq < *highest {
                    self.reordered += 1;
                    if self.setup.checks("in-order") {
                        self.violations.push(Violation {
                            invariant: "in-order".into(),
                            at,
                            node: whom.into(),
                            detail: format!(
                                "{whom} was shown {who}'s message #{seq} after #{}",
                                *highest
                            ),
                        });
                    }
                }
                *highest = (*highest).max(seq);
            }
        }
    }
}

/// Runs one variant of the chat scenario.
pub fn run(
    config: &ChatConfig,
    delivery: &Delivery,
    setup: &RunSetup,
    variant: &str,
) -> Result<Outcome, LimitExceeded> {
    let mut workload = Prng::new(setup.sim.seed, Stream::Workload);
    let user = |server, schedule| {
        ChatNode::User(User {
            server,
            schedule,
            next_message: 0,
            delivery: delivery.clone(),
            next_seq: 0,
            unacked: BTreeMap::new(),
            expected: 0,
            early: BTreeSet::new(),
        })
    };
    let alice_types = typing_schedule(&mut workload, config.rate_per_s, config.send_until);
    let bob_types = typing_schedule(&mut workload, config.rate_per_s, config.send_until);
    let nodes = vec![
        (NODE_NAMES[0].to_string(), user(SERVER_A, alice_types)),
        (NODE_NAMES[1].to_string(), ChatNode::Server(Server { user: ALICE, peer: SERVER_B })),
        (NODE_NAMES[2].to_string(), ChatNode::Server(Server { user: BOB, peer: SERVER_A })),
        (NODE_NAMES[3].to_string(), user(SERVER_B, bob_types)),
    ];
    let mut sim = Simulation::new(setup.sim.clone(), nodes);
    let mut checker = Checker {
        setup,
        sent: BTreeMap::new(),
        arrived: BTreeMap::new(),
        highest_delivered: BTreeMap::new(),
        retransmitted: 0,
        duplicated: 0,
        reordered: 0,
        violations: Vec::new(),
    };
    let stats = sim.run(&mut |at, node, obs| checker.observe(at, node, obs))?;
    let trace = sim.take_trace();
    let names: Vec<String> = sim.names().to_vec();
    Ok(summarise(checker, setup, variant, stats, trace, &names))
}

fn summarise(
    mut checker: Checker<'_>,
    setup: &RunSetup,
    variant: &str,
    stats: faultline_engine::RunStats,
    trace: Option<Vec<faultline_engine::TraceRecord>>,
    names: &[String],
) -> Outcome {
    let windows = setup.fault_windows(names);
    let in_faults = |t: SimTime| {
        let s = t.as_secs_f64();
        windows.iter().any(|w| s >= w.from_s && s < w.until_s)
    };
    let (mut sent, mut sent_in_faults, mut lost, mut lost_in_faults) = (0u64, 0u64, 0u64, 0u64);
    let mut latencies_ns = Vec::new();
    let mut latency_points = Vec::new();
    let mut arrivals_s = Vec::new();
    for (&author, times) in &checker.sent {
        let arrived = checker.arrived.get(&author);
        let mut missing = Vec::new();
        for (seq, &sent_at) in times.iter().enumerate() {
            sent += 1;
            sent_in_faults += u64::from(in_faults(sent_at));
            match arrived.and_then(|a| a.get(&(seq as u32))) {
                Some(&arrived_at) => {
                    let latency = arrived_at.since(sent_at);
                    latencies_ns.push(latency.as_nanos());
                    latency_points.push((sent_at.as_secs_f64(), latency.as_millis_f64()));
                    arrivals_s.push(arrived_at.as_secs_f64());
                }
                None => {
                    lost += 1;
                    lost_in_faults += u64::from(in_faults(sent_at));
                    missing.push((seq, sent_at));
                }
            }
        }
        if let (Some(&(first_seq, first_at)), true) = (missing.first(), setup.checks("no-loss")) {
            let who = NODE_NAMES[author.index()];
            let whom = NODE_NAMES[if author == ALICE { BOB } else { ALICE }.index()];
            checker.violations.push(Violation {
                invariant: "no-loss".into(),
                at: stats.end,
                node: whom.into(),
                detail: format!(
                    "{} of {who}'s messages never reached {whom} (the first, #{first_seq}, was \
                     sent at {:.1} s)",
                    missing.len(),
                    first_at.as_secs_f64()
                ),
            });
        }
    }
    latencies_ns.sort_unstable();
    let ms = |ns: u64| ns as f64 / 1e6;
    let delivered = sent - lost;
    let p99_ms = ms(percentile(&latencies_ns, 99.0));
    let max_ms = ms(latencies_ns.last().copied().unwrap_or(0));

    let mut metrics = BTreeMap::new();
    let mut put = |name: &str, value: f64| {
        metrics.insert(name.to_string(), value);
    };
    put("messages.sent", sent as f64);
    put("messages.delivered", delivered as f64);
    put("messages.lost", lost as f64);
    put("messages.duplicated", checker.duplicated as f64);
    put("messages.reordered", checker.reordered as f64);
    put("messages.retransmitted", checker.retransmitted as f64);
    put("messages.sent_in_faults", sent_in_faults as f64);
    put("messages.lost_in_faults", lost_in_faults as f64);
    put("delivery_latency_p50_ms", ms(percentile(&latencies_ns, 50.0)));
    put("delivery_latency_p99_ms", p99_ms);
    put("delivery_latency_max_ms", max_ms);
    put("net.sent", stats.net.sent as f64);
    put("net.delivered", stats.net.delivered as f64);
    let net = stats.net;
    put("net.dropped", (net.dropped_loss + net.dropped_partition + net.dropped_node_down) as f64);

    let fault_s: f64 = windows.iter().map(|w| w.until_s - w.from_s).sum();
    let verdict = if lost > 0 {
        format!(
            "lost {lost} of {sent} messages, {lost_in_faults} of the {sent_in_faults} sent \
             during {fault_s:.0} s of faults; they never arrived."
        )
    } else if checker.duplicated > 0 || checker.reordered > 0 {
        format!(
            "delivered all {sent} messages, but showed {} twice and {} out of order.",
            checker.duplicated, checker.reordered
        )
    } else {
        format!(
            "delivered all {sent} messages exactly once and in order; the slowest took {:.1} s, \
             waiting out the faults.",
            max_ms / 1000.0
        )
    };
    let seconds = setup.sim.duration.as_secs_f64().ceil() as usize;
    let series = vec![
        Series::new("delivered-per-second", per_second(arrivals_s.iter().copied(), seconds)),
        Series::new("delivery-latency", latency_points),
    ];
    checker.violations.sort_by_key(|v| v.at);
    Outcome {
        variant: variant.to_string(),
        trace_hash: stats.trace_hash,
        events: stats.events,
        sim_time: stats.end,
        metrics,
        violations: checker.violations,
        series,
        verdict,
        trace,
    }
}
