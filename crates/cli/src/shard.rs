//! Shards of a sweep: `sweep --shard I/N` runs the I-th of N contiguous slices of the seeds,
//! and `faultline merge` puts the shard files back together into exactly what the whole
//! sweep prints, after checking that they are the N slices of one experiment.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::ops::Range;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use faultline_report::{SHARD_FORMAT, Shard, ShardTally, Sweep, VariantTally};

use crate::Failure;
use crate::sweep::print_sweep;

/// The version written into shard files and required of every shard merged.
pub const FAULTLINE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Which slice of the seeds a sweep runs: the `index`-th (from 1) of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShardSpec {
    pub index: u64,
    pub count: u64,
}

impl fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The most shards a sweep may be cut into: more than any cluster runs at once, and few
/// enough that merge's bookkeeping stays small whatever a shard file says.
pub const MAX_SHARDS: u64 = 100_000;

/// Parses `I/N`: two whole numbers with 1 ≤ I ≤ N ≤ [`MAX_SHARDS`].
pub fn parse_shard(text: &str) -> Result<ShardSpec, String> {
    const EXPECTED: &str = "expected `I/N` with 1 <= I <= N, e.g. `2/8` for the second of 8 shards";
    let Some((index, count)) = text.split_once('/') else {
        return Err(format!("`{text}` is not a shard: {EXPECTED}"));
    };
    let number = |part: &str| {
        part.parse::<u64>().map_err(|_| format!("`{part}` is not a whole number: {EXPECTED}"))
    };
    let (index, count) = (number(index)?, number(count)?);
    if index == 0 || index > count {
        return Err(format!("`{text}` names no shard: shards count from 1 to N; {EXPECTED}"));
    }
    if count > MAX_SHARDS {
        return Err(format!(
            "`{text}`: a sweep is cut into at most {MAX_SHARDS} shards, not {count}"
        ));
    }
    Ok(ShardSpec { index, count })
}

/// The seeds of `shard`: the range cut into `count` contiguous slices whose lengths differ by
/// at most one, the longer ones last. A slice is empty when there are more shards than seeds.
pub fn slice(seeds: &Range<u64>, shard: ShardSpec) -> Range<u64> {
    let length = u128::from(seeds.end - seeds.start);
    // Below `start + length`, which is a u64, so the conversion back cannot fail.
    let boundary = |i: u64| {
        let offset = length * u128::from(i) / u128::from(shard.count);
        seeds.start + u64::try_from(offset).expect("a slice boundary lies within the range")
    };
    boundary(shard.index - 1)..boundary(shard.index)
}

/// FNV-1a, 64 bits, of `bytes`, as 16 hex digits: a stable fingerprint of a scenario file,
/// the same on every machine and in every version.
pub fn fnv1a(bytes: &[u8]) -> String {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let hash =
        bytes.iter().fold(OFFSET_BASIS, |hash, &byte| (hash ^ u64::from(byte)).wrapping_mul(PRIME));
    format!("{hash:016x}")
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// The shard files (`sweep --shard I/N --json` output), every one of 1/N to N/N, in any
    /// order.
    #[arg(required = true, value_name = "SHARD.json")]
    pub parts: Vec<PathBuf>,
    /// Print exactly one JSON object to stdout instead of the tables: the whole sweep's.
    #[arg(long)]
    pub json: bool,
    /// Print a block per variant, as `sweep --details` does.
    #[arg(long, conflicts_with = "json")]
    pub details: bool,
}

/// A refusal: exit code 2, with the file at fault named.
fn refuse(message: String) -> Failure {
    Failure::usage(format!("error: cannot merge: {message}"))
}

