//! Full traces for other tools: JSON lines (`--trace`) for scripts and diffs, and Chrome
//! trace event JSON (`--perfetto`) that ui.perfetto.dev opens as a spacetime diagram.

use std::collections::BTreeMap;

use faultline_engine::{NodeId, SimTime, TraceEvent, TraceRecord};
use faultline_outcome::Violation;
use serde_json::Value;

use crate::json::{float, object};
use crate::table::hash_hex;

/// One JSON object per record and line: time, running hash, the event's kind, and its
/// fields with node ids replaced by `names` (`node<i>` for an id without a name), and the
/// record's `subject` when the model names one (so traces of models that name no stories
/// read as they always did).
pub fn trace_jsonl(trace: &[TraceRecord], names: &[String]) -> String {
    let mut jsonl = String::new();
    for record in trace {
        let mut entries = vec![
            ("at_ns", Value::from(record.at.as_nanos())),
            ("at_s", float(record.at.as_secs_f64())),
            ("hash", Value::from(hash_hex(record.hash))),
        ];
        let name = |node: &NodeId| Value::from(node_name(names, *node));
        match &record.event {
            TraceEvent::Start { node } => {
                entries.extend([("event", "start".into()), ("node", name(node))]);
            }
            TraceEvent::Send { from, to, msg_id, msg } => entries.extend([
                ("event", "send".into()),
                ("from", name(from)),
                ("to", name(to)),
                ("msg_id", (*msg_id).into()),
                ("msg", msg.as_str().into()),
            ]),
            TraceEvent::Deliver { from, to, msg_id, msg } => entries.extend([
                ("event", "deliver".into()),
                ("from", name(from)),
                ("to", name(to)),
                ("msg_id", (*msg_id).into()),
                ("msg", msg.as_str().into()),
            ]),
            TraceEvent::Buffer { from, to, msg_id, msg } => entries.extend([
                ("event", "buffer".into()),
                ("from", name(from)),
                ("to", name(to)),
                ("msg_id", (*msg_id).into()),
                ("msg", msg.as_str().into()),
            ]),
            TraceEvent::Drop { from, to, msg_id, msg, reason } => entries.extend([
                ("event", "drop".into()),
                ("from", name(from)),
                ("to", name(to)),
                ("msg_id", (*msg_id).into()),
                ("msg", msg.as_str().into()),
                ("reason", reason.as_str().into()),
            ]),
            TraceEvent::Timer { node, timer } => entries.extend([
                ("event", "timer".into()),
                ("node", name(node)),
                ("timer", timer.as_str().into()),
            ]),
            TraceEvent::FaultBegin { description, .. } => entries.extend([
                ("event", "fault-begin".into()),
                ("description", description.as_str().into()),
            ]),
            TraceEvent::FaultEnd { description, .. } => entries.extend([
                ("event", "fault-end".into()),
                ("description", description.as_str().into()),
            ]),
        }
        entries.extend(record.subject.map(|subject| ("subject", subject.into())));
        jsonl.push_str(&object(entries).to_string());
        jsonl.push('\n');
    }
    jsonl
}

/// Slices last this long unless the node's next event comes sooner: long enough to click
/// at a zoom that shows single messages, short enough not to hide their neighbours.
const SLICE_DURATION_NS_MAX: u64 = 1_000;

/// Flow ids of a message's second, third, … delivery (duplicates) are offset by this, so
/// each delivery gets its own arrow. msg_ids stay far below it, and the offsets stay below
/// 2^53, where JSON readers in JavaScript still read integers exactly.
const DUPLICATE_FLOW_ID_STRIDE: u64 = 1 << 48;
const DUPLICATE_FLOWS_MAX: u64 = 31;

