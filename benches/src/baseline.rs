//! The baseline zhen is compared against: the setup most people reach for when they need
//! Chinese full-text search in Rust.
//!
//! It is deliberately the straightforward recipe from the tantivy-jieba README, with no
//! tuning, so that comparisons show what zhen's analyzer and query language add:
//!
//! * [`tantivy_jieba::JiebaTokenizer`] in its default configuration (jieba's *search* mode,
//!   which also emits the shorter words inside long ones, with HMM for unknown words),
//!   followed by [`RemoveLongFilter::limit(40)`](RemoveLongFilter::limit) and
//!   [`LowerCaser`], registered as [`TOKENIZER`];
//! * one text field `body` (positions, stored) and a stored `paragraph` number;
//! * tantivy's [`QueryParser`] over `body` with its defaults (terms are OR-ed; a query word
//!   that analyses to several tokens becomes a phrase query).
//!
//! There is no traditional→simplified or full-width folding, no substring matching and no
//! custom query syntax: whatever tantivy's parser and jieba make of a query is what a user
//! of this setup gets.

use std::path::Path;

use tantivy::collector::{Count, TopDocs};
use tantivy::query::QueryParser;
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, STORED,
};
use tantivy::tokenizer::{LowerCaser, RemoveLongFilter, TextAnalyzer};
use tantivy::{doc, Index, IndexReader, ReloadPolicy, TantivyDocument, TantivyError};

/// The name the baseline analyzer is registered under.
pub const TOKENIZER: &str = "jieba";

/// The index writer's memory budget (tantivy splits it across its indexing threads).
pub const WRITER_HEAP_BYTES: usize = 128 * 1024 * 1024;

/// Name of the paragraph text field (indexed with positions, stored).
const BODY: &str = "body";
/// Name of the printed paragraph number field (stored only; absent for unnumbered blocks).
const PARAGRAPH: &str = "paragraph";

/// One hit: BM25 score, printed paragraph number (`None` for unnumbered blocks), text.
pub type BaselineHit = (f32, Option<u32>, String);

/// An open baseline index, ready to search.
pub struct Baseline {
    reader: IndexReader,
    parser: QueryParser,
    body: Field,
    paragraph: Field,
}

impl std::fmt::Debug for Baseline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Baseline").finish_non_exhaustive()
    }
}

impl Baseline {
    /// Creates a new index in `dir` (created if missing; it must not already hold an
    /// index) with one tantivy document per paragraph, commits it and opens it.
    pub fn build(
        dir: &Path,
        paragraphs: impl IntoIterator<Item = (Option<u32>, String)>,
    ) -> tantivy::Result<Baseline> {
        std::fs::create_dir_all(dir)?;
        let index = Index::create_in_dir(dir, schema())?;
        register_analyzer(&index);
        let (body, paragraph) = fields(&index.schema())?;
        let mut writer = index.writer::<TantivyDocument>(WRITER_HEAP_BYTES)?;
        for (number, text) in paragraphs {
            let mut document = doc!(body => text);
            if let Some(n) = number {
                document.add_u64(paragraph, u64::from(n));
            }
            writer.add_document(document)?;
        }
        writer.commit()?;
        Baseline::from_index(&index)
    }

    /// Opens an index made by [`Baseline::build`].
    pub fn open(dir: &Path) -> tantivy::Result<Baseline> {
        let index = Index::open_in_dir(dir)?;
        // Tokenizers are not persisted with the index: register ours again, or queries on
        // `body` would fail to find the analyzer the schema names.
        register_analyzer(&index);
        Baseline::from_index(&index)
    }

    fn from_index(index: &Index) -> tantivy::Result<Baseline> {
        let (body, paragraph) = fields(&index.schema())?;
        // The index is written once and then only read: no need to watch for new commits.
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Baseline {
            reader,
            parser: QueryParser::for_index(index, vec![body]),
            body,
            paragraph,
        })
    }

    /// The best `limit` paragraphs for `query`, best first.
    ///
    /// A query tantivy's parser rejects gives no hits rather than an error, because that is
    /// what a user of this setup would see; so does a failing search (an I/O error on the
    /// index), since the comparison has nothing better to show for it.
    pub fn search(&self, query: &str, limit: usize) -> Vec<BaselineHit> {
        self.search_counted(query, limit)
            .map(|(_, hits)| hits)
            .unwrap_or_default()
    }

    /// Like [`Baseline::search`], but also returns how many paragraphs matched in all, and
    /// reports index errors (a query parse error still gives `Ok((0, []))`).
    pub fn search_counted(
        &self,
        query: &str,
        limit: usize,
    ) -> tantivy::Result<(usize, Vec<BaselineHit>)> {
        let Ok(query) = self.parser.parse_query(query) else {
            return Ok((0, Vec::new()));
        };
        let searcher = self.reader.searcher();
        let (top, total) = searcher.search(
            &query,
            &(TopDocs::with_limit(limit.max(1)).order_by_score(), Count),
        )?;
        let mut hits = Vec::with_capacity(top.len().min(limit));
        for (score, address) in top.into_iter().take(limit) {
            let document: TantivyDocument = searcher.doc(address)?;
            let number = document
                .get_first(self.paragraph)
                .and_then(|v| v.as_u64())
                .and_then(|n| u32::try_from(n).ok());
            let text = document
                .get_first(self.body)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned();
            hits.push((score, number, text));
        }
        Ok((total, hits))
    }
}

/// `body` (baseline analyzer, frequencies and positions, stored) and `paragraph` (stored).
fn schema() -> Schema {
    let mut builder = Schema::builder();
    let indexing = TextFieldIndexing::default()
        .set_tokenizer(TOKENIZER)
        .set_index_option(IndexRecordOption::WithFreqsAndPositions);
    builder.add_text_field(
        BODY,
        TextOptions::default()
            .set_indexing_options(indexing)
            .set_stored(),
    );
    builder.add_u64_field(PARAGRAPH, STORED);
    builder.build()
}

/// The `(body, paragraph)` fields of a baseline schema.
fn fields(schema: &Schema) -> tantivy::Result<(Field, Field)> {
    let field = |name: &str| {
        schema.get_field(name).map_err(|_| {
            TantivyError::SchemaError(format!("not a baseline index: no `{name}` field"))
        })
    };
    Ok((field(BODY)?, field(PARAGRAPH)?))
}

/// The baseline analyzer: [`tantivy_jieba::JiebaTokenizer`] (search mode, HMM), then
/// [`RemoveLongFilter::limit(40)`](RemoveLongFilter::limit) and [`LowerCaser`]. This is
/// what [`Baseline`] indexes and parses queries with; it is public for the analyzer
/// benchmark. jieba's dictionary is loaded once per process, on the first text analysed.
pub fn baseline_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(tantivy_jieba::JiebaTokenizer::new())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .build()
}

/// Registers [`baseline_analyzer`] as [`TOKENIZER`] on `index`.
fn register_analyzer(index: &Index) {
    index.tokenizers().register(TOKENIZER, baseline_analyzer());
}
