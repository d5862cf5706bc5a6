//! What a chart draws, worked out from the report as plain numbers: which points belong to
//! which variant and label, where the layers of a stack lie, which state holds when.
//!
//! Kept apart from plotters so that these rules (lines break at bad points, a stack is
//! summed on a common time grid, a state holds until the next one or the end of the run) are
//! tested without rendering, and so that SVG and PNG cannot disagree on them.

use faultline_outcome::{Outcome, Series};

/// One variant's points under one label on a line or dot chart.
#[derive(Debug, PartialEq)]
pub(super) struct Curve<'a> {
    pub(super) variant: &'a str,
    /// The variant's position in the scenario: picks its colour.
    pub(super) variant_index: usize,
    pub(super) label: Option<&'a str>,
    /// The label's position among the variant's labels on this chart: the first is drawn
    /// solid, later ones dashed (or as rings), so that `p50` and `p99` of one variant share
    /// its colour and still differ.
    pub(super) label_rank: usize,
    /// Unbroken stretches of drawable points: a NaN, an infinity or a point outside the x
    /// range breaks a line rather than pulling it to an edge.
    pub(super) runs: Vec<Vec<(f64, f64)>>,
}

/// One variant's layers on a stacked chart, bottom first.
#[derive(Debug, PartialEq)]
pub(super) struct Stack<'a> {
    pub(super) variant: &'a str,
    pub(super) layers: Vec<Layer<'a>>,
}

#[derive(Debug, PartialEq)]
pub(super) struct Layer<'a> {
    pub(super) label: Option<&'a str>,
    /// The label's position among every label on the chart, in order of first appearance:
    /// picks its colour, so that one label has one colour whichever variant shows it.
    pub(super) label_index: usize,
    /// `(x_s, bottom, top)` at every x of the stack's time grid.
    pub(super) edges: Vec<(f64, f64, f64)>,
}

/// One horizontal band of a state strip.
#[derive(Debug, PartialEq)]
pub(super) struct Band {
    /// The variant's name, followed by the label when the variant has several series here.
    pub(super) name: String,
    /// The variant's index among the outcomes.
    pub(super) variant_index: usize,
    /// In time order, not overlapping; a gap where the state is unknown.
    pub(super) spans: Vec<Span>,
}

/// A state that held from `from_s` until `until_s`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Span {
    pub(super) from_s: f64,
    pub(super) until_s: f64,
    /// Index into the chart's state names.
    pub(super) state: usize,
}

/// Separates a variant's name from a label in legends and band names: `retry · p99`.
pub(super) fn with_label(variant: &str, label: Option<&str>) -> String {
    match label {
        Some(label) => format!("{variant} · {label}"),
        None => variant.to_owned(),
    }
}

/// One variant's series on `chart_id`, grouped by label in order of first appearance. Series
/// with the same label stay separate within their group: a line chart draws each as runs of
/// its own rather than joining one series' last point to the next one's first.
fn by_label<'a>(outcome: &'a Outcome, chart_id: &str) -> Vec<(Option<&'a str>, Vec<&'a Series>)> {
    let mut groups: Vec<(Option<&str>, Vec<&Series>)> = Vec::new();
    for series in outcome.series.iter().filter(|series| series.chart == chart_id) {
        let label = series.label.as_deref();
        match groups.iter_mut().find(|(known, _)| *known == label) {
            Some((_, members)) => members.push(series),
            None => groups.push((label, vec![series])),
        }
    }
    groups
}

fn drawable(x_max_s: f64, (x_s, y): (f64, f64)) -> bool {
    x_s.is_finite() && y.is_finite() && (0.0..=x_max_s).contains(&x_s)
}

