//! No input makes the scenario parser panic: random bytes, and random edits of a real
//! scenario (which reach far deeper into validation than random bytes do).

use proptest::prelude::*;

/// Scenarios that reach every parser: the engine's faults, a model's own faults (fixed and
/// drawn) and phases, each model's configuration and policies.
const BUNDLED: [&str; 6] = [
    include_str!("../../../scenarios/order-pubsub.ron"),
    include_str!("../../../scenarios/chat-swarm.ron"),
    include_str!("../../../scenarios/storm-load-drop.ron"),
    include_str!("../../../scenarios/double-transfer-replicated.ron"),
    include_str!("../../../scenarios/kv-read-repair.ron"),
    r#"Scenario(
    name: "drawn-slowdowns",
    duration: "20s",
    faults: [
        RandomModelFaults(kind: "Slowdown", nodes: ["payments"], count: 3, value: (2.0, 6.5), duration: ("1s", "3s"), within: ("2s", "15s")),
        Slowdown(node: "payments", factor: 3.0, from: "4s", until: "6s"),
    ],
    model: Payment(
        clients: (rate_per_s: 50.0, phases: [(from: "10s", rate_per_s: 5.0)], pay_fraction: 0.5, until: "18s", deadline: "1s"),
        auth: (workers: 8, queue: 8, login_time: Constant("1ms"), pay_time: Constant("1ms")),
        payments: (workers: 4, queue: 16, service_time: Constant("5ms")),
        grid: (rates_per_s: [10.0, 20.0], triggers: ["1s"]),
    ),
    variants: [(name: "retry", policy: Payment(timeout: "50ms", retry: (max_attempts: 3, backoff: Immediate)))],
)"#,
];

#[test]
fn the_inline_scenario_parses_before_it_is_edited() {
    // Else every edit of it would test only the first syntax error.
    assert!(faultline_scenario::parse(BUNDLED[5], "inline.ron").is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics(source in "\\PC{0,200}") {
        let _ = faultline_scenario::parse(&source, "fuzz.ron");
    }

    #[test]
    fn edited_scenarios_never_panic(
        which in 0..BUNDLED.len(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0usize..8, "\\PC{0,6}"), 1..4)
    ) {
        let mut source: Vec<char> = BUNDLED[which].chars().collect();
        for (at, delete, insert) in edits {
            let start = at.index(source.len());
            let end = (start + delete).min(source.len());
            source.splice(start..end, insert.chars());
        }
        let source: String = source.into_iter().collect();
        if let Err(errors) = faultline_scenario::parse(&source, "fuzz.ron") {
            // Every error still names the file and a position.
            for e in errors.0 {
                prop_assert!(e.line >= 1 && e.col >= 1);
                prop_assert_eq!(e.file.as_str(), "fuzz.ron");
            }
        }
    }
}
