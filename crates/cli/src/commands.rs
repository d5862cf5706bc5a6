//! `faultline run` and `faultline check`: the command-line contract of the design, and the
//! loading and running that `sweep` shares with them.

use std::ffi::OsString;
use std::fs;
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use faultline_engine::{FaultKind, TraceRecord, first_divergence};
use faultline_outcome::Outcome;
use faultline_report::{FirstFailure, Report, Sweep, TraceColumns, TraceLink};
use faultline_scenario::{Scenario, Variant, closest};
use indicatif::ProgressBar;

use crate::Failure;
use crate::output::{self, Staged, percent_encoded, prepare_report_dir};

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The scenario file (RON).
    pub scenario: PathBuf,
    /// Seed for this run (default: the scenario's `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Run only this variant (repeatable; default: all).
    #[arg(long = "variant", value_name = "NAME")]
    pub variants: Vec<String>,
    /// Report folder (default: `reports/` + the scenario's name).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print exactly one JSON object to stdout instead of the table.
    #[arg(long, conflicts_with = "print_schedule")]
    pub json: bool,
    /// Write the full event trace as JSON lines. When several variants run, each gets its
    /// own file, named after it: `x.jsonl` becomes `x.<variant>.jsonl` (said on stderr).
    #[arg(long, value_name = "FILE.jsonl")]
    pub trace: Option<PathBuf>,
    /// Write a Chrome trace that ui.perfetto.dev opens. When several variants run, each
    /// gets its own file: `x.json` becomes `x.<variant>.json` (said on stderr).
    #[arg(long, value_name = "FILE.json")]
    pub perfetto: Option<PathBuf>,
    /// Run every variant again, in this process and in a second one, and report the first
    /// event where the runs differ (exit 1).
    #[arg(long)]
    pub check_determinism: bool,
    /// Exit with code 1 if any invariant was violated.
    #[arg(long)]
    pub deny_violations: bool,
    /// Print the fault schedule this seed realises, as scenario text, and run nothing.
    #[arg(long)]
    pub print_schedule: bool,
    /// Add each run's trace hash and event count to the table: what tells two runs apart.
    #[arg(long, short)]
    pub verbose: bool,
    /// Run the seed's swarm draw, as `sweep --swarm` does: the random fault generators it
    /// turns on and the network it draws. With `--print-schedule`, print the draw too.
    #[arg(long)]
    pub swarm: bool,
}

/// The hidden command `--check-determinism` runs in a second process of this binary.
pub const TRACE_COMMAND: &str = "determinism-trace";

#[derive(Args, Debug)]
pub struct TraceArgs {
    pub scenario: PathBuf,
    #[arg(long)]
    pub seed: u64,
    #[arg(long)]
    pub variant: String,
    #[arg(long)]
    pub swarm: bool,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Scenario files to parse and validate.
    #[arg(required = true)]
    pub scenarios: Vec<PathBuf>,
}

/// Reads and validates a scenario file; every error is exit code 2.
pub(crate) fn load(path: &Path) -> Result<Scenario, Failure> {
    load_source(path).map(|(_, scenario)| scenario)
}

/// Reads and validates a scenario file, keeping its text; every error is exit code 2.
pub(crate) fn load_source(path: &Path) -> Result<(String, Scenario), Failure> {
    let source = fs::read_to_string(path).map_err(|e| {
        Failure::usage(format!("error: cannot read scenario {}: {e}", path.display()))
    })?;
    let scenario = faultline_scenario::parse(&source, &path.display().to_string())
        .map_err(|errors| Failure::usage(errors.to_string()))?;
    Ok((source, scenario))
}

/// The variants asked for, in scenario order; an unknown name is an error.
pub(crate) fn select<'s>(
    scenario: &'s Scenario,
    names: &[String],
) -> Result<Vec<&'s Variant>, Failure> {
    let known: Vec<&str> = scenario.variants.iter().map(|v| v.name.as_str()).collect();
    for name in names {
        if !known.contains(&name.as_str()) {
            let help = match closest(name, known.iter().copied()) {
                Some(near) => format!("did you mean `{near}`?"),
                None => format!("the variants are: {}", known.join(", ")),
            };
            return Err(Failure::usage(format!(
                "error: scenario `{}` has no variant `{name}`\n  help: {help}",
                scenario.name
            )));
        }
    }
    Ok(scenario.variants.iter().filter(|v| names.is_empty() || names.contains(&v.name)).collect())
}

