//! Chat across a partition, the article's first example: two users talk through
//! their servers, and the link between the servers is cut for a while.
//!
//! `FireAndForget` relays each message once: whatever is sent into the partition is gone,
//! and the conversation looks stuck. `AckRetransmit` numbers each user's messages,
//! retransmits with exponential backoff until the peer acknowledges them cumulatively, and
//! the receiver de-duplicates and reorders: every message arrives exactly once, in order,
//! after the partition heals.

use std::collections::{BTreeMap, BTreeSet};

use faultline_engine::{LimitExceeded, NodeId, Prng, SimDuration, SimTime, Simulation, Stream};
use faultline_outcome::{
    ChartId, ChartKind, ChartSpec, FaultWindow, Invariant, Metric, Metrics, Outcome, Series, Unit,
    Violation,
};

use crate::check::{Check, Step::Field};
use crate::model::{Knob, KnobSize, Model};
use crate::setup::RunSetup;
use crate::stats::{Bins, percentile, rates};
pub use nodes::{ChatMsg, ChatNode, ChatObs, ChatTimer, Server, User};
pub use scenario::{RawChat, RawChatPolicy, RawDelivery};

mod nodes;
mod scenario;

/// The nodes, in id order: each user talks to its own server.
pub const NODE_NAMES: [&str; 4] = ["alice", "server-a", "server-b", "bob"];
const ALICE: NodeId = NodeId(0);
const SERVER_A: NodeId = NodeId(1);
const SERVER_B: NodeId = NodeId(2);
const BOB: NodeId = NodeId(3);

pub const NO_LOSS: Invariant =
    Invariant { id: "no-loss", promise: "every message a user sends reaches the other user" };
pub const NO_DUPLICATE: Invariant =
    Invariant { id: "no-duplicate", promise: "no message is shown twice" };
pub const IN_ORDER: Invariant = Invariant {
    id: "in-order",
    promise: "each user's messages are shown in the order they were written",
};

pub const MESSAGES_SENT: Metric = Metric::new(
    "messages.sent",
    Unit::Count,
    "messages the two users wrote, each once however often it was transmitted",
);
pub const MESSAGES_SENT_IN_FAULTS: Metric = Metric::new(
    "messages.sent_in_faults",
    Unit::Count,
    "messages written while a fault was active",
);
pub const MESSAGES_DELIVERED: Metric = Metric::new(
    "messages.delivered",
    Unit::Count,
    "messages shown to the other user by the time the run ended, each once",
);
pub const MESSAGES_LOST: Metric = Metric::new(
    "messages.lost",
    Unit::Count,
    "messages the other user had not been shown when the run ended (sent minus delivered)",
);
pub const MESSAGES_LOST_IN_FAULTS: Metric = Metric::new(
    "messages.lost_in_faults",
    Unit::Count,
    "lost messages that were written while a fault was active",
);
pub const MESSAGES_DUPLICATED: Metric = Metric::new(
    "messages.duplicated",
    Unit::Count,
    "showings of a message the user had already been shown",
);
pub const MESSAGES_REORDERED: Metric = Metric::new(
    "messages.reordered",
    Unit::Count,
    "messages shown after a later message of the same author had been shown",
);
pub const MESSAGES_RETRANSMITTED: Metric = Metric::new(
    "messages.retransmitted",
    Unit::Count,
    "resends after a retransmission timeout with no acknowledgement (always 0 for \
     `FireAndForget`, which never resends)",
);
pub const DELIVERY_LATENCY_P50_MS: Metric = Metric::new(
    "delivery_latency_p50_ms",
    Unit::Ms,
    "the median time from writing a message to its first showing, over delivered messages \
     (nearest rank); absent when none was delivered",
);
pub const DELIVERY_LATENCY_P99_MS: Metric = Metric::new(
    "delivery_latency_p99_ms",
    Unit::Ms,
    "the 99th percentile of the same times; absent when no message was delivered",
);
pub const DELIVERY_LATENCY_MAX_MS: Metric = Metric::new(
    "delivery_latency_max_ms",
    Unit::Ms,
    "the longest of the same times; absent when no message was delivered",
);
pub const NET_SENT: Metric = Metric::new(
    "net.sent",
    Unit::Count,
    "messages any node handed to the network, lost ones included (the engine's count)",
);
pub const NET_DELIVERED: Metric = Metric::new(
    "net.delivered",
    Unit::Count,
    "messages the network delivered to their receiver, a copy it duplicated counted again",
);
pub const NET_DROPPED: Metric = Metric::new(
    "net.dropped",
    Unit::Count,
    "messages the network never delivered: lost to its loss or a `Loss` fault, cut by a \
     partition, or arriving at a crashed node",
);

