//! Small statistics helpers shared by the models' metrics: percentiles, and the time bins
//! charts are drawn from.

use faultline_engine::{SimDuration, SimTime};
use faultline_outcome::FaultWindow;

/// The nearest-rank percentile (`p` in 0..=100) of already sorted values; 0 when empty.
pub(crate) fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[rank_index(sorted.len(), p)]
}

/// [`percentile`] of values in any order, in linear time; reorders them.
pub(crate) fn percentile_unsorted(values: &mut [u64], p: f64) -> u64 {
    if values.is_empty() {
        return 0;
    }
    *values.select_nth_unstable(rank_index(values.len(), p)).1
}

/// The index of the nearest-rank `p`th percentile among `len` sorted values.
fn rank_index(len: usize, p: f64) -> usize {
    let rank = ((p / 100.0) * len as f64).ceil() as usize;
    rank.clamp(1, len) - 1
}

/// The most bins a chart's series holds, however long the run: past it the bins widen, so
/// a series costs a fixed budget rather than memory in proportion to the run's length. A
/// chart is under a thousand pixels wide, so more bins would not show; runs of up to
/// 1000 s keep one-second bins.
pub(crate) const BINS_MAX: u64 = 1_000;

/// The widths bins may take, finest first, with the words that complete "per …" in a
/// title: round widths a reader can take in. The last one bins the longest run time can
/// express (about 584 years) into fewer than [`BINS_MAX`].
const ROUND_WIDTHS: [(u64, &str); 28] = [
    (100, "100 ms"),
    (200, "200 ms"),
    (500, "500 ms"),
    (1_000, "second"),
    (2_000, "2 s"),
    (5_000, "5 s"),
    (10_000, "10 s"),
    (15_000, "15 s"),
    (30_000, "30 s"),
    (60_000, "minute"),
    (120_000, "2 min"),
    (300_000, "5 min"),
    (600_000, "10 min"),
    (900_000, "15 min"),
    (1_800_000, "30 min"),
    (3_600_000, "hour"),
    (7_200_000, "2 h"),
    (10_800_000, "3 h"),
    (21_600_000, "6 h"),
    (43_200_000, "12 h"),
    (DAY_MS, "day"),
    (2 * DAY_MS, "2 days"),
    (5 * DAY_MS, "5 days"),
    (10 * DAY_MS, "10 days"),
    (20 * DAY_MS, "20 days"),
    (50 * DAY_MS, "50 days"),
    (100 * DAY_MS, "100 days"),
    (1_000 * DAY_MS, "1000 days"),
];
const DAY_MS: u64 = 86_400_000;
const NS_PER_MS: u64 = 1_000_000;

/// Equal time bins over a run, `[0, end)` cut into at most [`BINS_MAX`] bins of a round
/// width: what a chart of counts, rates, maxima or samples over time is binned by.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Bins {
    width_ns: u64,
    end_ns: u64,
    words: &'static str,
}

impl Bins {
    /// One-second bins, or the finest round width past a second that keeps a run of
    /// `duration` within [`BINS_MAX`] bins.
    pub(crate) fn seconds(duration: SimDuration) -> Bins {
        Bins::over(duration, SimDuration::from_secs(1))
    }

    /// The finest round width of at least `finest` that keeps a run of `duration` within
    /// [`BINS_MAX`] bins.
    pub(crate) fn over(duration: SimDuration, finest: SimDuration) -> Bins {
        let end_ns = duration.as_nanos();
        let (width_ms, words) = ROUND_WIDTHS
            .into_iter()
            .filter(|&(width_ms, _)| width_ms * NS_PER_MS >= finest.as_nanos())
            .find(|&(width_ms, _)| end_ns.div_ceil(width_ms * NS_PER_MS) <= BINS_MAX)
            .unwrap_or(ROUND_WIDTHS[ROUND_WIDTHS.len() - 1]);
        Bins { width_ns: width_ms * NS_PER_MS, end_ns, words }
    }

    /// How many bins cover the run: the last may stick out past its end.
    pub(crate) fn count(&self) -> usize {
        self.end_ns.div_ceil(self.width_ns) as usize
    }

    /// The bin `at` falls in; [`Bins::count`] or more for a time at or past the end.
    pub(crate) fn index(&self, at: SimTime) -> usize {
        (at.as_nanos() / self.width_ns) as usize
    }

    /// When bin `index` starts, in seconds: the x of its point on a chart.
    pub(crate) fn start_s(&self, index: usize) -> f64 {
        index as f64 * self.width_s()
    }

