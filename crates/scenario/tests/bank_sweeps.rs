//! Seeded sweeps of every bank strategy under random crashes, partitions and pauses (swarm
//! testing): no run panics or hits its event limit, the strategies that promise to keep
//! money whole do, replicas agree once the faults heal, and the unsafe strategies break
//! only the invariants they are known to break — and do break them, so the sweep still
//! reaches their anomalies. A thousand seeds per strategy take well under a second.

use std::collections::{BTreeMap, BTreeSet};

use faultline_scenario::{Scenario, parse};

const SEEDS: std::ops::Range<u64> = 0..1000;

/// What a variant may do under faults, and what it must be seen doing at least once.
struct Expect {
    variant: &'static str,
    /// Invariants it may break; any other is a bug.
    may_break: &'static [&'static str],
    /// Invariants some seed must break: the sweep reaches the known anomaly at all.
    must_break_sometimes: &'static [&'static str],
    /// Whether money may be created (a lost update); otherwise it can only be destroyed,
    /// by a two-step transfer abandoned between its debit and its credit.
    may_create_money: bool,
}

/// What a sweep saw of one variant.
#[derive(Default)]
struct Seen {
    /// Invariant → the first seeds that broke it.
    broken: BTreeMap<String, Vec<u64>>,
    /// The most money created in any seed, and its seed.
    created_max: (f64, u64),
    submitted: f64,
    committed: f64,
}

fn sweep(source: &str) -> (Scenario, BTreeMap<String, Seen>) {
    let scenario = parse(source, "sweep.ron").unwrap_or_else(|e| panic!("{e}"));
    let mut seen: BTreeMap<String, Seen> = BTreeMap::new();
    for seed in SEEDS {
        for variant in &scenario.variants {
            let outcome = scenario.run(seed, variant, false).unwrap_or_else(|e| {
                panic!("{} seed {seed}: {e}", variant.name);
            });
            let entry = seen.entry(variant.name.clone()).or_default();
            let invariants: BTreeSet<String> =
                outcome.violations.into_iter().map(|v| v.invariant).collect();
            for invariant in invariants {
                let seeds = entry.broken.entry(invariant).or_default();
                if seeds.len() < 5 {
                    seeds.push(seed);
                }
            }
            let created = outcome.metrics["money.created_cents"];
            if created > entry.created_max.0 {
                entry.created_max = (created, seed);
            }
            entry.submitted += outcome.metrics["transfers.submitted"];
            entry.committed += outcome.metrics["transfers.committed"];
        }
    }
    (scenario, seen)
}

fn check(scenario: &Scenario, seen: &BTreeMap<String, Seen>, expectations: &[Expect]) {
    assert_eq!(scenario.variants.len(), expectations.len(), "every variant has expectations");
    for expect in expectations {
        let seen = &seen[expect.variant];
        let name = expect.variant;
        for (invariant, seeds) in &seen.broken {
            assert!(
                expect.may_break.contains(&invariant.as_str()),
                "{name} broke {invariant} in seeds {seeds:?}: save this file's scenario text \
                 as sweep.ron and run `faultline run sweep.ron --seed {} --variant {name} \
                 --print-schedule`",
                seeds[0]
            );
        }
        for invariant in expect.must_break_sometimes {
            assert!(
                seen.broken.contains_key(*invariant),
                "{name} never broke {invariant}: the sweep no longer reaches its known anomaly"
            );
        }
        if !expect.may_create_money {
            let (created, seed) = seen.created_max;
            assert!(created <= 0.0, "{name} created {created} cents in seed {seed}");
        }
        // Faults must not stop everything: a sweep where nothing commits proves nothing.
        let share = seen.committed / seen.submitted;
        assert!(share > 0.25, "{name} committed only {:.0}% of its transfers", share * 100.0);
    }
}

