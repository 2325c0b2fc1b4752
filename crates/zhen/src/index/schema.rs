//! The tantivy schema: one document per paragraph.

use tantivy::schema::document::{DeserializeError, DocumentDeserialize, DocumentDeserializer};
use tantivy::schema::OwnedValue;
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, STORED, STRING,
};
use tantivy::TantivyDocument;

/// A paragraph's stored record (see [`record`](super::record)), moved out of the store's
/// buffer: tantivy deserialises one bytes value instead of a value per field.
pub(crate) struct StoredRecord(pub Vec<u8>);

impl DocumentDeserialize for StoredRecord {
    fn deserialize<'de, D>(mut deserializer: D) -> Result<Self, DeserializeError>
    where
        D: DocumentDeserializer<'de>,
    {
        let mut record = None;
        while let Some((_, value)) = deserializer.next_field::<OwnedValue>()? {
            if let OwnedValue::Bytes(bytes) = value {
                record = Some(bytes);
            }
        }
        record
            .map(StoredRecord)
            .ok_or_else(|| DeserializeError::custom("a stored document without its record"))
    }
}

use super::record;
use crate::analysis::{ANALYZER_NAME, CHARS_ANALYZER_NAME, NGRAM_ANALYZER_NAME};
use crate::document::Paragraph;

/// The fields of zhen's schema.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    pub doc: Field,
    pub lang: Field,
    pub body: Field,
    pub grams: Field,
    pub chars: Field,
    pub record: Field,
    /// Each paragraph's [`tie_order`]: equal scores rank by it (see `search::top`).
    pub order: Field,
}

/// The name of the fast field holding each paragraph's [`tie_order`], which the index is
/// sorted by and searches rank equal scores by.
pub(crate) const ORDER_FIELD: &str = "order";

/// Where a paragraph ranks among paragraphs of equal score: by document, then in reading
/// order within it.
///
/// A document address cannot settle ties: tantivy's indexing threads take documents in a
/// racy order and a searcher orders segments as a hash map does, so two builds of the
/// same corpus gave 14 of 54 queries a different top ten on prc-laws (same scores and
/// totals, equal scores in another order). This key depends on the paragraph alone: the
/// high 40 bits are a hash of its document's id (FNV-1a, fixed by its definition, so the
/// order survives rebuilds, updates and zhen versions), the low 24 its ordinal.
pub(crate) fn tie_order(doc: &str, ordinal: u32) -> u64 {
    use std::hash::Hasher;
    let mut h = fnv::FnvHasher::default();
    h.write(doc.as_bytes());
    (h.finish() & !ORDINAL_MASK) | u64::from(ordinal).min(ORDINAL_MASK)
}

/// The bits of [`tie_order`] that hold the ordinal (paragraphs beyond 2^24 - 1 in one
/// document share its last value).
const ORDINAL_MASK: u64 = (1 << 24) - 1;

impl Fields {
    pub fn schema() -> (Schema, Fields) {
        let mut builder = Schema::builder();
        let body_options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(ANALYZER_NAME)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let grams_options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(NGRAM_ANALYZER_NAME)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        // Which paragraphs hold a character is all a one-character query needs: no
        // positions (those would cost as much as the bigrams). Frequencies (always 1, as
        // the analyzer gives each character once) cost almost nothing and let tantivy
        // prune the top hits with block-max WAND, which needs them.
        let chars_options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(CHARS_ANALYZER_NAME)
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        // Everything a hit shows is in `record`; the other fields are only searched.
        let fields = Fields {
            doc: builder.add_text_field("doc", STRING),
            lang: builder.add_text_field("lang", STRING),
            body: builder.add_text_field("body", body_options),
            grams: builder.add_text_field("body_grams", grams_options),
            chars: builder.add_text_field("body_chars", chars_options),
            // The record holds the content hash of the paragraph's whole document:
            // re-adding an unchanged document is then a no-op.
            record: builder.add_bytes_field("record", STORED),
            order: builder.add_u64_field(ORDER_FIELD, FAST),
        };
        (builder.build(), fields)
    }

    pub fn from_schema(schema: &Schema) -> Option<Fields> {
        let get = |name| schema.get_field(name).ok();
        Some(Fields {
            doc: get("doc")?,
            lang: get("lang")?,
            body: get("body")?,
            grams: get("body_grams")?,
            chars: get("body_chars")?,
            record: get("record")?,
            order: get(ORDER_FIELD)?,
        })
    }

    pub fn document(&self, p: &Paragraph, doc_hash: u64) -> TantivyDocument {
        let mut doc = TantivyDocument::default();
        doc.add_text(self.lang, p.lang.code());
        doc.add_text(self.doc, &p.doc);
        doc.add_text(self.body, &p.text);
        doc.add_text(self.grams, &p.text);
        doc.add_text(self.chars, &p.text);
        doc.add_u64(self.order, tie_order(&p.doc, p.ordinal));
        let mut bytes = Vec::with_capacity(p.text.len() + p.doc.len() + 64);
        record::encode(p, doc_hash, &mut bytes);
        doc.add_bytes(self.record, &bytes);
        doc
    }
}
