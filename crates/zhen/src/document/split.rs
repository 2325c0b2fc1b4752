//! Over-long paragraphs, indexed as consecutive parts.
//!
//! A "paragraph" of megabytes is not a paragraph but a file without blank lines (a 100 MB
//! single line, an export that lost its line breaks). Indexed whole it would be one tantivy
//! document whose postings, positions and jieba lattice live in memory at once (gigabytes
//! for 100 MB of Han text), and every search hitting it would fetch, highlight and snippet
//! all of it. Cut into parts of at most [`MAX_PART_BYTES`], memory stays proportional to a
//! part and each hit is a readable passage. The cost: a phrase that straddles a cut is not
//! found as a phrase, which is why cuts go at sentence ends where there are any.

use std::borrow::Cow;

use super::Paragraph;

/// The most text, in bytes, that one indexed paragraph holds; longer paragraphs are indexed
/// as several parts with the same document, number, section, kind and line.
pub const MAX_PART_BYTES: usize = 64 * 1024;

/// The paragraph itself when it is short enough, else its consecutive parts, each at most
/// [`MAX_PART_BYTES`] long; their texts concatenate to the original text.
pub(crate) fn parts(paragraph: &Paragraph) -> Vec<Cow<'_, Paragraph>> {
    if paragraph.text.len() <= MAX_PART_BYTES {
        return vec![Cow::Borrowed(paragraph)];
    }
    split_text(&paragraph.text, MAX_PART_BYTES)
        .into_iter()
        .map(|text| {
            let mut part = paragraph.clone_without_text();
            part.text = text.to_owned();
            Cow::Owned(part)
        })
        .collect()
}

/// How many parts [`parts`] makes of `paragraph`.
pub(crate) fn part_count(paragraph: &Paragraph) -> usize {
    if paragraph.text.len() <= MAX_PART_BYTES {
        1
    } else {
        split_text(&paragraph.text, MAX_PART_BYTES).len()
    }
}

/// Cuts `text` into consecutive pieces of at most `max` bytes (at least one character
/// each), preferring, in the second half of each window, a sentence end, then a clause
/// break or white space, then any character boundary.
pub(crate) fn split_text(text: &str, max: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while rest.len() > max {
        let mut end = max;
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        if end == 0 {
            // A single character longer than `max` (only for tiny `max`).
            end = rest.chars().next().map_or(rest.len(), char::len_utf8);
        }
        let window = &rest[..end];
        let half = end / 2;
        let cut_after = |pred: fn(char) -> bool| {
            window
                .char_indices()
                .rev()
                .take_while(|&(i, _)| i >= half)
                .find(|&(_, c)| pred(c))
                .map(|(i, c)| i + c.len_utf8())
        };
        let cut = cut_after(is_sentence_end)
            .or_else(|| cut_after(is_soft_break))
            .unwrap_or(end);
        out.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    if !rest.is_empty() || out.is_empty() {
        out.push(rest);
    }
    out
}

fn is_sentence_end(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '；' | '.' | '!' | '?' | ';' | '\n')
}

fn is_soft_break(c: char) -> bool {
    c.is_whitespace() || matches!(c, '，' | '、' | ',' | '：' | ':')
}

impl Paragraph {
    fn clone_without_text(&self) -> Paragraph {
        Paragraph {
            doc: self.doc.clone(),
            ordinal: self.ordinal,
            number: self.number,
            section: self.section.clone(),
            kind: self.kind,
            text: String::new(),
            line: self.line,
            lang: self.lang,
            metadata: self.metadata.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_one_part() {
        assert_eq!(split_text("人口贩运。", 64), ["人口贩运。"]);
        assert_eq!(split_text("", 64), [""]);
    }

    #[test]
    fn cuts_at_sentence_ends_then_breaks_then_anywhere() {
        let text = "第一句话在这里。第二句话也在这里。第三句。";
        let parts = split_text(text, 30);
        assert_eq!(parts.concat(), text);
        assert!(parts.iter().all(|p| p.len() <= 30), "{parts:?}");
        assert_eq!(parts[0], "第一句话在这里。");

        let parts = split_text("aaaa bbbb cccc dddd", 8);
        assert_eq!(parts, ["aaaa ", "bbbb ", "cccc ", "dddd"]);

        let han = "人".repeat(10);
        let parts = split_text(&han, 8);
        assert_eq!(parts.concat(), han);
        assert!(
            parts.iter().all(|p| p.len() == 6 || p.len() == 3),
            "{parts:?}"
        );
    }

    #[test]
    fn long_paragraphs_keep_their_identity() {
        let text = "美国承诺打击人口贩运。".repeat(10_000);
        let paragraph = Paragraph::new("d", 3, text.clone())
            .with_number(7)
            .with_line(9);
        let parts = parts(&paragraph);
        assert!(parts.len() > 1);
        let joined: String = parts.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(joined, text);
        for part in &parts {
            assert!(part.text.len() <= MAX_PART_BYTES);
            assert!(part.text.ends_with('。'));
            assert_eq!((part.number, part.ordinal, part.line), (Some(7), 3, 9));
        }
    }
}
