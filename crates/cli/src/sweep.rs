//! `faultline sweep`: every seed of a range for every selected variant, on several threads,
//! reduced to how often each invariant broke and the spread of each metric.
//!
//! The output is the same bytes whatever `--jobs`: threads take runs from an atomic counter
//! in (seed, variant) order, each result goes to the slot of its (seed, variant), and the
//! slots are reduced in seed order once every run of a block has finished, so even the
//! floating-point sums add the same numbers in the same order.

use std::collections::{BTreeMap, BTreeSet};
use std::io::IsTerminal;
use std::num::NonZeroUsize;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;

use clap::Args;
use faultline_engine::{CellOutcome, Grid, GridVariant, Outcome};
use faultline_report::number;
use faultline_scenario::{Scenario, Variant};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Map, Value, json};

use crate::Failure;
use crate::commands::{load, run_one, select};
use crate::output;

/// Violating seeds listed per invariant by `--json` (a contract: scripts rely on it).
const JSON_SEEDS_MAX: usize = 20;

/// Violating seeds the table shows per invariant: enough to pick one to rerun, few enough to
/// keep the row on one line.
const TABLE_SEEDS_MAX: usize = 5;

/// Seeds run between two reductions. Only one block of results waits in memory, so a sweep
/// of a million seeds needs no more than one of a thousand; a block is long enough that the
/// threads idling at its end (each for at most one run) cost nothing measurable.
const BLOCK_SEEDS: usize = 1024;

/// The progress bar: elapsed, bar, runs done and time left, within 80 columns for a million
/// runs. ASCII only, so it needs no Unicode width tables and draws in any terminal.
const PROGRESS_TEMPLATE: &str = "{elapsed_precise} [{bar:30}] {pos}/{len} runs, {eta} left";

/// Before each table row: rows sit under their variant's heading.
const INDENT: &str = "  ";

/// Between table columns.
const GAP: &str = "  ";

#[derive(Args, Debug)]
pub struct SweepArgs {
    /// The scenario file (RON).
    pub scenario: PathBuf,
    /// The seeds to run, half-open: `0..1000` runs seeds 0 to 999.
    #[arg(long, value_name = "A..B", value_parser = parse_seeds)]
    pub seeds: Range<u64>,
    /// Threads to run on (default: one per core). The result does not depend on it.
    #[arg(long, value_name = "N")]
    pub jobs: Option<NonZeroUsize>,
    /// Print exactly one JSON object to stdout instead of the tables.
    #[arg(long)]
    pub json: bool,
    /// Sweep only this variant (repeatable; default: all).
    #[arg(long = "variant", value_name = "NAME")]
    pub variants: Vec<String>,
}

/// Parses `A..B`: two decimal seeds, the end excluded, at least one seed in between.
fn parse_seeds(text: &str) -> Result<Range<u64>, String> {
    const EXPECTED: &str = "expected a half-open range of seeds `A..B` with A < B, e.g. `0..1000`";
    let Some((start, end)) = text.split_once("..") else {
        return Err(format!("`{text}` is not a range: {EXPECTED}"));
    };
    let seed = |part: &str| {
        part.parse::<u64>().map_err(|_| {
            format!("`{part}` is not a seed (a whole number from 0 to {}): {EXPECTED}", u64::MAX)
        })
    };
    let (start, end) = (seed(start)?, seed(end)?);
    if end <= start {
        return Err(format!(
            "`{text}` holds no seed: the end is excluded, so B must be greater than A; \
             {EXPECTED}"
        ));
    }
    Ok(start..end)
}

/// What a sweep keeps of one run: its metrics and which invariants it broke. Not how often
/// or when, and never its trace or chart series, so that a block of runs stays small.
#[derive(Debug)]
struct RunSummary {
    metrics: BTreeMap<String, f64>,
    violated: BTreeSet<String>,
}

impl RunSummary {
    fn of(outcome: Outcome) -> RunSummary {
        let violated = outcome.violations.into_iter().map(|v| v.invariant).collect();
        RunSummary { metrics: outcome.metrics, violated }
    }
}

/// One invariant over a variant's runs.
#[derive(Debug, Default, PartialEq)]
struct InvariantTally {
    runs_violating: u64,
    /// The first [`JSON_SEEDS_MAX`] violating seeds, ascending because runs are added in
    /// seed order.
    seeds_first: Vec<u64>,
}

