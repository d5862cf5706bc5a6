//! The slowdown fault any model with work to do can offer: a node takes `factor` times as
//! long while it lasts (a bad deploy, a noisy neighbour, a garbage-collection storm).

use faultline_engine::ModelFault;

use crate::model::FaultSpec;

/// A `Slowdown` of the given nodes, as a model declares it.
pub const fn slowdown(nodes: &'static [&'static str], about: &'static str) -> FaultSpec {
    FaultSpec { kind: "Slowdown", param: "factor", about, range: (1.0, 1_000.0), nodes }
}

/// The slowdowns in force at one node. Overlapping ones multiply, and they are the
/// environment, not the process: a node keeps them across a crash.
#[derive(Clone, Debug, Default)]
pub struct Slowdowns {
    factors: Vec<f64>,
}

impl Slowdowns {
    /// A slowdown begins (`active`) or ends; they may end in any order.
    pub fn apply(&mut self, fault: &ModelFault, active: bool) {
        assert_eq!(fault.kind, "Slowdown", "a node that slows down takes no other fault");
        if active {
            self.factors.push(fault.value);
        } else {
            let index = self.factors.iter().position(|&f| f == fault.value);
            self.factors.swap_remove(index.expect("a slowdown ends only after it began"));
        }
    }

    /// How many times as long work takes now.
    pub fn factor(&self) -> f64 {
        self.factors.iter().product()
    }
}
