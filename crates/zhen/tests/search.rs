//! Search on the shipped UN document.

use std::path::{Path, PathBuf};

use zhen::{Error, Index, IndexBuilder, SearchResults, Searcher};

fn shipped_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../index-data/us-hrc-pledges-2021.zh.txt")
}

struct Fixture {
    _dir: tempfile::TempDir,
    searcher: Searcher,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut builder = IndexBuilder::create(dir.path()).unwrap();
    builder.add_file(shipped_path()).unwrap();
    builder.commit().unwrap();
    let searcher = Index::open(dir.path()).unwrap().searcher();
    Fixture {
        _dir: dir,
        searcher,
    }
}

fn search(f: &Fixture, query: &str) -> SearchResults {
    f.searcher.search(query, 10).unwrap()
}

fn numbers(results: &SearchResults) -> Vec<Option<u32>> {
    results.hits.iter().map(|h| h.paragraph).collect()
}

#[test]
fn human_trafficking_finds_17_18_29_first() {
    let f = fixture();
    let r = search(&f, "人口贩运");
    let mut top3: Vec<u32> = r.hits.iter().take(3).filter_map(|h| h.paragraph).collect();
    top3.sort();
    assert_eq!(top3, [17, 18, 29], "{:?}", numbers(&r));
    assert_eq!(r.total_hits, 3);
    let first = &r.hits[0];
    assert_eq!(first.rank, 1);
    assert!(first.score > 0.0);
    assert_eq!(first.doc, "us-hrc-pledges-2021.zh");
    assert!(r.hits.windows(2).all(|w| w[0].score >= w[1].score));
}

#[test]
fn highlights_of_human_trafficking_in_18_cover_exactly_the_word() {
    let f = fixture();
    let r = search(&f, "人口贩运");
    let p18 = r.hits.iter().find(|h| h.paragraph == Some(18)).unwrap();
    assert_eq!(
        p18.section.as_deref(),
        Some("承诺在国际上推动人权、基本自由、人的尊严和繁荣")
    );
    assert!(!p18.highlights.is_empty());
    for h in &p18.highlights {
        assert_eq!(&p18.text[h.start..h.end], "人口贩运");
    }
    assert_eq!(p18.highlights.len(), p18.text.matches("人口贩运").count());
    assert!(
        p18.snippet.to_string().contains("【人口贩运】"),
        "{}",
        p18.snippet
    );
}

#[test]
fn traditional_query_finds_the_simplified_text() {
    let f = fixture();
    let r = search(&f, "國際勞工組織");
    let mut got: Vec<u32> = r.hits.iter().filter_map(|h| h.paragraph).collect();
    got.sort();
    assert_eq!(got, [17, 25]);
    let h = r.hits[0].highlights[0];
    assert_eq!(&r.hits[0].text[h.start..h.end], "国际劳工组织");
}

#[test]
fn full_width_digits_find_section_1557() {
    let f = fixture();
    let r = search(&f, "１５５７");
    assert_eq!(numbers(&r), [Some(28)]);
    let h = r.hits[0].highlights[0];
    assert_eq!(&r.hits[0].text[h.start..h.end], "1557");
}

#[test]
fn numbers_are_found_whole() {
    let f = fixture();
    assert_eq!(numbers(&search(&f, "1325")), [Some(13)]);
    let r = search(&f, "16/18");
    assert_eq!(numbers(&r), [Some(19)]);
    assert_eq!(search(&f, "2800").hits[0].paragraph, Some(8));
    let r = search(&f, "60/251");
    assert_eq!(r.total_hits, 2, "the note verbale and the annex title");
}

#[test]
fn quoted_phrase_ranks_its_paragraph_first() {
    let f = fixture();
    let r = search(&f, "\"表达自由\"");
    assert_eq!(r.hits[0].paragraph, Some(23));
    for hit in &r.hits {
        assert!(hit.text.contains("表达自由"), "{:?}", hit.paragraph);
    }
}

