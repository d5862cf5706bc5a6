//! Choosing which event comes next: the hook that lets `faultline explore` run every
//! interleaving of a small scenario, and the search over those interleavings.
//!
//! With a [`Scheduler`] in its [`SimConfig`](crate::SimConfig), a simulation ignores
//! latencies: at every step it lists the events that may come next (any message in flight,
//! each node's earliest timer, the next fault) and the scheduler picks one. [`Dpor`] picks
//! so that a depth-first search, replaying prefixes, meets every distinct behaviour once:
//! source-DPOR with sleep sets (Abdulla, Aronis, Jonsson and Sagonas, "Optimal dynamic
//! partial order reduction", POPL 2014). Two orders that differ only in how independent
//! events are interleaved are one behaviour; events are independent unless they are handled
//! by the same node, one of them is a fault, both report to the checker (checkers read
//! observations in order, so their order is part of the behaviour), or one is a timer and
//! the other a timer or a message (timers fire in the order of their deadlines, and a
//! message in flight holds back the timers due after it can arrive). That last rule assumes
//! every link has the same latency bounds: a message sent later then never arrives by an
//! earlier bound than one already in flight, so no message holds a timer back unseen.
//!
//! Nodes see time through per-node clocks in this mode (a node's clock is the latest of its
//! own events' times, a message handled as early as it can arrive), so an event at one node
//! cannot change what another node reads: independence holds for time too. Clocks stay
//! together as far as the order allows: timers and faults keep one time, and a chain of
//! messages moves a clock on by at least the network's smallest latency per hop.

use std::fmt;
use std::ops::Range;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::node::NodeId;

/// Who handles an event: where deciding whether two events commute starts.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// A message delivered to, or a timer of, this node (or its start).
    Node(NodeId),
    /// A fault beginning or ending: it changes links or nodes everyone depends on.
    World,
}

/// An event that may come next: its id (the seq it was queued with, the same in every
/// replay of the same prefix) and who handles it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    pub id: u64,
    pub actor: Actor,
}

/// What a handled event did: enough to tell which events commute with it and which it
/// enabled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Executed {
    pub id: u64,
    pub actor: Actor,
    /// It reported something to the checker.
    pub observed: bool,
    /// It was a timer firing.
    pub timer: bool,
    /// It delivered or sent a message: what decides when timers may fire.
    pub messages: bool,
    /// The seqs it reserved: the messages it sent and the timers it set have ids in here.
    pub created: Range<u64>,
}

impl Executed {
    /// Whether the two events may not commute: handled by one node, a fault, both read by
    /// the checker, or a timer and a message or another timer (timers fire in the order of
    /// their deadlines, and a message in flight holds them back).
    pub fn depends_on(&self, other: &Executed) -> bool {
        match (self.actor, other.actor) {
            (Actor::World, _) | (_, Actor::World) => true,
            (Actor::Node(a), Actor::Node(b)) => {
                a == b
                    || (self.observed && other.observed)
                    || (self.timer && (other.messages || other.timer))
                    || (other.timer && self.messages)
            }
        }
    }
}

/// Picks the next event of a run whose order it controls.
pub trait Scheduler: Send {
    /// A simulation starts under this scheduler.
    fn begin(&mut self);
    /// The index in `enabled` (never empty, ordered by scheduled time, then seq) of the
    /// event to handle next, or `None` to end the run here.
    fn choose(&mut self, enabled: &[Pending]) -> Option<usize>;
    /// The event just chosen was handled, and did this.
    fn executed(&mut self, event: Executed);
}

/// A scheduler a [`SimConfig`](crate::SimConfig) can carry: shared, since the caller reads
/// what it recorded after the model's run returns.
#[derive(Clone)]
pub struct SharedScheduler(Arc<Mutex<dyn Scheduler>>);

impl SharedScheduler {
    pub fn new(scheduler: impl Scheduler + 'static) -> SharedScheduler {
        SharedScheduler(Arc::new(Mutex::new(scheduler)))
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, dyn Scheduler + 'static> {
        // A panic in another run cannot leave a half-made choice: the state is still usable.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for SharedScheduler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedScheduler")
    }
}

/// Replays a fixed list of choices (event ids), then ends the run: how a schedule the
/// search found is run again with its trace.
#[derive(Debug)]
pub struct Replay {
    choices: Vec<u64>,
    step: usize,
}