/// Chrome trace event JSON for ui.perfetto.dev.
///
/// - A process per node (`pid` = index + 1), its one thread named after it too.
/// - A short slice per event on its node. Slices are named by what happened, with numbers
///   replaced by `#` (`T#: debit X $#`, `timer Deadline { id: # }`), so the viewer groups
///   the thousands of messages of one kind; the full text, the message id and the record's
///   `subject` (when the model names one) are in the slice's args.
/// - An arrow per delivered message from its send to its delivery, and a slice
///   `drop <reason>: <kind>` on the sender per lost message.
/// - Faults as spans from begin to end on a `faults` process, a thread per fault.
/// - Each of `violations` as an instant in category `violation` on its node (or over the
///   whole trace when the node is not one of `names`), named by its invariant, with its
///   sentence in the args.
///
/// Times are microseconds.
pub fn perfetto_json(trace: &[TraceRecord], names: &[String], violations: &[Violation]) -> String {
    let mut deliveries: BTreeMap<u64, u64> = BTreeMap::new();
    for record in trace {
        if let TraceEvent::Deliver { msg_id, .. } = record.event {
            *deliveries.entry(msg_id).or_default() += 1;
        }
    }
    let mut slices = Vec::new();
    let mut faults: BTreeMap<usize, FaultSpan> = BTreeMap::new();
    // Deliveries seen so far per message, to give each of its arrows its own id.
    let mut delivered: BTreeMap<u64, u64> = BTreeMap::new();
    for record in trace {
        let at = record.at;
        let mut slice = match &record.event {
            TraceEvent::Start { node } => Slice::new(*node, at, "start", "start"),
            TraceEvent::Timer { node, timer } => {
                let mut slice = Slice::new(*node, at, "timer", &format!("timer {}", kind(timer)));
                slice.args = vec![("timer", timer.as_str().into())];
                slice
            }
            TraceEvent::Send { from, to, msg_id, msg } => {
                let mut slice = Slice::new(*from, at, "msg", &kind(msg));
                slice.args = message_args(*msg_id, msg, ("to", node_name(names, *to)));
                let arrows = deliveries.get(msg_id).copied().unwrap_or(0).min(DUPLICATE_FLOWS_MAX);
                slice.flows_out = (0..arrows).map(|k| flow_id(*msg_id, k)).collect();
                slice
            }
            TraceEvent::Deliver { from, to, msg_id, msg } => {
                let mut slice = Slice::new(*to, at, "msg", &kind(msg));
                slice.args = message_args(*msg_id, msg, ("from", node_name(names, *from)));
                let seen = delivered.entry(*msg_id).or_default();
                if *seen < DUPLICATE_FLOWS_MAX {
                    slice.flow_in = Some(flow_id(*msg_id, *seen));
                }
                *seen += 1;
                slice
            }
            TraceEvent::Buffer { from, to, msg_id, msg } => {
                let mut slice = Slice::new(*to, at, "wait", &format!("waits: {}", kind(msg)));
                slice.args = message_args(*msg_id, msg, ("from", node_name(names, *from)));
                slice
            }
            TraceEvent::Drop { from, to, msg_id, msg, reason } => {
                let name = format!("drop {}: {}", reason.as_str(), kind(msg));
                let mut slice = Slice::new(*from, at, "drop", &name);
                slice.args = message_args(*msg_id, msg, ("to", node_name(names, *to)));
                slice
            }
            TraceEvent::FaultBegin { index, description } => {
                faults.insert(*index, FaultSpan { description, from: at, until: None });
                continue;
            }
            TraceEvent::FaultEnd { index, description } => {
                let span = faults.entry(*index).or_insert(FaultSpan {
                    description,
                    from: at,
                    until: None,
                });
                span.until = Some(at);
                continue;
            }
        };
        slice.args.extend(record.subject.map(|subject| ("subject", subject.into())));
        slices.push(slice);
    }
    set_durations(&mut slices);

    let mut events = process_names(trace, names);
    for slice in &slices {
        slice.push_events(&mut events);
    }
    let trace_end = trace.last().map_or(SimTime::ZERO, |record| record.at);
    fault_spans(&faults, trace_end, &mut events);
    events.extend(violations.iter().map(|violation| violation_instant(violation, names)));
    // One event per line: diffable, and a viewer need not parse one huge line.
    let lines: Vec<String> = events.iter().map(Value::to_string).collect();
    format!("{{\"traceEvents\":[\n{}\n],\"displayTimeUnit\":\"ms\"}}\n", lines.join(",\n"))
}

/// A short complete event (`ph: X`) on a node, with the flows that start or end in it.
struct Slice {
    node: NodeId,
    at: SimTime,
    duration_ns: u64,
    category: &'static str,
    name: String,
    args: Vec<(&'static str, Value)>,
    flows_out: Vec<u64>,
    flow_in: Option<u64>,
}

impl Slice {
    fn new(node: NodeId, at: SimTime, category: &'static str, name: &str) -> Slice {
        Slice {
            node,
            at,
            duration_ns: SLICE_DURATION_NS_MAX,
            category,
            name: name.to_owned(),
            args: Vec::new(),
            flows_out: Vec::new(),
            flow_in: None,
        }
    }

