//! A spacetime (Lamport) diagram of one story from a trace, as SVG and PNG: a column per
//! node, virtual time flowing down, every message an arrow from its send to its delivery,
//! the operations that interleaved badly in the failed colour, a sentence saying what went
//! wrong under the title.
//!
//! A run has thousands of events and the story a dozen, so the caller picks a time window
//! and the messages to highlight; this module knows nothing of the models. Layout is done
//! in pixels by hand (plotters' charts have no notion of columns of nodes), and both
//! formats come from one drawing function over plotters' backend trait, with the bundled
//! font, like the charts.

mod data;

use faultline_engine::{DropReason, NodeId, SimTime, TraceRecord};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::chart::{
    FAULT_LABEL, FAULT_SHADE, FONT_FAMILY, OUTCOME_FAILED, drawn_over, encode_png, fit_title,
    full_size_text, register_bundled_font, shorten_to_fit,
};
use crate::error::RenderError;
use crate::html::escape;
use crate::trace_export::node_name;
use data::{Fate, Flight, Story};

/// Size of the diagram, SVG and PNG alike: taller than a chart, since time runs down it.
pub const SPACETIME_WIDTH_PX: u32 = 1000;
pub const SPACETIME_HEIGHT_PX: u32 = 760;

/// What to draw and what to point at.
#[derive(Clone, Copy, Debug)]
pub struct Spacetime<'a> {
    pub title: &'a str,
    /// One sentence that says what went wrong, drawn under the title, e.g.
    /// "T1 and T2 both read 10000 at X, both passed the check, both debited: X = -10000".
    pub caption: &'a str,
    pub trace: &'a [TraceRecord],
    /// Node names by node id; an id without a name is drawn as `node<i>`.
    pub names: &'a [String],
    /// Only events in [from, until] are drawn (a run has thousands; the story has a dozen);
    /// a message sent before `from` or delivered after `until` is cut at the window's edge.
    pub from: SimTime,
    pub until: SimTime,
    /// Messages to highlight (by msg_id): the step that broke the invariant. The rest of the
    /// story is drawn muted.
    pub highlight: &'a [u64],
    /// The node where the violation happened: drawn even if no message drawn touches it.
    pub node: Option<NodeId>,
}

/// The diagram's files in the report folder.
pub(crate) const SVG_FILE: &str = "spacetime.svg";
pub(crate) const PNG_FILE: &str = "spacetime.png";

const MARGIN_PX: i32 = 16;
const TITLE_GAP_PX: i32 = 8;
const CAPTION_SIZE_PX: u32 = 15;
const CAPTION_LINE_HEIGHT_PX: i32 = 20;
/// A longer caption is wrapped onto a second line, then shortened: it is meant to be one
/// sentence.
const CAPTION_LINES_MAX: usize = 2;
const HEADER_GAP_PX: i32 = 14;
const HEADER_HEIGHT_PX: i32 = 30;
const NODE_NAME_SIZE_PX: u32 = 15;
/// Between the node names and the first instant of the window: room for a label there.
const TIME_TOP_GAP_PX: i32 = 22;
/// The window's first and last instants sit this far inside the drawn time range, so that
/// a mark at either does not touch its edge.
const TIME_PAD_PX: f64 = 12.0;
/// The time axis and its tick labels, left of the first column.
const TIME_AXIS_AREA_PX: i32 = 96;
/// From the plot's edges to the outer columns, at most: room for a timer's name or a
/// message a node sends itself.
const COLUMN_EDGE_PX: f64 = 90.0;
const TICK_SIZE_PX: i32 = 5;
const TICK_LABEL_SIZE_PX: u32 = 12;
const AXIS_DESC_SIZE_PX: u32 = 13;
/// About this many time ticks: enough to read times off, few enough to stay out of the way.
const TICKS_MAX: u64 = 10;
const KEY_HEIGHT_PX: i32 = 30;
const KEY_SIZE_PX: u32 = 13;
const KEY_SAMPLE_WIDTH_PX: i32 = 30;
const KEY_ITEM_GAP_PX: i32 = 26;

const LABEL_SIZE_PX: u32 = 12;
const TIMER_LABEL_SIZE_PX: u32 = 11;
const FAULT_LABEL_SIZE_PX: u32 = 12;
/// Message texts are the model's descriptions and can be long; the label keeps their start.
const LABEL_CHARS_MAX: usize = 44;
const TIMER_LABEL_CHARS_MAX: usize = 24;
/// A label may be as wide as its arrow's horizontal extent less this, within the bounds
/// below: room at either end for the send's dot and the arrowhead, which it must not hide.
const LABEL_END_CLEARANCE_PX: f64 = 40.0;
const LABEL_ROOM_MIN_PX: f64 = 110.0;
const LABEL_ROOM_MAX_PX: f64 = 320.0;
/// Around a label's text, the white box that keeps it readable over lines.
const LABEL_PAD_PX: f64 = 3.0;
/// Where along its arrow a label may sit, tried in this order: the middle first, then
/// further out, on the line and then just above and below it, until one place overlaps no
/// label or mark placed before.
const LABEL_SPOTS: [f64; 7] = [0.5, 0.36, 0.64, 0.24, 0.76, 0.14, 0.86];
const LABEL_BACKGROUND_OPACITY: f64 = 0.85;

const LIFELINE: RGBColor = RGBColor(0xB4, 0xB4, 0xB4);
const HEADER_FILL: RGBColor = RGBColor(0xF2, 0xF2, 0xF2);
const HEADER_STROKE: RGBColor = RGBColor(0x9A, 0x9A, 0x9A);
const TEXT: RGBColor = RGBColor(0x22, 0x22, 0x22);
const TEXT_MUTED: RGBColor = RGBColor(0x55, 0x55, 0x55);
const AXIS: RGBColor = RGBColor(0x88, 0x88, 0x88);
const GRID_OPACITY: f64 = 0.07;
/// Messages that are not the point of the story: present, but quieter than the highlight.
const MESSAGE: RGBColor = RGBColor(0x70, 0x70, 0x70);
const MESSAGE_WIDTH_PX: u32 = 2;
const HIGHLIGHT_WIDTH_PX: u32 = 3;
const ARROW_LENGTH_PX: f64 = 11.0;
const ARROW_HALF_WIDTH_PX: f64 = 5.0;
/// Highlighted arrowheads are this much larger, like their lines are thicker.
const HIGHLIGHT_ARROW_SCALE: f64 = 1.25;
const SEND_DOT_RADIUS_PX: u32 = 3;
const CROSS_HALF_PX: i32 = 6;
/// A message a node sends itself loops out this far to the right of its lifeline.
const SELF_LOOP_PX: f64 = 34.0;
/// A message waiting in a paused node's socket: dotted, just beside the lifeline.
const WAIT_OFFSET_PX: i32 = 5;
const WAIT_DASH_PX: i32 = 2;
const WAIT_GAP_PX: i32 = 3;
const TIMER_RADIUS_PX: u32 = 5;
const FAULT_SHADE_OPACITY: f64 = 0.12;
const FAULT_DASH_PX: i32 = 6;
const FAULT_GAP_PX: i32 = 4;
/// A folded idle stretch is drawn this tall, whatever its length.
const FOLD_HEIGHT_PX: f64 = 44.0;
/// How much of what lies under a fold (lifelines, shading) still shows through it.
const FOLD_VEIL_OPACITY: f64 = 0.8;
/// The break marks above and below a fold: a zigzag of this period and height.
const ZIGZAG_PERIOD_PX: i32 = 12;
const ZIGZAG_HEIGHT_PX: i32 = 3;
const FOLD_LABEL_SIZE_PX: u32 = 12;
/// A regular tick this close to a fold's edge is left out: the edge is labelled itself.
const TICK_CLEARANCE_PX: f64 = 18.0;
/// A message still on its way when the window ends is drawn this far past the bottom, so
/// that its line leaves the diagram heading for its receiver.
const IN_FLIGHT_OVERSHOOT_PX: f64 = 60.0;
const IN_FLIGHT_DASH_PX: i32 = 7;
const IN_FLIGHT_GAP_PX: i32 = 5;

