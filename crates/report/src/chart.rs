//! Time charts, as SVG and PNG: virtual time on x, fault windows shaded, a legend beside the
//! plot. Lines and dots are drawn in each variant's colour (a variant's labels, such as
//! `p50` and `p99`, solid then dashed); stacked areas and state strips colour their layers
//! and states in the outcome palette, in the order the model gives them.
//!
//! Both formats come from one drawing function over plotters' backend trait, so they cannot
//! drift apart. Text uses the font shipped in `fonts/`, registered with plotters once per
//! process: the PNG needs no system font library, and text is measured the same everywhere.

mod data;

use std::iter;
use std::ops::Range;
use std::sync::OnceLock;

use faultline_outcome::{ChartKind, ChartSpec, FaultWindow};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{
    AsRangedCoord, DefaultFormatting, KeyPointHint, Ranged, ValueFormatter,
};
use plotters::coord::types::RangedCoordf64;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontStyle, register_font};

use crate::Report;
use crate::error::RenderError;
use crate::html::escape;
use crate::table::number;
use data::with_label;

/// Size of every chart, SVG and PNG alike.
pub const CHART_WIDTH_PX: u32 = 1000;
pub const CHART_HEIGHT_PX: u32 = 500;

/// A colour as 8-bit red, green, blue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// As CSS and SVG spell it: `#81BFFC`.
    pub fn hex(self) -> String {
        format!("#{:02X}{:02X}{:02X}", self.0, self.1, self.2)
    }

    pub(crate) fn plotters(self) -> RGBColor {
        RGBColor(self.0, self.1, self.2)
    }
}

/// The outcome palette of the design, one meaning per colour in every chart: a request or
/// transfer that succeeded, whose result is unknown, or that failed.
pub const OUTCOME_OK: Rgb = Rgb(0x81, 0xBF, 0xFC);
pub const OUTCOME_INDETERMINATE: Rgb = Rgb(0xFF, 0xA4, 0x00);
pub const OUTCOME_FAILED: Rgb = Rgb(0xFF, 0x1E, 0x90);

/// Okabe–Ito, distinguishable with the common colour-vision deficiencies. Yellow comes last:
/// it is the hardest to see on white.
const VARIANT_PALETTE: [Rgb; 8] = [
    Rgb(0x00, 0x72, 0xB2), // blue
    Rgb(0xD5, 0x5E, 0x00), // vermillion
    Rgb(0x00, 0x9E, 0x73), // bluish green
    Rgb(0xCC, 0x79, 0xA7), // reddish purple
    Rgb(0xE6, 0x9F, 0x00), // orange
    Rgb(0x56, 0xB4, 0xE9), // sky blue
    Rgb(0x00, 0x00, 0x00), // black
    Rgb(0xF0, 0xE4, 0x42), // yellow
];

/// The colour of the variant at `index` (scenario order) in every chart and table; the
/// palette repeats after eight variants.
pub fn variant_color(index: usize) -> Rgb {
    VARIANT_PALETTE[index % VARIANT_PALETTE.len()]
}

/// plotters resolves font families by name in a process-wide table; we register the bundled
/// font under the generic name, so every text style below finds it.
pub(crate) const FONT_FAMILY: &str = "sans-serif";
static DEJAVU_SANS_TTF: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");

pub(crate) const FAULT_SHADE: RGBColor = RGBColor(0x70, 0x70, 0x70);
const FAULT_SHADE_OPACITY: f64 = 0.18;
pub(crate) const FAULT_LABEL: RGBColor = RGBColor(0x40, 0x40, 0x40);
/// Where data covers the shading (areas, bands), dashed edges mark each fault window.
const FAULT_EDGE_WIDTH_PX: u32 = 1;
const FAULT_EDGE_DASH_PX: i32 = 4;

const TITLE_SIZE_PX: u32 = 22;
const TITLE_SIZE_MIN_PX: u32 = 13;
const AXIS_DESC_SIZE_PX: u32 = 16;
const TICK_LABEL_SIZE_PX: u32 = 13;
const LEGEND_SIZE_PX: u32 = 14;
const FAULT_LABEL_SIZE_PX: u32 = 13;

const MARGIN_PX: u32 = 12;
const X_LABEL_AREA_PX: u32 = 48;
const Y_LABEL_AREA_PX: u32 = 76;
const LINE_WIDTH_PX: u32 = 2;
/// A line under later lines along the same points is this much wider per line on top, at
/// most `RIM_STEPS_MAX` times: a rim of its colour shows around them.
const RIM_STEP_PX: u32 = 2;
const RIM_STEPS_MAX: usize = 5;
const DOT_RADIUS_PX: u32 = 3;
/// A fault's label sits this far inside its shading; labels that would overprint go on up
/// to `FAULT_LABEL_ROWS_MAX` rows, at least `FAULT_LABEL_GAP_PX` apart.
const FAULT_LABEL_INSET_PX: i32 = 4;
const FAULT_LABEL_ROWS_MAX: usize = 6;
const FAULT_LABEL_GAP_PX: i32 = 8;
/// Dots this close (in pixels, each way) are one spot and get one label naming them all.
const DOT_SAME_PX: i32 = 4;
const DOT_LABEL_SIZE_PX: u32 = 13;
const DOT_LABEL_GAP_PX: i32 = 8;
/// A variant's later labels: dashes on a line chart, rings on a dot chart.
const DASH_PX: i32 = 8;
const DASH_GAP_PX: i32 = 5;
const RING_STROKE_PX: u32 = 1;
/// Reference lines: dashed like a label's later lines, and as wide, in the failed colour.
const REFERENCE_WIDTH_PX: u32 = 2;
const REFERENCE_LABEL_SIZE_PX: u32 = 13;
/// Stacked layers: nearly opaque fill, with a thin line along each layer's top.
const AREA_OPACITY: f64 = 0.85;
const AREA_EDGE_WIDTH_PX: u32 = 1;
/// A state strip's band covers this much of its row, in y units (a row is 1), either side
/// of its middle: the gaps between bands keep them apart and let the fault shading show.
const BAND_HALF_HEIGHT: f64 = 0.3;
const BAND_OUTLINE: RGBColor = RGBColor(0xB0, 0xB0, 0xB0);
/// The widest a strip's y label area grows for variant names; longer names are shortened.
const STRIP_NAME_AREA_MAX_PX: u32 = 240;
/// The legend column: a colour sample, then the row's text (a variant, label or state).
const LEGEND_SAMPLE_WIDTH_PX: i32 = 24;
const LEGEND_SWATCH_PX: i32 = 14;
const LEGEND_ROW_HEIGHT_PX: i32 = 22;
const LEGEND_WIDTH_MIN_PX: u32 = 120;
const LEGEND_WIDTH_MAX_PX: u32 = 280;

/// The chart as an SVG document.
pub fn chart_svg(report: &Report, spec: &ChartSpec) -> Result<String, RenderError> {
    render_svg(report, spec, Layer::All, &mut PageParts::default())
}

/// One drawing pass of the chart as an SVG document, reporting its parts for the page.
fn render_svg(
    report: &Report,
    spec: &ChartSpec,
    layer: Layer,
    parts: &mut PageParts,
) -> Result<String, RenderError> {
    let file = format!("{}.svg", spec.id);
    register_bundled_font(&file)?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (CHART_WIDTH_PX, CHART_HEIGHT_PX))
            .into_drawing_area();
        draw(&root, report, spec, layer, parts).map_err(|e| RenderError::draw(file.clone(), e))?;
        root.present().map_err(|e| RenderError::draw(file.clone(), e))?;
    }
    Ok(full_size_text(&svg))
}

/// `svg` with `inner` added at the end of its root, over everything already drawn.
pub(crate) fn drawn_over(svg: &str, inner: &str) -> String {
    let end = svg.rfind("</svg>").expect("an SVG document ends its root");
    format!("{}{inner}{}", &svg[..end], &svg[end..])
}

/// A chart as the page shows it: for a chart comparing variants over lines or dots, each
/// variant's data in its own `<g data-variant="…">` (with a tooltip per point) over the
/// axes, and the legend as the page's own rows, which toggle the variants. Other charts are
/// the `.svg` file's picture, legend included.
pub(crate) struct PageChart {
    pub(crate) svg: String,
    /// Empty when the legend is inside the picture.
    pub(crate) legend: Vec<PageLegendRow>,
    /// Where the picture leaves room for the legend, from its left edge.
    pub(crate) legend_left_px: u32,
}

