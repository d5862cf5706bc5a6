//! The orders model's part of a scenario gets the same errors as everything else: the file,
//! `line:col` at the culprit, and the closest valid name.

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
