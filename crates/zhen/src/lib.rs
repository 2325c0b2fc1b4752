//! zhen: bilingual Chinese/English full-text search over official documents.
//!
//! zhen reads documents (any of UTF-8, UTF-16 or GB18030/Big5), splits them into
//! paragraphs that keep their printed numbers and section headings, analyses Chinese with
//! jieba and English with a stemmer behind one normalising tokenizer, and searches them
//! with tantivy.
//!
//! ```
//! use zhen::{Index, IndexBuilder};
//!
//! # fn main() -> zhen::Result<()> {
//! let dir = tempfile::tempdir().unwrap();
//!
//! // Build (atomically: a failed build leaves any previous index untouched).
//! let mut builder = IndexBuilder::create(dir.path())?;
//! builder.add_text(
//!     "pledges",
//!     "承诺在国际上推动人权\n\n\
//!      17. 美国承诺与國際勞工組織合作，打击强迫劳动和人口贩运。\n\n\
//!      18. 美国承诺促进表达自由。",
//! )?;
//! builder.commit()?;
//!
//! // Search: traditional characters in the text are found with simplified ones.
//! let searcher = Index::open(dir.path())?.searcher();
//! let results = searcher.search("国际劳工组织", 10)?;
//! let hit = &results.hits[0];
//! assert_eq!(hit.paragraph, Some(17));
//! assert_eq!(hit.section.as_deref(), Some("承诺在国际上推动人权"));
//! let h = hit.highlights[0];
//! assert_eq!(&hit.text[h.start..h.end], "國際勞工組織");
//! # Ok(())
//! # }
//! ```
//!
//! The stages, one module each: [`source`] (bytes to text), [`document`] (text to
//! [`Paragraph`]s), [`analysis`] (the tokenizer, as tantivy components), [`index`]
//! (schema, atomic build, open) and [`search`] (query language, ranking, highlights).
#![warn(missing_docs)]

pub mod analysis;
pub mod bench;
pub mod document;
pub mod error;
pub mod eval;
pub mod index;
pub mod search;
pub mod source;

/// The tantivy zhen is built on, for the parts of the API that hand out its types
/// ([`Index::tantivy`], [`Error::Engine`], the analyzers): name them through this re-export
/// to get the very version zhen uses.
pub use tantivy;

/// The jieba zhen segments Chinese with ([`analysis::ZhenTokenizer::with_jieba`]), for the
/// same reason.
pub use jieba_rs;

pub use analysis::Lang;
pub use document::{BlockKind, Paragraph};
pub use error::{Error, Result};
pub use index::{
    BuildReport, Index, IndexBuilder, IndexMeta, IndexStats, IndexUpdater, Progress, UpdateReport,
};
pub use search::{
    Explanation, Highlight, Hit, Metadata, Parallel, PhaseTimings, QueryError, SearchOptions,
    SearchResults, Searcher, Snippet,
};
