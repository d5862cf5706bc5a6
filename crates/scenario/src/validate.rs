//! Raw scenario → checked [`Scenario`]: resolve names, check ranges and windows, hand the
//! model its part, and say exactly where and what is wrong, with the closest valid name for
//! a misspelling.

use std::collections::BTreeSet;
use std::sync::Arc;

use faultline_engine::{
    Fault, FaultGen, FaultKind, NetworkConfig, RandomFaults, SimDuration, SimTime, SwarmBounds,
};
use faultline_models::{Check, FaultSpec, Problem, Step, suggestion};

use crate::error::ScenarioError;
use crate::locate::{Body, Positions};
use crate::raw::{
    Dur, RawFault, RawModelFault, RawNetwork, RawScalar, RawScenario, RawSwarm, parse_duration,
};
use crate::registry::{Input, Models};
use crate::scenario::{Scenario, Variant};

/// Events allowed per run when the scenario does not say.
pub const DEFAULT_MAX_EVENTS: u64 = 50_000_000;
/// More faults than this from one generator is a typo, not a scenario.
const MAX_RANDOM_COUNT: u32 = 10_000;

/// The longest variant name: it goes into file names (`run.<variant>.jsonl`) and tables.
const VARIANT_NAME_MAX_CHARS: usize = 64;
/// What a variant name may be, in the words an error uses.
const VARIANT_NAME_RULE: &str =
    "a variant name is 1 to 64 ASCII letters, digits, `-` or `_`, starting with a letter or digit";

/// Why `name` cannot name a variant, if it cannot. A name becomes part of file names, links,
/// page ids and the name of a shrunk scenario (`<scenario>-shrunk-<variant>-seed<S>`, which
/// must be a scenario name): with only these characters it needs no escaping anywhere and
/// can never be a path (`a/../x`), a flag (`-x`) or a file's extension (`x.jsonl`).
fn variant_name_problem(name: &str) -> Option<String> {
    let allowed = |ch: char| ch.is_ascii_alphanumeric() || "-_".contains(ch);
    let shown = format!("{name:?}");
    if name.chars().count() > VARIANT_NAME_MAX_CHARS {
        Some(format!("variant name {shown} is longer than {VARIANT_NAME_MAX_CHARS} characters"))
    } else if let Some(bad) = name.chars().find(|&ch| !allowed(ch)) {
        Some(format!("variant name {shown} has {bad:?} in it"))
    } else if !name.starts_with(|ch: char| ch.is_ascii_alphanumeric()) {
        Some(format!("variant name {shown} must start with a letter or digit"))
    } else {
        None
    }
}

/// The engine's faults, as scenario files name them (every variant of `RawFault`): every
/// model can be given them.
pub const ENGINE_FAULTS: [&str; 11] = [
    "Partition",
    "OneWayPartition",
    "LatencySpike",
    "Loss",
    "Crash",
    "Pause",
    "RandomPartitions",
    "RandomCrashes",
    "RandomPauses",
    "RandomLatencySpikes",
    "RandomModelFaults",
];

/// How likely a swarm seed turns each random fault generator on, when the file does not say.
const SWARM_ENABLE_DEFAULT: f64 = 0.5;
/// The latency factor a swarm seed draws from, when the file does not say: the scenario's
/// network is the slowest, and a seed may run on one up to twice as fast.
const SWARM_LATENCY_DEFAULT: (f64, f64) = (0.5, 1.0);
/// A larger latency factor is a typo, not a scenario: a 1ms link would take a second.
const SWARM_LATENCY_MAX: f64 = 1000.0;

/// The bounds a swarm seed draws within: the file's `swarm` section, and for what it leaves
/// out the scenario's own network as the upper bound (loss and duplication from zero up to
/// the network's).
fn swarm_bounds(c: &mut Check, raw: Option<&RawSwarm>, network: &RawNetwork) -> SwarmBounds {
    use Step::Field;
    let unwritten = RawSwarm::default();
    let raw = raw.unwrap_or(&unwritten);
    let path = |field| [Field("swarm"), Field(field)];
    let enable = raw.enable.unwrap_or(SWARM_ENABLE_DEFAULT);
    c.probability(&path("enable"), "the swarm's enable", enable);
    // Only what the file writes is checked: a default comes from a network checked above.
    let mut range = |field: &'static str,
                     written: Option<(f64, f64)>,
                     default: (f64, f64),
                     what: &str,
                     fits: fn(f64) -> bool| {
        let Some((lo, hi)) = written else { return default };
        if lo > hi {
            let message = format!("the swarm's {field} range ({lo:?}, {hi:?}) is backwards");
            c.error(&path(field), message, Some(format!("write it ({hi:?}, {lo:?})")));
        }
        for end in [lo, hi] {
            if !fits(end) {
                let message = format!("the swarm's {field} must be {what}, not {end}");
                c.error(&path(field), message, None);
            }
        }
        (lo, hi)
    };
    let probability = "a probability between 0 and 1";
    let is_probability = |p: f64| (0.0..=1.0).contains(&p);
    let factor = format!("a factor above 0 and at most {SWARM_LATENCY_MAX}");
    let is_factor = |x: f64| x > 0.0 && x <= SWARM_LATENCY_MAX;
    SwarmBounds {
        enable_probability: enable,
        loss_probability: range("loss", raw.loss, (0.0, network.loss), probability, is_probability),
        duplicate_probability: range(
            "duplicate",
            raw.duplicate,
            (0.0, network.duplicate),
            probability,
            is_probability,
        ),
        latency_factor: range("latency", raw.latency, SWARM_LATENCY_DEFAULT, &factor, is_factor),
    }
}

