//! The bundled scenarios are test vectors: each runs twice with identical trace hashes,
//! their hashes and key metrics are pinned, the committed reports regenerate byte for
//! byte, their tables fit a terminal, and every variant of a scenario sees the same faults.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use common::{bundled_scenarios, faultline, repo, scratch, stderr, stdout};
use faultline_engine::TraceEvent;
use faultline_report::{FirstFailure, spacetime_svg};
use faultline_scenario::Scenario;

fn load(path: &std::path::Path) -> Scenario {
    let source = std::fs::read_to_string(path).unwrap();
    faultline_scenario::parse(&source, &path.display().to_string()).unwrap()
}

/// Runs every variant twice: the runs must agree bit for bit. Returns the pinned summary.
fn pinned_summary(scenario: &Scenario) -> String {
    let mut text = String::new();
    for variant in &scenario.variants {
        let first = scenario.run(scenario.seed, variant, false).unwrap();
        let second = scenario.run(scenario.seed, variant, false).unwrap();
        assert_eq!(first, second, "{} / {} is not deterministic", scenario.name, variant.name);
        writeln!(
            text,
            "{} trace_hash={:016x} events={}",
            variant.name, first.trace_hash, first.events
        )
        .unwrap();
        for (name, value) in &first.metrics {
            writeln!(text, "  {name} = {value}").unwrap();
        }
        let mut counts = std::collections::BTreeMap::new();
        for v in &first.violations {
            *counts.entry(v.invariant.as_str()).or_insert(0) += 1;
        }
        writeln!(text, "  violations = {counts:?}").unwrap();
    }
    text
}

#[test]
fn bundled_scenarios_are_deterministic_and_pinned() {
    for path in bundled_scenarios() {
        let scenario = load(&path);
        // A change here is a change in behaviour: explain it in the commit that updates it.
        insta::assert_snapshot!(scenario.name.clone(), pinned_summary(&scenario));
    }
}

#[test]
fn a_different_seed_gives_a_different_run() {
    for path in bundled_scenarios() {
        let scenario = load(&path);
        let variant = &scenario.variants[0];
        let a = scenario.run(scenario.seed, variant, false).unwrap();
        let b = scenario.run(scenario.seed + 1, variant, false).unwrap();
        assert_ne!(a.trace_hash, b.trace_hash, "{}", scenario.name);
    }
}

#[test]
fn variants_of_a_scenario_see_identical_fault_events() {
    for path in bundled_scenarios() {
        let scenario = load(&path);
        let faults_seen = |variant| {
            let outcome = scenario.run(scenario.seed, variant, true).unwrap();
            outcome
                .trace
                .unwrap()
                .into_iter()
                .filter(|r| {
                    matches!(r.event, TraceEvent::FaultBegin { .. } | TraceEvent::FaultEnd { .. })
                })
                .map(|r| (r.at, r.event))
                .collect::<Vec<_>>()
        };
        let first = faults_seen(&scenario.variants[0]);
        let engine_faults = !scenario.faults(scenario.seed).is_empty();
        assert_eq!(!first.is_empty(), engine_faults, "{}", scenario.name);
        for variant in &scenario.variants[1..] {
            assert_eq!(faults_seen(variant), first, "{}: {}", scenario.name, variant.name);
        }
    }
}

#[test]
fn committed_reports_regenerate_byte_for_byte() {
    for path in bundled_scenarios() {
        let scenario = load(&path);
        let out = scratch(&format!("regenerate-{}", scenario.name));
        let output = faultline(&["run", path.to_str().unwrap(), "--out", out.to_str().unwrap()]);
        assert!(output.status.success(), "{}", stderr(&output));
        // The table a user sees first fits a terminal (the report line names a scratch path).
        let table = stdout(&output);
        let wide = table
            .lines()
            .filter(|line| !line.starts_with("report: "))
            .find(|line| line.chars().count() > faultline_report::TERMINAL_WIDTH_CHARS);
        assert!(wide.is_none(), "{}: a line is too wide:\n{table}", scenario.name);
        let committed = repo().join("reports").join(&scenario.name);
        for file in ["summary.json", "summary.md"] {
            let fresh = std::fs::read_to_string(out.join(file)).unwrap();
            let old = std::fs::read_to_string(committed.join(file)).unwrap_or_else(|e| {
                panic!("reports/{}/{file}: {e}; run the scenario to generate it", scenario.name)
            });
            assert!(
                fresh == old,
                "reports/{}/{file} is stale: regenerate it with `faultline run {}`",
                scenario.name,
                path.display()
            );
        }
    }
}

