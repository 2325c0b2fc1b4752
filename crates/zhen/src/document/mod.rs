//! Text to paragraphs: the structure of a UN document.
//!
//! A UN document in plain text is a sequence of blocks separated by blank lines:
//!
//! * a metadata block in Latin script (`Distr.: General`, the date, the language lines); in
//!   an English document, whose every block is in Latin script, the cover blocks that name
//!   the document (`Distr.`, a document symbol such as `A/79/123`);
//! * the session line (`第七十六届会议`) and the agenda line (`议程项目 116(d)`);
//! * titles (the document title, annex titles), unnumbered paragraphs;
//! * numbered paragraphs `N. …`, grouped under section headings (`承诺在…`).
//!
//! Page breaks cut paragraphs: the rest of the paragraph follows after a blank line,
//! without a number. [`parse`] joins such a continuation back onto the paragraph it belongs
//! to (with no space between CJK characters), so it never becomes a paragraph of its own.

mod split;

pub use split::MAX_PART_BYTES;
pub(crate) use split::{part_count, parts};

use serde::Serialize;

/// What kind of block a [`Paragraph`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum BlockKind {
    /// The metadata block at the top (`Distr.: General`, date, languages): in a Chinese
    /// document, the Latin-script blocks before the Chinese text; in an English one, the
    /// cover blocks with a `Distr.` line or a document symbol (`A/79/123`).
    Metadata,
    /// The session line, e.g. `第七十六届会议`.
    Session,
    /// The agenda item line, e.g. `议程项目 116(d)`.
    Agenda,
    /// A title before the first numbered paragraph (document or annex title).
    Title,
    /// A section heading among the numbered paragraphs.
    Heading,
    /// A paragraph of running text, numbered or not.
    Paragraph,
}

impl BlockKind {
    /// The lower-case name used in the index and in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            BlockKind::Metadata => "metadata",
            BlockKind::Session => "session",
            BlockKind::Agenda => "agenda",
            BlockKind::Title => "title",
            BlockKind::Heading => "heading",
            BlockKind::Paragraph => "paragraph",
        }
    }

    /// Parses [`BlockKind::as_str`]'s output back.
    pub fn from_name(name: &str) -> Option<BlockKind> {
        Some(match name {
            "metadata" => BlockKind::Metadata,
            "session" => BlockKind::Session,
            "agenda" => BlockKind::Agenda,
            "title" => BlockKind::Title,
            "heading" => BlockKind::Heading,
            "paragraph" => BlockKind::Paragraph,
            _ => return None,
        })
    }
}

impl std::fmt::Display for BlockKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One block of a document: the unit zhen indexes and returns.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Paragraph {
    /// The document id (by default the source file name without its last extension).
    pub doc: String,
    /// 0-based position of the block in its document.
    pub ordinal: u32,
    /// The printed paragraph number, for numbered paragraphs.
    pub number: Option<u32>,
    /// The heading or title the block sits under, if any.
    pub section: Option<String>,
    /// What kind of block this is.
    pub kind: BlockKind,
    /// The text, without the paragraph number, with page-break continuations joined.
    pub text: String,
    /// 1-based line in the source where the block starts.
    pub line: u32,
    /// Extra scalar fields, for paragraphs from JSON Lines records.
    pub metadata: serde_json::Map<String, serde_json::Value>,
    /// The language, detected from the text ([`detect_lang`](crate::analysis::detect_lang)).
    pub lang: crate::analysis::Lang,
}

impl Paragraph {
    /// An unnumbered paragraph of running text, for callers with their own document model
    /// (see [`IndexBuilder::add_paragraphs`](crate::IndexBuilder::add_paragraphs)).
    pub fn new(doc: impl Into<String>, ordinal: u32, text: impl Into<String>) -> Paragraph {
        let text = text.into();
        Paragraph {
            doc: doc.into(),
            ordinal,
            number: None,
            section: None,
            kind: BlockKind::Paragraph,
            lang: crate::analysis::detect_lang(&text),
            text,
            line: 0,
            metadata: serde_json::Map::new(),
        }
    }

