//! Property tests of the engine's invariants, over random clusters, networks and faults:
//! time never runs backwards, nothing crosses a cut link, a crashed node handles nothing,
//! loss happens at the configured rate, and every message and timer is accounted for
//! exactly once.

use std::collections::BTreeMap;

use faultline_engine::{
    Ctx, Fault, FaultKind, Latency, NetworkConfig, Node, NodeId, Purpose, SimConfig, SimDuration,
    SimTime, Simulation, TraceEncode, TraceEvent, TraceHasher, TraceRecord,
};
use proptest::prelude::*;

/// Sends pings to random peers on a timer until `stop`, and sets a decoy timer each tick
/// that it cancels at once (it must never fire).
struct Gossip {
    peers: u32,
    stop: SimTime,
    sent: u64,
}

#[derive(Clone, Debug)]
enum Tick {
    Next,
    Decoy,
}

impl TraceEncode for Tick {
    fn encode(&self, out: &mut TraceHasher) {
        out.word(match self {
            Tick::Next => 0,
            Tick::Decoy => 1,
        });
    }
}

#[derive(Debug)]
enum Seen {
    Received,
    Fired,
    DecoyFired,
}

impl Node for Gossip {
    type Msg = u64;
    type Timer = Tick;
    type Obs = Seen;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        ctx.set_timer(SimDuration::from_millis(1), Tick::Next);
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, _from: NodeId, _msg: u64) {
        ctx.observe(Seen::Received);
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, timer: Tick) {
        if let Tick::Decoy = timer {
            ctx.observe(Seen::DecoyFired);
            return;
        }
        ctx.observe(Seen::Fired);
        let decoy = ctx.set_timer(SimDuration::from_millis(2), Tick::Decoy);
        ctx.cancel_timer(decoy);
        let to = NodeId(ctx.rng(Purpose::Choice).below(u64::from(self.peers)) as u32);
        let id = (u64::from(ctx.id().0) << 32) | self.sent;
        self.sent += 1;
        ctx.send(to, id);
        let gap = ctx
            .rng(Purpose::Choice)
            .duration_between(SimDuration::from_millis(1), SimDuration::from_millis(20));
        if ctx.now() + gap < self.stop {
            ctx.set_timer(gap, Tick::Next);
        }
    }

    /// The send counter is durable, so message ids stay unique across a crash.
    fn on_crash(&mut self) {}

    /// The next tick died with the crash: gossip resumes, if there is time left.
    fn on_restart(&mut self, ctx: &mut Ctx<'_, Self>) {
        if ctx.now() < self.stop {
            ctx.set_timer(SimDuration::from_millis(1), Tick::Next);
        }
    }
}

#[derive(Clone, Debug)]
struct Setup {
    seed: u64,
    nodes: u32,
    loss: f64,
    duplicate: f64,
    latency_ms: (u64, u64),
    /// (bit mask of side A, from ms, length ms, one way)
    partitions: Vec<(u32, u64, u64, bool)>,
    /// (node, from ms, length ms)
    pauses: Vec<(u32, u64, u64)>,
    /// (node, from ms, downtime ms)
    crashes: Vec<(u32, u64, u64)>,
}

fn setups() -> impl Strategy<Value = Setup> {
    (
        any::<u64>(),
        2u32..6,
        0.0..0.5f64,
        0.0..0.2f64,
        (0u64..30, 0u64..30),
        prop::collection::vec((any::<u32>(), 0u64..2_000, 1u64..1_000, any::<bool>()), 0..4),
        prop::collection::vec((any::<u32>(), 0u64..2_000, 1u64..500), 0..3),
        prop::collection::vec((any::<u32>(), 0u64..2_000, 1u64..500), 0..3),
    )
        .prop_map(|(seed, nodes, loss, duplicate, (a, b), partitions, pauses, crashes)| {
            Setup {
                seed,
                nodes,
                loss,
                duplicate,
                latency_ms: (a.min(b), a.max(b)),
                partitions,
                pauses,
                crashes,
            }
        })
}

