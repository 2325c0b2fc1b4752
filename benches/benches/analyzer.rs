//! Analyzer throughput (MB/s of UTF-8 text), zhen against the baseline, per language.
//!
//! Corpora (the first 2,000 records of each, from `../shared/data`):
//!
//! * `zh`: PRC laws, one article a record;
//! * `en`: UN General Debate paragraphs;
//! * `mixed`: the UN Parallel Corpus test sets, Chinese and English sentences alternating
//!   (1,000 aligned pairs).
//!
//! Analyzers, each consuming the whole token stream of every record:
//!
//! * `zhen_bulk`: [`zhen::analysis::bulk_analyzer`], jieba's dictionary loaded whole (what
//!   index building uses for the word field);
//! * `zhen_inplace`: [`zhen::analysis::analyzer`], the dictionary read in place (what
//!   queries use);
//! * `zhen_ngram`: [`zhen::analysis::ngram_analyzer`], the characters-and-bigrams field that
//!   zhen indexes beside the word field (so an index build pays `zhen_bulk` + `zhen_ngram`);
//! * `baseline`: tantivy-jieba in search mode + `RemoveLongFilter(40)` + `LowerCaser`
//!   ([`zhen_benches::baseline::baseline_analyzer`]).
//!
//! Benchmark names: `analyzer/<corpus>/<analyzer>`.
//!
//! Run: `cargo bench -p zhen-benches --bench analyzer`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tantivy::tokenizer::{TextAnalyzer, TokenStream};
use zhen_benches::baseline::baseline_analyzer;
use zhen_benches::corpus;

/// Records taken from each corpus.
const RECORDS: usize = 2_000;

/// Runs `analyzer` over every text and returns the number of tokens (so that nothing is
/// optimised away) plus the summed token lengths.
fn consume(analyzer: &mut TextAnalyzer, texts: &[String]) -> (usize, usize) {
    let mut tokens = 0;
    let mut bytes = 0;
    for text in texts {
        let mut stream = analyzer.token_stream(text);
        while stream.advance() {
            tokens += 1;
            bytes += stream.token().text.len();
        }
    }
    (tokens, bytes)
}

/// The corpora: `(name, texts)`.
fn corpora() -> Vec<(&'static str, Vec<String>)> {
    vec![
        ("zh", corpus::texts(corpus::PRC_LAWS, RECORDS)),
        ("en", corpus::texts(corpus::UN_DEBATES, RECORDS)),
        // The file alternates zh and en records of the same sentence.
        ("mixed", corpus::texts(corpus::UNPC, RECORDS)),
    ]
}

fn analyzers() -> Vec<(&'static str, TextAnalyzer)> {
    vec![
        ("zhen_bulk", zhen::analysis::bulk_analyzer()),
        ("zhen_inplace", zhen::analysis::analyzer()),
        ("zhen_ngram", zhen::analysis::ngram_analyzer()),
        ("baseline", baseline_analyzer()),
    ]
}

fn analyzer_throughput(c: &mut Criterion) {
    let mut analyzers = analyzers();
    for (name, texts) in corpora() {
        let size = corpus::total_bytes(&texts);
        // Token counts, once, so that the report can say what each analyzer emits (and so
        // that jieba's one-off dictionary loads happen before any measurement).
        for (analyzer_name, analyzer) in &mut analyzers {
            let (tokens, token_bytes) = consume(analyzer, &texts);
            eprintln!(
                "analyzer/{name}/{analyzer_name}: {} records, {size} bytes -> {tokens} tokens \
                 ({token_bytes} bytes of terms)",
                texts.len()
            );
        }
        let mut group = c.benchmark_group(format!("analyzer/{name}"));
        group.throughput(Throughput::Bytes(size));
        for (analyzer_name, analyzer) in &mut analyzers {
            group.bench_function(*analyzer_name, |b| {
                b.iter(|| black_box(consume(analyzer, black_box(&texts))))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, analyzer_throughput);
criterion_main!(benches);
