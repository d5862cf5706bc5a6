//! Every interleaving of a small scenario: runs a variant again and again under the
//! engine's source-DPOR search ([`Dpor`]) and counts the distinct schedules, and those
//! that break each invariant.

use std::fmt;

use faultline_engine::{
    Dpor, ExploreError, FaultKind, LimitExceeded, Replay, RunKind, SharedScheduler,
};
use faultline_outcome::{Exploration, Outcome, Shortest};

use crate::scenario::{Scenario, Variant};

/// The most events one schedule may take: the depth of the search. Every step of a schedule
/// may branch, so a run much longer than this has more interleavings than any search
/// finishes; such scenarios are for `sweep`.
pub const MAX_STEPS: u64 = 400;

/// Which orders the search runs.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Reduction {
    /// One order per class of equivalent orders.
    Dpor,
    /// Every order: slow, but it shows what the reduction saves.
    None,
}

impl Reduction {
    /// The reduction in the words `explore` prints.
    pub fn describe(self) -> &'static str {
        match self {
            Reduction::Dpor => {
                "source-DPOR with sleep sets: events at different nodes commute unless one \
                 is a fault, both report to the checker, or one is a timer and the other a \
                 timer or a message"
            }
            Reduction::None => "none: every order of events is run",
        }
    }
}

/// Why a scenario cannot be explored, or why exploring it stopped.
#[derive(Clone, Debug, PartialEq)]
pub enum Refusal {
    /// The scenario asks for something the search does not branch on.
    Unsupported(String),
    /// A run of this variant takes more steps than [`MAX_STEPS`]: `events` in time order,
    /// or `None` when the run in time order fits and some other order runs past the bound.
    TooLarge { variant: String, events: Option<u64> },
    /// The search could not trust its replays.
    Engine(ExploreError),
    /// A run hit the scenario's event limit.
    Limit(LimitExceeded),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Unsupported(why) => f.write_str(why),
            Refusal::TooLarge { variant, events } => {
                match events {
                    Some(events) => write!(f, "a run of `{variant}` takes {events} events")?,
                    None => write!(f, "one order of `{variant}`'s events runs past {MAX_STEPS}")?,
                }
                write!(
                    f,
                    ": too large to explore, since explore follows runs of at most {MAX_STEPS} \
                     events (every step may branch); shrink the workload, or sample it with \
                     `faultline sweep`"
                )
            }
            Refusal::Engine(error) => error.fmt(f),
            Refusal::Limit(limit) => limit.fmt(f),
        }
    }
}

impl Scenario {
    /// Why `explore` cannot take this scenario, if it cannot: the search branches on the
    /// order of events within the faults the file names, and on nothing random.
    pub fn explorable(&self) -> Result<(), Refusal> {
        let unsupported = |why: String| Err(Refusal::Unsupported(why));
        if !self.random_faults.is_empty() {
            return unsupported(format!(
                "explore follows the faults a scenario names, and {} draws {} of its fault \
                 generators from the seed; pin one seed's faults with `faultline run {} \
                 --seed S --print-schedule` and paste them over `faults`",
                self.name,
                self.random_faults.len(),
                self.name
            ));
        }
        let lossy = self.network.loss_probability > 0.0
            || self.fixed_faults.iter().any(|f| matches!(f.kind, FaultKind::Loss { .. }));
        if lossy || self.network.duplicate_probability > 0.0 {
            return unsupported(format!(
                "explore branches on the order of events, not on random loss or duplication, \
                 and {} loses or duplicates messages at random (`network.loss`, \
                 `network.duplicate` or a `Loss` fault); remove them, or sample it with \
                 `faultline sweep`",
                self.name
            ));
        }
        Ok(())
    }

    /// What a reader of an exploration of this scenario should know about its time model:
    /// empty unless the network's latency has no upper bound.
    pub fn explore_notes(&self) -> Vec<String> {
        match self.network.latency.max() {
            Some(_) => Vec::new(),
            None => vec![format!(
                "note: {}'s network latency has no upper bound, so no message in flight holds \
                 a timer back: every timeout may fire before any reply",
                self.name
            )],
        }
    }

