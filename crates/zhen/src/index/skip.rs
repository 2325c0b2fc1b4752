//! What a build does with input it cannot use: records it skips, files with no text.

use std::path::Path;

use super::IndexBuilder;
use crate::error::{Error, Result};

/// A callback of [`IndexBuilder::skip_bad_records`].
pub(super) type SkipFn = Box<dyn FnMut(&Error) + Send>;

impl IndexBuilder {
    /// Makes the build skip the records of JSON Lines corpora that cannot be read (broken
    /// JSON, no `text`, invalid UTF-8) instead of failing: `report` is called with each
    /// one's error, which names the file and the line, and the build goes on with the next
    /// line. Without it, the first bad record fails [`IndexBuilder::add_file`].
    ///
    /// A read error of the file itself (a truncated gzip stream, say) still ends that
    /// file: it is reported the same way, and the records before it stay indexed.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// let dir = tempfile::tempdir().unwrap();
    /// let corpus = dir.path().join("c.jsonl");
    /// std::fs::write(&corpus, "{\"text\": \"人口贩运\"}\n{\"text\": \n{\"text\": \"表达自由\"}\n").unwrap();
    /// let skipped = Arc::new(Mutex::new(Vec::new()));
    /// let mut builder = zhen::IndexBuilder::create(dir.path().join("idx")).unwrap();
    /// let log = skipped.clone();
    /// builder.skip_bad_records(move |e| log.lock().unwrap().push(e.to_string()));
    /// builder.add_file(&corpus).unwrap();
    /// assert_eq!(builder.commit().unwrap().paragraphs, 2);
    /// let skipped = skipped.lock().unwrap();
    /// assert!(skipped[0].contains("c.jsonl") && skipped[0].contains("line 2"), "{skipped:?}");
    /// ```
    pub fn skip_bad_records(&mut self, report: impl FnMut(&Error) + Send + 'static) {
        self.skip_records = Some(Box::new(report));
    }

    /// Called with the error of a record that cannot be read: reports it and goes on when
    /// skipping, else fails the file.
    pub(super) fn skip_or_fail(&mut self, err: Error) -> Result<()> {
        match self.skip_records.as_mut() {
            Some(report) => {
                report(&err);
                Ok(())
            }
            None => Err(err),
        }
    }
}

/// Refuses a source that yielded nothing to index: an empty file, or one of only white
/// space, or a corpus without a single readable record, is almost always a mistake (a
/// failed export, a wrong file), and indexing it silently would hide that.
pub(super) fn ensure_some_text(path: &Path, paragraphs: u64, text: Option<&str>) -> Result<()> {
    if paragraphs > 0 {
        return Ok(());
    }
    let reason = match text {
        Some("") => "the file is empty: nothing to index".to_owned(),
        Some(_) => "the file holds only white space (or invisible characters such as U+200B \
                    ZERO WIDTH SPACE): nothing to index"
            .to_owned(),
        None => "no record with text in this corpus: nothing to index".to_owned(),
    };
    Err(Error::Source {
        path: path.to_path_buf(),
        reason,
    })
}

impl IndexBuilder {
    /// Paragraphs added so far.
    pub fn paragraphs(&self) -> u64 {
        self.meta.paragraphs
    }
}
