//! What a run produces for reports: metrics, violations, time series, verdicts, and the
//! charts and grids that show them. Plain data, so the report crate needs nothing of the
//! models, and the engine nothing of presentation.
//!
//! The names that tie a model to its report (invariants, metrics, charts) are typed
//! constants ([`Invariant`], [`Metric`], [`ChartId`]) that a model declares once and uses on
//! both sides: a typo is a compile error, not an empty chart.

use std::collections::BTreeMap;

use faultline_engine::{SimTime, TraceRecord};

/// A safety or liveness property a model can check, named as scenario files name it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Invariant {
    /// How scenario files and reports name it, e.g. `no-negative-balance`.
    pub id: &'static str,
    /// One sentence saying what it promises, for references and reports.
    pub promise: &'static str,
}

/// An invariant the model declares that a scenario does not check, and why: the report and
/// `faultline check` show it, so a clean verdict never reads as more than was checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotChecked {
    pub invariant: &'static str,
    /// Why, in one sentence: the model's (it does not apply) or the scenario's own;
    /// `None` when the scenario leaves it out without saying why.
    pub why: Option<String>,
}

impl NotChecked {
    /// "conservation: why", or "conservation (the scenario gives no reason)".
    pub fn sentence(&self) -> String {
        match &self.why {
            Some(why) => format!("{}: {why}", self.invariant),
            None => format!("{} ({})", self.invariant, self.why_text()),
        }
    }

    /// Why, or that the scenario does not say.
    pub fn why_text(&self) -> &str {
        self.why.as_deref().unwrap_or("the scenario gives no reason")
    }
}

/// A metric a model reports, e.g. `messages.lost`, declared once with its unit and what it
/// counts, beside the model that reports it: the reference is printed from these
/// declarations. Names are a contract for scripts.
///
/// A *family* is one declaration for several names built from parts: `{kind}.requests` with
/// the parts `login` and `pay` is `login.requests` and `pay.requests`, which mean the same of
/// their kind.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Metric {
    name: &'static str,
    unit: Unit,
    meaning: &'static str,
    /// A family's parts, each taking the place of the `{…}` in `name`; empty for a metric
    /// of one name.
    parts: &'static [&'static str],
}

/// What a metric's number is, in the reader's words.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Unit {
    /// How many of something (messages, transfers, calls): the meaning says of what.
    Count,
    /// Money, in cents.
    Cents,
    /// Milliseconds of virtual time.
    Ms,
    /// Seconds of virtual time.
    Seconds,
    /// A share, from 0 to 1.
    Share,
    /// 1 for yes, 0 for no.
    Flag,
    /// One count per another, which may exceed 1.
    Ratio,
}

impl Unit {
    /// How the reference writes it after a metric's name.
    pub fn words(self) -> &'static str {
        match self {
            Unit::Count => "count",
            Unit::Cents => "cents",
            Unit::Ms => "ms",
            Unit::Seconds => "s",
            Unit::Share => "share, 0 to 1",
            Unit::Flag => "1 or 0",
            Unit::Ratio => "ratio",
        }
    }
}

impl Metric {
    /// A metric of one name; `meaning` is one sentence saying what is counted, when, and
    /// over what.
    pub const fn new(name: &'static str, unit: Unit, meaning: &'static str) -> Metric {
        Metric { name, unit, meaning, parts: &[] }
    }

    /// This declaration as a family: one metric per part, named with the part in place of
    /// the `{…}` in its name.
    pub const fn each(self, parts: &'static [&'static str]) -> Metric {
        Metric { parts, ..self }
    }

    /// The name outcomes report it under. A family has no one name: see [`Metric::of`].
    pub fn name(self) -> &'static str {
        assert!(self.parts.is_empty(), "`{}` is a family: name one of it with `of`", self.name);
        self.name
    }

    /// The name as declared: a family's has its `{…}` still in it.
    pub fn pattern(self) -> &'static str {
        self.name
    }

    pub fn unit(self) -> Unit {
        self.unit
    }

    pub fn meaning(self) -> &'static str {
        self.meaning
    }

    /// The name of a family's metric for `part`, which the family must declare.
    pub fn of(self, part: &str) -> String {
        assert!(self.parts.contains(&part), "`{}` declares no part `{part}`", self.name);
        let (start, end) = self.placeholder();
        format!("{}{part}{}", &self.name[..start], &self.name[end..])
    }

    /// Every name it may report under: its own, or one per part of a family.
    pub fn names(self) -> Vec<String> {
        if self.parts.is_empty() {
            vec![self.name.to_owned()]
        } else {
            self.parts.iter().map(|part| self.of(part)).collect()
        }
    }

    /// Where a family's `{…}` is in its name.
    fn placeholder(self) -> (usize, usize) {
        let start = self.name.find('{');
        let end = self.name.find('}').map(|at| at + 1);
        let (Some(start), Some(end)) = (start, end) else {
            panic!("the family `{}` names no part with `{{…}}`", self.name)
        };
        (start, end)
    }
}

