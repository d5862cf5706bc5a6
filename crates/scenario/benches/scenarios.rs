//! The `scenarios` benchmark: every bundled scenario's variants at the scenario's seed, in
//! events per second, against the engine's `rr` workload measured in alternation with it, so
//! the ratio means something on a noisy machine: how close each model comes to the engine.
//!
//! `cargo bench -p faultline-scenario --bench scenarios [-- NAME...]`

#![allow(clippy::disallowed_methods)] // a benchmark measures wall time; nothing here is a run

use std::path::Path;

use faultline_models::rr;
use faultline_scenario::{Scenario, parse};

#[path = "../../models/benches/common/mod.rs"]
mod common;
use common::best_of_alternating;

const ROUNDS: usize = 5;
/// About as long as a payment-partition seed, so both are timed over similar spells.
const RR_ROUNDTRIPS: u64 = 200_000;

fn bundled(names: &[String]) -> Vec<Scenario> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&folder)
        .expect("the bundled scenarios")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "ron"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|path| {
            let source = std::fs::read_to_string(path).expect("a readable scenario");
            parse(&source, &path.display().to_string()).expect("a bundled scenario parses")
        })
        .filter(|scenario| names.is_empty() || names.contains(&scenario.name))
        .collect()
}

fn main() {
    // `cargo bench` passes `--bench`; other arguments name the scenarios to run.
    let names: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    println!(
        "{:<28} {:>12} {:>9} {:>14} {:>14} {:>9}",
        "scenario", "events", "wall_s", "events_per_s", "rr_msgs_per_s", "ratio"
    );
    for scenario in bundled(&names) {
        let ((rr, rr_s), (events, wall_s)) = best_of_alternating(
            ROUNDS,
            || rr::run(RR_ROUNDTRIPS, 1).expect("rr has no event limit"),
            || {
                let runs = scenario.variants.iter().map(|variant| {
                    scenario.run(scenario.seed, variant, false).expect("a bundled run").events
                });
                runs.sum::<u64>()
            },
        );
        let (per_s, rr_per_s) = (events as f64 / wall_s, rr.messages as f64 / rr_s);
        println!(
            "{:<28} {events:>12} {wall_s:>9.3} {per_s:>14.0} {rr_per_s:>14.0} {:>9.3}",
            scenario.name,
            per_s / rr_per_s
        );
    }
    println!("ratio: events per second over rr's messages per second, one core");
}
