//! Scenario errors: the file, `line:col`, what was expected, and the closest valid name.

use std::fmt;

/// One problem in a scenario file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    pub file: String,
    /// 1-based, like editors and compilers.
    pub line: usize,
    pub col: usize,
    pub message: String,
    /// A suggestion, e.g. "did you mean `duration`?".
    pub help: Option<String>,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file, self.line, self.col, self.message)?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

/// Every problem found in one file (at least one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioErrors(pub Vec<ScenarioError>);

impl fmt::Display for ScenarioErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "error: {error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioErrors {}

/// The candidate nearest to `found` by edit distance, if it is near enough to be a typo.
/// A unique candidate that starts with `found` counts as near too (`ack` → `ack-and-retransmit`).
pub fn closest<'a>(found: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let found_lower = found.to_lowercase();
    let candidates: Vec<&str> = candidates.into_iter().collect();
    let prefixed: Vec<&str> =
        candidates.iter().copied().filter(|c| !found.is_empty() && c.starts_with(found)).collect();
    if let [only] = prefixed.as_slice() {
        return Some(only);
    }
    candidates
        .into_iter()
        .map(|c| (edit_distance(&found_lower, &c.to_lowercase()), c))
        .filter(|&(d, c)| d <= (c.chars().count().max(found.chars().count()) / 3).max(2))
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// "did you mean `x`?" or the list of valid names when nothing is close.
pub(crate) fn suggestion(found: &str, candidates: &[&str]) -> String {
    match closest(found, candidates.iter().copied()) {
        Some(name) => format!("did you mean `{name}`?"),
        None => format!(
            "expected one of {}",
            candidates.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, &cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != cb);
            current.push(substitute.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_finds_typos_and_ignores_strangers() {
        let fields = ["name", "about", "seed", "duration", "network"];
        assert_eq!(closest("durtion", fields), Some("duration"));
        assert_eq!(closest("Seed", fields), Some("seed"));
        assert_eq!(closest("netwrok", fields), Some("network"));
        assert_eq!(closest("banana", fields), None);
        assert_eq!(
            closest("ack", ["fire-and-forget", "ack-and-retransmit"]),
            Some("ack-and-retransmit")
        );
    }

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
