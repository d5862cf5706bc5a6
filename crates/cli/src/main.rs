//! The `faultline` command: parse arguments, read scenario files, run, write reports, and
//! turn every failure into one clear paragraph and an exit code (0 done, 1 violations or
//! nondeterminism when asked, 2 bad usage or a bad scenario).

mod catalogue;
mod commands;
mod explore;
mod output;
mod shard;
mod shrink;
mod sweep;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use clap_complete::Shell;

use catalogue::ListArgs;
use commands::{CheckArgs, RunArgs, TraceArgs};
use explore::ExploreArgs;
use shard::MergeArgs;
use shrink::ShrinkArgs;
use sweep::SweepArgs;

/// Deterministic simulation of distributed-systems pitfalls: the same seed gives the same
/// run, bit for bit, and every variant of a scenario sees the same faults.
#[derive(Parser, Debug)]
#[command(name = "faultline", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run every variant of a scenario, print a table and write a report folder.
    Run(RunArgs),
    /// Run a range of seeds for every variant on all cores; print how often each invariant
    /// broke.
    ///
    /// Prints one line per variant: the share of runs that violated any and each invariant,
    /// and the headline metrics' means; with `--details`, a block per variant with the first
    /// violating seeds and each metric's mean, min and max. Then one command that reproduces
    /// a violation. The result does not depend on `--jobs`.
    Sweep(SweepArgs),
    /// Merge the shard files of a sweep (`sweep --shard I/N --json`) into exactly what the
    /// whole sweep prints: the same tables, or with `--json` the same bytes.
    ///
    /// Refuses (exit code 2, nothing on stdout) a missing or repeated shard, and shards of
    /// different scenarios, scenario file contents, seed ranges, variants, `--swarm` or
    /// faultline versions.
    Merge(MergeArgs),
    /// Run every order of a small scenario's events (latencies ignored), and say per
    /// variant how many distinct schedules break each invariant.
    ///
    /// At every step any message in flight may arrive next; timers fire in the order of
    /// their deadlines, once every message that must arrive before them (within the
    /// network's bounds on latency) has.
    /// Orders that differ only in how independent events interleave are run once (source
    /// DPOR with sleep sets). Prints the shortest violating schedule step by step and writes
    /// its spacetime diagram. Exit code 1 when some schedule broke an invariant.
    Explore(ExploreArgs),
    /// Shrink a failing run to the smallest one found that still breaks the same invariant:
    /// fewer and weaker faults, then a smaller workload where the model allows.
    ///
    /// Writes a scenario file with the seed, the one variant and the faults that are left,
    /// checks that it loads and still fails, and prints what was removed (faults, workload,
    /// events) and the command that runs it; its report draws the failure's spacetime
    /// diagram. The search is deterministic and makes at most `--max-runs` runs.
    Shrink(ShrinkArgs),
    /// Parse and validate scenario files without running them.
    Check(CheckArgs),
    /// List the models (their invariants and fault kinds) and the bundled scenarios.
    List(ListArgs),
    /// Print a completion script for a shell, e.g. `faultline completions bash >
    /// ~/.local/share/bash-completion/completions/faultline`.
    Completions {
        #[arg(value_enum)]
        shell: CompletionShell,
    },
    /// Print the models, their invariants, headline metrics and faults, from the registry
    /// (the generated part of docs/reference.md)
    Reference,
    /// Print one variant's full trace (the second process of `run --check-determinism`).
    #[command(name = commands::TRACE_COMMAND, hide = true)]
    DeterminismTrace(TraceArgs),
}

/// The shells `completions` writes for: those whose completion systems users set up by
/// hand most often.
#[derive(Copy, Clone, Debug, clap::ValueEnum)]
enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

/// Writes the completion script of `shell` for every command and option to stdout.
fn completions(shell: CompletionShell) -> Result<ExitCode, Failure> {
    let shell = match shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "faultline", &mut script);
    output::stdout(&String::from_utf8_lossy(&script))?;
    Ok(ExitCode::SUCCESS)
}

/// A failure that ends the command: its message and exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    /// Bad usage or a bad scenario (exit code 2).
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure { code: 2, message: message.into() }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => commands::run(&args),
        Command::Sweep(args) => sweep::sweep(&args),
        Command::Merge(args) => shard::merge(&args),
        Command::Explore(args) => explore::explore(&args),
        Command::Shrink(args) => shrink::shrink(&args),
        Command::Check(args) => commands::check(&args),
        Command::List(args) => catalogue::list(&args),
        Command::Reference => catalogue::reference(),
        Command::Completions { shell } => completions(shell),
        Command::DeterminismTrace(args) => commands::trace(&args),
    };
    match result {
        Ok(code) => code,
        Err(failure) => {
            output::stderr_line(&failure.message);
            ExitCode::from(failure.code)
        }
    }
}