    fn push_events(&self, events: &mut Vec<Value>) {
        let pid = pid(self.node);
        let ts_us = micros(self.at.as_nanos());
        events.push(object([
            ("ph", "X".into()),
            ("name", self.name.as_str().into()),
            ("cat", self.category.into()),
            ("pid", pid.into()),
            ("tid", pid.into()),
            ("ts", ts_us.clone()),
            ("dur", micros(self.duration_ns)),
            ("args", object(self.args.iter().cloned())),
        ]));
        // Flow events bind to the slice enclosing their timestamp on the same thread, so
        // they share the slice's pid, tid and ts.
        let flow = |phase: &str, id: u64| {
            let mut entries = vec![
                ("ph", phase.into()),
                ("name", self.name.as_str().into()),
                ("cat", "msg".into()),
                ("id", id.into()),
                ("pid", pid.into()),
                ("tid", pid.into()),
                ("ts", ts_us.clone()),
            ];
            if phase == "f" {
                // Bind to the enclosing slice, not to the next one to begin.
                entries.push(("bp", "e".into()));
            }
            object(entries)
        };
        events.extend(self.flows_out.iter().map(|&id| flow("s", id)));
        events.extend(self.flow_in.map(|id| flow("f", id)));
    }
}

/// Shortens each slice so it ends before its node's next event at a later time: slices of
/// one node must nest or follow each other, never partly overlap. Slices at the same
/// instant keep the same length and nest.
fn set_durations(slices: &mut [Slice]) {
    let mut by_node: BTreeMap<NodeId, Vec<usize>> = BTreeMap::new();
    for (index, slice) in slices.iter().enumerate() {
        by_node.entry(slice.node).or_default().push(index);
    }
    for mut indices in by_node.into_values() {
        // Drops are recorded at arrival time on the sender's track, so sort by time.
        indices.sort_by_key(|&index| slices[index].at);
        // Walking backwards, `next_ns` is the first time after the current one.
        let mut next_ns: Option<u64> = None;
        for position in (0..indices.len()).rev() {
            let at_ns = slices[indices[position]].at.as_nanos();
            if let Some(&later) = indices.get(position + 1) {
                let later_ns = slices[later].at.as_nanos();
                if later_ns > at_ns {
                    next_ns = Some(later_ns);
                }
            }
            if let Some(next_ns) = next_ns {
                slices[indices[position]].duration_ns = SLICE_DURATION_NS_MAX.min(next_ns - at_ns);
            }
        }
    }
}

/// A message's slice's args: its id, its full text (the slice's name keeps only its kind),
/// and the node at the other end, as `("to", name)` or `("from", name)`.
fn message_args(
    msg_id: u64,
    msg: &str,
    (end, node): (&'static str, String),
) -> Vec<(&'static str, Value)> {
    vec![("msg_id", msg_id.into()), ("msg", msg.into()), (end, node.into())]
}

/// What happened, without the numbers that make every message's text unique: each run of
/// digits (with any decimal point inside it) becomes one `#`.
fn kind(text: &str) -> String {
    let mut kind = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            while chars.next_if(|&n| n.is_ascii_digit() || n == '.' || n == '_').is_some() {}
            if !kind.ends_with('#') {
                kind.push('#');
            }
        } else {
            kind.push(c);
        }
    }
    // "…at 1." ends a sentence, not a number.
    if text.ends_with('.') && !kind.ends_with('.') {
        kind.push('.');
    }
    kind
}

/// A fault from its begin to its end, if it ended within the trace.
struct FaultSpan<'a> {
    description: &'a str,
    from: SimTime,
    until: Option<SimTime>,
}

/// The process that holds the faults, apart from every node's (`index + 1`). Not 0: viewers
/// give process 0 a meaning of their own (the idle "swapper" in Perfetto's importer). The
/// largest 32-bit signed pid, which every reader accepts and no run has nodes enough to reach.
const FAULTS_PID: u64 = i32::MAX as u64;

/// A `faults` process with a thread per fault (they may overlap), each fault a span on it;
/// one still in force when the trace ends lasts to the end.
fn fault_spans(faults: &BTreeMap<usize, FaultSpan>, trace_end: SimTime, events: &mut Vec<Value>) {
    if faults.is_empty() {
        return;
    }
    events.push(metadata("process_name", FAULTS_PID, FAULTS_PID, "faults"));
    for (&index, span) in faults {
        let tid = index as u64 + 1;
        events.push(metadata("thread_name", FAULTS_PID, tid, span.description));
        let until = span.until.unwrap_or(trace_end).max(span.from);
        events.push(object([
            ("ph", "X".into()),
            ("name", span.description.into()),
            ("cat", "fault".into()),
            ("pid", FAULTS_PID.into()),
            ("tid", tid.into()),
            ("ts", micros(span.from.as_nanos())),
            ("dur", micros(until.as_nanos() - span.from.as_nanos())),
            ("args", object([("ended", span.until.is_some().into())])),
        ]));
    }
}