    /// Sets the printed paragraph number.
    pub fn with_number(mut self, number: u32) -> Paragraph {
        self.number = Some(number);
        self
    }

    /// Sets the source line.
    pub fn with_line(mut self, line: u32) -> Paragraph {
        self.line = line;
        self
    }

    /// Sets the metadata.
    pub fn with_metadata(
        mut self,
        metadata: serde_json::Map<String, serde_json::Value>,
    ) -> Paragraph {
        self.metadata = metadata;
        self
    }

    /// Sets the section heading.
    pub fn with_section(mut self, section: impl Into<String>) -> Paragraph {
        self.section = Some(section.into());
        self
    }
}

/// A run of non-blank lines, before classification.
struct Block {
    line: u32,
    lines: Vec<String>,
}

/// Longest block, in characters, that may still be a title or heading.
const MAX_HEADING_CHARS: usize = 80;

/// Splits a document's text into [`Paragraph`]s.
///
/// ```
/// let text = "Distr.: General\n\n第七十六届会议\n\n标题\n\n1. 第一段，被分页\n\n打断。\n\n2. 第二段。";
/// let paragraphs = zhen::document::parse("doc", text);
/// let numbered: Vec<_> = paragraphs.iter().filter(|p| p.number.is_some()).collect();
/// assert_eq!(numbered.len(), 2);
/// assert_eq!(numbered[0].text, "第一段，被分页打断。");
/// assert_eq!(numbered[0].section.as_deref(), Some("标题"));
/// ```
pub fn parse(doc: &str, text: &str) -> Vec<Paragraph> {
    let mut out: Vec<Paragraph> = Vec::new();
    let mut section: Option<String> = None;
    let mut seen_numbered = false;
    let mut seen_han = false;
    // In a Chinese document the Latin blocks before the Chinese text are its English
    // cover page; in an English document every block is Latin, and that rule would make
    // the whole document metadata, titles and headings included.
    let chinese = is_chinese(text);
    // An English document's cover blocks come first: once a block of another kind came,
    // none is metadata.
    let mut on_cover = true;

    for block in blocks(text) {
        let first = block.lines[0].as_str();
        let numbered = paragraph_number(first);

        if numbered.is_none() && is_continuation(out.last(), first) {
            let previous = out.last_mut().expect("is_continuation checked");
            for line in &block.lines {
                join_into(&mut previous.text, line);
            }
            continue;
        }

        let block_has_han = block.lines.iter().any(|l| l.chars().any(is_han));
        let (kind, number, body) = if let Some((number, rest)) = numbered {
            seen_numbered = true;
            let mut body = rest.to_owned();
            for line in &block.lines[1..] {
                join_into(&mut body, line);
            }
            (BlockKind::Paragraph, Some(number), body)
        } else if match chinese {
            true => !seen_han && !block_has_han,
            false => on_cover && block.lines.iter().any(|l| is_cover_line(l)),
        } {
            (BlockKind::Metadata, None, block.lines.join("\n"))
        } else {
            let body = joined(&block.lines);
            (classify_block(first, &body, seen_numbered), None, body)
        };
        seen_han |= block_has_han;
        on_cover &= kind == BlockKind::Metadata;

        let own_section = match kind {
            BlockKind::Title | BlockKind::Heading => {
                section = Some(body.clone());
                None
            }
            BlockKind::Paragraph => section.clone(),
            _ => None,
        };
        out.push(Paragraph {
            doc: doc.to_owned(),
            ordinal: out.len() as u32,
            number,
            section: own_section,
            kind,
            lang: crate::analysis::detect_lang(&body),
            text: body,
            line: block.line,
            metadata: serde_json::Map::new(),
        });
    }
    out
}

/// Whether a document is Chinese: its Han characters weigh at least as much as its Latin
/// letters, as in [`detect_lang`](crate::analysis::detect_lang) (a Han character counting
/// as four letters). The shipped document, Chinese but for its English cover block, is;
/// an English report quoting a Chinese name is not.
fn is_chinese(text: &str) -> bool {
    let (mut han, mut latin) = (0usize, 0usize);
    for c in text.chars() {
        if is_han(c) {
            han += 1;
        } else if crate::analysis::is_latin_letter(c) {
            latin += 1;
        }
    }
    han > 0 && han * 4 >= latin
}

