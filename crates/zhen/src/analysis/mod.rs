//! The bilingual analyzer: normalise, segment by script, stem — as tantivy components.
//!
//! The pipeline, each stage its own module:
//!
//! 1. [`normalize`](Folded): NFKC (full-width digits and letters), traditional to simplified
//!    Chinese, lower case, Latin letters without accents (`Côte` → `cote`, `ß` → `ss`),
//!    dashes as `-` — with a map from every folded byte back to the original text;
//! 2. `script` and `segment`: Han runs through jieba (the same dictionary and mode at index
//!    and query time), letter runs as words, digit runs as whole numbers (`1325`, `16/18`,
//!    `2022-2024`, `2 800` → `2800`), a number's parts joined by `-` or `/` at its
//!    position besides (`2022`, `2024`), as a compound's parts are; so are the word after
//!    a one-letter elision (`d’Ivoire` → `ivoire`) and a plural acronym's word as written
//!    (`SDGs` → `sdg`, then `sdgs`);
//! 3. tantivy filters: [`RemoveLongFilter`] drops pathological tokens, [`EnglishStemmer`]
//!    stems English words (`trafficking` → `traffick`) as tantivy's `Stemmer` does, skipping
//!    the tokens it cannot change.
//!
//! The result is one [`TextAnalyzer`], registered under [`ANALYZER_NAME`] in every index zhen
//! opens, so the index writer and the query side cannot drift apart. Other tantivy users can
//! register it in their own schema:
//!
//! ```
//! use tantivy::schema::{Schema, TextFieldIndexing, TextOptions, IndexRecordOption};
//! let mut schema = Schema::builder();
//! let indexing = TextFieldIndexing::default()
//!     .set_tokenizer(zhen::analysis::ANALYZER_NAME)
//!     .set_index_option(IndexRecordOption::WithFreqsAndPositions);
//! schema.add_text_field("body", TextOptions::default().set_indexing_options(indexing));
//! let index = tantivy::Index::create_in_ram(schema.build());
//! zhen::analysis::register(index.tokenizers());
//! assert!(index.tokenizers().get(zhen::analysis::ANALYZER_NAME).is_some());
//! ```

mod dictionary;
mod normalize;
mod plain;
mod script;
mod segment;
mod stem;
mod tokenizer;
mod user_dict;

use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

use jieba_rs::Jieba;
use tantivy::tokenizer::{RemoveLongFilter, TextAnalyzer, TokenizerManager};

pub(crate) use normalize::traditional_forms;
pub(crate) use normalize::with_folded;
pub use normalize::{to_simplified, Folded};
pub(crate) use plain::{is_plain, nth_in_run, PlainScan};
pub(crate) use script::is_latin_letter;
#[cfg(test)]
pub(crate) use script::{classify, CharClass};
pub use script::{detect_lang, is_han, Lang};
pub(crate) use segment::is_plural_acronym;
pub use segment::TokenKind;
pub use stem::{EnglishStemmer, EnglishStemmerFilter, EnglishStemmerStream};
pub use tokenizer::{ZhenTokenStream, ZhenTokenizer};
pub use user_dict::UserDict;

/// The name the analyzer is registered under in a tantivy [`TokenizerManager`].
pub const ANALYZER_NAME: &str = "zhen";

/// The name the gram field's analyzer ([`edge_ngram_analyzer`]) is registered under.
pub const NGRAM_ANALYZER_NAME: &str = "zhen_ngram";

/// The name the character field's analyzer ([`chars_analyzer`]) is registered under.
pub const CHARS_ANALYZER_NAME: &str = "zhen_chars";

/// Tokens longer than this many bytes are dropped: no real word is, and tantivy rejects
/// terms longer than 65,530 bytes.
pub const MAX_TOKEN_BYTES: usize = 100;

