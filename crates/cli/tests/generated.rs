//! Generated scenarios of every model, run through the binary: each must pass `check`, run
//! without a panic within bounded time and memory, write byte-identical output and reports
//! when run twice, and pass `--check-determinism` (a second process). The budget is fixed
//! here; `FAULTLINE_GEN_SCENARIOS` and `FAULTLINE_GEN_SEED` run more (see README, Fuzzing).

// The test bounds each process's wall time; the runs themselves stay in virtual time.
#![allow(clippy::disallowed_methods)]

mod common;
mod generator;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Scenarios per `cargo test`: every model 20 times, well under a minute at opt-level 1.
const DEFAULT_SCENARIOS: u64 = 100;
/// No process of a generated scenario may take longer (a hang, or a run far too slow).
const PROCESS_LIMIT: Duration = Duration::from_secs(60);
/// Nor use more memory: every generated run is small, whatever its duration.
const PEAK_RSS_LIMIT_KB: u64 = 512 * 1024;
/// A long run says how far it got this often (seen with `--nocapture`).
const PROGRESS_EVERY: u64 = 250;
/// How often a running process's peak memory is read.
const POLL: Duration = Duration::from_millis(2);

fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(text) => text.parse().unwrap_or_else(|_| panic!("{name}={text:?} is not a number")),
        Err(_) => default,
    }
}

/// One finished process: how it ended, its output, its peak memory if the platform says.
struct Finished {
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: String,
    peak_rss_kb: Option<u64>,
    elapsed: Duration,
}

/// The peak resident memory of a running process (`VmHWM`), where `/proc` has it.
fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `faultline ARGS` with output to files (no pipe to fill while polling), reading its
/// peak memory until it ends, and killing it past `PROCESS_LIMIT`.
fn faultline(args: &[&str], scratch: &Path) -> Result<Finished, String> {
    let (out, err) = (scratch.join("stdout"), scratch.join("stderr"));
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(args)
        .current_dir(common::repo())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let mut peak = None;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        peak = peak_rss_kb(child.id()).max(peak);
        if start.elapsed() > PROCESS_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("still running after {PROCESS_LIMIT:?}"));
        }
        std::thread::sleep(POLL);
    };
    Ok(Finished {
        status,
        stdout: std::fs::read(&out).unwrap(),
        stderr: std::fs::read_to_string(&err).unwrap(),
        peak_rss_kb: peak,
        elapsed: start.elapsed(),
    })
}

/// What a generated scenario came to: passed, stopped at its event limit (a clear error,
/// exit code 2, which `max_events` promises), or failed in one of a few kinds.
enum Verdict {
    Passed,
    EventLimit,
    Failed { kind: &'static str, detail: String },
}

/// Measurements over every process of one scenario.
#[derive(Default)]
struct Measured {
    peak_rss_kb: u64,
    slowest: Duration,
}

fn failed(kind: &'static str, detail: String) -> Verdict {
    Verdict::Failed { kind, detail }
}

/// One step's process, judged: a panic, a timeout or too much memory is a failure whatever
/// the exit code.
fn step(args: &[&str], scratch: &Path, m: &mut Measured) -> Result<Finished, Verdict> {
    let done = faultline(args, scratch).map_err(|e| failed("timeout", e))?;
    m.peak_rss_kb = m.peak_rss_kb.max(done.peak_rss_kb.unwrap_or(0));
    m.slowest = m.slowest.max(done.elapsed);
    let code = done.status.code();
    if done.stderr.contains("panicked") || code == Some(101) || code.is_none() {
        return Err(failed("panic", format!("{args:?}: {code:?}\n{}", done.stderr)));
    }
    if let Some(kb) = done.peak_rss_kb.filter(|kb| *kb > PEAK_RSS_LIMIT_KB) {
        return Err(failed("memory", format!("{args:?}: peak RSS {kb} kB")));
    }
    Ok(done)
}

/// Every file of a report folder, by name, to compare two runs byte for byte.
fn folder(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        files.insert(name, std::fs::read(&path).unwrap());
    }
    files
}

/// `check`, `run --json` twice, then `run --check-determinism`, on one file.
/// A file with a `swarm` section is run with `--swarm`: its seed's swarm draw.
fn judge(file: &Path, swarm: bool, scratch: &Path, m: &mut Measured) -> Result<Verdict, Verdict> {
    let path = file.to_str().unwrap();
    let report = scratch.join("report");
    let report = report.to_str().unwrap();
    let run = |extra: &'static str| {
        let mut args = vec!["run", path, extra, "--out", report];
        args.extend(swarm.then_some("--swarm"));
        args
    };
    let check = step(&["check", path], scratch, m)?;
    if !check.status.success() {
        return Err(failed("rejected-by-check", check.stderr));
    }
    let first = step(&run("--json"), scratch, m)?;
    if first.status.code() == Some(2) && first.stderr.contains("hit its limit of") {
        return Ok(Verdict::EventLimit);
    }
    if !first.status.success() {
        return Err(failed("run-error", format!("{:?}\n{}", first.status, first.stderr)));
    }
    let first_report = folder(Path::new(report));
    let second = step(&run("--json"), scratch, m)?;
    if second.stdout != first.stdout {
        return Err(failed("rerun-differs", "two runs printed different JSON".into()));
    }
    if folder(Path::new(report)) != first_report {
        return Err(failed("rerun-differs", "two runs wrote different report files".into()));
    }
    let again = step(&run("--check-determinism"), scratch, m)?;
    if !again.status.success() {
        return Err(failed("nondeterministic", again.stderr));
    }
    Ok(Verdict::Passed)
}