/// The diagram as an SVG document.
pub fn spacetime_svg(diagram: &Spacetime) -> Result<String, RenderError> {
    Ok(svg_and_steps(diagram)?.0)
}

/// The diagram as the page shows it: see [`spacetime_svgs`].
pub(crate) fn spacetime_page_svg(diagram: &Spacetime) -> Result<String, RenderError> {
    Ok(spacetime_svgs(diagram)?.1)
}

/// The diagram's `.svg` file and, from the same drawing, its picture on the page: over it
/// one transparent, hoverable path per message in the order they were sent
/// (`<path class="step" data-step="k">`), whose tooltip says who sent what when, and what
/// became of it. The page's script steps through them; without it they are tooltips.
pub(crate) fn spacetime_svgs(diagram: &Spacetime) -> Result<(String, String), RenderError> {
    let (svg, steps) = svg_and_steps(diagram)?;
    let mut overlay = String::from("<g class=\"steps\">\n");
    for (index, step) in steps.iter().enumerate() {
        let mut d = String::new();
        for (k, (a, b)) in step.segments.iter().enumerate() {
            let (a, b) = (px(*a), px(*b));
            let moved = if k == 0 { format!("M{} {}", a.0, a.1) } else { String::new() };
            d.push_str(&format!("{moved} L{} {} ", b.0, b.1));
        }
        overlay.push_str(&format!(
            "<path class=\"step\" data-step=\"{index}\" d=\"{}\" fill=\"none\" stroke=\"transparent\" \
             stroke-width=\"12\" stroke-linecap=\"round\" pointer-events=\"stroke\">\
             <title>{}</title></path>\n",
            d.trim_end(),
            escape(&step.text)
        ));
    }
    overlay.push_str("</g>\n");
    let page = drawn_over(&svg, &overlay);
    Ok((svg, page))
}

fn svg_and_steps(diagram: &Spacetime) -> Result<(String, Vec<Step>), RenderError> {
    register_bundled_font(SVG_FILE)?;
    let mut svg = String::new();
    let steps;
    {
        let size = (SPACETIME_WIDTH_PX, SPACETIME_HEIGHT_PX);
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        steps = draw(&root, diagram).map_err(|e| RenderError::draw(SVG_FILE.to_owned(), e))?;
        root.present().map_err(|e| RenderError::draw(SVG_FILE.to_owned(), e))?;
    }
    Ok((full_size_text(&svg), steps))
}

/// One message of the story as a step a reader can go through: where it is drawn, and a
/// sentence about it.
struct Step {
    segments: Vec<(Point, Point)>,
    text: String,
}

/// "bob → bank: T2: debit X $100.00, sent at 1012.4 ms, delivered at 1015.1 ms": to a tenth
/// of a millisecond, as a reader compares times (the axis says where exactly).
fn step_text(flight: &Flight, names: &[String], until: SimTime) -> String {
    let at = |time: SimTime| format!("{} ms", ms(time.as_nanos(), 1));
    let fate = match flight.fate {
        Fate::Delivered { at: when } if when > until => {
            format!("delivered at {}, after the window ends", at(when))
        }
        Fate::Delivered { at: when } => format!("delivered at {}", at(when)),
        Fate::Waited { arrived_at, read_at: Some(read), .. } => {
            format!(
                "arrived at {} while the receiver was paused, read at {}",
                at(arrived_at),
                at(read)
            )
        }
        Fate::Waited { arrived_at, lost_at: Some(lost), .. } => {
            format!(
                "arrived at {} while the receiver was paused, lost when it crashed at {}",
                at(arrived_at),
                at(lost)
            )
        }
        Fate::Waited { arrived_at, .. } => {
            format!(
                "arrived at {} while the receiver was paused, still unread at the end",
                at(arrived_at)
            )
        }
        Fate::Lost { at: when, reason } => format!("lost at {} ({})", at(when), reason.as_str()),
        Fate::InFlight => "still on its way when the run ended".to_owned(),
    };
    let again = match flight.lost_again {
        Some((times, last)) => {
            format!("; lost the same way {times} more times, the last sent at {}", at(last))
        }
        None => String::new(),
    };
    format!(
        "{} → {}: {}, sent at {}, {fate}{again}",
        node_name(names, flight.from),
        node_name(names, flight.to),
        flight.text,
        at(flight.sent_at)
    )
}

/// The diagram as PNG bytes (8-bit RGB), drawn in memory and encoded in pure Rust.
pub fn spacetime_png(diagram: &Spacetime) -> Result<Vec<u8>, RenderError> {
    register_bundled_font(PNG_FILE)?;
    let (width_px, height_px) = (SPACETIME_WIDTH_PX, SPACETIME_HEIGHT_PX);
    let mut rgb = vec![0u8; width_px as usize * height_px as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (width_px, height_px)).into_drawing_area();
        draw(&root, diagram).map_err(|e| RenderError::draw(PNG_FILE.to_owned(), e))?;
        root.present().map_err(|e| RenderError::draw(PNG_FILE.to_owned(), e))?;
    }
    encode_png(&rgb, (width_px, height_px), PNG_FILE)
}

type DrawResult<T, DB> = Result<T, DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// A point in pixels, kept as floats until drawn so that clipping and arrowheads are exact.
type Point = (f64, f64);

fn px((x, y): Point) -> (i32, i32) {
    // `as` saturates: a point far outside the picture is drawn at its edge, never a panic.
    (x.round() as i32, y.round() as i32)
}

/// A stretch of the window drawn at one scale: linearly, or folded into a short band.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Segment {
    from_ns: u64,
    until_ns: u64,
    y_top_px: f64,
    y_bottom_px: f64,
    folded: bool,
}

/// Where things go: a column per node, and virtual time mapped onto the height between the
/// node names and the key, linearly except across the folds.
struct Layout {
    from_ns: u64,
    until_ns: u64,
    /// The window's first and last instants, in pixels from the top.
    y_from_px: f64,
    y_until_px: f64,
    /// The window from top to bottom, at least one segment.
    segments: Vec<Segment>,
    /// The drawn time range, a little larger than the window.
    time_top_px: i32,
    time_bottom_px: i32,
    plot_left_px: i32,
    plot_right_px: i32,
    header_top_px: i32,
    /// `(node, x)` per column, left to right.
    columns: Vec<(NodeId, f64)>,
    /// Between neighbouring columns (the whole width for one).
    column_spacing_px: f64,
}