/// One legend row of a page chart, and the variant it toggles.
pub(crate) struct PageLegendRow {
    pub(crate) variant: String,
    pub(crate) text: String,
    pub(crate) color: Rgb,
    pub(crate) dashed: bool,
}

/// Something a reader can hover over on a page chart, what it says, and whose it is: a
/// variant's (hidden with it) or the whole chart's.
struct Hover {
    variant: Option<usize>,
    area: HoverArea,
    text: String,
}

/// Where a hover target is drawn, in the picture's pixels.
enum HoverArea {
    /// A point of a line or a dot.
    Point((i32, i32)),
    /// A stretch of a state strip's band, or a column of a stacked chart.
    Rect((i32, i32), (i32, i32)),
}

impl Hover {
    fn svg(&self) -> String {
        let text = escape(&self.text);
        match self.area {
            HoverArea::Point((x, y)) => format!(
                "<circle class=\"hover\" cx=\"{x}\" cy=\"{y}\" r=\"6\" fill=\"none\" \
                 pointer-events=\"all\"><title>{text}</title></circle>\n"
            ),
            HoverArea::Rect((x0, y0), (x1, y1)) => format!(
                "<rect class=\"hover\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" \
                 fill=\"none\" pointer-events=\"all\"><title>{text}</title></rect>\n",
                x0.min(x1),
                y0.min(y1),
                x0.abs_diff(x1),
                y0.abs_diff(y1)
            ),
        }
    }
}

/// What drawing a page layer reports back: the legend (from the frame) and what a reader
/// can hover over (from each variant's layer, or from the one picture of an unlayered
/// chart).
#[derive(Default)]
struct PageParts {
    /// The variants drawn, by index: a layer each.
    variants: Vec<usize>,
    /// The legend's rows and whose they are, when the page draws the legend.
    legend: Vec<(usize, LegendRow)>,
    legend_left_px: u32,
    hover: Vec<Hover>,
    /// A dot chart's labels, which the page draws over the variants' layers.
    dot_labels: Vec<DotLabel>,
    /// The rims of stretches of line that later lines cover, which the page draws under
    /// their variants' layers.
    rims: Vec<Rim>,
}

/// A stretch of a variant's line drawn wider, as a rim around the later lines over it.
struct Rim {
    variant: usize,
    /// The variants whose lines cover it: the rim shows while any of them is shown.
    coverers: Vec<usize>,
    points_px: Vec<(i32, i32)>,
    width_px: u32,
    color: Rgb,
}

impl Rim {
    fn page_svg(&self, names: &[&str]) -> String {
        let points: Vec<String> = self.points_px.iter().map(|(x, y)| format!("{x},{y}")).collect();
        format!(
            "<g data-variants=\"{}\"><polyline fill=\"none\" stroke=\"{}\" stroke-width=\"{}\" \
             points=\"{}\"/></g>\n",
            variants_attribute(names, &self.coverers),
            self.color.hex(),
            self.width_px,
            points.join(" ")
        )
    }
}

/// The variants `indices` (into `names`) as a `data-variants` attribute's value: a JSON list,
/// escaped for the attribute.
fn variants_attribute(names: &[&str], indices: &[usize]) -> String {
    let list: Vec<&str> = indices.iter().map(|&k| names[k]).collect();
    escape(&serde_json::to_string(&list).expect("names are strings"))
}

/// What one drawing pass of a chart draws.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Layer {
    /// Everything: the PNG and the `.svg` file.
    All,
    /// The page's picture without data or legend: background, title, axes, shading, labels.
    Frame,
    /// One variant's data, by variant index, on a transparent background.
    Series(usize),
}

impl Layer {
    /// Whether this pass draws the frame: background, title, axes, shading and labels.
    fn draws_frame(self) -> bool {
        matches!(self, Layer::All | Layer::Frame)
    }

    /// Whether this pass draws the data of the variant at index `variant`.
    fn draws_variant(self, variant: usize) -> bool {
        match self {
            Layer::All => true,
            Layer::Frame => false,
            Layer::Series(own) => own == variant,
        }
    }

    /// The variant whose layer this is, if it is one: what it draws for the page (hover
    /// targets, rims) hides with that variant.
    fn variant(self) -> Option<usize> {
        match self {
            Layer::Series(variant) => Some(variant),
            Layer::All | Layer::Frame => None,
        }
    }
}

/// At most this many hover targets on one chart (a dot per message can be thousands): beyond
/// it, every k-th is kept, evenly along each series, so that the page stays light.
const HOVER_TARGETS_MAX: usize = 2_000;

/// The chart as the page shows it.
pub(crate) fn page_chart(report: &Report, spec: &ChartSpec) -> Result<PageChart, RenderError> {
    if layered(spec) {
        layered_page_chart(report, spec)
    } else {
        let mut parts = PageParts::default();
        let svg = render_svg(report, spec, Layer::All, &mut parts)?;
        Ok(whole_page_chart(&svg, &parts))
    }
}

/// The chart's `.svg` file and its picture on the page, each drawn once: a chart the page
/// does not take apart is the file's picture with the hover targets over it.
pub(crate) fn chart_pictures(
    report: &Report,
    spec: &ChartSpec,
) -> Result<(String, PageChart), RenderError> {
    let mut parts = PageParts::default();
    let svg = render_svg(report, spec, Layer::All, &mut parts)?;
    let page = if layered(spec) {
        layered_page_chart(report, spec)?
    } else {
        whole_page_chart(&svg, &parts)
    };
    Ok((svg, page))
}

/// Whether the page draws the chart as a layer per variant (a chart comparing variants
/// over lines, dots or state strips) rather than as one picture.
fn layered(spec: &ChartSpec) -> bool {
    spec.variant.is_none()
        && matches!(spec.kind, ChartKind::Line | ChartKind::Points | ChartKind::StateStrip)
}

/// A chart the page shows whole: its picture with the hover targets over it, and the
/// legend inside the picture.
fn whole_page_chart(svg: &str, parts: &PageParts) -> PageChart {
    let hover: String = thinned(&parts.hover).map(Hover::svg).collect();
    PageChart { svg: drawn_over(svg, &hover), legend: Vec::new(), legend_left_px: CHART_WIDTH_PX }
}

/// A chart comparing variants, taken apart: the frame, then each variant's layer in a group
/// of its own (its rims under it, its hover targets over it), then the dot labels; the
/// legend becomes the page's rows.
fn layered_page_chart(report: &Report, spec: &ChartSpec) -> Result<PageChart, RenderError> {
    let mut parts = PageParts::default();
    let frame = render_svg(report, spec, Layer::Frame, &mut parts)?;
    let mut variants = parts.variants.clone();
    variants.sort_unstable();
    variants.dedup();
    let layers = variants
        .iter()
        .map(|&variant| {
            Ok((variant, render_svg(report, spec, Layer::Series(variant), &mut parts)?))
        })
        .collect::<Result<Vec<_>, RenderError>>()?;
    let hover: Vec<&Hover> = thinned(&parts.hover).collect();
    let names: Vec<&str> = report.outcomes.iter().map(|o| o.variant.as_str()).collect();
    let mut groups = String::new();
    for (variant, layer) in &layers {
        let name = escape(&report.outcomes[*variant].variant);
        groups.push_str(&format!("<g data-variant=\"{name}\">\n<title>{name}</title>\n"));
        for rim in parts.rims.iter().filter(|rim| rim.variant == *variant) {
            groups.push_str(&rim.page_svg(&names));
        }
        groups.push_str(svg_body(layer));
        for target in hover.iter().filter(|h| h.variant == Some(*variant)) {
            groups.push_str(&target.svg());
        }
        groups.push_str("</g>\n");
    }
    for label in &parts.dot_labels {
        groups.push_str(&label.page_svg(&names));
    }
    let legend = parts
        .legend
        .into_iter()
        .map(|(variant, row)| PageLegendRow {
            variant: report.outcomes[variant].variant.clone(),
            text: row.text,
            color: Rgb(row.color.0, row.color.1, row.color.2),
            dashed: matches!(row.sample, Sample::DashedLine | Sample::Ring),
        })
        .collect();
    Ok(PageChart { svg: drawn_over(&frame, &groups), legend, legend_left_px: parts.legend_left_px })
}

