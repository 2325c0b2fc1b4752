//! The script-aware tokenizer as a tantivy [`Tokenizer`].

use std::sync::Arc;

use jieba_rs::Jieba;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use super::normalize::Folded;
use super::segment::{segment, HanMode};

/// zhen's tokenizer: folds the text (NFKC, traditional to simplified, lower case), then
/// segments it by script (jieba for Han, words for letters, whole numbers for digits).
///
/// Token offsets are byte offsets into the text given to [`Tokenizer::token_stream`],
/// never into the folded copy. Whitespace and punctuation produce no tokens.
///
/// It is cheap to clone: the jieba dictionary is shared.
///
/// ```
/// use tantivy::tokenizer::{TokenStream, Tokenizer};
/// let mut tokenizer = zhen::analysis::ZhenTokenizer::new();
/// let text = "國際勞工組織 Labour";
/// let mut stream = tokenizer.token_stream(text);
/// let mut seen = Vec::new();
/// while let Some(token) = stream.next() {
///     seen.push((token.text.clone(), &text[token.offset_from..token.offset_to]));
/// }
/// assert_eq!(seen.last().unwrap(), &("labour".to_owned(), "Labour"));
/// assert_eq!(seen[0], ("国际劳工组织".to_owned(), "國際勞工組織"));
/// ```
#[derive(Clone)]
pub struct ZhenTokenizer {
    jieba: Arc<Jieba>,
    mode: HanMode,
    folded: Folded,
    tokens: Vec<Token>,
}

impl std::fmt::Debug for ZhenTokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZhenTokenizer").finish_non_exhaustive()
    }
}

impl Default for ZhenTokenizer {
    fn default() -> Self {
        ZhenTokenizer::new()
    }
}

impl ZhenTokenizer {
    /// A tokenizer using jieba's default dictionary (loaded once per process).
    pub fn new() -> ZhenTokenizer {
        ZhenTokenizer::with_jieba(super::default_jieba())
    }

    /// The n-gram variant: Han runs become every character and every character bigram
    /// (the bigram at its first character's position) instead of jieba words; other scripts
    /// are tokenized as by [`ZhenTokenizer::new`]. An exact Han substring is then a phrase
    /// of bigrams, found whatever jieba makes of the text around it.
    pub fn ngrams() -> ZhenTokenizer {
        ZhenTokenizer {
            mode: HanMode::Grams,
            ..ZhenTokenizer::new()
        }
    }

    /// A tokenizer using the given jieba instance (for example one with a user dictionary).
    pub fn with_jieba(jieba: Arc<Jieba>) -> ZhenTokenizer {
        ZhenTokenizer {
            jieba,
            mode: HanMode::Words,
            folded: Folded::default(),
            tokens: Vec::new(),
        }
    }
}

impl Tokenizer for ZhenTokenizer {
    type TokenStream<'a> = ZhenTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ZhenTokenStream<'a> {
        self.folded.refill(text);
        self.tokens.clear();
        let folded = &self.folded;
        let tokens = &mut self.tokens;
        let mut position = 0usize;
        segment(
            &self.jieba,
            self.mode,
            folded.text(),
            |start, end, word, _kind, advance| {
                let (offset_from, offset_to) = folded.original_range(start, end);
                if advance && !tokens.is_empty() {
                    position += 1;
                }
                tokens.push(Token {
                    offset_from,
                    offset_to,
                    position,
                    text: word.into_owned(),
                    position_length: 1,
                });
            },
        );
        ZhenTokenStream {
            tokens: &mut self.tokens,
            next: 0,
        }
    }
}

/// The [`TokenStream`] of [`ZhenTokenizer`].
#[derive(Debug)]
pub struct ZhenTokenStream<'a> {
    tokens: &'a mut [Token],
    next: usize,
}

impl TokenStream for ZhenTokenStream<'_> {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}