pub const DELIVERED_PER_SECOND: ChartId = ChartId("delivered-per-second");
pub const DELIVERY_LATENCY: ChartId = ChartId("delivery-latency");

/// Two users chatting through their servers; the variants choose how messages travel.
pub struct Chat;

impl Model for Chat {
    const NAME: &'static str = "Chat";
    const ABOUT: &'static str =
        "alice and bob chat through their own servers; fire-and-forget or acknowledged delivery";
    const INVARIANTS: &'static [Invariant] = &[NO_LOSS, NO_DUPLICATE, IN_ORDER];
    const METRICS: &'static [Metric] = &[
        MESSAGES_SENT,
        MESSAGES_SENT_IN_FAULTS,
        MESSAGES_DELIVERED,
        MESSAGES_LOST,
        MESSAGES_LOST_IN_FAULTS,
        MESSAGES_DUPLICATED,
        MESSAGES_REORDERED,
        MESSAGES_RETRANSMITTED,
        DELIVERY_LATENCY_P50_MS,
        DELIVERY_LATENCY_P99_MS,
        DELIVERY_LATENCY_MAX_MS,
        NET_SENT,
        NET_DELIVERED,
        NET_DROPPED,
    ];
    const HEADLINE_METRICS: &'static [Metric] =
        &[MESSAGES_SENT, MESSAGES_LOST, MESSAGES_REORDERED, DELIVERY_LATENCY_P99_MS];

    type RawConfig = RawChat;
    type RawPolicy = RawChatPolicy;
    type Config = ChatConfig;
    type Policy = Delivery;

    fn config(raw: &RawChat, duration: SimDuration, check: &mut Check) -> ChatConfig {
        scenario::config(raw, duration, check)
    }

    fn policy(raw: &RawChatPolicy, _config: &ChatConfig, check: &mut Check) -> Delivery {
        scenario::policy(raw, check)
    }

    fn node_names(_config: &ChatConfig) -> Vec<String> {
        NODE_NAMES.iter().map(|n| n.to_string()).collect()
    }

    /// The charts every chat report shows.
    fn charts(_config: &ChatConfig, _variants: &[(&str, &Delivery)]) -> Vec<ChartSpec> {
        vec![
            ChartSpec::line(
                DELIVERED_PER_SECOND,
                "Messages delivered per second: the gap is the partition; the spike after it is \
                 retransmission catching up",
                "messages delivered / s",
            ),
            ChartSpec::line(
                DELIVERY_LATENCY,
                "Delivery latency by send time: messages caught in the partition wait for it to \
                 heal, or never arrive",
                "latency (ms)",
            )
            .kind(ChartKind::Points),
        ]
    }

    /// Users who stop typing sooner send fewer messages.
    fn workload_knobs(raw: &RawChat) -> Vec<Knob> {
        let size = KnobSize::Duration { value: raw.send_until.0, min: SimDuration::ZERO };
        vec![Knob { path: vec![Field("send_until")], size }]
    }

    /// The messages both users type, drawn as a run draws them.
    fn workload_size(config: &ChatConfig, seed: u64) -> Option<String> {
        let [alice, bob] = typing_schedules(config, seed).map(|times| times.len());
        let total = alice + bob;
        let noun = if total == 1 { "message" } else { "messages" };
        Some(format!("{total} {noun} ({alice} by alice, {bob} by bob)"))
    }

    /// Runs one variant of the chat scenario.
    fn run(
        config: &ChatConfig,
        delivery: &Delivery,
        setup: &RunSetup,
        variant: &str,
    ) -> Result<Outcome, LimitExceeded> {
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
        let [alice_types, bob_types] = typing_schedules(config, setup.sim.seed);
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
}

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

