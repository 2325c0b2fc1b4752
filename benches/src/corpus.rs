//! The shared corpora the benchmarks read: gzip JSON Lines in `../shared/data` (one
//! object a line with at least `id` and `text`; see that directory's README), the document
//! zhen ships with, and where benchmarks may cache indexes they build.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use serde::Deserialize;

/// The shared data directory (`/work/shared/data` beside the repository).
pub const DATA_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data");

/// The document zhen ships with.
pub const SHIPPED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../index-data/us-hrc-pledges-2021.zh.txt"
);

/// PRC laws and regulations, one article a record (153,223 records, Chinese).
pub const PRC_LAWS: &str = "prc-laws.zh.jsonl.gz";

/// UN General Debate statements, one paragraph a record (English).
pub const UN_DEBATES: &str = "un-general-debates-2015-2024.en.jsonl.gz";

/// UN Parallel Corpus test sets: aligned zh/en sentence pairs (same `id`).
pub const UNPC: &str = "unpc-v1-testsets.zh-en.jsonl.gz";

/// One corpus record (other fields are ignored).
#[derive(Debug, Clone, Deserialize)]
pub struct Record {
    /// The record id (unique per record, except for the aligned pairs of [`UNPC`]).
    pub id: String,
    /// `zh` or `en`.
    #[serde(default)]
    pub lang: String,
    /// The text.
    pub text: String,
}

/// The path of corpus `name` in [`DATA_DIR`].
pub fn path(name: &str) -> PathBuf {
    Path::new(DATA_DIR).join(name)
}

/// Streams the records of corpus `name`, in file order.
///
/// Panics with the file and line on a missing file or a malformed line: the benchmarks
/// have nothing to measure without their data.
pub fn records(name: &str) -> impl Iterator<Item = Record> {
    let path = path(name);
    let file =
        File::open(&path).unwrap_or_else(|e| panic!("cannot open corpus {}: {e}", path.display()));
    BufReader::new(GzDecoder::new(file))
        .lines()
        .enumerate()
        .filter_map(move |(i, line)| {
            let line =
                line.unwrap_or_else(|e| panic!("{}:{}: cannot read: {e}", path.display(), i + 1));
            if line.trim().is_empty() {
                return None;
            }
            Some(
                serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("{}:{}: bad record: {e}", path.display(), i + 1)),
            )
        })
}

/// The texts of the first `n` records of corpus `name`.
pub fn texts(name: &str, n: usize) -> Vec<String> {
    records(name).take(n).map(|r| r.text).collect()
}

/// Total UTF-8 size of `texts`, in bytes (for `Throughput::Bytes`).
pub fn total_bytes<S: AsRef<str>>(texts: &[S]) -> u64 {
    texts.iter().map(|t| t.as_ref().len() as u64).sum()
}

/// A directory for indexes the benchmarks build once and reuse:
/// `$CARGO_TARGET_DIR/zhen-bench-cache`, else `target/zhen-bench-cache` in the workspace.
/// It is outside the tracked files (`/target` is ignored); delete it to force a rebuild.
pub fn cache_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let benches = Path::new(env!("CARGO_MANIFEST_DIR"));
            benches.parent().unwrap_or(benches).join("target")
        });
    target.join("zhen-bench-cache")
}
