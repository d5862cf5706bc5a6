//! `summary.md`: the report as Markdown, readable as plain text and rendered on a forge.
//!
//! Prose from the scenario and the models (`about`, verdicts, violation details) passes
//! through as written: it is authored text and may use Markdown on purpose. Names (variants,
//! metrics, invariants, nodes) go into code spans, and table cells escape `|`.

use std::fmt::{self, Write};

use faultline_outcome::Grid;

use crate::Report;
use crate::spacetime;
use crate::table::{
    self, METRIC_COLUMNS_MAX, grid_table, hash_hex, metric_cell, metric_layout, seconds,
    violation_groups,
};

/// What the runs check, and what they do not, with why.
fn checks(md: &mut String, report: &Report) -> fmt::Result {
    if !report.invariants.is_empty() {
        let names: Vec<String> = report.invariants.iter().map(|i| code(i)).collect();
        writeln!(md, "- Checks: {}", names.join(", "))?;
    }
    for not_checked in report.not_checked {
        let why = not_checked.why_text();
        writeln!(md, "- Not checked: {}: {}", code(not_checked.invariant), one_line(why))?;
    }
    Ok(())
}

/// The report folder's `summary.md`.
pub fn summary_md(report: &Report) -> String {
    let mut md = String::new();
    write_summary(&mut md, report).expect("writing to a String cannot fail");
    md
}

fn write_summary(md: &mut String, report: &Report) -> fmt::Result {
    writeln!(md, "# {}\n", one_line(report.scenario))?;
    if !report.about.trim().is_empty() {
        writeln!(md, "{}\n", report.about.trim())?;
    }
    writeln!(md, "- Seed: `{}`", report.seed)?;
    writeln!(md, "- Virtual duration: {}", seconds(report.duration_s))?;
    if report.faults.is_empty() {
        writeln!(md, "- Faults: none")?;
    } else {
        writeln!(md, "- Faults:")?;
        for fault in report.faults {
            let window = format!("{} – {}", seconds(fault.from_s), seconds(fault.until_s));
            writeln!(md, "  - {window}: {}", one_line(&fault.label))?;
        }
    }
    checks(md, report)?;

    results(md, report)?;
    violations(md, report)?;

    writeln!(md, "\n## Verdicts\n")?;
    for outcome in report.outcomes {
        writeln!(md, "- {}: {}", code(&outcome.variant), one_line(&outcome.verdict))?;
    }
    if let Some(diagram) = &report.spacetime {
        writeln!(md, "\n## The first failing run, step by step\n")?;
        writeln!(md, "{}\n", one_line(diagram.caption))?;
        writeln!(md, "![{}]({})", link_text(diagram.title), spacetime::SVG_FILE)?;
    }

    if !report.charts.is_empty() {
        writeln!(md, "\n## Charts\n")?;
        for spec in report.charts {
            writeln!(md, "![{}]({}.svg)\n", link_text(&spec.title), spec.id)?;
        }
        for table in table::parameter_tables(report.charts, report.outcomes) {
            writeln!(md, "{} ({})\n", one_line(table.title), one_line(table.unit))?;
            let mut header = vec![format!("variant ↓ · {} →", one_line(table.parameter))];
            header.extend(table.values.iter().cloned());
            row(md, &header)?;
            let mut align = vec![":--"];
            align.extend(vec!["--:"; table.values.len()]);
            row(md, &align)?;
            for (variant, cells) in &table.rows {
                let mut texts = vec![code(variant)];
                texts.extend(cells.iter().cloned());
                row(md, &texts)?;
            }
            writeln!(md)?;
        }
    }
    for grid in report.grids {
        grid_tables(md, grid)?;
    }
    // Exactly one trailing newline, whatever the last section was.
    md.truncate(md.trim_end().len());
    md.push('\n');
    Ok(())
}