/// The curves of a line or dot chart: every variant appears, one without data as a single
/// empty curve, so the legend can say it has none rather than leave it out silently.
pub(super) fn curves<'a>(outcomes: &'a [Outcome], chart_id: &str, x_max_s: f64) -> Vec<Curve<'a>> {
    let mut curves = Vec::new();
    for (variant_index, outcome) in outcomes.iter().enumerate() {
        let groups = by_label(outcome, chart_id);
        if groups.is_empty() {
            curves.push(Curve {
                variant: &outcome.variant,
                variant_index,
                label: None,
                label_rank: 0,
                runs: Vec::new(),
            });
        }
        for (label_rank, (label, members)) in groups.into_iter().enumerate() {
            let mut runs = Vec::new();
            for series in members {
                let mut run = Vec::new();
                for &point in &series.points {
                    if drawable(x_max_s, point) {
                        run.push(point);
                    } else if !run.is_empty() {
                        runs.push(std::mem::take(&mut run));
                    }
                }
                if !run.is_empty() {
                    runs.push(run);
                }
            }
            curves.push(Curve {
                variant: &outcome.variant,
                variant_index,
                label,
                label_rank,
                runs,
            });
        }
    }
    curves
}

/// How close, in pixels, a later line must pass to hide a segment under it.
const HIDDEN_WITHIN_PX: f64 = 1.5;

/// The distance in pixels from `p` to the segment `a`–`b`, all in pixels.
fn distance_px(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let length_sq = dx * dx + dy * dy;
    let t = if length_sq == 0.0 {
        0.0
    } else {
        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / length_sq).clamp(0.0, 1.0)
    };
    let (x, y) = (a.0 + t * dx - p.0, a.1 + t * dy - p.1);
    (x * x + y * y).sqrt()
}

/// For every segment of every curve (curve, run, segment): the curves drawn after it (by
/// index) that pass over it (within [`HIDDEN_WITHIN_PX`] of its ends and middle) and would
/// hide it. The chart draws such a segment wider by a step per curve, so each hidden curve
/// shows as a rim around the ones on top of it: two policies with the same result stay two
/// visible lines. `scale_px` turns data units into pixels, (x, y).
pub(super) fn covered_by_later(
    curves: &[Curve<'_>],
    scale_px: (f64, f64),
) -> Vec<Vec<Vec<Vec<usize>>>> {
    let to_px = |(x, y): (f64, f64)| (x * scale_px.0, y * scale_px.1);
    let px_runs: Vec<Vec<Vec<(f64, f64)>>> = curves
        .iter()
        .map(|c| c.runs.iter().map(|run| run.iter().copied().map(to_px).collect()).collect())
        .collect();
    let near = |p: (f64, f64), runs: &[Vec<(f64, f64)>]| {
        runs.iter().any(|run| {
            run.windows(2).any(|w| distance_px(p, w[0], w[1]) <= HIDDEN_WITHIN_PX)
                || (run.len() == 1 && distance_px(p, run[0], run[0]) <= HIDDEN_WITHIN_PX)
        })
    };
    px_runs
        .iter()
        .enumerate()
        .map(|(i, runs)| {
            runs.iter()
                .map(|run| {
                    run.windows(2)
                        .map(|w| {
                            let middle = ((w[0].0 + w[1].0) / 2.0, (w[0].1 + w[1].1) / 2.0);
                            (i + 1..px_runs.len())
                                .filter(|&later| {
                                    [w[0], middle, w[1]].iter().all(|&p| near(p, &px_runs[later]))
                                })
                                .collect()
                        })
                        .collect()
                })
                .collect()
        })
        .collect()
}

/// For each curve, the first earlier curve with exactly the same points, if any: the legend
/// says "same as" rather than let a reader hunt for a line.
pub(super) fn same_as_earlier(curves: &[Curve<'_>]) -> Vec<Option<usize>> {
    curves
        .iter()
        .enumerate()
        .map(|(i, curve)| {
            (!curve.runs.is_empty())
                .then(|| curves[..i].iter().position(|earlier| earlier.runs == curve.runs))
                .flatten()
        })
        .collect()
}

/// The stacks of a stacked chart, one per variant that has series on it.
///
/// Layers are summed on the union of their x values; between its own points a layer is
/// interpolated linearly (the straight edge the chart draws anyway), and outside them it
/// counts as zero: no data, nothing stacked. Bad points are skipped rather than summed.
pub(super) fn stacks<'a>(outcomes: &'a [Outcome], chart_id: &str, x_max_s: f64) -> Vec<Stack<'a>> {
    let mut labels: Vec<Option<&str>> = Vec::new();
    let mut stacks = Vec::new();
    for outcome in outcomes {
        let groups = by_label(outcome, chart_id);
        if groups.is_empty() {
            continue;
        }
        let layer_points: Vec<Vec<(f64, f64)>> = groups
            .iter()
            .map(|(_, members)| {
                let mut points: Vec<(f64, f64)> = members
                    .iter()
                    .flat_map(|series| series.points.iter().copied())
                    .filter(|&point| drawable(x_max_s, point))
                    .collect();
                // Stable, so of two points at one time the first given is found first.
                points.sort_by(|a, b| a.0.total_cmp(&b.0));
                points
            })
            .collect();
        let mut grid_s: Vec<f64> = layer_points.iter().flatten().map(|&(x_s, _)| x_s).collect();
        grid_s.sort_by(f64::total_cmp);
        grid_s.dedup();

        let mut bottoms = vec![0.0; grid_s.len()];
        let mut layers = Vec::new();
        for ((label, _), points) in groups.iter().zip(&layer_points) {
            let label_index = match labels.iter().position(|known| known == label) {
                Some(index) => index,
                None => {
                    labels.push(*label);
                    labels.len() - 1
                }
            };
            let edges = grid_s
                .iter()
                .zip(&mut bottoms)
                .map(|(&x_s, bottom)| {
                    let below = *bottom;
                    *bottom += value_at(points, x_s);
                    (x_s, below, *bottom)
                })
                .collect();
            layers.push(Layer { label: *label, label_index, edges });
        }
        stacks.push(Stack { variant: &outcome.variant, layers });
    }
    stacks
}

