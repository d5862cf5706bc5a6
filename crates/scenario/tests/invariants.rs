//! What a scenario checks is what its lesson claims: every invariant the model declares is
//! either checked, given up in `unchecked` with a reason, or one the model says does not
//! apply, and every bundled scenario says so for each.

use faultline_scenario::{Scenario, parse};

fn bundled() -> Vec<(String, Scenario)> {
    let dir = format!("{}/../../scenarios", env!("CARGO_MANIFEST_DIR"));
    let mut paths: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    paths.sort();
    paths
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let name = path.display().to_string();
            let scenario = parse(&text, &name).unwrap_or_else(|e| panic!("{e}"));
            (name, scenario)
        })
        .collect()
}

#[test]
fn every_bundled_scenario_checks_every_invariant_or_says_why_not() {
    let scenarios = bundled();
    assert!(scenarios.len() >= 16, "found only {} scenarios", scenarios.len());
    for (path, scenario) in scenarios {
        let declared: Vec<&str> = scenario.model.invariants().iter().map(|i| i.id).collect();
        for not_checked in &scenario.not_checked {
            assert!(
                not_checked.why.as_deref().is_some_and(|why| !why.trim().is_empty()),
                "{path} leaves out `{}` without saying why",
                not_checked.invariant
            );
        }
        let mut accounted: Vec<&str> = scenario.invariants.iter().map(String::as_str).collect();
        accounted.extend(scenario.not_checked.iter().map(|n| n.invariant));
        accounted.sort_unstable();
        let mut expected = declared.clone();
        expected.sort_unstable();
        assert_eq!(accounted, expected, "{path}: checked and not checked must cover the model");
    }
}

const BANK: &str = r#"Scenario(name: "t", duration: "5s",
    model: Bank(accounts: [("X", 100), ("Y", 0)],
        transfers: [(client: "alice", from: "X", to: "Y", amount: 100, at: "1s")],
        request_timeout: "1s"),
    invariants: INVARIANTS,
    unchecked: UNCHECKED,
    variants: [(name: "atomic", policy: Bank(strategy: Atomic))],
)"#;

fn bank(invariants: &str, unchecked: &str) -> Result<Scenario, String> {
    let source = BANK.replace("INVARIANTS", invariants).replace("UNCHECKED", unchecked);
    parse(&source, "t.ron").map_err(|e| e.to_string())
}

#[test]
fn a_scenario_gives_up_an_invariant_with_a_reason_and_the_model_names_those_that_do_not_apply() {
    let s = bank(
        r#"["no-negative-balance", "conservation", "no-lost-update"]"#,
        r#"[("exactly-once", "nothing is retried")]"#,
    )
    .unwrap();
    let sentences: Vec<String> = s.not_checked.iter().map(|n| n.sentence()).collect();
    assert_eq!(
        sentences,
        [
            "exactly-once: nothing is retried",
            "replica-convergence: there are no replicas (one bank holds every account)"
        ]
    );
    let silent = bank(r#"["no-negative-balance"]"#, "[]").unwrap();
    let missing: Vec<String> = silent.not_checked.iter().map(|n| n.sentence()).collect();
    assert!(missing.contains(&"conservation (the scenario gives no reason)".to_owned()));
}

#[test]
fn what_is_not_checked_must_be_a_real_invariant_left_out_for_a_reason() {
    let error = |invariants: &str, unchecked: &str| bank(invariants, unchecked).unwrap_err();
    let inapplicable = error(r#"["replica-convergence"]"#, "[]");
    assert!(
        inapplicable.contains(
            "t.ron:5:18: `replica-convergence` does not apply to this scenario: there are no \
             replicas"
        ),
        "{inapplicable}"
    );
    let both = error(r#"["conservation"]"#, r#"[("conservation", "slow")]"#);
    assert!(both.contains("t.ron:6:17: `conservation` is in `invariants` too"), "{both}");
    let no_reason = error("[]", r#"[("conservation", " ")]"#);
    assert!(no_reason.contains("say why `conservation` is not checked"), "{no_reason}");
    let misspelt = error("[]", r#"[("conservaton", "slow")]"#);
    assert!(misspelt.contains("the Bank model has no invariant `conservaton`"), "{misspelt}");
    assert!(misspelt.contains("did you mean `conservation`?"), "{misspelt}");
}

#[test]
fn the_readme_shows_what_every_bundled_scenario_leaves_out() {
    let readme =
        std::fs::read_to_string(format!("{}/../../README.md", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let shown = readme
        .lines()
        .find(|line| line.starts_with("<!-- output: faultline check "))
        .expect("the README shows a `faultline check` of the scenarios that leave invariants out");
    for (path, scenario) in bundled() {
        let file = format!("scenarios/{}", path.rsplit('/').next().unwrap());
        let listed = shown.split(' ').any(|word| word == file);
        assert_eq!(
            listed,
            !scenario.not_checked.is_empty(),
            "{file}: the README's `faultline check` must show exactly the scenarios that leave \
             an invariant out"
        );
    }
}
