//! End-to-end tests of `faultline shrink`: the shrunk file loads and breaks the same
//! invariant when run, shrinking is deterministic, the chat-swarm's failure gets much
//! smaller, the command `sweep` prints works, and bad input exits 2 without writing a file.

mod common;

use std::path::{Path, PathBuf};

use common::{faultline, scratch, stderr, stdout};
use serde_json::Value;

const SWARM: &str = "scenarios/chat-swarm.ron";

/// Shrinks `args` into `out` and returns what it printed; the command must succeed.
fn shrink(args: &[&str], out: &Path) -> String {
    let mut all = vec!["shrink"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--out", out.to_str().unwrap()]);
    let output = faultline(&all);
    assert!(output.status.success(), "{}", stderr(&output));
    stdout(&output)
}

/// `faultline run FILE --json` (report in a scratch folder), with its only variant.
fn run_json(file: &str, args: &[&str], report: &Path) -> Value {
    let mut all = vec!["run", file, "--json", "--out", report.to_str().unwrap()];
    all.extend_from_slice(args);
    let output = faultline(&all);
    assert!(output.status.success(), "{}", stderr(&output));
    let json: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let variants = json["variants"].as_array().unwrap();
    assert_eq!(variants.len(), 1, "{json}");
    variants[0].clone()
}

fn broken(variant: &Value) -> Vec<String> {
    let violations = variant["violations"].as_array().unwrap();
    violations.iter().map(|v| v["invariant"].as_str().unwrap().to_owned()).collect()
}

/// The number of faults `--print-schedule` shows for a file and seed.
fn faults(file: &str, seed: &str) -> usize {
    let output = faultline(&["run", file, "--seed", seed, "--print-schedule"]);
    assert!(output.status.success(), "{}", stderr(&output));
    stdout(&output).lines().filter(|line| line.starts_with("    ")).count()
}

#[test]
fn a_shrunk_chat_swarm_failure_reproduces_with_far_fewer_faults_and_messages() {
    let dir = scratch("shrink-swarm");
    let out = dir.join("swarm.ron");
    let args = [SWARM, "--seed", "3", "--variant", "fire-and-forget", "--invariant", "no-loss"];
    let printed = shrink(&args, &out);
    let file = out.to_str().unwrap();
    assert!(printed.contains("still breaks `no-loss`"), "{printed}");
    assert!(printed.contains(&format!("run it: faultline run {file}")), "{printed}");

    // The file loads on its own and its run breaks the same invariant.
    let shrunk = run_json(file, &[], &dir.join("report"));
    assert!(broken(&shrunk).contains(&"no-loss".to_owned()), "{shrunk}");
    let original = run_json(
        SWARM,
        &["--seed", "3", "--variant", "fire-and-forget"],
        &dir.join("original-report"),
    );
    let sent = |v: &Value| v["metrics"]["messages.sent"].as_f64().unwrap();
    assert!(sent(&shrunk) * 10.0 <= sent(&original), "{} of {}", sent(&shrunk), sent(&original));
    assert!(shrunk["events"].as_u64().unwrap() * 10 <= original["events"].as_u64().unwrap());
    let (before, after) = (faults(SWARM, "3"), faults(file, "3"));
    assert!(before >= 6 && after < before, "{before} → {after} faults");

    // The run's report draws the failure.
    assert!(dir.join("report/spacetime.svg").is_file());
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("// Shrunk from scenarios/chat-swarm.ron (seed 3"), "{text}");
    assert!(text.contains("seed: 3,") && text.contains("(name: \"fire-and-forget\""), "{text}");
    assert!(!text.contains("ack-and-retransmit"), "one variant only: {text}");
}

#[test]
fn shrinking_is_deterministic() {
    let dir = scratch("shrink-deterministic");
    let out = dir.join("retries.ron");
    let args = ["scenarios/transfer-retries.ron", "--seed", "5", "--variant", "retry-without-key"];
    let first_output = shrink(&args, &out);
    let first = std::fs::read(&out).unwrap();
    std::fs::remove_file(&out).unwrap();
    let second_output = shrink(&args, &out);
    assert_eq!(first, std::fs::read(&out).unwrap(), "the same file, byte for byte");
    assert_eq!(first_output, second_output);
}