/// The jieba instance with the default dictionary, built once per process.
pub(crate) fn default_jieba() -> Arc<Jieba> {
    static JIEBA: OnceLock<Arc<Jieba>> = OnceLock::new();
    JIEBA.get_or_init(|| Arc::new(Jieba::new())).clone()
}

/// The parts of a compound word, by jieba's dictionary: `宗教自由` → `宗教`, `自由`;
/// `国际劳工组织` → `国际`, `劳工`, `组织`. Returns an empty list when the word has no
/// smaller dictionary words covering it in two or more parts.
///
/// The parts are the longest dictionary words (shorter than `word`) found left to right;
/// characters not covered by any stand alone. The index records the multi-character parts
/// beside the compound, and queries use them, so that `宗教 自由` finds `宗教自由` as words
/// and an unspaced `宗教自由` also finds text where its words are apart (`宗教或信仰自由`).
///
/// ```
/// assert_eq!(zhen::analysis::compound_parts("宗教自由"), ["宗教", "自由"]);
/// assert!(zhen::analysis::compound_parts("人口").is_empty());
/// ```
pub fn compound_parts(word: &str) -> Vec<String> {
    compound_part_ranges(dictionary::has_word, word)
        .into_iter()
        .map(|(a, b)| word[a..b].to_owned())
        .collect()
}

/// [`compound_parts`] with jieba's default dictionary extended by `dict`.
pub(crate) fn compound_parts_with(dict: &UserDict, word: &str) -> Vec<String> {
    compound_part_ranges(|w| dict.contains(w) || dictionary::has_word(w), word)
        .into_iter()
        .map(|(a, b)| word[a..b].to_owned())
        .collect()
}

/// [`compound_parts`] as byte ranges of `word`, with the given dictionary.
pub(crate) fn compound_part_ranges(
    has_word: impl Fn(&str) -> bool,
    word: &str,
) -> Vec<(usize, usize)> {
    let bounds: Vec<usize> = word
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(word.len()))
        .collect();
    let n = bounds.len() - 1;
    if n < 3 || !word.chars().all(is_han) {
        return Vec::new();
    }
    let mut parts = Vec::new();
    let mut i = 0;
    while i < n {
        // The longest dictionary word starting here, shorter than the whole word.
        let longest = (i + 2..=n)
            .rev()
            .filter(|&j| j - i < n)
            .find(|&j| has_word(&word[bounds[i]..bounds[j]]));
        let j = longest.unwrap_or(i + 1);
        parts.push((bounds[i], bounds[j]));
        i = j;
    }
    // All single characters means the dictionary knows no parts: no useful decomposition.
    if parts.len() < 2 || parts.iter().all(|&(a, b)| word[a..b].chars().count() == 1) {
        return Vec::new();
    }
    parts
}

/// The analyzer with jieba's default dictionary, read in place: cheap to create, with a
/// cost proportional to the text it analyses (see [`ZhenTokenizer::new`]).
pub fn analyzer() -> TextAnalyzer {
    analyzer_with(ZhenTokenizer::new())
}

/// The analyzer with jieba's default dictionary loaded whole: about 110 ms once per
/// process, then the fastest for bulk text (index building). Tokens are identical to
/// [`analyzer()`]'s.
pub fn bulk_analyzer() -> TextAnalyzer {
    analyzer_with(ZhenTokenizer::with_jieba(default_jieba()))
}

/// The analyzer built around the given tokenizer.
pub fn analyzer_with(tokenizer: ZhenTokenizer) -> TextAnalyzer {
    TextAnalyzer::builder(tokenizer)
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(EnglishStemmer)
        .build()
}

/// The n-gram analyzer: as [`analyzer()`], but Han text is cut into characters and
/// character bigrams ([`ZhenTokenizer::ngrams`]). Queries and highlights use it; the gram
/// field indexes the subset [`edge_ngram_analyzer()`] keeps, which still finds any Han
/// substring of two or more characters exactly (as a phrase of bigrams).
pub fn ngram_analyzer() -> TextAnalyzer {
    analyzer_with(ZhenTokenizer::ngrams())
}

