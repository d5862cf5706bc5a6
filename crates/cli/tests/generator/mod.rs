//! A generator of whole, valid scenario files for every model, from a plain `u64` seed:
//! real node names, every fault kind with overlapping windows, swarm sections, extreme but
//! valid values and odd variant names. `tests/generated.rs` runs what it writes.

mod models;

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};

/// The models, in the order `seed % 5` picks them: consecutive seeds cover every model.
pub const MODELS: [&str; 5] = ["Chat", "Payment", "Bank", "Kv", "Orders"];

/// Shapes of scenario that once broke faultline (memory that grew with the duration, a
/// contention rerun in which no transfer finished, sums near `i64::MAX`): each file records
/// which it used, so a failure report says what it exercised.
pub const HUGE_DURATION: &str = "huge-duration";
pub const CONTENTION_UNFINISHED: &str = "bank-contention-unfinished";
pub const HUGE_AMOUNTS: &str = "bank-huge-amounts";

/// One generated scenario: its text, its model and the risky features it used.
pub struct Generated {
    pub model: &'static str,
    pub text: String,
    pub features: Vec<&'static str>,
    /// Whether the file has a `swarm` section, so that runs of it may take `--swarm`.
    pub swarm: bool,
}

/// Random draws for the generator: ChaCha8 seeded from a `u64`, as the engine seeds runs.
pub struct Draw {
    rng: ChaCha8Rng,
    used: Vec<&'static str>,
}

impl Draw {
    pub fn new(seed: u64) -> Draw {
        Draw { rng: ChaCha8Rng::seed_from_u64(seed), used: Vec::new() }
    }

    /// A uniform integer in `lo..=hi` (the modulo bias is irrelevant to a test generator).
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        let span = hi - lo;
        if span == u64::MAX { self.rng.next_u64() } else { lo + self.rng.next_u64() % (span + 1) }
    }

    pub fn chance(&mut self, probability: f64) -> bool {
        (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= probability && probability > 0.0
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.between(0, items.len() as u64 - 1) as usize]
    }

    /// A float in `[lo, hi]` to four decimals, often exactly one of the ends.
    pub fn float(&mut self, lo: f64, hi: f64) -> f64 {
        match self.between(0, 9) {
            0 => lo,
            1 => hi,
            _ => {
                let x = lo + (hi - lo) * self.between(0, 10_000) as f64 / 10_000.0;
                ((x * 10_000.0).round() / 10_000.0).clamp(lo, hi)
            }
        }
    }

    /// Whether to use a risky feature, recorded when it is used.
    pub fn feature(&mut self, name: &'static str, probability: f64) -> bool {
        if !self.chance(probability) {
            return false;
        }
        self.used.push(name);
        true
    }

    /// A non-empty subset of `names`, in their order.
    pub fn subset(&mut self, names: &[String]) -> Vec<String> {
        let mut chosen: Vec<String> = names.iter().filter(|_| self.chance(0.5)).cloned().collect();
        if chosen.is_empty() {
            chosen.push(self.pick(names).clone());
        }
        chosen
    }

    /// A duration in microseconds, in `lo..=hi`, often at a round value or an end.
    pub fn micros(&mut self, lo: u64, hi: u64) -> u64 {
        match self.between(0, 5) {
            0 => lo,
            1 => hi,
            2 => (self.between(lo, hi) / 1000 * 1000).max(lo),
            _ => self.between(lo, hi),
        }
    }
}

/// A duration as scenario text: whole milliseconds or seconds where it is, else microseconds.
pub fn dur(us: u64) -> String {
    if us % 1_000_000 == 0 && us > 0 {
        format!("\"{}s\"", us / 1_000_000)
    } else if us % 1000 == 0 {
        format!("\"{}ms\"", us / 1000)
    } else {
        format!("\"{us}us\"")
    }
}

/// A float as RON text: always with a decimal point.
pub fn num(x: f64) -> String {
    format!("{x:?}")
}

/// Names as a RON list of strings.
pub fn list(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
    format!("[{}]", quoted.join(", "))
}

/// What a model contributes to a file.
pub struct ModelPart {
    pub config: String,
    pub policies: Vec<String>,
    pub nodes: Vec<String>,
    pub invariants: &'static [&'static str],
    /// The model's own fault and the nodes it may hit, if it defines one.
    pub model_fault: Option<(&'static str, &'static str, (f64, f64))>,
    /// Faults the model's part needs (a payment grid varies a slowdown).
    pub faults: Vec<String>,
    /// Whether more faults may be added (a bank's contention reruns take them too).
    pub faults_allowed: bool,
    /// A network that loses nothing and delivers within milliseconds, and no swarm section.
    pub quiet_network: bool,
}