/// At most [`HOVER_TARGETS_MAX`] of `targets`, evenly spread.
fn thinned(targets: &[Hover]) -> impl Iterator<Item = &Hover> {
    targets.iter().step_by(targets.len().div_ceil(HOVER_TARGETS_MAX).max(1))
}

/// What lies between an SVG document's root tags.
fn svg_body(svg: &str) -> &str {
    let start = svg.find("<svg").and_then(|at| svg[at..].find('>').map(|end| at + end + 1));
    let end = svg.rfind("</svg>");
    match (start, end) {
        (Some(start), Some(end)) if start <= end => &svg[start..end],
        _ => "",
    }
}

/// The chart as PNG bytes (8-bit RGB), drawn in memory and encoded in pure Rust.
pub fn chart_png(report: &Report, spec: &ChartSpec) -> Result<Vec<u8>, RenderError> {
    let file = format!("{}.png", spec.id);
    register_bundled_font(&file)?;
    let mut rgb = vec![0u8; CHART_WIDTH_PX as usize * CHART_HEIGHT_PX as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (CHART_WIDTH_PX, CHART_HEIGHT_PX))
            .into_drawing_area();
        let mut parts = PageParts::default();
        draw(&root, report, spec, Layer::All, &mut parts)
            .map_err(|e| RenderError::draw(file.clone(), e))?;
        root.present().map_err(|e| RenderError::draw(file.clone(), e))?;
    }
    encode_png(&rgb, (CHART_WIDTH_PX, CHART_HEIGHT_PX), &file)
}

/// plotters' SVG backend writes every `font-size` as the size asked for divided by 1.24, so
/// SVG text came out at 0.81 of the size the layout measured it at (and the PNG draws it
/// at): labels sat in boxes too big for them, and 13 px axis labels read as 10.5 px. This
/// puts the size asked for back.
pub(crate) fn full_size_text(svg: &str) -> String {
    const PLOTTERS_SVG_FONT_DIVISOR: f64 = 1.24;
    const ATTRIBUTE: &str = "font-size=\"";
    let mut out = String::with_capacity(svg.len());
    let mut rest = svg;
    while let Some(start) = rest.find(ATTRIBUTE) {
        let value_start = start + ATTRIBUTE.len();
        let Some(length) = rest[value_start..].find('"') else { break };
        out.push_str(&rest[..value_start]);
        let value = &rest[value_start..value_start + length];
        match value.parse::<f64>() {
            // Whole hundredths: the sizes asked for are whole pixels, give or take rounding.
            Ok(size) => {
                let full = (size * PLOTTERS_SVG_FONT_DIVISOR * 100.0).round() / 100.0;
                out.push_str(&number(full));
            }
            Err(_) => out.push_str(value),
        }
        rest = &rest[value_start + length..];
    }
    out.push_str(rest);
    out
}

pub(crate) fn register_bundled_font(file: &str) -> Result<(), RenderError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let registered = *REGISTERED
        .get_or_init(|| register_font(FONT_FAMILY, FontStyle::Normal, DEJAVU_SANS_TTF).is_ok());
    if registered { Ok(()) } else { Err(RenderError::font(file.to_owned())) }
}

pub(crate) fn encode_png(
    rgb: &[u8],
    (width_px, height_px): (u32, u32),
    file: &str,
) -> Result<Vec<u8>, RenderError> {
    let mut png_bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut png_bytes, width_px, height_px);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let fail = |e| RenderError::png(file.to_owned(), e);
    let mut writer = encoder.write_header().map_err(fail)?;
    writer.write_image_data(rgb).map_err(fail)?;
    writer.finish().map_err(fail)?;
    Ok(png_bytes)
}

/// The x range: the run's virtual time, or the data's if the run length is unusable or x
/// is not time at all.
fn x_max_s(report: &Report, spec: &ChartSpec) -> f64 {
    let over_time = spec.x_label.is_none();
    let x_max_s = if over_time && report.duration_s.is_finite() && report.duration_s > 0.0 {
        report.duration_s
    } else {
        report
            .outcomes
            .iter()
            .flat_map(|outcome| &outcome.series)
            .filter(|series| series.chart == spec.id)
            .flat_map(|series| series.points.iter().map(|&(x, _)| x))
            .filter(|x| x.is_finite())
            .fold(0.0, f64::max)
    };
    if x_max_s > 0.0 { x_max_s } else { 1.0 }
}

/// The y range over the plotted values and reference lines: from zero, or a tenth below the
/// smallest value if one is negative (a balance that went below zero must show), to a tenth
/// above the largest value, and at least to 1 so that an all-zero chart still has a scale.
fn y_range(ys: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let y_max = ys.clone().fold(0.0, f64::max);
    let y_min = ys.fold(0.0, f64::min);
    (y_min * 1.1, (y_max * 1.1).max(1.0))
}

/// The colour of the part at `index` in an order the model chose: a stack's labels from the
/// bottom, a strip's states. The outcome palette comes first, so a model that orders its
/// parts from good to bad (first tries, then retries; closed, half-open, open) gets the
/// colours that mean good to bad everywhere else; the variant palette follows.
fn ordered_color(index: usize) -> Rgb {
    const OUTCOMES: [Rgb; 3] = [OUTCOME_OK, OUTCOME_INDETERMINATE, OUTCOME_FAILED];
    OUTCOMES.get(index).copied().unwrap_or_else(|| variant_color(index - OUTCOMES.len()))
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    report: &Report,
    spec: &ChartSpec,
    layer: Layer,
    parts: &mut PageParts,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    if layer.draws_frame() {
        root.fill(&WHITE)?;
    }
    let x_max_s = x_max_s(report, spec);
    match spec.kind {
        ChartKind::Line | ChartKind::Points => {
            draw_curves(root, report, spec, x_max_s, layer, parts)
        }
        ChartKind::StackedArea => draw_stacks(root, report, spec, x_max_s, parts),
        ChartKind::StateStrip => draw_strip(root, report, spec, x_max_s, layer, parts),
    }
}

/// Whether `spec` shows anything a reader could not say without it: some series on it
/// changes, or the variants differ. A chart of every variant flat at one value (a queue
/// that is empty throughout, logins at 100% all along) is left out of the report; the
/// tables still carry its numbers.
pub fn informative(spec: &ChartSpec, outcomes: &[faultline_outcome::Outcome]) -> bool {
    // Over time, x always moves: only y can say something. Over a parameter (or on a
    // trade-off), where the dots sit on x is the point too.
    let over_time = spec.x_label.is_none();
    // A gap (NaN: nothing measured there) is no change: a line at 100% with gaps says as
    // little as one without.
    let mut points = outcomes
        .iter()
        .flat_map(|o| &o.series)
        .filter(|s| s.chart == spec.id)
        .flat_map(|s| s.points.iter().filter(|(x, y)| x.is_finite() && y.is_finite()))
        .map(|&(x, y)| if over_time { (0.0, y) } else { (x, y) });
    match points.next() {
        None => true, // "no data" is itself worth saying
        Some(first) => points.any(|p| p != first),
    }
}