/// The analyzer of the gram field: [`ZhenTokenizer::edge_ngrams`], then the same filters.
pub fn edge_ngram_analyzer() -> TextAnalyzer {
    analyzer_with(ZhenTokenizer::edge_ngrams())
}

/// The analyzer of the character field: [`ZhenTokenizer::chars`] (no filters: its tokens
/// are single Han characters).
pub fn chars_analyzer() -> TextAnalyzer {
    TextAnalyzer::from(ZhenTokenizer::chars())
}

/// As [`analyzer()`], with jieba's default dictionary extended by a user dictionary.
pub fn analyzer_with_dict(dict: &UserDict) -> TextAnalyzer {
    analyzer_with(ZhenTokenizer::with_user_dict(dict))
}

/// As [`bulk_analyzer()`], with jieba's default dictionary extended by a user dictionary.
pub fn bulk_analyzer_with_dict(dict: &UserDict) -> TextAnalyzer {
    if dict.is_empty() {
        return bulk_analyzer();
    }
    analyzer_with(ZhenTokenizer::with_jieba(Arc::new(dict.jieba())))
}

/// Registers [`analyzer()`] under [`ANALYZER_NAME`], [`edge_ngram_analyzer()`] under
/// [`NGRAM_ANALYZER_NAME`] and [`chars_analyzer()`] under [`CHARS_ANALYZER_NAME`].
pub fn register(manager: &TokenizerManager) {
    register_with_dict(manager, &UserDict::default());
}

/// As [`register`], with a user dictionary for the word field.
pub fn register_with_dict(manager: &TokenizerManager, dict: &UserDict) {
    manager.register(ANALYZER_NAME, analyzer_with_dict(dict));
    manager.register(NGRAM_ANALYZER_NAME, edge_ngram_analyzer());
    manager.register(CHARS_ANALYZER_NAME, chars_analyzer());
}

/// As [`register`], with [`bulk_analyzer()`] for the word field: for index writers.
pub fn register_bulk(manager: &TokenizerManager) {
    register_bulk_with_dict(manager, &UserDict::default());
}

/// As [`register_bulk`], with a user dictionary for the word field.
pub fn register_bulk_with_dict(manager: &TokenizerManager, dict: &UserDict) {
    register_with_dict(manager, dict);
    manager.register(ANALYZER_NAME, bulk_analyzer_with_dict(dict));
}

/// Calls `visit(position, start, end, term)` for every term [`ngram_analyzer()`] produces
/// for `text` (same terms, positions and byte offsets into `text`), without building
/// tokens: Han characters and bigrams are passed as slices of the folded text, and only
/// words and numbers go through the stemmer. Highlighting uses it on every hit, where a
/// token per character would dominate the cost of a search.
///
/// A word or number is stemmed and visited only if `wanted` accepts its first character:
/// stemming keeps a word's first character (it rewrites endings), so a caller that needs
/// only terms with certain first characters spares the stemmer the others.
pub(crate) fn for_each_gram_term(
    folded: &mut Folded,
    stems: &mut Stems,
    text: &str,
    wanted: impl Fn(char) -> bool,
    mut visit: impl FnMut(usize, usize, usize, &str),
) {
    folded.refill(text);
    let folded = &*folded;
    let mut position = 0usize;
    let mut first = true;
    segment::segment(
        None,
        segment::HanMode::Grams,
        folded,
        text,
        |start, end, term, kind, step| {
            if !first {
                position += step;
            }
            first = false;
            let (from, to) = folded.original_range(start, end);
            if kind == TokenKind::Han {
                if term.len() < MAX_TOKEN_BYTES {
                    visit(position, from, to, &term);
                }
                return;
            }
            if !term.chars().next().is_some_and(&wanted) {
                return;
            }
            stems.with_term(&term, |term| visit(position, from, to, term));
        },
    );
}

