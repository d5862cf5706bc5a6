//! The bank under crashes, partitions and pauses, through scenario text: what survives a
//! crash, what a restart re-arms, and that faults name the same nodes in contention reruns.

use faultline_scenario::{Scenario, parse};

fn scenario(source: &str) -> Scenario {
    parse(source, "t.ron").unwrap_or_else(|e| panic!("{e}"))
}

/// The violations of every seed in `seeds`, as `(seed, invariant)`.
fn violations(scenario: &Scenario, seeds: std::ops::Range<u64>) -> Vec<(u64, String)> {
    let mut found = Vec::new();
    for seed in seeds {
        for variant in &scenario.variants {
            let outcome = scenario.run(seed, variant, false).unwrap();
            found.extend(outcome.violations.into_iter().map(|v| (seed, v.invariant)));
        }
    }
    found
}

#[test]
fn an_async_replica_resends_its_updates_after_a_restart() {
    // r1 approves alice's transfer while cut off, then crashes and restarts before the
    // partition heals: the resend timer died with it, and must be set again, or r2 and r3
    // never hear of alice's transfer.
    let s = scenario(
        r#"Scenario(name: "t", duration: "20s",
            network: (latency: Uniform(min: "1ms", max: "10ms")),
            faults: [
                Partition(between: (["alice", "r1"], ["bob", "r2", "r3"]), from: "500ms", until: "5s"),
                Crash(node: "r1", at: "2s", restart: "2500ms"),
            ],
            model: Bank(
                accounts: [("X", 10000), ("Y", 0), ("Z", 0)],
                transfers: [
                    (client: "alice", from: "X", to: "Y", amount: 10000, at: "1s"),
                    (client: "bob", from: "X", to: "Z", amount: 5000, at: "1s"),
                ],
                start_jitter: "10ms", request_timeout: "1s",
                replication: (replicas: ["r1", "r2", "r3"], attach: [("alice", "r1"), ("bob", "r3")]),
            ),
            invariants: ["conservation", "exactly-once", "replica-convergence"],
            variants: [(name: "async", policy: Bank(strategy: AsyncReplication))],
        )"#,
    );
    assert_eq!(violations(&s, 0..50), Vec::new());
}

#[test]
fn a_client_that_crashes_mid_transfer_gives_it_up_or_resends_it() {
    // alice crashes while her transfer is in flight. Without retries she gives it up as
    // unavailable on restart; with idempotent retries she resends it and it commits once.
    // Either way the books balance, and the transfer she had not begun yet still happens.
    let s = scenario(
        r#"Scenario(name: "t", duration: "10s",
            network: (latency: Uniform(min: "20ms", max: "40ms")),
            faults: [Crash(node: "alice", at: "1010ms", restart: "2s")],
            model: Bank(
                accounts: [("X", 10000), ("Y", 0)],
                transfers: [
                    (client: "alice", from: "X", to: "Y", amount: 1000, at: "1s"),
                    (client: "alice", from: "X", to: "Y", amount: 1000, at: "1500ms"),
                ],
                start_jitter: "5ms", request_timeout: "500ms",
            ),
            invariants: ["no-negative-balance", "conservation", "exactly-once"],
            variants: [
                (name: "give-up", policy: Bank(strategy: SingleWriter)),
                (name: "resend", policy: Bank(strategy: SingleWriter,
                    retry: (max_attempts: 3, backoff: Fixed("100ms"), idempotency_key: true))),
            ],
        )"#,
    );
    assert_eq!(violations(&s, 0..30), Vec::new());
    for seed in 0..30 {
        let metric = |variant: usize, name: &str| {
            scenario_metric(&s, seed, variant, name).unwrap_or_else(|| panic!("{name}"))
        };
        // Both transfers were submitted: the second one after the restart.
        assert_eq!(metric(0, "transfers.submitted"), 2.0, "seed {seed}");
        assert_eq!(metric(0, "transfers.unavailable"), 1.0, "seed {seed}: the first is given up");
        assert_eq!(metric(1, "transfers.committed"), 2.0, "seed {seed}: the first is resent");
    }
}