/// A violation as an instant on its node's track, or over the whole trace when its node is
/// not a node of the run (a checker's own name, say).
fn violation_instant(violation: &Violation, names: &[String]) -> Value {
    let node = names.iter().position(|name| *name == violation.node);
    let (scope, pid) = match node {
        Some(index) => ("t", pid(NodeId(index as u32))),
        None => ("g", FAULTS_PID),
    };
    object([
        ("ph", "i".into()),
        ("s", scope.into()),
        ("name", violation.invariant.as_str().into()),
        ("cat", "violation".into()),
        ("pid", pid.into()),
        ("tid", pid.into()),
        ("ts", micros(violation.at.as_nanos())),
        (
            "args",
            object([
                ("detail", violation.detail.as_str().into()),
                ("node", violation.node.as_str().into()),
            ]),
        ),
    ])
}

fn metadata(what: &str, pid: u64, tid: u64, name: &str) -> Value {
    object([
        ("ph", "M".into()),
        ("name", what.into()),
        ("pid", pid.into()),
        ("tid", tid.into()),
        ("args", object([("name", name.into())])),
    ])
}

/// Metadata naming each node's process and its one thread, for every named node and any
/// node the trace mentions beyond the names.
fn process_names(trace: &[TraceRecord], names: &[String]) -> Vec<Value> {
    let mut nodes: Vec<NodeId> = (0..names.len()).map(|i| NodeId(i as u32)).collect();
    for record in trace {
        let (a, b) = match &record.event {
            TraceEvent::Start { node } | TraceEvent::Timer { node, .. } => (Some(*node), None),
            TraceEvent::Send { from, to, .. }
            | TraceEvent::Deliver { from, to, .. }
            | TraceEvent::Buffer { from, to, .. }
            | TraceEvent::Drop { from, to, .. } => (Some(*from), Some(*to)),
            TraceEvent::FaultBegin { .. } | TraceEvent::FaultEnd { .. } => (None, None),
        };
        nodes.extend(a.into_iter().chain(b).filter(|node| node.index() >= names.len()));
    }
    nodes.sort_unstable();
    nodes.dedup();
    nodes
        .into_iter()
        .flat_map(|node| {
            let (pid, name) = (pid(node), node_name(names, node));
            ["process_name", "thread_name"].map(|what| metadata(what, pid, pid, &name))
        })
        .collect()
}

fn flow_id(msg_id: u64, delivery: u64) -> u64 {
    msg_id + delivery * DUPLICATE_FLOW_ID_STRIDE
}

/// Nodes' processes start at 1: viewers treat process 0 as special.
fn pid(node: NodeId) -> u64 {
    u64::from(node.0) + 1
}

fn micros(ns: u64) -> Value {
    float(ns as f64 / 1_000.0)
}

pub(crate) fn node_name(names: &[String], node: NodeId) -> String {
    names.get(node.index()).cloned().unwrap_or_else(|| format!("node{}", node.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slice_at(node: u32, at_ns: u64) -> Slice {
        Slice::new(NodeId(node), SimTime::from_nanos(at_ns), "msg", "m")
    }

    #[test]
    fn slices_of_a_node_never_partly_overlap() {
        let mut slices = vec![slice_at(0, 0), slice_at(0, 0), slice_at(0, 300), slice_at(1, 100)];
        set_durations(&mut slices);
        let durations: Vec<u64> = slices.iter().map(|slice| slice.duration_ns).collect();
        assert_eq!(durations, vec![300, 300, SLICE_DURATION_NS_MAX, SLICE_DURATION_NS_MAX]);
    }

    #[test]
    fn a_subject_is_written_only_when_the_model_names_one() {
        let trace = |subject| {
            let (a, b) = (NodeId(0), NodeId(1));
            let at = SimTime::from_millis(1);
            let send = TraceEvent::Send { from: a, to: b, msg_id: 3, msg: "Pay".into() };
            let timer = TraceEvent::Timer { node: a, timer: "Retry".into() };
            [send, timer].map(|event| TraceRecord { at, hash: 0, event, subject })
        };
        let names = ["a".to_owned(), "b".to_owned()];
        let named = trace(Some(7));
        let jsonl = trace_jsonl(&named, &names);
        assert_eq!(jsonl.matches("\"subject\":7").count(), 2, "{jsonl}");
        let perfetto = perfetto_json(&named, &names, &[]);
        assert_eq!(perfetto.matches("\"subject\":7").count(), 2, "{perfetto}");

        let plain = trace(None);
        assert!(!trace_jsonl(&plain, &names).contains("subject"));
        assert!(!perfetto_json(&plain, &names, &[]).contains("subject"));
    }

    #[test]
    fn unnamed_nodes_get_an_index_name() {
        assert_eq!(node_name(&["a".to_owned()], NodeId(0)), "a");
        assert_eq!(node_name(&[], NodeId(3)), "node3");
    }
}
