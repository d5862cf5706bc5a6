//! Time charts, as SVG and PNG: virtual time on x, fault windows shaded, one series per
//! variant in that variant's colour, a legend beside the plot.
//!
//! Both formats come from one drawing function over plotters' backend trait, so they cannot
//! drift apart. Text uses the font shipped in `fonts/`, registered with plotters once per
//! process: the PNG needs no system font library, and text is measured the same everywhere.

use std::iter;
use std::sync::OnceLock;

use faultline_engine::{ChartKind, ChartSpec};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontStyle, register_font};

use crate::Report;
use crate::error::RenderError;
use crate::table::number;

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

    fn plotters(self) -> RGBColor {
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
const FONT_FAMILY: &str = "sans-serif";
static DEJAVU_SANS_TTF: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");

const FAULT_SHADE: RGBColor = RGBColor(0x70, 0x70, 0x70);
const FAULT_SHADE_OPACITY: f64 = 0.18;
const FAULT_LABEL: RGBColor = RGBColor(0x40, 0x40, 0x40);

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
const DOT_RADIUS_PX: u32 = 3;
/// The legend column: a colour sample, then the variant name.
const LEGEND_SAMPLE_WIDTH_PX: i32 = 24;
const LEGEND_ROW_HEIGHT_PX: i32 = 22;
const LEGEND_WIDTH_MIN_PX: u32 = 120;
const LEGEND_WIDTH_MAX_PX: u32 = 280;

/// The chart as an SVG document.
pub fn chart_svg(report: &Report, spec: &ChartSpec) -> Result<String, RenderError> {
    let file = format!("{}.svg", spec.id);
    register_bundled_font(&file)?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (CHART_WIDTH_PX, CHART_HEIGHT_PX))
            .into_drawing_area();
        draw(&root, report, spec).map_err(|e| RenderError::draw(file.clone(), e))?;
        root.present().map_err(|e| RenderError::draw(file.clone(), e))?;
    }
    Ok(svg)
}

/// The chart as PNG bytes (8-bit RGB), drawn in memory and encoded in pure Rust.
pub fn chart_png(report: &Report, spec: &ChartSpec) -> Result<Vec<u8>, RenderError> {
    let file = format!("{}.png", spec.id);
    register_bundled_font(&file)?;
    let mut rgb = vec![0u8; CHART_WIDTH_PX as usize * CHART_HEIGHT_PX as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (CHART_WIDTH_PX, CHART_HEIGHT_PX))
            .into_drawing_area();
        draw(&root, report, spec).map_err(|e| RenderError::draw(file.clone(), e))?;
        root.present().map_err(|e| RenderError::draw(file.clone(), e))?;
    }
    encode_png(&rgb, &file)
}

fn register_bundled_font(file: &str) -> Result<(), RenderError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let registered = *REGISTERED
        .get_or_init(|| register_font(FONT_FAMILY, FontStyle::Normal, DEJAVU_SANS_TTF).is_ok());
    if registered { Ok(()) } else { Err(RenderError::font(file.to_owned())) }
}

fn encode_png(rgb: &[u8], file: &str) -> Result<Vec<u8>, RenderError> {
    let mut png_bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut png_bytes, CHART_WIDTH_PX, CHART_HEIGHT_PX);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let fail = |e| RenderError::png(file.to_owned(), e);
    let mut writer = encoder.write_header().map_err(fail)?;
    writer.write_image_data(rgb).map_err(fail)?;
    writer.finish().map_err(fail)?;
    Ok(png_bytes)
}

/// One variant's points on this chart.
struct Plotted<'a> {
    name: &'a str,
    color: RGBColor,
    /// Unbroken stretches of drawable points: a NaN, an infinity or a point outside the
    /// x range breaks a line rather than pulling it to an edge.
    runs: Vec<Vec<(f64, f64)>>,
}

impl Plotted<'_> {
    fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }
}

