//! End-to-end tests of the `faultline` command, run the way the README runs it: the JSON
//! contract, exit codes, error messages, and that bad input writes nothing.

mod common;

use common::{faultline, repo, scratch, stderr, stdout};
use serde_json::Value;

const CHAT: &str = "scenarios/chat-partition.ron";

fn json_of(output: &std::process::Output) -> Value {
    assert!(output.status.success(), "{}", stderr(output));
    serde_json::from_str(&stdout(output)).expect("stdout is exactly one JSON object")
}

#[test]
fn run_json_follows_the_contract() {
    let out = scratch("json-contract");
    let json = json_of(&faultline(&["run", CHAT, "--json", "--out", out.to_str().unwrap()]));
    assert_eq!(json["scenario"], "chat-partition");
    assert_eq!(json["seed"], 7);
    let variants = json["variants"].as_array().unwrap();
    let names: Vec<&str> = variants.iter().map(|v| v["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["fire-and-forget", "ack-and-retransmit"]);
    for v in variants {
        let hash = v["trace_hash"].as_str().unwrap();
        assert!(hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()), "{hash}");
        assert!(v["events"].as_u64().unwrap() > 0);
        assert_eq!(v["sim_time_s"].as_f64(), Some(60.0));
        for key in ["messages.sent", "messages.delivered", "messages.lost", "messages.duplicated"] {
            assert!(v["metrics"][key].is_number(), "missing {key}");
        }
        assert!(v["metrics"]["delivery_latency_p99_ms"].is_number());
        for violation in v["violations"].as_array().unwrap() {
            for key in ["invariant", "at_s", "node", "detail"] {
                assert!(!violation[key].is_null(), "violation without {key}");
            }
        }
    }
    // The story the scenario tells: the partition loses messages unless they are retransmitted.
    let lost = |i: usize| variants[i]["metrics"]["messages.lost"].as_f64().unwrap();
    assert!(lost(0) > 100.0, "fire-and-forget should lose the partition's messages");
    assert_eq!(lost(1), 0.0, "ack-and-retransmit should lose nothing");
    assert!(variants[1]["violations"].as_array().unwrap().is_empty());
    insta::assert_snapshot!(
        "run_json_chat_partition",
        stdout(&faultline(&["run", CHAT, "--json", "--out", out.to_str().unwrap()]))
    );
}

#[test]
fn the_same_seed_gives_the_same_json_and_another_seed_does_not() {
    let out = scratch("seeds");
    let o = out.to_str().unwrap();
    let a = stdout(&faultline(&["run", CHAT, "--json", "--seed", "11", "--out", o]));
    let b = stdout(&faultline(&["run", CHAT, "--json", "--seed", "11", "--out", o]));
    let c = stdout(&faultline(&["run", CHAT, "--json", "--seed", "12", "--out", o]));
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn run_writes_a_complete_report_folder() {
    let out = scratch("report-folder");
    let output = faultline(&["run", CHAT, "--out", out.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let table = stdout(&output);
    assert!(
        table.lines().any(|l| l.starts_with("fire-and-forget") && l.contains(" lost 1")),
        "{table}"
    );
    assert!(!table.contains("trace hash"), "the hash is behind --verbose:\n{table}");
    let verbose = stdout(&faultline(&["run", CHAT, "--verbose", "--out", out.to_str().unwrap()]));
    assert!(
        verbose.lines().any(|l| l.starts_with("variant") && l.contains("trace hash")),
        "{verbose}"
    );
    for file in [
        "summary.json",
        "summary.md",
        "index.html",
        "delivered-per-second.svg",
        "delivered-per-second.png",
    ] {
        let bytes = std::fs::read(out.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(!bytes.is_empty(), "{file} is empty");
    }
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("ack-and-retransmit"));
    let summary: Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert!(summary["variants"][0]["series"]["delivered-per-second"].is_array());
}

#[test]
fn deny_violations_sets_the_exit_code() {
    let out = scratch("deny");
    let o = out.to_str().unwrap();
    let failing = faultline(&["run", CHAT, "--deny-violations", "--out", o]);
    assert_eq!(failing.status.code(), Some(1), "{}", stderr(&failing));
    assert!(stderr(&failing).contains("--seed 7"), "says how to reproduce: {}", stderr(&failing));
    let passing = faultline(&[
        "run",
        CHAT,
        "--variant",
        "ack-and-retransmit",
        "--deny-violations",
        "--out",
        o,
    ]);
    assert_eq!(passing.status.code(), Some(0), "{}", stderr(&passing));
}

#[test]
fn check_determinism_passes_on_a_deterministic_engine() {
    let out = scratch("determinism");
    let output = faultline(&[
        "run",
        "scenarios/chat-swarm.ron",
        "--check-determinism",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let said = stderr(&output);
    assert!(
        said.starts_with("determinism: 2 variants × 2 runs in this process and 1 in a second")
            && said.contains("traces identical ("),
        "{said}"
    );
}

#[test]
fn a_trace_of_several_variants_says_where_each_went() {
    let dir = scratch("trace-per-variant");
    let trace = dir.join("x.jsonl");
    let output = faultline(&[
        "run",
        CHAT,
        "--out",
        dir.join("r").to_str().unwrap(),
        "--trace",
        trace.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("x.<variant>.jsonl"), "{}", stderr(&output));
    assert!(dir.join("x.fire-and-forget.jsonl").exists());
    assert!(dir.join("x.ack-and-retransmit.jsonl").exists());
}

#[test]
fn check_counts_the_models_own_faults() {
    let output = faultline(&["check", "scenarios/retry-storm.ron"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "ok: scenarios/retry-storm.ron (retry-storm, 4 variants, 1 fixed fault (Slowdown))\n"
    );
}

#[test]
fn bad_scenarios_exit_2_with_file_line_col_and_write_nothing() {
    let dir = scratch("bad-scenario");
    let bad = dir.join("bad.ron");
    let source = std::fs::read_to_string(repo().join(CHAT))
        .unwrap()
        .replace("\"server-b\"]", "\"server-c\"]");
    std::fs::write(&bad, source).unwrap();
    let out = dir.join("report");
    let output = faultline(&["run", bad.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("bad.ron:20:44: unknown node `server-c`"), "{message}");
    assert!(message.contains("did you mean `server-"), "{message}");
    assert!(!message.contains("panicked"), "{message}");
    assert!(stdout(&output).is_empty(), "no partial output on stdout");
    assert!(!out.exists(), "no report folder for a bad scenario");

    let checked = faultline(&["check", CHAT, bad.to_str().unwrap()]);
    assert_eq!(checked.status.code(), Some(2));
    assert!(stdout(&checked).contains("ok: scenarios/chat-partition.ron"));
    assert!(stderr(&checked).contains("unknown node `server-c`"));
}

#[test]
fn a_variant_name_that_is_not_a_plain_name_is_refused_where_it_is_written() {
    let dir = scratch("variant-name");
    let bad = dir.join("bad.ron");
    let source = std::fs::read_to_string(repo().join(CHAT))
        .unwrap()
        .replace("(name: \"fire-and-forget\"", "(name: \"a/../../escape\"");
    std::fs::write(&bad, source).unwrap();
    let checked = faultline(&["check", bad.to_str().unwrap()]);
    assert_eq!(checked.status.code(), Some(2));
    let message = stderr(&checked);
    assert!(
        message.contains("bad.ron:25:16: variant name \"a/../../escape\" has '/' in it"),
        "{message}"
    );
    assert!(message.contains("help: a variant name is 1 to 64 ASCII letters, digits"), "{message}");
    assert_eq!(stdout(&checked), "");
    // Nothing is run, so no trace lands outside the folder named, nor anywhere.
    let trace = dir.join("traces/x.jsonl");
    let out = dir.join("report");
    let (t, o) = (trace.to_str().unwrap(), out.to_str().unwrap());
    let output = faultline(&["run", bad.to_str().unwrap(), "--trace", t, "--out", o]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, ["bad.ron"], "nothing written");
    assert!(!dir.parent().unwrap().join("escape.jsonl").exists());
}

#[test]
fn unknown_variants_and_missing_files_are_usage_errors() {
    let unknown = faultline(&["run", CHAT, "--variant", "ack"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("did you mean `ack-and-retransmit`?"),
        "{}",
        stderr(&unknown)
    );
    let missing = faultline(&["run", "scenarios/nope.ron"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("cannot read scenario scenarios/nope.ron"));
    let bad_flag = faultline(&["run", CHAT, "--sed", "1"]);
    assert_eq!(bad_flag.status.code(), Some(2));
}

#[test]
fn traces_are_written_as_json_lines_and_perfetto_json() {
    let dir = scratch("traces");
    let (jsonl, perfetto) = (dir.join("t.jsonl"), dir.join("p.json"));
    let output = faultline(&[
        "run",
        CHAT,
        "--variant",
        "fire-and-forget",
        "--out",
        dir.join("r").to_str().unwrap(),
        "--trace",
        jsonl.to_str().unwrap(),
        "--perfetto",
        perfetto.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let lines = std::fs::read_to_string(&jsonl).unwrap();
    let events: Vec<Value> = lines.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(events.iter().any(|e| e["event"] == "fault-begin"));
    assert!(events.iter().any(|e| e["event"] == "drop" && e["reason"] == "partition"));
    let chrome: Value = serde_json::from_slice(&std::fs::read(&perfetto).unwrap()).unwrap();
    assert!(chrome["traceEvents"].as_array().unwrap().len() > 100);
    // The page links to both, relative to its folder, so the folder and its traces can move
    // together.
    let page = std::fs::read_to_string(dir.join("r/index.html")).unwrap();
    for (href, file) in [("../p.json", &perfetto), ("../t.jsonl", &jsonl)] {
        assert!(page.contains(&format!("<a href=\"{href}\">")), "no link to {href}");
        assert!(dir.join("r").join(href).canonicalize().unwrap() == file.canonicalize().unwrap());
    }
}

#[test]
fn a_printed_schedule_replays_the_same_run() {
    let dir = scratch("schedule");
    let swarm = repo().join("scenarios/chat-swarm.ron");
    let printed = faultline(&["run", swarm.to_str().unwrap(), "--seed", "5", "--print-schedule"]);
    assert!(printed.status.success(), "{}", stderr(&printed));
    let schedule = stdout(&printed);
    assert!(schedule.contains("Partition(between:"), "{schedule}");

    // Paste the printed faults over the random generators, as the comment says.
    let source = std::fs::read_to_string(&swarm).unwrap();
    let (start, end) = (source.find("    faults: [").unwrap(), source.find("    model:").unwrap());
    let fixed = format!("{}{}{}", &source[..start], schedule, &source[end..]);
    let replay = dir.join("replay.ron");
    std::fs::write(&replay, fixed).unwrap();

    let run = |file: &str| {
        let out = dir.join("out");
        json_of(&faultline(&["run", file, "--seed", "5", "--json", "--out", out.to_str().unwrap()]))
    };
    let (random, replayed) = (run(swarm.to_str().unwrap()), run(replay.to_str().unwrap()));
    for (a, b) in
        random["variants"].as_array().unwrap().iter().zip(replayed["variants"].as_array().unwrap())
    {
        assert_eq!(a["trace_hash"], b["trace_hash"], "{}", a["name"]);
    }
}

#[test]
fn out_never_replaces_a_folder_that_is_not_a_report() {
    let dir = scratch("not-a-report");
    std::fs::write(dir.join("notes.txt"), "precious").unwrap();
    let output = faultline(&["run", CHAT, "--out", dir.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("does not look like a faultline report"),
        "{}",
        stderr(&output)
    );
    assert_eq!(std::fs::read_to_string(dir.join("notes.txt")).unwrap(), "precious");
    // An earlier report, on the other hand, is replaced.
    let report = scratch("earlier-report");
    for _ in 0..2 {
        let output = faultline(&["run", CHAT, "--out", report.to_str().unwrap()]);
        assert!(output.status.success(), "{}", stderr(&output));
    }
}

/// The names in `dir`, sorted.
fn listing(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_write_that_fails_leaves_no_new_output() {
    let dir = scratch("write-fails");
    let report = dir.join("report");
    let o = report.to_str().unwrap();
    assert!(faultline(&["run", CHAT, "--out", o]).status.success());
    std::fs::write(report.join("earlier.txt"), "the earlier report").unwrap();
    // A trace that cannot be written: its folder would have to be made inside a file.
    std::fs::write(dir.join("file"), "").unwrap();
    let trace = dir.join("file/x.jsonl");
    let output = faultline(&["run", CHAT, "--out", o, "--trace", trace.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("cannot write"), "{}", stderr(&output));
    assert_eq!(stdout(&output), "");
    assert!(report.join("earlier.txt").exists(), "the earlier report was not replaced");
    assert_eq!(listing(&dir), ["file", "report"], "no temporaries left");

    // Standard output on a full disk: the report folder is not created either.
    let Ok(full) = std::fs::File::create("/dev/full") else { return };
    let fresh = dir.join("fresh");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(["run", CHAT, "--json", "--out", fresh.to_str().unwrap()])
        .current_dir(repo())
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("cannot write to standard output"), "{}", stderr(&output));
    assert_eq!(listing(&dir), ["file", "report"], "no report folder, no temporaries");
}

#[test]
fn a_run_killed_between_renames_is_undone_by_the_next_run() {
    let dir = scratch("killed-run");
    let report = dir.join("report");
    // What a run killed between its two renames leaves: no report, the earlier one moved
    // aside, the new one staged (process ids no process has).
    let retired = dir.join(".report.old-999999999");
    std::fs::create_dir_all(&retired).unwrap();
    std::fs::write(retired.join("summary.json"), "{}").unwrap();
    std::fs::write(retired.join("earlier.txt"), "the earlier report").unwrap();
    std::fs::create_dir_all(dir.join(".report.tmp-999999999")).unwrap();
    std::fs::write(dir.join(".report.tmp-999999999/summary.json"), "{}").unwrap();
    std::fs::write(dir.join(".x.jsonl.tmp-999999998"), "half a trace").unwrap();
    // A run that then fails (its trace cannot be written) still gives the earlier report back.
    std::fs::write(dir.join("file"), "").unwrap();
    let o = report.to_str().unwrap();
    let run = |trace: &str| {
        let trace = dir.join(trace);
        let args = ["run", CHAT, "--variant", "fire-and-forget", "--out", o, "--trace"];
        faultline(&[&args[..], &[trace.to_str().unwrap()]].concat())
    };
    let output = run("file/x.jsonl");
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(listing(&dir), [".x.jsonl.tmp-999999998", "file", "report"]);
    assert!(report.join("earlier.txt").exists(), "the earlier report is back");
    // A run that succeeds replaces it, and cleans up the trace's leftover too.
    let output = run("x.jsonl");
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(listing(&dir), ["file", "report", "x.jsonl"]);
    assert!(!report.join("earlier.txt").exists() && report.join("index.html").exists());
}

#[test]
fn a_trace_written_into_the_report_folder_survives_the_folders_replacement() {
    let dir = scratch("trace-in-report");
    let report = dir.join("report");
    let trace = report.join("traces/run.jsonl");
    let (o, t) = (report.to_str().unwrap(), trace.to_str().unwrap());
    for _ in 0..2 {
        // The second run replaces the first one's folder, trace and all.
        let output =
            faultline(&["run", CHAT, "--variant", "fire-and-forget", "--out", o, "--trace", t]);
        assert!(output.status.success(), "{}", stderr(&output));
        assert!(std::fs::read_to_string(&trace).unwrap().lines().count() > 100);
        assert!(report.join("index.html").exists());
    }
    assert_eq!(listing(&dir), ["report"], "no temporary is left beside it");
}

#[test]
fn a_trace_path_that_is_a_folder_is_refused_before_the_report_is_replaced() {
    let dir = scratch("trace-is-a-folder");
    let report = dir.join("report");
    let o = report.to_str().unwrap();
    let run = |trace: &std::path::Path| {
        let args = ["run", CHAT, "--variant", "fire-and-forget", "--out", o, "--trace"];
        faultline(&[&args[..], &[trace.to_str().unwrap()]].concat())
    };
    assert!(run(&dir.join("first.jsonl")).status.success());
    let before = std::fs::read(report.join("summary.json")).unwrap();
    std::fs::create_dir_all(dir.join("folder")).unwrap();
    let output = run(&dir.join("folder"));
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert_eq!(stdout(&output), "");
    assert_eq!(std::fs::read(report.join("summary.json")).unwrap(), before, "report untouched");
    assert_eq!(listing(&dir), ["first.jsonl", "folder", "report"]);
}

/// The payment story, as a script would check it: the cascade under the article's timeout, its
/// prevention by a breaker, and the article's breaker that never closes, over several seeds.
#[test]
fn payment_partition_outcomes_hold_over_seeds() {
    let out = scratch("payment-seeds");
    for seed in ["1", "2", "3"] {
        let json = json_of(&faultline(&[
            "run",
            "scenarios/payment-partition.ron",
            "--seed",
            seed,
            "--json",
            "--out",
            out.to_str().unwrap(),
        ]));
        let variant = |name: &str| {
            json["variants"].as_array().unwrap().iter().find(|v| v["name"] == name).unwrap().clone()
        };
        let metric = |name: &str, key: &str| variant(name)["metrics"][key].as_f64().unwrap();
        for key in [
            "pay.requests",
            "pay.ok",
            "pay.success_rate",
            "pay.success_rate_in_faults",
            "login.success_rate",
            "login.success_rate_in_faults",
            "pay.latency_p99_ms",
            "downstream.attempts",
            "downstream.amplification",
            "recovered",
            "recovery_s",
        ] {
            assert!(variant("timeout-3s")["metrics"][key].is_number(), "missing {key}");
        }
        assert!(metric("timeout-3s", "pay.success_rate_in_faults") < 0.1, "seed {seed}");
        assert!(metric("timeout-3s", "login.success_rate_in_faults") < 0.5, "seed {seed}");
        assert!(metric("circuit-breaker", "login.success_rate_in_faults") > 0.95, "seed {seed}");
        assert_eq!(metric("circuit-breaker", "recovered"), 1.0, "seed {seed}");
        assert!(metric("circuit-breaker", "recovery_s") <= 5.0, "seed {seed}");
        assert_eq!(metric("article-breaker", "recovered"), 0.0, "seed {seed}");
        assert_eq!(metric("no-timeout", "recovered"), 0.0, "seed {seed}");
    }
}

/// The storm, from the command line: immediate retries never recover, backoff with a budget
/// does, and the report carries the load × trigger grid.
#[test]
fn retry_storm_outcomes_and_grid() {
    let out = scratch("storm");
    let json = json_of(&faultline(&[
        "run",
        "scenarios/retry-storm.ron",
        "--json",
        "--out",
        out.to_str().unwrap(),
    ]));
    let names: Vec<&str> =
        json["variants"].as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["immediate-retries", "propagated-deadlines", "backoff-budget", "breaker"]);
    let recovered = |i: usize| json["variants"][i]["metrics"]["recovered"].as_f64().unwrap();
    assert_eq!((recovered(0), recovered(2), recovered(3)), (0.0, 1.0, 1.0));
    let summary: Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let grid = &summary["grids"][0];
    assert_eq!(grid["rows"].as_array().unwrap().len(), 4);
    let cells = |v: usize| grid["variants"][v]["cells"].as_array().unwrap().clone();
    // Light load and a short trigger: even immediate retries recover. Heavy load and a long
    // trigger: they stay stuck, while backoff with a budget recovers everywhere.
    assert_eq!(cells(0)[0][0]["outcome"], "ok");
    assert_eq!(cells(0)[3][2]["outcome"], "failed");
    assert_eq!(cells(0)[0][2]["outcome"], "ok", "light load recovers even from a long trigger");
    // (At 500/s even a 100 ms trigger is on the edge: some seeds get stuck, some do not.)
    assert_eq!(cells(0)[2][0]["outcome"], "ok", "a short trigger does not start a storm at 250/s");
    let all_ok =
        cells(2).iter().all(|row| row.as_array().unwrap().iter().all(|c| c["outcome"] == "ok"));
    assert!(all_ok, "backoff-budget should recover everywhere: {}", grid["variants"][2]);
    // Propagated deadlines break the storm at 250/s, where immediate retries alone do not.
    assert_eq!(cells(1)[2][1]["outcome"], "ok");
    assert_eq!(cells(0)[2][1]["outcome"], "failed");
}

#[test]
fn a_reader_that_goes_away_is_no_error_and_hides_no_exit_code() {
    // `faultline ... | head -1`: the reader closes the pipe. Closing it right after the
    // spawn, before the command has anything to print, makes every write hit the closed
    // pipe. Nothing panics, and the exit code is still the command's own.
    use std::process::{Command, Stdio};
    let out = scratch("closed-pipe");
    let o = out.to_str().unwrap();
    let cases: [(&[&str], i32); 4] = [
        (&["sweep", "scenarios/double-transfer.ron", "--seeds", "0..200", "--json"], 0),
        (&["check", "scenarios/double-transfer.ron"], 0),
        (&["run", "scenarios/double-transfer.ron", "--deny-violations", "--out", o], 1),
        (&["check", "scenarios/double-transfer.ron", "scenarios/no-such-file.ron"], 2),
    ];
    for (args, code) in cases {
        let mut child = Command::new(env!("CARGO_BIN_EXE_faultline"))
            .args(args)
            .current_dir(repo())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        assert!(!stderr(&output).contains("panicked"), "{args:?}: {}", stderr(&output));
        assert_eq!(output.status.code(), Some(code), "{args:?}: {}", stderr(&output));
    }
}

#[test]
fn list_names_every_model_its_invariants_and_faults_and_every_bundled_scenario() {
    let output = faultline(&["list"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    for name in ["Chat", "Payment", "Bank", "Kv", "Orders"] {
        assert!(text.lines().any(|l| l.trim_start().starts_with(name)), "{name}: {text}");
    }
    for word in ["no-negative-balance", "truthful-answer", "Slowdown", "Partition", "RandomCrashes"]
    {
        assert!(text.contains(word), "{word}: {text}");
    }
    for path in common::bundled_scenarios() {
        let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
        assert!(text.lines().any(|l| l.trim_start().starts_with(&stem)), "{stem}: {text}");
    }
    assert!(text.contains("Five items left and a burst of customers."), "{text}");
}

#[test]
fn completions_cover_every_subcommand_in_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let output = faultline(&["completions", shell]);
        assert!(output.status.success(), "{shell}: {}", stderr(&output));
        let script = stdout(&output);
        assert!(!script.trim().is_empty(), "{shell}: empty script");
        for command in ["run", "sweep", "check", "list"] {
            assert!(script.contains(command), "{shell}: no `{command}`");
        }
        assert!(script.contains("deny-violations"), "{shell}: no options of `run`");
    }
    let unknown = faultline(&["completions", "tcsh"]);
    assert_eq!(unknown.status.code(), Some(2));
}
