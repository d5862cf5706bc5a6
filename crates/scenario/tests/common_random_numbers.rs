//! Common random numbers, end to end: two variants that differ only in one policy detail
//! (jitter kind, retry count, breaker thresholds, timeout) see the same workload, the same
//! faults, the same draws on every link and the same service time for every request. Only
//! the policy's own numbers may differ. Read from the full trace, through scenario text. The
//! same holds for a seed's swarm draw: every variant runs the same generators and network.

use std::collections::{BTreeMap, BTreeSet};

use faultline_engine::{DropReason, SimTime, TraceEvent, TraceRecord};
use faultline_scenario::{Scenario, parse};
use proptest::prelude::*;

/// A's policy for calling B, written out as scenario text.
#[derive(Clone, Debug)]
struct Policy {
    timeout_ms: u64,
    max_attempts: u32,
    jitter: &'static str,
    /// (failure rate, minimum calls), or no breaker.
    breaker: Option<(f64, u32)>,
}

impl Policy {
    fn text(&self) -> String {
        let breaker = self.breaker.map_or(String::new(), |(rate, calls)| {
            format!(
                ", breaker: Resilient(failure_rate: {rate:?}, window: Count(20), \
                 minimum_calls: {calls}, wait_in_open: \"500ms\", half_open_calls: 3)"
            )
        });
        format!(
            "Payment(timeout: \"{}ms\", retry: (max_attempts: {}, backoff: Exponential(base: \
             \"20ms\", multiplier: 2.0, cap: \"400ms\", jitter: {})){breaker})",
            self.timeout_ms, self.max_attempts, self.jitter
        )
    }
}

/// A partition generator and swarm bounds, for the swarm test: with them a seed's draw can
/// turn each generator on or off, and changes the network.
const SWARM: &str = r#"
                RandomPartitions(nodes: ["auth", "payments"], count: 3, duration: ("100ms", "300ms"), within: ("1s", "4s")),
            ],
            swarm: (enable: 0.7, loss: (0.0, 0.05), latency: (0.5, 2.0)),"#;

/// Few workers, so the policies change which request waits for which: with draws taken in
/// order, that alone would hand service times to different requests. With `swarm`, a
/// generator more and swarm bounds.
fn scenario(a: &Policy, b: &Policy, swarm: bool) -> Scenario {
    let source = format!(
        r#"Scenario(name: "crn", duration: "6s",
            network: (latency: LogNormal(median: "2ms", sigma: 0.4), loss: 0.03),
            faults: [
                Partition(between: (["auth"], ["payments"]), from: "2s", until: "2500ms"),
                RandomPauses(nodes: ["auth", "payments"], count: 2, duration: ("50ms", "300ms"), within: ("1s", "4s")),
            ],
            model: Payment(
                clients: (rate_per_s: 120.0, pay_fraction: 0.6, until: "4s", deadline: "2s"),
                auth: (workers: 6, queue: 20, login_time: LogNormal(median: "4ms", sigma: 0.5), pay_time: Uniform(min: "1ms", max: "3ms")),
                payments: (workers: 3, queue: 20, service_time: LogNormal(median: "15ms", sigma: 0.5)),
            ),
            variants: [(name: "a", policy: {}), (name: "b", policy: {})],
        )"#,
        a.text(),
        b.text()
    );
    let source = if swarm { source.replacen("\n            ],", SWARM, 1) } else { source };
    parse(&source, "crn.ron").unwrap_or_else(|e| panic!("{e}"))
}

