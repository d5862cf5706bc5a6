//! What a spacetime diagram draws, worked out from the trace as plain data: which messages
//! flew when (a send matched with its delivery, wait or drop by `msg_id`), which timers
//! fired and which faults were on, restricted to the time window of the story, and which
//! idle stretches of it are folded.
//!
//! Kept apart from plotters, like the charts' `data` module, so that the matching rules are
//! tested without rendering and the SVG and PNG cannot disagree on them.

use std::collections::{BTreeMap, BTreeSet};

use faultline_engine::{DropReason, NodeId, SimDuration, SimTime, TraceEvent, TraceRecord};

/// At most this many messages are drawn (highlighted ones first): a window of thousands is
/// a grey smear anyway, and the cap bounds the SVG's size and the label layout's work.
pub(super) const FLIGHTS_DRAWN_MAX: usize = 400;
/// At most this many timer marks are drawn, for the same reasons.
pub(super) const TIMERS_DRAWN_MAX: usize = 400;
/// A stretch with no event longer than this share of the window is folded: drawn short, with
/// a break mark, so that a 2 s pause does not leave the story a few pixels at the bottom.
pub(super) const FOLD_FRACTION: f64 = 0.25;
/// Nor is a gap shorter than this share of the whole story folded: a few milliseconds
/// between round trips is the story's rhythm, not idleness.
pub(super) const FOLD_FLOOR_FRACTION: f64 = 0.02;
/// At most this many folds: each takes height of its own, and a break mark every few lines
/// would make time hard to follow.
pub(super) const FOLDS_MAX: usize = 4;
/// Around what happens, this share of what is drawn to scale, and at least `MARGIN_MIN`.
pub(super) const MARGIN_FRACTION: f64 = 0.05;
pub(super) const MARGIN_MIN: SimDuration = SimDuration::from_micros(200);

/// Everything of the trace that falls in the window, ready to lay out.
#[derive(Debug, PartialEq)]
pub(super) struct Story<'t> {
    /// The diagram's columns, left to right: every node that does something in the window,
    /// in id order (the scenario's order of nodes).
    pub(super) nodes: Vec<NodeId>,
    /// In send order (trace order for messages sent at the same instant).
    pub(super) flights: Vec<Flight<'t>>,
    /// Messages in the window that were not drawn because of [`FLIGHTS_DRAWN_MAX`].
    pub(super) flights_hidden: usize,
    pub(super) timers: Vec<TimerMark<'t>>,
    pub(super) timers_hidden: usize,
    /// Faults that were on for part of the window, in the order they began.
    pub(super) faults: Vec<FaultSpan<'t>>,
    /// Idle stretches to fold, `(from, until)`, in time order and apart.
    pub(super) folds: Vec<(SimTime, SimTime)>,
    /// The window to draw: the one asked for, trimmed to what happens in it.
    pub(super) window: (SimTime, SimTime),
}

impl Story<'_> {
    pub(super) fn is_empty(&self) -> bool {
        self.nodes.is_empty() && self.faults.is_empty()
    }
}

