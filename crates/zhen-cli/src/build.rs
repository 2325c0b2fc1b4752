//! Building an index from sources: every good file is indexed, every bad one reported.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use clap::ValueEnum;

use crate::{progress, render};

/// What `zhen index` does with a file or a JSON Lines record it cannot read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnError {
    /// Report it on stderr, index everything else, exit with status 3.
    Skip,
    /// Report it and stop: nothing is replaced, exit with status 1.
    Stop,
}

/// The build succeeded without some of its input: the exit status is 3.
///
/// This is not a failure of the build — the new index is live — but a script must be able
/// to tell that the index does not hold everything it was given.
#[derive(Debug)]
pub struct Partial {
    pub summary: String,
}

impl std::fmt::Display for Partial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.summary)
    }
}

impl std::error::Error for Partial {}

/// A finished build and what it left out.
pub struct Built {
    pub report: zhen::BuildReport,
    pub skipped: Skipped,
}

/// What a build or an update left out.
#[derive(Debug, Default)]
pub struct Skipped {
    /// Files (or directory entries) not indexed at all.
    pub files: usize,
    /// Records of JSON Lines corpora skipped, in files otherwise indexed.
    pub records: usize,
}

impl Skipped {
    /// `Err(Partial)` when anything was skipped, so the command exits with status 3.
    pub fn into_result(self) -> anyhow::Result<()> {
        if self.files + self.records == 0 {
            return Ok(());
        }
        Err(Partial {
            summary: format!(
                "skipped {} file(s) and {} record(s) that could not be read or indexed (each \
                 named above, with why); everything else is indexed. Fix or remove them and run `zhen index` again, or \
                 pass --on-error stop to refuse partial builds",
                self.files, self.records
            ),
        }
        .into())
    }
}

/// Reports one skipped input on stderr (above the progress bar, if one is drawn).
fn report(bar: Option<&progress::Bar>, what: &zhen::Error) {
    let line = render::terminal_safe(&format!("zhen: skipped: {what}"));
    match bar {
        Some(bar) => bar.note(&line),
        None => eprintln!("{line}"),
    }
}

/// Whether a build may go on without the input that failed: a source that cannot be
/// read or decoded can; a failure to write the index, or a lock held by another build,
/// cannot.
fn skippable(err: &zhen::Error) -> bool {
    matches!(
        err,
        zhen::Error::Read { .. }
            | zhen::Error::Decode { .. }
            | zhen::Error::Source { .. }
            | zhen::Error::DocumentIdTaken { .. }
    )
}

/// How many JSON Lines records a reported error left out: one, or all the records of a
/// document whose id an earlier source took (reported once for all of them).
fn records_left_out(err: &zhen::Error) -> usize {
    match err {
        zhen::Error::DocumentIdTaken { records, .. } => (*records).max(1),
        _ => 1,
    }
}

