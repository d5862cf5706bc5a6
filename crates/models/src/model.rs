//! The model contract: what a simulated system tells faultline so that scenario files,
//! sweeps and reports can use it without naming it anywhere else.
//!
//! A model is a type implementing [`Model`] in one folder of this crate, plus one line in
//! the registry (`lib.rs`). The scenario loader parses the model's part of a file into
//! [`Model::RawConfig`] and each variant's policy into [`Model::RawPolicy`], lets the model
//! validate them, and from then on only calls the model through this trait.

use std::fmt::Debug;

use faultline_engine::{LimitExceeded, SimDuration};
use faultline_outcome::{ChartSpec, FaultWindow, Grid, Invariant, Metric, Outcome};
use serde::de::DeserializeOwned;

use crate::check::Check;
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
    /// The few metrics that tell a run's story, in the order tables show them.
    const HEADLINE_METRICS: &'static [Metric];
    /// What the trade-off chart of a sweep plots against the share of runs with an anomaly
    /// (availability, say); `None` draws no trade-off chart.
    const TRADEOFF_METRIC: Option<Metric> = None;

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

    /// The charts a report of these variants shows. Declare only charts that get data.
    fn charts(config: &Self::Config, variants: &[(&str, &Self::Policy)]) -> Vec<ChartSpec>;

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

    /// Windows the model adds to the run's faults for shading charts.
    fn fault_windows(_config: &Self::Config, _setup: &RunSetup) -> Vec<FaultWindow> {
        Vec::new()
    }
}

/// Where models are registered: the scenario loader implements it to learn every model's
/// name and types.
pub trait Registry {
    fn add<M: Model>(&mut self);
}