/// Runs one variant with `seed`. Hitting the event limit is exit code 2, like a bad file:
/// the scenario asks for more than it allows, and the message names the seed to rerun.
pub(crate) fn run_one(
    scenario: &Scenario,
    seed: u64,
    variant: &Variant,
    trace: bool,
) -> Result<Outcome, Failure> {
    scenario.run(seed, variant, trace).map_err(|e| {
        Failure::usage(format!(
            "error: scenario `{}`, variant `{}`, seed {seed}: {e}",
            scenario.name, variant.name
        ))
    })
}

/// `n` with a comma between thousands: `13,013`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut text = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            text.push(',');
        }
        text.push(digit);
    }
    text
}

/// Where a per-variant file goes: `path` itself for one variant, `stem.variant.ext` for more,
/// the variant's name percent-encoded: whatever the loader lets through, a name stays one
/// part of one file name, in the folder the user named.
fn per_variant(path: &Path, variant: &str, several: bool) -> PathBuf {
    per_variant_file(path, &percent_encoded(variant), several)
}

/// `path` itself, or `stem.part.ext` for several variants.
fn per_variant_file(path: &Path, part: &str, several: bool) -> PathBuf {
    if !several {
        return path.to_path_buf();
    }
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let name = match path.extension() {
        Some(ext) => format!("{stem}.{part}.{}", ext.to_string_lossy()),
        None => format!("{stem}.{part}"),
    };
    path.with_file_name(name)
}

/// `to` as a link from a page in `from_dir`: `../traces/run.json`, each name
/// percent-encoded. Both are made absolute against the working directory and their `.` and
/// `..` resolved first; a path no relative link reaches (another drive) is linked as it is.
fn relative_href(from_dir: &Path, to: &Path) -> String {
    let (Ok(from), Ok(to)) = (std::path::absolute(from_dir), std::path::absolute(to)) else {
        return to.display().to_string();
    };
    let (from, to) = (lexically_normal(&from), lexically_normal(&to));
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return to.iter().collect::<PathBuf>().display().to_string();
    }
    let ups = from.len() - common;
    let downs =
        to[common..].iter().map(|name| percent_encoded(&name.as_os_str().to_string_lossy()));
    std::iter::repeat_n("..".to_owned(), ups).chain(downs).collect::<Vec<_>>().join("/")
}

/// An absolute path's parts with `.` dropped and each `..` taking away the part before it,
/// as a browser resolves a link (`out/../traces` is `traces`, not a folder named `..`).
fn lexically_normal(path: &Path) -> Vec<Component<'_>> {
    let mut parts = Vec::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir if matches!(parts.last(), Some(Component::Normal(_))) => {
                parts.pop();
            }
            Component::ParentDir => {}
            other => parts.push(other),
        }
    }
    parts
}

/// The first violation of the first variant that has one, with a full trace of its run
/// (rerun with one if it was not kept): the report draws the moments before it.
fn first_failure(
    scenario: &Scenario,
    seed: u64,
    variants: &[&Variant],
    outcomes: &[Outcome],
) -> Result<Option<FirstFailure>, Failure> {
    let Some((variant, outcome)) =
        variants.iter().zip(outcomes).find(|(_, o)| !o.violations.is_empty())
    else {
        return Ok(None);
    };
    let traced = match outcome.trace {
        Some(_) => outcome.clone(),
        None => run_one(scenario, seed, variant, true)?,
    };
    Ok(FirstFailure::of(&traced, seed, &scenario.node_names()))
}

/// Describes the first difference between two traces of the same run.
fn describe_divergence(a: &[TraceRecord], b: &[TraceRecord], names: &[String]) -> String {
    let Some(i) = first_divergence(a, b) else { return String::new() };
    let show = |r: Option<&TraceRecord>| match r {
        Some(r) => {
            let node = r.event.node().map_or("-".to_string(), |n| names[n.index()].clone());
            format!("at {} on {node}: {:?}", r.at, r.event)
        }
        None => "(the run had already ended)".to_string(),
    };
    format!(
        "event #{i} differs:\n  first run:  {}\n  second run: {}",
        show(a.get(i)),
        show(b.get(i))
    )
}

