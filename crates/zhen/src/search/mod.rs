//! Searching: query text in, ranked [`Hit`]s with highlights and snippets out.

mod highlight;
pub mod query;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{IndexReader, TantivyDocument};

use crate::analysis;
use crate::document::BlockKind;
use crate::error::Result;
use crate::index::{Fields, Index};

pub use highlight::{Highlight, Snippet};
pub use query::{parse, Clause, ClauseAnalysis, Explanation, ParsedQuery, QueryError, QueryNode};

/// Options of a search.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SearchOptions {
    /// How many hits to return at most (at least 1).
    pub limit: usize,
    /// The snippet length, in characters.
    pub snippet_chars: usize,
    /// Whether to include the query's [`Explanation`] in the results.
    pub explain: bool,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            limit: 10,
            snippet_chars: 120,
            explain: false,
        }
    }
}

impl SearchOptions {
    /// Default options with the given limit.
    pub fn with_limit(limit: usize) -> SearchOptions {
        SearchOptions {
            limit,
            ..SearchOptions::default()
        }
    }
}

/// One matching paragraph.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Hit {
    /// 1-based rank.
    pub rank: usize,
    /// The relevance score (BM25 with phrase bonuses); higher is better.
    pub score: f32,
    /// The document id.
    pub doc: String,
    /// The printed paragraph number, `None` for unnumbered blocks.
    pub paragraph: Option<u32>,
    /// The heading or title the paragraph sits under.
    pub section: Option<String>,
    /// The kind of block.
    pub kind: BlockKind,
    /// The paragraph's full text.
    pub text: String,
    /// Byte ranges of [`Hit::text`] that matched the query.
    pub highlights: Vec<Highlight>,
    /// A window of the text around the best matches.
    pub snippet: Snippet,
    /// 1-based line of the source where the paragraph starts (the record's line for
    /// JSON Lines sources).
    pub line: u32,
    /// The record's other scalar fields, for paragraphs from JSON Lines sources.
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

/// The outcome of a search.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct SearchResults {
    /// The query as given.
    pub query: String,
    /// How many paragraphs matched in all (not only those returned).
    pub total_hits: usize,
    /// Time spent in [`Searcher::search`], in milliseconds.
    pub took_ms: f64,
    /// The best hits, best first.
    pub hits: Vec<Hit>,
    /// Where the time went (not part of the JSON output).
    #[serde(skip)]
    pub timings: PhaseTimings,
    /// How the query was analysed and run, when [`SearchOptions::explain`] is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Explanation>,
}

/// Time spent in each phase of one search.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[non_exhaustive]
pub struct PhaseTimings {
    /// Parsing and analysing the query, building the query tree.
    pub analyse: std::time::Duration,
    /// Matching and scoring in the index (top hits and total count).
    pub search: std::time::Duration,
    /// Reading the hits' stored fields, highlights and snippets.
    pub fetch: std::time::Duration,
}

/// Runs queries against an [`Index`]. Cheap to clone; `Send + Sync`.
#[derive(Clone)]
pub struct Searcher {
    inner: Arc<Inner>,
}

struct Inner {
    reader: IndexReader,
    fields: Fields,
    /// One query-side word analyzer for all searches: its in-place dictionary keeps the
    /// jieba words it has looked up, so repeated vocabulary costs nothing the second time.
    /// Held only while a query is compiled.
    words: Mutex<TextAnalyzer>,
    grams: TextAnalyzer,
    stemmer: TextAnalyzer,
}

impl std::fmt::Debug for Searcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Searcher").finish_non_exhaustive()
    }
}

impl Index {
    /// A searcher over this index.
    pub fn searcher(&self) -> Searcher {
        Searcher {
            inner: Arc::new(Inner {
                reader: self.reader.clone(),
                fields: self.fields,
                words: Mutex::new(analysis::analyzer()),
                grams: analysis::ngram_analyzer(),
                stemmer: analysis::word_stemmer(),
            }),
        }
    }
}

