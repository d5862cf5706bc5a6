//! Faults as plain data: a concrete schedule, and random generators that draw one from the
//! fault stream (swarm testing). Link faults act on the network; node faults on the nodes.

use crate::node::NodeId;
use crate::rng::{Prng, Stream};
use crate::time::{SimDuration, SimTime};

/// What goes wrong during a fault window.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultKind {
    /// Links between the two groups are cut: both directions, or only `side_a → side_b`.
    Partition { side_a: Vec<NodeId>, side_b: Vec<NodeId>, one_way: bool },
    /// Links between the groups (both directions) get `extra` latency.
    LatencySpike { side_a: Vec<NodeId>, side_b: Vec<NodeId>, extra: SimDuration },
    /// Links between the groups (both directions) lose messages with this extra probability.
    Loss { side_a: Vec<NodeId>, side_b: Vec<NodeId>, probability: f64 },
    /// The node crashes at `from` and restarts at `until` (never, without one).
    Crash { node: NodeId },
    /// The node stops processing (a long GC pause, a frozen VM); messages and timers
    /// wait and are handled, late, when it resumes.
    Pause { node: NodeId },
    /// A fault the model defines (a slowdown, a capacity cut), handed to the node's
    /// [`Node::on_fault`](crate::Node::on_fault) when it begins and when it ends.
    Model { node: NodeId, fault: ModelFault },
}

/// A fault a model defines: plain data, so the engine schedules, traces and prints it like
/// its own. It has one parameter, named by the model (`factor` of a `Slowdown`).
#[derive(Clone, Debug, PartialEq)]
pub struct ModelFault {
    /// How scenario files write it, e.g. `Slowdown`.
    pub kind: &'static str,
    /// Its parameter's name, e.g. `factor`.
    pub param: &'static str,
    pub value: f64,
}

/// One concrete fault: a kind and its window `[from, until)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    pub kind: FaultKind,
    pub from: SimTime,
    /// `None` means "until the end of the run".
    pub until: Option<SimTime>,
}

impl Fault {
    /// The directed links this fault touches (empty for node faults).
    pub(crate) fn links(&self) -> Vec<(NodeId, NodeId)> {
        let (a, b, one_way) = match &self.kind {
            FaultKind::Partition { side_a, side_b, one_way } => (side_a, side_b, *one_way),
            FaultKind::LatencySpike { side_a, side_b, .. }
            | FaultKind::Loss { side_a, side_b, .. } => (side_a, side_b, false),
            FaultKind::Crash { .. } | FaultKind::Pause { .. } | FaultKind::Model { .. } => {
                return Vec::new();
            }
        };
        let mut links = Vec::new();
        for &x in a {
            for &y in b {
                if x != y {
                    links.push((x, y));
                    if !one_way {
                        links.push((y, x));
                    }
                }
            }
        }
        links
    }

    /// Every node the fault names.
    pub(crate) fn nodes(&self) -> Vec<NodeId> {
        match &self.kind {
            FaultKind::Partition { side_a, side_b, .. }
            | FaultKind::LatencySpike { side_a, side_b, .. }
            | FaultKind::Loss { side_a, side_b, .. } => {
                side_a.iter().chain(side_b).copied().collect()
            }
            FaultKind::Crash { node }
            | FaultKind::Pause { node }
            | FaultKind::Model { node, .. } => {
                vec![*node]
            }
        }
    }

    /// The same fault where the nodes are numbered differently: `id` gives a node's id there,
    /// or `None` if it is not there. A group loses its missing members; a fault whose node is
    /// missing, or one of whose groups is left empty, has nothing to act on and is `None`.
    pub fn renumbered(&self, id: impl Fn(NodeId) -> Option<NodeId>) -> Option<Fault> {
        let group = |nodes: &[NodeId]| {
            let kept: Vec<NodeId> = nodes.iter().filter_map(|&n| id(n)).collect();
            (!kept.is_empty()).then_some(kept)
        };
        let kind = match &self.kind {
            FaultKind::Partition { side_a, side_b, one_way } => FaultKind::Partition {
                side_a: group(side_a)?,
                side_b: group(side_b)?,
                one_way: *one_way,
            },
            FaultKind::LatencySpike { side_a, side_b, extra } => FaultKind::LatencySpike {
                side_a: group(side_a)?,
                side_b: group(side_b)?,
                extra: *extra,
            },
            FaultKind::Loss { side_a, side_b, probability } => FaultKind::Loss {
                side_a: group(side_a)?,
                side_b: group(side_b)?,
                probability: *probability,
            },
            FaultKind::Crash { node } => FaultKind::Crash { node: id(*node)? },
            FaultKind::Pause { node } => FaultKind::Pause { node: id(*node)? },
            FaultKind::Model { node, fault } => {
                FaultKind::Model { node: id(*node)?, fault: fault.clone() }
            }
        };
        Some(Fault { kind, ..self.clone() })
    }

