//! Bytes to text: reading source files and detecting their encoding; JSON Lines corpora
//! ([`Records`]).
//!
//! Nothing downstream of this module sees bytes. The encoding is decided from the bytes
//! themselves, never from the file name:
//!
//! 1. a byte-order mark decides UTF-8, UTF-16LE or UTF-16BE;
//! 2. otherwise valid UTF-8 is UTF-8 (a legacy-encoded Chinese text is practically never
//!    valid UTF-8, so this test is reliable);
//! 3. otherwise [`chardetng`] guesses, and zhen accepts only the legacy encodings of
//!    Chinese text (GB18030, which covers GBK and GB2312, and Big5), decoded strictly;
//! 4. when it guesses another encoding (as it does for a few characters of GBK), GB18030
//!    and Big5 are still tried strictly, and the one whose text reads as Chinese — mostly
//!    common characters, none private-use — is taken (GB18030 on a tie).
//!
//! UTF-16 without a byte-order mark is recognised by its NUL bytes, all on odd bytes
//! (little-endian) or all on even ones (big-endian). Any other file with NUL bytes, or one
//! that decodes to mostly control characters, is treated as binary and rejected: indexing
//! it would put silent garbage into the index.

mod records;

use std::path::{Path, PathBuf};

pub(crate) use records::is_invisible;
pub use records::{is_records_path, Record, Records};

use encoding_rs::{Encoding, BIG5, GB18030, UTF_16BE, UTF_16LE};

use crate::error::{Error, Result};

/// The encoding a source was decoded from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum SourceEncoding {
    /// UTF-8 without a byte-order mark.
    Utf8,
    /// UTF-8 with a byte-order mark (the mark is removed).
    Utf8Bom,
    /// UTF-16 little-endian, with a byte-order mark.
    Utf16Le,
    /// UTF-16 big-endian, with a byte-order mark.
    Utf16Be,
    /// GB18030 (a superset of GBK and GB2312).
    Gb18030,
    /// Big5 (traditional Chinese).
    Big5,
}

/// A decoded source document.
#[derive(Debug, Clone)]
pub struct SourceText {
    /// Where the text came from.
    pub path: PathBuf,
    /// The decoded text, without byte-order mark.
    pub text: String,
    /// The encoding that was detected.
    pub encoding: SourceEncoding,
}

/// Reads a file and decodes it; see the [module docs](self) for the rules.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("doc.txt");
/// std::fs::write(&path, "\u{feff}人口贩运").unwrap();
/// let source = zhen::source::read(&path).unwrap();
/// assert_eq!(source.text, "人口贩运");
/// assert_eq!(source.encoding, zhen::source::SourceEncoding::Utf8Bom);
/// ```
pub fn read(path: &Path) -> Result<SourceText> {
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    decode(path, &bytes)
}

/// Decodes the bytes of the file at `path` (the path is only used in error messages).
pub fn decode(path: &Path, bytes: &[u8]) -> Result<SourceText> {
    let fail = |reason: String| Error::Decode {
        path: path.to_path_buf(),
        reason,
    };
    let (text, encoding) = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        (utf8(rest, 3).map_err(fail)?, SourceEncoding::Utf8Bom)
    } else if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        (
            strict(UTF_16LE, rest, 2).map_err(fail)?,
            SourceEncoding::Utf16Le,
        )
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        (
            strict(UTF_16BE, rest, 2).map_err(fail)?,
            SourceEncoding::Utf16Be,
        )
    } else if let Some(utf16) = bomless_utf16(bytes) {
        utf16
    } else if let Some(nul) = memchr_nul(bytes) {
        return Err(fail(format!(
            "binary file (NUL byte at byte {nul}, no UTF-16 byte-order mark); \
             zhen indexes text files only: convert it to UTF-8 text first"
        )));
    } else {
        match std::str::from_utf8(bytes) {
            Ok(text) => (text.to_owned(), SourceEncoding::Utf8),
            Err(utf8_error) => legacy(bytes, utf8_error.valid_up_to()).map_err(fail)?,
        }
    };
    if looks_binary(&text) {
        return Err(fail(
            "mostly control characters, not text; zhen indexes text files only".to_owned(),
        ));
    }
    Ok(SourceText {
        path: path.to_path_buf(),
        text,
        encoding,
    })
}

