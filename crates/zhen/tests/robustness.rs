//! The library under bad input and faults: files that cannot be indexed, broken records,
//! hostile queries, a second builder, a killed builder's leftovers, damaged index files.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use zhen::{Error, Index, IndexBuilder, SearchResults};

const PLEDGE: &str = "承诺在国际上推动人权\n\n\
    17. 美国承诺与國際勞工組織合作，打击强迫劳动和人口贩运。\n\n\
    18. 美国承诺促进表达自由，包括线上 and offline。";

fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../index-data/us-hrc-pledges-2021.zh.txt")
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find(|l| l.starts_with("Uid:"))
            .is_some_and(|l| l.split_whitespace().nth(2) == Some("0"))
    })
}

/// Hits as (doc, paragraph, text) — what a user sees, to compare two answers exactly.
fn answer(results: &SearchResults) -> Vec<(String, Option<u32>, String)> {
    results
        .hits
        .iter()
        .map(|h| (h.doc.clone(), h.paragraph, h.text.clone()))
        .collect()
}

fn add_file_error(path: &Path) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut builder = IndexBuilder::create(dir.path().join("idx")).unwrap();
    let err = builder.add_file(path).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Read { .. } | Error::Decode { .. } | Error::Source { .. }
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains(&path.display().to_string()),
        "names the file: {message}"
    );
    message
}

#[test]
fn files_with_nothing_to_index_are_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let cases = [
        (write("empty.txt", b""), "empty"),
        (write("bom-only.txt", b"\xEF\xBB\xBF"), "empty"),
        (write("blank.txt", b"  \n\t\r\n\x0c\n   "), "white space"),
        (
            write("blank-wide.txt", "\u{3000}\n\u{3000}".as_bytes()),
            "white space",
        ),
        (
            write("image.txt", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0"),
            "binary",
        ),
        (
            write("latin1.txt", b"caf\xe9 na\xefve \xff\xfe\xfd"),
            "byte",
        ),
        (write("empty.jsonl", b""), "no record"),
        (write("blank.jsonl", b"\n\n  \n"), "no record"),
        (dir.path().join("missing.txt"), "No such file"),
    ];
    for (path, reason) in cases {
        let message = add_file_error(&path);
        assert!(message.contains(reason), "{reason}: {message}");
    }
}

#[test]
fn unreadable_file_is_an_error_naming_the_file() {
    if is_root() {
        // Permissions do not stop root; the CLI test runs the build as `nobody` instead.
        eprintln!("skipped: running as root, chmod 000 does not make a file unreadable");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret.txt");
    std::fs::write(&path, PLEDGE).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    let message = add_file_error(&path);
    assert!(message.contains("Permission denied"), "{message}");
}

#[test]
fn a_file_that_vanishes_after_listing_is_an_error_and_the_rest_is_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    std::fs::create_dir(&docs).unwrap();
    std::fs::write(docs.join("a.txt"), PLEDGE).unwrap();
    std::fs::write(docs.join("b.txt"), "1. 第二份文件谈宗教自由。").unwrap();
    let idx = dir.path().join("idx");
    let files = zhen::index::source_files(&docs, &idx).unwrap();
    assert_eq!(files.len(), 2);
    std::fs::remove_file(docs.join("a.txt")).unwrap();

    let mut builder = IndexBuilder::create(&idx).unwrap();
    let err = builder.add_file(&files[0]).unwrap_err();
    assert!(matches!(err, Error::Read { .. }), "{err:?}");
    assert!(err.to_string().contains("a.txt"), "{err}");
    builder.add_file(&files[1]).unwrap();
    builder.commit().unwrap();
    let searcher = Index::open(&idx).unwrap().searcher();
    assert_eq!(searcher.search("宗教自由", 10).unwrap().hits[0].doc, "b");
}