#[test]
fn exclusion_drops_paragraph_29() {
    let f = fixture();
    let r = search(&f, "人口贩运 -国会");
    let got: Vec<u32> = r.hits.iter().filter_map(|h| h.paragraph).collect();
    assert!(!got.contains(&29), "{got:?}");
    assert!(got.contains(&17) && got.contains(&18), "{got:?}");
}

/// A word with an excluded word ranks exactly as the word alone with the paragraphs that
/// contain the excluded word taken out, however many of the best hits those were: the
/// exclusion filters hits as they are ranked, under tantivy's pruning, and the count
/// leaves them out too.
#[test]
fn an_excluded_word_takes_its_paragraphs_out_of_the_words_ranking() {
    let f = fixture();
    let id = |h: &zhen::Hit| (h.paragraph, h.line);
    for (word, excluded, limit) in [
        ("人权", "国际", 5),
        ("人权", "美国", 3),
        ("自由", "国际", 4),
        ("权", "人权", 4),
        ("美国", "人权", 10),
    ] {
        let alone = f.searcher.search(word, 1_000).unwrap();
        assert_eq!(alone.hits.len(), alone.total_hits);
        let kept: Vec<_> = alone
            .hits
            .iter()
            .filter(|h| !h.text.contains(excluded))
            .map(id)
            .collect();
        let taken_out = alone.hits.len() - kept.len();
        // The excluded paragraphs stand among the best hits, so the pruning meets them.
        assert!(
            alone.hits[..limit]
                .iter()
                .any(|h| h.text.contains(excluded)),
            "{word} -{excluded}: none of the best {limit} hits is excluded"
        );
        let query = format!("{word} -{excluded}");
        let r = f.searcher.search(&query, limit).unwrap();
        let got: Vec<_> = r.hits.iter().map(id).collect();
        assert_eq!(got, kept[..limit.min(kept.len())], "{query}");
        assert_eq!(r.total_hits, kept.len(), "{query} ({taken_out} taken out)");
        assert!(
            r.hits.windows(2).all(|w| w[0].score >= w[1].score),
            "{query}"
        );
    }
}

#[test]
fn or_widens_and_and_is_the_default() {
    let f = fixture();
    let both = search(&f, "警务 酷刑");
    assert_eq!(both.total_hits, 0, "no paragraph has both");
    let either = search(&f, "警务 OR 酷刑");
    let mut got: Vec<u32> = either.hits.iter().filter_map(|h| h.paragraph).collect();
    got.sort();
    assert_eq!(got, [8, 32]);
}

#[test]
fn contiguous_matches_rank_above_scattered_ones() {
    let f = fixture();
    // 宗教 and 自由 co-occur in several paragraphs; only 19 has 宗教或信仰自由 verbatim,
    // and the contiguous 宗教 自由 pair (as in 宗教自由) nowhere, so the phrase bonus
    // decides between scattered matches by proximity.
    let r = search(&f, "宗教或信仰自由");
    assert_eq!(r.hits[0].paragraph, Some(19));
}

#[test]
fn characters_that_make_no_word_are_found_only_together() {
    let f = fixture();
    // jieba knows no word in `儿基会` (UNICEF, abbreviated): its characters scattered
    // over ¶18 (`儿童`, `专家会议`) found it.
    assert_eq!(search(&f, "儿基会").total_hits, 0);
    let r = search(&f, "和儿");
    assert_eq!(numbers(&r), [Some(18)]);
    assert!(r.hits.iter().all(|h| h.text.contains("和儿")));
    // A clause with a word in it still finds its words apart, after its contiguous hits.
    let r = search(&f, "美国儿");
    assert!(r.total_hits > 1, "{}", r.total_hits);
}

