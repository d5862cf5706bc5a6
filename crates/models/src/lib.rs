//! The simulated systems faultline replays, each a [`Model`] in its own folder with its
//! nodes, checker, metrics, charts and scenario types, plus the `rr` echo workload used as
//! the engine's benchmark.
//!
//! Architecture invariant: nothing outside a model's folder names the model, except its
//! module line and its line in [`register`]. Scenario loading, sweeps and reports reach it
//! through [`Model`].

pub mod bank;
pub mod broker;
pub mod chat;
mod check;
mod ids;
pub mod kv;
mod model;
pub mod orders;
pub mod payment;
pub mod raw;
pub mod resilience;
pub mod rr;
mod setup;
pub mod slowdown;
mod stats;
pub mod workload;

pub use check::{Check, Problem, Step, closest, suggestion};
pub use model::{FaultSpec, Knob, KnobSize, Model, Registry};
pub use setup::RunSetup;

/// The registry: every model faultline ships, one line each.
pub fn register(registry: &mut impl Registry) {
    registry.add::<chat::Chat>();
    registry.add::<payment::Payment>();
    registry.add::<bank::Bank>();
    registry.add::<kv::Kv>();
    registry.add::<orders::Orders>();
}
