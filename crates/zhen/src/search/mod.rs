//! Searching: query text in, ranked [`Hit`]s with highlights and snippets out.

mod blocks;
mod guard;
mod highlight;
mod metadata;
pub mod query;
mod spaced;
mod spanned;
mod stored;
mod top;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Instant;

use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{IndexReader, Term};

use crate::analysis::{self, Lang};
use crate::document::{BlockKind, Paragraph};
use crate::error::Result;
use crate::index::{Fields, Index};

pub use highlight::{Highlight, Snippet};
pub use metadata::Metadata;
pub use query::{
    parse, Clause, ClauseAnalysis, Explanation, ParsedQuery, QueryError, QueryNode,
    MAX_QUERY_CHARS, MAX_QUERY_WORDS,
};

/// Options of a search.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SearchOptions {
    /// How many hits to return at most (at least 1). A limit beyond the index's
    /// paragraphs returns them all: `usize::MAX` asks for every hit.
    pub limit: usize,
    /// The snippet length, in characters of a Chinese paragraph; an English paragraph's
    /// snippet has twice as many, as a letter is about half as wide as a Han character
    /// and carries less (120 characters are about 18 English words). A snippet runs over
    /// it where that takes in a highlight whole (a snippet never cuts one).
    pub snippet_chars: usize,
    /// Whether to include the query's [`Explanation`] in the results.
    pub explain: bool,
    /// Only paragraphs of this document.
    ///
    /// ```
    /// # fn main() -> zhen::Result<()> {
    /// let dir = tempfile::tempdir().unwrap();
    /// let mut builder = zhen::IndexBuilder::create(dir.path())?;
    /// builder.add_text("zh", "1. 打击人口贩运。")?;
    /// builder.add_text("en", "1. Combating human trafficking (人口贩运).")?;
    /// builder.commit()?;
    /// let searcher = zhen::Index::open(dir.path())?.searcher();
    /// let mut options = zhen::SearchOptions::with_limit(10);
    /// options.doc = Some("en".to_owned());
    /// assert_eq!(searcher.search_with("人口贩运", &options)?.hits[0].doc, "en");
    /// options.doc = None;
    /// options.lang = Some(zhen::Lang::Zh);
    /// assert_eq!(searcher.search_with("人口贩运", &options)?.hits[0].doc, "zh");
    /// # Ok(())
    /// # }
    /// ```
    pub doc: Option<String>,
    /// Only paragraphs in this language.
    pub lang: Option<Lang>,
    /// Whether to look up each hit's counterpart in the other language
    /// ([`Hit::parallel`]).
    pub parallel: bool,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            limit: 10,
            snippet_chars: 120,
            explain: false,
            doc: None,
            lang: None,
            parallel: false,
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
    /// The record's other scalar fields, for paragraphs from JSON Lines sources (parsed
    /// when first read).
    #[serde(skip_serializing_if = "Metadata::is_empty")]
    pub metadata: Metadata,
    /// The paragraph's language.
    pub lang: Lang,
    /// With [`SearchOptions::parallel`]: `Some` of the same paragraph in the other
    /// language (`Some(None)` when the document has none; serialised as `null`); `None`
    /// (and left out of JSON) otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parallel: Option<Option<Parallel>>,
}

/// A hit's counterpart in the other language of a parallel document: the paragraph of the
/// same document in the other language (Chinese or English) with the same paragraph
/// number, or the only one of the same kind.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Parallel {
    /// Its language.
    pub lang: Lang,
    /// Its text.
    pub text: String,
    /// Its printed paragraph number.
    pub paragraph: Option<u32>,
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
    /// The best hits, best first. Hits of equal score come in a fixed order, the same
    /// however and on how many threads the index was built: by document (a hash of its
    /// id), then paragraph order.
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
    /// The index directory, to follow a rebuild to its new generation.
    dir: PathBuf,
    /// When the searcher was created, and how many milliseconds after that it last looked
    /// for changes.
    opened: Instant,
    checked_ms: AtomicU64,
    /// The generation searched, with its reader (swapped by [`Searcher::reload`]).
    live: RwLock<Live>,
    /// Query-side word analyzers not in use: each one's in-place dictionary keeps the
    /// jieba words it has looked up, so repeated vocabulary costs nothing the second time.
    /// A search takes one while it compiles its query and gives it back, or makes another
    /// when all are taken: searches on several threads never wait for each other, and
    /// there are never more analyzers than searches that ran at once.
    words: Mutex<Vec<TextAnalyzer>>,
    /// The index's user dictionary (for compound parts).
    dict: Arc<analysis::UserDict>,
    grams: TextAnalyzer,
}

#[derive(Clone)]
struct Live {
    generation: PathBuf,
    reader: IndexReader,
    fields: Fields,
    stores: stored::Stores,
    orders: top::OrderCache,
}

impl std::fmt::Debug for Searcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Searcher").finish_non_exhaustive()
    }
}

