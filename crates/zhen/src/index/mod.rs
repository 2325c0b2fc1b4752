//! The index: schema, atomic building, opening, format version.
//!
//! # On-disk layout
//!
//! ```text
//! DIR/CURRENT          the name of the live generation (one line)
//! DIR/gen-<id>/        a complete tantivy index plus zhen.json (format, sources)
//! DIR/.tmp-<id>/       a generation being built (never read)
//! ```
//!
//! A build writes a whole new generation into `.tmp-<id>`, commits it, renames it to
//! `gen-<id>` and only then replaces `CURRENT` by an atomic rename. A build that fails or
//! is killed at any point leaves `CURRENT` naming the previous, complete generation: the
//! old index keeps answering exactly as before.

mod directory;
mod feed;
mod integrity;
mod lock;
mod record;
mod schema;
mod skip;
mod update;

use std::collections::HashSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tantivy::indexer::{IndexWriter, LogMergePolicy};
use tantivy::store::{Compressor, ZstdCompressor};
use tantivy::{IndexReader, IndexSettings, ReloadPolicy};

use crate::analysis::{self, UserDict};
use crate::document::{self, Paragraph};
use crate::error::{Error, Result};
use crate::source::{self, SourceEncoding};

pub use lock::{lock_holder, wait_for_builder};
pub(crate) use record::{decode_stored, read_stored, Record};
#[cfg(test)]
pub(crate) use schema::tie_order;
pub(crate) use schema::{Fields, StoredRecord, ORDER_FIELD};
pub use update::{IndexUpdater, UpdateReport};

/// The on-disk format this build of zhen reads and writes. Bump it whenever the schema or
/// the analyzer changes what is indexed: an index of another format must be rebuilt.
// 8: folding follows zhconv chains to their end and joins half-width sound marks; generations
// carry a SEAL. 10: a paragraph's stored values are one record (`index::record`). 11: the
// record says whether its text is plain (`analysis::is_plain`). 12: a fast field orders
// equal scores (`schema::tie_order`). 13: folding turns `’` into `'` (`Australia’s` is
// stemmed as `Australia's`). 14: and `‘` and `ʼ`. 15: a number's parts stand at its
// position (`2022-2024` holds `2022` and `2024`). 16: Latin letters lose their accents
// (`Côte` is `cote`, `Straße` `strasse`); dashes (`–`, `—`, `‑`, `−`) fold to `-`, so
// `2025–2027` is a range; the word after a one-letter elision stands at its position
// (`d’Ivoire` holds `ivoir`); a plural acronym is its acronym (`SDGs` holds `sdg`). Also:
// a record's `lang` field and Chinese punctuation decide more paragraphs' language, an
// English text document has titles and headings, and numeric `doc_key`s and `para`s are
// read (the content hash of `--add` sees none of these, so only a rebuild applies them).
pub const INDEX_FORMAT: u32 = 16;

const CURRENT: &str = "CURRENT";
const META: &str = "zhen.json";
/// The user dictionary of a generation, with every frequency resolved.
const USER_DICT: &str = "user.dict";
const GEN_PREFIX: &str = "gen-";
const TMP_PREFIX: &str = ".tmp-";
const WRITER_HEAP_BYTES: usize = 400 * 1024 * 1024;

/// Why `writer` refused a document (`refused`). tantivy tells `add_document` only that an
/// indexing thread stopped ("the index writer was killed"); the thread's own error — a
/// full disk, a file over the size limit — comes back when the threads are joined, as a
/// commit does before anything is written. So a commit is prepared and, if it can be,
/// aborted: the caller fails the build or update anyway.
pub(crate) fn indexing_failure(
    writer: &mut IndexWriter,
    refused: tantivy::TantivyError,
) -> tantivy::TantivyError {
    match writer.prepare_commit() {
        Err(cause) => cause,
        Ok(prepared) => {
            let _ = prepared.abort();
            refused
        }
    }
}

/// A build's segments of at most this many paragraphs are merged into one when it commits.
///
/// Each indexing thread writes its own segment, and every search pays a per-segment cost
/// (term lookups, scorers, collectors): on the shipped document, one segment instead of two
/// takes the warm p50 from 35.5 to 27.9 µs, for a merge of a few milliseconds. The merge
/// costs about 30 ms per megabyte of index, so larger segments stay apart: on prc-laws
/// (two of 76,000) a merge would add 3 s to a 9 s build for 7% off the p50.
const MERGED_SEGMENT_MAX_DOCS: u32 = 10_000;

/// The build's merge policy: any two or more segments of at most
/// [`MERGED_SEGMENT_MAX_DOCS`] paragraphs become one.
fn build_merge_policy() -> LogMergePolicy {
    let mut policy = LogMergePolicy::default();
    policy.set_min_num_segments(2);
    policy.set_max_docs_before_merge(MERGED_SEGMENT_MAX_DOCS as usize);
    // Below this size every segment counts as the same level, so they all merge together.
    policy.set_min_layer_size(MERGED_SEGMENT_MAX_DOCS);
    policy
}

