//! Incremental updates of the live index: add, replace and remove documents by id.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::indexer::IndexWriter;
use tantivy::query::TermQuery;
use tantivy::schema::IndexRecordOption;
use tantivy::{Searcher, Term};

use super::{feed, integrity, lock, skip, source_files, Fields, Index, IndexMeta, SourceInfo};
use crate::analysis;
use crate::document::{self, Paragraph};
use crate::error::{Error, Result};

const UPDATE_HEAP_BYTES: usize = 128 * 1024 * 1024;

/// Adds, replaces and removes documents of an existing index without rebuilding it.
///
/// Documents are identified by id: adding a document whose id is in the index replaces all
/// of its paragraphs; adding one whose content is unchanged (same content hash) does
/// nothing. Nothing is visible until [`IndexUpdater::commit`], which makes the whole
/// update visible at once (tantivy's commit is atomic): a search sees the index either
/// before or after it, never half of it. Dropping the updater without committing, or a
/// crash, leaves the index as it was.
///
/// ```
/// # fn main() -> zhen::Result<()> {
/// let dir = tempfile::tempdir().unwrap();
/// let mut builder = zhen::IndexBuilder::create(dir.path())?;
/// builder.add_text("a", "1. 打击人口贩运。")?;
/// builder.add_text("b", "1. 促进表达自由。")?;
/// builder.commit()?;
///
/// let mut update = zhen::IndexUpdater::open(dir.path())?;
/// update.add_text("a", "1. 打击人口贩运。")?; // unchanged: nothing to do
/// update.add_text("b", "1. 促进宗教自由。")?; // replaced
/// update.add_text("c", "1. Human trafficking.")?; // added
/// let report = update.commit()?;
/// assert_eq!((report.unchanged, report.replaced, report.added), (1, 1, 1));
///
/// let searcher = zhen::Index::open(dir.path())?.searcher();
/// assert_eq!(searcher.search("表达自由", 10)?.total_hits, 0);
/// assert_eq!(searcher.search("宗教自由", 10)?.total_hits, 1);
/// # Ok(())
/// # }
/// ```
pub struct IndexUpdater {
    index: Index,
    writer: IndexWriter,
    searcher: Searcher,
    meta: IndexMeta,
    /// `meta` as the update found it, serialised: an update that changes neither the
    /// documents nor it commits nothing.
    opened_meta: String,
    /// The documents this update has touched so far.
    touched: HashMap<String, Touch>,
    claims: feed::Claims,
    report: UpdateReport,
    skip_records: Option<skip::SkipFn>,
    /// Segments of at most this many paragraphs that hold deleted ones are rewritten at
    /// the commit (see [`IndexUpdater::purge_small_segments`]).
    purge_up_to: u32,
    /// Held until the update is committed or dropped: a build or another update of the
    /// same index meanwhile would lose one of the two.
    _lock: lock::WriterLock,
}

/// What an update did to one document id so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Touch {
    /// Given with its stored content: nothing written.
    Unchanged,
    /// Written (added, or replacing the old paragraphs, which are deleted): how many
    /// paragraphs.
    Written(u64),
    /// Removed.
    Removed,
}

/// What an update did.
#[derive(Debug, Clone, Default, Serialize)]
#[non_exhaustive]
pub struct UpdateReport {
    /// The index directory.
    pub dir: PathBuf,
    /// Documents that were not in the index.
    pub added: usize,
    /// Documents that were, with other content, and were replaced.
    pub replaced: usize,
    /// Documents given again with the same content (nothing was written).
    pub unchanged: usize,
    /// Documents removed.
    pub removed: usize,
    /// Ids given for removal that the index does not hold.
    pub not_found: Vec<String>,
    /// Paragraphs in the index after the update.
    pub paragraphs: u64,
    /// Documents in the index after the update.
    pub documents: u64,
}

impl std::fmt::Debug for IndexUpdater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexUpdater")
            .field("dir", &self.index.dir)
            .field("report", &self.report)
            .finish_non_exhaustive()
    }
}

