//! From source files to whole documents: shared by a new build ([`IndexBuilder`]) and an
//! update of the live index ([`IndexUpdater`]).
//!
//! [`IndexBuilder`]: super::IndexBuilder
//! [`IndexUpdater`]: super::IndexUpdater

use std::collections::HashMap;
use std::hash::Hasher;
use std::path::{Path, PathBuf};

use super::SourceInfo;
use crate::document::{self, Paragraph};
use crate::error::{Error, Result};
use crate::source;

/// Which source gave each document of one build or update, and which files were read.
///
/// Kept here, not in each sink, so that a build and an update of the same input refuse
/// the same duplicates with the same messages — and so agree on what the index holds.
#[derive(Debug, Default)]
pub(crate) struct Claims {
    docs: HashMap<String, Claim>,
    /// Files read, by canonical path.
    files: std::collections::HashSet<PathBuf>,
}

#[derive(Debug)]
struct Claim {
    /// The file that gave the document, as given; `None` for a document given by a program.
    file: Option<PathBuf>,
    /// Paragraphs handed over so far: the ordinal of the next record of a JSON Lines
    /// document that continues further down its file.
    paragraphs: u32,
}

impl Claims {
    /// Whether `path` is new to this build or update. A file given twice, or reached again
    /// through a symlink or `..`, is read once: the second reading would only repeat its
    /// documents, and nothing of it is lost by not reading it.
    fn first_reading(&mut self, path: &Path) -> bool {
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        self.files.insert(key)
    }

    /// Who took `id` already, other than `file` itself, for a message.
    fn taken(&self, id: &str, file: Option<&Path>) -> Option<String> {
        let claim = self.docs.get(id)?;
        match (&claim.file, file) {
            (Some(earlier), Some(file)) if earlier == file => None,
            (Some(earlier), _) => Some(earlier.display().to_string()),
            (None, _) => Some("an earlier document".to_owned()),
        }
    }

    fn claim(&mut self, id: &str, file: Option<&Path>, paragraphs: u32) {
        let claim = self.docs.entry(id.to_owned()).or_insert(Claim {
            file: file.map(Path::to_path_buf),
            paragraphs: 0,
        });
        claim.paragraphs += paragraphs;
    }

    /// The ordinal the next paragraph of `id` gets.
    fn next_ordinal(&self, id: &str) -> u32 {
        self.docs.get(id).map_or(0, |c| c.paragraphs)
    }
}

/// Where whole documents go.
pub(crate) trait Sink {
    /// The documents and files taken so far.
    fn claims(&mut self) -> &mut Claims;

    /// Takes one document: all of its paragraphs, in order. `from_records` is set for a
    /// group of JSON Lines records, which may continue a document of the same source.
    fn document(&mut self, id: &str, paragraphs: Vec<Paragraph>, from_records: bool) -> Result<()>;

    /// Records a source once all its documents were taken.
    fn source_done(&mut self, info: SourceInfo);

    /// Reports reading progress through a source.
    fn progress(&mut self, source: &Path, bytes: u64, size: u64);

    /// Takes the error of a record that cannot be read: `Ok` to skip it and go on with the
    /// next line (after reporting it), `Err` to fail the file. By default, fails.
    fn bad_record(&mut self, err: Error) -> Result<()> {
        Err(err)
    }
}

/// Hands over one document given by a program, as its own source.
pub(crate) fn paragraphs(sink: &mut impl Sink, id: &str, paragraphs: &[Paragraph]) -> Result<()> {
    if id.trim().is_empty() {
        return Err(Error::EmptyDocumentId);
    }
    if paragraphs.iter().all(|p| p.text.trim().is_empty()) {
        return Err(Error::EmptyDocument { id: id.to_owned() });
    }
    // The paragraphs are stored, found, replaced and removed under their own `doc`:
    // one naming another document would be out of reach of `id`.
    if let Some(p) = paragraphs.iter().find(|p| p.doc != id) {
        return Err(Error::ForeignParagraph {
            id: id.to_owned(),
            doc: p.doc.clone(),
            ordinal: p.ordinal,
        });
    }
    let mut ordinals: Vec<u32> = paragraphs.iter().map(|p| p.ordinal).collect();
    ordinals.sort_unstable();
    if let Some(pair) = ordinals.windows(2).find(|pair| pair[0] == pair[1]) {
        return Err(Error::DuplicateOrdinal {
            id: id.to_owned(),
            ordinal: pair[0],
        });
    }
    if let Some(earlier) = sink.claims().taken(id, None) {
        return Err(taken(Path::new(id), id, &earlier, 0, ""));
    }
    sink.document(id, paragraphs.to_vec(), false)?;
    sink.claims().claim(id, None, paragraphs.len() as u32);
    sink.source_done(SourceInfo {
        source: id.to_owned(),
        kind: "text".to_owned(),
        encoding: None,
        paragraphs: paragraphs.len() as u64,
    });
    Ok(())
}

