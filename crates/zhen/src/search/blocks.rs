//! A segment's document store read in place: its block index parsed once, its blocks
//! decompressed with one reused zstd context.
//!
//! tantivy's `StoreReader` finds a document's block by walking its skip index from the top
//! on every read, decoding blocks of checkpoints into freshly allocated vectors: a seventh
//! of a `税` search on prc-laws, 0.28 µs of each hit's 0.5 µs read. And it decompresses a
//! block with a new zstd context each time, about 40% of an uncached hit. Here the store's
//! checkpoints (tantivy 0.27's layout, document store version 2, zstd blocks) are read once
//! when a searcher's stores open, a document's block is found by bisection, and blocks are
//! decompressed with a context kept per thread. Anything else — another layout, another
//! compressor, a block that fails to decompress — is [`None`], and the caller reads the
//! document through tantivy instead: slower, never wrong.

use std::num::NonZeroUsize;
use std::ops::Range;
use std::sync::{Arc, Mutex, PoisonError};

use tantivy::directory::OwnedBytes;
use tantivy::index::SegmentComponent;
use tantivy::{DocId, SegmentReader};

/// The document store version this module reads (tantivy 0.27's `DocStoreVersion::V2`).
const DOC_STORE_VERSION: u32 = 2;
/// tantivy's id of the zstd compressor, in the store's footer.
const ZSTD_ID: u8 = 4;
/// The footer: version (u32), offset of the block index (u64), compressor id, 15 bytes
/// reserved.
const FOOTER_BYTES: usize = 28;

/// One compressed block: the documents it holds and where its bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Block {
    docs: Range<DocId>,
    bytes: Range<usize>,
}

/// A segment's document store (see the module's documentation).
pub(crate) struct BlockStore {
    /// The compressed blocks, in place.
    data: OwnedBytes,
    /// Every block, in document order.
    blocks: Vec<Block>,
    /// Decompressed blocks by index, the most recently read kept.
    cache: Option<Mutex<lru::LruCache<usize, Arc<[u8]>>>>,
}

impl BlockStore {
    /// The store of `segment`, keeping up to `cache_blocks` decompressed blocks; `None`
    /// when it is not laid out as this module expects.
    pub(crate) fn open(segment: &SegmentReader, cache_blocks: usize) -> Option<BlockStore> {
        let bytes = segment
            .open_read(SegmentComponent::Store)
            .ok()?
            .read_bytes()
            .ok()?;
        BlockStore::parse(bytes, cache_blocks)
    }

    fn parse(bytes: OwnedBytes, cache_blocks: usize) -> Option<BlockStore> {
        let body_len = bytes.len().checked_sub(FOOTER_BYTES)?;
        let footer = &bytes.as_slice()[body_len..];
        let version = u32::from_le_bytes(footer[0..4].try_into().ok()?);
        let index_at = usize::try_from(u64::from_le_bytes(footer[4..12].try_into().ok()?)).ok()?;
        if version != DOC_STORE_VERSION || footer[12] != ZSTD_ID || index_at > body_len {
            return None;
        }
        let blocks = parse_checkpoints(&bytes.as_slice()[index_at..body_len], index_at)?;
        Some(BlockStore {
            data: bytes.slice(0..index_at),
            blocks,
            cache: NonZeroUsize::new(cache_blocks).map(|n| Mutex::new(lru::LruCache::new(n))),
        })
    }

    /// The stored bytes of document `doc`: its decompressed block and the document's range
    /// in it. `None` when the store cannot give them (the caller asks tantivy).
    pub(crate) fn document(&self, doc: DocId) -> Option<(Arc<[u8]>, Range<usize>)> {
        let i = self.blocks.partition_point(|b| b.docs.end <= doc);
        let block = self.blocks.get(i).filter(|b| b.docs.start <= doc)?;
        let bytes = self.block(i, block)?;
        let range = document_range(&bytes, (doc - block.docs.start) as usize)?;
        Some((bytes, range))
    }

    fn block(&self, i: usize, block: &Block) -> Option<Arc<[u8]>> {
        let cache = self
            .cache
            .as_ref()
            .map(|c| c.lock().unwrap_or_else(PoisonError::into_inner));
        if let Some(hit) = cache.and_then(|mut c| c.get(&i).cloned()) {
            return Some(hit);
        }
        let decompressed: Arc<[u8]> =
            decompress(self.data.as_slice().get(block.bytes.clone())?)?.into();
        if let Some(cache) = &self.cache {
            cache
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .put(i, decompressed.clone());
        }
        Some(decompressed)
    }
}