/// Three clients move money around X, Y and Z through one bank and a lock service, while
/// random faults hit all of them.
const UNREPLICATED: &str = r#"Scenario(name: "bank-sweep", duration: "20s",
    max_events: 1000000,
    network: (latency: Uniform(min: "1ms", max: "10ms")),
    faults: [
        RandomCrashes(nodes: ["alice", "bob", "carol", "bank", "locks"], count: 2, downtime: ("100ms", "2s"), within: ("500ms", "6s")),
        RandomPartitions(nodes: ["alice", "bob", "carol", "bank", "locks"], count: 2, duration: ("100ms", "2s"), within: ("500ms", "6s")),
        RandomPauses(nodes: ["alice", "bob", "carol", "bank", "locks"], count: 2, duration: ("100ms", "1500ms"), within: ("500ms", "6s")),
    ],
    model: Bank(
        accounts: [("X", 20000), ("Y", 5000), ("Z", 0)],
        transfers: [
            (client: "alice", from: "X", to: "Y", amount: 10000, at: "1s", repeat: 4, every: "1s"),
            (client: "bob", from: "X", to: "Z", amount: 10000, at: "1s", repeat: 4, every: "1s"),
            (client: "carol", from: "Y", to: "X", amount: 5000, at: "1200ms", repeat: 4, every: "1s"),
        ],
        start_jitter: "20ms", think_time: "50ms", request_timeout: "1s", lease: "500ms",
    ),
    invariants: ["no-negative-balance", "conservation", "exactly-once", "no-lost-update"],
    variants: [
        (name: "check-then-debit", policy: Bank(strategy: CheckThenDebit)),
        (name: "read-modify-write", policy: Bank(strategy: ReadModifyWrite)),
        (name: "atomic", policy: Bank(strategy: Atomic)),
        (name: "compare-and-set", policy: Bank(strategy: CompareAndSet(max_attempts: 10,
            backoff: Exponential(base: "5ms", multiplier: 2.0, cap: "200ms", jitter: Full)))),
        (name: "lock-lease", policy: Bank(strategy: LockLease(fencing: false, max_attempts: 10,
            backoff: Exponential(base: "5ms", multiplier: 2.0, cap: "200ms", jitter: Full)))),
        (name: "lock-lease-fencing", policy: Bank(strategy: LockLease(fencing: true, max_attempts: 10,
            backoff: Exponential(base: "5ms", multiplier: 2.0, cap: "200ms", jitter: Full)))),
        (name: "single-writer", policy: Bank(strategy: SingleWriter)),
        (name: "single-writer-retries", policy: Bank(strategy: SingleWriter,
            retry: (max_attempts: 4, backoff: Fixed("200ms"), idempotency_key: true))),
    ],
)"#;

#[test]
fn every_unreplicated_strategy_under_random_faults() {
    // A two-step transfer (debit, then credit) that its client abandons in between — no
    // answer in time, or a crash — destroys the money it debited: every strategy that moves
    // money in two requests may break conservation that way, and none may create money
    // but those that write absolute balances from a stale read.
    const DESTROYS: &[&str] = &["conservation"];
    let (scenario, seen) = sweep(UNREPLICATED);
    let expect = |variant, may_break, must_break_sometimes, may_create_money| Expect {
        variant,
        may_break,
        must_break_sometimes,
        may_create_money,
    };
    check(
        &scenario,
        &seen,
        &[
            expect(
                "check-then-debit",
                &["no-negative-balance", "conservation"],
                &["no-negative-balance"],
                false,
            ),
            expect(
                "read-modify-write",
                &["conservation", "no-lost-update"],
                &["no-lost-update"],
                true,
            ),
            expect("atomic", DESTROYS, &[], false),
            expect("compare-and-set", DESTROYS, &[], false),
            expect("lock-lease", &["conservation", "no-lost-update"], &["no-lost-update"], true),
            expect("lock-lease-fencing", DESTROYS, &[], false),
            expect("single-writer", &[], &[], false),
            expect("single-writer-retries", &[], &[], false),
        ],
    );
}

/// Three replicas, a client on each, random faults on all of them; the faults end by 8 s
/// and the run goes on to 20 s, so replicas must have converged by then.
const REPLICATED: &str = r#"Scenario(name: "replica-sweep", duration: "20s",
    max_events: 1000000,
    network: (latency: Uniform(min: "1ms", max: "10ms")),
    faults: [
        RandomCrashes(nodes: ["alice", "bob", "carol", "r1", "r2", "r3"], count: 2, downtime: ("100ms", "2s"), within: ("500ms", "6s")),
        RandomPartitions(nodes: ["alice", "bob", "carol", "r1", "r2", "r3"], count: 2, duration: ("100ms", "2s"), within: ("500ms", "6s")),
        RandomPauses(nodes: ["alice", "bob", "carol", "r1", "r2", "r3"], count: 2, duration: ("100ms", "1500ms"), within: ("500ms", "6s")),
    ],
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
    variants: [
        (name: "async-replication", policy: Bank(strategy: AsyncReplication)),
        (name: "sync-primary", policy: Bank(strategy: SyncPrimary(primary: "r2"))),
        (name: "quorum", policy: Bank(strategy: Quorum)),
    ],
)"#;

#[test]
fn every_replicated_strategy_under_random_faults() {
    let (scenario, seen) = sweep(REPLICATED);
    check(
        &scenario,
        &seen,
        &[
            Expect {
                variant: "async-replication",
                may_break: &["no-negative-balance"],
                must_break_sometimes: &["no-negative-balance"],
                may_create_money: false,
            },
            Expect {
                variant: "sync-primary",
                may_break: &[],
                must_break_sometimes: &[],
                may_create_money: false,
            },
            Expect {
                variant: "quorum",
                may_break: &[],
                must_break_sometimes: &[],
                may_create_money: false,
            },
        ],
    );
}
