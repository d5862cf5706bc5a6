//! The chat model keeps its promises under every kind of fault the engine has:
//! ack-and-retransmit delivers everything exactly once and in order; fire-and-forget shows
//! what is lost, duplicated and reordered.

use faultline_scenario::{Scenario, parse};

fn scenario(network: &str, faults: &str) -> Scenario {
    let source = format!(
        r#"Scenario(
            name: "t", seed: 1, duration: "90s",
            network: {network},
            faults: [{faults}],
            model: Chat(rate_per_s: 5.0, send_until: "40s"),
            invariants: ["no-loss", "no-duplicate", "in-order"],
            variants: [
                (name: "ff", policy: Chat(delivery: FireAndForget)),
                (name: "ack", policy: Chat(delivery: AckRetransmit(rto: "200ms", rto_max: "2s"))),
            ],
        )"#
    );
    parse(&source, "t.ron").unwrap_or_else(|e| panic!("{e}"))
}

fn metric(scenario: &Scenario, variant: usize, seed: u64, name: &str) -> (f64, usize) {
    let outcome = scenario.run(seed, &scenario.variants[variant], false).unwrap();
    (outcome.metrics[name], outcome.violations.len())
}

#[test]
fn ack_and_retransmit_survives_crashes_of_users_and_servers() {
    let s = scenario(
        "(loss: 0.01)",
        r#"Partition(between: (["server-a"], ["server-b"]), from: "10s", until: "20s"),
           Crash(node: "alice", at: "12s", restart: "14s"),
           Crash(node: "server-b", at: "25s", restart: "27s"),
           Crash(node: "bob", at: "30s", restart: "31s")"#,
    );
    for seed in 0..5 {
        let (lost, violations) = metric(&s, 1, seed, "messages.lost");
        assert_eq!((lost, violations), (0.0, 0), "seed {seed}");
        let (ff_lost, ff_violations) = metric(&s, 0, seed, "messages.lost");
        assert!(ff_lost > 0.0 && ff_violations > 0, "seed {seed}");
    }
}

#[test]
fn duplicates_from_the_network_are_shown_by_fire_and_forget_and_absorbed_by_acks() {
    let s = scenario(r#"(latency: Uniform(min: "1ms", max: "50ms"), duplicate: 0.05)"#, "");
    let (ff_duplicated, _) = metric(&s, 0, 3, "messages.duplicated");
    let (ack_duplicated, ack_violations) = metric(&s, 1, 3, "messages.duplicated");
    assert!(ff_duplicated > 0.0);
    assert_eq!((ack_duplicated, ack_violations), (0.0, 0));
}

#[test]
fn pauses_and_latency_spikes_delay_but_do_not_lose_acknowledged_messages() {
    let s = scenario(
        "(loss: 0.02)",
        r#"Pause(node: "server-a", from: "5s", until: "9s"),
           LatencySpike(between: (["server-a"], ["server-b"]), extra: "1s", from: "15s", until: "25s"),
           OneWayPartition(senders: ["server-b"], receivers: ["server-a"], from: "30s", until: "35s"),
           Loss(between: (["alice"], ["server-a"]), probability: 0.5, from: "36s", until: "40s")"#,
    );
    for seed in 0..3 {
        assert_eq!(metric(&s, 1, seed, "messages.lost"), (0.0, 0), "seed {seed}");
        let (p99_ms, _) = metric(&s, 1, seed, "delivery_latency_p99_ms");
        assert!(p99_ms > 1000.0, "the spike and the pause show in the tail: {p99_ms}");
    }
}

#[test]
fn a_run_without_faults_does_not_say_its_messages_waited_them_out() {
    let quiet = scenario("(latency: Uniform(min: \"5ms\", max: \"40ms\"))", "");
    let outcome = quiet.run(1, &quiet.variants[1], false).unwrap();
    assert!(outcome.verdict.starts_with("delivered all"), "{}", outcome.verdict);
    assert!(!outcome.verdict.contains("fault"), "{}", outcome.verdict);
}