/// Punctuation of Chinese text that folding turns into punctuation (never a letter, digit
/// or Han character, never white space), and that is no combining mark: the analyzers skip
/// it. A test checks each against the folding.
pub(crate) fn is_plain_punctuation(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_punctuation();
    }
    matches!(c as u32,
        0x00B7 | 0x2010..=0x2016 | 0x2018..=0x2027 | 0x2030..=0x203D | 0x203F..=0x205E
        | 0x3001..=0x3003 | 0x3008..=0x3011 | 0x3014..=0x301F | 0xFF01..=0xFF0F
        | 0xFF1A..=0xFF20 | 0xFF3B..=0xFF40 | 0xFF5B..=0xFF5E)
}

/// [`for_each_gram_term`] reading the text as it is and folding only the terms: a hit's
/// text is read once, without a folded copy and offset maps. That is exact when folding
/// moves no boundary or position of the n-gram analyzer's terms: for text of ASCII, Han
/// characters of the main block (whose traditional forms fold to simplified ones of the
/// same length and class), the ideographic space and common punctuation (see
/// [`is_plain_punctuation`]), unless a full-width separator stands between two digits
/// (folded, `3．5` is the one number `3.5`). On other text it stops and returns `false`:
/// what it visited so far is to be discarded.
///
/// `visit(position, start, end, term)` gets the terms; `wanted(c)` says whether a term
/// starting with the folded character `c` can matter, sparing the rest (words and numbers
/// are stemmed, as there, only if wanted). `may_want(c)`, asked of a Han character as it
/// stands, must be true wherever `wanted` accepts its folded form (the query's characters
/// and their traditional forms): the others, unless a wanted character precedes them, only
/// count positions, without being folded. The n-gram analyzer's rules, which tests hold
/// this to: a Han run goes on across white space with Han on both sides; each of its
/// characters is a term at the next position and its bigram with the run's next character
/// a term at the same position; a run starts two positions on, as does a word or number
/// after Han; punctuation makes no term.
pub(crate) fn for_each_term_unfolded(
    text: &str,
    stems: &mut Stems,
    wanted: impl Fn(char) -> bool,
    may_want: impl Fn(char) -> bool,
    mut visit: impl FnMut(usize, usize, usize, &str),
) -> bool {
    // The position of the last term, and whether it was Han.
    let mut last: Option<(usize, bool)> = None;
    // The open Han run: the position of its next character, and its last character
    // (folded, with its start) when that one starts wanted terms, so that its bigram can
    // be visited once the next character is known. Streaming the run, instead of
    // collecting it first, keeps this pass at one table lookup per character.
    let mut run: Option<(usize, Option<(char, usize)>)> = None;
    let mut lower = String::new();
    let bytes = text.as_bytes();
    let between_digits = |start: usize, end: usize| {
        start > 0
            && bytes[start - 1].is_ascii_digit()
            && bytes.get(end).is_some_and(u8::is_ascii_digit)
    };
    let mut buf = [0u8; 4];
    let mut bigram = String::with_capacity(8);
    // Where the word or number last read ends: its characters are skipped.
    let mut skip_to = 0;
    for (i, c) in text.char_indices() {
        if i < skip_to {
            continue;
        }
        let end = i + c.len_utf8();
        if ('\u{4E00}'..='\u{9FFF}').contains(&c) {
            let (position, previous) =
                run.get_or_insert_with(|| (last.map_or(0, |(p, _)| p + 2), None));
            if previous.is_none() && !may_want(c) {
                // It starts no wanted term, and ends no bigram of a wanted character: it
                // only moves the position (most characters, left unfolded).
                last = Some((*position, true));
                *position += 1;
                continue;
            }
            let c = to_simplified(c);
            if let Some((p, p_start)) = previous.take() {
                bigram.clear();
                bigram.push(p);
                bigram.push(c);
                visit(*position - 1, p_start, end, &bigram);
            }
            if wanted(c) {
                visit(*position, i, end, c.encode_utf8(&mut buf));
                *previous = Some((c, i));
            }
            last = Some((*position, true));
            *position += 1;
        } else if c.is_ascii_alphanumeric() {
            run = None;
            let position = match last {
                None => 0,
                Some((p, true)) => p + 2,
                Some((p, false)) => p + 1,
            };
            last = Some((position, false));
            skip_to = read_ascii_word(text, i, stems, &wanted, &mut lower, |start, end, term| {
                visit(position, start, end, term)
            });
            // Letters beyond ASCII in the word (`café`, `e` and a combining accent) are
            // folded: only its apostrophes' look-alikes are read here as folding reads
            // them.
            let word = &text[i..skip_to];
            if !word.is_ascii()
                && word.contains(|c: char| !c.is_ascii() && !normalize::is_apostrophe(c))
            {
                return false;
            }
        } else if c.is_ascii_whitespace() {
            // The run goes on if Han follows; anything else closes it.
        } else if c.is_ascii() {
            run = None;
        } else if c == '\u{3000}' || is_plain_punctuation(c) {
            // These fold to what joins the groups of a number.
            if (matches!(c, '\u{3000}' | '，' | '－' | '．' | '／' | '：') || normalize::is_dash(c))
                && between_digits(i, end)
            {
                return false;
            }
            if c != '\u{3000}' {
                run = None;
            }
        } else {
            return false;
        }
    }
    true
}