impl IndexUpdater {
    /// Opens the index at `dir` for an update (see [`Index::open`] for the errors).
    pub fn open(dir: impl AsRef<Path>) -> Result<IndexUpdater> {
        let dir = super::index_dir(dir.as_ref());
        // Locked before opening, so that no build swaps in another generation between
        // the two (this update would then go to one that is no longer live).
        if dir.exists() && !dir.is_dir() {
            return Err(Error::NotADirectory { path: dir });
        }
        if !Index::exists(&dir) {
            return Err(Error::IndexNotFound { path: dir });
        }
        let lock = lock::WriterLock::acquire(&dir)?;
        let index = Index::open(&dir)?;
        analysis::register_bulk_with_dict(index.tantivy.tokenizers(), &index.dict);
        let write_err = |e: tantivy::TantivyError| Error::Write {
            path: index.dir.clone(),
            source: Box::new(e),
        };
        let writer = index
            .tantivy
            .writer_with_num_threads(1, UPDATE_HEAP_BYTES)
            .map_err(write_err)?;
        let searcher = index.reader.searcher();
        let meta = index.meta.clone();
        let opened_meta = serde_json::to_string(&meta).unwrap_or_default();
        let report = UpdateReport {
            dir: index.dir.clone(),
            ..UpdateReport::default()
        };
        Ok(IndexUpdater {
            index,
            writer,
            searcher,
            meta,
            opened_meta,
            touched: HashMap::new(),
            claims: feed::Claims::default(),
            report,
            skip_records: None,
            purge_up_to: super::MERGED_SEGMENT_MAX_DOCS,
            _lock: lock,
        })
    }

    /// Adds or replaces the documents of a file or, for a directory, of every indexable
    /// file below it (as [`IndexBuilder::add_path`](super::IndexBuilder::add_path) reads
    /// them). Returns how many files were read.
    pub fn add_path(&mut self, path: impl AsRef<Path>) -> Result<usize> {
        let files = source_files(path.as_ref(), &self.index.dir)?;
        for file in &files {
            feed::file(self, file)?;
        }
        Ok(files.len())
    }

    /// Skips the records of JSON Lines corpora that cannot be read, reporting each to
    /// `report`, as [`IndexBuilder::skip_bad_records`](super::IndexBuilder::skip_bad_records)
    /// does for a build.
    pub fn skip_bad_records(&mut self, report: impl FnMut(&Error) + Send + 'static) {
        self.skip_records = Some(Box::new(report));
    }

    /// Adds or replaces a document given as text.
    /// An empty `doc_id` fails with [`Error::EmptyDocumentId`], a document without text
    /// with [`Error::EmptyDocument`].
    pub fn add_text(&mut self, doc_id: &str, text: &str) -> Result<()> {
        self.add_paragraphs(doc_id, &document::parse(doc_id, text))
    }

    /// Adds or replaces a document given as paragraphs.
    /// An empty `doc_id` fails with [`Error::EmptyDocumentId`], a document without text
    /// with [`Error::EmptyDocument`], a paragraph whose `doc` is not `doc_id` with
    /// [`Error::ForeignParagraph`], and two paragraphs of one ordinal with
    /// [`Error::DuplicateOrdinal`].
    pub fn add_paragraphs(&mut self, doc_id: &str, paragraphs: &[Paragraph]) -> Result<()> {
        feed::paragraphs(self, doc_id, paragraphs)
    }

