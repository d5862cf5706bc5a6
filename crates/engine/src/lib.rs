//! faultline's deterministic discrete-event engine: virtual time, seeded random streams,
//! nodes as state machines, a faulty network, fault schedules, and the trace hash.
//!
//! Architecture invariant: nothing here touches the file system, the terminal, the wall
//! clock, serde or a hash-ordered collection. A run is a pure function of its inputs.

mod dist;
mod explore;
mod fault;
mod network;
mod node;
mod queue;
mod rng;
mod sim;
mod swarm;
mod time;
mod trace;

pub use dist::Latency;
pub use explore::{
    Actor, Dpor, Executed, ExploreError, Pending, Replay, RunKind, Scheduler, SharedScheduler,
};
pub use fault::{Fault, FaultGen, FaultKind, ModelFault, RandomFaults, realise, rename_faults};
pub use network::{DropReason, NetworkConfig};
pub use node::{Ctx, Names, Node, NodeId, TimerId};
pub use rng::{Prng, Purpose, Stream, attempt_key};
pub use sim::{LimitExceeded, NetStats, Observer, RunStats, SimConfig, Simulation};
pub use swarm::{SwarmBounds, SwarmDraw, draw_swarm};
pub use time::{Human, SimDuration, SimTime};
pub use trace::{TraceEncode, TraceEvent, TraceHasher, TraceRecord, first_divergence};
