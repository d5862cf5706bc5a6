//! A run's memory follows its events, not its length: a scenario with a handful of
//! requests that lasts 10000 hours allocates about what it does for a minute, because chart
//! series widen their bins instead of keeping one per second.
//!
//! One test in its own binary: the allocator's counters are global, and a test running
//! beside it would count too.

use std::alloc::System;

use faultline_scenario::Scenario;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// More than any of these runs needs for its few events and fixed-size series, and far
/// less than one-second bins over 10000 hours (36 million of them) would take.
const BUDGET_BYTES: usize = 4 << 20;

/// The most points a series may have: the bin budget, and the one at the run's end.
const POINTS_MAX: usize = 1_001;

const CHAT: &str = r#"Scenario(
    name: "chat-long", about: "one message, a long run", seed: 7, duration: "DURATION",
    network: (latency: Uniform(min: "5ms", max: "40ms")),
    model: Chat(rate_per_s: 1.0, send_until: "1s"),
    invariants: ["no-loss"],
    variants: [
        (name: "fire-and-forget", policy: Chat(delivery: FireAndForget)),
        (name: "ack", policy: Chat(delivery: AckRetransmit(rto: "250ms", rto_max: "2s", backoff: 2.0))),
    ],
)"#;

const PAYMENT: &str = r#"Scenario(
    name: "payment-long", about: "a few payments, a long run", seed: 7, duration: "DURATION",
    network: (latency: LogNormal(median: "2ms", sigma: 0.3)),
    model: Payment(
        clients: (rate_per_s: 2.0, pay_fraction: 0.5, until: "2s", deadline: "5s"),
        auth: (workers: 4, queue: 4, login_time: Constant("5ms"), pay_time: Constant("2ms")),
        payments: (workers: 4, queue: 4, service_time: Constant("20ms")),
    ),
    variants: [
        (name: "no-timeout", policy: Payment()),
        (name: "breaker", policy: Payment(timeout: "300ms", breaker: Resilient(
            failure_rate: 0.5, window: Count(20), minimum_calls: 10, wait_in_open: "2s",
            half_open_calls: 5,
        ))),
    ],
)"#;

const KV: &str = r#"Scenario(
    name: "kv-long", about: "a few operations, a long run", seed: 1, duration: "DURATION",
    network: (latency: Uniform(min: "1ms", max: "10ms")),
    model: Kv(replicas: 3, keys: 2, writes_per_s: 1.0, writes_until: "1s", reads_per_s: 1.0,
        reads_until: "1s", timeout: "500ms"),
    invariants: ["no-stale-read", "convergence"],
    variants: [(name: "quorum", policy: Kv(write_quorum: 2, read_quorum: 2))],
)"#;

const ORDERS: &str = r#"Scenario(
    name: "orders-long", about: "an order, a long run", seed: 1, duration: "DURATION",
    network: (latency: Uniform(min: "1ms", max: "5ms")),
    model: Orders(rate_per_s: 1.0, until: "1s", products: 1, stock: 10,
        processing: Constant("200ms"), visibility_timeout: "3s"),
    invariants: ["no-lost-event", "exactly-once-charge", "truthful-answer", "convergence"],
    variants: [(name: "pubsub", policy: Orders(channel: PubSub, answer: SleepThenRead("1s")))],
)"#;

const BANK: &str = r#"Scenario(
    name: "bank-long", about: "one transfer, a long run", seed: 1, duration: "DURATION",
    network: (latency: Uniform(min: "1ms", max: "10ms")),
    model: Bank(
        accounts: [("X", 10000), ("Y", 0)],
        transfers: [(client: "alice", from: "X", to: "Y", amount: 10000, at: "1s")],
        request_timeout: "2s",
    ),
    invariants: ["no-negative-balance", "conservation"],
    variants: [(name: "atomic", policy: Bank(strategy: Atomic))],
)"#;

/// Bytes allocated (and grown by reallocation) while every variant of `text` runs for
/// `duration`; checks on the way that no series outgrows the bin budget.
fn bytes_for(text: &str, duration: &str) -> usize {
    let source = text.replace("DURATION", duration);
    let scenario: Scenario = faultline_scenario::parse(&source, "long.ron").unwrap();
    let region = Region::new(GLOBAL);
    for variant in &scenario.variants {
        let outcome = scenario.run(scenario.seed, variant, false).unwrap();
        for series in &outcome.series {
            let points = series.points.len();
            assert!(
                points <= POINTS_MAX,
                "{}: {} has {points} points",
                scenario.name,
                series.chart
            );
        }
    }
    let change = region.change();
    change.bytes_allocated + change.bytes_reallocated.max(0) as usize
}

#[test]
fn a_few_events_over_ten_thousand_hours_cost_what_they_cost_over_a_minute() {
    // The orders model's consumers poll and resubscribe while the run lasts, a few events a
    // second however idle the shop: 10000 hours would be 150 million events and hit the
    // event limit, so it runs 1000 (3.6 million one-second bins, had they stayed).
    let models = [
        ("chat", CHAT, "10000h"),
        ("payment", PAYMENT, "10000h"),
        ("kv", KV, "10000h"),
        ("orders", ORDERS, "1000h"),
        ("bank", BANK, "10000h"),
    ];
    for (model, text, long) in models {
        let minute = bytes_for(text, "60s");
        let long_bytes = bytes_for(text, long);
        assert!(minute <= BUDGET_BYTES, "{model}: {minute} bytes over 60 s");
        assert!(
            long_bytes <= BUDGET_BYTES,
            "{model}: {long_bytes} bytes over {long} ({minute} over 60 s)"
        );
    }
}
