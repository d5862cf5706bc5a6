//! The payment services under crashes, through scenario text: each process comes back empty
//! (or, for the clients, still waiting for what they sent), every request still ends in an
//! answer or a timeout, and service recovers once the crashes are over.

use faultline_engine::TraceEvent;
use faultline_scenario::{Scenario, parse};

fn scenario() -> Scenario {
    let source = r#"Scenario(name: "t", duration: "30s",
        network: (latency: LogNormal(median: "2ms", sigma: 0.3)),
        faults: [
            Crash(node: "auth", at: "5s", restart: "6s"),
            Crash(node: "payments", at: "10s", restart: "11s"),
            Crash(node: "clients", at: "15s", restart: "16s"),
            RandomCrashes(nodes: ["auth", "payments", "clients"], count: 2, downtime: ("100ms", "1s"), within: ("2s", "20s")),
        ],
        model: Payment(
            clients: (rate_per_s: 100.0, pay_fraction: 0.5, until: "24s", deadline: "3s"),
            auth: (workers: 32, queue: 32, login_time: Constant("5ms"), pay_time: Constant("2ms")),
            payments: (workers: 8, queue: 32, service_time: LogNormal(median: "20ms", sigma: 0.5)),
        ),
        variants: [
            (name: "timeout", policy: Payment(timeout: "300ms")),
            (name: "retries-budget", policy: Payment(timeout: "300ms", retry: (max_attempts: 3,
                backoff: Exponential(base: "20ms", multiplier: 2.0, cap: "200ms", jitter: Full),
                budget: (ratio: 0.2, max_tokens: 20)))),
            (name: "breaker", policy: Payment(timeout: "300ms", breaker: Resilient(failure_rate: 0.5,
                window: Count(20), minimum_calls: 10, wait_in_open: "1s", half_open_calls: 3))),
        ],
    )"#;
    parse(source, "t.ron").unwrap_or_else(|e| panic!("{e}"))
}

/// The number after `id: ` in a message or timer's `Debug` text.
#[test]
fn every_request_ends_and_service_recovers_after_crashes() {
    let s = scenario();
    let names = s.node_names();
    let clients = names.iter().position(|n| n == "clients").unwrap() as u32;
    for seed in 0..10 {
        for variant in &s.variants {
            let outcome = s.run(seed, variant, true).unwrap();
            let name = &variant.name;
            // A client that crashed keeps waiting for what it sent and re-arms its deadlines:
            // every request reaches the user as an answer or as its deadline, none hangs.
            let mut open = std::collections::BTreeSet::new();
            // Each request is a story: its id is every record's subject.
            for record in outcome.trace.as_deref().unwrap() {
                let Some(id) = record.subject else { continue };
                match &record.event {
                    TraceEvent::Send { from, .. } if from.0 == clients => {
                        open.insert(id);
                    }
                    // What reaches the clients is an answer; the timer they set, a deadline.
                    TraceEvent::Deliver { to, .. } if to.0 == clients => {
                        open.remove(&id);
                    }
                    TraceEvent::Timer { node, .. } if node.0 == clients => {
                        open.remove(&id);
                    }
                    _ => {}
                }
            }
            assert!(open.is_empty(), "seed {seed} {name}: requests {open:?} never ended");
            let m = &outcome.metrics;
            assert!(m["pay.requests"] > 500.0, "seed {seed} {name}: {}", m["pay.requests"]);
            // Restarted services start empty and serve again.
            assert_eq!(m["recovered"], 1.0, "seed {seed} {name}: never recovered");
            assert!(m["pay.success_rate"] > 0.7, "seed {seed} {name}");
        }
    }
}

#[test]
fn runs_that_share_a_seeds_arrivals_do_not_change_each_other() {
    // A seed's arrivals are drawn once per thread and shared by its variants, and a client
    // that restarts drops the arrivals it missed from its copy. Every run must still be what
    // it is alone: here each run on this thread (after others of the same seed, crashes
    // included) against the same run on a fresh thread, which has nothing drawn yet.
    let s = scenario();
    for seed in 0..3 {
        for variant in &s.variants {
            let shared = s.run(seed, variant, false).unwrap();
            let alone = std::thread::scope(|scope| {
                scope.spawn(|| s.run(seed, variant, false).unwrap()).join().unwrap()
            });
            assert_eq!(shared.trace_hash, alone.trace_hash, "seed {seed}, {}", variant.name);
            assert_eq!(shared.metrics, alone.metrics, "seed {seed}, {}", variant.name);
        }
    }
}
