//! Reports of faultline runs: `summary.json`, `summary.md`, `index.html`, SVG and PNG charts,
//! a spacetime diagram of the first failing run, the terminal table, and trace exports (JSON
//! lines, Perfetto).
//!
//! Everything here is a pure function of a [`Report`]: no file system, no clock, no
//! hash-ordered collection. The CLI writes what [`render_folder`] returns; rendering the same
//! report twice gives the same bytes, so committed reports can be checked by regenerating them.
//!
//! Architecture invariant: this crate knows nothing of the models. It sees only the engine's
//! plain-data outcome types, and chooses what to show by generic rules (metric names, chart
//! specs), never by a model's name.

mod chart;
mod error;
mod exact_sum;
mod explore;
mod failure;
mod html;
mod json;
mod markdown;
mod shard;
mod spacetime;
mod sweep;
mod table;
mod terminal;
mod trace_export;

use faultline_outcome::{ChartSpec, FaultWindow, Grid, NotChecked, Outcome};

pub use chart::{
    CHART_HEIGHT_PX, CHART_WIDTH_PX, OUTCOME_FAILED, OUTCOME_INDETERMINATE, OUTCOME_OK, Rgb,
    chart_png, chart_svg, informative, variant_color,
};
pub use error::RenderError;
pub use explore::{ExploreReport, explore_json, explore_text, schedule_steps, shortest_failure};
pub use failure::FirstFailure;
pub use html::index_html;
pub use json::{run_json, summary_json};
pub use markdown::summary_md;
pub use shard::{SHARD_FORMAT, Shard, ShardMetric, ShardTally};
pub use spacetime::{
    SPACETIME_HEIGHT_PX, SPACETIME_WIDTH_PX, Spacetime, spacetime_png, spacetime_svg,
};
pub use sweep::{
    InvariantTally, JSON_SEEDS_MAX, MetricTally, RunSummary, Sweep, VariantTally, add_sweep,
    shell_word, shrink_command, sweep_json, sweep_summary, sweep_table,
};
pub use table::number;
pub use terminal::{TERMINAL_WIDTH_CHARS, TraceColumns, terminal_table};
pub use trace_export::{perfetto_json, trace_jsonl};

/// Everything one `faultline run` produced, for rendering.
#[derive(Clone, Copy, Debug)]
pub struct Report<'a> {
    /// The scenario's name, e.g. `chat-partition`.
    pub scenario: &'a str,
    /// The scenario's one-paragraph description.
    pub about: &'a str,
    pub seed: u64,
    /// Virtual run length: the x-axis extent of every chart.
    pub duration_s: f64,
    pub charts: &'a [ChartSpec],
    /// Shaded on every time chart.
    pub faults: &'a [FaultWindow],
    /// One per variant, in scenario order; a variant's index picks its chart colour.
    pub outcomes: &'a [Outcome],
    /// Outcomes over two parameters, one table per variant; shown after the charts.
    pub grids: &'a [Grid],
    /// One concrete example next to the aggregate charts: the first failing request or
    /// transfer, step by step, shown right after the verdicts.
    pub spacetime: Option<Spacetime<'a>>,
    /// The metrics the terminal table shows, in order: the model's headline numbers. When
    /// empty, the table shows the first non-network metrics by name.
    pub headline_metrics: &'a [&'a str],
    /// The invariants the scenario checks, in the order it declares them: the page lists a
    /// variant's violations in this order, so the author's first (most telling) comes first.
    pub invariants: &'a [String],
    /// The model's invariants the scenario does not check, and why: shown beside the ones
    /// it does, so a clean verdict never reads as more than was checked.
    pub not_checked: &'a [NotChecked],
    /// Full traces written beside the report, which the page links to.
    pub traces: &'a [TraceLink],
}

/// A full trace of one variant's run, written with the report.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceLink {
    pub variant: String,
    /// What opens it: `Perfetto` (ui.perfetto.dev) or `JSON lines`.
    pub format: &'static str,
    /// From the report's folder to the file, `/`-separated.
    pub href: String,
}