impl Index {
    /// A searcher over this index: cheap to clone, `Send + Sync`, meant to be kept and
    /// shared by threads.
    ///
    /// Reload policy: before a search, at most once a second, a searcher looks for
    /// changes — commits to its generation (updates by [`IndexUpdater`](crate::IndexUpdater)
    /// or `zhen index --add`) and rebuilds (a new generation) — and switches to them, so
    /// it sees them within about a second; each search runs on one consistent snapshot.
    /// [`Searcher::reload`] looks at once (and reports errors, which the automatic check
    /// leaves for the next explicit reload, serving the last good snapshot meanwhile).
    pub fn searcher(&self) -> Searcher {
        self.searcher_with_store_cache(stored::DEFAULT_CACHE_BYTES)
    }

    /// As [`Index::searcher`], keeping up to about `bytes` of decompressed document-store
    /// blocks ([`Index::searcher`]: 64 MiB) to read hits from; `0` keeps none.
    ///
    /// The stored paragraphs are compressed in blocks of about 32 KB, and a hit whose block
    /// is not cached costs its decompression, tens of microseconds: more than the rest of
    /// reading it. The cache fills only with the blocks hits come from, so a searcher that
    /// answers a few queries stays small whatever the budget; one serving many different
    /// queries over a large index grows to the budget, and with a budget below the size of
    /// the blocks its hits come from, most hits pay the decompression.
    ///
    /// ```
    /// # fn main() -> zhen::Result<()> {
    /// let dir = tempfile::tempdir().unwrap();
    /// let mut builder = zhen::IndexBuilder::create(dir.path())?;
    /// builder.add_text("memo", "1. 美国将继续打击人口贩运。")?;
    /// builder.commit()?;
    /// let searcher = zhen::Index::open(dir.path())?.searcher_with_store_cache(0);
    /// assert_eq!(searcher.search("人口贩运", 5)?.hits[0].paragraph, Some(1));
    /// # Ok(())
    /// # }
    /// ```
    pub fn searcher_with_store_cache(&self, bytes: usize) -> Searcher {
        Searcher {
            inner: Arc::new(Inner {
                dir: self.dir.clone(),
                opened: Instant::now(),
                checked_ms: AtomicU64::new(0),
                live: RwLock::new(Live {
                    generation: self.generation.clone(),
                    reader: self.reader.clone(),
                    fields: self.fields,
                    stores: stored::Stores::new(self.fields.record, self.dir.clone(), bytes),
                    orders: top::OrderCache::default(),
                }),
                words: Mutex::new(vec![analysis::analyzer_with_dict(&self.dict)]),
                dict: self.dict.clone(),
                grams: analysis::ngram_analyzer(),
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

    /// Looks for changes now: switches to a new generation if the index was rebuilt, and
    /// picks up commits to the current one (updates). Returns whether it found either.
    ///
    /// ```
    /// # fn main() -> zhen::Result<()> {
    /// let dir = tempfile::tempdir().unwrap();
    /// let mut builder = zhen::IndexBuilder::create(dir.path())?;
    /// builder.add_text("a", "1. 旧的内容。")?;
    /// builder.commit()?;
    /// let searcher = zhen::Index::open(dir.path())?.searcher();
    ///
    /// let mut builder = zhen::IndexBuilder::create(dir.path())?; // a full rebuild
    /// builder.add_text("a", "1. 新的内容。")?;
    /// builder.commit()?;
    /// assert!(searcher.reload()?);
    /// assert_eq!(searcher.search("新", 5)?.total_hits, 1);
    /// # Ok(())
    /// # }
    /// ```
    pub fn reload(&self) -> Result<bool> {
        let live = self.live();
        if let Some(name) = crate::index::current_generation(&self.inner.dir)? {
            if live.generation.file_name() != Some(std::ffi::OsStr::new(&name)) {
                let index = Index::open(&self.inner.dir)?;
                *self
                    .inner
                    .live
                    .write()
                    .unwrap_or_else(PoisonError::into_inner) = Live {
                    generation: index.generation.clone(),
                    reader: index.reader.clone(),
                    fields: index.fields,
                    stores: live
                        .stores
                        .with_index(index.fields.record, index.dir.clone()),
                    orders: top::OrderCache::default(),
                };
                return Ok(true);
            }
        }
        let before = live.reader.searcher().generation().segments().clone();
        live.reader.reload()?;
        // Segments added, merged or with new deletions: an update committed.
        Ok(live.reader.searcher().generation().segments() != &before)
    }

    /// Reloads if the last look for changes is a second old or more.
    fn reload_if_due(&self) {
        const EVERY_MS: u64 = 1000;
        let now = self.inner.opened.elapsed().as_millis() as u64;
        let last = self.inner.checked_ms.load(Ordering::Relaxed);
        if now.saturating_sub(last) >= EVERY_MS
            && self
                .inner
                .checked_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            // A failed look leaves the current snapshot serving; `reload` reports it.
            let _ = self.reload();
        }
    }

    fn live(&self) -> Live {
        self.inner
            .live
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Compiles a parsed query; with `explain`, also describes it.
    fn compile(
        &self,
        fields: &Fields,
        parsed: &ParsedQuery,
        grams: &mut TextAnalyzer,
        explain: bool,
    ) -> Result<query::Compiled, QueryError> {
        // The lock is held only to take or give back an analyzer; a panic while compiling
        // drops the analyzer taken, and the list stays as it was.
        let idle = || {
            self.inner
                .words
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
        };
        let taken = idle().pop();
        let mut words = taken.unwrap_or_else(|| analysis::analyzer_with_dict(&self.inner.dict));
        let compiled = query::compile(
            parsed,
            &mut query::Target {
                words: &mut words,
                grams,
                dict: &self.inner.dict,
                words_field: fields.body,
                grams_field: fields.grams,
                chars_field: fields.chars,
                explain,
            },
        );
        idle().push(words);
        compiled
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
        Ok(self
            .compile(&self.live().fields, &parsed, &mut grams, true)?
            .explanation)
    }

    /// Whether the index holds a document with this id, so that a caller can tell a
    /// [`SearchOptions::doc`] filter that matched nothing from one that names no document.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let mut builder = zhen::IndexBuilder::create(dir.path()).unwrap();
    /// builder.add_text("memo", "1. 打击人口贩运。").unwrap();
    /// builder.commit().unwrap();
    /// let searcher = zhen::Index::open(dir.path()).unwrap().searcher();
    /// assert!(searcher.has_document("memo").unwrap());
    /// assert!(!searcher.has_document("Memo").unwrap());
    /// ```
    pub fn has_document(&self, id: &str) -> Result<bool> {
        self.reload_if_due();
        let live = self.live();
        let query = TermQuery::new(
            Term::from_field_text(live.fields.doc, id),
            IndexRecordOption::Basic,
        );
        Ok(count_matches(&live.reader.searcher(), &query)? > 0)
    }

    /// Searches with the given options.
    pub fn search_with(&self, query: &str, options: &SearchOptions) -> Result<SearchResults> {
        self.reload_if_due();
        let started = Instant::now();
        let live = self.live();
        let fields = &live.fields;
        let parsed = query::parse(query)?;
        let mut grams = self.inner.grams.clone();
        let mut compiled = self.compile(fields, &parsed, &mut grams, options.explain)?;
        let filters: Vec<Term> = options
            .doc
            .iter()
            .map(|doc| Term::from_field_text(fields.doc, doc))
            .chain(
                options
                    .lang
                    .map(|lang| Term::from_field_text(fields.lang, lang.code())),
            )
            .collect();
        if !filters.is_empty() {
            // Filters add no score.
            let filtered = |query: Box<dyn Query>| -> Box<dyn Query> {
                let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, query)];
                for term in &filters {
                    clauses.push((
                        Occur::Must,
                        Box::new(ConstScoreQuery::new(
                            Box::new(TermQuery::new(term.clone(), IndexRecordOption::Basic)),
                            0.0,
                        )),
                    ));
                }
                Box::new(BooleanQuery::new(clauses))
            };
            compiled.tiers = compiled
                .tiers
                .into_iter()
                .map(|tier| match tier.downcast::<spaced::SpacedWords>() {
                    Ok(mut spaced) => {
                        spaced.filters.extend(filters.iter().cloned());
                        spaced.general = filtered(spaced.general);
                        spaced as Box<dyn Query>
                    }
                    Err(tier) => filtered(tier),
                })
                .collect();
            compiled.count = compiled.count.map(filtered);
            if options.explain {
                // The tree shows what runs: the query, within the filters.
                let mut children: Vec<query::QueryNode> = filters
                    .iter()
                    .map(|term| query::QueryNode {
                        label: format!(
                            "filter {}:{}",
                            if term.field() == fields.doc {
                                "doc"
                            } else {
                                "lang"
                            },
                            term.value().as_str().unwrap_or_default()
                        ),
                        children: Vec::new(),
                    })
                    .collect();
                children.push(std::mem::replace(
                    &mut compiled.explanation.tree,
                    query::QueryNode {
                        label: "filtered (the filters add no score)".to_owned(),
                        children: Vec::new(),
                    },
                ));
                compiled.explanation.tree.children = children;
            }
        }
        let mut highlighter = highlight::Highlighter::new(&compiled.patterns);
        let analysed = Instant::now();
        let searcher = live.reader.searcher();
        let orders = live.orders.open(&searcher)?;
        // No search returns more than the index's paragraphs: a limit beyond them (an
        // embedder's `usize::MAX` for "all") must not size the collectors' heaps.
        let paragraphs = usize::try_from(searcher.num_docs()).unwrap_or(usize::MAX);
        let limit = options.limit.min(paragraphs).max(1);
        let (top, total_hits) = match &compiled.count {
            // Counted apart, the top hits are found with pruning.
            // Counted first: with no match at all, no tier needs to run (a query with no
            // hits would otherwise pay for every tier).
            Some(count) => match count_matches(&searcher, count.as_ref())? {
                0 => (Vec::new(), 0),
                total => (
                    top_of_tiers(
                        &searcher,
                        &orders,
                        &compiled.tiers,
                        compiled.exclude.as_deref(),
                        limit,
                    )?,
                    total,
                ),
            },
            None => match compiled.tiers[0].downcast_ref::<spaced::SpacedWords>() {
                Some(spaced) => spaced.top_and_count(&searcher, &orders, limit)?,
                None => {
                    let collector = top::Top {
                        limit,
                        exclude: None,
                        orders: &orders,
                        count: true,
                    };
                    searcher.search(&compiled.tiers[0], &collector)?
                }
            },
        };
        let searched = Instant::now();
        let mut hits = Vec::with_capacity(top.len());
        let stores = live.stores.open(&searcher)?;
        for (rank, (score, address)) in top.into_iter().enumerate() {
            let crate::index::Record {
                paragraph,
                metadata,
                plain,
                ..
            } = stores.record(&searcher, address)?;
            let highlights = highlighter.highlights(&paragraph.text, plain);
            let budget = match paragraph.lang {
                Lang::En => options.snippet_chars.saturating_mul(2),
                Lang::Zh | Lang::Und => options.snippet_chars,
            };
            let snippet = highlight::snippet(&paragraph.text, &highlights, budget);
            let parallel = if options.parallel {
                Some(parallel_of(&searcher, &live.fields, &stores, &paragraph)?)
            } else {
                None
            };
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
                metadata,
                lang: paragraph.lang,
                parallel,
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

/// A value made once per searcher generation (a reload makes a new one) and shared by the
/// searches of that generation: per-segment readers whose opening a small search should
/// not pay every time.
pub(crate) struct PerGeneration<T>(Arc<Mutex<Option<(u64, T)>>>);

impl<T> Clone for PerGeneration<T> {
    fn clone(&self) -> Self {
        PerGeneration(self.0.clone())
    }
}

impl<T> Default for PerGeneration<T> {
    fn default() -> Self {
        PerGeneration(Arc::default())
    }
}

impl<T: Clone> PerGeneration<T> {
    /// The value for `searcher`'s generation, made by `make` if this is its first use.
    pub(crate) fn get<E>(
        &self,
        searcher: &tantivy::Searcher,
        make: impl FnOnce() -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let generation = searcher.generation().generation_id();
        let mut made = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, value)) = made.as_ref().filter(|(g, _)| *g == generation) {
            return Ok(value.clone());
        }
        let value = make()?;
        *made = Some((generation, value.clone()));
        Ok(value)
    }
}

/// How many paragraphs `query` matches: `query.count`, except that a single term in
/// segments without deletions is read from the term dictionaries alone (tantivy builds a
/// scoring weight first, whose BM25 table alone was a tenth of counting a term).
fn count_matches(searcher: &tantivy::Searcher, query: &dyn Query) -> Result<usize> {
    let segments = searcher.segment_readers();
    if let Some(term) = query.downcast_ref::<TermQuery>().map(TermQuery::term) {
        if segments.iter().all(|segment| !segment.has_deletes()) {
            let mut total = 0;
            for segment in segments {
                let index = segment.inverted_index(term.field())?;
                total += index.doc_freq(term).map_err(tantivy::TantivyError::from)? as usize;
            }
            return Ok(total);
        }
    }
    Ok(query.count(searcher)?)
}

/// The best `limit` hits of the tiers, taken in order: a tier's new hits all rank below the
/// tiers before it. Each tier matches a superset of the one before, and runs only when the
/// ones before gave fewer hits than asked for, that is all they have: so its best `limit`
/// hold every new hit it can add. So that scores fall as ranks do, a lower tier's scores are
/// scaled to stay below the last score above (the order within the tier is kept).
fn top_of_tiers(
    searcher: &tantivy::Searcher,
    orders: &top::Orders,
    tiers: &[Box<dyn Query>],
    exclude: Option<&dyn Query>,
    limit: usize,
) -> Result<Vec<(f32, tantivy::DocAddress)>> {
    let exclude = exclude
        .map(|q| {
            q.weight(tantivy::query::EnableScoring::disabled_from_searcher(
                searcher,
            ))
        })
        .transpose()?;
    let mut top: Vec<(f32, tantivy::DocAddress)> = Vec::with_capacity(limit);
    for tier in tiers {
        if top.len() >= limit {
            break;
        }
        let seen: std::collections::HashSet<tantivy::DocAddress> =
            top.iter().map(|(_, address)| *address).collect();
        let collector = top::Top {
            limit,
            exclude: exclude.as_deref(),
            orders,
            count: false,
        };
        let mut hits = searcher.search(tier, &collector)?.0;
        hits.retain(|(_, address)| !seen.contains(address));
        hits.truncate(limit - top.len());
        if let (Some(&(floor, _)), Some(&(best, _))) = (top.last(), hits.first()) {
            if best >= floor && best > 0.0 {
                let scale = floor * 0.99 / best;
                for (score, _) in &mut hits {
                    *score *= scale;
                }
            }
        }
        top.extend(hits);
    }
    Ok(top)
}

/// The paragraph of `p`'s document in the other language (Chinese for English, English for
/// Chinese) that corresponds to it, by [`counterpart`]. Paragraphs of neither language
/// (`und`: numbers, symbols) are no one's counterpart.
fn parallel_of(
    searcher: &tantivy::Searcher,
    fields: &Fields,
    stores: &stored::OpenStores<'_>,
    p: &Paragraph,
) -> Result<Option<Parallel>> {
    let other = match p.lang {
        crate::Lang::Zh => crate::Lang::En,
        crate::Lang::En => crate::Lang::Zh,
        crate::Lang::Und => return Ok(None),
    };
    let in_lang = |lang: crate::Lang| -> Result<Vec<Paragraph>> {
        let query = BooleanQuery::new(vec![
            (
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(fields.doc, &p.doc),
                    IndexRecordOption::Basic,
                )) as Box<dyn Query>,
            ),
            (
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(fields.lang, lang.code()),
                    IndexRecordOption::Basic,
                )),
            ),
        ]);
        // A parallel document has a counterpart per paragraph; more than this many
        // paragraphs in one language is not one.
        const MAX_CANDIDATES: usize = 10_000;
        let candidates = searcher.search(
            &query,
            &TopDocs::with_limit(MAX_CANDIDATES).order_by_score(),
        )?;
        let mut paragraphs = Vec::with_capacity(candidates.len());
        for (_, address) in candidates {
            paragraphs.push(stores.record(searcher, address)?.paragraph);
        }
        Ok(paragraphs)
    };
    let mut others = in_lang(other)?;
    let chosen = counterpart(p, &others, || in_lang(p.lang))?;
    Ok(chosen.map(|i| {
        let o = others.swap_remove(i);
        Parallel {
            lang: o.lang,
            text: o.text,
            paragraph: o.number,
        }
    }))
}

