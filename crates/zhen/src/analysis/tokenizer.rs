//! The script-aware tokenizer as a tantivy [`Tokenizer`].

use std::sync::Arc;

use jieba_rs::Jieba;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use super::dictionary::PartialJieba;
use super::normalize::{with_folded, Folded};
use super::segment::{segment, HanMode};

/// Where the tokenizer's jieba dictionary comes from.
#[derive(Clone)]
pub(crate) enum Segmenter {
    /// A loaded jieba instance (the default dictionary or one extended by the caller).
    Full(Arc<Jieba>),
    /// jieba's default dictionary read in place, words added as the text needs them.
    Partial(Box<PartialJieba>),
}

impl Segmenter {
    /// Byte ranges of jieba's words in a Han run.
    pub(crate) fn cut(&mut self, run: &str) -> Vec<(usize, usize)> {
        let tokens = match self {
            Segmenter::Full(jieba) => jieba.cut(run, false),
            Segmenter::Partial(partial) => partial.cut(run),
        };
        tokens.iter().map(|t| (t.byte_start, t.byte_end)).collect()
    }

    pub(crate) fn has_word(&self, word: &str) -> bool {
        match self {
            Segmenter::Full(jieba) => jieba.has_word(word),
            Segmenter::Partial(partial) => partial.has_word(word),
        }
    }
}

/// zhen's tokenizer: folds the text (NFKC, traditional to simplified, lower case), then
/// segments it by script (jieba for Han, words for letters, whole numbers for digits).
///
/// Token offsets are byte offsets into the text given to [`Tokenizer::token_stream`],
/// never into the folded copy. Whitespace and punctuation produce no tokens.
///
/// [`ZhenTokenizer::new`] reads jieba's default dictionary in place (no load time, cost
/// proportional to the text); [`ZhenTokenizer::with_jieba`] uses a loaded instance. Both
/// give the same tokens for the default dictionary.
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
    /// `None` for the n-gram variant, which needs no dictionary (and is cloned for every
    /// search, so it must stay cheap to clone).
    segmenter: Option<Segmenter>,
    mode: HanMode,
    tokens: Vec<Token>,
    /// The characters already seen in [`HanMode::Chars`].
    seen: CharSet,
}

/// A set of characters, cleared after every text: a bit per character of the main
/// ideograph block (where nearly all of them are), a list for the rest.
#[derive(Clone, Default)]
struct CharSet {
    bits: Vec<u64>,
    inserted: Vec<char>,
    others: std::collections::HashSet<char>,
}

impl CharSet {
    const FIRST: u32 = 0x4E00;
    const LAST: u32 = 0x9FFF;

    /// Adds `c`; whether it was new.
    fn insert(&mut self, c: char) -> bool {
        let cp = c as u32;
        if !(Self::FIRST..=Self::LAST).contains(&cp) {
            return self.others.insert(c);
        }
        if self.bits.is_empty() {
            self.bits = vec![0; ((Self::LAST - Self::FIRST) / 64 + 1) as usize];
        }
        let (word, bit) = (((cp - Self::FIRST) / 64) as usize, (cp - Self::FIRST) % 64);
        let new = self.bits[word] & (1 << bit) == 0;
        if new {
            self.bits[word] |= 1 << bit;
            self.inserted.push(c);
        }
        new
    }

    fn clear(&mut self) {
        for c in self.inserted.drain(..) {
            let i = c as u32 - Self::FIRST;
            self.bits[(i / 64) as usize] = 0;
        }
        self.others.clear();
    }
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
    /// A tokenizer using jieba's default dictionary, read in place from an FST embedded in
    /// the binary: creating it costs nothing, and it looks up only the words of the text
    /// it is given. For bulk text, [`ZhenTokenizer::with_jieba`] with a loaded dictionary
    /// is faster once its ~110 ms load is paid.
    pub fn new() -> ZhenTokenizer {
        ZhenTokenizer {
            segmenter: Some(Segmenter::Partial(Box::new(PartialJieba::new()))),
            mode: HanMode::Words,
            tokens: Vec::new(),
            seen: CharSet::default(),
        }
    }