/// One metric over a variant's runs. `runs` counts the runs that had a number for it: a NaN
/// (a metric undefined in that run, such as a percentile of no samples) is left out rather
/// than turning every statistic into NaN.
#[derive(Debug, PartialEq)]
struct MetricTally {
    runs: u64,
    sum: f64,
    min: f64,
    max: f64,
}

impl MetricTally {
    fn mean(&self) -> f64 {
        self.sum / self.runs as f64
    }
}

/// One variant's runs, reduced in seed order.
#[derive(Debug)]
struct VariantTally {
    name: String,
    runs: u64,
    /// Runs that violated at least one invariant.
    runs_anomalous: u64,
    /// In the scenario's order, every invariant it checks from the start, so that one no
    /// run violates still shows, as 0.
    invariants: Vec<(String, InvariantTally)>,
    metrics: BTreeMap<String, MetricTally>,
}

impl VariantTally {
    fn new(name: &str, invariants: &[String]) -> VariantTally {
        VariantTally {
            name: name.to_owned(),
            runs: 0,
            runs_anomalous: 0,
            invariants: invariants.iter().map(|i| (i.clone(), InvariantTally::default())).collect(),
            metrics: BTreeMap::new(),
        }
    }

    /// Adds the run of `seed`; callers add runs in ascending seed order.
    fn add(&mut self, seed: u64, run: RunSummary) {
        self.runs += 1;
        self.runs_anomalous += u64::from(!run.violated.is_empty());
        for invariant in run.violated {
            // Validation lets a model check only the invariants its scenario lists; should
            // one ever report another, it is counted rather than lost.
            let index = match self.invariants.iter().position(|(name, _)| *name == invariant) {
                Some(index) => index,
                None => {
                    self.invariants.push((invariant, InvariantTally::default()));
                    self.invariants.len() - 1
                }
            };
            let tally = &mut self.invariants[index].1;
            tally.runs_violating += 1;
            if tally.seeds_first.len() < JSON_SEEDS_MAX {
                debug_assert!(tally.seeds_first.last().is_none_or(|&last| last < seed));
                tally.seeds_first.push(seed);
            }
        }
        for (name, value) in run.metrics {
            if value.is_nan() {
                continue;
            }
            self.metrics
                .entry(name)
                .and_modify(|tally| {
                    tally.runs += 1;
                    tally.sum += value;
                    tally.min = tally.min.min(value);
                    tally.max = tally.max.max(value);
                })
                .or_insert(MetricTally { runs: 1, sum: value, min: value, max: value });
        }
    }
}

