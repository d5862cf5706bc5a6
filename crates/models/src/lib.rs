//! The simulated systems faultline replays, each with its nodes, workload, checker and
//! metrics: chat across a partition, and the `rr` echo workload used as the engine's
//! benchmark.

pub mod bank;
pub mod chat;
pub mod payment;
pub mod resilience;
pub mod rr;
mod setup;
mod stats;

pub use setup::RunSetup;
