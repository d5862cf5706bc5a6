//! The models a scenario file can name, and the one place that turns a model's part of the
//! file into a running [`LoadedModel`]. Generic over [`Model`]: no model is named here.

use std::fmt;
use std::marker::PhantomData;

use faultline_engine::{Fault, LimitExceeded, RandomFaults, SimDuration};
use faultline_models::{Check, FaultSpec, Knob, Model, Registry, RunSetup, Step};
use faultline_outcome::{ChartSpec, Grid, Invariant, Metric, Outcome, Tradeoff};

use crate::error::ScenarioError;
use crate::locate::Body;
use crate::scenario::Variant;

/// The models scenario files may use: every model faultline ships, plus any a program adds
/// with [`Models::with`] (a model written outside this workspace, say).
pub struct Models {
    entries: Vec<Box<dyn Entry>>,
}

impl Models {
    /// Every model faultline ships.
    pub fn builtin() -> Models {
        let mut models = Models::empty();
        faultline_models::register(&mut models);
        models
    }

    /// No model at all: a program that wants only its own.
    pub fn empty() -> Models {
        Models { entries: Vec::new() }
    }

    /// Adds a model; a later model of the same name replaces the earlier one.
    pub fn with<M: Model>(mut self) -> Models {
        self.add::<M>();
        self
    }

    /// The names scenario files use, in registration order.
    pub fn names(&self) -> Vec<&'static str> {
        self.entries.iter().map(|e| e.name()).collect()
    }

    /// Everything each model declares, in registration order: what `faultline list` and the
    /// reference show, read from the models so that neither can drift from them.
    pub fn catalogue(&self) -> Vec<ModelInfo> {
        self.entries
            .iter()
            .map(|e| ModelInfo {
                name: e.name(),
                about: e.about(),
                invariants: e.invariants(),
                metrics: e.metrics(),
                headline_metrics: e.headline_metrics(),
                faults: e.faults(),
            })
            .collect()
    }

    pub(crate) fn get(&self, name: &str) -> Option<&dyn Entry> {
        self.entries.iter().find(|e| e.name() == name).map(|e| &**e)
    }
}

impl Registry for Models {
    fn add<M: Model>(&mut self) {
        self.entries.retain(|e| e.name() != M::NAME);
        self.entries.push(Box::new(Adapter::<M>(PhantomData)));
    }
}

/// What a registered model declares, before any scenario chose it.
#[derive(Copy, Clone, Debug)]
pub struct ModelInfo {
    /// How scenario files name it.
    pub name: &'static str,
    /// One sentence on what it simulates.
    pub about: &'static str,
    pub invariants: &'static [Invariant],
    /// Every metric its runs report, with its unit and meaning.
    pub metrics: &'static [Metric],
    pub headline_metrics: &'static [Metric],
    /// The fault kinds it defines besides the engine's.
    pub faults: &'static [FaultSpec],
}

/// The parts of a scenario file a model parses, and where problems go.
pub(crate) struct Input<'a> {
    pub file: &'a str,
    /// The model's value, `Name(...)`.
    pub config: Body,
    /// Each variant's policy value, in order; `None` where it is missing or names another
    /// model (already reported).
    pub policies: Vec<Option<Body>>,
    pub duration: SimDuration,
    /// Syntax and type errors inside the model's parts, with positions.
    pub errors: Vec<ScenarioError>,
    /// Problems the model's validation found, by path.
    pub check: Check,
}

impl Input<'_> {
    /// Deserializes one part with serde; a failure becomes an error at its true position.
    fn parse<T: serde::de::DeserializeOwned>(&mut self, body: &Body) -> Option<T> {
        crate::from_ron(&body.text, self.file, body.pos).map_err(|e| self.errors.push(e)).ok()
    }
}

/// A registered model, by name, before a scenario chose it.
pub(crate) trait Entry: Send + Sync {
    fn name(&self) -> &'static str;
    fn about(&self) -> &'static str;
    fn invariants(&self) -> &'static [Invariant];
    fn metrics(&self) -> &'static [Metric];
    fn headline_metrics(&self) -> &'static [Metric];
    fn faults(&self) -> &'static [FaultSpec];
    /// Parses and checks the model's parts; `None` when the configuration itself could not
    /// be parsed (its errors are in `input`).
    fn load(&self, input: &mut Input<'_>) -> Option<Box<dyn LoadedModel>>;
}

struct Adapter<M>(PhantomData<fn() -> M>);

impl<M: Model> Entry for Adapter<M> {
    fn name(&self) -> &'static str {
        M::NAME
    }

