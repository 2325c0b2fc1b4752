//! Highlights (exact byte ranges of matched words) and snippets (a readable window).
//!
//! Highlights come from running the same analyzer over the stored text and keeping the
//! tokens whose terms the query searched for, so they are exact even for traditional or
//! full-width text. tantivy's own `SnippetGenerator` is not used: it sizes fragments in bytes
//! (a third of the characters for Chinese), does not merge adjacent matches and cuts
//! anywhere, where a reader of Chinese wants whole sentences.

use std::fmt;

use serde::{Serialize, Serializer};

use super::query::{Pattern, Sequence};
use crate::analysis::{Folded, PlainScan, Stems};

/// A highlighted byte range `[start, end)` of a text. Serialises as `[start, end]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Highlight {
    /// Byte offset of the first highlighted character.
    pub start: usize,
    /// Byte offset just past the last highlighted character.
    pub end: usize,
}

impl Serialize for Highlight {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (self.start, self.end).serialize(serializer)
    }
}

/// A window of a paragraph's text around its best matches.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snippet {
    /// The window, with `…` where it cuts the paragraph.
    pub text: String,
    /// Highlighted byte ranges into [`Snippet::text`].
    pub highlights: Vec<Highlight>,
}

impl Snippet {
    /// The snippet with each highlight wrapped in the given markers.
    ///
    /// ```
    /// let snippet = zhen::Snippet {
    ///     text: "打击人口贩运。".to_owned(),
    ///     highlights: vec![zhen::Highlight { start: 6, end: 18 }],
    /// };
    /// assert_eq!(snippet.marked("【", "】"), "打击【人口贩运】。");
    /// assert_eq!(snippet.to_string(), "打击【人口贩运】。");
    /// ```
    pub fn marked(&self, open: &str, close: &str) -> String {
        let mut out = String::with_capacity(self.text.len() + self.highlights.len() * 6);
        let mut at = 0;
        for h in &self.highlights {
            out.push_str(&self.text[at..h.start]);
            out.push_str(open);
            out.push_str(&self.text[h.start..h.end]);
            out.push_str(close);
            at = h.end;
        }
        out.push_str(&self.text[at..]);
        out
    }
}

/// Displays with `【…】` around highlights.
impl fmt::Display for Snippet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.marked("【", "】"))
    }
}

/// Serialises as the marked-up string of [`Snippet`]'s `Display` (the CLI's JSON contract);
/// exact ranges are in the hit's `highlights`.
impl Serialize for Snippet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Where a token's sequence goes on: the position of the term `offset` places after the
/// token `t`, if there is one.
type Step<'a> = &'a dyn Fn(&Found<'_>, usize) -> Option<usize>;

/// Appends to `out` the byte ranges where every term of `seq` occurs at its relative
/// position, and says whether there was any; `tokens` are in position order, and `step`
/// finds the position of each further term. (Appending, not returning a vector: a hit's
/// highlighting allocated three growing vectors where one will do.)
fn occurrences<S: AsRef<str>>(
    tokens: &[Found<'_>],
    seq: &[(usize, S)],
    step: Step<'_>,
    out: &mut Vec<(usize, usize)>,
) -> bool {
    let Some((_, first_term)) = seq.first() else {
        return false;
    };
    let first_term = first_term.as_ref();
    let before = out.len();
    if let [(0, _)] = seq {
        // One term: each of its tokens is a match, where it stands (the general walk below
        // would look each one up again at its own position).
        out.extend(
            tokens
                .iter()
                .filter(|t| t.term == first_term)
                .map(|t| (t.start, t.end)),
        );
        return out.len() > before;
    }
    for t in tokens.iter().filter(|t| t.term == first_term) {
        let mut range = (t.start, t.end);
        let all = seq.iter().all(|(offset, term)| {
            let Some(position) = step(t, *offset) else {
                return false;
            };
            let from = tokens.partition_point(|u| u.position < position);
            tokens[from..]
                .iter()
                .take_while(|u| u.position == position)
                .find(|u| u.term == term.as_ref())
                .map(|u| range = (range.0.min(u.start), range.1.max(u.end)))
                .is_some()
        });
        if all {
            out.push(range);
        }
    }
    out.len() > before
}

/// [`Step`] over the n-gram analyzer's positions.
fn by_position(t: &Found<'_>, offset: usize) -> Option<usize> {
    Some(t.position + offset)
}

/// [`Step`] over plain text: the start of the Han character `n` of the n-gram analyzer's
/// positions after the one starting at byte `at`. A run goes on one position a character
/// ([`nth_in_run`]); the next run stands two on, after the gap the analyzer leaves, which a
/// quoted `"理、并"` spans (its sequence is `理`, then `并` two positions on). Nothing but
/// punctuation and white space may stand in that gap: a word or number between the runs
/// takes positions of its own, and a sequence the plain scan follows has Han terms only.
///
/// [`nth_in_run`]: crate::analysis::nth_in_run
fn plain_step(text: &str, mut at: usize, mut n: usize) -> Option<usize> {
    while n > 0 {
        if let Some(next) = crate::analysis::nth_in_run(text, at, 1) {
            (at, n) = (next, n - 1);
            continue;
        }
        n = n.checked_sub(2)?;
        let after = at + text[at..].chars().next()?.len_utf8();
        let (i, c) = text[after..]
            .char_indices()
            .find(|(_, c)| c.is_alphanumeric())?;
        if !crate::analysis::is_han(c) {
            return None;
        }
        at = after + i;
    }
    Some(at)
}

/// A needed term found in a hit's text: the term is the query's own (borrowed from the
/// patterns), so finding one allocates nothing.
#[derive(Debug, Clone, Copy)]
struct Found<'p> {
    term: &'p str,
    /// Byte range in the original text.
    start: usize,
    end: usize,
    /// The n-gram analyzer's position.
    position: usize,
}

/// Finds the highlights of one query in its hits' texts: the query's terms are gathered
/// once, and the folding buffers are reused from hit to hit.
pub(crate) struct Highlighter<'p> {
    patterns: &'p [Pattern],
    /// Only the terms the patterns name are kept: a hit's text has hundreds of n-gram
    /// terms, the query a handful. FNV: the keys are a few bytes long, and the default
    /// SipHash of every candidate bigram was a twentieth of a hit's fetch.
    needed: fnv::FnvHashSet<&'p str>,
    /// Most of a hit's characters start no query term: checking this short list first
    /// spares hashing them.
    first_chars: Vec<char>,
    /// The Han characters among `first_chars` with their traditional forms: the only
    /// characters of unfolded text worth folding (besides those after a wanted one).
    raw_first_han: Vec<char>,
    /// For a query whose every sequence is one term or Han characters only (all but
    /// phrases of words in letters), the scan that finds its terms in a plain text
    /// without reading all of it.
    plain: Option<PlainScan<'p>>,
    stems: Stems,
    folded: Folded,
    tokens: Vec<Found<'p>>,
}

