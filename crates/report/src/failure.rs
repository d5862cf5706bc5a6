//! Which failing run a report draws, and how much of it: the first violation of a run kept
//! with its full trace, and the messages of the node where it broke.
//!
//! When the violation names its story (`Violation::subject`, which the model's
//! `Node::subject` gives its messages and timers, like a trace id in distributed tracing),
//! the diagram follows that story from its first message to its last, and leaves out the
//! rest of a busy run; faults stay, since they are what the story ran into. Otherwise it
//! draws every message of the moments before the violation.

use std::collections::BTreeSet;

use faultline_engine::{NodeId, SimDuration, SimTime, TraceEvent, TraceRecord};
use faultline_outcome::{Outcome, Violation};

use crate::spacetime::Spacetime;

/// How far back from a violation the diagram looks: enough for the few round trips of an
/// interleaving, few enough messages to read.
const LOOKBACK: SimDuration = SimDuration::from_millis(100);

/// How far past the violation the diagram goes at least: the message that completes it.
/// It goes on until the messages in flight at the violation have arrived (or were lost), up
/// to [`LOOKBACK`] past it, so that no answer ends in mid-air; any still in flight then are
/// drawn as continuing.
const AFTER: SimDuration = SimDuration::from_millis(5);

/// Around a story, this share of its span on either side, and at least `STORY_MARGIN_MIN`:
/// room to see it begin and end, whether it lasted milliseconds or seconds of retries.
const STORY_MARGIN_FRACTION: f64 = 0.05;
const STORY_MARGIN_MIN: SimDuration = SimDuration::from_millis(1);

/// The first violation of one run, ready to be drawn as a spacetime diagram.
#[derive(Clone, Debug)]
pub struct FirstFailure {
    /// The records drawn from: the whole trace, or the violation's story and the faults.
    trace: Vec<TraceRecord>,
    violation: Violation,
    title: String,
    highlight: Vec<u64>,
    /// Where the violation happened, if the run names that node.
    node: Option<NodeId>,
    from: SimTime,
    until: SimTime,
}

impl FirstFailure {
    /// The earliest violation of `outcome`, a run of `seed` kept with its full trace; `None`
    /// when it broke nothing. `names` are the run's nodes by id.
    pub fn of(outcome: &Outcome, seed: u64, names: &[String]) -> Option<FirstFailure> {
        FirstFailure::titled(outcome, names, |violation| {
            format!(
                "{}, seed {seed}: how `{}` broke at {:.3} s",
                outcome.variant,
                violation.invariant,
                violation.at.as_secs_f64()
            )
        })
    }

    /// [`FirstFailure::of`] under the title `title` gives its violation: an explored
    /// schedule has no seed to name.
    pub fn titled(
        outcome: &Outcome,
        names: &[String],
        title: impl FnOnce(&Violation) -> String,
    ) -> Option<FirstFailure> {
        let violation = outcome.violations.iter().min_by_key(|v| v.at)?.clone();
        let mut trace = outcome.trace.clone().unwrap_or_default();
        let node = names.iter().position(|n| *n == violation.node).map(|i| NodeId(i as u32));
        // A story the trace never tells (no record carries it) would be an empty diagram:
        // the moments before the violation say more.
        let subjects = &violation.subjects;
        let story = story_window(&trace, subjects, violation.at);
        let (from, until) = match story {
            Some(window) => {
                trace.retain(|r| {
                    r.subject.is_some_and(|s| subjects.contains(&s)) || is_fault(&r.event)
                });
                window
            }
            None => lookback_window(&trace, violation.at),
        };
        let highlight = violating_step(&trace, node, violation.at);
        let title = title(&violation);
        Some(FirstFailure { trace, violation, title, highlight, node, from, until })
    }

    /// The diagram: the violation's story, or the moments before the violation.
    pub fn diagram<'a>(&'a self, names: &'a [String]) -> Spacetime<'a> {
        Spacetime {
            title: &self.title,
            caption: &self.violation.detail,
            trace: &self.trace,
            names,
            from: self.from,
            until: self.until,
            highlight: &self.highlight,
            node: self.node,
        }
    }
}

