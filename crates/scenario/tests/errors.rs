//! Bad scenario files of every class give one clear error: the file, `line:col` pointing
//! at the culprit, what was expected, and the closest valid name for a misspelling.

use faultline_scenario::{ScenarioError, parse};

const GOOD: &str = r#"Scenario(
    name: "t",
    seed: 1,
    duration: "60s",
    network: (latency: Uniform(min: "5ms", max: "40ms"), loss: 0.0),
    faults: [
        Partition(between: (["server-a"], ["server-b"]), from: "20s", until: "35s"),
    ],
    model: Chat(rate_per_s: 4.0, send_until: "45s"),
    invariants: ["no-loss", "in-order"],
    variants: [
        (name: "ff", policy: Chat(delivery: FireAndForget)),
        (name: "ack", policy: Chat(delivery: AckRetransmit(rto: "250ms", rto_max: "2s"))),
    ],
)"#;

/// Replaces `from` (which must occur exactly once) in the good scenario and parses it.
fn error_after(from: &str, to: &str) -> ScenarioError {
    assert_eq!(GOOD.matches(from).count(), 1, "ambiguous edit {from:?}");
    let source = GOOD.replace(from, to);
    let errors = parse(&source, "bad.ron").expect_err("the edit should break the scenario").0;
    assert_eq!(errors.len(), 1, "{errors:?}");
    errors.into_iter().next().unwrap()
}

/// Asserts that the error's `line:col` points at `text` in the edited scenario.
fn points_at(e: &ScenarioError, from: &str, to: &str, text: &str) {
    let source = GOOD.replace(from, to);
    let line = source.lines().nth(e.line - 1).unwrap_or_else(|| panic!("no line {}: {e}", e.line));
    let rest: String = line.chars().skip(e.col - 1).collect();
    assert!(rest.starts_with(text), "{e}\n  points at: {rest:?}\n  expected:  {text:?}");
}

#[test]
fn the_good_scenario_parses() {
    let scenario = parse(GOOD, "good.ron").unwrap();
    assert_eq!(scenario.variants.len(), 2);
    assert_eq!(scenario.fixed_faults.len(), 1);
}