/// Checks a model fault's parameter against the model's declaration.
fn parameter(c: &mut Check, path: &[Step], spec: &FaultSpec, value: f64) {
    let (lo, hi) = spec.range;
    if !(value.is_finite() && (lo..=hi).contains(&value)) {
        let message =
            format!("`{}` of a {} must be {lo} to {hi}, not {value}", spec.param, spec.kind);
        c.error(path, message, None);
    }
}

/// Checks that a model fault names only nodes that take it.
fn fault_nodes(c: &mut Check, path: &[Step], spec: &FaultSpec, names: &[String]) {
    for (i, name) in names.iter().enumerate() {
        if !spec.nodes.contains(&name.as_str()) {
            let message = format!("a {} cannot hit `{name}`", spec.kind);
            let help = format!("it hits {}", spec.nodes.join(" or "));
            c.error(&[path, &[Step::Index(i)]].concat(), message, Some(help));
        }
    }
}

/// A fault the model defines, from its fields: `node`, its parameter, `from` and an
/// optional `until`.
fn model_fault(
    c: &mut Check,
    path: &[Step],
    spec: &FaultSpec,
    raw: RawModelFault,
    nodes: &[&str],
    end: SimDuration,
) -> Option<Fault> {
    use Step::Field;
    let known = ["node", spec.param, "from", "until"];
    let (mut node, mut value, mut from, mut until) = (None, None, None, None);
    let mut seen = Vec::new();
    for (name, scalar) in raw.fields {
        let Some(&field) = known.iter().find(|k| **k == name) else {
            let message = format!("a {} has no field `{name}`", spec.kind);
            c.error(path, message, Some(suggestion(&name, &known)));
            continue;
        };
        if seen.contains(&field) {
            c.error(path, format!("this {} gives `{field}` twice", spec.kind), None);
            continue;
        }
        seen.push(field);
        let at = [path, &[Field(field)]].concat();
        match (field, scalar) {
            ("node", RawScalar::Text(name)) => {
                fault_nodes(
                    c,
                    &[path, &[Field("node")]].concat(),
                    spec,
                    std::slice::from_ref(&name),
                );
                node = c.node(&at, &name, nodes);
            }
            ("from" | "until", RawScalar::Text(text)) => match parse_duration(&text) {
                Ok(d) if field == "from" => from = Some(Dur(d)),
                Ok(d) => until = Some(Dur(d)),
                Err(message) => c.error(&at, message, None),
            },
            (_, RawScalar::Number(x)) if field == spec.param => {
                parameter(c, &at, spec, x);
                value = Some(x);
            }
            (_, _) => {
                let expected = if field == spec.param { "a number" } else { "a string" };
                c.error(&at, format!("`{field}` must be {expected}"), None);
            }
        }
    }
    for (field, missing) in
        [("node", node.is_none()), (spec.param, value.is_none()), ("from", from.is_none())]
    {
        if missing && !c.problems().iter().any(|p| p.path.starts_with(path)) {
            c.error(path, format!("a {} needs `{field}`", spec.kind), None);
        }
    }
    let (node, value, from) = (node?, value?, from?);
    c.window(path, from, until, end);
    Some(Fault {
        kind: FaultKind::Model { node, fault: spec.with(value) },
        from: at(from),
        until: until.map(at),
    })
}

fn at(d: Dur) -> SimTime {
    SimTime::ZERO + d.0
}

/// Turns problems found by path into errors with positions.
fn positioned(problems: Vec<Problem>, file: &str, positions: &Positions) -> Vec<ScenarioError> {
    problems
        .into_iter()
        .map(|p| {
            let (line, col) = positions.locate(&p.path);
            ScenarioError { file: file.to_string(), line, col, message: p.message, help: p.help }
        })
        .collect()
}