    /// A short human description, with node names.
    pub fn describe(&self, names: &[String]) -> String {
        let name = |n: &NodeId| names.get(n.index()).cloned().unwrap_or_else(|| n.0.to_string());
        let group = |g: &[NodeId]| g.iter().map(name).collect::<Vec<_>>().join(",");
        match &self.kind {
            FaultKind::Partition { side_a, side_b, one_way: false } => {
                format!("partition {} | {}", group(side_a), group(side_b))
            }
            FaultKind::Partition { side_a, side_b, one_way: true } => {
                format!("one-way partition {} -> {}", group(side_a), group(side_b))
            }
            FaultKind::LatencySpike { side_a, side_b, extra } => {
                format!("latency +{extra} {} | {}", group(side_a), group(side_b))
            }
            FaultKind::Loss { side_a, side_b, probability } => {
                format!("loss {:.0}% {} | {}", probability * 100.0, group(side_a), group(side_b))
            }
            FaultKind::Crash { node } => format!("crash {}", name(node)),
            FaultKind::Pause { node } => format!("pause {}", name(node)),
            FaultKind::Model { node, fault } => format!(
                "{} of {} ({} {})",
                fault.kind.to_lowercase(),
                name(node),
                fault.param,
                fault.value
            ),
        }
    }
}

/// `faults`, written for a run whose nodes are named `from`, for a run of other nodes named
/// `to`: each fault keeps acting on the nodes it names, by name, whatever their new ids, and
/// leaves out the nodes the other run does not have (see [`Fault::renumbered`]).
pub fn rename_faults(faults: &[Fault], from: &[String], to: &[String]) -> Vec<Fault> {
    let id = |node: NodeId| {
        let name = &from[node.index()];
        to.iter().position(|n| n == name).map(|i| NodeId(i as u32))
    };
    faults.iter().filter_map(|fault| fault.renumbered(id)).collect()
}

/// A random fault generator: its parameters are drawn from the run's fault stream, so the
/// realised schedule depends on the seed alone and is shared by every variant.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultGen {
    /// `count` partitions, each splitting `nodes` into two random non-empty groups.
    Partitions { nodes: Vec<NodeId>, count: u32, duration: (SimDuration, SimDuration) },
    /// `count` crashes of random nodes, each restarting after a random downtime.
    Crashes { nodes: Vec<NodeId>, count: u32, downtime: (SimDuration, SimDuration) },
    /// `count` pauses of random nodes.
    Pauses { nodes: Vec<NodeId>, count: u32, duration: (SimDuration, SimDuration) },
    /// `count` latency spikes between a random node and the rest of `nodes`.
    LatencySpikes {
        nodes: Vec<NodeId>,
        count: u32,
        extra: (SimDuration, SimDuration),
        duration: (SimDuration, SimDuration),
    },
    /// `count` faults of a kind the model defines at random nodes of `nodes`, each with a
    /// parameter drawn from `value` (rounded to hundredths, so a printed schedule reads well).
    Model {
        kind: &'static str,
        param: &'static str,
        nodes: Vec<NodeId>,
        count: u32,
        value: (f64, f64),
        duration: (SimDuration, SimDuration),
    },
}

impl FaultGen {
    /// How many faults it draws.
    pub fn count(&self) -> u32 {
        match self {
            FaultGen::Partitions { count, .. }
            | FaultGen::Crashes { count, .. }
            | FaultGen::Pauses { count, .. }
            | FaultGen::LatencySpikes { count, .. }
            | FaultGen::Model { count, .. } => *count,
        }
    }