/// The scenario file `seed` generates.
pub fn scenario(seed: u64) -> Generated {
    let mut d = Draw::new(seed);
    let model = MODELS[(seed % MODELS.len() as u64) as usize];
    let end_us = duration(&mut d);
    let part = match model {
        "Chat" => models::chat(&mut d, end_us),
        "Payment" => models::payment(&mut d, end_us),
        "Bank" => models::bank(&mut d, end_us),
        "Kv" => models::kv(&mut d, end_us),
        _ => models::orders(&mut d, end_us),
    };
    let mut faults = part.faults.clone();
    if part.faults_allowed {
        faults.extend(self::faults(&mut d, &part, end_us));
    }
    let swarm = !part.quiet_network && d.chance(0.3);
    let text = assemble(&mut d, seed, model, end_us, &part, &faults, swarm);
    Generated { model, text, features: d.used, swarm }
}

/// The run's length: mostly seconds, sometimes a few milliseconds, rarely hours with the
/// workload at the start (what keeps memory bounded by events, not by duration).
fn duration(d: &mut Draw) -> u64 {
    if d.feature(HUGE_DURATION, 0.03) {
        return d.between(100, 1000) * 3_600_000_000;
    }
    match d.between(0, 9) {
        0 => d.micros(2_000, 200_000),
        1..=6 => d.micros(1_000_000, 10_000_000),
        _ => d.micros(10_000_000, 30_000_000),
    }
}

/// The file's text around the model's part.
fn assemble(
    d: &mut Draw,
    seed: u64,
    model: &str,
    end_us: u64,
    part: &ModelPart,
    faults: &[String],
    swarm: bool,
) -> String {
    let mut text = format!(
        "// Generated by crates/cli/tests/generator from seed {seed}.\nScenario(\n    name: \
         \"gen-{}-{seed}\",\n    seed: {},\n    duration: {},\n    network: {},\n",
        model.to_lowercase(),
        run_seed(d),
        dur(end_us),
        if part.quiet_network { quiet_network(d) } else { network(d) }
    );
    text.push_str(&format!("    max_events: {},\n", max_events(d)));
    if !faults.is_empty() {
        text.push_str(&format!("    faults: [\n        {},\n    ],\n", faults.join(",\n        ")));
    }
    if swarm {
        text.push_str(&format!("    swarm: {},\n", self::swarm(d)));
    }
    if d.chance(0.05) {
        text.push_str(&format!("    report_sweep: {},\n", d.between(1, 3)));
    }
    text.push_str(&format!("    model: {},\n", part.config));
    let (invariants, left_out): (Vec<&str>, Vec<&str>) =
        part.invariants.iter().partition(|_| d.chance(0.7));
    let invariants: Vec<String> = invariants.iter().map(|s| s.to_string()).collect();
    text.push_str(&format!("    invariants: {},\n", list(&invariants)));
    // Some of what is left out is given up with a reason, the rest silently.
    let unchecked: Vec<String> = left_out
        .iter()
        .filter(|_| d.chance(0.5))
        .map(|name| format!("({name:?}, \"not the point here\")"))
        .collect();
    text.push_str(&format!("    unchecked: [{}],\n", unchecked.join(", ")));
    let names = variant_names(d, part.policies.len());
    let variants: Vec<String> = names
        .iter()
        .zip(&part.policies)
        .map(|(name, policy)| format!("(name: {name:?}, policy: {policy})"))
        .collect();
    text.push_str(&format!(
        "    variants: [\n        {},\n    ],\n)\n",
        variants.join(",\n        ")
    ));
    text
}

fn run_seed(d: &mut Draw) -> u64 {
    match d.between(0, 9) {
        0 => 0,
        1 => u64::MAX,
        _ => d.between(0, 1000),
    }
}

/// Small enough that every run is quick; now and then so small the run stops at it.
fn max_events(d: &mut Draw) -> u64 {
    if d.chance(0.03) { d.between(1, 50) } else { d.between(100_000, 300_000) }
}

