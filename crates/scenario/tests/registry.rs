//! Models come from a registry and from nowhere else: a program can parse scenarios with its
//! own set, and a scenario naming a model the set lacks is a clear error.

use faultline_models::kv::Kv;
use faultline_scenario::{Models, parse, parse_with};

fn bundled(name: &str) -> String {
    std::fs::read_to_string(format!("{}/../../scenarios/{name}.ron", env!("CARGO_MANIFEST_DIR")))
        .unwrap()
}

#[test]
fn a_registry_decides_which_models_a_scenario_may_name() {
    let only_kv = Models::empty().with::<Kv>();
    assert_eq!(only_kv.names(), ["Kv"]);
    let kv = parse_with(&bundled("kv-read-repair"), "kv.ron", &only_kv).unwrap();
    assert_eq!(kv.model_name(), "Kv");

    let errors = parse_with(&bundled("chat-partition"), "chat.ron", &only_kv).unwrap_err().0;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].message.contains("there is no model `Chat`"), "{}", errors[0]);
    assert_eq!(errors[0].help.as_deref(), Some("expected one of `Kv`"));
}

#[test]
fn the_builtin_registry_has_every_model_and_a_misspelt_one_gets_a_suggestion() {
    let names = Models::builtin().names();
    assert_eq!(names, ["Chat", "Payment", "Bank", "Kv", "Orders"]);
    let source = bundled("double-transfer").replacen("model: Bank(", "model: Bnak(", 1);
    let errors = parse(&source, "bank.ron").unwrap_err().0;
    assert_eq!(errors[0].help.as_deref(), Some("did you mean `Bank`?"), "{}", errors[0]);
    let line = source.lines().nth(errors[0].line - 1).unwrap();
    assert!(line[errors[0].col - 1..].starts_with("Bnak("), "{}", errors[0]);
}
