//! Timing shared by the benchmarks: the best wall time of a few runs, which is what a
//! noisy machine lets one compare.

use std::time::Instant;

/// Runs `run` `repeats` times; returns the last result and the shortest wall time, in s.
pub fn best_of<T>(repeats: usize, mut run: impl FnMut() -> T) -> (T, f64) {
    let mut best = f64::INFINITY;
    let mut last = None;
    for _ in 0..repeats {
        let start = Instant::now();
        last = Some(run());
        best = best.min(start.elapsed().as_secs_f64());
    }
    (last.expect("at least one repeat"), best)
}