/// When alice and then bob type each message: the workload stream of a run with `seed`.
fn typing_schedules(config: &ChatConfig, seed: u64) -> [Vec<SimTime>; 2] {
    let mut workload = Prng::new(seed, Stream::Workload);
    let alice = typing_schedule(&mut workload, config.rate_per_s, config.send_until);
    let bob = typing_schedule(&mut workload, config.rate_per_s, config.send_until);
    [alice, bob]
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
                    if self.setup.checks(NO_DUPLICATE) {
                        let detail = format!("{whom} was shown {who}'s message #{seq} twice");
                        let violation = Violation::new(NO_DUPLICATE, at, whom, detail);
                        self.violations.push(violation.about(nodes::story(author, seq)));
                    }
                    return;
                }
                arrived.insert(seq, at);
                let highest = self.highest_delivered.entry(author).or_insert(seq);
                if seq < *highest {
                    self.reordered += 1;
                    if self.setup.checks(IN_ORDER) {
                        let detail =
                            format!("{whom} was shown {who}'s message #{seq} after #{}", *highest);
                        let violation = Violation::new(IN_ORDER, at, whom, detail)
                            .about(nodes::story(author, *highest))
                            .about(nodes::story(author, seq));
                        self.violations.push(violation);
                    }
                }
                *highest = (*highest).max(seq);
            }
        }
    }
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
    let mut arrivals = Vec::new();
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
                    arrivals.push(arrived_at);
                }
                None => {
                    lost += 1;
                    lost_in_faults += u64::from(in_faults(sent_at));
                    missing.push((seq, sent_at));
                }
            }
        }
        if let (Some(&(first_seq, first_at)), true) = (missing.first(), setup.checks(NO_LOSS)) {
            let who = NODE_NAMES[author.index()];
            let whom = NODE_NAMES[if author == ALICE { BOB } else { ALICE }.index()];
            let detail = format!(
                "{} of {who}'s messages never reached {whom} (the first, #{first_seq}, was sent \
                 at {:.1} s)",
                missing.len(),
                first_at.as_secs_f64()
            );
            let violation = Violation::new(NO_LOSS, stats.end, whom, detail);
            checker.violations.push(violation.about(nodes::story(author, first_seq as u32)));
        }
    }
    latencies_ns.sort_unstable();
    let ms = |ns: u64| ns as f64 / 1e6;
    let delivered = sent - lost;
    let p99_ms = ms(percentile(&latencies_ns, 99.0));
    let max_ms = ms(latencies_ns.last().copied().unwrap_or(0));

    let mut metrics = Metrics::default();
    metrics.put(MESSAGES_SENT, sent as f64);
    metrics.put(MESSAGES_DELIVERED, delivered as f64);
    metrics.put(MESSAGES_LOST, lost as f64);
    metrics.put(MESSAGES_DUPLICATED, checker.duplicated as f64);
    metrics.put(MESSAGES_REORDERED, checker.reordered as f64);
    metrics.put(MESSAGES_RETRANSMITTED, checker.retransmitted as f64);
    metrics.put(MESSAGES_SENT_IN_FAULTS, sent_in_faults as f64);
    metrics.put(MESSAGES_LOST_IN_FAULTS, lost_in_faults as f64);
    // No message delivered, no latency: absent, not 0 ms.
    if !latencies_ns.is_empty() {
        metrics.put(DELIVERY_LATENCY_P50_MS, ms(percentile(&latencies_ns, 50.0)));
        metrics.put(DELIVERY_LATENCY_P99_MS, p99_ms);
        metrics.put(DELIVERY_LATENCY_MAX_MS, max_ms);
    }
    metrics.put(NET_SENT, stats.net.sent as f64);
    metrics.put(NET_DELIVERED, stats.net.delivered as f64);
    let net = stats.net;
    let dropped = net.dropped_loss + net.dropped_partition + net.dropped_node_down;
    metrics.put(NET_DROPPED, dropped as f64);

    let fault_s = FaultWindow::union_s(&windows);
    let verdict = if lost > 0 && windows.is_empty() {
        // Without faults (a shrunk run, say) only the network's own loss is left to blame.
        format!("lost {lost} of {sent} messages to the network's own loss; they never arrived.")
    } else if lost > 0 {
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
        // Without faults there were none to wait out: a slow message met only the network.
        let waited = if windows.is_empty() { "" } else { ", waiting out the faults" };
        format!(
            "delivered all {sent} messages exactly once and in order; the slowest took {:.1} s{waited}.",
            max_ms / 1000.0
        )
    };
    let bins = Bins::seconds(setup.sim.duration);
    let series = vec![
        Series::new(DELIVERED_PER_SECOND, rates(arrivals.into_iter(), &bins)),
        Series::new(DELIVERY_LATENCY, latency_points),
    ];
    checker.violations.sort_by_key(|v| v.at);
    Outcome {
        variant: variant.to_string(),
        trace_hash: stats.trace_hash,
        events: stats.events,
        sim_time: stats.end,
        metrics: metrics.into_map(),
        violations: checker.violations,
        series,
        verdict,
        trace,
    }
}