/// A multi-megabyte single line (no blank line, no line break): indexed in parts of at
/// most `MAX_PART_BYTES`, every part searchable, text at the very start and end found.
/// The 100 MB version runs in the CLI's ignored test; this size keeps the test fast in a
/// debug build.
#[test]
fn a_huge_single_line_is_indexed_in_bounded_parts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one-line.txt");
    let sentence = "各国应当加强合作，共同应对气候变化带来的挑战。";
    let repeats = 2 * 1024 * 1024 / sentence.len();
    let text = format!(
        "开头独有的词语鲲鹏。{}结尾独有的词语饕餮。",
        sentence.repeat(repeats)
    );
    std::fs::write(&path, &text).unwrap();

    let idx = dir.path().join("idx");
    let mut builder = IndexBuilder::create(&idx).unwrap();
    builder.add_file(&path).unwrap();
    let report = builder.commit().unwrap();
    let parts = text.len().div_ceil(zhen::document::MAX_PART_BYTES) as u64;
    assert!(
        report.paragraphs >= parts && report.paragraphs <= 2 * parts,
        "{} parts for {} bytes",
        report.paragraphs,
        text.len()
    );

    let searcher = Index::open(&idx).unwrap().searcher();
    for (query, first_part) in [("鲲鹏", true), ("\"词语饕餮\"", false)] {
        let results = searcher.search(query, 10).unwrap();
        assert_eq!(results.total_hits, 1, "{query}");
        let hit = &results.hits[0];
        assert!(hit.text.len() <= zhen::document::MAX_PART_BYTES);
        assert_eq!(hit.text.starts_with("开头"), first_part);
        assert_eq!(hit.line, 1);
    }
    let everywhere = searcher.search("气候变化", 5).unwrap();
    assert_eq!(everywhere.total_hits as u64, report.paragraphs);
}

#[test]
fn broken_records_are_skipped_with_their_line_or_stop_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("mixed.jsonl");
    let lines = [
        r#"{"id": "a", "text": "美国承诺打击人口贩运。"}"#,
        r#"{"id": "b", "text": "断了的记录"#,
        r#"["not", "an", "object"]"#,
        r#"{"id": "c", "title": "no text"}"#,
        r#"{"id": "d", "text": 42}"#,
        // serde_json refuses unpaired surrogate escapes rather than inventing characters.
        r#"{"id": "e", "text": "\ud800孤立的代理项"}"#,
        r#"{"id": "f", "text": "表达自由十分重要。"}"#,
    ];
    let mut bytes = lines.join("\n").into_bytes();
    bytes.extend_from_slice(b"\n{\"id\": \"g\", \"text\": \"\xff\xfe\"}\n");
    std::fs::write(&corpus, bytes).unwrap();

    // Without skipping: the first bad record fails the file, naming file and line.
    let mut builder = IndexBuilder::create(dir.path().join("strict")).unwrap();
    let err = builder.add_file(&corpus).unwrap_err().to_string();
    assert!(
        err.contains("mixed.jsonl") && err.contains("line 2"),
        "{err}"
    );
    drop(builder);

    let skipped = Arc::new(Mutex::new(Vec::new()));
    let log = skipped.clone();
    let idx = dir.path().join("lenient");
    let mut builder = IndexBuilder::create(&idx).unwrap();
    builder.skip_bad_records(move |e| log.lock().unwrap().push(e.to_string()));
    builder.add_file(&corpus).unwrap();
    assert_eq!(builder.commit().unwrap().paragraphs, 2);
    let skipped = skipped.lock().unwrap();
    let lines_reported: Vec<&str> = skipped
        .iter()
        .map(|m| {
            assert!(m.contains("mixed.jsonl"), "{m}");
            let at = m.find("line ").expect("names the line");
            m[at..].split(':').next().unwrap()
        })
        .collect();
    assert_eq!(
        lines_reported,
        ["line 2", "line 3", "line 4", "line 5", "line 6", "line 8"]
    );
    assert!(skipped[4].contains("hex escape"), "{}", skipped[4]);
    let searcher = Index::open(&idx).unwrap().searcher();
    assert_eq!(searcher.search("人口贩运", 10).unwrap().total_hits, 1);
    assert_eq!(searcher.search("表达自由", 10).unwrap().total_hits, 1);
}