    pub(crate) fn count_mut(&mut self) -> &mut u32 {
        match self {
            FaultGen::Partitions { count, .. }
            | FaultGen::Crashes { count, .. }
            | FaultGen::Pauses { count, .. }
            | FaultGen::LatencySpikes { count, .. }
            | FaultGen::Model { count, .. } => count,
        }
    }
}

/// A generator and the window its faults start in.
#[derive(Clone, Debug, PartialEq)]
pub struct RandomFaults {
    pub generator: FaultGen,
    pub start_window: (SimTime, SimTime),
}

/// Draws the concrete schedule of every generator, in order, from the fault stream.
pub fn realise(generators: &[RandomFaults], seed: u64) -> Vec<Fault> {
    let mut rng = Prng::new(seed, Stream::Faults);
    let mut faults = Vec::new();
    for RandomFaults { generator, start_window: (lo, hi) } in generators {
        let start = |rng: &mut Prng| {
            SimTime::ZERO + millis_between(rng, lo.since(SimTime::ZERO), hi.since(SimTime::ZERO))
        };
        let pick = |rng: &mut Prng, nodes: &[NodeId]| nodes[rng.below(nodes.len() as u64) as usize];
        match generator {
            FaultGen::Partitions { nodes, count, duration } => {
                for _ in 0..*count {
                    let from = start(&mut rng);
                    let (side_a, side_b) = random_split(&mut rng, nodes);
                    let until = from + millis_between(&mut rng, duration.0, duration.1);
                    let kind = FaultKind::Partition { side_a, side_b, one_way: false };
                    faults.push(Fault { kind, from, until: Some(until) });
                }
            }
            FaultGen::Crashes { nodes, count, downtime: duration }
            | FaultGen::Pauses { nodes, count, duration } => {
                let crash = matches!(generator, FaultGen::Crashes { .. });
                for _ in 0..*count {
                    let from = start(&mut rng);
                    let node = pick(&mut rng, nodes);
                    let until = from + millis_between(&mut rng, duration.0, duration.1);
                    let kind =
                        if crash { FaultKind::Crash { node } } else { FaultKind::Pause { node } };
                    faults.push(Fault { kind, from, until: Some(until) });
                }
            }
            FaultGen::Model { kind, param, nodes, count, value: (lo, hi), duration } => {
                for _ in 0..*count {
                    let from = start(&mut rng);
                    let node = pick(&mut rng, nodes);
                    // Rounding may step just outside a range whose ends are not whole
                    // hundredths: bring it back, or the printed schedule would not parse.
                    let value = ((lo + (hi - lo) * rng.unit()) * 100.0).round() / 100.0;
                    let value = value.max(*lo).min(*hi);
                    let until = from + millis_between(&mut rng, duration.0, duration.1);
                    let fault = ModelFault { kind, param, value };
                    faults.push(Fault {
                        kind: FaultKind::Model { node, fault },
                        from,
                        until: Some(until),
                    });
                }
            }
            FaultGen::LatencySpikes { nodes, count, extra, duration } => {
                for _ in 0..*count {
                    let from = start(&mut rng);
                    let node = pick(&mut rng, nodes);
                    let extra = millis_between(&mut rng, extra.0, extra.1);
                    let until = from + millis_between(&mut rng, duration.0, duration.1);
                    let rest = nodes.iter().copied().filter(|&n| n != node).collect();
                    let kind = FaultKind::LatencySpike { side_a: vec![node], side_b: rest, extra };
                    faults.push(Fault { kind, from, until: Some(until) });
                }
            }
        }
    }
    faults
}

/// A uniform duration in [min, max], in whole milliseconds (at least `min`), so a printed
/// schedule reads "9589ms" rather than "9588777072ns".
pub(crate) fn millis_between(rng: &mut Prng, min: SimDuration, max: SimDuration) -> SimDuration {
    const NS_PER_MS: u64 = 1_000_000;
    let lo = min.as_nanos().div_ceil(NS_PER_MS);
    let hi = (max.as_nanos() / NS_PER_MS).max(lo);
    SimDuration::from_millis(lo + rng.below(hi - lo + 1))
}

