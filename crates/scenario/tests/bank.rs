//! Regression tests for the bank model's guarantees, each over many seeds: the corner cases
//! an independent review found, kept found.

use faultline_scenario::{Scenario, parse};

fn scenario(source: &str) -> Scenario {
    parse(source, "t.ron").unwrap_or_else(|e| panic!("{e}"))
}

/// Seeds in which `variant` violated anything.
fn violating_seeds(scenario: &Scenario, variant: &str, seeds: std::ops::Range<u64>) -> Vec<u64> {
    let variant = scenario.variants.iter().find(|v| v.name == variant).unwrap();
    seeds
        .filter(|&seed| !scenario.run(seed, variant, false).unwrap().violations.is_empty())
        .collect()
}

#[test]
fn quorum_transfers_sharing_only_a_destination_lose_no_credit() {
    // Two sources, one destination: locking only the source let both write Y at the same
    // version, and one credit vanished.
    let s = scenario(
        r#"Scenario(name: "t", duration: "10s",
            network: (latency: Uniform(min: "1ms", max: "10ms")),
            model: Bank(
                accounts: [("X", 10000), ("W", 10000), ("Y", 0)],
                transfers: [
                    (client: "alice", from: "X", to: "Y", amount: 10000, at: "1s"),
                    (client: "bob", from: "W", to: "Y", amount: 10000, at: "1s"),
                ],
                start_jitter: "10ms", request_timeout: "5s",
                replication: (replicas: ["r1", "r2", "r3"], attach: [("alice", "r1"), ("bob", "r3")]),
            ),
            invariants: ["no-negative-balance", "conservation", "exactly-once", "replica-convergence"],
            variants: [(name: "quorum", policy: Bank(strategy: Quorum))],
        )"#,
    );
    assert_eq!(violating_seeds(&s, "quorum", 0..200), Vec::<u64>::new());
}

#[test]
fn fencing_holds_when_the_paused_client_wakes_between_the_new_holders_read_and_write() {
    // bob (token 2) has read but not yet written when alice (token 1) wakes: her write must
    // be refused already, or both stale writes pass.
    let s = scenario(
        r#"Scenario(name: "t", duration: "10s",
            network: (latency: Uniform(min: "1ms", max: "5ms")),
            faults: [Pause(node: "alice", from: "1050ms", until: "1650ms")],
            model: Bank(
                accounts: [("X", 10000), ("Y", 0), ("Z", 0)],
                transfers: [
                    (client: "alice", from: "X", to: "Y", amount: 10000, at: "1s"),
                    (client: "bob", from: "X", to: "Z", amount: 10000, at: "1600ms"),
                ],
                think_time: "100ms", request_timeout: "5s", lease: "500ms",
            ),
            invariants: ["no-negative-balance", "conservation", "no-lost-update"],
            variants: [(name: "fencing", policy: Bank(strategy: LockLease(fencing: true, max_attempts: 5, backoff: Fixed("100ms"))))],
        )"#,
    );
    assert_eq!(violating_seeds(&s, "fencing", 0..200), Vec::<u64>::new());
}

#[test]
fn a_stale_write_to_the_destination_is_not_mistaken_for_a_second_debit() {
    let s = scenario(
        r#"Scenario(name: "t", duration: "10s",
            network: (latency: Uniform(min: "1ms", max: "10ms")),
            model: Bank(
                accounts: [("X", 10000), ("Y", 5000)],
                transfers: [
                    (client: "alice", from: "X", to: "Y", amount: 5000, at: "1s"),
                    (client: "bob", from: "Y", to: "X", amount: 5000, at: "1s"),
                ],
                start_jitter: "10ms", request_timeout: "5s",
            ),
            invariants: ["exactly-once"],
            variants: [(name: "rmw", policy: Bank(strategy: ReadModifyWrite))],
        )"#,
    );
    assert_eq!(violating_seeds(&s, "rmw", 0..200), Vec::<u64>::new());
}

#[test]
fn retries_are_refused_for_replicated_strategies() {
    let errors = parse(
        r#"Scenario(name: "t", duration: "10s",
            model: Bank(
                accounts: [("X", 100), ("Y", 0)],
                transfers: [(client: "alice", from: "X", to: "Y", amount: 100, at: "1s")],
                request_timeout: "1s",
                replication: (replicas: ["r1", "r2", "r3"], attach: [("alice", "r1")]),
            ),
            variants: [(name: "q", policy: Bank(strategy: Quorum, retry: (max_attempts: 2, backoff: Immediate, idempotency_key: true)))],
        )"#,
        "t.ron",
    )
    .unwrap_err();
    assert!(errors.to_string().contains("retries are not modelled for replicated strategies"));
}
