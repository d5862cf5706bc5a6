//! The node contract: a state machine that reaches time, randomness, the network and
//! timers only through its [`Ctx`].

use std::borrow::Cow;
use std::fmt::Debug;

use crate::fault::ModelFault;
use crate::rng::{Prng, Purpose};
use crate::sim::Core;
use crate::time::{SimDuration, SimTime};
use crate::trace::TraceEncode;

/// A node's index in its simulation, in the order the nodes were given.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u32);

impl NodeId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// What a trace description may name: the run's nodes by id, and the model's own things a
/// message refers to by index (a bank's accounts), as [`Simulation::set_labels`] gave them.
///
/// [`Simulation::set_labels`]: crate::Simulation::set_labels
#[derive(Copy, Clone, Debug)]
pub struct Names<'a> {
    nodes: &'a [String],
    labels: &'a [String],
}

impl<'a> Names<'a> {
    pub fn new(nodes: &'a [String], labels: &'a [String]) -> Names<'a> {
        Names { nodes, labels }
    }

    /// The node's name, or `node<i>` for an id the run does not name.
    pub fn node(&self, id: NodeId) -> Cow<'a, str> {
        match self.nodes.get(id.index()) {
            Some(name) => Cow::Borrowed(name),
            None => Cow::Owned(format!("node{}", id.0)),
        }
    }

    /// The model's thing number `index`, or `#<index>` when it named none.
    pub fn label(&self, index: usize) -> Cow<'a, str> {
        match self.labels.get(index) {
            Some(name) => Cow::Borrowed(name),
            None => Cow::Owned(format!("#{index}")),
        }
    }
}

/// A pending timer, for cancelling it. Stale ids (fired or cancelled) are harmless.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct TimerId {
    pub(crate) slot: u32,
    pub(crate) generation: u32,
}

/// A simulated process. It never reads the wall clock or a global RNG: everything it can
/// observe or affect goes through `ctx`, so a run is a pure function of its seed.
pub trait Node: Sized {
    /// What it sends. Encoded into the trace hash, rendered by [`Node::describe`] in full
    /// traces.
    type Msg: Clone + TraceEncode + Debug;
    /// What its timers carry, encoded like messages and rendered by
    /// [`Node::describe_timer`].
    type Timer: Clone + TraceEncode + Debug;
    /// What it reports to checkers and metrics (a history entry, in Jepsen's terms).
    type Obs;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>);
    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: Self::Msg);
    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, timer: Self::Timer);

    /// The process died. Drop everything that lived only in memory and keep what it would
    /// find on disk: every node says here which of its state is durable. There is no default,
    /// because "everything survives" is a claim, not a safe assumption. Until the restart its
    /// messages are dropped, and no timer it set will ever fire.
    fn on_crash(&mut self);

    /// A fault the model defines begins (`active`) or ends at this node. It is the
    /// environment changing (a slow disk, a cut in capacity), not the process acting: it
    /// arrives while the node is crashed or paused too, may not send or set timers, and what
    /// it sets is not lost in a crash. Only nodes of models that define faults receive one:
    /// validation lets a scenario aim a model's faults only at nodes that take them.
    fn on_fault(&mut self, fault: &ModelFault, active: bool) {
        unreachable!("{} {active} reached a node of a model that defines no faults", fault.kind)
    }

    /// The process came back with what `on_crash` kept. Its timers died with the crash (and
    /// if it crashed before the run began, it never started): set again whatever it waits
    /// for — retransmissions, deadlines, leases, the next piece of work.
    fn on_restart(&mut self, ctx: &mut Ctx<'_, Self>);

    /// The story a message belongs to (an order, a transfer, a request id), when the model
    /// names one: what a diagram of one failure follows, like a trace id in distributed
    /// tracing. Read only for full traces, and never hashed, so naming stories changes no
    /// run and no pinned hash.
    fn subject(msg: &Self::Msg) -> Option<u64> {
        let _ = msg;
        None
    }

    /// The story a timer belongs to (a request's timeout, an order's retry), like
    /// [`Node::subject`] for messages.
    fn timer_subject(timer: &Self::Timer) -> Option<u64> {
        let _ = timer;
        None
    }

    /// A message in the reader's words ("T2: debit X $100.00", "read X"), with nodes and
    /// the model's things by name: what a full trace and its diagram show. `Debug` unless the
    /// model says better. Read only for full traces, and never hashed, like the subject.
    fn describe(msg: &Self::Msg, names: Names<'_>) -> String {
        let _ = names;
        format!("{msg:?}")
    }

    /// A timer in the reader's words ("T2 times out", "lease expires"), like
    /// [`Node::describe`] for messages.
    fn describe_timer(timer: &Self::Timer, names: Names<'_>) -> String {
        let _ = names;
        format!("{timer:?}")
    }
}

/// A node's window on the world for the duration of one event.
pub struct Ctx<'a, N: Node> {
    pub(crate) core: &'a mut Core<N::Msg, N::Timer, N::Obs>,
    pub(crate) node: NodeId,
}

impl<N: Node> Ctx<'_, N> {
    /// The current virtual time.
    pub fn now(&self) -> SimTime {
        self.core.now
    }

    /// This node's id.
    pub fn id(&self) -> NodeId {
        self.node
    }

    /// This node's random stream for `purpose`, drawn in order: for decisions whose count
    /// and order no policy can change (a node's own choices).
    pub fn rng(&mut self, purpose: Purpose) -> &mut Prng {
        self.core.node_rng(self.node, purpose, false)
    }

    /// Runs `draw` on this node's numbers for `purpose` and `key` (a request id, or an
    /// [`attempt_key`](crate::attempt_key)): the same numbers for the same key in every
    /// variant, whatever the policy drew before. Service times keyed by request stay common
    /// random numbers even when a policy changes which request a worker starts next.
    pub fn draw<R>(&mut self, purpose: Purpose, key: u64, draw: impl FnOnce(&mut Prng) -> R) -> R {
        self.core.node_rng(self.node, purpose, true).keyed(key, draw)
    }

    /// Sends `msg` over the network, which may delay, lose or duplicate it.
    pub fn send(&mut self, to: NodeId, msg: N::Msg) {
        self.core.send(self.node, to, msg);
    }

    /// Fires `timer` at this node after `delay`, unless cancelled or the node crashes first.
    pub fn set_timer(&mut self, delay: SimDuration, timer: N::Timer) -> TimerId {
        self.core.set_timer(self.node, delay, timer)
    }

    pub fn cancel_timer(&mut self, id: TimerId) {
        self.core.cancel_timer(id);
    }

    /// Reports something that happened to checkers and metrics.
    pub fn observe(&mut self, obs: N::Obs) {
        let (now, node) = (self.core.now, self.node);
        self.core.observations.push((now, node, obs));
    }
}