#[test]
fn english_metadata_is_searchable() {
    let f = fixture();
    for q in ["Distr.", "general", "ENGLISH", "Original"] {
        let r = search(&f, q);
        assert_eq!(r.total_hits, 1, "{q}");
        assert_eq!(r.hits[0].kind, zhen::BlockKind::Metadata, "{q}");
        assert_eq!(r.hits[0].paragraph, None);
    }
    // English words inside the Chinese text.
    let r = search(&f, "AND");
    let mut got: Vec<u32> = r.hits.iter().filter_map(|h| h.paragraph).collect();
    got.sort();
    assert_eq!(got, [23, 29]);
}

#[test]
fn page_break_text_is_found() {
    let f = fixture();
    assert_eq!(numbers(&search(&f, "尽职调查")), [Some(21)]);
    let r = search(&f, "\"公共卫生问题\"");
    assert_eq!(numbers(&r), [Some(29)]);
}

#[test]
fn no_hits_is_not_an_error() {
    let f = fixture();
    let r = search(&f, "量子计算");
    assert_eq!(r.total_hits, 0);
    assert!(r.hits.is_empty());
}

#[test]
fn syntax_errors_are_query_errors() {
    let f = fixture();
    for q in ["\"人口", "-", "OR", "人口 OR", "", "，。"] {
        match f.searcher.search(q, 10) {
            Err(Error::QuerySyntax(e)) => assert!(!e.message.is_empty()),
            other => panic!("{q:?}: expected a query error, got {other:?}"),
        }
    }
}

#[test]
fn limit_caps_hits_but_not_total() {
    let f = fixture();
    let r = f.searcher.search("美国", 3).unwrap();
    assert_eq!(r.hits.len(), 3);
    assert!(r.total_hits > 30);
}

#[test]
fn a_failed_rebuild_leaves_the_old_index_answering() {
    let dir = tempfile::tempdir().unwrap();
    let mut builder = IndexBuilder::create(dir.path()).unwrap();
    builder.add_file(shipped_path()).unwrap();
    builder.commit().unwrap();
    let before = Index::open(dir.path())
        .unwrap()
        .searcher()
        .search("人口贩运", 10)
        .unwrap();

    let bad = dir.path().join("binary.txt");
    std::fs::write(&bad, b"\x00\x01\x02binary\x00").unwrap();
    let mut builder = IndexBuilder::create(dir.path()).unwrap();
    let err = builder.add_file(&bad).unwrap_err();
    assert!(err.to_string().contains("binary.txt"), "{err}");
    drop(builder);

    let after = Index::open(dir.path())
        .unwrap()
        .searcher()
        .search("人口贩运", 10)
        .unwrap();
    assert_eq!(numbers(&before), numbers(&after));
    // The abandoned generation was cleaned up.
    let leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn rebuild_replaces_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = IndexBuilder::create(dir.path()).unwrap();
    b.add_text("a", "1. 第一版提到人口贩运。").unwrap();
    b.commit().unwrap();
    let mut b = IndexBuilder::create(dir.path()).unwrap();
    b.add_text("b", "1. 第二版只谈表达自由。").unwrap();
    b.commit().unwrap();
    let s = Index::open(dir.path()).unwrap().searcher();
    assert_eq!(s.search("人口贩运", 10).unwrap().total_hits, 0);
    assert_eq!(s.search("表达自由", 10).unwrap().hits[0].doc, "b");
    let generations = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("gen-")
        })
        .count();
    assert_eq!(generations, 1, "old generations are removed");
}

#[test]
fn refuses_to_overwrite_a_directory_that_is_not_an_index() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("precious.txt"), "keep me").unwrap();
    let err = IndexBuilder::create(dir.path()).unwrap_err();
    assert!(matches!(err, Error::NotAnIndex { .. }), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("precious.txt")).unwrap(),
        "keep me"
    );
    // The empty path is the current directory (this crate's, while tests run): it was
    // taken as missing, so the check was skipped and the index written into it.
    let err = IndexBuilder::create("").unwrap_err();
    assert!(
        matches!(&err, Error::NotAnIndex { path } if path == Path::new(".")),
        "{err}"
    );
    assert!(!Path::new("CURRENT").exists() && !Path::new("LOCK").exists());
}