#[test]
fn a_shrunk_bank_run_keeps_a_loss_window_and_fewer_transfers() {
    let dir = scratch("shrink-bank");
    let out = dir.join("retries.ron");
    let args = ["scenarios/transfer-retries.ron", "--seed", "5", "--variant", "retry-without-key"];
    let printed = shrink(&args, &out);
    assert!(printed.contains("workload: 20 transfers by 1 client → "), "{printed}");
    assert!(printed.contains("    Loss(between: ([\"alice\"], [\"bank\"])"), "{printed}");
    let shrunk = run_json(out.to_str().unwrap(), &[], &dir.join("report"));
    assert_eq!(broken(&shrunk).first().map(String::as_str), Some("exactly-once"), "{shrunk}");
    let text = std::fs::read_to_string(&out).unwrap();
    // The rest of the file is as its author wrote it.
    assert!(text.contains("    request_timeout: \"100ms\",\n"), "{text}");
    assert!(text.contains("idempotency_key: false"), "{text}");
}

#[test]
fn the_shrink_command_a_sweep_prints_works() {
    let output = faultline(&["sweep", SWARM, "--seeds", "0..5"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let printed = stdout(&output);
    let line = printed.lines().find_map(|l| l.strip_prefix("shrink:")).expect("a shrink line");
    assert_eq!(
        line.trim(),
        "faultline shrink scenarios/chat-swarm.ron --seed 0 --variant fire-and-forget \
         --invariant no-loss"
    );
    let dir = scratch("shrink-from-sweep");
    let words: Vec<&str> = line.split_whitespace().skip(2).collect();
    let shrunk = shrink(&words, &dir.join("x.ron"));
    assert!(shrunk.contains("still breaks `no-loss`"), "{shrunk}");
}

/// Runs `shrink ARGS --out` into a fresh folder; it must exit 2, say `expected` on stderr,
/// print nothing and write nothing.
fn refused(name: &str, args: &[&str], expected: &[&str]) {
    let dir = scratch(name);
    let out: PathBuf = dir.join("x.ron");
    let mut all = vec!["shrink"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--out", out.to_str().unwrap()]);
    let output = faultline(&all);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert_eq!(stdout(&output), "");
    for text in expected {
        assert!(stderr(&output).contains(text), "{text:?} in {}", stderr(&output));
    }
    assert!(!out.exists(), "no file written");
}

#[test]
fn bad_requests_exit_2_and_write_nothing() {
    let swarm = |more: &[&'static str]| [&[SWARM, "--seed", "3"], more].concat();
    refused(
        "shrink-variant",
        &swarm(&["--variant", "fire-and-forgt"]),
        &["no variant `fire-and-forgt`", "did you mean `fire-and-forget`?"],
    );
    refused(
        "shrink-invariant",
        &swarm(&["--variant", "fire-and-forget", "--invariant", "no-los"]),
        &["no invariant `no-los`", "did you mean `no-loss`?"],
    );
    refused(
        "shrink-holds",
        &swarm(&["--variant", "ack-and-retransmit"]),
        &[
            "breaks no invariant with this seed: `no-loss`, `no-duplicate`, `in-order` held",
            "faultline sweep scenarios/chat-swarm.ron",
        ],
    );
    refused(
        "shrink-unchecked",
        &[
            "scenarios/transfer-retries.ron",
            "--seed",
            "5",
            "--variant",
            "retry-without-key",
            "--invariant",
            "replica-convergence",
        ],
        &[
            "the scenario does not check `replica-convergence`: there are no replicas",
            "it checks `no-negative-balance`",
        ],
    );
    // One run cannot both find the failure and check the file that reproduces it.
    refused(
        "shrink-one-run",
        &swarm(&["--variant", "fire-and-forget", "--max-runs", "1"]),
        &["invalid value '1' for '--max-runs <N>'"],
    );
}

#[test]
fn an_existing_file_is_replaced_only_with_force() {
    let dir = scratch("shrink-existing");
    let out = dir.join("mine.ron");
    std::fs::write(&out, "precious").unwrap();
    let args = ["shrink", SWARM, "--seed", "3", "--variant", "fire-and-forget", "--out"];
    let output = faultline(&[&args[..], &[out.to_str().unwrap()]].concat());
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert_eq!(stdout(&output), "");
    let message = stderr(&output);
    assert!(
        message.contains("mine.ron already exists; shrink does not replace a file"),
        "{message}"
    );
    assert!(message.contains("pass --force to replace it"), "{message}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "precious", "left alone");
    let forced = faultline(&[&args[..], &[out.to_str().unwrap(), "--force"]].concat());
    assert!(forced.status.success(), "{}", stderr(&forced));
    assert!(std::fs::read_to_string(&out).unwrap().contains("Scenario("), "replaced");
}
