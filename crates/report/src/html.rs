//! `index.html`: the whole report in one self-contained page (inline CSS, SVG and a little
//! plain JavaScript, nothing fetched), so it can be mailed, archived, projected or opened
//! offline from `file://`.
//!
//! It reads top to bottom as a lesson (verdicts, the failing run step by step, the charts,
//! the numbers), with a contents list at the top and a bar of section links that stays in
//! view while scrolling. Wide tables scroll inside their own box, their first column fixed,
//! so the page never scrolls sideways.

use std::fmt::{self, Write};

use faultline_outcome::{CellOutcome, ChartSpec, Grid, Violation};

use crate::Report;
use crate::chart::{
    CHART_WIDTH_PX, OUTCOME_FAILED, OUTCOME_INDETERMINATE, OUTCOME_OK, PageChart, Rgb, page_chart,
    variant_color,
};
use crate::error::RenderError;
use crate::json::outcome_name;
use crate::spacetime::spacetime_page_svg;
use crate::table::{
    METRIC_COLUMNS_MAX, ViolationGroup, grid_table, hash_hex, metric_cell, metric_layout, seconds,
    violation_groups,
};

/// Violations listed behind a variant's "all violations" toggle; the rest are counted
/// (summary.json has them all).
const VIOLATIONS_LISTED_MAX: usize = 200;

/// How much of its outcome colour a grid cell's background takes, the rest white: the
/// full colours (a saturated pink, say) are too dark to read text on.
const GRID_TINT_PERCENT: u32 = 35;
const _: () = assert!(GRID_TINT_PERCENT <= 100, "a tint is a share of the colour");

const STYLE: &str = "
html { scroll-padding-top: 3rem; }
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; color: #222;
       max-width: 1040px; margin: 0 auto 2rem; padding: 0 1rem; line-height: 1.45; }
