//! Backoff between retries: how long a caller waits before trying again, and how jitter
//! spreads the retries of many callers out so that a fault that failed them all at once
//! does not bring them all back at once (the AWS Architecture Blog's "Exponential Backoff
//! And Jitter", whose formulas are reproduced here).

use faultline_engine::{Prng, SimDuration};

/// How randomness spreads retries out (the AWS Architecture Blog's "Exponential Backoff And
/// Jitter"). `t` is the capped exponential delay of the retry at hand.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Jitter {
    /// Exactly `t`: callers that failed together retry together, in waves.
    None,
    /// Uniform in `[0, t]`: the least contention, but a retry may come almost at once.
    Full,
    /// `t/2` plus uniform in `[0, t/2]`: never less than half the exponential delay.
    Equal,
    /// `min(cap, uniform[base, 3 × previous delay])`, the previous delay starting at `base`:
    /// grows from the last delay actually waited rather than from the retry number, so it
    /// ignores `multiplier`.
    Decorrelated,
}

/// How long to wait before each retry of one request.
#[derive(Clone, Debug, PartialEq)]
pub enum Backoff {
    /// Retry at once: the retry storm that turns a slow dependency into a dead one.
    Immediate,
    /// The same delay before every retry.
    Fixed { delay: SimDuration },
    /// `t = min(cap, base × multiplier^(n−1))` for retry n = 1, 2, …, then jittered.
    /// `multiplier` is meant to be at least 1; any value is well defined (below 1 the delay
    /// shrinks towards zero, NaN gives zero) so a bad value cannot panic a run.
    Exponential { base: SimDuration, multiplier: f64, cap: SimDuration, jitter: Jitter },
}

/// One request's retry history: how many retries so far and, for decorrelated jitter, the
/// previous delay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackoffState {
    retries: u32,
    delay_previous: SimDuration,
}

impl BackoffState {
    /// How many delays `next_delay` has handed out for this request.
    pub fn retries(&self) -> u32 {
        self.retries
    }
}

impl Backoff {
    /// The history of a request that has not been retried yet.
    pub fn start(&self) -> BackoffState {
        // Decorrelated jitter's first upper bound is 3 × base, so "previous" starts at base.
        let delay_previous = match *self {
            Backoff::Exponential { base, .. } => base,
            Backoff::Immediate | Backoff::Fixed { .. } => SimDuration::ZERO,
        };
        BackoffState { retries: 0, delay_previous }
    }

    /// The delay before the next retry. Draws exactly one number from `rng` for Full, Equal and
    /// Decorrelated jitter and none otherwise (so the draw count is a function of the policy).
    pub fn next_delay(&self, state: &mut BackoffState, rng: &mut Prng) -> SimDuration {
        // Saturating: a request retried four billion times keeps getting the capped delay
        // instead of wrapping back to the first one.
        state.retries = state.retries.saturating_add(1);
        match *self {
            Backoff::Immediate => SimDuration::ZERO,
            Backoff::Fixed { delay } => delay,
            Backoff::Exponential { base, multiplier, cap, jitter } => {
                let t = capped_exponential(base, multiplier, cap, state.retries);
                match jitter {
                    Jitter::None => t,
                    Jitter::Full => uniform(rng, SimDuration::ZERO, t),
                    Jitter::Equal => {
                        let half = SimDuration::from_nanos(t.as_nanos() / 2);
                        half + uniform(rng, SimDuration::ZERO, half)
                    }
                    Jitter::Decorrelated => {
                        let tripled = state.delay_previous.as_nanos().saturating_mul(3);
                        // With base 0 the bound stays 0 forever: a zero base means "no wait".
                        let upper = SimDuration::from_nanos(tripled).max(base);
                        let delay = uniform(rng, base, upper).min(cap);
                        state.delay_previous = delay;
                        delay
                    }
                }
            }
        }
    }
}

/// `min(cap, base × multiplier^(retry−1))`, saturating instead of overflowing.
fn capped_exponential(
    base: SimDuration,
    multiplier: f64,
    cap: SimDuration,
    retry: u32,
) -> SimDuration {
    let factor = pow_by_squaring(multiplier, retry.saturating_sub(1));
    // mul_f64 saturates an infinite product at the largest duration and maps NaN (0 × ∞) to 0.
    base.mul_f64(factor).min(cap)
}

