//! What every model's run needs from a scenario, besides its own configuration.

use faultline_engine::SimConfig;
use faultline_outcome::{FaultWindow, Invariant};

/// The shared part of a run: the engine's configuration, and what to check.
#[derive(Clone, Debug)]
pub struct RunSetup {
    /// Seed, network, realised faults, duration, limits, whether to keep the full trace.
    pub sim: SimConfig,
    /// The invariants the scenario asks for; the others are not checked.
    pub invariants: Vec<String>,
}

impl RunSetup {
    /// Whether the scenario asks for `invariant`.
    pub fn checks(&self, invariant: Invariant) -> bool {
        self.invariants.iter().any(|i| i == invariant.id)
    }

    /// The fault windows, for "during faults" metrics and chart shading.
    pub fn fault_windows(&self, names: &[String]) -> Vec<FaultWindow> {
        let end_s = self.sim.duration.as_secs_f64();
        self.sim
            .faults
            .iter()
            // A fault that starts when the run is over has no window to shade.
            .filter(|f| f.from.as_secs_f64() < end_s)
            .map(|f| FaultWindow {
                from_s: f.from.as_secs_f64(),
                until_s: f.until.map_or(end_s, |t| t.as_secs_f64()).min(end_s),
                label: f.describe(names),
            })
            .collect()
    }
}