/// Which of `others`, the paragraphs of `p`'s document in the other language, is `p`'s
/// counterpart (its index), if any:
///
/// * a numbered paragraph's is the one with the same number. Only when the other language
///   numbers none of its paragraphs is it the only one of the same kind: where both sides
///   are numbered, a number missing on one side is a paragraph missing there, and the
///   other side's single paragraph is the translation of another number;
/// * an unnumbered paragraph's is the only unnumbered one of the same kind (a title pairs
///   with the title, whatever numbered paragraphs follow it). Failing that, it is the
///   numbered paragraph that picks it by the rule above, so that a pair reads the same
///   from both sides; `own` (the paragraphs of `p`'s language) is read for that only.
///
/// A block of another kind is never a counterpart: the English cover-page metadata of a
/// Chinese document is not the translation of its title.
fn counterpart(
    p: &Paragraph,
    others: &[Paragraph],
    own: impl FnOnce() -> Result<Vec<Paragraph>>,
) -> Result<Option<usize>> {
    let only = |mut matching: Box<dyn Iterator<Item = usize> + '_>| match (
        matching.next(),
        matching.next(),
    ) {
        (Some(i), None) => Some(i),
        _ => None,
    };
    let of_kind = |numbered: Option<bool>| -> Box<dyn Iterator<Item = usize> + '_> {
        Box::new(
            (0..others.len())
                .filter(move |&i| others[i].kind == p.kind)
                .filter(move |&i| numbered.is_none_or(|n| others[i].number.is_some() == n)),
        )
    };
    if let Some(n) = p.number {
        if let Some(i) = others.iter().position(|o| o.number == Some(n)) {
            return Ok(Some(i));
        }
        if others.iter().any(|o| o.number.is_some()) {
            return Ok(None);
        }
        return Ok(only(of_kind(None)));
    }
    if let Some(i) = only(of_kind(Some(false))) {
        return Ok(Some(i));
    }
    // The rule seen from a numbered paragraph of the other side: it picks `p` when `p`'s
    // language numbers nothing and `p` is the only one of its kind there.
    let Some(i) = only(of_kind(Some(true))) else {
        return Ok(None);
    };
    let own = own()?;
    let picked = own.iter().all(|q| q.number.is_none())
        && own.iter().filter(|q| q.kind == p.kind).count() == 1;
    Ok(picked.then_some(i))
}

