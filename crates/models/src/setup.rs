//! What every model's run needs from a scenario, besides its own configuration.

use faultline_engine::{Fault, FaultWindow, NetworkConfig, SimConfig, SimDuration};

/// The shared part of a run: the network, the realised faults, limits, what to check.
#[derive(Clone, Debug)]
pub struct RunSetup {
    pub seed: u64,
    pub network: NetworkConfig,
    pub faults: Vec<Fault>,
    pub duration: SimDuration,
    pub max_events: u64,
    /// Keep the full trace for `--trace`, `--perfetto` and `--check-determinism`.
    pub trace: bool,
    /// The invariants the scenario asks for; the others are not checked.
    pub invariants: Vec<String>,
}

impl RunSetup {
    pub(crate) fn sim_config(&self) -> SimConfig {
        SimConfig {
            seed: self.seed,
            network: self.network.clone(),
            faults: self.faults.clone(),
            duration: self.duration,
            max_events: self.max_events,
            trace: self.trace,
        }
    }

    pub(crate) fn checks(&self, invariant: &str) -> bool {
        self.invariants.iter().any(|i| i == invariant)
    }

    /// The fault windows, for "during faults" metrics and chart shading.
    pub fn fault_windows(&self, names: &[String]) -> Vec<FaultWindow> {
        let end_s = self.duration.as_secs_f64();
        self.faults
            .iter()
            .map(|f| FaultWindow {
                from_s: f.from.as_secs_f64(),
                until_s: f.until.map_or(end_s, |t| t.as_secs_f64()).min(end_s),
                label: f.describe(names),
            })
            .collect()
    }
}