/// The scenario a run of `seed` runs: the seed's swarm draw of it, or the file as written.
fn as_run(scenario: Scenario, seed: u64, swarm: bool) -> Scenario {
    if swarm { scenario.swarmed(seed) } else { scenario }
}

pub fn run(args: &RunArgs) -> Result<ExitCode, Failure> {
    let written = load(&args.scenario)?;
    let seed = args.seed.unwrap_or(written.seed);
    if args.print_schedule {
        select(&written, &args.variants)?;
        let draw = if args.swarm { written.swarm_text(seed) } else { String::new() };
        let schedule = as_run(written, seed, args.swarm).schedule_text(seed);
        output::stdout(&format!("{draw}{schedule}"))?;
        return Ok(ExitCode::SUCCESS);
    }
    // The report's table of strategies sweeps the scenario as written, swarm or not.
    let report_sweep = written.report_sweep.map(|seeds| (written.clone(), seeds));
    let scenario = as_run(written, seed, args.swarm);
    let variants = select(&scenario, &args.variants)?;
    let out = args.out.clone().unwrap_or_else(|| Path::new("reports").join(&scenario.name));
    prepare_report_dir(&out).map_err(|e| Failure::usage(format!("error: {e}")))?;
    let keep_trace = args.trace.is_some() || args.perfetto.is_some() || args.check_determinism;
    let names = scenario.node_names();

    let mut outcomes = Vec::new();
    let mut nondeterministic = Vec::new();
    for variant in &variants {
        let outcome = run_one(&scenario, seed, variant, keep_trace)?;
        if args.check_determinism {
            let again = run_one(&scenario, seed, variant, true)?;
            let (a, b) =
                (outcome.trace.as_deref().unwrap_or(&[]), again.trace.as_deref().unwrap_or(&[]));
            if outcome.trace_hash != again.trace_hash || first_divergence(a, b).is_some() {
                nondeterministic.push(format!(
                    "variant `{}` is not deterministic: trace hashes {:016x} and {:016x}; {}",
                    variant.name,
                    outcome.trace_hash,
                    again.trace_hash,
                    describe_divergence(a, b, &names)
                ));
            }
            let ours = faultline_report::trace_jsonl(a, &names);
            let theirs = trace_in_another_process(&args.scenario, seed, args.swarm, variant)?;
            if let Some(difference) = first_different_line(&ours, &theirs) {
                nondeterministic.push(format!(
                    "variant `{}` runs differently in another process: {difference}",
                    variant.name
                ));
            }
        }
        outcomes.push(outcome);
    }

    let failure = first_failure(&scenario, seed, &variants, &outcomes)?;
    let mut charts = scenario.charts(&variants);
    let faults = scenario.fault_windows(seed);
    let mut grids = scenario.grids(seed, &variants).map_err(|e| {
        Failure::usage(format!("error: scenario `{}`, grid runs, seed {seed}: {e}", scenario.name))
    })?;
    let headline: Vec<&str> = scenario.headline_metrics().iter().map(|m| m.name()).collect();
    if let Some((written, seeds)) = &report_sweep {
        // A table of the strategies over many seeds, next to this one run.
        let jobs = crate::sweep::default_jobs();
        let bar = ProgressBar::hidden();
        let tallies = crate::sweep::run_all(written, &variants, 0..*seeds, false, jobs, &bar)?;
        let sweep = Sweep {
            scenario: &scenario.name,
            seeds: 0..*seeds,
            invariants: &scenario.invariants,
            headline_metrics: &headline,
            tradeoff: scenario.tradeoff(),
            tallies: &tallies,
            swarm: false,
        };
        faultline_report::add_sweep(&sweep, &mut charts, &mut outcomes, &mut grids);
    }
    charts.retain(|spec| faultline_report::informative(spec, &outcomes));
    let several = outcomes.len() > 1;
    let mut traces = Vec::new();
    for outcome in &outcomes {
        for (path, format) in [(&args.perfetto, "Perfetto"), (&args.trace, "JSON lines")] {
            if let Some(path) = path {
                let file = per_variant(path, &outcome.variant, several);
                let href = relative_href(&out, &file);
                traces.push(TraceLink { variant: outcome.variant.clone(), format, href });
            }
        }
    }
    let report = Report {
        scenario: &scenario.name,
        about: &scenario.about,
        seed,
        duration_s: scenario.duration.as_secs_f64(),
        charts: &charts,
        faults: &faults,
        outcomes: &outcomes,
        grids: &grids,
        spacetime: failure.as_ref().map(|f| f.diagram(&names)),
        headline_metrics: &headline,
        invariants: &scenario.invariants,
        not_checked: &scenario.not_checked,
        traces: &traces,
    };
    let files = faultline_report::render_folder(&report)
        .map_err(|e| Failure { code: 2, message: format!("error: rendering the report: {e}") })?;
    let io_failure = |what: &Path, e: std::io::Error| Failure {
        code: 2,
        message: format!("error: cannot write {}: {e}", what.display()),
    };
    // Every file is written before any takes its place: a full disk leaves no new output.
    let mut staged = Staged::default();
    staged.folder(&out, &files).map_err(|e| io_failure(&out, e))?;
    // A file written under another name than the one asked for is said, not left to find.
    let mut notices = Vec::new();
    for path in [&args.trace, &args.perfetto].into_iter().flatten() {
        if several {
            notices.push(format!(
                "{} variants ran, so each has its own file: {}",
                outcomes.len(),
                per_variant_file(path, "<variant>", true).display()
            ));
        }
    }
    if args.check_determinism && nondeterministic.is_empty() {
        let events: Vec<u64> = outcomes.iter().map(|o| o.events).collect();
        let (low, high) = (events.iter().min().unwrap_or(&0), events.iter().max().unwrap_or(&0));
        let events = if low == high {
            format!("{} events", thousands(*low))
        } else {
            format!("{} to {} events", thousands(*low), thousands(*high))
        };
        let noun = if outcomes.len() == 1 { "variant" } else { "variants" };
        notices.push(format!(
            "determinism: {} {noun} × 2 runs in this process and 1 in a second process, \
             traces identical ({events})",
            outcomes.len()
        ));
    }
    for outcome in &outcomes {
        let trace = outcome.trace.as_deref().unwrap_or(&[]);
        if let Some(path) = &args.trace {
            let path = per_variant(path, &outcome.variant, several);
            let text = faultline_report::trace_jsonl(trace, &names);
            staged.file(&path, text.as_bytes()).map_err(|e| io_failure(&path, e))?;
        }
        if let Some(path) = &args.perfetto {
            let path = per_variant(path, &outcome.variant, several);
            let text = faultline_report::perfetto_json(trace, &names, &outcome.violations);
            staged.file(&path, text.as_bytes()).map_err(|e| io_failure(&path, e))?;
        }
    }

    let text = if args.json {
        format!("{}\n", faultline_report::run_json(&report))
    } else {
        format!(
            "{}, seed {seed}{}\n{}report: {}\n",
            scenario.name,
            if args.swarm { ", swarm" } else { "" },
            faultline_report::terminal_table(
                &report,
                if args.verbose { TraceColumns::Shown } else { TraceColumns::Hidden }
            ),
            out.join("index.html").display()
        )
    };
    // Standard output too may be a file on a full disk: the files are put in place only
    // once it took the table.
    output::stdout(&text)?;
    staged.commit().map_err(|(path, e)| io_failure(&path, e))?;
    for notice in &notices {
        output::stderr_line(notice);
    }
    for problem in &nondeterministic {
        output::stderr_line(&format!("error: {problem}"));
    }
    let violated = outcomes.iter().any(|o| !o.violations.is_empty());
    if !nondeterministic.is_empty() || (args.deny_violations && violated) {
        if args.deny_violations && violated {
            output::stderr_line(&format!(
                "invariants were violated; reproduce with: faultline run {} --seed {seed}{}",
                args.scenario.display(),
                if args.swarm { " --swarm" } else { "" }
            ));
        }
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints one variant's full trace as JSON lines: what `--check-determinism` compares with
/// the trace of its own process.
pub fn trace(args: &TraceArgs) -> Result<ExitCode, Failure> {
    let scenario = as_run(load(&args.scenario)?, args.seed, args.swarm);
    let variants = select(&scenario, std::slice::from_ref(&args.variant))?;
    let outcome = run_one(&scenario, args.seed, variants[0], true)?;
    let trace = outcome.trace.as_deref().unwrap_or(&[]);
    output::stdout(&faultline_report::trace_jsonl(trace, &scenario.node_names()))?;
    Ok(ExitCode::SUCCESS)
}

/// Runs `variant` again in a fresh process of this binary and returns its trace as JSON
/// lines. What differs between processes (hash seeds, addresses, the environment) shows up
/// here, where a second run in the same process would share it.
fn trace_in_another_process(
    scenario: &Path,
    seed: u64,
    swarm: bool,
    variant: &Variant,
) -> Result<String, Failure> {
    let failure = |why: String| Failure {
        code: 2,
        message: format!("error: --check-determinism could not run a second process: {why}"),
    };
    let exe = std::env::current_exe().map_err(|e| failure(e.to_string()))?;
    let output = std::process::Command::new(exe)
        .args(trace_args(scenario, seed, swarm, &variant.name))
        .output()
        .map_err(|e| failure(e.to_string()))?;
    if !output.status.success() {
        return Err(failure(String::from_utf8_lossy(&output.stderr).trim().to_owned()));
    }
    String::from_utf8(output.stdout).map_err(|e| failure(e.to_string()))
}

/// The arguments of the second process: `--variant=NAME` as one argument and the file after
/// `--`, so neither a name nor a path that starts with `-` is ever read as a flag.
fn trace_args(scenario: &Path, seed: u64, swarm: bool, variant: &str) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec![
        TRACE_COMMAND.into(),
        format!("--seed={seed}").into(),
        format!("--variant={variant}").into(),
    ];
    if swarm {
        args.push("--swarm".into());
    }
    args.extend(["--".into(), scenario.as_os_str().to_owned()]);
    args
}

/// The first line where two traces (JSON lines) differ, described with both versions.
fn first_different_line(ours: &str, theirs: &str) -> Option<String> {
    let (mut a, mut b) = (ours.lines(), theirs.lines());
    for index in 0.. {
        match (a.next(), b.next()) {
            (None, None) => return None,
            (x, y) if x == y => {}
            (x, y) => {
                let show =
                    |line: Option<&str>| line.unwrap_or("(the run had already ended)").to_owned();
                return Some(format!(
                    "event #{index} differs:\n  this process:    {}\n  another process: {}",
                    show(x),
                    show(y)
                ));
            }
        }
    }
    None
}

/// The faults a scenario schedules, by kind (the model's own, such as a `Slowdown`,
/// included), and how many generators draw more from the seed.
fn faults_summary(scenario: &Scenario) -> String {
    let fixed: Vec<&str> = scenario
        .fixed_faults
        .iter()
        .map(|fault| match &fault.kind {
            FaultKind::Partition { one_way: false, .. } => "Partition",
            FaultKind::Partition { one_way: true, .. } => "OneWayPartition",
            FaultKind::LatencySpike { .. } => "LatencySpike",
            FaultKind::Loss { .. } => "Loss",
            FaultKind::Crash { .. } => "Crash",
            FaultKind::Pause { .. } => "Pause",
            FaultKind::Model { fault, .. } => fault.kind,
        })
        .collect();
    let random = scenario.random_faults.len();
    let mut parts = Vec::new();
    if !fixed.is_empty() {
        let noun = if fixed.len() == 1 { "fault" } else { "faults" };
        parts.push(format!("{} fixed {noun} ({})", fixed.len(), fixed.join(", ")));
    }
    if random > 0 {
        let noun = if random == 1 { "generator" } else { "generators" };
        parts.push(format!("{random} random fault {noun}"));
    }
    if parts.is_empty() { "no faults".to_owned() } else { parts.join(" and ") }
}

pub fn check(args: &CheckArgs) -> Result<ExitCode, Failure> {
    let mut failures = Vec::new();
    for path in &args.scenarios {
        match load(path) {
            Ok(scenario) => {
                let mut text = format!(
                    "ok: {} ({}, {} variants, {})\n",
                    path.display(),
                    scenario.name,
                    scenario.variants.len(),
                    faults_summary(&scenario)
                );
                for not_checked in &scenario.not_checked {
                    text.push_str(&format!("  not checked: {}\n", not_checked.sentence()));
                }
                output::stdout(&text)?
            }
            Err(failure) => failures.push(failure.message),
        }
    }
    if failures.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        Err(Failure::usage(failures.join("\n")))
    }
}

