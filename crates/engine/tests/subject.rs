//! Subjects name the story of each message and timer in a full trace, whatever became of
//! the message, descriptions say it in the reader's words, and neither enters the trace
//! hash.

use faultline_engine::{
    Ctx, Fault, FaultKind, Latency, Names, NetworkConfig, Node, NodeId, RunStats, SimConfig,
    SimDuration, SimTime, Simulation, TraceEncode, TraceEvent, TraceHasher, TraceRecord,
};

const ORDERS: u64 = 40;

/// Node 0 places an order every 5 ms (a timer carrying the order's number) and sends it to
/// node 1, which answers it. `NAMED` says whether the model names its stories: the runs
/// with and without must be the same run.
struct Shop<const NAMED: bool>;

#[derive(Clone, Debug)]
struct Step {
    order: u64,
    answer: bool,
}

impl TraceEncode for Step {
    fn encode(&self, out: &mut TraceHasher) {
        (self.order, self.answer).encode(out);
    }
}

impl<const NAMED: bool> Node for Shop<NAMED> {
    type Msg = Step;
    type Timer = u64;
    type Obs = ();

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        if ctx.id() == NodeId(0) {
            ctx.set_timer(SimDuration::from_millis(5), 0);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, step: Step) {
        if !step.answer {
            ctx.send(from, Step { order: step.order, answer: true });
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, order: u64) {
        ctx.send(NodeId(1), Step { order, answer: false });
        if order + 1 < ORDERS {
            ctx.set_timer(SimDuration::from_millis(5), order + 1);
        }
    }

    /// Nothing to keep: node 1 only answers.
    fn on_crash(&mut self) {}

    /// Only node 1 crashes, and it waits for nothing.
    fn on_restart(&mut self, _ctx: &mut Ctx<'_, Self>) {}

    fn subject(step: &Step) -> Option<u64> {
        NAMED.then_some(step.order)
    }

    fn timer_subject(order: &u64) -> Option<u64> {
        NAMED.then_some(*order)
    }

    fn describe(step: &Step, names: Names<'_>) -> String {
        if !NAMED {
            return format!("{step:?}");
        }
        let verb = if step.answer { "answered by" } else { "asks" };
        format!("order {}: {verb} {} at {}", step.order, names.node(NodeId(1)), names.label(0))
    }

    fn describe_timer(order: &u64, _names: Names<'_>) -> String {
        if NAMED { format!("order {order} due") } else { order.to_string() }
    }
}

fn run<const NAMED: bool>() -> (RunStats, Vec<TraceRecord>) {
    let (a, b) = (NodeId(0), NodeId(1));
    let window =
        |from_ms, until_ms| (SimTime::from_millis(from_ms), Some(SimTime::from_millis(until_ms)));
    let fault = |kind, (from, until)| Fault { kind, from, until };
    let config = SimConfig {
        seed: 11,
        network: NetworkConfig {
            latency: Latency::Uniform {
                min: SimDuration::from_millis(1),
                max: SimDuration::from_millis(10),
            },
            loss_probability: 0.2,
            duplicate_probability: 0.2,
        },
        faults: vec![
            fault(FaultKind::Crash { node: b }, window(40, 60)),
            fault(FaultKind::Pause { node: b }, window(100, 120)),
            fault(
                FaultKind::Partition { side_a: vec![a], side_b: vec![b], one_way: false },
                window(150, 170),
            ),
        ],
        duration: SimDuration::from_secs(1),
        max_events: 10_000,
        trace: true,
        scheduler: None,
    };
    let mut sim =
        Simulation::new(config, vec![("a".into(), Shop::<NAMED>), ("b".into(), Shop::<NAMED>)]);
    sim.set_labels(vec!["the till".to_owned()]);
    let stats = sim.run(&mut |_, _, ()| {}).unwrap();
    (stats, sim.take_trace().unwrap())
}

#[test]
fn every_message_and_timer_record_carries_its_story() {
    let (stats, trace) = run::<true>();
    assert!(stats.net.duplicated > 0, "the test needs duplicates to mean anything");
    let (mut kinds, mut drops) = (Vec::new(), Vec::new());
    for record in &trace {
        let (kind, text) = match &record.event {
            TraceEvent::Send { msg, .. } => ("send", msg),
            TraceEvent::Deliver { msg, .. } => ("deliver", msg),
            TraceEvent::Buffer { msg, .. } => ("buffer", msg),
            TraceEvent::Drop { msg, reason, .. } => {
                drops.push(reason.as_str());
                ("drop", msg)
            }
            TraceEvent::Timer { timer, .. } => {
                let order = record.subject.unwrap_or_else(|| panic!("{record:?} has no subject"));
                assert_eq!(*timer, format!("order {order} due"));
                kinds.push("timer");
                continue;
            }
            TraceEvent::Start { .. }
            | TraceEvent::FaultBegin { .. }
            | TraceEvent::FaultEnd { .. } => {
                assert_eq!(record.subject, None, "{record:?}");
                continue;
            }
        };
        let order = record.subject.unwrap_or_else(|| panic!("{record:?} has no subject"));
        assert!(text.starts_with(&format!("order {order}: ")), "{record:?}");
        assert!(text.ends_with(" b at the till"), "nodes and labels by name: {record:?}");
        kinds.push(kind);
    }
    kinds.sort_unstable();
    kinds.dedup();
    assert_eq!(kinds, ["buffer", "deliver", "drop", "send", "timer"]);
    // Lost on the way and cut off are decided at the send; a crashed receiver at arrival.
    drops.sort_unstable();
    drops.dedup();
    assert_eq!(drops, ["loss", "node-down", "partition"]);
}

#[test]
fn subjects_and_descriptions_do_not_enter_the_trace_hash() {
    let (named, named_trace) = run::<true>();
    let (plain, plain_trace) = run::<false>();
    assert_eq!(named, plain);
    assert!(plain_trace.iter().all(|record| record.subject.is_none()));
    assert_eq!(named_trace.len(), plain_trace.len());
    for (named, plain) in named_trace.iter().zip(&plain_trace) {
        assert_eq!((named.at, named.hash), (plain.at, plain.hash));
    }
}
