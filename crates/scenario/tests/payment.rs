//! The payment scenarios tell the story their comments promise, over several seeds: the
//! cascade and its prevention, the breaker that never closes, loss hidden by retries, and
//! the retry storm that outlives its trigger.

use std::collections::BTreeMap;

use faultline_scenario::{Scenario, parse};

fn load(name: &str) -> Scenario {
    let path = format!("{}/../../scenarios/{name}.ron", env!("CARGO_MANIFEST_DIR"));
    let source = std::fs::read_to_string(&path).unwrap();
    parse(&source, &path).unwrap_or_else(|e| panic!("{e}"))
}

/// Every variant's metrics for one seed, by variant name.
fn metrics(scenario: &Scenario, seed: u64) -> BTreeMap<String, BTreeMap<String, f64>> {
    scenario
        .variants
        .iter()
        .map(|v| (v.name.clone(), scenario.run(seed, v, false).unwrap().metrics))
        .collect()
}

const SEEDS: [u64; 3] = [1, 2, 3];

#[test]
fn the_partition_cascades_without_a_breaker_and_not_with_one() {
    let scenario = load("payment-partition");
    for seed in SEEDS {
        let m = metrics(&scenario, seed);
        let at = |variant: &str, name: &str| m[variant][name];

        // The article's 3 s timeout: payments fail, and logins go down with them.
        assert!(at("timeout-3s", "pay.success_rate_in_faults") < 0.1, "seed {seed}");
        assert!(at("timeout-3s", "login.success_rate_in_faults") < 0.5, "seed {seed}: no cascade");
        assert_eq!(at("timeout-3s", "recovered"), 1.0, "seed {seed}");

        // No timeout at all: auth's workers wait for ever, long after the heal.
        assert!(at("no-timeout", "login.success_rate_in_faults") < 0.2, "seed {seed}");
        assert_eq!(at("no-timeout", "recovered"), 0.0, "seed {seed}");

        // A breaker with half-open probes: logins stay healthy, payments fail fast and
        // come back within seconds of the heal.
        assert!(at("circuit-breaker", "login.success_rate_in_faults") > 0.95, "seed {seed}");
        assert!(at("circuit-breaker", "pay.failed.breaker_open") > 100.0, "seed {seed}");
        assert_eq!(at("circuit-breaker", "recovered"), 1.0, "seed {seed}");
        assert!(at("circuit-breaker", "recovery_s") <= 5.0, "seed {seed}");
        assert!(at("circuit-breaker", "pay.latency_p99_ms") < 1_000.0, "seed {seed}: fails fast");

        // Accepting payments for later while the breaker is open: degraded, not failed.
        assert!(at("breaker-accept-later", "pay.degraded") > 100.0, "seed {seed}");
        assert_eq!(at("breaker-accept-later", "pay.failed.breaker_open"), 0.0, "seed {seed}");

        // The article's breaker stops the cascade but never closes again.
        assert!(at("article-breaker", "login.success_rate_in_faults") > 0.7, "seed {seed}");
        assert_eq!(at("article-breaker", "recovered"), 0.0, "seed {seed}");
    }
}

#[test]
fn retries_hide_loss_and_unbudgeted_retries_multiply_calls() {
    let scenario = load("payment-flaky-network");
    for seed in SEEDS {
        let m = metrics(&scenario, seed);
        let at = |variant: &str, name: &str| m[variant][name];
        let no_retry = at("no-retry", "pay.success_rate");
        assert!((0.8..0.93).contains(&no_retry), "seed {seed}: {no_retry}");
        assert!(at("retry-jittered", "pay.success_rate") > no_retry + 0.05, "seed {seed}");
        assert!(at("retry-unbudgeted", "pay.success_rate") > 0.97, "seed {seed}");
        assert_eq!(at("no-retry", "downstream.amplification"), 1.0, "seed {seed}");
        assert!(
            at("retry-unbudgeted", "downstream.retries")
                > at("retry-jittered", "downstream.retries"),
            "seed {seed}"
        );
    }
}

