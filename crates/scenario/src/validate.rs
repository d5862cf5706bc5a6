//! Raw scenario → checked [`Scenario`]: resolve names, check ranges and windows, and say
//! exactly where and what is wrong, with the closest valid name for a misspelling.

use std::collections::BTreeSet;

use faultline_engine::{
    Fault, FaultGen, FaultKind, Latency, NetworkConfig, NodeId, RandomFaults, SimDuration, SimTime,
};
use faultline_models::chat::{ChatConfig, Delivery};

use crate::error::{ScenarioError, suggestion};
use crate::locate::{Step, locate};
use crate::raw::{Dur, RawDelivery, RawFault, RawLatency, RawModel, RawPolicy, RawScenario};
use crate::scenario::{Model, Policy, Scenario, Variant};

/// Events allowed per run when the scenario does not say.
pub const DEFAULT_MAX_EVENTS: u64 = 50_000_000;
/// The chat workload is drawn up front; more messages than this is a typo, not a scenario.
const MAX_MESSAGES_PER_USER: f64 = 1_000_000.0;
/// More faults than this from one generator is a typo, not a scenario.
const MAX_RANDOM_COUNT: u32 = 10_000;

pub(crate) struct Checker<'a> {
    file: &'a str,
    source: &'a str,
    errors: Vec<ScenarioError>,
}

