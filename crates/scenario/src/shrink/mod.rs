//! `faultline shrink`: from a run that breaks an invariant to the smallest run found that
//! still breaks it. First the fault schedule (ddmin drops faults, then each one left gets a
//! shorter window and a milder strength), then the workload, as far as its model lets it
//! shrink ([`Model::workload_knobs`]); again while either got smaller. Every try is one run,
//! the search is deterministic, and it stops after a bounded number of runs.
//!
//! The result is a scenario file: the original text with the fault schedule written out,
//! one variant, the seed, and the workload's shrunk values set in place.
//!
//! [`Model::workload_knobs`]: faultline_models::Model::workload_knobs

mod ddmin;
mod rewrite;

use std::fmt;

use faultline_engine::{Fault, FaultKind, SimDuration, SimTime};
use faultline_models::{KnobSize, Step, closest};

use crate::registry::Models;
use crate::scenario::{Scenario, Variant, fault_text, faults_text};
use ddmin::{ddmin, smallest_failing};
use rewrite::{apply, keep, set, set_field};

/// What to shrink: a run of a scenario, and the invariant it breaks.
pub struct ShrinkRequest<'a> {
    /// The scenario file's text, and how the user named the file.
    pub source: &'a str,
    pub file: &'a str,
    pub seed: u64,
    pub variant: &'a str,
    /// `None`: the first invariant the run breaks.
    pub invariant: Option<&'a str>,
    /// How many runs the search may make.
    pub max_runs: u32,
    /// The command that shrinks it and the one that runs the result, for the file's header.
    pub made_with: &'a str,
    pub run_with: &'a str,
    /// The models the file may name.
    pub models: &'a Models,
}

/// The smallest failing run found.
#[derive(Clone, Debug)]
pub struct Shrunk {
    /// The scenario file that reproduces it.
    pub text: String,
    /// The invariant it breaks.
    pub invariant: String,
    pub before: Size,
    pub after: Size,
    /// The faults it keeps, in scenario syntax.
    pub faults: Vec<String>,
    /// Runs the search made, the original's included (at most the request's `max_runs`).
    pub runs: u32,
    /// The search ran out of runs: a smaller failing run may exist.
    pub stopped_by_max_runs: bool,
}

/// How big a run is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Size {
    pub faults: usize,
    pub events: u64,
    /// In the model's words, when the model says.
    pub workload: Option<String>,
}

/// Why there is nothing to shrink.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShrinkError {
    /// The scenario has no variant of this name.
    UnknownVariant { name: String, help: String },
    /// The model has no invariant of this name.
    UnknownInvariant { name: String, help: String },
    /// The model has it, but the scenario does not check it; `why`, when it says why (or the
    /// model says it does not apply).
    NotChecked { name: String, checked: Vec<String>, why: Option<String> },
    /// The run breaks no invariant (or not the one asked for); `sweep` is the command that
    /// looks for seeds that do.
    Holds {
        variant: String,
        asked: Option<String>,
        held: Vec<String>,
        broken: Vec<String>,
        sweep: String,
    },
    /// A run hit the scenario's event limit.
    Limit(String),
    /// The run written out as a fixed schedule no longer breaks the invariant: a bug in
    /// faultline, not in the input.
    NotReproduced(String),
}

impl fmt::Display for ShrinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShrinkError::UnknownVariant { name, help } => {
                write!(f, "no variant `{name}`\n  help: {help}")
            }
            ShrinkError::UnknownInvariant { name, help } => {
                write!(f, "no invariant `{name}`\n  help: {help}")
            }
            ShrinkError::NotChecked { name, checked, why: Some(why) } => write!(
                f,
                "the scenario does not check `{name}`: {why}\n  help: it checks {}",
                list_or_none(checked)
            ),
            ShrinkError::NotChecked { name, checked, why: None } => write!(
                f,
                "the scenario does not check `{name}`\n  help: it checks {}; add `{name}` to its \
                 `invariants` to shrink a run that breaks it",
                list_or_none(checked)
            ),
            ShrinkError::Holds { variant, asked: Some(name), held: _, broken, sweep } => write!(
                f,
                "variant `{variant}` does not break `{name}` with this seed{}\n  help: `{sweep}` \
                 finds seeds that break it",
                if broken.is_empty() {
                    String::new()
                } else {
                    format!(" (it breaks {})", backticked(broken))
                }
            ),
            ShrinkError::Holds { variant, asked: None, held, broken: _, sweep } => write!(
                f,
                "variant `{variant}` breaks no invariant with this seed: {} held\n  help: \
                 `{sweep}` finds seeds that break one",
                list_or_none(held)
            ),
            ShrinkError::Limit(message) | ShrinkError::NotReproduced(message) => {
                f.write_str(message)
            }
        }
    }
}