/// Real text for the search modules' unit tests (integration tests have `tests/common`).
#[cfg(test)]
pub(crate) mod test_corpus {
    use std::io::BufRead;
    use std::path::Path;

    use crate::{IndexBuilder, IndexUpdater, Paragraph};

    /// The first `n` paragraphs of the government work reports.
    pub(crate) fn work_reports(n: usize) -> Vec<String> {
        texts("prc-gov-work-reports.zh.jsonl.gz", n)
    }

    /// The texts of the first `n` records of the shared corpus `name`.
    pub(crate) fn texts(name: &str, n: usize) -> Vec<String> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data")
            .join(name);
        let file = std::fs::File::open(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (the shared corpora beside the checkout)",
                path.display()
            )
        });
        std::io::BufReader::new(flate2::read::GzDecoder::new(file))
            .lines()
            .take(n)
            .map(|line| {
                let v: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
                v["text"].as_str().unwrap().to_owned()
            })
            .collect()
    }

    /// `texts` as the paragraphs of document `doc`, numbered from 0.
    pub(crate) fn paragraphs(doc: &str, texts: &[String]) -> Vec<Paragraph> {
        texts
            .iter()
            .enumerate()
            .map(|(i, t)| Paragraph::new(doc, i as u32, t.as_str()))
            .collect()
    }

    /// A searcher of an index (in the directory returned with it) of 3,000 work-report
    /// paragraphs in two documents (`a`, `b`), then an update that adds a document (`c`)
    /// and replaces `b` by one paragraph: segments apart, and deleted paragraphs in the
    /// first.
    pub(crate) fn work_reports_searcher() -> (tempfile::TempDir, crate::Searcher) {
        let dir = tempfile::tempdir().unwrap();
        work_reports_index(dir.path());
        let searcher = crate::Index::open(dir.path()).unwrap().searcher();
        (dir, searcher)
    }

    fn work_reports_index(dir: &Path) {
        let texts = work_reports(3000);
        let mut builder = IndexBuilder::create(dir).unwrap();
        let (first, second) = texts.split_at(1500);
        for (doc, part) in [("a", first), ("b", second)] {
            builder.add_paragraphs(doc, &paragraphs(doc, part)).unwrap();
        }
        builder.commit().unwrap();
        let mut update = IndexUpdater::open(dir).unwrap().keeping_deletions();
        update
            .add_text("c", "1. 经济发展，改革开放。\n\n2. 发展经济，深化改革。")
            .unwrap();
        update.remove("b").unwrap();
        update
            .add_paragraphs("b", &[Paragraph::new("b", 0, "改革 经济 发展")])
            .unwrap();
        update.commit().unwrap();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shipped document, and a memo added by an update.
    fn small_index(dir: &std::path::Path) -> Index {
        let text = include_str!("../../../../index-data/us-hrc-pledges-2021.zh.txt");
        let mut builder = crate::IndexBuilder::create(dir).unwrap();
        builder.add_text("pledges", text).unwrap();
        builder.commit().unwrap();
        let mut update = crate::IndexUpdater::open(dir).unwrap();
        update
            .add_text(
                "memo",
                "1. 美国承诺打击人口贩运，促进言论自由。\n\n2. 人权理事会。",
            )
            .unwrap();
        update.commit().unwrap();
        Index::open(dir).unwrap()
    }

    #[test]
    fn a_limit_beyond_the_paragraphs_returns_every_hit() {
        // An embedder asking for "all" with `usize::MAX` got a capacity overflow panic, and
        // `1 << 40` an aborted allocation.
        let dir = tempfile::tempdir().unwrap();
        let searcher = small_index(dir.path()).searcher();
        let paragraphs = searcher.live().reader.searcher().num_docs() as usize;
        for q in ["人权", "承诺", "美国 人权", "\"人权理事会\"", "人权 -美国"] {
            let all = searcher.search(q, paragraphs).unwrap();
            assert!(all.total_hits > 3, "{q}: {} hits", all.total_hits);
            assert_eq!(all.hits.len(), all.total_hits, "{q}");
            for limit in [paragraphs + 1, 1 << 40, usize::MAX] {
                let results = searcher.search(q, limit).unwrap();
                assert_eq!(results.total_hits, all.total_hits, "{q}, {limit}");
                let ranked = |r: &SearchResults| -> Vec<(String, Option<u32>)> {
                    r.hits
                        .iter()
                        .map(|h| (h.doc.clone(), h.paragraph))
                        .collect()
                };
                assert_eq!(ranked(&results), ranked(&all), "{q}, {limit}");
            }
        }
    }

    #[test]
    fn a_word_written_with_a_typographic_apostrophe_is_found_by_the_word() {
        // The UN General Debates write `women’s` forty times as often as `women's`.
        let texts = test_corpus::texts("un-general-debates-2015-2024.en.jsonl.gz", 300);
        let dir = tempfile::tempdir().unwrap();
        let mut builder = crate::IndexBuilder::create(dir.path()).unwrap();
        builder
            .add_paragraphs("d", &test_corpus::paragraphs("d", &texts))
            .unwrap();
        builder.commit().unwrap();
        let searcher = Index::open(dir.path()).unwrap().searcher();
        let hits_of = |query: &str| {
            let hits = searcher.search(query, 10_000).unwrap().hits;
            hits.into_iter()
                .map(|h| (h.text, h.highlights))
                .collect::<std::collections::BTreeMap<_, _>>()
        };
        let mut checked = 0;
        for word in ["Government", "country", "world", "people"] {
            let curly = format!("{word}’s");
            let found = hits_of(word);
            for text in texts.iter().filter(|t| t.contains(&curly)) {
                let highlights = found
                    .get(text)
                    .unwrap_or_else(|| panic!("{word} misses a paragraph with {curly}"));
                assert!(
                    highlights.iter().any(|h| text[h.start..h.end] == curly),
                    "{curly} is not highlighted whole"
                );
                checked += 1;
            }
            // The possessive, typed either way, finds what the word finds.
            for query in [curly.clone(), format!("{word}'s")] {
                assert_eq!(
                    hits_of(&query).keys().collect::<Vec<_>>(),
                    found.keys().collect::<Vec<_>>(),
                    "{query}"
                );
            }
        }
        assert!(checked >= 10, "only {checked} paragraphs with a possessive");
    }

    #[test]
    fn an_update_that_removes_documents_leaves_no_deleted_paragraph_in_a_small_segment() {
        // A deleted paragraph counts in its segment's BM25 statistics until the segment is
        // rewritten: scores after the update differed from a fresh build's by up to 3.3%.
        let texts = test_corpus::work_reports(1500);
        let parts: Vec<(&str, &[String])> = vec![
            ("a", &texts[..500]),
            ("b", &texts[500..1000]),
            ("c", &texts[1000..]),
        ];
        let build = |dir: &std::path::Path, docs: &[(&str, &[String])]| {
            let mut builder = crate::IndexBuilder::create(dir).unwrap();
            for (doc, part) in docs {
                builder
                    .add_paragraphs(doc, &test_corpus::paragraphs(doc, part))
                    .unwrap();
            }
            builder.commit().unwrap();
        };
        let (updated, fresh) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        build(updated.path(), &parts);
        let mut update = crate::IndexUpdater::open(updated.path()).unwrap();
        update.remove("b").unwrap();
        update.commit().unwrap();
        build(fresh.path(), &[parts[0], parts[2]]);

        let updated = Index::open(updated.path()).unwrap();
        for meta in updated.tantivy().searchable_segment_metas().unwrap() {
            assert!(!meta.has_deletes(), "{} deleted", meta.num_deleted_docs());
        }
        let (updated, fresh) = (
            updated.searcher(),
            Index::open(fresh.path()).unwrap().searcher(),
        );
        for query in ["经济", "发展", "改革 开放", "人民", "\"社会主义\""] {
            let (u, f) = (
                updated.search(query, 10).unwrap(),
                fresh.search(query, 10).unwrap(),
            );
            assert_eq!(u.total_hits, f.total_hits, "{query}");
            // Close, not equal (1.4% at most here): tantivy estimates a rewritten segment's
            // average length from its paragraphs' one-byte length codes.
            for (a, b) in u.hits.iter().zip(&f.hits) {
                let off = (a.score / b.score - 1.0).abs();
                assert!(
                    off < 0.02,
                    "{query}: {off} ({} against {})",
                    a.score,
                    b.score
                );
            }
        }
    }

    #[test]
    fn a_term_is_counted_as_tantivy_counts_it_with_and_without_deletions() {
        // Without deletions the term dictionaries answer; with them, tantivy's count.
        let texts = test_corpus::work_reports(1500);
        let dir = tempfile::tempdir().unwrap();
        let mut builder = crate::IndexBuilder::create(dir.path()).unwrap();
        builder
            .add_paragraphs("a", &test_corpus::paragraphs("a", &texts))
            .unwrap();
        builder.commit().unwrap();
        let whole = Index::open(dir.path()).unwrap().searcher();
        let (_updated_dir, updated) = test_corpus::work_reports_searcher();
        for (searcher, deletions) in [(&whole, false), (&updated, true)] {
            let live = searcher.live();
            let tantivy_searcher = live.reader.searcher();
            let segments = tantivy_searcher.segment_readers();
            assert_eq!(
                segments.iter().any(|s| s.has_deletes()),
                deletions,
                "the index this case needs"
            );
            let fields = live.fields;
            let mut counted = 0;
            for (field, text) in [
                (fields.body, "经济"),
                (fields.body, "改革开放"),
                (fields.body, "gdp"),
                (fields.grams, "发展"),
                (fields.grams, "济发"),
                (fields.chars, "税"),
                (fields.chars, "镕"),
                (fields.body, "没有这个词语"),
            ] {
                let query =
                    TermQuery::new(Term::from_field_text(field, text), IndexRecordOption::Basic);
                let ours = count_matches(&tantivy_searcher, &query).unwrap();
                assert_eq!(ours, query.count(&tantivy_searcher).unwrap(), "{text}");
                counted += ours;
            }
            assert!(counted > 1000, "the terms must be found: {counted}");
        }
    }

    #[test]
    fn concurrent_searches_each_get_a_word_analyzer_and_answer_as_one_alone() {
        let dir = tempfile::tempdir().unwrap();
        let index = small_index(dir.path());
        let searcher = index.searcher();
        let queries = [
            "人口贩运",
            "國際勞工組織",
            "宗教 自由",
            "\"人权理事会\"",
            "贩",
        ];
        let alone: Vec<Vec<(String, Option<u32>, f32)>> = queries
            .iter()
            .map(|q| {
                let r = searcher.search(q, 20).unwrap();
                assert!(r.total_hits > 0, "{q}");
                r.hits
                    .iter()
                    .map(|h| (h.doc.clone(), h.paragraph, h.score))
                    .collect()
            })
            .collect();

        // A search compiling while the only analyzer is taken makes itself another.
        let taken = searcher.inner.words.lock().unwrap().pop().unwrap();
        assert_eq!(
            searcher.search(queries[1], 20).unwrap().hits.len(),
            alone[1].len()
        );
        searcher.inner.words.lock().unwrap().push(taken);
        assert_eq!(searcher.inner.words.lock().unwrap().len(), 2);

        std::thread::scope(|scope| {
            for t in 0..4 {
                let (searcher, alone) = (&searcher, &alone);
                scope.spawn(move || {
                    for round in 0..20 {
                        let i = (t + round) % queries.len();
                        let r = searcher.search(queries[i], 20).unwrap();
                        let hits: Vec<_> = r
                            .hits
                            .iter()
                            .map(|h| (h.doc.clone(), h.paragraph, h.score))
                            .collect();
                        assert_eq!(hits, alone[i], "{}", queries[i]);
                    }
                });
            }
        });
        let idle = searcher.inner.words.lock().unwrap().len();
        assert!(
            (2..=4).contains(&idle),
            "{idle} analyzers for at most 4 at once"
        );
    }

    #[test]
    fn a_query_compiles_to_the_same_tantivy_queries_with_or_without_its_explanation() {
        let dir = tempfile::tempdir().unwrap();
        let index = small_index(dir.path());
        let searcher = index.searcher();
        let fields = searcher.live().fields;
        for query in [
            "人口贩运",
            "人权",
            "\"人权理事会\" OR 言论自由",
            "宗教 自由 -国会",
            "the commitment of trafficking",
            "贩",
        ] {
            let parsed = query::parse(query).unwrap();
            let grams = searcher.inner.grams.clone();
            let compiled =
                |explain| searcher.compile(&fields, &parsed, &mut grams.clone(), explain);
            let (plain, explained) = (compiled(false).unwrap(), compiled(true).unwrap());
            let debug = |c: &query::Compiled| format!("{:?} {:?}", c.tiers, c.count);
            assert_eq!(debug(&plain), debug(&explained), "{query}");
            assert!(plain.explanation.clauses.is_empty(), "{query}");
            assert!(!explained.explanation.clauses.is_empty(), "{query}");
            assert!(
                explained.explanation.tree.render().contains("body"),
                "{query}"
            );
        }
    }
}

