//! The tantivy schema: one document per paragraph.

use tantivy::schema::document::{DeserializeError, DocumentDeserialize, DocumentDeserializer};
use tantivy::schema::OwnedValue;
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, INDEXED, STORED, STRING,
};
use tantivy::TantivyDocument;

/// A stored document as its values, moved out of the store's buffer once: a search turns
/// each hit into a [`Paragraph`] from it without the intermediate [`TantivyDocument`] and
/// its copies.
pub(crate) struct StoredDoc(Vec<(Field, OwnedValue)>);

impl DocumentDeserialize for StoredDoc {
    fn deserialize<'de, D>(mut deserializer: D) -> Result<Self, DeserializeError>
    where
        D: DocumentDeserializer<'de>,
    {
        let mut values = Vec::with_capacity(deserializer.size_hint());
        while let Some(value) = deserializer.next_field::<OwnedValue>()? {
            values.push(value);
        }
        Ok(StoredDoc(values))
    }
}

use crate::analysis::{Lang, ANALYZER_NAME, CHARS_ANALYZER_NAME, NGRAM_ANALYZER_NAME};
use crate::document::{BlockKind, Paragraph};
use crate::search::Metadata;

/// The fields of zhen's schema.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    pub doc: Field,
    pub ordinal: Field,
    pub number: Field,
    pub kind: Field,
    pub section: Field,
    pub line: Field,
    pub body: Field,
    pub grams: Field,
    pub chars: Field,
    pub meta: Field,
    pub lang: Field,
    pub hash: Field,
}

impl Fields {
    pub fn schema() -> (Schema, Fields) {
        let mut builder = Schema::builder();
        let body_options = TextOptions::default().set_stored().set_indexing_options(
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
        let fields = Fields {
            doc: builder.add_text_field("doc", STRING | STORED),
            ordinal: builder.add_u64_field("ordinal", STORED),
            number: builder.add_u64_field("paragraph", INDEXED | STORED),
            kind: builder.add_text_field("kind", STRING | STORED),
            section: builder.add_text_field("section", STORED),
            line: builder.add_u64_field("line", STORED),
            body: builder.add_text_field("body", body_options),
            grams: builder.add_text_field("body_grams", grams_options),
            chars: builder.add_text_field("body_chars", chars_options),
            meta: builder.add_text_field("meta", STORED),
            lang: builder.add_text_field("lang", STRING | STORED),
            // The content hash of the paragraph's whole document, on each of its
            // paragraphs: re-adding an unchanged document is then a no-op.
            hash: builder.add_u64_field("doc_hash", STORED),
        };
        (builder.build(), fields)
    }

    pub fn from_schema(schema: &Schema) -> Option<Fields> {
        let get = |name| schema.get_field(name).ok();
        Some(Fields {
            doc: get("doc")?,
            ordinal: get("ordinal")?,
            number: get("paragraph")?,
            kind: get("kind")?,
            section: get("section")?,
            line: get("line")?,
            body: get("body")?,
            grams: get("body_grams")?,
            chars: get("body_chars")?,
            meta: get("meta")?,
            lang: get("lang")?,
            hash: get("doc_hash")?,
        })
    }

    pub fn document(&self, p: &Paragraph, doc_hash: u64) -> TantivyDocument {
        let mut doc = TantivyDocument::default();
        doc.add_text(self.lang, p.lang.code());
        doc.add_u64(self.hash, doc_hash);
        doc.add_text(self.doc, &p.doc);
        doc.add_u64(self.ordinal, u64::from(p.ordinal));
        if let Some(n) = p.number {
            doc.add_u64(self.number, u64::from(n));
        }
        doc.add_text(self.kind, p.kind.as_str());
        if let Some(section) = &p.section {
            doc.add_text(self.section, section);
        }
        doc.add_u64(self.line, u64::from(p.line));
        doc.add_text(self.body, &p.text);
        doc.add_text(self.grams, &p.text);
        doc.add_text(self.chars, &p.text);
        if !p.metadata.is_empty() {
            doc.add_text(
                self.meta,
                serde_json::Value::Object(p.metadata.clone()).to_string(),
            );
        }
        doc
    }

    /// Reads a stored document back into a [`Paragraph`], taking its values. The
    /// paragraph's `metadata` is left empty: it comes apart as a [`Metadata`], parsed only
    /// if read.
    pub fn paragraph_of(&self, doc: StoredDoc) -> (Paragraph, Metadata) {
        let mut metadata = Metadata::default();
        let mut p = Paragraph {
            doc: String::new(),
            ordinal: 0,
            number: None,
            section: None,
            kind: BlockKind::Paragraph,
            text: String::new(),
            line: 0,
            metadata: Default::default(),
            lang: Lang::Und,
        };
        for (field, value) in doc.0 {
            match value {
                OwnedValue::Str(s) => {
                    if field == self.doc {
                        p.doc = s;
                    } else if field == self.body {
                        p.text = s;
                    } else if field == self.section {
                        p.section = Some(s);
                    } else if field == self.kind {
                        p.kind = BlockKind::from_name(&s).unwrap_or(BlockKind::Paragraph);
                    } else if field == self.meta {
                        metadata = Metadata::from_json(s);
                    } else if field == self.lang {
                        p.lang = Lang::from_code(&s).unwrap_or(Lang::Und);
                    }
                }
                OwnedValue::U64(n) => {
                    if field == self.ordinal {
                        p.ordinal = n as u32;
                    } else if field == self.number {
                        p.number = Some(n as u32);
                    } else if field == self.line {
                        p.line = n as u32;
                    }
                }
                _ => {}
            }
        }
        (p, metadata)
    }
}
