//! Reading hits' stored records.
//!
//! tantivy's `Searcher::doc` hands a stored bytes value over one byte at a time (its
//! deserialiser reads a `Vec<u8>` item by item): for a record of a few hundred bytes that
//! costs more than the per-field deserialisation the record replaced. So the records are
//! read here, from the segments' document stores directly: the stored document's bytes,
//! found in 0.3 µs, hold the record after a few bytes of tantivy's framing, which this
//! module checks and strips. A document that is not framed as expected (another tantivy
//! version's layout) is read through `Searcher::doc` instead: slower, never wrong.

use std::path::PathBuf;
use std::sync::Arc;

use tantivy::schema::Field;
use tantivy::store::StoreReader;
use tantivy::{DocAddress, Searcher};

use super::blocks::{varint, BlockStore};
use crate::error::Result;
use crate::index::{decode_stored, read_stored, Record};

/// How many bytes of decompressed document-store blocks a searcher keeps by default (see
/// [`Index::searcher_with_store_cache`](crate::Index::searcher_with_store_cache)).
pub(crate) const DEFAULT_CACHE_BYTES: usize = 64 * 1024 * 1024;

/// tantivy's type code of a bytes value in a stored document.
const BYTES_CODE: u8 = 4;

/// The document stores of one searcher generation's segments, opened once and shared by
/// searches (each keeps its cache of decompressed blocks).
#[derive(Clone)]
pub(crate) struct Stores {
    /// The field of the records.
    record: Field,
    /// The index directory, named by errors.
    dir: PathBuf,
    /// The budget for cached decompressed blocks, shared out among the segments.
    cache_bytes: usize,
    readers: super::PerGeneration<Arc<[SegmentStore]>>,
}

/// One segment's store: read in place where its layout allows ([`BlockStore`]), through
/// tantivy otherwise.
struct SegmentStore {
    own: Option<BlockStore>,
    tantivy: StoreReader,
}

impl Stores {
    /// The stores of the index at `dir`, whose records are in the field `record`, keeping
    /// up to about `cache_bytes` of decompressed blocks; opened when first read.
    pub(crate) fn new(record: Field, dir: PathBuf, cache_bytes: usize) -> Stores {
        Stores {
            record,
            dir,
            cache_bytes,
            readers: super::PerGeneration::default(),
        }
    }

    /// Stores for a new generation of the index (after a rebuild), with the same budget.
    pub(crate) fn with_index(&self, record: Field, dir: PathBuf) -> Stores {
        Stores::new(record, dir, self.cache_bytes)
    }

    /// The stores of `searcher`'s segments, ready to read a search's hits from.
    pub(crate) fn open(&self, searcher: &Searcher) -> Result<OpenStores<'_>> {
        Ok(OpenStores {
            stores: self,
            readers: self.readers(searcher)?,
        })
    }

    /// The stores of `searcher`'s segments, in segment order.
    fn readers(&self, searcher: &Searcher) -> Result<Arc<[SegmentStore]>> {
        self.readers
            .get(searcher, || Self::open_readers(searcher, self.cache_bytes))
    }

    fn open_readers(searcher: &Searcher, cache_bytes: usize) -> Result<Arc<[SegmentStore]>> {
        let segments = searcher.segment_readers();
        let blocks = cache_blocks(
            cache_bytes,
            segments.len(),
            searcher.index().settings().docstore_blocksize,
        );
        let readers = segments
            .iter()
            .map(|segment| {
                let own = BlockStore::open(segment, blocks);
                // tantivy's reader then only reads what the store's own could not: no cache.
                let tantivy_blocks = if own.is_some() { 0 } else { blocks };
                Ok(SegmentStore {
                    own,
                    tantivy: segment.get_store_reader(tantivy_blocks)?,
                })
            })
            .collect::<std::io::Result<Vec<_>>>()
            .map_err(tantivy::TantivyError::from)?;
        Ok(readers.into())
    }
}

/// The document stores of one searcher's segments (see [`Stores::open`]): taken once per
/// search, not once per hit.
pub(crate) struct OpenStores<'s> {
    stores: &'s Stores,
    readers: Arc<[SegmentStore]>,
}

impl OpenStores<'_> {
    /// Reads the record of the hit at `address` of `searcher` (the searcher these stores
    /// were opened for). A record that cannot be decoded means a damaged index (the seal
    /// catches most damage when the index is opened; this is the last line).
    pub(crate) fn record(&self, searcher: &Searcher, address: DocAddress) -> Result<Record> {
        let store = self
            .readers
            .get(address.segment_ord as usize)
            .ok_or_else(|| tantivy::TantivyError::InvalidArgument(format!("{address:?}")))?;
        let what = format_args!(
            "paragraph {} of segment {}",
            address.doc_id, address.segment_ord
        );
        let field = self.stores.record.field_id();
        if let Some((block, range)) = store.own.as_ref().and_then(|o| o.document(address.doc_id)) {
            if let Some(record) = unframe(&block[range], field) {
                return decode_stored(record, &self.stores.dir, what);
            }
        }
        let stored = store.tantivy.get_document_bytes(address.doc_id)?;
        match unframe(&stored, field) {
            Some(record) => decode_stored(record, &self.stores.dir, what),
            None => read_stored(searcher, address, &self.stores.dir, what),
        }
    }
}