impl std::error::Error for ShrinkError {}

fn backticked(names: &[String]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() { "no invariant".to_owned() } else { backticked(names) }
}

/// One millisecond: the grid windows, times and spikes shrink on, so shrunk values read
/// as round numbers.
const MS: u64 = 1_000_000;

/// Finds the smallest run of `scenario` (whose text is `request.source`) that still breaks
/// the invariant.
pub fn shrink(scenario: &Scenario, request: &ShrinkRequest<'_>) -> Result<Shrunk, ShrinkError> {
    let variant =
        scenario.variants.iter().find(|v| v.name == request.variant).ok_or_else(|| {
            let names = scenario.variants.iter().map(|v| v.name.as_str());
            ShrinkError::UnknownVariant {
                name: request.variant.to_owned(),
                help: help(request.variant, names),
            }
        })?;
    if let Some(name) = request.invariant {
        check_invariant(scenario, name)?;
    }
    let seed = request.seed;
    let faults = scenario.faults(seed);
    let limit = |e| {
        ShrinkError::Limit(format!(
            "scenario `{}`, variant `{}`, seed {seed}: {e}",
            scenario.name, variant.name
        ))
    };
    let outcome = scenario.run_with_faults(seed, variant, &faults, false).map_err(limit)?;
    let mut broken: Vec<String> = Vec::new();
    for violation in &outcome.violations {
        if !broken.contains(&violation.invariant) {
            broken.push(violation.invariant.clone());
        }
    }
    let invariant = match request.invariant {
        Some(name) if broken.iter().any(|b| b == name) => name.to_owned(),
        None if !broken.is_empty() => broken[0].clone(),
        asked => {
            let held =
                scenario.invariants.iter().filter(|i| !broken.contains(i)).cloned().collect();
            let sweep = format!(
                "faultline sweep {} --seeds 0..100 --variant {}",
                request.file, variant.name
            );
            return Err(ShrinkError::Holds {
                variant: variant.name.clone(),
                asked: asked.map(str::to_owned),
                held,
                broken,
                sweep,
            });
        }
    };
    let before = Size {
        faults: faults.len(),
        events: outcome.events,
        workload: scenario.workload_size(seed),
    };
    let mut search = Search { request, invariant, runs: 1, refused: false };

    // The same run as a file of its own: one variant, the seed, the faults written out.
    let source = request.source;
    let names = scenario.node_names();
    let lost = |why: String| {
        ShrinkError::NotReproduced(format!(
            "seed {seed} of `{}` with its faults written out as a fixed schedule {why}; this is a \
             bug in faultline shrink",
            scenario.name
        ))
    };
    let about = format!(
        "{}, shrunk: the smallest run found of seed {seed}, variant {}, that still breaks `{}`. {}",
        scenario.name, variant.name, search.invariant, scenario.about
    );
    let only = keep(source, &[Step::Field("variants")], &[variant.index])
        .ok_or_else(|| lost("has no list of variants".to_owned()))?;
    let edits = vec![
        set_field(source, "name", format!("{:?}", shrunk_name(scenario, variant, seed))),
        set_field(source, "about", format!("{about:?}")),
        set_field(source, "seed", seed.to_string()),
        set_field(source, "faults", faults_text(&faults, &names, "    ")),
        only,
    ];
    let text = apply(source, edits);
    let mut state = search.load(text).ok_or_else(|| lost("does not load".to_owned()))?;
    if !search.breaks(&state.scenario, &faults) {
        return Err(lost(format!("no longer breaks `{}`", search.invariant)));
    }

    loop {
        let round = state.text.clone();
        state = search.shrink_faults(state);
        state = search.shrink_workload(state);
        if state.text == round || search.refused {
            break;
        }
    }

    let kept = &state.scenario.fixed_faults;
    // Measured once more, outside the search's runs.
    let after_outcome =
        state.scenario.run_with_faults(seed, &state.scenario.variants[0], kept, false);
    let after = Size {
        faults: kept.len(),
        events: after_outcome.map_or(0, |o| o.events),
        workload: state.scenario.workload_size(seed),
    };
    let names = state.scenario.node_names();
    let faults = kept.iter().map(|f| fault_text(f, &names)).collect();
    let mut header = format!(
        "// Shrunk from {} (seed {seed}, variant {}):\n\
         // the smallest run `faultline shrink` found that still breaks `{}`.\n",
        request.file, variant.name, search.invariant
    );
    if search.refused {
        header.push_str(&format!(
            "// The search stopped after --max-runs {}: a smaller run may still break it.\n",
            request.max_runs
        ));
    }
    header.push_str(&format!(
        "// Made with: {}\n// Run it:    {}\n",
        request.made_with, request.run_with
    ));
    let text = apply(&state.text, vec![rewrite::header(&state.text, &header)]);
    Ok(Shrunk {
        text,
        invariant: search.invariant,
        before,
        after,
        faults,
        runs: search.runs,
        stopped_by_max_runs: search.refused,
    })
}