impl Layout {
    fn new(
        nodes: &[NodeId],
        (from, until): (SimTime, SimTime),
        folds: &[(SimTime, SimTime)],
        header_top_px: i32,
    ) -> Layout {
        let time_top_px = header_top_px + HEADER_HEIGHT_PX + TIME_TOP_GAP_PX;
        let time_bottom_px =
            SPACETIME_HEIGHT_PX as i32 - MARGIN_PX - KEY_HEIGHT_PX - TIME_TOP_GAP_PX / 2;
        let plot_left_px = MARGIN_PX + TIME_AXIS_AREA_PX;
        let plot_right_px = SPACETIME_WIDTH_PX as i32 - MARGIN_PX;
        // The outer columns sit close to the edges rather than half a column in: the room
        // between columns is where the labels go.
        let width_px = f64::from(plot_right_px - plot_left_px);
        let count = nodes.len().max(1) as f64;
        let edge_px = (width_px / (2.0 * count)).min(COLUMN_EDGE_PX);
        let column_spacing_px =
            if nodes.len() > 1 { (width_px - 2.0 * edge_px) / (count - 1.0) } else { width_px };
        let columns = nodes
            .iter()
            .enumerate()
            .map(|(i, &node)| {
                let x = if nodes.len() > 1 {
                    f64::from(plot_left_px) + edge_px + i as f64 * column_spacing_px
                } else {
                    f64::from(plot_left_px) + width_px / 2.0
                };
                (node, x)
            })
            .collect();
        let (from_ns, until_ns) = (from.as_nanos(), until.as_nanos().max(from.as_nanos()));
        let y_from_px = f64::from(time_top_px) + TIME_PAD_PX;
        let y_until_px = f64::from(time_bottom_px) - TIME_PAD_PX;
        Layout {
            from_ns,
            until_ns,
            y_from_px,
            y_until_px,
            segments: segments((from_ns, until_ns), folds, (y_from_px, y_until_px)),
            time_top_px,
            time_bottom_px,
            plot_left_px,
            plot_right_px,
            header_top_px,
            columns,
            column_spacing_px,
        }
    }

    fn y(&self, at: SimTime) -> f64 {
        let at_ns = at.as_nanos();
        // Outside the window, the scale of the nearest segment goes on.
        let segment = self
            .segments
            .iter()
            .find(|segment| at_ns <= segment.until_ns)
            .or(self.segments.last())
            .copied()
            .unwrap_or(Segment {
                from_ns: self.from_ns,
                until_ns: self.until_ns,
                y_top_px: self.y_from_px,
                y_bottom_px: self.y_until_px,
                folded: false,
            });
        // One instant alone (from == until) sits at the top rather than dividing by zero.
        let span_ns = (segment.until_ns - segment.from_ns).max(1) as f64;
        // Relative to the segment before converting, so that late windows keep precision.
        let offset_ns = if at_ns >= segment.from_ns {
            (at_ns - segment.from_ns) as f64
        } else {
            -((segment.from_ns - at_ns) as f64)
        };
        segment.y_top_px + offset_ns / span_ns * (segment.y_bottom_px - segment.y_top_px)
    }

    fn x(&self, node: NodeId) -> f64 {
        // Every node of the story has a column; the fallback only keeps this total.
        self.columns
            .iter()
            .find(|(column, _)| *column == node)
            .map_or(f64::from(self.plot_left_px), |&(_, x)| x)
    }

    /// Whether `y` lies in the window (not the padding around it).
    fn in_window(&self, y: f64) -> bool {
        self.y_from_px - 0.5 <= y && y <= self.y_until_px + 0.5
    }

    /// The part of the segment `a`–`b` inside the window's time range, if any.
    fn clip(&self, a: Point, b: Point) -> Option<(Point, Point)> {
        let (top, bottom) = (self.y_from_px, self.y_until_px);
        if a.1 == b.1 {
            return self.in_window(a.1).then_some((a, b));
        }
        let at = |y: f64| (y - a.1) / (b.1 - a.1);
        let (s_top, s_bottom) = (at(top), at(bottom));
        let s_from = s_top.min(s_bottom).max(0.0);
        let s_until = s_top.max(s_bottom).min(1.0);
        if s_from > s_until {
            return None;
        }
        let lerp = |s: f64| (a.0 + (b.0 - a.0) * s, a.1 + (b.1 - a.1) * s);
        Some((lerp(s_from), lerp(s_until)))
    }
}

/// The window `[from_ns, until_ns]` cut at the folds, top to bottom over `[top, bottom]`
/// pixels: each fold [`FOLD_HEIGHT_PX`] tall, the rest at one scale. Without room for that
/// (or with nothing left unfolded), one linear segment.
fn segments(
    (from_ns, until_ns): (u64, u64),
    folds: &[(SimTime, SimTime)],
    (top_px, bottom_px): (f64, f64),
) -> Vec<Segment> {
    let mut cuts: Vec<(u64, u64, bool)> = Vec::new();
    let mut at_ns = from_ns;
    for &(fold_from, fold_until) in folds {
        let (fold_from_ns, fold_until_ns) =
            (fold_from.as_nanos().max(at_ns), fold_until.as_nanos().min(until_ns));
        if fold_from_ns >= fold_until_ns {
            continue;
        }
        if fold_from_ns > at_ns {
            cuts.push((at_ns, fold_from_ns, false));
        }
        cuts.push((fold_from_ns, fold_until_ns, true));
        at_ns = fold_until_ns;
    }
    if at_ns < until_ns || cuts.is_empty() {
        cuts.push((at_ns, until_ns, false));
    }
    let folded_px = cuts.iter().filter(|cut| cut.2).count() as f64 * FOLD_HEIGHT_PX;
    let linear_ns: u64 = cuts.iter().filter(|cut| !cut.2).map(|cut| cut.1 - cut.0).sum();
    let linear_px = bottom_px - top_px - folded_px;
    if linear_ns == 0 || linear_px < (bottom_px - top_px) / 2.0 {
        let whole =
            Segment { from_ns, until_ns, y_top_px: top_px, y_bottom_px: bottom_px, folded: false };
        return vec![whole];
    }
    let mut y_px = top_px;
    cuts.into_iter()
        .map(|(from_ns, until_ns, folded)| {
            let height_px = if folded {
                FOLD_HEIGHT_PX
            } else {
                (until_ns - from_ns) as f64 / linear_ns as f64 * linear_px
            };
            let segment = Segment {
                from_ns,
                until_ns,
                y_top_px: y_px,
                y_bottom_px: y_px + height_px,
                folded,
            };
            y_px += height_px;
            segment
        })
        .collect()
}

/// A rectangle in pixels that a label covers, to keep labels from covering each other.
#[derive(Clone, Copy)]
struct LabelBox {
    left: f64,
    top: f64,
    right: f64,
    bottom: f64,
}

impl LabelBox {
    fn around((x, y): Point, (width_px, height_px): (u32, u32)) -> LabelBox {
        let (half_w, half_h) =
            (f64::from(width_px) / 2.0 + LABEL_PAD_PX, f64::from(height_px) / 2.0 + LABEL_PAD_PX);
        LabelBox { left: x - half_w, top: y - half_h, right: x + half_w, bottom: y + half_h }
    }

    /// A square of half-side `half_px` around a mark.
    fn square((x, y): Point, half_px: f64) -> LabelBox {
        LabelBox { left: x - half_px, top: y - half_px, right: x + half_px, bottom: y + half_px }
    }

    fn overlaps(&self, other: &LabelBox) -> bool {
        self.left < other.right
            && other.left < self.right
            && self.top < other.bottom
            && other.top < self.bottom
    }
}

/// A label to draw: text centred at a point, over a white box.
struct Label {
    text: String,
    at: Point,
    area: LabelBox,
    color: RGBColor,
    size_px: u32,
}

/// Labels placed so far: a new one goes where it overlaps none of them and no mark, or is
/// left out.
struct Labels {
    bounds: LabelBox,
    placed: Vec<Label>,
    /// Where something happened (a send, an arrival, a loss, a timer): a label over one
    /// would hide the very event the diagram is about.
    marks: Vec<LabelBox>,
}