/// A latency distribution, with extreme but valid parameters now and then.
pub fn latency(d: &mut Draw, lo_us: u64, hi_us: u64) -> String {
    let a = d.micros(lo_us, hi_us);
    let b = d.micros(a, hi_us);
    match d.between(0, 4) {
        0 => format!("Constant({})", dur(a)),
        1 => format!("Uniform(min: {}, max: {})", dur(a), dur(b)),
        2 => format!("Normal(mean: {}, std_dev: {})", dur(b), dur(a)),
        3 => format!("LogNormal(median: {}, sigma: {})", dur(b), num(d.float(0.0, 2.0))),
        _ => format!("Pareto(scale: {}, shape: {})", dur(a), num(d.float(0.5, 5.0))),
    }
}

fn network(d: &mut Draw) -> String {
    let loss = if d.chance(0.6) { 0.0 } else { d.float(0.0, 1.0) };
    let duplicate = if d.chance(0.7) { 0.0 } else { d.float(0.0, 0.5) };
    format!(
        "(latency: {}, loss: {}, duplicate: {})",
        latency(d, 0, 50_000),
        num(loss),
        num(duplicate)
    )
}

fn quiet_network(d: &mut Draw) -> String {
    let min = d.micros(0, 5_000);
    format!("(latency: Uniform(min: {}, max: {}))", dur(min), dur(d.micros(min, 10_000)))
}

fn swarm(d: &mut Draw) -> String {
    let mut fields = vec![format!("enable: {}", num(d.float(0.0, 1.0)))];
    for field in ["loss", "duplicate"] {
        if d.chance(0.5) {
            let lo = d.float(0.0, 0.5);
            fields.push(format!("{field}: ({}, {})", num(lo), num(d.float(lo, 0.5))));
        }
    }
    if d.chance(0.5) {
        let lo = d.float(0.01, 2.0);
        fields.push(format!("latency: ({}, {})", num(lo), num(d.float(lo, 4.0))));
    }
    format!("({})", fields.join(", "))
}

/// Up to six faults of any kind the model takes, on its real node names; windows come from
/// a few anchor times so that they overlap often.
fn faults(d: &mut Draw, part: &ModelPart, end_us: u64) -> Vec<String> {
    let anchors: Vec<u64> = (0..3).map(|_| d.between(0, end_us - 1)).collect();
    (0..d.between(0, 6)).map(|_| fault(d, part, end_us, &anchors)).collect()
}

/// A window `from`/`until` inside the run, `until` sometimes left out or past the end.
fn window(d: &mut Draw, end_us: u64, anchors: &[u64]) -> (u64, Option<u64>) {
    let from = if d.chance(0.6) { *d.pick(anchors) } else { d.between(0, end_us - 1) };
    let until = match d.between(0, 9) {
        0 => None,
        1 => Some(end_us + d.between(1, 1_000_000)),
        _ => Some(d.between(from + 1, end_us.max(from + 1))),
    };
    (from, until)
}

fn from_until(d: &mut Draw, end_us: u64, anchors: &[u64]) -> String {
    match window(d, end_us, anchors) {
        (from, Some(until)) => format!("from: {}, until: {}", dur(from), dur(until)),
        (from, None) => format!("from: {}", dur(from)),
    }
}

/// Two disjoint, non-empty groups of nodes (at least two nodes exist in every model).
fn two_groups(d: &mut Draw, nodes: &[String]) -> (Vec<String>, Vec<String>) {
    let split = d.between(1, nodes.len() as u64 - 1) as usize;
    let mut shuffled = nodes.to_vec();
    for i in (1..shuffled.len()).rev() {
        shuffled.swap(i, d.between(0, i as u64) as usize);
    }
    let (a, b) = shuffled.split_at(split);
    (d.subset(a), d.subset(b))
}

/// `(min, max)` durations for a random generator, at least 1 ms.
fn range(d: &mut Draw, hi_us: u64) -> String {
    let lo = d.micros(1_000, hi_us.max(1_000));
    format!("({}, {})", dur(lo), dur(d.micros(lo, hi_us.max(lo))))
}

fn within(d: &mut Draw, end_us: u64) -> String {
    let lo = d.micros(0, end_us - 1);
    format!("({}, {})", dur(lo), dur(d.micros(lo, end_us - 1)))
}

fn count(d: &mut Draw) -> u64 {
    if d.chance(0.05) { d.between(100, 300) } else { d.between(1, 8) }
}

