//! What `faultline explore` prints: per variant the distinct schedules and how many break
//! each invariant, the shortest violating schedule step by step, and the JSON contract
//! (`{"scenario", "variants": [{"name", "schedules", "complete", "runs_violating",
//! "shortest"}]}`).

use faultline_engine::{DropReason, TraceEvent, TraceRecord};
use faultline_outcome::{Exploration, Outcome};
use serde_json::Value;

use crate::failure::FirstFailure;
use crate::json::object;
use crate::terminal::{Column, aligned};

/// An exploration of every variant of one scenario, ready to print.
#[derive(Clone, Copy, Debug)]
pub struct ExploreReport<'a> {
    pub scenario: &'a str,
    /// The reduction the search used, in words.
    pub reduction: &'a str,
    pub explorations: &'a [Exploration],
    /// The nodes of a run, by id.
    pub names: &'a [String],
    /// Per exploration, where the diagram of its shortest violating schedule was written.
    pub diagrams: &'a [Option<String>],
    /// What the reader should know about the time model, one line each.
    pub notes: &'a [String],
}

/// The table, then each variant's shortest violating schedule, then which variants no
/// searched order broke, and how far the search went.
pub fn explore_text(report: &ExploreReport) -> String {
    let explorations = report.explorations;
    let mut columns = vec![
        Column::names("variant", explorations.iter().map(|e| e.variant.clone()).collect()),
        Column::numbers(
            "schedules",
            explorations.iter().map(|e| e.schedules.to_string()).collect(),
        ),
        Column::names("search", explorations.iter().map(|e| search(e).to_owned()).collect()),
    ];
    let invariants = explorations.first().map_or(&[][..], |e| &e.violating[..]);
    for (index, (invariant, _)) in invariants.iter().enumerate() {
        let cells = explorations.iter().map(|e| share(e.violating[index].1, e.schedules)).collect();
        columns.push(Column::numbers(invariant, cells));
    }
    // The reduction's name, then why it is sound, on a line of its own.
    let reduction = match report.reduction.split_once(": ") {
        Some((name, why)) => format!("{name}\n{}", wrapped(&format!("({why})"), "  ")),
        None => report.reduction.to_owned(),
    };
    let notes: String = report.notes.iter().map(|n| format!("{}\n", wrapped(n, ""))).collect();
    let mut text = format!(
        "{}: every order of events, latencies ignored\nreduction: {reduction}\n{notes}\n{}",
        report.scenario,
        aligned(&columns)
    );
    for (exploration, diagram) in explorations.iter().zip(report.diagrams) {
        let Some(shortest) = &exploration.shortest else { continue };
        let Some(first) = first_violation(&shortest.outcome) else { continue };
        let breaking = exploration.violating.iter().find(|(name, _)| *name == first.0);
        text.push_str(&format!(
            "\n{}: the shortest of the {} schedules that break {} takes {} steps:\n",
            exploration.variant,
            breaking.map_or(0, |(_, n)| *n),
            first.0,
            shortest.steps
        ));
        let trace = shortest.outcome.trace.as_deref().unwrap_or(&[]);
        for line in schedule_steps(trace, report.names, Some(&shortest.outcome)) {
            text.push_str(&format!("  {line}\n"));
        }
        text.push_str(&format!("  {}: {}\n", first.0, first.1));
        if let Some(path) = diagram {
            text.push_str(&format!("  diagram: {path}\n"));
        }
    }
    text.push('\n');
    text.push_str(&verdict(explorations));
    text
}

/// `text` in lines of at most [`PROSE_LINE_CHARS`], each after `indent`.
fn wrapped(text: &str, indent: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split(' ') {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= PROSE_LINE_CHARS => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(format!("{indent}{word}")),
        }
    }
    lines.join("\n")
}

/// Prose in the output wraps here: a terminal, or a README code block.
const PROSE_LINE_CHARS: usize = 92;

/// One line per kind of variant: broken in none of its orders (the search complete, with
/// latencies ignored), broken in some, or not known (the search stopped, which proves
/// nothing of the orders it did not run).
fn verdict(explorations: &[Exploration]) -> String {
    let names = |keep: &dyn Fn(&Exploration) -> bool| {
        let kept: Vec<&str> =
            explorations.iter().filter(|e| keep(e)).map(|e| e.variant.as_str()).collect();
        kept.join(", ")
    };
    let broken = |e: &Exploration| e.violating.iter().any(|(_, n)| *n > 0);
    let mut lines = String::new();
    let safe = names(&|e| e.complete && !broken(e));
    if !safe.is_empty() {
        let line = format!(
            "no order of events breaks a checked invariant (every order run, latencies ignored, \
             timing not explored): {safe}"
        );
        lines.push_str(&format!("{}\n", wrapped(&line, "")));
    }
    let stopped: Vec<String> = explorations
        .iter()
        .filter(|e| !e.complete && !broken(e))
        .map(|e| format!("{} ({} schedules)", e.variant, e.schedules))
        .collect();
    if !stopped.is_empty() {
        let line = format!(
            "nothing broke in the schedules run before the search stopped, which proves \
             nothing of the rest (raise --max-schedules to finish it): {}",
            stopped.join(", ")
        );
        lines.push_str(&format!("{}\n", wrapped(&line, "")));
    }
    let unsafe_ = names(&broken);
    if !unsafe_.is_empty() {
        lines.push_str(&format!("broken in some interleaving: {unsafe_}\n"));
    }
    lines
}

