//! zhen embedded by another program: many documents in two languages, a parallel corpus,
//! filters, incremental updates seen by searchers on other threads.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use zhen::{Index, IndexBuilder, IndexUpdater, Lang, SearchOptions, Searcher};

fn shared(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(name);
    assert!(path.is_file(), "{} is missing", path.display());
    path
}

/// The first `pairs` aligned pairs of the UN parallel corpus, as a JSON Lines file in
/// `dir`, and each record's text by (id, lang).
fn parallel_sample(dir: &Path, pairs: usize) -> (PathBuf, HashMap<(String, String), String>) {
    let file = std::fs::File::open(shared("unpc-v1-testsets.zh-en.jsonl.gz")).unwrap();
    let reader = std::io::BufReader::new(flate2::read::GzDecoder::new(file));
    let path = dir.join("unpc-sample.jsonl");
    let mut out = std::fs::File::create(&path).unwrap();
    let mut texts = HashMap::new();
    for line in reader.lines().take(pairs * 2) {
        let line = line.unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        texts.insert(
            (
                v["id"].as_str().unwrap().to_owned(),
                v["lang"].as_str().unwrap().to_owned(),
            ),
            v["text"].as_str().unwrap().to_owned(),
        );
        writeln!(out, "{line}").unwrap();
    }
    (path, texts)
}

fn parallel_index(
    pairs: usize,
) -> (
    tempfile::TempDir,
    Searcher,
    HashMap<(String, String), String>,
) {
    let dir = tempfile::tempdir().unwrap();
    let (corpus, texts) = parallel_sample(dir.path(), pairs);
    let idx = dir.path().join("idx");
    let mut builder = IndexBuilder::create(&idx).unwrap();
    builder.add_path(&corpus).unwrap();
    let report = builder.commit().unwrap();
    assert_eq!(report.documents, pairs);
    let searcher = Index::open(&idx).unwrap().searcher();
    (dir, searcher, texts)
}

fn with_parallel(limit: usize) -> SearchOptions {
    let mut options = SearchOptions::with_limit(limit);
    options.parallel = true;
    options
}

#[test]
fn english_hits_show_their_chinese_counterparts_and_back() {
    let (_dir, searcher, texts) = parallel_index(1500);
    let lang_of = |l: Lang| l.code().to_owned();

    let results = searcher
        .search_with("trafficking", &with_parallel(50))
        .unwrap();
    assert!(results.hits.len() >= 3, "{}", results.total_hits);
    for hit in &results.hits {
        assert_eq!(hit.lang, Lang::En, "{}", hit.text);
        assert_eq!(texts[&(hit.doc.clone(), "en".to_owned())], hit.text);
        let parallel = hit.parallel.clone().unwrap().expect("every pair has both");
        assert_eq!(parallel.lang, Lang::Zh);
        assert_eq!(
            texts[&(hit.doc.clone(), lang_of(parallel.lang))],
            parallel.text
        );
    }

    let results = searcher.search_with("贩运", &with_parallel(50)).unwrap();
    assert!(!results.hits.is_empty());
    for hit in &results.hits {
        assert_eq!(hit.lang, Lang::Zh);
        let parallel = hit.parallel.clone().unwrap().unwrap();
        assert_eq!(parallel.lang, Lang::En);
        assert_eq!(texts[&(hit.doc.clone(), "en".to_owned())], parallel.text);
    }

    // Without the option there is no lookup.
    let plain = searcher.search("贩运", 5).unwrap();
    assert!(plain.hits.iter().all(|h| h.parallel.is_none()));
}