impl Replay {
    pub fn new(choices: Vec<u64>) -> Replay {
        Replay { choices, step: 0 }
    }
}

impl Scheduler for Replay {
    fn begin(&mut self) {}

    fn choose(&mut self, enabled: &[Pending]) -> Option<usize> {
        let id = *self.choices.get(self.step)?;
        self.step += 1;
        enabled.iter().position(|p| p.id == id)
    }

    fn executed(&mut self, _: Executed) {}
}

/// One step of a run under [`Dpor`]: what could come next, what came, and what was asleep.
#[derive(Clone, Debug)]
struct Step {
    enabled: Vec<Pending>,
    chosen: Executed,
    /// Events not to try first here: exploring them would repeat a behaviour already met.
    sleep: Vec<Executed>,
}

/// The scheduler of one run of the search: replays a prefix, then takes the first event
/// that is not asleep, and records every step.
#[derive(Debug, Default)]
struct RunRecord {
    prefix: Vec<u64>,
    /// The sleep set of the last step of the prefix, where this run departs from the last.
    departure_sleep: Vec<Executed>,
    steps: Vec<Step>,
    /// Enabled events of the step being taken.
    offered: Vec<Pending>,
    /// The sleep set of the step being taken.
    sleep: Vec<Executed>,
    /// Every enabled event was asleep: the run repeats a behaviour already explored.
    blocked: bool,
    /// A replayed prefix offered other events than before: the run is not deterministic.
    diverged: bool,
    simulations: u32,
}

impl Scheduler for RunRecord {
    fn begin(&mut self) {
        self.simulations += 1;
    }

    fn choose(&mut self, enabled: &[Pending]) -> Option<usize> {
        let depth = self.steps.len();
        self.offered = enabled.to_vec();
        if let Some(&id) = self.prefix.get(depth) {
            if depth + 1 == self.prefix.len() {
                self.sleep = std::mem::take(&mut self.departure_sleep);
            }
            let index = enabled.iter().position(|p| p.id == id);
            self.diverged |= index.is_none();
            return index;
        }
        let index = enabled.iter().position(|p| !self.sleep.iter().any(|s| s.id == p.id));
        self.blocked |= index.is_none();
        index
    }

    fn executed(&mut self, event: Executed) {
        let sleep = std::mem::take(&mut self.sleep);
        let next = sleep.iter().filter(|s| s.id != event.id && !s.depends_on(&event)).cloned();
        self.sleep = next.collect();
        let enabled = std::mem::take(&mut self.offered);
        self.steps.push(Step { enabled, chosen: event, sleep });
    }
}

/// A state on the search's current path.
#[derive(Clone, Debug)]
struct Node {
    step: Step,
    /// Events to try from this state: the one taken, and those races asked for.
    backtrack: Vec<u64>,
    /// Events tried from this state, with what they did.
    done: Vec<Executed>,
}

/// How a run of the search ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum RunKind {
    /// A new behaviour, run to its end.
    Schedule,
    /// Cut short: every event it could take next leads to a behaviour already explored.
    Redundant,
}

/// The search cannot trust its replays.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ExploreError {
    /// Replaying a prefix offered different events: the run depends on something besides
    /// its choices.
    Nondeterministic { step: usize },
    /// The model ran several simulations (or none) in one run; only one can be explored.
    Simulations(u32),
}

impl fmt::Display for ExploreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExploreError::Nondeterministic { step } => write!(
                f,
                "replaying a schedule offered other events at step {step} than the first \
                 time: the model depends on something besides the order of its events"
            ),
            ExploreError::Simulations(n) => write!(
                f,
                "the model ran {n} simulations for one variant; explore follows exactly one \
                 (a scenario with contention curves reruns the workload: explore it without)"
            ),
        }
    }
}

impl std::error::Error for ExploreError {}

/// Depth-first search over the orders of a run's events, with source-DPOR and sleep sets:
/// call [`Dpor::next_run`], run the model with the scheduler it gives, hand it back to
/// [`Dpor::finish_run`], and repeat until `next_run` says the search is complete.
#[derive(Debug, Default)]
pub struct Dpor {
    /// Try every order, without reduction: slow, but it shows what the reduction saves,
    /// and tests check the reduction against it.
    every_order: bool,
    path: Vec<Node>,
    started: bool,
    /// The scheduler of the run in progress.
    current: Option<Arc<Mutex<RunRecord>>>,
}

impl Dpor {
    pub fn new() -> Dpor {
        Dpor::default()
    }