/// From the first message (at most [`LOOKBACK`] before the violation) to the end of the last
/// message in flight at it (at least [`AFTER`], at most [`LOOKBACK`] past it).
fn lookback_window(trace: &[TraceRecord], at: SimTime) -> (SimTime, SimTime) {
    let first_send = trace.iter().find(|r| matches!(r.event, TraceEvent::Send { .. }));
    let earliest = SimTime::ZERO + at.since(SimTime::ZERO + LOOKBACK);
    let from = first_send.map_or(earliest, |r| r.at.max(earliest));
    let latest = at + LOOKBACK;
    let mut in_flight = BTreeSet::new();
    let mut until = at + AFTER;
    for record in trace.iter().filter(|r| r.at >= from && r.at <= latest) {
        match record.event {
            TraceEvent::Send { msg_id, .. } if record.at <= at => {
                in_flight.insert(msg_id);
            }
            TraceEvent::Deliver { msg_id, .. }
            | TraceEvent::Buffer { msg_id, .. }
            | TraceEvent::Drop { msg_id, .. }
                if in_flight.remove(&msg_id) =>
            {
                until = until.max(record.at);
            }
            _ => {}
        }
    }
    if !in_flight.is_empty() {
        // What is still in flight at the cap leaves the window, marked as continuing; what
        // never arrived before the run ended needs no more of it than the run had.
        let run_end = trace.last().map_or(latest, |r| r.at.min(latest));
        until = until.max(run_end);
    }
    (from, until)
}

/// From the first record of the stories `subjects` to the later of their last record and
/// the violation at `at`, with a margin either side; `None` when no record carries one. The
/// last record is a delivery or a loss, so no arrow of the stories is cut off at the bottom.
fn story_window(
    trace: &[TraceRecord],
    subjects: &[u64],
    at: SimTime,
) -> Option<(SimTime, SimTime)> {
    let mut told =
        trace.iter().filter(|r| r.subject.is_some_and(|s| subjects.contains(&s))).map(|r| r.at);
    let first = told.next()?;
    let (begin, end) = (first.min(at), told.next_back().unwrap_or(first).max(at));
    let margin = end.since(begin).mul_f64(STORY_MARGIN_FRACTION).max(STORY_MARGIN_MIN);
    Some((SimTime::ZERO + begin.since(SimTime::ZERO + margin), end + margin))
}

/// The step that completed the violation at `node` at `at`: the messages that reached it (or
/// were lost on the way to it) at that instant, since a checker sees a violation when the
/// node handles the message that completes it. Failing that (a violation found at the end
/// of the run), the last message that reached the node before it; failing that, the last
/// message before it at all. One step, so that the point stands out from the rest.
fn violating_step(trace: &[TraceRecord], node: Option<NodeId>, at: SimTime) -> Vec<u64> {
    // Arrivals and losses up to the violation, latest first.
    let ends = trace.iter().rev().filter(|r| r.at <= at).filter_map(|r| match r.event {
        TraceEvent::Deliver { to, msg_id, .. }
        | TraceEvent::Drop { to, msg_id, .. }
        | TraceEvent::Buffer { to, msg_id, .. } => Some((r.at, to, msg_id)),
        _ => None,
    });
    let at_node: Vec<(SimTime, u64)> =
        ends.clone().filter(|&(_, to, _)| Some(to) == node).map(|(end, _, id)| (end, id)).collect();
    let completing: Vec<u64> =
        at_node.iter().filter(|&&(end, _)| end == at).map(|&(_, id)| id).collect();
    if !completing.is_empty() {
        return completing;
    }
    let last = at_node.first().map(|&(_, id)| id).or_else(|| ends.map(|(_, _, id)| id).next());
    last.into_iter().collect()
}

