//! The short table `faultline run` prints: plain aligned text, no colour, so it reads the
//! same in a terminal, a log file and a CI page.

use crate::Report;
use crate::table::{hash_hex, key_metrics, metric_cell};

/// A terminal is about 100 columns wide: room for this many metric columns besides the rest.
const TERMINAL_METRIC_COLUMNS_MAX: usize = 4;

/// Between columns.
const GAP: &str = "  ";

/// One row per variant (name, trace hash, events, a few key metrics, violations), then one
/// verdict line per variant.
pub fn terminal_table(report: &Report) -> String {
    let key = key_metrics(report.outcomes);
    let headline: Vec<&str> = report
        .headline_metrics
        .iter()
        .copied()
        .filter(|name| report.outcomes.iter().any(|o| o.metrics.contains_key(*name)))
        .collect();
    let shown = if headline.is_empty() { &key[..] } else { &headline[..] };
    let shown = &shown[..shown.len().min(TERMINAL_METRIC_COLUMNS_MAX)];

    let mut header = vec!["variant".to_owned(), "trace hash".to_owned(), "events".to_owned()];
    header.extend(shown.iter().map(|name| (*name).to_owned()));
    header.push("violations".to_owned());
    let mut rows = vec![header];
    for outcome in report.outcomes {
        let mut cells =
            vec![outcome.variant.clone(), hash_hex(outcome.trace_hash), outcome.events.to_string()];
        cells.extend(shown.iter().map(|name| metric_cell(outcome, name)));
        cells.push(outcome.violations.len().to_string());
        rows.push(cells);
    }
    // The name and the hash read left to right; numbers line up on their last digit.
    let mut text = aligned(&rows, 2);

    let hidden = key.len() - shown.len();
    if hidden > 0 {
        text.push_str(&format!("({hidden} more metrics in summary.md)\n"));
    }
    text.push('\n');
    let name_width_chars =
        report.outcomes.iter().map(|outcome| outcome.variant.chars().count()).max().unwrap_or(0);
    for outcome in report.outcomes {
        let line = format!("{:<name_width_chars$}{GAP}{}", outcome.variant, outcome.verdict);
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

/// Rows as columns padded to their widest cell: the first `left_columns` left-aligned, the
/// rest right-aligned. No trailing spaces.
fn aligned(rows: &[Vec<String>], left_columns: usize) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths_chars: Vec<usize> = (0..columns)
        .map(|column| {
            rows.iter().filter_map(|row| row.get(column)).map(|cell| cell.chars().count()).max()
        })
        .map(|width| width.unwrap_or(0))
        .collect();
    let mut text = String::new();
    for row in rows {
        let mut line = String::new();
        for (column, cell) in row.iter().enumerate() {
            if column > 0 {
                line.push_str(GAP);
            }
            let width = widths_chars[column];
            if column < left_columns {
                line.push_str(&format!("{cell:<width$}"));
            } else {
                line.push_str(&format!("{cell:>width$}"));
            }
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_left_then_right_without_trailing_spaces() {
        let rows =
            vec![vec!["name".to_owned(), "n".to_owned()], vec!["a".to_owned(), "1234".to_owned()]];
        assert_eq!(aligned(&rows, 1), "name     n\na     1234\n");
    }
}
