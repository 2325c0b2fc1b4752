//! Properties over generated text: folding is idempotent, and a quoted phrase of any
//! substring of a paragraph finds that paragraph. (Analyzer offsets: `tests/analysis.rs`.)

use proptest::prelude::*;
use zhen::analysis::{analyze, ngram_analyzer, Folded};
use zhen::{Index, IndexBuilder, Paragraph};

/// Text that exercises folding and segmentation: traditional and simplified forms, full
/// width, compatibility characters, combining marks, case mappings that change length,
/// English words with stems, numbers, punctuation and spaces — and no quote characters,
/// so that any substring can be quoted.
fn mixed_text(max_pieces: usize) -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "國",
        "際",
        "勞",
        "工",
        "組",
        "織",
        "国",
        "际",
        "劳",
        "组",
        "织",
        "人口",
        "贩运",
        "販運",
        "宗教",
        "自由",
        "表达",
        "美国",
        "承诺",
        "打击",
        "强迫",
        "劳动",
        "的",
        "和",
        "在",
        "会议",
        "１",
        "５",
        "Ａ",
        "ｂ",
        "a",
        "B",
        "7",
        "2021",
        "1557",
        " ",
        "  ",
        "，",
        "。",
        "、",
        "；",
        "（",
        "）",
        "(",
        ")",
        "-",
        "/",
        ".",
        "e\u{301}",
        "\u{301}",
        "㈱",
        "ﬁ",
        "Ⅻ",
        "😀",
        "’s",
        "\u{3000}",
        "İ",
        "ß",
        "ẞ",
        "Σ",
        "\t",
        "①",
        "human",
        "rights",
        "trafficking",
        "the",
        "of",
        "Women",
        "online",
        "and",
        "offline",
        "ǅ",
        "ﬀ",
        "K",
        "Å",
        "ﾊﾟ",
        "ﾊﾞ",
        "戱",
        "薴",
        "Côte",
        "d’",
        "Ivoire",
        "O'",
        "SDGs",
        "LDC",
        "s",
        "–",
        "—",
        "Łódź",
        "æ",
    ]);
    prop::collection::vec(pieces, 1..max_pieces).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn folding_is_idempotent(text in mixed_text(40)) {
        let once = Folded::new(&text);
        let twice = Folded::new(once.text());
        prop_assert_eq!(twice.text(), once.text());
    }

    #[test]
    fn folding_is_idempotent_on_any_text(text in any::<String>()) {
        let once = Folded::new(&text);
        let twice = Folded::new(once.text());
        prop_assert_eq!(twice.text(), once.text());
    }
}

/// The failures proptest found, and the only ones an exhaustive run over every code point
/// (alone and after `ハ`, `a`, `国`; 35 s, run once) found: half-width sound marks, which
/// NFKC turns into combining marks, and traditional characters whose simplified form zhconv
/// maps once more.
#[test]
fn folding_is_idempotent_where_it_was_not() {
    for (text, folded) in [
        ("ﾊﾟ", "パ"),
        ("ﾊﾞ", "バ"),
        ("ｶﾞｯﾂ", "ガッツ"),
        ("戱", "戏"),
        ("戯", "戏"),
        ("薴", "苎"),
        ("苧", "苎"),
    ] {
        assert_eq!(Folded::new(text).text(), folded, "{text}");
        assert_eq!(Folded::new(folded).text(), folded, "{text}");
    }
}

/// Whether `at` cuts through a token that is not Han: a query cannot ask for half an
/// English word or half a number (`ffick` of `trafficking`), while any Han substring is a
/// sequence of characters the n-gram field finds.
fn cuts_a_word(text: &str, tokens: &[zhen::analysis::AnalyzedToken], at: usize) -> bool {
    tokens.iter().any(|t| {
        t.start < at && at < t.end && !text[t.start..t.end].chars().all(zhen::analysis::is_han)
    })
}

proptest! {
    // Each case builds an index (tens of milliseconds): few cases, many substrings each.
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn a_quoted_substring_finds_its_paragraph(
        text in mixed_text(60),
        cuts in prop::collection::vec((0usize..10_000, 0usize..10_000), 12),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut builder = IndexBuilder::create(dir.path()).unwrap();
        builder
            .add_paragraphs("doc", &[Paragraph::new("doc", 0, text.clone()), Paragraph::new("doc", 1, "无关的段落。")])
            .unwrap();
        builder.commit().unwrap();
        let searcher = Index::open(dir.path()).unwrap().searcher();
        let tokens = analyze(&mut ngram_analyzer(), &text);
        let bounds: Vec<usize> = text
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(text.len()))
            .collect();
        for (a, b) in cuts {
            let (a, b) = (bounds[a % bounds.len()], bounds[b % bounds.len()]);
            let (start, end) = (a.min(b), a.max(b));
            if cuts_a_word(&text, &tokens, start) || cuts_a_word(&text, &tokens, end) {
                continue;
            }
            let sub = &text[start..end];
            let query = format!("\"{sub}\"");
            match searcher.search(&query, 10) {
                Ok(results) => prop_assert!(
                    results.hits.iter().any(|h| h.text == text),
                    "{query} does not find {text:?}"
                ),
                // Nothing searchable in it (only spaces, punctuation or symbols).
                Err(zhen::Error::QuerySyntax(_)) => {
                    prop_assert!(analyze(&mut ngram_analyzer(), sub).is_empty(), "{query}: no words?")
                }
                Err(e) => prop_assert!(false, "{query}: {e}"),
            }
        }
    }
}

/// The property above, for a phrase with a space between Han characters, as copied from a
/// text that has one (PDF extraction often spaces out Chinese): white space between Han
/// characters separates nothing, in the text as in the query, either way round.
#[test]
fn a_phrase_copied_with_a_space_between_han_characters_finds_its_text() {
    let dir = tempfile::tempdir().unwrap();
    let mut builder = IndexBuilder::create(dir.path()).unwrap();
    builder
        .add_text(
            "doc",
            "1. 美国 承诺 打击 人口 贩运。\n\n2. 打击人口贩运。\n\n3. 人口，贩运。",
        )
        .unwrap();
    builder.commit().unwrap();
    let searcher = Index::open(dir.path()).unwrap().searcher();
    let numbers = |query: &str| -> Vec<u32> {
        let mut n: Vec<u32> = searcher
            .search(query, 10)
            .unwrap()
            .hits
            .iter()
            .filter_map(|h| h.paragraph)
            .collect();
        n.sort();
        n
    };
    for query in [
        "\"人口 贩运\"",
        "\"人口贩运\"",
        "\"口 贩\"",
        "\"美国 承诺\"",
    ] {
        let expected: &[u32] = if query.contains('美') { &[1] } else { &[1, 2] };
        assert_eq!(numbers(query), expected, "{query}");
    }
    // Punctuation still separates.
    assert_eq!(numbers("\"人口贩运\""), [1, 2]);
    // The highlight spans the space.
    let hit = &searcher.search("\"人口贩运\"", 10).unwrap().hits;
    let h = hit.iter().find(|h| h.paragraph == Some(1)).unwrap();
    let r = h.highlights[0];
    assert_eq!(&h.text[r.start..r.end], "人口 贩运");
}
