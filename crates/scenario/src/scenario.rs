//! A checked scenario: every name resolved, every value in range, ready to run.

use std::sync::Arc;

use faultline_engine::{
    Fault, FaultGen, FaultKind, Latency, LimitExceeded, NetworkConfig, RandomFaults, SimConfig,
    SimDuration, SwarmBounds, SwarmDraw, draw_swarm, realise,
};
use faultline_models::RunSetup;
use faultline_outcome::{ChartSpec, FaultWindow, Grid, Metric, NotChecked, Outcome, Tradeoff};

use crate::registry::LoadedModel;

/// One of the policies a scenario compares: its name, and which of the model's checked
/// policies it runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variant {
    pub name: String,
    /// Its place in the scenario's `variants`, which is also where the model keeps its policy.
    pub index: usize,
}

/// A scenario that passed validation.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub about: String,
    pub seed: u64,
    pub duration: SimDuration,
    pub network: NetworkConfig,
    /// Faults written out in full, in file order.
    pub fixed_faults: Vec<Fault>,
    /// Generators whose faults are drawn from the seed.
    pub random_faults: Vec<RandomFaults>,
    /// The model, with its checked configuration and the variants' policies.
    pub model: Arc<dyn LoadedModel>,
    pub invariants: Vec<String>,
    /// The model's invariants that runs of this scenario do not check, and why.
    pub not_checked: Vec<NotChecked>,
    pub variants: Vec<Variant>,
    pub max_events: u64,
    /// Seeds `0..n` that `faultline run` sweeps for its report's strategy table.
    pub report_sweep: Option<u64>,
    /// What a swarm seed (`--swarm`) draws its generators and network within.
    pub swarm: SwarmBounds,
}

impl Scenario {
    pub fn node_names(&self) -> Vec<String> {
        self.model.node_names()
    }