    /// The n-gram variant: Han runs become every character and every character bigram
    /// (the bigram at its first character's position) instead of jieba words; other scripts
    /// are tokenized as by [`ZhenTokenizer::new`]. An exact Han substring is then a phrase
    /// of bigrams, found whatever jieba makes of the text around it.
    pub fn ngrams() -> ZhenTokenizer {
        ZhenTokenizer {
            segmenter: None,
            mode: HanMode::Grams,
            tokens: Vec::new(),
            seen: CharSet::default(),
        }
    }

    /// As [`ZhenTokenizer::new`], with jieba's default dictionary extended by `dict`.
    pub fn with_user_dict(dict: &super::UserDict) -> ZhenTokenizer {
        ZhenTokenizer {
            segmenter: Some(Segmenter::Partial(Box::new(PartialJieba::with_user(dict)))),
            ..ZhenTokenizer::new()
        }
    }

    /// A tokenizer using the given jieba instance (for example one with a user dictionary).
    pub fn with_jieba(jieba: Arc<Jieba>) -> ZhenTokenizer {
        ZhenTokenizer {
            segmenter: Some(Segmenter::Full(jieba)),
            mode: HanMode::Words,
            tokens: Vec::new(),
            seen: CharSet::default(),
        }
    }
}

impl ZhenTokenizer {
    /// The edge n-gram variant the gram field indexes: as [`ZhenTokenizer::ngrams`], but
    /// a Han character alone only where its run starts or ends (every other one is inside
    /// a bigram). Queries reduce their n-grams to what this keeps (bigrams, plus a lone
    /// character only where no bigram covers it).
    pub fn edge_ngrams() -> ZhenTokenizer {
        ZhenTokenizer {
            mode: HanMode::EdgeGrams,
            ..ZhenTokenizer::ngrams()
        }
    }

    /// The character variant: each distinct Han character of the text once, nothing else
    /// (the character field, which answers one-character queries without positions).
    pub fn chars() -> ZhenTokenizer {
        ZhenTokenizer {
            mode: HanMode::Chars,
            ..ZhenTokenizer::ngrams()
        }
    }
}

impl Tokenizer for ZhenTokenizer {
    type TokenStream<'a> = ZhenTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ZhenTokenStream<'a> {
        let count = with_folded(text, |folded| self.tokenize(folded, text));
        ZhenTokenStream {
            tokens: &mut self.tokens[..count],
            next: 0,
        }
    }
}

impl ZhenTokenizer {
    /// Fills `self.tokens` with the tokens of `folded`, the fold of `original`; how many.
    fn tokenize(&mut self, folded: &Folded, original: &str) -> usize {
        let tokens = &mut self.tokens;
        // Tokens are overwritten in place: their strings keep their allocations from one
        // text to the next (an index build tokenizes millions of paragraphs).
        let mut count = 0usize;
        let mut put = |start: usize, end: usize, word: &str, position: usize| {
            let (offset_from, offset_to) = folded.original_range(start, end);
            if let Some(token) = tokens.get_mut(count) {
                token.text.clear();
                token.text.push_str(word);
                token.offset_from = offset_from;
                token.offset_to = offset_to;
                token.position = position;
                token.position_length = 1;
            } else {
                tokens.push(Token {
                    offset_from,
                    offset_to,
                    position,
                    text: word.to_owned(),
                    position_length: 1,
                });
            }
            count += 1;
        };
        if self.mode == HanMode::Chars {
            // Each distinct character once: the field records documents, not occurrences.
            let seen = &mut self.seen;
            let mut position = 0;
            for (start, c) in folded.text().char_indices() {
                if super::is_han(c) && seen.insert(c) {
                    let end = start + c.len_utf8();
                    put(start, end, &folded.text()[start..end], position);
                    position += 1;
                }
            }
            seen.clear();
        } else {
            let mut position = 0usize;
            let mut first = true;
            segment(
                self.segmenter.as_mut(),
                self.mode,
                folded,
                original,
                |start, end, word, _kind, step| {
                    if !first {
                        position += step;
                    }
                    first = false;
                    put(start, end, &word, position);
                },
            );
        }
        count
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