impl Searcher {
    /// Searches with default options and at most `limit` hits.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let mut builder = zhen::IndexBuilder::create(dir.path()).unwrap();
    /// builder.add_text("memo", "1. 美国承诺打击人口贩运。\n\n2. 美国支持言论自由。").unwrap();
    /// builder.commit().unwrap();
    /// let searcher = zhen::Index::open(dir.path()).unwrap().searcher();
    /// let results = searcher.search("人口贩运", 10).unwrap();
    /// assert_eq!(results.hits.len(), 1);
    /// assert_eq!(results.hits[0].paragraph, Some(1));
    /// assert_eq!(results.hits[0].snippet.to_string(), "美国承诺打击【人口贩运】。");
    /// ```
    pub fn search(&self, query: &str, limit: usize) -> Result<SearchResults> {
        self.search_with(query, &SearchOptions::with_limit(limit))
    }

    fn compile(
        &self,
        parsed: &ParsedQuery,
        grams: &mut TextAnalyzer,
    ) -> Result<query::Compiled, QueryError> {
        // A panic while compiling leaves the analyzer's dictionary cache consistent (words
        // are only ever added whole), so a poisoned lock is safe to reuse.
        let mut words = self
            .inner
            .words
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        query::compile(
            parsed,
            &mut query::Target {
                words: &mut words,
                grams,
                words_field: self.inner.fields.body,
                grams_field: self.inner.fields.grams,
                chars_field: self.inner.fields.chars,
            },
        )
    }

    /// How `query` is analysed and the query tree it runs, without running it.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let mut builder = zhen::IndexBuilder::create(dir.path()).unwrap();
    /// builder.add_text("memo", "1. 打击人口贩运。").unwrap();
    /// builder.commit().unwrap();
    /// let searcher = zhen::Index::open(dir.path()).unwrap().searcher();
    /// let explanation = searcher.explain("人口贩运").unwrap();
    /// assert_eq!(explanation.clauses[0].words, ["人口", "贩运"]);
    /// assert_eq!(explanation.clauses[0].grams, ["人口", "贩运"]);
    /// assert!(explanation.tree.render().contains("phrase body:\"人口 贩运\""));
    /// ```
    pub fn explain(&self, query: &str) -> Result<Explanation> {
        let parsed = query::parse(query)?;
        let mut grams = self.inner.grams.clone();
        Ok(self.compile(&parsed, &mut grams)?.explanation)
    }

    /// Searches with the given options.
    pub fn search_with(&self, query: &str, options: &SearchOptions) -> Result<SearchResults> {
        let started = Instant::now();
        let parsed = query::parse(query)?;
        let mut grams = self.inner.grams.clone();
        let fields = &self.inner.fields;
        let compiled = self.compile(&parsed, &mut grams)?;
        let mut highlighter =
            highlight::Highlighter::new(&compiled.patterns, self.inner.stemmer.clone());
        let analysed = Instant::now();
        let searcher = self.inner.reader.searcher();
        let limit = options.limit.max(1);
        let top_docs = TopDocs::with_limit(limit).order_by_score();
        let (top, total_hits) = match &compiled.count {
            // Counted apart, the top hits are found with pruning.
            Some(count) => (
                searcher.search(&compiled.query, &top_docs)?,
                count.count(&searcher)?,
            ),
            None => searcher.search(&compiled.query, &(top_docs, Count))?,
        };
        let searched = Instant::now();
        let mut hits = Vec::with_capacity(top.len());
        for (rank, (score, address)) in top.into_iter().enumerate() {
            let doc: TantivyDocument = searcher.doc(address)?;
            let paragraph = fields.paragraph(&doc);
            let highlights = highlighter.highlights(&paragraph.text);
            let snippet = highlight::snippet(&paragraph.text, &highlights, options.snippet_chars);
            hits.push(Hit {
                rank: rank + 1,
                score,
                doc: paragraph.doc,
                paragraph: paragraph.number,
                section: paragraph.section,
                kind: paragraph.kind,
                text: paragraph.text,
                highlights,
                snippet,
                line: paragraph.line,
                metadata: paragraph.metadata,
            });
        }
        let fetched = Instant::now();
        Ok(SearchResults {
            query: query.to_owned(),
            total_hits,
            took_ms: (fetched - started).as_secs_f64() * 1e3,
            timings: PhaseTimings {
                analyse: analysed - started,
                search: searched - analysed,
                fetch: fetched - searched,
            },
            hits,
            explanation: options.explain.then_some(compiled.explanation),
        })
    }
}