/// Equal scores rank in the same order however the index was built (`search::top`).
#[cfg(test)]
mod tie_order_tests {
    use crate::index::tie_order;
    use crate::{Index, IndexBuilder, IndexUpdater, Paragraph, Searcher};

    /// 4,000 prc-laws articles as forty laws of a hundred, numbered from 1 in each.
    fn laws() -> Vec<(String, Vec<Paragraph>)> {
        let texts = super::test_corpus::texts("prc-laws.zh.jsonl.gz", 4_000);
        texts
            .chunks(100)
            .enumerate()
            .map(|(i, chunk)| {
                let doc = format!("law-{i:02}");
                let paragraphs = chunk
                    .iter()
                    .enumerate()
                    .map(|(ordinal, text)| {
                        let mut p = Paragraph::new(doc.as_str(), ordinal as u32, text.as_str());
                        p.number = Some(ordinal as u32 + 1);
                        p
                    })
                    .collect();
                (doc, paragraphs)
            })
            .collect()
    }

    /// An index of `first` built at once and `then` added by an update: a segment each at
    /// least, and documents in the order given.
    fn build(
        dir: &std::path::Path,
        first: &[&(String, Vec<Paragraph>)],
        then: &[&(String, Vec<Paragraph>)],
    ) -> Searcher {
        let mut builder = IndexBuilder::create(dir).unwrap();
        for (doc, paragraphs) in first {
            builder.add_paragraphs(doc, paragraphs).unwrap();
        }
        builder.commit().unwrap();
        let mut update = IndexUpdater::open(dir).unwrap();
        for (doc, paragraphs) in then {
            update.add_paragraphs(doc, paragraphs).unwrap();
        }
        update.commit().unwrap();
        Index::open(dir).unwrap().searcher()
    }