fn utf8(bytes: &[u8], skipped: usize) -> Result<String, String> {
    std::str::from_utf8(bytes).map(str::to_owned).map_err(|e| {
        format!(
            "starts with a UTF-8 byte-order mark but has invalid UTF-8 at byte {}; \
                 re-save the file as UTF-8",
            e.valid_up_to() + skipped
        )
    })
}

/// Decodes without replacement characters; reports the byte offset of the first error.
fn strict(encoding: &'static Encoding, bytes: &[u8], skipped: usize) -> Result<String, String> {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let capacity = decoder
        .max_utf8_buffer_length_without_replacement(bytes.len())
        .ok_or_else(|| "file too large to decode".to_owned())?;
    let mut out = String::with_capacity(capacity);
    let (result, read) = decoder.decode_to_string_without_replacement(bytes, &mut out, true);
    match result {
        encoding_rs::DecoderResult::InputEmpty => Ok(out),
        encoding_rs::DecoderResult::Malformed(bad, _) => Err(format!(
            "invalid {} at byte {}; re-save the file as UTF-8",
            encoding.name(),
            skipped + read - bad as usize
        )),
        encoding_rs::DecoderResult::OutputFull => {
            Err("internal error: decode buffer too small".to_owned())
        }
    }
}

fn legacy(bytes: &[u8], utf8_valid_up_to: usize) -> Result<(String, SourceEncoding), String> {
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    let guess = detector.guess(None, chardetng::Utf8Detection::Deny);
    let gb18030 = strict(GB18030, bytes, 0).ok();
    let big5 = strict(BIG5, bytes, 0).ok();
    match (guess, gb18030, big5) {
        (g, Some(text), _) if g == GB18030 || g == encoding_rs::GBK => {
            Ok((text, SourceEncoding::Gb18030))
        }
        (g, _, Some(text)) if g == BIG5 => Ok((text, SourceEncoding::Big5)),
        (_, None, None) => Err(format!(
            "not valid UTF-8 at byte {utf8_valid_up_to}, and not GB18030/GBK or Big5 \
                 either (it looks like {}); convert it to UTF-8, e.g. `iconv -f ENCODING -t UTF-8`",
            guess.name()
        )),
        (_, gb18030, big5) => {
            // chardetng needs more text than a short file gives (`国会` in GBK looks like
            // ISO-8859-2 to it): whatever decodes strictly and reads as Chinese is taken.
            let gb_score = gb18030
                .as_deref()
                .and_then(|t| chinese_score(t, bytes, GB18030));
            let big5_score = big5.as_deref().and_then(|t| chinese_score(t, bytes, BIG5));
            match (gb18030, gb_score, big5, big5_score) {
                // A tie (bytes common in both) goes to GBK, by far the more common of the
                // two; the Big5 decoding of GBK text is usually just as valid Han.
                (Some(text), Some(gb), _, big5) if big5.is_none_or(|big5| gb >= big5) => {
                    Ok((text, SourceEncoding::Gb18030))
                }
                (_, _, Some(text), Some(_)) => Ok((text, SourceEncoding::Big5)),
                _ => Err(format!(
                    "not valid UTF-8 at byte {utf8_valid_up_to}, and it looks like {}: as \
                     GB18030/GBK or Big5 it reads as rare or private-use characters, not \
                     Chinese text; convert it to UTF-8, e.g. `iconv -f ENCODING -t UTF-8`",
                    guess.name()
                )),
            }
        }
    }
}