fn scenario_metric(s: &Scenario, seed: u64, variant: usize, name: &str) -> Option<f64> {
    s.run(seed, &s.variants[variant], false).unwrap().metrics.get(name).copied()
}

#[test]
fn faults_name_the_same_nodes_in_contention_reruns() {
    // Contention reruns have more or fewer clients than the scenario, so node ids shift: a
    // crash of the bank once crashed a client (or indexed past the last node and panicked),
    // and a partition cut the wrong link without a word.
    for fault in [
        r#"Crash(node: "bank", at: "500ms", restart: "3s")"#,
        r#"Partition(between: (["client-1"], ["bank"]), from: "500ms", until: "3s")"#,
    ] {
        let s = scenario(&format!(
            r#"Scenario(name: "t", duration: "20s",
                network: (latency: Uniform(min: "1ms", max: "5ms")),
                faults: [{fault}],
                model: Bank(
                    accounts: [("X", 100000), ("Y", 0)],
                    transfers: [(client: "client", from: "X", to: "Y", amount: 100, at: "1s", clients: 2)],
                    request_timeout: "5s",
                    contention: [1, 5],
                ),
                invariants: ["no-negative-balance", "conservation"],
                variants: [(name: "cas", policy: Bank(strategy: CompareAndSet(max_attempts: 100, backoff: Fixed("10ms"))))],
            )"#
        ));
        let outcome = s.run(s.seed, &s.variants[0], false).unwrap();
        let completion = outcome
            .series
            .iter()
            .find(|series| series.chart == "contention-completion")
            .expect("a contention curve");
        assert_eq!(completion.points.len(), 2, "{fault}");
        // client-1's first request goes to an unreachable bank and times out after 5 s, in
        // every rerun: the fault still acts on the bank and on client-1.
        for &(clients, seconds) in &completion.points {
            assert!(seconds > 4.9, "{fault}: {clients} clients done in {seconds} s");
        }
    }
}

#[test]
fn a_lease_covers_the_credit_too() {
    // alice moves X to Y while carol moves Y to X. A lease on the source alone let carol's
    // credit land on X between alice's read and her absolute write of X: a lost update,
    // even with fencing and without a single fault.
    let s = scenario(
        r#"Scenario(name: "t", duration: "10s",
            network: (latency: Uniform(min: "1ms", max: "10ms")),
            model: Bank(
                accounts: [("X", 20000), ("Y", 5000)],
                transfers: [
                    (client: "alice", from: "X", to: "Y", amount: 10000, at: "1s"),
                    (client: "carol", from: "Y", to: "X", amount: 5000, at: "1s"),
                ],
                start_jitter: "30ms", think_time: "50ms", request_timeout: "2s", lease: "1s",
            ),
            invariants: ["no-negative-balance", "conservation", "no-lost-update"],
            variants: [(name: "fencing", policy: Bank(strategy: LockLease(fencing: true, max_attempts: 20,
                backoff: Exponential(base: "5ms", multiplier: 2.0, cap: "200ms", jitter: Full))))],
        )"#,
    );
    assert_eq!(violations(&s, 0..200), Vec::new());
}