#[test]
fn a_truncated_gzip_corpus_keeps_the_records_before_the_damage() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let mut body = String::new();
    for i in 0..2000 {
        body.push_str(&format!(
            "{{\"id\": \"r{i}\", \"text\": \"第{i}条记录谈人口贩运问题。\"}}\n"
        ));
    }
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(body.as_bytes()).unwrap();
    let gz = enc.finish().unwrap();
    let corpus = dir.path().join("cut.jsonl.gz");
    std::fs::write(&corpus, &gz[..gz.len() / 2]).unwrap();

    let skipped = Arc::new(Mutex::new(Vec::new()));
    let log = skipped.clone();
    let mut builder = IndexBuilder::create(dir.path().join("idx")).unwrap();
    builder.skip_bad_records(move |e| log.lock().unwrap().push(e.to_string()));
    builder.add_file(&corpus).unwrap();
    let indexed = builder.commit().unwrap().paragraphs;
    assert!(indexed > 0 && indexed < 2000, "{indexed}");
    let skipped = skipped.lock().unwrap();
    assert_eq!(
        skipped.len(),
        1,
        "one report, no endless retries: {skipped:?}"
    );
    assert!(
        skipped[0].contains("cut.jsonl.gz") && skipped[0].contains("truncated"),
        "{}",
        skipped[0]
    );
}

fn pledge_index() -> (tempfile::TempDir, zhen::Searcher) {
    let dir = tempfile::tempdir().unwrap();
    let mut builder = IndexBuilder::create(dir.path()).unwrap();
    builder.add_file(shipped()).unwrap();
    builder.commit().unwrap();
    let searcher = Index::open(dir.path()).unwrap().searcher();
    (dir, searcher)
}

