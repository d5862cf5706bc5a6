//! The short table `faultline run` prints: plain aligned text, no colour, so it reads the
//! same in a terminal, a log file and a CI page, and narrow enough for a terminal
//! ([`TERMINAL_WIDTH_CHARS`]): long metric names wrap over several header lines, verdicts
//! wrap under themselves.

use crate::Report;
use crate::table::{hash_hex, key_metrics, number, parameter_tables};

/// The width the table keeps within, trace columns aside: a terminal or a CI log pane.
pub const TERMINAL_WIDTH_CHARS: usize = 120;

/// A metric's header wraps (after a `.`, `_` or `-`) to lines of at most this many characters, so
/// that `login.success_rate_in_faults` costs a column of 14 characters, not 28.
const HEADER_LINE_CHARS_MAX: usize = 15;

/// A verdict wraps to no fewer characters per line than this, however long the names.
const VERDICT_LINE_CHARS_MIN: usize = 40;

/// Between columns.
const GAP: &str = "  ";

/// A metric the variant does not report: it does not apply there (not `0`, not `n/a`).
const ABSENT: &str = "—";

/// Whether the table shows each run's trace hash and event count (`run --verbose`): what
/// tells two runs apart, rather than what they found.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TraceColumns {
    Hidden,
    Shown,
}

/// One column: its header, over lines aligned at the bottom, and a cell per variant.
pub(crate) struct Column {
    pub(crate) header: Vec<String>,
    pub(crate) cells: Vec<String>,
    /// Names read left to right; numbers line up on their last digit.
    pub(crate) left: bool,
}

impl Column {
    /// A column of names, read left to right, under a one-line header.
    pub(crate) fn names(header: &str, cells: Vec<String>) -> Column {
        Column { header: vec![header.to_owned()], cells, left: true }
    }

    /// A column of numbers, lined up on their last digit, under a metric's or invariant's
    /// name wrapped to [`HEADER_LINE_CHARS_MAX`].
    pub(crate) fn numbers(name: &str, cells: Vec<String>) -> Column {
        Column { header: wrapped_name(name, HEADER_LINE_CHARS_MAX), cells, left: false }
    }

    fn width_chars(&self) -> usize {
        self.header.iter().chain(&self.cells).map(|text| text.chars().count()).max().unwrap_or(0)
    }
}

/// One row per variant (its name, the headline metrics, its violations; with
/// [`TraceColumns::Shown`] also its trace hash and event count), then one verdict per
/// variant. Metric columns are added in the model's order while the table stays within
/// [`TERMINAL_WIDTH_CHARS`]; a line says how many more `summary.md` has.
pub fn terminal_table(report: &Report, trace: TraceColumns) -> String {
    let outcomes = report.outcomes;
    let key = key_metrics(outcomes);
    let headline: Vec<&str> = report
        .headline_metrics
        .iter()
        .copied()
        .filter(|name| outcomes.iter().any(|o| o.metrics.contains_key(*name)))
        .collect();
    let candidates = if headline.is_empty() { &key[..] } else { &headline[..] };

    let mut columns =
        vec![Column::names("variant", outcomes.iter().map(|o| o.variant.clone()).collect())];
    if trace == TraceColumns::Shown {
        let hashes = outcomes.iter().map(|o| hash_hex(o.trace_hash)).collect();
        columns.push(Column::names("trace hash", hashes));
        let events = outcomes.iter().map(|o| o.events.to_string()).collect();
        columns.push(Column::numbers("events", events));
    }
    let violations = Column::numbers(
        "violations",
        outcomes.iter().map(|o| o.violations.len().to_string()).collect(),
    );
    let width = |columns: &[Column]| -> usize {
        let cells: usize = columns.iter().map(Column::width_chars).sum();
        cells + GAP.len() * columns.len().saturating_sub(1)
    };
    // The trace columns may take the table past the limit; metrics are what it is kept for.
    let budget_chars =
        TERMINAL_WIDTH_CHARS.max(width(&columns) + GAP.len() * 2 + violations.width_chars());
    let mut shown = 0;
    for name in candidates {
        let cells = outcomes
            .iter()
            .map(|o| o.metrics.get(*name).map_or_else(|| ABSENT.to_owned(), |&v| number(v)))
            .collect();
        let column = Column::numbers(name, cells);
        let after =
            width(&columns) + GAP.len() * 2 + column.width_chars() + violations.width_chars();
        if after > budget_chars {
            break;
        }
        columns.push(column);
        shown += 1;
    }
    columns.push(violations);
    let mut text = aligned(&columns);

    let hidden = key.len().saturating_sub(shown);
    if hidden > 0 {
        text.push_str(&format!("({hidden} more metrics in summary.md)\n"));
    }
    text.push('\n');
    let name_width_chars =
        outcomes.iter().map(|outcome| outcome.variant.chars().count()).max().unwrap_or(0);
    let verdict_chars = TERMINAL_WIDTH_CHARS
        .saturating_sub(name_width_chars + GAP.len())
        .max(VERDICT_LINE_CHARS_MIN);
    for outcome in outcomes {
        for (index, line) in wrapped_words(&outcome.verdict, verdict_chars).iter().enumerate() {
            let name = if index == 0 { outcome.variant.as_str() } else { "" };
            let line = format!("{name:<name_width_chars$}{GAP}{line}");
            text.push_str(line.trim_end());
            text.push('\n');
        }
        if outcome.verdict.is_empty() {
            text.push_str(&outcome.variant);
            text.push('\n');
        }
    }
    for table in parameter_tables(report.charts, outcomes) {
        text.push('\n');
        let title = format!("{} ({})", table.title, table.unit);
        for line in wrapped_words(&title, TERMINAL_WIDTH_CHARS) {
            text.push_str(&line);
            text.push('\n');
        }
        let variants = table.rows.iter().map(|(v, _)| v.to_string()).collect();
        let mut columns = vec![Column::names(table.parameter, variants)];
        for (i, value) in table.values.iter().enumerate() {
            let cells = table.rows.iter().map(|(_, cells)| cells[i].clone()).collect();
            columns.push(Column::numbers(value, cells));
        }
        text.push_str(&aligned(&columns));
    }
    text
}

