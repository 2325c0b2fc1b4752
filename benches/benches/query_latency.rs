//! Query latency on the shipped UN document: warm searcher, top 10 with highlights and
//! snippets, per query class.
//!
//! Run: `cargo bench -p zhen-benches --bench query_latency`

use std::path::Path;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

const QUERIES: &[(&str, &str)] = &[
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

fn query_latency(c: &mut Criterion) {
    let shipped =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../index-data/us-hrc-pledges-2021.zh.txt");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut builder = zhen::IndexBuilder::create(dir.path()).expect("create index");
    builder
        .add_file(&shipped)
        .expect("read the shipped document");
    builder.commit().expect("commit");
    let searcher = zhen::Index::open(dir.path()).expect("open").searcher();

    let mut group = c.benchmark_group("search top10+snippets, shipped doc");
    for (class, query) in QUERIES {
        group.bench_with_input(BenchmarkId::new(*class, query), query, |b, q| {
            b.iter(|| searcher.search(q, 10).expect("search"))
        });
    }
    group.finish();
}

criterion_group!(benches, query_latency);
criterion_main!(benches);
