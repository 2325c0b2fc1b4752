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
