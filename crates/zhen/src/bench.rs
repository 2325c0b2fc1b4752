//! Query-latency measurement: the engine of `zhen bench`.
//!
//! Runs a query set for a number of warm-up and measured iterations, on one or more
//! threads sharing one [`Searcher`], and reports per-query and overall latency
//! percentiles (each query's full `search`, top hits with highlights and snippets, as a
//! user gets them), throughput, and where the time goes by phase.

use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::search::{SearchOptions, Searcher};

/// A query of a bench set, with the class it stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct BenchQuery {
    /// The class, e.g. `compound` or `single character`.
    pub class: String,
    /// The query text.
    pub query: String,
    /// The 1-based line of the query file it was read from ([`parse_queries`]); `None`
    /// for a query made otherwise.
    #[serde(skip)]
    pub line: Option<usize>,
}

impl BenchQuery {
    /// A query of the given class.
    pub fn new(class: &str, query: &str) -> BenchQuery {
        BenchQuery {
            class: class.to_owned(),
            query: query.to_owned(),
            line: None,
        }
    }
}

/// The built-in query set: every class of query zhen handles, in the vocabulary of UN
/// documents and of PRC laws and reports (the corpora zhen ships with or is tested on).
pub fn builtin_queries() -> Vec<BenchQuery> {
    [
        ("word", "人权"),
        ("word", "法院"),
        ("compound", "人口贩运"),
        ("compound", "人民法院"),
        ("compound", "国际劳工组织"),
        ("sub-word", "劳工"),
        ("sub-word", "贩运"),
        ("single character", "贩"),
        ("single character", "税"),
        ("two words", "宗教 自由"),
        ("two words", "合同 违约"),
        ("unspaced words", "宗教自由"),
        ("phrase", "\"表达自由\""),
        ("phrase", "\"依法追究刑事责任\""),
        ("English", "general"),
        ("English", "WTO"),
        ("traditional", "國際勞工組織"),
        ("traditional", "勞動合同"),
        ("full-width", "１５５７"),
        ("full-width", "２０２０"),
        ("exclusion", "人口贩运 -国会"),
    ]
    .iter()
    .map(|(class, query)| BenchQuery::new(class, query))
    .collect()
}

/// The form of a query-file line, for messages.
const QUERY_LINE: &str = "write one query per line, as `QUERY` or `CLASS<TAB>QUERY`";

/// Reads and parses a query file, in any encoding a source may have (see
/// [`crate::source`]); see [`parse_queries`].
pub fn read_queries(path: &Path) -> Result<Vec<BenchQuery>> {
    let text = crate::source::read(path)?.text;
    // A byte-order mark (as editors on Windows save UTF-8) is not part of the first query.
    parse_queries(path, text.strip_prefix('\u{feff}').unwrap_or(&text))
}

/// Parses a query file (`path` is only used in error messages): one query per line, as
/// `QUERY` (class `query`) or `CLASS<TAB>QUERY`; blank lines and `#` comments are skipped.
///
/// Every query must parse as `zhen search` would parse it ([`Error::QueryInFile`]
/// otherwise). Any other line is an error naming it, as is a file with no query: read leniently,
/// `word<TAB>` ran the query `word` and `a<TAB>b<TAB>c` the query `b<TAB>c`, so the figures
/// were of queries nobody wrote.
pub fn parse_queries(path: &Path, text: &str) -> Result<Vec<BenchQuery>> {
    let mut out = Vec::new();
    for (i, line) in crate::document::lines(text).enumerate() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let bad = |reason: &str| Error::QueryFile {
            path: path.to_path_buf(),
            line: i + 1,
            reason: format!("{reason}; {QUERY_LINE}"),
        };
        let mut columns: Vec<&str> = line.split('\t').map(str::trim).collect();
        // A tab after `CLASS<TAB>QUERY`, as a spreadsheet leaves it (and as `eval` reads
        // its files, an empty notes column), ends the line.
        if columns.len() == 3 && columns[2].is_empty() {
            columns.pop();
        }
        let mut query = match columns.as_slice() {
            [query] => BenchQuery::new("query", query),
            ["", _] => return Err(bad("the class before the tab is empty")),
            [_, ""] => return Err(bad("the query after the tab is empty")),
            [class, query] => BenchQuery::new(class, query),
            _ => {
                return Err(bad(&format!(
                    "the line has {} tabs, not one",
                    columns.len() - 1
                )))
            }
        };
        // Checked here, with the file and line at hand, so that a bad query stops the bench
        // before any timing rather than as a bare query error partway through.
        crate::search::parse(&query.query).map_err(|source| Error::QueryInFile {
            path: path.to_path_buf(),
            line: i + 1,
            source,
        })?;
        query.line = Some(i + 1);
        out.push(query);
    }
    if out.is_empty() {
        return Err(Error::NoQueries {
            path: path.to_path_buf(),
            hint: QUERY_LINE,
        });
    }
    Ok(out)
}

