//! Segmentation of folded text by script: Han runs through jieba, letter runs as words,
//! digit runs as whole numbers. Some tokens bring others at their position: a compound
//! its parts, a number of parts its parts, a word after an elision that word, a plural
//! acronym the word as written.

use std::borrow::Cow;

use super::normalize::Folded;
use super::script::{classify, CharClass};
use super::tokenizer::Segmenter;

/// What produced a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum TokenKind {
    /// A word from jieba's segmentation of a Han run.
    Han,
    /// A word of letters (Latin or another alphabetic script), possibly with digits.
    Word,
    /// A number, kept whole with its inner `/`, `-`, `.` and `:`; thousands separators
    /// (`2 800`, `2,800`) are removed from its text.
    Number,
}

/// How Han runs are cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HanMode {
    /// Into jieba words, one position each.
    Words,
    /// Into every character (one position each) and every character bigram, which takes
    /// the position of its first character: an exact substring is then a phrase of bigrams.
    Grams,
    /// As `Grams`, but a character alone only where a run starts or ends: what the gram
    /// field indexes. Inside a run every character is covered by a bigram, and a query's
    /// lone character can only stand next to something other than Han (`2020年`) where
    /// the text's run starts or ends; single-character queries use the character field.
    EdgeGrams,
    /// Into characters alone (no bigrams): the character field, for one-character queries.
    Chars,
}

