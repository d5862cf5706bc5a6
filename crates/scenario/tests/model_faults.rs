//! Faults a model defines are faults: a scenario schedules them in `faults` like a partition,
//! random generators draw them, the realised schedule prints and replays them, traces show
//! them, and bad ones get the same clear errors as the engine's own.

use faultline_engine::TraceEvent;
use faultline_scenario::{ScenarioError, parse};

/// A small payment scenario; `FAULTS` is replaced by each test's schedule.
const TEMPLATE: &str = r#"Scenario(
    name: "storm",
    seed: 1,
    duration: "12s",
    faults: [FAULTS],
    model: Payment(
        clients: (rate_per_s: 200.0, pay_fraction: 1.0, until: "10s", deadline: "1s"),
        auth: (workers: 64, queue: 64, login_time: Constant("1ms"), pay_time: Constant("1ms")),
        payments: (workers: 4, queue: 64, service_time: Constant("10ms")),
    ),
    variants: [(name: "retry", policy: Payment(timeout: "50ms", retry: (max_attempts: 3, backoff: Immediate)))],
)"#;

fn scenario(faults: &str) -> String {
    TEMPLATE.replace("FAULTS", faults)
}

fn only_error(faults: &str) -> ScenarioError {
    let errors = parse(&scenario(faults), "storm.ron").expect_err("should be rejected").0;
    assert_eq!(errors.len(), 1, "{errors:?}");
    errors.into_iter().next().unwrap()
}

#[test]
fn a_slowdown_is_traced_and_slows_payments_down() {
    let calm = parse(&scenario(""), "calm.ron").unwrap();
    let slow = parse(
        &scenario(r#"Slowdown(node: "payments", factor: 8.0, from: "2s", until: "6s")"#),
        "slow.ron",
    )
    .unwrap();
    let run = |s: &faultline_scenario::Scenario| s.run(1, &s.variants[0], true).unwrap();
    let (calm, slow) = (run(&calm), run(&slow));
    let faults: Vec<String> = slow
        .trace
        .iter()
        .flatten()
        .filter_map(|r| match &r.event {
            TraceEvent::FaultBegin { description, .. } => Some(format!("{} {description}", r.at)),
            _ => None,
        })
        .collect();
    assert_eq!(faults, ["2s slowdown of payments (factor 8)"]);
    let rate = |o: &faultline_outcome::Outcome| o.metrics["pay.success_rate"];
    assert!(rate(&slow) < rate(&calm) - 0.1, "{} vs {}", rate(&slow), rate(&calm));
}

#[test]
fn random_model_faults_print_as_a_schedule_that_replays_exactly() {
    let random = parse(
        &scenario(
            r#"RandomModelFaults(kind: "Slowdown", nodes: ["payments"], count: 3, value: (2.0, 6.0), duration: ("500ms", "2s"), within: ("1s", "8s"))"#,
        ),
        "random.ron",
    )
    .unwrap();
    for seed in [1, 2, 3] {
        let text = random.schedule_text(seed);
        assert_eq!(text.matches("Slowdown(node: \"payments\", factor: ").count(), 3, "{text}");
        let listed = text.split_once("\nfaults: [").unwrap().1.split_once("\n],").unwrap().0;
        let fixed = parse(&scenario(listed), "fixed.ron").unwrap_or_else(|e| panic!("{e}\n{text}"));
        let a = random.run(seed, &random.variants[0], false).unwrap();
        let b = fixed.run(seed, &fixed.variants[0], false).unwrap();
        assert_eq!(a.trace_hash, b.trace_hash, "seed {seed}: {text}");
    }
}

#[test]
fn bad_model_faults_are_clear_errors() {
    let e = only_error(r#"Slowdwn(node: "payments", factor: 5.0, from: "2s")"#);
    assert!(e.message.contains("no fault `Slowdwn`"), "{e}");
    assert_eq!(e.help.as_deref(), Some("did you mean `Slowdown`?"), "{e}");

    let e = only_error(r#"Slowdown(node: "payments", factr: 5.0, from: "2s")"#);
    assert!(e.message.contains("no field `factr`"), "{e}");
    assert_eq!(e.help.as_deref(), Some("did you mean `factor`?"), "{e}");

    let e = only_error(r#"Slowdown(node: "payments", factor: 0.5, from: "2s")"#);
    assert!(e.message.contains("`factor` of a Slowdown must be 1 to 1000, not 0.5"), "{e}");

    let e = only_error(r#"Slowdown(node: "auth", factor: 5.0, from: "2s")"#);
    assert!(e.message.contains("a Slowdown cannot hit `auth`"), "{e}");

    let e = only_error(r#"Slowdown(node: "payments", from: "2s")"#);
    assert!(e.message.contains("a Slowdown needs `factor`"), "{e}");

    let backwards = r#"Slowdown(node: "payments", factor: 5.0, from: "4s", until: "3s")"#;
    let e = only_error(backwards);
    assert!(e.message.contains("must be after `from`"), "{e}");
    let line = scenario(backwards).lines().nth(e.line - 1).unwrap().to_owned();
    assert!(line[e.col - 1..].starts_with(r#""3s""#), "{e} points at {line}");

    let e = only_error(
        r#"RandomModelFaults(kind: "Slow", nodes: ["payments"], count: 1, value: (2.0, 3.0), duration: ("1s", "2s"), within: ("1s", "2s"))"#,
    );
    assert_eq!(e.help.as_deref(), Some("did you mean `Slowdown`?"), "{e}");
}

#[test]
fn a_storm_grid_needs_a_slowdown_to_vary() {
    let source = scenario("").replace(
        "service_time: Constant(\"10ms\")),",
        "service_time: Constant(\"10ms\")),\n        grid: (rates_per_s: [100.0], triggers: [\"1s\"]),",
    );
    let errors = parse(&source, "grid.ron").expect_err("no slowdown").0;
    assert!(errors[0].message.contains("varies the first slowdown"), "{errors:?}");
}