/// What zhen records about an index besides the tantivy files.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IndexMeta {
    /// The on-disk format ([`INDEX_FORMAT`] when written by this build).
    pub format: u32,
    /// The version of zhen that wrote the index.
    pub zhen_version: String,
    /// The name of the analyzer the text fields use.
    pub analyzer: String,
    /// The sources the index was built from.
    pub sources: Vec<SourceInfo>,
    /// The number of distinct document ids.
    pub documents: u64,
    /// The number of paragraphs (tantivy documents) in the index.
    pub paragraphs: u64,
    /// When the index was built, in seconds since the Unix epoch.
    pub built_at: u64,
    /// How many words the user dictionary stored with the index has (0 for none).
    #[serde(default)]
    pub user_dict_words: u64,
}

/// One source of an index: a text document, a JSON Lines corpus, or text given by a
/// program.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SourceInfo {
    /// Where it was read from (a document id for text added programmatically).
    pub source: String,
    /// `text` (one document) or `records` (JSON Lines, one paragraph per record).
    pub kind: String,
    /// The encoding a text document was decoded from.
    pub encoding: Option<SourceEncoding>,
    /// How many paragraphs it gave.
    pub paragraphs: u64,
}

/// Progress of a build, reported to [`IndexBuilder::on_progress`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Progress {
    /// The source being read.
    pub source: PathBuf,
    /// Bytes of it read so far (compressed bytes for gzip).
    pub bytes: u64,
    /// Its size on disk.
    pub size: u64,
    /// Paragraphs added to the index so far, over all sources.
    pub paragraphs: u64,
}

/// A callback of [`IndexBuilder::on_progress`].
type ProgressFn = Box<dyn FnMut(&Progress) + Send>;

/// What a finished build did.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct BuildReport {
    /// The index directory.
    pub dir: PathBuf,
    /// Documents indexed.
    pub documents: usize,
    /// Paragraphs indexed.
    pub paragraphs: u64,
    /// Wall time of the build.
    pub elapsed: Duration,
}

/// Builds a new index generation and swaps it in atomically on [`IndexBuilder::commit`].
///
/// Dropping the builder without committing discards the new generation; the previous
/// index (if any) is never touched.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let mut builder = zhen::IndexBuilder::create(dir.path()).unwrap();
/// builder.add_text("memo", "1. 美国承诺打击人口贩运。").unwrap();
/// let report = builder.commit().unwrap();
/// assert_eq!(report.paragraphs, 1);
/// let index = zhen::Index::open(dir.path()).unwrap();
/// assert_eq!(index.meta().documents, 1);
/// ```
pub struct IndexBuilder {
    dir: PathBuf,
    tmp: PathBuf,
    gen_name: String,
    writer: Option<IndexWriter>,
    fields: Fields,
    meta: IndexMeta,
    doc_ids: HashSet<String>,
    claims: feed::Claims,
    progress: Option<ProgressFn>,
    skip_records: Option<skip::SkipFn>,
    started: Instant,
    _lock: lock::WriterLock,
}

impl std::fmt::Debug for IndexBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexBuilder")
            .field("dir", &self.dir)
            .field("documents", &self.meta.documents)
            .finish_non_exhaustive()
    }
}

impl IndexBuilder {
    /// Starts building a new generation of the index at `dir`.
    ///
    /// `dir` may be missing (it is created), empty, or an existing zhen index (which keeps
    /// answering until the commit). Any other existing directory is refused with
    /// [`Error::NotAnIndex`] rather than overwritten, and a file with
    /// [`Error::NotADirectory`]. While the builder lives it holds the
    /// directory's lock: a second builder fails with [`Error::Locked`], naming this process.
    pub fn create(dir: impl AsRef<Path>) -> Result<IndexBuilder> {
        IndexBuilder::create_with_dict(dir, UserDict::default())
    }

