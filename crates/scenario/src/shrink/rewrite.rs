//! Changes to a scenario file's text by path, so a shrunk scenario keeps the rest of the
//! file as its author wrote it: comments, layout, the fields nobody shrank.

use std::ops::Range;

use crate::locate::{Positions, Step};

/// Replace the chars `range` of the text with `text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Edit {
    range: Range<usize>,
    text: String,
}

/// `source` with `edits` made; the edits' ranges are chars of `source` and must not
/// overlap.
pub(crate) fn apply(source: &str, mut edits: Vec<Edit>) -> String {
    let mut chars: Vec<char> = source.chars().collect();
    // From the end, so each range still means what it meant in `source`.
    edits.sort_by_key(|edit| std::cmp::Reverse(edit.range.start));
    for edit in edits {
        chars.splice(edit.range, edit.text.chars());
    }
    chars.into_iter().collect()
}

/// Sets the value at `path` to `text` (scenario syntax); `None` if the file has no value
/// there.
pub(crate) fn set(source: &str, path: &[Step], text: String) -> Option<Edit> {
    Positions::new(source).span(path).map(|range| Edit { range, text })
}

/// Sets the top-level field `field` to `text`, adding it at the top of the body when the
/// file leaves it out.
pub(crate) fn set_field(source: &str, field: &'static str, text: String) -> Edit {
    if let Some(edit) = set(source, &[Step::Field(field)], text.clone()) {
        return edit;
    }
    let at = Positions::new(source).top().1.map_or(0, |open| open + 1);
    Edit { range: at..at, text: format!("\n    {field}: {text},") }
}

/// Keeps only the elements `keep` (ascending indices) of the list at `path`, separated as
/// the first two were; `None` if there is no list there.
pub(crate) fn keep(source: &str, path: &[Step], keep: &[usize]) -> Option<Edit> {
    let positions = Positions::new(source);
    let list = positions.span(path)?;
    let items = positions.elements(path)?;
    let chars: Vec<char> = source.chars().collect();
    let text = |range: Range<usize>| chars[range].iter().collect::<String>();
    let (Some(first), Some(last), false) = (items.first(), items.last(), keep.is_empty()) else {
        return Some(Edit { range: list, text: "[]".to_owned() });
    };
    let separator = match items.get(1) {
        Some(second) => text(first.end..second.start),
        None => ", ".to_owned(),
    };
    let kept: Vec<String> = keep.iter().filter_map(|i| items.get(*i)).cloned().map(text).collect();
    let new = format!(
        "{}{}{}",
        text(list.start..first.start),
        kept.join(&separator),
        text(last.end..list.end)
    );
    Some(Edit { range: list, text: new })
}

/// Replaces the comments before the top value with `header` (`//` lines), keeping
/// attributes such as `#![enable(...)]`.
pub(crate) fn header(source: &str, header: &str) -> Edit {
    let start = Positions::new(source).top().0;
    let before: String = source.chars().take(start).collect();
    let mut text = header.to_owned();
    for line in before.lines().filter(|line| line.trim_start().starts_with('#')) {
        text.push_str(line);
        text.push('\n');
    }
    Edit { range: 0..start, text }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Step::*;

    const SOURCE: &str = "// what it shows\n// more\nScenario(\n    name: \"x\",\n    faults: [\n        Crash(node: \"a\", at: \"1s\"),\n        Crash(node: \"b\", at: \"2s\"), // second\n        Crash(node: \"c\", at: \"3s\"),\n    ],\n    variants: [(name: \"v\"), (name: \"w\")],\n)\n";

    #[test]
    fn a_list_keeps_its_layout_and_the_chosen_elements() {
        let edit = keep(SOURCE, &[Field("faults")], &[0, 2]).unwrap();
        let text = apply(SOURCE, vec![edit]);
        assert!(
            text.contains(
                "faults: [\n        Crash(node: \"a\", at: \"1s\"),\n        Crash(node: \"c\", at: \"3s\"),\n    ],"
            ),
            "{text}"
        );
        let edit = keep(SOURCE, &[Field("variants")], &[1]).unwrap();
        assert!(apply(SOURCE, vec![edit]).contains("variants: [(name: \"w\")],"));
        let edit = keep(SOURCE, &[Field("variants")], &[]).unwrap();
        assert!(apply(SOURCE, vec![edit]).contains("variants: [],"));
        assert_eq!(keep(SOURCE, &[Field("nothing")], &[0]), None);
    }

    #[test]
    fn edits_apply_together_and_missing_fields_are_added() {
        let edits = vec![
            header(SOURCE, "// shrunk\n"),
            set_field(SOURCE, "name", "\"y\"".to_owned()),
            set_field(SOURCE, "seed", "3".to_owned()),
            set(SOURCE, &[Field("faults"), Index(1), Field("at")], "\"5s\"".to_owned()).unwrap(),
        ];
        let text = apply(SOURCE, edits);
        assert!(
            text.starts_with("// shrunk\nScenario(\n    seed: 3,\n    name: \"y\",\n"),
            "{text}"
        );
        assert!(text.contains("Crash(node: \"b\", at: \"5s\"), // second"), "{text}");
        assert!(!text.contains("what it shows"), "{text}");
    }

    #[test]
    fn attributes_survive_a_new_header() {
        let source = "// old\n#![enable(implicit_some)]\nScenario(name: \"x\")";
        let text = apply(source, vec![header(source, "// new\n")]);
        assert_eq!(text, "// new\n#![enable(implicit_some)]\nScenario(name: \"x\")");
    }
}
