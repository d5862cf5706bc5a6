//! Output that never panics and never half-writes: standard output that ends quietly when
//! its reader goes away, and files and folders that go to temporary siblings first and are
//! renamed into place together, once every one of them is written.

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

/// The tags of temporary siblings: a staged file or folder, and a report folder moved
/// aside while its replacement takes its place.
const STAGING: &str = "tmp";
const RETIRED: &str = "old";

/// `.{name}.{tag}-`: how every temporary sibling of `path` starts.
fn sibling_prefix(path: &Path, tag: &str) -> String {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    format!(".{name}.{tag}-")
}

/// A sibling path that no other faultline process is using: the tag and this process's id.
fn sibling(path: &Path, tag: &str) -> PathBuf {
    path.with_file_name(format!("{}{}", sibling_prefix(path, tag), std::process::id()))
}

/// A file name as a URL path segment or one part of a file name: a `#`, `?`, `%` or space
/// would end or change a link, and a `/` would make a name a path. Unreserved characters
/// stay as they are; every other byte of its UTF-8 is `%XX`.
pub fn percent_encoded(name: &str) -> String {
    let mut encoded = String::with_capacity(name.len());
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// Writes one line to standard error. If that fails there is nobody left to tell, so the
/// error is ignored rather than turned into a panic, as `eprintln!` would.
pub fn stderr_line(text: &str) {
    let _ = writeln!(io::stderr(), "{text}");
}

/// Whether process `pid` is running: on Linux, whether `/proc` has it. Elsewhere there is no
/// cheap way to ask, and a leftover is taken to be a dead process's.
fn alive(pid: &str) -> bool {
    // This process's own id on a leftover is an earlier process's that had the same id (a
    // container's first process is always 1): it is not running.
    let own = pid == std::process::id().to_string();
    !own && cfg!(target_os = "linux") && Path::new("/proc").join(pid).exists()
}

/// The temporary siblings of `path` tagged `tag` that a process no longer running left
/// behind (killed between writing and renaming), newest first.
fn leftovers(path: &Path, tag: &str) -> Vec<PathBuf> {
    let prefix = sibling_prefix(path, tag);
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let Ok(entries) = fs::read_dir(parent) else { return Vec::new() };
    let mut found: Vec<(std::time::SystemTime, PathBuf)> = entries
        .flatten()
        .filter(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            name.strip_prefix(&prefix).is_some_and(|pid| {
                !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) && !alive(pid)
            })
        })
        .map(|entry| {
            let modified = entry.metadata().and_then(|m| m.modified()).ok();
            (modified.unwrap_or(std::time::UNIX_EPOCH), entry.path())
        })
        .collect();
    found.sort_by(|a, b| b.cmp(a));
    found.into_iter().map(|(_, path)| path).collect()
}

/// Removes a file or a folder, whichever `path` is.
fn remove(path: &Path) -> io::Result<()> {
    if path.symlink_metadata()?.is_dir() { fs::remove_dir_all(path) } else { fs::remove_file(path) }
}

/// Undoes what a killed earlier run left at `path`: if the report folder itself is missing
/// but was moved aside, it is moved back (the run that moved it never finished), and every
/// other temporary sibling of a process no longer running is removed.
fn recover(path: &Path) -> io::Result<()> {
    // Only what a report run leaves is touched: a folder of that name without a report's
    // marker is someone else's.
    let ours = |leftover: &PathBuf| !leftover.is_dir() || leftover.join(REPORT_MARKER).is_file();
    let mut retired = leftovers(path, RETIRED).into_iter().filter(ours);
    if path.symlink_metadata().is_err() {
        if let Some(newest) = retired.next() {
            fs::rename(newest, path)?;
        }
    }
    for stale in retired.chain(leftovers(path, STAGING).into_iter().filter(ours)) {
        remove(&stale)?;
    }
    Ok(())
}