/// Reads one file: a JSON Lines corpus (`.jsonl`, `.ndjson`, optionally `.gz`), or a text
/// document split into paragraphs by [`document::parse`] under the id of its file name
/// without its last extension (`us-hrc-pledges-2021.zh.txt` → `us-hrc-pledges-2021.zh`).
pub(crate) fn file(sink: &mut impl Sink, path: &Path) -> Result<()> {
    if !sink.claims().first_reading(path) {
        return Ok(());
    }
    if source::is_records_path(path) {
        return records(sink, path);
    }
    let id = doc_id(path);
    if let Some(earlier) = sink.claims().taken(&id, Some(path)) {
        return Err(taken(path, &id, &earlier, 0, ""));
    }
    let source = source::read(path)?;
    let paragraphs = document::parse(&id, &source.text);
    let count = paragraphs.len() as u64;
    super::skip::ensure_some_text(path, count, Some(&source.text))?;
    let (size, encoding) = (source.text.len() as u64, source.encoding);
    // The paragraphs hold the text now: a huge file is not kept twice while it is indexed.
    drop(source);
    sink.document(&id, paragraphs, false)?;
    sink.claims().claim(&id, Some(path), count as u32);
    sink.source_done(SourceInfo {
        source: path.display().to_string(),
        kind: "text".to_owned(),
        encoding: Some(encoding),
        paragraphs: count,
    });
    sink.progress(path, size, size);
    Ok(())
}

/// Streams a JSON Lines corpus, one paragraph per record. A record's document is its
/// `doc_id` (or `doc_key`; a string, or a number taken as its decimal string), else its
/// `id` (records sharing an id, such as the two languages of a parallel corpus, are one
/// document), else `FILE:LINE`; a `null` `doc_id` or `doc_key` is no key, as if the field
/// were absent. `para` (or `paragraph`; a whole number, or a string of digits) gives the
/// paragraph number, `section` (or `title`) the section. A `lang` naming Chinese or
/// English ([`Lang::from_tag`](crate::Lang::from_tag)) is the paragraph's language, else
/// it is detected from the text: the source knows better than a count of scripts, as in
/// a Chinese sentence of Latin names. The other scalar fields, `lang` among them, are
/// kept as metadata. Consecutive records of one document are handed over together.
///
/// The records of a document that an earlier source took are left out and reported (see
/// [`Sink::bad_record`]), once per run of consecutive records.
fn records(sink: &mut impl Sink, path: &Path) -> Result<()> {
    let mut records = source::Records::open(path)?;
    let stem = doc_id(path);
    let mut count = 0u64;
    let mut group = Group::default();
    // Records of documents taken by earlier sources: reported already, so a file of only
    // those is not also "a corpus without a record".
    let mut left_out = 0usize;
    while let Some(record) = records.next() {
        let mut record = match record {
            Ok(record) => record,
            Err(e) => {
                sink.bad_record(e)?;
                continue;
            }
        };
        let own_id = record.id.clone();
        let id = ["doc_id", "doc_key"]
            .iter()
            .find_map(|k| key_text(record.metadata.get(*k)?))
            .or_else(|| own_id.clone())
            .unwrap_or_else(|| format!("{stem}:{}", record.line));
        if let Some(own) = own_id.filter(|own| *own != id) {
            // The record's own id, when the document is named by another field.
            record
                .metadata
                .insert("id".to_owned(), serde_json::Value::String(own));
        }
        for key in ["doc_id", "doc_key"] {
            if record.metadata.get(key).and_then(key_text).as_deref() == Some(id.as_str()) {
                record.metadata.remove(key);
            }
        }
        // A field that becomes the paragraph number or section under its own name is not
        // kept twice (a `title` standing in for the section keeps its name).
        let number = ["para", "paragraph"].iter().find_map(|k| {
            let n = match record.metadata.get(*k)? {
                serde_json::Value::String(s) if s.bytes().all(|b| b.is_ascii_digit()) => {
                    s.parse().ok()?
                }
                value => value.as_u64()?,
            };
            let n = u32::try_from(n).ok()?;
            record.metadata.remove(*k);
            Some(n)
        });
        let section = match record.metadata.remove("section") {
            Some(serde_json::Value::String(section)) => Some(section),
            other => {
                if let Some(other) = other {
                    record.metadata.insert("section".to_owned(), other);
                }
                record
                    .metadata
                    .get("title")
                    .and_then(|v| v.as_str())
                    .map(str::to_owned)
            }
        };
        if id != group.id || group.first_line == 0 {
            group.hand_over(sink, path)?;
            group.taken_by = sink.claims().taken(&id, Some(path));
            group.ordinal = sink.claims().next_ordinal(&id);
            group.id = id;
            group.first_line = record.line;
        }
        group.last_line = record.line;
        if group.taken_by.is_some() {
            group.left_out += 1;
            left_out += 1;
            continue;
        }
        let lang = record
            .metadata
            .get("lang")
            .and_then(|v| v.as_str())
            .and_then(crate::Lang::from_tag);
        let ordinal = group.ordinal + group.paragraphs.len() as u32;
        let mut paragraph = Paragraph::new(group.id.as_str(), ordinal, record.text)
            .with_line(record.line as u32)
            .with_metadata(record.metadata);
        paragraph.number = number;
        paragraph.section = section;
        if let Some(lang) = lang {
            paragraph.lang = lang;
        }
        group.paragraphs.push(paragraph);
        count += 1;
        if count.is_multiple_of(1024) {
            sink.progress(path, records.bytes_read(), records.size());
        }
    }
    group.hand_over(sink, path)?;
    if left_out == 0 {
        super::skip::ensure_some_text(path, count, None)?;
    }
    sink.progress(path, records.size(), records.size());
    sink.source_done(SourceInfo {
        source: path.display().to_string(),
        kind: "records".to_owned(),
        encoding: None,
        paragraphs: count,
    });
    Ok(())
}

