//! The query language and its translation into tantivy queries.
//!
//! ```text
//! 人口贩运            every word of the query must match; contiguous matches rank first
//! 人口 贩运           the same, spaced
//! "表达自由"          an exact phrase (also “…” and ＂…＂)
//! 人口贩运 -国会       exclude paragraphs containing 国会
//! 土著 OR 原住民      either word (OR binds tighter than the implicit AND)
//! ```

use tantivy::query::{BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::Term;

use crate::analysis::{analyze, AnalyzedToken};

/// How much a contiguous (phrase) match of a multi-token word adds, relative to the
/// scattered match of the same tokens.
const PHRASE_BOOST: f32 = 2.0;
/// The bonus for spaced query words that stand close together in the text.
const PROXIMITY_BOOST: f32 = 1.0;
const PROXIMITY_SLOP: u32 = 3;

/// A query that could not be parsed. Its message says what is wrong, where, and how to fix
/// it; the CLI exits with status 2 for it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid query: {message}")]
pub struct QueryError {
    /// 1-based character position in the query where the problem is (0 if not local).
    pub position: usize,
    /// The explanation, ending with what to do.
    pub message: String,
}

impl QueryError {
    fn at(position: usize, message: impl Into<String>) -> QueryError {
        QueryError {
            position,
            message: message.into(),
        }
    }
}

/// One searchable unit of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clause {
    /// Unquoted text: every token it analyses to must match.
    Words(String),
    /// Quoted text: its tokens must match contiguously, in order.
    Phrase(String),
}

impl Clause {
    fn text(&self) -> &str {
        match self {
            Clause::Words(t) | Clause::Phrase(t) => t,
        }
    }
}

/// A parsed query: every group must match (a group matches when any of its clauses
/// does), and no excluded clause may.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedQuery {
    /// Required groups of alternatives (`a OR b c` is `[[a, b], [c]]`).
    pub groups: Vec<Vec<Clause>>,
    /// Clauses after `-`.
    pub excluded: Vec<Clause>,
}

enum Lexeme {
    Clause {
        clause: Clause,
        negated: bool,
        at: usize,
    },
    Or {
        at: usize,
    },
}

fn is_quote(c: char) -> bool {
    matches!(c, '"' | '“' | '”' | '＂')
}

fn is_space(c: char) -> bool {
    c.is_whitespace()
}

fn lex(query: &str) -> Result<Vec<Lexeme>, QueryError> {
    let chars: Vec<char> = query.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if is_space(c) {
            i += 1;
            continue;
        }
        let start = i;
        let negated = matches!(c, '-' | '－');
        if negated {
            i += 1;
            if i >= chars.len() || is_space(chars[i]) {
                return Err(QueryError::at(
                    start + 1,
                    format!(
                        "`-` at character {} excludes nothing: write it directly before a word \
                         or a quoted phrase, e.g. `人口贩运 -国会`",
                        start + 1
                    ),
                ));
            }
        }
        if is_quote(chars[i]) {
            let open = i;
            i += 1;
            let body_start = i;
            while i < chars.len() && !is_quote(chars[i]) {
                i += 1;
            }
            if i >= chars.len() {
                return Err(QueryError::at(
                    open + 1,
                    format!(
                        "the quote at character {} is never closed: add a closing `\"` to end \
                         the phrase, or remove the quote",
                        open + 1
                    ),
                ));
            }
            let body: String = chars[body_start..i].iter().collect();
            i += 1;
            if body.trim().is_empty() {
                return Err(QueryError::at(
                    open + 1,
                    format!(
                        "the phrase at character {} is empty: put words between the quotes",
                        open + 1
                    ),
                ));
            }
            out.push(Lexeme::Clause {
                clause: Clause::Phrase(body),
                negated,
                at: start + 1,
            });
            continue;
        }
        let word_start = i;
        while i < chars.len() && !is_space(chars[i]) && !is_quote(chars[i]) {
            i += 1;
        }
        let word: String = chars[word_start..i].iter().collect();
        if word == "OR" && !negated {
            out.push(Lexeme::Or { at: start + 1 });
        } else {
            out.push(Lexeme::Clause {
                clause: Clause::Words(word),
                negated,
                at: start + 1,
            });
        }
    }
    Ok(out)
}