impl<'p> Highlighter<'p> {
    pub(crate) fn new(patterns: &'p [Pattern]) -> Highlighter<'p> {
        let mut needed: fnv::FnvHashSet<&str> = fnv::FnvHashSet::default();
        for pattern in patterns {
            needed.extend(pattern.sequence.iter().map(|(_, t)| t.as_str()));
            for token in &pattern.tokens {
                needed.insert(token.term.as_str());
                for (_, t) in token.grams.iter().flatten() {
                    needed.insert(t.as_str());
                }
                for (_, part) in &token.parts {
                    needed.extend(part.iter().map(|(_, t)| t.as_str()));
                }
            }
        }
        let mut first_chars: Vec<char> = needed.iter().filter_map(|t| t.chars().next()).collect();
        first_chars.sort_unstable();
        first_chars.dedup();
        let mut raw_first_han: Vec<char> = first_chars
            .iter()
            .filter(|c| crate::analysis::is_han(**c))
            .flat_map(|&c| std::iter::once(c).chain(crate::analysis::traditional_forms(c)))
            .collect();
        raw_first_han.sort_unstable();
        raw_first_han.dedup();
        // The scan gives no positions: a sequence of several terms is followed from its
        // first term's start, one Han character at a time, so all its terms must be Han.
        let scannable = |seq: &Sequence| match seq.as_slice() {
            [] | [(0, _)] => true,
            [(0, _), ..] => seq
                .iter()
                .all(|(_, t)| t.chars().all(crate::analysis::is_han)),
            _ => false,
        };
        let scannable_all = patterns.iter().all(|pattern| {
            scannable(&pattern.sequence)
                && pattern.tokens.iter().all(|token| {
                    token.grams.as_ref().is_none_or(scannable)
                        && token.parts.iter().all(|(_, part)| scannable(part))
                })
        });
        let plain = scannable_all.then(|| {
            PlainScan::new(needed.iter().copied(), |c| {
                std::iter::once(c).chain(crate::analysis::traditional_forms(c))
            })
        });
        Highlighter {
            patterns,
            needed,
            first_chars,
            raw_first_han,
            plain,
            stems: Stems::default(),
            folded: Folded::default(),
            tokens: Vec::new(),
        }
    }

    /// The ranges of `text` that match the query's clauses, merged where matches touch or are
    /// separated only by white space (`【人口贩运】`, not `【人口】【贩运】`).
    ///
    /// Per clause, the most specific evidence present wins: the clause as a contiguous
    /// sequence; else, for unquoted clauses, each of its words where it stands, else that
    /// word's compound parts. Matching runs on the n-gram analyzer's terms (characters and
    /// bigrams for Han, stemmed words otherwise), which needs no dictionary: highlighting a
    /// hit costs at most one folding pass over its text, not a word segmentation.
    ///
    /// `plain` says whether the text is plain ([`is_plain`], stored with each paragraph):
    /// if so, and no sequence of the query is of words in letters (which need the
    /// analyzer's positions), its terms are looked for only where they can start.
    ///
    /// [`is_plain`]: crate::analysis::is_plain
    pub(crate) fn highlights(&mut self, text: &str, plain: bool) -> Vec<Highlight> {
        if plain && self.plain.is_some() {
            self.plain_terms(text);
            // The tokens stand at their start bytes: a sequence goes on a number of Han
            // characters further along (see `plain_step`).
            let step = |t: &Found<'_>, offset| plain_step(text, t.start, offset);
            return merge(text, highlight_ranges(&self.tokens, self.patterns, &step));
        }
        if !self.unfolded_terms(text) {
            self.all_terms(text);
        }
        merge(
            text,
            highlight_ranges(&self.tokens, self.patterns, &by_position),
        )
    }

    /// Collects the needed terms of plain `text` into `tokens` with [`PlainScan`], in
    /// order, each at its start byte as its position (see [`plain_step`] for how a
    /// sequence goes on from there).
    fn plain_terms(&mut self, text: &str) {
        let Highlighter {
            plain,
            tokens,
            stems,
            ..
        } = self;
        tokens.clear();
        if let Some(plain) = plain {
            plain.for_each_term(text, stems, |start, end, term| {
                tokens.push(Found {
                    term,
                    start,
                    end,
                    position: start,
                })
            });
        }
        tokens.sort_unstable_by_key(|t| (t.position, t.end));
    }

    /// Collects the needed terms of `text` into `tokens`, as [`for_each_gram_term`] gives
    /// them.
    ///
    /// [`for_each_gram_term`]: crate::analysis::for_each_gram_term
    fn all_terms(&mut self, text: &str) {
        let Highlighter {
            needed,
            first_chars,
            stems,
            folded,
            tokens,
            ..
        } = self;
        tokens.clear();
        let wanted = |c: char| first_chars.contains(&c);
        crate::analysis::for_each_gram_term(
            folded,
            stems,
            text,
            wanted,
            |position, start, end, term| {
                if term.chars().next().is_some_and(wanted) {
                    keep_if_needed(needed, tokens, (position, start, end), term);
                }
            },
        );
    }

    /// [`Highlighter::all_terms`] when folding keeps the text's term boundaries (most
    /// paragraphs, Chinese or English): the same terms at the same positions, without the
    /// folded copy and offset maps that cost most of a hit's highlighting. Returns `false`,
    /// with nothing usable collected, for other text.
    fn unfolded_terms(&mut self, text: &str) -> bool {
        let Highlighter {
            needed,
            first_chars,
            raw_first_han,
            tokens,
            stems,
            ..
        } = self;
        tokens.clear();
        crate::analysis::for_each_term_unfolded(
            text,
            stems,
            |c| first_chars.contains(&c),
            |c| raw_first_han.contains(&c),
            |position, start, end, term| {
                keep_if_needed(needed, tokens, (position, start, end), term)
            },
        )
    }
}

/// Records `term`, found at `position` and bytes `start..end`, if the query names it (as
/// the query's own string).
fn keep_if_needed<'p>(
    needed: &fnv::FnvHashSet<&'p str>,
    tokens: &mut Vec<Found<'p>>,
    (position, start, end): (usize, usize, usize),
    term: &str,
) {
    if let Some(&term) = needed.get(term) {
        tokens.push(Found {
            term,
            start,
            end,
            position,
        });
    }
}