/// Sending stops at 2.5 s; the run lasts long enough for every message and pause to end.
const STOP: SimTime = SimTime::from_millis(2_500);
const DURATION: SimDuration = SimDuration::from_secs(5);

fn faults(setup: &Setup) -> Vec<Fault> {
    let ms = SimTime::from_millis;
    let mut faults = Vec::new();
    for &(mask, from, len, one_way) in &setup.partitions {
        let (side_a, side_b): (Vec<NodeId>, Vec<NodeId>) =
            (0..setup.nodes).map(NodeId).partition(|n| mask & (1 << n.0) != 0);
        let kind = FaultKind::Partition { side_a, side_b, one_way };
        faults.push(Fault { kind, from: ms(from), until: Some(ms(from + len)) });
    }
    for &(node, from, len) in &setup.pauses {
        let kind = FaultKind::Pause { node: NodeId(node % setup.nodes) };
        faults.push(Fault { kind, from: ms(from), until: Some(ms(from + len)) });
    }
    for &(node, from, len) in &setup.crashes {
        let kind = FaultKind::Crash { node: NodeId(node % setup.nodes) };
        faults.push(Fault { kind, from: ms(from), until: Some(ms(from + len)) });
    }
    faults
}

fn simulate(setup: &Setup) -> (Vec<TraceRecord>, Vec<(SimTime, Seen)>, faultline_engine::RunStats) {
    let config = SimConfig {
        seed: setup.seed,
        network: NetworkConfig {
            latency: Latency::Uniform {
                min: SimDuration::from_millis(setup.latency_ms.0),
                max: SimDuration::from_millis(setup.latency_ms.1),
            },
            loss_probability: setup.loss,
            duplicate_probability: setup.duplicate,
        },
        faults: faults(setup),
        duration: DURATION,
        max_events: 10_000_000,
        trace: true,
        scheduler: None,
    };
    let nodes = (0..setup.nodes)
        .map(|i| (format!("n{i}"), Gossip { peers: setup.nodes, stop: STOP, sent: 0 }))
        .collect();
    let mut sim = Simulation::new(config, nodes);
    let mut seen = Vec::new();
    let stats = sim.run(&mut |at, _, obs| seen.push((at, obs))).unwrap();
    (sim.take_trace().unwrap(), seen, stats)
}