/// The x range: the run's virtual time, or the data's if the run length is unusable.
fn x_max_s(report: &Report, spec: &ChartSpec) -> f64 {
    let x_max_s = if report.duration_s.is_finite() && report.duration_s > 0.0 {
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

/// The y range: from zero (or below, if a value is negative) to a tenth above the largest
/// value, and at least to 1 so that an all-zero chart still has a scale.
fn y_range(variants: &[Plotted]) -> (f64, f64) {
    let ys = || variants.iter().flat_map(|v| &v.runs).flatten().map(|&(_, y)| y);
    let y_max = ys().fold(0.0, f64::max);
    let y_min = ys().fold(0.0, f64::min);
    (y_min * 1.1, (y_max * 1.1).max(1.0))
}

fn plotted<'a>(report: &Report<'a>, spec: &ChartSpec, x_max_s: f64) -> Vec<Plotted<'a>> {
    report
        .outcomes
        .iter()
        .enumerate()
        .map(|(index, outcome)| {
            let mut runs = Vec::new();
            for series in outcome.series.iter().filter(|series| series.chart == spec.id) {
                let mut run = Vec::new();
                for &(x, y) in &series.points {
                    if x.is_finite() && y.is_finite() && (0.0..=x_max_s).contains(&x) {
                        run.push((x, y));
                    } else if !run.is_empty() {
                        runs.push(std::mem::take(&mut run));
                    }
                }
                if !run.is_empty() {
                    runs.push(run);
                }
            }
            Plotted { name: &outcome.variant, color: variant_color(index).plotters(), runs }
        })
        .collect()
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    report: &Report,
    spec: &ChartSpec,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let x_max_s = x_max_s(report, spec);
    let variants = plotted(report, spec, x_max_s);
    let (y_min, y_max) = y_range(&variants);

    let legend_style = TextStyle::from((FONT_FAMILY, LEGEND_SIZE_PX).into_font());
    let legend_width_px = legend_width(root, &variants, &legend_style)?;
    let (plot_area, legend_area) = root.split_horizontally(CHART_WIDTH_PX - legend_width_px);

    let (title, title_style) = fit_title(&plot_area, &spec.title)?;
    let mut chart = ChartBuilder::on(&plot_area)
        .caption(title, title_style)
        .margin(MARGIN_PX)
        .x_label_area_size(X_LABEL_AREA_PX)
        .y_label_area_size(Y_LABEL_AREA_PX)
        .build_cartesian_2d(0.0..x_max_s, y_min..y_max)?;
    let format_tick = |value: &f64| number(*value);
    chart
        .configure_mesh()
        .x_desc("virtual time (s)")
        .y_desc(spec.y_label.as_str())
        .x_label_formatter(&format_tick)
        .y_label_formatter(&format_tick)
        .label_style((FONT_FAMILY, TICK_LABEL_SIZE_PX))
        .axis_desc_style((FONT_FAMILY, AXIS_DESC_SIZE_PX))
        // Grid lines at the labelled ticks only: finer ones are noise behind the shading.
        .bold_line_style(BLACK.mix(0.1))
        .light_line_style(TRANSPARENT)
        .draw()?;

    // Faults before data, so the series stay on top of the shading.
    let fault_label_style = TextStyle::from((FONT_FAMILY, FAULT_LABEL_SIZE_PX).into_font())
        .color(&FAULT_LABEL)
        .pos(Pos::new(HPos::Left, VPos::Top));
    for fault in report.faults {
        if fault.from_s.is_nan() || fault.until_s.is_nan() {
            continue;
        }
        let from_s = fault.from_s.clamp(0.0, x_max_s);
        let until_s = fault.until_s.clamp(from_s, x_max_s);
        chart.draw_series(iter::once(Rectangle::new(
            [(from_s, y_min), (until_s, y_max)],
            FAULT_SHADE.mix(FAULT_SHADE_OPACITY).filled(),
        )))?;
        chart.draw_series(iter::once(
            EmptyElement::at((from_s, y_max))
                + Text::new(fault.label.clone(), (4, 4), fault_label_style.clone()),
        ))?;
    }

    for variant in &variants {
        for run in &variant.runs {
            // A lone point has no line to draw; a dot keeps it visible.
            if spec.kind == ChartKind::Points || run.len() == 1 {
                let dots =
                    run.iter().map(|&at| Circle::new(at, DOT_RADIUS_PX, variant.color.filled()));
                chart.draw_series(dots)?;
            } else {
                let stroke = variant.color.stroke_width(LINE_WIDTH_PX);
                chart.draw_series(LineSeries::new(run.iter().copied(), stroke))?;
            }
        }
    }

    draw_legend(&legend_area, &variants, spec.kind, &legend_style)
}