/// One line (or dots) per variant and label: a variant's labels share its colour, the
/// first solid and later ones dashed (rings on a dot chart).
fn draw_curves<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    report: &Report,
    spec: &ChartSpec,
    x_max_s: f64,
    layer: Layer,
    parts: &mut PageParts,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let mut curves = data::curves(report.outcomes, &spec.id, x_max_s);
    // A per-variant chart shows its variant's parts, each in a colour and solid: the
    // variant's one colour and dashes would tell nothing apart.
    let own_colours = spec.variant.is_some();
    if let Some(variant) = &spec.variant {
        curves.retain(|c| c.variant == variant);
        for curve in &mut curves {
            curve.variant_index = curve.label_rank;
            curve.label_rank = 0;
        }
    }
    let values = curves.iter().flat_map(|c| &c.runs).flatten().map(|&(_, y)| y);
    let (y_min, y_max) = y_range(values.chain(reference_ys(spec)));
    let dots = spec.kind == ChartKind::Points;
    let display_name = |curve: &data::Curve<'_>| match (own_colours, curve.label) {
        (true, Some(label)) => label.to_owned(),
        _ => with_label(curve.variant, curve.label),
    };
    // One dot per variant (a trade-off): each is named beside it, and none may be half
    // hidden by an axis, so the plot leaves a margin on every side.
    let one_dot_each = dots && curves.iter().all(|c| c.runs.iter().flatten().count() <= 1);
    // Dots that coincide are named together beside them; the legend need not say it again.
    let same_as =
        if one_dot_each { vec![None; curves.len()] } else { data::same_as_earlier(&curves) };
    let rows: Vec<LegendRow> = curves
        .iter()
        .zip(&same_as)
        .map(|(curve, same_as)| {
            let name = display_name(curve);
            let sample = match (dots, curve.label_rank) {
                (true, 0) => Sample::Dot,
                (true, _) => Sample::Ring,
                (false, 0) => Sample::Line,
                (false, _) => Sample::DashedLine,
            };
            let text = match (curve.runs.is_empty(), same_as) {
                (true, _) => format!("{name} (no data)"),
                (false, Some(earlier)) => format!("{name} (= {})", display_name(&curves[*earlier])),
                (false, None) => name,
            };
            LegendRow { text, color: variant_color(curve.variant_index).plotters(), sample }
        })
        .collect();

    let (plot_area, legend_area) = split_off_legend(root, &rows)?;
    let (x_range, y_range) = if one_dot_each {
        (pad(0.0..x_max_s), pad(y_min..y_max))
    } else {
        (0.0..x_max_s, y_min..y_max)
    };
    let (y_min, y_max) = (y_range.start, y_range.end);
    let (x_range_start, x_range_end) = (x_range.start, x_range.end);
    // A variant's layer lays the chart out as the frame does, title included, but draws
    // none of it: its data must land on the frame's axes.
    let frame_shown = layer.draws_frame();
    let mut chart = frame(&plot_area, &spec.title, x_range, y_range, Y_LABEL_AREA_PX, frame_shown)?;
    if frame_shown {
        let x_desc = spec.x_label.as_deref().unwrap_or(TIME_AXIS);
        draw_mesh(&mut chart, x_desc, &spec.y_label, &|value: &f64| number(*value), true)?;
        // Fault windows are instants of one run: they mean nothing on a parameter axis.
        if spec.x_label.is_none() {
            shade_faults(&mut chart, report.faults, x_max_s, (y_min, y_max))?;
        }
        draw_reference_lines(&mut chart, spec, x_max_s)?;
    }
    let (x_px, y_px) = chart.plotting_area().get_pixel_range();
    let scale_px = (
        f64::from(x_px.end - x_px.start) / (x_range_end - x_range_start),
        f64::from(y_px.end - y_px.start) / (y_max - y_min),
    );
    let covered = data::covered_by_later(&curves, scale_px);
    for (curve, covered) in curves.iter().zip(&covered) {
        if !layer.draws_variant(curve.variant_index) {
            continue;
        }
        // On a layered page chart, a variant's points hide with it.
        let owner = layer.variant();
        let name = display_name(curve);
        for &(x, y) in curve.runs.iter().flatten() {
            let text = format!("{name}, {}: {}", x_text(spec, x), quantity(&spec.y_label, y));
            let area = HoverArea::Point(chart.backend_coord(&(x, y)));
            parts.hover.push(Hover { variant: owner, area, text });
        }
        let color = variant_color(curve.variant_index).plotters();
        let solid = curve.label_rank == 0;
        for (run, covered) in curve.runs.iter().zip(covered) {
            // A lone point has no line to draw; a dot keeps it visible.
            if dots || run.len() == 1 {
                let style = if solid { color.filled() } else { color.stroke_width(RING_STROKE_PX) };
                chart.draw_series(run.iter().map(|&at| Circle::new(at, DOT_RADIUS_PX, style)))?;
            } else if solid {
                // Stretches hidden under later lines are drawn wider, as a rim around them.
                let mut start = 0;
                while start < covered.len() {
                    let under = &covered[start];
                    let end = (start..covered.len())
                        .find(|&k| covered[k] != *under)
                        .unwrap_or(covered.len());
                    let stretch = run[start..=end].iter().copied();
                    let width_px =
                        LINE_WIDTH_PX + RIM_STEP_PX * under.len().min(RIM_STEPS_MAX) as u32;
                    match owner {
                        // On the page the rim goes when the lines over it do: a variant shown
                        // alone is a plain line.
                        Some(variant) if !under.is_empty() => {
                            let line = color.stroke_width(LINE_WIDTH_PX);
                            chart.draw_series(LineSeries::new(stretch.clone(), line))?;
                            parts.rims.push(Rim {
                                variant,
                                coverers: under.iter().map(|&c| curves[c].variant_index).collect(),
                                points_px: stretch.map(|at| chart.backend_coord(&at)).collect(),
                                width_px,
                                color: variant_color(curve.variant_index),
                            });
                        }
                        _ => {
                            chart.draw_series(LineSeries::new(
                                stretch,
                                color.stroke_width(width_px),
                            ))?;
                        }
                    }
                    start = end;
                }
            } else {
                let stroke = color.stroke_width(LINE_WIDTH_PX);
                let dashes =
                    DashedLineSeries::new(run.iter().copied(), DASH_PX, DASH_GAP_PX, stroke);
                chart.draw_series(dashes)?;
            }
        }
    }
    if !frame_shown {
        return Ok(());
    }
    if one_dot_each {
        let labels = place_dot_labels(&chart, &curves);
        if layer == Layer::Frame {
            // On the page a label goes with its variants, as their dots do.
            parts.dot_labels = labels;
        } else {
            for label in labels {
                let style = TextStyle::from((FONT_FAMILY, DOT_LABEL_SIZE_PX).into_font())
                    .pos(Pos::new(label.hpos, VPos::Center));
                let text = Text::new(label.text, label.offset_px, style);
                chart.draw_series(iter::once(EmptyElement::at(label.point) + text))?;
            }
        }
    }
    label_reference_lines(&mut chart, spec, x_max_s)?;
    if layer == Layer::Frame {
        // The page draws the legend itself, as rows that toggle the variants.
        parts.variants = curves.iter().map(|c| c.variant_index).collect();
        parts.legend = curves.iter().map(|c| c.variant_index).zip(rows).collect();
        parts.legend_left_px = plot_area.dim_in_pixel().0;
        return Ok(());
    }
    draw_legend(&legend_area, &rows)
}

/// Where a hover target is along the x axis: a time, or a parameter's value.
fn x_text(spec: &ChartSpec, x: f64) -> String {
    match &spec.x_label {
        Some(label) => quantity(label, x),
        None => format!("{} s", number(x)),
    }
}

/// A value in its axis's words, a unit in parentheses moved to the number:
/// "p99 latency (ms)" and 108.9 read "p99 latency 108.9 ms"; "latency (ms), mean" reads
/// "latency, mean 108.9 ms"; "balance ($)" reads "balance $100". Anything else reads
/// "label: value" ("availability (share answered): 0.98"): words in parentheses explain,
/// they are no unit.
fn quantity(label: &str, value: f64) -> String {
    const UNIT_CHARS_MAX: usize = 5;
    let unit = label.rfind(" (").and_then(|open| {
        let close = open + label[open..].find(')')?;
        let unit = &label[open + 2..close];
        let short = !unit.is_empty() && unit.chars().count() <= UNIT_CHARS_MAX;
        (short && !unit.contains(char::is_whitespace))
            .then(|| (&label[..open], unit, &label[close + 1..]))
    });
    let value = number(value);
    match unit {
        Some((what, "%", rest)) => format!("{what}{rest} {value}%"),
        Some((what, "$", rest)) => format!("{what}{rest} ${value}"),
        Some((what, unit, rest)) => format!("{what}{rest} {value} {unit}"),
        None => format!("{label}: {value}"),
    }
}

/// `range` widened by a twentieth of its span at each end.
fn pad(range: Range<f64>) -> Range<f64> {
    let margin = (range.end - range.start) / 20.0;
    range.start - margin..range.end + margin
}

