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
    /// Chinese: Han characters make up a fair share of the text, or it is Han text with
    /// Chinese punctuation.
    Zh,
    /// English (or another language in Latin letters): Latin letters, few or no Han
    /// characters.
    En,
    /// Neither Latin letters nor Han characters (numbers, symbols, other scripts such as
    /// Hangul or Cyrillic, nothing).
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

impl Lang {
    /// The language a record's `lang` tag names, when it is Chinese or English: a BCP 47
    /// tag or ISO 639 code, case-insensitive (`zh`, `zh-CN`, `zh_TW`, `zh-Hans`, `zho`,
    /// `en`, `en-US`, `eng`). Other tags (`fr`, `und`, ``) name none.
    ///
    /// ```
    /// use zhen::Lang;
    /// assert_eq!(Lang::from_tag("zh-Hans"), Some(Lang::Zh));
    /// assert_eq!(Lang::from_tag("EN_us"), Some(Lang::En));
    /// assert_eq!(Lang::from_tag("fr"), None);
    /// ```
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?;
        match primary.to_ascii_lowercase().as_str() {
            "zh" | "zho" | "chi" | "cmn" => Some(Lang::Zh),
            "en" | "eng" => Some(Lang::En),
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
/// least as much as the Latin letters, a Han character counting as four letters (about
/// what an English word of five letters and a Chinese word of one or two characters
/// carry). So `线上 and 线下` inside Chinese text stays Chinese, and a Chinese name in an
/// English sentence stays English.
///
/// Han text set with Chinese sentence punctuation (`，。、；：！？` and the full-width
/// parentheses `（）`) is Chinese whatever it holds in letters: a Chinese sentence listing
/// Latin names (`造成Arsen Karapetyan、Arshak Harutyunyan…等士兵死亡`) or quoting an English
/// title is still Chinese prose, and English is not typeset with these marks. Brackets such
/// as `《》` are left out: English text may quote a Chinese title in them.
///
/// Only Latin letters are English evidence: text in another script (Hangul, Greek,
/// Cyrillic, kana, …) with neither Han nor Latin letters is `und`.
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
/// assert_eq!(detect_lang("Elizabeth Verville（美国）"), Lang::Zh);
/// assert_eq!(detect_lang("Москва"), Lang::Und);
/// assert_eq!(detect_lang("2021-2024"), Lang::Und);
/// ```
pub fn detect_lang(text: &str) -> Lang {
    let (mut han, mut latin, mut chinese_punctuation) = (0usize, 0usize, false);
    for c in text.chars() {
        if is_han(c) {
            han += 1;
        } else if is_latin_letter(c) {
            latin += 1;
        } else if matches!(
            c,
            '，' | '。' | '、' | '；' | '：' | '！' | '？' | '（' | '）'
        ) {
            chinese_punctuation = true;
        }
    }
    if han == 0 && latin == 0 {
        Lang::Und
    } else if (han > 0 && chinese_punctuation) || han * 4 >= latin {
        Lang::Zh
    } else {
        Lang::En
    }
}

/// Whether `c` is a letter of the Latin script: ASCII, the accented letters of the Latin
/// supplements and extensions (`Côte d’Ivoire`, `Türkiye`, Vietnamese), and the
/// full-width forms of Chinese typesetting (`ＷＴＯ`).
pub(crate) fn is_latin_letter(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic();
    }
    matches!(c as u32,
        0xAA | 0xBA
        | 0xC0..=0x24F
        | 0x250..=0x2AF
        | 0x1E00..=0x1EFF
        | 0x2C60..=0x2C7F
        | 0xA720..=0xA7FF
        | 0xFB00..=0xFB06
        | 0xFF21..=0xFF3A
        | 0xFF41..=0xFF5A)
        && c.is_alphabetic()
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

    #[test]
    fn chinese_prose_full_of_latin_names_is_chinese() {
        // From the UN parallel corpus, where the record says `zh`; the names outweighed
        // the Han characters four to one, and the sentence was tagged `en`.
        let zh = [
            "3月，阿塞拜疆的军事挑衅导致局势恶化，造成Arsen Karapetyan、Arshak Harutyunyan、\
             Hakob Khachatryan、Eduard Hayrapetyan、Samvel Hakobyan和Hovsep Andreasyan等士兵死亡",
            "互联网主页： www.mercuryconvention.org",
            "另见\"Iran manufactures first home-made VTOL [[vertical take-off and landing]]drone\", \
             法斯通讯社, 2015年3月3日。",
            "Elizabeth Verville（美国）",
        ];
        for text in zh {
            assert_eq!(detect_lang(text), Lang::Zh, "{text}");
        }
        // English that names Chinese things without Chinese punctuation stays English,
        // and so does a Chinese title quoted in brackets.
        let en = [
            "The Permanent Mission of the People's Republic of China (中华人民共和国常驻联合国代表团) \
             presents its compliments to the Secretary-General.",
            "The report 《政府工作报告》 was adopted by the National People's Congress in March.",
            "Human trafficking in Côte d’Ivoire, Türkiye and São Tomé and Príncipe.",
        ];
        for text in en {
            assert_eq!(detect_lang(text), Lang::En, "{text}");
        }
    }

    #[test]
    fn only_latin_letters_are_english() {
        // Hangul, Greek and Cyrillic were `en`: any letter counted.
        for text in ["안녕하세요", "Ελλάδα", "Москва", "Российская Федерация"]
        {
            assert_eq!(detect_lang(text), Lang::Und, "{text}");
        }
        assert_eq!(detect_lang("Москва (Moscow)"), Lang::En);
        assert_eq!(detect_lang("ＷＴＯ"), Lang::En);
        assert_eq!(detect_lang("。"), Lang::Und);
    }
}