/// Folds each run of the same message (sender, receiver, text) lost the same way, with
/// only other lost messages in between, into its first flight, counting the rest: resends
/// into a partition say one thing, once. A message that got through ends the run, and the
/// step that broke it is always drawn itself.
fn collapse_lost_repeats(flights: Vec<Flight<'_>>) -> Vec<Flight<'_>> {
    let mut kept: Vec<Flight> = Vec::with_capacity(flights.len());
    for flight in flights {
        // Back over the run of lost messages just before this one: anything that got
        // through in between is part of the story, and ends the run.
        let repeat_of = match flight.fate {
            Fate::Lost { reason, .. } if !flight.highlighted => kept
                .iter_mut()
                .rev()
                .take_while(|k| matches!(k.fate, Fate::Lost { .. }) && !k.highlighted)
                .find(|k| {
                    matches!(k.fate, Fate::Lost { reason: r, .. } if r == reason)
                        && (k.from, k.to, k.text) == (flight.from, flight.to, flight.text)
                }),
            _ => None,
        };
        match repeat_of {
            Some(first) => {
                let count = first.lost_again.map_or(0, |(n, _)| n);
                first.lost_again = Some((count + 1, flight.sent_at));
            }
            None => kept.push(flight),
        }
    }
    kept
}

/// One message on its way: a send, and what became of it. A message the network duplicated
/// is two flights with the same `msg_id`.
#[derive(Debug, PartialEq)]
pub(super) struct Flight<'t> {
    pub(super) msg_id: u64,
    pub(super) from: NodeId,
    pub(super) to: NodeId,
    /// The message as the trace describes it (`Node::describe`).
    pub(super) text: &'t str,
    pub(super) sent_at: SimTime,
    pub(super) fate: Fate,
    pub(super) highlighted: bool,
    /// The same message lost the same way again, this many times more, the last sent at
    /// the instant given: a retry loop into a partition is one line, "×18", not eighteen.
    pub(super) lost_again: Option<(usize, SimTime)>,
}

/// What became of a message.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Fate {
    /// Handed to the receiver at `at`.
    Delivered { at: SimTime },
    /// Reached a paused receiver at `arrived_at` and waited in its socket until it was read
    /// (`read_at`), or was lost with the process when it crashed first (`lost_at`); neither
    /// if the trace ends while it still waits.
    Waited { arrived_at: SimTime, read_at: Option<SimTime>, lost_at: Option<SimTime> },
    /// Lost at `at`: on the way (loss, partition) or at a crashed receiver (node down).
    Lost { at: SimTime, reason: DropReason },
    /// Still on its way when the trace ends (the run ended first).
    InFlight,
}

impl Flight<'_> {
    /// The last instant the flight is drawn at; `SimTime::MAX` while it still waits.
    pub(super) fn end_at(&self) -> SimTime {
        match self.fate {
            Fate::Delivered { at } | Fate::Lost { at, .. } => at,
            Fate::Waited { read_at, lost_at, .. } => read_at.or(lost_at).unwrap_or(SimTime::MAX),
            Fate::InFlight => SimTime::MAX,
        }
    }
}

/// A timer that fired on a node.
#[derive(Debug, PartialEq)]
pub(super) struct TimerMark<'t> {
    pub(super) node: NodeId,
    pub(super) at: SimTime,
    pub(super) name: &'t str,
}

/// A fault from its beginning to its end; either may lie outside the trace (`None`).
#[derive(Debug, PartialEq)]
pub(super) struct FaultSpan<'t> {
    pub(super) description: &'t str,
    pub(super) begin_at: Option<SimTime>,
    pub(super) end_at: Option<SimTime>,
}

