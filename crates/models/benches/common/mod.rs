//! Timing shared by the benchmarks: two workloads measured in alternation, each by its best
//! wall time, which is what a noisy machine lets one compare.

use std::time::Instant;

/// Runs `a` then `b`, `rounds` times over; returns each one's last result and shortest wall
/// time, in s. Alternating puts both through the same spells of a shared machine being
/// slow, so the ratio of the two holds where either time alone drifts by half.
pub fn best_of_alternating<A, B>(
    rounds: usize,
    mut a: impl FnMut() -> A,
    mut b: impl FnMut() -> B,
) -> ((A, f64), (B, f64)) {
    let (mut best_a, mut best_b) = (f64::INFINITY, f64::INFINITY);
    let (mut last_a, mut last_b) = (None, None);
    for _ in 0..rounds {
        let start = Instant::now();
        last_a = Some(a());
        best_a = best_a.min(start.elapsed().as_secs_f64());
        let start = Instant::now();
        last_b = Some(b());
        best_b = best_b.min(start.elapsed().as_secs_f64());
    }
    let a = last_a.expect("at least one round");
    ((a, best_a), (last_b.expect("at least one round"), best_b))
}