/// A metric or invariant name over lines of at most `line_chars`, broken after a `.`, `_` or
/// `-`; a part longer than that keeps its own line.
fn wrapped_name(name: &str, line_chars: usize) -> Vec<String> {
    let mut parts = Vec::new();
    let mut part = String::new();
    for c in name.chars() {
        part.push(c);
        if matches!(c, '.' | '_' | '-') {
            parts.push(std::mem::take(&mut part));
        }
    }
    if !part.is_empty() {
        parts.push(part);
    }
    pack(parts, line_chars, "")
}

/// Text over lines of at most `line_chars`, broken between words; a longer word keeps its
/// own line.
fn wrapped_words(text: &str, line_chars: usize) -> Vec<String> {
    pack(text.split_whitespace().map(str::to_owned).collect(), line_chars, " ")
}

/// Parts joined by `separator` into lines of at most `line_chars`, greedily.
fn pack(parts: Vec<String>, line_chars: usize, separator: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for part in parts {
        match lines.last_mut() {
            Some(line)
                if line.chars().count() + separator.len() + part.chars().count() <= line_chars =>
            {
                line.push_str(separator);
                line.push_str(&part);
            }
            _ => lines.push(part),
        }
    }
    lines
}

/// Columns padded to their widest cell, headers aligned at the bottom. No trailing spaces.
pub(crate) fn aligned(columns: &[Column]) -> String {
    let widths_chars: Vec<usize> = columns.iter().map(Column::width_chars).collect();
    let header_lines = columns.iter().map(|c| c.header.len()).max().unwrap_or(0);
    let rows = columns.iter().map(|c| c.cells.len()).max().unwrap_or(0);
    let mut text = String::new();
    let mut push_line = |cell: &dyn Fn(&Column) -> String| {
        let mut line = String::new();
        for (index, (column, &width)) in columns.iter().zip(&widths_chars).enumerate() {
            if index > 0 {
                line.push_str(GAP);
            }
            let cell = cell(column);
            if column.left {
                line.push_str(&format!("{cell:<width$}"));
            } else {
                line.push_str(&format!("{cell:>width$}"));
            }
        }
        text.push_str(line.trim_end());
        text.push('\n');
    };
    for line in 0..header_lines {
        push_line(&|column: &Column| {
            let blank_lines = header_lines - column.header.len();
            line.checked_sub(blank_lines).map_or_else(String::new, |i| column.header[i].clone())
        });
    }
    for row in 0..rows {
        push_line(&|column: &Column| column.cells.get(row).cloned().unwrap_or_default());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_left_then_right_with_headers_at_the_bottom() {
        let columns = [
            Column { header: vec!["name".into()], cells: vec!["a".into()], left: true },
            Column {
                header: vec!["lo".into(), "ng".into()],
                cells: vec!["1234".into()],
                left: false,
            },
        ];
        assert_eq!(aligned(&columns), "        lo\nname    ng\na     1234\n");
    }

    #[test]
    fn names_wrap_after_dots_and_underscores() {
        assert_eq!(
            wrapped_name("login.success_rate_in_faults", 15),
            ["login.success_", "rate_in_faults"]
        );
        assert_eq!(wrapped_name("recovery_s", 14), ["recovery_s"]);
        assert_eq!(wrapped_name("downstream.amplification", 14), ["downstream.", "amplification"]);
        assert_eq!(wrapped_words("a bb ccc", 4), ["a bb", "ccc"]);
    }
}
