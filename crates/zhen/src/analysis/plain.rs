//! The n-gram terms of *plain* text found by jumping to where they can start, instead of
//! reading every character.
//!
//! Text is plain when [`for_each_term_unfolded`](super::for_each_term_unfolded) takes it
//! (ASCII, Han characters of the main block, the ideographic space and common punctuation;
//! no full-width separator between two digits): folding then moves no term boundary, so a
//! Han term can only start at one of its first character's raw forms (the character or a
//! traditional form folding into it), and a word or number only at an ASCII letter or digit
//! after the previous one. Those places are found with `memchr` (SIMD): a Chinese paragraph
//! is searched for a query's two or three characters many times faster than a pass that
//! decodes and classifies each character (about 4 ns each), which was most of highlighting
//! a hit. Whether a paragraph is plain is decided once, when it is indexed ([`is_plain`]),
//! and stored with it.
//!
//! Positions are not counted: the terms come with their byte offsets only. A sequence of
//! Han terms is followed from its first term character by character ([`nth_in_run`]);
//! the highlighter leaves sequences of words in letters to the full pass.

use tantivy::tokenizer::TextAnalyzer;

use super::{segment, to_simplified};

/// Whether `text` is plain (see the [module docs](self)): the unfolded n-gram pass gives
/// exactly the folded pass's terms on it, and so does [`PlainScan`].
pub(crate) fn is_plain(text: &str) -> bool {
    // Nothing is wanted, so the stemmer is never run: a bare analyzer will do.
    let mut unused = TextAnalyzer::from(tantivy::tokenizer::RawTokenizer::default());
    super::for_each_term_unfolded(text, &mut unused, |_| false, |_| false, |_, _, _, _| {})
}

/// Finds the terms starting with some characters in plain text.
#[derive(Debug, Clone)]
pub(crate) struct PlainScan {
    /// The raw forms, UTF-8 encoded, of the wanted Han characters that plain text can hold
    /// (those of the main block), with the folded character each stands for.
    han: Vec<([u8; 3], char)>,
    /// The distinct last bytes of `han`, which `memchr` looks for (a Han character's last
    /// byte is its most varied).
    last_bytes: Vec<u8>,
    /// Whether a wanted term starts with an ASCII letter or digit.
    latin: bool,
}

impl PlainScan {
    /// A scan for terms whose first (folded) character is one of `first_chars`;
    /// `raw_forms(c)` gives the characters of unfolded text that fold into `c` (itself
    /// included).
    pub(crate) fn new<I: IntoIterator<Item = char>>(
        first_chars: &[char],
        raw_forms: impl Fn(char) -> I,
    ) -> PlainScan {
        let mut han = Vec::new();
        for &c in first_chars.iter().filter(|c| is_main_block(**c)) {
            for raw in raw_forms(c).into_iter().filter(|r| is_main_block(*r)) {
                let mut bytes = [0u8; 3];
                raw.encode_utf8(&mut bytes);
                han.push((bytes, c));
            }
        }
        han.sort_unstable();
        han.dedup();
        let mut last_bytes: Vec<u8> = han.iter().map(|(b, _)| b[2]).collect();
        last_bytes.sort_unstable();
        last_bytes.dedup();
        PlainScan {
            han,
            last_bytes,
            latin: first_chars.iter().any(char::is_ascii_alphanumeric),
        }
    }