#[test]
fn language_and_document_filters_keep_only_their_paragraphs() {
    let (_dir, searcher, _) = parallel_index(1500);
    // Numbers are in both languages of a pair.
    let all = searcher.search("2015", 10_000).unwrap();
    let count = |lang: Lang| all.hits.iter().filter(|h| h.lang == lang).count();
    assert!(count(Lang::Zh) > 0 && count(Lang::En) > 0);

    for lang in [Lang::Zh, Lang::En] {
        let mut options = SearchOptions::with_limit(10_000);
        options.lang = Some(lang);
        let filtered = searcher.search_with("2015", &options).unwrap();
        assert_eq!(filtered.total_hits, count(lang), "{lang}");
        assert!(filtered.hits.iter().all(|h| h.lang == lang));
    }

    let doc = all.hits[0].doc.clone();
    let mut options = SearchOptions::with_limit(100);
    options.doc = Some(doc.clone());
    let filtered = searcher.search_with("2015", &options).unwrap();
    assert!(filtered.total_hits >= 1);
    assert!(filtered.hits.iter().all(|h| h.doc == doc));
}

#[test]
fn a_document_without_a_counterpart_has_a_null_parallel() {
    let dir = tempfile::tempdir().unwrap();
    let mut builder = IndexBuilder::create(dir.path()).unwrap();
    builder
        .add_text("zh-only", "1. 美国承诺打击人口贩运。")
        .unwrap();
    builder.commit().unwrap();
    let searcher = Index::open(dir.path()).unwrap().searcher();
    let results = searcher.search_with("人口贩运", &with_parallel(5)).unwrap();
    assert!(matches!(results.hits[0].parallel, Some(None)));
    let json = serde_json::to_value(&results).unwrap();
    assert!(json["hits"][0]["parallel"].is_null());
    assert!(json["hits"][0].get("parallel").is_some());
    assert_eq!(json["hits"][0]["lang"], "zh");
}

