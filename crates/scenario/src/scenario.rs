//! A checked scenario: every name resolved, every value in range, ready to run.

use faultline_engine::Grid;
use faultline_engine::{
    ChartSpec, Fault, FaultKind, FaultWindow, LimitExceeded, NetworkConfig, Outcome, RandomFaults,
    SimConfig, SimDuration, realise,
};
use faultline_models::RunSetup;
use faultline_models::bank::{self, BankConfig, BankPolicy};
use faultline_models::chat::{self, ChatConfig, Delivery};
use faultline_models::payment::{self, CallPolicy, PaymentConfig};

/// The system under test and its workload.
#[derive(Clone, Debug, PartialEq)]
pub enum Model {
    Chat(ChatConfig),
    Payment(PaymentConfig),
    Bank(BankConfig),
}

/// What a variant changes: the policy under test.
#[derive(Clone, Debug, PartialEq)]
pub enum Policy {
    Chat(Delivery),
    Payment(CallPolicy),
    Bank(BankPolicy),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Variant {
    pub name: String,
    pub policy: Policy,
}

impl Model {
    /// The model's nodes, in id order.
    pub fn node_names(&self) -> Vec<String> {
        let fixed = |names: &[&str]| names.iter().map(|n| n.to_string()).collect();
        match self {
            Model::Chat(_) => fixed(&chat::NODE_NAMES),
            Model::Payment(_) => fixed(&payment::NODE_NAMES),
            Model::Bank(config) => config.node_names(),
        }
    }

    /// The invariants the model can check.
    pub fn invariants(&self) -> &'static [&'static str] {
        match self {
            Model::Chat(_) => &chat::INVARIANTS,
            Model::Payment(_) => &payment::INVARIANTS,
            Model::Bank(_) => &bank::INVARIANTS,
        }
    }

    /// The name used in scenario files, e.g. `Chat`.
    pub fn kind(&self) -> &'static str {
        match self {
            Model::Chat(_) => "Chat",
            Model::Payment(_) => "Payment",
            Model::Bank(_) => "Bank",
        }
    }
}

impl Policy {
    pub fn kind(&self) -> &'static str {
        match self {
            Policy::Chat(_) => "Chat",
            Policy::Payment(_) => "Payment",
            Policy::Bank(_) => "Bank",
        }
    }
}

/// A scenario that passed validation.
#[derive(Clone, Debug, PartialEq)]
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
    pub model: Model,
    pub invariants: Vec<String>,
    pub variants: Vec<Variant>,
    pub max_events: u64,
    /// Seeds `0..n` that `faultline run` sweeps for its report's strategy table.
    pub report_sweep: Option<u64>,
}

impl Scenario {
    pub fn node_names(&self) -> Vec<String> {
        self.model.node_names()
    }

    /// The concrete faults of a run with this seed: the fixed ones, then the drawn ones.
    /// Every variant of the scenario gets exactly these.
    pub fn faults(&self, seed: u64) -> Vec<Fault> {
        let mut faults = self.fixed_faults.clone();
        faults.extend(realise(&self.random_faults, seed));
        faults
    }

    fn setup(&self, seed: u64, trace: bool) -> RunSetup {
        RunSetup {
            sim: SimConfig {
                seed,
                network: self.network.clone(),
                faults: self.faults(seed),
                duration: self.duration,
                max_events: self.max_events,
                trace,
            },
            invariants: self.invariants.clone(),
        }
    }

    /// Runs one variant with `seed`, keeping the full trace if asked.
    pub fn run(&self, seed: u64, variant: &Variant, trace: bool) -> Result<Outcome, LimitExceeded> {
        let setup = self.setup(seed, trace);
        match (&self.model, &variant.policy) {
            (Model::Chat(config), Policy::Chat(delivery)) => {
                chat::run(config, delivery, &setup, &variant.name)
            }
            (Model::Payment(config), Policy::Payment(policy)) => {
                payment::run(config, policy, &setup, &variant.name)
            }
            (Model::Bank(config), Policy::Bank(policy)) => {
                bank::run(config, policy, &setup, &variant.name)
            }
            (model, policy) => unreachable!(
                "validation pairs every {} policy with its model, not {}",
                policy.kind(),
                model.kind()
            ),
        }
    }

    /// The few metrics that tell this scenario's story, for the terminal table.
    pub fn headline_metrics(&self) -> &'static [&'static str] {
        match self.model {
            Model::Chat(_) => &chat::HEADLINE_METRICS,
            Model::Payment(_) => &payment::HEADLINE_METRICS,
            Model::Bank(_) => &bank::HEADLINE_METRICS,
        }
    }

    /// The charts a report of these variants shows.
    pub fn charts(&self, variants: &[&Variant]) -> Vec<ChartSpec> {
        match &self.model {
            Model::Chat(_) => chat::charts(),
            Model::Bank(config) => bank::charts(config),
            Model::Payment(_) => {
                let names: Vec<&str> = variants.iter().map(|v| v.name.as_str()).collect();
                payment::charts(&names)
            }
        }
    }

    /// The fault windows of a run with `seed`, for chart shading.
    pub fn fault_windows(&self, seed: u64) -> Vec<FaultWindow> {
        let setup = self.setup(seed, false);
        match &self.model {
            Model::Chat(_) | Model::Bank(_) => setup.fault_windows(&self.node_names()),
            Model::Payment(config) => payment::fault_windows(config, &setup),
        }
    }

    /// Outcome grids over the scenario's parameters (the retry-storm's load × trigger), for
    /// the given variants; empty when the scenario asks for none.
    pub fn grids(&self, seed: u64, variants: &[&Variant]) -> Result<Vec<Grid>, LimitExceeded> {
        let Model::Payment(config) = &self.model else { return Ok(Vec::new()) };
        let policies: Vec<(&str, &CallPolicy)> = variants
            .iter()
            .filter_map(|v| match &v.policy {
                Policy::Payment(policy) => Some((v.name.as_str(), policy)),
                Policy::Chat(_) | Policy::Bank(_) => None,
            })
            .collect();
        Ok(payment::storm_grid(config, &policies, &self.setup(seed, false))?.into_iter().collect())
    }

    /// The realised schedule of a run as scenario text: paste it over `faults:` to replay
    /// the run's faults exactly as a fixed schedule.
    pub fn schedule_text(&self, seed: u64) -> String {
        let names = self.node_names();
        let mut text = format!(
            "// The faults {} realised with seed {seed}. Paste this over `faults: [...]` in\n\
             // the scenario to replay them as a fixed schedule.\nfaults: [\n",
            self.name
        );
        for fault in self.faults(seed) {
            text.push_str("    ");
            text.push_str(&fault_text(&fault, &names));
            text.push_str(",\n");
        }
        text.push_str("],\n");
        text
    }
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
    }
}