    fn about(&self) -> &'static str {
        M::ABOUT
    }

    fn invariants(&self) -> &'static [Invariant] {
        M::INVARIANTS
    }

    fn metrics(&self) -> &'static [Metric] {
        M::METRICS
    }

    fn headline_metrics(&self) -> &'static [Metric] {
        M::HEADLINE_METRICS
    }

    fn faults(&self) -> &'static [FaultSpec] {
        M::FAULTS
    }

    fn load(&self, input: &mut Input<'_>) -> Option<Box<dyn LoadedModel>> {
        let config_body = input.config.clone();
        let raw = input.parse::<M::RawConfig>(&config_body)?;
        let duration = input.duration;
        let config = input.check.within(&[Step::Field("model")], |c| M::config(&raw, duration, c));
        let mut policies = Vec::new();
        for (i, body) in input.policies.clone().into_iter().enumerate() {
            let Some(raw) = body.and_then(|body| input.parse::<M::RawPolicy>(&body)) else {
                continue;
            };
            let at = [Step::Field("variants"), Step::Index(i), Step::Field("policy")];
            policies.push(input.check.within(&at, |c| M::policy(&raw, &config, c)));
        }
        let knobs = M::workload_knobs(&raw);
        Some(Box::new(Loaded::<M> { config, policies, knobs }))
    }
}

/// A model with its checked configuration and the policies of a scenario's variants.
pub trait LoadedModel: Send + Sync {
    /// The name scenario files use.
    fn name(&self) -> &'static str;
    /// The nodes of a run, in id order.
    fn node_names(&self) -> Vec<String>;
    fn invariants(&self) -> &'static [Invariant];
    /// The invariants this configuration gives nothing to check, with why.
    fn inapplicable(&self) -> Vec<(Invariant, String)>;
    /// Every metric its runs report.
    fn metrics(&self) -> &'static [Metric];
    fn headline_metrics(&self) -> &'static [Metric];
    fn tradeoff(&self) -> Option<Tradeoff>;
    fn charts(&self, variants: &[&Variant]) -> Vec<ChartSpec>;
    fn run(&self, variant: &Variant, setup: &RunSetup) -> Result<Outcome, LimitExceeded>;
    fn grids(&self, variants: &[&Variant], setup: &RunSetup) -> Result<Vec<Grid>, LimitExceeded>;
    /// The faults the model defines.
    fn faults(&self) -> &'static [FaultSpec];
    /// Checks what the model needs of the fault schedule.
    fn check_schedule(&self, fixed: &[Fault], random: &[RandomFaults], check: &mut Check);
    /// What of the workload may shrink, by path from the model's value.
    fn workload_knobs(&self) -> &[Knob];
    /// The workload's size in a run with `seed`, in the model's words.
    fn workload_size(&self, seed: u64) -> Option<String>;
}

impl fmt::Debug for dyn LoadedModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(..)", self.name())
    }
}

struct Loaded<M: Model> {
    config: M::Config,
    /// By variant index.
    policies: Vec<M::Policy>,
    /// Read from the configuration as written, which is not kept.
    knobs: Vec<Knob>,
}

impl<M: Model> Loaded<M> {
    fn policies<'a>(&'a self, variants: &[&'a Variant]) -> Vec<(&'a str, &'a M::Policy)> {
        variants.iter().map(|v| (v.name.as_str(), &self.policies[v.index])).collect()
    }
}

impl<M: Model> LoadedModel for Loaded<M> {
    fn name(&self) -> &'static str {
        M::NAME
    }

    fn node_names(&self) -> Vec<String> {
        M::node_names(&self.config)
    }

    fn invariants(&self) -> &'static [Invariant] {
        M::INVARIANTS
    }

    fn inapplicable(&self) -> Vec<(Invariant, String)> {
        M::inapplicable(&self.config)
    }

    fn metrics(&self) -> &'static [Metric] {
        M::METRICS
    }

    fn headline_metrics(&self) -> &'static [Metric] {
        M::HEADLINE_METRICS
    }

    fn tradeoff(&self) -> Option<Tradeoff> {
        M::TRADEOFF
    }

    fn charts(&self, variants: &[&Variant]) -> Vec<ChartSpec> {
        M::charts(&self.config, &self.policies(variants))
    }

    fn run(&self, variant: &Variant, setup: &RunSetup) -> Result<Outcome, LimitExceeded> {
        M::run(&self.config, &self.policies[variant.index], setup, &variant.name)
    }

    fn grids(&self, variants: &[&Variant], setup: &RunSetup) -> Result<Vec<Grid>, LimitExceeded> {
        M::grids(&self.config, &self.policies(variants), setup)
    }

    fn faults(&self) -> &'static [FaultSpec] {
        M::FAULTS
    }

    fn check_schedule(&self, fixed: &[Fault], random: &[RandomFaults], check: &mut Check) {
        M::check_schedule(&self.config, fixed, random, check);
    }

    fn workload_knobs(&self) -> &[Knob] {
        &self.knobs
    }

    fn workload_size(&self, seed: u64) -> Option<String> {
        M::workload_size(&self.config, seed)
    }
}