    /// Calls `visit(start, end, term)` for every term of plain `text` that starts with a
    /// wanted character: Han characters, Han bigrams (across white space inside a run, as
    /// the n-gram analyzer joins them), and words and numbers, stemmed, if `wanted` accepts
    /// their lowercased first character. The terms and byte ranges are those of
    /// [`for_each_term_unfolded`](super::for_each_term_unfolded), not in order.
    ///
    /// On text that is not plain the terms may differ (never a panic): callers check
    /// [`is_plain`] first (it is stored with each paragraph).
    pub(crate) fn for_each_term(
        &self,
        text: &str,
        stemmer: &mut TextAnalyzer,
        wanted: impl Fn(char) -> bool,
        mut visit: impl FnMut(usize, usize, &str),
    ) {
        let bytes = text.as_bytes();
        let mut buf = [0u8; 8];
        let mut han_at = |last: usize| {
            let Some(start) = last.checked_sub(2) else {
                return;
            };
            let raw = &bytes[start..=last];
            let Some(&(_, c)) = self.han.iter().find(|(b, _)| b == raw) else {
                return;
            };
            // A match of a whole character's bytes starts on a character boundary.
            visit(start, last + 1, c.encode_utf8(&mut buf));
            let Some((next, next_end)) = next_in_run(text, last + 1) else {
                return;
            };
            let len = c.len_utf8();
            let bigram_len = len + to_simplified(next).encode_utf8(&mut buf[len..]).len();
            if let Ok(bigram) = std::str::from_utf8(&buf[..bigram_len]) {
                visit(start, next_end, bigram);
            }
        };
        for chunk in self.last_bytes.chunks(3) {
            match *chunk {
                [a] => memchr::memchr_iter(a, bytes).for_each(&mut han_at),
                [a, b] => memchr::memchr2_iter(a, b, bytes).for_each(&mut han_at),
                [a, b, c] => memchr::memchr3_iter(a, b, c, bytes).for_each(&mut han_at),
                _ => {}
            }
        }
        if self.latin {
            words(text, stemmer, wanted, &mut visit);
        }
    }
}

/// The Han characters plain text can hold.
fn is_main_block(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c)
}

/// The Han character that continues a run at byte `at` (after white space, as the n-gram
/// analyzer's runs go on across it), with the byte just past it.
fn next_in_run(text: &str, mut at: usize) -> Option<(char, usize)> {
    let rest = text.get(at..)?;
    for c in rest.chars() {
        if c.is_ascii_whitespace() || c == '\u{3000}' {
            at += c.len_utf8();
            continue;
        }
        return is_main_block(c).then_some((c, at + c.len_utf8()));
    }
    None
}

/// The first ASCII letter or digit of `bytes` at or after `from`. Chinese text is mostly
/// bytes of multi-byte characters (high bit set): eight of those are skipped at a time.
fn next_ascii_alphanumeric(bytes: &[u8], from: usize) -> Option<usize> {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut at = from;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let word = u64::from_le_bytes(chunk.try_into().expect("a slice of eight bytes"));
        if word & HIGH != HIGH {
            if let Some(i) = chunk.iter().position(u8::is_ascii_alphanumeric) {
                return Some(at + i);
            }
        }
        at += 8;
    }
    let rest = bytes.get(at..)?;
    rest.iter()
        .position(u8::is_ascii_alphanumeric)
        .map(|i| at + i)
}

/// The start of the Han character `n` characters after the one starting at byte `at`, in
/// the same run of plain `text` (the n-gram analyzer's position `n` further on, as runs go
/// on across white space); `None` if the run ends first.
pub(crate) fn nth_in_run(text: &str, mut at: usize, n: usize) -> Option<usize> {
    for _ in 0..n {
        let c = text.get(at..)?.chars().next()?;
        let (next, next_end) = next_in_run(text, at + c.len_utf8())?;
        at = next_end - next.len_utf8();
    }
    Some(at)
}