/// Queries a user (or a fuzzer) may type: each gives results or a query error with a
/// message — never a panic, never an engine error.
#[test]
fn hostile_queries_give_results_or_a_query_error() {
    let (_dir, searcher) = pledge_index();
    let long_han: String = std::fs::read_to_string(shipped())
        .unwrap()
        .chars()
        .filter(|c| zhen::analysis::is_han(*c))
        .cycle()
        .take(10_000)
        .collect();
    let surrogates = String::from_utf16_lossy(&[0xD800, 0x4EBA, 0x53E3, 0xDC00, 0x8D29, 0x8FD0]);
    let queries: Vec<(String, Option<bool>)> = vec![
        // (query, Some(true) = must have hits, Some(false) = must be a query error)
        ("".into(), Some(false)),
        ("   \t  ".into(), Some(false)),
        ("，。！？、…".into(), Some(false)),
        ("()[]{}<>".into(), Some(false)),
        ("the of and".into(), None),
        ("the".into(), None),
        (long_han.clone(), None),
        ("a".repeat(10_000), None),
        ("人口贩运 ".repeat(2_000), Some(true)),
        // Beyond the longest query searched.
        ("人".repeat(zhen::search::MAX_QUERY_CHARS + 1), Some(false)),
        // Within it, but beyond the most words searched (a chain of common words took
        // seconds).
        ("的".repeat(zhen::search::MAX_QUERY_WORDS + 1), Some(false)),
        (["of"; 3_333].join("-"), None),
        (["the"; 2_500].join(" "), None),
        ("\"人口贩运".into(), Some(false)),
        ("人口贩运\"".into(), Some(false)),
        ("\"\"".into(), Some(false)),
        ("“人口贩运".into(), Some(false)),
        ("(人口贩运".into(), Some(true)),
        ("人口贩运))".into(), Some(true)),
        ("((人口 OR 贩运)".into(), Some(true)),
        ("-".into(), Some(false)),
        ("- 人口".into(), Some(false)),
        ("--".into(), Some(false)),
        ("-人口贩运".into(), Some(false)),
        ("OR".into(), Some(false)),
        ("OR OR".into(), Some(false)),
        ("人口贩运 OR".into(), Some(false)),
        ("OR 人口贩运".into(), Some(false)),
        ("人口贩运 OR -国会".into(), Some(false)),
        ("\0人口贩运\0".into(), Some(true)),
        ("人口\u{7}贩运\u{1b}[31m".into(), None),
        ("\u{202e}人口贩运\u{200b}".into(), None),
        ("🙂".into(), Some(false)),
        ("🙂人口贩运👍🏽".into(), Some(true)),
        ("👨‍👩‍👧 人口贩运".into(), Some(true)),
        ("人口贩运 trafficking ١٢٣ Ελλάδα русский".into(), None),
        ("人权 human rights 한국어 にほんご".into(), None),
        (surrogates, None),
        ("\u{FFFD}".into(), Some(false)),
        ("e\u{301}\u{301}\u{301}".into(), None),
        ("１５５７ ２０２１".into(), None),
        ("9".repeat(5_000), None),
        ("人口贩运 -".into(), Some(false)),
    ];
    for (query, expect) in &queries {
        let shown: String = query.chars().take(40).collect();
        let started = std::time::Instant::now();
        let outcome = searcher.search(query, 10);
        assert!(
            started.elapsed().as_secs() < 5,
            "{shown:?} took {:?}",
            started.elapsed()
        );
        match (outcome, expect) {
            (Ok(results), Some(true)) => assert!(results.total_hits > 0, "{shown:?}"),
            (Ok(results), _) => {
                for hit in &results.hits {
                    for h in &hit.highlights {
                        assert!(hit.text.get(h.start..h.end).is_some(), "{shown:?}");
                    }
                }
            }
            (Err(Error::QuerySyntax(e)), Some(false) | None) => {
                assert!(e.message.len() > 20, "{shown:?}: {}", e.message)
            }
            (other, _) => panic!("{shown:?}: expected {expect:?}, got {other:?}"),
        }
    }
}

#[test]
fn a_second_builder_is_refused_naming_the_first_and_the_index_keeps_answering() {
    let (dir, searcher) = pledge_index();
    let before = answer(&searcher.search("人口贩运", 10).unwrap());
    let first = IndexBuilder::create(dir.path()).unwrap();
    let err = IndexBuilder::create(dir.path()).unwrap_err();
    assert!(
        matches!(err, Error::Locked { pid: Some(pid), .. } if pid == std::process::id()),
        "{err:?}"
    );
    let message = err.to_string();
    // The holder is this process: the message says so, and what to do, rather than
    // "wait for process N", which is the caller itself.
    assert!(
        message.contains(&format!(
            "locked by this process ({}): another builder or updater of it is still open",
            std::process::id()
        )),
        "{message}"
    );
    assert_eq!(
        zhen::index::lock_holder(dir.path()),
        Some(Some(std::process::id()))
    );
    // Searching needs no lock, with a searcher opened before or during the build.
    let during = Index::open(dir.path()).unwrap().searcher();
    assert_eq!(answer(&during.search("人口贩运", 10).unwrap()), before);
    drop(first);
    assert_eq!(zhen::index::lock_holder(dir.path()), None);
    zhen::index::wait_for_builder(dir.path()).unwrap();
    let mut second = IndexBuilder::create(dir.path()).unwrap();
    second.add_text("b", "1. 第二版。").unwrap();
    second.commit().unwrap();
}

