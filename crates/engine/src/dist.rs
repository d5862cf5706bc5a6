//! Latency distributions, sampled with `libm` so every platform draws the same bits.

use crate::rng::{Prng, mix64, unit_from_bits};
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

    /// Draws one latency. A constant takes no word from `rng` and every other kind takes
    /// exactly one, so the k-th message on a link sees the same number in every variant of a
    /// scenario, whatever the distribution's parameters.
    #[inline]
    pub fn sample(&self, rng: &mut Prng) -> SimDuration {
        match *self {
            Latency::Constant(d) => d,
            Latency::Uniform { min, max } => {
                let (lo, hi) = (min.as_nanos(), max.as_nanos().max(min.as_nanos()));
                let span = hi - lo + 1;
                let a = rng.next_u64();
                SimDuration::from_nanos(lo + ((u128::from(a) * u128::from(span)) >> 64) as u64)
            }
            Latency::Normal { mean, std_dev } => {
                let z = std_normal(rng.next_u64());
                let ns = mean.as_nanos() as f64 + std_dev.as_nanos() as f64 * z;
                SimDuration::from_nanos(ns.max(0.0) as u64)
            }
            Latency::LogNormal { median, sigma } => {
                median.mul_f64(libm::exp(sigma * std_normal(rng.next_u64())))
            }
            Latency::Pareto { scale, shape } => {
                let u = 1.0 - unit_from_bits(rng.next_u64()); // (0, 1]
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

/// A standard normal deviate from one uniform word, by Marsaglia and Tsang's ziggurat
/// ("The Ziggurat Method for Generating Random Variables", 2000), with 256 layers.
///
/// Nearly 99% of draws are one table look-up, one multiplication and one comparison: no
/// logarithm, square root or cosine (Box–Muller needs all three). The rare rejected draw
/// needs more uniforms; it takes them from a SplitMix64 sequence seeded by `word`, not from
/// the stream, so every draw takes exactly one word and the k-th message on a link still sees
/// the same numbers in every variant of a scenario.
#[inline]
fn std_normal(word: u64) -> f64 {
    let table = ziggurat();
    let layer = (word & 0xff) as usize;
    // The top 53 bits as a signed uniform in (-1, 1); bits 0..8 chose the layer.
    let u = 2.0 * unit_from_bits(word) - 1.0;
    let x = u * table.x[layer];
    if x.abs() < table.x[layer + 1] {
        return x;
    }
    std_normal_rejected(word, layer, x, table)
}

/// The ziggurat's slow path, for a point `x` outside its layer's rectangle: the tail beyond
/// `R` under the base layer, or the wedge between the rectangle and the curve.
#[cold]
fn std_normal_rejected(word: u64, layer: usize, x: f64, table: &Ziggurat) -> f64 {
    let mut more = SplitMix64(word);
    if layer == 0 {
        // Marsaglia's exponential tail.
        loop {
            let tail = libm::log(1.0 - unit_from_bits(more.next())) / ZIGGURAT_R;
            let y = libm::log(1.0 - unit_from_bits(more.next()));
            if -2.0 * y >= tail * tail {
                return if x < 0.0 { tail - ZIGGURAT_R } else { ZIGGURAT_R - tail };
            }
        }
    }
    let (f_inner, f_outer) = (table.f[layer + 1], table.f[layer]);
    let y = f_inner + (f_outer - f_inner) * unit_from_bits(more.next());
    if y < libm::exp(-0.5 * x * x) {
        return x;
    }
    // Rejected: start over with a fresh word, derived from this one.
    std_normal(more.next())
}

/// Where the ziggurat's base layer ends and its tail begins, for 256 layers.
const ZIGGURAT_R: f64 = 3.654_152_885_361_009;
/// The area of each layer, under the unnormalised density `exp(-x²/2)`.
const ZIGGURAT_LAYER_AREA: f64 = 4.928_673_233_99e-3;

/// Layer edges `x[i]`, decreasing from the base layer's equivalent width to `x[256] = 0`, and
/// the density at each, `f[i] = exp(-x[i]²/2)`.
struct Ziggurat {
    x: [f64; 257],
    f: [f64; 257],
}

/// The ziggurat's tables, built once with `libm` so they are the same bits everywhere.
fn ziggurat() -> &'static Ziggurat {
    static TABLES: std::sync::OnceLock<Ziggurat> = std::sync::OnceLock::new();
    TABLES.get_or_init(|| {
        let density = |x: f64| libm::exp(-0.5 * x * x);
        let mut x = [0.0; 257];
        x[0] = ZIGGURAT_LAYER_AREA / density(ZIGGURAT_R);
        x[1] = ZIGGURAT_R;
        for i in 1..255 {
            x[i + 1] = libm::sqrt(-2.0 * libm::log(ZIGGURAT_LAYER_AREA / x[i] + density(x[i])));
        }
        Ziggurat { x, f: x.map(density) }
    })
}

/// Sebastiano Vigna's SplitMix64: a tiny generator for the few extra uniforms a rejected
/// ziggurat draw needs, seeded by the draw's own word.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix64(self.0)
    }
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

    #[test]
    fn ziggurat_tables_match_marsaglia_and_tsang() {
        // The published edges for 256 layers: the base's equivalent width, then R, x[2].
        let table = ziggurat();
        assert!((table.x[0] - 3.910_757_959_537_09).abs() < 1e-12, "{}", table.x[0]);
        assert!((table.x[2] - 3.449_278_298_560_964).abs() < 1e-12, "{}", table.x[2]);
        // The recurrence closes: the top layer ends at the peak, where the density is 1.
        assert!(table.x[255] > 0.0 && table.x[255] < 0.3, "{}", table.x[255]);
        assert!(table.x.windows(2).all(|w| w[0] > w[1]), "edges must decrease");
    }

    /// The standard normal CDF, from `libm`'s complementary error function.
    fn normal_cdf(z: f64) -> f64 {
        0.5 * libm::erfc(-z / core::f64::consts::SQRT_2)
    }

    #[test]
    fn std_normal_follows_the_normal_distribution_into_the_tails() {
        // Kolmogorov–Smirnov against the exact CDF, and the tail masses a rejection-path bug
        // would distort (the wedges and the tail beyond R are each about 1% of draws).
        let mut rng = Prng::new(11, Stream::Workload);
        let n = 400_000;
        let mut draws: Vec<f64> = (0..n).map(|_| std_normal(rng.next_u64())).collect();
        draws.sort_by(f64::total_cmp);
        let ks = draws
            .iter()
            .enumerate()
            .map(|(i, &z)| {
                let cdf = normal_cdf(z);
                (cdf - i as f64 / n as f64).abs().max((cdf - (i + 1) as f64 / n as f64).abs())
            })
            .fold(0.0, f64::max);
        // The 99.9% critical value is 1.95 / sqrt(n).
        assert!(ks < 1.95 / (n as f64).sqrt(), "KS distance {ks}");
        for threshold in [1.0, 2.0, 3.0, ZIGGURAT_R, 4.0] {
            let beyond = draws.iter().filter(|z| z.abs() > threshold).count() as f64 / n as f64;
            let want = 2.0 * normal_cdf(-threshold);
            let sigma = (want * (1.0 - want) / n as f64).sqrt();
            assert!(
                (beyond - want).abs() < 4.0 * sigma + 1e-6,
                "P(|z| > {threshold}): {beyond} vs {want}"
            );
        }
    }

    #[test]
    fn every_latency_but_a_constant_takes_exactly_one_word() {
        // Common random numbers rest on this: a variant whose latencies differ still reads
        // the stream in step with every other variant.
        let ms = SimDuration::from_millis;
        for latency in [
            Latency::Uniform { min: ms(1), max: ms(9) },
            Latency::Normal { mean: ms(50), std_dev: ms(5) },
            Latency::LogNormal { median: ms(10), sigma: 2.0 },
            Latency::Pareto { scale: ms(2), shape: 1.5 },
        ] {
            let (mut sampled, mut counted) =
                (Prng::new(5, Stream::Workload), Prng::new(5, Stream::Workload));
            for _ in 0..10_000 {
                latency.sample(&mut sampled);
                counted.next_u64();
            }
            assert_eq!(sampled.next_u64(), counted.next_u64(), "{latency:?}");
        }
        let (mut sampled, mut untouched) =
            (Prng::new(5, Stream::Workload), Prng::new(5, Stream::Workload));
        Latency::Constant(ms(3)).sample(&mut sampled);
        assert_eq!(sampled.next_u64(), untouched.next_u64());
    }
}
