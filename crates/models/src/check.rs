//! Validation shared by the scenario loader and every model: problems found in a scenario
//! file, each tied to the path of the value at fault, and the checks models keep repeating
//! (ranges, probabilities, node names, latencies, backoffs).
//!
//! A model validates its own part of a scenario with a [`Check`]. It never sees positions:
//! the scenario loader turns each problem's path into `file:line:col`.

use faultline_engine::{Latency, NodeId, SimDuration};

use crate::raw::{Dur, RawBackoff, RawJitter, RawLatency};
use crate::resilience::{Backoff, Jitter};

/// One step of a path into a scenario file: a field name or a list/tuple index.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Field(&'static str),
    Index(usize),
}

/// Something wrong with one value of a scenario file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Where the value is, from the top of the file.
    pub path: Vec<Step>,
    pub message: String,
    /// A suggestion, e.g. "did you mean `duration`?".
    pub help: Option<String>,
}

/// Collects every problem of a scenario, not just the first. Validation always produces a
/// value (a placeholder where the input was wrong) so that it can go on and find the rest.
#[derive(Debug, Default)]
pub struct Check {
    /// Prepended to every path: where the part being checked sits in the file.
    base: Vec<Step>,
    problems: Vec<Problem>,
}

impl Check {
    pub fn new() -> Check {
        Check::default()
    }

    /// Runs `f` with paths relative to `base` (a model checks its part as if it were the
    /// whole file).
    pub fn within<R>(&mut self, base: &[Step], f: impl FnOnce(&mut Check) -> R) -> R {
        let inner = [&self.base[..], base].concat();
        let outer = std::mem::replace(&mut self.base, inner);
        let result = f(self);
        self.base = outer;
        result
    }

    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    pub fn into_problems(self) -> Vec<Problem> {
        self.problems
    }

    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    pub fn error(&mut self, path: &[Step], message: String, help: Option<String>) {
        let path = [&self.base[..], path].concat();
        self.problems.push(Problem { path, message, help });
    }

    pub fn probability(&mut self, path: &[Step], what: &str, p: f64) {
        if !(0.0..=1.0).contains(&p) {
            let message = format!("{what} must be a probability between 0 and 1, not {p}");
            self.error(path, message, None);
        }
    }

    pub fn positive(&mut self, path: &[Step], what: &str, x: f64) {
        if !(x.is_finite() && x > 0.0) {
            self.error(path, format!("{what} must be a positive number, not {x}"), None);
        }
    }

    /// A `(min, max)` pair that is not backwards.
    pub fn range(&mut self, path: &[Step], what: &str, (lo, hi): (Dur, Dur)) {
        if lo.0 > hi.0 {
            self.error(
                path,
                format!("{what} range ({}, {}) is backwards", lo.0.human(), hi.0.human()),
                None,
            );
        }
    }

    /// Resolves a node name, suggesting the closest real one.
    pub fn node(&mut self, path: &[Step], name: &str, nodes: &[&str]) -> Option<NodeId> {
        match nodes.iter().position(|n| *n == name) {
            Some(i) => Some(NodeId(i as u32)),
            None => {
                let message = format!("unknown node `{name}`");
                self.error(path, message, Some(suggestion(name, nodes)));
                None
            }
        }
    }

    /// A non-empty group of node names.
    pub fn group(&mut self, path: &[Step], names: &[String], nodes: &[&str]) -> Vec<NodeId> {
        if names.is_empty() {
            self.error(path, "a group of nodes must name at least one node".into(), None);
        }
        let mut ids = Vec::new();
        for (i, name) in names.iter().enumerate() {
            ids.extend(self.node(&[path, &[Step::Index(i)]].concat(), name, nodes));
        }
        ids
    }