    /// Explores every distinct order of `variant`'s events, up to `max_schedules`
    /// schedules. Call [`Scenario::explorable`] first, and check each variant's size with
    /// [`Scenario::steps`].
    pub fn explore(
        &self,
        variant: &Variant,
        max_schedules: u64,
        reduction: Reduction,
    ) -> Result<Exploration, Refusal> {
        self.explore_each(variant, max_schedules, reduction, |_| {})
    }

    /// [`Scenario::explore`], handing each schedule's outcome to `each` as it is run.
    pub fn explore_each(
        &self,
        variant: &Variant,
        max_schedules: u64,
        reduction: Reduction,
        mut each: impl FnMut(&Outcome),
    ) -> Result<Exploration, Refusal> {
        let mut dpor = match reduction {
            Reduction::Dpor => Dpor::new(),
            Reduction::None => Dpor::every_order(),
        };
        let mut violating: Vec<(String, u64)> =
            self.invariants.iter().map(|name| (name.clone(), 0)).collect();
        let (mut schedules, mut redundant) = (0, 0);
        let mut shortest: Option<Vec<u64>> = None;
        // Cut-short runs are cheap, but a bound on them keeps any search finite.
        let max_runs = max_schedules.saturating_mul(10);
        let mut complete = true;
        while let Some(scheduler) = dpor.next_run() {
            if schedules >= max_schedules || schedules + redundant >= max_runs {
                complete = false;
                break;
            }
            let outcome = self.run_scheduled(variant, scheduler, false)?;
            match dpor.finish_run().map_err(Refusal::Engine)? {
                RunKind::Redundant => redundant += 1,
                RunKind::Schedule => {
                    schedules += 1;
                    each(&outcome);
                    for (name, count) in &mut violating {
                        *count +=
                            u64::from(outcome.violations.iter().any(|v| v.invariant == *name));
                    }
                    let path = dpor.path();
                    if !outcome.violations.is_empty()
                        && shortest.as_ref().is_none_or(|s| path.len() < s.len())
                    {
                        shortest = Some(path);
                    }
                }
            }
        }
        let shortest = match shortest {
            Some(choices) => {
                // The nodes' starts come first in every schedule: not steps of its story.
                let steps = choices.len().saturating_sub(self.node_names().len());
                let replay = SharedScheduler::new(Replay::new(choices));
                Some(Shortest { steps, outcome: self.run_scheduled(variant, replay, true)? })
            }
            None => None,
        };
        Ok(Exploration {
            variant: variant.name.clone(),
            schedules,
            redundant,
            complete,
            violating,
            shortest,
        })
    }

    /// The steps of `variant`'s run in time order, refused past [`MAX_STEPS`]: what one
    /// schedule of the search costs.
    pub fn steps(&self, variant: &Variant) -> Result<u64, Refusal> {
        let mut setup = self.setup(self.seed, false);
        setup.sim.max_events = setup.sim.max_events.min(MAX_STEPS);
        match self.model.run(variant, &setup) {
            Ok(outcome) => Ok(outcome.events),
            Err(LimitExceeded { .. }) => {
                let events = self.run(self.seed, variant, false).map_err(Refusal::Limit)?.events;
                Err(Refusal::TooLarge { variant: variant.name.clone(), events: Some(events) })
            }
        }
    }

    fn run_scheduled(
        &self,
        variant: &Variant,
        scheduler: SharedScheduler,
        trace: bool,
    ) -> Result<Outcome, Refusal> {
        let mut setup = self.setup(self.seed, trace);
        setup.sim.scheduler = Some(scheduler);
        setup.sim.max_events = setup.sim.max_events.min(MAX_STEPS);
        self.model
            .run(variant, &setup)
            .map_err(|_| Refusal::TooLarge { variant: variant.name.clone(), events: None })
    }
}