/// How many decompressed blocks each of `segments` may keep within `budget` bytes. A block
/// holds a little more than `block_size` bytes (it closes with the document that fills
/// it); the budget counts it at that size.
fn cache_blocks(budget: usize, segments: usize, block_size: usize) -> usize {
    budget / (segments.max(1) * block_size.max(1))
}

/// The record inside a stored document of tantivy 0.27's layout: the number of values
/// (a varint), then for the one value its field id (u32, little-endian), its type code and,
/// for bytes, their length (a varint) and the bytes. `None` for anything else.
fn unframe(stored: &[u8], record_field: u32) -> Option<&[u8]> {
    let (count, rest) = varint(stored)?;
    if count != 1 {
        return None;
    }
    let (field, rest) = rest.split_first_chunk::<4>()?;
    if u32::from_le_bytes(*field) != record_field {
        return None;
    }
    let (&code, rest) = rest.split_first()?;
    if code != BYTES_CODE {
        return None;
    }
    let (len, rest) = varint(rest)?;
    (len == rest.len() as u64).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Paragraph;
    use crate::index::{Index, IndexBuilder, StoredRecord};

    #[test]
    fn every_record_is_read_from_the_store_directly_and_equals_tantivys_reading() {
        let dir = tempfile::tempdir().unwrap();
        let mut builder = IndexBuilder::create(dir.path()).unwrap();
        let long = "人口贩运。".repeat(300);
        let texts = [
            "",
            "短",
            "美国将继续打击人口贩运。",
            long.as_str(),
            "Trafficking in persons",
        ];
        let paragraphs: Vec<Paragraph> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| Paragraph::new("d", i as u32, *t))
            .collect();
        builder.add_paragraphs("d", &paragraphs).unwrap();
        builder.commit().unwrap();
        let index = Index::open(dir.path()).unwrap();
        let searcher = index.reader.searcher();
        let fields = index.fields;
        let stores = Stores::new(fields.record, dir.path().to_path_buf(), 0);
        let mut seen = Vec::new();
        for (ord, segment) in searcher.segment_readers().iter().enumerate() {
            let store = segment.get_store_reader(0).unwrap();
            for doc in 0..segment.max_doc() {
                let address = DocAddress::new(ord as u32, doc);
                let stored = store.get_document_bytes(doc).unwrap();
                let direct = unframe(&stored, fields.record.field_id())
                    .expect("tantivy's stored-document layout changed: update `unframe`");
                let through_tantivy: StoredRecord = searcher.doc(address).unwrap();
                assert_eq!(direct, &through_tantivy.0[..]);
                let record = stores
                    .open(&searcher)
                    .unwrap()
                    .record(&searcher, address)
                    .unwrap();
                // A store that `BlockStore` does not read is read through tantivy alike.
                let through_tantivy_reader = OpenStores {
                    stores: &stores,
                    readers: searcher
                        .segment_readers()
                        .iter()
                        .map(|segment| SegmentStore {
                            own: None,
                            tantivy: segment.get_store_reader(0).unwrap(),
                        })
                        .collect(),
                }
                .record(&searcher, address)
                .unwrap();
                assert_eq!(record.paragraph.text, through_tantivy_reader.paragraph.text);
                assert!(stores.open(&searcher).unwrap().readers[ord].own.is_some());
                seen.push(record.paragraph.text);
            }
        }
        seen.sort();
        let mut expected: Vec<String> = texts.iter().map(|t| t.to_string()).collect();
        expected.sort();
        assert_eq!(seen, expected);
    }

    #[test]
    fn unexpected_framing_is_refused() {
        let mut framed = vec![0x81];
        framed.extend_from_slice(&7u32.to_le_bytes());
        framed.push(BYTES_CODE);
        framed.push(0x80 | 3);
        framed.extend_from_slice(b"abc");
        assert_eq!(unframe(&framed, 7), Some(&b"abc"[..]));
        assert_eq!(unframe(&framed, 8), None, "another field");
        let mut two = framed.clone();
        two[0] = 0x82;
        assert_eq!(unframe(&two, 7), None, "two values");
        let mut text = framed.clone();
        text[5] = 0;
        assert_eq!(unframe(&text, 7), None, "a text value");
        assert_eq!(unframe(&framed[..framed.len() - 1], 7), None, "cut short");
        let mut longer = framed.clone();
        longer.push(b'd');
        assert_eq!(unframe(&longer, 7), None, "bytes beyond the value");
        assert_eq!(unframe(&[0x00; 12], 7), None, "an endless varint");
        assert_eq!(unframe(&[], 7), None);
    }

    #[test]
    fn the_cache_budget_is_shared_out_among_segments() {
        assert_eq!(cache_blocks(DEFAULT_CACHE_BYTES, 1, 32 * 1024), 2048);
        assert_eq!(cache_blocks(DEFAULT_CACHE_BYTES, 2, 32 * 1024), 1024);
        assert_eq!(cache_blocks(DEFAULT_CACHE_BYTES, 3, 32 * 1024), 682);
        assert_eq!(cache_blocks(0, 2, 32 * 1024), 0, "no budget, no cache");
        assert_eq!(
            cache_blocks(100, 0, 0),
            100,
            "no segments or a zero size divides by one"
        );
    }

    #[test]
    fn tantivy_varints() {
        assert_eq!(varint(&[0x80]), Some((0, &[][..])));
        assert_eq!(varint(&[0x05, 0x81, 9]), Some((5 + 128, &[9u8][..])));
        assert_eq!(varint(&[0x05]), None);
    }
}