#[test]
fn immediate_retries_sustain_the_storm_and_backoff_with_a_budget_recovers() {
    let scenario = load("retry-storm");
    for seed in SEEDS {
        let m = metrics(&scenario, seed);
        let at = |variant: &str, name: &str| m[variant][name];
        assert_eq!(at("immediate-retries", "recovered"), 0.0, "seed {seed}: no storm");
        assert!(at("immediate-retries", "downstream.amplification") > 2.0, "seed {seed}");
        assert!(at("immediate-retries", "downstream.wasted") > 1_000.0, "seed {seed}");
        for variant in ["backoff-budget", "breaker"] {
            assert_eq!(at(variant, "recovered"), 1.0, "seed {seed}: {variant}");
            assert!(at(variant, "recovery_s") <= 5.0, "seed {seed}: {variant}");
            assert!(at(variant, "pay.success_rate") > 0.85, "seed {seed}: {variant}");
        }
        assert!(at("backoff-budget", "downstream.amplification") < 1.2, "seed {seed}");
    }
}

/// One variant's points on `chart`, by x in seconds.
fn points(scenario: &Scenario, variant: &str, chart: &str) -> Vec<(f64, f64)> {
    let variant = scenario.variants.iter().find(|v| v.name == variant).unwrap();
    let outcome = scenario.run(scenario.seed, variant, false).unwrap();
    outcome.series.into_iter().find(|s| s.chart == chart).unwrap().points
}

#[test]
fn a_dead_service_shows_no_latency_and_a_wait_that_grows_for_ever() {
    let scenario = load("payment-partition");
    // Without a timeout, auth refuses what it cannot take in milliseconds; no payment
    // succeeds after 20 s, so there is no latency to draw, not a fast one.
    let latency = points(&scenario, "no-timeout", "pay-latency");
    let after = latency.iter().filter(|&&(x, _)| x >= 21.0);
    assert!(after.clone().count() > 30 && after.clone().all(|(_, y)| y.is_nan()), "{latency:?}");
    assert!(latency.iter().filter(|&&(x, _)| x < 19.0).all(|(_, y)| y.is_finite()));
    // The first call the partition swallowed, sent just before it, is still waited for at
    // the end: some 40 s.
    let waited = points(&scenario, "no-timeout", "pay-waiting");
    let &(_, last_s) = waited.last().unwrap();
    assert!((39.0..=41.0).contains(&last_s), "{waited:?}");
    // A 3 s timeout caps every wait.
    let capped = points(&scenario, "timeout-3s", "pay-waiting");
    assert!(capped.iter().filter(|(_, y)| y.is_finite()).all(|&(_, y)| y <= 3.0), "{capped:?}");
    assert!(capped.iter().any(|&(_, y)| y > 2.5), "{capped:?}");
}

#[test]
fn without_faults_the_verdict_counts_every_payment() {
    // No faults and a timeout shorter than any call: every payment fails, and the verdict
    // must say so rather than read the empty fault windows as a perfect score.
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scenarios/payment-partition.ron"
    ))
    .unwrap();
    let start = text.find("    faults: [").unwrap();
    let end = start + text[start..].find("],\n").unwrap() + 3;
    let text = format!("{}    faults: [],\n{}", &text[..start], &text[end..])
        .replace(r#"Payment(timeout: "3s")"#, r#"Payment(timeout: "1us")"#);
    let scenario = parse(&text, "no-faults.ron").unwrap_or_else(|e| panic!("{e}"));
    let variant = scenario.variants.iter().find(|v| v.name == "timeout-3s").unwrap();
    let outcome = scenario.run(scenario.seed, variant, false).unwrap();
    assert_eq!(outcome.metrics["pay.ok"], 0.0);
    assert_eq!(outcome.verdict, "no faults; 0% of payments succeeded");
}