/// Paragraphs of one document, each saying which version it belongs to.
fn versioned(version: &str, paragraphs: usize) -> String {
    (1..=paragraphs)
        .map(|i| format!("{i}. 第{i}条 本规定{version}关于人口贩运的内容。"))
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[test]
fn searches_during_an_update_see_the_old_or_the_new_document_never_a_mix() {
    const PARAGRAPHS: usize = 40;
    let dir = tempfile::tempdir().unwrap();
    let mut builder = IndexBuilder::create(dir.path()).unwrap();
    builder
        .add_text("rules", &versioned("旧版", PARAGRAPHS))
        .unwrap();
    builder
        .add_text("other", "1. 与此无关的段落。\n\n2. 另一段。")
        .unwrap();
    builder.commit().unwrap();

    let searcher = Index::open(dir.path()).unwrap().searcher();
    let done = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    for _ in 0..4 {
        let searcher = searcher.clone();
        let done = done.clone();
        threads.push(std::thread::spawn(move || {
            let (mut old, mut new) = (0usize, 0usize);
            loop {
                let finished = done.load(Ordering::SeqCst);
                searcher.reload().unwrap();
                let r = searcher.search("人口贩运", 100).unwrap();
                let olds = r.hits.iter().filter(|h| h.text.contains("旧版")).count();
                let news = r.hits.iter().filter(|h| h.text.contains("新版")).count();
                assert_eq!(r.total_hits, PARAGRAPHS, "a half-applied update");
                assert!(
                    (olds, news) == (PARAGRAPHS, 0) || (olds, news) == (0, PARAGRAPHS),
                    "a mix: {olds} old and {news} new paragraphs"
                );
                if olds > 0 {
                    old += 1;
                } else {
                    new += 1;
                }
                if finished {
                    return (old, new);
                }
            }
        }));
    }
    std::thread::sleep(std::time::Duration::from_millis(50));
    let mut update = IndexUpdater::open(dir.path()).unwrap();
    update
        .add_text("rules", &versioned("新版", PARAGRAPHS))
        .unwrap();
    let report = update.commit().unwrap();
    assert_eq!(report.replaced, 1);
    std::thread::sleep(std::time::Duration::from_millis(50));
    done.store(true, Ordering::SeqCst);
    for t in threads {
        let (old, new) = t.join().unwrap();
        assert!(
            new > 0,
            "every thread ends seeing the update ({old} old, {new} new)"
        );
    }
}

#[test]
fn updates_add_replace_skip_unchanged_and_remove_by_document_id() {
    let dir = tempfile::tempdir().unwrap();
    let mut builder = IndexBuilder::create(dir.path()).unwrap();
    builder.add_text("a", &versioned("甲", 3)).unwrap();
    builder.add_text("b", &versioned("乙", 2)).unwrap();
    builder.commit().unwrap();
    let index = Index::open(dir.path()).unwrap();
    let searcher = index.searcher();

    let mut update = IndexUpdater::open(dir.path()).unwrap();
    update.add_text("a", &versioned("甲", 3)).unwrap();
    update.add_text("b", &versioned("丙", 4)).unwrap();
    update
        .add_text("c", "1. Human trafficking is a crime.")
        .unwrap();
    let report = update.commit().unwrap();
    assert_eq!(
        (
            report.unchanged,
            report.replaced,
            report.added,
            report.removed
        ),
        (1, 1, 1, 0)
    );
    assert_eq!((report.documents, report.paragraphs), (3, 3 + 4 + 1));

    // An update is a change, as a rebuild is.
    assert!(searcher.reload().unwrap());
    assert!(!searcher.reload().unwrap());
    assert_eq!(searcher.search("乙", 10).unwrap().total_hits, 0);
    assert_eq!(searcher.search("丙", 10).unwrap().total_hits, 4);
    assert_eq!(searcher.search("甲", 10).unwrap().total_hits, 3);
    assert_eq!(searcher.search("trafficking", 10).unwrap().total_hits, 1);

    let mut update = IndexUpdater::open(dir.path()).unwrap();
    assert!(update.remove("b").unwrap());
    assert!(!update.remove("nope").unwrap());
    // As adding a document without an id is an error, so is removing one.
    assert!(matches!(
        update.remove(" "),
        Err(zhen::Error::EmptyDocumentId)
    ));
    let report = update.commit().unwrap();
    assert_eq!(report.removed, 1);
    assert_eq!(report.not_found, ["nope"]);

    let stats = Index::open(dir.path()).unwrap().stats().unwrap();
    assert_eq!((stats.documents, stats.paragraphs), (2, 4));
    assert_eq!(stats.languages["zh"], 3);
    assert_eq!(stats.languages["en"], 1);
    searcher.reload().unwrap();
    assert_eq!(searcher.search("丙", 10).unwrap().total_hits, 0);
    // Removed paragraphs are deleted, not gone from the segment, until a merge.
    assert!(!searcher.has_document("b").unwrap());
    assert!(searcher.has_document("c").unwrap());
}

/// Every file of the index's live generation but its lock files, with size and
/// modification time.
fn generation_files(idx: &Path) -> Vec<(PathBuf, u64, std::time::SystemTime)> {
    let current = std::fs::read_to_string(idx.join("CURRENT")).unwrap();
    let generation = idx.join(current.trim());
    let mut files: Vec<_> = std::fs::read_dir(&generation)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.file_name().unwrap().to_string_lossy().contains("lock"))
        .map(|p| {
            let m = std::fs::metadata(&p).unwrap();
            (p, m.len(), m.modified().unwrap())
        })
        .collect();
    files.sort();
    files
}

