//! What the tables show and how their numbers read, shared by `summary.md`, `index.html` and
//! the terminal table so that the three never disagree.

use std::collections::BTreeMap;

use faultline_outcome::{CellOutcome, ChartKind, ChartSpec, Grid, GridVariant, Outcome, Violation};

/// Metrics whose names start with this are the engine's network counters: the same kind of
/// number in every scenario and rarely the point of one, so tables show them last.
const NETWORK_METRIC_PREFIX: &str = "net.";

/// More metric columns than this make a Markdown or HTML table too wide to read.
pub(crate) const METRIC_COLUMNS_MAX: usize = 8;

/// A line chart over a parameter of the scenario (contending clients, say) as a table:
/// a row per variant, a column per parameter value. Its numbers are results a reader wants
/// to quote, not only to see as a curve.
pub(crate) struct ParameterTable<'a> {
    pub(crate) title: &'a str,
    /// What the cells are, with their unit: the chart's y label.
    pub(crate) unit: &'a str,
    /// The parameter, e.g. "contending clients", and then each of its values.
    pub(crate) parameter: &'a str,
    pub(crate) values: Vec<String>,
    /// (variant, a cell per value: `—` where the variant has no point there).
    pub(crate) rows: Vec<(&'a str, Vec<String>)>,
}

/// The parameter tables of `charts`: every line chart whose x is not time.
pub(crate) fn parameter_tables<'a>(
    charts: &'a [ChartSpec],
    outcomes: &'a [Outcome],
) -> Vec<ParameterTable<'a>> {
    charts
        .iter()
        .filter(|spec| spec.kind == ChartKind::Line)
        .filter_map(|spec| {
            let parameter = spec.x_label.as_deref()?;
            let points = |o: &'a Outcome| {
                o.series.iter().filter(|s| s.chart == spec.id).flat_map(|s| s.points.iter())
            };
            let mut xs: Vec<f64> = outcomes.iter().flat_map(points).map(|&(x, _)| x).collect();
            xs.sort_by(f64::total_cmp);
            xs.dedup();
            let rows = outcomes
                .iter()
                .map(|o| {
                    let cell = |x: f64| {
                        points(o)
                            .find(|&&(px, _)| px == x)
                            .map_or("—".to_owned(), |&(_, y)| number(y))
                    };
                    (o.variant.as_str(), xs.iter().map(|&x| cell(x)).collect())
                })
                .collect();
            let values = xs.iter().map(|&x| number(x)).collect();
            Some(ParameterTable {
                title: &spec.title,
                unit: &spec.y_label,
                parameter,
                values,
                rows,
            })
        })
        .filter(|table| !table.values.is_empty())
        .collect()
}

/// Which metrics a table shows as columns, and which go to a separate per-variant list.
#[derive(Debug, PartialEq)]
pub(crate) struct MetricLayout<'a> {
    pub(crate) columns: Vec<&'a str>,
    pub(crate) listed: Vec<&'a str>,
}

/// Every metric name of any variant, sorted (a variant may lack a metric another has).
pub(crate) fn metric_names(outcomes: &[Outcome]) -> Vec<&str> {
    let mut names: Vec<&str> =
        outcomes.iter().flat_map(|o| o.metrics.keys().map(String::as_str)).collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// The scenario's own metrics, sorted: every name outside the network counters.
pub(crate) fn key_metrics(outcomes: &[Outcome]) -> Vec<&str> {
    let mut names = metric_names(outcomes);
    names.retain(|name| !name.starts_with(NETWORK_METRIC_PREFIX));
    names
}

/// The key metrics as columns when at most `columns_max` of them, the rest listed; with more
/// key metrics than that, no metric columns at all and every metric listed, rather than an
/// arbitrary cut.
pub(crate) fn metric_layout(outcomes: &[Outcome], columns_max: usize) -> MetricLayout<'_> {
    let key = key_metrics(outcomes);
    let all = metric_names(outcomes);
    if key.len() <= columns_max {
        let listed = all.into_iter().filter(|name| !key.contains(name)).collect();
        MetricLayout { columns: key, listed }
    } else {
        MetricLayout { columns: Vec::new(), listed: all }
    }
}

/// A metric of one variant as a table cell; `—` when the variant does not have it.
pub(crate) fn metric_cell(outcome: &Outcome, name: &str) -> String {
    outcome.metrics.get(name).map_or_else(|| "—".to_owned(), |&value| number(value))
}

/// A number for people: integers without a fraction, others with a few significant decimals,
/// very large or small magnitudes in scientific notation; NaN as `n/a`.
pub fn number(value: f64) -> String {
    if value.is_nan() {
        return "n/a".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    let magnitude = value.abs();
    if magnitude == 0.0 {
        // Also folds -0.0 into 0.
        return "0".to_owned();
    }
    if !(1e-3..1e15).contains(&magnitude) {
        return format!("{value:.3e}");
    }
    if value.fract() == 0.0 {
        // Exact: below 1e15 every integral f64 fits an i64.
        return format!("{}", value as i64);
    }
    let fixed = if magnitude >= 1.0 { format!("{value:.3}") } else { format!("{value:.6}") };
    fixed.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Seconds of virtual time for people: `12.5 s`.
pub(crate) fn seconds(at_s: f64) -> String {
    format!("{} s", number(at_s))
}

/// A trace hash as the JSON contract spells it: 16 lowercase hex digits.
pub(crate) fn hash_hex(hash: u64) -> String {
    format!("{hash:016x}")
}

/// One variant's table of a [`Grid`], as the Markdown and HTML tables lay it out.
///
/// As many rows and columns as the grid names or the variant has cells for, whichever is
/// more: a mismatch shows as blank headers or empty cells, never as cells silently dropped.
pub(crate) struct GridTable<'a> {
    /// The top left cell: which parameter runs down and which across.
    pub(crate) corner: String,
    pub(crate) columns: Vec<&'a str>,
    pub(crate) rows: Vec<GridRow<'a>>,
}

pub(crate) struct GridRow<'a> {
    pub(crate) header: &'a str,
    /// A text and how it came out; `None` where the variant has no cell.
    pub(crate) cells: Vec<Option<&'a (String, CellOutcome)>>,
}

