//! Which failing run a report draws, and how much of it: the first violation of a run kept
//! with its full trace, the moments before it, and the messages of the node where it broke.

use faultline_engine::{NodeId, SimDuration, SimTime, TraceEvent, TraceRecord};
use faultline_outcome::{Outcome, Violation};

use crate::spacetime::Spacetime;

/// How far back from a violation the diagram looks: enough for the few round trips of an
/// interleaving, few enough messages to read.
const LOOKBACK: SimDuration = SimDuration::from_millis(100);

/// How far past the violation the diagram goes: the message that completes it.
const AFTER: SimDuration = SimDuration::from_millis(5);

/// The first violation of one run, ready to be drawn as a spacetime diagram.
#[derive(Clone, Debug)]
pub struct FirstFailure {
    trace: Vec<TraceRecord>,
    violation: Violation,
    title: String,
    highlight: Vec<u64>,
}

impl FirstFailure {
    /// The earliest violation of `outcome`, a run of `seed` kept with its full trace; `None`
    /// when it broke nothing. `names` are the run's nodes by id.
    pub fn of(outcome: &Outcome, seed: u64, names: &[String]) -> Option<FirstFailure> {
        let violation = outcome.violations.iter().min_by_key(|v| v.at)?.clone();
        let trace = outcome.trace.clone().unwrap_or_default();
        // Highlight the messages to and from the node where the invariant broke.
        let node = names.iter().position(|n| *n == violation.node).map(|i| NodeId(i as u32));
        let highlight = trace
            .iter()
            .filter_map(|r| match r.event {
                TraceEvent::Deliver { from, to, msg_id, .. }
                    if Some(from) == node || Some(to) == node =>
                {
                    Some(msg_id)
                }
                _ => None,
            })
            .collect();
        let title = format!(
            "{}, seed {seed}: how `{}` broke at {:.3} s",
            outcome.variant,
            violation.invariant,
            violation.at.as_secs_f64()
        );
        Some(FirstFailure { trace, violation, title, highlight })
    }

    /// The diagram: from the first message (at most 100 ms before the violation) to
    /// just after it.
    pub fn diagram<'a>(&'a self, names: &'a [String]) -> Spacetime<'a> {
        let first_send = self.trace.iter().find(|r| matches!(r.event, TraceEvent::Send { .. }));
        let earliest = SimTime::ZERO + self.violation.at.since(SimTime::ZERO + LOOKBACK);
        let from = first_send.map_or(earliest, |r| r.at.max(earliest));
        Spacetime {
            title: &self.title,
            caption: &self.violation.detail,
            trace: &self.trace,
            names,
            from,
            until: self.violation.at + AFTER,
            highlight: &self.highlight,
        }
    }
}
