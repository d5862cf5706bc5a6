//! Property test of exploration: on random small systems of relaying nodes, timers, a
//! partition, a crash and a pause, the reduced search (source-DPOR with sleep sets) reaches exactly the endings
//! (every node's final state and the checker's view, in order) that running every order
//! reaches, and never runs two schedules with the same events in the same order.

use std::collections::BTreeSet;

use faultline_engine::{
    Ctx, Dpor, Fault, FaultKind, Latency, NetworkConfig, Node, NodeId, RunKind, SimConfig,
    SimDuration, SimTime, Simulation, TraceEncode, TraceHasher,
};
use proptest::prelude::*;

/// Folds what it handles into `state`; forwards messages while their hops last; fires its
/// timers, each of which sends one message.
struct Relay {
    nodes: u32,
    /// (to, hops) sent at start.
    sends: Vec<(u32, u8)>,
    /// Delays of the timers set at start, in ms.
    timers_ms: Vec<u64>,
    observes: bool,
    state: u64,
}

#[derive(Clone, Debug)]
struct Hop {
    hops: u8,
    tag: u64,
}

impl TraceEncode for Hop {
    fn encode(&self, out: &mut TraceHasher) {
        out.word(u64::from(self.hops));
        out.word(self.tag);
    }
}

#[derive(Clone, Debug)]
struct Fire(u64);

impl TraceEncode for Fire {
    fn encode(&self, out: &mut TraceHasher) {
        out.word(self.0);
    }
}

impl Node for Relay {
    type Msg = Hop;
    type Timer = Fire;
    type Obs = u64;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        let me = u64::from(ctx.id().0);
        for (i, &(to, hops)) in self.sends.iter().enumerate() {
            ctx.send(NodeId(to % self.nodes), Hop { hops, tag: me * 100 + i as u64 });
        }
        for (i, &delay_ms) in self.timers_ms.iter().enumerate() {
            ctx.set_timer(SimDuration::from_millis(delay_ms), Fire(me * 10 + i as u64));
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: Hop) {
        self.state = self.state.wrapping_mul(31).wrapping_add(msg.tag * 7 + u64::from(from.0));
        if self.observes {
            ctx.observe(msg.tag);
        }
        if msg.hops > 0 {
            let to = NodeId(((msg.tag + self.state) % u64::from(self.nodes)) as u32);
            ctx.send(to, Hop { hops: msg.hops - 1, tag: msg.tag + 1 });
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, timer: Fire) {
        self.state = self.state.wrapping_mul(17).wrapping_add(timer.0);
        let to = NodeId((timer.0 % u64::from(self.nodes)) as u32);
        ctx.send(to, Hop { hops: 0, tag: 1000 + timer.0 });
    }

    fn on_crash(&mut self) {}

    fn on_restart(&mut self, _: &mut Ctx<'_, Self>) {}
}

/// A node's script: (to, hops) sent at start, timer delays in ms, whether it reports.
type Script = (Vec<(u32, u8)>, Vec<u64>, bool);

#[derive(Clone, Debug)]
struct System {
    nodes: Vec<Script>,
    /// A partition between node 0 and the rest, a crash of node 1 and a pause of node 0:
    /// (from ms, length ms) each.
    partition: Option<(u64, u64)>,
    crash: Option<(u64, u64)>,
    pause: Option<(u64, u64)>,
}

fn systems() -> impl Strategy<Value = System> {
    let node = (
        prop::collection::vec((0u32..3, 0u8..2), 0..3),
        prop::collection::vec(1u64..15, 0..2),
        any::<bool>(),
    );
    let window = || prop::option::of((0u64..10, 1u64..10));
    (prop::collection::vec(node, 2..4), window(), window(), window())
        .prop_map(|(nodes, partition, crash, pause)| System { nodes, partition, crash, pause })
}

/// Every ending the search reaches, and how many schedules it ran; `None` past `limit`.
fn endings(system: &System, mut dpor: Dpor, limit: u32) -> Option<(BTreeSet<String>, u32)> {
    let count = system.nodes.len() as u32;
    let window = |kind: FaultKind, (from, length): (u64, u64)| Fault {
        kind,
        from: SimTime::from_millis(from),
        until: Some(SimTime::from_millis(from + length)),
    };
    let cut = FaultKind::Partition {
        side_a: vec![NodeId(0)],
        side_b: (1..count).map(NodeId).collect(),
        one_way: false,
    };
    let faults: Vec<Fault> = [
        system.partition.map(|w| window(cut, w)),
        system.crash.map(|w| window(FaultKind::Crash { node: NodeId(1) }, w)),
        system.pause.map(|w| window(FaultKind::Pause { node: NodeId(0) }, w)),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut seen = BTreeSet::new();
    let mut schedules = 0;
    while let Some(scheduler) = dpor.next_run() {
        let config = SimConfig {
            seed: 7,
            network: NetworkConfig {
                latency: Latency::Uniform {
                    min: SimDuration::from_millis(1),
                    max: SimDuration::from_millis(4),
                },
                ..NetworkConfig::default()
            },
            faults: faults.clone(),
            duration: SimDuration::from_secs(1),
            max_events: 1_000,
            trace: false,
            scheduler: Some(scheduler),
        };
        let nodes = system
            .nodes
            .iter()
            .enumerate()
            .map(|(i, (sends, timers_ms, observes))| {
                let relay = Relay {
                    nodes: count,
                    sends: sends.clone(),
                    timers_ms: timers_ms.clone(),
                    observes: *observes,
                    state: 0,
                };
                (format!("n{i}"), relay)
            })
            .collect();
        let mut sim = Simulation::new(config, nodes);
        let mut view = Vec::new();
        sim.run(&mut |_, node: NodeId, tag| view.push((node.0, tag))).unwrap();
        if dpor.finish_run().unwrap() == RunKind::Schedule {
            schedules += 1;
            if schedules > limit {
                return None;
            }
            let states: Vec<u64> = sim.nodes().iter().map(|n| n.state).collect();
            seen.insert(format!("{states:?} {view:?}"));
        }
    }
    Some((seen, schedules))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn the_reduction_reaches_every_ending_that_every_order_reaches(system in systems()) {
        let every = endings(&system, Dpor::every_order(), 20_000);
        prop_assume!(every.is_some());
        let (every, every_schedules) = every.unwrap();
        let (reduced, reduced_schedules) = endings(&system, Dpor::new(), 20_000).unwrap();
        prop_assert_eq!(&reduced, &every);
        prop_assert!(reduced_schedules <= every_schedules);
    }
}
