//! `faultline shrink`: the smallest run found that still breaks an invariant, written as a
//! scenario file that is loaded and run again before the command says it worked.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use faultline_report::{shell_word, shrink_command};
use faultline_scenario::{Models, ShrinkError, ShrinkRequest, Shrunk};

use crate::Failure;
use crate::commands::{load_source, run_one, thousands};
use crate::output::{self, Staged, percent_encoded};

/// Runs a search may make unless `--max-runs` says otherwise: a few seconds for the bundled
/// scenarios.
const DEFAULT_MAX_RUNS: u32 = 400;

#[derive(Args, Debug)]
pub struct ShrinkArgs {
    /// The scenario file (RON).
    pub scenario: PathBuf,
    /// The seed of the failing run.
    #[arg(long)]
    pub seed: u64,
    /// The variant whose run fails.
    #[arg(long, value_name = "NAME")]
    pub variant: String,
    /// The invariant that must keep breaking (default: the first one the run breaks).
    #[arg(long, value_name = "NAME")]
    pub invariant: Option<String>,
    /// Where to write the shrunk scenario (default:
    /// `reports/shrunk/<scenario>-<variant>-seed<S>.ron`). Running it writes its report to
    /// `reports/<scenario>-shrunk-<variant>-seed<S>/`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Replace the file at `--out` (or the default path) if there is one; without it an
    /// existing file is left alone and nothing runs (exit code 2).
    #[arg(long)]
    pub force: bool,
    /// Stop after this many runs, with the smallest failing run found so far (said when it
    /// happens). At least 2: the failing run, and the run of its schedule as a file.
    #[arg(
        long,
        value_name = "N",
        default_value_t = DEFAULT_MAX_RUNS,
        value_parser = clap::value_parser!(u32).range(2..)
    )]
    pub max_runs: u32,
}

pub fn shrink(args: &ShrinkArgs) -> Result<ExitCode, Failure> {
    let (source, scenario) = load_source(&args.scenario)?;
    let file = args.scenario.display().to_string();
    let out = args.out.clone().unwrap_or_else(|| {
        let variant = percent_encoded(&args.variant);
        let name = format!("{}-{variant}-seed{}.ron", scenario.name, args.seed);
        Path::new("reports").join("shrunk").join(name)
    });
    let out_text = out.display().to_string();
    // Checked before the search, so a refusal costs no runs. A dangling link counts too.
    if !args.force && out.symlink_metadata().is_ok() {
        return Err(Failure::usage(format!(
            "error: {out_text} already exists; shrink does not replace a file\n  help: pass \
             --force to replace it, or --out FILE to write another"
        )));
    }
    let mut made_with = shrink_command(&file, args.seed, &args.variant, args.invariant.as_deref());
    if args.max_runs != DEFAULT_MAX_RUNS {
        made_with.push_str(&format!(" --max-runs {}", args.max_runs));
    }
    let run_with = format!("faultline run {}", shell_word(&out_text));
    let models = Models::builtin();
    let request = ShrinkRequest {
        source: &source,
        file: &file,
        seed: args.seed,
        variant: &args.variant,
        invariant: args.invariant.as_deref(),
        max_runs: args.max_runs,
        made_with: &made_with,
        run_with: &run_with,
        models: &models,
    };
    let shrunk = faultline_scenario::shrink(&scenario, &request).map_err(|e| {
        // A run written out that no longer fails is our bug, not the user's input.
        let code = if matches!(e, ShrinkError::NotReproduced(_)) { 1 } else { 2 };
        Failure { code, message: format!("error: {file}, seed {}: {e}", args.seed) }
    })?;
    verify(&shrunk, &out_text)?;
    let cannot_write = |e: std::io::Error| Failure {
        code: 2,
        message: format!("error: cannot write {out_text}: {e}"),
    };
    // The file takes its place only once standard output took the summary.
    let mut staged = Staged::default();
    staged.file(&out, shrunk.text.as_bytes()).map_err(cannot_write)?;
    output::stdout(&summary(&scenario.name, args, &shrunk, &out_text, &run_with))?;
    staged.commit().map_err(|(_, e)| cannot_write(e))?;
    Ok(ExitCode::SUCCESS)
}

/// Loads the shrunk file's text as `faultline run` would and runs it: it must break the
/// same invariant, or nothing is written (exit 1).
fn verify(shrunk: &Shrunk, out: &str) -> Result<(), Failure> {
    let failure = |why: String| Failure {
        code: 1,
        message: format!(
            "error: the shrunk scenario {why}; nothing was written to {out}. This is a bug in \
             faultline shrink"
        ),
    };
    let scenario = faultline_scenario::parse(&shrunk.text, out)
        .map_err(|errors| failure(format!("does not load:\n{errors}")))?;
    let [variant] = scenario.variants.as_slice() else {
        return Err(failure(format!("has {} variants, not one", scenario.variants.len())));
    };
    let outcome = run_one(&scenario, scenario.seed, variant, false)?;
    if !outcome.violations.iter().any(|v| v.invariant == shrunk.invariant) {
        return Err(failure(format!("does not break `{}` when run", shrunk.invariant)));
    }
    Ok(())
}

/// What the search removed, before → after, and how to run the result.
fn summary(name: &str, args: &ShrinkArgs, shrunk: &Shrunk, out: &str, run_with: &str) -> String {
    let (before, after) = (&shrunk.before, &shrunk.after);
    let mut text = format!(
        "{name}, seed {}, variant {}: still breaks `{}` after shrinking, in {} runs\n",
        args.seed, args.variant, shrunk.invariant, shrunk.runs
    );
    let row =
        |what: &str, before: String, after: String| format!("  {what:<9} {before} → {after}\n");
    text.push_str(&row("faults:", before.faults.to_string(), after.faults.to_string()));
    for fault in &shrunk.faults {
        text.push_str(&format!("    {fault}\n"));
    }
    if let (Some(from), Some(to)) = (&before.workload, &after.workload) {
        text.push_str(&row("workload:", from.clone(), to.clone()));
    }
    text.push_str(&row("events:", thousands(before.events), thousands(after.events)));
    if shrunk.stopped_by_max_runs {
        text.push_str(&format!(
            "the search stopped after --max-runs {}: a smaller run may still break it\n",
            args.max_runs
        ));
    }
    text.push_str(&format!("wrote {out}\nrun it: {run_with}\n"));
    text
}