/// Makes `dir` ready to be replaced by a report: what a killed earlier run left is undone
/// first, then anything but a missing path, an empty folder or an earlier report is
/// refused, so a mistyped `--out` cannot delete someone's files.
pub fn prepare_report_dir(dir: &Path) -> Result<(), String> {
    recover(dir)
        .map_err(|e| format!("cannot clean up after an earlier run at {}: {e}", dir.display()))?;
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

/// What waits to be renamed into place: a written temporary and the path it becomes.
struct Pending {
    temporary: PathBuf,
    path: PathBuf,
    folder: bool,
}

/// Outputs written to temporary siblings and put in place together by [`Staged::commit`]:
/// until then nothing the user can see has changed, and a failure at any write (a full
/// disk, a folder that cannot be made) leaves no new output. Dropped uncommitted, the
/// temporaries are removed.
#[derive(Default)]
pub struct Staged {
    pending: Vec<Pending>,
}

impl Staged {
    /// Writes `contents` to a temporary beside `path`, or, for a path inside a folder staged
    /// here already (a trace written into its report folder), into that staged folder:
    /// replacing the folder would delete a file renamed into the old one.
    pub fn file(&mut self, path: &Path, contents: &[u8]) -> io::Result<()> {
        let staged_folder = self.pending.iter().filter(|p| p.folder).find_map(|pending| {
            let inside = path.strip_prefix(&pending.path).ok()?;
            (!inside.as_os_str().is_empty()).then(|| pending.temporary.join(inside))
        });
        // Known now, not at the rename, when the report folder would already be in place.
        if path.is_dir() {
            return Err(io::Error::new(io::ErrorKind::IsADirectory, "it is a folder"));
        }
        if let Some(inside) = staged_folder {
            if let Some(parent) = inside.parent() {
                fs::create_dir_all(parent)?;
            }
            return fs::write(inside, contents);
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent)?;
        }
        recover_staging(path)?;
        let temporary = sibling(path, STAGING);
        self.pending.push(Pending {
            temporary: temporary.clone(),
            path: path.into(),
            folder: false,
        });
        fs::write(&temporary, contents)
    }

    /// Writes a folder holding exactly `files` beside `dir`, to replace it. Call
    /// [`prepare_report_dir`] first.
    pub fn folder(&mut self, dir: &Path, files: &[(String, Vec<u8>)]) -> io::Result<()> {
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent)?;
        }
        let staging = sibling(dir, STAGING);
        if staging.exists() {
            fs::remove_dir_all(&staging)?;
        }
        self.pending.push(Pending { temporary: staging.clone(), path: dir.into(), folder: true });
        fs::create_dir_all(&staging)?;
        for (name, contents) in files {
            fs::write(staging.join(name), contents)?;
        }
        Ok(())
    }

    /// Renames every temporary into place, in the order written. A folder is moved aside,
    /// the new one renamed in and the old one deleted; killed in between, the next run moves
    /// the old one back (see [`prepare_report_dir`]). A rename that fails (which a full disk
    /// cannot cause) stops there, and what was not yet renamed is removed.
    pub fn commit(mut self) -> Result<(), (PathBuf, io::Error)> {
        while let Some(pending) = self.pending.first() {
            let renamed = if pending.folder {
                replace_folder(&pending.temporary, &pending.path)
            } else {
                fs::rename(&pending.temporary, &pending.path)
            };
            renamed.map_err(|e| (pending.path.clone(), e))?;
            self.pending.remove(0);
        }
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        for pending in &self.pending {
            let _ = remove(&pending.temporary);
        }
    }
}

/// Removes the temporaries of a file that killed earlier runs left beside `path`.
fn recover_staging(path: &Path) -> io::Result<()> {
    leftovers(path, STAGING).iter().try_for_each(|stale| remove(stale))
}

/// Puts the complete folder `staging` where `dir` is; on failure `dir` is left as it was.
fn replace_folder(staging: &Path, dir: &Path) -> io::Result<()> {
    let retired = sibling(dir, RETIRED);
    if dir.exists() {
        fs::rename(dir, &retired)?;
    }
    if let Err(e) = fs::rename(staging, dir) {
        let _ = fs::rename(&retired, dir);
        return Err(e);
    }
    // The new report is in place; failing to delete the old one is not a failed run.
    if retired.exists() {
        let _ = fs::remove_dir_all(&retired);
    }
    Ok(())
}