/// How much `text`, decoded strictly from `bytes` as `encoding` (GB18030 or Big5), reads
/// as Chinese: the number of its characters in the encoding's common block (GB2312 level
/// 1 and its punctuation; Big5's frequently used characters and symbols), or `None` when
/// it does not read as Chinese at all — fewer than three quarters of its non-ASCII
/// characters common, or any kana, private-use character, or Han character between two
/// Latin letters (a Latin-1 `Müller` reads as `M黮ler` in GBK).
///
/// Real Chinese text is almost all common characters, while the other legacy encodings,
/// and each of the two read as the other, mostly land on rare ones.
fn chinese_score(text: &str, bytes: &[u8], encoding: &'static Encoding) -> Option<usize> {
    let chars: Vec<char> = text.chars().take(64 * 1024).collect();
    for (i, &c) in chars.iter().enumerate() {
        let foreign = matches!(c, '\u{3040}'..='\u{30FF}' | '\u{E000}'..='\u{F8FF}');
        let glued = is_han(c)
            && i > 0
            && chars[i - 1].is_ascii_alphabetic()
            && chars.get(i + 1).is_some_and(char::is_ascii_alphabetic);
        if foreign || glued {
            return None;
        }
    }
    let (mut common, mut wide) = (0usize, 0usize);
    let mut rest = &bytes[..bytes.len().min(128 * 1024)];
    while let Some((&lead, tail)) = rest.split_first() {
        if lead < 0x80 {
            rest = tail;
            continue;
        }
        // GB18030's four-byte sequences (second byte a digit) are all rare characters.
        let len = match tail.first() {
            Some(b'0'..=b'9') if encoding == GB18030 => 4,
            _ => 2,
        };
        let trail = tail.first().copied().unwrap_or(0);
        wide += 1;
        let is_common = if encoding == GB18030 {
            len == 2 && matches!((lead, trail), (0xA1..=0xA3 | 0xB0..=0xD7, 0xA1..=0xFE))
        } else {
            let code = u16::from_be_bytes([lead, trail]);
            matches!(code, 0xA140..=0xA3BF | 0xA440..=0xC67E)
        };
        common += usize::from(is_common);
        rest = rest.get(len..).unwrap_or_default();
    }
    (common * 4 >= wide * 3).then_some(common)
}

fn is_han(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{3134F}')
}

/// UTF-16 without a byte-order mark, told by its NUL bytes: wherever such text has ASCII
/// (digits, punctuation, line ends), a code unit's high byte is zero, so most of its NULs
/// fall on odd bytes (little-endian) or on even ones (big-endian); the other kind only
/// where a character's low byte is zero (`一`, U+4E00). A binary file has them on both
/// alike. Taken only if it decodes strictly and reads as text: lines or words, and almost
/// only characters of the scripts and punctuation of Chinese and European text, which
/// random code units are not. Chinese text without a single ASCII character has no NUL
/// to tell it by.
fn bomless_utf16(bytes: &[u8]) -> Option<(String, SourceEncoding)> {
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    let (mut even, mut odd) = (0usize, 0usize);
    for pair in bytes.chunks_exact(2) {
        even += usize::from(pair[0] == 0);
        odd += usize::from(pair[1] == 0);
    }
    let (encoding, found) = if odd > 0 && odd >= 2 * even {
        (UTF_16LE, SourceEncoding::Utf16Le)
    } else if even > 0 && even >= 2 * odd {
        (UTF_16BE, SourceEncoding::Utf16Be)
    } else {
        return None;
    };
    let text = strict(encoding, bytes, 0).ok()?;
    let lines_or_words = text.contains(['\n', ' ', '\u{3000}']);
    let (mut total, mut plausible) = (0usize, 0usize);
    for c in text.chars().take(64 * 1024) {
        total += 1;
        plausible += usize::from(
            matches!(c,
            '\t' | '\n' | '\r' | '\x0c' | ' '..='~' | '\u{A0}'..='\u{24F}'
                | '\u{370}'..='\u{4FF}' | '\u{2000}'..='\u{206F}' | '\u{3000}'..='\u{303F}'
                | '\u{FF00}'..='\u{FFEF}')
                || is_han(c),
        );
    }
    (lines_or_words && plausible * 100 >= total * 95).then_some((text, found))
}