    /// When bin `index` starts.
    pub(crate) fn start(&self, index: usize) -> SimTime {
        SimTime::from_nanos((index as u64).saturating_mul(self.width_ns))
    }

    pub(crate) fn width_s(&self) -> f64 {
        self.width_ns as f64 / 1e9
    }

    /// The part of bin `index` the run covers, in seconds: the whole width but for the last
    /// bin of a run that is no whole number of bins long.
    fn covered_s(&self, index: usize) -> f64 {
        let start_ns = (index as u64).saturating_mul(self.width_ns);
        self.width_ns.min(self.end_ns.saturating_sub(start_ns)) as f64 / 1e9
    }

    /// The bin's width as it completes "per …" in a chart's title: `second`, `10 s`, `hour`.
    pub(crate) fn words(&self) -> &'static str {
        self.words
    }
}

/// Events per second in each bin, as (bin start, rate) points: with one-second bins the
/// count itself, with wider ones the mean rate over the bin (over the part of the last bin
/// the run covers), so that a chart's "per second" stays true. Times past the last bin are
/// left out.
pub(crate) fn rates(times: impl Iterator<Item = SimTime>, bins: &Bins) -> Vec<(f64, f64)> {
    let mut counts = vec![0u64; bins.count()];
    for at in times {
        if let Some(count) = counts.get_mut(bins.index(at)) {
            *count += 1;
        }
    }
    rates_of_counts(counts, bins)
}

/// [`rates`] of events already counted per bin.
pub(crate) fn rates_of_counts(
    counts: impl IntoIterator<Item = u64>,
    bins: &Bins,
) -> Vec<(f64, f64)> {
    let rate = |(index, n): (usize, u64)| (bins.start_s(index), n as f64 / bins.covered_s(index));
    counts.into_iter().enumerate().map(rate).collect()
}

/// The running maximum of a step function (busy workers, a queue's length) per bucket of
/// `BUCKET_MS`, kept only for the buckets in which it changed, so that its memory grows
/// with the changes and not with the run's length; charts and metrics read maxima over
/// any whole number of buckets from it. A bucket without changes holds the value it
/// started with: a pool stuck at 64 busy workers reports 64, not 0.
#[derive(Default)]
pub(crate) struct StepMax<const BUCKET_MS: u64> {
    /// The buckets with changes, in time order.
    changed: Vec<Changed>,
}

/// A bucket in which a step function changed: its index, the most it held within the
/// bucket (the value it started with included), and the value it ended with.
struct Changed {
    bucket: u64,
    max: u64,
    last: u64,
}

impl<const BUCKET_MS: u64> StepMax<BUCKET_MS> {
    pub(crate) fn set(&mut self, at: SimTime, value: u64) {
        let bucket = at.as_nanos() / (BUCKET_MS * NS_PER_MS);
        match self.changed.last_mut() {
            Some(last) if last.bucket == bucket => {
                last.max = last.max.max(value);
                last.last = value;
            }
            held => {
                let before = held.map_or(0, |c| c.last);
                self.changed.push(Changed { bucket, max: before.max(value), last: value });
            }
        }
    }

    /// Whether it was ever set.
    pub(crate) fn is_empty(&self) -> bool {
        self.changed.is_empty()
    }

    /// The most it held within buckets `from..until` (none: 0).
    fn max_over(&self, from: u64, until: u64) -> u64 {
        if from >= until {
            return 0;
        }
        let first = self.changed.partition_point(|c| c.bucket < from);
        let held = first.checked_sub(1).map_or(0, |i| self.changed[i].last);
        let within = self.changed[first..].iter().take_while(|c| c.bucket < until);
        within.map(|c| c.max).fold(held, u64::max)
    }

    /// The maximum in each of the first `count` bins of `bins` (each a whole number of
    /// buckets wide), as (bin start, max) points.
    pub(crate) fn points(&self, bins: &Bins, count: usize) -> Vec<(f64, f64)> {
        let per_bin = bins.width_ns / (BUCKET_MS * NS_PER_MS);
        debug_assert_eq!(per_bin * BUCKET_MS * NS_PER_MS, bins.width_ns, "whole buckets");
        let max = |i: usize| self.max_over(i as u64 * per_bin, (i as u64 + 1) * per_bin) as f64;
        (0..count).map(|i| (bins.start_s(i), max(i))).collect()
    }