/// Three replicas, a client on each, three streams of transfers in a circle of accounts,
/// and `faults` (schedules the seeded sweeps in `bank_sweeps.rs` once drew).
fn replicated(faults: &str, strategy: &str) -> Scenario {
    scenario(&format!(
        r#"Scenario(name: "t", duration: "20s",
            network: (latency: Uniform(min: "1ms", max: "10ms")),
            faults: [{faults}],
            model: Bank(
                accounts: [("X", 20000), ("Y", 5000), ("Z", 0)],
                transfers: [
                    (client: "alice", from: "X", to: "Y", amount: 10000, at: "1s", repeat: 4, every: "1s"),
                    (client: "bob", from: "X", to: "Z", amount: 10000, at: "1s", repeat: 4, every: "1s"),
                    (client: "carol", from: "Y", to: "X", amount: 5000, at: "1200ms", repeat: 4, every: "1s"),
                ],
                start_jitter: "20ms", request_timeout: "1s",
                replication: (replicas: ["r1", "r2", "r3"], attach: [("alice", "r1"), ("bob", "r3"), ("carol", "r2")]),
            ),
            invariants: ["no-negative-balance", "conservation", "exactly-once", "replica-convergence"],
            variants: [(name: "v", policy: Bank(strategy: {strategy}))],
        )"#
    ))
}

#[test]
fn a_backup_applies_the_primarys_updates_in_the_primarys_order() {
    // r1 is down and then cut off while r2, the primary, commits several transfers; the
    // resends reach r1 in any order. Applied as they came, a credit arriving after the
    // debits it paid for took r1's copy of X below zero, a balance the primary never had.
    let s = replicated(
        r#"Crash(node: "r1", at: "1952ms", restart: "3555ms"),
           Crash(node: "alice", at: "4772ms", restart: "5135ms"),
           Partition(between: (["alice", "r2"], ["bob", "carol", "r1", "r3"]), from: "2637ms", until: "3969ms"),
           Partition(between: (["carol", "r1"], ["alice", "bob", "r2", "r3"]), from: "3876ms", until: "5467ms"),
           Pause(node: "r2", from: "4586ms", until: "5092ms"),
           Pause(node: "carol", from: "2613ms", until: "3977ms")"#,
        r#"SyncPrimary(primary: "r2")"#,
    );
    assert_eq!(violations(&s, 30..31), Vec::new());
}

#[test]
fn a_quorum_write_no_majority_staged_is_never_applied() {
    // r3 locks X and Z at a majority, then a partition cuts it off while its write is on the
    // way: r3 wrote its own copy, r1 and r2 never heard. Their locks ran out, alice's
    // transfer committed over X at the same version, and r3's resent write later credited Z
    // on the others: $100 out of nothing. Writes are staged first now, and applied only
    // once a majority staged them.
    let s = replicated(
        r#"Crash(node: "alice", at: "5338ms", restart: "6641ms"),
           Crash(node: "r3", at: "3420ms", restart: "4397ms"),
           Partition(between: (["bob", "r1", "r2"], ["alice", "carol", "r3"]), from: "1089ms", until: "2797ms"),
           Partition(between: (["alice", "bob", "carol", "r1"], ["r2", "r3"]), from: "4745ms", until: "6611ms"),
           Pause(node: "r2", from: "1483ms", until: "1922ms"),
           Pause(node: "r3", from: "2326ms", until: "3429ms")"#,
        "Quorum",
    );
    assert_eq!(violations(&s, 471..472), Vec::new());
}

#[test]
fn a_quorum_coordinator_that_crashes_still_writes_its_own_copy() {
    // r2 coordinates carol's transfer and crashes before the write it sent itself arrives.
    // That write was not in its outbox, so after the restart it went to r1 and r3 only,
    // and r2 disagreed with them for ever.
    let s = replicated(
        r#"Crash(node: "r2", at: "4246ms", restart: "5131ms"),
           Crash(node: "r2", at: "5331ms", restart: "5769ms"),
           Partition(between: (["alice", "r1", "r2"], ["bob", "carol", "r3"]), from: "1343ms", until: "2347ms"),
           Partition(between: (["alice", "bob", "carol", "r3"], ["r1", "r2"]), from: "2111ms", until: "3298ms"),
           Pause(node: "carol", from: "2915ms", until: "3905ms"),
           Pause(node: "r3", from: "2091ms", until: "2985ms")"#,
        "Quorum",
    );
    assert_eq!(violations(&s, 2132..2133), Vec::new());
}
