//! The JSON contract: `run --json` ([`run_json`]) and the report folder's `summary.json`
//! ([`summary_json`]). Scripts rely on these keys; see "Command line" in the design.

use std::collections::BTreeMap;

use faultline_outcome::{CellOutcome, Grid, Outcome, Series, Violation};
use serde_json::{Map, Value};

use crate::Report;
use crate::table::hash_hex;

/// The object `faultline run --json` prints: scenario, seed, and per variant its trace hash,
/// event count, virtual time, metrics and violations.
pub fn run_json(report: &Report) -> Value {
    let variants = report.outcomes.iter().map(|outcome| object(variant_entries(outcome))).collect();
    object([
        ("scenario", Value::from(report.scenario)),
        ("seed", Value::from(report.seed)),
        ("variants", Value::Array(variants)),
    ])
}

/// [`run_json`] plus what a report needs: `about`, the fault windows, per variant its
/// verdict and chart series (`{chart_id: [[x, y], ...]}`, or `{chart_id: {label: [[x, y],
/// ...]}}` for labelled series), and the outcome grids (the key only when there are any,
/// so that reports without grids read as they always did).
pub fn summary_json(report: &Report) -> Value {
    let faults = report
        .faults
        .iter()
        .map(|fault| {
            object([
                ("from_s", float(fault.from_s)),
                ("until_s", float(fault.until_s)),
                ("label", Value::from(fault.label.as_str())),
            ])
        })
        .collect();
    let variants = report
        .outcomes
        .iter()
        .map(|outcome| {
            let mut entries = variant_entries(outcome);
            entries.push(("verdict", Value::from(outcome.verdict.as_str())));
            entries.push(("series", series_json(outcome)));
            object(entries)
        })
        .collect();
    let mut entries = vec![
        ("about", Value::from(report.about)),
        ("faults", Value::Array(faults)),
        ("scenario", Value::from(report.scenario)),
        ("seed", Value::from(report.seed)),
        ("variants", Value::Array(variants)),
    ];
    if !report.grids.is_empty() {
        entries.push(("grids", Value::Array(report.grids.iter().map(grid_json).collect())));
    }
    object(entries)
}

/// A grid as given: rows, columns and each variant's `cells[row][column]`, unchecked, so
/// that a grid whose cells do not match its headers is shown as it is rather than cut.
fn grid_json(grid: &Grid) -> Value {
    let strings = |texts: &[String]| texts.iter().map(|text| Value::from(text.as_str())).collect();
    let variants = grid
        .variants
        .iter()
        .map(|variant| {
            let cells = variant
                .cells
                .iter()
                .map(|row| {
                    let row = row.iter().map(|(text, outcome)| {
                        object([
                            ("text", Value::from(text.as_str())),
                            ("outcome", Value::from(outcome_name(*outcome))),
                        ])
                    });
                    Value::Array(row.collect())
                })
                .collect();
            object([("name", Value::from(variant.name.as_str())), ("cells", Value::Array(cells))])
        })
        .collect();
    object([
        ("id", Value::from(grid.id.as_str())),
        ("title", Value::from(grid.title.as_str())),
        ("row_label", Value::from(grid.row_label.as_str())),
        ("column_label", Value::from(grid.column_label.as_str())),
        ("rows", Value::Array(strings(&grid.rows))),
        ("columns", Value::Array(strings(&grid.columns))),
        ("variants", Value::Array(variants)),
    ])
}

/// A cell's outcome as `summary.json` spells it.
pub(crate) fn outcome_name(outcome: CellOutcome) -> &'static str {
    match outcome {
        CellOutcome::Ok => "ok",
        CellOutcome::Indeterminate => "indeterminate",
        CellOutcome::Failed => "failed",
        CellOutcome::Neutral => "neutral",
    }
}

/// The keys `run --json` and `summary.json` share for one variant.
fn variant_entries(outcome: &Outcome) -> Vec<(&'static str, Value)> {
    // A BTreeMap iterates in key order, so the metrics object is sorted as it is built.
    let metrics: Map<String, Value> =
        outcome.metrics.iter().map(|(name, &value)| (name.clone(), float(value))).collect();
    let violations = outcome.violations.iter().map(violation_json).collect();
    vec![
        ("name", Value::from(outcome.variant.as_str())),
        ("trace_hash", Value::from(hash_hex(outcome.trace_hash))),
        ("events", Value::from(outcome.events)),
        ("sim_time_s", float(outcome.sim_time.as_secs_f64())),
        ("metrics", Value::Object(metrics)),
        ("violations", Value::Array(violations)),
    ]
}

fn violation_json(violation: &Violation) -> Value {
    object([
        ("invariant", Value::from(violation.invariant.as_str())),
        ("at_s", float(violation.at.as_secs_f64())),
        ("node", Value::from(violation.node.as_str())),
        ("detail", Value::from(violation.detail.as_str())),
    ])
}

/// A variant's points per chart id: an array of `[x, y]` for a chart with only unlabelled
/// series, an object of such arrays by label for one with labelled series. Several series
/// under one key are concatenated in their order, so no point is lost.
///
/// Label keys are sorted like every other key (see [`object`]), not in the series' order;
/// an unlabelled series on a chart that also has labelled ones goes under the key `""`.
fn series_json(outcome: &Outcome) -> Value {
    /// One chart's points by label (`""` when unlabelled), and whether any series had one.
    #[derive(Default)]
    struct ChartPoints<'a> {
        labelled: bool,
        by_label: BTreeMap<&'a str, Vec<Value>>,
    }
    let mut charts: BTreeMap<&str, ChartPoints> = BTreeMap::new();
    for Series { chart, label, points } in &outcome.series {
        let entry = charts.entry(chart).or_default();
        entry.labelled |= label.is_some();
        let points = points.iter().map(|&(x, y)| Value::Array(vec![float(x), float(y)]));
        entry.by_label.entry(label.as_deref().unwrap_or("")).or_default().extend(points);
    }
    let charts = charts.into_iter().map(|(id, chart)| {
        let value = if chart.labelled {
            // The BTreeMap yields the labels sorted: inserted in key order.
            let by_label = chart.by_label.into_iter();
            Value::Object(
                by_label.map(|(label, points)| (label.to_owned(), Value::Array(points))).collect(),
            )
        } else {
            Value::Array(chart.by_label.into_values().flatten().collect())
        };
        (id.to_owned(), value)
    });
    Value::Object(charts.collect())
}

/// A float as JSON: NaN and infinities have no JSON spelling, so they become `null`.
pub(crate) fn float(value: f64) -> Value {
    serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number)
}

/// An object with its keys inserted in sorted order. serde_json keeps either sorted keys or,
/// with its `preserve_order` feature (which any crate of a build can switch on), insertion
/// order; inserting sorted makes the bytes the same either way.
pub(crate) fn object(entries: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
    let mut entries: Vec<(&str, Value)> = entries.into_iter().collect();
    entries.sort_by_key(|(key, _)| *key);
    Value::Object(entries.into_iter().map(|(key, value)| (key.to_owned(), value)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_floats_become_null() {
        assert_eq!(float(f64::NAN), Value::Null);
        assert_eq!(float(f64::INFINITY), Value::Null);
        assert_eq!(float(1.5), Value::from(1.5));
    }

    #[test]
    fn object_keys_are_sorted_whatever_the_argument_order() {
        let value = object([("b", Value::Null), ("a", Value::Null)]);
        assert_eq!(value.to_string(), r#"{"a":null,"b":null}"#);
    }
}