/// A layer's value at `x_s`: its own point there, else interpolated between its neighbours,
/// else zero outside the layer's time span. `points` are sorted by x.
fn value_at(points: &[(f64, f64)], x_s: f64) -> f64 {
    let after = points.partition_point(|&(at_s, _)| at_s < x_s);
    match (after.checked_sub(1).and_then(|i| points.get(i)), points.get(after)) {
        (_, Some(&(at_s, y))) if at_s == x_s => y,
        (Some(&(x0_s, y0)), Some(&(x1_s, y1))) => y0 + (y1 - y0) * (x_s - x0_s) / (x1_s - x0_s),
        _ => 0.0,
    }
}

/// The bands of a state strip, one per variant that has series on it (one per label when
/// it has several: a variant with one series is named by its name alone), in scenario order.
pub(super) fn bands(outcomes: &[Outcome], chart_id: &str, x_max_s: f64) -> Vec<Band> {
    let mut bands = Vec::new();
    for (variant_index, outcome) in outcomes.iter().enumerate() {
        let groups = by_label(outcome, chart_id);
        let several = groups.len() > 1;
        for (label, members) in groups {
            let name = with_label(&outcome.variant, label.filter(|_| several));
            let points: Vec<(f64, f64)> =
                members.iter().flat_map(|series| series.points.iter().copied()).collect();
            bands.push(Band { name, variant_index, spans: spans(&points, x_max_s) });
        }
    }
    bands
}

/// A step function: each point's state holds from its time until the next point's, and the
/// last one's until `x_max_s`, the end of the run. A point whose state is not an index
/// (NaN, negative) starts a stretch of unknown state, drawn as a gap. A point before zero
/// says which state the run started in; one after the end changes nothing that is drawn.
fn spans(points: &[(f64, f64)], x_max_s: f64) -> Vec<Span> {
    let mut changes: Vec<(f64, f64)> = points
        .iter()
        .filter(|(at_s, _)| !at_s.is_nan())
        .map(|&(at_s, state)| (at_s.clamp(0.0, x_max_s), state))
        .collect();
    changes.sort_by(|a, b| a.0.total_cmp(&b.0));

    let mut spans: Vec<Span> = Vec::new();
    for (index, &(from_s, state)) in changes.iter().enumerate() {
        let until_s = changes.get(index + 1).map_or(x_max_s, |&(next_s, _)| next_s);
        let Some(state) = state_index(state) else { continue };
        if until_s <= from_s {
            continue;
        }
        match spans.last_mut() {
            // The same state again, right after: one span, not two touching rectangles.
            Some(last) if last.state == state && last.until_s == from_s => last.until_s = until_s,
            _ => spans.push(Span { from_s, until_s, state }),
        }
    }
    spans
}

