//! Swarm testing (Groce et al. 2012; FoundationDB, TigerBeetle's `options_swarm`): per seed,
//! which random fault generators are on, how many faults each draws, how large its latency
//! spikes get, and the network's loss, duplication and latency, all within bounds.
//!
//! The draw reads its own stream ([`Stream::Swarm`]), never the fault, workload or link
//! streams, so a plain run's numbers do not move, and every variant of a seed sees the same
//! draw. Each generator takes the same three numbers whether it is on or not, so what the
//! k-th generator draws depends on the seed and k alone.

use crate::dist::Latency;
use crate::fault::{FaultGen, RandomFaults, millis_between};
use crate::network::NetworkConfig;
use crate::rng::{Prng, Stream};
use crate::time::SimDuration;

/// What a swarm draw may choose from. Every range is `(min, max)` and is drawn uniformly.
#[derive(Clone, Debug, PartialEq)]
pub struct SwarmBounds {
    /// Probability that each random fault generator is on in a seed.
    pub enable_probability: f64,
    /// The network's loss probability.
    pub loss_probability: (f64, f64),
    /// The network's duplication probability.
    pub duplicate_probability: (f64, f64),
    /// A factor on the latency distribution's durations (its shape stays).
    pub latency_factor: (f64, f64),
}

/// One seed's swarm draw: the network it runs on and its generators, on or off.
#[derive(Clone, Debug, PartialEq)]
pub struct SwarmDraw {
    pub network: NetworkConfig,
    /// The factor the latency distribution's durations were scaled by.
    pub latency_factor: f64,
    /// One per generator, in order: the generator as drawn (its count, its spike sizes), or
    /// `None` when it is off in this seed.
    pub generators: Vec<Option<RandomFaults>>,
}

impl SwarmDraw {
    /// The generators that are on, in order.
    pub fn enabled(&self) -> Vec<RandomFaults> {
        self.generators.iter().flatten().cloned().collect()
    }
}

/// Draws the swarm configuration of `seed`: each generator is on with the bounds'
/// probability, and then draws between one and its count of faults (a latency spike
/// generator also an upper bound on its spikes, between the ends of its range); the
/// network's loss, duplication and latency factor come from the bounds. Probabilities are
/// rounded to ten-thousandths and the factor to hundredths, so that a printed draw reads
/// well, and kept within their bounds.
pub fn draw_swarm(
    bounds: &SwarmBounds,
    network: &NetworkConfig,
    generators: &[RandomFaults],
    seed: u64,
) -> SwarmDraw {
    let mut rng = Prng::new(seed, Stream::Swarm);
    let loss_probability = rounded(&mut rng, bounds.loss_probability, 10_000.0);
    let duplicate_probability = rounded(&mut rng, bounds.duplicate_probability, 10_000.0);
    let latency_factor = rounded(&mut rng, bounds.latency_factor, 100.0);
    let network = NetworkConfig {
        latency: scaled(&network.latency, latency_factor),
        loss_probability,
        duplicate_probability,
    };
    let generators = generators
        .iter()
        .map(|random| {
            // Three words per generator, on or off, spikes or not.
            let on = rng.chance(bounds.enable_probability);
            let mut generator = random.generator.clone();
            let count = generator.count_mut();
            *count = 1 + rng.below(u64::from(*count)) as u32;
            match &mut generator {
                FaultGen::LatencySpikes { extra, .. } => {
                    extra.1 = millis_between(&mut rng, extra.0, extra.1).min(extra.1).max(extra.0);
                }
                _ => {
                    rng.next_u64();
                }
            }
            on.then_some(RandomFaults { generator, start_window: random.start_window })
        })
        .collect();
    SwarmDraw { network, latency_factor, generators }
}

/// A uniform number in `[lo, hi]`, rounded to `1 / per` and kept within the range (rounding
/// may step outside a range whose ends are not whole multiples of it).
fn rounded(rng: &mut Prng, (lo, hi): (f64, f64), per: f64) -> f64 {
    let x = ((lo + (hi - lo) * rng.unit()) * per).round() / per;
    x.max(lo).min(hi)
}

/// `latency` with every duration scaled by `factor`, in whole microseconds; a factor of
/// one leaves it exactly as it was.
fn scaled(latency: &Latency, factor: f64) -> Latency {
    if factor == 1.0 {
        return latency.clone();
    }
    const NS_PER_US: u64 = 1_000;
    let scale = |d: SimDuration| {
        let us = (d.as_nanos() as f64 * factor / NS_PER_US as f64).round();
        SimDuration::from_micros(us as u64)
    };
    match *latency {
        Latency::Constant(d) => Latency::Constant(scale(d)),
        Latency::Uniform { min, max } => Latency::Uniform { min: scale(min), max: scale(max) },
        Latency::Normal { mean, std_dev } => {
            Latency::Normal { mean: scale(mean), std_dev: scale(std_dev) }
        }
        Latency::LogNormal { median, sigma } => Latency::LogNormal { median: scale(median), sigma },
        Latency::Pareto { scale: s, shape } => Latency::Pareto { scale: scale(s), shape },
    }
}
