//! Sweeps reduced and rendered: per variant how often each invariant broke and the spread
//! of each metric, as the JSON and tables `faultline sweep` prints, and as the strategy
//! table and trade-off chart of a run's report.
//!
//! Runs are added in seed order, and metric sums are exact ([`ExactSum`]), so the result does
//! not depend on how many threads ran them, nor on how many shards: tallies of consecutive
//! seed ranges merge ([`VariantTally::merge`]) into the tally of their union, bit for bit.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use faultline_outcome::{
    CellOutcome, ChartKind, ChartSpec, Grid, GridVariant, Outcome, Series, Tradeoff,
};
use serde_json::{Map, Value, json};

use crate::exact_sum::ExactSum;
use crate::table::number;
use crate::terminal::{Column, aligned as aligned_columns};

/// Violating seeds listed per invariant by `--json` (a contract: scripts rely on it).
pub const JSON_SEEDS_MAX: usize = 20;

/// Violating seeds the table shows per invariant: enough to pick one to rerun, few enough to
/// keep the row on one line.
const TABLE_SEEDS_MAX: usize = 5;

/// Before each table row: rows sit under their variant's heading.
const INDENT: &str = "  ";

/// Between table columns.
const GAP: &str = "  ";

/// A finished sweep: what the scenario asked for, and one tally per variant.
#[derive(Clone, Debug)]
pub struct Sweep<'a> {
    pub scenario: &'a str,
    pub seeds: Range<u64>,
    /// The invariants the scenario checks, in its order.
    pub invariants: &'a [String],
    /// The model's headline metrics, in order.
    pub headline_metrics: &'a [&'a str],
    /// What the trade-off chart plots against anomalies, if anything.
    pub tradeoff: Option<Tradeoff>,
    pub tallies: &'a [VariantTally],
    /// Whether each seed ran its swarm draw (`--swarm`) rather than the scenario as written.
    pub swarm: bool,
}

impl Sweep<'_> {
    /// The seeds, as the first line of a table names them: `seeds 0..100`, and `, swarm`
    /// when each seed ran its swarm draw.
    fn seeds_text(&self) -> String {
        let swarm = if self.swarm { ", swarm" } else { "" };
        format!("seeds {}..{}{swarm}", self.seeds.start, self.seeds.end)
    }
}

/// What a sweep keeps of one run: its metrics and which invariants it broke. Not how often
/// or when, and never its trace or chart series, so that a block of runs stays small.
#[derive(Debug)]
pub struct RunSummary {
    pub metrics: BTreeMap<String, f64>,
    pub violated: BTreeSet<String>,
    /// Events the run handled.
    pub events: u64,
}

impl RunSummary {
    pub fn of(outcome: Outcome) -> RunSummary {
        let violated = outcome.violations.into_iter().map(|v| v.invariant).collect();
        RunSummary { metrics: outcome.metrics, violated, events: outcome.events }
    }
}

/// One invariant over a variant's runs.
#[derive(Debug, Default, PartialEq)]
pub struct InvariantTally {
    pub runs_violating: u64,
    /// The first [`JSON_SEEDS_MAX`] violating seeds, ascending because runs are added in
    /// seed order.
    pub seeds_first: Vec<u64>,
}

/// One metric over a variant's runs. `runs` counts the runs that had a number for it: a NaN
/// (a metric undefined in that run, such as a percentile of no samples) is left out rather
/// than turning every statistic into NaN.
#[derive(Debug, PartialEq)]
pub struct MetricTally {
    pub runs: u64,
    /// Exact, so that the mean is the same however the runs were split into shards.
    pub sum: ExactSum,
    pub min: f64,
    pub max: f64,
}

impl MetricTally {
    pub fn mean(&self) -> f64 {
        self.sum.value() / self.runs as f64
    }
}

/// A metric's mean as a table cell, saying over how many runs when some did not report it:
/// a recovery time averages the runs that recovered, and "14.6" alone would claim all did.
fn mean_cell(metric: &MetricTally, runs: u64) -> String {
    if metric.runs < runs {
        format!("{} (in {}/{runs})", number(metric.mean()), metric.runs)
    } else {
        number(metric.mean())
    }
}