impl Labels {
    /// Places `text` at the first of `spots` where it fits; returns whether it did.
    fn place<DB: DrawingBackend>(
        &mut self,
        area: &DrawingArea<DB, Shift>,
        text: String,
        (color, size_px): (RGBColor, u32),
        spots: impl IntoIterator<Item = Point>,
    ) -> DrawResult<bool, DB> {
        let style = text_style(size_px, color);
        let size = area.estimate_text_size(&text, &style)?;
        for at in spots {
            let candidate = LabelBox::around(at, size);
            let inside = self.bounds.left <= candidate.left
                && candidate.right <= self.bounds.right
                && self.bounds.top <= candidate.top
                && candidate.bottom <= self.bounds.bottom;
            let free = !self.placed.iter().any(|label| label.area.overlaps(&candidate))
                && !self.marks.iter().any(|mark| mark.overlaps(&candidate));
            if inside && free {
                self.placed.push(Label { text, at, area: candidate, color, size_px });
                return Ok(true);
            }
        }
        Ok(false)
    }
}

fn text_style(size_px: u32, color: RGBColor) -> TextStyle<'static> {
    // Set as a field: `TextStyle::color` would tie the style's lifetime to `color`.
    let mut style = TextStyle::from((FONT_FAMILY, size_px).into_font())
        .pos(Pos::new(HPos::Center, VPos::Center));
    style.color = color.to_backend_color();
    style
}

/// The kinds of thing the diagram shows, for its key: only those present are explained.
#[derive(Default)]
struct Present {
    highlighted: bool,
    message: bool,
    lost: bool,
    waited: bool,
    timer: bool,
    fault: bool,
}

/// Draws the diagram; returns its messages as steps, in the order they were sent.
fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    diagram: &Spacetime,
) -> DrawResult<Vec<Step>, DB> {
    root.fill(&WHITE)?;
    let story =
        data::story(diagram.trace, diagram.from, diagram.until, diagram.highlight, diagram.node);
    let header_top_px = draw_title(root, diagram)?;
    if story.is_empty() {
        let style = text_style(CAPTION_SIZE_PX, TEXT_MUTED);
        let text = format!(
            "Nothing happened between {} ms and {} ms.",
            ms_exact(diagram.from.as_nanos()),
            ms_exact(diagram.until.as_nanos())
        );
        let middle = (SPACETIME_WIDTH_PX as i32 / 2, SPACETIME_HEIGHT_PX as i32 / 2);
        root.draw_text(&text, &style, middle)?;
        return Ok(Vec::new());
    }

    let layout = Layout::new(&story.nodes, story.window, &story.folds, header_top_px);
    let mut present = Present::default();
    draw_time_axis(root, &layout)?;
    let mut labels = Labels {
        bounds: LabelBox {
            left: f64::from(layout.plot_left_px),
            top: f64::from(layout.time_top_px),
            right: f64::from(layout.plot_right_px),
            bottom: f64::from(layout.time_bottom_px),
        },
        placed: Vec::new(),
        marks: Vec::new(),
    };
    let fault_labels = draw_faults(root, &layout, &story, &mut present)?;
    draw_columns(root, &layout, diagram.names)?;
    draw_folds(root, &layout, &mut labels)?;

    // The quiet messages first, so that the highlighted ones are drawn over them.
    let (highlighted, quiet): (Vec<&Flight>, Vec<&Flight>) =
        story.flights.iter().partition(|flight| flight.highlighted);
    for flight in quiet.iter().chain(&highlighted) {
        draw_flight(root, &layout, flight, &mut labels.marks, &mut present)?;
    }
    for timer in &story.timers {
        present.timer = true;
        let at = (layout.x(timer.node), layout.y(timer.at));
        root.draw(&Circle::new(px(at), TIMER_RADIUS_PX, WHITE.filled()))?;
        root.draw(&Circle::new(px(at), TIMER_RADIUS_PX, TEXT_MUTED.stroke_width(2)))?;
        labels.marks.push(LabelBox::square(at, f64::from(TIMER_RADIUS_PX) + 2.0));
    }

    // Every mark is known now; labels go where they hide none. The faults' first, then the
    // highlighted messages', so that those get the best spots.
    for (text, spots) in fault_labels {
        labels.place(root, text, (FAULT_LABEL, FAULT_LABEL_SIZE_PX), spots)?;
    }
    for flight in highlighted.iter().chain(&quiet) {
        label_flight(root, &layout, flight, &mut labels)?;
    }
    for flight in highlighted.iter().chain(&quiet) {
        label_continuation(root, &layout, flight, &mut labels)?;
    }
    for timer in &story.timers {
        let (x, y) = (layout.x(timer.node), layout.y(timer.at));
        let text = shorten_chars(timer.name, TIMER_LABEL_CHARS_MAX);
        let style = (TEXT_MUTED, TIMER_LABEL_SIZE_PX);
        // Beside the mark, on whichever side has room: a timer's name says why a node
        // acted (a retry, a timeout) without a message to explain it.
        let width = f64::from(
            root.estimate_text_size(&text, &text_style(TIMER_LABEL_SIZE_PX, TEXT_MUTED))?.0,
        );
        let offset = f64::from(TIMER_RADIUS_PX) + 6.0 + width / 2.0;
        labels.place(root, text, style, [(x + offset, y), (x - offset, y)])?;
    }

    for label in &labels.placed {
        let LabelBox { left, top, right, bottom } = label.area;
        let background = WHITE.mix(LABEL_BACKGROUND_OPACITY).filled();
        root.draw(&Rectangle::new([px((left, top)), px((right, bottom))], background))?;
        root.draw_text(&label.text, &text_style(label.size_px, label.color), px(label.at))?;
    }
    draw_key(root, &present, story.flights_hidden, story.timers_hidden)?;

    let mut in_order: Vec<&Flight> = story.flights.iter().collect();
    in_order.sort_by_key(|flight| (flight.sent_at, flight.msg_id));
    let steps = in_order
        .into_iter()
        .map(|flight| {
            let path = flight_path(&layout, flight);
            let segments =
                path.windows(2).filter_map(|pair| layout.clip(pair[0], pair[1])).collect();
            Step { segments, text: step_text(flight, diagram.names, diagram.until) }
        })
        .filter(|step: &Step| !step.segments.is_empty())
        .collect();
    Ok(steps)
}

/// The title and the caption under it; returns where the node names go.
fn draw_title<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    diagram: &Spacetime,
) -> DrawResult<i32, DB> {
    let middle_px = SPACETIME_WIDTH_PX as i32 / 2;
    let (title, title_style) = fit_title(root, diagram.title)?;
    let title_style = title_style.color(&TEXT).pos(Pos::new(HPos::Center, VPos::Top));
    root.draw_text(&title, &title_style, (middle_px, MARGIN_PX))?;
    let title_height_px = root.estimate_text_size("Ag", &title_style)?.1 as i32;
    let mut y_px = MARGIN_PX + title_height_px + TITLE_GAP_PX;

    let caption_style = TextStyle::from((FONT_FAMILY, CAPTION_SIZE_PX).into_font())
        .color(&TEXT)
        .pos(Pos::new(HPos::Center, VPos::Top));
    let room_px = SPACETIME_WIDTH_PX - 2 * MARGIN_PX as u32;
    for line in wrap(root, diagram.caption, &caption_style, room_px)? {
        root.draw_text(&line, &caption_style, (middle_px, y_px))?;
        y_px += CAPTION_LINE_HEIGHT_PX;
    }
    Ok(y_px + HEADER_GAP_PX)
}