h1 { margin: 1.2rem 0 0.2rem; }
h2 { margin-top: 2rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; }
.meta { color: #555; }
nav.bar { position: sticky; top: 0; z-index: 10; background: #fff; border-bottom: 1px solid #ddd;
          padding: 0.45rem 0; overflow-x: auto; white-space: nowrap; }
nav.bar a { margin-right: 1.1rem; }
nav.contents ol { margin: 0.2rem 0; padding-left: 1.4rem; }
nav.contents li { margin: 0.1rem 0; }
a { color: #0b57a4; }
.scroll { overflow-x: auto; max-width: 100%; margin: 0.5rem 0; }
table { border-collapse: collapse; }
th, td { padding: 0.25rem 0.7rem; border-bottom: 1px solid #e5e5e5; text-align: right; }
th { background: #f4f4f4; }
th:first-child, td:first-child, td.text { text-align: left; }
.scroll th:first-child, .scroll td:first-child { position: sticky; left: 0; z-index: 1;
          background: #fff; box-shadow: 1px 0 0 #e5e5e5; }
.scroll th:first-child { background: #f4f4f4; }
td.text { min-width: 8rem; max-width: 40rem; }
code { font-family: ui-monospace, 'SFMono-Regular', Menlo, monospace; font-size: 0.92em; }
.swatch { display: inline-block; width: 0.8em; height: 0.8em; border-radius: 2px;
          margin-right: 0.4em; vertical-align: baseline; }
.bad { color: #b00020; font-weight: 600; }
.links { font-size: 0.9em; white-space: nowrap; }
figure { margin: 1rem 0; overflow-x: auto; }
figure svg { display: block; box-sizing: border-box; width: 100%; min-width: 640px; height: auto;
  border: 1px solid #eee; }
figure.chart { position: relative; }
ul.legend { list-style: none; margin: 0.3rem 0; padding: 0; display: flex; flex-wrap: wrap;
            gap: 0.1rem 0.4rem; font-size: 0.85rem; }
ul.legend button { font: inherit; color: inherit; background: none; border: 1px solid transparent;
                   border-radius: 3px; padding: 0.1rem 0.3rem; cursor: pointer; text-align: left; }
ul.legend button:hover { border-color: #ccc; }
ul.legend button[aria-pressed=false] { opacity: 0.4; text-decoration: line-through; }
ul.legend .sample { display: inline-block; width: 1.4em; margin-right: 0.4em;
                    vertical-align: middle; }
[data-variant].off, [data-variants].off { display: none; }
#spacetime path.step:hover { stroke: rgba(0, 0, 0, 0.08); }
#spacetime path.step.current { stroke: rgba(255, 176, 0, 0.45); }
/* The diagram scrolls sideways in its own box, so that the step buttons can stay in view at
   the bottom of the window while the reader steps down a tall diagram. */
#spacetime { overflow: visible; }
#spacetime .picture { overflow-x: auto; }
.stepper { position: sticky; bottom: 0; padding: 0.4rem 0; background: #fff;
           border-top: 1px solid #eee; }
.stepper button { font: inherit; padding: 0.2rem 0.6rem; cursor: pointer; }
.step-text { margin: 0.3rem 0; min-height: 2.8em; }
@media (min-width: 760px) {
  ul.legend { position: absolute; top: 2.6rem; left: var(--legend-left); right: 0.3rem;
              display: block; }
  ul.legend li { margin: 0.1rem 0; }
}
details { margin: 0.5rem 0; }
summary { cursor: pointer; color: #0b57a4; }
footer { margin-top: 2rem; color: #777; font-size: 0.9em; }
";

/// Hides, shows and isolates variants across every chart. Progressive: without it the page
/// reads the same, with every variant shown.
const SCRIPT: &str = "
(() => {
  const hidden = new Set();
  const apply = () => {
    for (const el of document.querySelectorAll('[data-variant]')) {
      el.classList.toggle('off', hidden.has(el.dataset.variant));
    }
    // A label shared by several variants (dots that coincide) goes with the last of them.
    for (const el of document.querySelectorAll('[data-variants]')) {
      el.classList.toggle('off', JSON.parse(el.dataset.variants).every((v) => hidden.has(v)));
    }
    for (const button of document.querySelectorAll('[data-toggle-variant]')) {
      button.setAttribute('aria-pressed', String(!hidden.has(button.dataset.toggleVariant)));
    }
  };
  const all = () => [...new Set([...document.querySelectorAll('[data-toggle-variant]')]
    .map((button) => button.dataset.toggleVariant))];
  document.addEventListener('click', (event) => {
    // A link to a hidden variant's chart or violations shows that variant again.
    const link = event.target.closest('a[href^=\"#\"]');
    const target = link && document.getElementById(decodeURIComponent(link.hash.slice(1)));
    const owner = target && target.closest('[data-variant].off');
    if (owner) {
      hidden.delete(owner.dataset.variant);
      apply();
    }
    const button = event.target.closest('[data-toggle-variant]');
    if (!button) return;
    const variant = button.dataset.toggleVariant;
    if (hidden.has(variant)) hidden.delete(variant); else hidden.add(variant);
    apply();
  });
  const stepper = document.querySelector('#spacetime .stepper');
  const steps = [...document.querySelectorAll('#spacetime path.step')];
  if (stepper && steps.length) {
    let current = -1;
    const text = stepper.querySelector('.step-text');
    const previous = stepper.querySelector('[data-step-previous]');
    const next = stepper.querySelector('[data-step-next]');
    const show = (index) => {
      current = index;
      steps.forEach((step, k) => step.classList.toggle('current', k === index));
      const said = steps[index].querySelector('title').textContent;
      text.textContent = `Message ${index + 1} of ${steps.length}: ${said}`;
      previous.disabled = index <= 0;
      next.disabled = index >= steps.length - 1;
      // Keep the message in view above the buttons as the steps go down the diagram.
      const box = steps[index].getBoundingClientRect();
      if (box.top < 40 || box.bottom > stepper.getBoundingClientRect().top) {
        steps[index].scrollIntoView({block: 'center'});
      }
    };
    previous.disabled = true;
    previous.addEventListener('click', () => show(Math.max(current - 1, 0)));
    next.addEventListener('click', () => show(Math.min(current + 1, steps.length - 1)));
    stepper.hidden = false;
  }
  document.addEventListener('dblclick', (event) => {
    const button = event.target.closest('[data-toggle-variant]');
    if (!button) return;
    const variant = button.dataset.toggleVariant;
    const alone = all().every((v) => (v === variant) !== hidden.has(v));
    hidden.clear();
    if (!alone) for (const v of all()) if (v !== variant) hidden.add(v);
    apply();
  });
})();
";

/// The report as one HTML page, every chart (and the spacetime diagram) rendered and inlined.
pub fn index_html(report: &Report) -> Result<String, RenderError> {
    let charts =
        report.charts.iter().map(|spec| page_chart(report, spec)).collect::<Result<Vec<_>, _>>()?;
    let spacetime = report.spacetime.as_ref().map(spacetime_page_svg).transpose()?;
    Ok(page(report, &charts, spacetime.as_deref()))
}

/// The page around already rendered pictures: one [`PageChart`] per [`Report::charts`]
/// entry, and the spacetime diagram's SVG when the report has one.
pub(crate) fn page(report: &Report, charts: &[PageChart], spacetime_svg: Option<&str>) -> String {
    assert_eq!(charts.len(), report.charts.len(), "one picture per chart");
    assert_eq!(spacetime_svg.is_some(), report.spacetime.is_some(), "a spacetime SVG if asked");
    let mut html = String::new();
    write_page(&mut html, report, charts, spacetime_svg).expect("writing to a String cannot fail");
    html
}

fn write_page(
    html: &mut String,
    report: &Report,
    charts: &[PageChart],
    spacetime_svg: Option<&str>,
) -> fmt::Result {
    let scenario = escape(report.scenario);
    writeln!(html, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">")?;
    writeln!(html, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")?;
    writeln!(html, "<title>faultline: {scenario}</title>\n<style>{STYLE}</style>\n</head>")?;
    writeln!(html, "<body>")?;
    let sections = sections(report);
    nav_bar(html, &sections)?;
    writeln!(html, "<h1>{scenario}</h1>")?;
    if !report.about.trim().is_empty() {
        writeln!(html, "<p>{}</p>", escape(report.about.trim()))?;
    }
    writeln!(
        html,
        "<p class=\"meta\">seed <code>{}</code> · {} of virtual time</p>",
        report.seed,
        seconds(report.duration_s)
    )?;
    if report.faults.is_empty() {
        writeln!(html, "<p class=\"meta\">No faults.</p>")?;
    } else {
        writeln!(html, "<p class=\"meta\">Faults (shaded in the charts):</p>\n<ul>")?;
        for fault in report.faults {
            writeln!(
                html,
                "<li>{} – {}: {}</li>",
                seconds(fault.from_s),
                seconds(fault.until_s),
                escape(&fault.label)
            )?;
        }
        writeln!(html, "</ul>")?;
    }
    checks(html, report)?;
    trace_links(html, report)?;
    contents(html, report, &sections)?;

    writeln!(html, "<h2 id=\"verdicts\">Verdicts</h2>\n<ul>")?;
    for (index, outcome) in report.outcomes.iter().enumerate() {
        writeln!(
            html,
            "<li>{}: {} {}</li>",
            variant(index, &outcome.variant),
            escape(&outcome.verdict),
            verdict_links(report, index)
        )?;
    }
    writeln!(html, "</ul>")?;

    // The story first (verdicts, one failing run told step by step, then the charts that
    // show the whole run), the numbers after.
    if let (Some(diagram), Some(svg)) = (&report.spacetime, spacetime_svg) {
        writeln!(html, "<h2 id=\"story\">The first failing run, step by step</h2>")?;
        // The caption is also drawn in the picture; as text it can be read aloud, searched
        // and copied.
        writeln!(
            html,
            "<figure id=\"spacetime\">\n<figcaption>{}</figcaption>\n<div class=\"picture\">\n{}\n\
             </div>",
            escape(diagram.caption),
            svg.trim_end()
        )?;
        // Shown by the script, which is what makes the buttons work.
        writeln!(
            html,
            "<div class=\"stepper\" hidden><button type=\"button\" data-step-previous>← previous \
             message</button> <button type=\"button\" data-step-next>next message →</button>\
             <p class=\"step-text\" aria-live=\"polite\">Step through the messages in the \
             order they were sent; hover over one to read it.</p></div>\n</figure>"
        )?;
    }
    if !report.charts.is_empty() {
        writeln!(html, "<h2 id=\"charts\">Charts</h2>")?;
        if charts.iter().any(|chart| !chart.legend.is_empty()) {
            writeln!(
                html,
                "<p class=\"meta\">Click a variant in a legend to hide or show it in every \
                 chart; double-click to show it alone. Hover over a line for its values.</p>"
            )?;
        }
        for (spec, chart) in report.charts.iter().zip(charts) {
            chart_figure(html, spec, chart)?;
        }
    }
    if !report.grids.is_empty() {
        writeln!(html, "<section id=\"grids\">")?;
        for grid in report.grids {
            grid_tables(html, report, grid)?;
        }
        writeln!(html, "</section>")?;
    }

    results(html, report)?;
    violations(html, report)?;
    writeln!(
        html,
        "<footer>Generated by faultline. Data: <a href=\"summary.json\">summary.json</a>, \
         <a href=\"summary.md\">summary.md</a>.</footer>"
    )?;
    writeln!(html, "<script>{SCRIPT}</script>\n</body>\n</html>")
}

/// What the runs check, and what they do not, with why.
fn checks(html: &mut String, report: &Report) -> fmt::Result {
    let names: Vec<String> =
        report.invariants.iter().map(|i| format!("<code>{}</code>", escape(i))).collect();
    if !names.is_empty() {
        writeln!(html, "<p class=\"meta\">Checks: {}.</p>", names.join(", "))?;
    }
    if report.not_checked.is_empty() {
        return Ok(());
    }
    writeln!(html, "<p class=\"meta\">Not checked:</p>\n<ul class=\"meta\">")?;
    for not_checked in report.not_checked {
        let why = not_checked.why_text();
        let name = escape(not_checked.invariant);
        writeln!(html, "<li><code>{name}</code>: {}</li>", escape(why))?;
    }
    writeln!(html, "</ul>")
}

/// Links to the full traces written with the report, per variant.
fn trace_links(html: &mut String, report: &Report) -> fmt::Result {
    if report.traces.is_empty() {
        return Ok(());
    }
    writeln!(
        html,
        "<p class=\"meta\">Full traces (Perfetto files open in \
         <a href=\"https://ui.perfetto.dev\">ui.perfetto.dev</a>):</p>\n<ul>"
    )?;
    for (index, outcome) in report.outcomes.iter().enumerate() {
        let links: Vec<String> = report
            .traces
            .iter()
            .filter(|trace| trace.variant == outcome.variant)
            .map(|trace| format!("<a href=\"{}\">{}</a>", escape(&trace.href), trace.format))
            .collect();
        if !links.is_empty() {
            writeln!(html, "<li>{}: {}</li>", variant(index, &outcome.variant), links.join(" · "))?;
        }
    }
    writeln!(html, "</ul>")
}

/// A chart: its picture, and its legend as buttons that hide and show the variants. A
/// per-variant chart belongs to its variant, and hides with it.
fn chart_figure(html: &mut String, spec: &ChartSpec, chart: &PageChart) -> fmt::Result {
    let owner = spec.variant.as_deref().map(|v| format!(" data-variant=\"{}\"", escape(v)));
    // Over the room the picture leaves for it, where there is room; below, where not.
    let left_percent = f64::from(chart.legend_left_px) * 100.0 / f64::from(CHART_WIDTH_PX);
    writeln!(
        html,
        "<figure id=\"{}\" class=\"chart\" style=\"--legend-left: {left_percent:.1}%\"{}>",
        chart_anchor(spec),
        owner.unwrap_or_default()
    )?;
    // plotters escapes the text it writes into the SVG, so it can go in as it is.
    writeln!(html, "{}", chart.svg.trim_end())?;
    if !chart.legend.is_empty() {
        writeln!(html, "<ul class=\"legend\">")?;
        for row in &chart.legend {
            let line = if row.dashed { "dashed" } else { "solid" };
            writeln!(
                html,
                "<li><button type=\"button\" data-toggle-variant=\"{}\" aria-pressed=\"true\" \
                 title=\"hide or show {0} in every chart\"><span class=\"sample\" \
                 style=\"border-top: 3px {line} {}\"></span>{}</button></li>",
                escape(&row.variant),
                row.color.hex(),
                escape(&row.text)
            )?;
        }
        writeln!(html, "</ul>")?;
    }
    writeln!(html, "</figure>")
}

/// A top-level part of the page: its anchor and its name in the contents.
struct Section {
    anchor: &'static str,
    name: &'static str,
}

/// The page's parts that this report has, in page order.
fn sections(report: &Report) -> Vec<Section> {
    let mut sections = vec![Section { anchor: "verdicts", name: "Verdicts" }];
    if report.spacetime.is_some() {
        sections.push(Section { anchor: "story", name: "The story" });
    }
    if !report.charts.is_empty() {
        sections.push(Section { anchor: "charts", name: "Charts" });
    }
    if !report.grids.is_empty() {
        sections.push(Section { anchor: "grids", name: "Grids" });
    }
    sections.push(Section { anchor: "results", name: "Results" });
    if !metric_layout(report.outcomes, METRIC_COLUMNS_MAX).listed.is_empty() {
        sections.push(Section { anchor: "metrics", name: "Metrics" });
    }
    sections.push(Section { anchor: "violations", name: "Violations" });
    sections
}

/// The bar of section links that stays at the top of the window.
fn nav_bar(html: &mut String, sections: &[Section]) -> fmt::Result {
    write!(html, "<nav class=\"bar\" aria-label=\"Sections\">")?;
    for section in sections {
        write!(html, "<a href=\"#{}\">{}</a>", section.anchor, section.name)?;
    }
    writeln!(html, "</nav>")
}

/// The contents: every section, and under Charts and Grids each one by its short title.
fn contents(html: &mut String, report: &Report, sections: &[Section]) -> fmt::Result {
    writeln!(
        html,
        "<nav class=\"contents\" aria-label=\"Contents\">\n<strong>Contents</strong>\n<ol>"
    )?;
    for section in sections {
        write!(html, "<li><a href=\"#{}\">{}</a>", section.anchor, section.name)?;
        let entries: Vec<(String, String)> = match section.anchor {
            "charts" => report.charts.iter().map(|c| (chart_anchor(c), chart_entry(c))).collect(),
            "grids" => report
                .grids
                .iter()
                .map(|g| (grid_anchor(g), short_title(&g.title).to_owned()))
                .collect(),
            _ => Vec::new(),
        };
        if !entries.is_empty() {
            write!(html, "\n<ol>")?;
            for (anchor, title) in entries {
                write!(html, "<li><a href=\"#{anchor}\">{}</a></li>", escape(&title))?;
            }
            write!(html, "</ol>")?;
        }
        writeln!(html, "</li>")?;
    }
    writeln!(html, "</ol>\n</nav>")
}

/// A chart in the contents: its short title, and for a per-variant chart (titled
/// "retry-backoff: calls to payments per second: …") the variant after it.
fn chart_entry(spec: &ChartSpec) -> String {
    let own = spec.variant.as_deref().and_then(|v| {
        let rest = spec.title.strip_prefix(v)?.strip_prefix(':')?;
        Some(format!("{} ({v})", short_title(rest)))
    });
    own.unwrap_or_else(|| short_title(&spec.title).to_owned())
}

/// A title up to its colon: "Logins that succeed: logins never touch payments, …" is listed
/// as "Logins that succeed".
fn short_title(title: &str) -> &str {
    title.split_once(':').map_or(title, |(short, _)| short).trim()
}

/// After a verdict: links to the variant's own charts (or the charts it shares), and to its
/// violations when it has any.
fn verdict_links(report: &Report, index: usize) -> String {
    let outcome = &report.outcomes[index];
    let mut links = Vec::new();
    let own: Vec<&ChartSpec> =
        report.charts.iter().filter(|c| c.variant.as_deref() == Some(&outcome.variant)).collect();
    match own.first() {
        Some(chart) => links.push(format!("<a href=\"#{}\">its chart</a>", chart_anchor(chart))),
        None if !report.charts.is_empty() => {
            links.push("<a href=\"#charts\">charts</a>".to_owned())
        }
        None => {}
    }
    if !outcome.violations.is_empty() {
        links.push(format!("<a href=\"#{}\">violations</a>", violations_anchor(index)));
    }
    if links.is_empty() {
        return String::new();
    }
    format!("<span class=\"links\">({})</span>", links.join(" · "))
}

/// A chart's anchor: its id, prefixed so no chart can take a section's anchor.
fn chart_anchor(spec: &ChartSpec) -> String {
    format!("chart-{}", escape(&spec.id))
}

/// A grid's anchor, prefixed so a chart with the same id keeps its own.
fn grid_anchor(grid: &Grid) -> String {
    format!("grid-{}", escape(&grid.id))
}

/// A variant's violations, by its index: names may hold any character.
fn violations_anchor(index: usize) -> String {
    format!("violations-{index}")
}

/// A table in a box that scrolls sideways on its own when it is wider than the page.
fn open_table(html: &mut String) -> fmt::Result {
    writeln!(html, "<div class=\"scroll\"><table>")
}

fn close_table(html: &mut String) -> fmt::Result {
    writeln!(html, "</table></div>")
}

/// The results table, then metrics that did not fit as columns, one column per variant.
fn results(html: &mut String, report: &Report) -> fmt::Result {
    let layout = metric_layout(report.outcomes, METRIC_COLUMNS_MAX);
    writeln!(html, "<h2 id=\"results\">Results</h2>")?;
    open_table(html)?;
    writeln!(html, "<tr><th>variant</th><th>trace hash</th><th>events</th>")?;
    for name in &layout.columns {
        write!(html, "<th><code>{}</code></th>", escape(name))?;
    }
    writeln!(html, "<th>violations</th></tr>")?;
    for (index, outcome) in report.outcomes.iter().enumerate() {
        write!(
            html,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td>",
            variant(index, &outcome.variant),
            hash_hex(outcome.trace_hash),
            outcome.events
        )?;
        for name in &layout.columns {
            write!(html, "<td>{}</td>", escape(&metric_cell(outcome, name)))?;
        }
        let count = outcome.violations.len();
        let class = if count > 0 { " class=\"bad\"" } else { "" };
        writeln!(html, "<td{class}>{count}</td></tr>")?;
    }
    close_table(html)?;

    if layout.listed.is_empty() {
        return Ok(());
    }
    let title = if layout.columns.is_empty() { "Metrics" } else { "Other metrics" };
    writeln!(html, "<h3 id=\"metrics\">{title}</h3>")?;
    open_table(html)?;
    writeln!(html, "<tr><th>metric</th>")?;
    for (index, outcome) in report.outcomes.iter().enumerate() {
        write!(html, "<th>{}</th>", variant(index, &outcome.variant))?;
    }
    writeln!(html, "</tr>")?;
    for name in &layout.listed {
        write!(html, "<tr><td><code>{}</code></td>", escape(name))?;
        for outcome in report.outcomes {
            write!(html, "<td>{}</td>", escape(&metric_cell(outcome, name)))?;
        }
        writeln!(html, "</tr>")?;
    }
    close_table(html)
}

/// Per variant: counts per invariant, the first violation of each invariant (in the order
/// the scenario declares them, its most telling first), and every violation in time order
/// behind a toggle.
fn violations(html: &mut String, report: &Report) -> fmt::Result {
    writeln!(html, "<h2 id=\"violations\">Violations</h2>")?;
    if report.outcomes.iter().all(|outcome| outcome.violations.is_empty()) {
        return writeln!(html, "<p>No invariant was violated.</p>");
    }
    for (index, outcome) in report.outcomes.iter().enumerate() {
        let name = variant(index, &outcome.variant);
        let anchor = violations_anchor(index);
        if outcome.violations.is_empty() {
            writeln!(html, "<h3 id=\"{anchor}\">{name}</h3>\n<p>No violations.</p>")?;
            continue;
        }
        let groups = declared_order(violation_groups(outcome), report.invariants);
        let counts: Vec<String> = groups
            .iter()
            .map(|group| format!("<code>{}</code> ×{}", escape(group.invariant), group.count))
            .collect();
        writeln!(
            html,
            "<h3 id=\"{anchor}\">{name}</h3>\n<p class=\"bad\">{}</p>",
            counts.join(", ")
        )?;
        violation_table(html, groups.iter().map(|group| group.first))?;
        let total = outcome.violations.len();
        if total > groups.len() {
            writeln!(html, "<details>\n<summary>All {total} violations, in time order</summary>")?;
            violation_table(html, outcome.violations.iter().take(VIOLATIONS_LISTED_MAX))?;
            let unlisted = total.saturating_sub(VIOLATIONS_LISTED_MAX);
            if unlisted > 0 {
                writeln!(html, "<p class=\"meta\">… and {unlisted} more (see summary.json).</p>")?;
            }
            writeln!(html, "</details>")?;
        }
    }
    Ok(())
}

/// Groups in the order `invariants` declares them; any it does not name follow, by name.
fn declared_order<'a>(
    mut groups: Vec<ViolationGroup<'a>>,
    invariants: &[String],
) -> Vec<ViolationGroup<'a>> {
    let rank = |name: &str| invariants.iter().position(|i| i == name).unwrap_or(invariants.len());
    // Stable: groups come in name order, which breaks ties among the undeclared.
    groups.sort_by_key(|group| rank(group.invariant));
    groups
}

fn violation_table<'a>(
    html: &mut String,
    violations: impl Iterator<Item = &'a Violation>,
) -> fmt::Result {
    open_table(html)?;
    writeln!(html, "<tr><th>at</th><th>invariant</th><th>node</th><th>detail</th></tr>")?;
    for violation in violations {
        writeln!(
            html,
            "<tr><td>{}</td><td class=\"text\"><code>{}</code></td>\
             <td class=\"text\"><code>{}</code></td><td class=\"text\">{}</td></tr>",
            seconds(violation.at.as_secs_f64()),
            escape(&violation.invariant),
            escape(&violation.node),
            escape(&violation.detail)
        )?;
    }
    close_table(html)
}

/// A grid under its title, one table per variant, each cell tinted with its outcome's colour
/// (the outcome is also the cell's tooltip, for readers who cannot tell the colours apart).
fn grid_tables(html: &mut String, report: &Report, grid: &Grid) -> fmt::Result {
    // Prefixed: a chart's figure may have the same id.
    writeln!(html, "<h2 id=\"{}\">{}</h2>", grid_anchor(grid), escape(&grid.title))?;
    if grid.variants.is_empty() {
        writeln!(html, "<p>No variant has cells in this grid.</p>")?;
    }
    for grid_variant in &grid.variants {
        // The swatch of the variant's chart colour, if the grid's name is one of the run's.
        let name = match report.outcomes.iter().position(|o| o.variant == grid_variant.name) {
            Some(index) => variant(index, &grid_variant.name),
            None => format!("<code>{}</code>", escape(&grid_variant.name)),
        };
        let table = grid_table(grid, grid_variant);
        writeln!(html, "<h3>{name}</h3>")?;
        open_table(html)?;
        write!(html, "<tr><th>{}</th>", escape(&table.corner))?;
        for column in &table.columns {
            write!(html, "<th>{}</th>", escape(column))?;
        }
        writeln!(html, "</tr>")?;
        for row in &table.rows {
            write!(html, "<tr><th>{}</th>", escape(row.header))?;
            for cell in &row.cells {
                match cell {
                    Some((text, CellOutcome::Neutral)) => {
                        write!(html, "<td>{}</td>", escape(text))?
                    }
                    Some((text, outcome)) => write!(
                        html,
                        "<td style=\"background:{}\" title=\"{}\">{}</td>",
                        tint(outcome_color(*outcome)).hex(),
                        outcome_name(*outcome),
                        escape(text)
                    )?,
                    None => write!(html, "<td>-</td>")?,
                }
            }
            writeln!(html, "</tr>")?;
        }
        close_table(html)?;
    }
    Ok(())
}

fn outcome_color(outcome: CellOutcome) -> Rgb {
    match outcome {
        CellOutcome::Ok => OUTCOME_OK,
        CellOutcome::Indeterminate => OUTCOME_INDETERMINATE,
        CellOutcome::Failed => OUTCOME_FAILED,
        CellOutcome::Neutral => Rgb(0xFF, 0xFF, 0xFF),
    }
}

/// `color` mixed with white, [`GRID_TINT_PERCENT`] of it.
fn tint(Rgb(red, green, blue): Rgb) -> Rgb {
    // At most 255 with a percentage of at most 100 (checked below): the cast cannot truncate.
    let mix = |channel: u8| 255 - ((255 - u32::from(channel)) * GRID_TINT_PERCENT / 100) as u8;
    Rgb(mix(red), mix(green), mix(blue))
}

/// A variant's name after a swatch of its chart colour.
fn variant(index: usize, name: &str) -> String {
    format!(
        "<span class=\"swatch\" style=\"background:{}\"></span><code>{}</code>",
        variant_color(index).hex(),
        escape(name)
    )
}

/// Text for HTML or SVG element content and quoted attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(escape(r#"<a href="x">&'"#), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }

    #[test]
    fn grid_cells_are_light_tints_of_the_outcome_palette() {
        assert_eq!(tint(OUTCOME_OK).hex(), "#D3E9FE");
        assert_eq!(tint(OUTCOME_INDETERMINATE).hex(), "#FFE0A6");
        assert_eq!(tint(OUTCOME_FAILED).hex(), "#FFB1D9");
        assert_eq!(tint(Rgb(255, 255, 255)), Rgb(255, 255, 255));
    }
}