/// Names each dot beside it, so that a reader needs no legend, and dots that land on one
/// another (two variants with the same result) are named together instead of one hiding
/// the other.
fn place_dot_labels<DB: DrawingBackend, Y: Ranged<ValueType = f64>>(
    chart: &TimeChart<DB, Y>,
    curves: &[data::Curve<'_>],
) -> Vec<DotLabel> {
    /// Where dots are drawn (in pixels), where that is in data, and whose they are.
    struct Spot {
        px: (i32, i32),
        point: (f64, f64),
        names: Vec<String>,
        owners: Vec<usize>,
    }
    let mut spots: Vec<Spot> = Vec::new();
    for curve in curves {
        let name = with_label(curve.variant, curve.label);
        for &point in curve.runs.iter().flatten() {
            let px = chart.backend_coord(&point);
            let near = |(x, y): (i32, i32)| {
                (x - px.0).abs() <= DOT_SAME_PX && (y - px.1).abs() <= DOT_SAME_PX
            };
            match spots.iter_mut().find(|spot| near(spot.px)) {
                Some(spot) => {
                    spot.names.push(name.clone());
                    spot.owners.push(curve.variant_index);
                }
                None => spots.push(Spot {
                    px,
                    point,
                    names: vec![name.clone()],
                    owners: vec![curve.variant_index],
                }),
            }
        }
    }
    let (x_px, y_px) = chart.plotting_area().get_pixel_range();
    let dots_px: Vec<(i32, i32)> = spots.iter().map(|spot| spot.px).collect();
    let mut taken: Vec<Box2> = Vec::new();
    let mut labels = Vec::with_capacity(spots.len());
    for Spot { px, point, names, owners } in spots {
        let text = names.join(" = ");
        let width_px = (text.chars().count() as f64 * f64::from(DOT_LABEL_SIZE_PX) * 0.6) as i32;
        let height_px = DOT_LABEL_SIZE_PX as i32 + 2;
        // Beside the dot, right or left, level with it or a line above or below: the first
        // place inside the plot that covers no other label or dot.
        let fits = |(hpos, dx, dy): (HPos, i32, i32)| {
            let left = if matches!(hpos, HPos::Left) { px.0 + dx } else { px.0 + dx - width_px };
            let top = px.1 + dy - height_px / 2;
            let b = Box2 { left, top, right: left + width_px, bottom: top + height_px };
            let inside = b.left >= x_px.start
                && b.right <= x_px.end
                && b.top >= y_px.start
                && b.bottom <= y_px.end;
            let clear = !taken.iter().any(|t| t.overlaps(&b))
                && !dots_px.iter().any(|&d| b.contains(d, DOT_RADIUS_PX as i32 + 1));
            (inside && clear).then_some(b)
        };
        let line = height_px;
        let places = [
            (HPos::Left, DOT_LABEL_GAP_PX, 0),
            (HPos::Right, -DOT_LABEL_GAP_PX, 0),
            (HPos::Left, DOT_LABEL_GAP_PX, -line),
            (HPos::Right, -DOT_LABEL_GAP_PX, -line),
            (HPos::Left, DOT_LABEL_GAP_PX, line),
            (HPos::Right, -DOT_LABEL_GAP_PX, line),
        ];
        let (hpos, dx, dy) =
            places.iter().copied().find(|&place| fits(place).is_some()).unwrap_or(places[0]);
        if let Some(b) = fits((hpos, dx, dy)) {
            taken.push(b);
        }
        let at_px = (px.0 + dx, px.1 + dy);
        labels.push(DotLabel { owners, text, point, offset_px: (dx, dy), at_px, hpos });
    }
    labels
}

/// A name beside the dots of a one-dot-per-variant chart, and the variants whose dots it
/// names (several, where their dots coincide).
struct DotLabel {
    owners: Vec<usize>,
    text: String,
    /// The dot, in data, and the label's anchor from it, in pixels.
    point: (f64, f64),
    offset_px: (i32, i32),
    /// The anchor in the picture's pixels, and which end of the text sits there.
    at_px: (i32, i32),
    hpos: HPos,
}

impl DotLabel {
    /// The label as the page draws it, shown while any of its variants is: `names` are the
    /// outcomes' variant names by index.
    fn page_svg(&self, names: &[&str]) -> String {
        let anchor = if matches!(self.hpos, HPos::Left) { "start" } else { "end" };
        let (x, y) = self.at_px;
        format!(
            "<text data-variants=\"{}\" x=\"{x}\" y=\"{y}\" dy=\"0.5ex\" text-anchor=\"{anchor}\" \
             font-family=\"{FONT_FAMILY}\" font-size=\"{DOT_LABEL_SIZE_PX}\" fill=\"#000000\">{}</text>\n",
            variants_attribute(names, &self.owners),
            escape(&self.text)
        )
    }
}

/// A label's box on a dot chart, in pixels.
struct Box2 {
    left: i32,
    top: i32,
    right: i32,
    bottom: i32,
}

impl Box2 {
    fn overlaps(&self, other: &Box2) -> bool {
        self.left < other.right
            && other.left < self.right
            && self.top < other.bottom
            && other.top < self.bottom
    }

    fn contains(&self, (x, y): (i32, i32), margin: i32) -> bool {
        x + margin > self.left
            && x - margin < self.right
            && y + margin > self.top
            && y - margin < self.bottom
    }
}

/// Each variant's labelled series as filled layers on top of each other, bottom first, in
/// the colours of their label order. A second variant's stack is drawn over the first with
/// dashed edges: a stacked chart normally shows one variant, and overlapping stacks only
/// need to stay tellable apart. Fault windows are shaded behind and their edges dashed on
/// top, since the areas cover most of the shading.
fn draw_stacks<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    report: &Report,
    spec: &ChartSpec,
    x_max_s: f64,
    parts: &mut PageParts,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let stacks = data::stacks(report.outcomes, &spec.id, x_max_s);
    let edges = || stacks.iter().flat_map(|stack| &stack.layers).flat_map(|layer| &layer.edges);
    let values = edges().flat_map(|&(_, bottom, top)| [bottom, top]);
    let (y_min, y_max) = y_range(values.chain(reference_ys(spec)));
    let several = stacks.len() > 1;
    let mut rows: Vec<LegendRow> = stacks
        .iter()
        .flat_map(|stack| {
            stack.layers.iter().map(move |layer| LegendRow {
                text: match (several, layer.label) {
                    (false, Some(label)) => label.to_owned(),
                    (_, label) => with_label(stack.variant, label),
                },
                color: ordered_color(layer.label_index).plotters(),
                sample: Sample::Swatch,
            })
        })
        .collect();
    if rows.is_empty() {
        rows.push(LegendRow { text: "no data".to_owned(), color: BLACK, sample: Sample::Nothing });
    }

    let (plot_area, legend_area) = split_off_legend(root, &rows)?;
    let mut chart =
        frame(&plot_area, &spec.title, 0.0..x_max_s, y_min..y_max, Y_LABEL_AREA_PX, true)?;
    draw_mesh(&mut chart, TIME_AXIS, &spec.y_label, &|value: &f64| number(*value), true)?;
    shade_faults(&mut chart, report.faults, x_max_s, (y_min, y_max))?;
    for (stack_rank, stack) in stacks.iter().enumerate() {
        for layer in &stack.layers {
            let color = ordered_color(layer.label_index).plotters();
            if let [(x_s, _, top)] = layer.edges.as_slice() {
                // One instant has no area; a dot at its top keeps it visible.
                chart.draw_series(iter::once(Circle::new(
                    (*x_s, *top),
                    DOT_RADIUS_PX,
                    color.filled(),
                )))?;
                continue;
            }
            let tops = layer.edges.iter().map(|&(x_s, _, top)| (x_s, top));
            let bottoms = layer.edges.iter().rev().map(|&(x_s, bottom, _)| (x_s, bottom));
            let outline: Vec<(f64, f64)> = tops.clone().chain(bottoms).collect();
            // Not quite opaque, so the grid behind still shows faintly; the fault shading
            // mostly does not, which is why the windows' edges are drawn over the stack.
            let fill = color.mix(AREA_OPACITY).filled();
            chart.draw_series(iter::once(Polygon::new(outline, fill)))?;
            let stroke = color.stroke_width(AREA_EDGE_WIDTH_PX);
            if stack_rank == 0 {
                chart.draw_series(LineSeries::new(tops, stroke))?;
            } else {
                chart.draw_series(DashedLineSeries::new(tops, DASH_PX, DASH_GAP_PX, stroke))?;
            }
        }
    }
    mark_fault_edges(&mut chart, report.faults, x_max_s, (y_min, y_max))?;
    // A column per instant of the time grid, reaching halfway to its neighbours, says every
    // part's value there.
    for stack in &stacks {
        let Some(grid) = stack.layers.first().map(|layer| &layer.edges) else { continue };
        for (k, &(x_s, _, _)) in grid.iter().enumerate() {
            let before = if k == 0 { x_s } else { (grid[k - 1].0 + x_s) / 2.0 };
            let after = grid.get(k + 1).map_or(x_s, |next| (next.0 + x_s) / 2.0);
            let mut text = format!("{}, {}, {}:", stack.variant, x_text(spec, x_s), spec.y_label);
            for layer in &stack.layers {
                let (_, bottom, top) = layer.edges[k];
                let part = layer.label.unwrap_or(stack.variant);
                text.push_str(&format!("\n{part}: {}", number(top - bottom)));
            }
            let corners =
                (chart.backend_coord(&(before, y_max)), chart.backend_coord(&(after, y_min)));
            parts.hover.push(Hover {
                variant: None,
                area: HoverArea::Rect(corners.0, corners.1),
                text,
            });
        }
    }
    // Over the areas, which would hide a line behind them.
    draw_reference_lines(&mut chart, spec, x_max_s)?;
    label_reference_lines(&mut chart, spec, x_max_s)?;
    draw_legend(&legend_area, &rows)
}