/// One variant's runs, reduced in seed order.
#[derive(Debug)]
pub struct VariantTally {
    pub name: String,
    pub runs: u64,
    /// Runs that violated at least one invariant.
    pub runs_anomalous: u64,
    /// In the scenario's order, every invariant it checks from the start, so that one no
    /// run violates still shows, as 0.
    pub invariants: Vec<(String, InvariantTally)>,
    pub metrics: BTreeMap<String, MetricTally>,
    /// Events handled over all the runs.
    pub events: u64,
}

impl VariantTally {
    pub fn new(name: &str, invariants: &[String]) -> VariantTally {
        VariantTally {
            name: name.to_owned(),
            runs: 0,
            runs_anomalous: 0,
            invariants: invariants.iter().map(|i| (i.clone(), InvariantTally::default())).collect(),
            metrics: BTreeMap::new(),
            events: 0,
        }
    }

    /// Adds the run of `seed`; callers add runs in ascending seed order.
    pub fn add(&mut self, seed: u64, run: RunSummary) {
        self.runs += 1;
        self.runs_anomalous += u64::from(!run.violated.is_empty());
        self.events += run.events;
        for invariant in run.violated {
            let tally = self.invariant(invariant);
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
                    tally.sum.add(value);
                    tally.min = tally.min.min(value);
                    tally.max = tally.max.max(value);
                })
                .or_insert(MetricTally {
                    runs: 1,
                    sum: ExactSum::of(value),
                    min: value,
                    max: value,
                });
        }
    }

    /// The tally of `invariant`, added at the end when the scenario does not list it:
    /// validation lets a model check only the invariants its scenario lists, but should one
    /// ever report another, it is counted rather than lost.
    fn invariant(&mut self, invariant: String) -> &mut InvariantTally {
        let index = match self.invariants.iter().position(|(name, _)| *name == invariant) {
            Some(index) => index,
            None => {
                self.invariants.push((invariant, InvariantTally::default()));
                self.invariants.len() - 1
            }
        };
        &mut self.invariants[index].1
    }

    /// Adds the runs of `later`, a tally of the same variant over seeds that all come after
    /// this one's: the result is the tally of both ranges in one pass, bit for bit.
    pub fn merge(&mut self, later: VariantTally) {
        self.runs += later.runs;
        self.runs_anomalous += later.runs_anomalous;
        self.events += later.events;
        for (name, invariant) in later.invariants {
            let tally = self.invariant(name);
            tally.runs_violating += invariant.runs_violating;
            let room = JSON_SEEDS_MAX.saturating_sub(tally.seeds_first.len());
            tally.seeds_first.extend(invariant.seeds_first.into_iter().take(room));
        }
        for (name, metric) in later.metrics {
            match self.metrics.get_mut(&name) {
                Some(tally) => {
                    tally.runs += metric.runs;
                    tally.sum.merge(&metric.sum);
                    tally.min = tally.min.min(metric.min);
                    tally.max = tally.max.max(metric.max);
                }
                None => {
                    self.metrics.insert(name, metric);
                }
            }
        }
    }
}

/// The object `sweep --json` prints: `{"scenario", "seeds": [A, B], "swarm", "variants":
/// [{"name", "runs", "runs_violating", "violating_seeds", "metrics": {name: {"mean", "min",
/// "max", "runs"}}, "events"}]}`.
pub fn sweep_json(sweep: &Sweep<'_>) -> Value {
    let (scenario, seeds, tallies) = (sweep.scenario, &sweep.seeds, sweep.tallies);
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
                    json!({"max": float(m.max), "mean": float(m.mean()), "min": float(m.min), "runs": m.runs});
                (name.as_str(), stats)
            });
            json!({
                "events": tally.events,
                "metrics": sorted(metrics.collect()),
                "name": tally.name,
                "runs": tally.runs,
                "runs_violating": sorted(runs_violating.collect()),
                "violating_seeds": sorted(violating_seeds.collect()),
            })
        })
        .collect();
    json!({
        "scenario": scenario,
        "seeds": [seeds.start, seeds.end],
        "swarm": sweep.swarm,
        "variants": variants,
    })
}

