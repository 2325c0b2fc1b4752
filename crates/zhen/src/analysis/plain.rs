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

use super::{to_simplified, Stems};

/// Whether `text` is plain (see the [module docs](self)): the unfolded n-gram pass gives
/// exactly the folded pass's terms on it, and so does [`PlainScan`].
pub(crate) fn is_plain(text: &str) -> bool {
    // Nothing is wanted, so nothing is stemmed.
    let mut unused = Stems::default();
    super::for_each_term_unfolded(text, &mut unused, |_| false, |_| false, |_, _, _, _| {})
}

/// Finds given terms (the query's) in plain text.
#[derive(Debug, Clone)]
pub(crate) struct PlainScan<'t> {
    /// The raw forms, UTF-8 encoded, of the Han characters that start a wanted term and
    /// that plain text can hold (those of the main block), each with what it starts.
    han: Vec<([u8; 3], Starts<'t>)>,
    /// The distinct last bytes of `han`, which `memchr` looks for (a Han character's last
    /// byte is its most varied).
    last_bytes: Vec<u8>,
    /// The wanted words and numbers, and their first characters.
    latin: Vec<&'t str>,
    latin_first: Vec<char>,
}

/// The wanted terms a Han character (folded) starts: itself, and bigrams by their second
/// character.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Starts<'t> {
    alone: Option<&'t str>,
    pairs: Vec<(char, &'t str)>,
}

impl<'t> PlainScan<'t> {
    /// A scan for `terms` (as the n-gram analyzer makes them: a Han character or bigram, a
    /// stemmed word, a number; other terms can never be found). `raw_forms(c)` gives the
    /// characters of unfolded text that fold into `c` (itself included).
    pub(crate) fn new<I: IntoIterator<Item = char>>(
        terms: impl IntoIterator<Item = &'t str>,
        raw_forms: impl Fn(char) -> I,
    ) -> PlainScan<'t> {
        let mut by_first: Vec<(char, Starts<'t>)> = Vec::new();
        let mut latin = Vec::new();
        for term in terms {
            let mut chars = term.chars();
            let (Some(first), second, None) = (chars.next(), chars.next(), chars.next()) else {
                // Three or more characters: only a word or number can be that long.
                if term.starts_with(|c: char| c.is_ascii_alphanumeric()) {
                    latin.push(term);
                }
                continue;
            };
            if !is_main_block(first) {
                if first.is_ascii_alphanumeric() {
                    latin.push(term);
                }
                continue;
            }
            let at = match by_first.iter().position(|(c, _)| *c == first) {
                Some(at) => at,
                None => {
                    by_first.push((
                        first,
                        Starts {
                            alone: None,
                            pairs: Vec::new(),
                        },
                    ));
                    by_first.len() - 1
                }
            };
            let starts = &mut by_first[at].1;
            match second {
                None => starts.alone = Some(term),
                Some(second) if is_main_block(second) => starts.pairs.push((second, term)),
                Some(_) => {}
            }
        }
        let mut han = Vec::new();
        for (c, starts) in by_first {
            let folds_to_c = |r: &char| is_main_block(*r) && to_simplified(*r) == c;
            for raw in raw_forms(c).into_iter().filter(folds_to_c) {
                let mut bytes = [0u8; 3];
                raw.encode_utf8(&mut bytes);
                han.push((bytes, starts.clone()));
            }
        }
        han.sort_unstable();
        han.dedup_by(|a, b| a.0 == b.0);
        let mut last_bytes: Vec<u8> = han.iter().map(|(b, _)| b[2]).collect();
        last_bytes.sort_unstable();
        last_bytes.dedup();
        let mut latin_first: Vec<char> = latin.iter().filter_map(|t| t.chars().next()).collect();
        latin_first.sort_unstable();
        latin_first.dedup();
        PlainScan {
            han,
            last_bytes,
            latin,
            latin_first,
        }
    }

