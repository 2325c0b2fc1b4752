//! One builder at a time per index directory, and the clean-up of what killed builds left.
//!
//! A builder holds an exclusive advisory lock (`flock`) on `DIR/LOCK` for its whole life
//! and writes its process id into the file, so a second builder can say who holds it. The
//! kernel drops the lock when the holding process exits, however it exits (`kill -9`, a
//! crash, a power loss), so a lock is never stale: a leftover `LOCK` file whose holder is
//! gone is simply locked again by the next build. Updates ([`IndexUpdater`]) take the same
//! lock. Searches never do: they read the generation `CURRENT` names, which a build never
//! modifies and an update changes only through tantivy's atomic commit.
//!
//! [`IndexUpdater`]: super::IndexUpdater

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The lock file's name in the index directory.
pub(crate) const LOCK: &str = "LOCK";

/// An exclusive lock on an index directory, released when dropped or when the process
/// exits.
#[derive(Debug)]
pub(crate) struct WriterLock {
    // Held for its lock only; closing the file releases it.
    _file: Option<File>,
}

impl WriterLock {
    /// Takes the lock on `dir` or fails at once with [`Error::Locked`] naming the process
    /// that holds it.
    pub(crate) fn acquire(dir: &Path) -> Result<WriterLock> {
        let path = dir.join(LOCK);
        let write_err = |source: std::io::Error| Error::Write {
            path: dir.to_path_buf(),
            source: Box::new(source),
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(write_err)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(Error::Locked {
                    path: dir.to_path_buf(),
                    pid: holder(&mut file),
                });
            }
            // A file system without advisory locks (some network mounts): building still
            // publishes atomically; only the clear message for a concurrent build is lost.
            Err(TryLockError::Error(e)) if e.kind() == std::io::ErrorKind::Unsupported => {
                return Ok(WriterLock { _file: None });
            }
            Err(TryLockError::Error(e)) => return Err(write_err(e)),
        }
        file.set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| writeln!(file, "{}", std::process::id()))
            .map_err(write_err)?;
        Ok(WriterLock { _file: Some(file) })
    }
}

/// The process id written by the lock's holder; `None` while it has not written it yet.
fn holder(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

/// Whether a builder currently holds the lock on `dir`, and if so its process id (`Some(None)`
/// when it has not written it yet).
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// assert_eq!(zhen::index::lock_holder(dir.path()), None);
/// let builder = zhen::IndexBuilder::create(dir.path()).unwrap();
/// assert_eq!(zhen::index::lock_holder(dir.path()), Some(Some(std::process::id())));
/// drop(builder);
/// assert_eq!(zhen::index::lock_holder(dir.path()), None);
/// ```
pub fn lock_holder(dir: impl AsRef<Path>) -> Option<Option<u32>> {
    let mut file = File::open(dir.as_ref().join(LOCK)).ok()?;
    match file.try_lock_shared() {
        Ok(()) => None,
        Err(TryLockError::WouldBlock) => Some(holder(&mut file)),
        Err(TryLockError::Error(_)) => None,
    }
}

/// Waits until no builder holds the lock on `dir` (returns at once when none does).
///
/// For a program that found the index missing while another process is building it: wait,
/// then open what that process published.
pub fn wait_for_builder(dir: impl AsRef<Path>) -> Result<()> {
    let path = dir.as_ref().join(LOCK);
    let file = match File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => return Err(Error::Read { path, source }),
    };
    // A shared lock waits for the exclusive one of a builder, and is dropped at once.
    file.lock_shared()
        .map_err(|source| Error::Read { path, source })
}

/// Removes what builds killed before they finished left in `dir`: half-written generations
/// (`.tmp-*`), pointer files never renamed over `CURRENT` (`CURRENT.<pid>`), and complete
/// generations that `CURRENT` does not name. Call only while holding the lock: then no
/// other build is writing any of them. Searches may still be reading an unnamed generation
/// they opened before a swap; on Unix their open files survive the removal.
pub(crate) fn remove_leftovers(dir: &Path, current: &str, tmp_prefix: &str, gen_prefix: &str) {
    let live = match fs::read_to_string(dir.join(current)) {
        Ok(pointer) => pointer.trim().to_owned(),
        // No index published yet: every generation is an unpublished leftover.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        // Which generation is live is unknown: remove nothing rather than guess.
        Err(_) => return,
    };
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path: PathBuf = entry.path();
        // Failures are ignored: a leftover that cannot be removed costs disk space, not
        // correctness, and the next build tries again.
        if name.starts_with(tmp_prefix) || (name.starts_with(gen_prefix) && name != live) {
            let _ = fs::remove_dir_all(&path);
        } else if name.starts_with(&format!("{current}.")) {
            let _ = fs::remove_file(&path);
        }
    }
}