fn search(exploration: &Exploration) -> &'static str {
    if exploration.complete { "complete" } else { "stopped" }
}

/// `n` of `of` schedules, with its share: "160 (67%)", or "0".
fn share(n: u64, of: u64) -> String {
    if n == 0 || of == 0 {
        return n.to_string();
    }
    format!("{n} ({:.0}%)", 100.0 * n as f64 / of as f64)
}

/// The earliest violation of a run: its invariant and sentence.
fn first_violation(outcome: &Outcome) -> Option<(&str, &str)> {
    let first = outcome.violations.iter().min_by_key(|v| v.at)?;
    Some((&first.invariant, &first.detail))
}

/// A schedule as numbered steps, one per event handled (the nodes' starts left out): who
/// handled what. Messages lost as they were sent belong to their sender's step. The step
/// where `outcome`'s first violation happened (at its node, at its time) is marked.
pub fn schedule_steps(
    trace: &[TraceRecord],
    names: &[String],
    outcome: Option<&Outcome>,
) -> Vec<String> {
    let name = |id: faultline_engine::NodeId| names.get(id.index()).map_or("?", String::as_str);
    let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    let first = outcome.and_then(|o| o.violations.iter().min_by_key(|v| v.at));
    let mut marked = false;
    let mut lines = Vec::new();
    let mut step = 0;
    let mut numbered = |lines: &mut Vec<String>, record: &TraceRecord, who: &str, what: String| {
        step += 1;
        let breaks = first.filter(|v| !marked && v.node == who && v.at == record.at);
        marked |= breaks.is_some();
        let mark = breaks.map(|v| format!("   <- breaks {}", v.invariant)).unwrap_or_default();
        lines.push(format!("{step:>3}  {who:<width$}  {what}{mark}"));
    };
    // The message the record before sent: a loss right after it, to the network (not to a
    // node that is down, which only a delivery meets), is a loss on the way out, part of the
    // sender's step.
    let mut just_sent = None;
    for record in trace {
        let sending = match &record.event {
            TraceEvent::Send { msg_id, .. } => Some(*msg_id),
            _ => None,
        };
        let previous = std::mem::replace(&mut just_sent, sending);
        match &record.event {
            TraceEvent::Start { .. } | TraceEvent::Buffer { .. } | TraceEvent::Send { .. } => {}
            TraceEvent::Deliver { from, to, msg, .. } => {
                numbered(&mut lines, record, name(*to), format!("← {}: {msg}", name(*from)));
            }
            TraceEvent::Drop { from, to, msg_id, msg, reason } => {
                let what = format!("{msg} (lost: {})", reason.as_str());
                if previous == Some(*msg_id) && *reason != DropReason::NodeDown {
                    lines.push(format!("     {:<width$}  → {}: {what}", "", name(*to)));
                } else {
                    numbered(&mut lines, record, name(*to), format!("✗ {}: {what}", name(*from)));
                }
            }
            TraceEvent::Timer { node, timer } => {
                numbered(&mut lines, record, name(*node), timer.clone());
            }
            TraceEvent::FaultBegin { description, .. } => {
                numbered(&mut lines, record, "", format!("fault begins: {description}"));
            }
            TraceEvent::FaultEnd { description, .. } => {
                numbered(&mut lines, record, "", format!("fault ends: {description}"));
            }
        }
    }
    lines
}

/// The diagram of an exploration's shortest violating schedule, if it found one.
pub fn shortest_failure(exploration: &Exploration, names: &[String]) -> Option<FirstFailure> {
    let shortest = exploration.shortest.as_ref()?;
    FirstFailure::titled(&shortest.outcome, names, |violation| {
        format!(
            "{}: the shortest schedule that breaks `{}` ({} steps, latencies ignored)",
            exploration.variant, violation.invariant, shortest.steps
        )
    })
}

/// The object `faultline explore --json` prints.
pub fn explore_json(report: &ExploreReport) -> Value {
    let variants = report
        .explorations
        .iter()
        .zip(report.diagrams)
        .map(|(exploration, diagram)| {
            let violating = exploration
                .violating
                .iter()
                .map(|(name, n)| (name.clone(), Value::from(*n)))
                .collect::<serde_json::Map<_, _>>();
            let shortest = exploration.shortest.as_ref();
            let first = shortest.and_then(|s| first_violation(&s.outcome));
            let shortest = match (shortest, first) {
                (Some(shortest), Some((invariant, detail))) => {
                    let trace = shortest.outcome.trace.as_deref().unwrap_or(&[]);
                    let steps = schedule_steps(trace, report.names, Some(&shortest.outcome));
                    object([
                        ("steps", Value::from(shortest.steps)),
                        ("invariant", Value::from(invariant)),
                        ("violation", Value::from(detail)),
                        ("trace", Value::from(steps.iter().map(|s| s.trim()).collect::<Vec<_>>())),
                        ("diagram", diagram.as_deref().map_or(Value::Null, Value::from)),
                    ])
                }
                _ => Value::Null,
            };
            object([
                ("name", Value::from(exploration.variant.as_str())),
                ("schedules", Value::from(exploration.schedules)),
                ("redundant", Value::from(exploration.redundant)),
                ("complete", Value::from(exploration.complete)),
                ("runs_violating", Value::Object(violating)),
                ("shortest", shortest),
            ])
        })
        .collect();
    object([
        ("scenario", Value::from(report.scenario)),
        ("notes", Value::from(report.notes.to_vec())),
        ("reduction", Value::from(report.reduction)),
        ("variants", Value::Array(variants)),
    ])
}
