//! Every number faultline's prose states is printed by something a test checks. In the
//! README, within the number's own section: a shown output (which `docs.rs` checks against
//! the binary), a `<!-- numbers: faultline ... -->` command run here, or the text of a
//! scenario file the section names (what a scenario is configured with); anywhere, the help
//! of a subcommand (defaults). In a
//! scenario file's opening comment: the file's own values, or its committed report (which
//! `bundled.rs` regenerates byte for byte). A number none of them prints is a claim nothing
//! checks: print it from a tested command, or say it without the number.

mod common;

use common::{faultline, repo, stdout};

/// Numbers the prose may state that nothing prints, each with why.
const UNPRINTED: &[(&str, &str)] = &[
    ("2012", "the year of the swarm-testing paper the README and lease-swarm cite"),
    ("50000000", "the default `max_events`, the constant DEFAULT_MAX_EVENTS"),
];

const SUBCOMMANDS: &[&str] = &["run", "sweep", "merge", "explore", "shrink", "check"];

/// The numbers in `text`, as written but without thousands separators: `1,498` is `1498`.
fn numbers(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts = chars[i].is_ascii_digit()
            && (i == 0 || !(chars[i - 1].is_alphanumeric() || "._-/".contains(chars[i - 1])));
        if !starts {
            i += 1;
            continue;
        }
        let mut number = String::new();
        while i < chars.len() {
            let c = chars[i];
            let digit_follows = chars.get(i + 1).is_some_and(char::is_ascii_digit);
            if c.is_ascii_digit() || c == '.' && digit_follows {
                number.push(c);
            } else if c != ',' || !digit_follows {
                break;
            }
            i += 1;
        }
        found.push(normal(number));
    }
    found
}

/// `200.0` is `200` and `0.50` is `0.5`: the same number, however many zeros it is written with.
fn normal(number: String) -> String {
    if !number.contains('.') {
        return number;
    }
    number.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Whether `number` occurs in `text` as a whole number, not inside a longer one, or as a
/// longer decimal it rounds (`0.87` for `0.874652`; whole numbers must match exactly).
fn prints(text: &str, number: &str) -> bool {
    let decimals = number.split_once('.').map_or(0, |(_, fraction)| fraction.len());
    let rounds_to = |printed: &String| {
        let longer = printed.split_once('.').is_some_and(|(_, f)| f.len() > decimals);
        longer
            && printed
                .parse::<f64>()
                .is_ok_and(|value| normal(format!("{value:.decimals$}")) == number)
    };
    numbers(text).iter().any(|n| n == number || decimals > 0 && rounds_to(n))
}

/// The page without fenced blocks, inline code, links' targets and comments: its prose.
fn prose(section: &str) -> String {
    let mut text = String::new();
    let mut fenced = false;
    for line in section.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced && !line.starts_with("<!--") && !line.starts_with('|') {
            text.push_str(line);
            text.push('\n');
        }
    }
    let mut kept = String::new();
    let mut rest = text.as_str();
    // Inline code is a command, a name or a value to type, not a claim; a link's target is
    // an address.
    while let Some(at) = rest.find(['`', '(']) {
        kept.push_str(&rest[..at]);
        let (open, close) = if rest[at..].starts_with('`') { ('`', '`') } else { ('(', ')') };
        let after = &rest[at + 1..];
        let is_link = open == '(' && kept.ends_with(']');
        match after.find(close) {
            Some(end) if open == '`' || is_link => rest = &after[end + 1..],
            _ => {
                kept.push(open);
                rest = after;
            }
        }
    }
    kept.push_str(rest);
    kept
}

/// The fenced blocks of a page, and the commands of its `<!-- numbers: ... -->` markers.
fn shown_and_marked(page: &str) -> (String, Vec<String>) {
    let mut shown = String::new();
    let mut fenced = false;
    let mut marked = Vec::new();
    for line in page.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if fenced {
            shown.push_str(line);
            shown.push('\n');
        } else if let Some(command) =
            line.strip_prefix("<!-- numbers: faultline ").and_then(|l| l.strip_suffix(" -->"))
        {
            marked.push(command.to_owned());
        }
    }
    (shown, marked)
}

