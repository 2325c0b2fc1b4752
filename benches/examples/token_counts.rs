//! How many tokens each of zhen's three fields and the baseline's one field make of the
//! first 30,000 prc-laws records, and how long each analyzer takes on them: indexing cost
//! follows the number of tokens (tantivy's postings work per token was 37% of a build's
//! CPU), so this is the README's account of why zhen builds slower than the baseline.
//!
//! `cargo run --release -p zhen-benches --example token_counts`

use std::time::Instant;

use tantivy::tokenizer::TextAnalyzer;

/// The tokens `analyzer` makes of `texts`, and the seconds it took.
fn count(analyzer: &mut TextAnalyzer, texts: &[String]) -> (usize, f64) {
    let started = Instant::now();
    let mut tokens = 0;
    for text in texts {
        let mut stream = analyzer.token_stream(text);
        while stream.advance() {
            tokens += 1;
        }
    }
    (tokens, started.elapsed().as_secs_f64())
}

fn main() {
    let texts = zhen_benches::corpus::texts("prc-laws.zh.jsonl.gz", 30_000);
    let chars: usize = texts.iter().map(|t| t.chars().count()).sum();
    println!("{} records, {chars} characters", texts.len());
    let analyzers = [
        (
            "baseline (one field)",
            zhen_benches::baseline::baseline_analyzer(),
        ),
        ("zhen words", zhen::analysis::bulk_analyzer()),
        ("zhen bigrams", zhen::analysis::edge_ngram_analyzer()),
        ("zhen characters", zhen::analysis::chars_analyzer()),
    ];
    for (name, mut analyzer) in analyzers {
        // The first records once unmeasured: jieba's dictionary loads on first use.
        count(&mut analyzer, &texts[..texts.len().min(1_000)]);
        let (tokens, seconds) = count(&mut analyzer, &texts);
        println!(
            "{name}: {tokens} tokens ({:.2} a character), {seconds:.3} s",
            tokens as f64 / chars as f64
        );
    }
}