/// A searcher of an index (in `dir`) built from `records` written as the corpus `corpus`.
fn searcher_of_records(dir: &tempfile::TempDir, corpus: &Path, records: &[&str]) -> Searcher {
    std::fs::write(corpus, records.join("\n")).unwrap();
    let idx = dir.path().join("idx");
    let mut builder = IndexBuilder::create(&idx).unwrap();
    builder.add_path(corpus).unwrap();
    builder.commit().unwrap();
    Index::open(&idx).unwrap().searcher()
}

#[test]
fn a_counterpart_is_in_the_other_language_and_of_the_same_kind() {
    // The shipped document is Chinese but for its English cover-page block, which every
    // unnumbered Chinese block (title, headings) got as its "translation".
    let f = fixture();
    let mut options = zhen::SearchOptions::with_limit(50);
    options.parallel = true;
    let hits = f.searcher.search_with("人权", &options).unwrap().hits;
    assert!(hits.len() > 10);
    for hit in &hits {
        assert!(
            matches!(hit.parallel, Some(None)),
            "{}: {:?}",
            hit.text,
            hit.parallel
        );
    }

    // A paragraph of neither language (`3.`, `2015`) is no one's counterpart, and the
    // only paragraph of the other language answers from either side.
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("p.jsonl");
    let records = [
        r#"{"id": "a1", "doc_id": "d8", "para": 3, "text": "3. 人口贩运问题。"}"#,
        r#"{"id": "a2", "doc_id": "d8", "para": 3, "text": "3."}"#,
        r#"{"id": "a3", "doc_id": "d8", "para": 3, "text": "3. The trafficking problem."}"#,
        r#"{"id": "b1", "doc_id": "d7", "text": "打击人口贩运的报告。"}"#,
        r#"{"id": "b2", "doc_id": "d7", "text": "2015"}"#,
        r#"{"id": "b3", "doc_id": "d7", "text": "A report on trafficking."}"#,
        r#"{"id": "c1", "doc_id": "d5", "para": 1, "text": "人口贩运的定义。"}"#,
        r#"{"id": "c2", "doc_id": "d5", "text": "What trafficking means."}"#,
    ];
    let searcher = searcher_of_records(&dir, &corpus, &records);
    let pairs = |query: &str| -> Vec<(String, Option<String>)> {
        let mut pairs: Vec<_> = searcher
            .search_with(query, &options)
            .unwrap()
            .hits
            .into_iter()
            .map(|h| (h.doc, h.parallel.flatten().map(|p| p.text)))
            .collect();
        pairs.sort();
        pairs
    };
    let some = |doc: &str, text: &str| (doc.to_owned(), Some(text.to_owned()));
    assert_eq!(
        pairs("人口贩运"),
        [
            some("d5", "What trafficking means."),
            some("d7", "A report on trafficking."),
            some("d8", "3. The trafficking problem."),
        ]
    );
    assert_eq!(
        pairs("trafficking"),
        [
            some("d5", "人口贩运的定义。"),
            some("d7", "打击人口贩运的报告。"),
            some("d8", "3. 人口贩运问题。"),
        ]
    );
}

