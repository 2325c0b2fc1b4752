//! Normalisation with an offset map back to the original text.
//!
//! Folding is done *before* segmentation, so that jieba sees simplified, half-width,
//! lower-case text, the same at index and at query time. Each folded character remembers
//! the byte range of the original character (or character cluster) it came from, so a
//! token found in the folded text is reported with offsets into the original: highlights
//! stay exact even for traditional or full-width input.
//!
//! The steps, per character cluster (a base character and its combining marks):
//! 1. NFKC: full-width and half-width forms, compatibility ideographs, ligatures;
//! 2. traditional to simplified Chinese, character by character (see `build.rs` for why
//!    not phrase by phrase);
//! 3. lower-casing.

use unicode_normalization::UnicodeNormalization;

include!(concat!(env!("OUT_DIR"), "/t2s.rs"));

/// Whether `c` belongs to the cluster of the character before it: a combining mark, or a
/// half-width katakana sound mark (`ﾞ`, `ﾟ`), which NFKC turns into a combining one —
/// folded alone, `ﾊﾟ` would give `ハ` + U+309A, which folds again to `パ`.
fn joins_cluster(c: char) -> bool {
    unicode_normalization::char::is_combining_mark(c) || matches!(c, '\u{FF9E}' | '\u{FF9F}')
}

/// Maps a traditional Han character to its simplified form; any other character is returned
/// unchanged.
///
/// ```
/// assert_eq!(zhen::analysis::to_simplified('國'), '国');
/// assert_eq!(zhen::analysis::to_simplified('国'), '国');
/// assert_eq!(zhen::analysis::to_simplified('a'), 'a');
/// ```
pub fn to_simplified(c: char) -> char {
    if (c as u32) < 0x3400 {
        return c;
    }
    match T2S.binary_search_by_key(&c, |&(t, _)| t) {
        Ok(i) => T2S[i].1,
        Err(_) => c,
    }
}

/// Folded text plus, for every byte of it, the original byte range it came from.
#[derive(Debug, Default, Clone)]
pub struct Folded {
    text: String,
    /// `orig_start[b]`: start, in the original, of the cluster that folded byte `b` comes from.
    orig_start: Vec<u32>,
    /// `orig_end[b]`: end, in the original, of that cluster.
    orig_end: Vec<u32>,
}

impl Folded {
    /// Folds `original`; see the [module docs](self).
    ///
    /// ```
    /// let folded = zhen::analysis::Folded::new("國際Ｌａｂｏｕｒ１５５７");
    /// assert_eq!(folded.text(), "国际labour1557");
    /// // The folded `1557` maps back to the full-width digits.
    /// assert_eq!(folded.original_range(12, 16), (24, 36));
    /// ```
    pub fn new(original: &str) -> Folded {
        let mut folded = Folded::default();
        folded.refill(original);
        folded
    }

    /// Folds `original` into this value, reusing its buffers.
    pub fn refill(&mut self, original: &str) {
        self.text.clear();
        self.orig_start.clear();
        self.orig_end.clear();
        self.text.reserve(original.len());
        self.orig_start.reserve(original.len() + 1);
        self.orig_end.reserve(original.len() + 1);

        let mut chars = original.char_indices().peekable();
        let mut cluster = String::new();
        while let Some((start, c)) = chars.next() {
            // Fast path for the common characters that folding leaves alone or changes only
            // trivially: ASCII and the main block of unified ideographs (which NFKC never
            // changes; only traditional->simplified applies).
            let next_is_mark = chars.peek().is_some_and(|&(_, n)| joins_cluster(n));
            if !next_is_mark {
                let end = start + c.len_utf8();
                if c.is_ascii() {
                    self.push(c.to_ascii_lowercase(), start, end);
                    continue;
                }
                if ('\u{4E00}'..='\u{9FFF}').contains(&c) {
                    self.push(to_simplified(c), start, end);
                    continue;
                }
            }
            cluster.clear();
            cluster.push(c);
            let mut end = start + c.len_utf8();
            while let Some(&(i, m)) = chars.peek() {
                if !joins_cluster(m) {
                    break;
                }
                cluster.push(m);
                end = i + m.len_utf8();
                chars.next();
            }
            for n in cluster.nfkc() {
                for l in to_simplified(n).to_lowercase() {
                    self.push(l, start, end);
                }
            }
        }
        let len = original.len() as u32;
        self.orig_start.push(len);
        self.orig_end.push(len);
    }

    fn push(&mut self, c: char, start: usize, end: usize) {
        self.text.push(c);
        for _ in 0..c.len_utf8() {
            self.orig_start.push(start as u32);
            self.orig_end.push(end as u32);
        }
    }

    /// The folded text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Maps a non-empty byte range `[start, end)` of the folded text (on character
    /// boundaries) to the byte range of the original text it came from.
    pub fn original_range(&self, start: usize, end: usize) -> (usize, usize) {
        debug_assert!(start < end && end <= self.text.len());
        (
            self.orig_start[start] as usize,
            self.orig_end[end - 1] as usize,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_covers_common_characters() {
        assert!(T2S.windows(2).all(|w| w[0].0 < w[1].0));
        for (t, s) in [
            ('國', '国'),
            ('際', '际'),
            ('勞', '劳'),
            ('組', '组'),
            ('織', '织'),
            ('販', '贩'),
            ('運', '运'),
        ] {
            assert_eq!(to_simplified(t), s, "{t}");
        }
    }

    #[test]
    fn combining_marks_compose_and_map_to_the_whole_cluster() {
        let original = "cafe\u{301} X";
        let f = Folded::new(original);
        assert_eq!(f.text(), "café x");
        // `é` (2 bytes folded) covers `e` + U+0301 (3 bytes original).
        assert_eq!(f.original_range(3, 5), (3, 6));
    }

    #[test]
    fn expanding_characters_map_every_piece_to_the_source() {
        // U+3231 PARENTHESIZED IDEOGRAPH STOCK folds to "(株)".
        let f = Folded::new("a㈱b");
        assert_eq!(f.text(), "a(株)b");
        assert_eq!(f.original_range(2, 5), (1, 4));
    }
}
