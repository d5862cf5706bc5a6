//! Scenario files: RON text → raw serde types → a checked [`Scenario`] that runs.
//!
//! Parsing never panics and never half-succeeds: the result is a scenario or a list of
//! errors, each with the file, `line:col`, what was expected and, for a misspelt name, the
//! closest valid one. This crate reads no files; the caller hands it the text.
//!
//! Architecture invariant: no model is named here. The model's part of a file and each
//! variant's policy are parsed and checked by the model that the file names, found in a
//! [`Models`] registry.

mod error;
mod explore;
mod invariants;
mod locate;
mod raw;
mod registry;
mod scenario;
mod shrink;
mod validate;

pub use error::{ScenarioError, ScenarioErrors};
pub use explore::{MAX_STEPS, Reduction, Refusal};
pub use faultline_models::closest;
pub use registry::{LoadedModel, ModelInfo, Models};
pub use scenario::{Scenario, Variant};
pub use shrink::{ShrinkError, ShrinkRequest, Shrunk, Size, shrink};
pub use validate::{DEFAULT_MAX_EVENTS, ENGINE_FAULTS};

use ron::extensions::Extensions;
use serde::de::DeserializeOwned;

/// Parses and validates the scenario in `source` with faultline's own models; `file` names
/// it in errors.
pub fn parse(source: &str, file: &str) -> Result<Scenario, ScenarioErrors> {
    parse_with(source, file, &Models::builtin())
}

/// Parses and validates the scenario in `source`, whose model may be any of `models`.
pub fn parse_with(source: &str, file: &str, models: &Models) -> Result<Scenario, ScenarioErrors> {
    // Editors that write a byte-order mark show none: the file starts after it, at 1:1.
    let source = source.strip_prefix(locate::BOM).unwrap_or(source);
    let raw: raw::RawScenario =
        from_ron(source, file, (1, 1)).map_err(|e| ScenarioErrors(vec![e]))?;
    let positions = locate::Positions::new(source);
    validate::validate(raw, file, &positions, models).map_err(|mut errors| {
        // In the order a reader meets them in the file.
        errors.sort_by_key(|e| (e.line, e.col));
        ScenarioErrors(errors)
    })
}

/// Deserializes `text`, which starts at `start` (line, column) of `file`, so that an error
/// points at its true place in the file.
pub(crate) fn from_ron<T: DeserializeOwned>(
    text: &str,
    file: &str,
    start: (usize, usize),
) -> Result<T, ScenarioError> {
    let options = ron::Options::default()
        .with_default_extension(Extensions::IMPLICIT_SOME | Extensions::UNWRAP_VARIANT_NEWTYPES);
    options.from_str(text).map_err(|e| {
        let (line, mut col) = (e.span.start.line.max(1), e.span.start.col.max(1));
        // ron places errors about a string's value just inside its opening quote; point
        // at the quote, where the value starts.
        if col >= 2
            && matches!(e.code, ron::Error::Message(_))
            && text.lines().nth(line - 1).and_then(|l| l.chars().nth(col - 2)) == Some('"')
        {
            col -= 1;
        }
        let help = match &e.code {
            ron::Error::NoSuchStructField { expected, found, .. }
            | ron::Error::NoSuchEnumVariant { expected, found, .. } => {
                closest(found, expected.iter().copied()).map(|n| format!("did you mean `{n}`?"))
            }
            _ => None,
        };
        // Columns shift only on the part's first line: later lines are the file's own.
        let (line, col) =
            if line == 1 { (start.0, start.1 + col - 1) } else { (start.0 + line - 1, col) };
        ScenarioError {
            file: file.to_string(),
            line,
            col,
            message: lowercase_first(&e.code.to_string()),
            help,
        }
    })
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
