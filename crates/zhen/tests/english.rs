//! Search of English text: paragraphs of the UN General Debates corpus
//! (`../shared/data/un-general-debates-2015-2024.en.jsonl.gz`), as written there.

use zhen::{Index, IndexBuilder, Searcher};

const PARAGRAPHS: [(&str, &str); 7] = [
    (
        "ungd-ARM-71-0012",
        "This year marks the fiftieth anniversary of the adoption of the International \
         Covenants on Human Rights, as well as the thirtieth anniversary of the Declaration \
         on the Right to Development. The latter affirms",
    ),
    (
        "ungd-CAF-79-0041",
        "Today’s youth—essential agents of change and key to development, rights, peace, \
         and security—still face vulnerabilities that prevent them from realising their \
         full potential and enjoying their rights.",
    ),
    (
        "ungd-ZAF-76-0012",
        "It has shaken our sense of well-being and security.",
    ),
    (
        "ungd-USA-79-0129",
        "In the years ahead, there wa- — they may be — may well be no greater test of",
    ),
    (
        "ungd-ZAF-75-0029",
        "As African countries we continue with our effort to ‘silence the guns’ once and \
         for all through conflict resolution and peace-building.",
    ),
    (
        "ungd-BIH-70-0017",
        "Somalia, Afghanistan, the Congo and Mali, we contribute in the most direct way to \
         maintaining and building world peace.",
    ),
    (
        "ungd-TJK-75-0022",
        "Along with this, in our view, it is of particular importance to elaborate new and \
         effective means to a common fight against terrorism, including by the means of the \
         state-of-the-art technology, cooperation and coordination among relevant security \
         authorities of the member states.",
    ),
];

fn searcher() -> (tempfile::TempDir, Searcher) {
    let dir = tempfile::tempdir().unwrap();
    let mut builder = IndexBuilder::create(dir.path()).unwrap();
    for (id, text) in PARAGRAPHS {
        builder.add_text(id, text).unwrap();
    }
    builder.commit().unwrap();
    let searcher = Index::open(dir.path()).unwrap().searcher();
    (dir, searcher)
}

fn docs(searcher: &Searcher, query: &str) -> Vec<String> {
    let results = searcher.search(query, 10).unwrap();
    results.hits.into_iter().map(|h| h.doc).collect()
}

#[test]
fn words_written_as_the_query_writes_them_rank_first() {
    let (_dir, searcher) = searcher();
    // Both paragraphs have `right(s)` and `development`; only the first has them as the
    // query has them, where the second has them close together, reversed.
    for query in ["right to development", "the right to development"] {
        assert_eq!(
            docs(&searcher, query),
            ["ungd-ARM-71-0012", "ungd-CAF-79-0041"],
            "{query}"
        );
    }
}

#[test]
fn common_words_are_highlighted_only_beside_the_querys_words() {
    let (_dir, searcher) = searcher();
    let results = searcher.search("the right to development", 10).unwrap();
    let hit = &results.hits[0];
    let marked: Vec<&str> = hit
        .highlights
        .iter()
        .map(|h| &hit.text[h.start..h.end])
        .collect();
    // Not the paragraph's six other `the`s, nor its `of`s.
    assert_eq!(marked, ["Rights", "the Right to Development"]);
    assert!(
        hit.snippet
            .to_string()
            .contains("【the Right to Development】"),
        "{}",
        hit.snippet
    );
    // In the other paragraph the words stand apart from any common word of the query.
    let hit = &results.hits[1];
    let marked: Vec<&str> = hit
        .highlights
        .iter()
        .map(|h| &hit.text[h.start..h.end])
        .collect();
    // `key to development`: `to` stands before `development`, as in the query.
    assert_eq!(marked, ["to development", "rights", "rights"]);
}

#[test]
fn a_hyphenated_word_is_found_as_written_not_as_its_parts_anywhere() {
    let (_dir, searcher) = searcher();
    // Its parts were two required words, found anywhere: `building world peace`.
    assert_eq!(docs(&searcher, "peace-building"), ["ungd-ZAF-75-0029"]);
    // A common word among its parts is as required as the rest: `well-being` was `well`
    // required and `be(ing)` optional. (`may well be` is still found: `being` is `be`
    // to the stemmer, and the hyphen is no word of its own.)
    assert_eq!(
        docs(&searcher, "well-being"),
        ["ungd-ZAF-76-0012", "ungd-USA-79-0129"]
    );
    assert_eq!(docs(&searcher, "as-well"), ["ungd-ARM-71-0012"]);
    // Spaced, the words are separate words again.
    assert_eq!(
        docs(&searcher, "peace building"),
        ["ungd-ZAF-75-0029", "ungd-BIH-70-0017"]
    );
}

#[test]
fn an_english_snippet_has_room_for_as_many_words_as_a_chinese_one() {
    let (_dir, searcher) = searcher();
    // 200 characters, 31 words: whole, where the 120 characters of a Chinese snippet
    // (about 18 words) cut it.
    let results = searcher.search("vulnerabilities", 10).unwrap();
    let hit = &results.hits[0];
    assert_eq!(hit.doc, "ungd-CAF-79-0041");
    assert_eq!(hit.snippet.text, hit.text);
}

#[test]
fn common_words_together_are_highlighted_only_beside_a_word_of_the_query() {
    let (_dir, searcher) = searcher();
    let results = searcher.search("state of the art", 10).unwrap();
    let hit = &results.hits[0];
    assert_eq!(hit.doc, "ungd-TJK-75-0022");
    let marked: Vec<&str> = hit
        .highlights
        .iter()
        .map(|h| &hit.text[h.start..h.end])
        .collect();
    // Not `means 【of the】`, nor `authorities 【of the】 member 【states】`: `of the` is
    // highlighted beside `state` or `art`, as the query has it (`states` is `state`).
    assert_eq!(marked, ["state-of-the-art", "states"]);
}