/// A line of an English document's cover page: the distribution line (`Distr.: General`),
/// the original language (`Original: English`) or a document symbol (`A/79/123`, `A/HRC/49/L.1`, `E/CN.6/2021/1`).
fn is_cover_line(line: &str) -> bool {
    let line = line.trim();
    line.starts_with("Distr.")
        || line.starts_with("Original:")
        || (line.starts_with(|c: char| c.is_ascii_uppercase())
            && line.contains('/')
            && line
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '-' | '(' | ')')))
}

/// The session line (`第七十六届会议`, `Seventy-ninth session`) or the agenda line
/// (`议程项目 116(d)`, `Agenda item 116 (d)`, `Item 68 of the provisional agenda`).
fn session_or_agenda(line: &str) -> Option<BlockKind> {
    let trimmed = line.trim();
    let lower = trimmed.to_lowercase();
    if (trimmed.starts_with('第') && trimmed.ends_with("届会议"))
        || (lower.ends_with(" session") && trimmed.chars().count() < 40)
    {
        return Some(BlockKind::Session);
    }
    if trimmed.starts_with("议程项目")
        || lower.starts_with("agenda item")
        || (lower.starts_with("item ") && lower.contains("agenda") && trimmed.len() < 80)
    {
        return Some(BlockKind::Agenda);
    }
    None
}

/// The kind of an unnumbered block that is not metadata: its first line may make it the
/// session (an English cover writes `Seventy-ninth session` and `Item 68 of the
/// provisional agenda` as one block), else its text as a whole decides.
fn classify_block(first_line: &str, body: &str, seen_numbered: bool) -> BlockKind {
    match session_or_agenda(first_line) {
        Some(kind) => kind,
        None => classify(body, seen_numbered),
    }
}

fn classify(body: &str, seen_numbered: bool) -> BlockKind {
    let trimmed = body.trim();
    if let Some(kind) = session_or_agenda(trimmed) {
        return kind;
    }
    let short = trimmed.chars().count() <= MAX_HEADING_CHARS;
    if short && !ends_sentence(trimmed) {
        return if seen_numbered {
            BlockKind::Heading
        } else {
            BlockKind::Title
        };
    }
    BlockKind::Paragraph
}

/// A block continues the previous paragraph when that paragraph stops mid-sentence: the
/// page break fell inside it.
fn is_continuation(previous: Option<&Paragraph>, first_line: &str) -> bool {
    let Some(previous) = previous else {
        return false;
    };
    previous.kind == BlockKind::Paragraph
        && !ends_sentence(previous.text.trim_end())
        && !first_line.trim().is_empty()
}

fn ends_sentence(text: &str) -> bool {
    text.chars().last().is_some_and(|c| {
        matches!(
            c,
            '。' | '！'
                | '？'
                | '；'
                | '：'
                | '.'
                | '!'
                | '?'
                | ';'
                | ':'
                | '”'
                | '"'
                | '」'
                | '』'
                | '…'
        )
    })
}

/// Recognises `12. text` and `１２． text`; returns the number and the rest of the line.
fn paragraph_number(line: &str) -> Option<(u32, &str)> {
    let mut number: u32 = 0;
    let mut digits = 0;
    let mut rest = line;
    for (i, c) in line.char_indices() {
        let d = match c {
            '0'..='9' => c as u32 - '0' as u32,
            '０'..='９' => c as u32 - '０' as u32,
            '.' | '．' if digits > 0 => {
                rest = &line[i + c.len_utf8()..];
                break;
            }
            _ => return None,
        };
        digits += 1;
        if digits > 4 {
            return None;
        }
        number = number * 10 + d;
    }
    if digits == 0 || rest.len() == line.len() {
        return None;
    }
    // "1.5 million" is not a paragraph number: the marker must be followed by white space.
    if !rest.starts_with(|c: char| c.is_whitespace()) {
        return None;
    }
    let rest = rest.trim_start();
    (!rest.is_empty()).then_some((number, rest))
}

