//! A paragraph's stored record: everything a hit shows, as one opaque stored value.
//!
//! The index stores each paragraph as a single bytes field in zhen's own layout instead of
//! one tantivy stored field per value. Turning a hit into a [`Paragraph`] was most of the
//! cost of reading it: tantivy's per-field deserialisation and its UTF-8 validation of
//! each string took 1.3 µs of a 1.6 µs read on prc-laws, against 0.3 µs to find the
//! stored bytes. Here the strings are validated with `simdutf8`, the numbers are varints,
//! the kind and language one byte each, and nothing names a field.
//!
//! # Layout (version 2)
//!
//! ```text
//! u8       version (2)
//! varint   ordinal
//! varint   line
//! varint   number + 1, or 0 for none
//! u8       kind (index into KINDS)
//! u8       lang (index into LANGS)
//! u8       flags: bit 0 set when the text is plain (analysis::is_plain); others 0
//! u64 LE   content hash of the whole document
//! string   doc id
//! string   text
//! varint   section length + 1, or 0 for none; then its bytes
//! string   metadata as a JSON object, empty for none
//! ```
//!
//! A string is a varint byte length and the UTF-8 bytes. Decoding checks every length and
//! every string, so a damaged record is an error, never a panic or a wrong string.

use std::fmt;
use std::path::Path;

use crate::analysis::Lang;
use crate::document::{BlockKind, Paragraph};
use crate::search::Metadata;

const VERSION: u8 = 2;

/// The `flags` bit of a plain text.
const PLAIN: u8 = 1;

const KINDS: [BlockKind; 6] = [
    BlockKind::Metadata,
    BlockKind::Session,
    BlockKind::Agenda,
    BlockKind::Title,
    BlockKind::Heading,
    BlockKind::Paragraph,
];

const LANGS: [Lang; 3] = [Lang::Zh, Lang::En, Lang::Und];

/// Why a stored record cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RecordError {
    /// The byte offset in the record where reading failed.
    pub offset: usize,
    pub what: &'static str,
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {} of the record", self.what, self.offset)
    }
}

/// A decoded record.
#[derive(Debug)]
pub(crate) struct Record {
    /// The paragraph, with empty `metadata`: that comes apart as [`Record::metadata`].
    pub paragraph: Paragraph,
    pub metadata: Metadata,
    pub doc_hash: u64,
    /// Whether the text is plain ([`is_plain`](crate::analysis::is_plain)), decided once
    /// when the paragraph was indexed: highlighting then finds the query's terms without
    /// reading every character.
    pub plain: bool,
}

/// Appends `p`'s record to `out`.
pub(crate) fn encode(p: &Paragraph, doc_hash: u64, out: &mut Vec<u8>) {
    out.push(VERSION);
    put_varint(out, u64::from(p.ordinal));
    put_varint(out, u64::from(p.line));
    put_varint(out, p.number.map_or(0, |n| u64::from(n) + 1));
    out.push(code_of(&KINDS, p.kind));
    out.push(code_of(&LANGS, p.lang));
    out.push(if crate::analysis::is_plain(&p.text) {
        PLAIN
    } else {
        0
    });
    out.extend_from_slice(&doc_hash.to_le_bytes());
    put_str(out, &p.doc);
    put_str(out, &p.text);
    match &p.section {
        Some(section) => {
            put_varint(out, section.len() as u64 + 1);
            out.extend_from_slice(section.as_bytes());
        }
        None => put_varint(out, 0),
    }
    if p.metadata.is_empty() {
        put_varint(out, 0);
    } else {
        // A map of JSON values always serialises.
        let json = serde_json::to_string(&p.metadata).unwrap_or_default();
        put_str(out, &json);
    }
}

