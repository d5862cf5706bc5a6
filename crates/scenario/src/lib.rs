//! Scenario files: RON text → raw serde types → a checked [`Scenario`] that runs.
//!
//! Parsing never panics and never half-succeeds: the result is a scenario or a list of
//! errors, each with the file, `line:col`, what was expected and, for a misspelt name, the
//! closest valid one. This crate reads no files; the caller hands it the text.

mod bank;
mod error;
mod locate;
mod payment;
mod raw;
mod scenario;
mod validate;

pub use error::{ScenarioError, ScenarioErrors, closest};
pub use scenario::{Model, Policy, Scenario, Variant};
pub use validate::DEFAULT_MAX_EVENTS;

use ron::extensions::Extensions;

/// Parses and validates the scenario in `source`; `file` names it in errors.
pub fn parse(source: &str, file: &str) -> Result<Scenario, ScenarioErrors> {
    let options = ron::Options::default()
        .with_default_extension(Extensions::IMPLICIT_SOME | Extensions::UNWRAP_VARIANT_NEWTYPES);
    let raw: raw::RawScenario = options.from_str(source).map_err(|e| {
        let (line, mut col) = (e.span.start.line.max(1), e.span.start.col.max(1));
        // ron places errors about a string's value just inside its opening quote; point
        // at the quote, where the value starts.
        if col >= 2
            && matches!(e.code, ron::Error::Message(_))
            && source.lines().nth(line - 1).and_then(|l| l.chars().nth(col - 2)) == Some('"')
        {
            col -= 1;
        }
        let help = match &e.code {
            ron::Error::NoSuchStructField { expected, found, .. }
            | ron::Error::NoSuchEnumVariant { expected, found, .. } => {
                error::closest(found, expected.iter().copied())
                    .map(|n| format!("did you mean `{n}`?"))
            }
            _ => None,
        };
        ScenarioErrors(vec![ScenarioError {
            file: file.to_string(),
            line,
            col,
            message: lowercase_first(&e.code.to_string()),
            help,
        }])
    })?;
    validate::validate(raw, file, source).map_err(ScenarioErrors)
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