/// The shrunk scenario's name, which names its report folder: `<name>-shrunk-<variant>-seed<S>`.
fn shrunk_name(scenario: &Scenario, variant: &Variant, seed: u64) -> String {
    format!("{}-shrunk-{}-seed{seed}", scenario.name, variant.name)
}

/// A shrunk scenario so far: its text, and the scenario it loads as (one variant, fixed
/// faults only).
struct State {
    text: String,
    scenario: Scenario,
}

/// The search: what it keeps breaking, and the runs it has made.
struct Search<'a> {
    request: &'a ShrinkRequest<'a>,
    invariant: String,
    runs: u32,
    /// A try was refused for want of runs.
    refused: bool,
}

impl Search<'_> {
    /// Whether the scenario's one variant, run with `faults`, still breaks the invariant;
    /// false once out of runs, and for a run that hits the event limit.
    fn breaks(&mut self, scenario: &Scenario, faults: &[Fault]) -> bool {
        if self.runs >= self.request.max_runs {
            self.refused = true;
            return false;
        }
        self.runs += 1;
        let variant = &scenario.variants[0];
        scenario
            .run_with_faults(self.request.seed, variant, faults, false)
            .is_ok_and(|outcome| outcome.violations.iter().any(|v| v.invariant == self.invariant))
    }

    /// The scenario `text` loads as, if it loads.
    fn load(&self, text: String) -> Option<State> {
        let scenario = crate::parse_with(&text, self.request.file, self.request.models).ok()?;
        Some(State { text, scenario })
    }

    /// `text` loaded, if it loads and its run still breaks the invariant.
    fn breaks_text(&mut self, text: String) -> Option<State> {
        let state = self.load(text)?;
        let faults = state.scenario.fixed_faults.clone();
        self.breaks(&state.scenario, &faults).then_some(state)
    }

    /// Drops the faults the failure does not need (ddmin), then weakens each one left.
    fn shrink_faults(&mut self, state: State) -> State {
        let scenario = &state.scenario;
        let faults = scenario.fixed_faults.clone();
        let mut kept = ddmin(&faults, &mut |candidate| self.breaks(scenario, candidate));
        for i in 0..kept.len() {
            self.weaken(scenario, &mut kept, i);
        }
        if kept == faults {
            return state;
        }
        let names = scenario.node_names();
        let edit = set_field(&state.text, "faults", faults_text(&kept, &names, "    "));
        self.load(apply(&state.text, vec![edit])).unwrap_or(state)
    }

    /// Makes fault `i` end sooner, then start later, then hit softer, as long as the run
    /// still breaks the invariant.
    fn weaken(&mut self, scenario: &Scenario, faults: &mut [Fault], i: usize) {
        let end = SimTime::ZERO + scenario.duration;
        // The earliest end, on the millisecond grid; the top is the window as it is.
        let fault = faults[i].clone();
        let top = fault.until.unwrap_or(end).as_nanos().div_ceil(MS);
        let low = fault.from.as_nanos() / MS + 1;
        self.search(scenario, faults, i, low, top, |f, k| f.until = Some(at_ms(k)));
        // The latest start before that end: `j` counts back from the last millisecond.
        let fault = faults[i].clone();
        let first = fault.from.as_nanos() / MS + 1;
        let last = fault.until.unwrap_or(end).as_nanos().div_ceil(MS).saturating_sub(1);
        if last >= first {
            self.search(scenario, faults, i, 0, last - first + 1, |f, j| f.from = at_ms(last - j));
        }
        match &faults[i].kind {
            FaultKind::Loss { probability, .. } => {
                // In thousandths.
                let top = (probability * 1000.0).ceil() as u64;
                self.search(scenario, faults, i, 1, top, |f, k| {
                    if let FaultKind::Loss { probability, .. } = &mut f.kind {
                        *probability = k as f64 / 1000.0;
                    }
                });
            }
            FaultKind::LatencySpike { extra, .. } => {
                let top = extra.as_nanos().div_ceil(MS);
                self.search(scenario, faults, i, 1, top, |f, k| {
                    if let FaultKind::LatencySpike { extra, .. } = &mut f.kind {
                        *extra = SimDuration::from_nanos(k * MS);
                    }
                });
            }
            FaultKind::Model { fault, .. } => {
                let spec = scenario.model.faults().iter().find(|spec| spec.kind == fault.kind);
                let (mild, strong) = (spec.map_or(fault.value, |s| s.range.0), fault.value);
                // In hundredths of the way from the mildest value, rounded to hundredths.
                let top = if mild == strong { 0 } else { 100 };
                self.search(scenario, faults, i, 1, top, |f, t| {
                    if let FaultKind::Model { fault, .. } = &mut f.kind {
                        let value = mild + (strong - mild) * t as f64 / 100.0;
                        fault.value = (value * 100.0).round() / 100.0;
                    }
                });
            }
            FaultKind::Partition { .. } | FaultKind::Crash { .. } | FaultKind::Pause { .. } => {}
        }
    }

    /// Sets fault `i` with `set(fault, k)` for the smallest `k` in `low..top` whose run still
    /// breaks the invariant; `top` stands for the fault as it is, and is not run.
    fn search(
        &mut self,
        scenario: &Scenario,
        faults: &mut [Fault],
        i: usize,
        low: u64,
        top: u64,
        set: impl Fn(&mut Fault, u64),
    ) {
        if low >= top {
            return;
        }
        let k = smallest_failing(low, top, &mut |k| {
            let mut candidate = faults.to_vec();
            set(&mut candidate[i], k);
            self.breaks(scenario, &candidate)
        });
        if k < top {
            set(&mut faults[i], k);
        }
    }

    /// Makes each of the model's workload knobs as small as the failure allows, one after
    /// the other, in the model's order.
    fn shrink_workload(&mut self, mut state: State) -> State {
        let mut index = 0;
        while let Some(knob) = state.scenario.model.workload_knobs().get(index).cloned() {
            index += 1;
            let path: Vec<Step> = [Step::Field("model")].into_iter().chain(knob.path).collect();
            let text = state.text.clone();
            let with =
                |value: String| set(&text, &path, value).map(|edit| apply(&text, vec![edit]));
            let smaller = match knob.size {
                KnobSize::List { len, min } => {
                    let all: Vec<usize> = (0..len).collect();
                    let listed = |kept: &[usize]| {
                        keep(&text, &path, kept).map(|edit| apply(&text, vec![edit]))
                    };
                    let kept = ddmin(&all, &mut |kept| {
                        kept.len() >= min
                            && listed(kept).and_then(|t| self.breaks_text(t)).is_some()
                    });
                    (kept.len() < len).then(|| listed(&kept)).flatten()
                }
                KnobSize::Count { value, min } => {
                    let k = smallest_failing(min, value, &mut |k| {
                        with(k.to_string()).and_then(|t| self.breaks_text(t)).is_some()
                    });
                    (k < value).then(|| with(k.to_string())).flatten()
                }
                KnobSize::Duration { value, min } => {
                    let duration = |k: u64| format!("\"{}\"", SimDuration::from_nanos(k * MS));
                    let top = value.as_nanos().div_ceil(MS);
                    let low = min.as_nanos().div_ceil(MS);
                    let k = smallest_failing(low, top, &mut |k| {
                        with(duration(k)).and_then(|t| self.breaks_text(t)).is_some()
                    });
                    (k < top).then(|| with(duration(k))).flatten()
                }
            };
            if let Some(shrunk) = smaller.and_then(|text| self.load(text)) {
                state = shrunk;
            }
        }
        state
    }
}

/// `k` milliseconds into the run.
fn at_ms(k: u64) -> SimTime {
    SimTime::from_nanos(k * MS)
}

/// Checks that the scenario checks the invariant `name`.
fn check_invariant(scenario: &Scenario, name: &str) -> Result<(), ShrinkError> {
    if scenario.invariants.iter().any(|i| i == name) {
        return Ok(());
    }
    let declared = scenario.model.invariants().iter().map(|i| i.id);
    if declared.clone().any(|id| id == name) {
        let why = scenario.not_checked.iter().find(|n| n.invariant == name);
        return Err(ShrinkError::NotChecked {
            name: name.to_owned(),
            checked: scenario.invariants.clone(),
            why: why.and_then(|n| n.why.clone()),
        });
    }
    Err(ShrinkError::UnknownInvariant { name: name.to_owned(), help: help(name, declared) })
}

/// "did you mean ...?", or the valid names.
fn help<'n>(name: &str, names: impl Iterator<Item = &'n str> + Clone) -> String {
    match closest(name, names.clone()) {
        Some(near) => format!("did you mean `{near}`?"),
        None => format!("the names are: {}", names.collect::<Vec<_>>().join(", ")),
    }
}
