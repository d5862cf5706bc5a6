//! The model contract: what a simulated system tells faultline so that scenario files,
//! sweeps and reports can use it without naming it anywhere else.
//!
//! A model is a type implementing [`Model`] in one folder of this crate, plus one line in
//! the registry (`lib.rs`). The scenario loader parses the model's part of a file into
//! [`Model::RawConfig`] and each variant's policy into [`Model::RawPolicy`], lets the model
//! validate them, and from then on only calls the model through this trait.

use std::fmt::Debug;

use faultline_engine::{Fault, LimitExceeded, ModelFault, RandomFaults, SimDuration};
use faultline_outcome::{ChartSpec, Grid, Invariant, Metric, Outcome, Tradeoff};
use serde::de::DeserializeOwned;

use crate::check::{Check, Step};
use crate::setup::RunSetup;

/// A simulated system and the policies its variants compare.
///
/// Everything it declares (invariants, metrics, charts) is a typed constant that the model
/// uses again when it reports, so a declaration and its data cannot drift apart.
pub trait Model: 'static {
    /// How scenario files name it: `model: Bank(...)`, and `policy: Bank(...)` in variants.
    const NAME: &'static str;
    /// One sentence on what it simulates, for `faultline list` and the reference.
    const ABOUT: &'static str;
    /// The invariants a scenario may ask it to check.
    const INVARIANTS: &'static [Invariant];
    /// Every metric its runs report, each with its unit and meaning: the reference lists
    /// them, and a test fails if a run reports one that is not here.
    const METRICS: &'static [Metric];
    /// The few metrics that tell a run's story, in the order tables show them.
    const HEADLINE_METRICS: &'static [Metric];
    /// What the trade-off chart of a sweep plots against the share of runs with an anomaly
    /// (availability, say), and which way is better; `None` draws no trade-off chart.
    const TRADEOFF: Option<Tradeoff> = None;
    /// Faults this model defines besides the engine's: scenarios schedule them, random
    /// generators draw them, traces and charts show them, like a partition.
    const FAULTS: &'static [FaultSpec] = &[];

    /// The model's part of a scenario file, as written (serde; unknown fields are errors).
    type RawConfig: DeserializeOwned;
    /// One variant's policy, as written.
    type RawPolicy: DeserializeOwned;
    /// The checked configuration: the workload and the system, shared by every variant.
    type Config: Clone + Debug + Send + Sync + 'static;
    /// The checked policy of one variant: what the variants vary.
    type Policy: Clone + Debug + Send + Sync + 'static;

    /// Checks the model's part of a scenario whose runs last `duration`. Paths in `check`
    /// are relative to the model's value. Always returns a configuration, a placeholder
    /// where the input was wrong, so that validation goes on and reports every problem.
    fn config(raw: &Self::RawConfig, duration: SimDuration, check: &mut Check) -> Self::Config;

    /// Checks one variant's policy; paths are relative to the policy's value.
    fn policy(raw: &Self::RawPolicy, config: &Self::Config, check: &mut Check) -> Self::Policy;

    /// The nodes of a run, in id order: fault schedules name them.
    fn node_names(config: &Self::Config) -> Vec<String>;

    /// The declared invariants this configuration gives nothing to check, or that the
    /// checker cannot see in it, each with why in one sentence (replica convergence where
    /// there are no replicas). A scenario cannot list them; `check` and the report say why
    /// they are left out. The default: every invariant applies.
    fn inapplicable(_config: &Self::Config) -> Vec<(Invariant, String)> {
        Vec::new()
    }

    /// The charts a report of these variants shows. Declare only charts that get data.
    fn charts(config: &Self::Config, variants: &[(&str, &Self::Policy)]) -> Vec<ChartSpec>;

    /// Checks what the model needs of the fault schedule, once it is known (a grid that
    /// varies a slowdown needs one, say). Paths are from the top of the file.
    fn check_schedule(
        _config: &Self::Config,
        _fixed: &[Fault],
        _random: &[RandomFaults],
        _check: &mut Check,
    ) {
    }

    /// Runs one variant.
    fn run(
        config: &Self::Config,
        policy: &Self::Policy,
        setup: &RunSetup,
        variant: &str,
    ) -> Result<Outcome, LimitExceeded>;

    /// Outcome grids over the model's parameters (load × trigger, say), for these variants.
    fn grids(
        _config: &Self::Config,
        _variants: &[(&str, &Self::Policy)],
        _setup: &RunSetup,
    ) -> Result<Vec<Grid>, LimitExceeded> {
        Ok(Vec::new())
    }

    /// The parts of the workload `faultline shrink` may make smaller while a run still
    /// breaks its invariant (fewer transfers, users who stop typing sooner), read from the
    /// file as written. The default, none, means the workload cannot shrink.
    fn workload_knobs(_raw: &Self::RawConfig) -> Vec<Knob> {
        Vec::new()
    }

    /// The size of the workload a run with `seed` gets, in the model's words ("181
    /// messages", "2 transfers by 2 clients"): what `faultline shrink` shows before and
    /// after. A seed, because workloads drawn at random depend on it.
    fn workload_size(_config: &Self::Config, _seed: u64) -> Option<String> {
        None
    }
}

/// A part of a model's workload that `faultline shrink` may make smaller: the value at
/// `path` in the model's part of the file (`[Field("send_until")]`), which the shrinker
/// rewrites in place, keeping the rest of the file's text.
#[derive(Clone, Debug, PartialEq)]
pub struct Knob {
    /// From the model's value, `Bank(...)`.
    pub path: Vec<Step>,
    pub size: KnobSize,
}

/// How big a [`Knob`] is now, and how small it may get and still make a valid scenario.
#[derive(Clone, Debug, PartialEq)]
pub enum KnobSize {
    /// A list whose elements may be left out (a bank's transfers), down to `min` of them.
    List { len: usize, min: usize },
    /// A whole number (clients making a transfer at once, its repeats), down to `min`.
    Count { value: u64, min: u64 },
    /// A duration (when users stop typing), down to `min`.
    Duration { value: SimDuration, min: SimDuration },
}

/// A kind of fault a model defines, written in a scenario's `faults` like the engine's own:
/// `Slowdown(node: "payments", factor: 5.0, from: "20s", until: "24s")`, or drawn at random
/// with `RandomModelFaults(kind: "Slowdown", ...)`.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct FaultSpec {
    /// How scenario files write it, e.g. `Slowdown`.
    pub kind: &'static str,
    /// Its one parameter, e.g. `factor`.
    pub param: &'static str,
    /// What it does, in one sentence.
    pub about: &'static str,
    /// The parameter's valid values, inclusive, mildest first: `faultline shrink` weakens
    /// the fault toward `range.0`.
    pub range: (f64, f64),
    /// The nodes it may hit, by name (no other node can take it); the node's
    /// [`Node::on_fault`] handles it.
    ///
    /// [`Node::on_fault`]: faultline_engine::Node::on_fault
    pub nodes: &'static [&'static str],
}

impl FaultSpec {
    /// This kind of fault with its parameter set to `value`.
    pub fn with(&self, value: f64) -> ModelFault {
        ModelFault { kind: self.kind, param: self.param, value }
    }
}

/// Where models are registered: the scenario loader implements it to learn every model's
/// name and types.
pub trait Registry {
    fn add<M: Model>(&mut self);
}
