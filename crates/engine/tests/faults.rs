//! Node faults behave as documented: a paused node reads its messages late but in arrival
//! order; a crashed node drops messages, forgets its timers and restarts.

use faultline_engine::{
    Ctx, Fault, FaultKind, Latency, NetworkConfig, Node, NodeId, SimConfig, SimDuration, SimTime,
    Simulation,
};

/// Node 0 sends `count` numbered messages at 1 ms intervals and sets a long timer at start;
/// node 1 reports what it receives.
struct Probe {
    count: u32,
    sent: u32,
    starts: u32,
}

#[derive(Debug, PartialEq)]
enum Obs {
    Got(u32),
    Timer,
    Started,
}

impl Node for Probe {
    type Msg = u32;
    type Timer = bool; // true: send tick; false: the long timer
    type Obs = Obs;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        self.starts += 1;
        ctx.observe(Obs::Started);
        if ctx.id() == NodeId(0) && self.starts == 1 {
            ctx.set_timer(SimDuration::from_millis(1), true);
            ctx.set_timer(SimDuration::from_secs(2), false);
        }
        if ctx.id() == NodeId(1) {
            ctx.set_timer(SimDuration::from_secs(2), false);
        }
    }
    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, _from: NodeId, msg: u32) {
        ctx.observe(Obs::Got(msg));
    }
    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, tick: bool) {
        if !tick {
            ctx.observe(Obs::Timer);
            return;
        }
        ctx.send(NodeId(1), self.sent);
        self.sent += 1;
        if self.sent < self.count {
            ctx.set_timer(SimDuration::from_millis(1), true);
        }
    }

    /// Its counters are durable: the tests count starts across crashes.
    fn on_crash(&mut self) {}

    /// Starts over, which the tests see as a second start; only the receiver is crashed, so
    /// the sender never needs its ticks back.
    fn on_restart(&mut self, ctx: &mut Ctx<'_, Self>) {
        self.on_start(ctx);
    }
}

fn run(faults: Vec<Fault>) -> Vec<(SimTime, NodeId, Obs)> {
    let config = SimConfig {
        seed: 3,
        network: NetworkConfig {
            latency: Latency::Uniform {
                min: SimDuration::from_millis(1),
                max: SimDuration::from_millis(80),
            },
            loss_probability: 0.0,
            duplicate_probability: 0.0,
        },
        faults,
        duration: SimDuration::from_secs(5),
        max_events: 100_000,
        trace: false,
        scheduler: None,
    };
    let probe = || Probe { count: 200, sent: 0, starts: 0 };
    let mut sim = Simulation::new(config, vec![("a".into(), probe()), ("b".into(), probe())]);
    let mut seen = Vec::new();
    sim.run(&mut |at, node, obs| seen.push((at, node, obs))).unwrap();
    seen
}

fn received(seen: &[(SimTime, NodeId, Obs)]) -> Vec<u32> {
    seen.iter().filter_map(|(_, _, o)| if let Obs::Got(n) = o { Some(*n) } else { None }).collect()
}

#[test]
fn a_paused_node_reads_its_messages_late_but_in_arrival_order() {
    let free = received(&run(Vec::new()));
    let pause = Fault {
        kind: FaultKind::Pause { node: NodeId(1) },
        from: SimTime::from_millis(50),
        until: Some(SimTime::from_millis(150)),
    };
    let seen = run(vec![pause]);
    // Jitter reorders messages; the pause must not reorder them any further.
    assert_ne!(free, (0..200).collect::<Vec<_>>(), "the test needs reordering to mean anything");
    assert_eq!(received(&seen), free);
    let during = seen.iter().filter(|(at, node, o)| {
        *node == NodeId(1)
            && matches!(o, Obs::Got(_))
            && *at > SimTime::from_millis(50)
            && *at < SimTime::from_millis(150)
    });
    assert_eq!(during.count(), 0, "a paused node handles nothing");
}