/// Where a failing scenario is kept, to be run again by hand.
fn failures_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("../generated-failures")
}

/// Tallies over the whole budget.
#[derive(Default)]
struct Tally {
    per_model: BTreeMap<&'static str, u64>,
    event_limits: u64,
    failures: Vec<String>,
    failures_by_kind: BTreeMap<&'static str, u64>,
    /// The largest peak memory of a process, and the scenario it ran.
    peak_rss_kb: (u64, u64),
    /// The slowest process, and the scenario it ran.
    slowest: (Duration, u64),
}

fn one(seed: u64, scratch: &Path, tally: &Mutex<Tally>) {
    let generated = generator::scenario(seed);
    let dir = scratch.join(seed.to_string());
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("scenario.ron");
    std::fs::write(&file, &generated.text).unwrap();
    let mut measured = Measured::default();
    let verdict =
        judge(&file, generated.swarm, &dir, &mut measured).unwrap_or_else(|verdict| verdict);
    let mut tally = tally.lock().unwrap();
    *tally.per_model.entry(generated.model).or_default() += 1;
    tally.peak_rss_kb = tally.peak_rss_kb.max((measured.peak_rss_kb, seed));
    tally.slowest = tally.slowest.max((measured.slowest, seed));
    match verdict {
        Verdict::Passed => {}
        Verdict::EventLimit => tally.event_limits += 1,
        Verdict::Failed { kind, detail } => {
            let kept = failures_dir().join(format!("{kind}-seed{seed}.ron"));
            std::fs::create_dir_all(failures_dir()).unwrap();
            std::fs::write(&kept, &generated.text).unwrap();
            *tally.failures_by_kind.entry(kind).or_default() += 1;
            let detail: String = detail.chars().take(1500).collect();
            tally.failures.push(format!(
                "{kind}: seed {seed} ({}, features {:?}), kept at {}\n  reproduce: \
                 FAULTLINE_GEN_SEED={seed} FAULTLINE_GEN_SCENARIOS=1 cargo test -p faultline \
                 --test generated\n  {detail}",
                generated.model,
                generated.features,
                kept.display(),
            ));
        }
    }
    // `FAULTLINE_GEN_KEEP=1` keeps every scenario and its report, to read them.
    if std::env::var_os("FAULTLINE_GEN_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn generated_scenarios_check_run_alike_and_stay_deterministic() {
    let count = env_u64("FAULTLINE_GEN_SCENARIOS", DEFAULT_SCENARIOS);
    let first_seed = env_u64("FAULTLINE_GEN_SEED", 0);
    if peak_rss_kb(std::process::id()).is_none() {
        println!("note: no /proc/<pid>/status here; peak memory is not bounded in this run");
    }
    let scratch = common::scratch("generated");
    let next = AtomicU64::new(0);
    let tally = Mutex::new(Tally::default());
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        break;
                    }
                    one(first_seed.wrapping_add(i), &scratch, &tally);
                    if (i + 1) % PROGRESS_EVERY == 0 {
                        println!("{} of {count} scenarios done", i + 1);
                    }
                }
            });
        }
    });
    let tally = tally.into_inner().unwrap();
    println!("generated {count} scenarios from seed {first_seed} ({:?})", tally.per_model);
    println!(
        "stopped at max_events: {}; failures by kind: {:?}; peak RSS {} kB (seed {}); \
         slowest process {:?} (seed {})",
        tally.event_limits,
        tally.failures_by_kind,
        tally.peak_rss_kb.0,
        tally.peak_rss_kb.1,
        tally.slowest.0,
        tally.slowest.1
    );
    assert!(tally.failures.is_empty(), "{}", tally.failures.join("\n\n"));
}

#[test]
fn a_seed_always_generates_the_same_file_and_seeds_in_a_row_cover_every_model() {
    let models: Vec<&str> = (40..45).map(|seed| generator::scenario(seed).model).collect();
    assert_eq!(models, ["Chat", "Payment", "Bank", "Kv", "Orders"]);
    for seed in [0, 7, u64::MAX] {
        let (a, b) = (generator::scenario(seed), generator::scenario(seed));
        assert_eq!(a.text, b.text, "seed {seed} generated two different files");
    }
}