/// A document key (`doc_id`, `doc_key`) as text: a string, or a number as its decimal
/// string (as a numeric `id` is). `null` and other values are no key.
fn key_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Consecutive records of one document in a JSON Lines file.
#[derive(Default)]
struct Group {
    id: String,
    /// The ordinal of the first paragraph (non-zero when the document continues records
    /// further up the file).
    ordinal: u32,
    paragraphs: Vec<Paragraph>,
    /// 0 before the first record of the file.
    first_line: usize,
    last_line: usize,
    /// The source that took the id first, when it is not this file.
    taken_by: Option<String>,
    /// Records left out because the id is taken.
    left_out: usize,
}

impl Group {
    /// Hands the group's paragraphs to the sink, or reports its records as left out.
    fn hand_over(&mut self, sink: &mut impl Sink, path: &Path) -> Result<()> {
        if let Some(earlier) = self.taken_by.take() {
            let lines = match self.first_line == self.last_line {
                true => format!("line {}: ", self.first_line),
                false => format!("lines {}-{}: ", self.first_line, self.last_line),
            };
            let left_out = std::mem::take(&mut self.left_out);
            return sink.bad_record(taken(path, &self.id, &earlier, left_out, &lines));
        }
        if self.paragraphs.is_empty() {
            return Ok(());
        }
        let paragraphs = std::mem::take(&mut self.paragraphs);
        let n = paragraphs.len() as u32;
        sink.document(&self.id, paragraphs, true)?;
        sink.claims().claim(&self.id, Some(path), n);
        Ok(())
    }
}

/// The error of a document (or `records` records of one) whose id `earlier` took.
fn taken(path: &Path, id: &str, earlier: &str, records: usize, lines: &str) -> Error {
    let what = match records {
        0 => "rename one of them".to_owned(),
        1 => "this record is not indexed; give the document another id in one of the files"
            .to_owned(),
        n => format!(
            "these {n} records are not indexed; give the document another id in one of the files"
        ),
    };
    Error::DocumentIdTaken {
        path: path.to_path_buf(),
        id: id.to_owned(),
        records,
        reason: format!("{lines}document id `{id}` is already taken by {earlier}; {what}"),
    }
}

/// The id of the document in a text file: its name without the last extension.
pub(crate) fn doc_id(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    match name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem.to_owned(),
        _ => name,
    }
}