fn joined(lines: &[String]) -> String {
    let mut body = String::new();
    for line in lines {
        join_into(&mut body, line);
    }
    body
}

/// Appends a line, with a space between them unless both sides of the join are CJK
/// (where a space would be a character the author never wrote, and would break phrases).
fn join_into(body: &mut String, line: &str) {
    let line = line.trim();
    if line.is_empty() {
        return;
    }
    let need_space = match (body.chars().last(), line.chars().next()) {
        (None, _) => false,
        (Some(a), Some(b)) => !(is_cjk_joinable(a) && is_cjk_joinable(b)),
        _ => false,
    };
    if need_space {
        body.push(' ');
    }
    body.push_str(line);
}

fn is_cjk_joinable(c: char) -> bool {
    is_han(c) || matches!(c as u32, 0x3000..=0x303F | 0xFF00..=0xFFEF)
}

pub(crate) fn is_han(c: char) -> bool {
    crate::analysis::is_han(c)
}

/// The lines of `text`, each ended by `\n`, `\r\n` or a lone `\r` (files saved by classic
/// Mac OS tools, which would otherwise be one line: one paragraph of the whole document).
/// Line-based files read beside documents (qrels) split the same way, so that a file saved
/// by the same tool reads the same.
pub(crate) fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let s = rest?;
        match s.find(['\n', '\r']) {
            Some(i) => {
                let end = if s[i..].starts_with("\r\n") {
                    i + 2
                } else {
                    i + 1
                };
                rest = Some(&s[end..]);
                Some(&s[..i])
            }
            None => {
                rest = None;
                Some(s)
            }
        }
    })
}

fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut current: Option<Block> = None;
    for (i, raw) in lines(text).enumerate() {
        // A form feed is a page break: it ends the block like a blank line does.
        for (j, line) in raw.split('\x0c').enumerate() {
            // A line of only invisible characters (zero-width spaces an export left) is
            // blank too: as a block it was a paragraph nothing could find.
            let blank = line.chars().all(crate::source::is_invisible);
            if j > 0 || blank {
                if let Some(block) = current.take() {
                    out.push(block);
                }
            }
            if !blank {
                current
                    .get_or_insert_with(|| Block {
                        line: i as u32 + 1,
                        lines: Vec::new(),
                    })
                    .lines
                    .push(line.trim().to_owned());
            }
        }
    }
    out.extend(current);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_invisible_characters_are_blank() {
        // Zero-width spaces an export left between paragraphs: the lines between were a
        // block of their own, a paragraph of nothing; a file of them, a document of one.
        let text = "1. 第一段。\n\u{200B}\n\u{200B}\u{FEFF} \n2. 第二段。\n";
        let texts: Vec<String> = parse("d", text).into_iter().map(|p| p.text).collect();
        assert_eq!(texts, ["第一段。", "第二段。"]);
        assert!(parse("d", "\u{200B}\n\u{200B}\u{200B}\n").is_empty());
    }

    #[test]
    fn paragraph_numbers() {
        assert_eq!(paragraph_number("12. 美国"), Some((12, "美国")));
        assert_eq!(paragraph_number("１２． 美国"), Some((12, "美国")));
        assert_eq!(paragraph_number("1.5 million"), None);
        assert_eq!(paragraph_number("2021年"), None);
        assert_eq!(paragraph_number("12."), None);
        assert_eq!(paragraph_number("Distr.: General"), None);
    }

    #[test]
    fn joins_continuations_without_space_between_cjk_only() {
        let text = "1. 公共卫生问\n\n题，必须采取。\n\n2. online\n\nand offline.";
        let p = parse("d", text);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].text, "公共卫生问题，必须采取。");
        assert_eq!(p[1].text, "online and offline.");
    }

    #[test]
    fn sentence_end_is_not_continued() {
        let p = parse("d", "标题\n\n1. 完整的一段。\n\n承诺在某处\n\n2. 下一段。");
        let kinds: Vec<_> = p.iter().map(|p| p.kind).collect();
        assert_eq!(
            kinds,
            [
                BlockKind::Title,
                BlockKind::Paragraph,
                BlockKind::Heading,
                BlockKind::Paragraph
            ]
        );
        assert_eq!(p[3].section.as_deref(), Some("承诺在某处"));
    }

    #[test]
    fn crlf_and_form_feed() {
        let p = parse("d", "标题\r\n\r\n1. 第一段\x0c第一段续。\r\n");
        assert_eq!(p.len(), 2);
        assert_eq!(p[1].text, "第一段第一段续。");
    }

    #[test]
    fn lone_carriage_returns_end_lines_as_line_feeds_do() {
        // A file saved with CR line ends was one paragraph, `\r\r2. …` inside its text.
        let shipped = include_str!("../../../../index-data/us-hrc-pledges-2021.zh.txt");
        let expected = parse("d", shipped);
        assert!(expected.len() > 30);
        for ends in ["\r", "\r\n"] {
            let text = shipped.replace('\n', ends);
            let got = parse("d", &text);
            let texts = |p: &[Paragraph]| -> Vec<(Option<u32>, String, u32)> {
                p.iter()
                    .map(|p| (p.number, p.text.clone(), p.line))
                    .collect()
            };
            assert_eq!(texts(&got), texts(&expected), "{ends:?}");
        }
    }

    #[test]
    fn an_english_cover_page_has_its_original_language_session_and_agenda() {
        // `Original: English` was a title, and the session and agenda block (as UN covers
        // write them, one block) a title too.
        let text = "\
Distr.: General
12 August 2024

Original: English

Seventy-ninth session
Item 68 of the provisional agenda

Promotion and protection of human rights

1. The present report is submitted pursuant to resolution 78/180.
";
        let kinds: Vec<BlockKind> = parse("d", text).into_iter().map(|p| p.kind).collect();
        assert_eq!(
            kinds,
            [
                BlockKind::Metadata,
                BlockKind::Metadata,
                BlockKind::Session,
                BlockKind::Title,
                BlockKind::Paragraph
            ]
        );
        let agenda = parse("d", "Item 68 of the provisional agenda\n\n1. Text.");
        assert_eq!(agenda[0].kind, BlockKind::Agenda);
    }

    #[test]
    fn an_english_document_has_titles_headings_and_sections() {
        // Every unnumbered block of it was metadata, and no paragraph had a section: the
        // rule for the English cover block of a Chinese document took it all.
        let report = "\
United Nations
A/79/123

General Assembly
Seventy-ninth session

Report of the Secretary-General on Human Trafficking

Introduction

1. Human trafficking remains one of the gravest violations of human rights. Traffickers \
exploit women, children and migrants in Côte d’Ivoire, Türkiye and São Tomé and Príncipe.

2. The well-being of survivors is paramount. The State’s obligations under the U.N. \
Protocol (2000) are clear; the U.S. and the EU have trafficked-persons programmes.

Recommendations

3. Member States should adopt a victim-centred approach and strengthen the 2030 \
Agenda’s target 16.2, with COVID-19 recovery funds worth $1.5 billion.
";
        let blocks = |text: &str| -> Vec<(BlockKind, Option<u32>, Option<String>)> {
            parse("d", text)
                .into_iter()
                .map(|p| (p.kind, p.number, p.section))
                .collect()
        };
        let section = |s: &str| Some(s.to_owned());
        let expected = [
            (BlockKind::Metadata, None, None),
            (BlockKind::Session, None, None),
            (BlockKind::Title, None, None),
            (BlockKind::Title, None, None),
            (BlockKind::Paragraph, Some(1), section("Introduction")),
            (BlockKind::Paragraph, Some(2), section("Introduction")),
            (BlockKind::Heading, None, None),
            (BlockKind::Paragraph, Some(3), section("Recommendations")),
        ];
        assert_eq!(blocks(report), expected);
        // A Chinese name in it does not make it a Chinese document with an English cover.
        let quoting = report.replace("in Côte d’Ivoire", "in 中国 and Côte d’Ivoire");
        assert_eq!(blocks(&quoting), expected);
    }
}
