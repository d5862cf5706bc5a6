//! Latency distributions, sampled with `libm` so every platform draws the same bits.

use crate::rng::{Prng, unit_from_bits};
use crate::time::SimDuration;

/// How long a message spends on the wire. Jitter between messages is what reorders them.
#[derive(Clone, Debug, PartialEq)]
pub enum Latency {
    Constant(SimDuration),
    Uniform {
        min: SimDuration,
        max: SimDuration,
    },
    /// Clamped at zero: a normal tail below zero is not a message arriving before it left.
    Normal {
        mean: SimDuration,
        std_dev: SimDuration,
    },
    /// `median * e^(sigma * z)`: the long right tail of real networks.
    LogNormal {
        median: SimDuration,
        sigma: f64,
    },
    /// `scale / u^(1/shape)`, at least `scale`; capped at 10,000 × scale so one draw
    /// cannot stall a run for virtual years.
    Pareto {
        scale: SimDuration,
        shape: f64,
    },
}

/// Largest Pareto sample, as a multiple of its scale.
const PARETO_CAP_FACTOR: f64 = 10_000.0;

impl Latency {
    /// The shortest a message can take: a bound no draw goes below.
    pub fn min(&self) -> SimDuration {
        match *self {
            Latency::Constant(latency) => latency,
            Latency::Uniform { min, .. } => min,
            Latency::Pareto { scale, .. } => scale,
            Latency::Normal { .. } | Latency::LogNormal { .. } => SimDuration::ZERO,
        }
    }

    /// The longest a message can take, if the distribution has a bound short of its
    /// safety cap: what a timer that waits longer can count on.
    pub fn max(&self) -> Option<SimDuration> {
        match *self {
            Latency::Constant(latency) => Some(latency),
            Latency::Uniform { max, .. } => Some(max),
            Latency::Normal { .. } | Latency::LogNormal { .. } | Latency::Pareto { .. } => None,
        }
    }

    /// Draws one latency. The number of words taken from `rng` depends only on the kind
    /// (none for a constant, one for uniform and Pareto, two for the normal family), so the
    /// k-th message on a link sees the same numbers in every variant of a scenario.
    #[inline]
    pub fn sample(&self, rng: &mut Prng) -> SimDuration {
        match self {
            Latency::Constant(d) => *d,
            Latency::Uniform { .. } | Latency::Pareto { .. } => self.sample_from(rng.next_u64(), 0),
            Latency::Normal { .. } | Latency::LogNormal { .. } => {
                let a = rng.next_u64();
                self.sample_from(a, rng.next_u64())
            }
        }
    }

    fn sample_from(&self, a: u64, b: u64) -> SimDuration {
        match *self {
            Latency::Constant(d) => d,
            Latency::Uniform { min, max } => {
                let (lo, hi) = (min.as_nanos(), max.as_nanos().max(min.as_nanos()));
                let span = hi - lo + 1;
                SimDuration::from_nanos(lo + ((u128::from(a) * u128::from(span)) >> 64) as u64)
            }
            Latency::Normal { mean, std_dev } => {
                let ns = mean.as_nanos() as f64 + std_dev.as_nanos() as f64 * std_normal(a, b);
                SimDuration::from_nanos(ns.max(0.0) as u64)
            }
            Latency::LogNormal { median, sigma } => {
                median.mul_f64(libm::exp(sigma * std_normal(a, b)))
            }
            Latency::Pareto { scale, shape } => {
                let u = 1.0 - unit_from_bits(a); // (0, 1]
                let factor = libm::pow(u, -1.0 / shape).min(PARETO_CAP_FACTOR);
                scale.mul_f64(factor)
            }
        }
    }

    /// The mean of the distribution, for documentation and sanity checks in tests.
    pub fn mean_ns(&self) -> f64 {
        match *self {
            Latency::Constant(d) => d.as_nanos() as f64,
            Latency::Uniform { min, max } => (min.as_nanos() + max.as_nanos()) as f64 / 2.0,
            Latency::Normal { mean, .. } => mean.as_nanos() as f64,
            Latency::LogNormal { median, sigma } => {
                median.as_nanos() as f64 * libm::exp(sigma * sigma / 2.0)
            }
            Latency::Pareto { scale, shape } => {
                if shape > 1.0 {
                    scale.as_nanos() as f64 * shape / (shape - 1.0)
                } else {
                    f64::INFINITY
                }
            }
        }
    }
}

/// A standard normal deviate from two uniform words (Box–Muller).
fn std_normal(a: u64, b: u64) -> f64 {
    let u1 = 1.0 - unit_from_bits(a); // (0, 1]: log is finite
    let u2 = unit_from_bits(b);
    libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(2.0 * core::f64::consts::PI * u2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Stream;

    fn mean_of(latency: &Latency, n: u32) -> f64 {
        let mut rng = Prng::new(3, Stream::Workload);
        (0..n).map(|_| latency.sample(&mut rng).as_nanos() as f64).sum::<f64>() / f64::from(n)
    }

    #[test]
    fn sample_means_match_the_distributions() {
        let ms = SimDuration::from_millis;
        let cases = [
            Latency::Constant(ms(5)),
            Latency::Uniform { min: ms(1), max: ms(9) },
            Latency::Normal { mean: ms(50), std_dev: ms(5) },
            Latency::LogNormal { median: ms(10), sigma: 0.5 },
            Latency::Pareto { scale: ms(2), shape: 3.0 },
        ];
        for latency in cases {
            let (got, want) = (mean_of(&latency, 50_000), latency.mean_ns());
            assert!((got - want).abs() / want < 0.03, "{latency:?}: mean {got} vs {want}");
        }
    }

    #[test]
    fn uniform_stays_within_bounds_and_normal_never_goes_negative() {
        let mut rng = Prng::new(9, Stream::Workload);
        let uniform =
            Latency::Uniform { min: SimDuration::from_millis(1), max: SimDuration::from_millis(2) };
        let wide = Latency::Normal {
            mean: SimDuration::from_millis(1),
            std_dev: SimDuration::from_millis(10),
        };
        for _ in 0..10_000 {
            let d = uniform.sample(&mut rng);
            assert!(d >= SimDuration::from_millis(1) && d <= SimDuration::from_millis(2));
            let _never_panics = wide.sample(&mut rng);
        }
    }
}