/// How to run a bench.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BenchOptions {
    /// Measured passes over the query set (per thread).
    pub iters: usize,
    /// Unmeasured passes first, to warm caches.
    pub warmup: usize,
    /// Threads searching concurrently.
    pub threads: usize,
    /// Hits per query.
    pub limit: usize,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            iters: 100,
            warmup: 10,
            threads: 1,
            limit: 10,
        }
    }
}

/// Latency percentiles in microseconds.
#[derive(Debug, Clone, Copy, Default, Serialize)]
#[non_exhaustive]
pub struct Percentiles {
    /// Median.
    pub p50_us: f64,
    /// 95th percentile.
    pub p95_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
    /// Slowest.
    pub max_us: f64,
}

impl Percentiles {
    /// Percentiles of a set of samples (nearest-rank).
    pub fn of(samples: &mut [Duration]) -> Percentiles {
        if samples.is_empty() {
            return Percentiles::default();
        }
        samples.sort_unstable();
        let at = |q: f64| {
            let rank = ((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len());
            samples[rank - 1].as_secs_f64() * 1e6
        };
        Percentiles {
            p50_us: at(0.50),
            p95_us: at(0.95),
            p99_us: at(0.99),
            max_us: at(1.0),
        }
    }
}

/// One query's figures.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct QueryFigures {
    /// The query.
    pub query: String,
    /// Its class.
    pub class: String,
    /// Total matching paragraphs.
    pub hits: usize,
    /// Its latency percentiles.
    #[serde(flatten)]
    pub latency: Percentiles,
    /// Its mean time per phase: where this query's time goes.
    pub phases_us: Phases,
}

/// Overall figures.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Overall {
    /// Latency percentiles over all measured searches.
    #[serde(flatten)]
    pub latency: Percentiles,
    /// Searches per second over the measured passes (all threads).
    pub qps: f64,
}

/// Mean time per search in each phase, in microseconds.
#[derive(Debug, Clone, Copy, Serialize)]
#[non_exhaustive]
pub struct Phases {
    /// Query parsing and analysis.
    pub analyse: f64,
    /// Matching and scoring.
    pub search: f64,
    /// Stored fields, highlights and snippets.
    pub fetch: f64,
}

/// The result of [`run`].
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct BenchReport {
    /// Measured passes per thread.
    pub iters: usize,
    /// Threads.
    pub threads: usize,
    /// All searches.
    pub overall: Overall,
    /// Per query, in set order.
    pub queries: Vec<QueryFigures>,
    /// Mean phase times.
    pub phases_us: Phases,
}

