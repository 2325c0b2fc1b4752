//! JSON Lines corpora: one record per line, plain or gzip-compressed.
//!
//! Each line is a JSON object with a `text` string and usually an `id`; every other scalar
//! field (string, number, boolean) is kept as metadata. Records are read as a stream, so a
//! 100 MB corpus never sits in memory whole.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// One record of a JSON Lines file.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Record {
    /// 1-based line of the record in the (decompressed) file.
    pub line: usize,
    /// The record's `id` (a string or a number), or `None` when it has none.
    pub id: Option<String>,
    /// The record's `text`.
    pub text: String,
    /// The other scalar fields.
    pub metadata: Map<String, Value>,
}

/// Whether `path` is read as JSON Lines: by its name (`.jsonl`, `.ndjson`, optionally
/// followed by `.gz`).
pub fn is_records_path(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    name.ends_with(".jsonl") || name.ends_with(".ndjson")
}

/// Counts the bytes read from the underlying file, for progress reporting.
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A streaming reader of the records of one file.
pub struct Records {
    path: PathBuf,
    reader: Box<dyn BufRead + Send>,
    line: usize,
    buf: Vec<u8>,
    read: Arc<AtomicU64>,
    size: u64,
    /// Set after a read error: the stream cannot be resynchronised, so it ends there.
    failed: bool,
}

impl std::fmt::Debug for Records {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Records")
            .field("path", &self.path)
            .field("line", &self.line)
            .finish()
    }
}

impl Records {
    /// Opens a JSON Lines file; gzip compression is detected from the magic bytes.
    pub fn open(path: &Path) -> Result<Records> {
        let read_err = |source| Error::Read {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(read_err)?;
        let size = file.metadata().map_err(read_err)?.len();
        let read = Arc::new(AtomicU64::new(0));
        let mut raw = BufReader::with_capacity(
            256 * 1024,
            Counting {
                inner: file,
                read: read.clone(),
            },
        );
        let gzip = raw.fill_buf().map_err(read_err)?.starts_with(&[0x1f, 0x8b]);
        let reader: Box<dyn BufRead + Send> = if gzip {
            Box::new(BufReader::with_capacity(
                256 * 1024,
                flate2::bufread::MultiGzDecoder::new(raw),
            ))
        } else {
            Box::new(raw)
        };
        Ok(Records {
            path: path.to_path_buf(),
            reader,
            line: 0,
            buf: Vec::new(),
            read,
            size,
            failed: false,
        })
    }

    /// Bytes of the file read so far (compressed bytes for a gzip file).
    pub fn bytes_read(&self) -> u64 {
        self.read.load(Ordering::Relaxed)
    }

    /// The file's size on disk.
    pub fn size(&self) -> u64 {
        self.size
    }

    fn error(&self, reason: String) -> Error {
        Error::Decode {
            path: self.path.clone(),
            reason: format!("line {}: {reason}", self.line),
        }
    }
}

impl Iterator for Records {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Result<Record>> {
        if self.failed {
            return None;
        }
        loop {
            self.buf.clear();
            match self.reader.read_until(b'\n', &mut self.buf) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => {
                    self.failed = true;
                    self.line += 1;
                    let reason = format!(
                        "cannot read on (corrupt or truncated gzip?): {e}; the records before \
                         this line were read, the rest of the file cannot be"
                    );
                    return Some(Err(self.error(reason)));
                }
            }
            if self.buf.starts_with(b"\xEF\xBB\xBF") {
                // Editors on Windows save UTF-8 with a byte-order mark; it is not part of
                // the first record (as for a `.txt` document, see `source::decode`), nor,
                // where files marked so were joined (`cat a.jsonl b.jsonl`), of any other:
                // no JSON value starts with one.
                self.buf.drain(..3);
            }
            self.line += 1;
            let line = match std::str::from_utf8(&self.buf) {
                Ok(line) => line.trim(),
                Err(e) => {
                    let reason = format!(
                        "invalid UTF-8 at byte {} of the line; JSON Lines must be UTF-8",
                        e.valid_up_to()
                    );
                    return Some(Err(self.error(reason)));
                }
            };
            if line.is_empty() {
                continue;
            }
            return Some(parse_record(line, self.line).map_err(|reason| self.error(reason)));
        }
    }
}