pub(crate) fn grid_table<'a>(grid: &'a Grid, variant: &'a GridVariant) -> GridTable<'a> {
    let header = |names: &'a [String], index: usize| names.get(index).map_or("", String::as_str);
    let row_count = grid.rows.len().max(variant.cells.len());
    let column_count = variant.cells.iter().map(Vec::len).fold(grid.columns.len(), usize::max);
    let rows = (0..row_count)
        .map(|row| {
            let cells = variant.cells.get(row).map_or(&[][..], Vec::as_slice);
            GridRow {
                header: header(&grid.rows, row),
                cells: (0..column_count).map(|column| cells.get(column)).collect(),
            }
        })
        .collect();
    GridTable {
        corner: format!("{} ↓ · {} →", grid.row_label, grid.column_label),
        columns: (0..column_count).map(|column| header(&grid.columns, column)).collect(),
        rows,
    }
}

/// One invariant's violations in one variant: how many, and the first as an example.
pub(crate) struct ViolationGroup<'a> {
    pub(crate) invariant: &'a str,
    pub(crate) count: usize,
    pub(crate) first: &'a Violation,
}

/// A variant's violations grouped by invariant, in invariant name order.
pub(crate) fn violation_groups(outcome: &Outcome) -> Vec<ViolationGroup<'_>> {
    let mut groups: BTreeMap<&str, ViolationGroup<'_>> = BTreeMap::new();
    for violation in &outcome.violations {
        groups.entry(&violation.invariant).and_modify(|group| group.count += 1).or_insert(
            ViolationGroup { invariant: &violation.invariant, count: 1, first: violation },
        );
    }
    groups.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(metrics: &[&str]) -> Outcome {
        Outcome {
            variant: "v".to_owned(),
            trace_hash: 0,
            events: 0,
            sim_time: faultline_engine::SimTime::ZERO,
            metrics: metrics.iter().map(|name| ((*name).to_owned(), 1.0)).collect(),
            violations: Vec::new(),
            series: Vec::new(),
            verdict: String::new(),
            trace: None,
        }
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(number(3.0), "3");
        assert_eq!(number(-0.0), "0");
        assert_eq!(number(1234.5678), "1234.568");
        assert_eq!(number(0.5), "0.5");
        assert_eq!(number(0.00123), "0.00123");
        assert_eq!(number(0.0000123), "1.230e-5");
        assert_eq!(number(1e20), "1.000e20");
        assert_eq!(number(f64::NAN), "n/a");
        assert_eq!(number(f64::NEG_INFINITY), "-inf");
        assert_eq!(hash_hex(0xab), "00000000000000ab");
    }

    #[test]
    fn a_grid_table_keeps_cells_its_headers_do_not_name() {
        let grid = Grid {
            id: "g".to_owned(),
            title: "t".to_owned(),
            row_label: "load (requests/s)".to_owned(),
            column_label: "trigger (s)".to_owned(),
            rows: vec!["10".to_owned(), "20".to_owned()],
            columns: vec!["1".to_owned()],
            variants: Vec::new(),
        };
        let cell = |text: &str| (text.to_owned(), CellOutcome::Ok);
        let variant = GridVariant { name: "v".to_owned(), cells: vec![vec![cell("a"), cell("b")]] };
        let table = grid_table(&grid, &variant);
        assert_eq!(table.corner, "load (requests/s) ↓ · trigger (s) →");
        assert_eq!(table.columns, ["1", ""]);
        let texts: Vec<(&str, Vec<Option<&str>>)> = table
            .rows
            .iter()
            .map(|row| {
                let texts = row.cells.iter().map(|cell| cell.map(|(text, _)| text.as_str()));
                (row.header, texts.collect())
            })
            .collect();
        assert_eq!(texts, [("10", vec![Some("a"), Some("b")]), ("20", vec![None, None])]);
    }

    #[test]
    fn network_counters_go_last_and_too_many_key_metrics_are_all_listed() {
        let few = [outcome(&["net.sent", "b", "a"])];
        let layout = metric_layout(&few, 8);
        assert_eq!(layout, MetricLayout { columns: vec!["a", "b"], listed: vec!["net.sent"] });

        let many = [outcome(&["a", "b", "c", "net.sent"])];
        let layout = metric_layout(&many, 2);
        assert_eq!(layout.columns, Vec::<&str>::new());
        assert_eq!(layout.listed, vec!["a", "b", "c", "net.sent"]);
    }
}