/// `x^n` with only IEEE multiplications, so it gives the same bits on every platform (unlike
/// `powf`, or `powi`, whose precision Rust leaves unspecified). O(log n) steps, so a huge
/// retry number costs nothing; an overflowing power becomes infinity, never a panic.
fn pow_by_squaring(x: f64, n: u32) -> f64 {
    let (mut result, mut square, mut exponent) = (1.0, x, n);
    while exponent > 0 {
        if exponent & 1 == 1 {
            result *= square;
        }
        square *= square;
        exponent >>= 1;
    }
    result
}

/// A uniform duration in `[low, high]` (`high >= low`) from exactly one draw, including the
/// full range, where `Prng::duration_between`'s span + 1 would overflow.
fn uniform(rng: &mut Prng, low: SimDuration, high: SimDuration) -> SimDuration {
    debug_assert!(high >= low, "uniform({low:?}, {high:?}) has an empty range");
    let span_ns = high.as_nanos() - low.as_nanos();
    let offset_ns = match span_ns.checked_add(1) {
        Some(values) => rng.below(values),
        None => rng.next_u64(),
    };
    SimDuration::from_nanos(low.as_nanos() + offset_ns)
}

#[cfg(test)]
mod tests {
    use faultline_engine::Stream;

    use super::*;

    const DRAWS_PER_RETRY: usize = 2_000;

    fn ms(n: u64) -> SimDuration {
        SimDuration::from_millis(n)
    }

    fn rng() -> Prng {
        Prng::new(11, Stream::Workload)
    }

    fn exponential(jitter: Jitter) -> Backoff {
        Backoff::Exponential { base: ms(100), multiplier: 2.0, cap: ms(10_000), jitter }
    }

    /// The formula's t for retry n of `exponential(_)`, computed independently.
    fn t_expected(retry: u32) -> SimDuration {
        ms((100u64 << (retry - 1)).min(10_000))
    }

    /// A state as if `retries_done` retries had already happened.
    fn after(retries_done: u32, delay_previous: SimDuration) -> BackoffState {
        BackoffState { retries: retries_done, delay_previous }
    }

    #[test]
    fn immediate_and_fixed_ignore_the_retry_number() {
        let mut rng = rng();
        for (backoff, delay) in
            [(Backoff::Immediate, SimDuration::ZERO), (Backoff::Fixed { delay: ms(250) }, ms(250))]
        {
            let mut state = backoff.start();
            for retry in 1..=12 {
                assert_eq!(backoff.next_delay(&mut state, &mut rng), delay);
                assert_eq!(state.retries(), retry);
            }
        }
    }

    #[test]
    fn exponential_without_jitter_doubles_up_to_the_cap() {
        let backoff = exponential(Jitter::None);
        let mut state = backoff.start();
        let delays: Vec<u64> = (0..10)
            .map(|_| backoff.next_delay(&mut state, &mut rng()).as_nanos() / 1_000_000)
            .collect();
        assert_eq!(delays, [100, 200, 400, 800, 1_600, 3_200, 6_400, 10_000, 10_000, 10_000]);
    }

    #[test]
    fn a_fractional_multiplier_matches_the_formula() {
        let backoff = Backoff::Exponential {
            base: ms(100),
            multiplier: 1.5,
            cap: ms(1_000),
            jitter: Jitter::None,
        };
        let mut state = backoff.start();
        let delays: Vec<u64> = (0..7)
            .map(|_| backoff.next_delay(&mut state, &mut rng()).as_nanos() / 1_000_000)
            .collect();
        // 100 × 1.5^k: 100, 150, 225, 337.5, 506.25, 759.375, then the cap.
        assert_eq!(delays, [100, 150, 225, 337, 506, 759, 1_000]);
    }

    #[test]
    fn full_jitter_stays_within_zero_and_t_for_every_retry() {
        let backoff = exponential(Jitter::Full);
        let mut rng = rng();
        for retry in 1..=12 {
            for _ in 0..DRAWS_PER_RETRY {
                let delay = backoff.next_delay(&mut after(retry - 1, ms(100)), &mut rng);
                assert!(delay <= t_expected(retry), "retry {retry}: {delay:?}");
            }
        }
    }

    #[test]
    fn full_jitter_averages_half_of_t() {
        let backoff = exponential(Jitter::Full);
        let mut rng = rng();
        let draws = 20_000u64;
        // Retry 4: t = 800 ms, so the mean should be 400 ms; the standard error is ~1.6 ms.
        let sum_ns: u64 = (0..draws)
            .map(|_| backoff.next_delay(&mut after(3, ms(100)), &mut rng).as_nanos())
            .sum();
        let mean_ms = sum_ns as f64 / draws as f64 / 1e6;
        assert!((mean_ms - 400.0).abs() < 8.0, "mean {mean_ms} ms");
    }