impl Checker<'_> {
    pub(crate) fn error(&mut self, path: &[Step<'_>], message: String, help: Option<String>) {
        let (line, col) = locate(self.source, path);
        self.errors.push(ScenarioError { file: self.file.to_string(), line, col, message, help });
    }

    pub(crate) fn probability(&mut self, path: &[Step<'_>], what: &str, p: f64) {
        if !(0.0..=1.0).contains(&p) {
            self.error(
                path,
                format!("{what} must be a probability between 0 and 1, not {p}"),
                None,
            );
        }
    }

    pub(crate) fn positive(&mut self, path: &[Step<'_>], what: &str, x: f64) {
        if !(x.is_finite() && x > 0.0) {
            self.error(path, format!("{what} must be a positive number, not {x}"), None);
        }
    }

    /// Resolves a node name, suggesting the closest real one.
    fn node(&mut self, path: &[Step<'_>], name: &str, nodes: &[&str]) -> Option<NodeId> {
        match nodes.iter().position(|n| *n == name) {
            Some(i) => Some(NodeId(i as u32)),
            None => {
                let message = format!("unknown node `{name}`");
                self.error(path, message, Some(suggestion(name, nodes)));
                None
            }
        }
    }

    fn group(&mut self, path: &[Step<'_>], names: &[String], nodes: &[&str]) -> Vec<NodeId> {
        if names.is_empty() {
            self.error(path, "a group of nodes must name at least one node".into(), None);
        }
        let mut ids = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let mut at = path.to_vec();
            at.push(Step::Index(i));
            ids.extend(self.node(&at, name, nodes));
        }
        ids
    }

    fn groups(
        &mut self,
        path: &[Step<'_>],
        (a, b): &(Vec<String>, Vec<String>),
        nodes: &[&str],
    ) -> (Vec<NodeId>, Vec<NodeId>) {
        let side = |i| [path, &[Step::Index(i)]].concat();
        let (a_ids, b_ids) = (self.group(&side(0), a, nodes), self.group(&side(1), b, nodes));
        if let Some(both) = a.iter().find(|n| b.contains(n)) {
            self.error(path, format!("node `{both}` is on both sides"), None);
        }
        (a_ids, b_ids)
    }

    /// A window `[from, until)` that starts inside the run and ends after it starts.
    fn window(&mut self, path: &[Step<'_>], from: Dur, until: Option<Dur>, end: SimDuration) {
        let field = |name| [path, &[Step::Field(name)]].concat();
        if from.0 >= end {
            self.error(
                &field("from"),
                format!("this fault starts at {} but the run ends at {end}", from.0),
                None,
            );
        }
        if let Some(until) = until {
            if until.0 <= from.0 {
                self.error(
                    &field("until"),
                    format!("`until` ({}) must be after `from` ({})", until.0, from.0),
                    None,
                );
            }
        }
    }

    pub(crate) fn range(&mut self, path: &[Step<'_>], what: &str, (lo, hi): (Dur, Dur)) {
        if lo.0 > hi.0 {
            self.error(path, format!("{what} range ({}, {}) is backwards", lo.0, hi.0), None);
        }
    }
}

impl Checker<'_> {
    /// A latency distribution, with its parameters checked.
    pub(crate) fn latency(&mut self, path: &[Step<'_>], raw: &RawLatency) -> Latency {
        match *raw {
            RawLatency::Constant(d) => Latency::Constant(d.0),
            RawLatency::Uniform { min, max } => {
                self.range(path, "the latency", (min, max));
                Latency::Uniform { min: min.0, max: max.0 }
            }
            RawLatency::Normal { mean, std_dev } => {
                Latency::Normal { mean: mean.0, std_dev: std_dev.0 }
            }
            RawLatency::LogNormal { median, sigma } => {
                if !(sigma.is_finite() && sigma >= 0.0) {
                    self.error(path, format!("sigma must be 0 or more, not {sigma}"), None);
                }
                Latency::LogNormal { median: median.0, sigma }
            }
            RawLatency::Pareto { scale, shape } => {
                self.positive(path, "the Pareto shape", shape);
                Latency::Pareto { scale: scale.0, shape }
            }
        }
    }
}

fn at(d: Dur) -> SimTime {
    SimTime::ZERO + d.0
}

/// Checks a parsed scenario; every problem is reported, not just the first.
pub(crate) fn validate(
    raw: RawScenario,
    file: &str,
    source: &str,
) -> Result<Scenario, Vec<ScenarioError>> {
    use Step::{Field, Index};
    let mut c = Checker { file, source, errors: Vec::new() };
    let end = raw.duration.0;

    if raw.name.is_empty()
        || !raw.name.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
    {
        c.error(
            &[Field("name")],
            format!("scenario name {:?} must be letters, digits, `-` or `_`", raw.name),
            Some("it names the report folder, reports/<name>/".into()),
        );
    }
    if end == SimDuration::ZERO {
        c.error(&[Field("duration")], "duration must be longer than zero".into(), None);
    }

    // The network.
    let net = &raw.network;
    c.probability(&[Field("network"), Field("loss")], "loss", net.loss);
    c.probability(&[Field("network"), Field("duplicate")], "duplicate", net.duplicate);
    let latency = c.latency(&[Field("network"), Field("latency")], &net.latency);
    let network =
        NetworkConfig { latency, loss_probability: net.loss, duplicate_probability: net.duplicate };

    // The model, first: it decides which nodes and invariants exist.
    let model = match &raw.model {
        RawModel::Chat(chat) => {
            c.positive(&[Field("model"), Field("rate_per_s")], "rate_per_s", chat.rate_per_s);
            if chat.rate_per_s > 10_000.0 {
                c.error(
                    &[Field("model"), Field("rate_per_s")],
                    format!(
                        "{} messages per second per user is more than chat needs; at most 10000",
                        chat.rate_per_s
                    ),
                    None,
                );
            }
            let messages_per_user = chat.rate_per_s * chat.send_until.0.as_secs_f64();
            if messages_per_user > MAX_MESSAGES_PER_USER {
                c.error(
                    &[Field("model"), Field("rate_per_s")],
                    format!(
                        "{} messages per second until {} is about {messages_per_user:.0} \
                         messages per user; at most {MAX_MESSAGES_PER_USER} fit in one run",
                        chat.rate_per_s, chat.send_until.0
                    ),
                    None,
                );
            }
            if chat.send_until.0 > end {
                c.error(
                    &[Field("model"), Field("send_until")],
                    format!("users type until {} but the run ends at {end}", chat.send_until.0),
                    None,
                );
            }
            Model::Chat(ChatConfig { rate_per_s: chat.rate_per_s, send_until: chat.send_until.0 })
        }
        RawModel::Payment(payment) => Model::Payment(crate::payment::model(&mut c, payment, end)),
        RawModel::Bank(bank) => Model::Bank(crate::bank::model(&mut c, bank, end)),
    };
    let node_names = model.node_names();
    let nodes: Vec<&str> = node_names.iter().map(String::as_str).collect();
    let nodes = nodes.as_slice();

    // Faults.
    let mut fixed_faults = Vec::new();
    let mut random_faults = Vec::new();
    for (i, fault) in raw.faults.iter().enumerate() {
        let path = [Field("faults"), Index(i)];
        let p = |name| [&path[..], &[Field(name)]].concat();
        let fixed = |kind, from: Dur, until: Option<Dur>| Fault {
            kind,
            from: at(from),
            until: until.map(at),
        };
        match fault {
            RawFault::Partition { between, from, until } => {
                c.window(&path, *from, *until, end);
                let (side_a, side_b) = c.groups(&p("between"), between, nodes);
                let kind = FaultKind::Partition { side_a, side_b, one_way: false };
                fixed_faults.push(fixed(kind, *from, *until));
            }
            RawFault::OneWayPartition { senders, receivers, from, until } => {
                c.window(&path, *from, *until, end);
                let side_a = c.group(&p("senders"), senders, nodes);
                let side_b = c.group(&p("receivers"), receivers, nodes);
                let kind = FaultKind::Partition { side_a, side_b, one_way: true };
                fixed_faults.push(fixed(kind, *from, *until));
            }
            RawFault::LatencySpike { between, extra, from, until } => {
                c.window(&path, *from, *until, end);
                let (side_a, side_b) = c.groups(&p("between"), between, nodes);
                let kind = FaultKind::LatencySpike { side_a, side_b, extra: extra.0 };
                fixed_faults.push(fixed(kind, *from, *until));
            }
            RawFault::Loss { between, probability, from, until } => {
                c.window(&path, *from, *until, end);
                c.probability(&p("probability"), "probability", *probability);
                let (side_a, side_b) = c.groups(&p("between"), between, nodes);
                let kind = FaultKind::Loss { side_a, side_b, probability: *probability };
                fixed_faults.push(fixed(kind, *from, *until));
            }
            RawFault::Crash { node, at: from, restart } => {
                if from.0 >= end {
                    let message = format!("this crash is at {} but the run ends at {end}", from.0);
                    c.error(&p("at"), message, None);
                }
                if let Some(restart) = restart.filter(|r| r.0 <= from.0) {
                    let message =
                        format!("`restart` ({}) must be after `at` ({})", restart.0, from.0);
                    c.error(&p("restart"), message, None);
                }
                if let Some(node) = c.node(&p("node"), node, nodes) {
                    fixed_faults.push(fixed(FaultKind::Crash { node }, *from, *restart));
                }
            }
            RawFault::Pause { node, from, until } => {
                c.window(&path, *from, Some(*until), end);
                if let Some(node) = c.node(&p("node"), node, nodes) {
                    fixed_faults.push(fixed(FaultKind::Pause { node }, *from, Some(*until)));
                }
            }
            RawFault::RandomPartitions { nodes: names, count, duration, within }
            | RawFault::RandomCrashes { nodes: names, count, downtime: duration, within }
            | RawFault::RandomPauses { nodes: names, count, duration, within }
            | RawFault::RandomLatencySpikes { nodes: names, count, duration, within, .. } => {
                let members = c.group(&p("nodes"), names, nodes);
                if *count > MAX_RANDOM_COUNT {
                    c.error(
                        &p("count"),
                        format!("count must be at most {MAX_RANDOM_COUNT}, not {count}"),
                        None,
                    );
                }
                let duration_field = if matches!(fault, RawFault::RandomCrashes { .. }) {
                    "downtime"
                } else {
                    "duration"
                };
                c.range(&p(duration_field), "the duration", *duration);
                c.range(&p("within"), "the `within`", *within);
                if within.0.0 >= end {
                    c.error(
                        &p("within"),
                        format!(
                            "faults would start at {} or later, but the run ends at {end}",
                            within.0.0
                        ),
                        None,
                    );
                }
                let two_sides = matches!(
                    fault,
                    RawFault::RandomPartitions { .. } | RawFault::RandomLatencySpikes { .. }
                );
                if two_sides && names.len() < 2 {
                    c.error(
                        &p("nodes"),
                        "a partition or spike needs at least two nodes to split".into(),
                        None,
                    );
                }
                let duration = (duration.0.0, duration.1.0);
                let generator = match fault {
                    RawFault::RandomPartitions { .. } => {
                        FaultGen::Partitions { nodes: members, count: *count, duration }
                    }
                    RawFault::RandomCrashes { .. } => {
                        FaultGen::Crashes { nodes: members, count: *count, downtime: duration }
                    }
                    RawFault::RandomPauses { .. } => {
                        FaultGen::Pauses { nodes: members, count: *count, duration }
                    }
                    RawFault::RandomLatencySpikes { extra, .. } => {
                        c.range(&p("extra"), "the extra latency", *extra);
                        FaultGen::LatencySpikes {
                            nodes: members,
                            count: *count,
                            extra: (extra.0.0, extra.1.0),
                            duration,
                        }
                    }
                    _ => unreachable!("matched above"),
                };
                random_faults
                    .push(RandomFaults { generator, start_window: (at(within.0), at(within.1)) });
            }
        }
    }

    // Invariants.
    let known = model.invariants();
    let mut seen = BTreeSet::new();
    for (i, name) in raw.invariants.iter().enumerate() {
        let path = [Field("invariants"), Index(i)];
        if !known.contains(&name.as_str()) {
            let message = format!("the {} model has no invariant `{name}`", model.kind());
            c.error(&path, message, Some(suggestion(name, known)));
        } else if !seen.insert(name.as_str()) {
            c.error(&path, format!("invariant `{name}` is listed twice"), None);
        }
    }

    // Variants.
    if raw.variants.is_empty() {
        c.error(&[Field("variants")], "a scenario needs at least one variant".into(), None);
    }
    let mut variants = Vec::new();
    let mut names = BTreeSet::new();
    for (i, variant) in raw.variants.iter().enumerate() {
        let path = [Field("variants"), Index(i)];
        let p = |name| [&path[..], &[Field(name)]].concat();
        if variant.name.is_empty() {
            c.error(&p("name"), "a variant needs a name".into(), None);
        } else if !names.insert(variant.name.as_str()) {
            c.error(&p("name"), format!("two variants are named `{}`", variant.name), None);
        }
        let policy = match &variant.policy {
            RawPolicy::Chat(chat) => {
                let delivery = match chat.delivery {
                    RawDelivery::FireAndForget => Delivery::FireAndForget,
                    RawDelivery::AckRetransmit { rto, rto_max, backoff } => {
                        let at = [&path[..], &[Field("policy"), Field("delivery")]].concat();
                        if rto.0 == SimDuration::ZERO {
                            c.error(&at, "`rto` must be longer than zero".into(), None);
                        }
                        if rto_max.0 < rto.0 {
                            c.error(
                                &at,
                                format!(
                                    "`rto_max` ({}) is shorter than `rto` ({})",
                                    rto_max.0, rto.0
                                ),
                                None,
                            );
                        }
                        if !(backoff.is_finite() && backoff >= 1.0) {
                            c.error(
                                &at,
                                format!("`backoff` must be 1 or more, not {backoff}"),
                                None,
                            );
                        }
                        Delivery::AckRetransmit { rto: rto.0, rto_max: rto_max.0, backoff }
                    }
                };
                Policy::Chat(delivery)
            }
            RawPolicy::Bank(policy) => {
                let at = [&path[..], &[Field("policy")]].concat();
                match &model {
                    Model::Bank(config) => {
                        Policy::Bank(crate::bank::policy(&mut c, &at, policy, config))
                    }
                    // The mismatch is reported below; any checked policy will do meanwhile.
                    _ => Policy::Bank(faultline_models::bank::BankPolicy {
                        strategy: faultline_models::bank::Strategy::Atomic,
                        retry: None,
                    }),
                }
            }
            RawPolicy::Payment(policy) => Policy::Payment(crate::payment::policy(
                &mut c,
                &[&path[..], &[Field("policy")]].concat(),
                policy,
            )),
        };
        if policy.kind() != model.kind() {
            c.error(
                &p("policy"),
                format!("a {} policy cannot drive the {} model", policy.kind(), model.kind()),
                Some(format!("write `policy: {}(...)`", model.kind())),
            );
        }
        variants.push(Variant { name: variant.name.clone(), policy });
    }

    let max_events = raw.max_events.unwrap_or(DEFAULT_MAX_EVENTS);
    if max_events == 0 {
        c.error(&[Field("max_events")], "max_events must be at least 1".into(), None);
    }

    if raw.report_sweep.is_some_and(|n| n == 0 || n > 100_000) {
        let message = "report_sweep takes 1 to 100000 seeds".to_string();
        c.error(&[Field("report_sweep")], message, None);
    }
    if !c.errors.is_empty() {
        return Err(c.errors);
    }
    Ok(Scenario {
        name: raw.name,
        about: raw.about.trim().to_string(),
        seed: raw.seed,
        duration: end,
        network,
        fixed_faults,
        random_faults,
        model,
        invariants: raw.invariants,
        variants,
        max_events,
        report_sweep: raw.report_sweep,
    })
}
