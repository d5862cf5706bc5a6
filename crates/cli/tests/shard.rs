//! End-to-end tests of `sweep --shard I/N` and `faultline merge`: shards merged give the
//! whole sweep's JSON byte for byte and its tables line for line, on several scenarios and
//! shard counts (more shards than seeds included); and merge refuses, with exit code 2 and
//! nothing on stdout, a missing or repeated shard and shards of different sweeps.

mod common;

use std::path::{Path, PathBuf};

use common::{faultline, scratch, stderr, stdout};

/// `faultline ARGS`, which must succeed; its stdout.
fn ok(args: &[&str]) -> String {
    let output = faultline(args);
    assert!(output.status.success(), "faultline {args:?}: {}", stderr(&output));
    stdout(&output)
}

/// Writes the shards `indices` of `count` of a sweep into `dir`; their paths.
fn shards(dir: &Path, sweep: &[&str], count: u64, indices: &[u64]) -> Vec<PathBuf> {
    indices
        .iter()
        .map(|index| {
            let spec = format!("{index}/{count}");
            let mut args = sweep.to_vec();
            args.extend(["--shard", &spec, "--json"]);
            let path = dir.join(format!("shard-{index}-of-{count}.json"));
            std::fs::write(&path, ok(&args)).unwrap();
            path
        })
        .collect()
}

/// `faultline merge PATHS EXTRA`.
fn merge(paths: &[PathBuf], extra: &[&str]) -> std::process::Output {
    let mut args = vec!["merge"];
    args.extend(paths.iter().map(|p| p.to_str().unwrap()));
    args.extend_from_slice(extra);
    faultline(&args)
}

/// Asserts `merged == whole`, showing where they first differ rather than both in full.
fn same(merged: &str, whole: &str, what: &str) {
    if merged != whole {
        let at = merged.bytes().zip(whole.bytes()).take_while(|(a, b)| a == b).count();
        let around = |text: &str| {
            text.get(at.saturating_sub(80)..(at + 40).min(text.len())).unwrap_or(text).to_owned()
        };
        panic!(
            "{what}: differs at byte {at}\nmerged: …{}\nwhole:  …{}",
            around(merged),
            around(whole)
        );
    }
}

/// Shards of `sweep` merged, in reverse order to show order does not matter, print what the
/// whole sweep prints: JSON, summary tables and `--details` tables.
fn merged_equals_whole(name: &str, sweep: &[&str], counts: &[u64]) {
    let dir = scratch(&format!("shard-{name}"));
    let with = |extra: &[&str]| {
        let mut args = sweep.to_vec();
        args.extend_from_slice(extra);
        ok(&args)
    };
    let (json, summary, details) = (with(&["--json"]), with(&[]), with(&["--details"]));
    for &count in counts {
        let mut paths = shards(&dir, sweep, count, &(1..=count).collect::<Vec<_>>());
        paths.reverse();
        let merged = |extra: &[&str]| {
            let output = merge(&paths, extra);
            assert!(output.status.success(), "{name} in {count}: {}", stderr(&output));
            stdout(&output)
        };
        same(&merged(&["--json"]), &json, &format!("{name} in {count} shards: JSON"));
        same(&merged(&[]), &summary, &format!("{name} in {count} shards: tables"));
        same(&merged(&["--details"]), &details, &format!("{name} in {count} shards: --details"));
    }
}

#[test]
fn shards_merge_into_the_whole_double_transfer() {
    let sweep = ["sweep", "scenarios/double-transfer.ron", "--seeds", "0..60"];
    merged_equals_whole("double-transfer", &sweep, &[1, 2, 3, 7]);
}

#[test]
fn shards_merge_into_the_whole_chat_swarm() {
    // Delivery latencies are fractional: their sums round differently split in 7 unless the
    // sums are exact.
    let sweep = ["sweep", "scenarios/chat-swarm.ron", "--seeds", "5..45"];
    merged_equals_whole("chat-swarm", &sweep, &[2, 3, 7]);
}

#[test]
fn shards_merge_into_the_whole_order_inventory() {
    let sweep = ["sweep", "scenarios/order-inventory.ron", "--seeds", "0..50"];
    merged_equals_whole("order-inventory", &sweep, &[3, 7]);
}

#[test]
fn shards_merge_into_the_whole_swarm_sweep_of_one_variant() {
    let sweep = [
        "sweep",
        "scenarios/lease-swarm.ron",
        "--seeds",
        "0..40",
        "--swarm",
        "--variant",
        "lock-lease",
    ];
    merged_equals_whole("lease-swarm", &sweep, &[2, 7]);
}