/// `text` in lines that fit `room_px`, at most [`CAPTION_LINES_MAX`], the last shortened
/// if the rest does not fit.
fn wrap<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
    room_px: u32,
) -> DrawResult<Vec<String>, DB> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut lines: Vec<String> = Vec::new();
    let mut rest = &words[..];
    while !rest.is_empty() {
        if lines.len() + 1 == CAPTION_LINES_MAX {
            lines.push(shorten_to_fit(area, &rest.join(" "), style, room_px)?);
            break;
        }
        // The most words that fit, and at least one (shortened below if even it does not).
        let mut count = 1;
        while count < rest.len()
            && area.estimate_text_size(&rest[..=count].join(" "), style)?.0 <= room_px
        {
            count += 1;
        }
        lines.push(shorten_to_fit(area, &rest[..count].join(" "), style, room_px)?);
        rest = &rest[count..];
    }
    Ok(lines)
}

/// The time axis on the left, with a faint line across the diagram at each tick.
fn draw_time_axis<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    layout: &Layout,
) -> DrawResult<(), DB> {
    let axis_x_px = layout.plot_left_px - 4;
    root.draw(&PathElement::new(
        vec![(axis_x_px, layout.time_top_px), (axis_x_px, layout.time_bottom_px)],
        AXIS.stroke_width(1),
    ))?;
    let tick_style =
        text_style(TICK_LABEL_SIZE_PX, TEXT_MUTED).pos(Pos::new(HPos::Right, VPos::Center));
    // One step for every stretch drawn at the common scale, so ticks are evenly dense; each
    // fold's edges are labelled with their exact times, so the axis is true on both sides.
    let linear: Vec<&Segment> = layout.segments.iter().filter(|s| !s.folded).collect();
    let linear_ns: u64 = linear.iter().map(|s| s.until_ns - s.from_ns).sum();
    let (step_ns, decimals) = tick_step(linear_ns);
    let edges: Vec<(u64, f64)> = layout
        .segments
        .iter()
        .filter(|s| s.folded)
        .flat_map(|s| [(s.from_ns, s.y_top_px), (s.until_ns, s.y_bottom_px)])
        .collect();
    let tick = |y_px: f64, label: String| -> DrawResult<(), DB> {
        let y_px = y_px.round() as i32;
        root.draw(&PathElement::new(
            vec![(axis_x_px - TICK_SIZE_PX, y_px), (axis_x_px, y_px)],
            AXIS.stroke_width(1),
        ))?;
        root.draw(&PathElement::new(
            vec![(layout.plot_left_px, y_px), (layout.plot_right_px, y_px)],
            BLACK.mix(GRID_OPACITY).stroke_width(1),
        ))?;
        root.draw_text(&label, &tick_style, (axis_x_px - TICK_SIZE_PX - 4, y_px))
    };
    for segment in linear {
        let mut tick_ns = segment.from_ns.div_ceil(step_ns).saturating_mul(step_ns);
        while tick_ns <= segment.until_ns {
            let y_px = layout.y(SimTime::from_nanos(tick_ns));
            let near_edge =
                edges.iter().any(|&(_, edge_px)| (edge_px - y_px).abs() < TICK_CLEARANCE_PX);
            if !near_edge {
                tick(y_px, ms(tick_ns, decimals))?;
            }
            let Some(next_ns) = tick_ns.checked_add(step_ns) else { break };
            tick_ns = next_ns;
        }
    }
    for &(edge_ns, y_px) in &edges {
        tick(y_px, ms(edge_ns, decimals))?;
    }
    // Where the column names are: what the axis counts, and which way time goes.
    let desc_style =
        text_style(AXIS_DESC_SIZE_PX, TEXT_MUTED).pos(Pos::new(HPos::Right, VPos::Center));
    let header_middle_px = layout.header_top_px + HEADER_HEIGHT_PX / 2;
    root.draw_text("virtual time", &desc_style, (axis_x_px, header_middle_px - 8))?;
    root.draw_text("(ms) ↓", &desc_style, (axis_x_px, header_middle_px + 9))
}

/// The tick spacing for a window of `span_ns`: 1, 2 or 5 times a power of ten nanoseconds,
/// the smallest giving at most [`TICKS_MAX`] intervals; and how many decimals of a
/// millisecond its labels need.
fn tick_step(span_ns: u64) -> (u64, usize) {
    let mut power_ns: u64 = 1;
    loop {
        for factor in [1, 2, 5] {
            let step_ns = power_ns.saturating_mul(factor);
            if span_ns / step_ns <= TICKS_MAX || step_ns == u64::MAX {
                // A step of 10^k ns needs 6 - k decimals of a millisecond, down to none.
                let mut k = 0;
                let mut rest = power_ns;
                while rest >= 10 {
                    rest /= 10;
                    k += 1;
                }
                let decimals = 6usize.saturating_sub(k);
                return (step_ns, decimals);
            }
        }
        power_ns = power_ns.saturating_mul(10);
    }
}

/// Nanoseconds as milliseconds with `decimals` digits after the point (at most 6).
fn ms(at_ns: u64, decimals: usize) -> String {
    let whole_ms = at_ns / 1_000_000;
    if decimals == 0 {
        return whole_ms.to_string();
    }
    let decimals = decimals.min(6);
    let fraction = (at_ns % 1_000_000) / 10u64.pow(6 - decimals as u32);
    format!("{whole_ms}.{fraction:0decimals$}")
}

/// Nanoseconds as milliseconds with as many decimals as it takes, and no more.
fn ms_exact(at_ns: u64) -> String {
    let text = ms(at_ns, 6);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// A fault edge's label, and where it may go: placed once every mark is drawn.
type FaultLabel = (String, [Point; 2]);

/// Each fault shaded from its beginning to its end (within the window), with a dashed line
/// where it begins and ends; returns the labels for those lines.
fn draw_faults<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    layout: &Layout,
    story: &Story,
    present: &mut Present,
) -> DrawResult<Vec<FaultLabel>, DB> {
    let mut labels = Vec::new();
    let (left, right) = (f64::from(layout.plot_left_px), f64::from(layout.plot_right_px));
    for fault in &story.faults {
        present.fault = true;
        let top = fault.begin_at.map_or(layout.y_from_px, |at| layout.y(at)).max(layout.y_from_px);
        let bottom =
            fault.end_at.map_or(layout.y_until_px, |at| layout.y(at)).min(layout.y_until_px);
        root.draw(&Rectangle::new(
            [px((left, top)), px((right, bottom))],
            FAULT_SHADE.mix(FAULT_SHADE_OPACITY).filled(),
        ))?;
        // Below the line where the fault begins and above where it ends: inside the shading.
        let mut label = |text: String, y: f64, inwards: f64| -> DrawResult<(), DB> {
            // At the right edge, away from the time axis, else at the left.
            let style = text_style(FAULT_LABEL_SIZE_PX, FAULT_LABEL);
            let half_width = f64::from(root.estimate_text_size(&text, &style)?.0) / 2.0;
            let x_right = right - half_width - 2.0 * LABEL_PAD_PX;
            let x_left = left + half_width + 2.0 * LABEL_PAD_PX;
            let offset = f64::from(FAULT_LABEL_SIZE_PX) / 2.0 + LABEL_PAD_PX + 1.0;
            let inside = y + inwards * offset;
            labels.push((text, [(x_right, inside), (x_left, inside)]));
            Ok(())
        };
        let edges = [(fault.begin_at, "begins", 1.0), (fault.end_at, "ends", -1.0)];
        let mut began_in_window = false;
        for (at, what, inwards) in edges {
            let Some(at) = at else { continue };
            let y = layout.y(at);
            if !layout.in_window(y) {
                continue;
            }
            began_in_window |= what == "begins";
            let line = [px((left, y)), px((right, y))];
            let stroke = FAULT_LABEL.stroke_width(1);
            root.draw(&DashedPathElement::new(line, FAULT_DASH_PX, FAULT_GAP_PX, stroke))?;
            label(format!("{} {what}", fault.description), y, inwards)?;
        }
        // A fault on when the window opens is named at its top: a shade without a name
        // explains nothing.
        if !began_in_window && top <= layout.y_from_px {
            let since = match fault.begin_at {
                Some(at) => format!("since {:.3} s", at.as_secs_f64()),
                None => "all along".to_owned(),
            };
            label(format!("{} ({since})", fault.description), layout.y_from_px, 1.0)?;
        }
    }
    Ok(labels)
}