/// Checks a parsed scenario; every problem is reported, not just the first.
pub(crate) fn validate(
    raw: RawScenario,
    file: &str,
    positions: &Positions,
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
    let swarm = swarm_bounds(&mut c, raw.swarm.as_ref(), net);

    // The model, first: it decides which nodes and invariants exist.
    let names = models.names();
    let config = positions.body(&[Field("model")]).unwrap_or(Body {
        name: None,
        text: "()".into(),
        pos: positions.locate(&[Field("model")]),
        whole: String::new(),
        whole_pos: (1, 1),
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
        let policy = positions.body(&path);
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
        errors.extend(positioned(c.into_problems(), file, positions));
        return Err(errors);
    };
    let node_names = model.node_names();
    let nodes: Vec<&str> = node_names.iter().map(String::as_str).collect();
    let nodes = nodes.as_slice();

    // Faults.
    let mut fixed_faults = Vec::new();
    let mut random_faults = Vec::new();
    let model_faults = model.faults();
    for i in 0..raw.faults.len() {
        let path = [Field("faults"), Index(i)];
        let p = |name| [&path[..], &[Field(name)]].concat();
        let fixed = |kind, from: Dur, until: Option<Dur>| Fault {
            kind,
            from: at(from),
            until: until.map(at),
        };
        let Some(found) = positions.body(&path) else { continue };
        let Some(name) = found.name.as_deref() else {
            let message = "a fault is written `Kind(...)`, e.g. `Partition(...)`".to_string();
            c.error(&path, message, None);
            continue;
        };
        if let Some(spec) = model_faults.iter().find(|spec| spec.kind == name) {
            match crate::from_ron::<RawModelFault>(&found.text, file, found.pos) {
                Ok(raw) => fixed_faults.extend(model_fault(&mut c, &path, spec, raw, nodes, end)),
                Err(e) => errors.push(e),
            }
            continue;
        }
        if !ENGINE_FAULTS.contains(&name) {
            let mut kinds = ENGINE_FAULTS.to_vec();
            kinds.extend(model_faults.iter().map(|spec| spec.kind));
            let message = format!("there is no fault `{name}` in the {} model", model.name());
            c.error(&path, message, Some(suggestion(name, &kinds)));
            continue;
        }
        let fault = match crate::from_ron::<RawFault>(&found.whole, file, found.whole_pos) {
            Ok(fault) => fault,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let fault = &fault;
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
                    let message = format!(
                        "this crash is at {} but the run ends at {}",
                        from.0.human(),
                        end.human()
                    );
                    c.error(&p("at"), message, None);
                }
                if let Some(restart) = restart.filter(|r| r.0 <= from.0) {
                    let message = format!(
                        "`restart` ({}) must be after `at` ({})",
                        restart.0.human(),
                        from.0.human()
                    );
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
            | RawFault::RandomLatencySpikes { nodes: names, count, duration, within, .. }
            | RawFault::RandomModelFaults { nodes: names, count, duration, within, .. } => {
                let members = c.group(&p("nodes"), names, nodes);
                if *count == 0 || *count > MAX_RANDOM_COUNT {
                    c.error(
                        &p("count"),
                        format!("count must be 1 to {MAX_RANDOM_COUNT}, not {count}"),
                        None,
                    );
                }
                let duration_field = if matches!(fault, RawFault::RandomCrashes { .. }) {
                    "downtime"
                } else {
                    "duration"
                };
                c.range(&p(duration_field), "the duration", *duration);
                if duration.0.0 < SimDuration::from_millis(1) {
                    // Faults are drawn in whole milliseconds; a zero-length one would print as
                    // a schedule that does not parse (`until` equal to `from`).
                    let message = format!("a {duration_field} must be at least 1ms");
                    c.error(&p(duration_field), message, None);
                }
                c.range(&p("within"), "the `within`", *within);
                if within.1.0 >= end {
                    let message = format!(
                        "faults may start until {}, but the run ends at {}",
                        within.1.0.human(),
                        end.human()
                    );
                    c.error(&p("within"), message, Some("end `within` before the run ends".into()));
                }
                if within.0.0 >= end {
                    c.error(
                        &p("within"),
                        format!(
                            "faults would start at {} or later, but the run ends at {}",
                            within.0.0.human(),
                            end.human()
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
                    RawFault::RandomModelFaults { kind, value, .. } => {
                        let kinds: Vec<&str> = model_faults.iter().map(|spec| spec.kind).collect();
                        let spec = model_faults.iter().find(|spec| spec.kind == kind);
                        let Some(spec) = spec else {
                            let message =
                                format!("the {} model has no fault `{kind}`", model.name());
                            let help = if kinds.is_empty() {
                                "it defines no faults of its own".to_owned()
                            } else {
                                suggestion(kind, &kinds)
                            };
                            c.error(&p("kind"), message, Some(help));
                            continue;
                        };
                        for &x in [value.0, value.1].iter() {
                            parameter(&mut c, &p("value"), spec, x);
                        }
                        if value.0 > value.1 {
                            let message =
                                format!("the value range ({}, {}) is backwards", value.0, value.1);
                            c.error(&p("value"), message, None);
                        }
                        fault_nodes(&mut c, &p("nodes"), spec, names);
                        FaultGen::Model {
                            kind: spec.kind,
                            param: spec.param,
                            nodes: members,
                            count: *count,
                            value: *value,
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

    model.check_schedule(&fixed_faults, &random_faults, &mut c);

    // Invariants.
    let not_checked = crate::invariants::check(&raw.invariants, &raw.unchecked, &*model, &mut c);

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
        } else if let Some(problem) = variant_name_problem(&variant.name) {
            c.error(&path, problem, Some(VARIANT_NAME_RULE.into()));
        } else if !variant_names.insert(variant.name.to_ascii_lowercase()) {
            // Names become file names, which some file systems do not tell apart by case.
            let message = format!("two variants are named `{}`, ignoring case", variant.name);
            c.error(&path, message, None);
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
    errors.extend(positioned(problems, file, positions));
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
        not_checked,
        variants,
        max_events,
        report_sweep: raw.report_sweep,
        swarm,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::locate::tests::BUILDS;

    /// A chat scenario with `faults` (each a line) and a variant named `variant`.
    fn scenario(faults: &[String], variant: &str) -> String {
        format!(
            "Scenario(\n    name: \"t\",\n    duration: \"60s\",\n    faults: [\n{}    ],\n    \
             model: Chat(rate_per_s: 4.0, send_until: \"45s\"),\n    variants: [(name: {variant:?}, \
             policy: Chat(delivery: FireAndForget))],\n)",
            faults.iter().map(|fault| format!("        {fault},\n")).collect::<String>()
        )
    }

    #[test]
    fn a_file_is_read_for_positions_once_however_many_faults_and_errors() {
        let crash = |i: usize, node: &str| format!("Crash(node: {node:?}, at: \"{}ms\")", 100 + i);
        let good: Vec<String> = (0..4000).map(|i| crash(i, "server-a")).collect();
        let bad: Vec<String> = (0..4000).map(|i| crash(i, "nobody")).collect();
        let builds = |source: &str| {
            let before = BUILDS.with(|b| b.get());
            let result = crate::parse(source, "big.ron");
            (BUILDS.with(|b| b.get()) - before, result.map(|_| ()).map_err(|e| e.0.len()))
        };
        assert_eq!(builds(&scenario(&good, "v")), (1, Ok(())));
        assert_eq!(builds(&scenario(&bad, "v")), (1, Err(4000)));
    }

    #[test]
    fn variant_names_are_plain_file_name_characters() {
        for good in ["ff", "ack-retransmit", "a_b", "9lives", &"x".repeat(64)] {
            assert!(crate::parse(&scenario(&[], good), "f.ron").is_ok(), "{good}");
        }
        let long = "x".repeat(65);
        for (bad, says) in [
            ("a/../../escape", "has '/' in it"),
            ("two words", "has ' ' in it"),
            ("quote\"d", "has '\"' in it"),
            ("café", "has 'é' in it"),
            ("v2.1", "has '.' in it"),
            ("-flag", "must start with a letter or digit"),
            ("_hidden", "must start with a letter or digit"),
            (long.as_str(), "is longer than 64 characters"),
        ] {
            let errors = crate::parse(&scenario(&[], bad), "f.ron").expect_err(bad).0;
            let [error] = errors.as_slice() else { panic!("{bad}: {errors:?}") };
            assert!(error.message.contains(says), "{bad}: {error}");
            assert_eq!((error.line, error.col), (7, 23), "{bad}: at the name: {error}");
            assert_eq!(error.help.as_deref(), Some(VARIANT_NAME_RULE), "{bad}");
        }
    }

    #[test]
    fn engine_fault_names_are_exactly_the_raw_fault_variants() {
        for name in ENGINE_FAULTS {
            let error = crate::from_ron::<RawFault>(&format!("{name}()"), "f.ron", (1, 1)).err();
            let message = error.map(|e| e.message).unwrap_or_default();
            assert!(!message.contains("unexpected variant"), "{name}: {message}");
        }
        let unknown = crate::from_ron::<RawFault>("Nonsense()", "f.ron", (1, 1)).unwrap_err();
        let listed = unknown.message.matches('`').count() / 2;
        assert_eq!(listed, ENGINE_FAULTS.len() + 2, "{}", unknown.message); // + found + enum
    }
}
