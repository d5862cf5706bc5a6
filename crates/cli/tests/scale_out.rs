//! The scale-out recipes of `docs/scale-out.md`, run as far as one machine allows: GNU
//! parallel's local form (when `parallel` is installed; `.ci/run` installs it), the Slurm
//! script once per array task, and the Kubernetes Indexed Job's command once per index. In
//! each, the shards merge into exactly the whole sweep's JSON.

mod common;

use std::path::Path;
use std::process::Command;

use common::{faultline, repo, scratch, stderr, stdout};

const SEEDS: &str = "0..600";
const SHARDS: u32 = 3;

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_faultline")
}

/// The whole sweep's JSON, and the merge of the shard files in `dir`.
fn whole_and_merged(dir: &Path) -> (String, String) {
    let whole = faultline(&["sweep", "scenarios/double-transfer.ron", "--seeds", SEEDS, "--json"]);
    assert!(whole.status.success(), "{}", stderr(&whole));
    let mut shards: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| p.display().to_string())
        .collect();
    shards.sort();
    assert_eq!(shards.len(), SHARDS as usize, "one file per shard in {}", dir.display());
    let mut args = vec!["merge", "--json"];
    args.extend(shards.iter().map(String::as_str));
    let merged = faultline(&args);
    assert!(merged.status.success(), "{}", stderr(&merged));
    (stdout(&whole), stdout(&merged))
}

/// Runs `script` with `sh -c` in `dir`, with `faultline` on the PATH and `env` set.
fn sh(script: &str, dir: &Path, env: &[(&str, String)]) {
    let bin_dir = Path::new(binary()).parent().unwrap();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let output = Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .env("PATH", path)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    assert!(output.status.success(), "{script}\n{}", String::from_utf8_lossy(&output.stderr));
}

/// `docs/scale-out.md`'s text with the bundled scenario's path made absolute and the seeds
/// made few, so a recipe runs here in a moment.
fn localised(line: &str, seeds: &str) -> String {
    let scenario = repo().join("scenarios/double-transfer.ron");
    line.replace("scenarios/double-transfer.ron", &scenario.display().to_string())
        .replace(seeds, SEEDS)
}

#[test]
fn gnu_parallel_shards_merge_into_the_whole_sweep() {
    if Command::new("parallel").arg("--version").output().is_err() {
        // CI installs it (`.ci/run`), so there a missing `parallel` is a broken CI.
        assert!(std::env::var_os("CI").is_none(), "CI runs without GNU parallel");
        eprintln!("skipped: GNU parallel is not installed (`apt-get install parallel`)");
        return;
    }
    let doc = std::fs::read_to_string(repo().join("docs/scale-out.md")).unwrap();
    let line = doc.lines().find(|l| l.starts_with("parallel faultline sweep")).unwrap();
    let line =
        localised(line, "0..100000").replace("::: 1 2 3 4", "::: 1 2 3").replace("/4 ", "/3 ");
    let dir = scratch("scale-out-parallel");
    sh(&line, &dir, &[]);
    let (whole, merged) = whole_and_merged(&dir);
    assert_eq!(merged, whole);
}

#[test]
fn the_slurm_array_script_writes_a_shard_per_task_that_merge_together() {
    let dir = scratch("scale-out-slurm");
    let script = repo().join("deploy/slurm/sweep.sbatch");
    let scenario = repo().join("scenarios/double-transfer.ron");
    for task in 1..=SHARDS {
        let run = format!("{} {} {SEEDS}", script.display(), scenario.display());
        let env = [
            ("SLURM_ARRAY_TASK_ID", task.to_string()),
            ("SLURM_ARRAY_TASK_COUNT", SHARDS.to_string()),
            ("FAULTLINE", binary().to_owned()),
        ];
        sh(&run, &dir, &env);
    }
    let (whole, merged) = whole_and_merged(&dir.join("shards"));
    assert_eq!(merged, whole);
}

#[test]
fn the_kubernetes_indexed_job_runs_a_shard_per_index_that_merge_together() {
    let manifest =
        std::fs::read_to_string(repo().join("deploy/kubernetes/sweep-job.yaml")).unwrap();
    assert!(manifest.contains("completionMode: Indexed"));
    let field = |name: &str| {
        let line = manifest.lines().find(|l| l.trim_start().starts_with(name)).unwrap();
        line.split(':').nth(1).unwrap().split('#').next().unwrap().trim().to_owned()
    };
    let value_after = |name: &str| {
        let lines: Vec<&str> = manifest.lines().collect();
        let at = lines.iter().position(|l| l.trim() == format!("- name: {name}")).unwrap();
        let value = lines[at + 1].split('#').next().unwrap();
        value.trim().trim_start_matches("value:").trim().trim_matches('"').to_owned()
    };
    assert_eq!(field("completions"), value_after("SHARDS"), "completions and SHARDS agree");
    // The folded (`>-`) command: its lines joined by spaces.
    let start = manifest.lines().position(|l| l.trim() == "- >-").unwrap();
    let command: Vec<&str> = manifest
        .lines()
        .skip(start + 1)
        .take_while(|l| !l.trim_start().starts_with("volumeMounts:"))
        .map(str::trim)
        .collect();
    let dir = scratch("scale-out-kubernetes");
    let command = command.join(" ").replace("/shards/", &format!("{}/", dir.display()));
    let scenario = repo().join("scenarios/double-transfer.ron");
    for index in 0..SHARDS {
        let env = [
            ("JOB_COMPLETION_INDEX", index.to_string()),
            ("SCENARIO", scenario.display().to_string()),
            ("SEEDS", SEEDS.to_owned()),
            ("SHARDS", SHARDS.to_string()),
        ];
        sh(&command, &dir, &env);
    }
    let (whole, merged) = whole_and_merged(&dir);
    assert_eq!(merged, whole);
}