/// Threads for `--jobs` when it is not given: one per core the process may use.
fn default_jobs() -> usize {
    thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

/// A bar on stderr while stderr is a terminal; hidden in CI, tests and pipes, where it would
/// only be noise in a log.
fn progress_bar(runs_total: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(runs_total), ProgressDrawTarget::stderr());
    // The template is a constant that a test parses; were it ever wrong, indicatif's default
    // style is still a progress bar, so a sweep does not fail over it.
    if let Ok(style) = ProgressStyle::with_template(PROGRESS_TEMPLATE) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Runs every variant for every seed of `seeds` on up to `jobs` threads. The summaries come
/// back in (seed, variant) order. After a failed run no new run starts, and the failure
/// returned is the one of the lowest (seed, variant), whatever `jobs`.
fn run_block(
    scenario: &Scenario,
    variants: &[&Variant],
    seeds: Range<u64>,
    jobs: usize,
    bar: &ProgressBar,
) -> Result<Vec<RunSummary>, Failure> {
    let variant_count = variants.len();
    // A block holds at most `BLOCK_SEEDS` seeds, so its length fits a `usize`.
    let runs = (seeds.end - seeds.start) as usize * variant_count;
    let next_run = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let slots: Vec<OnceLock<Result<RunSummary, Failure>>> =
        (0..runs).map(|_| OnceLock::new()).collect();
    thread::scope(|scope| {
        for _ in 0..jobs.min(runs) {
            scope.spawn(|| {
                while !failed.load(Ordering::Relaxed) {
                    let run = next_run.fetch_add(1, Ordering::Relaxed);
                    if run >= runs {
                        break;
                    }
                    let seed = seeds.start + (run / variant_count) as u64;
                    let result = run_one(scenario, seed, variants[run % variant_count], false)
                        .map(RunSummary::of);
                    if result.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    let stored = slots[run].set(result).is_ok();
                    assert!(stored, "run {run} of the block was handed out twice");
                    bar.inc(1);
                }
            });
        }
    });
    let mut summaries = Vec::with_capacity(runs);
    for slot in slots {
        // Runs are handed out in index order and every run handed out finishes, so every
        // slot before a failed run is filled: the first slot that is not a success is the
        // failure of the lowest (seed, variant), and empty slots only follow it.
        match slot.into_inner() {
            Some(result) => summaries.push(result?),
            None => unreachable!("a run slot is empty although no earlier run failed"),
        }
    }
    Ok(summaries)
}

/// Runs the whole range block by block, reducing each block in seed order.
fn run_all(
    scenario: &Scenario,
    variants: &[&Variant],
    seeds: Range<u64>,
    jobs: usize,
    bar: &ProgressBar,
) -> Result<Vec<VariantTally>, Failure> {
    let mut tallies: Vec<VariantTally> =
        variants.iter().map(|v| VariantTally::new(&v.name, &scenario.invariants)).collect();
    let mut block_start = seeds.start;
    while block_start < seeds.end {
        let block_end = block_start.saturating_add(BLOCK_SEEDS as u64).min(seeds.end);
        let summaries = run_block(scenario, variants, block_start..block_end, jobs, bar)?;
        for (run, summary) in summaries.into_iter().enumerate() {
            let seed = block_start + (run / variants.len()) as u64;
            tallies[run % variants.len()].add(seed, summary);
        }
        block_start = block_end;
    }
    Ok(tallies)
}

pub fn sweep(args: &SweepArgs) -> Result<ExitCode, Failure> {
    let scenario = load(&args.scenario)?;
    let variants = select(&scenario, &args.variants)?;
    let jobs = args.jobs.map_or_else(default_jobs, NonZeroUsize::get);
    let seeds = args.seeds.clone();
    let runs_total = (seeds.end - seeds.start).saturating_mul(variants.len() as u64);
    let bar = progress_bar(runs_total);
    let tallies = run_all(&scenario, &variants, seeds.clone(), jobs, &bar);
    // Cleared before anything is printed, an error included, so no half-drawn bar is left.
    bar.finish_and_clear();
    let tallies = tallies?;
    if args.json {
        output::stdout(&format!("{}\n", sweep_json(&scenario.name, &seeds, &tallies)))?;
    } else {
        output::stdout(&sweep_table(&scenario, &args.scenario, &seeds, &tallies))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The object `sweep --json` prints: `{"scenario", "seeds": [A, B], "variants": [{"name",
/// "runs", "runs_violating", "violating_seeds", "metrics": {name: {"mean", "min",
/// "max"}}}]}`.
fn sweep_json(scenario: &str, seeds: &Range<u64>, tallies: &[VariantTally]) -> Value {
    // Keys are sorted before they are inserted, here and in `json!` (written in sorted
    // order), so the bytes are the same with or without serde_json's `preserve_order`.
    let sorted = |entries: Vec<(&str, Value)>| -> Value {
        let by_key: BTreeMap<&str, Value> = entries.into_iter().collect();
        Value::Object(by_key.into_iter().map(|(k, v)| (k.to_owned(), v)).collect::<Map<_, _>>())
    };
    let variants: Vec<Value> = tallies
        .iter()
        .map(|tally| {
            let invariants = tally.invariants.iter();
            let runs_violating =
                invariants.clone().map(|(name, i)| (name.as_str(), json!(i.runs_violating)));
            let violating_seeds = invariants.map(|(name, i)| (name.as_str(), json!(i.seeds_first)));
            let metrics = tally.metrics.iter().map(|(name, m)| {
                let stats =
                    json!({"max": float(m.max), "mean": float(m.mean()), "min": float(m.min)});
                (name.as_str(), stats)
            });
            json!({
                "metrics": sorted(metrics.collect()),
                "name": tally.name,
                "runs": tally.runs,
                "runs_violating": sorted(runs_violating.collect()),
                "violating_seeds": sorted(violating_seeds.collect()),
            })
        })
        .collect();
    json!({"scenario": scenario, "seeds": [seeds.start, seeds.end], "variants": variants})
}

/// A float as JSON: NaN and infinities have no JSON spelling, so they become `null`.
fn float(value: f64) -> Value {
    serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number)
}

/// The tables `sweep` prints: per variant its runs, each invariant's share of violating runs
/// with the first violating seeds, and the headline metrics' mean, min and max; then one
/// command that reproduces the first violation.
fn sweep_table(
    scenario: &Scenario,
    path: &Path,
    seeds: &Range<u64>,
    tallies: &[VariantTally],
) -> String {
    let mut text = format!("{}, seeds {}..{}\n", scenario.name, seeds.start, seeds.end);
    for tally in tallies {
        text.push_str(&format!("\n{}: {} runs\n", tally.name, tally.runs));
        if tally.invariants.is_empty() {
            text.push_str("  (the scenario checks no invariants)\n");
        } else {
            let mut rows = vec![vec![
                "invariant".to_owned(),
                "runs violating".to_owned(),
                "first violating seeds".to_owned(),
            ]];
            for (name, invariant) in &tally.invariants {
                let share = format!(
                    "{:.1}% ({}/{})",
                    percent(invariant.runs_violating, tally.runs),
                    invariant.runs_violating,
                    tally.runs
                );
                rows.push(vec![name.clone(), share, seed_list(invariant)]);
            }
            text.push_str(&aligned(&rows, &[Align::Left, Align::Right, Align::Left]));
        }
        let headline: Vec<&str> = scenario
            .headline_metrics()
            .iter()
            .copied()
            .filter(|name| tally.metrics.contains_key(*name))
            .collect();
        // A model without headline metrics still gets a table: all of its metrics.
        let shown: Vec<&str> = if headline.is_empty() {
            tally.metrics.keys().map(String::as_str).collect()
        } else {
            headline
        };
        if !shown.is_empty() {
            let mut rows = vec![["metric", "mean", "min", "max"].map(str::to_owned).to_vec()];
            for name in shown {
                if let Some(m) = tally.metrics.get(name) {
                    rows.push(vec![
                        name.to_owned(),
                        number(m.mean()),
                        number(m.min),
                        number(m.max),
                    ]);
                }
            }
            text.push_str(&aligned(
                &rows,
                &[Align::Left, Align::Right, Align::Right, Align::Right],
            ));
        }
    }
    text.push('\n');
    let first_violation = tallies.iter().find_map(|tally| {
        let seed = tally.invariants.iter().filter_map(|(_, i)| i.seeds_first.first()).min()?;
        Some((tally.name.as_str(), *seed))
    });
    match first_violation {
        Some((variant, seed)) => text.push_str(&format!(
            "reproduce: faultline run {} --seed {seed} --variant {}\n",
            shell_word(&path.display().to_string()),
            shell_word(variant)
        )),
        None => text.push_str("no run violated an invariant\n"),
    }
    text
}

/// `part` of `whole` in percent; 0 for no runs at all.
fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 { 0.0 } else { 100.0 * part as f64 / whole as f64 }
}

/// The first [`TABLE_SEEDS_MAX`] violating seeds, `…` when there are more, `-` for none.
fn seed_list(invariant: &InvariantTally) -> String {
    if invariant.seeds_first.is_empty() {
        return "-".to_owned();
    }
    let shown = &invariant.seeds_first[..invariant.seeds_first.len().min(TABLE_SEEDS_MAX)];
    let mut text = shown.iter().map(u64::to_string).collect::<Vec<_>>().join(", ");
    if invariant.runs_violating > shown.len() as u64 {
        text.push_str(", …");
    }
    text
}

/// How a column lines up its cells.
#[derive(Copy, Clone, Debug)]
enum Align {
    /// Names and lists, read left to right.
    Left,
    /// Numbers, lined up on their last digit.
    Right,
}

/// Rows as columns padded to their widest cell, indented under the variant's heading, each
/// column aligned as `align` says (left past its end). No trailing spaces.
fn aligned(rows: &[Vec<String>], align: &[Align]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths_chars: Vec<usize> = (0..columns)
        .map(|column| {
            let cells = rows.iter().filter_map(|row| row.get(column));
            cells.map(|cell| cell.chars().count()).max().unwrap_or(0)
        })
        .collect();
    let mut text = String::new();
    for row in rows {
        let mut line = String::from(INDENT);
        for (column, (cell, &width)) in row.iter().zip(&widths_chars).enumerate() {
            if column > 0 {
                line.push_str(GAP);
            }
            if let Some(Align::Right) = align.get(column) {
                line.push_str(&format!("{cell:>width$}"));
            } else {
                line.push_str(&format!("{cell:<width$}"));
            }
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

/// `word` as one shell word: as it is when it plainly needs no quoting, else single-quoted,
/// so the reproduction command can be pasted whatever the file is called.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain { word.to_owned() } else { format!("'{}'", word.replace('\'', r"'\''")) }
}

/// What a run's report shows of a sweep: a table of the strategies over many seeds, and, when
/// the model measures availability, one point per variant for the trade-off chart.
pub(crate) struct ReportSweep {
    pub grid: Grid,
    /// Per variant: (runs with an anomaly, in percent; mean availability).
    pub tradeoff: Vec<Option<(f64, f64)>>,
}

/// Sweeps `seeds` quietly on every core for the report of `faultline run`.
pub(crate) fn report_sweep(
    scenario: &Scenario,
    variants: &[&Variant],
    seeds: Range<u64>,
) -> Result<ReportSweep, Failure> {
    let tallies =
        run_all(scenario, variants, seeds.clone(), default_jobs(), &ProgressBar::hidden())?;
    let mut columns = vec!["runs with an anomaly".to_owned()];
    columns.extend(scenario.invariants.iter().cloned());
    let headline: Vec<&str> = scenario.headline_metrics().to_vec();
    columns.extend(headline.iter().map(|m| format!("{m} (mean)")));
    let share = |part: u64, whole: u64| {
        let text = format!("{:.1}%", percent(part, whole));
        (text, if part > 0 { CellOutcome::Failed } else { CellOutcome::Ok })
    };
    let rows: Vec<Vec<(String, CellOutcome)>> = tallies
        .iter()
        .map(|tally| {
            let mut row = vec![share(tally.runs_anomalous, tally.runs)];
            for invariant in &scenario.invariants {
                let violating = tally
                    .invariants
                    .iter()
                    .find(|(name, _)| name == invariant)
                    .map_or(0, |(_, t)| t.runs_violating);
                row.push(share(violating, tally.runs));
            }
            for metric in &headline {
                let text = tally.metrics.get(*metric).map_or("-".to_owned(), |m| number(m.mean()));
                row.push((text, CellOutcome::Neutral));
            }
            row
        })
        .collect();
    let tradeoff = tallies
        .iter()
        .map(|tally| {
            let availability = tally.metrics.get("availability")?;
            Some((percent(tally.runs_anomalous, tally.runs), availability.mean()))
        })
        .collect();
    let grid = Grid {
        id: "strategies".to_owned(),
        title: format!(
            "Every strategy over seeds {}..{}: how often it broke an invariant, and what it cost",
            seeds.start, seeds.end
        ),
        row_label: "strategy".to_owned(),
        column_label: "measure".to_owned(),
        rows: tallies.iter().map(|t| t.name.clone()).collect(),
        columns,
        variants: vec![GridVariant { name: "all strategies".to_owned(), cells: rows }],
    };
    Ok(ReportSweep { grid, tradeoff })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(metrics: &[(&str, f64)], violated: &[&str]) -> RunSummary {
        RunSummary {
            metrics: metrics.iter().map(|&(name, value)| (name.to_owned(), value)).collect(),
            violated: violated.iter().map(|&name| name.to_owned()).collect(),
        }
    }

    #[test]
    fn seed_ranges_are_half_open_and_not_empty() {
        assert_eq!(parse_seeds("0..20"), Ok(0..20));
        assert_eq!(parse_seeds("7..8"), Ok(7..8));
        for bad in ["5..5", "6..5", "x..3", "3", "1..", "..4", "1..=4", "-1..3", ""] {
            let message = parse_seeds(bad).expect_err(bad);
            assert!(message.contains("expected a half-open range"), "{bad}: {message}");
        }
        assert!(parse_seeds("5..5").unwrap_err().contains("holds no seed"));
        assert!(parse_seeds("x..3").unwrap_err().contains("`x` is not a seed"));
    }

    #[test]
    fn a_tally_counts_runs_and_keeps_the_first_seeds_in_order() {
        let invariants = ["no-loss".to_owned(), "in-order".to_owned()];
        let mut tally = VariantTally::new("v", &invariants);
        for seed in 0..30 {
            tally.add(seed, run(&[], if seed % 2 == 0 { &["no-loss"] } else { &[] }));
        }
        assert_eq!(tally.runs, 30);
        let (name, no_loss) = &tally.invariants[0];
        assert_eq!(name, "no-loss");
        assert_eq!(no_loss.runs_violating, 15);
        assert_eq!(no_loss.seeds_first, (0..30).step_by(2).collect::<Vec<u64>>());
        assert_eq!(tally.invariants[1].1, InvariantTally::default(), "in-order stays, at 0");

        let mut many = VariantTally::new("v", &invariants);
        for seed in 100..150 {
            many.add(seed, run(&[], &["in-order"]));
        }
        assert_eq!(many.invariants[1].1.runs_violating, 50);
        assert_eq!(many.invariants[1].1.seeds_first, (100..120).collect::<Vec<u64>>());
    }

    #[test]
    fn metric_statistics_skip_nan_and_add_in_seed_order() {
        let mut tally = VariantTally::new("v", &[]);
        tally.add(0, run(&[("lost", 3.0), ("p99_ms", f64::NAN)], &[]));
        tally.add(1, run(&[("lost", 1.0), ("p99_ms", 12.5)], &[]));
        tally.add(2, run(&[("lost", 8.0)], &[]));
        let lost = &tally.metrics["lost"];
        assert_eq!((lost.runs, lost.min, lost.max, lost.mean()), (3, 1.0, 8.0, 4.0));
        let p99 = &tally.metrics["p99_ms"];
        assert_eq!((p99.runs, p99.min, p99.max, p99.mean()), (1, 12.5, 12.5, 12.5));
    }

    #[test]
    fn json_lists_every_invariant_and_nulls_non_finite_numbers() {
        let invariants = ["no-loss".to_owned(), "in-order".to_owned()];
        let mut tally = VariantTally::new("fire", &invariants);
        tally.add(4, run(&[("latency_ms", f64::INFINITY), ("sent", 2.0)], &["no-loss"]));
        let json = sweep_json("chat", &(4..5), &[tally]);
        assert_eq!(
            json.to_string(),
            r#"{"scenario":"chat","seeds":[4,5],"variants":[{"metrics":{"latency_ms":{"max":null,"mean":null,"min":null},"sent":{"max":2.0,"mean":2.0,"min":2.0}},"name":"fire","runs":1,"runs_violating":{"in-order":0,"no-loss":1},"violating_seeds":{"in-order":[],"no-loss":[4]}}]}"#
        );
    }

    #[test]
    fn numbers_read_like_the_run_table() {
        assert_eq!(number(356.0), "356");
        assert_eq!(number(-0.0), "0");
        assert_eq!(number(48.912232), "48.912");
        assert_eq!(number(0.0484641), "0.048464");
        assert_eq!(number(f64::NAN), "n/a");
        assert_eq!(number(f64::NEG_INFINITY), "-inf");
    }

    #[test]
    fn columns_align_and_lines_have_no_trailing_spaces() {
        let rows = [vec!["metric".to_owned(), "mean".to_owned()], vec!["a".into(), "12.5".into()]];
        assert_eq!(
            aligned(&rows, &[Align::Left, Align::Right]),
            "  metric  mean\n  a       12.5\n"
        );
    }

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_word("scenarios/chat-swarm.ron"), "scenarios/chat-swarm.ron");
        assert_eq!(shell_word("my scenarios/it's.ron"), r"'my scenarios/it'\''s.ron'");
        assert_eq!(shell_word(""), "''");
    }

    #[test]
    fn the_progress_template_parses() {
        assert!(ProgressStyle::with_template(PROGRESS_TEMPLATE).is_ok());
    }
}