    /// Removes a document and all its paragraphs. Returns whether the index held it. An
    /// empty `doc_id` fails with [`Error::EmptyDocumentId`], as it does when adding.
    pub fn remove(&mut self, doc_id: &str) -> Result<bool> {
        if doc_id.trim().is_empty() {
            return Err(Error::EmptyDocumentId);
        }
        let gone = match self.touched.get(doc_id).copied() {
            // Given twice: removed already, which is not "not found".
            Some(Touch::Removed) => return Ok(true),
            // Its old paragraphs are deleted already; the delete also takes the new ones.
            Some(Touch::Written(n)) => n,
            Some(Touch::Unchanged) | None => self.live_paragraphs(doc_id)?,
        };
        let held = match self.touched.get(doc_id) {
            Some(Touch::Removed) => false,
            Some(_) => true,
            None => gone > 0,
        };
        if !held {
            if !self.report.not_found.iter().any(|id| id == doc_id) {
                self.report.not_found.push(doc_id.to_owned());
            }
            return Ok(false);
        }
        self.writer.delete_term(self.doc_term(doc_id));
        self.meta.paragraphs -= gone;
        self.meta.documents -= 1;
        self.report.removed += 1;
        self.touched.insert(doc_id.to_owned(), Touch::Removed);
        // A text document's source goes with it (a corpus's other documents stay).
        self.meta.sources.retain(|s| {
            s.kind != "text" || (s.source != doc_id && feed::doc_id(Path::new(&s.source)) != doc_id)
        });
        Ok(true)
    }

    /// Makes the update visible, atomically, and returns what it did.
    pub fn commit(mut self) -> Result<UpdateReport> {
        let dir = self.index.dir.clone();
        let wrap = |e: Box<dyn std::error::Error + Send + Sync>| Error::Write {
            path: dir.clone(),
            source: e,
        };
        let payload = serde_json::to_string(&self.meta).map_err(|e| wrap(Box::new(e)))?;
        self.report.paragraphs = self.meta.paragraphs;
        self.report.documents = self.meta.documents;
        let wrote = self.report.added + self.report.replaced + self.report.removed > 0;
        if !wrote && payload == self.opened_meta {
            // Every document given was unchanged: the index stays as it is, files, seal
            // and all (the writer, dropped, discards nothing).
            return Ok(self.report);
        }
        let mut prepared = self
            .writer
            .prepare_commit()
            .map_err(|e| wrap(Box::new(e)))?;
        prepared.set_payload(&payload);
        prepared.commit().map_err(|e| wrap(Box::new(e)))?;
        self.purge_small_segments();
        self.writer
            .wait_merging_threads()
            .map_err(|e| wrap(Box::new(e)))?;
        // The generation changed in place: seal it again, so opening it stays cheap. (If
        // this fails or is killed first, the update is still complete; opens verify every
        // file until the next seal.)
        integrity::seal(&self.index.generation).map_err(|e| wrap(Box::new(e)))?;
        Ok(self.report)
    }

    /// Rewrites the segments of at most [`MERGED_SEGMENT_MAX_DOCS`] paragraphs that hold
    /// deleted ones (one merge, which drops them). A deleted paragraph still counts in its
    /// segment's BM25 statistics (document frequencies, average length) until the segment
    /// is rewritten, so scores after an update that removes or replaces documents differed
    /// from a fresh build's, and close hits swapped places. Small segments are rewritten
    /// in a fraction of a second; a large one would cost the update seconds, and keeps its
    /// deleted paragraphs until tantivy merges it (see the README).
    ///
    /// The update is committed already: a merge that fails leaves it whole, with those
    /// statistics, so its error is not the update's.
    ///
    /// [`MERGED_SEGMENT_MAX_DOCS`]: super::MERGED_SEGMENT_MAX_DOCS
    fn purge_small_segments(&mut self) {
        let Ok(metas) = self.index.tantivy.searchable_segment_metas() else {
            return;
        };
        let ids: Vec<_> = metas
            .iter()
            .filter(|m| m.has_deletes() && m.max_doc() <= self.purge_up_to)
            .map(|m| m.id())
            .collect();
        if !ids.is_empty() {
            let _ = self.writer.merge(&ids).wait();
        }
    }

    /// Leaves deleted paragraphs in their segments, as a large segment keeps them: for
    /// tests of what searches do with deletions.
    #[cfg(test)]
    pub(crate) fn keeping_deletions(mut self) -> IndexUpdater {
        self.purge_up_to = 0;
        self
    }

    fn doc_term(&self, doc_id: &str) -> Term {
        Term::from_field_text(self.index.fields.doc, doc_id)
    }