    /// As [`IndexBuilder::create`], segmenting Chinese with jieba's default dictionary
    /// extended by `dict`. The dictionary is stored with the index, so that searches (and
    /// later updates) segment exactly as the build did.
    ///
    /// ```
    /// # fn main() -> zhen::Result<()> {
    /// let dir = tempfile::tempdir().unwrap();
    /// let dict = zhen::analysis::UserDict::parse("南共市指南 1000", "domain.dict")?;
    /// let mut builder = zhen::IndexBuilder::create_with_dict(dir.path(), dict)?;
    /// builder.add_text("memo", "1. 《南共市指南》旨在整合救助行动。")?;
    /// builder.commit()?;
    /// let searcher = zhen::Index::open(dir.path())?.searcher();
    /// let explanation = searcher.explain("南共市指南")?;
    /// assert_eq!(explanation.clauses[0].words, ["南共市指南"]);
    /// assert_eq!(searcher.search("南共市指南", 5)?.total_hits, 1);
    /// # Ok(())
    /// # }
    /// ```
    pub fn create_with_dict(dir: impl AsRef<Path>, dict: UserDict) -> Result<IndexBuilder> {
        let dir = index_dir(dir.as_ref());
        let write_err = |e: std::io::Error| Error::Write {
            path: dir.clone(),
            source: Box::new(e),
        };
        if dir.exists() && !dir.is_dir() {
            return Err(Error::NotADirectory { path: dir });
        }
        if dir.exists() {
            let is_index = dir.join(CURRENT).is_file();
            let empty = fs::read_dir(&dir).map_err(write_err)?.next().is_none();
            if !is_index && !empty && !only_zhen_leftovers(&dir) {
                return Err(Error::NotAnIndex { path: dir });
            }
        } else {
            fs::create_dir_all(&dir).map_err(write_err)?;
        }
        let lock = lock::WriterLock::acquire(&dir)?;
        lock::remove_leftovers(&dir, CURRENT, TMP_PREFIX, GEN_PREFIX);
        let stamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let gen_id = format!(
            "{}{:09}-{}",
            stamp.as_secs(),
            stamp.subsec_nanos(),
            std::process::id()
        );
        let tmp = dir.join(format!("{TMP_PREFIX}{gen_id}"));
        fs::create_dir(&tmp).map_err(write_err)?;
        if !dict.is_empty() {
            write_synced(&tmp.join(USER_DICT), dict.to_text().as_bytes()).map_err(write_err)?;
        }

        let engine_err = |e: tantivy::TantivyError| Error::Write {
            path: dir.clone(),
            source: Box::new(e),
        };
        let (schema, fields) = Fields::schema();
        // zstd: Chinese text, three bytes a character in UTF-8, shrinks about twice as
        // much as with lz4. 32 KB blocks instead of 16 KB: 10% smaller on prc-laws (28.2 →
        // 25.4 MB), and a block still decompresses in tens of microseconds. Higher levels
        // gain less (level 9: −4%) for much slower builds.
        let settings = IndexSettings {
            docstore_compression: Compressor::Zstd(ZstdCompressor {
                compression_level: Some(3),
            }),
            docstore_blocksize: 32 * 1024,
            // Every segment in tie order (`schema::tie_order`): a segment's best hits are
            // then found as tantivy finds them, and rank the same however the documents
            // were spread over indexing threads (`search::top`). Measured on prc-laws:
            // builds 2-7% slower, peak memory up by 60-80 MB (the segments' sort).
            sort_by_field: Some(tantivy::IndexSortByField {
                field: schema::ORDER_FIELD.to_owned(),
                order: tantivy::Order::Asc,
            }),
            ..IndexSettings::default()
        };
        let index = tantivy::Index::builder()
            .schema(schema)
            .settings(settings)
            .create_in_dir(&tmp)
            .map_err(engine_err)?;
        analysis::register_bulk_with_dict(index.tokenizers(), &dict);
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        let writer = index
            .writer_with_num_threads(threads, WRITER_HEAP_BYTES * threads)
            .map_err(engine_err)?;
        writer.set_merge_policy(Box::new(build_merge_policy()));
        Ok(IndexBuilder {
            dir,
            tmp,
            gen_name: format!("{GEN_PREFIX}{gen_id}"),
            writer: Some(writer),
            fields,
            meta: IndexMeta {
                format: INDEX_FORMAT,
                zhen_version: env!("CARGO_PKG_VERSION").to_owned(),
                analyzer: analysis::ANALYZER_NAME.to_owned(),
                sources: Vec::new(),
                documents: 0,
                paragraphs: 0,
                built_at: stamp.as_secs(),
                user_dict_words: dict.len() as u64,
            },
            doc_ids: HashSet::new(),
            claims: feed::Claims::default(),
            progress: None,
            skip_records: None,
            started: Instant::now(),
            _lock: lock,
        })
    }

    /// Calls `report` as [`IndexBuilder::add_path`] and [`IndexBuilder::add_file`] read
    /// files: about every thousand records of a corpus, and after each text document. A
    /// program's own [`IndexBuilder::add_text`] and [`IndexBuilder::add_paragraphs`] are not
    /// reported: it knows how far it is.
    pub fn on_progress(&mut self, report: impl FnMut(&Progress) + Send + 'static) {
        self.progress = Some(Box::new(report));
    }

    /// Adds a file or, for a directory, every indexable file below it (see
    /// [`source_files`]). Returns how many files were added.
    pub fn add_path(&mut self, path: impl AsRef<Path>) -> Result<usize> {
        let files = source_files(path.as_ref(), &self.dir)?;
        for file in &files {
            self.add_file(file)?;
        }
        Ok(files.len())
    }

    /// Adds one file: a JSON Lines corpus (`.jsonl`, `.ndjson`, optionally `.gz`), one
    /// paragraph per record, its documents named by each record's `doc_id`, `doc_key` or
    /// `id`; or a text document, split into paragraphs by [`document::parse`] under the id
    /// of its file name without its last extension (`us-hrc-pledges-2021.zh.txt` →
    /// `us-hrc-pledges-2021.zh`).
    pub fn add_file(&mut self, path: impl AsRef<Path>) -> Result<()> {
        feed::file(self, path.as_ref())
    }

    /// Adds a document given as text.
    /// An empty `doc_id` fails with [`Error::EmptyDocumentId`], a document without text
    /// with [`Error::EmptyDocument`].
    pub fn add_text(&mut self, doc_id: &str, text: &str) -> Result<()> {
        self.add_paragraphs(doc_id, &document::parse(doc_id, text))
    }