    #[test]
    fn equal_jitter_stays_within_half_t_and_t_for_every_retry() {
        let backoff = exponential(Jitter::Equal);
        let mut rng = rng();
        for retry in 1..=12 {
            let t = t_expected(retry);
            let half = SimDuration::from_nanos(t.as_nanos() / 2);
            let (mut low_seen, mut high_seen) = (t, SimDuration::ZERO);
            for _ in 0..DRAWS_PER_RETRY {
                let delay = backoff.next_delay(&mut after(retry - 1, ms(100)), &mut rng);
                assert!(delay >= half, "retry {retry}: {delay:?} < {half:?}");
                assert!(delay <= t, "retry {retry}: {delay:?} > {t:?}");
                low_seen = low_seen.min(delay);
                high_seen = high_seen.max(delay);
            }
            // The draws actually use the range rather than sticking to one end of it.
            let spread_ns = high_seen.as_nanos() - low_seen.as_nanos();
            assert!(spread_ns > half.as_nanos() * 9 / 10, "retry {retry}: spread {spread_ns} ns");
        }
    }

    #[test]
    fn decorrelated_jitter_stays_within_base_and_three_times_the_previous_delay() {
        let backoff = exponential(Jitter::Decorrelated);
        let cap = ms(10_000);
        let mut rng = rng();
        let mut capped = 0;
        for _ in 0..DRAWS_PER_RETRY / 10 {
            let mut state = backoff.start();
            for _ in 1..=12 {
                let bound = SimDuration::from_nanos(state.delay_previous.as_nanos() * 3).min(cap);
                let delay = backoff.next_delay(&mut state, &mut rng);
                assert!(delay >= ms(100), "{delay:?} below base");
                assert!(delay <= bound, "{delay:?} above {bound:?}");
                assert_eq!(state.delay_previous, delay, "the next bound grows from this delay");
                capped += usize::from(delay == cap);
            }
        }
        assert!(capped > 0, "twelve retries should reach the 10 s cap sometimes");
    }

    #[test]
    fn huge_retry_numbers_neither_overflow_nor_wrap() {
        let mut rng = rng();
        for jitter in [Jitter::None, Jitter::Full, Jitter::Equal, Jitter::Decorrelated] {
            let backoff = exponential(jitter);
            for retries_done in [63, 64, 1_000, 1 << 20, u32::MAX - 1, u32::MAX] {
                let mut state = after(retries_done, ms(10_000));
                let delay = backoff.next_delay(&mut state, &mut rng);
                assert!(delay <= ms(10_000), "{jitter:?} at {retries_done}: {delay:?}");
            }
        }
        assert_eq!(capped_exponential(ms(100), 2.0, ms(10_000), u32::MAX), ms(10_000));
        // Even with no cap to speak of, the product saturates instead of wrapping.
        let no_cap = SimDuration::from_nanos(u64::MAX);
        assert_eq!(capped_exponential(ms(100), 2.0, no_cap, u32::MAX), no_cap);
        let mut state = after(u32::MAX, ms(1));
        let full = Backoff::Exponential {
            base: ms(100),
            multiplier: 2.0,
            cap: no_cap,
            jitter: Jitter::Full,
        };
        full.next_delay(&mut state, &mut rng);
        assert_eq!(state.retries(), u32::MAX);
    }

    #[test]
    fn draws_consumed_match_the_policy() {
        let cases = [
            (Backoff::Immediate, 0),
            (Backoff::Fixed { delay: ms(250) }, 0),
            (exponential(Jitter::None), 0),
            (exponential(Jitter::Full), 1),
            (exponential(Jitter::Equal), 1),
            (exponential(Jitter::Decorrelated), 1),
        ];
        let retries = 12;
        for (backoff, draws_per_retry) in cases {
            let (mut used, mut reference) = (rng(), rng());
            let mut state = backoff.start();
            for _ in 0..retries {
                backoff.next_delay(&mut state, &mut used);
            }
            for _ in 0..retries * draws_per_retry {
                reference.next_u64();
            }
            // Same position in the stream: the next numbers agree.
            for _ in 0..4 {
                assert_eq!(used.next_u64(), reference.next_u64(), "{backoff:?}");
            }
        }
    }

    #[test]
    fn same_seed_same_delays() {
        let backoff = exponential(Jitter::Decorrelated);
        let run = || {
            let (mut rng, mut state) = (rng(), backoff.start());
            (0..12).map(|_| backoff.next_delay(&mut state, &mut rng)).collect::<Vec<_>>()
        };
        assert_eq!(run(), run());
    }
}