#[test]
fn a_numbered_paragraph_is_the_counterpart_of_its_number_only() {
    // zh ¶2 had no English, and got the English ¶1 as its translation: the only English
    // paragraph of its kind. The unnumbered titles of `q` had none, as the English side
    // also holds a numbered paragraph.
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("par.jsonl");
    let records = [
        r#"{"id": "p", "lang": "zh", "para": 1, "text": "第一段讲人权理事会。"}"#,
        r#"{"id": "p", "lang": "zh", "para": 2, "text": "第二段讲妇女地位委员会。"}"#,
        r#"{"id": "p", "lang": "en", "para": 1, "text": "Paragraph one is about the Human Rights Council and the Commission."}"#,
        r#"{"id": "q", "lang": "zh", "text": "标题：裁军问题"}"#,
        r#"{"id": "q", "lang": "zh", "para": 5, "text": "第五段讲裁军。"}"#,
        r#"{"id": "q", "lang": "en", "text": "Title: disarmament"}"#,
        r#"{"id": "q", "lang": "en", "para": 5, "text": "Paragraph 5 is about disarmament."}"#,
    ];
    let searcher = searcher_of_records(&dir, &corpus, &records);
    let mut options = zhen::SearchOptions::with_limit(10);
    options.parallel = true;
    let pairs = |query: &str| -> Vec<(String, Option<u32>, Option<String>)> {
        let mut pairs: Vec<_> = searcher
            .search_with(query, &options)
            .unwrap()
            .hits
            .into_iter()
            .map(|h| (h.doc, h.paragraph, h.parallel.flatten().map(|p| p.text)))
            .collect();
        pairs.sort();
        pairs
    };
    let pair = |doc: &str, n: Option<u32>, text: Option<&str>| {
        (doc.to_owned(), n, text.map(str::to_owned))
    };
    assert_eq!(
        pairs("妇女地位委员会 OR 人权理事会"),
        [
            pair(
                "p",
                Some(1),
                Some("Paragraph one is about the Human Rights Council and the Commission.")
            ),
            pair("p", Some(2), None),
        ]
    );
    assert_eq!(
        pairs("Council"),
        [pair("p", Some(1), Some("第一段讲人权理事会。"))]
    );
    assert_eq!(
        pairs("裁军"),
        [
            pair("q", None, Some("Title: disarmament")),
            pair("q", Some(5), Some("Paragraph 5 is about disarmament.")),
        ]
    );
    assert_eq!(
        pairs("disarmament"),
        [
            pair("q", None, Some("标题：裁军问题")),
            pair("q", Some(5), Some("第五段讲裁军。")),
        ]
    );
}

#[test]
fn a_file_given_as_the_index_directory_is_named_as_a_file_and_kept() {
    // It was "cannot read FILE/CURRENT: Not a directory (os error 20)".
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, "keep me").unwrap();
    let open = Index::open(&file).unwrap_err();
    let create = IndexBuilder::create(&file).unwrap_err();
    let update = zhen::IndexUpdater::open(&file).unwrap_err();
    for err in [open, create, update] {
        assert!(matches!(err, Error::NotADirectory { .. }), "{err}");
        let message = err.to_string();
        assert!(
            message.contains("notes.txt is a file, not an index directory"),
            "{message}"
        );
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");
}

#[test]
fn a_document_needs_a_name() {
    let dir = tempfile::tempdir().unwrap();
    let mut builder = IndexBuilder::create(dir.path()).unwrap();
    for id in ["", " "] {
        let err = builder.add_text(id, "1. 打击人口贩运。").unwrap_err();
        assert!(matches!(err, Error::EmptyDocumentId), "{err}");
    }
    // Nor a document without text: it counted as a document that nothing could find or
    // remove.
    for text in ["", " \n\n \u{3000}"] {
        let err = builder.add_text("blank", text).unwrap_err();
        assert!(
            matches!(&err, Error::EmptyDocument { id } if id == "blank"),
            "{err}"
        );
    }
    let err = builder.add_paragraphs("none", &[]).unwrap_err();
    assert!(matches!(err, Error::EmptyDocument { .. }), "{err}");
    // Paragraphs are found, replaced and removed under their own `doc`: given for `p1`
    // while naming `other`, they were out of reach of `p1`, and two documents' worth of
    // them could pile up under `other`.
    let foreign = [zhen::Paragraph::new("other", 0, "不一样的文档标识")];
    let err = builder.add_paragraphs("p1", &foreign).unwrap_err();
    assert!(
        matches!(&err, Error::ForeignParagraph { id, doc, ordinal: 0 } if id == "p1" && doc == "other"),
        "{err}"
    );
    let twice = [
        zhen::Paragraph::new("p1", 3, "第一段"),
        zhen::Paragraph::new("p1", 3, "第二段"),
    ];
    let err = builder.add_paragraphs("p1", &twice).unwrap_err();
    assert!(
        matches!(&err, Error::DuplicateOrdinal { ordinal: 3, .. }),
        "{err}"
    );
    builder.add_text("pledges", "1. 打击人口贩运。").unwrap();
    builder.commit().unwrap();
    let mut update = zhen::IndexUpdater::open(dir.path()).unwrap();
    let err = update.add_text("", "1. 人权理事会。").unwrap_err();
    assert!(matches!(err, Error::EmptyDocumentId), "{err}");
    let err = update.add_text("blank", "   ").unwrap_err();
    assert!(matches!(err, Error::EmptyDocument { .. }), "{err}");
    let err = update.add_paragraphs("p1", &foreign).unwrap_err();
    assert!(matches!(err, Error::ForeignParagraph { .. }), "{err}");
    let report = update.commit().unwrap();
    assert_eq!((report.documents, report.paragraphs), (1, 1));
    let hits = Index::open(dir.path())
        .unwrap()
        .searcher()
        .search("人口贩运", 10)
        .unwrap();
    let docs: Vec<&str> = hits.hits.iter().map(|h| h.doc.as_str()).collect();
    assert_eq!(docs, ["pledges"]);
}