    /// Paragraphs of `doc_id` in the index as it was when the update began.
    fn live_paragraphs(&self, doc_id: &str) -> Result<u64> {
        let query = TermQuery::new(self.doc_term(doc_id), IndexRecordOption::Basic);
        Ok(self.searcher.search(&query, &Count)? as u64)
    }

    /// The content hash stored with `doc_id`, if the index holds it.
    fn stored_hash(&self, doc_id: &str) -> Result<Option<u64>> {
        let query = TermQuery::new(self.doc_term(doc_id), IndexRecordOption::Basic);
        let top = self
            .searcher
            .search(&query, &TopDocs::with_limit(1).order_by_score())?;
        let Some((_, address)) = top.first() else {
            return Ok(None);
        };
        let what = format_args!("document {doc_id}");
        let record = super::read_stored(&self.searcher, *address, &self.index.dir, what)?;
        Ok(Some(record.doc_hash))
    }

    fn write(&mut self, fields: Fields, paragraphs: &[Paragraph], hash: u64) -> Result<()> {
        // Over-long paragraphs go in as parts, as in a build.
        for part in paragraphs.iter().flat_map(document::parts) {
            if let Err(e) = self.writer.add_document(fields.document(&part, hash)) {
                return Err(Error::Write {
                    path: self.index.dir.clone(),
                    source: Box::new(super::indexing_failure(&mut self.writer, e)),
                });
            }
            self.meta.paragraphs += 1;
        }
        Ok(())
    }
}

impl feed::Sink for IndexUpdater {
    fn claims(&mut self) -> &mut feed::Claims {
        &mut self.claims
    }

    fn document(
        &mut self,
        id: &str,
        paragraphs: Vec<Paragraph>,
        _from_records: bool,
    ) -> Result<()> {
        let fields = self.index.fields;
        let hash = feed::content_hash(&paragraphs);
        // Counted as indexed (over-long paragraphs as their parts), to compare with the
        // live index.
        let n = paragraphs.iter().map(document::part_count).sum::<usize>() as u64;
        match self.touched.get(id).copied() {
            Some(Touch::Written(written)) => {
                // More records of a document this update is writing (records of one
                // document are best kept together: only then is an unchanged document
                // recognised as a whole).
                self.touched
                    .insert(id.to_owned(), Touch::Written(written + n));
                return self.write(fields, &paragraphs, hash);
            }
            Some(Touch::Unchanged) => {
                // The first records matched what is stored, these continue the document
                // (its records are not adjacent in the file): it has changed after all.
                self.report.unchanged -= 1;
                self.report.replaced += 1;
                self.touched.insert(id.to_owned(), Touch::Written(n));
                return self.write(fields, &paragraphs, hash);
            }
            Some(Touch::Removed) => {
                self.meta.documents += 1;
                self.report.added += 1;
            }
            None => {
                let live = self.live_paragraphs(id)?;
                if live == n && self.stored_hash(id)? == Some(hash) {
                    self.report.unchanged += 1;
                    self.touched.insert(id.to_owned(), Touch::Unchanged);
                    return Ok(());
                }
                if live > 0 {
                    self.writer.delete_term(self.doc_term(id));
                    self.meta.paragraphs -= live;
                    self.report.replaced += 1;
                } else {
                    self.meta.documents += 1;
                    self.report.added += 1;
                }
            }
        }
        self.touched.insert(id.to_owned(), Touch::Written(n));
        self.write(fields, &paragraphs, hash)
    }

    fn source_done(&mut self, info: SourceInfo) {
        // A source read again (`--add` of a file the index was built from) replaces its
        // entry: appended, every update grew the list, which every open reads.
        match self
            .meta
            .sources
            .iter_mut()
            .find(|s| s.source == info.source)
        {
            Some(entry) => *entry = info,
            None => self.meta.sources.push(info),
        }
    }

    fn progress(&mut self, _source: &Path, _bytes: u64, _size: u64) {}

    fn bad_record(&mut self, err: Error) -> Result<()> {
        match self.skip_records.as_mut() {
            Some(report) => {
                report(&err);
                Ok(())
            }
            None => Err(err),
        }
    }
}