#[cfg(test)]
mod tests {
    use faultline_engine::{NodeId, SimTime, TraceEvent, TraceRecord};

    use std::path::Path;

    use super::{
        describe_divergence, first_different_line, per_variant, relative_href, thousands,
        trace_args,
    };

    #[test]
    fn a_trace_link_climbs_only_the_folders_there_are_and_escapes_its_names() {
        let link = |from: &str, to: &str| relative_href(Path::new(from), Path::new(to));
        assert_eq!(link("/work/out", "/work/traces/run.json"), "../traces/run.json");
        // `..` in the page's folder is resolved, not counted as a folder to climb out of.
        assert_eq!(link("/work/a/../x/out", "/work/p.json"), "../../p.json");
        assert_eq!(link("/work/out/.", "/work/out/./p.json"), "p.json");
        // A variant's name goes into its trace file's name; `#` and spaces would break the link.
        assert_eq!(link("/w/out", "/w/out/p-a #1 é.json"), "p-a%20%231%20%C3%A9.json");
    }

    #[test]
    fn the_second_process_reads_a_leading_dash_as_a_name_not_a_flag() {
        use clap::Parser;
        let args = trace_args(Path::new("-odd.ron"), 7, true, "-x");
        let cli = crate::Cli::try_parse_from(std::iter::once("faultline".into()).chain(args));
        let Ok(crate::Cli { command: crate::Command::DeterminismTrace(trace) }) = cli else {
            panic!("{cli:?}")
        };
        assert_eq!((trace.variant.as_str(), trace.seed, trace.swarm), ("-x", 7, true));
        assert_eq!(trace.scenario, Path::new("-odd.ron"));
    }

