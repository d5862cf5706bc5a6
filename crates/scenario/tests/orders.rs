//! The orders model: its part of a scenario gets the same errors as everything else (the
//! file, `line:col` at the culprit, the closest valid name), and its checker tells a lost
//! event from a late one, and a refund from a payment.

use std::collections::BTreeMap;

use faultline_scenario::parse;

fn source(edit: (&str, &str)) -> String {
    let path = format!("{}/../../scenarios/order-pubsub.ron", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    assert_eq!(text.matches(edit.0).count(), 1, "ambiguous edit {:?}", edit.0);
    text.replace(edit.0, edit.1)
}

fn only_error(edit: (&str, &str)) -> (faultline_scenario::ScenarioError, String) {
    let text = source(edit);
    let errors = parse(&text, "orders.ron").expect_err("the edit should break it").0;
    assert_eq!(errors.len(), 1, "{errors:?}");
    (errors.into_iter().next().unwrap(), text)
}

fn points_at(e: &faultline_scenario::ScenarioError, text: &str, expected: &str) {
    let line = text.lines().nth(e.line - 1).unwrap();
    let rest: String = line.chars().skip(e.col - 1).collect();
    assert!(rest.starts_with(expected), "{e}\n  points at: {rest:?}");
}

#[test]
fn a_misspelt_knob_value_suggests_the_right_one() {
    let (e, text) = only_error((
        "name: \"durable-log\",\n            policy: Orders(channel: Log,",
        "name: \"durable-log\",\n            policy: Orders(channel: Lgo,",
    ));
    assert_eq!(e.help.as_deref(), Some("did you mean `Log`?"), "{e}");
    points_at(&e, &text, "Lgo");
}

#[test]
fn a_slowdown_aimed_at_the_wrong_node_is_refused() {
    let (e, text) = only_error(("Slowdown(node: \"worker\"", "Slowdown(node: \"shop\""));
    assert!(e.message.contains("a Slowdown cannot hit `shop`"), "{e}");
    assert_eq!(e.help.as_deref(), Some("it hits worker"), "{e}");
    points_at(&e, &text, "\"shop\"");
}

#[test]
fn a_poll_deadline_shorter_than_its_period_is_refused() {
    let (e, _) = only_error((
        "answer: Confirmation(deadline: \"5s\")",
        "answer: Poll(every: \"2s\", deadline: \"1s\")",
    ));
    assert!(e.message.contains("shorter than `every`"), "{e}");
}

/// A small shop under `faults`, one variant with `policy`: its metrics and violated invariants.
fn run(faults: &str, policy: &str) -> (BTreeMap<String, f64>, Vec<String>) {
    let text = format!(
        r#"Scenario(
    name: "orders-test",
    seed: 3,
    duration: "20s",
    network: (latency: Uniform(min: "1ms", max: "5ms")),
    faults: [{faults}],
    model: Orders(rate_per_s: 20.0, until: "15s", products: 2, stock: 1000,
                  processing: LogNormal(median: "100ms", sigma: 0.3), visibility_timeout: "2s"),
    invariants: ["no-lost-event", "exactly-once-charge", "truthful-answer", "convergence"],
    variants: [(name: "v", policy: Orders({policy}))],
)"#
    );
    let scenario = parse(&text, "orders-test.ron").unwrap();
    let outcome = scenario.run(3, &scenario.variants[0], false).unwrap();
    let violated = outcome.violations.iter().map(|v| v.invariant.clone()).collect();
    (outcome.metrics, violated)
}

const CONFIRMED_LOG: &str =
    "channel: Log, consumer: Idempotent, answer: Confirmation(deadline: \"3s\")";

#[test]
fn an_event_the_log_holds_is_late_when_the_worker_never_returns_not_lost() {
    let (m, violated) = run(r#"Crash(node: "worker", at: "10s")"#, CONFIRMED_LOG);
    // Some 100 orders come after the crash; the log keeps every one of their events.
    assert_eq!(m["events.lost"], 0.0, "{m:?}");
    assert!(m["events.undelivered"] > 50.0, "{m:?}");
    assert!(!violated.contains(&"no-lost-event".to_owned()), "{violated:?}");
    // But the shop still waits for those payments: the views never agree.
    assert!(violated.contains(&"convergence".to_owned()), "{violated:?}");
    assert!(!m.contains_key("convergence_s"), "{m:?}");
}

#[test]
fn a_publish_to_a_broker_that_is_down_is_lost_unless_an_outbox_holds_it() {
    let restart = r#"Crash(node: "broker", at: "5s", restart: "6s")"#;
    let (dual, violated) = run(restart, CONFIRMED_LOG);
    // A second of orders at 20 a second, published once to a broker that was down.
    assert!(dual["events.lost"] >= 10.0, "{dual:?}");
    assert!(violated.contains(&"no-lost-event".to_owned()), "{violated:?}");
    // Their customers heard "pending": true, if unhelpful.
    assert!(!violated.contains(&"truthful-answer".to_owned()), "{violated:?}");
    let (outbox, violated) = run(restart, &format!("{CONFIRMED_LOG}, producer: Outbox"));
    assert_eq!(outbox["events.lost"], 0.0, "{outbox:?}");
    assert_eq!(outbox["orders.never_processed"], 0.0, "{outbox:?}");
    assert!(violated.is_empty(), "{violated:?}");
}

#[test]
fn the_article_reads_again_after_a_lost_reply_and_answers_everyone() {
    // The shop's reads cross a lossy link; each is asked again until answered.
    let lossy = r#"Loss(between: (["shop"], ["broker"]), probability: 0.2, from: "0s")"#;
    let (m, _) = run(lossy, r#"channel: PubSub, answer: SleepThenRead("1s")"#);
    assert_eq!(m["orders.unanswered"], 0.0, "{m:?}");
    assert!(m["events.lost"] > 0.0, "a publish lost on the way is lost for good: {m:?}");
}

#[test]
fn polling_to_a_deadline_says_pending_where_sleep_then_read_says_failed() {
    // Recording takes 20 times as long for four seconds: well past a one-second answer.
    let slow = r#"Slowdown(node: "worker", factor: 20.0, from: "2s", until: "6s")"#;
    let log = "channel: Log, consumer: Idempotent";
    let (sleep, violated) = run(slow, &format!(r#"{log}, answer: SleepThenRead("1s")"#));
    assert!(sleep["orders.false_failures"] > 10.0, "{sleep:?}");
    assert!(violated.contains(&"truthful-answer".to_owned()), "{violated:?}");
    let poll = format!(r#"{log}, answer: Poll(every: "250ms", deadline: "1s")"#);
    let (poll, violated) = run(slow, &poll);
    assert_eq!(poll["orders.false_failures"], 0.0, "{poll:?}");
    assert!(poll["orders.told_pending"] > 10.0, "{poll:?}");
    assert!(!violated.contains(&"truthful-answer".to_owned()), "{violated:?}");
}
