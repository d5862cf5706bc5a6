//! Raw scenario → checked [`Scenario`]: resolve names, check ranges and windows, hand the
//! model its part, and say exactly where and what is wrong, with the closest valid name for
//! a misspelling.

use std::collections::BTreeSet;
use std::sync::Arc;

use faultline_engine::{
    Fault, FaultGen, FaultKind, NetworkConfig, RandomFaults, SimDuration, SimTime,
};
use faultline_models::{Check, Problem, Step, suggestion};

use crate::error::ScenarioError;
use crate::locate::{Body, body, locate};
use crate::raw::{Dur, RawFault, RawScenario};
use crate::registry::{Input, Models};
use crate::scenario::{Scenario, Variant};

/// Events allowed per run when the scenario does not say.
pub const DEFAULT_MAX_EVENTS: u64 = 50_000_000;
/// More faults than this from one generator is a typo, not a scenario.
const MAX_RANDOM_COUNT: u32 = 10_000;

fn at(d: Dur) -> SimTime {
    SimTime::ZERO + d.0
}

/// Turns problems found by path into errors with positions.
fn positioned(problems: Vec<Problem>, file: &str, source: &str) -> Vec<ScenarioError> {
    problems
        .into_iter()
        .map(|p| {
            let (line, col) = locate(source, &p.path);
            ScenarioError { file: file.to_string(), line, col, message: p.message, help: p.help }
        })
        .collect()
}

