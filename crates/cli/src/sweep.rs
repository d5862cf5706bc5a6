//! `faultline sweep`: every seed of a range for every selected variant, on several threads;
//! the report crate reduces the runs and renders the result.
//!
//! The output is the same bytes whatever `--jobs`: threads take runs from an atomic counter
//! in (seed, variant) order, each result goes to the slot of its (seed, variant), and the
//! slots are reduced in seed order once every run of a block has finished, so even the
//! floating-point sums add the same numbers in the same order.

use std::io::IsTerminal;
use std::num::NonZeroUsize;
use std::ops::Range;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;

use clap::Args;
use faultline_report::{RunSummary, Sweep, VariantTally};
use faultline_scenario::{Scenario, Variant};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::Failure;
use crate::commands::{load_source, run_one, select};
use crate::output;
use crate::shard::{ShardSpec, parse_shard, shard_file, slice};

/// Seeds run between two reductions. Only one block of results waits in memory, so a sweep
/// of a million seeds needs no more than one of a thousand; a block is long enough that the
/// threads idling at its end (each for at most one run) cost nothing measurable.
const BLOCK_SEEDS: usize = 1024;

/// The progress bar: elapsed, bar, runs done and time left, within 80 columns for a million
/// runs. ASCII only, so it needs no Unicode width tables and draws in any terminal.
const PROGRESS_TEMPLATE: &str = "{elapsed_precise} [{bar:30}] {pos}/{len} runs, {eta} left";

#[derive(Args, Debug)]
pub struct SweepArgs {
    /// The scenario file (RON).
    pub scenario: PathBuf,
    /// The seeds to run, half-open: `0..1000` runs seeds 0 to 999.
    #[arg(long, value_name = "A..B", value_parser = parse_seeds)]
    pub seeds: Range<u64>,
    /// Threads to run on (default: one per core). The result does not depend on it.
    #[arg(long, value_name = "N")]
    pub jobs: Option<NonZeroUsize>,
    /// Print exactly one JSON object to stdout instead of the tables.
    #[arg(long)]
    pub json: bool,
    /// Sweep only this variant (repeatable; default: all).
    #[arg(long = "variant", value_name = "NAME")]
    pub variants: Vec<String>,
    /// Print a block per variant (each invariant's first violating seeds, each metric's
    /// mean, min and max) instead of one line per variant.
    #[arg(long, conflicts_with = "json")]
    pub details: bool,
    /// Swarm testing: each seed draws which random fault generators are on, how many faults
    /// each makes, and the network's loss, duplication and latency, within the scenario's
    /// `swarm` bounds. Every variant of a seed sees the same draw.
    #[arg(long)]
    pub swarm: bool,
    /// Run only the I-th of N contiguous slices of the seeds, I counted from 1 (`--shard 2/8`).
    /// With `--json` it prints a shard file; `faultline merge` puts the N files together
    /// into exactly what the whole sweep prints.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<ShardSpec>,
}

/// Parses `A..B`: two decimal seeds, the end excluded, at least one seed in between.
fn parse_seeds(text: &str) -> Result<Range<u64>, String> {
    const EXPECTED: &str = "expected a half-open range of seeds `A..B` with A < B, e.g. `0..1000`";
    let Some((start, end)) = text.split_once("..") else {
        return Err(format!("`{text}` is not a range: {EXPECTED}"));
    };
    let seed = |part: &str| {
        part.parse::<u64>().map_err(|_| {
            format!("`{part}` is not a seed (a whole number from 0 to {}): {EXPECTED}", u64::MAX)
        })
    };
    let (start, end) = (seed(start)?, seed(end)?);
    if end <= start {
        return Err(format!(
            "`{text}` holds no seed: the end is excluded, so B must be greater than A; \
             {EXPECTED}"
        ));
    }
    Ok(start..end)
}

