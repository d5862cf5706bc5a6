//! Writing files so that a failure never leaves half of one behind: everything goes to a
//! temporary sibling first and is renamed into place.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

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

/// Replaces the folder `dir` with exactly `files`. The new folder is complete before it
/// takes the old one's place; on failure the old folder is left as it was.
pub fn replace_dir(dir: &Path, files: &[(String, Vec<u8>)]) -> io::Result<()> {
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    let staging = sibling(dir, "tmp");
    let result = (|| {
        if staging.exists() {
            fs::remove_dir_all(&staging)?;
        }
        fs::create_dir_all(&staging)?;
        for (name, contents) in files {
            fs::write(staging.join(name), contents)?;
        }
        let retired = sibling(dir, "old");
        if dir.exists() {
            fs::rename(dir, &retired)?;
        }
        if let Err(e) = fs::rename(&staging, dir) {
            let _ = fs::rename(&retired, dir);
            return Err(e);
        }
        if retired.exists() {
            fs::remove_dir_all(&retired)?;
        }
        Ok(())
    })();
    if result.is_err() && staging.exists() {
        let _ = fs::remove_dir_all(&staging);
    }
    result
}