/// One band per variant (scenario order, top down) coloured by the state it was in over
/// time; the legend names the states. The bands leave room between them, where the fault
/// shading behind shows; dashed edges mark the fault windows across the bands too.
fn draw_strip<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    report: &Report,
    spec: &ChartSpec,
    x_max_s: f64,
    layer: Layer,
    parts: &mut PageParts,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let bands = data::bands(report.outcomes, &spec.id, x_max_s);
    let state_row = |state: usize, text: String| LegendRow {
        text,
        color: ordered_color(state).plotters(),
        sample: Sample::Swatch,
    };
    let mut rows: Vec<LegendRow> = spec
        .states
        .iter()
        .enumerate()
        .map(|(state, name)| state_row(state, name.clone()))
        .collect();
    // A state the model did not name still gets a legend row rather than an unexplained colour.
    let mut unnamed: Vec<usize> = bands
        .iter()
        .flat_map(|band| &band.spans)
        .map(|span| span.state)
        .filter(|&state| state >= spec.states.len())
        .collect();
    unnamed.sort_unstable();
    unnamed.dedup();
    rows.extend(unnamed.into_iter().map(|state| state_row(state, format!("state {state}"))));
    if bands.is_empty() {
        rows.push(LegendRow { text: "no data".to_owned(), color: BLACK, sample: Sample::Nothing });
    }

    let (plot_area, legend_area) = split_off_legend(root, &rows)?;
    // Variant names are the y tick labels: the label area grows to fit them, within bounds.
    let tick_style = TextStyle::from((FONT_FAMILY, TICK_LABEL_SIZE_PX).into_font());
    let room_around_names_px = AXIS_DESC_SIZE_PX + 3 * MARGIN_PX;
    let mut widest_px = 0;
    for band in &bands {
        widest_px = widest_px.max(root.estimate_text_size(&band.name, &tick_style)?.0);
    }
    let y_label_area_px =
        (widest_px + room_around_names_px).clamp(Y_LABEL_AREA_PX, STRIP_NAME_AREA_MAX_PX);
    let names_room_px = y_label_area_px - room_around_names_px;
    let mut names = Vec::with_capacity(bands.len());
    for band in &bands {
        names.push(shorten_to_fit(root, &band.name, &tick_style, names_room_px)?);
    }

    // Band k from the top sits at y = count - 1 - k, with a tick (its name) at its middle.
    let count = bands.len().max(1);
    let band_y = |k: usize| (count - 1 - k) as f64;
    let y_min = -0.5;
    let y_max = count as f64 - 0.5;
    let y_spec =
        BandAxis { linear: (y_min..y_max).into(), centres: (0..bands.len()).map(band_y).collect() };
    let frame_shown = layer.draws_frame();
    let mut chart =
        frame(&plot_area, &spec.title, 0.0..x_max_s, y_spec, y_label_area_px, frame_shown)?;
    let band_at = |y: &f64| (count - 1).checked_sub(y.round() as usize);
    let name_at = |y: &f64| band_at(y).and_then(|k| names.get(k)).cloned().unwrap_or_default();
    if frame_shown {
        // On the page each band's name is drawn in its variant's layer, to hide with it.
        let nameless = |_: &f64| String::new();
        let tick: &dyn Fn(&f64) -> String =
            if layer == Layer::Frame { &nameless } else { &name_at };
        draw_mesh(&mut chart, TIME_AXIS, &spec.y_label, tick, false)?;
        shade_faults(&mut chart, report.faults, x_max_s, (y_min, y_max))?;
    }
    if layer == Layer::Frame {
        parts.variants = bands.iter().map(|band| band.variant_index).collect();
    }
    for (k, band) in bands.iter().enumerate() {
        if !layer.draws_variant(band.variant_index) {
            continue;
        }
        let (low, high) = (band_y(k) - BAND_HALF_HEIGHT, band_y(k) + BAND_HALF_HEIGHT);
        let spans = band.spans.iter().map(|span| {
            let color = ordered_color(span.state).plotters();
            Rectangle::new([(span.from_s, low), (span.until_s, high)], color.filled())
        });
        chart.draw_series(spans)?;
        let owner = layer.variant();
        if owner.is_some() {
            // The band's name where the frame's axis would have put it: through the same
            // axis, drawn with nothing but this one tick label.
            let own_name = |y: &f64| if band_at(y) == Some(k) { name_at(y) } else { String::new() };
            chart
                .configure_mesh()
                .disable_mesh()
                .x_labels(0)
                .axis_style(TRANSPARENT)
                .y_label_formatter(&own_name)
                .label_style((FONT_FAMILY, TICK_LABEL_SIZE_PX))
                .draw()?;
        }
        for span in &band.spans {
            let state = spec.states.get(span.state).cloned();
            let state = state.unwrap_or_else(|| format!("state {}", span.state));
            let (from, until) = (number(span.from_s), number(span.until_s));
            let text = format!("{}: {state} from {from} s to {until} s", band.name);
            let corners = (
                chart.backend_coord(&(span.from_s, high)),
                chart.backend_coord(&(span.until_s, low)),
            );
            parts.hover.push(Hover {
                variant: owner,
                area: HoverArea::Rect(corners.0, corners.1),
                text,
            });
        }
        // The band's whole extent, outlined: a stretch of unknown state shows as a hole.
        let outline = Rectangle::new([(0.0, low), (x_max_s, high)], BAND_OUTLINE.stroke_width(1));
        chart.draw_series(iter::once(outline))?;
    }
    // Over the bands: each variant's layer draws them again over its own, which lands on
    // the frame's exactly.
    mark_fault_edges(&mut chart, report.faults, x_max_s, (y_min, y_max))?;
    if frame_shown {
        // The legend names the states, not the variants: it stays in the picture.
        draw_legend(&legend_area, &rows)?;
    }
    Ok(())
}

/// The y axis of a state strip: linear, with its ticks (labelled with the variants' names) at
/// the middles of the bands rather than at round numbers. plotters' `WithKeyPoints` places
/// ticks the same way, but over floats it does not accept a label formatter.
struct BandAxis {
    linear: RangedCoordf64,
    centres: Vec<f64>,
}

impl Ranged for BandAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.linear.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        // Bold points only: the light ones would be unlabelled lines between the bands.
        if hint.weight().allow_light_points() { Vec::new() } else { self.centres.clone() }
    }

    fn range(&self) -> Range<f64> {
        self.linear.range()
    }
}

/// A chart over virtual time (seconds on x) with `Y` on its y axis.
type TimeChart<'a, DB, Y> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Y>>;