/// Reads one shard file.
fn read(path: &PathBuf) -> Result<Shard, Failure> {
    let shown = path.display();
    let text = fs::read_to_string(path)
        .map_err(|e| Failure::usage(format!("error: cannot read shard {shown}: {e}")))?;
    let format = serde_json::from_str::<serde_json::Value>(&text)
        .map(|value| value.get("format").and_then(|f| f.as_str()).map(str::to_owned));
    let problem = match format {
        Err(e) => format!("not JSON: {e}"),
        Ok(format) if format.as_deref() != Some(SHARD_FORMAT) => {
            format!("no \"format\": \"{SHARD_FORMAT}\"")
        }
        Ok(_) => String::new(),
    };
    if !problem.is_empty() {
        return Err(Failure::usage(format!(
            "error: {shown} is not a shard file ({problem})\n  help: write shards with \
             `faultline sweep SCENARIO --seeds A..B --shard I/N --json > FILE`"
        )));
    }
    serde_json::from_str(&text)
        .map_err(|e| Failure::usage(format!("error: {shown}: damaged shard file: {e}")))
}

/// What every shard of one sweep shares, with the words a refusal uses for it.
fn experiment(shard: &Shard) -> [(&'static str, String); 7] {
    let names: Vec<&str> = shard.tallies.iter().map(|t| t.name.as_str()).collect();
    [
        ("faultline version", shard.faultline_version.clone()),
        ("scenario", shard.scenario.clone()),
        ("scenario file (FNV-1a of its text)", shard.scenario_fnv1a.clone()),
        ("seed range", format!("{}..{}", shard.seeds[0], shard.seeds[1])),
        ("shard count", shard.shard[1].to_string()),
        ("--swarm", shard.swarm.to_string()),
        ("variants", names.join(", ")),
    ]
}

/// Why a shard's counts cannot be those of its slice, if they cannot: every tally ran each
/// of its seeds once, so no count of runs exceeds them and every violating seed is one of
/// them. A hand-edited or damaged file would otherwise merge into shares above 100%.
fn counts_problem(shard: &Shard) -> Option<String> {
    let seeds = shard.shard_seeds[0]..shard.shard_seeds[1];
    let runs = seeds.end.saturating_sub(seeds.start);
    for tally in &shard.tallies {
        let name = &tally.name;
        if tally.runs != runs {
            return Some(format!("variant `{name}` ran {} times, not {runs}", tally.runs));
        }
        if tally.runs_anomalous > runs {
            return Some(format!(
                "variant `{name}` has {} anomalous runs of {runs}",
                tally.runs_anomalous
            ));
        }
        for (invariant, violating, first_seeds) in &tally.invariants {
            if *violating > runs || first_seeds.len() as u64 > *violating {
                return Some(format!(
                    "variant `{name}` violates `{invariant}` in {violating} runs of {runs}, \
                     {} of them listed",
                    first_seeds.len()
                ));
            }
            if let Some(seed) = first_seeds.iter().find(|seed| !seeds.contains(seed)) {
                return Some(format!(
                    "variant `{name}` lists seed {seed} as violating `{invariant}`"
                ));
            }
        }
        if let Some((metric, m)) = tally.metrics.iter().find(|(_, m)| m.runs > runs) {
            return Some(format!("variant `{name}` has {} runs of `{metric}` of {runs}", m.runs));
        }
    }
    None
}

/// The first (up to) `limit` shards of `1..=count` that `present` (ascending) leaves out,
/// found from the gaps between the shards given: the missing ones are never walked, however
/// many there are.
fn first_missing(present: impl Iterator<Item = u64>, count: u64, limit: usize) -> Vec<u64> {
    let mut missing = Vec::new();
    let mut next = 1;
    for index in present.chain([count.saturating_add(1)]) {
        let gap = (next..index).take(limit - missing.len());
        missing.extend(gap);
        next = index.saturating_add(1);
    }
    missing
}

/// Checks that `shards` are the N slices of one sweep, each once, and returns them in order.
fn check(paths: &[PathBuf], shards: Vec<Shard>) -> Result<Vec<Shard>, Failure> {
    let first = experiment(&shards[0]);
    for (path, shard) in paths.iter().zip(&shards) {
        if shard.faultline_version != FAULTLINE_VERSION {
            return Err(refuse(format!(
                "{} was written by faultline {}, this is faultline {FAULTLINE_VERSION}: \
                 another version may run a seed differently\n  help: rerun the shard with \
                 this version",
                path.display(),
                shard.faultline_version
            )));
        }
        for ((what, expected), (_, found)) in first.iter().zip(experiment(shard)) {
            if *expected != found {
                return Err(refuse(format!(
                    "{} and {} are shards of different sweeps: {what} `{expected}` and \
                     `{found}`",
                    paths[0].display(),
                    path.display()
                )));
            }
        }
    }
    let (seeds, count) = (shards[0].seeds[0]..shards[0].seeds[1], shards[0].shard[1]);
    if seeds.is_empty() || count == 0 || count > MAX_SHARDS {
        return Err(refuse(format!(
            "{}: damaged shard file: shard {}/{count} of seeds {}..{}: a sweep has seeds and \
             1 to {MAX_SHARDS} shards",
            paths[0].display(),
            shards[0].shard[0],
            seeds.start,
            seeds.end
        )));
    }
    let mut by_index: BTreeMap<u64, (&PathBuf, Shard)> = BTreeMap::new();
    for (path, shard) in paths.iter().zip(shards) {
        let index = shard.shard[0];
        let spec = ShardSpec { index, count };
        let expected = (index >= 1 && index <= count).then(|| slice(&seeds, spec));
        if expected != Some(shard.shard_seeds[0]..shard.shard_seeds[1]) {
            return Err(refuse(format!(
                "{}: damaged shard file: shard {spec} of seeds {}..{} does not hold seeds {}..{}",
                path.display(),
                seeds.start,
                seeds.end,
                shard.shard_seeds[0],
                shard.shard_seeds[1]
            )));
        }
        if let Some(problem) = counts_problem(&shard) {
            return Err(refuse(format!(
                "{}: damaged shard file: its counts do not add up: {problem}",
                path.display()
            )));
        }
        if let Some((earlier, _)) = by_index.get(&index) {
            return Err(refuse(format!(
                "{} and {} are both shard {spec}: their seeds overlap\n  help: give each \
                 shard once",
                earlier.display(),
                path.display()
            )));
        }
        by_index.insert(index, (path, shard));
    }
    // Every index given lies in 1..=count and is given once, so the rest are missing.
    let missing = count - by_index.len() as u64;
    if missing > 0 {
        let shown: Vec<String> = first_missing(by_index.keys().copied(), count, 10)
            .into_iter()
            .map(|i| format!("{i}/{count}"))
            .collect();
        let more = if missing > shown.len() as u64 { ", …" } else { "" };
        return Err(refuse(format!(
            "{missing} of {count} shards missing: {}{more}\n  help: run each missing one with \
             `faultline sweep {} --seeds {}..{} --shard I/{count} --json`",
            shown.join(", "),
            by_index.values().next().map_or("", |(_, s)| s.scenario_path.as_str()),
            seeds.start,
            seeds.end
        )));
    }
    Ok(by_index.into_values().map(|(_, shard)| shard).collect())
}

/// `faultline merge`: the whole sweep, from its shards.
pub fn merge(args: &MergeArgs) -> Result<ExitCode, Failure> {
    let shards = args.parts.iter().map(read).collect::<Result<Vec<Shard>, Failure>>()?;
    let shards = check(&args.parts, shards)?;
    let first = &shards[0];
    let (scenario, seeds, swarm) =
        (first.scenario.clone(), first.seeds[0]..first.seeds[1], first.swarm);
    let (invariants, headline) = (first.invariants.clone(), first.headline_metrics.clone());
    let path = first.scenario_path.clone();
    // In seed order: each shard's runs come after every earlier shard's.
    let mut tallies: Vec<VariantTally> = Vec::new();
    for shard in shards {
        let next = shard.tallies.into_iter().map(VariantTally::from);
        if tallies.is_empty() {
            tallies = next.collect();
        } else {
            tallies.iter_mut().zip(next).for_each(|(tally, later)| tally.merge(later));
        }
    }
    let headline: Vec<&str> = headline.iter().map(String::as_str).collect();
    let sweep = Sweep {
        scenario: &scenario,
        seeds,
        invariants: &invariants,
        headline_metrics: &headline,
        // Only a run's report draws the trade-off chart; merge prints tables and JSON.
        tradeoff: None,
        tallies: &tallies,
        swarm,
    };
    print_sweep(&sweep, &path, args.json, args.details)?;
    Ok(ExitCode::SUCCESS)
}

/// The shard file of one slice of a sweep.
pub fn shard_file(
    sweep: &Sweep<'_>,
    whole: &Range<u64>,
    spec: ShardSpec,
    path: &str,
    source: &str,
) -> Shard {
    Shard {
        format: SHARD_FORMAT.to_owned(),
        faultline_version: FAULTLINE_VERSION.to_owned(),
        scenario: sweep.scenario.to_owned(),
        scenario_path: path.to_owned(),
        scenario_fnv1a: fnv1a(source.as_bytes()),
        seeds: [whole.start, whole.end],
        shard: [spec.index, spec.count],
        shard_seeds: [sweep.seeds.start, sweep.seeds.end],
        swarm: sweep.swarm,
        invariants: sweep.invariants.to_vec(),
        headline_metrics: sweep.headline_metrics.iter().map(|&m| m.to_owned()).collect(),
        tallies: sweep.tallies.iter().map(ShardTally::from).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_are_one_based_and_validated() {
        assert_eq!(parse_shard("1/1"), Ok(ShardSpec { index: 1, count: 1 }));
        assert_eq!(parse_shard("3/8"), Ok(ShardSpec { index: 3, count: 8 }));
        for bad in ["0/4", "5/4", "0/0", "1", "a/2", "1/b", "-1/2", "1/2/3", ""] {
            let message = parse_shard(bad).expect_err(bad);
            assert!(message.contains("expected `I/N`"), "{bad}: {message}");
        }
        assert!(parse_shard("0/4").unwrap_err().contains("count from 1"));
    }

    #[test]
    fn shard_counts_are_bounded() {
        assert_eq!(parse_shard("1/100000"), Ok(ShardSpec { index: 1, count: MAX_SHARDS }));
        let message = parse_shard("1/1000000000000").unwrap_err();
        assert!(message.contains("at most 100000 shards, not 1000000000000"), "{message}");
    }

    #[test]
    fn missing_shards_are_found_from_the_gaps_between_those_given() {
        assert_eq!(first_missing([2, 3].into_iter(), 4, 10), [1, 4]);
        assert_eq!(first_missing([].into_iter(), 3, 10), [1, 2, 3]);
        assert_eq!(first_missing([1, 2].into_iter(), 2, 10), Vec::<u64>::new());
        assert_eq!(first_missing([5].into_iter(), MAX_SHARDS, 3), [1, 2, 3]);
        assert_eq!(first_missing([1, 3].into_iter(), u64::MAX, 2), [2, 4]);
    }

    #[test]
    fn slices_cover_the_range_once_in_order() {
        for (seeds, count) in [(0..10, 3), (5..6, 4), (0..100, 7), (u64::MAX - 5..u64::MAX, 2)] {
            let slices: Vec<Range<u64>> =
                (1..=count).map(|index| slice(&seeds, ShardSpec { index, count })).collect();
            assert_eq!(slices[0].start, seeds.start);
            assert_eq!(slices.last().unwrap().end, seeds.end);
            assert!(slices.windows(2).all(|w| w[0].end == w[1].start), "{slices:?}");
            let lengths: Vec<u64> = slices.iter().map(|s| s.end - s.start).collect();
            let (low, high) = (lengths.iter().min().unwrap(), lengths.iter().max().unwrap());
            assert!(high - low <= 1, "{lengths:?}");
        }
        assert_eq!(slice(&(0..10), ShardSpec { index: 1, count: 3 }), 0..3);
        assert_eq!(slice(&(0..10), ShardSpec { index: 3, count: 3 }), 6..10);
    }

    #[test]
    fn fnv1a_matches_the_reference_values() {
        // From the FNV reference test vectors.
        assert_eq!(fnv1a(b""), "cbf29ce484222325");
        assert_eq!(fnv1a(b"a"), "af63dc4c8601ec8c");
        assert_eq!(fnv1a(b"foobar"), "85944171f73967e8");
    }
}
