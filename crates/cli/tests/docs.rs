//! The documentation cannot drift from the code: every excerpt in `docs/` is a verbatim part
//! of the file it names, and every output shown there or in the README is what that command
//! prints today. A shown output that ends in a line `…` is the start of what it prints.

mod common;

use common::{faultline, repo};

/// The blocks a page marks with `<!-- KIND: ARG -->` right above a fenced block.
fn marked_blocks(page: &str, kind: &str) -> Vec<(String, String)> {
    let marker = format!("<!-- {kind}: ");
    let lines: Vec<&str> = page.lines().collect();
    let mut blocks = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(arg) = line.strip_prefix(&marker).and_then(|rest| rest.strip_suffix(" -->"))
        else {
            continue;
        };
        assert!(lines[i + 1].starts_with("```"), "`{line}` must stand right above a code block");
        let body: Vec<&str> = lines[i + 2..].iter().take_while(|l| **l != "```").copied().collect();
        blocks.push((arg.to_owned(), body.join("\n")));
    }
    blocks
}

fn pages() -> Vec<(String, String)> {
    let mut pages: Vec<(String, String)> = std::fs::read_dir(repo().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .map(|p| (p.display().to_string(), std::fs::read_to_string(&p).unwrap()))
        .collect();
    pages.sort();
    assert!(!pages.is_empty(), "no pages in docs/");
    let readme = repo().join("README.md");
    pages.push((readme.display().to_string(), std::fs::read_to_string(&readme).unwrap()));
    pages
}

#[test]
fn every_excerpt_matches_its_source() {
    let mut excerpts = 0;
    for (page, text) in pages() {
        for (path, block) in marked_blocks(&text, "excerpt") {
            let source = std::fs::read_to_string(repo().join(&path))
                .unwrap_or_else(|e| panic!("{page}: excerpt of {path}: {e}"));
            assert!(
                source.contains(&block),
                "{page}: this excerpt is no longer in {path}; update it:\n{block}"
            );
            excerpts += 1;
        }
    }
    assert!(excerpts >= 10, "only {excerpts} excerpts found: is the marker still parsed?");
}

#[test]
fn every_output_is_what_the_command_prints() {
    for (page, text) in pages() {
        for (command, block) in marked_blocks(&text, "output") {
            let args: Vec<&str> = command.strip_prefix("faultline ").unwrap().split(' ').collect();
            let output = faultline(&args);
            let printed = format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            match block.strip_suffix("\n…") {
                Some(start) => assert!(
                    printed.starts_with(start),
                    "{page}: `{command}` no longer starts like this:\n{start}\n\nit prints:\n{printed}"
                ),
                None => assert_eq!(
                    printed.trim_end(),
                    block,
                    "{page}: `{command}` prints something else"
                ),
            }
        }
    }
}

/// `faultline` arguments without a `--out DIR`: where a shown run writes its report does not
/// change what it prints, so the docs may send it to `target/`.
fn without_out(args: &str) -> Vec<&str> {
    let mut words = args.split_whitespace();
    let mut kept = Vec::new();
    while let Some(word) = words.next() {
        if word == "--out" {
            words.next();
        } else {
            kept.push(word);
        }
    }
    kept
}

#[test]
fn every_readme_command_is_followed_by_its_output() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let lines: Vec<&str> = readme.lines().collect();
    let mut commands = 0;
    let mut i = 0;
    while i < lines.len() {
        if lines[i] != "```sh" {
            i += 1;
            continue;
        }
        let end = i + lines[i..].iter().position(|l| *l == "```").unwrap();
        let runs: Vec<&str> = lines[i + 1..end]
            .iter()
            .filter_map(|l| l.strip_prefix("cargo run --release -- "))
            .collect();
        let next = lines[end + 1..].iter().find(|l| !l.trim().is_empty()).copied().unwrap_or("");
        for args in runs {
            commands += 1;
            let shown = next
                .strip_prefix("<!-- output: faultline ")
                .and_then(|rest| rest.strip_suffix(" -->"))
                .map(without_out);
            assert_eq!(
                shown,
                Some(without_out(args)),
                "README.md: `cargo run --release -- {args}` needs an \
                 `<!-- output: faultline {args} -->` block right after it"
            );
        }
        i = end + 1;
    }
    assert!(commands >= 3, "only {commands} commands found: is the README still parsed?");
}

/// The part of `docs/reference.md` that `faultline reference` prints from the registry.
const GENERATED_START: &str = "<!-- generated: faultline reference -->\n";
const GENERATED_END: &str = "<!-- end generated -->";

fn reference() -> String {
    std::fs::read_to_string(repo().join("docs/reference.md")).unwrap()
}

#[test]
fn the_reference_shows_what_the_registry_declares() {
    let page = reference();
    let start = page.find(GENERATED_START).expect("docs/reference.md has no generated part");
    let end = page.find(GENERATED_END).expect("docs/reference.md: the generated part has no end");
    let output = faultline(&["reference"]);
    assert!(output.status.success());
    assert!(
        page[start + GENERATED_START.len()..end] == common::stdout(&output),
        "docs/reference.md is stale: replace its generated part with `faultline reference`"
    );
}

/// Whether `word` occurs in `text` on its own, not as part of a longer name.
fn mentions(text: &str, word: &str) -> bool {
    let part_of_name = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-';
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        // A name ends a sentence with a dot: `messages.lost.` still mentions it.
        let after_ok = after.is_none_or(|c| {
            !part_of_name(c)
                || c == '.' && {
                    text[at + word.len() + 1..].chars().next().is_none_or(|c| !part_of_name(c))
                }
        });
        before.is_none_or(|c| !part_of_name(c)) && after_ok
    })
}

/// Names a scenario file writes: every identifier that a `:` or `(` follows (fields, models,
/// policies, faults), outside comments and strings.
fn names_written(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    for line in source.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut in_string = false;
        let mut word = String::new();
        for c in code.chars() {
            if c == '"' {
                in_string = !in_string;
                word.clear();
            } else if in_string {
            } else if c.is_ascii_alphanumeric() || c == '_' {
                word.push(c);
            } else {
                if (c == ':' || c == '(') && !word.is_empty() && !word.starts_with(char::is_numeric)
                {
                    names.push(word.clone());
                }
                if !c.is_whitespace() || word.is_empty() {
                    word.clear();
                }
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

#[test]
fn the_reference_explains_every_name_the_bundled_scenarios_use_and_show() {
    let page = reference();
    let written = names_written("model: Chat(rate_per_s: 4.0), // no: \n about: \"not: this\",");
    assert_eq!(written, ["Chat", "about", "model", "rate_per_s"]);
    assert!(
        mentions("`messages.lost`.", "messages.lost")
            && !mentions("messages.lost_x", "messages.lost")
    );
    let mut missing = Vec::new();
    for path in common::bundled_scenarios() {
        let source = std::fs::read_to_string(&path).unwrap();
        let scenario = faultline_scenario::parse(&source, &path.display().to_string()).unwrap();
        let mut names = names_written(&source);
        names.retain(|name| name != "Some");
        names.push(scenario.model_name().to_owned());
        names.extend(scenario.invariants.iter().cloned());
        for variant in &scenario.variants {
            let outcome = scenario.run(scenario.seed, variant, false).unwrap();
            names.extend(outcome.metrics.into_keys());
        }
        for name in names {
            if !mentions(&page, &name) {
                missing.push(format!("{name} (in {})", scenario.name));
            }
        }
    }
    missing.sort();
    missing.dedup();
    assert!(missing.is_empty(), "docs/reference.md does not explain: {}", missing.join(", "));
}