    /// Adds already parsed paragraphs as one document (for callers with their own
    /// document model).
    /// An empty `doc_id` fails with [`Error::EmptyDocumentId`], a document without text
    /// with [`Error::EmptyDocument`], a paragraph whose `doc` is not `doc_id` with
    /// [`Error::ForeignParagraph`], and two paragraphs of one ordinal with
    /// [`Error::DuplicateOrdinal`].
    pub fn add_paragraphs(&mut self, doc_id: &str, paragraphs: &[Paragraph]) -> Result<()> {
        feed::paragraphs(self, doc_id, paragraphs)
    }

    fn report(&mut self, source: &Path, bytes: u64, size: u64) {
        let paragraphs = self.meta.paragraphs;
        if let Some(report) = self.progress.as_mut() {
            report(&Progress {
                source: source.to_path_buf(),
                bytes,
                size,
                paragraphs,
            });
        }
    }

    /// Commits the new generation and makes it the live index, atomically.
    ///
    /// A builder given nothing commits an empty index, replacing the one at its directory:
    /// check [`IndexBuilder::paragraphs`] first to refuse that, as `zhen index` does.
    pub fn commit(mut self) -> Result<BuildReport> {
        let dir = self.dir.clone();
        let wrap = |e: Box<dyn std::error::Error + Send + Sync>| Error::Write {
            path: dir.clone(),
            source: e,
        };
        let mut writer = self.writer.take().expect("commit is called once");
        writer.commit().map_err(|e| wrap(Box::new(e)))?;
        writer
            .wait_merging_threads()
            .map_err(|e| wrap(Box::new(e)))?;

        let meta_json = serde_json::to_vec_pretty(&self.meta).map_err(|e| wrap(Box::new(e)))?;
        write_synced(&self.tmp.join(META), &meta_json).map_err(|e| wrap(Box::new(e)))?;
        integrity::seal(&self.tmp).map_err(|e| wrap(Box::new(e)))?;
        let generation = self.dir.join(&self.gen_name);
        fs::rename(&self.tmp, &generation).map_err(|e| wrap(Box::new(e)))?;
        sync_dir(&self.dir);
        let pointer_tmp = self.dir.join(format!("{CURRENT}.{}", std::process::id()));
        write_synced(&pointer_tmp, format!("{}\n", self.gen_name).as_bytes())
            .map_err(|e| wrap(Box::new(e)))?;
        fs::rename(&pointer_tmp, self.dir.join(CURRENT)).map_err(|e| wrap(Box::new(e)))?;
        sync_dir(&self.dir);
        remove_old_generations(&self.dir, &self.gen_name);

        Ok(BuildReport {
            dir: self.dir.clone(),
            documents: self.meta.documents as usize,
            paragraphs: self.meta.paragraphs,
            elapsed: self.started.elapsed(),
        })
    }
}

impl feed::Sink for IndexBuilder {
    fn claims(&mut self) -> &mut feed::Claims {
        &mut self.claims
    }

    fn document(&mut self, id: &str, paragraphs: Vec<Paragraph>, from_records: bool) -> Result<()> {
        // `feed` hands over a document id again only for more records of the same file.
        let new = self.doc_ids.insert(id.to_owned());
        debug_assert!(new || from_records, "document `{id}` handed over twice");
        let hash = feed::content_hash(&paragraphs);
        let writer = self.writer.as_mut().expect("writer lives until commit");
        // An over-long paragraph (a file without blank lines) goes in as parts, so memory
        // stays bounded per part.
        for part in paragraphs.iter().flat_map(document::parts) {
            if let Err(e) = writer.add_document(self.fields.document(&part, hash)) {
                return Err(Error::Write {
                    path: self.dir.clone(),
                    source: Box::new(indexing_failure(writer, e)),
                });
            }
            self.meta.paragraphs += 1;
        }
        if new {
            self.meta.documents += 1;
        }
        Ok(())
    }

    fn source_done(&mut self, info: SourceInfo) {
        self.meta.sources.push(info);
    }

    fn progress(&mut self, source: &Path, bytes: u64, size: u64) {
        self.report(source, bytes, size);
    }

    fn bad_record(&mut self, err: Error) -> Result<()> {
        self.skip_or_fail(err)
    }
}

impl Drop for IndexBuilder {
    fn drop(&mut self) {
        // Not committed, or the commit failed (a full disk, say): discard the half-built
        // generation now, to give the space back. After a successful commit it was renamed
        // and there is nothing here to remove.
        drop(self.writer.take());
        let _ = fs::remove_dir_all(&self.tmp);
    }
}

/// An open index: the handle a program keeps to search.
pub struct Index {
    pub(crate) dir: PathBuf,
    /// The generation directory this handle reads.
    pub(crate) generation: PathBuf,
    /// The user dictionary stored with the generation (empty for none).
    pub(crate) dict: std::sync::Arc<UserDict>,
    pub(crate) tantivy: tantivy::Index,
    pub(crate) reader: IndexReader,
    pub(crate) fields: Fields,
    meta: IndexMeta,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("dir", &self.dir)
            .field("paragraphs", &self.meta.paragraphs)
            .finish_non_exhaustive()
    }
}