#[test]
fn leftovers_of_killed_builds_are_removed_by_the_next_build() {
    let (dir, searcher) = pledge_index();
    let before = answer(&searcher.search("人口贩运", 10).unwrap());
    // What `kill -9` leaves at each stage: a half-written generation, a complete one
    // never published, a pointer never renamed over CURRENT, and a stale LOCK file.
    std::fs::create_dir_all(dir.path().join(".tmp-1-999/sub")).unwrap();
    std::fs::write(dir.path().join(".tmp-1-999/sub/x.idx"), b"partial").unwrap();
    std::fs::create_dir(dir.path().join("gen-2-999")).unwrap();
    std::fs::write(dir.path().join("CURRENT.999"), b"gen-2-999\n").unwrap();
    std::fs::write(dir.path().join("LOCK"), b"999\n").unwrap();

    // The leftovers do not disturb readers.
    assert_eq!(
        answer(
            &Index::open(dir.path())
                .unwrap()
                .searcher()
                .search("人口贩运", 10)
                .unwrap()
        ),
        before
    );
    let builder = IndexBuilder::create(dir.path()).unwrap();
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let live = std::fs::read_to_string(dir.path().join("CURRENT")).unwrap();
    assert_eq!(names.len(), 4, "{names:?}");
    assert!(names.contains(&live.trim().to_owned()), "{names:?}");
    assert!(names.contains(&"LOCK".to_owned()) && names.contains(&"CURRENT".to_owned()));
    assert!(names
        .iter()
        .any(|n| n.starts_with(".tmp-") && !n.ends_with("-999")));
    drop(builder);
    assert_eq!(
        answer(
            &Index::open(dir.path())
                .unwrap()
                .searcher()
                .search("人口贩运", 10)
                .unwrap()
        ),
        before
    );
}

#[test]
fn a_first_build_killed_early_does_not_make_the_directory_foreign() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("LOCK"), b"12345\n").unwrap();
    std::fs::create_dir(dir.path().join(".tmp-1-12345")).unwrap();
    let mut builder = IndexBuilder::create(dir.path()).unwrap();
    builder.add_text("a", PLEDGE).unwrap();
    builder.commit().unwrap();
    let searcher = Index::open(dir.path()).unwrap().searcher();
    assert_eq!(searcher.search("人口贩运", 10).unwrap().total_hits, 1);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Damage {
    Empty,
    Half,
    LastByte,
    FlipMiddle,
    FlipStart,
    ZeroBlock,
    Remove,
}

fn damage(path: &Path, how: Damage) {
    let mut bytes = std::fs::read(path).unwrap();
    let n = bytes.len();
    match how {
        Damage::Empty => bytes.clear(),
        Damage::Half => bytes.truncate(n / 2),
        Damage::LastByte => bytes.truncate(n.saturating_sub(1)),
        Damage::FlipMiddle => {
            if n > 0 {
                bytes[n / 2] ^= 0x55
            }
        }
        Damage::FlipStart => {
            if n > 0 {
                bytes[n.min(9) - 1] ^= 0x01
            }
        }
        Damage::ZeroBlock => {
            let start = n / 3;
            let end = (start + 4096).min(n);
            bytes[start..end].fill(0);
        }
        Damage::Remove => {
            std::fs::remove_file(path).unwrap();
            return;
        }
    }
    std::fs::write(path, bytes).unwrap();
}

const PROBES: &[&str] = &[
    "人口贩运",
    "国际劳工组织",
    "\"表达自由\"",
    "美国 -国会",
    "Distr",
];

