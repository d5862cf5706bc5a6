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

/// Parses `I/N`: two whole numbers with 1 ≤ I ≤ N.
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
    let mut by_index: BTreeMap<u64, (&PathBuf, Shard)> = BTreeMap::new();
    for (path, shard) in paths.iter().zip(shards) {
        let index = shard.shard[0];
        let spec = ShardSpec { index, count };
        let expected = (index >= 1 && index <= count).then(|| slice(&seeds, spec));
        let runs = shard.shard_seeds[1].saturating_sub(shard.shard_seeds[0]);
        if expected != Some(shard.shard_seeds[0]..shard.shard_seeds[1])
            || shard.tallies.iter().any(|t| t.runs != runs)
        {
            return Err(refuse(format!(
                "{}: damaged shard file: shard {spec} of seeds {}..{} does not hold seeds {}..{}",
                path.display(),
                seeds.start,
                seeds.end,
                shard.shard_seeds[0],
                shard.shard_seeds[1]
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
    let missing: Vec<String> =
        (1..=count).filter(|i| !by_index.contains_key(i)).map(|i| format!("{i}/{count}")).collect();
    if !missing.is_empty() {
        let shown: Vec<&str> = missing.iter().take(10).map(String::as_str).collect();
        let more = if missing.len() > shown.len() { ", …" } else { "" };
        return Err(refuse(format!(
            "{} of {count} shards missing: {}{more}\n  help: run each missing one with `faultline \
             sweep {} --seeds {}..{} --shard I/{count} --json`",
            missing.len(),
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