/// Checks a parsed scenario; every problem is reported, not just the first.
pub(crate) fn validate(
    raw: RawScenario,
    file: &str,
    source: &str,
    models: &Models,
) -> Result<Scenario, Vec<ScenarioError>> {
    use Step::{Field, Index};
    let mut c = Check::new();
    let end = raw.duration.0;

    if raw.name.is_empty()
        || !raw.name.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
    {
        c.error(
            &[Field("name")],
            format!("scenario name {:?} must be letters, digits, `-` or `_`", raw.name),
            Some("it names the report folder, reports/<name>/".into()),
        );
    }
    if end == SimDuration::ZERO {
        c.error(&[Field("duration")], "duration must be longer than zero".into(), None);
    }

    // The network.
    let net = &raw.network;
    c.probability(&[Field("network"), Field("loss")], "loss", net.loss);
    c.probability(&[Field("network"), Field("duplicate")], "duplicate", net.duplicate);
    let latency = c.latency(&[Field("network"), Field("latency")], &net.latency);
    let network =
        NetworkConfig { latency, loss_probability: net.loss, duplicate_probability: net.duplicate };

    // The model, first: it decides which nodes and invariants exist.
    let names = models.names();
    let config = body(source, &[Field("model")]).unwrap_or(Body {
        name: None,
        text: "()".into(),
        pos: locate(source, &[Field("model")]),
    });
    let entry = match config.name.as_deref() {
        Some(name) => models.get(name).or_else(|| {
            let message = format!("there is no model `{name}`");
            c.error(&[Field("model")], message, Some(suggestion(name, &names)));
            None
        }),
        None => {
            let example = names.first().copied().unwrap_or("Name");
            let message = format!("the model is written `Name(...)`, e.g. `{example}(...)`");
            c.error(&[Field("model")], message, Some(suggestion("", &names)));
            None
        }
    };
    let mut policies = Vec::new();
    for i in 0..raw.variants.len() {
        let path = [Field("variants"), Index(i), Field("policy")];
        let policy = body(source, &path);
        let named = policy.as_ref().and_then(|p| p.name.as_deref());
        match (entry, named) {
            (Some(entry), Some(name)) if name == entry.name() => {}
            (Some(entry), found) => {
                let message = match found {
                    Some(other) => {
                        format!("a {other} policy cannot drive the {} model", entry.name())
                    }
                    None => format!("a policy is written `{}(...)`", entry.name()),
                };
                c.error(&path, message, Some(format!("write `policy: {}(...)`", entry.name())));
            }
            (None, _) => {}
        }
        policies
            .push(policy.filter(|p| entry.is_some_and(|e| p.name.as_deref() == Some(e.name()))));
    }
    let mut input =
        Input { file, config, policies, duration: end, errors: Vec::new(), check: Check::new() };
    let model = entry.and_then(|entry| entry.load(&mut input));
    let mut errors = input.errors;
    let model_problems = input.check.into_problems();
    let Some(model) = model else {
        // Without a model there are no nodes to resolve faults against: report what was
        // found so far rather than every node name as unknown.
        errors.extend(positioned(c.into_problems(), file, source));
        return Err(errors);
    };
    let node_names = model.node_names();
    let nodes: Vec<&str> = node_names.iter().map(String::as_str).collect();
    let nodes = nodes.as_slice();

    // Faults.
    let mut fixed_faults = Vec::new();
    let mut random_faults = Vec::new();
    for (i, fault) in raw.faults.iter().enumerate() {
        let path = [Field("faults"), Index(i)];
        let p = |name| [&path[..], &[Field(name)]].concat();
        let fixed = |kind, from: Dur, until: Option<Dur>| Fault {
            kind,
            from: at(from),
            until: until.map(at),
        };
        match fault {
            RawFault::Partition { between, from, until } => {
                c.window(&path, *from, *until, end);
                let (side_a, side_b) = c.groups(&p("between"), between, nodes);
                let kind = FaultKind::Partition { side_a, side_b, one_way: false };
                fixed_faults.push(fixed(kind, *from, *until));
            }
            RawFault::OneWayPartition { senders, receivers, from, until } => {
                c.window(&path, *from, *until, end);
                let side_a = c.group(&p("senders"), senders, nodes);
                let side_b = c.group(&p("receivers"), receivers, nodes);
                let kind = FaultKind::Partition { side_a, side_b, one_way: true };
                fixed_faults.push(fixed(kind, *from, *until));
            }
            RawFault::LatencySpike { between, extra, from, until } => {
                c.window(&path, *from, *until, end);
                let (side_a, side_b) = c.groups(&p("between"), between, nodes);
                let kind = FaultKind::LatencySpike { side_a, side_b, extra: extra.0 };
                fixed_faults.push(fixed(kind, *from, *until));
            }
            RawFault::Loss { between, probability, from, until } => {
                c.window(&path, *from, *until, end);
                c.probability(&p("probability"), "probability", *probability);
                let (side_a, side_b) = c.groups(&p("between"), between, nodes);
                let kind = FaultKind::Loss { side_a, side_b, probability: *probability };
                fixed_faults.push(fixed(kind, *from, *until));
            }
            RawFault::Crash { node, at: from, restart } => {
                if from.0 >= end {
                    let message = format!("this crash is at {} but the run ends at {end}", from.0);
                    c.error(&p("at"), message, None);
                }
                if let Some(restart) = restart.filter(|r| r.0 <= from.0) {
                    let message =
                        format!("`restart` ({}) must be after `at` ({})", restart.0, from.0);
                    c.error(&p("restart"), message, None);
                }
                if let Some(node) = c.node(&p("node"), node, nodes) {
                    fixed_faults.push(fixed(FaultKind::Crash { node }, *from, *restart));
                }
            }
            RawFault::Pause { node, from, until } => {
                c.window(&path, *from, Some(*until), end);
                if let Some(node) = c.node(&p("node"), node, nodes) {
                    fixed_faults.push(fixed(FaultKind::Pause { node }, *from, Some(*until)));
                }
            }
            RawFault::RandomPartitions { nodes: names, count, duration, within }
            | RawFault::RandomCrashes { nodes: names, count, downtime: duration, within }
            | RawFault::RandomPauses { nodes: names, count, duration, within }
            | RawFault::RandomLatencySpikes { nodes: names, count, duration, within, .. } => {
                let members = c.group(&p("nodes"), names, nodes);
                if *count > MAX_RANDOM_COUNT {
                    c.error(
                        &p("count"),
                        format!("count must be at most {MAX_RANDOM_COUNT}, not {count}"),
                        None,
                    );
                }
                let duration_field = if matches!(fault, RawFault::RandomCrashes { .. }) {
                    "downtime"
                } else {
                    "duration"
                };
                c.range(&p(duration_field), "the duration", *duration);
                c.range(&p("within"), "the `within`", *within);
                if within.0.0 >= end {
                    c.error(
                        &p("within"),
                        format!(
                            "faults would start at {} or later, but the run ends at {end}",
                            within.0.0
                        ),
                        None,
                    );
                }
                let two_sides = matches!(
                    fault,
                    RawFault::RandomPartitions { .. } | RawFault::RandomLatencySpikes { .. }
                );
                if two_sides && names.len() < 2 {
                    c.error(
                        &p("nodes"),
                        "a partition or spike needs at least two nodes to split".into(),
                        None,
                    );
                }
                let duration = (duration.0.0, duration.1.0);
                let generator = match fault {
                    RawFault::RandomPartitions { .. } => {
                        FaultGen::Partitions { nodes: members, count: *count, duration }
                    }
                    RawFault::RandomCrashes { .. } => {
                        FaultGen::Crashes { nodes: members, count: *count, downtime: duration }
                    }
                    RawFault::RandomPauses { .. } => {
                        FaultGen::Pauses { nodes: members, count: *count, duration }
                    }
                    RawFault::RandomLatencySpikes { extra, .. } => {
                        c.range(&p("extra"), "the extra latency", *extra);
                        FaultGen::LatencySpikes {
                            nodes: members,
                            count: *count,
                            extra: (extra.0.0, extra.1.0),
                            duration,
                        }
                    }
                    _ => unreachable!("matched above"),
                };
                random_faults
                    .push(RandomFaults { generator, start_window: (at(within.0), at(within.1)) });
            }
        }
    }

    // Invariants.
    if let Some(entry) = entry {
        let known: Vec<&str> = entry.invariants().iter().map(|i| i.id).collect();
        let mut seen = BTreeSet::new();
        for (i, name) in raw.invariants.iter().enumerate() {
            let path = [Field("invariants"), Index(i)];
            if !known.contains(&name.as_str()) {
                let message = if known.is_empty() {
                    format!("the {} model checks no invariants", entry.name())
                } else {
                    format!("the {} model has no invariant `{name}`", entry.name())
                };
                let help = (!known.is_empty()).then(|| suggestion(name, &known));
                c.error(&path, message, help);
            } else if !seen.insert(name.as_str()) {
                c.error(&path, format!("invariant `{name}` is listed twice"), None);
            }
        }
    }

    // Variants.
    if raw.variants.is_empty() {
        c.error(&[Field("variants")], "a scenario needs at least one variant".into(), None);
    }
    let mut variants = Vec::new();
    let mut variant_names = BTreeSet::new();
    for (i, variant) in raw.variants.iter().enumerate() {
        let path = [Field("variants"), Index(i), Field("name")];
        if variant.name.is_empty() {
            c.error(&path, "a variant needs a name".into(), None);
        } else if !variant_names.insert(variant.name.as_str()) {
            c.error(&path, format!("two variants are named `{}`", variant.name), None);
        }
        variants.push(Variant { name: variant.name.clone(), index: i });
    }

    let max_events = raw.max_events.unwrap_or(DEFAULT_MAX_EVENTS);
    if max_events == 0 {
        c.error(&[Field("max_events")], "max_events must be at least 1".into(), None);
    }

    if raw.report_sweep.is_some_and(|n| n == 0 || n > 100_000) {
        let message = "report_sweep takes 1 to 100000 seeds".to_string();
        c.error(&[Field("report_sweep")], message, None);
    }
    let mut problems = model_problems;
    problems.extend(c.into_problems());
    errors.extend(positioned(problems, file, source));
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Scenario {
        name: raw.name,
        about: raw.about.trim().to_string(),
        seed: raw.seed,
        duration: end,
        network,
        fixed_faults,
        random_faults,
        model: Arc::from(model),
        invariants: raw.invariants,
        variants,
        max_events,
        report_sweep: raw.report_sweep,
    })
}
