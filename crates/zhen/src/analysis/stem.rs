//! English stemming for the tokens that can have an English stem.
//!
//! tantivy's [`Stemmer`](tantivy::tokenizer::Stemmer) runs the Snowball algorithm on every
//! token and copies each token's text into a buffer when nothing changes. Most of zhen's
//! tokens are Han words, characters and bigrams, which English stemming never changes: every
//! Snowball English rule removes or rewrites letters of the English alphabet or apostrophes.
//! On a build of 30,000 prc-laws articles the stemmer was 4% of the CPU profile, for
//! nothing. [`EnglishStemmer`] stems exactly the tokens with such a letter or an apostrophe,
//! with the same Snowball implementation as tantivy's, and passes the others through: a
//! property test holds it to tantivy's filter on arbitrary text.

use std::borrow::Cow;

use tantivy::tokenizer::{Token, TokenFilter, TokenStream, Tokenizer};

/// A [`TokenFilter`] that stems English words as tantivy's English
/// [`Stemmer`](tantivy::tokenizer::Stemmer) does, skipping tokens it could not change.
#[derive(Clone, Copy, Debug, Default)]
pub struct EnglishStemmer;

/// Whether English stemming could change `text`.
fn may_stem(text: &str) -> bool {
    text.bytes().any(|b| b.is_ascii_alphabetic() || b == b'\'')
}

impl TokenFilter for EnglishStemmer {
    type Tokenizer<T: Tokenizer> = EnglishStemmerFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> EnglishStemmerFilter<T> {
        EnglishStemmerFilter {
            inner: tokenizer,
            known: Known::default(),
        }
    }
}

/// The tokenizer [`EnglishStemmer`] makes of another.
#[derive(Clone)]
pub struct EnglishStemmerFilter<T> {
    inner: T,
    known: Known,
}

/// The stems made so far, by word (`None`: the stemmer keeps the word as it is). A corpus
/// repeats its words, and a Snowball pass costs several times a lookup: on the UN General
/// Debates, stemming was a quarter of building the index. tantivy clones an analyzer for
/// each indexing thread and each search; a clone starts empty, so nothing is shared or
/// copied.
#[derive(Default)]
struct Known(Remembered<Option<Box<str>>>);

impl Clone for Known {
    fn clone(&self) -> Known {
        Known::default()
    }
}

/// What was made of each word seen, up to 65,536 words (then it starts again): a few
/// megabytes at most, over a long build or a long-lived thread.
pub(crate) struct Remembered<V>(fnv::FnvHashMap<Box<str>, V>);

impl<V> Default for Remembered<V> {
    fn default() -> Self {
        Remembered(fnv::FnvHashMap::default())
    }
}

impl<V> Remembered<V> {
    const MAX_WORDS: usize = 1 << 16;

    /// What was made of `word`, made by `make` if it is new.
    pub(crate) fn get_or_make(&mut self, word: &str, make: impl FnOnce() -> V) -> &V {
        if !self.0.contains_key(word) {
            if self.0.len() >= Self::MAX_WORDS {
                self.0.clear();
            }
            self.0.insert(word.into(), make());
        }
        &self.0[word]
    }
}

impl<T: Tokenizer> Tokenizer for EnglishStemmerFilter<T> {
    type TokenStream<'a> = EnglishStemmerStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        EnglishStemmerStream {
            tail: self.inner.token_stream(text),
            known: &mut self.known,
        }
    }
}

/// The token stream of [`EnglishStemmerFilter`].
pub struct EnglishStemmerStream<'a, T> {
    tail: T,
    known: &'a mut Known,
}

impl<T: TokenStream> TokenStream for EnglishStemmerStream<'_, T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        if !may_stem(&token.text) {
            return true;
        }
        let stem = self.known.0.get_or_make(&token.text, || {
            match frostem::Stemmer::new(frostem::Algorithm::English).stem(&token.text) {
                Cow::Owned(stem) => Some(stem.into_boxed_str()),
                Cow::Borrowed(_) => None,
            }
        });
        if let Some(stem) = stem {
            token.text.clear();
            token.text.push_str(stem);
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use tantivy::tokenizer::{Language, RawTokenizer, Stemmer, TextAnalyzer};

    use super::*;

    fn stemmed(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while let Some(token) = stream.next() {
            out.push(token.text.clone());
        }
        out
    }

    fn both() -> (TextAnalyzer, TextAnalyzer) {
        (
            TextAnalyzer::builder(RawTokenizer::default())
                .filter(EnglishStemmer)
                .build(),
            TextAnalyzer::builder(RawTokenizer::default())
                .filter(Stemmer::new(Language::English))
                .build(),
        )
    }

    #[test]
    fn stems_english_words_and_leaves_the_rest_as_tantivy_does() {
        let (mut ours, mut tantivy) = both();
        for text in [
            "trafficking",
            "pledges",
            "rights",
            "women's",
            "'s",
            "skies",
            "人口贩运",
            "贩运",
            "2021",
            "1,325",
            "café",
            "naïve",
            "ｔｒａｆｆｉｃｋｉｎｇ",
            "Ελλάδα",
            "",
        ] {
            assert_eq!(
                stemmed(&mut ours, text),
                stemmed(&mut tantivy, text),
                "{text}"
            );
        }
        assert_eq!(stemmed(&mut ours, "trafficking"), ["traffick"]);
        assert_eq!(stemmed(&mut ours, "人口贩运"), ["人口贩运"]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        #[test]
        fn equals_tantivys_stemmer_on_any_text(text in "\\PC{0,12}") {
            let (mut ours, mut tantivy) = both();
            prop_assert_eq!(stemmed(&mut ours, &text), stemmed(&mut tantivy, &text));
        }

        #[test]
        fn remembered_stems_equal_tantivys(
            words in proptest::collection::vec("[a-zA-Z'éß人]{0,8}", 1..40)
        ) {
            // One analyzer for all: repeated words come from what it remembers.
            let (mut ours, mut tantivy) = both();
            for word in words.iter().chain(&words) {
                prop_assert_eq!(stemmed(&mut ours, word), stemmed(&mut tantivy, word));
            }
        }

        #[test]
        fn equals_tantivys_stemmer_on_words_with_letters_of_other_alphabets(
            text in "[a-zA-Z'éèïüßøæœ一人s]{0,12}"
        ) {
            let (mut ours, mut tantivy) = both();
            prop_assert_eq!(stemmed(&mut ours, &text), stemmed(&mut tantivy, &text));
        }
    }
}
