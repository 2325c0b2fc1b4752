//! The tantivy schema: one document per paragraph.

use tantivy::schema::document::{DeserializeError, DocumentDeserialize, DocumentDeserializer};
use tantivy::schema::OwnedValue;
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, STORED, STRING,
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
}

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
        })
    }

    pub fn document(&self, p: &Paragraph, doc_hash: u64) -> TantivyDocument {
        let mut doc = TantivyDocument::default();
        doc.add_text(self.lang, p.lang.code());
        doc.add_text(self.doc, &p.doc);
        doc.add_text(self.body, &p.text);
        doc.add_text(self.grams, &p.text);
        doc.add_text(self.chars, &p.text);
        let mut bytes = Vec::with_capacity(p.text.len() + p.doc.len() + 64);
        record::encode(p, doc_hash, &mut bytes);
        doc.add_bytes(self.record, &bytes);
        doc
    }
}
