//! Index build time (and MB/s of paragraph text), zhen against the baseline.
//!
//! * `index_build/shipped/…`: the shipped UN document (`index-data/`, 48 blocks, 18 KB).
//!   zhen reads, decodes and parses the file itself (`IndexBuilder::add_file`, what
//!   `zhen index` does); the baseline is given zhen's parsed blocks, so it indexes exactly
//!   the same texts.
//! * `index_build/prc-laws-10k/…`: the first 10,000 articles of the PRC laws corpus,
//!   one paragraph each; zhen gets them through `IndexBuilder::add_paragraphs` in batches of
//!   1,000 (one document id per batch), the baseline through `Baseline::build`.
//!
//! Every iteration builds into a fresh, empty temporary directory and ends with a commit
//! (zhen: commit, wait for merges, write its metadata and swap the generation in). Creating
//! the directory and deleting it afterwards are not timed. Both sides index with tantivy's
//! writer on all cores (2 here); zhen indexes two fields (words and Han n-grams), the
//! baseline one.
//!
//! Run: `cargo bench -p zhen-benches --bench index_build`

use std::path::Path;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use tempfile::TempDir;
use zhen_benches::baseline::Baseline;
use zhen_benches::corpus;

/// Records of the PRC laws corpus in the larger build.
const PRC_RECORDS: usize = 10_000;

/// Paragraphs per `add_paragraphs` call (and so per zhen document).
const BATCH: usize = 1_000;

fn tempdir() -> TempDir {
    tempfile::tempdir().expect("create a temporary index directory")
}

/// zhen: `texts` as unnumbered paragraphs, in documents of [`BATCH`] paragraphs.
fn zhen_build(dir: &Path, paragraphs: &[Vec<zhen::Paragraph>]) -> zhen::BuildReport {
    let mut builder = zhen::IndexBuilder::create(dir).expect("create the zhen index");
    for (i, batch) in paragraphs.iter().enumerate() {
        builder
            .add_paragraphs(&format!("prc-laws-{i}"), batch)
            .expect("add paragraphs");
    }
    builder.commit().expect("commit the zhen index")
}

/// The records as zhen paragraphs, grouped into documents of [`BATCH`].
fn batches(texts: &[String]) -> Vec<Vec<zhen::Paragraph>> {
    texts
        .chunks(BATCH)
        .enumerate()
        .map(|(b, chunk)| {
            chunk
                .iter()
                .enumerate()
                .map(|(i, text)| {
                    zhen::Paragraph::new(format!("prc-laws-{b}"), i as u32, text.clone())
                })
                .collect()
        })
        .collect()
}

fn shipped(c: &mut Criterion) {
    let path = Path::new(corpus::SHIPPED);
    let source = zhen::source::read(path).expect("read the shipped document");
    let doc_id = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let blocks: Vec<(Option<u32>, String)> = zhen::document::parse(&doc_id, &source.text)
        .into_iter()
        .map(|p| (p.number, p.text))
        .collect();
    let size = corpus::total_bytes(&blocks.iter().map(|(_, t)| t).collect::<Vec<_>>());
    eprintln!(
        "index_build/shipped: {} blocks, {size} bytes of block text ({} bytes of file)",
        blocks.len(),
        source.text.len()
    );

    let mut group = c.benchmark_group("index_build/shipped");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(size));
    group.bench_function("zhen", |b| {
        b.iter_batched(
            tempdir,
            |dir| {
                let mut builder = zhen::IndexBuilder::create(dir.path()).expect("create");
                builder.add_file(path).expect("add the shipped document");
                let report = builder.commit().expect("commit");
                (dir, report)
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("baseline", |b| {
        b.iter_batched(
            || (tempdir(), blocks.clone()),
            |(dir, blocks)| {
                let baseline = Baseline::build(dir.path(), blocks).expect("build the baseline");
                (dir, baseline)
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn prc_laws(c: &mut Criterion) {
    let texts = corpus::texts(corpus::PRC_LAWS, PRC_RECORDS);
    let size = corpus::total_bytes(&texts);
    eprintln!(
        "index_build/prc-laws-10k: {} records, {size} bytes of text",
        texts.len()
    );

    let mut group = c.benchmark_group("index_build/prc-laws-10k");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(size));
    group.bench_function("zhen", |b| {
        b.iter_batched(
            || (tempdir(), batches(&texts)),
            |(dir, paragraphs)| {
                let report = zhen_build(dir.path(), &paragraphs);
                (dir, paragraphs, report)
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("baseline", |b| {
        b.iter_batched(
            || (tempdir(), texts.clone()),
            |(dir, texts)| {
                let baseline = Baseline::build(dir.path(), texts.into_iter().map(|t| (None, t)))
                    .expect("build the baseline");
                (dir, baseline)
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, shipped, prc_laws);
criterion_main!(benches);
