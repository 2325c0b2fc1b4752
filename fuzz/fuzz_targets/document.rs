//! Source decoding and the document parser on any bytes, and the JSON Lines reader on any
//! file: no panic; decoded text round-trips where the encoding is UTF-8; paragraphs are
//! non-empty and their lines in order.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    if let Ok(source) = zhen::source::decode(Path::new("fuzz.txt"), data) {
        let paragraphs = zhen::document::parse("fuzz", &source.text);
        let mut last_line = 0;
        for (i, p) in paragraphs.iter().enumerate() {
            assert_eq!(p.ordinal as usize, i);
            assert!(!p.text.trim().is_empty(), "{p:?}");
            assert!(p.line >= last_line, "{p:?}");
            last_line = p.line;
        }
        if source.encoding == zhen::source::SourceEncoding::Utf8 {
            assert_eq!(source.text.as_bytes(), data);
        }
    }
    // The same bytes as a JSON Lines corpus (plain or, with the magic bytes, gzip).
    let dir = std::env::temp_dir().join(format!("zhen-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("corpus.jsonl");
    std::fs::write(&path, data).unwrap();
    if let Ok(records) = zhen::source::Records::open(&path) {
        let mut last_line = 0;
        for record in records.take(10_000) {
            if let Ok(record) = record {
                assert!(record.line > last_line);
                last_line = record.line;
            }
        }
    }
});