fn memchr_nul(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == 0)
}

/// Text whose share of control characters (other than tab, newline, carriage return and
/// form feed) exceeds 10% is binary that happened to decode.
fn looks_binary(text: &str) -> bool {
    let mut total = 0usize;
    let mut control = 0usize;
    for c in text.chars().take(64 * 1024) {
        total += 1;
        if c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c') {
            control += 1;
        }
    }
    control * 10 > total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_ok(bytes: &[u8]) -> SourceText {
        decode(Path::new("t.txt"), bytes).unwrap()
    }

    fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
        let mut out = if big_endian {
            vec![0xFE, 0xFF]
        } else {
            vec![0xFF, 0xFE]
        };
        for unit in text.encode_utf16() {
            let b = if big_endian {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            };
            out.extend_from_slice(&b);
        }
        out
    }

    const SAMPLE: &str = "美国承诺继续致力于在全世界推动尊重劳动者权利，打击人口贩运。";

    #[test]
    fn detects_each_supported_encoding() {
        let s = decode_ok(SAMPLE.as_bytes());
        assert_eq!(
            (s.text.as_str(), s.encoding),
            (SAMPLE, SourceEncoding::Utf8)
        );

        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(SAMPLE.as_bytes());
        let s = decode_ok(&bom);
        assert_eq!(
            (s.text.as_str(), s.encoding),
            (SAMPLE, SourceEncoding::Utf8Bom)
        );

        let s = decode_ok(&utf16(SAMPLE, false));
        assert_eq!(
            (s.text.as_str(), s.encoding),
            (SAMPLE, SourceEncoding::Utf16Le)
        );
        let s = decode_ok(&utf16(SAMPLE, true));
        assert_eq!(
            (s.text.as_str(), s.encoding),
            (SAMPLE, SourceEncoding::Utf16Be)
        );

        let (gb, _, unmappable) = GB18030.encode(SAMPLE);
        assert!(!unmappable);
        let s = decode_ok(&gb);
        assert_eq!(
            (s.text.as_str(), s.encoding),
            (SAMPLE, SourceEncoding::Gb18030)
        );

        let traditional = "美國承諾繼續致力於在全世界推動尊重勞動者權利，打擊人口販運。";
        let (big5, _, unmappable) = BIG5.encode(traditional);
        assert!(!unmappable);
        let s = decode_ok(&big5);
        assert_eq!(
            (s.text.as_str(), s.encoding),
            (traditional, SourceEncoding::Big5)
        );
    }

    #[test]
    fn short_gbk_and_big5_files_are_decoded_though_the_detector_guesses_otherwise() {
        // Too short for chardetng, which takes them for ISO-8859-2 or EUC-JP.
        let table: &[(&str, &'static Encoding, SourceEncoding)] = &[
            ("国会\n", GB18030, SourceEncoding::Gb18030),
            ("法律", GB18030, SourceEncoding::Gb18030),
            ("人口贩运", GB18030, SourceEncoding::Gb18030),
            ("中華民國\n", BIG5, SourceEncoding::Big5),
            ("條約", BIG5, SourceEncoding::Big5),
            ("法律", BIG5, SourceEncoding::Big5),
            ("國際勞工組織", BIG5, SourceEncoding::Big5),
        ];
        for &(text, encoding, expected) in table {
            let (bytes, _, unmappable) = encoding.encode(text);
            assert!(!unmappable);
            let s = decode(Path::new("short.txt"), &bytes)
                .unwrap_or_else(|e| panic!("{text} in {}: {e}", encoding.name()));
            assert_eq!((s.text.as_str(), s.encoding), (text, expected));
        }
    }

    #[test]
    fn other_legacy_encodings_are_still_rejected_without_calling_them_not_gbk() {
        let table: &[(&str, &'static Encoding)] = &[
            ("Müller straße ist schön", encoding_rs::WINDOWS_1252),
            ("Привет мира", encoding_rs::WINDOWS_1251),
            ("Ελληνικά", encoding_rs::ISO_8859_7),
            ("日本語のテキスト", encoding_rs::EUC_JP),
            ("日本語のテキスト", encoding_rs::SHIFT_JIS),
        ];
        for &(text, encoding) in table {
            let (bytes, _, _) = encoding.encode(text);
            let err = decode(Path::new("latin.txt"), &bytes)
                .map(|s| s.text)
                .expect_err(text)
                .to_string();
            assert!(
                err.starts_with("latin.txt: not valid UTF-8 at byte"),
                "{err}"
            );
            // These bytes are valid GBK (or Big5): the message must not deny it.
            if GB18030
                .decode_without_bom_handling_and_without_replacement(&bytes)
                .is_some()
            {
                assert!(!err.contains("not GB18030/GBK"), "{err}");
            }
            assert!(err.contains("convert it to UTF-8"), "{err}");
        }
    }

    #[test]
    fn rejects_binary_with_the_file_name() {
        let err = decode(Path::new("dir/image.png"), b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")
            .unwrap_err()
            .to_string();
        assert!(err.contains("dir/image.png"), "{err}");
        assert!(err.contains("binary"), "{err}");
    }

    #[test]
    fn utf16_without_a_byte_order_mark_is_told_by_its_nul_bytes() {
        // Such files were refused as binary.
        let shipped = include_str!("../../../../index-data/us-hrc-pledges-2021.zh.txt");
        let english = "1. Human trafficking must end.\n\n2. The Council.\n";
        for text in [shipped, english, "1. 打击人口贩运。\n"] {
            for (big_endian, expected) in [
                (false, SourceEncoding::Utf16Le),
                (true, SourceEncoding::Utf16Be),
            ] {
                let bytes = utf16(text, big_endian)[2..].to_vec();
                let s = decode_ok(&bytes);
                assert_eq!((s.text.as_str(), s.encoding), (text, expected));
            }
        }
        // Binary data is still refused: NULs on both kinds of byte, or ones that decode to
        // control characters, or to no line or word at all.
        let mut words = Vec::new();
        for n in 0u32..2000 {
            words.extend_from_slice(&n.to_le_bytes());
        }
        let controls: Vec<u8> = (0..400u16).flat_map(|n| (n % 32).to_le_bytes()).collect();
        let no_break: Vec<u8> = "abcdefgh"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        for bytes in [
            words,
            controls,
            no_break,
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(),
        ] {
            let err = decode(Path::new("blob.bin"), &bytes)
                .unwrap_err()
                .to_string();
            assert!(err.contains("blob.bin") && err.contains("binary"), "{err}");
        }
    }

    #[test]
    fn rejects_undecodable_bytes_with_offset() {
        // Bytes that are neither UTF-8 nor a valid multi-byte sequence of GB18030/Big5.
        let err = decode(Path::new("bad.txt"), b"abc\xFF\xFF\xFF\xFFdef")
            .unwrap_err()
            .to_string();
        assert!(err.contains("bad.txt"), "{err}");
        assert!(err.contains("byte 3"), "{err}");
    }

    #[test]
    fn rejects_broken_utf16() {
        // An unpaired high surrogate.
        let err = decode(Path::new("u16.txt"), &[0xFF, 0xFE, 0x00, 0xD8, 0x41, 0x00])
            .unwrap_err()
            .to_string();
        assert!(err.contains("UTF-16LE"), "{err}");
    }
}