#[test]
fn more_shards_than_seeds_leave_some_empty_and_still_merge() {
    let sweep = ["sweep", "scenarios/double-transfer.ron", "--seeds", "10..15"];
    let dir = scratch("shard-sparse");
    let paths = shards(&dir, &sweep, 8, &[3]);
    let shard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&paths[0]).unwrap()).unwrap();
    assert_eq!(shard["shard_seeds"], serde_json::json!([11, 11]), "shard 3/8 of 5 seeds is empty");
    merged_equals_whole("sparse", &sweep, &[8]);
}

#[test]
fn a_shard_without_json_prints_the_tables_of_its_own_seeds() {
    let tables = ok(&[&DOUBLE[..], &["--shard", "2/3"]].concat());
    assert!(tables.starts_with("double-transfer, seeds 6..13: 7 runs per variant\n"), "{tables}");
}

#[test]
fn the_events_total_is_the_sum_of_single_runs() {
    let run = |seed: &str| -> u64 {
        let json: serde_json::Value = serde_json::from_str(&ok(&[
            "run",
            "scenarios/double-transfer.ron",
            "--seed",
            seed,
            "--variant",
            "atomic",
            "--json",
            "--out",
            scratch("shard-events").to_str().unwrap(),
        ]))
        .unwrap();
        json["variants"][0]["events"].as_u64().unwrap()
    };
    let sweep: serde_json::Value = serde_json::from_str(&ok(&[
        "sweep",
        "scenarios/double-transfer.ron",
        "--seeds",
        "3..6",
        "--variant",
        "atomic",
        "--json",
    ]))
    .unwrap();
    assert_eq!(sweep["variants"][0]["events"].as_u64().unwrap(), run("3") + run("4") + run("5"));
}

