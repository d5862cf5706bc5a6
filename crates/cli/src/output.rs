//! Output that never panics and never half-writes: standard output that ends quietly when
//! its reader goes away, and files that go to a temporary sibling first and are renamed into
//! place.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::Failure;

/// Writes `text` to standard output and flushes it. A reader that went away (`faultline run
/// ... | head -1`) wanted no more: the text is dropped quietly and the command goes on to
/// its own exit code (1 for a violation under `--deny-violations`, 2 for a bad file), which
/// a script may still read. Any other write error (a full disk behind a redirect) is a
/// failure with a clear message.
pub fn stdout(text: &str) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(Failure::usage(format!("error: cannot write to standard output: {e}")))
        }
        _ => Ok(()),
    }
}

/// A file every report folder has: a folder without it is not ours to replace.
const REPORT_MARKER: &str = "summary.json";

/// A sibling path that no other faultline process is using.
fn sibling(path: &Path, tag: &str) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.{tag}-{}", std::process::id()))
}

/// Writes one file atomically.
pub fn write_file(path: &Path, contents: &[u8]) -> io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    let temporary = sibling(path, "tmp");
    fs::write(&temporary, contents).and_then(|()| fs::rename(&temporary, path)).inspect_err(|_| {
        let _ = fs::remove_file(&temporary);
    })
}

/// Writes one line to standard error. If that fails there is nobody left to tell, so the
/// error is ignored rather than turned into a panic, as `eprintln!` would.
pub fn stderr_line(text: &str) {
    let _ = writeln!(io::stderr(), "{text}");
}

/// Refuses to replace anything but a missing path, an empty folder or an earlier report,
/// so a mistyped `--out` cannot delete someone's files.
pub fn check_replaceable(dir: &Path) -> Result<(), String> {
    match fs::read_dir(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(_) if dir.exists() => {
            Err(format!("{} exists and is not a folder; choose another --out", dir.display()))
        }
        Err(e) => Err(format!("cannot read {}: {e}", dir.display())),
        Ok(mut entries) => {
            if entries.next().is_none() || dir.join(REPORT_MARKER).is_file() {
                Ok(())
            } else {
                Err(format!(
                    "{} is a folder with files in it but no {REPORT_MARKER}: it does not look \
                     like a faultline report, so it is left alone; choose another --out",
                    dir.display()
                ))
            }
        }
    }
}

/// Replaces the folder `dir` with exactly `files`. The new folder is complete before it
/// takes the old one's place; on failure the old folder is left as it was. Call
/// [`check_replaceable`] first.
pub fn replace_dir(dir: &Path, files: &[(String, Vec<u8>)]) -> io::Result<()> {
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    let staging = sibling(dir, "tmp");
    let retired = sibling(dir, "old");
    let result = (|| {
        if staging.exists() {
            fs::remove_dir_all(&staging)?;
        }
        fs::create_dir_all(&staging)?;
        for (name, contents) in files {
            fs::write(staging.join(name), contents)?;
        }
        if dir.exists() {
            fs::rename(dir, &retired)?;
        }
        if let Err(e) = fs::rename(&staging, dir) {
            let _ = fs::rename(&retired, dir);
            return Err(e);
        }
        Ok(())
    })();
    if result.is_err() && staging.exists() {
        let _ = fs::remove_dir_all(&staging);
    }
    // The new report is in place; failing to delete the old one is not a failed run.
    if result.is_ok() && retired.exists() {
        let _ = fs::remove_dir_all(&retired);
    }
    result
}