/// A float as JSON: NaN and infinities have no JSON spelling, so they become `null`.
fn float(value: f64) -> Value {
    serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number)
}

/// What `sweep` prints by default: a line per variant in two small tables, the share of
/// runs that violated any and each invariant, and each headline metric's mean; then one
/// command that reproduces the first violation. [`sweep_table`] has the details.
pub fn sweep_summary(sweep: &Sweep<'_>, path: &str) -> String {
    let (seeds, tallies) = (&sweep.seeds, sweep.tallies);
    let mut text = format!(
        "{}, {}: {} runs per variant\n",
        sweep.scenario,
        sweep.seeds_text(),
        seeds.end - seeds.start
    );
    let names = || Column::names("variant", tallies.iter().map(|t| t.name.clone()).collect());
    let share = |part: u64, whole: u64| format!("{:.1}%", percent(part, whole));
    if !sweep.invariants.is_empty() {
        let mut columns = vec![names()];
        let anomalous = tallies.iter().map(|t| share(t.runs_anomalous, t.runs)).collect();
        columns.push(Column::numbers("any", anomalous));
        for invariant in sweep.invariants {
            let cells = tallies
                .iter()
                .map(|tally| {
                    let violating = tally
                        .invariants
                        .iter()
                        .find(|(name, _)| name == invariant)
                        .map_or(0, |(_, t)| t.runs_violating);
                    share(violating, tally.runs)
                })
                .collect();
            columns.push(Column::numbers(invariant, cells));
        }
        text.push_str("\nruns violating an invariant (any: at least one)\n");
        text.push_str(&aligned_columns(&columns));
    }
    let metrics =
        shown_metrics(sweep.headline_metrics, tallies.iter().flat_map(|t| t.metrics.keys()));
    if !metrics.is_empty() {
        let mut columns = vec![names()];
        for metric in &metrics {
            let cells = tallies
                .iter()
                .map(|t| {
                    t.metrics.get(*metric).map_or_else(|| "—".to_owned(), |m| mean_cell(m, t.runs))
                })
                .collect();
            columns.push(Column::numbers(metric, cells));
        }
        text.push_str("\nmetric means (--details: min, max and the first violating seeds)\n");
        text.push_str(&aligned_columns(&columns));
    }
    text.push('\n');
    text.push_str(&closing_line(sweep, path));
    text
}

/// The headline metrics some run measured, in the model's order; a model without headline
/// metrics shows all of them, by name.
fn shown_metrics<'a>(
    headline: &[&'a str],
    measured: impl Iterator<Item = &'a String> + Clone,
) -> Vec<&'a str> {
    let shown: Vec<&str> =
        headline.iter().copied().filter(|name| measured.clone().any(|m| m == name)).collect();
    if !shown.is_empty() {
        return shown;
    }
    let mut all: Vec<&str> = measured.map(String::as_str).collect();
    all.sort_unstable();
    all.dedup();
    all
}

/// The last lines of a sweep: the commands that reproduce the first violation (of the first
/// variant that has one) and shrink it to the smallest run that still breaks the same
/// invariant, or why there is none.
fn closing_line(sweep: &Sweep<'_>, path: &str) -> String {
    let first_violation = sweep.tallies.iter().find_map(|tally| {
        let (invariant, seed) = tally
            .invariants
            .iter()
            .filter_map(|(name, i)| Some((name.as_str(), *i.seeds_first.first()?)))
            .min_by_key(|(_, seed)| *seed)?;
        Some((tally.name.as_str(), seed, invariant))
    });
    match first_violation {
        Some((variant, seed, invariant)) => {
            let reproduce = format!(
                "reproduce: faultline run {} --seed {seed}{} --variant {}\n",
                shell_word(path),
                if sweep.swarm { " --swarm" } else { "" },
                shell_word(variant)
            );
            // A swarm seed's network is drawn, not written in the file that shrink rewrites:
            // pin the draw first (`run --swarm --print-schedule`).
            if sweep.swarm {
                return reproduce;
            }
            format!(
                "{reproduce}shrink:    {}\n",
                shrink_command(path, seed, variant, Some(invariant))
            )
        }
        None if sweep.invariants.is_empty() => {
            "the scenario checks no invariants: nothing to reproduce\n".to_owned()
        }
        None => {
            let draws = if sweep.swarm { ", swarm draws" } else { "" };
            let seeds = format!("{}..{}", sweep.seeds.start, sweep.seeds.end);
            format!("no run of seeds {seeds}{draws} broke an invariant the scenario checks\n")
        }
    }
}

