//! Swarm draws: the same seed gives the same draw, every drawn parameter stays within its
//! bounds, and the draw never touches the streams a plain run reads.

use faultline_engine::{
    FaultGen, Latency, NetworkConfig, NodeId, Prng, RandomFaults, SimDuration, SimTime, Stream,
    SwarmBounds, draw_swarm, realise,
};
use proptest::prelude::*;

fn ms(n: u64) -> SimDuration {
    SimDuration::from_millis(n)
}

/// One generator of each kind, with the counts and spike range given.
fn generators(counts: [u32; 5], spike_ms: (u64, u64)) -> Vec<RandomFaults> {
    let nodes: Vec<NodeId> = (0..4).map(NodeId).collect();
    let window = (SimTime::from_secs(1), SimTime::from_secs(9));
    let kinds = [
        FaultGen::Partitions { nodes: nodes.clone(), count: counts[0], duration: (ms(5), ms(50)) },
        FaultGen::Crashes { nodes: nodes.clone(), count: counts[1], downtime: (ms(5), ms(50)) },
        FaultGen::Pauses { nodes: nodes.clone(), count: counts[2], duration: (ms(5), ms(50)) },
        FaultGen::LatencySpikes {
            nodes: nodes.clone(),
            count: counts[3],
            extra: (ms(spike_ms.0), ms(spike_ms.1)),
            duration: (ms(5), ms(50)),
        },
        FaultGen::Model {
            kind: "Slowdown",
            param: "factor",
            nodes,
            count: counts[4],
            value: (2.0, 5.0),
            duration: (ms(5), ms(50)),
        },
    ];
    kinds.into_iter().map(|generator| RandomFaults { generator, start_window: window }).collect()
}

fn network() -> NetworkConfig {
    NetworkConfig {
        latency: Latency::Uniform { min: ms(2), max: ms(10) },
        loss_probability: 0.1,
        duplicate_probability: 0.01,
    }
}

fn bounds() -> SwarmBounds {
    SwarmBounds {
        enable_probability: 0.5,
        loss_probability: (0.0, 0.1),
        duplicate_probability: (0.0, 0.01),
        latency_factor: (0.5, 2.0),
    }
}

/// A sorted pair of floats in `[0, 1]`.
fn probability_range() -> impl Strategy<Value = (f64, f64)> {
    (0.0..=1.0f64, 0.0..=1.0f64).prop_map(|(a, b)| (a.min(b), a.max(b)))
}

#[test]
fn the_same_seed_gives_the_same_draw_and_seeds_differ() {
    let gens = generators([3, 2, 4, 2, 1], (100, 800));
    let draw = |seed| draw_swarm(&bounds(), &network(), &gens, seed);
    assert_eq!(draw(7), draw(7));
    let distinct: std::collections::BTreeSet<String> =
        (0..20).map(|seed| format!("{:?}", draw(seed))).collect();
    assert_eq!(distinct.len(), 20, "twenty seeds, twenty draws");
}

#[test]
fn over_seeds_every_generator_is_sometimes_on_and_sometimes_off() {
    let gens = generators([3, 2, 4, 2, 1], (100, 800));
    let draws: Vec<_> =
        (0..200).map(|seed| draw_swarm(&bounds(), &network(), &gens, seed)).collect();
    for k in 0..gens.len() {
        let on = draws.iter().filter(|d| d.generators[k].is_some()).count();
        assert!((60..=140).contains(&on), "generator {k} on in {on} of 200 seeds");
    }
}

#[test]
fn the_draw_reads_only_its_own_stream() {
    // A plain run's faults come from the fault stream alone: drawing a swarm first must not
    // change them, and the swarm stream is not the fault stream.
    let gens = generators([3, 2, 4, 2, 1], (100, 800));
    let before = realise(&gens, 11);
    draw_swarm(&bounds(), &network(), &gens, 11);
    assert_eq!(realise(&gens, 11), before);
    assert_ne!(Prng::new(11, Stream::Swarm).next_u64(), Prng::new(11, Stream::Faults).next_u64());
}

#[test]
fn a_generators_draw_does_not_depend_on_the_kinds_before_it() {
    // Each generator takes the same numbers, on or off, spikes or not: the last one's draw
    // is the same whatever the ones before it are.
    let a = generators([3, 2, 4, 2, 6], (100, 800));
    let mut b = generators([1, 9, 1, 5, 6], (10, 20));
    b.swap(0, 3);
    for seed in 0..50 {
        let last = |gens: &[RandomFaults]| {
            draw_swarm(&bounds(), &network(), gens, seed).generators[4].clone()
        };
        assert_eq!(last(&a), last(&b), "seed {seed}");
    }
}

proptest! {
    #[test]
    fn drawn_parameters_stay_within_their_bounds(
        seed in any::<u64>(),
        enable in 0.0..=1.0f64,
        loss in probability_range(),
        duplicate in probability_range(),
        factor in (0.01..=10.0f64, 0.01..=10.0f64).prop_map(|(a, b)| (a.min(b), a.max(b))),
        counts in prop::array::uniform5(1..=50u32),
        spike_lo in 0..2_000u64,
        spike_extra in 0..2_000u64,
    ) {
        let bounds = SwarmBounds {
            enable_probability: enable,
            loss_probability: loss,
            duplicate_probability: duplicate,
            latency_factor: factor,
        };
        let spike = (spike_lo, spike_lo + spike_extra);
        let gens = generators(counts, spike);
        let draw = draw_swarm(&bounds, &network(), &gens, seed);
        prop_assert!(loss.0 <= draw.network.loss_probability && draw.network.loss_probability <= loss.1);
        let dup = draw.network.duplicate_probability;
        prop_assert!(duplicate.0 <= dup && dup <= duplicate.1);
        prop_assert!(factor.0 <= draw.latency_factor && draw.latency_factor <= factor.1);
        let Latency::Uniform { min, max } = draw.network.latency else { panic!("the shape stays") };
        // Scaled to whole microseconds: within half a microsecond of the exact product.
        for (drawn, written) in [(min, ms(2)), (max, ms(10))] {
            let exact = written.as_nanos() as f64 * draw.latency_factor;
            prop_assert!((drawn.as_nanos() as f64 - exact).abs() <= 500.0, "{drawn} for {exact}ns");
        }
        prop_assert_eq!(draw.generators.len(), gens.len());
        for (drawn, written) in draw.generators.iter().zip(&gens) {
            let Some(drawn) = drawn else { continue };
            prop_assert_eq!(drawn.start_window, written.start_window);
            prop_assert!((1..=written.generator.count()).contains(&drawn.generator.count()));
            if let (
                FaultGen::LatencySpikes { extra: (lo, hi), .. },
                FaultGen::LatencySpikes { extra: (wlo, whi), .. },
            ) = (&drawn.generator, &written.generator)
            {
                prop_assert_eq!(lo, wlo);
                prop_assert!(lo <= hi && hi <= whi, "spikes up to {} within ({}, {})", hi, wlo, whi);
            }
        }
        if enable == 0.0 {
            prop_assert!(draw.enabled().is_empty());
        }
        if enable == 1.0 {
            prop_assert_eq!(draw.enabled().len(), gens.len());
        }
    }
}