#[test]
fn updates_that_change_nothing_write_nothing_and_list_each_source_once() {
    // Every `--add` appended its files to the sources again (9,300 after 30 updates of
    // 300 files, read at every open: a cold search went from 3.5 to 22.8 ms), and
    // committed though nothing changed.
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    std::fs::create_dir(&docs).unwrap();
    for (name, text) in [("a", "甲"), ("b", "乙"), ("c", "丙")] {
        std::fs::write(docs.join(format!("{name}.txt")), versioned(text, 2)).unwrap();
    }
    let idx = dir.path().join("idx");
    let mut builder = IndexBuilder::create(&idx).unwrap();
    builder.add_path(&docs).unwrap();
    builder.commit().unwrap();
    let sources = |idx: &Path| Index::open(idx).unwrap().stats().unwrap().sources;
    assert_eq!(sources(&idx), 3);
    let before = generation_files(&idx);
    std::thread::sleep(std::time::Duration::from_millis(20));
    for _ in 0..3 {
        let mut update = IndexUpdater::open(&idx).unwrap();
        assert_eq!(update.add_path(&docs).unwrap(), 3);
        let report = update.commit().unwrap();
        assert_eq!((report.unchanged, report.added, report.replaced), (3, 0, 0));
        assert_eq!((report.documents, report.paragraphs), (3, 6));
    }
    assert_eq!(generation_files(&idx), before, "nothing rewritten");
    assert_eq!(sources(&idx), 3);

    // A changed file replaces its entry; a removed document's file leaves the list, as a
    // fresh build of the same files would have it. Removing it twice is no warning.
    std::fs::write(docs.join("b.txt"), versioned("丁", 3)).unwrap();
    std::fs::remove_file(docs.join("c.txt")).unwrap();
    let mut update = IndexUpdater::open(&idx).unwrap();
    assert!(update.remove("c").unwrap());
    assert!(update.remove("c").unwrap());
    update.add_path(&docs).unwrap();
    let report = update.commit().unwrap();
    assert_eq!(
        (report.unchanged, report.replaced, report.removed),
        (1, 1, 1)
    );
    assert!(report.not_found.is_empty(), "{:?}", report.not_found);
    let fresh = dir.path().join("fresh");
    let mut builder = IndexBuilder::create(&fresh).unwrap();
    builder.add_path(&docs).unwrap();
    builder.commit().unwrap();
    assert_eq!(sources(&idx), sources(&fresh));
    assert_eq!(sources(&idx), 2);
}