/// Reads the word or number that starts with the ASCII letter or digit at byte `start` of
/// `text`, as the n-gram analyzer reads it, and returns its end. If `wanted` accepts its
/// first character lowercased, `visit(start, end, term)` gets its term (lowercased and
/// stemmed; `lower` is the buffer for that), a plural acronym's first
/// ([`segment::is_plural_acronym`]); then the word after an elision
/// ([`segment::elided`]), or each part of a number of parts ([`segment::number_parts`]),
/// that `wanted` accepts.
///
/// The word is read as it stands: a caller that cannot have letters beyond ASCII in it
/// (which folding would change) checks the text up to the end returned.
pub(crate) fn read_ascii_word(
    text: &str,
    start: usize,
    stems: &mut Stems,
    wanted: impl Fn(char) -> bool,
    lower: &mut String,
    mut visit: impl FnMut(usize, usize, &str),
) -> usize {
    let first = char::from(text.as_bytes()[start]);
    let (end, number) = if first.is_ascii_digit() {
        segment::digits_end(text, start)
    } else {
        (segment::word_end(text, start), None)
    };
    if let Some(number) = &number {
        if wanted(first) {
            stems.with_term(number, |term| visit(start, end, term));
        }
        if let Cow::Borrowed(number) = number {
            for (a, b) in segment::number_parts(number) {
                if wanted(char::from(number.as_bytes()[a])) {
                    stems.with_term(&number[a..b], |term| visit(start + a, start + b, term));
                }
            }
        }
        return end;
    }
    let word = &text[start..end];
    let elided = segment::elided_as_written(word);
    let wanted_whole = wanted(first.to_ascii_lowercase());
    let wanted_rest = elided.is_some_and(|(_, at)| {
        word.as_bytes()
            .get(at)
            .is_some_and(|b| wanted(char::from(b.to_ascii_lowercase())))
    });
    if !wanted_whole && !wanted_rest {
        return end;
    }
    lower.clear();
    lower.push_str(word);
    lower.make_ascii_lowercase();
    if !lower.is_ascii() && lower.contains(normalize::is_apostrophe) {
        // As folding does (see `normalize`).
        *lower = lower
            .chars()
            .map(|c| if normalize::is_apostrophe(c) { '\'' } else { c })
            .collect();
    }
    if wanted_whole {
        if word.is_ascii() && segment::is_plural_acronym(word) {
            stems.with_term(&lower[..lower.len() - 1], |term| visit(start, end, term));
        }
        stems.with_term(lower, |term| visit(start, end, term));
    }
    if let (Some((folded_at, at)), true) = (elided, wanted_rest) {
        stems.with_term(&lower[folded_at..], |term| visit(start + at, end, term));
    }
    end
}