/// Calls `emit(start, end, text, kind, step)` for every token of `text`, in order;
/// `start..end` is the token's byte range in `text`, and `step` is how many positions the
/// token stands after the previous one (0: the same position; ignored for the first token).
///
/// In the n-gram modes, a Han run is set one position apart from whatever precedes or
/// follows it (a step of 2). A phrase of bigrams that do not overlap (`人民` then `法院`,
/// two positions on) then still means one unbroken run of characters: without the gap,
/// `人民，法院` would match it too.
///
/// `folded` is the text segmented; `original` the text it was folded from, whose case
/// tells a plural acronym ([`is_plural_acronym`]).
pub(crate) fn segment(
    segmenter: Option<&mut Segmenter>,
    mode: HanMode,
    folded: &Folded,
    original: &str,
    mut emit: impl FnMut(usize, usize, Cow<'_, str>, TokenKind, usize),
) {
    let text = folded.text();
    let gaps = mode != HanMode::Words;
    let new_run = std::cell::Cell::new(false);
    let mut last_kind: Option<TokenKind> = None;
    let mut emit = |start, end, text, kind, advance: bool| {
        let step = match (advance, last_kind) {
            (false, _) => 0,
            (true, Some(prev))
                if gaps
                    && (new_run.get() || (prev == TokenKind::Han && kind != TokenKind::Han)) =>
            {
                2
            }
            (true, _) => 1,
        };
        new_run.set(false);
        last_kind = Some(kind);
        emit(start, end, text, kind, step);
    };
    let bytes = text.as_bytes();
    let mut segmenter = segmenter;
    let mut i = 0;
    while i < text.len() {
        let c = text[i..].chars().next().expect("i is on a char boundary");
        match classify(c) {
            CharClass::Other => i += c.len_utf8(),
            // A combining mark that does not follow a letter (it follows a Han character, a
            // digit or punctuation) belongs to no word: words consume their own marks.
            CharClass::Letter if unicode_normalization::char::is_combining_mark(c) => {
                i += c.len_utf8();
            }
            CharClass::Han => {
                let end = if mode == HanMode::Words {
                    run_end(text, i, |c| classify(c) == CharClass::Han)
                } else {
                    spaced_han_run_end(text, i)
                };
                new_run.set(true);
                match mode {
                    HanMode::Words => {
                        let segmenter = segmenter
                            .as_deref_mut()
                            .expect("word mode is always given a segmenter");
                        for (a, b) in segmenter.cut(&text[i..end]) {
                            let (start, word) = (i + a, &text[i + a..i + b]);
                            emit(start, i + b, Cow::Borrowed(word), TokenKind::Han, true);
                            // A compound's multi-character parts, at its position: the
                            // paragraph is about 宗教 and 自由 when it says 宗教自由.
                            let has_word = |w: &str| segmenter.has_word(w);
                            for (a, b) in super::compound_part_ranges(has_word, word) {
                                if word[a..b].chars().nth(1).is_some() {
                                    let part = &text[start + a..start + b];
                                    emit(
                                        start + a,
                                        start + b,
                                        Cow::Borrowed(part),
                                        TokenKind::Han,
                                        false,
                                    );
                                }
                            }
                        }
                    }
                    HanMode::Grams | HanMode::EdgeGrams | HanMode::Chars => {
                        // White space inside the run (`人口 贩运`, as text extracted from
                        // PDF often is) separates nothing: the characters around it form
                        // a bigram, as a query's characters do.
                        let mut chars = text[i..end]
                            .char_indices()
                            .filter(|(_, c)| !c.is_whitespace())
                            .peekable();
                        while let Some((a, c)) = chars.next() {
                            let a = i + a;
                            let b = a + c.len_utf8();
                            let next = chars.peek().map(|&(n_at, n)| (i + n_at, n));
                            let alone = match mode {
                                HanMode::EdgeGrams => a == i || next.is_none(),
                                _ => true,
                            };
                            if alone {
                                emit(a, b, Cow::Borrowed(&text[a..b]), TokenKind::Han, true);
                            }
                            if let (Some((n_at, n)), false) = (next, mode == HanMode::Chars) {
                                let e = n_at + n.len_utf8();
                                let bigram = if n_at == b {
                                    Cow::Borrowed(&text[a..e])
                                } else {
                                    Cow::Owned(format!("{c}{n}"))
                                };
                                emit(a, e, bigram, TokenKind::Han, !alone);
                            }
                        }
                    }
                }
                i = end;
            }
            CharClass::Letter => {
                let end = word_end(text, i);
                let word = &text[i..end];
                let plural_acronym = word.ends_with('s') && {
                    let (from, to) = folded.original_range(i, end);
                    is_plural_acronym(&original[from..to])
                };
                if plural_acronym {
                    // `SDGs` is the acronym `sdg`, and `sdgs` as written besides.
                    let acronym = Cow::Borrowed(&word[..word.len() - 1]);
                    emit(i, end, acronym, TokenKind::Word, true);
                    emit(i, end, Cow::Borrowed(word), TokenKind::Word, false);
                } else {
                    emit(i, end, Cow::Borrowed(word), TokenKind::Word, true);
                    if let Some(at) = elided(word) {
                        let rest = Cow::Borrowed(&word[at..]);
                        emit(i + at, end, rest, TokenKind::Word, false);
                    }
                }
                i = end;
            }
            CharClass::Digit => match digits_end(text, i) {
                (end, None) => {
                    emit(i, end, Cow::Borrowed(&text[i..end]), TokenKind::Word, true);
                    i = end;
                }
                (end, Some(number)) => {
                    let as_written = matches!(number, Cow::Borrowed(_));
                    emit(i, end, number, TokenKind::Number, true);
                    if as_written {
                        for (a, b) in number_parts(&text[i..end]) {
                            let part = Cow::Borrowed(&text[i + a..i + b]);
                            emit(i + a, i + b, part, TokenKind::Number, false);
                        }
                    }
                    i = end;
                }
            },
        }
        debug_assert!(i <= bytes.len());
    }
}

/// The end of the token that starts with a digit at `start`, and its text if it is a
/// number; `None` if it is a word (`2nd`, `g20`-like alphanumerics are one word).
pub(crate) fn digits_end(text: &str, start: usize) -> (usize, Option<Cow<'_, str>>) {
    let (end, number) = number_end(text, start);
    let next_is_letter = text[end..]
        .chars()
        .next()
        .is_some_and(|c| classify(c) == CharClass::Letter);
    if next_is_letter && !number.contains(|c: char| !c.is_numeric()) {
        (word_end(text, start), None)
    } else {
        (end, Some(number))
    }
}

/// The end of the Han run starting at `start`, continuing across white space that has Han
/// on both sides.
fn spaced_han_run_end(text: &str, start: usize) -> usize {
    let mut end = start;
    for (j, c) in text[start..].char_indices() {
        if classify(c) == CharClass::Han {
            end = start + j + c.len_utf8();
        } else if !c.is_whitespace() {
            break;
        }
        // White space: the run goes on only if Han follows it, which the next Han
        // character (moving `end`) or anything else (breaking) decides.
    }
    end
}

fn run_end(text: &str, start: usize, keep: impl Fn(char) -> bool) -> usize {
    text[start..]
        .char_indices()
        .find(|&(_, c)| !keep(c))
        .map_or(text.len(), |(j, _)| start + j)
}

/// A word: letters, digits and combining marks, with apostrophes inside (`women's`).
pub(crate) fn word_end(text: &str, start: usize) -> usize {
    // ASCII letters and digits, and an ASCII apostrophe before an ASCII letter, are read
    // byte by byte: English text is mostly those, and decoding and classifying each
    // character was a fifth of highlighting an English hit. Anything else is left to the
    // general loop, from where it stands.
    let bytes = text.as_bytes();
    let mut at = start;
    loop {
        match bytes.get(at) {
            Some(b) if b.is_ascii_alphanumeric() => at += 1,
            Some(b'\'') if bytes.get(at + 1).is_some_and(u8::is_ascii_alphabetic) => at += 2,
            Some(b) if b.is_ascii() && *b != b'\'' => return at,
            None => return at,
            Some(_) => break,
        }
    }
    word_end_by_char(text, at)
}

/// [`word_end`] character by character, from byte `start` (the word's start, or where
/// the byte-by-byte reading stopped).
fn word_end_by_char(text: &str, start: usize) -> usize {
    let mut end = start;
    let mut chars = text[start..].char_indices().peekable();
    while let Some((j, c)) = chars.next() {
        let class = classify(c);
        if matches!(class, CharClass::Letter | CharClass::Digit) {
            end = start + j + c.len_utf8();
        } else if super::normalize::is_apostrophe(c)
            && chars
                .peek()
                .is_some_and(|&(_, n)| classify(n) == CharClass::Letter)
        {
            continue;
        } else {
            break;
        }
    }
    end
}

/// Whether `word`, as written, is a plural acronym: two or more capital letters and a
/// lower-case `s` (`SDGs`, `NGOs`, `LDCs`). English stemming keeps its `s` (Snowball drops
/// an `s` only after a vowel that does not come just before it), so `SDGs` and `SDG`
/// would be different terms; the analyzer makes it the acronym's term, with the word as
/// written at its position besides (a query in lower case, `sdgs`, still finds it). A
/// word in capitals throughout (`SDGS`, `HIV/AIDS`) is not taken for one: its `S` may be
/// the acronym's own.
pub(crate) fn is_plural_acronym(word: &str) -> bool {
    let Some(stem) = word.strip_suffix(['s', 'ｓ']) else {
        return false;
    };
    let mut capitals = 0;
    for c in stem.chars() {
        if !c.is_uppercase() {
            return false;
        }
        capitals += 1;
    }
    capitals >= 2
}

/// The letters that, alone before an apostrophe at the start of a word, are an elided
/// article, preposition or pronoun, or the Irish `O'`: French and Italian `l'`, `d'`,
/// `c'`, `j'`, `m'`, `n'`, `s'`, `t'` (`Côte d'Ivoire`, `l'Aquila`), and `o'` (`O'Neill`).
/// Not `i`, which is English `I'm`, `I'll`, `I've`.
const ELIDING: &[u8] = b"cdjlmnost";

/// Where the word after an elision starts in the (folded) `word`: `d'ivoire` → 2 (`ivoire`),
/// `o'neill` → 2. The analyzer indexes that word at the whole's position too, so `Ivoire`
/// finds `Côte d'Ivoire` and `Neill` finds `O'Neill`, while `d'Ivoire` stays one term.
/// English possessives and contractions (`Africa's`, `isn't`) have more than one letter
/// before their apostrophe and are left to the stemmer.
pub(crate) fn elided(word: &str) -> Option<usize> {
    match word.as_bytes() {
        [first, b'\'', _, ..] if ELIDING.contains(first) => Some(2),
        _ => None,
    }
}

/// [`elided`] of a word as written, its apostrophe any of its look-alikes: where the word
/// after the elision starts in the folded word, and in `word`.
pub(crate) fn elided_as_written(word: &str) -> Option<(usize, usize)> {
    let first = word.as_bytes().first()?.to_ascii_lowercase();
    if !ELIDING.contains(&first) {
        return None;
    }
    // The first byte is an ASCII letter: the next character starts after it.
    let apostrophe = word[1..].chars().next()?;
    let at = 1 + apostrophe.len_utf8();
    (super::normalize::is_apostrophe(apostrophe) && at < word.len()).then_some((2, at))
}

/// The parts of a number joined by `-` or `/` (`2022-2024`, `16/18`), as byte ranges of
/// `number`; none for a number of one part. A number stays whole (a query for `2022-2024`
/// finds that range, not every 2022), and its parts stand at its position besides, as a
/// compound's do: a query for `2022` finds `2022-2024年任期` too. Decimals and times
/// (`3.5`, `10:30`) are not split: `3` is not in `3.5`.
pub(crate) fn number_parts(number: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    // Most numbers are of one part, and every number of a highlighted text is asked.
    let split = number.bytes().any(|b| b == b'-' || b == b'/');
    split
        .then(|| {
            let mut start = 0;
            number
                .bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'-' || b == b'/')
                .map(|(at, _)| at)
                .chain(std::iter::once(number.len()))
                .map(move |end| {
                    let part = (start, end);
                    start = end + 1;
                    part
                })
                .filter(|&(a, b)| a < b)
        })
        .into_iter()
        .flatten()
}