/// Builds the index at `dir` from `sources`, with a progress bar on a terminal.
///
/// With [`OnError::Skip`], files and records that cannot be read are reported and left
/// out; the index is still replaced only if at least one paragraph was indexed, so a run
/// where every source fails keeps the previous index. With [`OnError::Stop`], the first
/// such error fails the build and the previous index keeps answering.
pub fn build(
    dir: &Path,
    sources: &[PathBuf],
    dict: zhen::analysis::UserDict,
    on_error: OnError,
) -> anyhow::Result<Built> {
    let skip = on_error == OnError::Skip;
    let (files, listing_problems) = list(dir, sources, on_error)?;
    let sizes: Vec<u64> = files
        .iter()
        .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
        .collect();
    let mut builder = zhen::IndexBuilder::create_with_dict(dir, dict)?;
    let bar = progress::Bar::new(sizes.iter().sum());
    for problem in &listing_problems {
        report(bar.as_ref(), problem);
    }
    let mut skipped_files = listing_problems.len();
    let skipped_records = Arc::new(AtomicUsize::new(0));
    if skip {
        let bar = bar.clone();
        let count = skipped_records.clone();
        builder.skip_bad_records(move |e| {
            count.fetch_add(records_left_out(e), Ordering::Relaxed);
            report(bar.as_ref(), e);
        });
    }
    if let Some(bar) = &bar {
        let bar = bar.clone();
        let mut done_before = 0u64;
        let mut current: Option<PathBuf> = None;
        builder.on_progress(move |p| {
            if current.as_deref() != Some(p.source.as_path()) {
                if current.is_some() {
                    done_before = bar.position_of_finished();
                }
                current = Some(p.source.clone());
            }
            bar.update(done_before + p.bytes, p.paragraphs, p.bytes >= p.size);
        });
    }
    for file in &files {
        match builder.add_file(file) {
            Ok(()) => {}
            Err(e) if skip && skippable(&e) => {
                report(bar.as_ref(), &e);
                skipped_files += 1;
            }
            Err(e) if skippable(&e) => {
                anyhow::bail!(
                    "{e} (stopped there, --on-error stop: the previous index at {}, if any, is \
                     unchanged)",
                    dir.display()
                )
            }
            Err(e) => return Err(e.into()),
        }
    }
    if let Some(bar) = &bar {
        bar.finish();
    }
    let skipped_records = skipped_records.load(Ordering::Relaxed);
    if builder.paragraphs() == 0 {
        anyhow::bail!(
            "nothing to index: {} — the previous index at {}, if any, is unchanged",
            if skipped_files + skipped_records > 0 {
                "every source was skipped (see above)"
            } else {
                "the sources hold no text"
            },
            dir.display()
        );
    }
    Ok(Built {
        report: builder.commit()?,
        skipped: Skipped {
            files: skipped_files,
            records: skipped_records,
        },
    })
}

/// The files of `sources`, and (when skipping) what could not be listed.
fn list(
    dir: &Path,
    sources: &[PathBuf],
    on_error: OnError,
) -> anyhow::Result<(Vec<PathBuf>, Vec<zhen::Error>)> {
    let skip = on_error == OnError::Skip;
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for source in sources {
        match zhen::index::list_sources(source, dir) {
            Ok((found, unreadable)) => {
                files.extend(found);
                problems.extend(unreadable);
            }
            Err(e) if skip && skippable(&e) => problems.push(e),
            Err(e) => return Err(e.into()),
        }
    }
    if !skip {
        if let Some(first) = problems.into_iter().next() {
            return Err(first.into());
        }
        problems = Vec::new();
    }
    Ok((files, problems))
}

/// `zhen index --add`: adds the documents of `sources` to `updater`, skipping (and
/// reporting) or stopping at what cannot be read, as a build does. Nothing is visible
/// until the caller commits; a stop drops the update, leaving the index as it was.
pub fn add(
    updater: &mut zhen::IndexUpdater,
    dir: &Path,
    sources: &[PathBuf],
    on_error: OnError,
) -> anyhow::Result<Skipped> {
    let skip = on_error == OnError::Skip;
    let (files, problems) = list(dir, sources, on_error)?;
    for problem in &problems {
        report(None, problem);
    }
    let records = Arc::new(AtomicUsize::new(0));
    if skip {
        let count = records.clone();
        updater.skip_bad_records(move |e| {
            count.fetch_add(records_left_out(e), Ordering::Relaxed);
            report(None, e);
        });
    }
    let mut skipped_files = problems.len();
    let mut read = 0;
    for file in &files {
        match updater.add_path(file) {
            Ok(n) => read += n,
            Err(e) if skip && skippable(&e) => {
                report(None, &e);
                skipped_files += 1;
            }
            Err(e) if skippable(&e) => anyhow::bail!(
                "{e} (stopped there, --on-error stop: the index at {} is unchanged)",
                dir.display()
            ),
            Err(e) => return Err(e.into()),
        }
    }
    if read == 0 && skipped_files > 0 {
        // As a build with nothing to index: a mistyped file name must not look like a
        // partial success.
        anyhow::bail!(
            "nothing to add: every source was skipped (see above) — the index at {} is unchanged",
            dir.display()
        );
    }
    Ok(Skipped {
        files: skipped_files,
        records: records.load(Ordering::Relaxed),
    })
}