/// The checkpoints of a store's block index: a list of layer ends (varints), then the
/// layers, coarsest first; the last holds every block, as checkpoint blocks of a count,
/// the first document and byte, then per block its document and byte counts. Every block
/// must follow the one before and lie within the `data_len` bytes of blocks.
fn parse_checkpoints(index: &[u8], data_len: usize) -> Option<Vec<Block>> {
    let (layers, mut rest) = varint(index)?;
    let mut ends = Vec::with_capacity(layers as usize);
    for _ in 0..layers {
        let (end, r) = varint(rest)?;
        ends.push(usize::try_from(end).ok()?);
        rest = r;
    }
    let last_start = match ends.len() {
        0 => return Some(Vec::new()),
        n if n >= 2 => ends[n - 2],
        _ => 0,
    };
    let mut layer = rest.get(last_start..*ends.last()?)?;
    let mut blocks: Vec<Block> = Vec::new();
    while !layer.is_empty() {
        let (count, r) = varint(layer)?;
        layer = r;
        if count == 0 {
            continue;
        }
        let (doc, r) = varint(layer)?;
        let (byte, r) = varint(r)?;
        layer = r;
        let (mut doc, mut byte) = (DocId::try_from(doc).ok()?, usize::try_from(byte).ok()?);
        for _ in 0..count {
            let (docs, r) = varint(layer)?;
            let (len, r) = varint(r)?;
            layer = r;
            let next_doc = doc.checked_add(DocId::try_from(docs).ok()?)?;
            let next_byte = byte.checked_add(usize::try_from(len).ok()?)?;
            blocks.push(Block {
                docs: doc..next_doc,
                bytes: byte..next_byte,
            });
            (doc, byte) = (next_doc, next_byte);
        }
    }
    let mut expected = Block {
        docs: 0..0,
        bytes: 0..0,
    };
    for block in &blocks {
        if block.docs.start != expected.docs.end || block.bytes.start != expected.bytes.end {
            return None;
        }
        expected = block.clone();
    }
    (expected.bytes.end <= data_len).then_some(blocks)
}

/// A varint as tantivy writes them: seven bits a byte, least significant first, the *last*
/// byte marked by its high bit.
pub(crate) fn varint(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let mut n = 0u64;
    for (i, &b) in bytes.iter().enumerate().take(10) {
        n |= u64::from(b & 0x7f).checked_shl(7 * i as u32)?;
        if b & 0x80 != 0 {
            return Some((n, &bytes[i + 1..]));
        }
    }
    None
}

/// A block as tantivy compresses it with zstd: the decompressed length (u32,
/// little-endian), then one zstd frame.
fn decompress(compressed: &[u8]) -> Option<Vec<u8>> {
    thread_local! {
        static CONTEXT: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> =
            const { std::cell::RefCell::new(None) };
    }
    let (len, frame) = compressed.split_first_chunk::<4>()?;
    let len = u32::from_le_bytes(*len) as usize;
    let mut out = vec![0u8; len];
    let written = CONTEXT.with(|context| {
        let mut context = context.borrow_mut();
        if context.is_none() {
            *context = Some(zstd::bulk::Decompressor::new().ok()?);
        }
        context
            .as_mut()?
            .decompress_to_buffer(frame, &mut out[..])
            .ok()
    })?;
    (written == len).then_some(out)
}

