//! Generates two tables the analyzer embeds:
//!
//! * `t2s.rs`, the traditional -> simplified character table (below);
//! * `jieba.fst`, jieba's default dictionary (word -> frequency) as an FST, which the
//!   query side reads in place instead of loading the whole dictionary (see
//!   `src/analysis/dictionary.rs`).
//!
//! On the character table:
//! The table is computed at build time from zhconv's MediaWiki and OpenCC rule sets so that
//! the analyzer pays nothing at run time (no automaton to load, which matters for a
//! millisecond-scale cold search) and so that folding is strictly character by character.
//! Search needs the latter: phrase-level conversion rewrites a character differently
//! depending on its neighbours, so a query that is a substring of a document could fold
//! differently from the same characters inside the document and never match.

use std::env;
use std::fs;
use std::path::PathBuf;

use zhconv::{zhconv, Variant};

/// Code point ranges holding Han ideographs that may have a simplified form.
const HAN_RANGES: &[(u32, u32)] = &[
    (0x3400, 0x4DBF),   // CJK Unified Ideographs Extension A
    (0x4E00, 0x9FFF),   // CJK Unified Ideographs
    (0xF900, 0xFAFF),   // CJK Compatibility Ideographs
    (0x20000, 0x2A6DF), // Extension B
    (0x2A700, 0x2EBEF), // Extensions C-F
    (0x2F800, 0x2FA1F), // CJK Compatibility Ideographs Supplement
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=ZHEN_JIEBA_DICT");
    write_dictionary();
    write_t2s();
}