    #[test]
    fn equal_scores_rank_the_same_whatever_the_build() {
        let laws = laws();
        let (even, odd): (Vec<_>, Vec<_>) = laws
            .iter()
            .partition(|(doc, _)| doc.ends_with(['0', '2', '4', '6', '8']));
        let odd_backwards: Vec<_> = odd.iter().rev().copied().collect();
        let even_backwards: Vec<_> = even.iter().rev().copied().collect();
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        // The same laws, in segments whose tie orders interleave: one way the even laws
        // built and the odd ones added by an update, the other way round and backwards.
        let one = build(a.path(), &even, &odd);
        let other = build(b.path(), &odd_backwards, &even_backwards);
        for searcher in [&one, &other] {
            let segments = searcher.live().reader.searcher().segment_readers().len();
            assert!(segments >= 2, "{segments} segment(s)");
        }
        let mut tied_queries = 0;
        // A word, a character, a compound, two words, a phrase, an exclusion.
        for q in [
            "本条例",
            "条",
            "人民政府",
            "规定 罚款",
            "\"有关部门\"",
            "规定 -罚款",
        ] {
            let hits = |searcher: &Searcher, limit: usize| {
                let results = searcher.search(q, limit).unwrap();
                let hits: Vec<(String, u32, f32)> = results
                    .hits
                    .iter()
                    .map(|h| (h.doc.clone(), h.paragraph.unwrap() - 1, h.score))
                    .collect();
                (hits, results.total_hits)
            };
            let (every, total) = hits(&one, 400);
            assert!(total > 10, "{q}: {total} hits");
            assert_eq!(hits(&other, 400), (every.clone(), total), "{q}");
            // The documented order: by score, then the tie order (document, then ordinal).
            let mut expected = every.clone();
            expected.sort_by(|x, y| {
                y.2.total_cmp(&x.2)
                    .then_with(|| tie_order(&x.0, x.1).cmp(&tie_order(&y.0, y.1)))
            });
            assert_eq!(every, expected, "{q}");
            if every.windows(2).any(|w| w[0].2 == w[1].2) {
                tied_queries += 1;
            }
            // Fewer hits are the first of these, in both indexes: a tie at the last rank
            // goes to the same paragraph.
            for limit in [1, 3, 10, 25] {
                let prefix = every[..limit.min(every.len())].to_vec();
                assert_eq!(hits(&one, limit).0, prefix, "{q}, {limit} hits");
                assert_eq!(hits(&other, limit).0, prefix, "{q}, {limit} hits");
            }
        }
        assert!(
            tied_queries >= 3,
            "only {tied_queries} queries met equal scores"
        );
    }
}
