//! From source files to whole documents: shared by a new build ([`IndexBuilder`]) and an
//! update of the live index ([`IndexUpdater`]).
//!
//! [`IndexBuilder`]: super::IndexBuilder
//! [`IndexUpdater`]: super::IndexUpdater

use std::hash::Hasher;
use std::path::Path;

use super::SourceInfo;
use crate::document::{self, Paragraph};
use crate::error::{Error, Result};
use crate::source;

/// Where whole documents go.
pub(crate) trait Sink {
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
    sink.document(id, paragraphs.to_vec(), false)?;
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
    if source::is_records_path(path) {
        return records(sink, path);
    }
    let source = source::read(path)?;
    let id = doc_id(path);
    let paragraphs = document::parse(&id, &source.text);
    let count = paragraphs.len() as u64;
    super::skip::ensure_some_text(path, count, Some(&source.text))?;
    let (size, encoding) = (source.text.len() as u64, source.encoding);
    // The paragraphs hold the text now: a huge file is not kept twice while it is indexed.
    drop(source);
    sink.document(&id, paragraphs, false)?;
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
/// `doc_id` (or `doc_key`), else its `id` (records sharing an id, such as the two languages
/// of a parallel corpus, are one document), else `FILE:LINE`. `para` (or `paragraph`)
/// gives the paragraph number, `section` (or `title`) the section; the other scalar fields
/// are kept as metadata. Consecutive records of one document are handed over together.
fn records(sink: &mut impl Sink, path: &Path) -> Result<()> {
    let mut records = source::Records::open(path)?;
    let stem = doc_id(path);
    let mut count = 0u64;
    let mut group: Vec<Paragraph> = Vec::new();
    let mut group_id = String::new();
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
            .find_map(|k| record.metadata.get(*k)?.as_str().map(str::to_owned))
            .or_else(|| own_id.clone())
            .unwrap_or_else(|| format!("{stem}:{}", record.line));
        if let Some(own) = own_id.filter(|own| *own != id) {
            // The record's own id, when the document is named by another field.
            record
                .metadata
                .insert("id".to_owned(), serde_json::Value::String(own));
        }
        for key in ["doc_id", "doc_key"] {
            if record.metadata.get(key).and_then(|v| v.as_str()) == Some(id.as_str()) {
                record.metadata.remove(key);
            }
        }
        // A field that becomes the paragraph number or section under its own name is not
        // kept twice (a `title` standing in for the section keeps its name).
        let number = ["para", "paragraph"].iter().find_map(|k| {
            let n = record.metadata.get(*k)?.as_u64()?;
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
        if id != group_id && !group.is_empty() {
            sink.document(&group_id, std::mem::take(&mut group), true)?;
        }
        if id != group_id {
            group_id = id;
        }
        let mut paragraph = Paragraph::new(group_id.as_str(), group.len() as u32, record.text)
            .with_line(record.line as u32)
            .with_metadata(record.metadata);
        paragraph.number = number;
        paragraph.section = section;
        group.push(paragraph);
        count += 1;
        if count.is_multiple_of(1024) {
            sink.progress(path, records.bytes_read(), records.size());
        }
    }
    if !group.is_empty() {
        sink.document(&group_id, group, true)?;
    }
    super::skip::ensure_some_text(path, count, None)?;
    sink.progress(path, records.size(), records.size());
    sink.source_done(SourceInfo {
        source: path.display().to_string(),
        kind: "records".to_owned(),
        encoding: None,
        paragraphs: count,
    });
    Ok(())
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