/// Scans a number starting at `start`; returns its end and its token text.
fn number_end(text: &str, start: usize) -> (usize, Cow<'_, str>) {
    let bytes = text.as_bytes();
    let digits_from = |from: usize| run_end(text, from, |c| classify(c) == CharClass::Digit);
    let mut end = digits_from(start);
    let mut group_len = text[start..end].chars().count();
    let mut removed: Vec<usize> = Vec::new();
    while let Some(sep) = text[end..].chars().next() {
        let after = end + sep.len_utf8();
        let next_is_digit = text[after..]
            .chars()
            .next()
            .is_some_and(|c| classify(c) == CharClass::Digit);
        if !next_is_digit {
            break;
        }
        let group_end = digits_from(after);
        match sep {
            '/' | '-' | '.' | ':' => {
                group_len = text[after..group_end].chars().count();
                end = group_end;
            }
            // A thousands separator: the group before has 1-3 digits and exactly three
            // follow. `2 800万美元` is the number 2800.
            ' ' | ','
                if group_len <= 3
                    && group_end - after == 3
                    && (after..group_end).all(|k| bytes[k].is_ascii_digit()) =>
            {
                removed.push(end);
                group_len = 3;
                end = group_end;
            }
            _ => break,
        }
    }
    if removed.is_empty() {
        (end, Cow::Borrowed(&text[start..end]))
    } else {
        let mut owned = String::with_capacity(end - start);
        let mut from = start;
        for r in removed {
            owned.push_str(&text[from..r]);
            from = r + 1;
        }
        owned.push_str(&text[from..end]);
        (end, Cow::Owned(owned))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn a_word_ends_where_reading_it_by_character_ends_it(
            text in "[aZ09'’ éÉ\u{301}ß人,.;-]{0,16}"
        ) {
            for (start, c) in text.char_indices() {
                if matches!(classify(c), CharClass::Letter | CharClass::Digit) {
                    proptest::prop_assert_eq!(
                        word_end(&text, start),
                        word_end_by_char(&text, start),
                        "from byte {}", start
                    );
                }
            }
        }
    }

    fn numbers(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < text.len() {
            let c = text[i..].chars().next().unwrap();
            if classify(c) == CharClass::Digit {
                let (end, n) = number_end(text, i);
                out.push(n.into_owned());
                i = end;
            } else {
                i += c.len_utf8();
            }
        }
        out
    }

    #[test]
    fn a_number_of_parts_joined_by_dash_or_slash_has_them_besides() {
        fn parts(n: &str) -> Vec<&str> {
            number_parts(n).map(|(a, b)| &n[a..b]).collect()
        }
        assert_eq!(parts("2022-2024"), ["2022", "2024"]);
        assert_eq!(parts("16/18"), ["16", "18"]);
        assert_eq!(parts("2021-03-05"), ["2021", "03", "05"]);
        assert_eq!(parts("1.5-2.5"), ["1.5", "2.5"]);
        for whole in ["1325", "3.5", "10:30", "2800"] {
            assert!(parts(whole).is_empty(), "{whole}");
        }
        // In the token stream: the whole, then its parts at its position.
        let mut tokens = Vec::new();
        let text = "第 60/251 号";
        segment(
            None,
            HanMode::Chars,
            &Folded::new(text),
            text,
            |a, b, t, kind, step| {
                tokens.push((a, b, t.into_owned(), kind, step));
            },
        );
        let number = |a, b, t: &str, step| (a, b, t.to_owned(), TokenKind::Number, step);
        assert_eq!(
            tokens[1..4],
            [
                number(4, 10, "60/251", 2),
                number(4, 6, "60", 0),
                number(7, 10, "251", 0)
            ]
        );
    }

    /// The (term, source text, step) of each token of `text`, folded first.
    fn words(text: &str) -> Vec<(String, &str, usize)> {
        let folded = Folded::new(text);
        let mut out = Vec::new();
        segment(None, HanMode::Grams, &folded, text, |a, b, t, _, step| {
            let (from, to) = folded.original_range(a, b);
            out.push((t.into_owned(), &text[from..to], step));
        });
        out
    }

    #[test]
    fn the_word_after_an_elision_stands_at_the_words_position_too() {
        assert_eq!(
            words("Côte d’Ivoire, O'Neill, l’Aquila"),
            [
                ("cote".to_owned(), "Côte", 1),
                ("d'ivoire".to_owned(), "d’Ivoire", 1),
                ("ivoire".to_owned(), "Ivoire", 0),
                ("o'neill".to_owned(), "O'Neill", 1),
                ("neill".to_owned(), "Neill", 0),
                ("l'aquila".to_owned(), "l’Aquila", 1),
                ("aquila".to_owned(), "Aquila", 0),
            ]
        );
        // Possessives, contractions and `I'm` have no elision.
        for text in [
            "Africa's",
            "isn't",
            "I'm",
            "I’ll",
            "d'",
            "'d",
            "dd'ivoire",
            "d'2",
        ] {
            assert_eq!(words(text)[0].2, 1, "{text}");
            assert!(words(text).iter().skip(1).all(|w| w.2 == 1), "{text}");
        }
    }

    #[test]
    fn a_plural_acronym_is_the_acronym_and_the_word_as_written() {
        assert_eq!(
            words("SDGs, NGOs"),
            [
                ("sdg".to_owned(), "SDGs", 1),
                ("sdgs".to_owned(), "SDGs", 0),
                ("ngo".to_owned(), "NGOs", 1),
                ("ngos".to_owned(), "NGOs", 0),
            ]
        );
        // Full width is folded first, and the case read where it was written.
        assert_eq!(words("ＳＤＧｓ")[0], ("sdg".to_owned(), "ＳＤＧｓ", 1));
        for word in ["SDGS", "Is", "As", "sdgs", "SDGss", "G20s", "SDG's", "UNs"] {
            let expected = word.starts_with("UN");
            assert_eq!(is_plural_acronym(word), expected, "{word}");
        }
        for word in ["SDGS", "Is", "sdgs", "Items"] {
            assert_eq!(words(word).len(), 1, "{word}");
        }
    }

    #[test]
    fn numbers_stay_whole() {
        assert_eq!(numbers("第1325(2000)号"), ["1325", "2000"]);
        assert_eq!(numbers("第 16/18 号和 60/251"), ["16/18", "60/251"]);
        assert_eq!(numbers("2022-2024 年"), ["2022-2024"]);
        assert_eq!(numbers("近2 800万美元"), ["2800"]);
        assert_eq!(numbers("1 000万美元"), ["1000"]);
        assert_eq!(numbers("1,234,567 people"), ["1234567"]);
        assert_eq!(numbers("2020 年 11 月"), ["2020", "11"]);
        assert_eq!(numbers("2017 年和 2018 年"), ["2017", "2018"]);
        assert_eq!(numbers("3.5%"), ["3.5"]);
        assert_eq!(numbers("in 2020 100 people"), ["2020", "100"]);
        // Dashes are folded to `-` before numbers are read.
        let dashes = Folded::new("2025–2027, 2024—2025 and 5−6");
        assert_eq!(numbers(dashes.text()), ["2025-2027", "2024-2025", "5-6"]);
    }
}