fn fault(d: &mut Draw, part: &ModelPart, end_us: u64, anchors: &[u64]) -> String {
    let nodes = &part.nodes;
    let kinds = if part.model_fault.is_some() { 12 } else { 10 };
    match d.between(0, kinds - 1) {
        0..=3 => link_fault(d, nodes, end_us, anchors),
        4 => {
            let (at, restart) = window(d, end_us, anchors);
            let node = d.pick(nodes).clone();
            match restart {
                Some(r) => format!("Crash(node: {node:?}, at: {}, restart: {})", dur(at), dur(r)),
                None => format!("Crash(node: {node:?}, at: {})", dur(at)),
            }
        }
        5 => {
            let (from, until) = window(d, end_us, anchors);
            let until = until.unwrap_or(end_us + 1);
            let node = d.pick(nodes).clone();
            format!("Pause(node: {node:?}, from: {}, until: {})", dur(from), dur(until))
        }
        6..=9 => random_fault(d, nodes, end_us),
        10 => {
            let (kind, node, (lo, hi)) = part.model_fault.unwrap();
            let value = num(d.float(lo, hi));
            let window = from_until(d, end_us, anchors);
            format!("{kind}(node: {node:?}, factor: {value}, {window})")
        }
        _ => {
            let (kind, node, (lo, hi)) = part.model_fault.unwrap();
            let low = d.float(lo, hi);
            let value = format!("({}, {})", num(low), num(d.float(low, hi)));
            format!(
                "RandomModelFaults(kind: {kind:?}, nodes: [{node:?}], count: {}, value: {value}, \
                 duration: {}, within: {})",
                count(d),
                range(d, end_us),
                within(d, end_us)
            )
        }
    }
}

fn link_fault(d: &mut Draw, nodes: &[String], end_us: u64, anchors: &[u64]) -> String {
    let (a, b) = two_groups(d, nodes);
    let window = from_until(d, end_us, anchors);
    let between = format!("between: ({}, {})", list(&a), list(&b));
    match d.between(0, 3) {
        0 => format!("Partition({between}, {window})"),
        1 => format!("OneWayPartition(senders: {}, receivers: {}, {window})", list(&a), list(&b)),
        2 => format!("LatencySpike({between}, extra: {}, {window})", dur(d.micros(0, 2_000_000))),
        _ => format!("Loss({between}, probability: {}, {window})", num(d.float(0.0, 1.0))),
    }
}

fn random_fault(d: &mut Draw, nodes: &[String], end_us: u64) -> String {
    let members = d.subset(nodes);
    let pair = if members.len() >= 2 { members.clone() } else { nodes.to_vec() };
    let (count, within) = (count(d), within(d, end_us));
    match d.between(0, 3) {
        0 => format!(
            "RandomPartitions(nodes: {}, count: {count}, duration: {}, within: {within})",
            list(&pair),
            range(d, end_us)
        ),
        1 => format!(
            "RandomCrashes(nodes: {}, count: {count}, downtime: {}, within: {within})",
            list(&members),
            range(d, end_us)
        ),
        2 => format!(
            "RandomPauses(nodes: {}, count: {count}, duration: {}, within: {within})",
            list(&members),
            range(d, end_us)
        ),
        _ => {
            let extra = d.micros(0, 1_000_000);
            format!(
                "RandomLatencySpikes(nodes: {}, count: {count}, extra: ({}, {}), duration: {}, \
                 within: {within})",
                list(&pair),
                dur(extra),
                dur(d.micros(extra, 2_000_000)),
                range(d, end_us)
            )
        }
    }
}

/// `n` distinct variant names, odd but within the rule: ASCII letters, digits, `-` and `_`,
/// starting with a letter or digit, at most 64 characters. Distinct ignoring case too,
/// so that files named after them never collide on a case-insensitive file system.
fn variant_names(d: &mut Draw, n: usize) -> Vec<String> {
    const FIRST: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    const REST: &[u8] = b"abcXYZ019-_";
    let mut names: Vec<String> = Vec::new();
    while names.len() < n {
        let length = *d.pick(&[1u64, 2, 5, 12, 63, 64]);
        let mut name = String::from(*d.pick(FIRST) as char);
        for _ in 1..length {
            name.push(*d.pick(REST) as char);
        }
        if !names.iter().any(|other| other.eq_ignore_ascii_case(&name)) {
            names.push(name);
        }
    }
    names
}