fn parse_record(line: &str, line_no: usize) -> Result<Record, String> {
    let value: Value = serde_json::from_str(line)
        .map_err(|e| format!("not valid JSON ({e}); each line must be one JSON object"))?;
    let Value::Object(mut object) = value else {
        return Err(
            "not a JSON object; each line must be one `{\"id\": …, \"text\": …}` object".to_owned(),
        );
    };
    let text = match object.remove("text") {
        Some(Value::String(text)) => text,
        Some(_) => return Err("`text` is not a string".to_owned()),
        None => return Err("no `text` field; each record needs the text to index".to_owned()),
    };
    if text.chars().all(is_invisible) {
        return Err(
            "`text` is empty (or only white space and invisible characters such as U+200B \
             ZERO WIDTH SPACE): nothing to index; give the record its text or leave the line out"
                .to_owned(),
        );
    }
    // A key that is a number must be a whole one: `1e3` would name document `1000.0`.
    let whole = |key: &str, value: Option<&Value>| match value {
        Some(Value::Number(n)) if !(n.is_u64() || n.is_i64()) => Err(format!(
            "`{key}` is {n}, not a whole number; write it as a string or a whole number"
        )),
        _ => Ok(()),
    };
    whole("id", object.get("id"))?;
    let id = match object.remove("id") {
        Some(Value::String(id)) => Some(id),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    // An empty id would name a document `` (or all such records one document).
    let named = |key: &str, value: Option<&Value>| {
        whole(key, value)?;
        match value {
            Some(Value::String(v)) if v.trim().is_empty() => Err(format!(
                "`{key}` is empty; give the record a non-empty `{key}` or leave the field out"
            )),
            _ => Ok(()),
        }
    };
    named("id", id.clone().map(Value::String).as_ref())?;
    for key in ["doc_id", "doc_key"] {
        named(key, object.get(key))?;
    }
    object.retain(|_, v| matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_)));
    Ok(Record {
        line: line_no,
        id,
        text,
        metadata: object,
    })
}