impl Index {
    /// Opens the index at `dir` (the directory given to [`IndexBuilder::create`]).
    ///
    /// Fails with [`Error::IndexNotFound`] when there is none ([`Error::NotADirectory`]
    /// when `dir` is a file), [`Error::IndexVersion`] when it was built with another
    /// format, and [`Error::IndexCorrupt`] when its files are damaged: files changed since the build (by size, times or, for the small ones,
    /// contents) are checksummed in full before the index is used.
    pub fn open(dir: impl AsRef<Path>) -> Result<Index> {
        let dir = &index_dir(dir.as_ref());
        let mut attempts = 0;
        loop {
            let pointer = fs::read_to_string(dir.join(CURRENT)).ok();
            match Index::open_generation(dir) {
                // A build swapped in a new generation and removed the one just named
                // between the reads: open the new one.
                Err(Error::IndexCorrupt { .. })
                    if attempts < 3 && fs::read_to_string(dir.join(CURRENT)).ok() != pointer =>
                {
                    attempts += 1;
                }
                result => return result,
            }
        }
    }

    fn open_generation(dir: &Path) -> Result<Index> {
        let dir = dir.to_path_buf();
        let corrupt = |reason: String| Error::IndexCorrupt {
            path: dir.clone(),
            reason,
        };
        let pointer = match fs::read_to_string(dir.join(CURRENT)) {
            Ok(pointer) => pointer,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::IndexNotFound { path: dir });
            }
            Err(_) if dir.exists() && !dir.is_dir() => {
                return Err(Error::NotADirectory { path: dir });
            }
            Err(source) => {
                return Err(Error::Read {
                    path: dir.join(CURRENT),
                    source,
                })
            }
        };
        let gen_name = pointer.trim();
        if !gen_name.starts_with(GEN_PREFIX) || gen_name.contains(['/', '\\']) {
            return Err(corrupt(format!(
                "{CURRENT} names `{gen_name}`, not a generation"
            )));
        }
        let generation = dir.join(gen_name);
        let meta_bytes = fs::read(generation.join(META))
            .map_err(|e| corrupt(format!("cannot read {gen_name}/{META}: {e}")))?;
        let probe: serde_json::Value = serde_json::from_slice(&meta_bytes)
            .map_err(|e| corrupt(format!("{gen_name}/{META} is not valid JSON: {e}")))?;
        let format = probe.get("format").and_then(|f| f.as_u64()).unwrap_or(0) as u32;
        if format != INDEX_FORMAT {
            return Err(Error::IndexVersion {
                rebuild: rebuild_command(&dir, &probe),
                path: dir,
                found: format,
                expected: INDEX_FORMAT,
            });
        }
        let mut meta: IndexMeta = serde_json::from_value(probe)
            .map_err(|e| corrupt(format!("{gen_name}/{META}: {e}")))?;
        let tantivy = directory::GenerationDirectory::open(&generation)
            .and_then(tantivy::Index::open)
            .map_err(|e| {
                unreadable(&generation, &e)
                    .unwrap_or_else(|| corrupt(format!("tantivy cannot open {gen_name}: {e}")))
            })?;
        integrity::check(&generation, &tantivy)
            .map_err(|problem| problem.into_error(&dir, &generation, &format!("{gen_name}/")))?;
        // An update (IndexUpdater) records the new meta in its tantivy commit, atomically
        // with the documents.
        if let Some(payload) = tantivy
            .load_metas()
            .map_err(|e| corrupt(format!("tantivy cannot read the metas of {gen_name}: {e}")))?
            .payload
        {
            meta = serde_json::from_str(&payload)
                .map_err(|e| corrupt(format!("the commit payload of {gen_name}: {e}")))?;
        }
        let dict_path = generation.join(USER_DICT);
        let dict = match fs::read_to_string(&dict_path) {
            Ok(text) => UserDict::parse(&text, &dict_path)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => UserDict::default(),
            Err(e) => return Err(corrupt(format!("cannot read {gen_name}/{USER_DICT}: {e}"))),
        };
        analysis::register_with_dict(tantivy.tokenizers(), &dict);
        let fields = Fields::from_schema(&tantivy.schema())
            .ok_or_else(|| corrupt("the schema lacks zhen's fields".to_owned()))?;
        // Reloads are the searcher's (`Searcher::reload`, also run before a search at most
        // once a second), never a watcher thread's: a background reload could touch files
        // at any moment, and a search knows when it may.
        let reader = tantivy
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|e| {
                unreadable(&generation, &e).unwrap_or_else(|| {
                    corrupt(format!("cannot open the segments of {gen_name}: {e}"))
                })
            })?;
        Ok(Index {
            dir,
            generation,
            dict: std::sync::Arc::new(dict),
            tantivy,
            reader,
            fields,
            meta,
        })
    }

    /// Whether `dir` holds a zhen index (of any format).
    pub fn exists(dir: impl AsRef<Path>) -> bool {
        dir.as_ref().join(CURRENT).is_file()
    }

    /// The index directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// What zhen recorded about the index when building it, as it was when this handle
    /// was opened: [`Index::stats`] has the counts as they are now, after updates and
    /// rebuilds.
    pub fn meta(&self) -> &IndexMeta {
        &self.meta
    }

    /// The index as it is now, if a rebuild has replaced the generation this handle
    /// opened (a handle keeps reading its own generation, which the next build deletes).
    fn rebuilt(&self) -> Result<Option<Index>> {
        let opened = self.generation.file_name().map(|n| n.to_string_lossy());
        match current_generation(&self.dir)? {
            Some(live) if Some(live.as_str()) != opened.as_deref() => {
                Index::open(&self.dir).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// Verifies the checksum of every byte of every segment file, whatever the seal says
    /// (see [`Index::open`]); fails with [`Error::IndexCorrupt`] naming the damaged file.
    /// Costs a read of the whole index: about 22 ms per 128 MB from the page cache. After
    /// a rebuild, it verifies the new index.
    pub fn verify(&self) -> Result<()> {
        if let Some(index) = self.rebuilt()? {
            return index.verify();
        }
        integrity::verify(&self.generation, &self.tantivy)
            .map_err(|problem| problem.into_error(&self.dir, &self.generation, ""))
    }

    /// The underlying tantivy index, for callers who need more than zhen offers.
    pub fn tantivy(&self) -> &tantivy::Index {
        &self.tantivy
    }

    /// Counts of what the index holds now (including updates committed and rebuilds
    /// published since it was opened), its size on disk and its format.
    ///
    /// ```
    /// # fn main() -> zhen::Result<()> {
    /// let dir = tempfile::tempdir().unwrap();
    /// let mut builder = zhen::IndexBuilder::create(dir.path())?;
    /// builder.add_text("zh", "1. 打击人口贩运。\n\n2. 促进表达自由。")?;
    /// builder.add_text("en", "1. Combating human trafficking.")?;
    /// builder.commit()?;
    /// let stats = zhen::Index::open(dir.path())?.stats()?;
    /// assert_eq!((stats.documents, stats.paragraphs), (2, 3));
    /// assert_eq!(stats.languages["zh"], 2);
    /// assert_eq!(stats.languages["en"], 1);
    /// # Ok(())
    /// # }
    /// ```
    pub fn stats(&self) -> Result<IndexStats> {
        if let Some(index) = self.rebuilt()? {
            return index.stats();
        }
        self.reader.reload()?;
        let searcher = self.reader.searcher();
        let meta = match self.tantivy.load_metas()?.payload {
            Some(payload) => serde_json::from_str(&payload).unwrap_or_else(|_| self.meta.clone()),
            None => self.meta.clone(),
        };
        let mut languages = std::collections::BTreeMap::new();
        for lang in [analysis::Lang::Zh, analysis::Lang::En, analysis::Lang::Und] {
            let query = tantivy::query::TermQuery::new(
                tantivy::Term::from_field_text(self.fields.lang, lang.code()),
                tantivy::schema::IndexRecordOption::Basic,
            );
            let n = searcher.search(&query, &tantivy::collector::Count)? as u64;
            if n > 0 {
                languages.insert(lang.code().to_owned(), n);
            }
        }
        let size_bytes = walkdir::WalkDir::new(&self.generation)
            .into_iter()
            .flatten()
            .filter_map(|e| e.metadata().ok())
            .filter(|m| m.is_file())
            .map(|m| m.len())
            .sum();
        Ok(IndexStats {
            // Absolute, so that a report read elsewhere (`zhen stats --json`) still names it.
            dir: fs::canonicalize(&self.dir).unwrap_or_else(|_| self.dir.clone()),
            generation: self
                .generation
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            documents: meta.documents,
            paragraphs: searcher.num_docs(),
            languages,
            segments: searcher.segment_readers().len(),
            size_bytes,
            format: meta.format,
            analyzer: meta.analyzer.clone(),
            zhen_version: meta.zhen_version.clone(),
            built_at: meta.built_at,
            sources: meta.sources.len(),
            user_dict_words: self.dict.len() as u64,
        })
    }
}

/// What [`Index::stats`] reports.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct IndexStats {
    /// The index directory, absolute.
    pub dir: PathBuf,
    /// The live generation (a subdirectory of [`IndexStats::dir`]).
    pub generation: String,
    /// Distinct document ids.
    pub documents: u64,
    /// Paragraphs (tantivy documents).
    pub paragraphs: u64,
    /// Paragraphs per detected language (`zh`, `en`, `und`).
    pub languages: std::collections::BTreeMap<String, u64>,
    /// tantivy segments (each query visits every segment).
    pub segments: usize,
    /// Bytes on disk of the live generation.
    pub size_bytes: u64,
    /// The on-disk format ([`INDEX_FORMAT`]).
    pub format: u32,
    /// The analyzer the text fields were indexed with.
    pub analyzer: String,
    /// The zhen version that built the index.
    pub zhen_version: String,
    /// When the index was built, in seconds since the Unix epoch.
    pub built_at: u64,
    /// How many sources (files or texts) it was built and updated from.
    pub sources: usize,
    /// How many words its user dictionary has (0 for none).
    pub user_dict_words: u64,
}

/// The `zhen index` command that rebuilds the index at `dir` from what its metadata (of
/// any format) records: its source files, if they are all still there and at most five,
/// and a reminder of its user dictionary.
fn rebuild_command(dir: &Path, meta: &serde_json::Value) -> String {
    const MAX_LISTED: usize = 5;
    let mut files: Vec<&str> = meta
        .get("sources")
        .and_then(|s| s.as_array())
        .into_iter()
        .flatten()
        .filter_map(|s| s.get("source")?.as_str())
        .collect();
    files.dedup();
    let listed = !files.is_empty()
        && files.len() <= MAX_LISTED
        && files.iter().all(|f| Path::new(f).is_file());
    let sources = if listed {
        files
            .iter()
            .map(|f| shell_word(f))
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        "SOURCES...".to_owned()
    };
    let dict = match meta.get("user_dict_words").and_then(|n| n.as_u64()) {
        Some(n) if n > 0 => " --dict DICT_FILE",
        _ => "",
    };
    format!(
        "zhen index {sources} --index {}{dict}",
        shell_word(&dir.display().to_string())
    )
}

/// `word` as one shell word: quoted if it holds anything but the usual path characters.
fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_alphanumeric() || "/._-+,:=@%".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// `dir` as an index directory: the empty path is the current directory, as `.` is. (Taken
/// as it is, `Path::new("")` does not exist, so a build skipped the check that refuses a
/// directory holding other files, and wrote into the current one.)
pub(crate) fn index_dir(dir: &Path) -> PathBuf {
    if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir.to_path_buf()
    }
}