/// Runs the bench.
pub fn run(
    searcher: &Searcher,
    queries: &[BenchQuery],
    options: &BenchOptions,
) -> Result<BenchReport> {
    let search_options = SearchOptions::with_limit(options.limit.max(1));
    let mut hits = Vec::with_capacity(queries.len());
    for q in queries {
        hits.push(searcher.search_with(&q.query, &search_options)?.total_hits);
    }
    for _ in 0..options.warmup {
        for q in queries {
            searcher.search_with(&q.query, &search_options)?;
        }
    }
    let threads = options.threads.max(1);
    let started = Instant::now();
    // Per thread: per query latencies, and phase sums.
    type ThreadResult = Result<(Vec<Vec<Duration>>, Vec<[Duration; 3]>)>;
    let results: Vec<ThreadResult> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let searcher = searcher.clone();
                let search_options = search_options.clone();
                scope.spawn(move || -> ThreadResult {
                    let mut latencies = vec![Vec::with_capacity(options.iters); queries.len()];
                    let mut phases = vec![[Duration::ZERO; 3]; queries.len()];
                    for _ in 0..options.iters {
                        for (i, q) in queries.iter().enumerate() {
                            let t = Instant::now();
                            let r = searcher.search_with(&q.query, &search_options)?;
                            latencies[i].push(t.elapsed());
                            phases[i][0] += r.timings.analyse;
                            phases[i][1] += r.timings.search;
                            phases[i][2] += r.timings.fetch;
                        }
                    }
                    Ok((latencies, phases))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("bench thread panicked"))
            .collect()
    });
    let wall = started.elapsed();
    let mut per_query: Vec<Vec<Duration>> = vec![Vec::new(); queries.len()];
    let mut phases = vec![[Duration::ZERO; 3]; queries.len()];
    for result in results {
        let (latencies, p) = result?;
        for (all, mine) in per_query.iter_mut().zip(latencies) {
            all.extend(mine);
        }
        for (sums, mine) in phases.iter_mut().zip(p) {
            for (a, b) in sums.iter_mut().zip(mine) {
                *a += b;
            }
        }
    }
    let mut all: Vec<Duration> = per_query.iter().flatten().copied().collect();
    let searches = all.len().max(1) as f64;
    let overall = Overall {
        latency: Percentiles::of(&mut all),
        qps: searches / wall.as_secs_f64().max(1e-9),
    };
    let means = |sums: [Duration; 3], n: f64| {
        let us = |d: Duration| d.as_secs_f64() * 1e6 / n.max(1.0);
        Phases {
            analyse: us(sums[0]),
            search: us(sums[1]),
            fetch: us(sums[2]),
        }
    };
    let per_query_searches = (options.iters * threads) as f64;
    let queries = queries
        .iter()
        .zip(per_query.iter_mut())
        .zip(hits)
        .zip(&phases)
        .map(|(((q, samples), hits), sums)| QueryFigures {
            query: q.query.clone(),
            class: q.class.clone(),
            hits,
            latency: Percentiles::of(samples),
            phases_us: means(*sums, per_query_searches),
        })
        .collect();
    let total = phases.iter().fold([Duration::ZERO; 3], |mut acc, sums| {
        for (a, b) in acc.iter_mut().zip(sums) {
            *a += *b;
        }
        acc
    });
    Ok(BenchReport {
        iters: options.iters,
        threads,
        overall,
        queries,
        phases_us: means(total, searches),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut samples: Vec<Duration> = (1..=100).map(Duration::from_micros).collect();
        let p = Percentiles::of(&mut samples);
        assert_eq!(
            (p.p50_us, p.p95_us, p.p99_us, p.max_us),
            (50.0, 95.0, 99.0, 100.0)
        );
    }

    #[test]
    fn query_files_in_the_encodings_of_sources_and_with_a_trailing_tab() {
        // A GBK or UTF-16 file was "stream did not contain valid UTF-8", with no byte
        // named; `CLASS<TAB>QUERY<TAB>` was "the line has 2 tabs".
        let dir = tempfile::tempdir().unwrap();
        let text = "compound\t人口贩运\t\r\n劳工\r\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        for (name, bytes) in [("gbk.txt", gbk.to_vec()), ("utf16.txt", utf16)] {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            let queries: Vec<(String, String)> = read_queries(&path)
                .unwrap()
                .into_iter()
                .map(|q| (q.class, q.query))
                .collect();
            assert_eq!(
                queries,
                [
                    ("compound".to_owned(), "人口贩运".to_owned()),
                    ("query".to_owned(), "劳工".to_owned())
                ],
                "{name}"
            );
        }
        let binary = dir.path().join("q.bin");
        std::fs::write(&binary, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
        let err = read_queries(&binary).unwrap_err().to_string();
        assert!(err.contains("q.bin") && err.contains("byte"), "{err}");
    }

    #[test]
    fn query_files() {
        let q = parse_queries(Path::new("q.txt"), "# set\ncompound\t人口贩运\n劳工\n\n").unwrap();
        let at = |mut query: BenchQuery, line| {
            query.line = Some(line);
            query
        };
        assert_eq!(
            q,
            [
                at(BenchQuery::new("compound", "人口贩运"), 2),
                at(BenchQuery::new("query", "劳工"), 3)
            ]
        );
        assert!(builtin_queries().len() >= 16);
        // Lines ending in a lone CR (classic Mac OS) were one line, whose tabs made it
        // "a line of another form".
        let mac = parse_queries(Path::new("q.txt"), "# set\rcompound\t人口贩运\r劳工\r").unwrap();
        assert_eq!(mac, q);
    }

    #[test]
    fn a_query_line_of_another_form_is_rejected() {
        let format = "write one query per line, as `QUERY` or `CLASS<TAB>QUERY`";
        for (line, reason) in [
            // Taken as the query `word` of class `query`.
            ("word\t", "the query after the tab is empty"),
            ("word\t  ", "the query after the tab is empty"),
            ("\t人权", "the class before the tab is empty"),
            // Taken as the query `bar<TAB>baz`.
            ("foo\tbar\tbaz", "the line has 2 tabs, not one"),
        ] {
            let text = format!("word\t人权\n\n{line}\n");
            let err = parse_queries(Path::new("q.txt"), &text).unwrap_err();
            assert!(matches!(&err, Error::QueryFile { line: 3, .. }), "{err:?}");
            assert_eq!(err.to_string(), format!("q.txt:3: {reason}; {format}"));
        }
    }

    #[test]
    fn a_query_that_does_not_parse_is_named_by_file_and_line() {
        for text in ["人权\n\"人权\n", "人权\nphrase\t\"人权\n"] {
            let err = parse_queries(Path::new("q.txt"), text).unwrap_err();
            assert!(
                matches!(&err, Error::QueryInFile { line: 2, .. }),
                "{err:?}"
            );
            let message = err.to_string();
            assert!(
                message.starts_with("q.txt:2: invalid query: the quote at character 1"),
                "{message}"
            );
        }
    }

    #[test]
    fn a_query_file_without_queries_is_rejected() {
        for text in ["", "\n", "# only a comment\n\t\n"] {
            let err = parse_queries(Path::new("q.txt"), text).unwrap_err();
            assert!(matches!(err, Error::NoQueries { .. }), "{err:?}");
            assert!(
                err.to_string().starts_with("q.txt holds no queries: "),
                "{err}"
            );
        }
    }
}
