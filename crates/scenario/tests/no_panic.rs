//! No input makes the scenario parser panic: random bytes, and random edits of a real
//! scenario (which reach far deeper into validation than random bytes do).

use proptest::prelude::*;

/// Scenarios that reach every parser: the engine's faults, a model's own faults and phases,
/// each model's configuration and policies.
const BUNDLED: [&str; 4] = [
    include_str!("../../../scenarios/chat-swarm.ron"),
    include_str!("../../../scenarios/storm-load-drop.ron"),
    include_str!("../../../scenarios/double-transfer-replicated.ron"),
    include_str!("../../../scenarios/kv-read-repair.ron"),
];

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