/// The files [`IndexBuilder::add_path`] indexes for `path`: the file itself, or for a
/// directory every `.txt`, `.jsonl`, `.ndjson` (optionally `.gz`) file below it, sorted by
/// path, skipping hidden entries and zhen index directories (including `index_dir`).
/// Symlinks to files and directories are followed; one back to a directory being read (a
/// loop) and one to nothing are reported as errors naming the link.
pub fn source_files(path: &Path, index_dir: &Path) -> Result<Vec<PathBuf>> {
    let (files, mut unreadable) = list_sources(path, index_dir)?;
    match unreadable.is_empty() {
        true => Ok(files),
        false => Err(unreadable.swap_remove(0)),
    }
}

/// [`source_files`] for a build that skips what it cannot read: the files found, and an
/// error for each entry below `path` that could not be listed (an unreadable
/// subdirectory, say). Fails only when `path` itself cannot be read or holds no document.
pub fn list_sources(path: &Path, index_dir: &Path) -> Result<(Vec<PathBuf>, Vec<Error>)> {
    let metadata = fs::metadata(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if !metadata.is_dir() {
        return Ok((vec![path.to_path_buf()], Vec::new()));
    }
    let mut unreadable = Vec::new();
    let files = text_files_under(path, index_dir, &mut unreadable);
    if files.is_empty() && unreadable.is_empty() {
        return Err(Error::Source {
            path: path.to_path_buf(),
            reason: "no .txt or .jsonl documents in this directory; pass the files to index"
                .to_owned(),
        });
    }
    Ok((files, unreadable))
}

fn text_files_under(root: &Path, index_dir: &Path, unreadable: &mut Vec<Error>) -> Vec<PathBuf> {
    let index_dir = fs::canonicalize(index_dir).ok();
    let mut files = Vec::new();
    // Symlinks are followed, as they are when given as arguments; walkdir detects a link
    // back to an ancestor (a loop) and reports it instead of descending forever.
    let walker = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| {
            let hidden = entry.depth() > 0 && entry.file_name().to_string_lossy().starts_with('.');
            let is_index = entry.file_type().is_dir()
                && (entry.path().join(CURRENT).is_file()
                    || index_dir
                        .as_deref()
                        .is_some_and(|d| fs::canonicalize(entry.path()).is_ok_and(|p| p == d)));
            !hidden && !is_index
        });
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                unreadable.push(walk_error(root, e));
                continue;
            }
        };
        let is_txt = entry
            .path()
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("txt"));
        if entry.file_type().is_file() && (is_txt || source::is_records_path(entry.path())) {
            files.push(entry.into_path());
        }
    }
    files
}

