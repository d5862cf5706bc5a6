//! The simulation loop: one queue of `(time, seq)`-ordered events, one `step` that pops
//! and dispatches one event, and `run` that steps under limits on events and virtual time.

use std::fmt;

use crate::explore::{Actor, Executed, Pending, SharedScheduler};
use crate::fault::{Fault, FaultKind};
use crate::network::{DropReason, Fate, Network, NetworkConfig};
use crate::node::{Ctx, Names, Node, NodeId, TimerId};
use crate::queue::EventQueue;
use crate::rng::{Prng, Purpose, Stream};
use crate::time::{SimDuration, SimTime};
use crate::trace::{TraceEncode, TraceEvent, TraceHasher, TraceRecord};

/// Everything a run needs besides its nodes.
#[derive(Clone, Debug)]
pub struct SimConfig {
    pub seed: u64,
    pub network: NetworkConfig,
    pub faults: Vec<Fault>,
    /// Events scheduled after this instant are not processed: the run is over.
    pub duration: SimDuration,
    /// A bound on processed events; exceeding it is an error, never a hang.
    pub max_events: u64,
    /// Keep the full trace (costs memory proportional to the run).
    pub trace: bool,
    /// Who picks the next event, for exploring every order of a small run: latencies are
    /// then ignored (see `explore.rs`). `None` runs in time order.
    pub scheduler: Option<SharedScheduler>,
}

/// Counters the network keeps for every run.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct NetStats {
    /// Every send, lost ones included.
    pub sent: u64,
    pub delivered: u64,
    pub duplicated: u64,
    pub dropped_loss: u64,
    pub dropped_partition: u64,
    pub dropped_node_down: u64,
}

impl NetStats {
    fn count_drop(&mut self, reason: DropReason) {
        match reason {
            DropReason::Loss => self.dropped_loss += 1,
            DropReason::Partition => self.dropped_partition += 1,
            DropReason::NodeDown => self.dropped_node_down += 1,
        }
    }
}

/// What a finished run reports about itself.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct RunStats {
    pub events: u64,
    pub end: SimTime,
    pub trace_hash: u64,
    pub net: NetStats,
}

/// The run processed `max_events` events before reaching its end time.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct LimitExceeded {
    pub max_events: u64,
    pub at: SimTime,
}

impl fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the run hit its limit of {} events at virtual time {}; raise `max_events` if the \
             scenario really needs more, or look for a retry loop that never stops",
            self.max_events, self.at
        )
    }
}

impl std::error::Error for LimitExceeded {}

/// Receives what nodes report via [`Ctx::observe`], in order, after each event.
pub trait Observer<O> {
    fn observe(&mut self, at: SimTime, node: NodeId, obs: O);
}

impl<O, F: FnMut(SimTime, NodeId, O)> Observer<O> for F {
    fn observe(&mut self, at: SimTime, node: NodeId, obs: O) {
        self(at, node, obs);
    }
}

enum EventKind<M, T> {
    Start(NodeId),
    /// `msg_id` is the seq reserved when the message was sent: stable across a pause.
    Deliver {
        from: NodeId,
        to: NodeId,
        msg_id: u64,
        msg: M,
    },
    /// A message that reached a paused node: it sits in the socket until the node resumes.
    /// It already survived the link; only a crash (a new epoch) can still lose it.
    Read {
        from: NodeId,
        to: NodeId,
        msg_id: u64,
        epoch: u32,
        msg: M,
    },
    Timer {
        node: NodeId,
        id: TimerId,
        epoch: u32,
        timer: T,
    },
    FaultBegin(usize),
    FaultEnd(usize),
}

/// The queue is swept of cancelled timers only after at least this many cancels, however
/// small it is: sweeping a small queue often would cost more than popping them.
const SWEEP_AFTER_AT_LEAST: usize = 64;

/// Timer slots with generations: cancelling is O(1) and the queued event is skipped
/// lazily when it pops (or swept out, see `Core::cancel_timer`); slots are reused, so
/// timers allocate nothing after warm-up.
#[derive(Default)]
pub(crate) struct Timers {
    generations: Vec<u32>,
    free: Vec<u32>,
}

impl Timers {
    #[inline]
    fn allocate(&mut self) -> TimerId {
        let slot = self.free.pop().unwrap_or_else(|| {
            self.generations.push(0);
            (self.generations.len() - 1) as u32
        });
        TimerId { slot, generation: self.generations[slot as usize] }
    }