/// The numbers a run reports, each under a [`Metric`] and so under a name declared with its
/// unit and meaning, never under a bare string.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Metrics(BTreeMap<String, f64>);

impl Metrics {
    /// Reports `value` under `metric`, a metric of one name.
    pub fn put(&mut self, metric: Metric, value: f64) {
        self.0.insert(metric.name().to_owned(), value);
    }

    /// Reports `value` under the metric of `family` for `part` (`pay` of `{kind}.ok`).
    pub fn put_of(&mut self, family: Metric, part: &str, value: f64) {
        self.0.insert(family.of(part), value);
    }

    /// By name, for an [`Outcome`].
    pub fn into_map(self) -> BTreeMap<String, f64> {
        self.0
    }
}

/// What a sweep's trade-off chart plots against the share of runs with an anomaly: a metric,
/// and which way is better (availability up, latency down).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Tradeoff {
    pub metric: Metric,
    pub higher_is_better: bool,
    /// The metric in the reader's words, with its unit: "p99 answer latency (ms)".
    pub words: &'static str,
}

impl Tradeoff {
    /// More is better: availability, a share of true answers.
    pub const fn higher(metric: Metric, words: &'static str) -> Tradeoff {
        Tradeoff { metric, higher_is_better: true, words }
    }

    /// Less is better: latency, cost.
    pub const fn lower(metric: Metric, words: &'static str) -> Tradeoff {
        Tradeoff { metric, higher_is_better: false, words }
    }
}

/// A chart a model draws, e.g. `balance`. Its series carry the same id.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ChartId(pub &'static str);

impl ChartId {
    pub fn name(self) -> &'static str {
        self.0
    }

    /// The id of this chart's copy for one variant (a chart drawn once per variant, such as
    /// a stacked area of that variant's attempts).
    pub fn for_variant(self, variant: &str) -> String {
        format!("{}-{variant}", self.0)
    }
}

/// A broken invariant, with a sentence a person can act on.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    pub invariant: String,
    pub at: SimTime,
    pub node: String,
    pub detail: String,
    /// The stories the violation is about, as the model's
    /// [`Node::subject`](faultline_engine::Node::subject) names them: the report's diagram
    /// follows them. Usually one; two when they broke it together (two transfers that both
    /// read the same balance).
    pub subjects: Vec<u64>,
}

impl Violation {
    pub fn new(invariant: Invariant, at: SimTime, node: &str, detail: String) -> Violation {
        let (invariant, node) = (invariant.id.to_owned(), node.to_owned());
        Violation { invariant, at, node, detail, subjects: Vec::new() }
    }

    /// The same violation, about the story `subject` (an order, a transfer) too: the ones
    /// the failure's diagram follows instead of everything around them.
    pub fn about(mut self, subject: u64) -> Violation {
        if !self.subjects.contains(&subject) {
            self.subjects.push(subject);
        }
        self
    }
}

/// One variant's run.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub variant: String,
    pub trace_hash: u64,
    pub events: u64,
    pub sim_time: SimTime,
    /// Named numbers; names are a contract for scripts (`messages.lost`, …).
    pub metrics: BTreeMap<String, f64>,
    pub violations: Vec<Violation>,
    /// Time series for charts, keyed by [`ChartSpec::id`].
    pub series: Vec<Series>,
    /// One sentence that says what happened, with numbers, without the variant's name
    /// (reports put it in front: "fire-and-forget  lost 138 of 386 messages, …").
    pub verdict: String,
    /// The full trace, when one was asked for.
    pub trace: Option<Vec<TraceRecord>>,
}