    /// A search that tries every enabled event at every step: no reduction at all.
    pub fn every_order() -> Dpor {
        Dpor { every_order: true, ..Dpor::default() }
    }

    /// The scheduler of the next run, or `None` once every behaviour has been explored.
    pub fn next_run(&mut self) -> Option<SharedScheduler> {
        let record = if !self.started {
            self.started = true;
            RunRecord::default()
        } else {
            self.departure()?
        };
        let record = Arc::new(Mutex::new(record));
        self.current = Some(record.clone());
        Some(SharedScheduler(record))
    }

    /// The deepest state with an event still to try, and a record that replays the path to
    /// it and takes that event; pops exhausted states.
    fn departure(&mut self) -> Option<RunRecord> {
        while let Some(node) = self.path.last() {
            let tried = |id: u64| {
                node.done.iter().any(|d| d.id == id) || node.step.sleep.iter().any(|s| s.id == id)
            };
            // Take the earliest in the step's order, so the search order is deterministic.
            let next = node
                .step
                .enabled
                .iter()
                .map(|p| p.id)
                .find(|&id| node.backtrack.contains(&id) && !tried(id));
            if let Some(id) = next {
                let mut departure_sleep = node.step.sleep.clone();
                if !self.every_order {
                    departure_sleep.extend(node.done.iter().cloned());
                }
                let mut prefix: Vec<u64> = self.path.iter().map(|n| n.step.chosen.id).collect();
                *prefix.last_mut().expect("the path is not empty") = id;
                return Some(RunRecord { prefix, departure_sleep, ..RunRecord::default() });
            }
            self.path.pop();
        }
        None
    }

    /// Takes back the run's scheduler once the model's run is over, extends the path with
    /// the steps the run took, and asks for the reversals its races need.
    pub fn finish_run(&mut self) -> Result<RunKind, ExploreError> {
        let record = self.current.take().expect("finish_run follows next_run");
        let record = std::mem::take(&mut *record.lock().unwrap_or_else(PoisonError::into_inner));
        if record.simulations != 1 {
            return Err(ExploreError::Simulations(record.simulations));
        }
        let departed = record.prefix.len();
        if record.diverged || record.steps.len() < departed {
            return Err(ExploreError::Nondeterministic { step: record.steps.len() });
        }
        for (depth, step) in record.steps.into_iter().enumerate() {
            if depth + 1 < departed {
                let same = self.path[depth].step.enabled == step.enabled
                    && self.path[depth].step.chosen == step.chosen;
                if !same {
                    return Err(ExploreError::Nondeterministic { step: depth });
                }
            } else if depth + 1 == departed {
                let node = &mut self.path[depth];
                if node.step.enabled != step.enabled {
                    return Err(ExploreError::Nondeterministic { step: depth });
                }
                node.done.push(step.chosen.clone());
                node.step.chosen = step.chosen;
            } else {
                let chosen = step.chosen.clone();
                let backtrack = match self.every_order {
                    true => step.enabled.iter().map(|p| p.id).collect(),
                    false => vec![chosen.id],
                };
                self.path.push(Node { backtrack, done: vec![chosen], step });
            }
        }
        if !self.every_order {
            self.add_backtracks(departed.saturating_sub(1));
        }
        Ok(if record.blocked { RunKind::Redundant } else { RunKind::Schedule })
    }

    /// The events on the current path, in order: what the last run did.
    pub fn path(&self) -> Vec<u64> {
        self.path.iter().map(|n| n.step.chosen.id).collect()
    }