    /// The most it held in any bucket that overlaps one of `windows` (times in seconds).
    pub(crate) fn max_within(&self, windows: &[FaultWindow]) -> u64 {
        let bucket_s = BUCKET_MS as f64 / 1e3;
        let overlapped = |w: &FaultWindow| {
            let from = (w.from_s / bucket_s).floor().max(0.0) as u64;
            (from, (w.until_s / bucket_s).ceil().max(0.0) as u64)
        };
        windows
            .iter()
            .map(overlapped)
            .map(|(from, until)| self.max_over(from, until))
            .max()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), 50);
        assert_eq!(percentile(&v, 99.0), 99);
        assert_eq!(percentile(&v, 100.0), 100);
        assert_eq!(percentile(&[7], 99.0), 7);
        assert_eq!(percentile(&[], 99.0), 0);
    }

    #[test]
    fn unsorted_percentiles_match_sorted_ones() {
        // A deterministic shuffle with repeats.
        let values: Vec<u64> = (0..997u64).map(|i| (i * 7919) % 331).collect();
        let mut sorted = values.clone();
        sorted.sort_unstable();
        for p in [0.0, 1.0, 50.0, 99.0, 99.9, 100.0] {
            assert_eq!(percentile_unsorted(&mut values.clone(), p), percentile(&sorted, p));
        }
        assert_eq!(percentile_unsorted(&mut [], 99.0), 0);
    }

    #[test]
    fn rates_count_per_second_and_ignore_the_tail() {
        let at = |ms| SimTime::from_millis(ms);
        let bins = Bins::seconds(SimDuration::from_secs(3));
        let points = rates([100, 900, 1_000, 2_500, 3_000].map(at).into_iter(), &bins);
        assert_eq!(points, vec![(0.0, 2.0), (1.0, 1.0), (2.0, 1.0)]);
    }

    #[test]
    fn short_runs_keep_one_second_bins_and_long_ones_widen_to_a_round_width() {
        let hours = |h: u64| SimDuration::from_secs(h * 3_600);
        let bins = Bins::seconds(SimDuration::from_secs(1_000));
        assert_eq!((bins.count(), bins.width_s(), bins.words()), (1_000, 1.0, "second"));
        let bins = Bins::seconds(SimDuration::from_secs(1_001));
        assert_eq!((bins.count(), bins.width_s(), bins.words()), (501, 2.0, "2 s"));
        let bins = Bins::seconds(hours(10_000));
        assert_eq!((bins.count(), bins.words()), (834, "12 h"));
        let bins = Bins::over(SimDuration::from_secs(90), SimDuration::from_millis(100));
        assert_eq!((bins.count(), bins.width_s()), (900, 0.1));
        // The longest run time can express still fits the budget.
        let bins = Bins::seconds(SimDuration::from_nanos(u64::MAX));
        assert!(bins.count() as u64 <= BINS_MAX, "{}", bins.count());
    }

    #[test]
    fn wider_bins_average_the_rate_over_the_bin_and_the_covered_part_of_the_last() {
        // 2497 s: 5 s bins, of which the run covers 2 s of the last.
        let bins = Bins::seconds(SimDuration::from_secs(2_497));
        assert_eq!((bins.count(), bins.words()), (500, "5 s"));
        let first = (0..10).map(|i| SimTime::from_millis(i * 100));
        let points = rates(first.chain([2_495, 2_496].map(SimTime::from_secs)), &bins);
        assert_eq!(points[0], (0.0, 2.0));
        assert_eq!(points[499], (2_495.0, 1.0));
    }

    #[test]
    fn a_step_function_holds_its_value_through_quiet_seconds() {
        let mut busy = StepMax::<1_000>::default();
        busy.set(SimTime::from_millis(500), 3);
        busy.set(SimTime::from_millis(1_200), 64);
        busy.set(SimTime::from_millis(4_100), 2);
        let points = busy.points(&Bins::seconds(SimDuration::from_secs(6)), 6);
        let values: Vec<f64> = points.iter().map(|&(_, v)| v).collect();
        // Second 4 saw 64 until 4.1 s, then 2; second 5 holds 2.
        assert_eq!(values, [3.0, 64.0, 64.0, 64.0, 64.0, 2.0]);
        // In 2 s bins, each bin's most.
        let points = busy.points(&Bins::seconds(SimDuration::from_secs(1_001)), 3);
        assert_eq!(points, [(0.0, 64.0), (2.0, 64.0), (4.0, 64.0)]);
        let window = |from_s, until_s| FaultWindow { from_s, until_s, label: String::new() };
        assert_eq!(busy.max_within(&[window(2.5, 3.5)]), 64);
        // Past the last change, the last value holds.
        assert_eq!(busy.max_within(&[window(5.0, 6.0)]), 2);
        assert_eq!(busy.max_within(&[]), 0);
    }
}
