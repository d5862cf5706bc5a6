//! Writing files so that a failure never leaves half of one behind: everything goes to a
//! temporary sibling first and is renamed into place.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

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