/// What one run shows of the numbers it was dealt.
#[derive(Debug, Default)]
struct Dealt {
    /// Every request the clients sent: when, and what.
    workload: Vec<(SimTime, String)>,
    faults: Vec<(SimTime, TraceEvent)>,
    /// Per directed link, the fate of its k-th message: lost, or delivered after a latency.
    /// Messages cut off by a partition or a crashed receiver are `None`: their fate was
    /// decided by the faults, not by the link's draws.
    links: BTreeMap<(u32, u32), Vec<Option<Fate>>>,
    /// A's own work per request id, and B's service time per (request, attempt).
    auth_work: BTreeMap<String, String>,
    payments_work: BTreeMap<String, String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fate {
    Lost,
    Latency(u64),
}

/// The request id and the time of a timer's description such as `#3: try 1 served in 2ms`:
/// what comes after `#` and after ` in `.
fn id_and_time(text: &str) -> (String, String) {
    let id = text.strip_prefix('#').and_then(|rest| rest.split(':').next());
    let time = text.rsplit(" in ").next();
    match (id, time) {
        (Some(id), Some(time)) => (id.to_owned(), time.to_owned()),
        _ => panic!("no id and time in {text}"),
    }
}

fn dealt(trace: &[TraceRecord], clients: u32, auth: u32, payments: u32) -> Dealt {
    let mut out = Dealt::default();
    // msg_id → (link, index on the link, send time)
    let mut sent = BTreeMap::new();
    let mut resolved = BTreeSet::new();
    for record in trace {
        match &record.event {
            TraceEvent::Send { from, to, msg_id, msg } => {
                if from.0 == clients {
                    out.workload.push((record.at, msg.clone()));
                }
                let fates = out.links.entry((from.0, to.0)).or_default();
                sent.insert(*msg_id, ((from.0, to.0), fates.len(), record.at));
                fates.push(None);
            }
            TraceEvent::Deliver { msg_id, .. }
            | TraceEvent::Buffer { msg_id, .. }
            | TraceEvent::Drop { msg_id, .. } => {
                // The first record of a message is where the link left it.
                if !resolved.insert(*msg_id) {
                    continue;
                }
                let (link, index, at) = sent[msg_id];
                let fate = match &record.event {
                    TraceEvent::Drop { reason: DropReason::Loss, .. } => Some(Fate::Lost),
                    TraceEvent::Drop { .. } => None,
                    _ => Some(Fate::Latency(record.at.since(at).as_nanos())),
                };
                out.links.get_mut(&link).unwrap()[index] = fate;
            }
            TraceEvent::Timer { node, timer }
                if node.0 == auth && timer.contains(": checked in ") =>
            {
                let (id, work) = id_and_time(timer);
                out.auth_work.insert(id, work);
            }
            TraceEvent::Timer { node, timer }
                if node.0 == payments && timer.contains(" served in ") =>
            {
                // "#3: try 1 served in 2ms": the call is the request and its attempt.
                let (id, took) = id_and_time(timer);
                let attempt = timer.split(" try ").nth(1).and_then(|rest| rest.split(' ').next());
                let call = format!("{id}/{}", attempt.unwrap_or_else(|| panic!("{timer}")));
                out.payments_work.insert(call, took);
            }
            TraceEvent::FaultBegin { .. } | TraceEvent::FaultEnd { .. } => {
                out.faults.push((record.at, record.event.clone()));
            }
            _ => {}
        }
    }
    out
}

/// How many keys two maps share, after checking they agree on every one of them.
fn agree_on_common_keys(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> usize {
    let mut common = 0;
    for (key, value) in a {
        if let Some(other) = b.get(key) {
            assert_eq!(value, other, "service time of {key}");
            common += 1;
        }
    }
    common
}

fn policies() -> impl Strategy<Value = (Policy, Policy)> {
    let jitters = prop::sample::select(vec!["None", "Full", "Equal", "Decorrelated"]);
    let breaker = prop::option::of((prop::sample::select(vec![0.3, 0.5, 0.8]), 5u32..15));
    let base = (50u64..400, 1u32..5, jitters.clone(), breaker.clone()).prop_map(
        |(timeout_ms, max_attempts, jitter, breaker)| Policy {
            timeout_ms,
            max_attempts,
            jitter,
            breaker,
        },
    );
    // One detail changes; everything else is shared.
    (base, 0u8..4, 50u64..400, 1u32..5, jitters, breaker).prop_map(
        |(a, detail, timeout_ms, max_attempts, jitter, breaker)| {
            let mut b = a.clone();
            match detail {
                0 => b.jitter = jitter,
                1 => b.max_attempts = max_attempts,
                2 => b.breaker = breaker,
                _ => b.timeout_ms = timeout_ms,
            }
            (a, b)
        },
    )
}

/// How much two runs had in common to compare: the workload's requests, messages on the
/// same links, requests A served and calls B served in both.
struct Compared {
    workload: usize,
    messages: usize,
    auth: usize,
    payments: usize,
}

impl Compared {
    /// Enough for the comparison to say something.
    fn enough(&self) -> Result<(), String> {
        let Compared { workload, messages, auth, payments } = *self;
        if workload <= 400 {
            return Err(format!("the clients sent only {workload}"));
        }
        if messages <= 800 {
            return Err(format!("only {messages} messages compared"));
        }
        if auth <= 200 {
            return Err(format!("only {auth} requests served by A in both runs"));
        }
        if payments <= 50 {
            return Err(format!("only {payments} calls served by B in both runs"));
        }
        Ok(())
    }
}

/// Runs both variants of `scenario` with `seed` and checks they were dealt the same numbers;
/// says how much they had in common to compare.
fn same_numbers(scenario: &Scenario, seed: u64) -> Result<Compared, TestCaseError> {
    let names = scenario.node_names();
    let id = |name: &str| names.iter().position(|n| n == name).unwrap() as u32;
    let (clients, auth, payments) = (id("clients"), id("auth"), id("payments"));
    let run = |variant| {
        let outcome = scenario.run(seed, &scenario.variants[variant], true).unwrap();
        dealt(&outcome.trace.unwrap(), clients, auth, payments)
    };
    let (x, y) = (run(0), run(1));

    prop_assert_eq!(&x.workload, &y.workload, "the workload differs");
    prop_assert_eq!(&x.faults, &y.faults, "the faults differ");
    // The k-th message on a link sees the same loss and latency draws in both runs.
    let mut compared = 0;
    for (link, fates) in &x.links {
        let Some(other) = y.links.get(link) else { continue };
        for (k, (p, q)) in fates.iter().zip(other).enumerate() {
            if let (Some(p), Some(q)) = (p, q) {
                prop_assert_eq!(p, q, "message {} on link {:?}", k, link);
                compared += 1;
            }
        }
    }
    // Every request and call both runs served took the same time in both.
    let auth = agree_on_common_keys(&x.auth_work, &y.auth_work);
    let payments = agree_on_common_keys(&x.payments_work, &y.payments_work);
    Ok(Compared { workload: x.workload.len(), messages: compared, auth, payments })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    #[test]
    fn a_policy_detail_changes_no_one_elses_numbers(seed in 0u64..1_000, (a, b) in policies()) {
        let compared = same_numbers(&scenario(&a, &b, false), seed)?;
        // The written scenario always gives both runs plenty in common.
        if let Err(why) = compared.enough() {
            prop_assert!(false, "{}", why);
        }
    }

    #[test]
    fn under_swarm_every_variant_of_a_seed_sees_the_same_draw(
        seed in 0u64..1_000,
        (a, b) in policies(),
    ) {
        let written = scenario(&a, &b, true);
        let swarmed = written.swarmed(seed);
        // The draw changed the run: its own network, and the generators it turned on.
        prop_assert_ne!(&swarmed.network, &written.network);
        prop_assert_eq!(&swarmed.random_faults, &written.swarm_draw(seed).enabled());
        let compared = same_numbers(&swarmed, seed)?;
        // A draw may starve a run (every fault on, B cut off): too little in common to say
        // anything, so another draw is taken instead.
        prop_assume!(compared.enough().is_ok());
    }
}