/// The results table, then metrics that did not fit as columns, one column per variant.
fn results(md: &mut String, report: &Report) -> fmt::Result {
    let layout = metric_layout(report.outcomes, METRIC_COLUMNS_MAX);
    writeln!(md, "\n## Results\n")?;
    let mut header = vec!["variant".to_owned(), "trace hash".to_owned(), "events".to_owned()];
    header.extend(layout.columns.iter().map(|name| code(name)));
    header.push("violations".to_owned());
    let mut alignments = vec![":--"; 2];
    alignments.resize(header.len(), "--:");
    row(md, &header)?;
    row(md, &alignments)?;
    for outcome in report.outcomes {
        let mut cells = vec![
            code(&outcome.variant),
            code(&hash_hex(outcome.trace_hash)),
            outcome.events.to_string(),
        ];
        cells.extend(layout.columns.iter().map(|name| metric_cell(outcome, name)));
        cells.push(outcome.violations.len().to_string());
        row(md, &cells)?;
    }

    if layout.listed.is_empty() {
        return Ok(());
    }
    let title = if layout.columns.is_empty() { "Metrics" } else { "Other metrics" };
    writeln!(md, "\n### {title}\n")?;
    let mut header = vec!["metric".to_owned()];
    header.extend(report.outcomes.iter().map(|outcome| code(&outcome.variant)));
    let mut alignments = vec![":--"];
    alignments.resize(header.len(), "--:");
    row(md, &header)?;
    row(md, &alignments)?;
    for name in &layout.listed {
        let mut cells = vec![code(name)];
        cells.extend(report.outcomes.iter().map(|outcome| metric_cell(outcome, name)));
        row(md, &cells)?;
    }
    Ok(())
}

/// Per variant and invariant: how many violations, and the first one as an example.
fn violations(md: &mut String, report: &Report) -> fmt::Result {
    writeln!(md, "\n## Violations\n")?;
    if report.outcomes.iter().all(|outcome| outcome.violations.is_empty()) {
        writeln!(md, "No invariant was violated.")?;
        return Ok(());
    }
    for outcome in report.outcomes {
        for group in violation_groups(outcome) {
            let first = group.first;
            let times = match group.count {
                1 => "once, at".to_owned(),
                count => format!("{count} times, first at"),
            };
            writeln!(
                md,
                "- {} broke {} {times} {} on {}: {}",
                code(&outcome.variant),
                code(group.invariant),
                seconds(first.at.as_secs_f64()),
                code(&first.node),
                one_line(&first.detail),
            )?;
        }
    }
    let clean: Vec<String> = report
        .outcomes
        .iter()
        .filter(|outcome| outcome.violations.is_empty())
        .map(|outcome| code(&outcome.variant))
        .collect();
    if !clean.is_empty() {
        writeln!(md, "- No violations in {}.", clean.join(", "))?;
    }
    Ok(())
}

/// A grid under a heading with its title, one table per variant. Markdown has no cell
/// colours: the cell texts say how each came out ("recovered in 3 s", "stuck").
fn grid_tables(md: &mut String, grid: &Grid) -> fmt::Result {
    // The charts before end in a blank line, other sections do not: one either way.
    md.truncate(md.trim_end().len());
    writeln!(md, "\n\n## {}\n", one_line(&grid.title))?;
    if grid.variants.is_empty() {
        writeln!(md, "No variant has cells in this grid.")?;
    }
    for (index, variant) in grid.variants.iter().enumerate() {
        let gap = if index == 0 { "" } else { "\n" };
        writeln!(md, "{gap}### {}\n", code(&variant.name))?;
        let table = grid_table(grid, variant);
        let mut header = vec![one_line(&table.corner)];
        header.extend(table.columns.iter().map(|column| one_line(column)));
        row(md, &header)?;
        row(md, &vec![":--"; header.len()])?;
        for grid_row in &table.rows {
            let mut texts = vec![one_line(grid_row.header)];
            let cells = grid_row.cells.iter();
            texts.extend(cells.map(|cell| cell.map_or("—".to_owned(), |(text, _)| one_line(text))));
            row(md, &texts)?;
        }
    }
    Ok(())
}

fn row<S: AsRef<str>>(md: &mut String, cells: &[S]) -> fmt::Result {
    md.push('|');
    for cell in cells {
        write!(md, " {} |", cell.as_ref().replace('|', "\\|"))?;
    }
    writeln!(md)
}

/// A name as a code span; a name containing a backtick gets a double-backtick fence.
fn code(name: &str) -> String {
    let name = one_line(name);
    if name.contains('`') { format!("`` {name} ``") } else { format!("`{name}`") }
}

/// Text for `[...]`: brackets would end the link text early.
fn link_text(text: &str) -> String {
    one_line(text).replace('[', "\\[").replace(']', "\\]")
}

/// A line break inside a list item or table cell would end it.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_cells_cannot_break_the_markup() {
        assert_eq!(code("a`b"), "`` a`b ``");
        assert_eq!(link_text("x [y]\nz"), "x \\[y\\] z");
        let mut md = String::new();
        row(&mut md, &["a|b"]).unwrap();
        assert_eq!(md, "| a\\|b |\n");
    }
}