/// Reads a record written by [`encode`].
pub(crate) fn decode(bytes: &[u8]) -> Result<Record, RecordError> {
    let mut r = Reader { bytes, pos: 0 };
    if r.byte("an empty record")? != VERSION {
        return Err(r.error_before(1, "an unknown record version"));
    }
    let ordinal = r.u32("an ordinal out of range")?;
    let line = r.u32("a line number out of range")?;
    let number = match r.varint()? {
        0 => None,
        n => Some(
            u32::try_from(n - 1)
                .map_err(|_| r.error_before(1, "a paragraph number out of range"))?,
        ),
    };
    let kind = r.code(&KINDS, "an unknown block kind")?;
    let lang = r.code(&LANGS, "an unknown language")?;
    let flags = r.byte("a truncated record")?;
    if flags & !PLAIN != 0 {
        return Err(r.error_before(1, "unknown flags"));
    }
    let doc_hash = u64::from_le_bytes(
        r.take(8, "a truncated content hash")?
            .try_into()
            .expect("take returns exactly 8 bytes"),
    );
    let doc = r.string()?.to_owned();
    let text = r.string()?.to_owned();
    let section = match r.varint()? {
        0 => None,
        n => Some(r.str_of_len(n - 1)?.to_owned()),
    };
    let metadata = match r.string()? {
        "" => Metadata::default(),
        json => Metadata::from_json(json),
    };
    if r.pos != bytes.len() {
        return Err(r.error_before(0, "trailing bytes"));
    }
    Ok(Record {
        paragraph: Paragraph {
            doc,
            ordinal,
            number,
            section,
            kind,
            text,
            line,
            metadata: Default::default(),
            lang,
        },
        metadata,
        doc_hash,
        plain: flags & PLAIN != 0,
    })
}

/// Decodes `bytes`, the stored record of `what` in the index at `dir`. A record that cannot
/// be decoded means a damaged index (the seal catches most damage when the index is
/// opened; this is the last line).
pub(crate) fn decode_stored(
    bytes: &[u8],
    dir: &Path,
    what: impl fmt::Display,
) -> crate::error::Result<Record> {
    decode(bytes).map_err(|e| crate::error::Error::IndexCorrupt {
        path: dir.to_path_buf(),
        reason: format!("the stored record of {what} cannot be read: {e}"),
    })
}

/// Reads the record at `address` through tantivy's own document reading, which takes any
/// stored layout (slower than the search's direct reading of hits), and decodes it as
/// [`decode_stored`] does.
pub(crate) fn read_stored(
    searcher: &tantivy::Searcher,
    address: tantivy::DocAddress,
    dir: &Path,
    what: impl fmt::Display,
) -> crate::error::Result<Record> {
    let stored: super::StoredRecord = searcher.doc(address)?;
    decode_stored(&stored.0, dir, what)
}

