//! Exploring every interleaving: the double transfer's known race is found, the strategies
//! a sweep finds safe are safe in every order, and the reduction misses no outcome that
//! running every order finds.

use std::collections::BTreeSet;

use faultline_engine::TraceEvent;
use faultline_outcome::Outcome;
use faultline_scenario::{Reduction, Refusal, Scenario, parse};

fn scenario(path: &str) -> Scenario {
    let file = format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"));
    parse(&std::fs::read_to_string(&file).unwrap(), path).unwrap()
}

fn variant<'s>(scenario: &'s Scenario, name: &str) -> &'s faultline_scenario::Variant {
    scenario.variants.iter().find(|v| v.name == name).unwrap()
}

/// What an outcome ended with: the invariants it broke and the money it created or lost.
fn ending(outcome: &Outcome) -> String {
    let broken: BTreeSet<&str> = outcome.violations.iter().map(|v| v.invariant.as_str()).collect();
    let money = ["balance.min_cents", "money.created_cents"].map(|m| outcome.metrics.get(m));
    format!("{broken:?} {money:?}")
}

#[test]
fn explore_agrees_with_the_sweep_on_which_strategies_are_safe() {
    let scenario = scenario("scenarios/double-transfer.ron");
    for variant in &scenario.variants {
        let swept_safe =
            (0..200).all(|seed| scenario.run(seed, variant, false).unwrap().violations.is_empty());
        let explored = scenario.explore(variant, 100_000, Reduction::Dpor).unwrap();
        assert!(explored.complete, "{}: the search did not finish", variant.name);
        let explored_safe = explored.violating.iter().all(|(_, n)| *n == 0);
        assert_eq!(
            explored_safe, swept_safe,
            "{}: explore says safe = {explored_safe}, 200 seeds say {swept_safe}",
            variant.name
        );
        assert_eq!(explored.shortest.is_some(), !explored_safe);
    }
}

#[test]
fn explore_finds_the_check_then_debit_race() {
    let scenario = scenario("scenarios/double-transfer.ron");
    let explored =
        scenario.explore(variant(&scenario, "check-then-debit"), 100_000, Reduction::Dpor).unwrap();
    let overdrawn = explored.violating.iter().find(|(name, _)| name == "no-negative-balance");
    let overdrawn = overdrawn.unwrap().1;
    // Some orders serialise the two transfers (one is refused); the others overdraw X.
    assert!(
        overdrawn > 0 && overdrawn < explored.schedules,
        "{overdrawn} of {}",
        explored.schedules
    );
    let shortest = explored.shortest.unwrap();
    assert!(shortest.outcome.violations.iter().any(|v| v.invariant == "no-negative-balance"));
    // The race itself: both transfers read X before either debits it.
    let delivered: Vec<String> = shortest
        .outcome
        .trace
        .as_ref()
        .unwrap()
        .iter()
        .filter_map(|r| match &r.event {
            TraceEvent::Deliver { msg, .. } => Some(msg.clone()),
            _ => None,
        })
        .collect();
    let first = |what: &str| delivered.iter().position(|m| m.contains(what));
    let reads = [first("T1: read X").unwrap(), first("T2: read X").unwrap()];
    let first_debit = first("debit X").unwrap();
    assert!(reads.iter().all(|&read| read < first_debit), "{delivered:#?}");
}

#[test]
fn the_reduction_reaches_every_ending_that_every_order_reaches() {
    let scenario = scenario("scenarios/double-transfer.ron");
    for name in ["check-then-debit", "atomic", "compare-and-set"] {
        let variant = variant(&scenario, name);
        let endings = |reduction| {
            let mut seen = BTreeSet::new();
            let explored = scenario
                .explore_each(variant, 1_000_000, reduction, |o| {
                    seen.insert(ending(o));
                })
                .unwrap();
            assert!(explored.complete);
            (seen, explored.schedules)
        };
        let (reduced, reduced_schedules) = endings(Reduction::Dpor);
        let (every, every_schedules) = endings(Reduction::None);
        assert_eq!(reduced, every, "{name}: the reduction missed an ending");
        assert!(reduced_schedules < every_schedules, "{name}: nothing was reduced");
    }
}

#[test]
fn exploring_twice_gives_the_same_result() {
    let scenario = scenario("scenarios/double-transfer.ron");
    let variant = variant(&scenario, "read-modify-write");
    let once = scenario.explore(variant, 500, Reduction::Dpor).unwrap();
    let again = scenario.explore(variant, 500, Reduction::Dpor).unwrap();
    assert!(!once.complete, "the bound stops the search: it is reported");
    assert_eq!(once.schedules, 500);
    assert_eq!((once.schedules, &once.violating), (again.schedules, &again.violating));
    let hash = |e: &faultline_outcome::Exploration| e.shortest.as_ref().unwrap().outcome.trace_hash;
    assert_eq!(hash(&once), hash(&again));
}

#[test]
fn scenarios_too_large_or_random_are_refused_with_the_bound_named() {
    let payment = scenario("scenarios/payment-partition.ron");
    let refusal = payment.steps(&payment.variants[0]).unwrap_err();
    assert!(matches!(refusal, Refusal::TooLarge { events: Some(n), .. } if n > 400));
    assert!(refusal.to_string().contains("at most 400 events"), "{refusal}");

    let swarm = scenario("scenarios/chat-swarm.ron");
    let refusal = swarm.explorable().unwrap_err().to_string();
    assert!(refusal.contains("--print-schedule"), "{refusal}");

    let lossy = scenario("scenarios/payment-flaky-network.ron");
    assert!(lossy.explorable().unwrap_err().to_string().contains("random loss"));
}