    /// The model's name, as scenario files write it.
    pub fn model_name(&self) -> &'static str {
        self.model.name()
    }

    /// The concrete faults of a run with this seed: the fixed ones, then the drawn ones.
    /// Every variant of the scenario gets exactly these.
    pub fn faults(&self, seed: u64) -> Vec<Fault> {
        let mut faults = self.fixed_faults.clone();
        faults.extend(realise(&self.random_faults, seed));
        faults
    }

    /// The swarm draw of `seed`: which random generators are on, and the network.
    pub fn swarm_draw(&self, seed: u64) -> SwarmDraw {
        draw_swarm(&self.swarm, &self.network, &self.random_faults, seed)
    }

    /// This scenario as a swarm sweep runs `seed`: the network and the random generators of
    /// the seed's draw, the rest as written. Every variant of the seed runs this scenario,
    /// so they all see the same faults, and `run --swarm` runs what the sweep ran.
    pub fn swarmed(&self, seed: u64) -> Scenario {
        let draw = self.swarm_draw(seed);
        Scenario { network: draw.network.clone(), random_faults: draw.enabled(), ..self.clone() }
    }

    /// The swarm draw of `seed` as scenario text, for `--print-schedule`: which generators
    /// are on (with their counts and spike sizes) as comments, and the network it draws.
    pub fn swarm_text(&self, seed: u64) -> String {
        let draw = self.swarm_draw(seed);
        let mut text = format!(
            "// The swarm draw of {} with seed {seed}: the random fault generators on and off,\n\
             // and the network. Paste `network:` over the scenario's, and the faults below over\n\
             // `faults: [...]`, to replay this run without --swarm.\n",
            self.name
        );
        for (written, drawn) in self.random_faults.iter().zip(&draw.generators) {
            let line = match drawn {
                Some(drawn) => format!(
                    "//   on:  {}",
                    generator_text(&drawn.generator, Some(&written.generator))
                ),
                None => format!("//   off: {}", generator_text(&written.generator, None)),
            };
            text.push_str(&line);
            text.push('\n');
        }
        let network = &draw.network;
        text.push_str(&format!(
            "network: (latency: {}, loss: {:?}, duplicate: {:?}),\n",
            latency_text(&network.latency),
            network.loss_probability,
            network.duplicate_probability
        ));
        text
    }

    pub(crate) fn setup(&self, seed: u64, trace: bool) -> RunSetup {
        self.setup_with(seed, self.faults(seed), trace)
    }

    /// A run with `seed` that gets `faults` instead of the scenario's own.
    fn setup_with(&self, seed: u64, faults: Vec<Fault>, trace: bool) -> RunSetup {
        RunSetup {
            sim: SimConfig {
                seed,
                network: self.network.clone(),
                faults,
                duration: self.duration,
                max_events: self.max_events,
                trace,
                scheduler: None,
            },
            invariants: self.invariants.clone(),
        }
    }

    /// Runs one variant with `seed`, keeping the full trace if asked.
    pub fn run(&self, seed: u64, variant: &Variant, trace: bool) -> Result<Outcome, LimitExceeded> {
        self.model.run(variant, &self.setup(seed, trace))
    }

    /// Runs one variant with `seed` but with exactly `faults`, in place of the fixed and
    /// drawn faults of the scenario: what `faultline shrink` tries smaller schedules with.
    /// The seed still draws the latencies, losses and workload.
    pub fn run_with_faults(
        &self,
        seed: u64,
        variant: &Variant,
        faults: &[Fault],
        trace: bool,
    ) -> Result<Outcome, LimitExceeded> {
        self.model.run(variant, &self.setup_with(seed, faults.to_vec(), trace))
    }

    /// The size of the workload a run with `seed` gets, in the model's words, if the model
    /// says.
    pub fn workload_size(&self, seed: u64) -> Option<String> {
        self.model.workload_size(seed)
    }

    /// Every metric its model's runs report, with its unit and meaning.
    pub fn metrics(&self) -> &'static [Metric] {
        self.model.metrics()
    }

    /// The few metrics that tell this scenario's story, for the terminal table.
    pub fn headline_metrics(&self) -> &'static [Metric] {
        self.model.headline_metrics()
    }

    /// What a sweep's trade-off chart plots against anomalies, if the model has one.
    pub fn tradeoff(&self) -> Option<Tradeoff> {
        self.model.tradeoff()
    }

    /// The charts a report of these variants shows.
    pub fn charts(&self, variants: &[&Variant]) -> Vec<ChartSpec> {
        self.model.charts(variants)
    }

    /// The fault windows of a run with `seed`, for chart shading.
    pub fn fault_windows(&self, seed: u64) -> Vec<FaultWindow> {
        self.setup(seed, false).fault_windows(&self.node_names())
    }

    /// Outcome grids over the scenario's parameters (the retry-storm's load × trigger), for
    /// the given variants; empty when the scenario asks for none.
    pub fn grids(&self, seed: u64, variants: &[&Variant]) -> Result<Vec<Grid>, LimitExceeded> {
        self.model.grids(variants, &self.setup(seed, false))
    }

    /// The realised schedule of a run as scenario text: paste it over `faults:` to replay
    /// the run's faults exactly as a fixed schedule.
    pub fn schedule_text(&self, seed: u64) -> String {
        let names = self.node_names();
        let mut text = format!(
            "// The faults {} realised with seed {seed}. Paste this over `faults: [...]` in\n\
             // the scenario to replay them as a fixed schedule.\nfaults: ",
            self.name
        );
        text.push_str(&faults_text(&self.faults(seed), &names, ""));
        text.push_str(",\n");
        text
    }
}

/// A list of faults in scenario syntax, one a line, `indent` before the closing `]`.
pub(crate) fn faults_text(faults: &[Fault], names: &[String], indent: &str) -> String {
    if faults.is_empty() {
        return "[]".to_owned();
    }
    let mut text = "[\n".to_owned();
    for fault in faults {
        text.push_str(&format!("{indent}    {},\n", fault_text(fault, names)));
    }
    text.push_str(indent);
    text.push(']');
    text
}