/// The byte ranges the patterns' most specific evidence covers (see
/// [`Highlighter::highlights`]).
fn highlight_ranges(
    tokens: &[Found<'_>],
    patterns: &[Pattern],
    step: Step<'_>,
) -> Vec<(usize, usize)> {
    // Each found token starts at most one range of a sequence: room for one sequence's.
    let mut ranges: Vec<(usize, usize)> = Vec::with_capacity(tokens.len());
    for pattern in patterns.iter().filter(|p| p.standalone) {
        if occurrences(tokens, &pattern.sequence, step, &mut ranges) || pattern.phrase {
            continue;
        }
        for token in &pattern.tokens {
            let found = match &token.grams {
                Some(grams) => occurrences(tokens, grams, step, &mut ranges),
                None => occurrences(tokens, &[(0, token.term.as_str())], step, &mut ranges),
            };
            if found {
                continue;
            }
            for (_, part) in &token.parts {
                occurrences(tokens, part, step, &mut ranges);
            }
        }
    }
    ranges
}

/// Sorted highlights, merged where they touch or only white space separates them.
fn merge(text: &str, mut ranges: Vec<(usize, usize)>) -> Vec<Highlight> {
    ranges.sort_unstable();
    // Merged in place, then mapped in place (the two types are laid out alike): no second
    // vector.
    ranges.dedup_by(|next, last| {
        let touches = last.1 >= next.0 || text[last.1..next.0].chars().all(char::is_whitespace);
        if touches {
            last.1 = last.1.max(next.1);
        }
        touches
    });
    ranges
        .into_iter()
        .map(|(start, end)| Highlight { start, end })
        .collect()
}

fn is_sentence_end(c: char) -> bool {
    matches!(c, '。' | '；' | '！' | '？' | '!' | '?' | ';' | '\n')
}

fn is_clause_end(c: char) -> bool {
    is_sentence_end(c) || matches!(c, '，' | '、' | '：' | ',' | ':')
}

/// Byte ranges of the sentences of `text`, each including its closing punctuation.
///
/// The ends ([`is_sentence_end`]) are found by SIMD searches rather than by decoding every
/// character, one of two ways by the text's length, both counting no characters (the
/// snippet needs the lengths of the few sentences around its best one only, and counting
/// every sentence was as much again):
/// - up to [`LONG_TEXT`] bytes, `memchr` for the wide ends' lead bytes ([`by_lead_bytes`]);
/// - beyond, one `memmem` pass per wide end ([`by_wide_ends`]).
fn sentences(text: &str) -> Vec<(usize, usize)> {
    if text.len() > LONG_TEXT {
        by_wide_ends(text)
    } else {
        by_lead_bytes(text)
    }
}

/// The length, in bytes, above which a text's sentence ends are found by [`by_wide_ends`]:
/// in alternating timings of the two ways, that pass was faster on long paragraphs (on
/// `DNA`'s four hits, of 960 to 1,224 bytes, 296-316 against 470-507 ns each) and slower
/// on ordinary ones, of one or two sentences.
const LONG_TEXT: usize = 600;

/// [`sentences`] by `memchr` on the lead bytes of the wide ends: each is ASCII or a
/// three-byte character led by `0xE3` (`。`) or `0xEF` (`！`, `；`, `？`), which in Chinese
/// text lead little but punctuation besides `，` and `、` (where the search stops too).
fn by_lead_bytes(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut push = |end: usize| {
        out.push((start, end));
        start = end;
    };
    let mut ascii = memchr::memchr3_iter(b'!', b'?', b';', bytes)
        .map(|i| i + 1)
        .peekable();
    let wide = memchr::memchr3_iter(0xE3, 0xEF, b'\n', bytes).filter_map(|i| {
        match (bytes[i], bytes.get(i + 1..i + 3)) {
            (b'\n', _) => Some(i + 1),
            (0xE3, Some([0x80, 0x82])) | (0xEF, Some([0xBC, 0x81 | 0x9B | 0x9F])) => Some(i + 3),
            _ => None,
        }
    });
    for end in wide {
        while let Some(a) = ascii.next_if(|&a| a < end) {
            push(a);
        }
        push(end);
    }
    ascii.for_each(&mut push);
    if start < text.len() {
        out.push((start, text.len()));
    }
    out
}

/// [`sentences`] by one `memmem` pass for each wide end (`。`, `！`, `；`, `？`), whose
/// prefilter skips the commas that stop [`by_lead_bytes`], then `memchr` for the ASCII
/// ends; the ends sorted.
fn by_wide_ends(text: &str) -> Vec<(usize, usize)> {
    static WIDE_ENDS: std::sync::LazyLock<[memchr::memmem::Finder<'static>; 4]> =
        std::sync::LazyLock::new(|| {
            ["。", "！", "；", "？"]
                .map(|end| memchr::memmem::Finder::new(end.as_bytes()).into_owned())
        });
    let bytes = text.as_bytes();
    let mut ends: Vec<usize> = Vec::with_capacity(bytes.len() / 64 + 2);
    for finder in WIDE_ENDS.iter() {
        ends.extend(finder.find_iter(bytes).map(|i| i + 3));
    }
    ends.extend(memchr::memchr3_iter(b'!', b'?', b';', bytes).map(|i| i + 1));
    ends.extend(memchr::memchr_iter(b'\n', bytes).map(|i| i + 1));
    ends.sort_unstable();
    let mut out = Vec::with_capacity(ends.len() + 1);
    let mut start = 0;
    for end in ends {
        out.push((start, end));
        start = end;
    }
    if start < text.len() {
        out.push((start, text.len()));
    }
    out
}

/// Whether byte `at` of `text` falls between two letters or digits of a word written in
/// letters (never true inside Chinese, which has no word boundaries to respect).
fn inside_word(text: &str, at: usize) -> bool {
    let before = text[..at].chars().next_back();
    let after = text[at..].chars().next();
    let wordy =
        |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() && !crate::analysis::is_han(c));
    wordy(before) && wordy(after)
}

/// Chooses the window of at most `max_chars` characters that shows the most matches,
/// aligned to sentence boundaries where the sentences are short enough. An edge that would
/// cut a highlight moves to take in the whole of it, beyond `max_chars` if need be.
pub(crate) fn snippet(text: &str, highlights: &[Highlight], max_chars: usize) -> Snippet {
    // A budget of nothing still shows a match: as a budget of one, the first highlight
    // whole (it was `……`, the window empty).
    let max_chars = max_chars.max(1);
    // A character is at most four bytes: a longer text needs no counting to be too long.
    if text.len() <= max_chars || (text.len() <= 4 * max_chars && text.chars().count() <= max_chars)
    {
        return Snippet {
            text: text.to_owned(),
            highlights: highlights.to_vec(),
        };
    }
    let sentences = sentences(text);
    let chars_of = |i: usize| {
        let (s, e) = sentences[i];
        text[s..e].chars().count()
    };
    // The highlights come sorted and apart (see `merge`), as the sentences do: those
    // touching a sentence are one run of them, which one sweep finds for every sentence in
    // turn; a handful at most, so counting the distinct words among them needs no set.
    debug_assert!(highlights.windows(2).all(|w| w[0].end <= w[1].start));
    let word = |h: &Highlight| &text[h.start..h.end];
    // The best sentence: most distinct matched words, then most matches, then earliest.
    let (mut best, mut best_matches) = (0, (0, 0));
    let mut from = 0;
    for (i, &(s, e)) in sentences.iter().enumerate() {
        while highlights.get(from).is_some_and(|h| h.end <= s) {
            from += 1;
        }
        let to = from + highlights[from..].partition_point(|h| h.start < e);
        let hits = &highlights[from..to];
        let distinct = hits
            .iter()
            .enumerate()
            .filter(|(i, h)| !hits[..*i].iter().any(|g| word(g) == word(h)))
            .count();
        if (distinct, hits.len()) > best_matches {
            (best, best_matches) = (i, (distinct, hits.len()));
        }
    }
    // The highlight that byte `at` falls inside, if any: the window never cuts one, as a
    // clipped `【环境】…` would show another match than `环境保` (the highlights are sorted
    // and apart, so their ends are sorted too).
    let cut = |at: usize| {
        let i = highlights.partition_point(|h| h.end <= at);
        highlights.get(i).filter(|h| h.start < at)
    };
    let (mut start, mut end) = sentences[best];
    let mut chars = chars_of(best);
    if chars > max_chars {
        // One long sentence: centre on its first match, on character boundaries.
        let first = highlights
            .iter()
            .find(|h| h.start >= start && h.start < end)
            .map_or(start, |h| h.start);
        let lead = max_chars / 4;
        let mut s = first;
        let mut clause_start = None;
        for _ in 0..lead {
            if s <= start {
                break;
            }
            let (i, c) = text[..s]
                .char_indices()
                .next_back()
                .expect("s > start >= 0");
            if clause_start.is_none() && is_clause_end(c) && s != first {
                clause_start = Some(s);
            }
            s = i;
        }
        // Start at a clause boundary (after `，`, `、`, …) when one is near, so the snippet
        // does not open in the middle of a word.
        start = clause_start.unwrap_or(s).max(start);
        // Nor in the middle of an English word: start after its end.
        if inside_word(text, start) {
            // White space may be wider than a byte (U+3000, the ideographic space).
            if let Some((i, c)) = text[start..first]
                .char_indices()
                .find(|&(_, c)| c.is_whitespace())
            {
                start += i + c.len_utf8();
            }
        }
        end = text[start..]
            .char_indices()
            .nth(max_chars)
            .map_or(text.len(), |(i, _)| start + i);
        // Before the rules below, which would back off to before the highlight and drop it.
        if let Some(h) = cut(end) {
            end = h.end;
        }
        if inside_word(text, end) {
            let last = highlights
                .iter()
                .map(|h| h.end)
                .filter(|&e| e <= end)
                .max()
                .unwrap_or(start);
            if let Some(i) = text[last..end].rfind(char::is_whitespace) {
                end = last + i;
            }
        }
        // End after the last clause punctuation of the final quarter, if any.
        let tail_from = text[start..end]
            .char_indices()
            .nth(max_chars - max_chars / 4)
            .map_or(end, |(i, _)| start + i);
        if let Some((i, c)) = text[tail_from..end]
            .char_indices()
            .rev()
            .find(|&(_, c)| is_clause_end(c))
        {
            let cut = tail_from + i + c.len_utf8();
            if highlights.iter().all(|h| h.start >= cut || h.end <= cut) {
                end = cut;
            }
        }
    } else {
        // Grow by whole sentences, following ones first, while they fit. The window only
        // grows, so a side whose next sentence did not fit is done: it is not counted again.
        let (mut lo, mut hi) = (best, best);
        let (mut forward, mut backward) = (true, true);
        while forward || backward {
            if forward {
                forward = false;
                if let Some(&(_, next_end)) = sentences.get(hi + 1) {
                    let next_chars = chars_of(hi + 1);
                    if chars + next_chars <= max_chars {
                        hi += 1;
                        (end, chars) = (next_end, chars + next_chars);
                        forward = true;
                    }
                }
            }
            if backward {
                backward = false;
                if lo > 0 {
                    let previous_chars = chars_of(lo - 1);
                    if chars + previous_chars <= max_chars {
                        lo -= 1;
                        (start, chars) = (sentences[lo].0, chars + previous_chars);
                        backward = true;
                    }
                }
            }
        }
    }
    // A sentence's end, or the long sentence's start, may still fall inside a highlight
    // (`理；并`, or one begun in the sentence before).
    if let Some(h) = cut(start) {
        start = h.start;
    }
    if let Some(h) = cut(end) {
        end = h.end;
    }
    let prefix = if start > 0 { "…" } else { "" };
    let suffix = if end < text.len() { "…" } else { "" };
    let mut window = String::with_capacity(end - start + 6);
    window.push_str(prefix);
    window.push_str(&text[start..end]);
    window.push_str(suffix);
    let shift = prefix.len();
    let highlights = highlights
        .iter()
        .filter(|h| h.start >= start && h.end <= end)
        .map(|h| Highlight {
            start: h.start - start + shift,
            end: h.end - start + shift,
        })
        .collect();
    Snippet {
        text: window,
        highlights,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hl(text: &str, needle: &str) -> Vec<Highlight> {
        text.match_indices(needle)
            .map(|(i, m)| Highlight {
                start: i,
                end: i + m.len(),
            })
            .collect()
    }

    /// [`sentences`] as the definition reads: character by character.
    fn sentences_by_char(text: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut start = 0;
        for (i, c) in text.char_indices() {
            if is_sentence_end(c) {
                let end = i + c.len_utf8();
                out.push((start, end));
                start = end;
            }
        }
        if start < text.len() {
            out.push((start, text.len()));
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn sentences_are_found_byte_by_byte_as_by_character(
            text in "[人权。；！？!?;\n，、：,: aé€\u{3002}\u{FF01}\u{FF1B}\u{FF1F}\u{3082}\u{FF81}\u{E082}\u{10082}]{0,30}"
        ) {
            let expected = sentences_by_char(&text);
            proptest::prop_assert_eq!(&by_lead_bytes(&text), &expected);
            proptest::prop_assert_eq!(&by_wide_ends(&text), &expected);
        }
    }

    #[test]
    fn sentences_of_real_text_end_at_their_punctuation() {
        let shipped = include_str!("../../../../index-data/us-hrc-pledges-2021.zh.txt");
        let laws = crate::search::test_corpus::texts("prc-laws.zh.jsonl.gz", 3_000);
        let texts = shipped.split("\n\n").chain(laws.iter().map(String::as_str));
        let mut long = 0;
        for text in texts {
            let expected = sentences_by_char(text);
            assert_eq!(by_lead_bytes(text), expected, "{text}");
            assert_eq!(by_wide_ends(text), expected, "{text}");
            long += usize::from(text.len() > LONG_TEXT);
        }
        assert!(long > 100, "{long} texts take the long way");
        let text = "第一句。第二句！Third? 第四句；尾";
        let ends: Vec<&str> = sentences(text).iter().map(|&(s, e)| &text[s..e]).collect();
        assert_eq!(ends, ["第一句。", "第二句！", "Third?", " 第四句；", "尾"]);
    }

    #[test]
    fn short_text_is_whole() {
        let text = "打击人口贩运。";
        let s = snippet(text, &hl(text, "人口贩运"), 50);
        assert_eq!(s.to_string(), "打击【人口贩运】。");
    }

    #[test]
    fn window_is_the_matching_sentences_within_the_budget() {
        let text = "第一句没有匹配的词语。第二句讲人口贩运问题。第三句也没有。第四句很长很长很长很长很长很长很长很长。";
        let s = snippet(text, &hl(text, "人口贩运"), 24);
        assert_eq!(s.to_string(), "…第二句讲【人口贩运】问题。第三句也没有。…");
        assert!(s.text.chars().count() <= 24 + 2);
    }

    #[test]
    fn english_is_cut_between_words() {
        let text = "The United States pledges to work with the International Labour Organization against forced labour and human trafficking in all its forms and everywhere";
        let s = snippet(text, &hl(text, "human trafficking"), 60);
        let inner = s.text.trim_matches('…');
        assert!(text.contains(inner), "{}", s.text);
        let at = text.find(inner).unwrap();
        assert!(
            at == 0 || text[..at].ends_with(' '),
            "starts mid-word: {}",
            s.text
        );
        let end = at + inner.len();
        assert!(
            end == text.len() || text[end..].starts_with(' '),
            "ends mid-word: {}",
            s.text
        );
        assert!(s.to_string().contains("【human trafficking】"), "{s}");
    }

    #[test]
    fn a_window_opening_inside_a_word_starts_after_wide_white_space() {
        // Found by the quoted-substring property test: U+3000 is three bytes.
        let text = format!(
            "{}\u{3000}human trafficking {}",
            "x".repeat(60),
            "y".repeat(60)
        );
        let s = snippet(&text, &hl(&text, "human trafficking"), 40);
        assert!(s.text.starts_with("…human"), "{}", s.text);
        assert!(s.to_string().contains("【human trafficking】"), "{s}");
    }

    #[test]
    fn long_sentence_is_cut_on_characters_around_the_match() {
        let text = "这是一个非常长的句子没有任何标点符号一直延续下去直到出现人口贩运这个词然后继续很久很久很久";
        let s = snippet(text, &hl(text, "人口贩运"), 12);
        assert!(
            s.text.starts_with('…') && s.text.ends_with('…'),
            "{}",
            s.text
        );
        assert!(s.to_string().contains("【人口贩运】"), "{s}");
        assert_eq!(s.text.chars().count(), 12 + 2);
    }

    /// Asserts that `s`, a snippet of `text` with `highlights`, shows a stretch of `text`
    /// and none of the highlights cut.
    fn assert_shows_whole_highlights(text: &str, highlights: &[Highlight], s: &Snippet) {
        let inner = s.text.strip_prefix('…').unwrap_or(&s.text);
        let inner = inner.strip_suffix('…').unwrap_or(inner);
        assert!(text.contains(inner), "{s} is not in {text}");
        for h in &s.highlights {
            let shown = &s.text[h.start..h.end];
            assert!(
                highlights.iter().any(|g| &text[g.start..g.end] == shown),
                "{s} cuts a highlight of {text}: {highlights:?}"
            );
        }
        assert_eq!(
            s.highlights.is_empty(),
            highlights.is_empty(),
            "{s} of {text}"
        );
    }

    proptest::proptest! {
        #[test]
        fn a_snippet_shows_a_stretch_of_the_text_and_whole_highlights(
            text in "[人权理事会贩运。；，\n ab]{1,80}",
            ends in proptest::collection::vec((0usize..80, 1usize..12), 0..6),
            max_chars in 1usize..30,
        ) {
            // Highlights at random, sorted and apart as `merge` leaves them.
            let bounds: Vec<usize> = text
                .char_indices()
                .map(|(i, _)| i)
                .chain([text.len()])
                .collect();
            let mut highlights: Vec<Highlight> = Vec::new();
            for (from, len) in ends {
                let (start, end) = (from % bounds.len(), (from + len) % bounds.len());
                let (start, end) = (bounds[start], bounds[end]);
                if start < end && highlights.last().is_none_or(|h| h.end <= start) {
                    highlights.push(Highlight { start, end });
                }
            }
            let s = snippet(&text, &highlights, max_chars);
            assert_shows_whole_highlights(&text, &highlights, &s);
        }
    }

    #[test]
    fn a_snippet_never_cuts_a_highlight_of_real_text() {
        // Each query and budget cut a highlight once: `条 环境保` showed `【环境】…`, `as a`
        // `【as 】…`, `human rights` `【human】…`, and with one character `…【人】…`.
        let laws = crate::search::test_corpus::texts("prc-laws.zh.jsonl.gz", 3_000);
        let debates =
            crate::search::test_corpus::texts("un-general-debates-2015-2024.en.jsonl.gz", 300);
        let mut shown = 0;
        for (texts, queries) in [
            (&laws, ["条 环境保", "人民政府", "\"理、并\""]),
            (&debates, ["as a", "human rights", "United Nations"]),
        ] {
            for query in queries {
                let patterns = patterns_of(query);
                let mut highlighter = Highlighter::new(&patterns);
                for text in texts {
                    let highlights = highlighter.highlights(text, crate::analysis::is_plain(text));
                    if highlights.is_empty() {
                        continue;
                    }
                    for max_chars in [0, 1, 2, 7, 30, 120] {
                        let s = snippet(text, &highlights, max_chars);
                        assert_shows_whole_highlights(text, &highlights, &s);
                        shown += 1;
                    }
                }
            }
        }
        assert!(shown > 5_000, "only {shown} snippets");
        let text = "第三条 国家保护人民的合法权益，不受侵犯。";
        let s = snippet(text, &hl(text, "人民"), 1);
        assert_eq!(s.to_string(), "…【人民】…");
        // A budget of nothing was `……`.
        let s = snippet(text, &hl(text, "人民"), 0);
        assert_eq!(s.to_string(), "…【人民】…");
    }

    /// The patterns `query` compiles to, as a search would build them.
    fn patterns_of(query: &str) -> Vec<Pattern> {
        let parsed = crate::search::query::parse(query).unwrap();
        let dict = crate::analysis::UserDict::default();
        let mut words = crate::analysis::analyzer_with_dict(&dict);
        let mut grams = crate::analysis::ngram_analyzer();
        let (_, fields) = crate::index::Fields::schema();
        crate::search::query::compile(
            &parsed,
            &mut crate::search::query::Target {
                words: &mut words,
                grams: &mut grams,
                dict: &dict,
                words_field: fields.body,
                grams_field: fields.grams,
                chars_field: fields.chars,
                explain: false,
            },
        )
        .unwrap()
        .patterns
    }

    fn both_ways(patterns: &[Pattern], text: &str) -> (Option<Vec<Highlight>>, Vec<Highlight>) {
        let mut h = Highlighter::new(patterns);
        let fast = h
            .unfolded_terms(text)
            .then(|| merge(text, highlight_ranges(&h.tokens, patterns, &by_position)));
        h.all_terms(text);
        let general = merge(text, highlight_ranges(&h.tokens, patterns, &by_position));
        (fast, general)
    }

    #[test]
    fn the_unfolded_pass_finds_what_the_folded_pass_finds() {
        let queries = [
            "人权",
            "人权理事会",
            "贩运",
            "人口 贩运",
            "\"人权 理事会\"",
            "國際勞工組織",
            "权",
            "会",
            "联合国人权",
            "宗教自由",
            "\"人口贩运\"",
            "理事会 -美国",
            "human rights",
            "\"Human Rights Council\"",
            "2021",
            "２０２１ 人权",
            "Council's",
        ];
        let texts = [
            "美国将在人权理事会中，继续推动人权。",
            "人权 理事会与人权\n理事会，人权，理事会。",
            "國際勞工組織（劳工组织）：人口贩运、贩运人口！",
            "——“人权”《理事会》【人口】贩运……",
            "权权权，会会 会。人",
            "",
            "。，",
            "联合国人权事务高级专员办事处（人权高专办）",
            "人权2021理事会，3.5% of 人权 Council's 人口 贩运 2nd 會",
            "第1条 人权理事会（A/HRC/46/1）... 人权",
            "人权 rights 理事会",
            "The Human Rights Council's 2021 session; human-rights councils, 2,021 RIGHTS.",
        ];
        let mut compared = 0;
        for q in queries {
            let patterns = patterns_of(q);
            for t in texts {
                let (fast, general) = both_ways(&patterns, t);
                assert_eq!(fast.as_ref(), Some(&general), "{q} in {t}");
                compared += 1;
            }
            // Where folding would move boundaries, the unfolded pass declines.
            for t in ["人權\u{2028}理事会", "人权ｒ", "人权･会", "人权①"] {
                assert_eq!(both_ways(&patterns, t).0, None, "{q} in {t}");
            }
        }
        assert_eq!(compared, queries.len() * texts.len());
    }

    /// The highlights through the plain scan, `None` where the query needs positions.
    fn plain_way(patterns: &[Pattern], text: &str) -> Option<Vec<Highlight>> {
        let mut h = Highlighter::new(patterns);
        h.plain.is_some().then(|| h.highlights(text, true))
    }

    #[test]
    fn the_plain_scan_finds_what_the_folded_pass_finds() {
        // Queries whose every sequence is one term or Han only.
        let single = [
            "人权",
            "贩运",
            "人口 贩运",
            "权",
            "會",
            "勞動",
            "理事 -美国",
            "human rights",
            "\"Human\"",
            "2021",
            "２０２１ 人权",
            "Council's",
            "DNA 人",
            "人权理事会",
            "\"人口贩运\"",
            "宗教自由",
            "国际劳工组织",
            "國際勞工組織",
            "\"人权 理事会\"",
            "联合国人权 -理事会",
            "美国将继续",
            "\"理、并\"",
            "\"县（市）\"",
            "\"立法-行政\"",
        ];
        let shipped = include_str!("../../../../index-data/us-hrc-pledges-2021.zh.txt");
        let mut texts: Vec<&str> = shipped.split("\n\n").collect();
        texts.extend([
            "美国将在人权理事会中，继续推动人权。",
            "人权 理事会与人权\n理事会，人权，理事会。人　权 理事\t会",
            "國際勞工組織（劳工组织）：人口贩运、贩运人口！勞 動，劳动",
            "——“人权”《理事会》【人口】贩运……",
            "权权权，会会 会。人",
            "",
            "人权2021理事会，3.5% of 人权 Council's 人口 贩运 2nd 會 DNA-based dna's",
            "The Human Rights Council's 2021 session; human-rights councils, 2,021 RIGHTS.",
            "处理，并；理并；理 并；理 ，并；理2并；理a，并；县（市）、县（2）市；立法——行政",
        ]);
        let mut compared = 0;
        for q in single {
            let patterns = patterns_of(q);
            for t in &texts {
                if !crate::analysis::is_plain(t) {
                    continue;
                }
                let plain = plain_way(&patterns, t);
                assert!(plain.is_some(), "{q} takes the plain scan");
                assert_eq!(plain, Some(both_ways(&patterns, t).1), "{q} in {t}");
                compared += 1;
            }
        }
        // Most of the shipped document is plain, and so are all but one of the texts above.
        assert!(compared > single.len() * texts.len() * 9 / 10, "{compared}");
        // Sequences of words in letters need positions: those queries read the whole text.
        for q in [
            "\"human rights\"",
            "human-rights",
            "DNA指纹",
            "\"Human Rights Council\"",
        ] {
            assert_eq!(plain_way(&patterns_of(q), "human rights"), None, "{q}");
        }
    }

    #[test]
    fn a_quoted_phrase_with_punctuation_is_highlighted_across_it_in_every_hit() {
        // The index holds no punctuation: `"理、并"` is 理, then 并 where the next run
        // starts, which finds `理，并` too. The paragraphs that hold both characters of a
        // phrase are the ones it could match; the law paragraphs of `县（市）` and `设，满`
        // start at the 13,055th.
        let pairs = [('理', '并'), ('设', '满'), ('县', '市'), ('款', '并')];
        let laws: Vec<String> = crate::search::test_corpus::texts("prc-laws.zh.jsonl.gz", 25_000)
            .into_iter()
            .filter(|t| pairs.iter().any(|&(a, b)| t.contains(a) && t.contains(b)))
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let mut builder = crate::IndexBuilder::create(dir.path()).unwrap();
        builder
            .add_paragraphs(
                "laws",
                &crate::search::test_corpus::paragraphs("laws", &laws),
            )
            .unwrap();
        let shipped = include_str!("../../../../index-data/us-hrc-pledges-2021.zh.txt");
        builder.add_text("pledges", shipped).unwrap();
        builder.commit().unwrap();
        let searcher = crate::Index::open(dir.path()).unwrap().searcher();
        for (query, first, last) in [
            ("\"理、并\"", "理", "并"),
            ("\"设，满\"", "设", "满"),
            ("\"县（市）\"", "县", "市"),
            ("\"款，并\"", "款", "并"),
            ("\"立法-行政\"", "立法", "行政"),
        ] {
            let results = searcher.search(query, 100_000).unwrap();
            assert_eq!(results.hits.len(), results.total_hits, "{query}");
            assert!(results.total_hits >= 1, "{query} finds nothing");
            // From the first character to the last, with punctuation between; or one Han
            // character, which the phrase over the gram field matches too (`县级市`: its
            // positions are those of `县（市`).
            let spans = |text: &str, highlights: &[Highlight]| {
                highlights.iter().any(|h| {
                    let gap = text[h.start..h.end]
                        .strip_prefix(first)
                        .and_then(|rest| rest.strip_suffix(last));
                    gap.is_some_and(|gap| {
                        let mut chars = gap.chars();
                        let one_han = chars.next().is_some_and(crate::analysis::is_han)
                            && chars.next().is_none();
                        one_han || (!gap.is_empty() && !gap.chars().any(char::is_alphanumeric))
                    })
                })
            };
            for hit in &results.hits {
                assert!(
                    spans(&hit.text, &hit.highlights),
                    "{query}: {:?} in {}",
                    hit.highlights,
                    hit.text
                );
                let shown = &hit.snippet;
                assert!(spans(&shown.text, &shown.highlights), "{query}: {shown}");
            }
        }
    }

    #[test]
    fn the_unfolded_pass_on_the_shipped_document() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../index-data/us-hrc-pledges-2021.zh.txt"
        ))
        .unwrap();
        let mut fast_ones = 0;
        for q in [
            "人权",
            "人口贩运",
            "贩",
            "美国",
            "国际劳工组织",
            "2021",
            "human rights council",
            "A/76",
            "\"促进和保护\"",
        ] {
            let patterns = patterns_of(q);
            for line in text.lines() {
                let (fast, general) = both_ways(&patterns, line);
                if let Some(fast) = fast {
                    assert_eq!(fast, general, "{q} in {line}");
                    fast_ones += 1;
                }
            }
        }
        assert!(fast_ones > 100, "{fast_ones} lines took the unfolded pass");
    }

    #[test]
    fn plain_punctuation_folds_to_punctuation() {
        let mut wrong = Vec::new();
        for cp in 0..0x1_0000u32 {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            if !crate::analysis::is_plain_punctuation(c) {
                continue;
            }
            let folded = Folded::new(&c.to_string()).text().to_owned();
            let plain = !unicode_normalization::char::is_combining_mark(c)
                && !folded.is_empty()
                && folded.chars().all(|f| {
                    crate::analysis::classify(f) == crate::analysis::CharClass::Other
                        && !f.is_whitespace()
                });
            if !plain {
                wrong.push(format!("U+{cp:04X} -> {folded:?}"));
            }
        }
        assert!(wrong.is_empty(), "{wrong:?}");
    }
}
