//! The one error type of the library.
//!
//! Every variant names what went wrong *and where* (a file, a byte offset, a position in the
//! query), and its message ends with what the user can do about it, so the CLI can print
//! it as it is.

use std::path::PathBuf;

/// A result whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in zhen.
///
/// Match on the variant to react programmatically (for example,
/// [`Error::QuerySyntax`] is the user's to fix, [`Error::IndexNotFound`] means "build it
/// first"); the `Display` form is a complete sentence for a human.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read at all.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },

    /// A source file is not text in an encoding zhen understands.
    #[error("{}: {reason}", path.display())]
    Decode {
        /// The file.
        path: PathBuf,
        /// What is wrong, including the byte offset and what to do.
        reason: String,
    },

    /// A source path (file or directory) yielded no document to index.
    #[error("{}: {reason}", path.display())]
    Source {
        /// The path given.
        path: PathBuf,
        /// Why nothing could be taken from it.
        reason: String,
    },

    /// A source gives a document whose id an earlier source of the same build or update
    /// gave already: its paragraphs are not indexed, so that the index holds each document
    /// once, from the first source that gives it.
    #[error("{}: {reason}", path.display())]
    DocumentIdTaken {
        /// The later source (a file, or the id itself for a document given by a program).
        path: PathBuf,
        /// The document id.
        id: String,
        /// JSON Lines records left out for it (0 for a text document, which is left out
        /// whole).
        records: usize,
        /// Where it is and which source took the id first, and what to do.
        reason: String,
    },

    /// A document was given an empty id (the library's `add_text`, `add_paragraphs` or
    /// `remove`).
    #[error(
        "a document id must not be empty: name the document (its hits show the id, and \
         `--doc` and updates find it by it)"
    )]
    EmptyDocumentId,

    /// A document was given without text (the library's `add_text` or `add_paragraphs`):
    /// it would count as a document with nothing to find.
    #[error(
        "document `{id}` has no text to index: give it its text, or, to take it out of an \
         index, remove it (`IndexUpdater::remove`, `zhen index --remove`)"
    )]
    EmptyDocument {
        /// The document id.
        id: String,
    },

    /// A paragraph given for one document names another in its `doc` field
    /// ([`IndexBuilder::add_paragraphs`](crate::IndexBuilder::add_paragraphs)).
    #[error(
        "paragraph {ordinal} given for document `{id}` belongs to document `{doc}` (its \
         `doc` field): give each document's paragraphs under their own id"
    )]
    ForeignParagraph {
        /// The document id the paragraphs were given for.
        id: String,
        /// The paragraph's own document id.
        doc: String,
        /// The paragraph's ordinal.
        ordinal: u32,
    },

    /// Two paragraphs of a document have the same ordinal, which orders its paragraphs
    /// ([`IndexBuilder::add_paragraphs`](crate::IndexBuilder::add_paragraphs)).
    #[error(
        "document `{id}` has two paragraphs with ordinal {ordinal}: an ordinal is a \
         paragraph's place in its document, so each must differ"
    )]
    DuplicateOrdinal {
        /// The document id.
        id: String,
        /// The ordinal given twice.
        ordinal: u32,
    },

    /// There is no index at the given place.
    #[error("no zhen index at {}: build one with `zhen index SOURCES... --index {}`", path.display(), path.display())]
    IndexNotFound {
        /// The index directory that was looked at.
        path: PathBuf,
    },

    /// The index path names a file, not a directory.
    #[error(
        "{} is a file, not an index directory: give --index the directory an index was \
         built in, or a new or empty directory to build one in",
        path.display()
    )]
    NotADirectory {
        /// The path given as the index directory.
        path: PathBuf,
    },

    /// The index was written by another version of the schema or analyzer.
    #[error(
        "the index at {} was built by zhen with index format {found}, this zhen reads format \
         {expected}: rebuild it from its sources, with `{rebuild}`",
        path.display()
    )]
    IndexVersion {
        /// The index directory.
        path: PathBuf,
        /// The format version recorded in the index.
        found: u32,
        /// The format version this build of zhen reads and writes.
        expected: u32,
        /// The command that rebuilds it: the files it records as its sources, where they
        /// are still there and few enough to write out, else `SOURCES...`. (`zhen index
        /// --index DIR` alone would rebuild it from the default sources instead.)
        rebuild: String,
    },

    /// The index exists but its files are damaged or incomplete.
    #[error("the index at {} is damaged ({reason}): rebuild it with `zhen index --index {}`", path.display(), path.display())]
    IndexCorrupt {
        /// The index directory.
        path: PathBuf,
        /// What was found wrong.
        reason: String,
    },

    /// The target directory exists and is not a zhen index; zhen refuses to overwrite it.
    #[error(
        "{} exists and is not a zhen index; refusing to replace it. \
         Choose an empty or new directory with --index",
        path.display()
    )]
    NotAnIndex {
        /// The directory.
        path: PathBuf,
    },

    /// Another builder or updater holds this index; only one may write it at a time.
    /// `pid` may be this very process: another [`IndexBuilder`](crate::IndexBuilder) or
    /// [`IndexUpdater`](crate::IndexUpdater) of it that is not committed or dropped yet.
    #[error("the index at {} is locked by {}", path.display(), lock_holder(*pid))]
    Locked {
        /// The index directory.
        path: PathBuf,
        /// The process id of the build holding the lock, when it could be read.
        pid: Option<u32>,
    },

    /// A relevance-judgement (qrels) file has a malformed line.
    #[error("{}:{line}: {reason}", path.display())]
    Qrels {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong and the expected form.
        reason: String,
    },

    /// A query file (`zhen bench --queries`) has a malformed line.
    #[error("{}:{line}: {reason}", path.display())]
    QueryFile {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong and the expected form.
        reason: String,
    },

    /// A qrels or query file holds no query at all (only blank lines and comments).
    ///
    /// An error rather than an empty report: the mean of no queries is no measurement.
    #[error("{} holds no queries: {hint}", path.display())]
    NoQueries {
        /// The file.
        path: PathBuf,
        /// The form of a query line, as the user should write it.
        hint: &'static str,
    },

    /// A query read from a file (qrels or a bench query file) could not be parsed.
    ///
    /// Unlike [`Error::QuerySyntax`], the fault is in a file rather than in what was typed:
    /// the CLI exits with status 1 for it, as for any other malformed file.
    #[error("{}:{line}: {source}", path.display())]
    QueryInFile {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong with the query.
        #[source]
        source: crate::search::QueryError,
    },

    /// The query text could not be parsed.
    #[error("{0}")]
    QuerySyntax(#[from] crate::search::QueryError),

    /// Writing the index failed; the previous index, if any, is untouched.
    #[error("writing the index at {} failed: {source}; the previous index, if any, is unchanged", path.display())]
    Write {
        /// The index directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// An error inside tantivy while searching.
    #[error(
        "search failed in the index engine ({0}); if the index files were damaged since it \
         was opened, rebuild it with `zhen index`"
    )]
    Engine(#[from] tantivy::TantivyError),
}

/// Who holds a lock, and what to do about it.
fn lock_holder(pid: Option<u32>) -> String {
    match pid {
        Some(pid) if pid == std::process::id() => format!(
            "this process ({pid}): another builder or updater of it is still open; commit or \
             drop it before opening the next"
        ),
        pid => format!(
            "{}, which is building or updating it: wait for it to finish (or stop it) and \
             run again",
            pid.map_or_else(
                || "another process".to_owned(),
                |pid| format!("process {pid}")
            )
        ),
    }
}
