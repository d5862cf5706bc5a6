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

#[test]
fn a_contention_rerun_in_which_no_transfer_finishes_draws_no_completion_time() {
    // The bank crashes before the first transfer and stays down, and clients wait longer
    // than the run for an answer: no transfer of any rerun finishes, so there is no completion time to draw (it once panicked reading one).
    let s = scenario(
        r#"Scenario(name: "t", duration: "5s",
            faults: [Crash(node: "bank", at: "500ms")],
            model: Bank(
                accounts: [("X", 10000), ("Y", 0)],
                transfers: [(client: "alice", from: "X", to: "Y", amount: 100, at: "1s")],
                request_timeout: "10s",
                contention: [2, 4],
            ),
            invariants: ["no-negative-balance", "conservation"],
            variants: [(name: "cas", policy: Bank(strategy: CompareAndSet(max_attempts: 3, backoff: Fixed("10ms"))))],
        )"#,
    );
    let outcome = s.run(s.seed, &s.variants[0], false).unwrap();
    let series = |id: &str| outcome.series.iter().find(|s| s.chart == id).unwrap().points.clone();
    assert_eq!(series("contention-completion"), Vec::<(f64, f64)>::new());
    assert_eq!(series("contention-calls").len(), 2, "write attempts are counted, finished or not");
}

#[test]
fn balances_and_amounts_are_bounded_so_no_sum_overflows_into_a_false_overdraft() {
    let source = |opening: &str, amount: &str| {
        format!(
            r#"Scenario(name: "t", duration: "5s",
            model: Bank(accounts: [("X", {opening}), ("Y", 0)],
                transfers: [(client: "alice", from: "X", to: "Y", amount: {amount}, at: "1s")],
                request_timeout: "1s"),
            invariants: ["no-negative-balance", "conservation"],
            variants: [(name: "atomic", policy: Bank(strategy: Atomic))],
        )"#
        )
    };
    let near_max = "9223372036854775000";
    let opening = parse(&source(near_max, "100"), "t.ron").unwrap_err().to_string();
    assert!(opening.contains("t.ron:2:36: account `X` may open with at most"), "{opening}");
    let amount = parse(&source("100", near_max), "t.ron").unwrap_err().to_string();
    assert!(amount.contains("amount must be 1 to 100000000000 cents"), "{amount}");
    // The largest allowed values run, and nothing overflows into a violation.
    let s = scenario(&source("100000000000", "100000000000"));
    let outcome = s.run(s.seed, &s.variants[0], false).unwrap();
    assert_eq!(outcome.violations, Vec::new(), "{:?}", outcome.violations);
}

#[test]
fn a_duplicated_request_does_not_restart_a_quorum_transfer_under_way() {
    // The network duplicates the client's request; the copy once started the coordination
    // over with the same round ids, and the first rounds' late answers crashed it.
    let s = scenario(
        r#"Scenario(name: "t", duration: "2s",
            network: (latency: Pareto(scale: "50ms", shape: 1.0612), duplicate: 0.5),
            model: Bank(
                accounts: [("X", 1000), ("Y", 0)],
                transfers: [(client: "c", from: "X", to: "Y", amount: 1, at: "100ms", repeat: 3, every: "400ms")],
                request_timeout: "1us",
                replication: (replicas: ["r1", "r2"], attach: []),
            ),
            invariants: ["no-negative-balance", "conservation", "replica-convergence"],
            variants: [(name: "quorum", policy: Bank(strategy: Quorum))],
        )"#,
    );
    for seed in 0..20 {
        let outcome = s.run(seed, &s.variants[0], false).unwrap();
        assert_eq!(outcome.violations, Vec::new(), "seed {seed}");
    }
}

#[test]
fn a_lease_holders_transaction_moves_money_whole_once_and_reports_what_it_did() {
    // The network duplicates every message and loses none, and clients wait long enough for
    // an answer: a copy of each transaction reaches the bank after it was applied, and may
    // answer first. It must be answered as the first was, never applied again nor refused,
    // so every transaction applied is reported committed, and X falls by exactly those.
    let s = scenario(
        r#"Scenario(name: "t", duration: "20s",
            network: (latency: Uniform(min: "1ms", max: "30ms"), duplicate: 1.0),
            model: Bank(
                accounts: [("X", 100000), ("Y", 0), ("Z", 0)],
                transfers: [
                    (client: "alice", from: "X", to: "Y", amount: 1000, at: "1s", repeat: 10, every: "300ms"),
                    (client: "bob", from: "X", to: "Z", amount: 1000, at: "1s", repeat: 10, every: "300ms"),
                ],
                start_jitter: "50ms", think_time: "50ms", request_timeout: "5s", lease: "300ms",
            ),
            invariants: ["no-negative-balance", "conservation", "exactly-once", "no-lost-update"],
            variants: [(name: "transaction", policy: Bank(
                strategy: LockLease(fencing: true, transaction: true, max_attempts: 20, backoff: Fixed("20ms"))))],
        )"#,
    );
    let mut committed_in_all = 0.0;
    for seed in 0..40 {
        let outcome = s.run(seed, &s.variants[0], false).unwrap();
        assert_eq!(outcome.violations, Vec::new(), "seed {seed}");
        let committed = outcome.metrics["transfers.committed"];
        let balance = outcome.series.iter().find(|series| series.chart == "balance").unwrap();
        let last_x_dollars = balance.points.last().unwrap().1;
        assert_eq!(
            last_x_dollars,
            1000.0 - 10.0 * committed,
            "seed {seed}: X moved by the commits"
        );
        committed_in_all += committed;
    }
    assert!(committed_in_all > 0.0, "some transfers commit");
}