/// The error of an entry the traversal cannot follow, naming it: a symlink loop, a
/// dangling symlink, or an unreadable directory.
fn walk_error(root: &Path, e: walkdir::Error) -> Error {
    let path = e.path().unwrap_or(root).to_path_buf();
    if let Some(ancestor) = e.loop_ancestor() {
        return Error::Source {
            reason: format!(
                "a symlink back to {}, which is being read already (a loop): not followed",
                ancestor.display()
            ),
            path,
        };
    }
    let dangling = fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink())
        && fs::metadata(&path).is_err();
    if dangling {
        let target = fs::read_link(&path).unwrap_or_default();
        return Error::Source {
            reason: format!(
                "a symlink to {}, which does not exist: fix or remove the link",
                target.display()
            ),
            path,
        };
    }
    Error::Read {
        path,
        source: e
            .into_io_error()
            .unwrap_or_else(|| std::io::Error::other("cannot be listed")),
    }
}

/// A directory holding only what an interrupted zhen build leaves behind.
fn only_zhen_leftovers(dir: &Path) -> bool {
    fs::read_dir(dir).is_ok_and(|entries| {
        entries.flatten().all(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with(TMP_PREFIX)
                || name.starts_with(GEN_PREFIX)
                || name.starts_with(CURRENT)
                || name == lock::LOCK
        })
    })
}

