//! The simulated systems faultline replays, each a [`Model`] in its own folder with its
//! nodes, checker, metrics, charts and scenario types, plus the `rr` echo workload used as
//! the engine's benchmark.
//!
//! Architecture invariant: nothing outside a model's folder names the model, except the
//! registry line below. Scenario loading, sweeps and reports reach it through [`Model`].

mod check;
mod model;
pub mod raw;
pub mod resilience;
pub mod rr;
mod setup;
mod stats;
pub mod workload;

pub use check::{Check, Problem, Step, closest, suggestion};
pub use model::{FaultSpec, Model, Registry};
pub use setup::RunSetup;

/// Declares each model's folder and registers its [`Model`] type: one line per model.
macro_rules! registry {
    ($($folder:ident :: $model:ident),* $(,)?) => {
        $(pub mod $folder;)*

        /// Adds every model faultline ships to `registry`.
        pub fn register(registry: &mut impl Registry) {
            $(registry.add::<$folder::$model>();)*
        }
    };
}

registry! {
    chat::Chat,
    payment::Payment,
    bank::Bank,
    kv::Kv,
}