#[test]
fn syntax_errors_point_at_the_line_and_column() {
    let e = error_after(r#"seed: 1,"#, r#"seed: 1"#);
    assert_eq!(e.file, "bad.ron");
    assert_eq!(e.line, 4, "{e}");
    assert!(e.to_string().starts_with("bad.ron:4:"), "{e}");
}

#[test]
fn unknown_fields_suggest_the_closest_name() {
    let e = error_after(r#"duration: "60s""#, r#"durtion: "60s""#);
    assert_eq!(e.line, 4, "{e}");
    assert!(e.message.contains("durtion"), "{e}");
    assert_eq!(e.help.as_deref(), Some("did you mean `duration`?"), "{e}");
}

#[test]
fn unknown_fault_kinds_suggest_the_closest_variant() {
    let e = error_after("Partition(between", "Partiton(between");
    assert_eq!(e.line, 7, "{e}");
    assert_eq!(e.help.as_deref(), Some("did you mean `Partition`?"), "{e}");
}

#[test]
fn unknown_nodes_in_faults_are_caught_with_a_suggestion() {
    let (from, to) = (r#"["server-b"]"#, r#"["server-c"]"#);
    let e = error_after(from, to);
    points_at(&e, from, to, r#""server-c""#);
    assert!(e.message.contains("unknown node `server-c`"), "{e}");
    // server-a and server-b are equally close to server-c; either is a fair suggestion.
    assert!(e.help.as_deref().is_some_and(|h| h.starts_with("did you mean `server-")), "{e}");
}

#[test]
fn until_before_from_points_at_until() {
    let (from, to) = (r#"until: "35s""#, r#"until: "15s""#);
    let e = error_after(from, to);
    points_at(&e, from, to, r#""15s""#);
    assert!(e.message.contains("must be after `from`"), "{e}");
}

#[test]
fn probabilities_outside_zero_to_one_are_rejected() {
    let e = error_after("loss: 0.0", "loss: 1.5");
    points_at(&e, "loss: 0.0", "loss: 1.5", "1.5");
    assert!(e.message.contains("between 0 and 1"), "{e}");
}

#[test]
fn malformed_durations_say_what_a_duration_looks_like() {
    let (from, to) = (r#"rto_max: "2s""#, r#"rto_max: "3 parsecs""#);
    let e = error_after(from, to);
    points_at(&e, from, to, r#""3 parsecs""#);
    assert!(e.message.contains("\"3 parsecs\""), "{e}");
    assert!(e.message.contains("\"250ms\""), "{e}");
}

#[test]
fn unknown_invariants_suggest_the_closest() {
    let e = error_after(r#""in-order""#, r#""in-ordr""#);
    points_at(&e, r#""in-order""#, r#""in-ordr""#, r#""in-ordr""#);
    assert_eq!(e.help.as_deref(), Some("did you mean `in-order`?"), "{e}");
}

#[test]
fn missing_fields_are_named() {
    let e = error_after("    seed: 1,\n    duration: \"60s\",\n", "    seed: 1,\n");
    assert!(e.message.contains("duration"), "{e}");
}

#[test]
fn duplicate_variant_names_are_rejected() {
    let e = error_after(r#"(name: "ack""#, r#"(name: "ff""#);
    points_at(&e, r#"(name: "ack""#, r#"(name: "ff""#, r#""ff""#);
    assert_eq!(e.line, 13, "{e}");
    assert!(e.message.contains("two variants are named `ff`"), "{e}");
    // Names become file names, and `FF.jsonl` is `ff.jsonl` on some file systems.
    let e = error_after(r#"(name: "ack""#, r#"(name: "FF""#);
    assert!(e.message.contains("two variants are named `FF`, ignoring case"), "{e}");
}

#[test]
fn faults_after_the_end_of_the_run_are_rejected() {
    let e = error_after(r#"from: "20s", until: "35s""#, r#"from: "70s", until: "80s""#);
    assert!(e.message.contains("the run ends at 1m"), "{e}");
}

#[test]
fn every_problem_is_reported_not_just_the_first() {
    let source = GOOD.replace("loss: 0.0", "loss: 2.0").replace(r#""in-order""#, r#""in-ordr""#);
    let errors = parse(&source, "bad.ron").unwrap_err().0;
    assert_eq!(errors.len(), 2, "{errors:?}");
}

#[test]
fn empty_and_garbage_input_are_errors_not_panics() {
    for source in ["", "(", "Scenario(", "\u{0}", "Scenario(name: \"x\",", "[[[[", "\"unterminated"]
    {
        let errors = parse(source, "bad.ron").unwrap_err();
        assert!(errors.to_string().starts_with("error: bad.ron:"), "{errors}");
    }
}

#[test]
fn durations_in_messages_read_as_people_write_them() {
    let e = error_after(r#"send_until: "45s""#, r#"send_until: "61185098539ns""#);
    assert!(e.to_string().contains("users type until 61.185 s but the run ends at 1m"), "{e}");
}

#[test]
fn swarm_bounds_are_checked_where_they_are_written() {
    let network = r#"loss: 0.0),"#;
    let with = |swarm: &str| format!("loss: 0.0),\n    swarm: {swarm},");
    // A misspelt field gets the closest valid one.
    let to = with("(enabled: 0.5)");
    let e = error_after(network, &to);
    assert_eq!(e.help.as_deref(), Some("did you mean `enable`?"), "{e}");
    points_at(&e, network, &to, "enabled");
    for (swarm, says, at) in [
        (
            "(enable: 1.5)",
            "the swarm's enable must be a probability between 0 and 1, not 1.5",
            "1.5",
        ),
        ("(loss: (0.2, 0.1))", "the swarm's loss range (0.2, 0.1) is backwards", "(0.2"),
        ("(duplicate: (0.0, 2.0))", "the swarm's duplicate must be a probability", "(0.0"),
        ("(latency: (0.0, 2.0))", "the swarm's latency must be a factor above 0", "(0.0"),
        ("(latency: (1.0, 5000.0))", "at most 1000, not 5000", "(1.0"),
    ] {
        let to = with(swarm);
        let e = error_after(network, &to);
        assert!(e.message.contains(says), "{swarm}: {e}");
        points_at(&e, network, &to, at);
    }
    let e = error_after(network, &with("(loss: (0.2, 0.1))"));
    assert_eq!(e.help.as_deref(), Some("write it (0.1, 0.2)"), "{e}");
    let e = error_after(network, &with("(loss: 0.1)"));
    assert!(e.message.contains("expected"), "a range is two numbers: {e}");
}

#[test]
fn without_a_swarm_section_the_network_is_the_upper_bound() {
    let source = GOOD.replace("loss: 0.0),", "loss: 0.2, duplicate: 0.01),");
    let scenario = parse(&source, "good.ron").unwrap();
    assert_eq!(scenario.swarm.enable_probability, 0.5);
    assert_eq!(scenario.swarm.loss_probability, (0.0, 0.2));
    assert_eq!(scenario.swarm.duplicate_probability, (0.0, 0.01));
    assert_eq!(scenario.swarm.latency_factor, (0.5, 1.0));
    let written = source
        .replace("loss: 0.2, duplicate: 0.01),", "loss: 0.2),\n    swarm: (loss: (0.1, 0.3)),");
    let scenario = parse(&written, "good.ron").unwrap();
    assert_eq!(scenario.swarm.loss_probability, (0.1, 0.3));
    assert_eq!(scenario.swarm.duplicate_probability, (0.0, 0.0));
}

#[test]
fn a_byte_order_mark_is_skipped_and_positions_stay_right() {
    let marked = |source: &str| format!("\u{feff}{source}");
    assert!(parse(&marked(GOOD), "bom.ron").is_ok(), "a file an editor saved with a BOM loads");
    // An error ron finds, and one found after parsing: both at the editor's line and column.
    let syntax = GOOD.replace(r#"duration: "60s""#, r#"durtion: "60s""#);
    let e = &parse(&marked(&syntax), "bom.ron").unwrap_err().0[0];
    assert_eq!((e.line, e.col), (4, 5), "{e}");
    let (from, to) = (r#"["server-b"]"#, r#"["server-c"]"#);
    let e = &parse(&marked(&GOOD.replace(from, to)), "bom.ron").unwrap_err().0[0];
    points_at(e, from, to, r#""server-c""#);
    let first = parse(&marked(r#"Scenario(nme: "x")"#), "bom.ron").unwrap_err().0;
    assert_eq!((first[0].line, first[0].col), (1, 10), "{}", first[0]);
}