#[test]
fn damaged_index_files_are_reported_never_wrong_answers_or_panics() {
    let (dir, searcher) = pledge_index();
    let before: Vec<_> = PROBES
        .iter()
        .map(|q| answer(&searcher.search(q, 100).unwrap()))
        .collect();
    let generation = dir.path().join(
        std::fs::read_to_string(dir.path().join("CURRENT"))
            .unwrap()
            .trim(),
    );
    let mut files: Vec<String> = std::fs::read_dir(&generation)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut tally = std::collections::BTreeMap::new();
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    for file in &files {
        for how in [
            Damage::Empty,
            Damage::Half,
            Damage::LastByte,
            Damage::FlipMiddle,
            Damage::FlipStart,
            Damage::ZeroBlock,
            Damage::Remove,
        ] {
            let copy = tempfile::tempdir().unwrap();
            copy_dir(dir.path(), copy.path());
            damage(
                &copy.path().join(generation.file_name().unwrap()).join(file),
                how,
            );
            let outcome = std::panic::catch_unwind(|| match Index::open(copy.path()) {
                Err(e) => Err(format!("open: {e}")),
                Ok(index) => {
                    let s = index.searcher();
                    let mut answers = Vec::new();
                    for q in PROBES {
                        match s.search(q, 100) {
                            Ok(r) => answers.push(answer(&r)),
                            Err(e) => return Err(format!("search: {e}")),
                        }
                    }
                    Ok(answers)
                }
            });
            let class = match outcome {
                Err(_) => "PANIC".to_owned(),
                Ok(Ok(answers)) if answers == before => "same".to_owned(),
                Ok(Ok(_)) => "WRONG".to_owned(),
                Ok(Err(e)) => {
                    // A damaged zhen.json may read as another index format: that message
                    // also says to rebuild.
                    assert!(e.contains("rebuild"), "{e}");
                    e.chars().take(150).collect()
                }
            };
            eprintln!("{file:<40} {how:?}: {class}");
            if is_segment_file(file) {
                assert!(
                    class.starts_with("open"),
                    "damage to the segment file {file} ({how:?}) is found when opening: {class}"
                );
            }
            *tally
                .entry(class.split(':').next().unwrap().to_owned())
                .or_insert(0) += 1;
        }
    }
    std::panic::set_hook(quiet);
    eprintln!("{tally:?}");
    assert_eq!(tally.get("PANIC"), None, "{tally:?}");
    assert_eq!(tally.get("WRONG"), None, "{tally:?}");
    assert_eq!(
        tally.get("search"),
        None,
        "damage is found when opening: {tally:?}"
    );
    let segment_files = files.iter().filter(|f| is_segment_file(f)).count();
    assert!(segment_files >= 6, "{files:?}");
    assert!(tally["open"] > 7 * segment_files, "{tally:?}");
}

/// Whether `name` is one of a tantivy segment's files (postings, positions, terms, store,
/// fast fields, norms), which hold the index's data.
fn is_segment_file(name: &str) -> bool {
    [".idx", ".pos", ".term", ".store", ".fast", ".fieldnorm"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

/// Damage to the live files themselves (not a copy): found through the seal, whether the
/// damage changes a file's times (truncation) or removes it.
#[test]
fn damage_in_place_is_found_through_the_seal() {
    // No index may be open while its files are damaged in place: truncating a file another
    // handle has mapped makes reading it a SIGBUS (zhen itself never rewrites a file).
    let (dir, _) = pledge_index();
    let generation = dir.path().join(
        std::fs::read_to_string(dir.path().join("CURRENT"))
            .unwrap()
            .trim(),
    );
    let file_with = |ext: &str| {
        std::fs::read_dir(&generation)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == ext))
            .unwrap()
    };
    let pos = file_with("pos");
    let bytes = std::fs::read(&pos).unwrap();
    std::fs::remove_file(&pos).unwrap();
    let err = Index::open(dir.path()).unwrap_err();
    assert!(matches!(err, Error::IndexCorrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("is missing"), "{err}");
    std::fs::write(&pos, &bytes).unwrap();
    // Restored byte for byte (new times): verified in full, and accepted.
    {
        let index = Index::open(dir.path()).unwrap();
        index.verify().unwrap();
        assert_eq!(
            index.searcher().search("人口贩运", 10).unwrap().total_hits,
            3
        );
    }

    let term = file_with("term");
    let mut bytes = std::fs::read(&term).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x20;
    std::fs::write(&term, &bytes).unwrap();
    let err = Index::open(dir.path()).unwrap_err().to_string();
    assert!(
        err.contains(".term does not hold what was written") && err.contains("rebuild"),
        "{err}"
    );
}
