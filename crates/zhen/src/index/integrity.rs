//! Detecting damaged index files before they give wrong answers or crash a search.
//!
//! tantivy ends every segment file with a CRC32 of its contents but checks it only when
//! asked ([`tantivy::Index::validate_checksum`]); a flipped byte in a term dictionary or a
//! zeroed block of postings otherwise gives silently wrong hits, an engine error, or a panic
//! deep inside a search. Checking every byte on every open is too slow for a one-shot
//! search (a cold search on the 106 MB prc-laws index: 4.3 ms with the seal below, 26.8 ms
//! checking everything), so a build *seals* the new generation instead: `SEAL` lists each
//! file with its size, modification and change times, and for the small files tantivy does
//! not checksum itself (`meta.json`, `.managed.json`, `zhen.json`, `user.dict`) a CRC32 of
//! the contents.
//!
//! Opening an index checks the seal: `stat` for every file and a CRC32 of the small ones.
//! When everything matches, the files are as the build left them. When anything differs —
//! a file truncated, rewritten, restored from a backup, touched by another program — every
//! live segment file's checksum is verified before the index is used, and any mismatch is
//! reported as damage. What a seal cannot see is corruption that changes neither size nor
//! times (bit rot under a file system without checksums);
//! [`Index::verify`](super::Index::verify) checks every byte on demand. An update
//! ([`IndexUpdater`](super::IndexUpdater)) seals the generation again after its commit.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The seal's file name inside a generation.
pub(crate) const SEAL: &str = "SEAL";

/// Files whose contents the seal checksums, because tantivy does not.
const SMALL_FILES: &[&str] = &["meta.json", ".managed.json", "zhen.json", "user.dict"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Stamp {
    len: u64,
    mtime_ns: i128,
    ctime_ns: i128,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    crc32: Option<u32>,
}

fn stamp(path: &Path, name: &str) -> std::io::Result<Stamp> {
    let meta = fs::metadata(path)?;
    let crc32 = if SMALL_FILES.contains(&name) {
        Some(crc32fast::hash(&fs::read(path)?))
    } else {
        None
    };
    Ok(Stamp {
        len: meta.len(),
        mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
        ctime_ns: i128::from(meta.ctime()) * 1_000_000_000 + i128::from(meta.ctime_nsec()),
        crc32,
    })
}

/// tantivy's lock files are empty and change on every open; they hold no index data.
pub(crate) fn is_sealed_name(name: &str) -> bool {
    name != SEAL && !name.ends_with(".lock")
}

/// Writes the seal of the complete generation at `generation` (call after its last file
/// is written, before it is published), and syncs it.
pub(crate) fn seal(generation: &Path) -> std::io::Result<()> {
    share_like_the_rest(generation)?;
    let mut files = BTreeMap::new();
    for entry in fs::read_dir(generation)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_sealed_name(&name) && entry.file_type()?.is_file() {
            files.insert(name.clone(), stamp(&entry.path(), &name)?);
        }
    }
    let json = serde_json::to_vec(&files).map_err(std::io::Error::other)?;
    super::write_synced(&generation.join(SEAL), &json)
}