/// Stems a whole string as one token, as [`analyzer()`] stems words: the filter chain of
/// the analyzers after a tokenizer that passes its input through.
pub(crate) fn word_stemmer() -> TextAnalyzer {
    TextAnalyzer::builder(tantivy::tokenizer::RawTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(EnglishStemmer)
        .build()
}

/// The terms [`word_stemmer`] makes of words and numbers, each word's kept by the thread
/// once made: the hits of a search, and of the searches of one corpus, repeat most of
/// their words, and each stem through a token stream (a boxed stream, a token, a Snowball
/// pass) cost several times a lookup. On English paragraphs that was a third of a search.
#[derive(Default)]
pub(crate) struct Stems {
    /// Made at the first word the thread does not know yet.
    stemmer: Option<TextAnalyzer>,
}

thread_local! {
    /// Each word seen, with its term (`None`: the stemmer drops it, as too long).
    static KNOWN_STEMS: std::cell::RefCell<stem::Remembered<Option<Box<str>>>> =
        std::cell::RefCell::default();
}

impl Stems {
    /// Calls `visit` with the term of `word` (a word or number as the analyzers cut and
    /// lowercase it), if it has one.
    pub(crate) fn with_term(&mut self, word: &str, visit: impl FnOnce(&str)) {
        KNOWN_STEMS.with_borrow_mut(|known| {
            let term = known.get_or_make(word, || {
                let stemmer = self.stemmer.get_or_insert_with(word_stemmer);
                let mut stream = stemmer.token_stream(word);
                let term = stream.next().map(|token| token.text.as_str().into());
                debug_assert!(stream.next().is_none(), "one token at most");
                term
            });
            if let Some(term) = term {
                visit(term);
            }
        });
    }
}

/// A token as the analyzer produces it, with byte offsets into the analysed text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct AnalyzedToken {
    /// The indexed term (folded, stemmed).
    pub text: String,
    /// Byte offset of the token's first character in the original text.
    pub start: usize,
    /// Byte offset just past the token's last character in the original text.
    pub end: usize,
    /// The token's position (0-based, counted in tokens).
    pub position: usize,
}

#[cfg(test)]
impl AnalyzedToken {
    pub(crate) fn new(text: &str, start: usize, end: usize, position: usize) -> AnalyzedToken {
        AnalyzedToken {
            text: text.to_owned(),
            start,
            end,
            position,
        }
    }
}

