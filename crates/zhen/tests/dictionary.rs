//! The in-place dictionary (`ZhenTokenizer::new`) segments exactly like the loaded one
//! (`ZhenTokenizer::with_jieba`), on real text.

mod common;

use std::path::Path;

use common::{corpus, read_jsonl_texts};
use zhen::analysis::{analyze, analyzer, bulk_analyzer, AnalyzedToken};

fn assert_same(texts: &[String]) {
    // One long-lived analyzer of each kind, as in a process that searches many times, and
    // a fresh in-place one per text, as in a one-shot `zhen search`.
    let mut in_place = analyzer();
    let mut loaded = bulk_analyzer();
    for text in texts {
        let a: Vec<AnalyzedToken> = analyze(&mut in_place, text);
        let b: Vec<AnalyzedToken> = analyze(&mut loaded, text);
        assert_eq!(a, b, "{text}");
        assert_eq!(analyze(&mut analyzer(), text), b, "{text}");
    }
}

#[test]
fn same_tokens_on_the_shipped_document() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../index-data/us-hrc-pledges-2021.zh.txt"),
    )
    .unwrap();
    let paragraphs: Vec<String> = text.split("\n\n").map(str::to_owned).collect();
    assert_same(&paragraphs);
}

#[test]
fn same_tokens_on_government_work_reports() {
    assert_same(&read_jsonl_texts(
        &corpus("prc-gov-work-reports.zh.jsonl.gz"),
        3000,
    ));
}

#[test]
fn same_tokens_on_laws_and_un_sentences() {
    assert_same(&read_jsonl_texts(&corpus("prc-laws.zh.jsonl.gz"), 1500));
    assert_same(&read_jsonl_texts(
        &corpus("unpc-v1-testsets.zh-en.jsonl.gz"),
        2000,
    ));
}
