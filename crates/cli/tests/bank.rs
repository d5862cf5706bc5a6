//! The bank scenarios keep their promises over seed sweeps, checked the way a script would:
//! `faultline sweep … --json`. Races show up in many seeds; the fixes in none.

mod common;

use common::{faultline, stderr, stdout};
use serde_json::Value;

fn sweep(scenario: &str, seeds: &str) -> Value {
    let output = faultline(&["sweep", scenario, "--seeds", seeds, "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_str(&stdout(&output)).unwrap()
}

fn variant<'a>(json: &'a Value, name: &str) -> &'a Value {
    json["variants"].as_array().unwrap().iter().find(|v| v["name"] == name).unwrap()
}

fn violating(json: &Value, name: &str, invariant: &str) -> u64 {
    variant(json, name)["runs_violating"][invariant].as_u64().unwrap()
}

fn all_violations(json: &Value, name: &str) -> u64 {
    let counts = variant(json, name)["runs_violating"].as_object().unwrap();
    counts.values().map(|n| n.as_u64().unwrap()).sum()
}

#[test]
fn double_transfer_races_overdraw_and_the_fixes_never_do() {
    let json = sweep("scenarios/double-transfer.ron", "0..400");
    let runs = variant(&json, "check-then-debit")["runs"].as_u64().unwrap();
    assert_eq!(runs, 400);
    // The article's race: both checks pass in most interleavings.
    assert!(violating(&json, "check-then-debit", "no-negative-balance") > 200);
    assert_eq!(violating(&json, "check-then-debit", "conservation"), 0);
    // Absolute writes lose an update and create money, without ever going negative.
    assert!(violating(&json, "read-modify-write", "conservation") > 200);
    assert!(violating(&json, "read-modify-write", "no-lost-update") > 200);
    assert_eq!(violating(&json, "read-modify-write", "no-negative-balance"), 0);
    for fixed in ["atomic", "compare-and-set", "lock-lease-fencing", "single-writer"] {
        assert_eq!(all_violations(&json, fixed), 0, "{fixed}");
        let committed = &variant(&json, fixed)["metrics"]["transfers.committed"];
        assert_eq!(committed["min"], 1.0, "{fixed}: exactly one transfer goes through");
        assert_eq!(committed["max"], 1.0, "{fixed}");
    }
}

#[test]
fn retries_apply_transfers_twice_without_an_idempotency_key() {
    let json = sweep("scenarios/transfer-retries.ron", "0..200");
    assert!(violating(&json, "retry-without-key", "exactly-once") > 100);
    assert_eq!(all_violations(&json, "retry-with-key"), 0);
    let twice = &variant(&json, "retry-with-key")["metrics"]["transfers.applied_twice"];
    assert_eq!(twice["max"], 0.0);
}

#[test]
fn fencing_tokens_stop_the_paused_client_and_leases_alone_do_not() {
    let json = sweep("scenarios/lease-pause.ron", "0..200");
    assert_eq!(violating(&json, "lock-lease", "conservation"), 200);
    assert_eq!(violating(&json, "lock-lease", "no-lost-update"), 200);
    assert_eq!(all_violations(&json, "lock-lease-fencing"), 0);
    // The price of safety: the paused client's transfer fails instead.
    let availability = &variant(&json, "lock-lease-fencing")["metrics"]["availability"];
    assert_eq!(availability["mean"], 0.5);
}

#[test]
fn replication_trades_availability_for_consistency_during_a_partition() {
    let json = sweep("scenarios/double-transfer-replicated.ron", "0..200");
    // Asynchronous replication: always available, and overdrawn once the updates cross.
    assert_eq!(violating(&json, "async-replication", "no-negative-balance"), 200);
    let availability = |name: &str| variant(&json, name)["metrics"]["availability"]["mean"].clone();
    assert_eq!(availability("async-replication"), 1.0);
    // A primary or a quorum: never overdrawn; the minority side's transfer is refused.
    for consistent in ["sync-primary", "quorum"] {
        assert_eq!(all_violations(&json, consistent), 0, "{consistent}");
        assert_eq!(availability(consistent), 0.5, "{consistent}");
    }
    // Every variant's replicas agree once the partition has healed.
    for name in ["async-replication", "sync-primary", "quorum"] {
        assert_eq!(violating(&json, name, "replica-convergence"), 0, "{name}");
    }
}

#[test]
fn jitter_spreads_contending_retries_out() {
    let out = common::scratch("cas");
    let output = faultline(&[
        "run",
        "scenarios/cas-contention.ron",
        "--json",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let summary: Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let at_32 = |name: &str, chart: &str| {
        let v = summary["variants"].as_array().unwrap().iter().find(|v| v["name"] == name).unwrap();
        let points = v["series"][chart].as_array().unwrap();
        assert_eq!(points.last().unwrap()[0], 32.0);
        points.last().unwrap()[1].as_f64().unwrap()
    };
    // More clients, more collisions: attempts grow faster than the client count.
    assert!(at_32("no-backoff", "contention-calls") > 4.0 * 32.0);
    for jittered in ["full-jitter", "equal-jitter", "decorrelated-jitter"] {
        assert!(at_32(jittered, "contention-calls") < at_32("no-backoff", "contention-calls"));
        // Jitter finishes far sooner than exponential backoff that retries in lockstep.
        assert!(
            at_32(jittered, "contention-completion")
                < at_32("exponential", "contention-completion") / 2.0
        );
    }
    assert!(at_32("exponential", "contention-calls") < at_32("no-backoff", "contention-calls"));
}