/// The part of `trace` in `[from, until]`. A message is in the window when any part of its
/// way is (sent before and delivered inside, say); a fault when it was on during it.
/// Deliveries, waits and drops whose send is not in the trace are left out: without the
/// send there is no arrow to draw. An empty window (`until < from`) has nothing in it.
/// `node` (where the violation happened) gets a column whenever anything is drawn, even if
/// no message of the story touches it.
pub(super) fn story<'t>(
    trace: &'t [TraceRecord],
    from: SimTime,
    until: SimTime,
    highlight: &[u64],
    node: Option<NodeId>,
) -> Story<'t> {
    if until < from {
        return Story {
            nodes: Vec::new(),
            flights: Vec::new(),
            flights_hidden: 0,
            timers: Vec::new(),
            timers_hidden: 0,
            faults: Vec::new(),
            folds: Vec::new(),
            window: (from, until),
        };
    }
    let in_window = |at: SimTime| from <= at && at <= until;
    let (flights, faults) = (flights(trace, highlight), fault_spans(trace));

    let flights: Vec<Flight> =
        flights.into_iter().filter(|f| f.sent_at <= until && f.end_at() >= from).collect();
    let mut flights = collapse_lost_repeats(flights);
    let flights_hidden = flights.len().saturating_sub(FLIGHTS_DRAWN_MAX);
    if flights_hidden > 0 {
        // Highlighted messages are the point of the diagram: they are kept first. The sort is
        // stable, so the rest keep their send order.
        flights.sort_by_key(|flight| !flight.highlighted);
        flights.truncate(FLIGHTS_DRAWN_MAX);
        flights.sort_by_key(|flight| flight.sent_at);
    }

    let mut timers: Vec<TimerMark> = Vec::new();
    let mut started: Vec<NodeId> = Vec::new();
    for record in trace.iter().filter(|record| in_window(record.at)) {
        match &record.event {
            TraceEvent::Timer { node, timer } => {
                timers.push(TimerMark { node: *node, at: record.at, name: timer });
            }
            TraceEvent::Start { node } => started.push(*node),
            _ => {}
        }
    }
    let timers_hidden = timers.len().saturating_sub(TIMERS_DRAWN_MAX);
    timers.truncate(TIMERS_DRAWN_MAX);

    let faults: Vec<FaultSpan> = faults
        .into_iter()
        .filter(|fault| {
            fault.begin_at.is_none_or(|at| at <= until) && fault.end_at.is_none_or(|at| at >= from)
        })
        .collect();

    let mut nodes: Vec<NodeId> = flights
        .iter()
        .flat_map(|flight| [flight.from, flight.to])
        .chain(timers.iter().map(|timer| timer.node))
        .chain(started)
        .collect();
    if !nodes.is_empty() {
        nodes.extend(node);
    }
    nodes.sort_unstable();
    nodes.dedup();

    // Every instant something is drawn at: the folds go between them.
    let mut instants: Vec<SimTime> = flights
        .iter()
        .flat_map(|flight| {
            let (arrived, read, lost) = match flight.fate {
                Fate::Delivered { at } | Fate::Lost { at, .. } => (Some(at), None, None),
                Fate::Waited { arrived_at, read_at, lost_at } => {
                    (Some(arrived_at), read_at, lost_at)
                }
                Fate::InFlight => (None, None, None),
            };
            [Some(flight.sent_at), arrived, read, lost]
        })
        .flatten()
        .chain(timers.iter().map(|timer| timer.at))
        .chain(faults.iter().flat_map(|fault| [fault.begin_at, fault.end_at]).flatten())
        .filter(|&at| in_window(at))
        .collect();
    instants.sort_unstable();
    // A message waiting in a paused node's socket has arrived: its wait may be folded.
    let flying: Vec<(SimTime, SimTime)> = flights
        .iter()
        .filter_map(|flight| match flight.fate {
            Fate::Delivered { at } | Fate::Lost { at, .. } => Some((flight.sent_at, at)),
            Fate::Waited { arrived_at, .. } => Some((flight.sent_at, arrived_at)),
            Fate::InFlight => None,
        })
        .collect();
    let folds = idle_stretches(&instants, &flying);
    let window = trimmed((from, until), &instants, &folds);
    Story { nodes, flights, flights_hidden, timers, timers_hidden, faults, folds, window }
}

