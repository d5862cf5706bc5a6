//! End-to-end tests of `faultline sweep`: the JSON contract, a result that does not depend on
//! `--jobs`, counts that agree with single runs, the chat-swarm's promise over seeds, and
//! bad input that exits 2 with nothing on stdout. Swarm sweeps: a seed reproduces with
//! `run --swarm`, its printed draw replays without it, and the lease-swarm's measurement.

mod common;

use common::{faultline, repo, scratch, stderr, stdout};
use serde_json::Value;

const SWARM: &str = "scenarios/chat-swarm.ron";

fn sweep_json(args: &[&str]) -> Value {
    let mut all = vec!["sweep", SWARM, "--json"];
    all.extend_from_slice(args);
    let output = faultline(&all);
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_str(&stdout(&output)).expect("stdout is exactly one JSON object")
}

fn variant<'a>(json: &'a Value, name: &str) -> &'a Value {
    let variants = json["variants"].as_array().unwrap();
    variants.iter().find(|v| v["name"] == name).unwrap_or_else(|| panic!("no variant {name}"))
}

fn seeds_of(value: &Value) -> Vec<u64> {
    value.as_array().unwrap().iter().map(|seed| seed.as_u64().unwrap()).collect()
}

#[test]
fn sweep_json_follows_the_contract() {
    let json = sweep_json(&["--seeds", "0..20"]);
    assert_eq!(json["scenario"], "chat-swarm");
    assert_eq!(seeds_of(&json["seeds"]), [0, 20]);
    let variants = json["variants"].as_array().unwrap();
    let names: Vec<&str> = variants.iter().map(|v| v["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["fire-and-forget", "ack-and-retransmit"]);
    for v in variants {
        assert_eq!(v["runs"], 20);
        assert!(v["events"].as_u64().unwrap() > 20, "every run handles events: {}", v["events"]);
        for invariant in ["no-loss", "no-duplicate", "in-order"] {
            let count = v["runs_violating"][invariant].as_u64().unwrap();
            let seeds = seeds_of(&v["violating_seeds"][invariant]);
            assert!(count <= 20, "{invariant}: {count}");
            assert_eq!(seeds.len() as u64, count.min(20), "{invariant}");
            assert!(seeds.windows(2).all(|w| w[0] < w[1]), "ascending: {seeds:?}");
            assert!(seeds.iter().all(|seed| *seed < 20), "{seeds:?}");
        }
        let metrics = v["metrics"].as_object().unwrap();
        for key in ["messages.sent", "messages.lost", "delivery_latency_p99_ms"] {
            let stats = &metrics[key];
            let number = |name: &str| stats[name].as_f64().unwrap();
            let (min, mean, max) = (number("min"), number("mean"), number("max"));
            assert!(min <= mean && mean <= max, "{key}: {stats}");
        }
        for stats in metrics.values() {
            let keys: Vec<&String> = stats.as_object().unwrap().keys().collect();
            assert_eq!(keys, ["max", "mean", "min", "runs"]);
        }
    }
    // Every variant sees the same workload whatever its policy (common random numbers).
    let sent = |name: &str| variant(&json, name)["metrics"]["messages.sent"].clone();
    assert_eq!(sent("fire-and-forget"), sent("ack-and-retransmit"));
}

#[test]
fn the_result_does_not_depend_on_jobs() {
    let run = |jobs: &str, json: bool| {
        let mut args = vec!["sweep", SWARM, "--seeds", "3..40", "--jobs", jobs];
        if json {
            args.push("--json");
        }
        let output = faultline(&args);
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output)
    };
    assert_eq!(run("1", true), run("4", true));
    assert_eq!(run("1", false), run("3", false));
}

/// The chat-swarm's promise, as its comment states it: fire-and-forget loses messages in
/// every seed, ack-and-retransmit in none.
#[test]
fn chat_swarm_keeps_its_promise_over_seeds() {
    let json = sweep_json(&["--seeds", "0..20"]);
    let fire = variant(&json, "fire-and-forget");
    assert_eq!(fire["runs_violating"]["no-loss"], 20, "{fire}");
    assert_eq!(seeds_of(&fire["violating_seeds"]["no-loss"]), (0..20).collect::<Vec<u64>>());
    let ack = variant(&json, "ack-and-retransmit");
    for invariant in ["no-loss", "no-duplicate", "in-order"] {
        assert_eq!(ack["runs_violating"][invariant], 0, "{invariant}: {ack}");
        assert!(ack["violating_seeds"][invariant].as_array().unwrap().is_empty());
    }
    assert_eq!(ack["metrics"]["messages.lost"]["max"], 0.0);
}

/// A seed the sweep lists as violating an invariant violates it when run alone, and one it
/// does not list does not: for every variant and invariant, on a few seeds. (Over 0..20 the
/// lists hold every violating seed: they are cut at 20.)
#[test]
fn sweep_counts_agree_with_single_runs() {
    let json = sweep_json(&["--seeds", "0..20"]);
    let out = scratch("sweep-single-runs");
    let mut checked = [0, 0]; // (listed, unlisted) pairs checked, to know both kinds occur
    for seed in [0_u64, 7, 19] {
        let seed_text = seed.to_string();
        let output = faultline(&[
            "run",
            SWARM,
            "--seed",
            &seed_text,
            "--json",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(output.status.success(), "{}", stderr(&output));
        let alone: Value = serde_json::from_str(&stdout(&output)).unwrap();
        for run in alone["variants"].as_array().unwrap() {
            let name = run["name"].as_str().unwrap();
            let swept = variant(&json, name);
            let violations = run["violations"].as_array().unwrap();
            for invariant in ["no-loss", "no-duplicate", "in-order"] {
                let listed = seeds_of(&swept["violating_seeds"][invariant]).contains(&seed);
                let violated = violations.iter().any(|v| v["invariant"] == invariant);
                assert_eq!(listed, violated, "seed {seed}, {name}, {invariant}");
                checked[usize::from(!listed)] += 1;
            }
        }
    }
    assert!(checked[0] > 0 && checked[1] > 0, "both listed and unlisted seeds: {checked:?}");
}

#[test]
fn the_default_is_one_line_per_variant_and_one_reproduction_command() {
    let output = faultline(&["sweep", SWARM, "--seeds", "0..20", "--jobs", "2"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let table = stdout(&output);
    assert!(table.starts_with("chat-swarm, seeds 0..20: 20 runs per variant\n"), "{table}");
    let rows: Vec<&str> = table.lines().filter(|l| l.starts_with("fire-and-forget")).collect();
    assert_eq!(rows.len(), 2, "one row of shares, one of means:\n{table}");
    assert!(rows[0].contains("100.0%"), "{table}");
    for metric in ["messages.sent", "messages.lost", "delivery_latency_p99_ms"] {
        let header = metric.split(['.', '_']).next().unwrap();
        assert!(table.contains(header), "{metric}: {table}");
    }
    assert!(table.lines().count() < 20, "{table}");
    let last: Vec<&str> = table.lines().rev().take(2).collect();
    assert_eq!(
        last,
        [
            "shrink:    faultline shrink scenarios/chat-swarm.ron --seed 0 --variant \
             fire-and-forget --invariant no-loss",
            "reproduce: faultline run scenarios/chat-swarm.ron --seed 0 --variant fire-and-forget",
        ]
    );
}

#[test]
fn a_sweep_of_a_scenario_without_invariants_says_it_checks_none() {
    let output = faultline(&["sweep", "scenarios/payment-flaky-network.ron", "--seeds", "0..2"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let table = stdout(&output);
    assert!(!table.contains("broke an invariant the scenario checks"), "{table}");
    assert!(!table.contains("runs violating"), "{table}");
    assert!(table.trim_end().ends_with("the scenario checks no invariants: nothing to reproduce"));
}

#[test]
fn details_name_shares_seeds_and_one_reproduction_command() {
    let output = faultline(&["sweep", SWARM, "--seeds", "0..20", "--jobs", "2", "--details"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let table = stdout(&output);
    assert!(table.starts_with("chat-swarm, seeds 0..20\n"), "{table}");
    assert!(table.contains("fire-and-forget: 20 runs"), "{table}");
    assert!(
        table.lines().any(|l| l.trim_start().starts_with("no-loss")
            && l.contains("100.0% (20/20)")
            && l.contains("0, 1, 2, 3, 4, …")),
        "{table}"
    );
    assert!(table.lines().any(|l| l.contains("no-loss") && l.contains("0.0% (0/20)")), "{table}");
    for metric in ["messages.sent", "messages.lost", "delivery_latency_p99_ms"] {
        assert!(table.contains(metric), "{metric}: {table}");
    }
    let last: Vec<&str> = table.lines().rev().take(2).collect();
    assert_eq!(
        last,
        [
            "shrink:    faultline shrink scenarios/chat-swarm.ron --seed 0 --variant \
             fire-and-forget --invariant no-loss",
            "reproduce: faultline run scenarios/chat-swarm.ron --seed 0 --variant fire-and-forget",
        ]
    );
    assert!(stderr(&output).is_empty(), "no progress bar when stderr is not a terminal");
}

#[test]
fn bad_ranges_exit_2_with_a_message_and_no_stdout() {
    for (range, says) in
        [("5..5", "holds no seed"), ("x..3", "`x` is not a seed"), ("3", "is not a range")]
    {
        let output = faultline(&["sweep", SWARM, "--seeds", range]);
        assert_eq!(output.status.code(), Some(2), "{range}");
        let message = stderr(&output);
        assert!(message.contains(says), "{range}: {message}");
        assert!(message.contains("expected a half-open range of seeds `A..B`"), "{message}");
        assert!(stdout(&output).is_empty(), "{range}");
    }
    for args in [
        &["sweep", SWARM, "--seeds", "0..3", "--variant", "ack"][..],
        &["sweep", SWARM, "--seeds", "0..3", "--jobs", "0"],
        &["sweep", "scenarios/nope.ron", "--seeds", "0..3"],
        &["sweep", SWARM],
    ] {
        let output = faultline(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(!stderr(&output).is_empty(), "{args:?}");
        assert!(stdout(&output).is_empty(), "{args:?}");
    }
}

/// A run that hits its event limit ends the sweep: exit 2, nothing on stdout, and the
/// message names the lowest failing seed and its variant whatever `--jobs`.
#[test]
fn a_run_over_its_event_limit_names_seed_and_variant() {
    let dir = scratch("sweep-limit");
    // Retransmission needs several thousand events per run; fire-and-forget about a thousand.
    let source = std::fs::read_to_string(repo().join(SWARM))
        .unwrap()
        .replace("    duration: \"90s\",\n", "    duration: \"90s\",\n    max_events: 3000,\n");
    assert!(source.contains("max_events: 3000"));
    let limited = dir.join("limited.ron");
    std::fs::write(&limited, source).unwrap();
    let messages: Vec<String> = ["1", "4"]
        .into_iter()
        .map(|jobs| {
            let output = faultline(&[
                "sweep",
                limited.to_str().unwrap(),
                "--seeds",
                "2..30",
                "--jobs",
                jobs,
            ]);
            assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
            assert!(stdout(&output).is_empty());
            stderr(&output)
        })
        .collect();
    assert!(messages[0].contains("variant `ack-and-retransmit`, seed 2:"), "{}", messages[0]);
    assert!(messages[0].contains("limit of 3000 events"), "{}", messages[0]);
    assert_eq!(messages[0], messages[1]);
}

#[test]
fn the_example_model_tells_its_story_over_a_sweep() {
    // docs/writing-a-model.md builds the Kv model; this is the promise its scenario makes.
    let output =
        faultline(&["sweep", "scenarios/kv-read-repair.ron", "--seeds", "0..40", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let variant = |name: &str| {
        json["variants"].as_array().unwrap().iter().find(|v| v["name"] == name).unwrap().clone()
    };
    let violating =
        |name: &str, invariant: &str| variant(name)["runs_violating"][invariant].as_u64().unwrap();
    let mean =
        |name: &str, metric: &str| variant(name)["metrics"][metric]["mean"].as_f64().unwrap();
    // Single-replica reads are stale; overlapping quorums never are.
    assert_eq!(violating("one", "no-stale-read"), 40);
    assert_eq!(violating("quorum", "no-stale-read"), 0);
    assert_eq!(violating("quorum-repair", "no-stale-read"), 0);
    // Read repair makes the replicas converge, and cuts stale reads to the first ones.
    assert_eq!(violating("one", "convergence"), 40);
    assert_eq!(violating("quorum", "convergence"), 40);
    assert_eq!(violating("one-repair", "convergence"), 0);
    assert_eq!(violating("quorum-repair", "convergence"), 0);
    assert!(mean("one-repair", "reads.stale") * 10.0 < mean("one", "reads.stale"));
    // The price of quorums: unavailable while a majority is out of reach.
    assert_eq!(mean("one", "availability"), 1.0);
    assert!(mean("quorum", "availability") < 0.8);
}

#[test]
fn the_orders_scenarios_tell_the_articles_story_over_a_sweep() {
    let sweep = |scenario: &str, seeds: &str| -> serde_json::Value {
        let output = faultline(&["sweep", scenario, "--seeds", seeds, "--json"]);
        assert!(output.status.success(), "{}", stderr(&output));
        serde_json::from_str(&stdout(&output)).unwrap()
    };
    let violating = |json: &serde_json::Value, variant: &str, invariant: &str| {
        let variants = json["variants"].as_array().unwrap();
        let v = variants.iter().find(|v| v["name"] == variant).unwrap();
        v["runs_violating"][invariant].as_u64().unwrap()
    };
    let pubsub = sweep("scenarios/order-pubsub.ron", "0..20");
    // The article's version loses events and tells charged customers "failed".
    assert_eq!(violating(&pubsub, "article-pubsub", "no-lost-event"), 20);
    assert_eq!(violating(&pubsub, "article-pubsub", "truthful-answer"), 20);
    // A durable log loses nothing, but a redelivery after a crash charges twice.
    assert_eq!(violating(&pubsub, "durable-log", "no-lost-event"), 0);
    assert!(violating(&pubsub, "durable-log", "exactly-once-charge") > 0);
    // An idempotent worker never charges twice.
    assert_eq!(violating(&pubsub, "idempotent-consumer", "exactly-once-charge"), 0);
    // The outbox, the log, the idempotent worker and a confirmed answer violate nothing.
    for invariant in ["no-lost-event", "exactly-once-charge", "truthful-answer", "convergence"] {
        assert_eq!(violating(&pubsub, "outbox-confirmed", invariant), 0, "{invariant}");
    }

    // The broker restarts: a dual write loses what it sent meanwhile, an outbox nothing.
    let outbox = sweep("scenarios/order-outbox.ron", "0..20");
    assert_eq!(violating(&outbox, "article-pubsub", "no-lost-event"), 20);
    assert_eq!(violating(&outbox, "dual-write", "no-lost-event"), 20);
    assert_eq!(violating(&outbox, "dual-write", "truthful-answer"), 0);
    for invariant in ["no-lost-event", "exactly-once-charge", "truthful-answer", "convergence"] {
        assert_eq!(violating(&outbox, "outbox", invariant), 0, "{invariant}");
    }

    let inventory = sweep("scenarios/order-inventory.ron", "0..100");
    let mean = |variant: &str, metric: &str| {
        let variants = inventory["variants"].as_array().unwrap();
        let v = variants.iter().find(|v| v["name"] == variant).unwrap();
        v["metrics"][metric]["mean"].as_f64().unwrap()
    };
    assert!(violating(&inventory, "charge-then-decrement", "no-oversell") > 30);
    assert_eq!(violating(&inventory, "reserve-then-charge", "no-oversell"), 0);
    // Refunding when the item is gone oversells nothing, but breaks the word given: the
    // customer was told "completed" before the inventory looked.
    let refunding = violating(&inventory, "charge-then-refund", "truthful-answer");
    assert_eq!(violating(&inventory, "charge-then-refund", "no-oversell"), 0);
    assert_eq!(refunding, violating(&inventory, "charge-then-decrement", "no-oversell"));
    assert!(mean("charge-then-refund", "orders.refunded") > 0.0);
    assert_eq!(mean("reserve-then-charge", "orders.refunded"), 0.0);
    // The saga's price: the customer waits for the reservation.
    let p99 = |variant: &str| mean(variant, "order.latency_p99_ms");
    assert!(p99("reserve-then-charge") > p99("charge-then-decrement"));
}

const LEASE_SWARM: &str = "scenarios/lease-swarm.ron";

fn json_of(args: &[&str]) -> Value {
    let output = faultline(args);
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_str(&stdout(&output)).expect("stdout is exactly one JSON object")
}

/// The seeds of `range` where `variant` of a lease-swarm sweep lost an update.
fn lost_updates(json: &Value, variant_name: &str) -> (u64, Vec<u64>) {
    let v = variant(json, variant_name);
    (
        v["runs_violating"]["no-lost-update"].as_u64().unwrap(),
        seeds_of(&v["violating_seeds"]["no-lost-update"]),
    )
}

/// The measurement the README tells: all faults at once hide the lost update that a pause
/// past the lease causes without fencing tokens; a swarm sweep of as many seeds finds it,
/// and never with fencing tokens.
#[test]
fn a_swarm_sweep_finds_what_the_plain_sweep_of_as_many_seeds_misses() {
    let plain = json_of(&["sweep", LEASE_SWARM, "--seeds", "0..1000", "--json"]);
    let swarm = json_of(&["sweep", LEASE_SWARM, "--seeds", "0..1000", "--json", "--swarm"]);
    assert_eq!(plain["swarm"], false);
    assert_eq!(swarm["swarm"], true);
    for variant_name in ["lock-lease", "lock-lease-fencing"] {
        assert_eq!(lost_updates(&plain, variant_name).0, 0, "{variant_name}, plain");
        let v = variant(&plain, variant_name);
        assert_eq!(v["runs_violating"]["no-negative-balance"], 0, "{variant_name}, plain");
    }
    let (found, _) = lost_updates(&swarm, "lock-lease");
    assert!(found >= 25, "the swarm sweep lost an update in only {found} of 1000 seeds");
    assert_eq!(lost_updates(&swarm, "lock-lease-fencing").0, 0, "fencing tokens never lose one");
    // Why the plain sweep finds nothing: the faults together stop almost every transfer.
    let committed = |json: &Value| {
        variant(json, "lock-lease")["metrics"]["transfers.committed"]["mean"].as_f64().unwrap()
    };
    assert!(committed(&plain) < 0.5, "plain: {} transfers committed per run", committed(&plain));
    assert!(committed(&swarm) > 5.0 * committed(&plain));
}

/// What a swarm sweep lists, `run --seed S --swarm` reproduces, and the same seed without
/// `--swarm` does not: the draw, not the seed alone, made the run.
#[test]
fn a_swarm_seed_reproduces_with_run_swarm() {
    let swarm = json_of(&["sweep", LEASE_SWARM, "--seeds", "0..60", "--json", "--swarm"]);
    let (_, violating) = lost_updates(&swarm, "lock-lease");
    assert!(!violating.is_empty(), "no violating seed in 0..60 to reproduce");
    let out = scratch("swarm-reproduce");
    let run = |seed: u64, swarm: bool| {
        let seed = seed.to_string();
        let mut args =
            vec!["run", LEASE_SWARM, "--seed", &seed, "--json", "--variant", "lock-lease"];
        args.extend(["--out", out.to_str().unwrap()]);
        if swarm {
            args.push("--swarm");
        }
        let json = json_of(&args);
        let violations = json["variants"][0]["violations"].as_array().unwrap().clone();
        violations.iter().any(|v| v["invariant"] == "no-lost-update")
    };
    for &seed in violating.iter().take(3) {
        assert!(run(seed, true), "seed {seed} --swarm");
        assert!(!run(seed, false), "seed {seed} without --swarm");
    }
    let unlisted = (0..60).find(|seed| !violating.contains(seed)).unwrap();
    assert!(!run(unlisted, true), "seed {unlisted} --swarm");
}

#[test]
fn a_swarm_sweep_says_so_and_its_reproduction_command_has_swarm() {
    let output = faultline(&["sweep", LEASE_SWARM, "--seeds", "0..60", "--swarm"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let table = stdout(&output);
    assert!(table.starts_with("lease-swarm, seeds 0..60, swarm: 60 runs per variant\n"), "{table}");
    let last = table.lines().last().unwrap();
    assert!(
        last.starts_with("reproduce: faultline run scenarios/lease-swarm.ron --seed "),
        "{last}"
    );
    assert!(last.ends_with(" --swarm --variant lock-lease"), "{last}");
    let details = faultline(&["sweep", LEASE_SWARM, "--seeds", "0..60", "--swarm", "--details"]);
    let details = stdout(&details);
    assert!(details.starts_with("lease-swarm, seeds 0..60, swarm\n"), "{details}");
    assert_eq!(details.lines().last(), Some(last));
}

/// `--print-schedule --swarm` prints the draw as scenario text: pasted over the file's
/// network and faults, it runs without `--swarm` exactly what `--swarm` ran, trace hash for
/// trace hash.
#[test]
fn a_printed_swarm_draw_replays_without_swarm() {
    let source = std::fs::read_to_string(repo().join(LEASE_SWARM)).unwrap();
    let dir = scratch("swarm-replay");
    let replay = dir.join("replay.ron");
    let out = dir.join("report");
    for seed in ["18", "40"] {
        let output =
            faultline(&["run", LEASE_SWARM, "--seed", seed, "--swarm", "--print-schedule"]);
        assert!(output.status.success(), "{}", stderr(&output));
        let printed = stdout(&output);
        assert!(printed.contains("//   on:  RandomPauses, count "), "{printed}");
        let network =
            printed.lines().find(|l| l.starts_with("network: (latency: Uniform(")).unwrap();
        let faults = &printed[printed.find("\nfaults: [").unwrap() + 1..];
        // The file's network line, and its faults up to the swarm section.
        let old_network = source.lines().find(|l| l.trim_start().starts_with("network:")).unwrap();
        let (start, end) =
            (source.find("    faults: [").unwrap(), source.find("    // What --swarm").unwrap());
        let replayed = format!("{}    {faults}{}", &source[..start], &source[end..])
            .replace(old_network, &format!("    {network}"));
        std::fs::write(&replay, replayed).unwrap();
        let hash = |args: &[&str]| {
            let mut all = vec!["run", "--seed", seed, "--json", "--out", out.to_str().unwrap()];
            all.extend_from_slice(args);
            let json = json_of(&all);
            let variants = json["variants"].as_array().unwrap().clone();
            variants
                .iter()
                .map(|v| v["trace_hash"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        };
        let swarmed = hash(&[LEASE_SWARM, "--swarm"]);
        assert_eq!(hash(&[replay.to_str().unwrap()]), swarmed, "seed {seed}");
        assert_ne!(hash(&[LEASE_SWARM]), swarmed, "seed {seed}: the draw changed the run");
    }
}
