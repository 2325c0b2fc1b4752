//! The query language and its translation into tantivy queries.
//!
//! ```text
//! 人口贩运            every word of the query must match; contiguous matches rank first
//! 人口 贩运           the same, spaced
//! "表达自由"          an exact phrase (also “…” and ＂…＂)
//! 人口贩运 -国会       exclude paragraphs containing 国会
//! 土著 OR 原住民      either word (OR binds tighter than the implicit AND)
//! ```

use std::collections::BTreeSet;

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

/// A query ready to run, with the terms to highlight.
pub(crate) struct Compiled {
    pub query: Box<dyn Query>,
    pub highlight_terms: BTreeSet<String>,
}

pub(crate) fn compile(
    parsed: &ParsedQuery,
    analyzer: &mut TextAnalyzer,
    field: Field,
) -> Result<Compiled, QueryError> {
    let mut required: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let mut highlight_terms = BTreeSet::new();
    // The tokens of the plain (single-alternative, unquoted) groups, for the proximity bonus.
    let mut plain_tokens: Vec<Vec<AnalyzedToken>> = Vec::new();

    for group in &parsed.groups {
        let mut alternatives: Vec<Box<dyn Query>> = Vec::new();
        for clause in group {
            let tokens = analyze(analyzer, clause.text());
            if tokens.is_empty() {
                continue;
            }
            highlight_terms.extend(tokens.iter().map(|t| t.text.clone()));
            alternatives.push(match clause {
                Clause::Words(_) => all_with_phrase_bonus(field, &tokens),
                Clause::Phrase(_) => phrase(field, &tokens),
            });
            if group.len() == 1 && matches!(clause, Clause::Words(_)) {
                plain_tokens.push(tokens);
            }
        }
        match alternatives.len() {
            0 => {}
            1 => required.push((Occur::Must, alternatives.pop().expect("one"))),
            _ => required.push((
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
    if required.is_empty() {
        return Err(QueryError::at(
            0,
            "the query has no searchable words (only punctuation or symbols): \
             search for words, numbers or Chinese characters",
        ));
    }
    if plain_tokens.len() >= 2 {
        let all: Vec<AnalyzedToken> = plain_tokens.into_iter().flatten().collect();
        let terms = sequential_terms(field, &all);
        let mut near = PhraseQuery::new_with_offset(terms);
        near.set_slop(PROXIMITY_SLOP);
        required.push((
            Occur::Should,
            Box::new(BoostQuery::new(Box::new(near), PROXIMITY_BOOST)),
        ));
    }
    for clause in &parsed.excluded {
        let tokens = analyze(analyzer, clause.text());
        if !tokens.is_empty() {
            required.push((Occur::MustNot, phrase(field, &tokens)));
        }
    }
    Ok(Compiled {
        query: Box::new(BooleanQuery::new(required)),
        highlight_terms,
    })
}

fn term_query(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    ))
}

/// Terms at their analysed positions, relative to the first token.
fn positioned_terms(field: Field, tokens: &[AnalyzedToken]) -> Vec<(usize, Term)> {
    let first = tokens[0].position;
    tokens
        .iter()
        .map(|t| (t.position - first, Term::from_field_text(field, &t.text)))
        .collect()
}

/// Terms at consecutive positions (for tokens from different query words).
fn sequential_terms(field: Field, tokens: &[AnalyzedToken]) -> Vec<(usize, Term)> {
    tokens
        .iter()
        .enumerate()
        .map(|(i, t)| (i, Term::from_field_text(field, &t.text)))
        .collect()
}

fn phrase(field: Field, tokens: &[AnalyzedToken]) -> Box<dyn Query> {
    if tokens.len() == 1 {
        return term_query(field, &tokens[0].text);
    }
    Box::new(PhraseQuery::new_with_offset(positioned_terms(
        field, tokens,
    )))
}

/// All tokens required; their contiguous occurrence scores extra.
fn all_with_phrase_bonus(field: Field, tokens: &[AnalyzedToken]) -> Box<dyn Query> {
    if tokens.len() == 1 {
        return term_query(field, &tokens[0].text);
    }
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = tokens
        .iter()
        .map(|t| (Occur::Must, term_query(field, &t.text)))
        .collect();
    clauses.push((
        Occur::Should,
        Box::new(BoostQuery::new(phrase(field, tokens), PHRASE_BOOST)),
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