/// The idle stretches between `instants` (sorted) to fold, in time order: gaps no message
/// in `flying` (`(sent, arrived)`) is on its way through, since folding those would bend
/// their arrows out of true. The longest first, as long as it is more than
/// [`FOLD_FRACTION`] of what is still drawn to scale and [`FOLD_FLOOR_FRACTION`] of the
/// whole, and at most [`FOLDS_MAX`] of them. A story that happens in bursts (a read, a 2 s
/// pause, a write) then gets the height for its bursts.
pub(super) fn idle_stretches(
    instants: &[SimTime],
    flying: &[(SimTime, SimTime)],
) -> Vec<(SimTime, SimTime)> {
    let (Some(&first), Some(&last)) = (instants.first(), instants.last()) else {
        return Vec::new();
    };
    let mut gaps: Vec<(SimTime, SimTime)> = instants
        .windows(2)
        .map(|pair| (pair[0], pair[1]))
        .filter(|&(a, b)| a < b && !flying.iter().any(|&(sent, arrived)| sent <= a && b <= arrived))
        .collect();
    // Longest first; equal gaps in time order, so the choice is the same on every platform.
    gaps.sort_by_key(|&(a, b)| (std::cmp::Reverse(b.since(a)), a));
    let whole_ns = last.since(first).as_nanos();
    let floor_ns = whole_ns as f64 * FOLD_FLOOR_FRACTION;
    let mut linear_ns = whole_ns;
    let mut folds = Vec::new();
    for (a, b) in gaps.into_iter().take(FOLDS_MAX) {
        let gap_ns = b.since(a).as_nanos();
        if (gap_ns as f64) <= (linear_ns as f64 * FOLD_FRACTION).max(floor_ns) {
            break;
        }
        linear_ns -= gap_ns;
        folds.push((a, b));
    }
    folds.sort_unstable();
    folds
}

/// The window trimmed to the instants drawn, with a margin of [`MARGIN_FRACTION`] of what is
/// drawn to scale (and at least [`MARGIN_MIN`]): never wider than `[from, until]`.
pub(super) fn trimmed(
    (from, until): (SimTime, SimTime),
    instants: &[SimTime],
    folds: &[(SimTime, SimTime)],
) -> (SimTime, SimTime) {
    let (Some(&first), Some(&last)) = (instants.first(), instants.last()) else {
        return (from, until);
    };
    let folded_ns: u64 = folds.iter().map(|&(a, b)| b.since(a).as_nanos()).sum();
    let linear = SimDuration::from_nanos(last.since(first).as_nanos().saturating_sub(folded_ns));
    let margin = linear.mul_f64(MARGIN_FRACTION).max(MARGIN_MIN);
    let begin = SimTime::ZERO + first.since(SimTime::ZERO + margin);
    (begin.max(from), (last + margin).min(until))
}

/// Every message of the trace, matched by `msg_id`: a send with each delivery, wait or drop
/// that follows it. A delivery or drop after a wait is the end of that wait (the paused
/// receiver read it, or crashed); otherwise it is a flight of its own (a duplicate is
/// delivered twice).
fn flights<'t>(trace: &'t [TraceRecord], highlight: &[u64]) -> Vec<Flight<'t>> {
    struct Sent<'t> {
        from: NodeId,
        to: NodeId,
        text: &'t str,
        at: SimTime,
    }
    let mut sends: BTreeMap<u64, Sent> = BTreeMap::new();
    // Flights (indices) waiting in a paused receiver's socket, oldest first, per msg_id.
    let mut waiting: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    let flight = |msg_id: u64, sent: &Sent<'t>, fate: Fate| Flight {
        msg_id,
        from: sent.from,
        to: sent.to,
        text: sent.text,
        sent_at: sent.at,
        fate,
        highlighted: highlight.contains(&msg_id),
        lost_again: None,
    };
    let mut flights: Vec<Flight> = Vec::new();
    for record in trace {
        let at = record.at;
        let (msg_id, fate) = match &record.event {
            TraceEvent::Send { from, to, msg_id, msg } => {
                sends.insert(*msg_id, Sent { from: *from, to: *to, text: msg, at });
                continue;
            }
            TraceEvent::Deliver { msg_id, .. } => {
                if let Some(index) = stop_waiting(&mut waiting, *msg_id) {
                    if let Fate::Waited { read_at, .. } = &mut flights[index].fate {
                        *read_at = Some(at);
                    }
                    continue;
                }
                (*msg_id, Fate::Delivered { at })
            }
            TraceEvent::Drop { msg_id, reason, .. } => {
                if let Some(index) = stop_waiting(&mut waiting, *msg_id) {
                    if let Fate::Waited { lost_at, .. } = &mut flights[index].fate {
                        *lost_at = Some(at);
                    }
                    continue;
                }
                (*msg_id, Fate::Lost { at, reason: *reason })
            }
            TraceEvent::Buffer { msg_id, .. } => {
                let fate = Fate::Waited { arrived_at: at, read_at: None, lost_at: None };
                if sends.contains_key(msg_id) {
                    waiting.entry(*msg_id).or_default().push(flights.len());
                }
                (*msg_id, fate)
            }
            TraceEvent::Start { .. }
            | TraceEvent::Timer { .. }
            | TraceEvent::FaultBegin { .. }
            | TraceEvent::FaultEnd { .. } => continue,
        };
        let Some(sent) = sends.get(&msg_id) else { continue };
        flights.push(flight(msg_id, sent, fate));
    }
    // A send nothing became of: on its way when the trace ended.
    let ended: BTreeSet<u64> = flights.iter().map(|flight| flight.msg_id).collect();
    for (&msg_id, sent) in &sends {
        if !ended.contains(&msg_id) {
            flights.push(flight(msg_id, sent, Fate::InFlight));
        }
    }
    // Flights were found in the order they ended; the diagram reads in send order. Stable,
    // so a duplicate's deliveries keep theirs.
    flights.sort_by_key(|flight| flight.sent_at);
    flights
}