    /// Calls `visit(start, end, term)` for every occurrence in plain `text` of a wanted
    /// term: Han characters, Han bigrams (across white space inside a run, as the n-gram
    /// analyzer joins them), words and numbers (stemmed). The terms and byte ranges are
    /// those of [`for_each_term_unfolded`](super::for_each_term_unfolded), not in order.
    ///
    /// On text that is not plain the terms may differ (never a panic): callers check
    /// [`is_plain`] first (it is stored with each paragraph).
    pub(crate) fn for_each_term(
        &self,
        text: &str,
        stems: &mut Stems,
        mut visit: impl FnMut(usize, usize, &'t str),
    ) {
        let bytes = text.as_bytes();
        let mut han_at = |last: usize| {
            let Some(start) = last.checked_sub(2) else {
                return;
            };
            let raw = &bytes[start..=last];
            let Some((_, starts)) = self.han.iter().find(|(b, _)| b == raw) else {
                return;
            };
            // A match of a whole character's bytes starts on a character boundary.
            if let Some(term) = starts.alone {
                visit(start, last + 1, term);
            }
            if starts.pairs.is_empty() {
                return;
            }
            if let Some((next, next_end)) = next_in_run(text, last + 1) {
                let next = to_simplified(next);
                if let Some(&(_, term)) = starts.pairs.iter().find(|(c, _)| *c == next) {
                    visit(start, next_end, term);
                }
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
        if !self.latin.is_empty() {
            words(
                text,
                stems,
                |c| self.latin_first.contains(&c),
                |start, end, stemmed| {
                    if let Some(&term) = self.latin.iter().find(|t| **t == stemmed) {
                        visit(start, end, term);
                    }
                },
            );
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
    stems: &mut Stems,
    wanted: impl Fn(char) -> bool,
    mut visit: impl FnMut(usize, usize, &str),
) {
    let bytes = text.as_bytes();
    let mut lower = String::new();
    let mut at = 0;
    // Only ASCII letters and digits start a word or number in plain text, and each one
    // read is skipped whole: the next such byte after it starts the next.
    while let Some(start) = next_ascii_alphanumeric(bytes, at) {
        let end = super::read_ascii_word(text, start, stems, &wanted, &mut lower, |s, e, term| {
            visit(s, e, term)
        });
        at = end.max(start + 1);
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::analysis::{for_each_gram_term, traditional_forms, Folded};

    /// The folded pass's occurrences of `terms`, as `(start, end, term)` in order: what
    /// the plain scan must give, positions aside.
    fn expected(text: &str, terms: &[&str]) -> Vec<(usize, usize, String)> {
        let mut out = Vec::new();
        for_each_gram_term(
            &mut Folded::default(),
            &mut Stems::default(),
            text,
            |_| true,
            |_, s, e, t| {
                if terms.contains(&t) {
                    out.push((s, e, t.to_owned()));
                }
            },
        );
        out.sort();
        out
    }

    fn scanned(text: &str, terms: &[&str]) -> Vec<(usize, usize, String)> {
        let scan = PlainScan::new(terms.iter().copied(), |c| {
            std::iter::once(c).chain(traditional_forms(c))
        });
        let mut out = Vec::new();
        scan.for_each_term(text, &mut Stems::default(), |s, e, t| {
            out.push((s, e, t.to_owned()))
        });
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
            // Some of the paragraph's own terms (characters, bigrams, words, numbers) at a
            // time, with terms it lacks.
            let mut own = Vec::new();
            for_each_gram_term(
                &mut Folded::default(),
                &mut Stems::default(),
                text,
                |_| true,
                |_, _, _, t| own.push(t.to_owned()),
            );
            for skip in 0..4 {
                let mut terms: Vec<&str> = own
                    .iter()
                    .skip(skip)
                    .step_by(5)
                    .map(String::as_str)
                    .collect();
                terms.extend(["劳工", "國", "rights", "2021", "the"]);
                assert_eq!(
                    scanned(text, &terms),
                    expected(text, &terms),
                    "{terms:?} in {text}"
                );
            }
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
            "Côte",
            "2025–2027",
        ] {
            assert!(!is_plain(text), "{text}");
        }
        for text in [
            "國際勞工組織（劳工组织）",
            "人口　贩运 2nd",
            "第1条，第2条",
            "d’Ivoire, 2025 – 2027",
        ] {
            assert!(is_plain(text), "{text}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn the_scan_finds_exactly_the_folded_terms_of_plain_text(
            text in "[人权國勞劳会 aABdOSs0-9.,:/%'’‘\t　，。（）…–\n-]{0,24}"
        ) {
            prop_assume!(is_plain(&text));
            for terms in [
                &["权", "劳动", "人权", "会"][..],
                &["会", "国", "会人", "a", "ab"],
                &["2", "10", "b", "aab"],
                &["人", "权人", "劳", "劳劳", "国会", "会国", "aa", "0"],
                // Plural acronyms, as acronyms and as written, and words after `d'`.
                &["ab", "abs", "a", "s", "d'a", "o'", "ss"],
            ] {
                prop_assert_eq!(scanned(&text, terms), expected(&text, terms), "{:?}", terms);
            }
        }
    }
}
