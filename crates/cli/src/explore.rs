//! `faultline explore`: every interleaving of a small scenario, a thread per variant; the
//! table of schedules and violations, the shortest violating schedule step by step, and
//! its spacetime diagram in a folder of its own.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::thread;

use clap::Args;
use faultline_outcome::Exploration;
use faultline_report::{
    ExploreReport, explore_json, explore_text, shortest_failure, spacetime_png, spacetime_svg,
};
use faultline_scenario::{Reduction, Refusal, Scenario, Variant};

use crate::Failure;
use crate::commands::{load, select};
use crate::output::{self, Staged, percent_encoded, prepare_report_dir};

#[derive(Args, Debug)]
pub struct ExploreArgs {
    /// The scenario file (RON): small enough that a run takes at most 400 events, with
    /// fixed faults and no random loss.
    pub scenario: PathBuf,
    /// Explore only this variant (repeatable; default: all).
    #[arg(long = "variant", value_name = "NAME")]
    pub variants: Vec<String>,
    /// Stop a variant's search after this many schedules; it is then reported as stopped,
    /// not complete.
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    pub max_schedules: u64,
    /// Run every order of events, without reduction: slow, but it shows what the
    /// reduction saves.
    #[arg(long)]
    pub no_reduction: bool,
    /// Print exactly one JSON object to stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Folder for the diagrams of the shortest violating schedules (default: `reports/` +
    /// the scenario's name + `-explore`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Explores every variant asked for; exit code 1 when some schedule broke an invariant.
pub fn explore(args: &ExploreArgs) -> Result<ExitCode, Failure> {
    let scenario = load(&args.scenario)?;
    let variants = select(&scenario, &args.variants)?;
    let refused = |refusal: Refusal| {
        Failure::usage(format!("error: cannot explore {}: {refusal}", args.scenario.display()))
    };
    // Every refusal before any search, so that nothing is half done.
    scenario.explorable().map_err(refused)?;
    for variant in &variants {
        scenario.steps(variant).map_err(refused)?;
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("reports").join(format!("{}-explore", scenario.name)));
    prepare_report_dir(&out).map_err(|e| Failure::usage(format!("error: {e}")))?;
    let reduction = if args.no_reduction { Reduction::None } else { Reduction::Dpor };

    let explorations =
        explore_all(&scenario, &variants, args.max_schedules, reduction).map_err(refused)?;
    let names = scenario.node_names();
    let mut files = Vec::new();
    let mut diagrams = Vec::new();
    for exploration in &explorations {
        let Some(failure) = shortest_failure(exploration, &names) else {
            diagrams.push(None);
            continue;
        };
        let diagram = failure.diagram(&names);
        let render = |e: faultline_report::RenderError| Failure::usage(format!("error: {e}"));
        // Encoded, so that no name, whatever the loader let through, leaves the folder.
        let stem = percent_encoded(&exploration.variant);
        files.push((format!("{stem}.svg"), spacetime_svg(&diagram).map_err(render)?.into_bytes()));
        files.push((format!("{stem}.png"), spacetime_png(&diagram).map_err(render)?));
        diagrams.push(Some(out.join(format!("{stem}.svg")).display().to_string()));
    }
    let report = ExploreReport {
        scenario: &scenario.name,
        reduction: reduction.describe(),
        explorations: &explorations,
        names: &names,
        diagrams: &diagrams,
        notes: &scenario.explore_notes(),
    };
    let json = format!("{:#}\n", explore_json(&report));
    let cannot_write = |path: &Path, e: std::io::Error| Failure {
        code: 2,
        message: format!("error: cannot write {}: {e}", path.display()),
    };
    // The folder is put in place only once it is whole and standard output took the text.
    let mut staged = Staged::default();
    if !files.is_empty() {
        files.insert(0, ("summary.json".to_owned(), json.clone().into_bytes()));
        staged.folder(&out, &files).map_err(|e| cannot_write(&out, e))?;
    }
    if args.json {
        output::stdout(&json)?;
    } else {
        output::stdout(&explore_text(&report))?;
    }
    staged.commit().map_err(|(path, e)| cannot_write(&path, e))?;
    let violated = explorations.iter().any(|e| e.shortest.is_some());
    Ok(if violated { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// Explores each variant on its own thread; results in the scenario's order.
fn explore_all(
    scenario: &Scenario,
    variants: &[&Variant],
    max_schedules: u64,
    reduction: Reduction,
) -> Result<Vec<Exploration>, Refusal> {
    thread::scope(|scope| {
        let searches: Vec<_> = variants
            .iter()
            .map(|variant| scope.spawn(move || scenario.explore(variant, max_schedules, reduction)))
            .collect();
        searches.into_iter().map(|search| search.join().expect("a search panicked")).collect()
    })
}