fn stop_waiting(waiting: &mut BTreeMap<u64, Vec<usize>>, msg_id: u64) -> Option<usize> {
    let queue = waiting.get_mut(&msg_id)?;
    let oldest = (!queue.is_empty()).then(|| queue.remove(0));
    if queue.is_empty() {
        waiting.remove(&msg_id);
    }
    oldest
}

/// Every fault of the trace, its end matched to the latest open beginning of the same index.
fn fault_spans(trace: &[TraceRecord]) -> Vec<FaultSpan<'_>> {
    let mut spans: Vec<FaultSpan> = Vec::new();
    // Per fault index, the spans (indices) that began and have not ended yet.
    let mut open: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for record in trace {
        match &record.event {
            TraceEvent::FaultBegin { index, description } => {
                open.entry(*index).or_default().push(spans.len());
                spans.push(FaultSpan { description, begin_at: Some(record.at), end_at: None });
            }
            TraceEvent::FaultEnd { index, description } => {
                match open.get_mut(index).and_then(Vec::pop) {
                    Some(span) => spans[span].end_at = Some(record.at),
                    // Began before the trace did: on from the start.
                    None => spans.push(FaultSpan {
                        description,
                        begin_at: None,
                        end_at: Some(record.at),
                    }),
                }
            }
            _ => {}
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> SimTime {
        SimTime::from_millis(ms)
    }

    fn record(ms: u64, event: TraceEvent) -> TraceRecord {
        TraceRecord { at: at(ms), hash: 0, event, subject: None }
    }

    fn send(ms: u64, from: u32, to: u32, msg_id: u64) -> TraceRecord {
        let (from, to, msg) = (NodeId(from), NodeId(to), format!("m{msg_id}"));
        record(ms, TraceEvent::Send { from, to, msg_id, msg })
    }

    fn deliver(ms: u64, from: u32, to: u32, msg_id: u64) -> TraceRecord {
        let (from, to, msg) = (NodeId(from), NodeId(to), format!("m{msg_id}"));
        record(ms, TraceEvent::Deliver { from, to, msg_id, msg })
    }

    fn buffer(ms: u64, from: u32, to: u32, msg_id: u64) -> TraceRecord {
        let (from, to, msg) = (NodeId(from), NodeId(to), format!("m{msg_id}"));
        record(ms, TraceEvent::Buffer { from, to, msg_id, msg })
    }

    fn drop(ms: u64, from: u32, to: u32, msg_id: u64, reason: DropReason) -> TraceRecord {
        let (from, to, msg) = (NodeId(from), NodeId(to), format!("m{msg_id}"));
        record(ms, TraceEvent::Drop { from, to, msg_id, msg, reason })
    }

    fn fates(story: &Story) -> Vec<(u64, Fate)> {
        story.flights.iter().map(|flight| (flight.msg_id, flight.fate)).collect()
    }

    #[test]
    fn the_same_message_lost_again_and_again_is_one_line_with_a_count() {
        // A replica resends its update into a partition every 200 ms; the last one lands.
        let resend = |ms: u64, msg_id: u64| {
            let (from, to, msg) = (NodeId(0), NodeId(1), "replicate".to_owned());
            [
                record(ms, TraceEvent::Send { from, to, msg_id, msg: msg.clone() }),
                record(
                    ms + 1,
                    TraceEvent::Drop { from, to, msg_id, msg, reason: DropReason::Partition },
                ),
            ]
        };
        let mut trace: Vec<TraceRecord> =
            [0, 200, 400, 600].iter().zip(1..).flat_map(|(&ms, id)| resend(ms, id)).collect();
        trace.push(send(800, 0, 1, 9));
        trace.push(deliver(801, 0, 1, 9));
        // After a message that got through, the same loss is a new part of the story.
        trace.extend(resend(1000, 10));
        let story = story(&trace, at(0), at(1100), &[], None);
        let lost: Vec<_> =
            story.flights.iter().filter(|f| matches!(f.fate, Fate::Lost { .. })).collect();
        assert_eq!(lost.len(), 2, "{:?}", story.flights);
        assert_eq!(lost[0].lost_again, Some((3, at(600))));
        assert_eq!(lost[1].lost_again, None);
        assert_eq!(story.flights.len(), 3, "the delivered one is its own flight");
    }

    #[test]
    fn sends_are_matched_with_deliveries_waits_and_drops() {
        let trace = [
            send(1, 0, 1, 1),
            send(2, 0, 1, 2),
            send(2, 1, 2, 3),
            send(3, 2, 0, 4),
            deliver(4, 0, 1, 1),
            deliver(5, 0, 1, 1),
            buffer(5, 0, 1, 2),
            drop(6, 1, 2, 3, DropReason::Partition),
            buffer(7, 2, 0, 4),
            drop(9, 2, 0, 4, DropReason::NodeDown),
            deliver(10, 0, 1, 2),
            // No send in the trace: nothing to draw.
            deliver(11, 0, 1, 99),
        ];
        let story = story(&trace, at(0), at(20), &[3], None);
        assert_eq!(
            fates(&story),
            [
                (1, Fate::Delivered { at: at(4) }),
                (1, Fate::Delivered { at: at(5) }),
                (2, Fate::Waited { arrived_at: at(5), read_at: Some(at(10)), lost_at: None }),
                (3, Fate::Lost { at: at(6), reason: DropReason::Partition }),
                (4, Fate::Waited { arrived_at: at(7), read_at: None, lost_at: Some(at(9)) }),
            ]
        );
        let highlighted: Vec<u64> =
            story.flights.iter().filter(|f| f.highlighted).map(|f| f.msg_id).collect();
        assert_eq!(highlighted, [3]);
        assert_eq!(story.nodes, [NodeId(0), NodeId(1), NodeId(2)]);
    }

    #[test]
    fn a_message_is_in_the_window_if_any_part_of_its_way_is() {
        let trace = [
            send(1, 0, 1, 1), // before the window
            deliver(2, 0, 1, 1),
            send(4, 0, 1, 2), // into the window
            deliver(6, 0, 1, 2),
            send(8, 1, 2, 3), // out of it
            deliver(12, 1, 2, 3),
            send(9, 3, 0, 4), // still waiting when the trace ends
            buffer(9, 3, 0, 4),
            send(13, 0, 1, 5), // after it
            deliver(14, 0, 1, 5),
        ];
        let story = story(&trace, at(5), at(10), &[], None);
        let ids: Vec<u64> = story.flights.iter().map(|flight| flight.msg_id).collect();
        assert_eq!(ids, [2, 3, 4]);
        assert_eq!(story.nodes, [NodeId(0), NodeId(1), NodeId(2), NodeId(3)]);
        assert_eq!(story.flights[2].end_at(), SimTime::MAX);
    }

    #[test]
    fn faults_on_during_the_window_are_kept_with_their_span() {
        let fault = |ms, begin: bool, index: usize| {
            let description = format!("fault {index}");
            let event = if begin {
                TraceEvent::FaultBegin { index, description }
            } else {
                TraceEvent::FaultEnd { index, description }
            };
            record(ms, event)
        };
        let trace = [
            fault(1, false, 9), // began before the trace
            fault(2, true, 0),
            fault(3, false, 0),
            fault(4, true, 1),
            fault(12, false, 1),
            fault(13, true, 2), // after the window, never ends
        ];
        let story = story(&trace, at(5), at(10), &[], None);
        assert_eq!(
            story.faults,
            [FaultSpan { description: "fault 1", begin_at: Some(at(4)), end_at: Some(at(12)) }]
        );
        assert!(!story.is_empty());
        let early = super::story(&trace, at(0), at(1), &[], None);
        assert_eq!(early.faults[0].begin_at, None);
    }

    #[test]
    fn an_inverted_window_is_empty_and_a_crowded_one_keeps_the_highlighted() {
        // A message in flight across the whole inverted window is not in it either.
        let trace = [send(1, 0, 1, 1), deliver(20, 0, 1, 1)];
        assert!(story(&trace, at(10), at(5), &[], None).is_empty());
        assert!(story(&[], SimTime::ZERO, SimTime::MAX, &[], None).is_empty());

        let count = FLIGHTS_DRAWN_MAX as u64 + 10;
        let trace: Vec<TraceRecord> =
            (0..count).flat_map(|id| [send(id, 0, 1, id), deliver(id + 1, 0, 1, id)]).collect();
        let last = count - 1;
        let story = story(&trace, SimTime::ZERO, SimTime::MAX, &[last], None);
        assert_eq!(story.flights.len(), FLIGHTS_DRAWN_MAX);
        assert_eq!(story.flights_hidden, 10);
        assert_eq!(story.flights.last().map(|flight| flight.msg_id), Some(last));
        assert!(story.flights.windows(2).all(|pair| pair[0].sent_at <= pair[1].sent_at));
    }

    #[test]
    fn a_long_idle_stretch_is_folded_but_a_message_on_its_way_is_not() {
        // A read at 0–10 ms, a 1 s pause, a write at 1010–1020 ms.
        let instants = [at(0), at(5), at(10), at(1_010), at(1_015), at(1_020)];
        assert_eq!(idle_stretches(&instants, &[]), [(at(10), at(1_010))]);
        // The same gap crossed by a slow message bends no arrow: it stays to scale.
        assert!(idle_stretches(&instants, &[(at(10), at(1_010))]).is_empty());
        // A chain of messages, each sent as the last arrives, is never idle: never folded.
        let rhythm = [at(0), at(3), at(5), at(9), at(12)];
        let chain: Vec<(SimTime, SimTime)> = rhythm.windows(2).map(|w| (w[0], w[1])).collect();
        assert!(idle_stretches(&rhythm, &chain).is_empty());
        assert!(!idle_stretches(&rhythm, &[]).is_empty(), "idle, the longest gap is a quarter");
        // The window shrinks to what happens, with a margin in proportion to what is drawn
        // to scale (20 ms here): 1 ms either side.
        let folds = idle_stretches(&instants, &[]);
        assert_eq!(trimmed((at(0), at(5_000)), &instants, &folds), (at(0), at(1_021)));
    }

    #[test]
    fn a_message_nothing_became_of_is_in_flight_and_the_violations_node_has_a_column() {
        let trace = [send(1, 0, 1, 1), deliver(2, 0, 1, 1), send(3, 1, 0, 2)];
        let story = story(&trace, at(0), at(10), &[], Some(NodeId(4)));
        assert_eq!(fates(&story)[1], (2, Fate::InFlight));
        assert_eq!(story.flights[1].end_at(), SimTime::MAX);
        assert_eq!(story.nodes, [NodeId(0), NodeId(1), NodeId(4)]);
    }
}
