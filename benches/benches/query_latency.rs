//! Query latency per query class, zhen against the baseline, on two indexes:
//!
//! * `query/prc-laws/<class>/<system>/<query>`: all 153,223 articles of the PRC laws corpus
//!   (`../shared/data`), one paragraph each, built once and cached (see
//!   `zhen_benches::cache`).
//! * `query/shipped/<class>/<system>/<query>`: the shipped UN document (48 blocks), both
//!   indexes built from zhen's parsed blocks at start-up.
//!
//! `zhen`: a warm [`zhen::Searcher`], `search(query, 10)`, which returns the top 10 with
//! highlights and snippets (what users get). `baseline`: `Baseline::search(query, 10)`,
//! tantivy's `QueryParser` (terms OR-ed) and the top 10 stored texts, no snippets. Both get
//! the same query text. Before measuring, the total hit counts of both are printed, since
//! the two systems do not match the same paragraphs (see `compare-quality`).
//!
//! Run: `cargo bench -p zhen-benches --bench query_latency`

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use zhen_benches::baseline::Baseline;
use zhen_benches::{cache, corpus};

/// Queries on the shipped UN document: `(class, query)`.
const SHIPPED_QUERIES: &[(&str, &str)] = &[
    ("compound", "人口贩运"),
    ("sub-word", "劳工"),
    ("single-char", "贩"),
    ("traditional", "國際勞工組織"),
    ("full-width", "１５５７"),
    ("two-words", "宗教 自由"),
    ("phrase", "\"表达自由\""),
    ("english", "general"),
    ("exclusion", "人口贩运 -国会"),
];

/// Benchmarks every query of `queries` on both systems, in groups `query/<corpus>/<class>`.
fn bench_queries(
    c: &mut Criterion,
    corpus: &str,
    queries: &[(&str, &str)],
    zhen: &zhen::Searcher,
    baseline: &Baseline,
) {
    for (class, query) in queries {
        let ours = zhen.search(query, 10).expect("zhen search");
        let (theirs, _) = baseline.search_counted(query, 10).expect("baseline search");
        let phases = zhen_phases(zhen, query);
        eprintln!(
            "query/{corpus}/{class} {query}: zhen {} hits, baseline {theirs} hits; zhen \
             phases (median of {PHASE_RUNS}): analyse {:.0} µs, search {:.0} µs, \
             fetch+highlight+snippet {:.0} µs",
            ours.total_hits, phases[0], phases[1], phases[2]
        );
    }
    for (class, query) in queries {
        let mut group = c.benchmark_group(format!("query/{corpus}/{class}"));
        group.bench_with_input(BenchmarkId::new("zhen", query), query, |b, q| {
            b.iter(|| zhen.search(q, 10).expect("zhen search"))
        });
        group.bench_with_input(BenchmarkId::new("baseline", query), query, |b, q| {
            b.iter(|| baseline.search(q, 10))
        });
        group.finish();
    }
}

/// Runs for the phase breakdown printed before measuring.
const PHASE_RUNS: usize = 21;

/// zhen's own timings of a search, `[analyse, search, fetch]` in µs, each the median of
/// [`PHASE_RUNS`] warm runs: shows where a query's time goes (query analysis, matching
/// and scoring, reading the hits with highlights and snippets).
fn zhen_phases(zhen: &zhen::Searcher, query: &str) -> [f64; 3] {
    let mut runs: [Vec<f64>; 3] = Default::default();
    for _ in 0..PHASE_RUNS {
        let t = zhen.search(query, 10).expect("zhen search").timings;
        for (run, phase) in runs.iter_mut().zip([t.analyse, t.search, t.fetch]) {
            run.push(phase.as_secs_f64() * 1e6);
        }
    }
    runs.map(|mut run| {
        run.sort_by(f64::total_cmp);
        run[run.len() / 2]
    })
}

fn prc_laws(c: &mut Criterion) {
    let zhen = cache::prc_laws_zhen().searcher();
    let baseline = cache::prc_laws_baseline();
    bench_queries(c, "prc-laws", cache::PRC_QUERIES, &zhen, &baseline);
}

fn shipped(c: &mut Criterion) {
    let path = PathBuf::from(corpus::SHIPPED);
    let zhen_dir = tempfile::tempdir().expect("temp dir");
    let mut builder = zhen::IndexBuilder::create(zhen_dir.path()).expect("create index");
    builder.add_file(&path).expect("read the shipped document");
    builder.commit().expect("commit");
    let zhen = zhen::Index::open(zhen_dir.path()).expect("open").searcher();

    // The baseline gets exactly zhen's blocks, as in `compare-quality`.
    let source = zhen::source::read(&path).expect("read the shipped document");
    let doc_id = Path::new(&path)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let blocks = zhen::document::parse(&doc_id, &source.text)
        .into_iter()
        .map(|p| (p.number, p.text));
    let baseline_dir = tempfile::tempdir().expect("temp dir");
    let baseline = Baseline::build(baseline_dir.path(), blocks).expect("build the baseline");

    bench_queries(c, "shipped", SHIPPED_QUERIES, &zhen, &baseline);
}

criterion_group!(benches, shipped, prc_laws);
criterion_main!(benches);