/// Threads for `--jobs` when it is not given: one per core the process may use.
pub(crate) fn default_jobs() -> usize {
    thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

/// A bar on stderr while stderr is a terminal; hidden in CI, tests and pipes, where it would
/// only be noise in a log.
fn progress_bar(runs_total: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(runs_total), ProgressDrawTarget::stderr());
    // The template is a constant that a test parses; were it ever wrong, indicatif's default
    // style is still a progress bar, so a sweep does not fail over it.
    if let Ok(style) = ProgressStyle::with_template(PROGRESS_TEMPLATE) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Runs every variant for every seed of `seeds` on up to `jobs` threads. The summaries come
/// back in (seed, variant) order. After a failed run no new run starts, and the failure
/// returned is the one of the lowest (seed, variant), whatever `jobs`.
fn run_block(
    scenario: &Scenario,
    variants: &[&Variant],
    seeds: Range<u64>,
    swarm: bool,
    jobs: usize,
    bar: &ProgressBar,
) -> Result<Vec<RunSummary>, Failure> {
    let variant_count = variants.len();
    // A block holds at most `BLOCK_SEEDS` seeds, so its length fits a `usize`.
    let runs = (seeds.end - seeds.start) as usize * variant_count;
    let next_run = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let slots: Vec<OnceLock<Result<RunSummary, Failure>>> =
        (0..runs).map(|_| OnceLock::new()).collect();
    thread::scope(|scope| {
        for _ in 0..jobs.min(runs) {
            scope.spawn(|| {
                while !failed.load(Ordering::Relaxed) {
                    let run = next_run.fetch_add(1, Ordering::Relaxed);
                    if run >= runs {
                        break;
                    }
                    let seed = seeds.start + (run / variant_count) as u64;
                    let swarmed;
                    let scenario = if swarm {
                        swarmed = scenario.swarmed(seed);
                        &swarmed
                    } else {
                        scenario
                    };
                    let result = run_one(scenario, seed, variants[run % variant_count], false)
                        .map(RunSummary::of);
                    if result.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    let stored = slots[run].set(result).is_ok();
                    assert!(stored, "run {run} of the block was handed out twice");
                    bar.inc(1);
                }
            });
        }
    });
    let mut summaries = Vec::with_capacity(runs);
    for slot in slots {
        // Runs are handed out in index order and every run handed out finishes, so every
        // slot before a failed run is filled: the first slot that is not a success is the
        // failure of the lowest (seed, variant), and empty slots only follow it.
        match slot.into_inner() {
            Some(result) => summaries.push(result?),
            None => unreachable!("a run slot is empty although no earlier run failed"),
        }
    }
    Ok(summaries)
}

/// Runs the whole range block by block, reducing each block in seed order; with `swarm`,
/// each seed runs its swarm draw of the scenario.
pub(crate) fn run_all(
    scenario: &Scenario,
    variants: &[&Variant],
    seeds: Range<u64>,
    swarm: bool,
    jobs: usize,
    bar: &ProgressBar,
) -> Result<Vec<VariantTally>, Failure> {
    let mut tallies: Vec<VariantTally> =
        variants.iter().map(|v| VariantTally::new(&v.name, &scenario.invariants)).collect();
    let mut block_start = seeds.start;
    while block_start < seeds.end {
        let block_end = block_start.saturating_add(BLOCK_SEEDS as u64).min(seeds.end);
        let summaries = run_block(scenario, variants, block_start..block_end, swarm, jobs, bar)?;
        for (run, summary) in summaries.into_iter().enumerate() {
            let seed = block_start + (run / variants.len()) as u64;
            tallies[run % variants.len()].add(seed, summary);
        }
        block_start = block_end;
    }
    Ok(tallies)
}

pub fn sweep(args: &SweepArgs) -> Result<ExitCode, Failure> {
    let (source, scenario) = load_source(&args.scenario)?;
    let variants = select(&scenario, &args.variants)?;
    let jobs = args.jobs.map_or_else(default_jobs, NonZeroUsize::get);
    let seeds = args.shard.map_or_else(|| args.seeds.clone(), |shard| slice(&args.seeds, shard));
    let runs_total = (seeds.end - seeds.start).saturating_mul(variants.len() as u64);
    let bar = progress_bar(runs_total);
    let tallies = run_all(&scenario, &variants, seeds.clone(), args.swarm, jobs, &bar);
    // Cleared before anything is printed, an error included, so no half-drawn bar is left.
    bar.finish_and_clear();
    let tallies = tallies?;
    let headline: Vec<&str> = scenario.headline_metrics().iter().map(|m| m.name()).collect();
    let sweep = Sweep {
        scenario: &scenario.name,
        seeds,
        invariants: &scenario.invariants,
        headline_metrics: &headline,
        tradeoff: scenario.tradeoff(),
        tallies: &tallies,
        swarm: args.swarm,
    };
    let path = args.scenario.display().to_string();
    match args.shard {
        Some(shard) if args.json => {
            let file = shard_file(&sweep, &args.seeds, shard, &path, &source);
            let text = serde_json::to_string(&file)
                .map_err(|e| Failure::usage(format!("error: cannot write the shard file: {e}")))?;
            output::stdout(&format!("{text}\n"))?;
        }
        _ => print_sweep(&sweep, &path, args.json, args.details)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints a sweep as `--json` and `--details` ask: one JSON object, a block per variant, or
/// (by default) a line per variant.
pub(crate) fn print_sweep(
    sweep: &Sweep<'_>,
    path: &str,
    json: bool,
    details: bool,
) -> Result<(), Failure> {
    if json {
        output::stdout(&format!("{}\n", faultline_report::sweep_json(sweep)))
    } else if details {
        output::stdout(&faultline_report::sweep_table(sweep, path))
    } else {
        output::stdout(&faultline_report::sweep_summary(sweep, path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_ranges_are_half_open_and_not_empty() {
        assert_eq!(parse_seeds("0..20"), Ok(0..20));
        assert_eq!(parse_seeds("7..8"), Ok(7..8));
        for bad in ["5..5", "6..5", "x..3", "3", "1..", "..4", "1..=4", "-1..3", ""] {
            let message = parse_seeds(bad).expect_err(bad);
            assert!(message.contains("expected a half-open range"), "{bad}: {message}");
        }
        assert!(parse_seeds("5..5").unwrap_err().contains("holds no seed"));
        assert!(parse_seeds("x..3").unwrap_err().contains("`x` is not a seed"));
    }

    #[test]
    fn the_progress_template_parses() {
        assert!(ProgressStyle::with_template(PROGRESS_TEMPLATE).is_ok());
    }
}
