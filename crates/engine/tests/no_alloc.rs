//! Without a full trace, the engine allocates nothing per event on any path a message or
//! timer can take: delivery, loss, partition drops, duplication, pauses, crashes.

use std::alloc::System;

use faultline_engine::{
    Ctx, Fault, FaultKind, Latency, NetworkConfig, Node, NodeId, Purpose, SimConfig, SimDuration,
    SimTime, Simulation,
};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Pings the other node every millisecond; answers every ping.
struct Pinger;

impl Node for Pinger {
    type Msg = (u32, bool);
    type Timer = ();
    type Obs = u32;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        ctx.set_timer(SimDuration::from_millis(1), ());
    }
    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, (n, ping): (u32, bool)) {
        ctx.observe(n);
        if ping {
            ctx.send(from, (n, false));
        }
    }
    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, (): ()) {
        let other = NodeId(1 - ctx.id().0);
        let n = ctx.rng(Purpose::Choice).below(1000) as u32;
        ctx.send(other, (n, true));
        ctx.set_timer(SimDuration::from_millis(1), ());
    }

    /// Stateless: nothing to keep.
    fn on_crash(&mut self) {}

    /// The ping timer died with the crash: pinging resumes.
    fn on_restart(&mut self, ctx: &mut Ctx<'_, Self>) {
        ctx.set_timer(SimDuration::from_millis(1), ());
    }
}

/// Allocations of a run of `seconds`, with the same four faults every second: the faults
/// are given up front (setup allocates them), then every path runs again each second.
fn allocations(seconds: u64) -> (usize, u64) {
    let window = |kind, from_ms: u64, until_ms: u64| Fault {
        kind,
        from: SimTime::from_millis(from_ms),
        until: Some(SimTime::from_millis(until_ms)),
    };
    let (a, b) = (vec![NodeId(0)], vec![NodeId(1)]);
    let mut faults = Vec::new();
    for second in 0..seconds {
        let ms = second * 1000;
        let cut = FaultKind::Partition { side_a: a.clone(), side_b: b.clone(), one_way: false };
        let loss = FaultKind::Loss { side_a: a.clone(), side_b: b.clone(), probability: 0.5 };
        faults.extend([
            window(cut, ms + 100, ms + 200),
            window(FaultKind::Pause { node: NodeId(1) }, ms + 300, ms + 400),
            window(FaultKind::Crash { node: NodeId(0) }, ms + 500, ms + 600),
            window(loss, ms + 700, ms + 800),
        ]);
    }
    let config = SimConfig {
        seed: 9,
        network: NetworkConfig {
            latency: Latency::Uniform {
                min: SimDuration::from_micros(100),
                max: SimDuration::from_millis(5),
            },
            loss_probability: 0.05,
            duplicate_probability: 0.05,
        },
        faults,
        duration: SimDuration::from_secs(seconds),
        max_events: u64::MAX,
        trace: false,
        scheduler: None,
    };
    let mut sim = Simulation::new(config, vec![("a".into(), Pinger), ("b".into(), Pinger)]);
    let region = Region::new(GLOBAL);
    let stats = sim.run(&mut |_, _, _| {}).unwrap();
    (region.change().allocations, stats.events)
}

#[test]
fn ten_times_the_events_cost_no_more_allocations() {
    let (short, short_events) = allocations(2);
    let (long, long_events) = allocations(20);
    assert!(long_events > 9 * short_events);
    assert!(
        long <= short + 4,
        "{short} allocations for {short_events} events, {long} for {long_events}"
    );
}