fn code_of<T: PartialEq + Copy>(table: &[T], value: T) -> u8 {
    // Every variant is in its table (a unit test checks); the first entry is a safe
    // fallback that the test would catch before it could be written.
    table.iter().position(|v| *v == value).unwrap_or(0) as u8
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn error_before(&self, back: usize, what: &'static str) -> RecordError {
        RecordError {
            offset: self.pos.saturating_sub(back),
            what,
        }
    }

    fn byte(&mut self, what: &'static str) -> Result<u8, RecordError> {
        let b = *self
            .bytes
            .get(self.pos)
            .ok_or_else(|| self.error_before(0, what))?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, len: u64, what: &'static str) -> Result<&'a [u8], RecordError> {
        let rest = &self.bytes[self.pos..];
        let len = usize::try_from(len)
            .ok()
            .filter(|&len| len <= rest.len())
            .ok_or_else(|| self.error_before(0, what))?;
        self.pos += len;
        Ok(&rest[..len])
    }

    fn varint(&mut self) -> Result<u64, RecordError> {
        let start = self.pos;
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte("a truncated number")?;
            // The tenth byte may only hold the top bit of a u64.
            if shift == 63 && b > 1 {
                break;
            }
            n |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err(RecordError {
            offset: start,
            what: "an over-long number",
        })
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, RecordError> {
        let start = self.pos;
        u32::try_from(self.varint()?).map_err(|_| RecordError {
            offset: start,
            what,
        })
    }

    fn code<T: Copy>(&mut self, table: &[T], what: &'static str) -> Result<T, RecordError> {
        let code = self.byte(what)?;
        table
            .get(usize::from(code))
            .copied()
            .ok_or_else(|| self.error_before(1, what))
    }

    fn string(&mut self) -> Result<&'a str, RecordError> {
        let len = self.varint()?;
        self.str_of_len(len)
    }

    fn str_of_len(&mut self, len: u64) -> Result<&'a str, RecordError> {
        let start = self.pos;
        let bytes = self.take(len, "a string longer than the record")?;
        simdutf8::basic::from_utf8(bytes).map_err(|_| RecordError {
            offset: start,
            what: "a string that is not UTF-8",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Paragraph {
        let mut p = Paragraph::new(
            "law-00914",
            41,
            "第十四条 出租人依照租赁合同约定向承租人收取租金。",
        );
        p.number = Some(14);
        p.section = Some("第三章 当事人的权利和义务".to_owned());
        p.kind = BlockKind::Heading;
        p.line = 41_310;
        p.lang = Lang::Zh;
        p.metadata.insert(
            "title".to_owned(),
            serde_json::json!("城市房屋租赁管理办法"),
        );
        p.metadata
            .insert("year".to_owned(), serde_json::json!(1995));
        p
    }

    fn round_trip(p: &Paragraph, hash: u64) -> Record {
        let mut bytes = Vec::new();
        encode(p, hash, &mut bytes);
        decode(&bytes).unwrap()
    }

    #[test]
    fn every_value_comes_back() {
        let p = sample();
        let record = round_trip(&p, 0xdead_beef_0123_4567);
        assert_eq!(record.doc_hash, 0xdead_beef_0123_4567);
        assert_eq!(*record.metadata, p.metadata);
        let mut expected = p.clone();
        expected.metadata.clear();
        assert_eq!(record.paragraph, expected);
    }

    #[test]
    fn absent_values_stay_absent_and_extremes_fit() {
        let mut p = Paragraph::new("", u32::MAX, "");
        p.line = u32::MAX;
        p.number = Some(u32::MAX);
        let record = round_trip(&p, u64::MAX);
        assert_eq!(record.paragraph, p);
        assert_eq!(record.doc_hash, u64::MAX);
        assert!(record.metadata.is_empty());

        let mut p = sample();
        p.number = None;
        p.section = None;
        p.metadata.clear();
        let record = round_trip(&p, 0);
        assert_eq!(record.paragraph, p);
        assert!(record.metadata.is_empty());
    }

    #[test]
    fn whether_the_text_is_plain_is_recorded() {
        let mut p = sample();
        assert!(round_trip(&p, 0).plain);
        // A circled digit folds to a digit: a term boundary moves, so the text is not plain.
        p.text.push_str("见附件①。");
        assert!(!round_trip(&p, 0).plain);

        let mut bytes = Vec::new();
        let small = Paragraph::new("d", 1, "第十四条 出租人依照租赁合同约定向承租人收取租金。");
        encode(&small, 0, &mut bytes);
        // The flags byte follows the version, three one-byte varints, kind and language.
        assert_eq!(bytes[6], PLAIN);
        bytes[6] = 0b10;
        let err = decode(&bytes).unwrap_err();
        assert_eq!((err.offset, err.what), (6, "unknown flags"));
    }

    #[test]
    fn every_kind_and_language_has_a_code() {
        let mut p = sample();
        for kind in KINDS {
            for lang in LANGS {
                p.kind = kind;
                p.lang = lang;
                let back = round_trip(&p, 1).paragraph;
                assert_eq!((back.kind, back.lang), (kind, lang));
            }
        }
    }

    #[test]
    fn damage_is_an_error_naming_the_byte_never_a_panic() {
        let mut good = Vec::new();
        encode(&sample(), 7, &mut good);
        // Every truncation fails (the last field's length then overruns the record).
        for len in 0..good.len() {
            assert!(decode(&good[..len]).is_err(), "cut at {len} decoded");
        }
        // Every single-byte change either fails or decodes to other values; none panics.
        for i in 0..good.len() {
            for b in [0x00, 0x7f, 0x80, 0xff, good[i] ^ 0x01] {
                let mut bad = good.clone();
                bad[i] = b;
                let _ = decode(&bad);
            }
        }
        let mut extra = good.clone();
        extra.push(0);
        let err = decode(&extra).unwrap_err();
        assert_eq!(err.offset, good.len());
        assert_eq!(
            err.to_string(),
            format!("trailing bytes at byte {} of the record", good.len())
        );

        let mut version = good.clone();
        version[0] = VERSION + 1;
        assert_eq!(decode(&version).unwrap_err().offset, 0);

        // Invalid UTF-8 inside the text: the error points at the string's first byte.
        let mut p = sample();
        p.text = "ab".to_owned();
        let mut bytes = Vec::new();
        encode(&p, 0, &mut bytes);
        let at = bytes.windows(2).position(|w| w == b"ab").unwrap();
        bytes[at] = 0xff;
        let err = decode(&bytes).unwrap_err();
        assert_eq!((err.offset, err.what), (at, "a string that is not UTF-8"));
    }

    #[test]
    fn a_damaged_record_in_an_index_is_reported_as_damage_naming_the_index() {
        let dir = tempfile::tempdir().unwrap();
        let mut builder = crate::IndexBuilder::create(dir.path()).unwrap();
        builder.add_text("good", "美国打击人口贩运。").unwrap();
        // A paragraph whose record lost its last bytes, written past the builder's checks.
        let fields = builder.fields;
        let damaged = Paragraph::new("bad", 0, "损坏的记录");
        let mut doc = tantivy::TantivyDocument::default();
        doc.add_text(fields.doc, &damaged.doc);
        doc.add_text(fields.lang, damaged.lang.code());
        for field in [fields.body, fields.grams, fields.chars] {
            doc.add_text(field, &damaged.text);
        }
        let mut bytes = Vec::new();
        encode(&damaged, 0, &mut bytes);
        bytes.truncate(bytes.len() - 3);
        doc.add_bytes(fields.record, &bytes);
        builder.writer.as_ref().unwrap().add_document(doc).unwrap();
        builder.commit().unwrap();

        let searcher = crate::Index::open(dir.path()).unwrap().searcher();
        assert_eq!(searcher.search("人口贩运", 5).unwrap().total_hits, 1);
        let err = searcher.search("损坏", 5).unwrap_err();
        let message = err.to_string();
        assert!(
            matches!(err, crate::Error::IndexCorrupt { .. }),
            "{message}"
        );
        assert!(
            message.contains(&dir.path().display().to_string()),
            "{message}"
        );
        assert!(message.contains("cannot be read"), "{message}");
        assert!(message.contains("zhen index --index"), "{message}");
    }

    #[test]
    fn varints_round_trip_and_over_long_ones_fail() {
        for n in [
            0,
            1,
            127,
            128,
            16_383,
            16_384,
            u64::from(u32::MAX),
            u64::MAX,
        ] {
            let mut bytes = Vec::new();
            put_varint(&mut bytes, n);
            let mut r = Reader {
                bytes: &bytes,
                pos: 0,
            };
            assert_eq!(r.varint(), Ok(n));
            assert_eq!(r.pos, bytes.len());
        }
        let eleven = [0xffu8; 11];
        let mut r = Reader {
            bytes: &eleven,
            pos: 0,
        };
        assert_eq!(r.varint().unwrap_err().what, "an over-long number");
    }
}
