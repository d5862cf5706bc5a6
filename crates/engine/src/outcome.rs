//! What a run produces for reports: metrics, violations, time series and verdicts.
//! Plain data, so the report crate needs nothing of the models.

use std::collections::BTreeMap;

use crate::time::SimTime;
use crate::trace::TraceRecord;

/// A broken invariant, with a sentence a person can act on.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    pub invariant: String,
    pub at: SimTime,
    pub node: String,
    pub detail: String,
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

/// Points of one variant on one chart: x is virtual seconds.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub chart: String,
    pub points: Vec<(f64, f64)>,
}

/// How a chart draws its series.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ChartKind {
    Line,
    /// One dot per sample (per-message latencies, say).
    Points,
}

/// A chart a model offers: every variant is one series on it.
#[derive(Clone, Debug, PartialEq)]
pub struct ChartSpec {
    pub id: String,
    /// Says what to look at, not just what is plotted.
    pub title: String,
    pub y_label: String,
    pub kind: ChartKind,
}

/// A shaded fault window on every time chart.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultWindow {
    pub from_s: f64,
    pub until_s: f64,
    pub label: String,
}
