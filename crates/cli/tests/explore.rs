//! `faultline explore` end to end: the JSON contract, exit codes, the diagram it writes,
//! and the scenarios it refuses without writing anything.

mod common;

use common::{faultline, repo, stderr, stdout};
use serde_json::Value;

#[test]
fn explore_reports_every_variant_and_exits_1_on_a_violation() {
    let out = "target/explore-test/double-transfer";
    let output = faultline(&["explore", "scenarios/double-transfer.ron", "--json", "--out", out]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let json: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(json["scenario"], "double-transfer");
    let variants = json["variants"].as_array().unwrap();
    assert_eq!(variants.len(), 6);
    for variant in variants {
        let name = variant["name"].as_str().unwrap();
        assert_eq!(variant["complete"], true, "{name}");
        let broken: u64 = variant["runs_violating"]
            .as_object()
            .unwrap()
            .values()
            .map(|n| n.as_u64().unwrap())
            .sum();
        let unsafe_ = ["check-then-debit", "read-modify-write"].contains(&name);
        assert_eq!(broken > 0, unsafe_, "{name}: {variant}");
        assert_eq!(variant["shortest"].is_null(), !unsafe_, "{name}");
    }
    let shortest = &variants[0]["shortest"];
    assert_eq!(shortest["invariant"], "no-negative-balance");
    let diagram = shortest["diagram"].as_str().unwrap();
    assert_eq!(diagram, format!("{out}/check-then-debit.svg"));
    let svg = std::fs::read_to_string(repo().join(diagram)).unwrap();
    assert!(svg.contains("T1: debit X $100.00"), "the diagram draws the schedule");
    // The same JSON is kept next to the diagrams.
    let kept = std::fs::read_to_string(repo().join(out).join("summary.json")).unwrap();
    assert_eq!(serde_json::from_str::<Value>(&kept).unwrap(), json);
    insta::assert_snapshot!("explore_double_transfer_check_then_debit", shortest.to_string());
}

#[test]
fn a_safe_variant_exits_0_and_writes_nothing() {
    let out = "target/explore-test/safe";
    let _ = std::fs::remove_dir_all(repo().join(out));
    let output = faultline(&[
        "explore",
        "scenarios/double-transfer.ron",
        "--variant",
        "atomic",
        "--out",
        out,
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let verdict = "no order of events breaks a checked invariant (every order run, latencies \
                   ignored, timing not explored): atomic";
    assert!(stdout(&output).replace('\n', " ").contains(verdict), "{}", stdout(&output));
    assert!(!repo().join(out).exists());
}

#[test]
fn too_large_or_random_scenarios_are_refused_with_exit_2_and_no_output() {
    for (scenario, says) in [
        ("scenarios/payment-partition.ron", "explore follows runs of at most 400 events"),
        ("scenarios/chat-swarm.ron", "--print-schedule"),
    ] {
        let out = "target/explore-test/refused";
        let output = faultline(&["explore", scenario, "--out", out]);
        assert_eq!(output.status.code(), Some(2), "{scenario}");
        assert!(stdout(&output).is_empty(), "{scenario}: no partial output");
        let message = stderr(&output);
        assert!(message.starts_with(&format!("error: cannot explore {scenario}: ")), "{message}");
        assert!(message.contains(says), "{scenario}: {message}");
        assert!(!repo().join(out).exists());
    }
    let output = faultline(&["explore", "scenarios/double-transfer.ron", "--variant", "atomik"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("did you mean `atomic`?"));
}

#[test]
fn a_stopped_search_says_so() {
    let output = faultline(&[
        "explore",
        "scenarios/double-transfer.ron",
        "--variant",
        "lock-lease-fencing",
        "--max-schedules",
        "100",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("stopped"), "{text}");
    assert!(text.contains("raise --max-schedules"), "{text}");
}

#[test]
fn an_unbounded_latency_is_said_to_let_every_timeout_fire_first() {
    let dir = common::scratch("explore-lognormal");
    let source = std::fs::read_to_string(repo().join("scenarios/double-transfer.ron")).unwrap();
    let lognormal = source.replace(
        r#"latency: Uniform(min: "1ms", max: "10ms")"#,
        r#"latency: LogNormal(median: "5ms", sigma: 0.5)"#,
    );
    assert_ne!(lognormal, source, "the bundled latency changed: update this test");
    let file = dir.join("lognormal.ron");
    std::fs::write(&file, lognormal).unwrap();
    let out = dir.join("out");
    let args = ["explore", file.to_str().unwrap(), "--variant", "atomic", "--out"];
    let output = faultline(&[&args[..], &[out.to_str().unwrap()]].concat());
    // With no bound, a timeout can beat the debit's reply: the client gives up midway.
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stdout(&output).contains("every timeout may fire before any reply"));
}
