//! User dictionaries: domain words that extend jieba's segmentation.

use std::collections::HashMap;
use std::path::Path;

use jieba_rs::Jieba;

use super::Folded;
use crate::error::{Error, Result};

/// Words to add to jieba's default dictionary, in jieba's format: one `word [freq] [tag]`
/// per line (`#` starts a comment). A word without a frequency gets the one jieba suggests
/// to keep it whole.
///
/// Words are folded like text (simplified, half-width, lower case) and their frequencies
/// resolved once, when the index is built; the index stores the resolved list, so queries
/// segment with exactly the dictionary the documents were indexed with.
///
/// ```
/// use zhen::analysis::{analyze, analyzer_with_dict, UserDict};
/// let dict = UserDict::parse("南共市指南 1000\n高专办\n", "domain.dict").unwrap();
/// let words: Vec<String> = analyze(&mut analyzer_with_dict(&dict), "《南共市指南》由高專辦发布")
///     .into_iter()
///     .map(|t| t.text)
///     .collect();
/// assert!(words.contains(&"南共市指南".to_owned()));
/// assert!(words.contains(&"高专办".to_owned()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserDict {
    /// `(folded word, frequency)`, in order, each word once (its last entry).
    entries: Vec<(String, usize)>,
    /// Index of each word in `entries`.
    at: HashMap<String, usize>,
}

impl UserDict {
    /// Parses a dictionary; `name` (a file name) is used in error messages.
    pub fn parse(text: &str, name: impl AsRef<Path>) -> Result<UserDict> {
        let mut raw: Vec<(String, Option<usize>)> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or_default();
            let mut fields = line.split_whitespace();
            let Some(word) = fields.next() else {
                continue;
            };
            let freq = match fields.next() {
                None => None,
                Some(f) => Some(f.parse::<usize>().map_err(|_| Error::Source {
                    path: name.as_ref().to_path_buf(),
                    reason: format!(
                        "line {}: frequency `{f}` of `{word}` is not a whole number; write `word [freq] [tag]`",
                        i + 1
                    ),
                })?),
            };
            raw.push((Folded::new(word).text().to_owned(), freq));
        }
        // Frequencies left out are suggested by jieba, against the default dictionary and
        // the words before them, exactly as jieba-rs's `add_word` does.
        let mut jieba = (*super::default_jieba()).clone();
        let mut entries: Vec<(String, usize)> = Vec::new();
        let mut at: HashMap<String, usize> = HashMap::new();
        for (word, freq) in raw {
            let freq = jieba.add_word(&word, freq, None);
            match at.get(&word) {
                Some(&i) => entries[i].1 = freq,
                None => {
                    at.insert(word.clone(), entries.len());
                    entries.push((word, freq));
                }
            }
        }
        Ok(UserDict { entries, at })
    }

    /// Whether `word` (folded) is one of its words.
    pub fn contains(&self, word: &str) -> bool {
        self.at.contains_key(word)
    }

    /// Reads and parses a dictionary file.
    pub fn read(path: impl AsRef<Path>) -> Result<UserDict> {
        let path = path.as_ref();
        let source = crate::source::read(path)?;
        UserDict::parse(&source.text, path)
    }

    /// The dictionary in jieba's format with every frequency given (how an index stores
    /// it).
    pub fn to_text(&self) -> String {
        self.entries
            .iter()
            .map(|(w, f)| format!("{w} {f}\n"))
            .collect()
    }

    /// Whether it has no words.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// How many words it has.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn entries(&self) -> &[(String, usize)] {
        &self.entries
    }

    /// jieba's default dictionary extended with these words.
    pub(crate) fn jieba(&self) -> Jieba {
        let mut jieba = (*super::default_jieba()).clone();
        for (word, freq) in &self.entries {
            jieba.add_word(word, Some(*freq), None);
        }
        jieba
    }
}