/// Splits `nodes` into two non-empty groups (when it has at least two members).
fn random_split(rng: &mut Prng, nodes: &[NodeId]) -> (Vec<NodeId>, Vec<NodeId>) {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for &node in nodes {
        if rng.chance(0.5) { a.push(node) } else { b.push(node) }
    }
    if a.is_empty() && b.len() > 1 {
        a.push(b.remove(rng.below(b.len() as u64) as usize));
    }
    if b.is_empty() && a.len() > 1 {
        b.push(a.remove(rng.below(a.len() as u64) as usize));
    }
    (a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generators() -> Vec<RandomFaults> {
        let nodes: Vec<NodeId> = (0..5).map(NodeId).collect();
        let s = SimDuration::from_secs;
        vec![RandomFaults {
            generator: FaultGen::Partitions { nodes, count: 4, duration: (s(1), s(5)) },
            start_window: (SimTime::from_secs(10), SimTime::from_secs(50)),
        }]
    }

    #[test]
    fn renamed_faults_act_on_the_same_names_and_drop_the_missing() {
        let names = |list: &[&str]| list.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        let before = names(&["a-1", "a-2", "bank", "locks"]);
        let after = names(&["a-1", "bank", "locks", "a-3"]);
        let window = |kind| Fault { kind, from: SimTime::from_secs(1), until: None };
        let cut = |a: Vec<u32>, b: Vec<u32>| FaultKind::Partition {
            side_a: a.into_iter().map(NodeId).collect(),
            side_b: b.into_iter().map(NodeId).collect(),
            one_way: false,
        };
        let faults = [
            window(FaultKind::Crash { node: NodeId(2) }),
            window(cut(vec![0, 1], vec![2])),
            window(cut(vec![1], vec![3])),
            window(FaultKind::Pause { node: NodeId(1) }),
        ];
        let renamed = rename_faults(&faults, &before, &after);
        // The bank is node 1 now; a-2 is gone, with the faults that named only it.
        assert_eq!(
            renamed,
            [window(FaultKind::Crash { node: NodeId(1) }), window(cut(vec![0], vec![1]))]
        );
    }

    #[test]
    fn realised_schedules_depend_on_the_seed_alone() {
        assert_eq!(realise(&generators(), 1), realise(&generators(), 1));
        assert_ne!(realise(&generators(), 1), realise(&generators(), 2));
    }

    #[test]
    fn random_partitions_respect_their_windows_and_split_into_two_sides() {
        for seed in 0..50 {
            for fault in realise(&generators(), seed) {
                assert!(
                    fault.from >= SimTime::from_secs(10) && fault.from <= SimTime::from_secs(50)
                );
                let until = fault.until.unwrap();
                let length = until.since(fault.from);
                assert!(length >= SimDuration::from_secs(1) && length <= SimDuration::from_secs(5));
                let FaultKind::Partition { side_a, side_b, .. } = fault.kind else { panic!() };
                assert!(!side_a.is_empty() && !side_b.is_empty());
                assert_eq!(side_a.len() + side_b.len(), 5);
            }
        }
    }

    /// docs/reference.md says what `RandomPartitions` draws: a coin per node, so four nodes
    /// split two against two 6 times in 16, not one node off the rest every time.
    #[test]
    fn random_partitions_of_four_split_two_against_two_six_times_in_sixteen() {
        let nodes: Vec<NodeId> = (0..4).map(NodeId).collect();
        let s = SimDuration::from_secs;
        let generators = [RandomFaults {
            generator: FaultGen::Partitions { nodes, count: 100, duration: (s(1), s(2)) },
            start_window: (SimTime::ZERO, SimTime::from_secs(10)),
        }];
        let (mut halves, mut partitions) = (0u32, 0u32);
        for seed in 0..40 {
            for fault in realise(&generators, seed) {
                let FaultKind::Partition { side_a, .. } = fault.kind else { panic!() };
                halves += u32::from(side_a.len() == 2);
                partitions += 1;
            }
        }
        let share = f64::from(halves) / f64::from(partitions);
        assert!((share - 6.0 / 16.0).abs() < 0.03, "{halves} of {partitions} split 2 against 2");
    }
}