    #[test]
    fn a_variant_name_stays_one_part_of_one_file_name() {
        let file = per_variant(Path::new("out/run.jsonl"), "a/../../escape", true);
        assert_eq!(file, Path::new("out/run.a%2F..%2F..%2Fescape.jsonl"));
        assert_eq!(file.parent(), Some(Path::new("out")));
        assert_eq!(
            per_variant(Path::new("out/run.jsonl"), "a/b", false),
            Path::new("out/run.jsonl")
        );
    }

    #[test]
    fn thousands_are_separated_by_commas() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(13013), "13,013");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    fn timer(at_ms: u64, node: u32, hash: u64) -> TraceRecord {
        TraceRecord {
            at: SimTime::from_millis(at_ms),
            hash,
            event: TraceEvent::Timer { node: NodeId(node), timer: "Tick".into() },
            subject: None,
        }
    }

    #[test]
    fn a_divergence_names_the_first_differing_event_of_both_runs() {
        let names = vec!["alice".to_string(), "bob".to_string()];
        let a = [timer(1, 0, 10), timer(2, 0, 11), timer(3, 1, 12)];
        let b = [timer(1, 0, 10), timer(2, 1, 99), timer(3, 1, 12)];
        let text = describe_divergence(&a, &b, &names);
        assert!(text.starts_with("event #1 differs"), "{text}");
        assert!(text.contains("first run:  at 2ms on alice"), "{text}");
        assert!(text.contains("second run: at 2ms on bob"), "{text}");
        let shorter = describe_divergence(&a, &a[..2], &names);
        assert!(shorter.contains("(the run had already ended)"), "{shorter}");
        assert_eq!(describe_divergence(&a, &a, &names), "");
    }

    #[test]
    fn traces_from_two_processes_are_compared_line_by_line() {
        assert_eq!(first_different_line("a\nb\n", "a\nb\n"), None);
        let text = first_different_line("a\nb\nc\n", "a\nx\nc\n").unwrap();
        assert!(text.starts_with("event #1 differs"), "{text}");
        assert!(
            text.contains("this process:    b") && text.contains("another process: x"),
            "{text}"
        );
        let shorter = first_different_line("a\nb\n", "a\n").unwrap();
        assert!(shorter.contains("another process: (the run had already ended)"), "{shorter}");
    }
}