/// Each folded stretch veiled, between two zigzag break marks, with how long it lasted in
/// the middle: "⋯ 1947 ms later ⋯".
fn draw_folds<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    layout: &Layout,
    labels: &mut Labels,
) -> DrawResult<(), DB> {
    let (left, right) = (layout.plot_left_px, layout.plot_right_px);
    for segment in layout.segments.iter().filter(|s| s.folded) {
        let (top, bottom) = (segment.y_top_px, segment.y_bottom_px);
        let veil = WHITE.mix(FOLD_VEIL_OPACITY).filled();
        root.draw(&Rectangle::new(
            [px((f64::from(left), top)), px((f64::from(right), bottom))],
            veil,
        ))?;
        for y in [top, bottom] {
            let y = y.round() as i32;
            let zigzag: Vec<(i32, i32)> = (0..=(right - left) / ZIGZAG_PERIOD_PX * 2)
                .map(|i| {
                    let up = if i % 2 == 0 { -ZIGZAG_HEIGHT_PX } else { ZIGZAG_HEIGHT_PX };
                    ((left + i * ZIGZAG_PERIOD_PX / 2).min(right), y + up)
                })
                .collect();
            root.draw(&PathElement::new(zigzag, AXIS.stroke_width(1)))?;
        }
        let idle_ns = segment.until_ns - segment.from_ns;
        let text = format!("⋯ {} later ⋯", duration_text(idle_ns));
        let middle = (top + bottom) / 2.0;
        let centre = f64::from(left + right) / 2.0;
        let quarter = f64::from(right - left) / 4.0;
        let spots = [(centre, middle), (centre - quarter, middle), (centre + quarter, middle)];
        labels.place(root, text, (TEXT_MUTED, FOLD_LABEL_SIZE_PX), spots)?;
    }
    Ok(())
}

/// "950 ms", "2.3 s", "12 s": an idle stretch's length, as a reader says it.
fn duration_text(span_ns: u64) -> String {
    let span_ms = span_ns / 1_000_000;
    if span_ms < 1 {
        format!("{} µs", span_ns / 1_000)
    } else if span_ms < 1_000 {
        format!("{span_ms} ms")
    } else if span_ms < 10_000 {
        format!("{}.{} s", span_ms / 1_000, span_ms % 1_000 / 100)
    } else {
        format!("{} s", span_ms / 1_000)
    }
}

/// "→ later" where a message leaves the bottom of the window still on its way.
fn label_continuation<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    layout: &Layout,
    flight: &Flight,
    labels: &mut Labels,
) -> DrawResult<(), DB> {
    let path = flight_path(layout, flight);
    let (Some(&start), Some(&end)) = (path.first(), path.last()) else { return Ok(()) };
    if end.1 <= layout.y_until_px + 0.5 || start.1 > layout.y_until_px {
        return Ok(());
    }
    let Some((_, cut)) =
        path.windows(2).filter_map(|pair| layout.clip(pair[0], pair[1])).next_back()
    else {
        return Ok(());
    };
    let (color, _) = flight_style(flight);
    let text = "→ later".to_owned();
    let style = text_style(LABEL_SIZE_PX, color);
    let half_width = f64::from(root.estimate_text_size(&text, &style)?.0) / 2.0 + LABEL_PAD_PX;
    let above = cut.1 - f64::from(LABEL_SIZE_PX);
    let spots = [(cut.0 + half_width + 4.0, above), (cut.0 - half_width - 4.0, above)];
    labels.place(root, text, (color, LABEL_SIZE_PX), spots)?;
    Ok(())
}

/// A lifeline per node under a box with its name.
fn draw_columns<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    layout: &Layout,
    names: &[String],
) -> DrawResult<(), DB> {
    let name_style = text_style(NODE_NAME_SIZE_PX, TEXT);
    let box_width_px = (layout.column_spacing_px - 16.0).clamp(40.0, 200.0);
    for &(node, x) in &layout.columns {
        let name = node_name(names, node);
        let room_px = (box_width_px - 2.0 * LABEL_PAD_PX) as u32;
        let name = shorten_to_fit(root, &name, &name_style, room_px)?;
        let text_width_px = f64::from(root.estimate_text_size(&name, &name_style)?.0);
        let half_px = (text_width_px / 2.0 + 14.0).min(box_width_px / 2.0);
        let (top, bottom) = (layout.header_top_px, layout.header_top_px + HEADER_HEIGHT_PX);
        root.draw(&PathElement::new(
            vec![(x.round() as i32, bottom), (x.round() as i32, layout.time_bottom_px)],
            LIFELINE.stroke_width(2),
        ))?;
        let corners = [px((x - half_px, f64::from(top))), px((x + half_px, f64::from(bottom)))];
        root.draw(&Rectangle::new(corners, HEADER_FILL.filled()))?;
        root.draw(&Rectangle::new(corners, HEADER_STROKE.stroke_width(1)))?;
        root.draw_text(&name, &name_style, px((x, f64::from(top + HEADER_HEIGHT_PX / 2))))?;
    }
    Ok(())
}

/// The points a message's line goes through: from its send to where it arrived or was
/// lost. A message to oneself loops out to the right of the lifeline and back.
fn flight_path(layout: &Layout, flight: &Flight) -> Vec<Point> {
    let (x_from, x_to) = (layout.x(flight.from), layout.x(flight.to));
    let start = (x_from, layout.y(flight.sent_at));
    let end = match flight.fate {
        Fate::Delivered { at } | Fate::Waited { arrived_at: at, .. } => (x_to, layout.y(at)),
        // At a crashed receiver the message did arrive: the cross is on its lifeline.
        Fate::Lost { at, reason: DropReason::NodeDown } => (x_to, layout.y(at)),
        // Lost on the way: the cross half way along the path it would have taken.
        Fate::Lost { at, .. } => ((x_from + x_to) / 2.0, (start.1 + layout.y(at)) / 2.0),
        // Still on its way: past the bottom, heading for its receiver.
        Fate::InFlight => (x_to, start.1.max(layout.y_until_px) + IN_FLIGHT_OVERSHOOT_PX),
    };
    if flight.from == flight.to {
        let loop_x = x_from + SELF_LOOP_PX;
        return vec![start, (loop_x, start.1), (loop_x, end.1), end];
    }
    vec![start, end]
}

fn flight_style(flight: &Flight) -> (RGBColor, u32) {
    if flight.highlighted {
        (OUTCOME_FAILED.plotters(), HIGHLIGHT_WIDTH_PX)
    } else {
        (MESSAGE, MESSAGE_WIDTH_PX)
    }
}