/// Is `from → to` cut by some partition at `at`?
fn cut_at(faults: &[Fault], from: NodeId, to: NodeId, at: SimTime) -> bool {
    faults.iter().any(|f| {
        let FaultKind::Partition { side_a, side_b, one_way } = &f.kind else { return false };
        let active = f.from <= at && f.until.is_none_or(|u| at < u);
        let forward = side_a.contains(&from) && side_b.contains(&to);
        let backward = !one_way && side_b.contains(&from) && side_a.contains(&to);
        active && (forward || backward)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn time_never_runs_backwards(setup in setups()) {
        let (trace, seen, stats) = simulate(&setup);
        prop_assert!(trace.windows(2).all(|w| w[0].at <= w[1].at));
        prop_assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0));
        prop_assert!(stats.end <= SimTime::ZERO + DURATION);
    }

    #[test]
    fn nothing_is_delivered_across_a_cut_link(setup in setups()) {
        let (trace, _, _) = simulate(&setup);
        let faults = faults(&setup);
        let mut sent_at = BTreeMap::new();
        // A message that reached a paused node arrived then, and is read later.
        let mut arrived_at = BTreeMap::new();
        for record in &trace {
            match &record.event {
                TraceEvent::Send { msg_id, .. } => { sent_at.insert(*msg_id, record.at); }
                TraceEvent::Buffer { msg_id, .. } => { arrived_at.insert(*msg_id, record.at); }
                TraceEvent::Deliver { from, to, msg_id, .. } => {
                    let arrived = arrived_at.get(msg_id).copied().unwrap_or(record.at);
                    prop_assert!(!cut_at(&faults, *from, *to, arrived), "arrived over a cut link");
                    prop_assert!(!cut_at(&faults, *from, *to, sent_at[msg_id]), "sent into a cut link");
                }
                _ => {}
            }
        }
    }

    #[test]
    fn every_message_and_timer_is_handled_exactly_once(setup in setups()) {
        let (trace, seen, stats) = simulate(&setup);
        // msg_id → times it was resolved (delivered or dropped); each send resolves once.
        let mut resolved: BTreeMap<u64, u32> = BTreeMap::new();
        let mut sends = 0u64;
        for record in &trace {
            match &record.event {
                TraceEvent::Send { msg_id, .. } => { sends += 1; resolved.entry(*msg_id).or_insert(0); }
                TraceEvent::Deliver { msg_id, .. } | TraceEvent::Drop { msg_id, .. } => {
                    *resolved.entry(*msg_id).or_insert(0) += 1;
                }
                _ => {}
            }
        }
        prop_assert_eq!(resolved.len() as u64, sends);
        prop_assert!(resolved.values().all(|&n| n == 1), "a message was lost or handled twice");
        prop_assert_eq!(stats.net.sent + stats.net.duplicated, sends);
        let received = seen.iter().filter(|(_, s)| matches!(s, Seen::Received)).count() as u64;
        prop_assert_eq!(received, stats.net.delivered);
        prop_assert!(!seen.iter().any(|(_, s)| matches!(s, Seen::DecoyFired)), "a cancelled timer fired");
        // Every tick but the last of each node sent one message: ticks == sends per node.
        let fired = seen.iter().filter(|(_, s)| matches!(s, Seen::Fired)).count() as u64;
        prop_assert_eq!(fired, stats.net.sent);
    }

    #[test]
    fn a_crashed_node_handles_nothing_until_it_restarts(setup in setups()) {
        let (trace, _, _) = simulate(&setup);
        let faults = faults(&setup);
        let down = |node: NodeId, at: SimTime| {
            faults.iter().any(|f| {
                let FaultKind::Crash { node: crashed } = f.kind else { return false };
                crashed == node && f.from <= at && f.until.is_none_or(|u| at < u)
            })
        };
        for record in &trace {
            let handled = match &record.event {
                TraceEvent::Deliver { to, .. } => Some(*to),
                TraceEvent::Timer { node, .. } => Some(*node),
                _ => None,
            };
            if let Some(node) = handled {
                prop_assert!(!down(node, record.at), "{:?} handled {:?} while down", node, record.event);
            }
        }
    }

    #[test]
    fn the_same_setup_gives_the_same_trace(setup in setups()) {
        let (a, _, sa) = simulate(&setup);
        let (b, _, sb) = simulate(&setup);
        prop_assert_eq!(sa, sb);
        prop_assert!(a == b);
    }
}

/// Loss happens at the configured rate: over many messages the observed fraction lies
/// within five standard deviations of the probability (a false alarm every ~3.5M runs).
#[test]
fn loss_frequency_matches_the_configured_probability() {
    for (seed, p) in [(1, 0.01), (2, 0.05), (3, 0.3), (4, 0.5), (5, 0.9)] {
        let setup = Setup {
            seed,
            nodes: 3,
            loss: p,
            duplicate: 0.0,
            latency_ms: (1, 5),
            partitions: Vec::new(),
            pauses: Vec::new(),
            crashes: Vec::new(),
        };
        let mut total = (0u64, 0u64);
        for run in 0..8 {
            let (_, _, stats) = simulate(&Setup { seed: seed * 100 + run, ..setup.clone() });
            total.0 += stats.net.sent;
            total.1 += stats.net.dropped_loss;
        }
        let (n, lost) = (total.0 as f64, total.1 as f64);
        let sigma = (p * (1.0 - p) / n).sqrt();
        let observed = lost / n;
        assert!((observed - p).abs() < 5.0 * sigma, "p={p}: observed {observed} over {n} messages");
    }
}