/// Points of one variant on one chart: x is virtual seconds. A y of NaN is a gap: nothing
/// was measured there (a percentile of no latencies, a rate of no requests), and charts
/// break the line rather than draw a value.
#[derive(Clone, Debug)]
pub struct Series {
    pub chart: String,
    /// Names a part of the variant's data when it has several on one chart (`first tries`,
    /// `retries`); `None` for the variant's one series.
    pub label: Option<String>,
    pub points: Vec<(f64, f64)>,
}

/// Points compare bit for bit, so that a gap equals the same gap: two runs that agree are
/// equal even where nothing was measured (NaN is not equal to itself as a number).
impl PartialEq for Series {
    fn eq(&self, other: &Series) -> bool {
        let bits = |&(x, y): &(f64, f64)| (x.to_bits(), y.to_bits());
        self.chart == other.chart
            && self.label == other.label
            && self.points.iter().map(bits).eq(other.points.iter().map(bits))
    }
}

impl Series {
    /// A variant's one series on `chart`.
    pub fn new(chart: ChartId, points: Vec<(f64, f64)>) -> Series {
        Series { chart: chart.name().to_owned(), label: None, points }
    }

    /// One labelled part of a variant's data on the chart with id `chart` (a [`ChartId`]'s
    /// name, or [`ChartId::for_variant`]).
    pub fn labelled(chart: &str, label: &str, points: Vec<(f64, f64)>) -> Series {
        Series { chart: chart.to_owned(), label: Some(label.to_owned()), points }
    }
}

/// How a chart draws its series.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ChartKind {
    /// One line per variant.
    Line,
    /// One dot per sample (per-message latencies, say).
    Points,
    /// The labelled series of each variant stacked on each other (first tries under
    /// retries); a chart of this kind usually shows one variant.
    StackedArea,
    /// One horizontal band per variant, coloured by state over time: y values are indices
    /// into [`ChartSpec::states`], drawn in the outcome palette (ok, indeterminate, failed).
    StateStrip,
}

/// A chart a model offers: every variant is one series on it.
#[derive(Clone, Debug, PartialEq)]
pub struct ChartSpec {
    /// A [`ChartId`]'s name, or [`ChartId::for_variant`] for a per-variant copy.
    pub id: String,
    /// Says what to look at, not just what is plotted.
    pub title: String,
    pub y_label: String,
    pub kind: ChartKind,
    /// For [`ChartKind::StateStrip`]: the state names, by y value (e.g. `CLOSED`,
    /// `HALF_OPEN`, `OPEN`). Empty for other kinds.
    pub states: Vec<String>,
    /// Horizontal lines at a y value, each with a label, drawn in the failed colour: a
    /// limit the data should not cross, e.g. `(0.0, "zero")` under account balances (below
    /// it is money that does not exist). The y range always includes them. Line, dot and
    /// stacked charts draw them; a state strip's y values are state indices, so it does not.
    pub reference_lines: Vec<(f64, String)>,
    /// What x is, when it is not virtual time: a parameter of the scenario (`clients`)
    /// across reruns. Such a chart has no fault shading and spans its data's x range.
    pub x_label: Option<String>,
    /// The one variant a per-variant chart shows (see [`ChartSpec::of_variant`]); `None`
    /// for a chart that compares variants.
    pub variant: Option<String>,
}

impl ChartSpec {
    /// A chart of time series, one line per variant: the common case.
    pub fn line(id: ChartId, title: impl Into<String>, y_label: impl Into<String>) -> ChartSpec {
        ChartSpec {
            id: id.name().to_owned(),
            title: title.into(),
            y_label: y_label.into(),
            kind: ChartKind::Line,
            states: Vec::new(),
            reference_lines: Vec::new(),
            x_label: None,
            variant: None,
        }
    }

    /// The same chart drawn another way.
    pub fn kind(self, kind: ChartKind) -> ChartSpec {
        ChartSpec { kind, ..self }
    }

    /// This chart for `variant` alone, under [`ChartId::for_variant`]'s id: small multiples,
    /// where one chart of every variant's parts would be a tangle. Its labels (replicas,
    /// layers) get colours of their own, since the variant's colour tells nothing apart.
    pub fn of_variant(self, variant: &str) -> ChartSpec {
        let id = format!("{}-{variant}", self.id);
        ChartSpec { id, variant: Some(variant.to_owned()), ..self }
    }
}

/// How one cell of a [`Grid`] came out: it picks the cell's colour.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CellOutcome {
    Ok,
    Indeterminate,
    Failed,
    /// A measurement, neither good nor bad in itself (a mean latency): not coloured.
    Neutral,
}

