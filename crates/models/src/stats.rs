//! Small statistics helpers shared by the models' metrics.

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

/// Counts events into one-second bins over `[0, seconds)`, as (bin start, count) points.
pub(crate) fn per_second(times_s: impl Iterator<Item = f64>, seconds: usize) -> Vec<(f64, f64)> {
    let mut bins = vec![0u64; seconds];
    for t in times_s {
        if let Some(bin) = bins.get_mut(t as usize) {
            *bin += 1;
        }
    }
    bins.into_iter().enumerate().map(|(i, n)| (i as f64, n as f64)).collect()
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
    fn per_second_bins_by_floor_and_ignores_the_tail() {
        let bins = per_second([0.1, 0.9, 1.0, 2.5, 3.0].into_iter(), 3);
        assert_eq!(bins, vec![(0.0, 2.0), (1.0, 1.0), (2.0, 1.0)]);
    }
}