/// Where document `pos` of a decompressed block lies: the block ends with the documents'
/// start offsets (u32 each) and their count (u32).
fn document_range(block: &[u8], pos: usize) -> Option<Range<usize>> {
    let (rest, count) = block.split_last_chunk::<4>()?;
    let count = u32::from_le_bytes(*count) as usize;
    if pos >= count {
        return None;
    }
    let offsets_at = rest.len().checked_sub(count.checked_mul(4)?)?;
    let offset = |i: usize| -> Option<usize> {
        let at = offsets_at + 4 * i;
        Some(u32::from_le_bytes(rest.get(at..at + 4)?.try_into().ok()?) as usize)
    };
    let start = offset(pos)?;
    let end = if pos + 1 < count {
        offset(pos + 1)?
    } else {
        offsets_at
    };
    (start <= end && end <= offsets_at).then_some(start..end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Index, IndexBuilder};

    #[test]
    fn every_document_reads_as_tantivy_reads_it() {
        // Enough text for dozens of blocks in each of two segments, and deletions.
        let dir = tempfile::tempdir().unwrap();
        let mut builder = IndexBuilder::create(dir.path()).unwrap();
        let texts: Vec<String> = (0..3000)
            .map(|i| {
                format!(
                    "第{i}条 {}",
                    "国家保护公民的合法权益，第{i}款。".repeat(4 + i % 9)
                )
            })
            .collect();
        let of = crate::search::test_corpus::paragraphs;
        builder
            .add_paragraphs("a", &of("a", &texts[..2500]))
            .unwrap();
        builder
            .add_paragraphs("c", &of("c", &texts[2500..]))
            .unwrap();
        builder.commit().unwrap();
        let mut update = crate::IndexUpdater::open(dir.path())
            .unwrap()
            .keeping_deletions();
        update.add_paragraphs("b", &of("b", &texts[..500])).unwrap();
        update.remove("c").unwrap();
        update.commit().unwrap();
        let index = Index::open(dir.path()).unwrap();
        let searcher = index.reader.searcher();
        let mut blocks_seen = 0;
        let cache_sizes = [0, 3, 1000];
        for cache_blocks in cache_sizes {
            for segment in searcher.segment_readers() {
                let ours = BlockStore::open(segment, cache_blocks)
                    .expect("a store of tantivy 0.27's layout, zstd blocks");
                blocks_seen += ours.blocks.len();
                let tantivys = segment.get_store_reader(0).unwrap();
                for doc in (0..segment.max_doc()).chain(0..segment.max_doc()) {
                    let (block, range) = ours.document(doc).unwrap();
                    assert_eq!(
                        &block[range],
                        tantivys.get_document_bytes(doc).unwrap().as_slice(),
                        "doc {doc}"
                    );
                }
                assert!(ours.document(segment.max_doc()).is_none());
            }
        }
        let blocks = blocks_seen / cache_sizes.len();
        assert!(blocks > 20, "{blocks} blocks");
    }

    #[test]
    fn other_layouts_and_damage_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut builder = IndexBuilder::create(dir.path()).unwrap();
        builder
            .add_text("a", "1. 打击人口贩运。\n\n2. 人权。")
            .unwrap();
        builder.commit().unwrap();
        let index = Index::open(dir.path()).unwrap();
        let searcher = index.reader.searcher();
        let segment = &searcher.segment_readers()[0];
        let bytes = segment
            .open_read(SegmentComponent::Store)
            .unwrap()
            .read_bytes()
            .unwrap();
        let good = bytes.as_slice().to_vec();
        let parse = |b: Vec<u8>| BlockStore::parse(OwnedBytes::new(b), 4);
        let store = parse(good.clone()).unwrap();
        assert!(store.document(0).is_some() && store.document(1).is_some());
        let footer = good.len() - FOOTER_BYTES;
        for (what, at, value) in [
            ("another version", footer, 3u8),
            ("lz4 blocks", footer + 12, 1u8),
            ("an index beyond the file", footer + 11, 0x40),
        ] {
            let mut bad = good.clone();
            bad[at] = value;
            assert!(parse(bad).is_none(), "{what}");
        }
        assert!(
            parse(good[..10].to_vec()).is_none(),
            "shorter than a footer"
        );
        // A damaged block fails to decompress: no document, not a wrong one.
        let mut bad = good.clone();
        for b in &mut bad[4..20] {
            *b ^= 0x5a;
        }
        if let Some(store) = parse(bad) {
            assert!(store.document(0).is_none());
        }
    }

    #[test]
    fn document_ranges_come_from_the_blocks_offsets() {
        // Two documents, "ab" and "cde", then their offsets and count.
        let mut block = b"abcde".to_vec();
        for n in [0u32, 2, 2] {
            block.extend_from_slice(&n.to_le_bytes());
        }
        assert_eq!(document_range(&block, 0), Some(0..2));
        assert_eq!(document_range(&block, 1), Some(2..5));
        assert_eq!(document_range(&block, 2), None);
        assert_eq!(document_range(&block[..6], 0), None, "cut short");
        assert_eq!(document_range(&[], 0), None);
    }
}