/// The scenario files a section names, by file or by name.
fn scenarios_named(section: &str) -> String {
    let mut texts = String::new();
    for path in common::bundled_scenarios() {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        if section.contains(&format!("`{stem}`")) || section.contains(&format!("{stem}.ron")) {
            texts.push_str(&std::fs::read_to_string(&path).unwrap());
        }
    }
    texts
}

#[test]
fn every_number_in_the_readme_prose_is_printed_by_a_tested_command() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    // Defaults back a number anywhere; everything else only in its own section.
    let mut help = String::new();
    for subcommand in SUBCOMMANDS {
        help.push_str(&stdout(&faultline(&[subcommand, "--help"])));
    }
    let mut unbacked = Vec::new();
    let mut checked = 0;
    for section in readme.split("\n#") {
        let (mut printed, marked) = shown_and_marked(section);
        for command in marked.iter() {
            let output = faultline(&command.split(' ').collect::<Vec<_>>());
            assert!(output.status.code().is_some_and(|c| c < 2), "`faultline {command}` failed");
            printed.push_str(&stdout(&output));
        }
        let configured = scenarios_named(section);
        for number in numbers(&prose(section)) {
            checked += 1;
            let allowed = UNPRINTED.iter().any(|(n, _)| *n == number);
            let backed = [&printed, &configured, &help].iter().any(|text| prints(text, &number));
            if !allowed && !backed {
                let heading = section.lines().next().unwrap_or("").trim_start_matches('#');
                unbacked.push(format!("{number} (under \"{}\")", heading.trim()));
            }
        }
    }
    assert!(checked >= 50, "only {checked} numbers found: is the README still parsed?");
    assert!(
        unbacked.is_empty(),
        "README.md states numbers no tested command in their section prints: {}",
        unbacked.join(", ")
    );
}

#[test]
fn every_number_in_a_scenario_comment_is_its_own_value_or_in_its_report() {
    let mut unbacked = Vec::new();
    for path in common::bundled_scenarios() {
        let text = std::fs::read_to_string(&path).unwrap();
        let (comment, code): (Vec<&str>, Vec<&str>) =
            text.lines().partition(|line| line.trim_start().starts_with("//"));
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let scenario = faultline_scenario::parse(&text, &stem).unwrap();
        let report = repo().join("reports").join(&scenario.name).join("summary.md");
        let backing = format!("{}\n{}", code.join("\n"), std::fs::read_to_string(report).unwrap());
        for number in numbers(&prose(&comment.join("\n"))) {
            let allowed = UNPRINTED.iter().any(|(n, _)| *n == number);
            if !allowed && !prints(&backing, &number) {
                unbacked.push(format!("{number} (in {stem})"));
            }
        }
    }
    assert!(
        unbacked.is_empty(),
        "scenario comments state numbers neither the file nor its report holds: {}",
        unbacked.join(", ")
    );
}

#[test]
fn numbers_are_read_as_written() {
    assert_eq!(
        numbers("1,498 of 1461 at 0.39 s, v2, r1, 5%, 10,000."),
        ["1498", "1461", "0.39", "5", "10000"]
    );
    assert!(prints("took 15.8 s", "15.8") && !prints("took 15.8 s", "15"));
    assert!(prints("rate_per_s: 200.0", "200") && prints("$100.00", "100"));
    assert!(prints("0.874652", "0.87") && !prints("0.874652", "0.88") && !prints("1459", "1461"));
    assert_eq!(
        prose("a `run --seed 3` b [link](x/1.png) (4 items)\n```\n7\n```\n"),
        "a  b [link] (4 items)\n"
    );
}