/// A table of outcomes over two parameters, one per variant (load × trigger size →
/// recovered or stuck, say): the report shows where each policy's behaviour changes.
#[derive(Clone, Debug, PartialEq)]
pub struct Grid {
    pub id: String,
    pub title: String,
    /// What the rows vary, e.g. "load (requests/s)".
    pub row_label: String,
    /// What the columns vary, e.g. "trigger (s)".
    pub column_label: String,
    pub rows: Vec<String>,
    pub columns: Vec<String>,
    /// Per variant, in scenario order: `cells[row][column]`.
    pub variants: Vec<GridVariant>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct GridVariant {
    pub name: String,
    pub cells: Vec<Vec<(String, CellOutcome)>>,
}

/// A shaded fault window on every time chart.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultWindow {
    pub from_s: f64,
    pub until_s: f64,
    pub label: String,
}

impl FaultWindow {
    /// Seconds during which at least one of `windows` was on: overlapping faults count
    /// once, so "31 s of faults" means 31 s of the run.
    pub fn union_s(windows: &[FaultWindow]) -> f64 {
        let mut spans: Vec<(f64, f64)> = windows
            .iter()
            .filter(|w| w.until_s > w.from_s)
            .map(|w| (w.from_s, w.until_s))
            .collect();
        spans.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (mut total_s, mut covered_until_s) = (0.0, f64::NEG_INFINITY);
        for (from_s, until_s) in spans {
            let start_s = from_s.max(covered_until_s);
            if until_s > start_s {
                total_s += until_s - start_s;
                covered_until_s = until_s;
            }
        }
        total_s
    }
}

/// What `faultline explore` found for one variant: how many distinct orders of its events
/// it ran, and which broke what.
#[derive(Clone, Debug)]
pub struct Exploration {
    pub variant: String,
    /// Distinct schedules run to their end: one per class of equivalent orders.
    pub schedules: u64,
    /// Runs cut short because they began like a schedule already explored.
    pub redundant: u64,
    /// Every class was explored: no schedule bound cut the search short.
    pub complete: bool,
    /// Per invariant the scenario checks, in its order: schedules that broke it.
    pub violating: Vec<(String, u64)>,
    /// The violating schedule with the fewest steps (the first found among equals).
    pub shortest: Option<Shortest>,
}

/// A violating schedule, replayed with its full trace.
#[derive(Clone, Debug)]
pub struct Shortest {
    /// Steps: events handled after the nodes' starts.
    pub steps: usize,
    /// The run, with its trace and violations.
    pub outcome: Outcome,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_with_the_same_gaps_are_equal() {
        let series = |y| Series::new(ChartId("c"), vec![(0.0, 1.0), (1.0, y)]);
        assert_eq!(series(f64::NAN), series(f64::NAN));
        assert_ne!(series(f64::NAN), series(1.0));
        assert_ne!(series(2.0), series(1.0));
    }

    #[test]
    fn overlapping_fault_windows_count_once() {
        let w = |from_s, until_s| FaultWindow { from_s, until_s, label: String::new() };
        assert_eq!(FaultWindow::union_s(&[]), 0.0);
        assert_eq!(FaultWindow::union_s(&[w(10.0, 20.0), w(15.0, 25.0), w(30.0, 31.0)]), 16.0);
        assert_eq!(FaultWindow::union_s(&[w(5.0, 9.0), w(0.0, 10.0)]), 10.0);
    }

    const REQUESTS: Metric =
        Metric::new("{kind}.requests", Unit::Count, "requests sent").each(&["login", "pay"]);

    #[test]
    fn a_family_reports_under_one_name_per_part() {
        assert_eq!(REQUESTS.names(), ["login.requests", "pay.requests"]);
        let mut metrics = Metrics::default();
        metrics.put_of(REQUESTS, "pay", 3.0);
        metrics.put(Metric::new("recovered", Unit::Flag, "it came back"), 1.0);
        let names: Vec<String> = metrics.into_map().into_keys().collect();
        assert_eq!(names, ["pay.requests", "recovered"]);
    }

    #[test]
    #[should_panic(expected = "declares no part `refunds`")]
    fn a_family_refuses_a_part_it_does_not_declare() {
        REQUESTS.of("refunds");
    }

    #[test]
    #[should_panic(expected = "is a family")]
    fn a_family_has_no_one_name() {
        REQUESTS.name();
    }
}