fn is_fault(event: &TraceEvent) -> bool {
    matches!(event, TraceEvent::FaultBegin { .. } | TraceEvent::FaultEnd { .. })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn at(ms: u64) -> SimTime {
        SimTime::from_millis(ms)
    }

    /// A shop (node 0) and a payment service (node 1) handle orders 1 and 2 at the same
    /// time for a customer (node 3), while node 2 polls the shop about nothing in
    /// particular; a fault begins in the middle. Order 1 is charged twice, which the checker
    /// sees at 25 ms, just before the shop answers the customer.
    fn interleaved() -> Vec<TraceRecord> {
        let (shop, pay, poller, customer) = (NodeId(0), NodeId(1), NodeId(2), NodeId(3));
        let record = |ms, event, subject| TraceRecord { at: at(ms), hash: 0, event, subject };
        let mut trace: Vec<TraceRecord> =
            (0..4).map(|node| record(0, TraceEvent::Start { node: NodeId(node) }, None)).collect();
        let mut message = |sent_ms, arrived_ms, from, to, msg_id, subject: Option<u64>| {
            let msg = format!("M{msg_id}");
            let send = TraceEvent::Send { from, to, msg_id, msg: msg.clone() };
            trace.push(record(sent_ms, send, subject));
            trace.push(record(arrived_ms, TraceEvent::Deliver { from, to, msg_id, msg }, subject));
        };
        message(2, 4, poller, shop, 1, None);
        message(8, 9, customer, shop, 9, Some(1));
        message(10, 12, shop, pay, 10, Some(1));
        message(11, 13, shop, pay, 20, Some(2));
        message(12, 15, pay, shop, 11, Some(1));
        message(13, 14, pay, shop, 21, Some(2));
        message(20, 22, shop, pay, 12, Some(1));
        message(22, 23, pay, shop, 13, Some(1));
        message(24, 26, shop, customer, 14, Some(1));
        message(40, 41, shop, pay, 22, Some(2));
        // The poller's second question is slow: in flight at the violation, it arrives after.
        message(23, 45, poller, shop, 2, None);
        let description = "partition {poller} | {shop}".to_owned();
        trace.push(record(16, TraceEvent::FaultBegin { index: 0, description }, None));
        let retry = TraceEvent::Timer { node: shop, timer: "Retry(1)".to_owned() };
        trace.push(record(18, retry, Some(1)));
        // A trace is in time order; the stable sort keeps each send before its delivery.
        trace.sort_by_key(|record| record.at);
        trace
    }

    fn failure(subjects: &[u64]) -> (FirstFailure, Vec<String>) {
        let names = ["shop", "payments", "poller", "customer"].map(String::from).to_vec();
        let violation = Violation {
            invariant: "charged-once".to_owned(),
            at: at(25),
            node: "payments".to_owned(),
            detail: "order 1 was charged twice".to_owned(),
            subjects: subjects.to_vec(),
        };
        let outcome = Outcome {
            variant: "at-least-once".to_owned(),
            trace_hash: 0,
            events: 0,
            sim_time: at(50),
            metrics: BTreeMap::new(),
            violations: vec![violation],
            series: Vec::new(),
            verdict: String::new(),
            trace: Some(interleaved()),
        };
        (FirstFailure::of(&outcome, 1, &names).unwrap(), names)
    }

    #[test]
    fn a_violation_about_a_story_draws_that_story_and_the_faults() {
        let (failure, names) = failure(&[1]);
        let diagram = failure.diagram(&names);
        let events = |keep: fn(&TraceEvent) -> bool| {
            diagram.trace.iter().filter(|r| keep(&r.event)).collect::<Vec<_>>()
        };
        let sent: Vec<u64> = diagram
            .trace
            .iter()
            .filter_map(|r| match r.event {
                TraceEvent::Send { msg_id, .. } => Some(msg_id),
                _ => None,
            })
            .collect();
        assert_eq!(sent, [9, 10, 11, 12, 13, 14], "order 2 and the poller are left out");
        assert_eq!(events(|e| matches!(e, TraceEvent::Timer { .. })).len(), 1);
        assert_eq!(events(is_fault).len(), 1, "the fault the story ran into is gone");
        assert!(events(|e| matches!(e, TraceEvent::Start { .. })).is_empty());
        // From the customer's order at 8 ms to its answer at 26 ms, past the violation at
        // 25 ms: 5% of 18 ms is less than the 1 ms margin either side.
        assert_eq!((diagram.from, diagram.until), (at(7), at(27)));
        // No message reached the payment service at 25 ms: its last one before, the second
        // charge, is the step that broke it; the rest of the story is drawn plainly.
        assert_eq!(diagram.highlight, [12]);
        assert_eq!(diagram.node, Some(NodeId(1)));
    }

    #[test]
    fn a_violation_without_a_story_or_with_an_untold_one_draws_the_moments_before_it() {
        for subjects in [&[][..], &[7]] {
            let (failure, names) = failure(subjects);
            let diagram = failure.diagram(&names);
            assert_eq!(diagram.trace, interleaved());
            // Up to the slow question's arrival, so that it does not end in mid-air.
            assert_eq!((diagram.from, diagram.until), (at(2), at(45)));
            assert_eq!(diagram.highlight, [12], "one step stands out, not every message");
        }
    }

    #[test]
    fn the_violating_step_is_what_reached_the_node_at_that_instant() {
        let trace = interleaved();
        let (shop, pay, customer) = (Some(NodeId(0)), Some(NodeId(1)), Some(NodeId(3)));
        // Two messages reached the shop at 15 ms: order 1's reply (13 ms) came first.
        assert_eq!(violating_step(&trace, shop, at(15)), [11]);
        assert_eq!(violating_step(&trace, pay, at(13)), [20]);
        // Nothing reached the customer at 30 ms: its last message before, the answer.
        assert_eq!(violating_step(&trace, customer, at(30)), [14]);
        // A node nobody wrote to: the last message of all before it.
        assert_eq!(violating_step(&trace, Some(NodeId(9)), at(14)), [21]);
        assert!(violating_step(&trace, None, at(1)).is_empty());
    }

    #[test]
    fn the_moments_before_a_violation_run_on_until_what_was_in_flight_lands_within_a_cap() {
        let (a, b) = (NodeId(0), NodeId(1));
        let record = |ms, event| TraceRecord { at: at(ms), hash: 0, event, subject: None };
        let send = |msg_id| TraceEvent::Send { from: a, to: b, msg_id, msg: String::new() };
        let deliver = |msg_id| TraceEvent::Deliver { from: a, to: b, msg_id, msg: String::new() };
        let quiet = [record(10, send(1)), record(12, deliver(1))];
        assert_eq!(lookback_window(&quiet, at(12)), (at(10), at(12) + AFTER));
        // Sent before the violation, arriving 150 ms after it: past the cap, so drawn as
        // continuing out of a window that ends LOOKBACK after the violation.
        let slow = [record(10, send(1)), record(12, deliver(1)), record(12, send(2))];
        let slow = [&slow[..], &[record(162, deliver(2))]].concat();
        assert_eq!(lookback_window(&slow, at(12)), (at(10), at(12) + LOOKBACK));
        // Never arrived before the run ended at 40 ms: the window ends with the run.
        assert_eq!(lookback_window(&slow[..3], at(12)).1, at(12) + AFTER);
        let unfinished = [&slow[..3], &[record(40, send(3))]].concat();
        assert_eq!(lookback_window(&unfinished, at(12)).1, at(40));
    }

    #[test]
    fn a_long_story_gets_a_margin_in_proportion() {
        let record = |ms, subject| {
            let event = TraceEvent::Timer { node: NodeId(0), timer: "Retry".to_owned() };
            TraceRecord { at: at(ms), hash: 0, event, subject }
        };
        let trace = [record(1_000, Some(3)), record(1_500, Some(4)), record(3_000, Some(3))];
        assert_eq!(story_window(&trace, &[3], at(2_000)), Some((at(900), at(3_100))));
        assert_eq!(story_window(&trace, &[5], at(2_000)), None);
    }
}