/// One fault in scenario syntax.
pub(crate) fn fault_text(fault: &Fault, names: &[String]) -> String {
    let list = |nodes: &[faultline_engine::NodeId]| {
        let quoted: Vec<String> = nodes.iter().map(|n| format!("{:?}", names[n.index()])).collect();
        format!("[{}]", quoted.join(", "))
    };
    let until = |name: &str| fault.until.map(|t| format!(", {name}: \"{t}\"")).unwrap_or_default();
    let from = fault.from;
    match &fault.kind {
        FaultKind::Partition { side_a, side_b, one_way: false } => format!(
            "Partition(between: ({}, {}), from: \"{from}\"{})",
            list(side_a),
            list(side_b),
            until("until")
        ),
        FaultKind::Partition { side_a, side_b, one_way: true } => format!(
            "OneWayPartition(senders: {}, receivers: {}, from: \"{from}\"{})",
            list(side_a),
            list(side_b),
            until("until")
        ),
        FaultKind::LatencySpike { side_a, side_b, extra } => format!(
            "LatencySpike(between: ({}, {}), extra: \"{extra}\", from: \"{from}\"{})",
            list(side_a),
            list(side_b),
            until("until")
        ),
        FaultKind::Loss { side_a, side_b, probability } => format!(
            "Loss(between: ({}, {}), probability: {probability:?}, from: \"{from}\"{})",
            list(side_a),
            list(side_b),
            until("until")
        ),
        FaultKind::Crash { node } => {
            format!("Crash(node: {:?}, at: \"{from}\"{})", names[node.index()], until("restart"))
        }
        FaultKind::Pause { node } => {
            format!("Pause(node: {:?}, from: \"{from}\"{})", names[node.index()], until("until"))
        }
        FaultKind::Model { node, fault } => format!(
            "{}(node: {:?}, {}: {:?}, from: \"{from}\"{})",
            fault.kind,
            names[node.index()],
            fault.param,
            fault.value,
            until("until")
        ),
    }
}

/// A generator as a swarm draw shows it: its kind, and when it is on, how many faults it
/// draws of the count `written` allows (and the spike sizes, for latency spikes).
fn generator_text(generator: &FaultGen, written: Option<&FaultGen>) -> String {
    let kind = match generator {
        FaultGen::Partitions { .. } => "RandomPartitions".to_owned(),
        FaultGen::Crashes { .. } => "RandomCrashes".to_owned(),
        FaultGen::Pauses { .. } => "RandomPauses".to_owned(),
        FaultGen::LatencySpikes { .. } => "RandomLatencySpikes".to_owned(),
        FaultGen::Model { kind, .. } => format!("RandomModelFaults({kind})"),
    };
    let Some(written) = written else { return kind };
    let spikes = match generator {
        FaultGen::LatencySpikes { extra: (lo, hi), .. } => format!(", extra {lo} to {hi}"),
        _ => String::new(),
    };
    format!("{kind}, count {} of {}{spikes}", generator.count(), written.count())
}

/// A latency distribution in scenario syntax.
fn latency_text(latency: &Latency) -> String {
    match latency {
        Latency::Constant(d) => format!("Constant(\"{d}\")"),
        Latency::Uniform { min, max } => format!("Uniform(min: \"{min}\", max: \"{max}\")"),
        Latency::Normal { mean, std_dev } => {
            format!("Normal(mean: \"{mean}\", std_dev: \"{std_dev}\")")
        }
        Latency::LogNormal { median, sigma } => {
            format!("LogNormal(median: \"{median}\", sigma: {sigma:?})")
        }
        Latency::Pareto { scale, shape } => format!("Pareto(scale: \"{scale}\", shape: {shape:?})"),
    }
}
