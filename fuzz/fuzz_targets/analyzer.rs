//! The analyzer on any text: no panic, every token's offsets slice the original text on
//! character boundaries, positions never go backwards, folding is idempotent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::Mutex;
use tantivy::tokenizer::TextAnalyzer;

static ANALYZERS: Mutex<Option<(TextAnalyzer, TextAnalyzer)>> = Mutex::new(None);

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut guard = ANALYZERS.lock().unwrap_or_else(|e| e.into_inner());
    let (words, grams) = guard.get_or_insert_with(|| {
        (zhen::analysis::analyzer(), zhen::analysis::ngram_analyzer())
    });
    for analyzer in [words, grams] {
        let mut last_position = 0;
        for token in zhen::analysis::analyze(analyzer, text) {
            assert!(token.start < token.end, "{token:?} in {text:?}");
            assert!(text.get(token.start..token.end).is_some(), "{token:?} in {text:?}");
            assert!(token.position >= last_position, "{token:?} in {text:?}");
            assert!(!token.text.is_empty());
            last_position = token.position;
        }
    }
    let folded = zhen::analysis::Folded::new(text);
    let again = zhen::analysis::Folded::new(folded.text());
    assert_eq!(again.text(), folded.text(), "folding {text:?} is not idempotent");
});