/// A message's line, clipped to the window, with a dot where it was sent, an arrowhead
/// where it arrived, a cross where it was lost, and a dotted wait in a paused receiver.
fn draw_flight<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    layout: &Layout,
    flight: &Flight,
    marks: &mut Vec<LabelBox>,
    present: &mut Present,
) -> DrawResult<(), DB> {
    let (color, width_px) = flight_style(flight);
    if flight.highlighted {
        present.highlighted = true;
    } else {
        present.message = true;
    }
    let path = flight_path(layout, flight);
    let (Some(&start), Some(&end)) = (path.first(), path.last()) else { return Ok(()) };
    let lost = matches!(flight.fate, Fate::Lost { .. });
    // The line stops short of an arrowhead's tip: a thick line would poke through it.
    let mut visible = path.clone();
    let head = (!lost && layout.in_window(end.1)).then(|| {
        let before = path[path.len() - 2];
        let (dx, dy) = (end.0 - before.0, end.1 - before.1);
        let length = (dx * dx + dy * dy).sqrt().max(f64::EPSILON);
        let (ux, uy) = (dx / length, dy / length);
        let scale = if flight.highlighted { HIGHLIGHT_ARROW_SCALE } else { 1.0 };
        let (back, half) = (ARROW_LENGTH_PX * scale, ARROW_HALF_WIDTH_PX * scale);
        let base = (end.0 - ux * back, end.1 - uy * back);
        // Into the head, not to its base: a line ending exactly at the base can leave a
        // one-pixel gap once rounded.
        if let Some(last) = visible.last_mut() {
            *last = (end.0 - ux * back * 0.7, end.1 - uy * back * 0.7);
        }
        vec![
            px(end),
            px((base.0 - uy * half, base.1 + ux * half)),
            px((base.0 + uy * half, base.1 - ux * half)),
        ]
    });
    let in_flight = matches!(flight.fate, Fate::InFlight);
    for pair in visible.windows(2) {
        if let Some((a, b)) = layout.clip(pair[0], pair[1]) {
            let stroke = color.stroke_width(width_px);
            if in_flight {
                let dashes = DashedPathElement::new(
                    [px(a), px(b)],
                    IN_FLIGHT_DASH_PX,
                    IN_FLIGHT_GAP_PX,
                    stroke,
                );
                root.draw(&dashes)?;
            } else {
                root.draw(&PathElement::new(vec![px(a), px(b)], stroke))?;
            }
        }
    }
    if layout.in_window(start.1) {
        let radius_px = SEND_DOT_RADIUS_PX + width_px - MESSAGE_WIDTH_PX;
        root.draw(&Circle::new(px(start), radius_px, color.filled()))?;
        marks.push(LabelBox::square(start, f64::from(radius_px) + 2.0));
    }
    if let Some(head) = head {
        marks.push(LabelBox::square(end, ARROW_LENGTH_PX * HIGHLIGHT_ARROW_SCALE));
        root.draw(&Polygon::new(head, color.filled()))?;
    }
    let cross_half_px = f64::from(CROSS_HALF_PX) + 2.0;
    match flight.fate {
        Fate::Lost { .. } => {
            present.lost = true;
            if layout.in_window(end.1) {
                draw_cross(root, px(end), color, width_px)?;
                marks.push(LabelBox::square(end, cross_half_px));
            }
        }
        Fate::Waited { arrived_at, read_at, lost_at } => {
            present.waited = true;
            let x = end.0 + f64::from(WAIT_OFFSET_PX);
            // Still waiting when the trace ends: on past the bottom of the window.
            let until = read_at.or(lost_at).map_or(layout.y_until_px + 1.0, |at| layout.y(at));
            if let Some((a, b)) = layout.clip((x, layout.y(arrived_at)), (x, until)) {
                let stroke = color.stroke_width(width_px);
                root.draw(&DashedPathElement::new(
                    [px(a), px(b)],
                    WAIT_DASH_PX,
                    WAIT_GAP_PX,
                    stroke,
                ))?;
            }
            if let Some(at) = lost_at.filter(|&at| layout.in_window(layout.y(at))) {
                draw_cross(root, px((x, layout.y(at))), color, width_px)?;
                marks.push(LabelBox::square((x, layout.y(at)), cross_half_px));
            }
        }
        Fate::Delivered { .. } | Fate::InFlight => {}
    }
    Ok(())
}

fn draw_cross<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    color: RGBColor,
    width_px: u32,
) -> DrawResult<(), DB> {
    let h = CROSS_HALF_PX;
    let stroke = color.stroke_width(width_px + 1);
    root.draw(&PathElement::new(vec![(x - h, y - h), (x + h, y + h)], stroke))?;
    root.draw(&PathElement::new(vec![(x - h, y + h), (x + h, y - h)], stroke))
}

/// The message's text along its visible line, where it overlaps no other label.
fn label_flight<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    layout: &Layout,
    flight: &Flight,
    labels: &mut Labels,
) -> DrawResult<(), DB> {
    let path = flight_path(layout, flight);
    // The longest visible segment carries the label: the line itself, or a self-loop's
    // vertical part.
    let segment = path
        .windows(2)
        .filter_map(|pair| layout.clip(pair[0], pair[1]))
        .max_by(|(a, b), (c, d)| distance(*a, *b).total_cmp(&distance(*c, *d)));
    let Some((a, b)) = segment else { return Ok(()) };
    // A lost message says why after its text, and keeps that when the text is shortened.
    let suffix = match (flight.fate, flight.lost_again) {
        (Fate::Lost { reason, .. }, Some((again, last_at))) => format!(
            " · lost ({}) ×{}, to {:.1} s",
            reason.as_str(),
            again + 1,
            last_at.as_secs_f64()
        ),
        (Fate::Lost { reason, .. }, None) => format!(" · lost ({})", reason.as_str()),
        (Fate::Delivered { .. } | Fate::Waited { .. } | Fate::InFlight, _) => String::new(),
    };
    let (color, _) = flight_style(flight);
    let style = text_style(LABEL_SIZE_PX, color);
    let self_loop = flight.from == flight.to;
    let span_px = if self_loop {
        LABEL_ROOM_MAX_PX
    } else {
        (layout.x(flight.to) - layout.x(flight.from)).abs() - LABEL_END_CLEARANCE_PX
    };
    let room_px = span_px.clamp(LABEL_ROOM_MIN_PX, LABEL_ROOM_MAX_PX) as u32;
    let suffix_px = root.estimate_text_size(&suffix, &style)?.0;
    let message = shorten_chars(flight.text, LABEL_CHARS_MAX);
    let message = shorten_to_fit(root, &message, &style, room_px.saturating_sub(suffix_px))?;
    let text = message + &suffix;
    let (width_px, height_px) = root.estimate_text_size(&text, &style)?;
    let half_width = f64::from(width_px) / 2.0 + LABEL_PAD_PX;
    let half_height = f64::from(height_px) / 2.0 + LABEL_PAD_PX;

    let mut spots = Vec::new();
    if let (Fate::Lost { .. }, false) = (flight.fate, self_loop) {
        // Beside the cross, where the message would have gone on, else where it came from:
        // a lost message's line is short, and its label says why it ends there.
        let end = path[path.len() - 1];
        let onwards = if end.0 >= path[0].0 { 1.0 } else { -1.0 };
        let beside = half_width + f64::from(CROSS_HALF_PX) + 4.0;
        spots.extend([(end.0 + onwards * beside, end.1), (end.0 - onwards * beside, end.1)]);
    }
    for dy in [0.0, -half_height - 1.0, half_height + 1.0] {
        spots.extend(LABEL_SPOTS.iter().map(|&s| {
            let (x, y) = (a.0 + (b.0 - a.0) * s, a.1 + (b.1 - a.1) * s + dy);
            // Beside a self-loop's vertical part, not over it.
            if self_loop { (x + half_width + 6.0, y) } else { (x, y) }
        }));
    }
    labels.place(root, text, (color, LABEL_SIZE_PX), spots)?;
    Ok(())
}