/// The plot's frame: title, margins and coordinates; the x axis is always virtual time.
fn frame<'a, DB: DrawingBackend, Y: AsRangedCoord<Value = f64>>(
    area: &'a DrawingArea<DB, Shift>,
    title: &str,
    x_range: Range<f64>,
    y_spec: Y,
    y_label_area_px: u32,
    title_shown: bool,
) -> Result<TimeChart<'a, DB, Y::CoordDescType>, DrawingAreaErrorKind<DB::ErrorType>> {
    let (title, title_style) = fit_title(area, title)?;
    // A hidden title still takes its room, so every layer has the same plot area.
    let title_style = if title_shown { title_style } else { title_style.color(&TRANSPARENT) };
    ChartBuilder::on(area)
        .caption(title, title_style)
        .margin(MARGIN_PX)
        .x_label_area_size(X_LABEL_AREA_PX)
        .y_label_area_size(y_label_area_px)
        .build_cartesian_2d(x_range, y_spec)
}

/// The x axis of every chart over virtual time.
const TIME_AXIS: &str = "virtual time (s)";

fn draw_mesh<DB: DrawingBackend, Y: Ranged<ValueType = f64> + ValueFormatter<f64>>(
    chart: &mut TimeChart<DB, Y>,
    x_desc: &str,
    y_desc: &str,
    y_tick: &dyn Fn(&f64) -> String,
    y_grid: bool,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let x_tick = |value: &f64| number(*value);
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(x_desc)
        .y_desc(y_desc)
        .x_label_formatter(&x_tick)
        .y_label_formatter(y_tick)
        .label_style((FONT_FAMILY, TICK_LABEL_SIZE_PX))
        .axis_desc_style((FONT_FAMILY, AXIS_DESC_SIZE_PX))
        // Grid lines at the labelled ticks only: finer ones are noise behind the shading.
        .bold_line_style(BLACK.mix(0.1))
        .light_line_style(TRANSPARENT);
    if !y_grid {
        mesh.disable_y_mesh();
    }
    mesh.draw()
}

/// Fault windows as grey shading over the whole height, labelled at the top. Drawn before
/// the data, so the data stays on top of the shading.
fn shade_faults<DB: DrawingBackend, Y: Ranged<ValueType = f64>>(
    chart: &mut TimeChart<DB, Y>,
    faults: &[FaultWindow],
    x_max_s: f64,
    (y_min, y_max): (f64, f64),
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let fault_label_style = TextStyle::from((FONT_FAMILY, FAULT_LABEL_SIZE_PX).into_font())
        .color(&FAULT_LABEL)
        .pos(Pos::new(HPos::Left, VPos::Top));
    // Labels of faults close together go on rows below one another, so none overprints
    // another; one that fits on no row is left to the report's list of faults.
    let mut rows_end_px: Vec<i32> = Vec::new();
    for (fault, (from_s, until_s)) in fault_windows(faults, x_max_s) {
        chart.draw_series(iter::once(Rectangle::new(
            [(from_s, y_min), (until_s, y_max)],
            FAULT_SHADE.mix(FAULT_SHADE_OPACITY).filled(),
        )))?;
        let start_px = chart.backend_coord(&(from_s, y_max)).0 + FAULT_LABEL_INSET_PX;
        let width_px =
            (fault.label.chars().count() as f64 * f64::from(FAULT_LABEL_SIZE_PX) * 0.6) as i32;
        let row = match rows_end_px.iter().position(|&end| end < start_px) {
            Some(row) => row,
            None if rows_end_px.len() < FAULT_LABEL_ROWS_MAX => {
                rows_end_px.push(i32::MIN);
                rows_end_px.len() - 1
            }
            None => continue,
        };
        rows_end_px[row] = start_px + width_px + FAULT_LABEL_GAP_PX;
        let down_px = FAULT_LABEL_INSET_PX + row as i32 * (FAULT_LABEL_SIZE_PX as i32 + 3);
        chart.draw_series(iter::once(
            EmptyElement::at((from_s, y_max))
                + Text::new(
                    fault.label.clone(),
                    (FAULT_LABEL_INSET_PX, down_px),
                    fault_label_style.clone(),
                ),
        ))?;
    }
    Ok(())
}

/// The y values of the chart's reference lines that can be drawn.
fn reference_ys(spec: &ChartSpec) -> impl Iterator<Item = f64> + Clone + '_ {
    spec.reference_lines.iter().map(|&(y, _)| y).filter(|y| y.is_finite())
}

/// Each reference line across the whole plot, dashed in the failed colour. Line and dot
/// charts draw them under the data, so a curve that runs along one stays visible.
fn draw_reference_lines<DB: DrawingBackend, Y: Ranged<ValueType = f64>>(
    chart: &mut TimeChart<DB, Y>,
    spec: &ChartSpec,
    x_max_s: f64,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let stroke = OUTCOME_FAILED.plotters().stroke_width(REFERENCE_WIDTH_PX);
    for y in reference_ys(spec) {
        let line = [(0.0, y), (x_max_s, y)];
        chart.draw_series(DashedLineSeries::new(line, DASH_PX, DASH_GAP_PX, stroke))?;
    }
    Ok(())
}

/// Each reference line's label at its right end, just above it; drawn after the data so
/// that no curve covers it.
fn label_reference_lines<DB: DrawingBackend, Y: Ranged<ValueType = f64>>(
    chart: &mut TimeChart<DB, Y>,
    spec: &ChartSpec,
    x_max_s: f64,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let mut style = TextStyle::from((FONT_FAMILY, REFERENCE_LABEL_SIZE_PX).into_font())
        .pos(Pos::new(HPos::Right, VPos::Bottom));
    style.color = OUTCOME_FAILED.plotters().to_backend_color();
    for (y, label) in spec.reference_lines.iter().filter(|(y, _)| y.is_finite()) {
        chart.draw_series(iter::once(
            EmptyElement::at((x_max_s, *y)) + Text::new(label.clone(), (-4, -3), style.clone()),
        ))?;
    }
    Ok(())
}

/// The fault windows that can be drawn, clamped to the chart's x range.
fn fault_windows(
    faults: &[FaultWindow],
    x_max_s: f64,
) -> impl Iterator<Item = (&FaultWindow, (f64, f64))> {
    faults.iter().filter(|fault| !fault.from_s.is_nan() && !fault.until_s.is_nan()).map(
        move |fault| {
            let from_s = fault.from_s.clamp(0.0, x_max_s);
            (fault, (from_s, fault.until_s.clamp(from_s, x_max_s)))
        },
    )
}

/// Dashed lines at the start and end of each fault window, over the data: filled areas and
/// bands hide most of the shading behind them, and the window must stay readable there.
fn mark_fault_edges<DB: DrawingBackend, Y: Ranged<ValueType = f64>>(
    chart: &mut TimeChart<DB, Y>,
    faults: &[FaultWindow],
    x_max_s: f64,
    (y_min, y_max): (f64, f64),
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    for (_, (from_s, until_s)) in fault_windows(faults, x_max_s) {
        for x_s in [from_s, until_s] {
            let edge = [(x_s, y_min), (x_s, y_max)];
            let stroke = FAULT_LABEL.stroke_width(FAULT_EDGE_WIDTH_PX);
            chart.draw_series(DashedLineSeries::new(
                edge,
                FAULT_EDGE_DASH_PX,
                DASH_GAP_PX,
                stroke,
            ))?;
        }
    }
    Ok(())
}

/// How a legend row shows its colour: the way the data it names is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sample {
    Line,
    DashedLine,
    Dot,
    Ring,
    /// A filled square, for areas and bands.
    Swatch,
    /// Text only, e.g. "no data".
    Nothing,
}

struct LegendRow {
    text: String,
    color: RGBColor,
    sample: Sample,
}

fn legend_style() -> TextStyle<'static> {
    TextStyle::from((FONT_FAMILY, LEGEND_SIZE_PX).into_font())
}

type PlotAndLegend<DB> = (DrawingArea<DB, Shift>, DrawingArea<DB, Shift>);

