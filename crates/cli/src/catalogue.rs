//! `faultline list` and the hidden `faultline reference`: what the model registry declares
//! (models, invariants with their promises, metrics with their units and meanings, fault
//! kinds) and the bundled
//! scenarios, printed from the code so that neither the listing nor `docs/reference.md`,
//! whose generated part is this output, can drift from it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use faultline_outcome::Metric;
use faultline_scenario::{ENGINE_FAULTS, ModelInfo, Models};

use crate::Failure;
use crate::output;

/// The folder of bundled scenarios, relative to where `faultline` runs.
const SCENARIOS_DIR: &str = "scenarios";

#[derive(Args, Debug)]
pub struct ListArgs {
    /// Where to look for scenario files.
    #[arg(long, value_name = "DIR", default_value = SCENARIOS_DIR)]
    pub scenarios: PathBuf,
}

/// The width `list` wraps its descriptions to.
const LINE_CHARS_MAX: usize = 100;

/// Models with their invariants and fault kinds, then the scenarios in `--scenarios` with
/// the first sentence of their `about`.
pub fn list(args: &ListArgs) -> Result<ExitCode, Failure> {
    let models = Models::builtin().catalogue();
    let mut text = String::from("models (scenario files name one in `model:` and `policy:`)\n");
    let name_width_chars = models.iter().map(|m| m.name.chars().count()).max().unwrap_or(0);
    let indent = " ".repeat(2 + name_width_chars + 2);
    for model in &models {
        let invariants: Vec<&str> = model.invariants.iter().map(|i| i.id).collect();
        let faults: Vec<&str> = model.faults.iter().map(|f| f.kind).collect();
        let mut lines = wrapped(model.about, LINE_CHARS_MAX - indent.len());
        lines.push(format!("invariants: {}", or_none(&invariants)));
        lines.push(format!("faults of its own: {}", or_none(&faults)));
        for (index, line) in lines.iter().enumerate() {
            let name = if index == 0 { model.name } else { "" };
            text.push_str(&format!("  {name:<name_width_chars$}  {line}\n"));
        }
    }
    text.push_str(&format!(
        "faults of the engine, for every model: {}\n",
        ENGINE_FAULTS.join(", ")
    ));
    let scenarios = scenarios(&args.scenarios)?;
    text.push_str(&format!("\nbundled scenarios ({}/)\n", args.scenarios.display()));
    let name_width_chars = scenarios.iter().map(|(n, _)| n.chars().count()).max().unwrap_or(0);
    for (name, about) in &scenarios {
        let line = format!("  {name:<name_width_chars$}  {about}");
        text.push_str(line.trim_end());
        text.push('\n');
    }
    if scenarios.is_empty() {
        text.push_str("  (none)\n");
    }
    output::stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// `text` over lines of at most `line_chars`, broken between words.
fn wrapped(text: &str, line_chars: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= line_chars => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_owned()),
        }
    }
    lines
}

/// The first sentence of `about`: a scenario's one-line summary.
fn first_sentence(about: &str) -> &str {
    let about = about.trim();
    about.find(". ").map_or(about, |end| &about[..=end])
}

fn or_none(names: &[&str]) -> String {
    if names.is_empty() { "none".to_owned() } else { names.join(", ") }
}

/// Each scenario file's name and the first line of its `about`, sorted by file name. A
/// file that does not load is listed with its first error line: a listing is no place to
/// stop at one bad file.
fn scenarios(dir: &Path) -> Result<Vec<(String, String)>, Failure> {
    let entries = fs::read_dir(dir).map_err(|e| {
        Failure::usage(format!("error: cannot read the scenarios folder {}: {e}", dir.display()))
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .collect();
    paths.sort();
    Ok(paths
        .iter()
        .map(|path| {
            let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
            match crate::commands::load(path) {
                Ok(scenario) => {
                    let about = first_sentence(&scenario.about).to_owned();
                    (scenario.name, about)
                }
                Err(failure) => {
                    let first = failure.message.lines().next().unwrap_or("").to_owned();
                    (stem.unwrap_or_default(), first)
                }
            }
        })
        .collect())
}

/// Prints the generated part of `docs/reference.md`: per model its configuration name,
/// invariants and their promises, headline metrics, every metric with its unit and meaning,
/// and fault kinds.
pub fn reference() -> Result<ExitCode, Failure> {
    output::stdout(&reference_markdown(&Models::builtin().catalogue()))?;
    Ok(ExitCode::SUCCESS)
}

fn reference_markdown(models: &[ModelInfo]) -> String {
    let mut text = String::new();
    for model in models {
        text.push_str(&format!("### `{}`\n\n{}\n\n", model.name, model.about));
        if model.invariants.is_empty() {
            text.push_str("Invariants: none; its runs are judged by their metrics and verdicts.\n");
        } else {
            text.push_str("Invariants (a scenario lists those it checks in `invariants`):\n\n");
            for invariant in model.invariants {
                text.push_str(&format!("- `{}`: {}.\n", invariant.id, invariant.promise));
            }
        }
        let headline: Vec<String> =
            model.headline_metrics.iter().map(|m| format!("`{}`", m.name())).collect();
        text.push_str(&format!("\nHeadline metrics (the run table): {}.\n", headline.join(", ")));
        text.push_str(&metrics_markdown(model.metrics));
        if !model.faults.is_empty() {
            text.push_str("\nFaults it defines, written like the engine's:\n\n");
            for fault in model.faults {
                let (low, high) = fault.range;
                let nodes: Vec<String> = fault.nodes.iter().map(|n| format!("`{n}`")).collect();
                text.push_str(&format!(
                    "- `{}(node, {}, from, until)` on {}: {} (`{}` from {low} to {high}).\n",
                    fault.kind,
                    fault.param,
                    nodes.join(", "),
                    fault.about.trim_end_matches('.'),
                    fault.param,
                ));
            }
        }
        text.push('\n');
    }
    text
}

/// A model's metrics as a list: each name (every name of a family), its unit and meaning.
fn metrics_markdown(metrics: &[Metric]) -> String {
    let mut text = String::from(
        "\nMetrics (`summary.json` and the tables; one that says when it is absent is left out \
         of a run with nothing to measure):\n\n",
    );
    for metric in metrics {
        let names: Vec<String> = metric.names().iter().map(|n| format!("`{n}`")).collect();
        text.push_str(&format!(
            "- {} ({}): {}.\n",
            names.join(", "),
            metric.unit().words(),
            metric.meaning()
        ));
    }
    text
}