/// Parses query text; see the [module docs](self) for the syntax.
pub fn parse(query: &str) -> Result<ParsedQuery, QueryError> {
    let mut groups: Vec<Vec<Clause>> = Vec::new();
    let mut excluded = Vec::new();
    // Position of a pending `OR`, and whether the previous lexeme can take an `OR` after it.
    let mut pending_or: Option<usize> = None;
    let mut can_or = false;
    for lexeme in lex(query)? {
        match lexeme {
            Lexeme::Or { at } => {
                if !can_or {
                    return Err(QueryError::at(
                        at,
                        format!(
                            "`OR` at character {at} needs a word before it and after it, \
                             e.g. `土著 OR 原住民` (write `or` in lower case to search for it)"
                        ),
                    ));
                }
                pending_or = Some(at);
                can_or = false;
            }
            Lexeme::Clause {
                clause,
                negated: true,
                at,
            } => {
                if pending_or.is_some() {
                    return Err(QueryError::at(
                        at,
                        format!(
                            "`OR` cannot join an excluded term (character {at}): \
                             write exclusions as separate words, e.g. `a OR b -c`"
                        ),
                    ));
                }
                excluded.push(clause);
                can_or = false;
            }
            Lexeme::Clause {
                clause,
                negated: false,
                ..
            } => {
                match (pending_or.take(), groups.last_mut()) {
                    (Some(_), Some(group)) => group.push(clause),
                    _ => groups.push(vec![clause]),
                }
                can_or = true;
            }
        }
    }
    if let Some(at) = pending_or {
        return Err(QueryError::at(
            at,
            format!("`OR` at character {at} ends the query: add the alternative word after it"),
        ));
    }
    if groups.is_empty() {
        return Err(if excluded.is_empty() {
            QueryError::at(
                0,
                "the query is empty: give a word to search for, e.g. `人口贩运`",
            )
        } else {
            QueryError::at(
                0,
                "the query only excludes: add at least one word to search for, e.g. `人口贩运 -国会`",
            )
        });
    }
    Ok(ParsedQuery { groups, excluded })
}

/// A term sequence: `(position offset, term)` pairs, the first at offset 0.
pub(crate) type Sequence = Vec<(usize, String)>;

/// What to highlight for one positive clause of the query.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    /// The clause's word tokens at their relative positions.
    pub words: Sequence,
    /// For clauses with Han text, the gram sequence that matches it as a substring.
    pub grams: Option<Sequence>,
    /// Whether the clause must match contiguously (a quoted phrase).
    pub phrase: bool,
}

/// The analyzers and fields a query is compiled against.
pub(crate) struct Target<'a> {
    pub words: &'a mut TextAnalyzer,
    pub grams: &'a mut TextAnalyzer,
    pub words_field: Field,
    pub grams_field: Field,
}

/// A query ready to run, with what to highlight.
pub(crate) struct Compiled {
    pub query: Box<dyn Query>,
    pub patterns: Vec<Pattern>,
}

/// How much an exact substring match (through the gram field) weighs against word matches.
/// Below 1 so that a paragraph where the query is a word outranks one where it is only
/// part of a longer word.
const GRAM_WEIGHT: f32 = 0.5;

/// A clause, analysed both ways.
struct Analysed {
    words: Vec<AnalyzedToken>,
    grams: Option<Sequence>,
}

fn analyse_clause(target: &mut Target<'_>, text: &str) -> Option<Analysed> {
    let words = analyze(target.words, text);
    if words.is_empty() {
        return None;
    }
    let has_han = crate::analysis::Folded::new(text)
        .text()
        .chars()
        .any(crate::analysis::is_han);
    let grams = has_han.then(|| gram_sequence(&analyze(target.grams, text)));
    Some(Analysed { words, grams })
}

/// Reduces the gram analyzer's output to the shortest sequence that matches the same
/// substring: bigrams, plus a single character only where no bigram covers it.
pub(crate) fn gram_sequence(tokens: &[AnalyzedToken]) -> Sequence {
    let is_bigram = |t: &AnalyzedToken| {
        t.text.chars().count() == 2 && t.text.chars().all(crate::analysis::is_han)
    };
    let is_unigram = |t: &AnalyzedToken| {
        t.text.chars().count() == 1 && t.text.chars().all(crate::analysis::is_han)
    };
    let bigram_at: std::collections::HashSet<usize> = tokens
        .iter()
        .filter(|t| is_bigram(t))
        .map(|t| t.position)
        .collect();
    let mut out: Sequence = Vec::new();
    for t in tokens {
        let covered = is_unigram(t)
            && (bigram_at.contains(&t.position)
                || (t.position > 0 && bigram_at.contains(&(t.position - 1))));
        if !covered {
            out.push((t.position, t.text.clone()));
        }
    }
    let first = out.first().map_or(0, |(p, _)| *p);
    for (p, _) in &mut out {
        *p -= first;
    }
    out
}

fn word_sequence(tokens: &[AnalyzedToken]) -> Sequence {
    let first = tokens[0].position;
    tokens
        .iter()
        .map(|t| (t.position - first, t.text.clone()))
        .collect()
}