    /// Source-DPOR's race detection: for every race whose later event is at or after
    /// `from`, makes sure the state before the earlier event will also try something that
    /// starts the reversed order.
    fn add_backtracks(&mut self, from: usize) {
        let events: Vec<&Executed> = self.path.iter().map(|n| &n.step.chosen).collect();
        let n = events.len();
        let words = n.div_ceil(64);
        // The step that created each event (sent the message, set the timer), if any.
        let creator = |j: usize| {
            let id = events[j].id;
            let i = events[..j].partition_point(|e| e.created.end <= id);
            (i < j && events[i].created.contains(&id)).then_some(i)
        };
        // `before[j]`: every step that happens before step j, as a bit set.
        let mut before = vec![vec![0u64; words]; n];
        let mut races = Vec::new();
        for j in 0..n {
            let made_by = creator(j);
            let mut through = vec![0u64; words];
            let mut all = vec![0u64; words];
            let mut dependent = Vec::new();
            for i in 0..j {
                let depends = events[i].depends_on(events[j]);
                if !depends && made_by != Some(i) {
                    continue;
                }
                for w in 0..words {
                    through[w] |= before[i][w];
                }
                all[i / 64] |= 1 << (i % 64);
                if depends && made_by != Some(i) {
                    dependent.push(i);
                }
            }
            for w in 0..words {
                all[w] |= through[w];
            }
            if j >= from {
                // A race: dependent, and ordered by nothing but their own dependency.
                for i in dependent {
                    if through[i / 64] & (1 << (i % 64)) == 0 {
                        races.push((i, j));
                    }
                }
            }
            before[j] = all;
        }
        let happens_before = |a: usize, b: usize| before[b][a / 64] & (1 << (a % 64)) != 0;
        let mut wanted = Vec::new();
        for (i, j) in races {
            // The events after i that do not depend on it, then j: what could run first.
            let reversed: Vec<usize> =
                (i + 1..j).filter(|&k| !happens_before(i, k)).chain([j]).collect();
            let initials: Vec<u64> = reversed
                .iter()
                .filter(|&&u| !reversed.iter().any(|&w| w != u && happens_before(w, u)))
                .map(|&u| events[u].id)
                .collect();
            wanted.push((i, initials));
        }
        // An event that disables another (a reply cancels its timeout, a fault starts a
        // pause) races with it too, though the disabled one never runs on this path: the
        // state before must also try the disabled event first.
        for (i, node) in self.path.iter().enumerate().skip(from) {
            let next = self.path.get(i + 1).map_or(&[][..], |node| &node.step.enabled[..]);
            let chosen = node.step.chosen.id;
            let disabled = node
                .step
                .enabled
                .iter()
                .filter(|p| p.id != chosen && !next.iter().any(|q| q.id == p.id));
            wanted.extend(disabled.map(|p| (i, vec![p.id])));
        }
        for (i, initials) in wanted {
            let node = &mut self.path[i];
            let covered = initials
                .iter()
                .any(|id| node.backtrack.contains(id) || node.done.iter().any(|d| d.id == *id));
            if covered {
                continue;
            }
            match initials.iter().find(|id| node.step.enabled.iter().any(|p| p.id == **id)) {
                Some(&id) => node.backtrack.push(id),
                // Not expected (an initial is enabled where the race begins), but trying
                // everything is always sound.
                None => node.backtrack.extend(node.step.enabled.iter().map(|p| p.id)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A toy system explored by hand: `writers` events at distinct nodes that all report
    /// to the checker (so every order is distinct) or none that do (so one order is all).
    fn explore(writers: u32, observed: bool) -> (u32, u32) {
        search(Dpor::new(), writers, observed)
    }

    fn search(mut dpor: Dpor, writers: u32, observed: bool) -> (u32, u32) {
        let (mut schedules, mut redundant) = (0, 0);
        while let Some(scheduler) = dpor.next_run() {
            let mut s = scheduler.lock();
            s.begin();
            let mut pending: Vec<u64> = (0..u64::from(writers)).collect();
            let mut next_id = 100;
            while !pending.is_empty() {
                let offered: Vec<Pending> = pending
                    .iter()
                    .map(|&id| Pending { id, actor: Actor::Node(NodeId(id as u32)) })
                    .collect();
                let Some(index) = s.choose(&offered) else { break };
                let id = pending.remove(index);
                s.executed(Executed {
                    id,
                    actor: Actor::Node(NodeId(id as u32)),
                    observed,
                    timer: false,
                    messages: false,
                    created: next_id..next_id,
                });
                next_id += 1;
            }
            drop(s);
            match dpor.finish_run().unwrap() {
                RunKind::Schedule => schedules += 1,
                RunKind::Redundant => redundant += 1,
            }
        }
        (schedules, redundant)
    }

    #[test]
    fn independent_events_are_explored_in_one_order() {
        assert_eq!(explore(4, false).0, 1);
    }

    #[test]
    fn without_reduction_every_order_is_run() {
        assert_eq!(search(Dpor::every_order(), 4, false), (24, 0));
    }

    #[test]
    fn dependent_events_are_explored_in_every_order_exactly_once() {
        assert_eq!(explore(3, true).0, 6);
        assert_eq!(explore(4, true).0, 24);
    }
}