/// The legend column: wide enough for the longest name within bounds (longer names are
/// shortened), so it never covers data the way an in-plot legend box can.
fn legend_width<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    variants: &[Plotted],
    style: &TextStyle,
) -> Result<u32, DrawingAreaErrorKind<DB::ErrorType>> {
    let mut widest_px = 0;
    for variant in variants {
        widest_px = widest_px.max(root.estimate_text_size(&legend_label(variant), style)?.0);
    }
    let width_px = widest_px + LEGEND_SAMPLE_WIDTH_PX as u32 + 3 * MARGIN_PX;
    Ok(width_px.clamp(LEGEND_WIDTH_MIN_PX, LEGEND_WIDTH_MAX_PX))
}

fn legend_label(variant: &Plotted) -> String {
    if variant.is_empty() { format!("{} (no data)", variant.name) } else { variant.name.to_owned() }
}

fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    variants: &[Plotted],
    kind: ChartKind,
    style: &TextStyle,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let text_style = style.pos(Pos::new(HPos::Left, VPos::Center));
    let text_x_px = LEGEND_SAMPLE_WIDTH_PX + 8;
    let room_px = area.dim_in_pixel().0.saturating_sub(text_x_px as u32 + MARGIN_PX);
    // Level with the top of the plot, below the title.
    let top_px = TITLE_SIZE_PX as i32 + 2 * MARGIN_PX as i32 + LEGEND_ROW_HEIGHT_PX / 2;
    for (row, variant) in variants.iter().enumerate() {
        let y_px = top_px + row as i32 * LEGEND_ROW_HEIGHT_PX;
        match kind {
            ChartKind::Line => area.draw(&PathElement::new(
                vec![(0, y_px), (LEGEND_SAMPLE_WIDTH_PX, y_px)],
                variant.color.stroke_width(LINE_WIDTH_PX + 1),
            ))?,
            ChartKind::Points => area.draw(&Circle::new(
                (LEGEND_SAMPLE_WIDTH_PX / 2, y_px),
                DOT_RADIUS_PX + 1,
                variant.color.filled(),
            ))?,
        }
        let label = shorten_to_fit(area, &legend_label(variant), &text_style, room_px)?;
        area.draw_text(&label, &text_style, (text_x_px, y_px))?;
    }
    Ok(())
}

/// The title at its normal size if it fits the plot's width, else smaller, else shortened.
fn fit_title<DB: DrawingBackend>(
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
fn shorten_to_fit<DB: DrawingBackend>(
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
    fn palette_is_stable_and_repeats() {
        assert_eq!(variant_color(0), Rgb(0x00, 0x72, 0xB2));
        assert_eq!(variant_color(VARIANT_PALETTE.len()), variant_color(0));
        assert_eq!(OUTCOME_OK.hex(), "#81BFFC");
        assert_eq!(OUTCOME_INDETERMINATE.hex(), "#FFA400");
        assert_eq!(OUTCOME_FAILED.hex(), "#FF1E90");
    }

    #[test]
    fn the_fault_shade_is_an_svg_rectangle_over_the_plot() {
        let report = Report {
            scenario: "s",
            about: "",
            seed: 1,
            duration_s: 10.0,
            charts: &[],
            faults: &[faultline_engine::FaultWindow {
                from_s: 2.0,
                until_s: 4.0,
                label: "cut".to_owned(),
            }],
            outcomes: &[],
            headline_metrics: &[],
        };
        let spec = ChartSpec {
            id: "c".to_owned(),
            title: "nothing yet".to_owned(),
            y_label: "y".to_owned(),
            kind: ChartKind::Line,
        };
        let svg = chart_svg(&report, &spec).unwrap();
        let shade = format!(r#"opacity="{FAULT_SHADE_OPACITY}" fill="{}""#, "#707070");
        assert!(svg.contains(&shade), "no fault shading in {svg}");
        assert!(svg.contains(">\ncut\n<"), "no fault label in {svg}");
    }
}