/// The words and numbers of plain text, each read as the unfolded pass reads it, visited
/// when `wanted` accepts their first character lowercased.
fn words(
    text: &str,
    stemmer: &mut TextAnalyzer,
    wanted: impl Fn(char) -> bool,
    visit: &mut impl FnMut(usize, usize, &str),
) {
    let bytes = text.as_bytes();
    let mut lower = String::new();
    let mut at = 0;
    // Only ASCII letters and digits start a word or number in plain text, and each one
    // read is skipped whole: the next such byte after it starts the next.
    while let Some(start) = next_ascii_alphanumeric(bytes, at) {
        let first = char::from(bytes[start]);
        let (end, number) = if first.is_ascii_digit() {
            segment::digits_end(text, start)
        } else {
            (segment::word_end(text, start), None)
        };
        if wanted(first.to_ascii_lowercase()) {
            let term = match &number {
                Some(number) => number.as_ref(),
                None => {
                    lower.clear();
                    lower.push_str(&text[start..end]);
                    lower.make_ascii_lowercase();
                    &lower
                }
            };
            let mut stream = stemmer.token_stream(term);
            while let Some(token) = stream.next() {
                visit(start, end, &token.text);
            }
        }
        at = end.max(start + 1);
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::analysis::{for_each_gram_term, traditional_forms, word_stemmer, Folded};

    /// The folded pass's terms starting with a `wanted` character, as `(start, end, term)`
    /// in order: what the plain scan must give, positions aside.
    fn expected(text: &str, wanted: impl Fn(char) -> bool) -> Vec<(usize, usize, String)> {
        let mut out = Vec::new();
        for_each_gram_term(
            &mut Folded::default(),
            &mut word_stemmer(),
            text,
            |_, s, e, t| {
                if t.chars().next().is_some_and(&wanted) {
                    out.push((s, e, t.to_owned()));
                }
            },
        );
        out.sort();
        out
    }

    fn scanned(text: &str, first_chars: &[char]) -> Vec<(usize, usize, String)> {
        let scan = PlainScan::new(first_chars, |c| {
            std::iter::once(c).chain(traditional_forms(c))
        });
        let mut out = Vec::new();
        scan.for_each_term(
            text,
            &mut word_stemmer(),
            |c| first_chars.contains(&c),
            |s, e, t| out.push((s, e, t.to_owned())),
        );
        out.sort();
        out
    }

    #[test]
    fn the_scan_finds_the_folded_terms_in_real_text() {
        let shipped = include_str!("../../../../index-data/us-hrc-pledges-2021.zh.txt");
        let mut plain = 0;
        for text in shipped.split("\n\n") {
            if !is_plain(text) {
                continue;
            }
            plain += 1;
            // Each character of the paragraph in turn, a few at once, and letters.
            let chars: Vec<char> = text.chars().filter(|c| is_main_block(*c)).collect();
            for first in chars.chunks(5).take(6) {
                assert_eq!(
                    scanned(text, first),
                    expected(text, |c| first.contains(&c)),
                    "{first:?} in {text}"
                );
            }
            let latin = ['h', 'u', 'a', '2', '1'];
            assert_eq!(
                scanned(text, &latin),
                expected(text, |c| latin.contains(&c)),
                "{text}"
            );
        }
        // All of the shipped document is plain.
        assert_eq!(plain, shipped.split("\n\n").count());
    }

    #[test]
    fn text_that_folding_rearranges_is_not_plain() {
        for text in [
            "人权①",
            "３．５亿",
            "1，000人",
            "ｒ人权",
            "人權\u{2028}",
            "㐀",
        ] {
            assert!(!is_plain(text), "{text}");
        }
        for text in ["國際勞工組織（劳工组织）", "人口　贩运 2nd", "第1条，第2条"]
        {
            assert!(is_plain(text), "{text}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn the_scan_finds_exactly_the_folded_terms_of_plain_text(
            text in "[人权國勞劳会 aAB0-9.,:/%'’\t　，。（）…\n-]{0,24}"
        ) {
            prop_assume!(is_plain(&text));
            for first in [&['权', '劳'][..], &['会', '国', 'a'], &['2', '1', 'b'], &['人', '权', '会', '国', '劳']] {
                prop_assert_eq!(
                    scanned(&text, first),
                    expected(&text, |c| first.contains(&c)),
                    "{:?}", first
                );
            }
        }
    }
}
