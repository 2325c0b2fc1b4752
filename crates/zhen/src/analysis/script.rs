//! Script detection: which segmenter a character belongs to.

/// The class of a (folded) character, deciding how the segmenter treats it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CharClass {
    /// A Han ideograph: segmented by jieba.
    Han,
    /// A letter of another script (Latin, Cyrillic, kana, …) or a combining mark: words.
    Letter,
    /// A decimal digit: numbers.
    Digit,
    /// White space, punctuation, symbols: separators, never tokens.
    Other,
}

/// The language of a paragraph, as zhen detects it from the scripts of its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Lang {
    /// Chinese: Han characters make up a fair share of the text.
    Zh,
    /// English (or another language in letters): letters, few or no Han characters.
    En,
    /// Neither letters nor Han characters (numbers, symbols, nothing).
    Und,
}

impl Lang {
    /// The language's code: `zh`, `en` or `und`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
            Lang::Und => "und",
        }
    }

    /// The language of a code (`zh`, `en`, `und`; case-insensitive), if zhen knows it.
    ///
    /// ```
    /// use zhen::Lang;
    /// assert_eq!(Lang::from_code("ZH"), Some(Lang::Zh));
    /// assert_eq!(Lang::En.code(), "en");
    /// assert_eq!(Lang::from_code("fr"), None);
    /// ```
    pub fn from_code(code: &str) -> Option<Lang> {
        match code.to_ascii_lowercase().as_str() {
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            "und" => Some(Lang::Und),
            _ => None,
        }
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// Detects a paragraph's language from its Han share: Chinese when Han characters weigh at
/// least as much as the letters, a Han character counting as four letters (about what an
/// English word of five letters and a Chinese word of one or two characters carry). So
/// `线上 and 线下` inside Chinese text stays Chinese, and a Chinese name in an English
/// sentence stays English.
///
/// Detection only labels the paragraph (for `--lang` and the `lang` of hits): the analyzer
/// already treats each run of text by its own script, jieba for Han and the English
/// pipeline for letters, so mixed text gets both.
///
/// ```
/// use zhen::analysis::{detect_lang, Lang};
/// assert_eq!(detect_lang("美国承诺打击人口贩运。"), Lang::Zh);
/// assert_eq!(detect_lang("The United States combats human trafficking."), Lang::En);
/// assert_eq!(detect_lang("在线上 and 线下"), Lang::Zh);
/// assert_eq!(detect_lang("2021-2024"), Lang::Und);
/// ```
pub fn detect_lang(text: &str) -> Lang {
    let (mut han, mut letters) = (0usize, 0usize);
    for c in text.chars() {
        if is_han(c) {
            han += 1;
        } else if c.is_alphabetic() {
            letters += 1;
        }
    }
    if han == 0 && letters == 0 {
        Lang::Und
    } else if han * 4 >= letters {
        Lang::Zh
    } else {
        Lang::En
    }
}

/// Whether `c` is a Han ideograph (unified, extension or compatibility block, or `〇`).
pub fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3007
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xF900..=0xFAFF
        | 0x20000..=0x2A6DF
        | 0x2A700..=0x2EBEF
        | 0x2F800..=0x2FA1F
        | 0x30000..=0x323AF)
}

pub(crate) fn classify(c: char) -> CharClass {
    if c.is_ascii() {
        return if c.is_ascii_alphabetic() {
            CharClass::Letter
        } else if c.is_ascii_digit() {
            CharClass::Digit
        } else {
            CharClass::Other
        };
    }
    if is_han(c) {
        return CharClass::Han;
    }
    classify_other(c)
}

/// `classify` for a character that is neither ASCII nor Han.
fn classify_other(c: char) -> CharClass {
    // The punctuation of Chinese text (、。《》「」“” …) is common and would otherwise
    // take the slow paths of the Unicode property tables below.
    if matches!(c as u32, 0x2010..=0x2027 | 0x2030..=0x205E | 0x3001..=0x3004 | 0x3008..=0x3020) {
        return CharClass::Other;
    }
    if c.is_numeric() {
        CharClass::Digit
    } else if c.is_alphabetic() || unicode_normalization::char::is_combining_mark(c) {
        CharClass::Letter
    } else {
        CharClass::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_punctuation_shortcut_agrees_with_the_unicode_tables() {
        for cp in (0x2010..=0x205E).chain(0x3001..=0x3020) {
            let c = char::from_u32(cp).unwrap();
            let slow = if c.is_numeric() {
                CharClass::Digit
            } else if c.is_alphabetic() || unicode_normalization::char::is_combining_mark(c) {
                CharClass::Letter
            } else {
                CharClass::Other
            };
            if !is_han(c) {
                assert_eq!(classify(c), slow, "U+{cp:04X}");
            }
        }
    }
}