/// A y value as a state index: the nearest whole number, if it is one at all.
fn state_index(y: f64) -> Option<usize> {
    // `as` saturates, so an absurdly large y becomes an index that no state name has,
    // never a panic.
    (y.is_finite() && y > -0.5).then(|| y.round() as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve(variant: &str, points: &[(f64, f64)]) -> Curve<'static> {
        let variant: &'static str = Box::leak(variant.to_owned().into_boxed_str());
        Curve { variant, variant_index: 0, label: None, label_rank: 0, runs: vec![points.to_vec()] }
    }

    #[test]
    fn segments_a_later_curve_runs_along_are_counted_for_the_rims() {
        let a = curve("a", &[(0.0, 1.0), (1.0, 1.0), (2.0, 0.5)]);
        let b = curve("b", &[(0.0, 1.0), (1.0, 1.0), (2.0, 1.0)]);
        let c = curve("c", &[(0.0, 1.0), (1.0, 1.0), (2.0, 1.0)]);
        let covered = covered_by_later(&[a, b, c], (100.0, 100.0));
        // a's first segment lies under b and c, its second under nobody.
        assert_eq!(covered[0], [[vec![1, 2], vec![]]]);
        assert_eq!(covered[1], [[vec![2], vec![2]]]);
        assert!(covered[2][0].iter().all(Vec::is_empty), "nothing covers the last");
    }

    #[test]
    fn a_step_a_hair_later_still_hides_the_line_under_it() {
        // 10 ms apart on a 10 s axis 800 px wide: under a pixel.
        let a = curve("a", &[(0.0, 1.0), (1.0, 1.0), (1.0, 0.0), (10.0, 0.0)]);
        let b = curve("b", &[(0.0, 1.0), (1.01, 1.0), (1.01, 0.0), (10.0, 0.0)]);
        let covered = covered_by_later(&[a, b], (80.0, 400.0));
        assert_eq!(covered[0], [[[1], [1], [1]]]);
    }

    #[test]
    fn identical_curves_point_to_the_first_of_them() {
        let curves = [
            curve("a", &[(0.0, 1.0), (1.0, 1.0)]),
            curve("b", &[(0.0, 1.0), (1.0, 0.0)]),
            curve("c", &[(0.0, 1.0), (1.0, 1.0)]),
        ];
        assert_eq!(same_as_earlier(&curves), vec![None, None, Some(0)]);
    }
    use faultline_engine::SimTime;
    use std::collections::BTreeMap;

    fn outcome(variant: &str, series: Vec<Series>) -> Outcome {
        Outcome {
            variant: variant.to_owned(),
            trace_hash: 0,
            events: 0,
            sim_time: SimTime::ZERO,
            metrics: BTreeMap::new(),
            violations: Vec::new(),
            series,
            verdict: String::new(),
            trace: None,
        }
    }

    #[test]
    fn curves_break_at_bad_points_and_keep_labels_apart() {
        let outcomes = [
            outcome(
                "a",
                vec![
                    Series::labelled("c", "p50", vec![(0.0, 1.0), (1.0, f64::NAN), (2.0, 2.0)]),
                    Series::labelled("c", "p99", vec![(0.0, 5.0), (20.0, 6.0)]),
                    Series::new(faultline_outcome::ChartId("other"), vec![(0.0, 9.0)]),
                ],
            ),
            outcome("b", Vec::new()),
        ];
        let curves = curves(&outcomes, "c", 10.0);
        let summary: Vec<_> =
            curves.iter().map(|c| (c.variant, c.label, c.label_rank, c.runs.clone())).collect();
        assert_eq!(
            summary,
            [
                ("a", Some("p50"), 0, vec![vec![(0.0, 1.0)], vec![(2.0, 2.0)]]),
                ("a", Some("p99"), 1, vec![vec![(0.0, 5.0)]]),
                ("b", None, 0, vec![]),
            ]
        );
    }

    #[test]
    fn stacks_sum_layers_on_a_common_time_grid() {
        let outcomes = [outcome(
            "v",
            vec![
                Series::labelled("c", "first", vec![(0.0, 2.0), (2.0, 4.0)]),
                Series::labelled("c", "retry", vec![(1.0, 1.0), (2.0, 3.0)]),
            ],
        )];
        let stacks = stacks(&outcomes, "c", 10.0);
        assert_eq!(stacks.len(), 1);
        let [first, retry] = stacks[0].layers.as_slice() else { panic!("{stacks:?}") };
        // `first` is interpolated at 1 s; `retry` is zero before its first point.
        assert_eq!(first.edges, [(0.0, 0.0, 2.0), (1.0, 0.0, 3.0), (2.0, 0.0, 4.0)]);
        assert_eq!(retry.edges, [(0.0, 2.0, 2.0), (1.0, 3.0, 4.0), (2.0, 4.0, 7.0)]);
        assert_eq!((first.label_index, retry.label_index), (0, 1));
    }

    #[test]
    fn a_label_keeps_its_colour_index_across_variants_and_empty_variants_are_left_out() {
        let outcomes = [
            outcome("a", vec![Series::labelled("c", "x", vec![(0.0, 1.0)])]),
            outcome("b", Vec::new()),
            outcome(
                "c",
                vec![
                    Series::labelled("c", "y", vec![(0.0, 1.0)]),
                    Series::labelled("c", "x", vec![(0.0, 1.0)]),
                ],
            ),
        ];
        let stacks = stacks(&outcomes, "c", 10.0);
        let indices: Vec<Vec<usize>> = stacks
            .iter()
            .map(|stack| stack.layers.iter().map(|layer| layer.label_index).collect())
            .collect();
        assert_eq!(indices, [vec![0], vec![1, 0]]);
    }

    #[test]
    fn a_state_holds_until_the_next_change_and_the_last_until_the_end_of_the_run() {
        let points = [(0.0, 0.0), (2.0, 0.0), (3.0, 2.0), (5.0, f64::NAN), (6.0, 1.0)];
        let span = |from_s, until_s, state| Span { from_s, until_s, state };
        assert_eq!(
            spans(&points, 10.0),
            [span(0.0, 3.0, 0), span(3.0, 5.0, 2), span(6.0, 10.0, 1)]
        );
    }

    #[test]
    fn states_out_of_order_or_outside_the_run_are_clamped_and_sorted() {
        let points = [(12.0, 0.0), (4.0, 1.0), (-1.0, 2.0), (f64::NAN, 0.0), (4.0, 0.0)];
        let span = |from_s, until_s, state| Span { from_s, until_s, state };
        // Two changes at 4 s: the later one given wins, the earlier one lasts no time.
        assert_eq!(spans(&points, 10.0), [span(0.0, 4.0, 2), span(4.0, 10.0, 0)]);
        assert_eq!(spans(&[], 10.0), []);
        assert_eq!(state_index(-3.0), None);
        assert_eq!(state_index(1.9), Some(2));
    }

    #[test]
    fn bands_name_labels_only_when_a_variant_has_several() {
        let outcomes = [
            outcome("a", vec![Series::new(faultline_outcome::ChartId("s"), vec![(0.0, 0.0)])]),
            outcome("quiet", Vec::new()),
            outcome(
                "b",
                vec![
                    Series::labelled("s", "east", vec![(0.0, 1.0)]),
                    Series::labelled("s", "west", vec![(0.0, 2.0)]),
                ],
            ),
        ];
        let names: Vec<String> = bands(&outcomes, "s", 1.0).into_iter().map(|b| b.name).collect();
        assert_eq!(names, ["a", "b · east", "b · west"]);
    }
}
