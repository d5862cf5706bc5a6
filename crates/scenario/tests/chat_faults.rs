//! Chat users and servers crashing mid-conversation, through scenario text: a user keeps
//! its outbox and what it has shown, re-arms its retransmissions, and forgets only what it
//! held back; acknowledged delivery still loses nothing, shows nothing twice, keeps order.

use faultline_scenario::parse;

#[test]
fn acknowledged_delivery_survives_users_and_servers_crashing() {
    let s = parse(
        r#"Scenario(name: "t", duration: "60s",
            network: (latency: Uniform(min: "5ms", max: "40ms"), loss: 0.05),
            faults: [
                RandomCrashes(nodes: ["alice", "server-a", "server-b", "bob"], count: 4, downtime: ("200ms", "4s"), within: ("2s", "25s")),
                RandomPartitions(nodes: ["alice", "server-a", "server-b", "bob"], count: 2, duration: ("1s", "5s"), within: ("2s", "25s")),
                RandomPauses(nodes: ["alice", "server-a", "server-b", "bob"], count: 2, duration: ("100ms", "2s"), within: ("2s", "25s")),
            ],
            model: Chat(rate_per_s: 5.0, send_until: "30s"),
            invariants: ["no-loss", "no-duplicate", "in-order"],
            variants: [(name: "ack", policy: Chat(delivery: AckRetransmit(rto: "250ms", rto_max: "2s", backoff: 2.0)))],
        )"#,
        "t.ron",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    for seed in 0..100 {
        let outcome = s.run(seed, &s.variants[0], false).unwrap();
        let broken: Vec<&str> = outcome.violations.iter().map(|v| v.invariant.as_str()).collect();
        assert!(broken.is_empty(), "seed {seed}: {broken:?}: {}", outcome.violations[0].detail);
        assert!(outcome.metrics["messages.sent"] > 100.0, "seed {seed}");
    }
}
