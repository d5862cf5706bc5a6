//! The key-value store across a client crash: operations the crash cut short count as
//! failed, not as never having happened, so availability tells the truth.

use faultline_scenario::parse;

const SCENARIO: &str = r#"Scenario(
    name: "kv-crash",
    seed: 1,
    duration: "10s",
    network: (latency: Uniform(min: "5ms", max: "20ms")),
    faults: [CRASH],
    model: Kv(replicas: 3, keys: 5, writes_per_s: 200.0, writes_until: "8s", reads_per_s: 200.0, reads_until: "8s", timeout: "500ms"),
    variants: [(name: "quorum", policy: Kv(write_quorum: 2, read_quorum: 2))],
)"#;

fn metrics(crash: &str) -> std::collections::BTreeMap<String, f64> {
    let scenario = parse(&SCENARIO.replace("CRASH", crash), "kv-crash.ron").unwrap();
    scenario.run(1, &scenario.variants[0], false).unwrap().metrics
}

#[test]
fn operations_in_flight_at_a_client_crash_are_failures() {
    let calm = metrics("");
    let crashed = metrics(r#"Crash(node: "client", at: "3s", restart: "4s")"#);
    let failed =
        |m: &std::collections::BTreeMap<String, f64>| m["reads.failed"] + m["writes.failed"];
    assert_eq!(failed(&calm), 0.0);
    assert_eq!(calm["availability"], 1.0);
    // At 400 operations a second and 10-40 ms round trips, several are in flight at 3 s.
    assert!(failed(&crashed) >= 2.0, "{crashed:?}");
    assert!(crashed["availability"] < 1.0, "{crashed:?}");
    // A replica's store is durable: the crash of the client loses no acknowledged write.
    assert_eq!(crashed["reads.stale"], 0.0);
}

#[test]
fn a_client_that_never_comes_back_serves_nothing_more() {
    let down = metrics(r#"Crash(node: "client", at: "2s")"#);
    // Operations run until 8 s; from 2 s on none is served.
    assert!(down["availability"] < 0.3, "{down:?}");
}