#[test]
fn opening_errors_are_specific() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        Index::open(dir.path().join("none")),
        Err(Error::IndexNotFound { .. })
    ));

    let mut b = IndexBuilder::create(dir.path()).unwrap();
    b.add_text("a", "1. 人口贩运。").unwrap();
    b.commit().unwrap();
    let current = std::fs::read_to_string(dir.path().join("CURRENT")).unwrap();
    let meta_path = dir.path().join(current.trim()).join("zhen.json");
    let meta = std::fs::read_to_string(&meta_path).unwrap();

    let format = format!("\"format\": {}", zhen::index::INDEX_FORMAT);
    assert!(meta.contains(&format), "{meta}");
    std::fs::write(&meta_path, meta.replace(&format, "\"format\": 999")).unwrap();
    let err = Index::open(dir.path()).unwrap_err();
    assert!(
        matches!(err, Error::IndexVersion { found: 999, .. }),
        "{err}"
    );
    // Built from a text given by a program, not a file: no source to name.
    assert!(
        err.to_string().contains(&format!(
            "rebuild it from its sources, with `zhen index SOURCES... --index {}`",
            dir.path().display()
        )),
        "{err}"
    );

    std::fs::write(&meta_path, "{ not json").unwrap();
    assert!(matches!(
        Index::open(dir.path()),
        Err(Error::IndexCorrupt { .. })
    ));

    std::fs::write(&meta_path, meta).unwrap();
    std::fs::remove_file(dir.path().join(current.trim()).join("meta.json")).unwrap();
    let err = Index::open(dir.path()).unwrap_err();
    assert!(matches!(err, Error::IndexCorrupt { .. }), "{err}");
}

#[test]
fn the_explanation_shows_the_filters_that_run() {
    // `--doc` and `--lang` ran but the explained tree left them out.
    let f = fixture();
    let mut options = zhen::SearchOptions::with_limit(5);
    options.explain = true;
    options.doc = Some("us-hrc-pledges-2021.zh".to_owned());
    options.lang = Some(zhen::Lang::Zh);
    let results = f.searcher.search_with("人权", &options).unwrap();
    assert!(results.total_hits > 10);
    let tree = results.explanation.unwrap().tree.render();
    assert!(tree.starts_with("filtered"), "{tree}");
    for filter in [
        "filter doc:us-hrc-pledges-2021.zh",
        "filter lang:zh",
        "term body:人权",
    ] {
        assert!(tree.contains(filter), "{filter} in\n{tree}");
    }
    options.doc = None;
    options.lang = None;
    let tree = f
        .searcher
        .search_with("人权", &options)
        .unwrap()
        .explanation
        .unwrap()
        .tree
        .render();
    assert!(!tree.contains("filter"), "{tree}");
}