/// The plot on the left, the legend column on the right: wide enough for the longest row
/// within bounds (longer rows are shortened), so it never covers data the way an in-plot
/// legend box can.
fn split_off_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    rows: &[LegendRow],
) -> Result<PlotAndLegend<DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    let style = legend_style();
    let mut widest_px = 0;
    for row in rows {
        widest_px = widest_px.max(root.estimate_text_size(&row.text, &style)?.0);
    }
    let width_px = widest_px + LEGEND_SAMPLE_WIDTH_PX as u32 + 3 * MARGIN_PX;
    let width_px = width_px.clamp(LEGEND_WIDTH_MIN_PX, LEGEND_WIDTH_MAX_PX);
    Ok(root.split_horizontally(CHART_WIDTH_PX - width_px))
}

fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    rows: &[LegendRow],
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let text_style = legend_style().pos(Pos::new(HPos::Left, VPos::Center));
    let text_x_px = LEGEND_SAMPLE_WIDTH_PX + 8;
    let room_px = area.dim_in_pixel().0.saturating_sub(text_x_px as u32 + MARGIN_PX);
    // Level with the top of the plot, below the title.
    let top_px = TITLE_SIZE_PX as i32 + 2 * MARGIN_PX as i32 + LEGEND_ROW_HEIGHT_PX / 2;
    // Rows below the chart's bottom would be cut off: the last row that fits says how many
    // more there are instead.
    let height_px = area.dim_in_pixel().1 as i32;
    let rows_max = usize::try_from((height_px - top_px) / LEGEND_ROW_HEIGHT_PX).unwrap_or(0);
    let shown = if rows.len() > rows_max { rows_max.saturating_sub(1) } else { rows.len() };
    for (index, row) in rows[..shown].iter().enumerate() {
        let y_px = top_px + index as i32 * LEGEND_ROW_HEIGHT_PX;
        let color = row.color;
        let (sample_mid_px, sample_end_px) = (LEGEND_SAMPLE_WIDTH_PX / 2, LEGEND_SAMPLE_WIDTH_PX);
        match row.sample {
            Sample::Line => area.draw(&PathElement::new(
                vec![(0, y_px), (sample_end_px, y_px)],
                color.stroke_width(LINE_WIDTH_PX + 1),
            ))?,
            Sample::DashedLine => area.draw(&DashedPathElement::new(
                vec![(0, y_px), (sample_end_px, y_px)],
                DASH_PX,
                DASH_GAP_PX,
                color.stroke_width(LINE_WIDTH_PX + 1),
            ))?,
            Sample::Dot => {
                area.draw(&Circle::new((sample_mid_px, y_px), DOT_RADIUS_PX + 1, color.filled()))?
            }
            Sample::Ring => area.draw(&Circle::new(
                (sample_mid_px, y_px),
                DOT_RADIUS_PX + 1,
                color.stroke_width(RING_STROKE_PX + 1),
            ))?,
            Sample::Swatch => {
                let half_px = LEGEND_SWATCH_PX / 2;
                area.draw(&Rectangle::new(
                    [
                        (sample_mid_px - half_px, y_px - half_px),
                        (sample_mid_px + half_px, y_px + half_px),
                    ],
                    color.filled(),
                ))?
            }
            Sample::Nothing => {}
        }
        let label = shorten_to_fit(area, &row.text, &text_style, room_px)?;
        area.draw_text(&label, &text_style, (text_x_px, y_px))?;
    }
    let hidden = rows.len() - shown;
    if hidden > 0 {
        let y_px = top_px + shown as i32 * LEGEND_ROW_HEIGHT_PX;
        let label = shorten_to_fit(area, &format!("… and {hidden} more"), &text_style, room_px)?;
        area.draw_text(&label, &text_style, (text_x_px, y_px))?;
    }
    Ok(())
}

/// The title at its normal size if it fits the plot's width, else smaller, else shortened.
pub(crate) fn fit_title<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<(String, TextStyle<'static>), DrawingAreaErrorKind<DB::ErrorType>> {
    let room_px = area.dim_in_pixel().0.saturating_sub(2 * MARGIN_PX);
    let mut size_px = TITLE_SIZE_PX;
    loop {
        let style = TextStyle::from((FONT_FAMILY, size_px).into_font());
        if size_px == TITLE_SIZE_MIN_PX || area.estimate_text_size(title, &style)?.0 <= room_px {
            let title = shorten_to_fit(area, title, &style, room_px)?;
            return Ok((title, style));
        }
        size_px -= 1;
    }
}

/// `text`, or as much of it as fits in `room_px` followed by an ellipsis.
pub(crate) fn shorten_to_fit<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
    room_px: u32,
) -> Result<String, DrawingAreaErrorKind<DB::ErrorType>> {
    if area.estimate_text_size(text, style)?.0 <= room_px {
        return Ok(text.to_owned());
    }
    let mut chars: Vec<char> = text.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let shortened: String = chars.iter().chain(iter::once(&'…')).collect();
        if area.estimate_text_size(&shortened, style)?.0 <= room_px {
            return Ok(shortened);
        }
    }
    Ok("…".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crowded_chart_keeps_hover_targets_evenly_spread_within_the_cap() {
        let targets = |n: i32| -> Vec<Hover> {
            let area = |k| HoverArea::Point((k, 0));
            (0..n).map(|k| Hover { variant: None, area: area(k), text: k.to_string() }).collect()
        };
        let texts = |all: &[Hover]| thinned(all).map(|h| h.text.clone()).collect::<Vec<_>>();
        assert_eq!(texts(&targets(3)), ["0", "1", "2"]);
        let crowded = texts(&targets(4_500));
        assert_eq!(crowded.len(), 1_500, "every third, not none");
        assert_eq!((crowded[1].as_str(), crowded[1_499].as_str()), ("3", "4497"));
    }

    #[test]
    fn hover_text_puts_the_unit_after_the_number() {
        assert_eq!(quantity("p99 latency (ms)", 108.9), "p99 latency 108.9 ms");
        assert_eq!(
            quantity("p99 answer latency (ms), mean", 3.5),
            "p99 answer latency, mean 3.5 ms"
        );
        assert_eq!(quantity("runs with an anomaly (%)", 12.0), "runs with an anomaly 12%");
        assert_eq!(quantity("pay success rate", 0.5), "pay success rate: 0.5");
        assert_eq!(quantity("all accounts ($)", 100.0), "all accounts $100");
        assert_eq!(
            quantity("availability (share of transfers answered), mean", 1.0),
            "availability (share of transfers answered), mean: 1"
        );
    }

    #[test]
    fn palette_is_stable_and_repeats() {
        assert_eq!(variant_color(0), Rgb(0x00, 0x72, 0xB2));
        assert_eq!(variant_color(VARIANT_PALETTE.len()), variant_color(0));
        assert_eq!(OUTCOME_OK.hex(), "#81BFFC");
        assert_eq!(OUTCOME_INDETERMINATE.hex(), "#FFA400");
        assert_eq!(OUTCOME_FAILED.hex(), "#FF1E90");
    }

    #[test]
    fn ordered_parts_take_the_outcome_palette_then_the_variant_palette() {
        let colors: Vec<Rgb> = (0..5).map(ordered_color).collect();
        assert_eq!(
            colors,
            [OUTCOME_OK, OUTCOME_INDETERMINATE, OUTCOME_FAILED, variant_color(0), variant_color(1)]
        );
    }

    #[test]
    fn the_fault_shade_is_an_svg_rectangle_over_the_plot() {
        let report = Report {
            scenario: "s",
            about: "",
            seed: 1,
            duration_s: 10.0,
            charts: &[],
            faults: &[faultline_outcome::FaultWindow {
                from_s: 2.0,
                until_s: 4.0,
                label: "cut".to_owned(),
            }],
            outcomes: &[],
            grids: &[],
            spacetime: None,
            headline_metrics: &[],
            invariants: &[],
            not_checked: &[],
            traces: &[],
        };
        let spec = ChartSpec {
            id: "c".to_owned(),
            title: "nothing yet".to_owned(),
            y_label: "y".to_owned(),
            kind: ChartKind::Line,
            states: Vec::new(),
            reference_lines: Vec::new(),
            x_label: None,
            variant: None,
        };
        let svg = chart_svg(&report, &spec).unwrap();
        let shade = format!(r#"opacity="{FAULT_SHADE_OPACITY}" fill="{}""#, "#707070");
        assert!(svg.contains(&shade), "no fault shading in {svg}");
        assert!(svg.contains(">\ncut\n<"), "no fault label in {svg}");
    }
}