    /// Two groups of nodes that share none.
    pub fn groups(
        &mut self,
        path: &[Step],
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

    /// A window `[from, until)` that starts inside the run and ends after it starts; `path`
    /// is the value holding the `from` and `until` fields.
    pub fn window(&mut self, path: &[Step], from: Dur, until: Option<Dur>, end: SimDuration) {
        let field = |name| [path, &[Step::Field(name)]].concat();
        if from.0 >= end {
            let message = format!(
                "this fault starts at {} but the run ends at {}",
                from.0.human(),
                end.human()
            );
            self.error(&field("from"), message, None);
        }
        if let Some(until) = until.filter(|until| until.0 <= from.0) {
            let message =
                format!("`until` ({}) must be after `from` ({})", until.0.human(), from.0.human());
            self.error(&field("until"), message, None);
        }
    }

    /// A latency distribution, with its parameters checked.
    pub fn latency(&mut self, path: &[Step], raw: &RawLatency) -> Latency {
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

    /// A backoff policy, with its parameters checked; shared by every model that retries.
    pub fn backoff(&mut self, path: &[Step], raw: &RawBackoff) -> Backoff {
        match *raw {
            RawBackoff::Immediate => Backoff::Immediate,
            RawBackoff::Fixed(delay) => Backoff::Fixed { delay: delay.0 },
            RawBackoff::Exponential { base, multiplier, cap, ref jitter } => {
                if !(multiplier.is_finite() && multiplier >= 1.0) {
                    let message = format!("multiplier must be 1 or more, not {multiplier}");
                    self.error(path, message, None);
                }
                if cap.0 < base.0 {
                    let message =
                        format!("`cap` ({}) is below `base` ({})", cap.0.human(), base.0.human());
                    self.error(path, message, None);
                }
                let jitter = match jitter {
                    RawJitter::None => Jitter::None,
                    RawJitter::Full => Jitter::Full,
                    RawJitter::Equal => Jitter::Equal,
                    RawJitter::Decorrelated => Jitter::Decorrelated,
                };
                Backoff::Exponential { base: base.0, multiplier, cap: cap.0, jitter }
            }
        }
    }
}

/// The candidate nearest to `found` by edit distance, if it is near enough to be a typo.
/// A unique candidate that starts with `found` counts as near too (`ack` → `ack-and-retransmit`).
pub fn closest<'a>(found: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let found_lower = found.to_lowercase();
    let candidates: Vec<&str> = candidates.into_iter().collect();
    let prefixed: Vec<&str> =
        candidates.iter().copied().filter(|c| !found.is_empty() && c.starts_with(found)).collect();
    if let [only] = prefixed.as_slice() {
        return Some(only);
    }
    candidates
        .into_iter()
        .map(|c| (edit_distance(&found_lower, &c.to_lowercase()), c))
        .filter(|&(d, c)| d <= (c.chars().count().max(found.chars().count()) / 3).max(2))
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// "did you mean `x`?" or the list of valid names when nothing is close.
pub fn suggestion(found: &str, candidates: &[&str]) -> String {
    match closest(found, candidates.iter().copied()) {
        Some(name) => format!("did you mean `{name}`?"),
        None => format!(
            "expected one of {}",
            candidates.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, &cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != cb);
            current.push(substitute.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_finds_typos_and_ignores_strangers() {
        let fields = ["name", "about", "seed", "duration", "network"];
        assert_eq!(closest("durtion", fields), Some("duration"));
        assert_eq!(closest("Seed", fields), Some("seed"));
        assert_eq!(closest("netwrok", fields), Some("network"));
        assert_eq!(closest("banana", fields), None);
        assert_eq!(
            closest("ack", ["fire-and-forget", "ack-and-retransmit"]),
            Some("ack-and-retransmit")
        );
    }

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }

    #[test]
    fn paths_are_relative_to_the_part_being_checked() {
        let mut check = Check::new();
        check.within(&[Step::Field("model")], |c| {
            c.positive(&[Step::Field("rate_per_s")], "rate_per_s", -1.0);
        });
        check.positive(&[Step::Field("seed")], "seed", 0.0);
        let paths: Vec<&[Step]> = check.problems().iter().map(|p| &p.path[..]).collect();
        assert_eq!(
            paths,
            [&[Step::Field("model"), Step::Field("rate_per_s")][..], &[Step::Field("seed")]]
        );
    }
}
