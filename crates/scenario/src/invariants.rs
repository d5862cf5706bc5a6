//! Which of the model's invariants a scenario checks, and why it leaves out the rest: every
//! invariant the model declares is either listed in `invariants`, given up in `unchecked`
//! with a reason, or one the model says does not apply to this configuration.

use std::collections::BTreeSet;

use faultline_models::{Check, Step, suggestion};
use faultline_outcome::NotChecked;

use crate::registry::LoadedModel;

/// Checks `invariants` and `unchecked` against the model, and returns what is not checked,
/// in the model's order, with why.
pub(crate) fn check(
    listed: &[String],
    unchecked: &[(String, String)],
    model: &dyn LoadedModel,
    c: &mut Check,
) -> Vec<NotChecked> {
    let inapplicable = model.inapplicable();
    let known: Vec<&str> = model.invariants().iter().map(|i| i.id).collect();
    let why_inapplicable =
        |name: &str| inapplicable.iter().find(|(i, _)| i.id == name).map(|(_, why)| why.clone());
    let mut seen = BTreeSet::new();
    for (i, name) in listed.iter().enumerate() {
        let path = [Step::Field("invariants"), Step::Index(i)];
        if !is_known(c, &path, name, &known, model.name()) {
            continue;
        }
        if let Some(why) = why_inapplicable(name) {
            c.error(&path, format!("`{name}` does not apply to this scenario: {why}"), None);
        } else if !seen.insert(name.as_str()) {
            c.error(&path, format!("invariant `{name}` is listed twice"), None);
        }
    }
    for (i, (name, why)) in unchecked.iter().enumerate() {
        let path = [Step::Field("unchecked"), Step::Index(i)];
        if !is_known(c, &path, name, &known, model.name()) {
            continue;
        }
        let problem = if listed.contains(name) {
            Some(format!("`{name}` is in `invariants` too: it is either checked or not"))
        } else if let Some(reason) = why_inapplicable(name) {
            Some(format!("`{name}` does not apply here anyway ({reason}): leave it out"))
        } else if why.trim().is_empty() {
            Some(format!("say why `{name}` is not checked"))
        } else if !seen.insert(name.as_str()) {
            Some(format!("invariant `{name}` is listed twice"))
        } else {
            None
        };
        if let Some(problem) = problem {
            c.error(&path, problem, None);
        }
    }
    let why = |name: &str| {
        let given = unchecked.iter().find(|(n, _)| n == name).map(|(_, why)| why.trim().to_owned());
        why_inapplicable(name).or(given)
    };
    known
        .iter()
        .filter(|name| !listed.iter().any(|l| l == *name))
        .map(|&invariant| NotChecked { invariant, why: why(invariant) })
        .collect()
}

/// Whether the model declares `name`; reports it at `path` with the closest name if not.
fn is_known(c: &mut Check, path: &[Step], name: &str, known: &[&str], model: &str) -> bool {
    if known.contains(&name) {
        return true;
    }
    let message = if known.is_empty() {
        format!("the {model} model checks no invariants")
    } else {
        format!("the {model} model has no invariant `{name}`")
    };
    c.error(path, message, (!known.is_empty()).then(|| suggestion(name, known)));
    false
}