/// `merge PATHS` fails with exit code 2, nothing on stdout, and stderr containing `expected`.
fn refused(paths: &[PathBuf], expected: &str) {
    let output = merge(paths, &["--json"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert_eq!(stdout(&output), "", "nothing on stdout");
    let message = stderr(&output);
    assert!(message.contains(expected), "expected {expected:?} in:\n{message}");
    assert!(!message.contains("panicked"), "{message}");
}

const DOUBLE: [&str; 4] = ["sweep", "scenarios/double-transfer.ron", "--seeds", "0..20"];

#[test]
fn merge_refuses_a_missing_or_repeated_shard() {
    let dir = scratch("shard-refuse-count");
    let paths = shards(&dir, &DOUBLE, 4, &[1, 2, 3, 4]);
    refused(&paths[..3], "1 of 4 shards missing: 4/4");
    refused(&[paths[0].clone(), paths[2].clone()], "2 of 4 shards missing: 2/4, 4/4");
    let mut repeated = paths.clone();
    repeated.push(paths[1].clone());
    refused(&repeated, "are both shard 2/4: their seeds overlap");
    // Shards of another count overlap these: 1/3 holds seeds of 1/4 and 2/4.
    let other = shards(&dir, &DOUBLE, 3, &[1]);
    refused(&[paths[0].clone(), other[0].clone()], "shard count `4` and `3`");
}

#[test]
fn merge_refuses_shards_of_different_sweeps() {
    let dir = scratch("shard-refuse-sweeps");
    let base = shards(&dir, &DOUBLE, 2, &[1])[0].clone();
    let second = |sweep: &[&str], name: &str| {
        let path = shards(&dir, sweep, 2, &[2]).remove(0);
        let renamed = dir.join(name);
        std::fs::rename(&path, &renamed).unwrap();
        vec![base.clone(), renamed]
    };
    let chat = ["sweep", "scenarios/chat-swarm.ron", "--seeds", "0..20"];
    refused(&second(&chat, "chat.json"), "scenario `double-transfer` and `chat-swarm`");
    refused(
        &second(&["sweep", "scenarios/double-transfer.ron", "--seeds", "0..30"], "range.json"),
        "seed range `0..20` and `0..30`",
    );
    let mut swarm = DOUBLE.to_vec();
    swarm.push("--swarm");
    refused(&second(&swarm, "swarm.json"), "--swarm `false` and `true`");
    let mut one = DOUBLE.to_vec();
    one.extend(["--variant", "atomic"]);
    refused(&second(&one, "variant.json"), "variants `check-then-debit, ");

    // The same scenario name, but the file was edited between shards.
    let edited = dir.join("double-transfer.ron");
    let text =
        std::fs::read_to_string(common::repo().join("scenarios/double-transfer.ron")).unwrap();
    std::fs::write(&edited, format!("// edited\n{text}")).unwrap();
    let edited_sweep = ["sweep", edited.to_str().unwrap(), "--seeds", "0..20"];
    refused(&second(&edited_sweep, "edited.json"), "scenario file (FNV-1a of its text)");
}

#[test]
fn merge_refuses_another_version_and_files_that_are_not_shards() {
    let dir = scratch("shard-refuse-files");
    let paths = shards(&dir, &DOUBLE, 2, &[1, 2]);
    let text = std::fs::read_to_string(&paths[1]).unwrap();
    let old = dir.join("old.json");
    let version = format!("\"faultline_version\":\"{}\"", env!("CARGO_PKG_VERSION"));
    assert!(text.contains(&version));
    std::fs::write(&old, text.replace(&version, "\"faultline_version\":\"0.0.1\"")).unwrap();
    refused(&[paths[0].clone(), old], "was written by faultline 0.0.1");

    let whole = dir.join("whole.json");
    std::fs::write(&whole, ok(&[&DOUBLE[..], &["--json"]].concat())).unwrap();
    refused(&[paths[0].clone(), whole], "is not a shard file");
    let truncated = dir.join("truncated.json");
    std::fs::write(&truncated, &text[..text.len() / 2]).unwrap();
    refused(&[paths[0].clone(), truncated], "is not a shard file");
    refused(&[paths[0].clone(), dir.join("absent.json")], "cannot read shard");
}

#[test]
fn a_bad_shard_argument_exits_2_and_says_what_was_expected() {
    for bad in ["0/3", "4/3", "2", "x/3"] {
        let output = faultline(&[&DOUBLE[..], &["--shard", bad]].concat());
        assert_eq!(output.status.code(), Some(2), "{bad}");
        assert_eq!(stdout(&output), "");
        assert!(stderr(&output).contains("expected `I/N` with 1 <= I <= N"), "{}", stderr(&output));
    }
}

#[test]
fn shard_counts_are_bounded_and_merge_never_walks_the_missing_ones() {
    let output = faultline(&[&DOUBLE[..], &["--shard", "1/1000000000000", "--json"]].concat());
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stdout(&output), "");
    assert!(stderr(&output).contains("at most 100000 shards"), "{}", stderr(&output));
    // A shard file that claims a huge count is refused at once, in bounded memory.
    let dir = scratch("shard-huge-count");
    let path = shards(&dir, &DOUBLE, 2, &[1]).remove(0);
    let edit = |name: &str, change: &dyn Fn(&mut serde_json::Value)| {
        let mut shard: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        change(&mut shard);
        let edited = dir.join(name);
        std::fs::write(&edited, shard.to_string()).unwrap();
        edited
    };
    let huge = edit("huge.json", &|shard| {
        shard["shard"] = serde_json::json!([1, 1_000_000_000_000u64]);
        shard["shard_seeds"] = serde_json::json!([0, 0]);
    });
    refused(&[huge], "a sweep has seeds and 1 to 100000 shards");
    // The largest count allowed: 99,999 missing shards, the first ten of them named.
    let most = edit("most.json", &|shard| {
        shard["shard"] = serde_json::json!([1, 100_000]);
        shard["shard_seeds"] = serde_json::json!([0, 0]);
        for tally in shard["tallies"].as_array_mut().unwrap() {
            tally["runs"] = serde_json::json!(0);
            tally["events"] = serde_json::json!(0);
            tally["runs_anomalous"] = serde_json::json!(0);
            tally["metrics"] = serde_json::json!({});
            for invariant in tally["invariants"].as_array_mut().unwrap() {
                invariant[1] = serde_json::json!(0);
                invariant[2] = serde_json::json!([]);
            }
        }
    });
    refused(&[most], "99999 of 100000 shards missing: 2/100000, 3/100000");
}

#[test]
fn merge_refuses_a_shard_whose_counts_do_not_add_up() {
    let dir = scratch("shard-refuse-counts");
    let paths = shards(&dir, &DOUBLE, 2, &[1, 2]);
    let text = std::fs::read_to_string(&paths[1]).unwrap();
    let edited = |name: &str, change: &dyn Fn(&mut serde_json::Value)| {
        let mut shard: serde_json::Value = serde_json::from_str(&text).unwrap();
        change(&mut shard["tallies"][0]);
        let path = dir.join(name);
        std::fs::write(&path, shard.to_string()).unwrap();
        vec![paths[0].clone(), path]
    };
    // Shard 2/2 of 0..20 holds 10 seeds: 10..20.
    let violating = edited("violating.json", &|tally| tally["invariants"][0][1] = 500_000.into());
    refused(&violating, "its counts do not add up: variant `check-then-debit` violates");
    let runs = edited("runs.json", &|tally| tally["runs"] = 11.into());
    refused(&runs, "variant `check-then-debit` ran 11 times, not 10");
    let anomalous = edited("anomalous.json", &|tally| tally["runs_anomalous"] = 11.into());
    refused(&anomalous, "11 anomalous runs of 10");
    let seed = edited("seed.json", &|tally| {
        tally["invariants"][0][1] = 1.into();
        tally["invariants"][0][2] = serde_json::json!([3]);
    });
    refused(&seed, "lists seed 3 as violating `no-negative-balance`");
    let metric =
        edited("metric.json", &|tally| tally["metrics"]["availability"]["runs"] = 11.into());
    refused(&metric, "has 11 runs of `availability` of 10");
}