/// Gives `meta.json` and `.managed.json` the permissions of zhen's own `zhen.json`.
/// tantivy writes those two through temporary files, which are readable by their owner
/// only, where every other file of the index has the permissions the user's umask gives:
/// without this, a user who can read an index built by another could not open it.
fn share_like_the_rest(generation: &Path) -> std::io::Result<()> {
    let Ok(reference) = fs::metadata(generation.join(super::META)) else {
        return Ok(());
    };
    for name in ["meta.json", ".managed.json"] {
        match fs::set_permissions(generation.join(name), reference.permissions()) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

/// What is wrong with a generation.
#[derive(Debug)]
pub(crate) enum Problem {
    /// A file is damaged or missing: why.
    Damaged(String),
    /// A file (relative to the generation) that the user may not read: a question of
    /// permissions, not damage.
    Unreadable {
        file: std::path::PathBuf,
        source: std::io::Error,
    },
}

impl Problem {
    /// The error for the index at `dir` whose generation `generation` has this problem;
    /// `prefix` leads the reason for damage.
    pub(crate) fn into_error(self, dir: &Path, generation: &Path, prefix: &str) -> crate::Error {
        match self {
            Problem::Damaged(reason) => crate::Error::IndexCorrupt {
                path: dir.to_path_buf(),
                reason: format!("{prefix}{reason}"),
            },
            Problem::Unreadable { file, source } => crate::Error::Read {
                path: generation.join(file),
                source,
            },
        }
    }
}

impl From<String> for Problem {
    fn from(reason: String) -> Problem {
        Problem::Damaged(reason)
    }
}

/// Checks the generation at `generation`, opened as `index`; the error says which file is
/// damaged and how.
pub(crate) fn check(generation: &Path, index: &tantivy::Index) -> Result<(), Problem> {
    let sealed: Option<BTreeMap<String, Stamp>> = fs::read(generation.join(SEAL))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    let Some(sealed) = sealed else {
        // No seal (an index written by another tool, or a damaged seal): verify it all.
        return verify(generation, index);
    };
    // While meta.json is as sealed, it lists exactly the sealed segments: none may be
    // missing. (A zhen that updates a generation in place without resealing it only costs
    // full verification.)
    let meta_as_sealed = sealed.get("meta.json").is_some_and(|expected| {
        stamp(&generation.join("meta.json"), "meta.json")
            .ok()
            .as_ref()
            == Some(expected)
    });
    let mut untouched = true;
    for (name, expected) in &sealed {
        let Ok(now) = stamp(&generation.join(name), name) else {
            if meta_as_sealed {
                return Err(format!("{name} is missing").into());
            }
            untouched = false;
            continue;
        };
        let same_times = now.mtime_ns == expected.mtime_ns && now.ctime_ns == expected.ctime_ns;
        if same_times && now.len != expected.len {
            return Err(format!(
                "{name} has {} bytes, {} were written",
                now.len, expected.len
            )
            .into());
        }
        if same_times && now.crc32 != expected.crc32 {
            // Rewriting a file changes its times; changed contents under the same times
            // are damage, not an update.
            return Err(format!("{name} does not hold what was written (checksum)").into());
        }
        untouched &= now == *expected;
    }
    if untouched {
        return Ok(());
    }
    verify(generation, index)
}

/// Verifies the checksum of every file of the live segments of `generation`, opened as
/// `index`.
///
/// The live segments are those `meta.json` lists; their files are those of tantivy's
/// candidates that exist, and each that tantivy recorded writing (in `.managed.json`) must.
/// Other files are not read: a segment file an update was writing when it was killed is
/// garbage, not damage (tantivy removes it at the next update).
pub(crate) fn verify(generation: &Path, index: &tantivy::Index) -> Result<(), Problem> {
    let directory = index.directory();
    let metas = index
        .load_metas()
        .map_err(|e| Problem::from(format!("cannot read the segment list: {e}")))?;
    let managed = directory.list_managed_files();
    let mut files: Vec<_> = metas.list_segment_files().into_iter().collect();
    files.sort();
    for file in files {
        if !generation.join(&file).is_file() {
            if managed.contains(&file) {
                return Err(format!("{} is missing", file.display()).into());
            }
            continue;
        }
        match directory.validate_checksum(&file) {
            Ok(true) => {}
            Ok(false) => {
                return Err(format!(
                    "{} does not hold what was written (checksum)",
                    file.display()
                )
                .into())
            }
            Err(tantivy::directory::error::OpenReadError::IoError { io_error, .. })
                if io_error.kind() == std::io::ErrorKind::PermissionDenied =>
            {
                return Err(Problem::Unreadable {
                    file,
                    source: std::io::Error::new(io_error.kind(), io_error.to_string()),
                })
            }
            Err(e) => return Err(format!("{}: {e}", file.display()).into()),
        }
    }
    Ok(())
}
