//! The bundled report pages in a real browser: headless Chromium opens each committed
//! `reports/*/index.html` at 1280 and 400 px, driven over the DevTools protocol by
//! `browser/check_pages.py` (Debian's `python3-websocket`), and checks what a reader would
//! meet: script errors, sideways scrolling, links without a target, chart text too small to
//! read.
//!
//! Without Chromium the test says it was skipped and passes, so `cargo test` works on a
//! machine with only a Rust toolchain; under CI (`CI` set) it fails instead, so CI never
//! skips it. `.ci/run` installs what it needs.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{faultline, repo, scratch, stderr};

/// Chromium from `FAULTLINE_CHROMIUM`, or the first of the usual names on `PATH`.
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("FAULTLINE_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    ["chromium", "chromium-browser", "google-chrome"].into_iter().find_map(|name| {
        let paths = std::env::var_os("PATH")?;
        std::env::split_paths(&paths).map(|dir| dir.join(name)).find(|path| path.is_file())
    })
}

/// A Python that has the `websocket` module: the one on `PATH`, or Debian's own.
fn python() -> Option<PathBuf> {
    ["python3", "/usr/bin/python3"].into_iter().map(PathBuf::from).find(|python| {
        Command::new(python)
            .args(["-c", "import websocket"])
            .output()
            .is_ok_and(|output| output.status.success())
    })
}

/// Passes with a notice on a developer's machine; fails under CI, which must run it.
fn skip(missing: &str) {
    let message = format!(
        "browser tests SKIPPED: {missing} not found (Debian: apt-get install chromium \
         python3-websocket; or set FAULTLINE_CHROMIUM)"
    );
    assert!(std::env::var_os("CI").is_none(), "{message}; CI must run them");
    // Straight to the terminal: the test harness captures `eprintln!` of passing tests.
    let _ = writeln!(std::io::stderr(), "\n{message}\n");
}

fn report_pages() -> Vec<PathBuf> {
    let mut pages: Vec<PathBuf> = std::fs::read_dir(repo().join("reports"))
        .unwrap()
        .map(|entry| entry.unwrap().path().join("index.html"))
        .filter(|page| page.is_file())
        .collect();
    pages.sort();
    assert!(pages.len() >= 10, "only {} report pages found", pages.len());
    pages
}

/// A page whose text has every character that could break markup, a script or a link, and
/// whose variant has the oddest name the rules allow (a digit first, `_` and `-`):
/// double-transfer, its first variant renamed and its description rewritten, written with
/// Perfetto traces.
fn page_with_awkward_names() -> PathBuf {
    let dir = scratch("browser-awkward-names");
    let text = std::fs::read_to_string(repo().join("scenarios/double-transfer.ron")).unwrap();
    let awkward = r#"check \"then\" <debit> & 'x' #1"#;
    let renamed = text.replacen("\"check-then-debit\"", "\"0_check--then-debit_\"", 1);
    assert_ne!(renamed, text, "the scenario names its variant check-then-debit");
    let about = renamed.find("about: \"").expect("the scenario has an about") + "about: \"".len();
    let renamed = format!("{}{awkward} {}", &renamed[..about], &renamed[about..]);
    let scenario = dir.join("awkward.ron");
    std::fs::write(&scenario, renamed).unwrap();
    let (out, trace) = (dir.join("report"), dir.join("trace.json"));
    let output = faultline(&[
        "run",
        scenario.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--perfetto",
        trace.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    out.join("index.html")
}

#[test]
fn report_pages_read_well_in_a_real_browser() {
    let Some(chromium) = chromium() else { return skip("Chromium") };
    let Some(python) = python() else { return skip("Python's websocket module") };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/check_pages.py");
    let output = Command::new(python)
        .arg(script)
        .arg(chromium)
        .args(report_pages())
        .arg(page_with_awkward_names())
        .output()
        .expect("the browser check runs");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "the pages fail in Chromium:\n{printed}");
}