/// Finds the `dict.txt` of the jieba-rs crate this build links, in cargo's registry (or
/// at `$ZHEN_JIEBA_DICT`).
fn find_jieba_dict() -> PathBuf {
    if let Some(path) = env::var_os("ZHEN_JIEBA_DICT") {
        return PathBuf::from(path);
    }
    let mut homes: Vec<PathBuf> = Vec::new();
    if let Some(home) = env::var_os("CARGO_HOME") {
        homes.push(home.into());
    }
    if let Some(home) = env::var_os("HOME") {
        homes.push(PathBuf::from(home).join(".cargo"));
    }
    for home in &homes {
        let Ok(registries) = fs::read_dir(home.join("registry/src")) else {
            continue;
        };
        for registry in registries.flatten() {
            let candidate = registry.path().join(JIEBA_DIR).join("src/data/dict.txt");
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!(
        "cannot find {JIEBA_DIR}/src/data/dict.txt in cargo's registry (looked under {homes:?}); \
         set ZHEN_JIEBA_DICT to that file"
    );
}

/// The jieba-rs release whose dictionary is embedded; must be the one in Cargo.lock, which
/// `write_dictionary` verifies against the linked crate.
const JIEBA_DIR: &str = "jieba-rs-0.11.0";

fn write_dictionary() {
    let path = find_jieba_dict();
    println!("cargo:rerun-if-changed={}", path.display());
    let text = fs::read_to_string(&path).expect("read jieba's dict.txt");
    // Exactly as jieba-rs loads its default dictionary: a repeated word keeps its last
    // frequency, while the total counts every line.
    let mut words: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
    let mut total: u64 = 0;
    let mut lines: u64 = 0;
    for line in text.lines() {
        let mut fields = line.split_ascii_whitespace();
        let Some(word) = fields.next() else { continue };
        let freq: u64 = fields
            .next()
            .map_or(0, |f| f.parse().expect("dictionary frequency"));
        words.insert(word, freq);
        total += freq;
        lines += 1;
    }
    // The file must be the dictionary of the jieba-rs that is linked: compare with it.
    let linked = format!("{:?}", jieba_rs::Jieba::new());
    let expected = format!("Jieba {{ records_len: {lines}, total_freq: {total} }}");
    assert_eq!(
        linked,
        expected,
        "{} is not the dictionary of the linked jieba-rs; update JIEBA_DIR in build.rs",
        path.display()
    );

    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let file = fs::File::create(out.join("jieba.fst")).expect("create jieba.fst");
    let mut builder = fst::MapBuilder::new(std::io::BufWriter::new(file)).expect("fst builder");
    for (word, freq) in &words {
        builder.insert(word, *freq).expect("sorted unique keys");
    }
    builder.finish().expect("write jieba.fst");
    fs::write(
        out.join("jieba_meta.rs"),
        format!(
            "/// Sum of all frequencies of jieba's default dictionary (as jieba-rs counts it).\n\
             pub(crate) const DICT_TOTAL: usize = {total};\n"
        ),
    )
    .expect("write jieba_meta.rs");
}

/// The CJK Unified Ideographs block (U+4E00..U+9FFF), first and last code points.
const MAIN_BLOCK: (u32, u32) = (0x4E00, 0x9FFF);

fn write_t2s() {
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    let mut buf = [0u8; 4];
    for &(lo, hi) in HAN_RANGES {
        for cp in lo..=hi {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            let converted = zhconv(c.encode_utf8(&mut buf), Variant::ZhHans);
            let mut chars = converted.chars();
            // Only one-to-one mappings keep token offsets exact; zhconv's character tables
            // are one-to-one in practice, and anything else is left unfolded.
            if let (Some(s), None) = (chars.next(), chars.next()) {
                if s != c {
                    pairs.push((cp, s as u32));
                }
            }
        }
    }
    // zhconv maps some characters to forms it maps again (戱 -> 戯 -> 戏, 薴 -> 苧 -> 苎):
    // follow each chain to its end, so that folding folded text changes nothing and a
    // query typed in the intermediate form finds both others.
    let map: std::collections::HashMap<u32, u32> = pairs.iter().copied().collect();
    for (_, s) in pairs.iter_mut() {
        for _ in 0..8 {
            match map.get(s) {
                Some(&next) if next != *s => *s = next,
                _ => break,
            }
        }
    }
    pairs.sort_unstable();
    // The main ideograph block, where nearly all of a Chinese text's characters are, also
    // gets a dense table (two bytes per code point: the simplified form, 0 for none, 0xFFFF
    // for one outside the BMP) so
    // that folding a character is one load instead of a binary search.
    let mut dense = vec![0u8; 2 * (MAIN_BLOCK.1 - MAIN_BLOCK.0 + 1) as usize];
    for &(t, s) in &pairs {
        if (MAIN_BLOCK.0..=MAIN_BLOCK.1).contains(&t) {
            // A few map outside the BMP: 0xFFFF (a non-character) sends those to the pairs.
            let s = u16::try_from(s).unwrap_or(u16::MAX);
            let at = 2 * (t - MAIN_BLOCK.0) as usize;
            dense[at..at + 2].copy_from_slice(&s.to_le_bytes());
        }
    }
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::write(out_dir.join("t2s_main.bin"), dense).expect("write dense t2s table");
    let mut out = String::from(
        "/// Traditional -> simplified pairs, sorted by the first code point (generated by build.rs).\n",
    );
    out.push_str(&format!(
        "pub(crate) static T2S: [(char, char); {}] = [\n",
        pairs.len()
    ));
    for &(t, s) in &pairs {
        out.push_str(&format!("('\\u{{{t:x}}}', '\\u{{{s:x}}}'),\n"));
    }
    out.push_str("];\n");
    // The same pairs the other way round, sorted by the simplified form: the characters
    // that fold into a given one (highlighting looks for those in unfolded text).
    let mut inverse: Vec<(u32, u32)> = pairs.iter().map(|&(t, s)| (s, t)).collect();
    inverse.sort_unstable();
    out.push_str(
        "/// Simplified -> traditional pairs, sorted by the first code point (generated by build.rs).\n",
    );
    out.push_str(&format!(
        "pub(crate) static S2T: [(char, char); {}] = [\n",
        inverse.len()
    ));
    for (s, t) in inverse {
        out.push_str(&format!("('\\u{{{s:x}}}', '\\u{{{t:x}}}'),\n"));
    }
    out.push_str("];\n");
    fs::write(out_dir.join("t2s.rs"), out).expect("write t2s table");
}
