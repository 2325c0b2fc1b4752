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

/// A domain dictionary: new words, some with frequencies and some without (jieba then
/// suggests one), a default word given a new frequency, a repeated word, a traditional
/// form (folded), and comments.
const DOMAIN: &str = "\
# port and market terms
口岸开放 # no frequency: jieba suggests one
通关效率 5000
本市实际 3000 n
市场监管 20000
刑事责任 20000 n
南共市指南
國際勞工組織 100
口岸开放 4000
";

#[test]
fn with_a_user_dictionary_in_place_and_loaded_segment_alike() {
    let dict = zhen::analysis::UserDict::parse(DOMAIN, "domain.dict").unwrap();
    assert_eq!(dict.len(), 7, "one entry per word, the last one wins");
    assert!(dict.contains("国际劳工组织"), "words are folded");
    let mut texts = read_jsonl_texts(&corpus("prc-laws.zh.jsonl.gz"), 1500);
    texts.extend(read_jsonl_texts(
        &corpus("prc-gov-work-reports.zh.jsonl.gz"),
        500,
    ));
    let mut in_place = zhen::analysis::analyzer_with_dict(&dict);
    let mut loaded = zhen::analysis::bulk_analyzer_with_dict(&dict);
    let mut changed = 0;
    for text in &texts {
        let a = analyze(&mut in_place, text);
        let b = analyze(&mut loaded, text);
        assert_eq!(a, b, "{text}");
        assert_eq!(
            analyze(&mut zhen::analysis::analyzer_with_dict(&dict), text),
            b
        );
        if a != analyze(&mut analyzer(), text) {
            changed += 1;
        }
    }
    // The dictionary does change the segmentation of the texts that use its words.
    assert!(changed > 20, "{changed}");
    let words: Vec<String> = analyze(
        &mut in_place,
        "规范口岸开放，提高口岸通关效率，结合本市实际",
    )
    .into_iter()
    .map(|t| t.text)
    .collect();
    for word in ["口岸开放", "通关效率", "本市实际"] {
        assert!(words.contains(&word.to_owned()), "{words:?}");
    }
}

#[test]
fn a_bad_frequency_names_the_file_and_line() {
    let err = zhen::analysis::UserDict::parse("人口贩运 3000\n高专办 many\n", "terms.dict")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("terms.dict") && err.contains("line 2"),
        "{err}"
    );
}