/// A hash of everything zhen stores of a document's paragraphs (FNV-1a, whose output is
/// fixed by its definition, so it stays comparable across builds and zhen versions).
pub(crate) fn content_hash(paragraphs: &[Paragraph]) -> u64 {
    let mut h = fnv::FnvHasher::default();
    for p in paragraphs {
        let fields = [
            p.text.as_str(),
            p.section.as_deref().unwrap_or("\u{0}"),
            p.kind.as_str(),
        ];
        for f in fields {
            h.write(f.as_bytes());
            h.write_u8(0xff);
        }
        h.write_u64(p.number.map_or(u64::MAX, u64::from));
        h.write_u32(p.ordinal);
        h.write_u32(p.line);
        h.write(
            serde_json::Value::Object(p.metadata.clone())
                .to_string()
                .as_bytes(),
        );
        h.write_u8(0xfe);
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use crate::{Index, IndexBuilder, IndexUpdater};

    /// Two documents of prc-laws, as `doc_id` records.
    const PORT_LAW: &str = "\
{\"id\": \"law-00001-0001\", \"doc_id\": \"law-00001\", \"text\": \"第一条 为了规范口岸开放，提高口岸通关效率，保障口岸安全畅通。\"}
{\"id\": \"law-00001-0002\", \"doc_id\": \"law-00001\", \"text\": \"第二条 本条例所称的口岸，是指供人员、货物、物品和交通工具直接出入国（关、边）境的港口、机场、车站等。\"}
{\"id\": \"law-00002-0001\", \"doc_id\": \"law-00002\", \"text\": \"第一条 为了加强道路交通安全管理，制定本条例。\"}
";
    /// Another export that gives `law-00001` again, and one law of its own.
    const OTHER_EXPORT: &str = "\
{\"id\": \"law-00001-0001\", \"doc_id\": \"law-00001\", \"text\": \"第一条 为了规范口岸开放，制定本条例。\"}
{\"id\": \"law-00003-0001\", \"doc_id\": \"law-00003\", \"text\": \"第一条 为了保护野生动物，制定本条例。\"}
{\"id\": \"law-00001-0003\", \"doc_id\": \"law-00001\", \"text\": \"第三条 口岸工作应当坚持安全与便利并重。\"}
";

    fn logger() -> (
        Arc<Mutex<Vec<String>>>,
        impl FnMut(&crate::Error) + Send + 'static,
    ) {
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        (log, move |e: &crate::Error| {
            sink.lock().unwrap().push(e.to_string())
        })
    }

    #[test]
    fn a_text_document_id_taken_by_an_earlier_file_names_both_files() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        std::fs::write(a.join("report.txt"), "1. 美国承诺打击人口贩运。\n").unwrap();
        std::fs::write(b.join("report.txt"), "1. 美国承诺促进表达自由。\n").unwrap();
        let expected = format!(
            "{}: document id `report` is already taken by {}; rename one of them",
            b.join("report.txt").display(),
            a.join("report.txt").display()
        );

        let mut builder = IndexBuilder::create(dir.path().join("idx")).unwrap();
        builder.add_file(a.join("report.txt")).unwrap();
        let err = builder.add_file(b.join("report.txt")).unwrap_err();
        assert_eq!(err.to_string(), expected);
        builder.commit().unwrap();

        let mut update = IndexUpdater::open(dir.path().join("idx")).unwrap();
        update.add_path(a.join("report.txt")).unwrap();
        let err = update.add_path(b.join("report.txt")).unwrap_err();
        assert_eq!(err.to_string(), expected);
        assert_eq!(update.commit().unwrap().unchanged, 1);
    }

    #[test]
    fn records_of_a_document_taken_by_an_earlier_file_are_left_out_by_builds_and_updates() {
        let dir = tempfile::tempdir().unwrap();
        let (first, second) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
        std::fs::write(&first, PORT_LAW).unwrap();
        std::fs::write(&second, OTHER_EXPORT).unwrap();
        let idx = dir.path().join("idx");
        let expected = [
            format!(
                "{}: line 1: document id `law-00001` is already taken by {}; this record is not \
                 indexed; give the document another id in one of the files",
                second.display(),
                first.display()
            ),
            format!(
                "{}: line 3: document id `law-00001` is already taken by {}; this record is not \
                 indexed; give the document another id in one of the files",
                second.display(),
                first.display()
            ),
        ];

        let (log, report) = logger();
        let mut builder = IndexBuilder::create(&idx).unwrap();
        builder.skip_bad_records(report);
        builder.add_file(&first).unwrap();
        builder.add_file(&second).unwrap();
        let built = builder.commit().unwrap();
        assert_eq!((built.documents, built.paragraphs), (3, 4));
        assert_eq!(*log.lock().unwrap(), expected);
        let hits = Index::open(&idx)
            .unwrap()
            .searcher()
            .search("口岸", 10)
            .unwrap();
        let texts: Vec<&str> = hits.hits.iter().map(|h| h.text.as_str()).collect();
        assert_eq!(hits.total_hits, 2, "{texts:?}");
        assert!(texts
            .iter()
            .all(|t| !t.contains("制定本条例") && !t.contains("第三条")));

        // An update with the same input finds the same documents, unchanged, and leaves
        // out the same records.
        let (log, report) = logger();
        let mut update = IndexUpdater::open(&idx).unwrap();
        update.skip_bad_records(report);
        update.add_path(&first).unwrap();
        update.add_path(&second).unwrap();
        let updated = update.commit().unwrap();
        assert_eq!(
            (updated.unchanged, updated.added, updated.replaced),
            (3, 0, 0)
        );
        assert_eq!((updated.documents, updated.paragraphs), (3, 4));
        assert_eq!(*log.lock().unwrap(), expected);
    }

    #[test]
    fn a_corpus_given_twice_is_read_once() {
        let dir = tempfile::tempdir().unwrap();
        let corpus = dir.path().join("laws.jsonl");
        std::fs::write(&corpus, PORT_LAW).unwrap();
        let mut builder = IndexBuilder::create(dir.path().join("idx")).unwrap();
        builder.add_file(&corpus).unwrap();
        // Again, and through another path to the same file: nothing is lost by not
        // reading it twice, so neither is an error.
        builder.add_file(&corpus).unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        builder
            .add_file(dir.path().join("sub/../laws.jsonl"))
            .unwrap();
        let built = builder.commit().unwrap();
        assert_eq!((built.documents, built.paragraphs), (2, 3));
    }

    #[test]
    fn numeric_keys_and_paragraph_numbers_and_a_lang_field_are_taken() {
        // `"doc_key": 123` was ignored (each record its own document, by `id`) while
        // `"id": 7` was taken as `7`; `"para": "7"` was no paragraph number; the
        // records' `lang` was ignored for a count of scripts.
        let dir = tempfile::tempdir().unwrap();
        let corpus = dir.path().join("keys.jsonl");
        let lines = [
            r#"{"id": "x4", "doc_key": 123, "text": "第一条 为了规范口岸开放。"}"#,
            r#"{"id": "x5", "doc_key": 123, "para": "7", "text": "第七条 口岸开放。"}"#,
            r#"{"id": "x6", "doc_id": 2021, "paragraph": "12", "text": "第十二条 口岸管理。"}"#,
            // `null` is no key: the records are documents of their own ids.
            r#"{"id": "gwr-002-0001", "doc_key": null, "para": 1, "text": "第十四届全国人民代表大会第三次会议听取和审议了口岸报告"}"#,
            r#"{"id": "u1", "lang": "zh-CN", "text": "3月，造成Arsen Karapetyan、Arshak Harutyunyan、Hakob Khachatryan和Hovsep Andreasyan等口岸士兵死亡"}"#,
            r#"{"id": "u2", "lang": "ZH", "text": "Igor Trunov"}"#,
            r#"{"id": "u3", "lang": "en-US", "text": "口岸"}"#,
            r#"{"id": "u4", "lang": "fr", "text": "Igor Trunov, Paris"}"#,
        ];
        std::fs::write(&corpus, lines.join("\n")).unwrap();
        let idx = dir.path().join("idx");
        let mut builder = IndexBuilder::create(&idx).unwrap();
        builder.add_file(&corpus).unwrap();
        builder.commit().unwrap();
        let searcher = Index::open(&idx).unwrap().searcher();
        let mut hits = searcher.search("口岸 OR Trunov", 20).unwrap().hits;
        hits.sort_by_key(|h| h.line);
        let got: Vec<_> = hits
            .iter()
            .map(|h| (h.doc.as_str(), h.paragraph, h.lang.code()))
            .collect();
        assert_eq!(
            got,
            [
                ("123", None, "zh"),
                ("123", Some(7), "zh"),
                ("2021", Some(12), "zh"),
                ("gwr-002-0001", Some(1), "zh"),
                ("u1", None, "zh"),
                ("u2", None, "zh"),
                ("u3", None, "en"),
                ("u4", None, "en"),
            ]
        );
        // The record's own id is kept when another field names the document; the key and
        // the number are not kept twice; `lang` stays as the record gave it.
        assert_eq!(hits[0].metadata.get("id"), Some(&"x4".into()));
        assert!(!hits[1].metadata.contains_key("doc_key"));
        assert!(!hits[1].metadata.contains_key("para"));
        assert_eq!(hits[4].metadata.get("lang"), Some(&"zh-CN".into()));
    }
}