/// The `faultline shrink` command for one failing run, each word quoted for the shell as
/// needed.
pub fn shrink_command(path: &str, seed: u64, variant: &str, invariant: Option<&str>) -> String {
    let mut command = format!(
        "faultline shrink {} --seed {seed} --variant {}",
        shell_word(path),
        shell_word(variant)
    );
    if let Some(invariant) = invariant {
        command.push_str(&format!(" --invariant {}", shell_word(invariant)));
    }
    command
}

/// The tables `sweep --details` prints: per variant its runs, each invariant's share of violating runs
/// with the first violating seeds, and the headline metrics' mean, min and max; then one
/// command that reproduces the first violation.
pub fn sweep_table(sweep: &Sweep<'_>, path: &str) -> String {
    let tallies = sweep.tallies;
    let mut text = format!("{}, {}\n", sweep.scenario, sweep.seeds_text());
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
        let shown = shown_metrics(sweep.headline_metrics, tally.metrics.keys());
        if !shown.is_empty() {
            let mut rows = vec![["metric", "mean", "min", "max"].map(str::to_owned).to_vec()];
            for name in shown {
                if let Some(m) = tally.metrics.get(name) {
                    rows.push(vec![
                        name.to_owned(),
                        mean_cell(m, tally.runs),
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
    text.push_str(&closing_line(sweep, path));
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
pub fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain { word.to_owned() } else { format!("'{}'", word.replace('\'', r"'\''")) }
}

/// The strategies of a sweep side by side, for a run's report: per variant the share of runs
/// that broke each invariant and the headline metrics' means.
fn strategies_grid(sweep: &Sweep<'_>) -> Grid {
    let mut columns = vec!["runs with an anomaly".to_owned()];
    columns.extend(sweep.invariants.iter().cloned());
    columns.extend(sweep.headline_metrics.iter().map(|m| format!("{m} (mean)")));
    let share = |part: u64, whole: u64| {
        let text = format!("{:.1}%", percent(part, whole));
        (text, if part > 0 { CellOutcome::Failed } else { CellOutcome::Ok })
    };
    let rows: Vec<Vec<(String, CellOutcome)>> = sweep
        .tallies
        .iter()
        .map(|tally| {
            let mut row = vec![share(tally.runs_anomalous, tally.runs)];
            for invariant in sweep.invariants {
                let violating = tally
                    .invariants
                    .iter()
                    .find(|(name, _)| name == invariant)
                    .map_or(0, |(_, t)| t.runs_violating);
                row.push(share(violating, tally.runs));
            }
            for metric in sweep.headline_metrics {
                let text = tally
                    .metrics
                    .get(*metric)
                    .map_or("—".to_owned(), |m| mean_cell(m, tally.runs));
                row.push((text, CellOutcome::Neutral));
            }
            row
        })
        .collect();
    Grid {
        id: "strategies".to_owned(),
        title: format!(
            "Every strategy over {}: how often it broke an invariant, and what it cost",
            sweep.seeds_text()
        ),
        row_label: "strategy".to_owned(),
        column_label: "measure".to_owned(),
        rows: sweep.tallies.iter().map(|t| t.name.clone()).collect(),
        columns,
        variants: vec![GridVariant { name: "all strategies".to_owned(), cells: rows }],
    }
}

/// One variant on the trade-off chart: (runs with an anomaly in percent, the metric's mean).
type Point = (f64, f64);

/// The trade-off chart's id.
const TRADEOFF: &str = "tradeoff";

/// Adds what a run's report shows of a sweep over the same scenario: the table of
/// strategies, and the trade-off chart with one point per variant (`outcomes` are the run's,
/// in the sweep's variant order).
pub fn add_sweep(
    sweep: &Sweep<'_>,
    charts: &mut Vec<ChartSpec>,
    outcomes: &mut [Outcome],
    grids: &mut Vec<Grid>,
) {
    if let Some((spec, points)) = tradeoff(sweep) {
        for (outcome, point) in outcomes.iter_mut().zip(points) {
            if let Some(point) = point {
                let series = Series { chart: spec.id.clone(), label: None, points: vec![point] };
                outcome.series.push(series);
            }
        }
        charts.push(spec);
    }
    grids.push(strategies_grid(sweep));
}

/// The sweep's trade-off chart (the model's trade-off metric against the share of runs with
/// an anomaly) and each variant's point on it, in variant order; `None` when the model has
/// no trade-off metric or no run measured it.
fn tradeoff(sweep: &Sweep<'_>) -> Option<(ChartSpec, Vec<Option<Point>>)> {
    let tradeoff = sweep.tradeoff?;
    let metric = tradeoff.metric.name();
    let points: Vec<Option<Point>> = sweep
        .tallies
        .iter()
        .map(|tally| {
            let value = tally.metrics.get(metric)?;
            Some((percent(tally.runs_anomalous, tally.runs), value.mean()))
        })
        .collect();
    if points.iter().all(Option::is_none) {
        return None;
    }
    let seeds = sweep.seeds.end - sweep.seeds.start;
    let spec = ChartSpec {
        id: TRADEOFF.to_owned(),
        title: format!(
            "{} against anomalies over {seeds} seeds: the best place is {} left",
            capitalised(tradeoff.words),
            if tradeoff.higher_is_better { "top" } else { "bottom" }
        ),
        y_label: format!("{}, mean", tradeoff.words),
        kind: ChartKind::Points,
        states: Vec::new(),
        reference_lines: Vec::new(),
        x_label: Some("runs with an anomaly (%)".to_owned()),
        variant: None,
    };
    Some((spec, points))
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(metrics: &[(&str, f64)], violated: &[&str]) -> RunSummary {
        RunSummary {
            metrics: metrics.iter().map(|&(name, value)| (name.to_owned(), value)).collect(),
            violated: violated.iter().map(|&name| name.to_owned()).collect(),
            events: 10,
        }
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
    fn tallies_of_consecutive_ranges_merge_into_the_tally_of_both() {
        let invariants = ["no-loss".to_owned()];
        let runs = |seeds: std::ops::Range<u64>| {
            let mut tally = VariantTally::new("v", &invariants);
            for seed in seeds {
                let violated: &[&str] = match seed % 3 {
                    0 => &["no-loss"],
                    1 => &["unlisted"],
                    _ => &[],
                };
                tally.add(seed, run(&[("latency_ms", seed as f64 / 7.0)], violated));
            }
            tally
        };
        let json = |tally: VariantTally| {
            let sweep = Sweep {
                scenario: "s",
                seeds: 0..90,
                invariants: &invariants,
                headline_metrics: &[],
                tradeoff: None,
                tallies: &[tally],
                swarm: false,
            };
            sweep_json(&sweep).to_string()
        };
        let mut merged = runs(0..10);
        merged.merge(runs(10..11));
        merged.merge(runs(11..90));
        assert_eq!(merged.invariants[0].1.seeds_first, (0..60).step_by(3).collect::<Vec<u64>>());
        assert_eq!(merged.invariants[1].0, "unlisted");
        assert_eq!(json(merged), json(runs(0..90)));
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
        let invariants = invariants.map(String::from);
        let sweep = Sweep {
            scenario: "chat",
            seeds: 4..5,
            invariants: &invariants,
            headline_metrics: &[],
            tradeoff: None,
            tallies: &[tally],
            swarm: false,
        };
        let json = sweep_json(&sweep);
        assert_eq!(
            json.to_string(),
            r#"{"scenario":"chat","seeds":[4,5],"swarm":false,"variants":[{"events":10,"metrics":{"latency_ms":{"max":null,"mean":null,"min":null,"runs":1},"sent":{"max":2.0,"mean":2.0,"min":2.0,"runs":1}},"name":"fire","runs":1,"runs_violating":{"in-order":0,"no-loss":1},"violating_seeds":{"in-order":[],"no-loss":[4]}}]}"#
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
}