#[test]
fn a_document_whose_records_are_apart_is_reported_as_replaced_when_it_grew() {
    let dir = tempfile::tempdir().unwrap();
    let record = |doc: &str, n: u32| {
        format!(r#"{{"id": "{doc}-{n}", "doc_id": "{doc}", "text": "第{n}条 {doc}的规定。"}}"#)
    };
    let first = dir.path().join("first.jsonl");
    std::fs::write(&first, [record("X", 1), record("X", 2)].join("\n")).unwrap();
    let second = dir.path().join("second.jsonl");
    let lines = [
        record("X", 1),
        record("X", 2),
        record("Y", 1),
        record("X", 3),
    ];
    std::fs::write(&second, lines.join("\n")).unwrap();
    let idx = dir.path().join("idx");
    let mut builder = IndexBuilder::create(&idx).unwrap();
    builder.add_path(&first).unwrap();
    builder.commit().unwrap();
    let mut update = IndexUpdater::open(&idx).unwrap();
    update.add_path(&second).unwrap();
    let report = update.commit().unwrap();
    // X gained a paragraph: it was "1 added, 0 replaced, 1 unchanged".
    assert_eq!((report.added, report.replaced, report.unchanged), (1, 1, 0));
    let searcher = Index::open(&idx).unwrap().searcher();
    assert_eq!(searcher.search("X的规定", 10).unwrap().total_hits, 3);
}

/// An index of one document saying `旧的内容`, and a searcher over it.
fn old_content_index() -> (tempfile::TempDir, Searcher) {
    let dir = tempfile::tempdir().unwrap();
    let mut builder = IndexBuilder::create(dir.path()).unwrap();
    builder.add_text("a", "1. 旧的内容。").unwrap();
    builder.commit().unwrap();
    let searcher = Index::open(dir.path()).unwrap().searcher();
    assert_eq!(searcher.search("旧", 5).unwrap().total_hits, 1);
    (dir, searcher)
}

#[test]
fn a_searcher_follows_a_rebuild_to_the_new_generation() {
    let (dir, searcher) = old_content_index();

    let mut builder = IndexBuilder::create(dir.path()).unwrap();
    builder.add_text("a", "1. 新的内容。").unwrap();
    builder.commit().unwrap();
    // Until it reloads, the searcher keeps answering from the generation it has open.
    assert!(searcher.reload().unwrap());
    assert_eq!(searcher.search("旧", 5).unwrap().total_hits, 0);
    assert_eq!(searcher.search("新", 5).unwrap().total_hits, 1);
}

#[test]
fn stats_name_the_index_by_its_absolute_path() {
    // `zhen stats --json` on the default index said `"dir": "index-data/index"`.
    let dir = tempfile::tempdir_in(".").unwrap();
    let relative = Path::new(".").join(dir.path().file_name().unwrap());
    let mut builder = IndexBuilder::create(&relative).unwrap();
    builder.add_text("a", "1. 内容。").unwrap();
    builder.commit().unwrap();
    let stats = Index::open(&relative).unwrap().stats().unwrap();
    assert!(stats.dir.is_absolute(), "{}", stats.dir.display());
    assert_eq!(stats.dir, dir.path().canonicalize().unwrap());
}

#[test]
fn an_index_handle_reports_on_the_index_after_rebuilds() {
    let (dir, _searcher) = old_content_index();
    let index = Index::open(dir.path()).unwrap();
    // The second build deletes the generation the handle opened: its stats failed with
    // "search failed in the index engine … if the index files were damaged … rebuild it",
    // and verify said the index was damaged.
    for text in ["1. 新的内容。", "1. 新的内容。\n\n2. 更新的内容。"] {
        let mut builder = IndexBuilder::create(dir.path()).unwrap();
        builder.add_text("a", text).unwrap();
        builder.commit().unwrap();
    }
    let stats = index.stats().unwrap();
    assert_eq!((stats.documents, stats.paragraphs), (1, 2));
    index.verify().unwrap();
}

#[test]
fn a_searcher_sees_an_update_within_a_second_without_being_told() {
    let (dir, searcher) = old_content_index();

    let mut update = IndexUpdater::open(dir.path()).unwrap();
    update.add_text("b", "1. 新的内容。").unwrap();
    update.commit().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(searcher.search("新", 5).unwrap().total_hits, 1);
}

/// A JSON Lines record's other scalar fields come back with every hit from it, as the
/// record had them, through `Hit::metadata` and in the hit's JSON.
#[test]
fn hits_from_json_lines_records_carry_their_records_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let file = std::fs::File::open(shared("prc-laws.zh.jsonl.gz")).unwrap();
    let reader = std::io::BufReader::new(flate2::read::GzDecoder::new(file));
    let corpus = dir.path().join("laws-sample.jsonl");
    let mut out = std::fs::File::create(&corpus).unwrap();
    let mut records: HashMap<String, serde_json::Value> = HashMap::new();
    for line in reader.lines().take(400) {
        let line = line.unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        records.insert(v["id"].as_str().unwrap().to_owned(), v);
        writeln!(out, "{line}").unwrap();
    }
    drop(out);
    let idx = dir.path().join("idx");
    let mut builder = IndexBuilder::create(&idx).unwrap();
    builder.add_path(&corpus).unwrap();
    builder.commit().unwrap();
    let searcher = Index::open(&idx).unwrap().searcher();

    let results = searcher.search("口岸", 20).unwrap();
    assert_eq!(results.hits.len(), 20);
    for hit in &results.hits {
        let id = hit.metadata["id"].as_str().expect("the record id is kept");
        let record = &records[id];
        assert!(record["text"].as_str().unwrap().contains(&hit.text));
        for key in ["title", "source", "lang"] {
            assert_eq!(hit.metadata[key], record[key], "{id}: {key}");
        }
        assert!(hit.metadata.get("text").is_none(), "{id}");
        let json = serde_json::to_value(hit).unwrap();
        assert_eq!(
            json["metadata"],
            serde_json::Value::Object(hit.metadata.as_map().clone())
        );
    }

    // A plain-text document has none, and its hits' JSON leaves the key out.
    let mut update = IndexUpdater::open(&idx).unwrap();
    update.add_text("memo", "1. 口岸开放的备忘录。").unwrap();
    update.commit().unwrap();
    searcher.reload().unwrap();
    let memo = searcher.search("备忘录", 5).unwrap();
    assert_eq!(memo.hits.len(), 1);
    assert!(memo.hits[0].metadata.is_empty());
    assert!(serde_json::to_value(&memo.hits[0])
        .unwrap()
        .get("metadata")
        .is_none());
}