/// Every file of the report folder, as (relative file name, bytes), in a fixed order:
/// `summary.json`, `summary.md`, `index.html`, then `spacetime.svg` and `spacetime.png` if
/// the report has a [`Report::spacetime`] diagram, then `<id>.svg` and `<id>.png` per chart
/// in the order of [`Report::charts`].
///
/// Chart ids become file names, so an id that is not a plain file name (or is used twice, or
/// is `spacetime` next to the diagram) is an error rather than a file written outside the
/// folder or silently overwritten.
pub fn render_folder(report: &Report) -> Result<Vec<(String, Vec<u8>)>, RenderError> {
    check_chart_ids(report.charts)?;
    if report.spacetime.is_some() {
        let taken = |spec: &&ChartSpec| format!("{}.svg", spec.id) == spacetime::SVG_FILE;
        if let Some(spec) = report.charts.iter().find(taken) {
            return Err(RenderError::chart_id(&spec.id, "is the spacetime diagram's file name"));
        }
    }
    let mut summary = serde_json::to_string_pretty(&summary_json(report))
        .map_err(|e| RenderError::json("summary.json", e))?;
    summary.push('\n');
    // The files are whole pictures; the page's charts comparing variants come apart into a
    // layer per variant, and the rest are the files' pictures with hover targets added.
    let (chart_svgs, page_charts): (Vec<String>, Vec<_>) = report
        .charts
        .iter()
        .map(|spec| chart::chart_pictures(report, spec))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .unzip();
    let (spacetime, page_spacetime) =
        report.spacetime.as_ref().map(spacetime::spacetime_svgs).transpose()?.unzip();
    let page = html::page(report, &page_charts, page_spacetime.as_deref());
    let mut files = vec![
        ("summary.json".to_owned(), summary.into_bytes()),
        ("summary.md".to_owned(), summary_md(report).into_bytes()),
        ("index.html".to_owned(), page.into_bytes()),
    ];
    if let (Some(diagram), Some(svg)) = (&report.spacetime, spacetime) {
        files.push((spacetime::SVG_FILE.to_owned(), svg.into_bytes()));
        files.push((spacetime::PNG_FILE.to_owned(), spacetime_png(diagram)?));
    }
    for (spec, svg) in report.charts.iter().zip(chart_svgs) {
        files.push((format!("{}.svg", spec.id), svg.into_bytes()));
        files.push((format!("{}.png", spec.id), chart_png(report, spec)?));
    }
    Ok(files)
}

/// Chart ids are used as file stems: ASCII letters, digits, `-`, `_` and `.`, not starting
/// with a dot (no hidden files, no `..`), and unique within the report.
fn check_chart_ids(charts: &[ChartSpec]) -> Result<(), RenderError> {
    for (index, spec) in charts.iter().enumerate() {
        let id = spec.id.as_str();
        let plain = !id.is_empty()
            && !id.starts_with('.')
            && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !plain {
            return Err(RenderError::chart_id(id, "is not a plain file name"));
        }
        if charts[..index].iter().any(|earlier| earlier.id == spec.id) {
            return Err(RenderError::chart_id(id, "is used by two charts"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_outcome::ChartKind;

    fn spec(id: &str) -> ChartSpec {
        ChartSpec {
            id: id.to_owned(),
            title: "t".to_owned(),
            y_label: "y".to_owned(),
            kind: ChartKind::Line,
            states: Vec::new(),
            reference_lines: Vec::new(),
            x_label: None,
            variant: None,
        }
    }

    #[test]
    fn chart_ids_must_be_plain_unique_file_names() {
        assert!(check_chart_ids(&[spec("latency"), spec("msgs_per-s.v2")]).is_ok());
        for bad in ["", "../x", ".hidden", "a/b", "a b", "é"] {
            assert!(check_chart_ids(&[spec(bad)]).is_err(), "{bad:?} accepted");
        }
        let err = check_chart_ids(&[spec("a"), spec("a")]).unwrap_err();
        assert!(err.to_string().contains("two charts"), "{err}");
    }
}