#[test]
fn every_declared_chart_and_headline_metric_gets_data() {
    // A model declares its charts and headline metrics as typed constants and reports under
    // the same constants; this holds it to the declaration, so a chart is never drawn empty
    // and no headline metric is a name nobody reports. A metric that does not apply to a
    // scenario (a recovery time where the faults never end) is absent there, and tables
    // leave out a column that no variant fills; but every headline metric of a model is
    // reported somewhere in the bundled scenarios.
    let mut reported: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut declared: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in bundled_scenarios() {
        let scenario = load(&path);
        let variants: Vec<_> = scenario.variants.iter().collect();
        let outcomes: Vec<_> =
            variants.iter().map(|v| scenario.run(scenario.seed, v, false).unwrap()).collect();
        for chart in scenario.charts(&variants) {
            let drawn = outcomes
                .iter()
                .flat_map(|o| &o.series)
                .any(|s| s.chart == chart.id && s.points.iter().any(|(_, y)| y.is_finite()));
            assert!(drawn, "{}: chart `{}` gets no data", scenario.name, chart.id);
        }
        let model = scenario.model_name().to_owned();
        for metric in scenario.headline_metrics() {
            declared.entry(model.clone()).or_default().insert(metric.name().to_owned());
            if outcomes.iter().any(|o| o.metrics.contains_key(metric.name())) {
                reported.entry(model.clone()).or_default().insert(metric.name().to_owned());
            }
        }
    }
    for (model, metrics) in declared {
        let seen = reported.get(&model).cloned().unwrap_or_default();
        let never: Vec<_> = metrics.difference(&seen).collect();
        assert!(never.is_empty(), "{model}: no bundled scenario reports {never:?}");
    }
}

#[test]
fn every_reported_metric_is_declared_with_its_meaning() {
    // The reference lists each model's metrics from its declarations, so a metric reported
    // under a name the model does not declare would be a number nobody explains; and one
    // declared that no bundled scenario ever reports is an explanation of nothing.
    let mut unexplained = Vec::new();
    let mut declared: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut reported: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in bundled_scenarios() {
        let scenario = load(&path);
        let model = scenario.model_name().to_owned();
        let names: BTreeSet<String> = scenario.metrics().iter().flat_map(|m| m.names()).collect();
        let count: usize = scenario.metrics().iter().map(|m| m.names().len()).sum();
        assert_eq!(names.len(), count, "{model} declares a metric name twice");
        for metric in scenario.headline_metrics() {
            assert!(
                names.contains(metric.name()),
                "{model}: headline `{}` undeclared",
                metric.name()
            );
        }
        for variant in &scenario.variants {
            let outcome = scenario.run(scenario.seed, variant, false).unwrap();
            for name in outcome.metrics.into_keys() {
                if !names.contains(&name) {
                    unexplained.push(format!("{name} ({} / {})", scenario.name, variant.name));
                }
                reported.entry(model.clone()).or_default().insert(name);
            }
        }
        declared.insert(model, names);
    }
    assert!(unexplained.is_empty(), "reported but not declared: {}", unexplained.join(", "));
    for (model, names) in declared {
        let seen = reported.remove(&model).unwrap_or_default();
        let never: Vec<_> = names.difference(&seen).collect();
        assert!(
            never.is_empty(),
            "{model} declares metrics no bundled scenario reports: {never:?}"
        );
    }
}

/// Where `text` reads like Rust's `Debug` output rather than a person's words: a struct
/// literal (`Text { author:`) or a node id (`NodeId(0)`).
fn debug_text(text: &str) -> Option<&str> {
    if let Some(at) = text.find("NodeId(") {
        return Some(&text[at..]);
    }
    let word = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(" { ").find_map(|(at, _)| {
        let before = text[..at].chars().next_back().is_some_and(word);
        let field: String = text[at + 3..].chars().take_while(|&c| word(c)).collect();
        let colon = text[at + 3 + field.len()..].starts_with(':');
        (before && !field.is_empty() && colon).then(|| &text[at.saturating_sub(20)..])
    })
}

#[test]
fn failure_diagrams_and_traces_speak_the_readers_words() {
    // Every model describes its messages and timers (`Node::describe`): a diagram that shows
    // `Text { author: NodeId(0), seq: 16 }` makes the reader decode Rust.
    assert!(debug_text("Text { author: NodeId(0), seq: 16 }").is_some());
    assert!(debug_text("Publish { topic: Initiate").is_some());
    assert!(debug_text("T2: debit X $100.00").is_none());
    let mut diagrams = 0;
    for path in bundled_scenarios() {
        let scenario = load(&path);
        let variants: Vec<_> = scenario.variants.iter().collect();
        for variant in &variants {
            let outcome = scenario.run(scenario.seed, variant, true).unwrap();
            for record in outcome.trace.as_deref().unwrap_or_default() {
                let text = match &record.event {
                    TraceEvent::Send { msg, .. } | TraceEvent::Deliver { msg, .. } => msg,
                    TraceEvent::Timer { timer, .. } => timer,
                    _ => continue,
                };
                let found = debug_text(text);
                assert!(found.is_none(), "{}: `{text}` is Debug text", scenario.name);
            }
            let names = scenario.node_names();
            let Some(failure) = FirstFailure::of(&outcome, scenario.seed, &names) else {
                continue;
            };
            let svg = spacetime_svg(&failure.diagram(&names)).unwrap();
            if let Some(found) = debug_text(&svg) {
                panic!("{} / {}: Debug text in the diagram: {found}", scenario.name, variant.name);
            }
            diagrams += 1;
        }
    }
    assert!(diagrams >= 5, "only {diagrams} failure diagrams: do the scenarios still fail?");
}