/// The name of the live generation of the index at `dir`, if there is one.
pub(crate) fn current_generation(dir: &Path) -> Result<Option<String>> {
    match fs::read_to_string(dir.join(CURRENT)) {
        Ok(pointer) => Ok(Some(pointer.trim().to_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::Read {
            path: dir.join(CURRENT),
            source,
        }),
    }
}

/// The error for a file of the generation the user may not read, where tantivy's `error`
/// is one: a question of permissions, not damage, and no reason to rebuild.
fn unreadable(generation: &Path, error: &tantivy::TantivyError) -> Option<Error> {
    let tantivy::TantivyError::OpenReadError(tantivy::directory::error::OpenReadError::IoError {
        io_error,
        filepath,
    }) = error
    else {
        return None;
    };
    (io_error.kind() == std::io::ErrorKind::PermissionDenied).then(|| Error::Read {
        path: generation.join(filepath),
        source: std::io::Error::new(io_error.kind(), io_error.to_string()),
    })
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = fs::File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

fn sync_dir(dir: &Path) {
    // Makes the renames durable; not supported everywhere, and a failure here does not
    // make the index any less consistent, so it is ignored.
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

fn remove_old_generations(dir: &Path, live: &str) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(GEN_PREFIX) && name != live {
            // Readers that still have the old generation open keep their memory maps.
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use tantivy::index::{SegmentId, SegmentMeta};
    use tantivy::indexer::MergePolicy;

    use super::*;

    #[test]
    fn a_build_merges_its_small_segments_and_leaves_large_ones_apart() {
        let index = tantivy::Index::create_in_ram(tantivy::schema::Schema::builder().build());
        let segments = |docs: &[u32]| -> Vec<SegmentMeta> {
            docs.iter()
                .map(|&n| index.new_segment_meta(SegmentId::generate_random(), n))
                .collect()
        };
        let policy = build_merge_policy();
        let merged = policy.compute_merge_candidates(&segments(&[24, 24]));
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].0.len(), 2);
        let merged = policy.compute_merge_candidates(&segments(&[9_000, 10_000, 3]));
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].0.len(), 3);
        // prc-laws' two segments of 76,000 paragraphs stay apart, and so does a small
        // segment alone beside them.
        assert!(policy
            .compute_merge_candidates(&segments(&[76_000, 76_000]))
            .is_empty());
        assert!(policy
            .compute_merge_candidates(&segments(&[76_000, 76_000, 40]))
            .is_empty());
        assert!(policy
            .compute_merge_candidates(&segments(&[10_001, 10_001]))
            .is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn a_traversal_follows_symlinks_and_reports_loops_and_dangling_ones() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let shipped = fs::canonicalize("../../index-data/us-hrc-pledges-2021.zh.txt").unwrap();
        let root = dir.path().join("corpus");
        let elsewhere = dir.path().join("elsewhere");
        fs::create_dir_all(root.join("inner")).unwrap();
        fs::create_dir_all(&elsewhere).unwrap();
        fs::write(elsewhere.join("memo.txt"), "1. 美国承诺打击人口贩运。\n").unwrap();
        symlink(&shipped, root.join("pledges.txt")).unwrap();
        symlink(&elsewhere, root.join("linked")).unwrap();
        symlink(dir.path().join("gone.txt"), root.join("gone.txt")).unwrap();
        symlink("..", root.join("inner/up")).unwrap();

        let (files, errors) = list_sources(&root, &dir.path().join("idx")).unwrap();
        assert_eq!(
            files,
            [root.join("linked/memo.txt"), root.join("pledges.txt")]
        );
        let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            errors,
            [
                format!(
                    "{}: a symlink to {}, which does not exist: fix or remove the link",
                    root.join("gone.txt").display(),
                    dir.path().join("gone.txt").display()
                ),
                format!(
                    "{}: a symlink back to {}, which is being read already (a loop): not \
                     followed",
                    root.join("inner/up").display(),
                    root.display()
                ),
            ]
        );

        // A directory of nothing but a symlink to a document is that document.
        let only = dir.path().join("only");
        fs::create_dir(&only).unwrap();
        symlink(&shipped, only.join("doc.txt")).unwrap();
        let (files, errors) = list_sources(&only, &dir.path().join("idx")).unwrap();
        assert_eq!((files, errors.len()), (vec![only.join("doc.txt")], 0));
    }

    #[test]
    fn the_shipped_document_is_indexed_as_one_segment() {
        let dir = tempfile::tempdir().unwrap();
        let text = include_str!("../../../../index-data/us-hrc-pledges-2021.zh.txt");
        let mut builder = IndexBuilder::create(dir.path()).unwrap();
        builder.add_text("pledges", text).unwrap();
        builder.commit().unwrap();
        let index = Index::open(dir.path()).unwrap();
        assert_eq!(index.tantivy.searchable_segment_ids().unwrap().len(), 1);
        // The merge finished before the seal: it lists exactly the generation's files.
        let seal: std::collections::BTreeMap<String, serde_json::Value> =
            serde_json::from_slice(&fs::read(index.generation.join("SEAL")).unwrap()).unwrap();
        let mut files: Vec<String> = fs::read_dir(&index.generation)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| integrity::is_sealed_name(name))
            .collect();
        files.sort();
        assert_eq!(seal.keys().cloned().collect::<Vec<_>>(), files);
        assert!(index.searcher().search("人口贩运", 10).unwrap().total_hits > 0);
    }
}
