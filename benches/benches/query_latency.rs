//! Query latency per query class, zhen against the baseline, on two indexes:
//!
//! * `query/prc-laws/<class>/<system>/<query>`: all 153,223 articles of the PRC laws corpus
//!   (`../shared/data`), one paragraph each. Both indexes are built once and cached in
//!   `target/zhen-bench-cache/` (`prc-laws-zhen/`, `prc-laws-baseline/`); later runs reuse
//!   them. Delete that directory to rebuild (the build time is printed and kept in
//!   `target/zhen-bench-cache/prc-laws-*.build.txt`).
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

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use zhen_benches::baseline::Baseline;
use zhen_benches::corpus;

/// Queries on the PRC laws index: `(class, query)`.
const PRC_QUERIES: &[(&str, &str)] = &[
    ("single-word", "法院"),
    ("compound", "人民法院"),
    // A word that is mostly found inside longer ones (`劳动合同`, `劳动者`).
    ("sub-word", "劳动"),
    ("single-char", "税"),
    ("two-words", "合同 违约"),
    ("phrase", "\"依法追究刑事责任\""),
    // `劳动合同` in traditional characters.
    ("traditional", "勞動合同"),
    // `2020` in full-width digits.
    ("full-width", "２０２０"),
    ("english", "DNA"),
    ("exclusion", "合同 -劳动"),
];

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

/// Records per `add_paragraphs` call when building the zhen index (one document each).
const BATCH: usize = 1_000;

/// Marker written in the baseline's cache directory after a successful build.
const BASELINE_MARKER: &str = "zhen-bench-complete";

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

/// Records a cached build: what was built, how long it took, when.
fn log_build(name: &str, what: &str) {
    let log = corpus::cache_dir().join(format!("{name}.build.txt"));
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let _ = fs::write(&log, format!("{what}\nbuilt at unix time {stamp}\n"));
    eprintln!("{name}: {what}");
}

/// The zhen index of the whole PRC laws corpus, from the cache or built into it.
fn prc_laws_zhen() -> zhen::Index {
    let dir = corpus::cache_dir().join("prc-laws-zhen");
    match zhen::Index::open(&dir) {
        Ok(index) => {
            eprintln!("prc-laws-zhen: reusing {}", dir.display());
            return index;
        }
        Err(e) if dir.exists() => {
            eprintln!("prc-laws-zhen: rebuilding {} ({e})", dir.display());
            fs::remove_dir_all(&dir).expect("remove the stale zhen index");
        }
        Err(_) => eprintln!("prc-laws-zhen: building {} (once)", dir.display()),
    }
    let started = Instant::now();
    let mut builder = zhen::IndexBuilder::create(&dir).expect("create the zhen index");
    let mut batch = Vec::with_capacity(BATCH);
    let (mut batches, mut records, mut bytes) = (0usize, 0usize, 0usize);
    let mut flush = |batch: &mut Vec<zhen::Paragraph>, batches: &mut usize| {
        if !batch.is_empty() {
            builder
                .add_paragraphs(&format!("prc-laws-{batches}"), batch)
                .expect("add paragraphs");
            batch.clear();
            *batches += 1;
        }
    };
    for record in corpus::records(corpus::PRC_LAWS) {
        records += 1;
        bytes += record.text.len();
        let doc = format!("prc-laws-{batches}");
        batch.push(zhen::Paragraph::new(doc, batch.len() as u32, record.text));
        if batch.len() == BATCH {
            flush(&mut batch, &mut batches);
        }
    }
    flush(&mut batch, &mut batches);
    let report = builder.commit().expect("commit the zhen index");
    let secs = started.elapsed().as_secs_f64();
    log_build(
        "prc-laws-zhen",
        &format!(
            "{} paragraphs ({records} records, {bytes} bytes of text, {batches} documents) \
             in {secs:.1} s ({:.2} MB/s, including gunzip and JSON parsing)",
            report.paragraphs,
            bytes as f64 / 1e6 / secs
        ),
    );
    zhen::Index::open(&dir).expect("open the new zhen index")
}

/// The baseline index of the whole PRC laws corpus, from the cache or built into it.
fn prc_laws_baseline() -> Baseline {
    let dir = corpus::cache_dir().join("prc-laws-baseline");
    if dir.join(BASELINE_MARKER).is_file() {
        match Baseline::open(&dir) {
            Ok(baseline) => {
                eprintln!("prc-laws-baseline: reusing {}", dir.display());
                return baseline;
            }
            Err(e) => eprintln!("prc-laws-baseline: rebuilding {} ({e})", dir.display()),
        }
    } else {
        eprintln!("prc-laws-baseline: building {} (once)", dir.display());
    }
    if dir.exists() {
        fs::remove_dir_all(&dir).expect("remove the stale baseline index");
    }
    let started = Instant::now();
    let mut records = 0usize;
    let mut bytes = 0usize;
    let texts = corpus::records(corpus::PRC_LAWS).map(|r| {
        records += 1;
        bytes += r.text.len();
        (None, r.text)
    });
    let baseline = Baseline::build(&dir, texts).expect("build the baseline index");
    let secs = started.elapsed().as_secs_f64();
    fs::write(dir.join(BASELINE_MARKER), b"").expect("write the baseline marker");
    log_build(
        "prc-laws-baseline",
        &format!(
            "{records} paragraphs ({bytes} bytes of text) in {secs:.1} s ({:.2} MB/s, \
             including gunzip and JSON parsing)",
            bytes as f64 / 1e6 / secs
        ),
    );
    baseline
}

fn prc_laws(c: &mut Criterion) {
    fs::create_dir_all(corpus::cache_dir()).expect("create the benchmark cache directory");
    let zhen = prc_laws_zhen().searcher();
    let baseline = prc_laws_baseline();
    bench_queries(c, "prc-laws", PRC_QUERIES, &zhen, &baseline);
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