/// Runs `analyzer` over `text` and collects the tokens.
///
/// ```
/// let mut analyzer = zhen::analysis::analyzer();
/// let terms: Vec<String> = zhen::analysis::analyze(&mut analyzer, "Human Trafficking")
///     .into_iter()
///     .map(|t| t.text)
///     .collect();
/// assert_eq!(terms, ["human", "traffick"]);
/// ```
pub fn analyze(analyzer: &mut TextAnalyzer, text: &str) -> Vec<AnalyzedToken> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while let Some(token) = stream.next() {
        out.push(AnalyzedToken {
            text: token.text.clone(),
            start: token.offset_from,
            end: token.offset_to,
            position: token.position,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    #[test]
    fn stemming_keeps_a_words_first_character() {
        // Highlighting stems only the words whose first character starts a query term
        // (`wanted`), which is exact only if no stem starts otherwise than its word.
        let tricky = "dying lying tying skies skis yes yelling idly ugly early only gently \
                      news abilities ability generously sky's Yvonne 2nd 3rds y yy";
        let debates =
            crate::search::test_corpus::texts("un-general-debates-2015-2024.en.jsonl.gz", 2000)
                .join("\n");
        let mut stems = Stems::default();
        let (mut words, mut changed) = (0, 0);
        for text in [tricky, &debates] {
            let mut folded = Folded::default();
            folded.refill(text);
            segment::segment(
                None,
                segment::HanMode::Grams,
                &folded,
                text,
                |_, _, term, kind, _| {
                    if kind == TokenKind::Han {
                        return;
                    }
                    words += 1;
                    stems.with_term(&term, |stem| {
                        assert_eq!(stem.chars().next(), term.chars().next(), "{term} → {stem}");
                        changed += usize::from(stem != term);
                    });
                },
            );
        }
        assert!(
            words > 100_000 && changed > 10_000,
            "{words} words, {changed} stemmed"
        );
    }

    #[test]
    fn a_typographic_apostrophe_is_read_as_an_ascii_one() {
        let words = |text: &str| -> Vec<String> {
            let mut analyzer = analyzer();
            let mut stream = analyzer.token_stream(text);
            let mut out = Vec::new();
            while let Some(token) = stream.next() {
                out.push(token.text.clone());
            }
            out
        };
        for possessive in ["Australia’s", "Australia‘s", "Australiaʼs", "Australia's"] {
            assert_eq!(words(possessive), ["australia"], "{possessive}");
        }
        for (curly, straight) in [
            ("the President’s well", "the President's well"),
            ("women’s empowerment", "women's empowerment"),
            ("Afghanistan’s voice, ’90s", "Afghanistan's voice, '90s"),
            ("the Council‘s ‘urgent’ call", "the Council's 'urgent' call"),
        ] {
            assert_eq!(words(curly), words(straight), "{curly}");
            // The pass that reads unfolded text agrees with the folded one.
            assert_eq!(han_terms_unfolded(curly), Some(han_terms_folded(curly)));
        }
    }

    /// The terms [`for_each_gram_term`] gives, as `(position, start, end, term)`.
    fn han_terms_folded(text: &str) -> Vec<(usize, usize, usize, String)> {
        let mut out = Vec::new();
        for_each_gram_term(
            &mut Folded::default(),
            &mut Stems::default(),
            text,
            |_| true,
            |p, s, e, t| out.push((p, s, e, t.to_owned())),
        );
        out
    }

    /// `None` where the unfolded pass declines.
    fn han_terms_unfolded(text: &str) -> Option<Vec<(usize, usize, usize, String)>> {
        han_terms_unfolded_starting(text, |_| true, |_| true)
    }

    /// The terms of the unfolded pass asked only for those starting with a `wanted`
    /// character.
    fn han_terms_unfolded_starting(
        text: &str,
        wanted: impl Fn(char) -> bool,
        may_want: impl Fn(char) -> bool,
    ) -> Option<Vec<(usize, usize, usize, String)>> {
        let mut out = Vec::new();
        for_each_term_unfolded(
            text,
            &mut Stems::default(),
            wanted,
            may_want,
            |p, s, e, t| out.push((p, s, e, t.to_owned())),
        )
        .then_some(out)
    }

    #[test]
    fn han_grams_of_unfolded_text_equal_the_folded_ones() {
        for text in [
            "國際勞工組織（劳工组织）：人口贩运、贩运人口！",
            "人权2021理事会，3.5% of 人权 Council's 人口 贩运 2nd 會",
            "第1条 人权理事会（A/HRC/46/1）... 人权\n\n理事会",
            "——“人权”《理事会》【人口】贩运……　人口　贩运",
            "2 800万美元和1,000人",
            "d’Ivoire, O'Neill, l‘Aquila: the SDGs, LDCs and NGOs of 2025-2027 人权",
            "SDGS, SDG's, Is, I'm, isn't, d'2",
        ] {
            assert_eq!(
                han_terms_unfolded(text),
                Some(han_terms_folded(text)),
                "{text}"
            );
        }
        for text in [
            "3．5亿",
            "2　800万",
            "1，000人",
            "人权①",
            "ｒ人权",
            "人權\u{2028}",
            // Folding takes the accents off, or joins the numbers.
            "café",
            "CAFÉ",
            "cafe\u{301}",
            "2025–2027",
            "2024—2025",
        ] {
            assert_eq!(han_terms_unfolded(text), None, "{text}");
        }
        // Asked only for terms starting with `i`, the pass finds the word after `d’`.
        let text = "Côte d’Ivoire";
        let unfolded = han_terms_unfolded_starting(&text[6..], |c| c == 'i', |_| false);
        assert_eq!(unfolded, Some(vec![(0, 4, 10, "ivoir".to_owned())]));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn han_grams_of_unfolded_text_equal_the_folded_ones_everywhere(
            text in "([人权國勞会 aB0-9.,:/%'’　，．：／－。（）…\n-]|[0-9][　，．：／－–—][0-9]{1,3}|[dDoSIé][A-Za-z]{0,2}'?[sSaAiI]){0,24}"
        ) {
            if let Some(unfolded) = han_terms_unfolded(&text) {
                prop_assert_eq!(unfolded, han_terms_folded(&text));
            }
            // Asked for some terms only (as highlighting asks), it gives exactly those.
            // Han characters are folded only where they may fold into a wanted one.
            let wanted = |c: char| matches!(c, '权' | '劳' | 'a' | '2');
            let may_want = |c: char| {
                wanted(c) || ['权', '劳'].iter().any(|&w| traditional_forms(w).any(|t| t == c))
            };
            if let Some(some) = han_terms_unfolded_starting(&text, wanted, may_want) {
                let mut expected = han_terms_folded(&text);
                expected.retain(|(_, _, _, t)| t.chars().next().is_some_and(wanted));
                prop_assert_eq!(some, expected);
            }
            // Asked for terms in letters and digits only, Han characters only count
            // positions: the terms and their positions are still exactly those.
            let latin = |c: char| matches!(c, 'a' | 'o' | '2' | '1' | 's' | 'i');
            if let Some(some) = han_terms_unfolded_starting(&text, latin, |_| false) {
                let mut expected = han_terms_folded(&text);
                expected.retain(|(_, _, _, t)| t.chars().next().is_some_and(latin));
                prop_assert_eq!(some, expected);
            }
        }
    }

    use super::*;

    fn via_visitor(text: &str) -> Vec<AnalyzedToken> {
        let mut out = Vec::new();
        let mut folded = Folded::default();
        for_each_gram_term(
            &mut folded,
            &mut Stems::default(),
            text,
            |_| true,
            |position, start, end, term| {
                out.push(AnalyzedToken::new(term, start, end, position));
            },
        );
        out
    }

    #[test]
    fn the_gram_visitor_yields_what_the_ngram_analyzer_yields() {
        let shipped = include_str!("../../../../index-data/us-hrc-pledges-2021.zh.txt");
        let long_word = "a".repeat(150);
        let mut texts: Vec<&str> = shipped.split("\n\n").collect();
        texts.extend([
            "Human Trafficking commitments, 2022-2024 and 2 800万美元",
            "國際勞工組織 第１５５７节 ＵＮＩＣＥＦ’s women's rights",
            "e\u{301}té 2019冠状病毒病 ㈱ Ⅻ 😀",
            "Côte d’Ivoire, São Tomé, O’Neill, Straße, İstanbul, Łódź, Ærø: the SDGs, 2025–2027",
            "ＳＤＧｓ, SDGS, Africa's, isn't, I'm, l'ONU, 2021—2030年",
            &long_word,
        ]);
        let mut analyzer = ngram_analyzer();
        for text in texts {
            assert_eq!(via_visitor(text), analyze(&mut analyzer, text), "{text}");
        }
    }
}