fn distance(a: Point, b: Point) -> f64 {
    ((b.0 - a.0) * (b.0 - a.0) + (b.1 - a.1) * (b.1 - a.1)).sqrt()
}

/// At most `chars_max` characters of `text`, the last an ellipsis if it was cut.
fn shorten_chars(text: &str, chars_max: usize) -> String {
    if text.chars().count() <= chars_max {
        return text.to_owned();
    }
    let kept: String = text.chars().take(chars_max.saturating_sub(1)).collect();
    format!("{}…", kept.trim_end())
}

/// One row under the diagram that says what each kind of mark means, for the kinds shown.
fn draw_key<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    present: &Present,
    flights_hidden: usize,
    timers_hidden: usize,
) -> DrawResult<(), DB> {
    let y = SPACETIME_HEIGHT_PX as i32 - MARGIN_PX - KEY_HEIGHT_PX / 2;
    let style = text_style(KEY_SIZE_PX, TEXT_MUTED).pos(Pos::new(HPos::Left, VPos::Center));
    let mut x = MARGIN_PX + TIME_AXIS_AREA_PX;
    let items: [(bool, &str, KeySample); 6] = [
        (
            present.highlighted,
            "the step that broke it",
            KeySample::Arrow(OUTCOME_FAILED.plotters(), HIGHLIGHT_WIDTH_PX),
        ),
        (present.message, "other messages", KeySample::Arrow(MESSAGE, MESSAGE_WIDTH_PX)),
        (present.lost, "lost", KeySample::Cross),
        (present.waited, "waits in a paused node", KeySample::Wait),
        (present.timer, "timer fired", KeySample::Timer),
        (present.fault, "fault", KeySample::Fault),
    ];
    for (shown, text, sample) in items {
        if !shown {
            continue;
        }
        let (left, right) = (x, x + KEY_SAMPLE_WIDTH_PX);
        match sample {
            KeySample::Arrow(color, width_px) => {
                root.draw(&PathElement::new(
                    vec![(left, y), (right - 6, y)],
                    color.stroke_width(width_px),
                ))?;
                root.draw(&Polygon::new(
                    vec![(right, y), (right - 10, y - 5), (right - 10, y + 5)],
                    color.filled(),
                ))?;
            }
            KeySample::Cross => {
                root.draw(&PathElement::new(
                    vec![(left, y), (right - 8, y)],
                    MESSAGE.stroke_width(MESSAGE_WIDTH_PX),
                ))?;
                draw_cross(root, (right - 6, y), MESSAGE, MESSAGE_WIDTH_PX)?;
            }
            KeySample::Wait => {
                let stroke = MESSAGE.stroke_width(MESSAGE_WIDTH_PX);
                root.draw(&DashedPathElement::new(
                    [(left, y), (right, y)],
                    WAIT_DASH_PX,
                    WAIT_GAP_PX,
                    stroke,
                ))?;
            }
            KeySample::Timer => {
                let centre = ((left + right) / 2, y);
                root.draw(&Circle::new(centre, TIMER_RADIUS_PX, TEXT_MUTED.stroke_width(2)))?;
            }
            KeySample::Fault => {
                let shade = FAULT_SHADE.mix(FAULT_SHADE_OPACITY).filled();
                root.draw(&Rectangle::new([(left, y - 7), (right, y + 7)], shade))?;
                let stroke = FAULT_LABEL.stroke_width(1);
                root.draw(&DashedPathElement::new(
                    [(left, y - 7), (right, y - 7)],
                    FAULT_DASH_PX,
                    FAULT_GAP_PX,
                    stroke,
                ))?;
            }
        }
        let text_x = right + 8;
        root.draw_text(text, &style, (text_x, y))?;
        x = text_x + root.estimate_text_size(text, &style)?.0 as i32 + KEY_ITEM_GAP_PX;
    }
    let hidden = match (flights_hidden, timers_hidden) {
        (0, 0) => return Ok(()),
        (messages, 0) => format!("… {messages} more messages not drawn"),
        (0, timers) => format!("… {timers} more timers not drawn"),
        (messages, timers) => format!("… {messages} more messages, {timers} timers not drawn"),
    };
    let right_style = style.pos(Pos::new(HPos::Right, VPos::Center));
    root.draw_text(&hidden, &right_style, (SPACETIME_WIDTH_PX as i32 - MARGIN_PX, y))
}

#[derive(Clone, Copy)]
enum KeySample {
    Arrow(RGBColor, u32),
    Cross,
    Wait,
    Timer,
    Fault,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_few() {
        assert_eq!(tick_step(40_000_000), (5_000_000, 0));
        assert_eq!(tick_step(18_000_000), (2_000_000, 0));
        assert_eq!(tick_step(3_000_000), (500_000, 1));
        assert_eq!(tick_step(1_500), (200, 4));
        assert_eq!(tick_step(0), (1, 6));
        // The longest window still gets few ticks, without overflowing.
        assert!(u64::MAX / tick_step(u64::MAX).0 <= TICKS_MAX);
    }

    #[test]
    fn milliseconds_read_with_the_decimals_of_the_step() {
        assert_eq!(ms(3_205_000_000, 0), "3205");
        assert_eq!(ms(3_205_500_000, 1), "3205.5");
        assert_eq!(ms(1_234, 6), "0.001234");
        assert_eq!(ms_exact(100_000_000), "100");
        assert_eq!(ms_exact(2_500_000), "2.5");
    }

    #[test]
    fn long_messages_keep_their_start() {
        assert_eq!(shorten_chars("Read { key: X }", 40), "Read { key: X }");
        assert_eq!(shorten_chars("abcdef", 4), "abc…");
    }

    #[test]
    fn a_fold_is_short_and_the_times_on_both_sides_stay_true() {
        let ms = SimTime::from_millis;
        let folds = [(ms(10), ms(1_010))];
        let layout = Layout::new(&[NodeId(0)], (ms(0), ms(1_020)), &folds, 60);
        let folded: Vec<&Segment> = layout.segments.iter().filter(|s| s.folded).collect();
        assert_eq!(folded.len(), 1);
        assert_eq!(folded[0].y_bottom_px - folded[0].y_top_px, FOLD_HEIGHT_PX);
        // The fold's edges are where its first and last instants are drawn.
        assert_eq!(layout.y(ms(10)), folded[0].y_top_px);
        assert_eq!(layout.y(ms(1_010)), folded[0].y_bottom_px);
        // Both sides share one scale: 10 ms is as tall before the fold as after it.
        let before = layout.y(ms(10)) - layout.y(ms(0));
        let after = layout.y(ms(1_020)) - layout.y(ms(1_010));
        assert!((before - after).abs() < 1e-9, "{before} vs {after}");
        assert_eq!(layout.y(ms(1_020)), layout.y_until_px);
        assert_eq!(duration_text(1_000_000_000), "1.0 s");
        assert_eq!(duration_text(950_000_000), "950 ms");
    }
}