/// Whether `c` shows nothing: white space, a control character, or a format character
/// (Unicode category Cf: zero-width spaces and joiners, bidirectional marks, the soft
/// hyphen, the byte-order mark, tags). A text of only these is an empty text that an
/// export left its marks in.
pub(crate) fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(c as u32,
            0xAD
            | 0x600..=0x605
            | 0x61C
            | 0x6DD
            | 0x70F
            | 0x890..=0x891
            | 0x8E2
            | 0x180E
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0001
            | 0xE0020..=0xE007F)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn reads_plain_and_gzip_and_reports_bad_lines() {
        let dir = tempfile::tempdir().unwrap();
        let body = "{\"id\": \"a\", \"text\": \"人口贩运\", \"para\": 3, \"tags\": [1]}\n\n{\"id\": 7, \"text\": \"二\"}\n";
        let plain = dir.path().join("c.jsonl");
        std::fs::write(&plain, body).unwrap();
        let gz = dir.path().join("c.jsonl.gz");
        let mut enc =
            flate2::write::GzEncoder::new(File::create(&gz).unwrap(), flate2::Compression::fast());
        enc.write_all(body.as_bytes()).unwrap();
        enc.finish().unwrap();
        for path in [&plain, &gz] {
            let records: Vec<Record> = Records::open(path).unwrap().map(Result::unwrap).collect();
            assert_eq!(records.len(), 2);
            assert_eq!(records[0].id.as_deref(), Some("a"));
            assert_eq!(records[0].metadata.get("para"), Some(&Value::from(3)));
            assert!(!records[0].metadata.contains_key("tags"));
            assert_eq!((records[1].id.as_deref(), records[1].line), (Some("7"), 3));
        }
        let bad = dir.path().join("bad.jsonl");
        std::fs::write(&bad, "{\"text\": \"ok\"}\n{\"text\": \"broken\"\n").unwrap();
        let results: Vec<Result<Record>> = Records::open(&bad).unwrap().collect();
        let err = results[1].as_ref().unwrap_err().to_string();
        assert!(err.contains("bad.jsonl") && err.contains("line 2"), "{err}");
        assert!(is_records_path(Path::new("x/prc-laws.zh.jsonl.gz")));
        assert!(!is_records_path(Path::new("x/doc.txt")));
    }

    #[test]
    fn records_without_text_or_with_an_empty_id_are_bad_lines() {
        // They were indexed: empty paragraphs, and documents named ``.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("edge.jsonl");
        let lines = [
            r#"{"id": "a", "text": "第一条 为了规范口岸开放。"}"#,
            r#"{"id": "b", "text": ""}"#,
            r#"{"id": "c", "text": " \u3000\n"}"#,
            r#"{"id": "", "text": "第二条 本条例所称的口岸。"}"#,
            r#"{"id": "e", "doc_id": " ", "text": "第三条 口岸开放。"}"#,
            r#"{"id": "f", "doc_key": "", "text": "第四条 口岸管理。"}"#,
            r#"{"id": 7, "doc_id": "law-1", "text": "第五条 口岸。"}"#,
        ];
        std::fs::write(&path, lines.join("\n")).unwrap();
        let results: Vec<Result<Record>> = Records::open(&path).unwrap().collect();
        let kept: Vec<usize> = results
            .iter()
            .filter_map(|r| r.as_ref().ok().map(|r| r.line))
            .collect();
        assert_eq!(kept, [1, 7]);
        let errors: Vec<String> = results
            .iter()
            .filter_map(|r| r.as_ref().err().map(ToString::to_string))
            .collect();
        for (err, (line, says)) in errors.iter().zip([
            (2, "`text` is empty"),
            (3, "`text` is empty"),
            (4, "`id` is empty"),
            (5, "`doc_id` is empty"),
            (6, "`doc_key` is empty"),
        ]) {
            assert!(err.contains("edge.jsonl"), "{err}");
            assert!(err.contains(&format!("line {line}")), "{err}");
            assert!(err.contains(says), "{err}");
        }
        assert_eq!(errors.len(), 5);
    }

    #[test]
    fn a_byte_order_mark_before_the_first_record_is_not_part_of_it() {
        let dir = tempfile::tempdir().unwrap();
        let body = "\u{feff}{\"id\": \"law-00001-0001\", \"doc_id\": \"law-00001\", \"text\": \"第一条 为了规范口岸开放，提高口岸通关效率。\"}\n\
                    {\"id\": \"law-00001-0002\", \"doc_id\": \"law-00001\", \"text\": \"第二条 本条例所称的口岸。\"}\n";
        let plain = dir.path().join("bom.jsonl");
        std::fs::write(&plain, body).unwrap();
        let gz = dir.path().join("bom.jsonl.gz");
        let mut enc =
            flate2::write::GzEncoder::new(File::create(&gz).unwrap(), flate2::Compression::fast());
        enc.write_all(body.as_bytes()).unwrap();
        enc.finish().unwrap();
        for path in [&plain, &gz] {
            let records: Vec<Record> = Records::open(path)
                .unwrap()
                .collect::<Result<_>>()
                .unwrap_or_else(|e| panic!("{e}"));
            let ids: Vec<_> = records.iter().map(|r| (r.line, r.id.as_deref())).collect();
            assert_eq!(
                ids,
                [(1, Some("law-00001-0001")), (2, Some("law-00001-0002"))]
            );
            assert!(records[0].text.starts_with("第一条"));
        }
        // Two such files joined: the second mark starts a line, and is no more a part of
        // its record; inside a record's text, a U+FEFF is kept as it is.
        let joined = dir.path().join("joined.jsonl");
        std::fs::write(
            &joined,
            "\u{feff}{\"text\": \"a\"}\n\u{feff}{\"text\": \"b\u{feff}c\"}\n",
        )
        .unwrap();
        let texts: Vec<String> = Records::open(&joined)
            .unwrap()
            .map(|r| r.unwrap().text)
            .collect();
        assert_eq!(texts, ["a", "b\u{feff}c"]);
    }

    #[test]
    fn a_text_of_only_invisible_characters_is_an_empty_text() {
        // 86 work-report records hold only a U+200B and were indexed as `und` paragraphs
        // that nothing finds.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gwr.jsonl");
        let lines = [
            "{\"id\": \"gwr-009-0001\", \"doc_key\": \"2021\", \"para\": 1, \"text\": \"\u{200b}\"}",
            "{\"id\": \"gwr-009-0002\", \"doc_key\": \"2021\", \"para\": 2, \"text\": \"\u{200b}\u{200d}\u{3000}\u{feff}\u{ad}\\t\"}",
            "{\"id\": \"gwr-009-0003\", \"doc_key\": \"2021\", \"para\": 3, \"text\": \"\u{200b}各位代表：\"}",
        ];
        std::fs::write(&path, lines.join("\n")).unwrap();
        let results: Vec<Result<Record>> = Records::open(&path).unwrap().collect();
        let errors: Vec<String> = results
            .iter()
            .filter_map(|r| r.as_ref().err().map(ToString::to_string))
            .collect();
        assert_eq!(errors.len(), 2, "{errors:?}");
        for (err, line) in errors.iter().zip([1, 2]) {
            assert!(
                err.contains("gwr.jsonl") && err.contains(&format!("line {line}: `text` is empty")),
                "{err}"
            );
            assert!(err.contains("U+200B"), "{err}");
        }
        let kept = results[2].as_ref().unwrap();
        assert_eq!(kept.text, "\u{200b}各位代表：");
    }

    #[test]
    fn a_key_that_is_a_number_is_a_whole_one() {
        // `"doc_key": 1e3` named document `1000.0`, `-0.0` another.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.jsonl");
        let lines = [
            "{\"id\": 7, \"doc_key\": 2021, \"text\": \"甲\"}",
            "{\"id\": \"b\", \"doc_key\": 1e3, \"text\": \"乙\"}",
            "{\"id\": 1.5, \"text\": \"丙\"}",
            "{\"id\": \"d\", \"doc_id\": -0.0, \"text\": \"丁\"}",
        ];
        std::fs::write(&path, lines.join("\n")).unwrap();
        let results: Vec<Result<Record>> = Records::open(&path).unwrap().collect();
        assert_eq!(results[0].as_ref().unwrap().id.as_deref(), Some("7"));
        for (result, key) in results[1..].iter().zip(["doc_key", "id", "doc_id"]) {
            let err = result.as_ref().unwrap_err().to_string();
            assert!(
                err.contains(&format!("`{key}` is")) && err.contains("not a whole number"),
                "{err}"
            );
        }
    }
}
