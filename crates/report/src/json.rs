//! The JSON contract: `run --json` ([`run_json`]) and the report folder's `summary.json`
//! ([`summary_json`]). Scripts rely on these keys; see "Command line" in the design.

use std::collections::BTreeMap;

use faultline_engine::{Outcome, Violation};
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

/// [`run_json`] plus what a report needs: `about`, the fault windows, and per variant its
/// verdict and chart series (`{chart_id: [[x, y], ...]}`).
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
    object([
        ("about", Value::from(report.about)),
        ("faults", Value::Array(faults)),
        ("scenario", Value::from(report.scenario)),
        ("seed", Value::from(report.seed)),
        ("variants", Value::Array(variants)),
    ])
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

/// A variant's points per chart id. Several series for the same chart are concatenated in
/// their order, so no point is lost.
fn series_json(outcome: &Outcome) -> Value {
    let mut charts: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for series in &outcome.series {
        let points = series.points.iter().map(|&(x, y)| Value::Array(vec![float(x), float(y)]));
        charts.entry(&series.chart).or_default().extend(points);
    }
    Value::Object(
        charts.into_iter().map(|(id, points)| (id.to_owned(), Value::Array(points))).collect(),
    )
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