pub(crate) fn compile(
    parsed: &ParsedQuery,
    target: &mut Target<'_>,
) -> Result<Compiled, QueryError> {
    let (wf, gf) = (target.words_field, target.grams_field);
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let mut patterns = Vec::new();
    // The tokens of the plain (single-alternative, unquoted) groups, for the proximity bonus.
    let mut plain_tokens: Vec<AnalyzedToken> = Vec::new();
    let mut plain_groups = 0;

    for group in &parsed.groups {
        let mut alternatives: Vec<Box<dyn Query>> = Vec::new();
        for clause in group {
            let Some(a) = analyse_clause(target, clause.text()) else {
                continue;
            };
            let words = word_sequence(&a.words);
            let is_phrase = matches!(clause, Clause::Phrase(_));
            alternatives.push(match (is_phrase, &a.grams) {
                (false, None) => all_with_phrase_bonus(wf, &words),
                (false, Some(grams)) => Box::new(BooleanQuery::new(vec![
                    (Occur::Should, all_with_phrase_bonus(wf, &words)),
                    (
                        Occur::Should,
                        Box::new(BoostQuery::new(sequence(gf, grams), GRAM_WEIGHT)),
                    ),
                ])),
                (true, None) => sequence(wf, &words),
                (true, Some(grams)) => Box::new(BooleanQuery::new(vec![
                    (
                        Occur::Must,
                        Box::new(BoostQuery::new(sequence(gf, grams), GRAM_WEIGHT)),
                    ),
                    (
                        Occur::Should,
                        Box::new(BoostQuery::new(sequence(wf, &words), PHRASE_BOOST)),
                    ),
                ])),
            });
            if group.len() == 1 && !is_phrase {
                plain_tokens.extend(a.words.iter().cloned());
                plain_groups += 1;
            }
            patterns.push(Pattern {
                words,
                grams: a.grams,
                phrase: is_phrase,
            });
        }
        match alternatives.len() {
            0 => {}
            1 => clauses.push((Occur::Must, alternatives.pop().expect("one"))),
            _ => clauses.push((
                Occur::Must,
                Box::new(BooleanQuery::new(
                    alternatives
                        .into_iter()
                        .map(|q| (Occur::Should, q))
                        .collect(),
                )),
            )),
        }
    }
    if clauses.is_empty() {
        return Err(QueryError::at(
            0,
            "the query has no searchable words (only punctuation or symbols): \
             search for words, numbers or Chinese characters",
        ));
    }
    if plain_groups >= 2 {
        let terms: Vec<(usize, Term)> = plain_tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (i, Term::from_field_text(wf, &t.text)))
            .collect();
        let mut near = PhraseQuery::new_with_offset(terms);
        near.set_slop(PROXIMITY_SLOP);
        clauses.push((
            Occur::Should,
            Box::new(BoostQuery::new(Box::new(near), PROXIMITY_BOOST)),
        ));
    }
    for clause in &parsed.excluded {
        if let Some(a) = analyse_clause(target, clause.text()) {
            let query = match &a.grams {
                Some(grams) => sequence(gf, grams),
                None => sequence(wf, &word_sequence(&a.words)),
            };
            clauses.push((Occur::MustNot, query));
        }
    }
    Ok(Compiled {
        query: Box::new(BooleanQuery::new(clauses)),
        patterns,
    })
}

fn term_query(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    ))
}

/// The terms of `seq` at their relative positions: a phrase, or a term query for one term.
fn sequence(field: Field, seq: &Sequence) -> Box<dyn Query> {
    if seq.len() == 1 {
        return term_query(field, &seq[0].1);
    }
    Box::new(PhraseQuery::new_with_offset(
        seq.iter()
            .map(|(p, t)| (*p, Term::from_field_text(field, t)))
            .collect(),
    ))
}

/// All terms required; their contiguous occurrence scores extra.
fn all_with_phrase_bonus(field: Field, seq: &Sequence) -> Box<dyn Query> {
    if seq.len() == 1 {
        return term_query(field, &seq[0].1);
    }
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = seq
        .iter()
        .map(|(_, t)| (Occur::Must, term_query(field, t)))
        .collect();
    clauses.push((
        Occur::Should,
        Box::new(BoostQuery::new(sequence(field, seq), PHRASE_BOOST)),
    ));
    Box::new(BooleanQuery::new(clauses))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Clause {
        Clause::Words(s.to_owned())
    }

    #[test]
    fn parses_the_documented_syntax() {
        let q = parse(r#"人口贩运 "表达自由" 土著 OR 原住民 -国会"#).unwrap();
        assert_eq!(
            q.groups,
            vec![
                vec![words("人口贩运")],
                vec![Clause::Phrase("表达自由".into())],
                vec![words("土著"), words("原住民")],
            ]
        );
        assert_eq!(q.excluded, vec![words("国会")]);
    }

    #[test]
    fn chinese_quotes_and_full_width_minus() {
        let q = parse("“表达自由” －国会").unwrap();
        assert_eq!(q.groups, vec![vec![Clause::Phrase("表达自由".into())]]);
        assert_eq!(q.excluded, vec![words("国会")]);
    }

    #[test]
    fn syntax_errors_say_where_and_what_to_do() {
        for (query, position, needle) in [
            ("人口 \"贩运", 4, "never closed"),
            ("人口 - 贩运", 4, "excludes nothing"),
            ("OR 人口", 1, "needs a word before"),
            ("人口 OR", 4, "ends the query"),
            ("人口 OR -贩运", 7, "cannot join"),
            ("-人口", 0, "only excludes"),
            ("   ", 0, "empty"),
            ("人口 \"\"", 4, "empty"),
        ] {
            let err = parse(query).unwrap_err();
            assert_eq!(err.position, position, "{query}: {err}");
            assert!(err.message.contains(needle), "{query}: {err}");
        }
    }

    #[test]
    fn lower_case_or_is_a_word() {
        let q = parse("this or that").unwrap();
        assert_eq!(q.groups.len(), 3);
    }
}