    #[inline]
    fn is_live(&self, id: TimerId) -> bool {
        self.generations[id.slot as usize] == id.generation
    }

    /// Retires a live timer (fired or cancelled), and says whether it was live; stale ids
    /// are ignored.
    #[inline]
    fn cancel(&mut self, id: TimerId) -> bool {
        let live = self.is_live(id);
        if live {
            let generation = &mut self.generations[id.slot as usize];
            *generation = generation.wrapping_add(1);
            self.free.push(id.slot);
        }
        live
    }
}

/// The state nodes reach through their context.
pub(crate) struct Core<M, T, O> {
    pub(crate) now: SimTime,
    seq: u64,
    queue: EventQueue<EventKind<M, T>>,
    network: Network,
    seed: u64,
    /// Per node, per purpose, in order then keyed; created on first use, since most nodes
    /// draw for one purpose or none.
    node_rngs: Vec<Option<Prng>>,
    timers: Timers,
    /// Timers cancelled since the queue was last swept of them. Cancelling leaves the event
    /// where it is, to be skipped when it pops; but a model that cancels most of its timers
    /// long before they are due (a deadline per request, answered in milliseconds) would
    /// fill the queue with them, and every event would sift through a deeper heap. Counted
    /// here rather than when they pop, which keeps the loop as it was: some of them have
    /// popped by the time the sweep comes, so it comes a little early.
    cancelled_since_sweep: usize,
    pub(crate) observations: Vec<(SimTime, NodeId, O)>,
    /// Bumped at each crash, so timers set before it never fire.
    epochs: Vec<u32>,
    hash: TraceHasher,
    trace: Option<Vec<TraceRecord>>,
    /// The node type's [`Node::subject`] and [`Node::timer_subject`]: the core is generic
    /// over messages and timers, not nodes, and reads them only for full traces.
    subject: fn(&M) -> Option<u64>,
    timer_subject: fn(&T) -> Option<u64>,
    /// The node type's [`Node::describe`] and [`Node::describe_timer`], for the same reason,
    /// and what they may name: the nodes, and the model's things (`Simulation::set_labels`).
    describe: fn(&M, Names<'_>) -> String,
    describe_timer: fn(&T, Names<'_>) -> String,
    names: Vec<String>,
    labels: Vec<String>,
    stats: NetStats,
    /// Under a scheduler: by message id, the earliest and the latest a message in flight
    /// can arrive, given the network's bounds on latency (no latest for unbounded ones).
    arrivals: Vec<(u64, SimTime, SimTime)>,
}

impl<M, T, O> Core<M, T, O> {
    #[inline]
    pub(crate) fn node_rng(&mut self, node: NodeId, purpose: Purpose, keyed: bool) -> &mut Prng {
        let index = (node.index() * Purpose::COUNT + purpose.index()) * 2 + usize::from(keyed);
        let seed = self.seed;
        self.node_rngs[index].get_or_insert_with(|| {
            let stream = if keyed {
                Stream::Keyed { node, purpose }
            } else {
                Stream::Node { node, purpose }
            };
            Prng::new(seed, stream)
        })
    }
}

impl<M: Clone + TraceEncode + fmt::Debug, T: fmt::Debug, O> Core<M, T, O> {
    fn push(&mut self, at: SimTime, kind: EventKind<M, T>) {
        let seq = self.reserve_seq();
        self.queue.push(at, seq, kind);
    }

    fn reserve_seq(&mut self) -> u64 {
        let seq = self.seq;
        self.seq += 1;
        seq
    }

    // Always inlined: with tracing off this is one branch, and a call costs more than it.
    // Messages' and timers' subjects and descriptions are worked out behind the same branch
    // (`record_message`, `record_timer`), so tracing off costs nothing more. This records
    // what belongs to no story: starts and faults.
    #[inline(always)]
    fn record(&mut self, event: impl FnOnce() -> TraceEvent) {
        if let Some(trace) = &mut self.trace {
            let (at, hash) = (self.now, self.hash.finish());
            trace.push(TraceRecord { at, hash, event: event(), subject: None });
        }
    }

    /// Records an event about `msg`, handing `event` the message's description.
    #[inline(always)]
    fn record_message(&mut self, msg: &M, event: impl FnOnce(String) -> TraceEvent) {
        if let Some(trace) = &mut self.trace {
            let (at, hash) = (self.now, self.hash.finish());
            let text = (self.describe)(msg, Names::new(&self.names, &self.labels));
            let subject = (self.subject)(msg);
            trace.push(TraceRecord { at, hash, event: event(text), subject });
        }
    }

    /// Records a timer that fired, handing `event` the timer's description.
    #[inline(always)]
    fn record_timer(&mut self, timer: &T, event: impl FnOnce(String) -> TraceEvent) {
        if let Some(trace) = &mut self.trace {
            let (at, hash) = (self.now, self.hash.finish());
            let text = (self.describe_timer)(timer, Names::new(&self.names, &self.labels));
            let subject = (self.timer_subject)(timer);
            trace.push(TraceRecord { at, hash, event: event(text), subject });
        }
    }

    #[inline]
    pub(crate) fn send(&mut self, from: NodeId, to: NodeId, msg: M) {
        self.stats.sent += 1;
        // A message's id is the seq of its delivery event, reserved even if it is lost.
        let msg_id = self.reserve_seq();
        self.record_message(&msg, |msg| TraceEvent::Send { from, to, msg_id, msg });
        match self.network.decide(from, to) {
            Fate::Dropped(reason) => {
                self.stats.count_drop(reason);
                self.record_message(&msg, |msg| TraceEvent::Drop { from, to, msg_id, msg, reason });
            }
            Fate::Delivered { latency, duplicate_latency } => {
                let copy = duplicate_latency.map(|copy_latency| {
                    self.stats.duplicated += 1;
                    (copy_latency, self.reserve_seq(), msg.clone())
                });
                if let Some((_, copy_id, copy)) = &copy {
                    let send = |msg| TraceEvent::Send { from, to, msg_id: *copy_id, msg };
                    self.record_message(copy, send);
                }
                // Pushed in seq order: the queue breaks ties in time by push order.
                let kind = EventKind::Deliver { from, to, msg_id, msg };
                self.queue.push(self.now + latency, msg_id, kind);
                if let Some((copy_latency, copy_id, copy)) = copy {
                    let kind = EventKind::Deliver { from, to, msg_id: copy_id, msg: copy };
                    self.queue.push(self.now + copy_latency, copy_id, kind);
                }
            }
        }
    }

    /// Cancels a timer that has not fired; stale ids are ignored.
    #[inline]
    pub(crate) fn cancel_timer(&mut self, id: TimerId) {
        if !self.timers.cancel(id) {
            return;
        }
        self.cancelled_since_sweep += 1;
        if self.cancelled_since_sweep >= SWEEP_AFTER_AT_LEAST
            && 2 * self.cancelled_since_sweep > self.queue.len()
        {
            self.sweep_cancelled_timers();
        }
    }

    /// Takes the cancelled timers out of the queue, in O(n).
    #[cold]
    fn sweep_cancelled_timers(&mut self) {
        let timers = &self.timers;
        self.queue.retain(|event| match event {
            EventKind::Timer { id, .. } => timers.is_live(*id),
            _ => true,
        });
        self.cancelled_since_sweep = 0;
    }

    #[inline]
    pub(crate) fn set_timer(&mut self, node: NodeId, delay: SimDuration, timer: T) -> TimerId {
        let id = self.timers.allocate();
        let epoch = self.epochs[node.index()];
        self.push(self.now + delay, EventKind::Timer { node, id, epoch, timer });
        id
    }
}

/// A deterministic run of `N` nodes: the same config and nodes give the same events, bit
/// for bit.
pub struct Simulation<N: Node> {
    nodes: Vec<N>,
    core: Core<N::Msg, N::Timer, N::Obs>,
    faults: Vec<Fault>,
    /// The directed links each fault touches, computed once.
    fault_links: Vec<Vec<(NodeId, NodeId)>>,
    active_faults: Vec<bool>,
    /// Crash faults in force per node (they may overlap).
    down: Vec<u16>,
    /// A paused node handles nothing before this instant.
    paused_until: Vec<SimTime>,
    end: SimTime,
    max_events: u64,
    events: u64,
    /// Under a scheduler: who picks, each node's own clock, and the pauses in force per node
    /// (a pause lasts until its end is handled, whatever the time: `paused_until` follows).
    scheduler: Option<SharedScheduler>,
    clocks: Vec<SimTime>,
    held: Vec<u16>,
}

impl<N: Node> Simulation<N> {
    /// Builds a run. Nodes get ids in the order given; names are for traces and reports.
    pub fn new(config: SimConfig, nodes: Vec<(String, N)>) -> Simulation<N> {
        let count = nodes.len();
        for fault in &config.faults {
            // A fault numbered for another set of nodes would crash or cut the wrong ones.
            let outside = fault.nodes().into_iter().find(|node| node.index() >= count);
            assert!(
                outside.is_none(),
                "{fault:?} names {outside:?}, but the run has {count} nodes"
            );
        }
        let (names, nodes): (Vec<String>, Vec<N>) = nodes.into_iter().unzip();
        let mut core = Core {
            now: SimTime::ZERO,
            seq: 0,
            queue: EventQueue::with_capacity(1024),
            network: Network::new(config.network, config.seed, count),
            seed: config.seed,
            node_rngs: vec![None; count * Purpose::COUNT * 2],
            timers: Timers::default(),
            cancelled_since_sweep: 0,
            observations: Vec::new(),
            epochs: vec![0; count],
            hash: TraceHasher::new(0),
            trace: config.trace.then(Vec::new),
            subject: N::subject,
            timer_subject: N::timer_subject,
            describe: N::describe,
            describe_timer: N::describe_timer,
            names,
            labels: Vec::new(),
            stats: NetStats::default(),
            arrivals: Vec::new(),
        };
        for i in 0..count {
            core.push(SimTime::ZERO, EventKind::Start(NodeId(i as u32)));
        }
        for (index, fault) in config.faults.iter().enumerate() {
            core.push(fault.from, EventKind::FaultBegin(index));
            if let Some(until) = fault.until {
                core.push(until.max(fault.from), EventKind::FaultEnd(index));
            }
        }
        Simulation {
            nodes,
            core,
            active_faults: vec![false; config.faults.len()],
            fault_links: config.faults.iter().map(Fault::links).collect(),
            faults: config.faults,
            down: vec![0; count],
            paused_until: vec![SimTime::ZERO; count],
            end: SimTime::ZERO + config.duration,
            max_events: config.max_events,
            events: 0,
            scheduler: config.scheduler.inspect(|s| s.lock().begin()),
            clocks: vec![SimTime::ZERO; count],
            held: vec![0; count],
        }
    }

    pub fn names(&self) -> &[String] {
        &self.core.names
    }

    /// Names the model's own things its messages refer to by index (a bank's accounts), for
    /// [`Node::describe`] through [`Names::label`]. Traces only: a run never reads them.
    pub fn set_labels(&mut self, labels: Vec<String>) {
        self.core.labels = labels;
    }

    pub fn nodes(&self) -> &[N] {
        &self.nodes
    }

    pub fn now(&self) -> SimTime {
        self.core.now
    }

    /// Runs to the end time (or until nothing is left to do), handing observations to
    /// `observer` as they happen.
    pub fn run(&mut self, observer: &mut impl Observer<N::Obs>) -> Result<RunStats, LimitExceeded> {
        // Decided once, not per event: the time-ordered loop is the hot one.
        if self.scheduler.is_some() {
            while self.step_chosen(observer)? {}
        } else {
            while self.step_in_time_order(observer)? {}
        }
        Ok(self.stats())
    }

    /// Statistics so far.
    pub fn stats(&self) -> RunStats {
        RunStats {
            events: self.events,
            end: self.core.now,
            trace_hash: self.core.hash.finish(),
            net: self.core.stats,
        }
    }

    /// Takes the full trace, if one was kept.
    pub fn take_trace(&mut self) -> Option<Vec<TraceRecord>> {
        self.core.trace.take()
    }

    /// Pops and handles one event. Returns `Ok(false)` once the run is over, and an error
    /// instead of handling event number `max_events + 1`.
    pub fn step(&mut self, observer: &mut impl Observer<N::Obs>) -> Result<bool, LimitExceeded> {
        if self.scheduler.is_some() {
            self.step_chosen(observer)
        } else {
            self.step_in_time_order(observer)
        }
    }

    /// [`Simulation::step`] without a scheduler: the earliest event, by time then seq.
    #[inline]
    fn step_in_time_order(
        &mut self,
        observer: &mut impl Observer<N::Obs>,
    ) -> Result<bool, LimitExceeded> {
        let Some((at, event)) = self.core.queue.pop() else {
            self.core.now = self.end;
            return Ok(false);
        };
        if at > self.end {
            self.core.now = self.end;
            return Ok(false);
        }
        if self.events >= self.max_events {
            return Err(LimitExceeded { max_events: self.max_events, at });
        }
        self.core.now = at;
        self.dispatch(event);
        // Most events report nothing; an empty drain still costs its set-up and drop.
        if !self.core.observations.is_empty() {
            for (at, node, obs) in self.core.observations.drain(..) {
                observer.observe(at, node, obs);
            }
        }
        Ok(true)
    }

    /// [`Simulation::step`] under a scheduler: offers it every event that may come next and
    /// handles the one it picks at the handling node's own clock.
    fn step_chosen(&mut self, observer: &mut impl Observer<N::Obs>) -> Result<bool, LimitExceeded> {
        let scheduler = self.scheduler.clone().expect("called under a scheduler");
        let enabled = self.enabled();
        let choice = if enabled.is_empty() { None } else { scheduler.lock().choose(&enabled) };
        let Some(Pending { id, actor }) = choice.and_then(|index| enabled.get(index).copied())
        else {
            self.core.now = self.end;
            return Ok(false);
        };
        let (at, event) = self.core.queue.remove(id).expect("an offered event is queued");
        if self.events >= self.max_events {
            return Err(LimitExceeded { max_events: self.max_events, at });
        }
        // Whose clock the event reads and moves: the handling node's, or the node a node
        // fault strikes (a pause or a restart happens at the fault's time on its clock too).
        let node = match (actor, &event) {
            (Actor::Node(node), _) => Some(node),
            (Actor::World, EventKind::FaultBegin(i) | EventKind::FaultEnd(i)) => {
                match self.faults[*i].kind {
                    FaultKind::Crash { node }
                    | FaultKind::Pause { node }
                    | FaultKind::Model { node, .. } => Some(node),
                    FaultKind::Partition { .. }
                    | FaultKind::LatencySpike { .. }
                    | FaultKind::Loss { .. } => None,
                }
            }
            (Actor::World, _) => None,
        };
        // A message is handled as early as it can arrive, not at the latency drawn for it:
        // the order is the scheduler's, and clocks stay as close together as the network
        // allows.
        let at = match &event {
            EventKind::Deliver { msg_id, .. } => self.earliest_arrival(*msg_id).unwrap_or(at),
            // Queued for the end of a pause that had no end time: read at the node's own time.
            EventKind::Read { .. } => SimTime::ZERO,
            _ => at,
        };
        // A node's clock moves on by at least a nanosecond per event, so that a violation's
        // time names the one step that caused it.
        let tick = |clock: SimTime| clock + SimDuration::from_nanos(1);
        self.core.now = node.map_or(at, |node| at.max(tick(self.clocks[node.index()])));
        let first_seq = self.core.seq;
        let sent_before = self.core.stats.sent;
        let delivery = matches!(event, EventKind::Deliver { .. } | EventKind::Read { .. });
        let timer = matches!(event, EventKind::Timer { .. });
        self.dispatch(event);
        if let Some(node) = node {
            self.clocks[node.index()] = self.core.now;
        }
        let observed = !self.core.observations.is_empty();
        // What the event sent, and the latest each message can arrive: found in the queue
        // rather than noted by `send`, which stays free of exploring.
        let now = self.core.now;
        let network = &self.core.network;
        let sent: Vec<(u64, SimTime, SimTime)> = self
            .core
            .queue
            .iter()
            .filter(|&(_, seq, _)| seq >= first_seq)
            .filter_map(|(_, seq, event)| match event {
                EventKind::Deliver { from, to, .. } => {
                    let earliest = now + network.earliest(*from, *to);
                    let latest = network.latest(*from, *to).map_or(SimTime::MAX, |l| now + l);
                    Some((seq, earliest, latest))
                }
                _ => None,
            })
            .collect();
        self.core.arrivals.extend(sent);
        let messages = delivery || self.core.stats.sent > sent_before;
        let created = first_seq..self.core.seq;
        scheduler.lock().executed(Executed { id, actor, observed, timer, messages, created });
        for (at, node, obs) in self.core.observations.drain(..) {
            observer.observe(at, node, obs);
        }
        Ok(true)
    }

    /// Under a scheduler, the earliest message `msg_id` can arrive, if it was sent under one.
    fn earliest_arrival(&self, msg_id: u64) -> Option<SimTime> {
        self.core.arrivals.iter().find(|&&(id, ..)| id == msg_id).map(|&(_, earliest, _)| earliest)
    }

    /// What may come next under a scheduler, by scheduled time then seq: the first node
    /// start while any is left (nodes boot before anything else happens); otherwise every
    /// message in flight, each node's earliest live timer, and the next fault, leaving out
    /// what a pause holds and what would happen after the end. Timers and faults keep time
    /// with each other and with the latest a message in flight can arrive; messages arrive
    /// in any order. Drops timers that can no longer fire, as `dispatch` would.
    fn enabled(&mut self) -> Vec<Pending> {
        let mut offered: Vec<(SimTime, u64, Actor)> = Vec::new();
        let mut earliest_timer: Vec<Option<(SimTime, u64)>> = vec![None; self.nodes.len()];
        let mut next_fault: Option<(SimTime, u64)> = None;
        let mut first_start: Option<(SimTime, u64, Actor)> = None;
        let mut dead = Vec::new();
        let mut deliveries: Vec<(SimTime, u64, NodeId, SimTime)> = Vec::new();
        let mut reads: Vec<(SimTime, u64, NodeId)> = Vec::new();
        let clock = |node: NodeId, at: SimTime| at.max(self.clocks[node.index()]);
        for (at, seq, event) in self.core.queue.iter() {
            match event {
                EventKind::Start(node) => {
                    if first_start.is_none_or(|(_, first, _)| seq < first) {
                        first_start = Some((at, seq, Actor::Node(*node)));
                    }
                }
                // A message may reach a paused node (it waits in the socket, and a crash can
                // lose it); the paused node reads it only once the pause ends.
                EventKind::Deliver { to, msg_id, .. } => {
                    let earliest = clock(*to, self.earliest_arrival(*msg_id).unwrap_or(at));
                    if earliest <= self.end {
                        deliveries.push((at, seq, *to, earliest));
                    }
                }
                EventKind::Read { to, .. } => {
                    if self.held[to.index()] == 0 {
                        reads.push((at, seq, *to));
                    }
                }
                EventKind::Timer { node, id, epoch, .. } => {
                    if !self.core.timers.is_live(*id) || *epoch != self.core.epochs[node.index()] {
                        dead.push((seq, *id));
                    } else if earliest_timer[node.index()].is_none_or(|t| (at, seq) < t) {
                        earliest_timer[node.index()] = Some((at, seq));
                    }
                }
                EventKind::FaultBegin(_) | EventKind::FaultEnd(_) => {
                    if at <= self.end && next_fault.is_none_or(|f| (at, seq) < f) {
                        next_fault = Some((at, seq));
                    }
                }
            }
        }
        for (seq, id) in dead {
            self.core.queue.remove(seq);
            self.core.timers.cancel(id);
        }
        // A timer fires only once every message that must arrive before its deadline has.
        let arrivals = &self.core.arrivals;
        let horizon = deliveries
            .iter()
            .filter_map(|&(_, seq, ..)| arrivals.iter().find(|&&(id, ..)| id == seq))
            .map(|&(.., latest)| latest)
            // A message waiting in a resumed node's socket is due now, on its clock.
            .chain(reads.iter().map(|&(_, _, to)| self.clocks[to.index()]))
            .min()
            .unwrap_or(SimTime::MAX);
        offered.extend(reads.iter().map(|&(at, seq, to)| (at, seq, Actor::Node(to))));
        // A message that cannot arrive before the next fault arrives after it.
        let fault_at = next_fault.map_or(SimTime::MAX, |(at, _)| at);
        for &(at, seq, to, earliest) in &deliveries {
            if earliest <= fault_at {
                offered.push((at, seq, Actor::Node(to)));
            }
        }
        if let Some((_, id, actor)) = first_start {
            return vec![Pending { id, actor }];
        }
        // Timers and faults keep one time: timers fire in the order of their deadlines,
        // whichever node they are at; a timer due after the next fault waits for it; and the
        // fault waits for the timers due before it and the messages that must beat it.
        let due: Vec<(SimTime, u64, NodeId)> = earliest_timer
            .into_iter()
            .enumerate()
            .map(|(i, timer)| (timer, NodeId(i as u32)))
            .filter(|&(_, node)| self.held[node.index()] == 0)
            .filter_map(|(timer, node)| timer.map(|(at, seq)| (at, seq, node)))
            .filter(|&(at, _, node)| clock(node, at) <= self.end)
            .collect();
        let first_due = due.iter().map(|&(at, ..)| at).min().unwrap_or(SimTime::MAX);
        for (at, seq, node) in due {
            if at <= horizon && at <= fault_at && at <= first_due {
                offered.push((at, seq, Actor::Node(node)));
            }
        }
        let fault = next_fault.filter(|&(at, _)| at <= horizon && at <= first_due);
        offered.extend(fault.map(|(at, seq)| (at, seq, Actor::World)));
        offered.sort_by_key(|&(at, seq, _)| (at, seq));
        offered.into_iter().map(|(_, id, actor)| Pending { id, actor }).collect()
    }

    /// Feeds one processed event into the running trace hash (its payload follows), in the
    /// format documented in `trace.rs`.
    #[inline]
    fn hash_event(&mut self, tag: u64, a: u64, b: u64) {
        // Time and seq are implied by the order of events, so (tag, a, b) plus the payload
        // pin an event down; folding them keeps the hot loop to two multiplies.
        let h = &mut self.core.hash;
        h.word(self.core.now.as_nanos() ^ tag.rotate_left(56));
        h.word(a ^ b.rotate_left(32));
        self.events += 1;
    }

    // Always inlined: exploring calls it too, and a second caller must not cost the
    // time-ordered loop its inlining (a tenth of the `rr` benchmark's speed).
    #[inline(always)]
    fn dispatch(&mut self, event: EventKind<N::Msg, N::Timer>) {
        match event {
            EventKind::Start(node) => {
                self.hash_event(1, u64::from(node.0), 0);
                self.core.record(|| TraceEvent::Start { node });
                if self.down[node.index()] == 0 {
                    self.with_node(node, |n, ctx| n.on_start(ctx));
                }
            }
            EventKind::Deliver { from, to, msg_id, msg } => {
                let dropped = if self.down[to.index()] > 0 {
                    Some(DropReason::NodeDown)
                } else if self.core.network.is_cut(from, to) {
                    Some(DropReason::Partition)
                } else {
                    None
                };
                if dropped.is_none() && self.core.now < self.paused_until[to.index()] {
                    // A paused process does not read its socket: the message waits, queued
                    // with a fresh seq so waiting messages are read in the order they arrived.
                    self.hash_message(2, from, to, msg_id, &msg);
                    let epoch = self.core.epochs[to.index()];
                    let buffered = |msg| TraceEvent::Buffer { from, to, msg_id, msg };
                    self.core.record_message(&msg, buffered);
                    let kind = EventKind::Read { from, to, msg_id, epoch, msg };
                    self.core.push(self.paused_until[to.index()], kind);
                } else {
                    self.hand_over(2, from, to, msg_id, msg, dropped);
                }
            }
            EventKind::Read { from, to, msg_id, epoch, msg } => {
                if self.core.now < self.paused_until[to.index()] {
                    // The pause was extended by an overlapping one: keep waiting.
                    let kind = EventKind::Read { from, to, msg_id, epoch, msg };
                    self.core.push(self.paused_until[to.index()], kind);
                    return;
                }
                // Lost only if the process crashed while the message sat in its socket.
                let crashed = epoch != self.core.epochs[to.index()] || self.down[to.index()] > 0;
                self.hand_over(6, from, to, msg_id, msg, crashed.then_some(DropReason::NodeDown));
            }
            EventKind::Timer { node, id, epoch, timer } => {
                if !self.core.timers.is_live(id) {
                    return; // cancelled: skipped lazily, not an event
                }
                if epoch != self.core.epochs[node.index()] {
                    self.core.timers.cancel(id); // set before a crash: the process is gone
                    return;
                }
                if self.core.now < self.paused_until[node.index()] {
                    let kind = EventKind::Timer { node, id, epoch, timer };
                    self.core.push(self.paused_until[node.index()], kind);
                    return;
                }
                self.core.timers.cancel(id);
                self.hash_event(4, u64::from(node.0), 0);
                timer.encode(&mut self.core.hash);
                self.core.record_timer(&timer, |timer| TraceEvent::Timer { node, timer });
                self.with_node(node, |n, ctx| n.on_timer(ctx, timer));
            }
            EventKind::FaultBegin(index) => {
                self.hash_event(5, index as u64, 1);
                self.apply_fault(index, true);
            }
            EventKind::FaultEnd(index) => {
                self.hash_event(5, index as u64, 0);
                self.apply_fault(index, false);
            }
        }
    }

    /// Feeds a message event into the trace hash; `tag` says which kind of event it was.
    #[inline]
    fn hash_message(&mut self, tag: u64, from: NodeId, to: NodeId, msg_id: u64, msg: &N::Msg) {
        let pair = (u64::from(from.0) << 32) | u64::from(to.0);
        self.hash_event(tag, pair, msg_id);
        msg.encode(&mut self.core.hash);
    }

    /// Gives a message to its receiver, or drops it for `dropped`. `tag` is the event kind
    /// for the trace hash; a drop hashes as `tag + 1`.
    #[inline(always)]
    fn hand_over(
        &mut self,
        tag: u64,
        from: NodeId,
        to: NodeId,
        msg_id: u64,
        msg: N::Msg,
        dropped: Option<DropReason>,
    ) {
        self.hash_message(tag + u64::from(dropped.is_some()), from, to, msg_id, &msg);
        match dropped {
            Some(reason) => {
                self.core.stats.count_drop(reason);
                let dropped = |msg| TraceEvent::Drop { from, to, msg_id, msg, reason };
                self.core.record_message(&msg, dropped);
            }
            None => {
                self.core.stats.delivered += 1;
                let delivered = |msg| TraceEvent::Deliver { from, to, msg_id, msg };
                self.core.record_message(&msg, delivered);
                self.with_node(to, |n, ctx| n.on_message(ctx, from, msg));
            }
        }
    }

    fn with_node(&mut self, node: NodeId, f: impl FnOnce(&mut N, &mut Ctx<'_, N>)) {
        let mut ctx = Ctx { core: &mut self.core, node };
        f(&mut self.nodes[node.index()], &mut ctx);
    }

    fn apply_fault(&mut self, index: usize, begin: bool) {
        self.active_faults[index] = begin;
        // Described before recording: the description reads the names the core keeps.
        let event = self.core.trace.is_some().then(|| {
            let description = self.faults[index].describe(&self.core.names);
            if begin {
                TraceEvent::FaultBegin { index, description }
            } else {
                TraceEvent::FaultEnd { index, description }
            }
        });
        if let Some(event) = event {
            self.core.record(|| event);
        }
        // Indexing rather than iterating keeps `self` free for the network and nodes, and
        // applying a fault allocates nothing.
        let link_count = self.fault_links[index].len();
        match self.faults[index].kind {
            FaultKind::Partition { .. } => {
                for i in 0..link_count {
                    let (from, to) = self.fault_links[index][i];
                    if begin {
                        self.core.network.add_cut(from, to);
                    } else {
                        self.core.network.remove_cut(from, to);
                    }
                }
            }
            // Overlapping spikes and loss windows combine; the link's state is recomputed
            // from the faults in force rather than patched, so nothing can drift or underflow.
            FaultKind::LatencySpike { .. } | FaultKind::Loss { .. } => {
                for i in 0..link_count {
                    let link = self.fault_links[index][i];
                    let mut extra = SimDuration::ZERO;
                    let mut keep = 1.0;
                    for (j, fault) in self.faults.iter().enumerate() {
                        if !self.active_faults[j] || !self.fault_links[j].contains(&link) {
                            continue;
                        }
                        match fault.kind {
                            FaultKind::LatencySpike { extra: more, .. } => extra = extra + more,
                            FaultKind::Loss { probability, .. } => keep *= 1.0 - probability,
                            // Cuts are counted apart; node and model faults touch no link.
                            FaultKind::Partition { .. }
                            | FaultKind::Crash { .. }
                            | FaultKind::Pause { .. }
                            | FaultKind::Model { .. } => {}
                        }
                    }
                    self.core.network.set_link_faults(link.0, link.1, extra, 1.0 - keep);
                }
            }
            FaultKind::Crash { node } => {
                let i = node.index();
                if begin {
                    self.down[i] += 1;
                    if self.down[i] == 1 {
                        self.core.epochs[i] = self.core.epochs[i].wrapping_add(1);
                        self.nodes[i].on_crash();
                    }
                } else {
                    self.down[i] -= 1;
                    if self.down[i] == 0 {
                        self.with_node(node, |n, ctx| n.on_restart(ctx));
                    }
                }
            }
            FaultKind::Model { node, ref fault } => {
                self.nodes[node.index()].on_fault(fault, begin);
            }
            // Under a scheduler a pause lasts until its end is handled, whatever the clocks
            // say: the node is paused for ever while one is in force, and not at all after.
            FaultKind::Pause { node } if self.scheduler.is_some() => {
                let held = &mut self.held[node.index()];
                *held = if begin { *held + 1 } else { *held - 1 };
                let until = if *held > 0 { SimTime::MAX } else { SimTime::ZERO };
                self.paused_until[node.index()] = until;
            }
            FaultKind::Pause { node } => {
                if begin {
                    let until = self.faults[index].until.unwrap_or(SimTime::MAX);
                    let paused = &mut self.paused_until[node.index()];
                    *paused = (*paused).max(until);
                }
            }
        }
    }
}