#[test]
fn a_crashed_node_drops_messages_forgets_timers_and_restarts() {
    let crash = Fault {
        kind: FaultKind::Crash { node: NodeId(1) },
        from: SimTime::from_millis(100),
        until: Some(SimTime::from_millis(300)),
    };
    let seen = run(vec![crash]);
    let got = received(&seen);
    // Messages sent from 1 ms to 200 ms: those arriving during the crash are dropped.
    assert!(got.len() > 20 && got.len() < 100, "{} messages arrived", got.len());
    let b =
        |want: fn(&Obs) -> bool| seen.iter().filter(|(_, n, o)| *n == NodeId(1) && want(o)).count();
    assert_eq!(b(|o| *o == Obs::Started), 2, "started, then restarted");
    // The 2 s timer set at the first start died with the crash; the restart set a new one.
    let timers: Vec<SimTime> = seen
        .iter()
        .filter(|(_, n, o)| *n == NodeId(1) && *o == Obs::Timer)
        .map(|(at, _, _)| *at)
        .collect();
    assert_eq!(timers, [SimTime::from_millis(2_300)]);
    assert!(seen.iter().all(|(at, n, o)| !(*n == NodeId(1)
        && matches!(o, Obs::Got(_))
        && *at >= SimTime::from_millis(100)
        && *at < SimTime::from_millis(300))));
}

#[test]
fn a_partition_that_begins_during_a_pause_spares_messages_already_waiting() {
    let pause = Fault {
        kind: FaultKind::Pause { node: NodeId(1) },
        from: SimTime::from_millis(50),
        until: Some(SimTime::from_millis(300)),
    };
    let partition = Fault {
        kind: FaultKind::Partition {
            side_a: vec![NodeId(0)],
            side_b: vec![NodeId(1)],
            one_way: false,
        },
        from: SimTime::from_millis(120),
        until: Some(SimTime::from_millis(400)),
    };
    let paused_only = received(&run(vec![pause.clone()]));
    let both = received(&run(vec![pause, partition]));
    // Messages that reached the socket before 120 ms were read at 300 ms; those sent into
    // the partition were lost. So `both` is a prefix-in-arrival-order subset of the pause run.
    assert!(
        both.len() > 60 && both.len() < paused_only.len(),
        "{} of {}",
        both.len(),
        paused_only.len()
    );
    assert!(paused_only.starts_with(&both));
}

#[test]
fn a_crash_during_a_pause_loses_the_messages_waiting_in_the_socket() {
    let pause = Fault {
        kind: FaultKind::Pause { node: NodeId(1) },
        from: SimTime::from_millis(50),
        until: Some(SimTime::from_millis(300)),
    };
    let crash = Fault {
        kind: FaultKind::Crash { node: NodeId(1) },
        from: SimTime::from_millis(250),
        until: Some(SimTime::from_millis(260)),
    };
    let got = received(&run(vec![pause, crash]));
    // Only what arrived before the pause, or after the restart, was read.
    assert!(got.len() < 60, "{} messages survived the crash", got.len());
}

#[test]
fn overlapping_latency_spikes_of_absurd_size_do_not_panic() {
    let spike = |from| Fault {
        kind: FaultKind::LatencySpike {
            side_a: vec![NodeId(0)],
            side_b: vec![NodeId(1)],
            extra: SimDuration::from_nanos(u64::MAX / 2 + 1),
        },
        from: SimTime::from_millis(from),
        until: Some(SimTime::from_millis(from + 100)),
    };
    let got = received(&run(vec![spike(10), spike(20)]));
    assert!(!got.is_empty());
}

#[test]
fn the_event_limit_allows_exactly_max_events() {
    let config = |max_events| SimConfig {
        seed: 1,
        network: NetworkConfig::default(),
        faults: Vec::new(),
        duration: SimDuration::from_secs(1),
        max_events,
        trace: false,
        scheduler: None,
    };
    let nodes = || {
        let probe = || Probe { count: 10, sent: 0, starts: 0 };
        vec![("a".to_string(), probe()), ("b".to_string(), probe())]
    };
    let events = Simulation::new(config(u64::MAX), nodes()).run(&mut |_, _, _| {}).unwrap().events;
    assert!(Simulation::new(config(events), nodes()).run(&mut |_, _, _| {}).is_ok());
    let err = Simulation::new(config(events - 1), nodes()).run(&mut |_, _, _| {}).unwrap_err();
    assert_eq!(err.max_events, events - 1);
}
