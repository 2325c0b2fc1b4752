//! The query language and its translation into tantivy queries.
//!
//! ```text
//! 人口贩运            every word of the query must match; contiguous matches rank first
//! 人口 贩运           the same, spaced
//! "表达自由"          an exact phrase (also “…” and ＂…＂)
//! 人口贩运 -国会       exclude paragraphs containing 国会 (also －国会)
//! 人口贩运 NOT 国会    the same
//! 土著 OR 原住民      either word (OR binds tighter than the implicit AND)
//! 人权 AND 美国       the same as 人权 美国
//! ```
//!
//! The operators are upper case (half- or full-width: `ＯＲ`); `or`, `not` and `and` are
//! words, and so is `AND` anywhere but between two clauses.

use serde::Serialize;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::Term;

use super::spaced::{Bonus, Leg, Limit, SpacedWords, MAX_BONUSES};
use super::spanned::{spanned_bigrams, SpannedPhrase};
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
#[non_exhaustive]
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
    /// Clauses after `-` or `NOT`.
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
    Not {
        at: usize,
    },
}

impl Lexeme {
    fn is_and(&self) -> bool {
        matches!(
            self,
            Lexeme::Clause { clause: Clause::Words(word), negated: false, .. }
                if operator(word) == Some(Operator::And)
        )
    }
}

#[derive(PartialEq, Eq)]
enum Operator {
    Or,
    And,
    Not,
}

/// The operator a bare word spells, if any: `OR`, `AND` or `NOT` in upper-case ASCII or
/// full-width capitals (`ＯＲ`, what a Chinese input method types, which folding would make
/// the word `or`). Read letter by letter, as NFKC maps those capitals, without running it:
/// every bare word of every query is asked.
fn operator(word: &str) -> Option<Operator> {
    let mut letters = [0u8; 3];
    let mut n = 0;
    for c in word.chars() {
        let letter = match c {
            'A'..='Z' => c as u8,
            'Ａ'..='Ｚ' => (u32::from(c) - 0xFEE0) as u8,
            _ => return None,
        };
        *letters.get_mut(n)? = letter;
        n += 1;
    }
    match &letters[..n] {
        b"OR" => Some(Operator::Or),
        b"AND" => Some(Operator::And),
        b"NOT" => Some(Operator::Not),
        _ => None,
    }
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
        // `AND` stays a word here: whether it stands between two clauses is the parser's to
        // tell.
        match (operator(&word), negated) {
            (Some(Operator::Or), false) => out.push(Lexeme::Or { at: start + 1 }),
            (Some(Operator::Not), false) => out.push(Lexeme::Not { at: start + 1 }),
            _ => out.push(Lexeme::Clause {
                clause: Clause::Words(word),
                negated,
                at: start + 1,
            }),
        }
    }
    Ok(out)
}

/// The lexeme before the current one, as far as the operators' rules go (each with its
/// 1-based character position).
enum Before {
    Nothing,
    Word,
    Excluded(usize),
    Or(usize),
    Not(usize),
}

fn or_cannot_join(or: usize, excluded: usize) -> QueryError {
    QueryError::at(
        excluded,
        format!(
            "`OR` at character {or} cannot join the excluded term at character {excluded}: \
             write exclusions as separate words, e.g. `a OR b -c`"
        ),
    )
}

fn not_needs_a_word(at: usize) -> QueryError {
    QueryError::at(
        at,
        format!(
            "`NOT` at character {at} needs a word or a quoted phrase after it, e.g. \
             `人权 NOT 美国` (write `not` in lower case to search for it)"
        ),
    )
}

/// The longest query searched, in characters: a search's cost grows with its words (80,000
/// characters of distinct words took 0.4 s), which a service taking queries from others
/// must be able to bound. A whole paragraph pasted as a query is far shorter.
pub const MAX_QUERY_CHARS: usize = 10_000;

/// The most words a query may analyse to (a compound's parts not counted): each is a term
/// to look up, and within a clause a position to check. Chains of common words (`of-of-…`,
/// `a.a.…`) reach thousands well within [`MAX_QUERY_CHARS`].
pub const MAX_QUERY_WORDS: usize = 5_000;

/// Parses query text; see the [module docs](self) for the syntax. A query longer than
/// [`MAX_QUERY_CHARS`] is an error (as is, when it is compiled, one of more than
/// [`MAX_QUERY_WORDS`] words); a group or an exclusion given twice counts once.
pub fn parse(query: &str) -> Result<ParsedQuery, QueryError> {
    if let Some((at, _)) = query.char_indices().nth(MAX_QUERY_CHARS) {
        return Err(QueryError::at(
            at,
            format!(
                "the query is {} characters long; zhen searches at most {MAX_QUERY_CHARS}: \
                 shorten it (a distinctive sentence finds a paragraph as well as the whole)",
                query.chars().count()
            ),
        ));
    }
    let mut groups: Vec<Vec<Clause>> = Vec::new();
    let mut excluded = Vec::new();
    let mut before = Before::Nothing;
    let mut lexemes = lex(query)?.into_iter().peekable();
    while let Some(lexeme) = lexemes.next() {
        // `AND` writes out the implicit AND, so between two clauses it is dropped; anywhere
        // else it stays the word, as before `AND` was an operator: a query of `AND` alone
        // searches for `and`.
        if let (true, Lexeme::Clause { at, .. }) = (lexeme.is_and(), &lexeme) {
            // `a AND OR b`, `a OR AND b`: a slip, not a search for the word `and`.
            if matches!(before, Before::Or(_)) || matches!(lexemes.peek(), Some(Lexeme::Or { .. }))
            {
                return Err(QueryError::at(
                    *at,
                    format!(
                        "`AND` at character {at} stands next to `OR`: keep one of them \
                         (`a OR b` for either word, `a AND b` or `a b` for both)"
                    ),
                ));
            }
        }
        if lexeme.is_and()
            && matches!(before, Before::Word | Before::Excluded(_))
            && matches!(
                lexemes.peek(),
                Some(Lexeme::Clause { .. } | Lexeme::Not { .. })
            )
        {
            continue;
        }
        before = match (lexeme, before) {
            (Lexeme::Or { at }, Before::Word) => Before::Or(at),
            (Lexeme::Or { at }, Before::Excluded(term)) => return Err(or_cannot_join(at, term)),
            (Lexeme::Or { .. } | Lexeme::Not { .. }, Before::Not(not)) => {
                return Err(not_needs_a_word(not))
            }
            (Lexeme::Or { at }, _) => {
                return Err(QueryError::at(
                    at,
                    format!(
                        "`OR` at character {at} needs a word before it and after it, \
                         e.g. `土著 OR 原住民` (write `or` in lower case to search for it)"
                    ),
                ))
            }
            (Lexeme::Not { at }, Before::Or(or)) => return Err(or_cannot_join(or, at)),
            (Lexeme::Not { at }, _) => Before::Not(at),
            (
                Lexeme::Clause {
                    negated: true, at, ..
                },
                Before::Not(not),
            ) => {
                return Err(QueryError::at(
                    at,
                    format!(
                        "`NOT` at character {not} and the `-` at character {at} both exclude: \
                         keep one of them"
                    ),
                ))
            }
            (Lexeme::Clause { clause, .. }, Before::Not(not)) => {
                excluded.push(clause);
                Before::Excluded(not)
            }
            (
                Lexeme::Clause {
                    negated: true, at, ..
                },
                Before::Or(or),
            ) => return Err(or_cannot_join(or, at)),
            (
                Lexeme::Clause {
                    clause,
                    negated: true,
                    at,
                },
                _,
            ) => {
                excluded.push(clause);
                Before::Excluded(at)
            }
            (Lexeme::Clause { clause, .. }, before) => {
                match (before, groups.last_mut()) {
                    (Before::Or(_), Some(group)) => group.push(clause),
                    _ => groups.push(vec![clause]),
                }
                Before::Word
            }
        };
    }
    match before {
        Before::Or(at) => {
            return Err(QueryError::at(
                at,
                format!("`OR` at character {at} ends the query: add the alternative word after it"),
            ))
        }
        Before::Not(at) => {
            return Err(QueryError::at(
                at,
                format!(
                    "`NOT` at character {at} ends the query: add the word or quoted phrase to \
                     exclude after it, e.g. `人权 NOT 美国` (write `not` in lower case to search \
                     for it)"
                ),
            ))
        }
        Before::Nothing | Before::Word | Before::Excluded(_) => {}
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
    // A clause given twice asks nothing more, and each copy was another pass over its
    // postings: 2,500 `the`s took 3 s on the UN General Debates.
    let mut distinct: Vec<Vec<Clause>> = Vec::with_capacity(groups.len());
    for group in groups {
        if !distinct.contains(&group) {
            distinct.push(group);
        }
    }
    let mut excluded_once: Vec<Clause> = Vec::with_capacity(excluded.len());
    for clause in excluded {
        if !excluded_once.contains(&clause) {
            excluded_once.push(clause);
        }
    }
    Ok(ParsedQuery {
        groups: distinct,
        excluded: excluded_once,
    })
}

/// A term sequence: `(position offset, term)` pairs, the first at offset 0.
pub(crate) type Sequence = Vec<(usize, String)>;

/// What to highlight for one positive clause of the query, as sequences of the n-gram
/// analyzer's terms (which need no dictionary to compute on the hit's text).
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    /// The whole clause, contiguous.
    pub sequence: Sequence,
    /// Per word token, how to find it alone.
    pub tokens: Vec<TokenPattern>,
    /// Whether the clause must match contiguously (a quoted phrase).
    pub phrase: bool,
    /// Whether the clause is highlighted wherever it stands. Not for a common English word
    /// (`the`, `to`) in a query with other words: every paragraph is full of them, and
    /// marking each one would steer the snippet to where they are densest. Such a word is
    /// highlighted next to the query's word it stands next to in the query (see the
    /// patterns [`compile`] adds for them).
    pub standalone: bool,
}

/// How to find one word of a clause on its own: its characters (or, for other scripts,
/// the word), else its compound parts.
#[derive(Debug, Clone)]
pub(crate) struct TokenPattern {
    pub term: String,
    /// The gram sequence of a Han word; `None` for words of other scripts and numbers,
    /// which the n-gram analyzer produces as they are.
    pub grams: Option<Sequence>,
    /// `(part, its gram sequence)` for compounds.
    pub parts: Vec<(String, Sequence)>,
}

/// The analyzers and fields a query is compiled against.
pub(crate) struct Target<'a> {
    pub words: &'a mut TextAnalyzer,
    pub dict: &'a crate::analysis::UserDict,
    pub grams: &'a mut TextAnalyzer,
    pub words_field: Field,
    pub grams_field: Field,
    pub chars_field: Field,
    /// Whether to describe the analysis and the query tree ([`Compiled::explanation`]);
    /// otherwise both are left empty, sparing a search the formatting of every label.
    pub explain: bool,
}

/// A query ready to run, with what to highlight and how it was built.
pub(crate) struct Compiled {
    /// The queries to run, best kind of match first: the hits are the first tier's best,
    /// then, while fewer than asked for, the next tier's. Each tier matches a superset of
    /// the one before.
    pub tiers: Vec<Box<dyn Query>>,
    /// With several tiers, or one that tantivy can prune: a query matching exactly the
    /// union of the tiers, counted apart. `None`: the single tier is counted as it runs.
    pub count: Option<Box<dyn Query>>,
    /// With tiers: paragraphs to leave out of every tier's hits (the count already does).
    pub exclude: Option<Box<dyn Query>>,
    pub patterns: Vec<Pattern>,
    pub explanation: Explanation,
}

/// How a query was analysed and the tree of tantivy queries that runs (`zhen search
/// --explain`): the first thing to look at when a result is surprising.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Explanation {
    /// Every clause of the query with its tokens in each field.
    pub clauses: Vec<ClauseAnalysis>,
    /// The query tree that runs.
    pub tree: QueryNode,
}

/// One clause of the query, analysed.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct ClauseAnalysis {
    /// The clause as typed.
    pub text: String,
    /// `words`, `phrase` or `excluded`.
    pub role: &'static str,
    /// The terms in the word field (`body`), in order.
    pub words: Vec<String>,
    /// The terms in the character n-gram field (`body_grams`), for clauses with Han text.
    pub grams: Vec<String>,
}

/// A node of the query tree: a readable label and its sub-queries.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct QueryNode {
    /// What the node does, e.g. `phrase body:"人口 贩运"` or `boost ×2`.
    pub label: String,
    /// Its sub-queries.
    pub children: Vec<QueryNode>,
}

impl QueryNode {
    fn leaf(label: String) -> QueryNode {
        QueryNode {
            label,
            children: Vec::new(),
        }
    }

    /// The node of a query built without an explanation (see [`Target::explain`]).
    fn blank() -> QueryNode {
        QueryNode::leaf(String::new())
    }

    fn is_blank(&self) -> bool {
        self.label.is_empty()
    }

    /// The tree as indented lines.
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out, 0);
        out
    }

    fn render_into(&self, out: &mut String, depth: usize) {
        out.push_str(&"  ".repeat(depth));
        out.push_str(&self.label);
        out.push('\n');
        for child in &self.children {
            child.render_into(out, depth + 1);
        }
    }
}

/// A tantivy query and its description, built together so they cannot disagree.
struct Built {
    query: Box<dyn Query>,
    node: QueryNode,
}

fn boolean(clauses: Vec<(Occur, Built)>) -> Built {
    // Built without an explanation, every clause's node is blank, and so is this one.
    let described = clauses.iter().any(|(_, built)| !built.node.is_blank());
    let mut children = Vec::new();
    let mut queries = Vec::with_capacity(clauses.len());
    for (occur, built) in clauses {
        if described {
            let mut node = built.node;
            let prefix = match occur {
                Occur::Must => "must",
                Occur::Should => "should",
                Occur::MustNot => "must not",
            };
            node.label = format!("{prefix}: {}", node.label);
            children.push(node);
        }
        queries.push((occur, built.query));
    }
    let node = if described {
        QueryNode {
            label: "bool".to_owned(),
            children,
        }
    } else {
        QueryNode::blank()
    };
    Built {
        query: Box::new(BooleanQuery::new(queries)),
        node,
    }
}

fn boost(built: Built, factor: f32) -> Built {
    let node = if built.node.is_blank() {
        built.node
    } else {
        QueryNode {
            label: format!("boost ×{factor}"),
            children: vec![built.node],
        }
    };
    Built {
        query: Box::new(BoostQuery::new(built.query, factor)),
        node,
    }
}

/// How much an exact substring match (through the gram field) weighs against word matches.
/// Below 1 so that a paragraph where the query is a word outranks one where it is only
/// part of a longer word.
const GRAM_WEIGHT: f32 = 0.5;

/// The longest quoted Han phrase, in gram terms (two per four characters), whose words
/// score extra where they stand as words (see `Compiler::phrase_clause`).
const MAX_BONUSED_PHRASE_TERMS: usize = 2;

/// How much the scattered parts of a compound weigh: least of all the ways a word matches.
const PARTS_WEIGHT: f32 = 0.3;

/// English words too common to require: a query `the rights of women` must not drop a
/// paragraph for lacking `the` or `of`. They still score (and count in phrases).
const OPTIONAL_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "is", "it", "of", "on",
    "or", "that", "the", "this", "to", "was", "were", "with",
];

/// A clause, analysed both ways.
struct Analysed {
    words: Vec<AnalyzedToken>,
    grams: Option<Sequence>,
}

/// What a query is compiled against: the two analyzers and their fields.
struct Compiler<'t, 'a> {
    target: &'t mut Target<'a>,
}

impl Compiler<'_, '_> {
    fn analyse(&mut self, text: &str) -> Option<Analysed> {
        if let Some(folded) = one_han_character(text) {
            return Some(Analysed {
                words: vec![AnalyzedToken {
                    text: folded.clone(),
                    start: 0,
                    end: text.len(),
                    position: 0,
                }],
                grams: Some(vec![(0, folded)]),
            });
        }
        if let Some(words) = one_ascii_word(text) {
            return (!words.is_empty()).then_some(Analysed { words, grams: None });
        }
        let mut words = analyze(self.target.words, text);
        // Compound parts share their compound's position; the query handles compounds
        // itself (see `word`), so only the words proper are kept.
        words.dedup_by(|later, earlier| later.position == earlier.position);
        if words.is_empty() {
            return None;
        }
        let grams = has_han(text).then(|| self.grams_of(text));
        Some(Analysed { words, grams })
    }

    fn term(&self, grams: bool, text: &str) -> Built {
        let (field, name) = self.field(grams);
        Built {
            query: Box::new(TermQuery::new(
                Term::from_field_text(field, text),
                IndexRecordOption::WithFreqs,
            )),
            node: self.leaf(|| format!("term {name}:{text}")),
        }
    }

    fn field(&self, grams: bool) -> (Field, &'static str) {
        if grams {
            (self.target.grams_field, "body_grams")
        } else {
            (self.target.words_field, "body")
        }
    }

    /// The terms of `seq` at their relative positions: a phrase, or a term for one term.
    fn sequence(&self, grams: bool, seq: &Sequence, slop: u32) -> Built {
        if let [(_, text)] = seq.as_slice() {
            if self.sequence_field(grams, seq) == self.target.chars_field {
                return Built {
                    query: Box::new(TermQuery::new(
                        Term::from_field_text(self.target.chars_field, text),
                        IndexRecordOption::WithFreqs,
                    )),
                    node: self.leaf(|| format!("term body_chars:{text}")),
                };
            }
            return self.term(grams, text);
        }
        let name = self.field(grams).1;
        Built {
            query: Box::new(self.phrase_query(grams, seq, slop)),
            node: self.leaf(|| {
                let words: Vec<&str> = seq.iter().map(|(_, t)| t.as_str()).collect();
                let slop_note = if slop > 0 {
                    format!(" ~{slop}")
                } else {
                    String::new()
                };
                format!("phrase {name}:\"{}\"{slop_note}", words.join(" "))
            }),
        }
    }

    /// [`Compiler::sequence`] of gram sequence `grams` (exact), as a [`SpannedPhrase`]
    /// where it spans bigrams.
    fn gram_phrase(&self, grams: &Sequence) -> Built {
        let spanned: Vec<String> = spanned_bigrams(grams).collect();
        if spanned.is_empty() {
            return self.sequence(true, grams, 0);
        }
        let terms: Vec<&str> = grams.iter().map(|(_, t)| t.as_str()).collect();
        Built {
            query: Box::new(SpannedPhrase {
                phrase: self.phrase_query(true, grams, 0),
                spanned: spanned
                    .iter()
                    .map(|bigram| Term::from_field_text(self.target.grams_field, bigram))
                    .collect(),
            }),
            node: self.leaf(|| {
                format!(
                    "phrase body_grams:\"{}\" (spanning {}: where rare, read first)",
                    terms.join(" "),
                    spanned.join(" ")
                )
            }),
        }
    }

    /// The phrase of `seq`'s terms at their relative positions.
    fn phrase_query(&self, grams: bool, seq: &Sequence, slop: u32) -> PhraseQuery {
        let field = self.field(grams).0;
        PhraseQuery::new_with_offset_and_slop(
            seq.iter()
                .map(|(p, t)| (*p, Term::from_field_text(field, t)))
                .collect(),
            slop,
        )
    }

    /// The terms of [`Compiler::sequence`]'s query for `seq`, in its field.
    fn sequence_terms(&self, grams: bool, seq: &Sequence) -> Vec<Term> {
        seq.iter()
            .map(|(_, text)| Term::from_field_text(self.sequence_field(grams, seq), text))
            .collect()
    }

    /// The field [`Compiler::sequence`] looks `seq` up in: one Han character in the
    /// character field (the gram field keeps a character alone only at the edges of runs).
    fn sequence_field(&self, grams: bool, seq: &Sequence) -> Field {
        if let [(_, text)] = seq.as_slice() {
            let mut chars = text.chars();
            if let (true, Some(c), None) = (grams, chars.next(), chars.next()) {
                if crate::analysis::is_han(c) {
                    return self.target.chars_field;
                }
            }
        }
        self.field(grams).0
    }

    /// A word as a [`Leg`] of a [`SpacedWords`] query, as [`Compiler::word`] requires and
    /// scores it, when one term finds it (not a compound, at most two characters).
    fn leg(&self, pattern: &TokenPattern) -> Option<Leg> {
        let word = Term::from_field_text(self.target.words_field, &pattern.term);
        match &pattern.grams {
            None => Some(Leg {
                required: word,
                boost: 1.0,
                word: None,
            }),
            Some(grams) if grams.len() == 1 && pattern.parts.is_empty() => Some(Leg {
                required: self.sequence_terms(true, grams).pop()?,
                boost: GRAM_WEIGHT,
                word: Some(word),
            }),
            Some(_) => None,
        }
    }

    /// A leaf of the query tree, labelled only when explaining.
    fn leaf(&self, label: impl FnOnce() -> String) -> QueryNode {
        if self.target.explain {
            QueryNode::leaf(label())
        } else {
            QueryNode::blank()
        }
    }

    fn grams_of(&mut self, text: &str) -> Sequence {
        let closed = close_han_gaps(text);
        han_run_grams(&closed)
            .unwrap_or_else(|| gram_sequence(&analyze(self.target.grams, &closed)))
    }

    /// The pattern of word `term`; `grams`, when given, are `term`'s own n-gram sequence,
    /// already computed (a clause that is that one word).
    fn token_pattern(&mut self, term: &str, grams: Option<&Sequence>) -> TokenPattern {
        if grams.is_none() && !has_han(term) {
            return TokenPattern {
                term: term.to_owned(),
                grams: None,
                parts: Vec::new(),
            };
        }
        TokenPattern {
            term: term.to_owned(),
            grams: Some(match grams {
                Some(grams) => grams.clone(),
                None => self.grams_of(term),
            }),
            parts: crate::analysis::compound_parts_with(self.target.dict, term)
                .into_iter()
                .map(|part| {
                    let grams = self.grams_of(&part);
                    (part, grams)
                })
                .collect(),
        }
    }

    /// One word token of an unquoted clause: the word itself; or (for Han) the same
    /// characters inside a longer word; or, for a compound, all of its parts wherever they
    /// stand (`宗教自由` → `宗教` and `自由`) — each alternative weighted below the last.
    fn word(&mut self, pattern: &TokenPattern) -> Built {
        let word = self.term(false, &pattern.term);
        let Some(grams) = &pattern.grams else {
            return word;
        };
        // Every paragraph where the word stands as a word also has its characters as a
        // substring, and every paragraph with the substring has each compound part as a
        // substring: so the widest of these conditions alone decides what matches, and
        // the narrower ones only add score. Expressed as required + optional clauses,
        // tantivy walks one posting list and seeks in the others, instead of merging
        // unions of them (several times faster on frequent words).
        let substring = boost(self.gram_phrase(grams), GRAM_WEIGHT);
        if pattern.parts.is_empty() {
            return boolean(vec![(Occur::Must, substring), (Occur::Should, word)]);
        }
        // The parts are not also scored as words: that clause, a union over frequent
        // words, cost a third of the time of compound queries (人民法院: 2.9 → 2.1 ms on
        // prc-laws) for no change in the dev set's ranking.
        boolean(vec![
            (
                Occur::Must,
                boost(self.parts(pattern), PARTS_WEIGHT * GRAM_WEIGHT),
            ),
            (Occur::Should, word),
            (Occur::Should, substring),
        ])
    }

    /// A query of one word, run as tiers of match kinds, best first: the word as a word (or
    /// a compound's part); else its characters inside other words; else, for a compound,
    /// its parts anywhere. Each tier is one term or a small conjunction that tantivy ranks
    /// with pruning (block-max WAND), where the single query of [`Compiler::word`] scores
    /// every match: on prc-laws, `人民法院` spent 2 ms on phrase checks of its 10,551
    /// matches to return ten. The widest condition, counted apart, gives the total (for a
    /// bigram or a character, from the document frequency alone). Returns the tiers and the
    /// counting query.
    fn single_word(&mut self, pattern: &TokenPattern) -> (Vec<Built>, Built) {
        let word = self.term(false, &pattern.term);
        let Some(grams) = &pattern.grams else {
            let count = self.term(false, &pattern.term);
            return (vec![word], count);
        };
        // The tiers' conditions widen (the word implies its characters, which imply the
        // parts), and a tier only runs once the ones before it are exhausted: so it needs
        // no clause excluding them; the hits already taken are skipped instead.
        let substring = boost(self.gram_phrase(grams), GRAM_WEIGHT);
        if pattern.parts.is_empty() {
            let count = self.gram_phrase(grams);
            return (vec![word, substring], count);
        }
        let scattered = boost(self.parts(pattern), PARTS_WEIGHT * GRAM_WEIGHT);
        (vec![word, substring, scattered], self.parts(pattern))
    }

    /// Every part of a compound as a substring, wherever it stands.
    fn parts(&self, pattern: &TokenPattern) -> Built {
        boolean(
            pattern
                .parts
                .iter()
                .map(|(_, part_grams)| (Occur::Must, self.gram_phrase(part_grams)))
                .collect(),
        )
    }

    /// An unquoted clause: every word required (as a word or a substring); the words in
    /// sequence, and the clause's exact characters, score extra.
    ///
    /// `contiguous_bonus`: whether the clause's characters in one run score extra. Not
    /// when the clause is the second tier after its contiguous matches (see [`compile`]):
    /// that tier only runs once the first has given all of them, so the bonus could only
    /// go to paragraphs already taken, and checking it was one more phrase per match.
    fn words_clause(
        &mut self,
        a: &Analysed,
        tokens: &[TokenPattern],
        contiguous_bonus: bool,
    ) -> Built {
        let seq = word_sequence(&a.words);
        let all_optional = tokens.iter().all(|t| is_optional(&t.term));
        // A clause without Han that makes several words was written as one (`well-being`,
        // `hands-on`, `U.N.`, `COVID-19`): its words belong together, so the sequence is
        // required, and a common word in it (`on`, `be`) is as required as the rest. As
        // two required words and an optional one, `hands-on` found 953 paragraphs of the
        // UN General Debates for its 4, `well-being` every `may well be`.
        let joined = a.grams.is_none() && seq.len() > 1;
        let mut clauses = Vec::new();
        for (i, token) in tokens.iter().enumerate() {
            // A word repeated in the clause (`of-of-of`) is required once; the sequence
            // still asks for every occurrence.
            if tokens[..i].iter().any(|t| t.term == token.term) {
                continue;
            }
            let occur = if !joined && !all_optional && is_optional(&token.term) {
                Occur::Should
            } else {
                Occur::Must
            };
            clauses.push((occur, self.word(token)));
        }
        if seq.len() > 1 {
            clauses.push((
                if joined { Occur::Must } else { Occur::Should },
                boost(self.sequence(false, &seq, 0), PHRASE_BOOST),
            ));
            if let Some(grams) = a.grams.as_ref().filter(|_| contiguous_bonus) {
                clauses.push((Occur::Should, boost(self.gram_phrase(grams), GRAM_WEIGHT)));
            }
        }
        if clauses.len() == 1 {
            return clauses.pop().expect("one").1;
        }
        boolean(clauses)
    }

    /// A quoted clause: its exact sequence (for Han, exactly these characters). For Han,
    /// the characters decide the match, and a paragraph where they also stand as the
    /// clause's words scores more: the words need not be checked for adjacency again (the
    /// characters already are), so they are required together, without positions. As a
    /// second phrase this check cost a fifth of `"依法追究刑事责任"` on prc-laws.
    ///
    /// Only short phrases get that bonus: `"人口"` inside `个人口袋` is common, but five
    /// characters or more almost always stand as the same words (on prc-laws, 3,882 of the
    /// 3,885 paragraphs with `依法追究刑事责任`), and checking it for every match cost
    /// another 20% of the search.
    fn phrase_clause(&self, a: &Analysed) -> Built {
        let seq = word_sequence(&a.words);
        match &a.grams {
            None => self.sequence(false, &seq, 0),
            Some(grams) if grams.len() > MAX_BONUSED_PHRASE_TERMS => {
                boost(self.gram_phrase(grams), GRAM_WEIGHT)
            }
            Some(grams) => {
                let mut words: Vec<&str> = seq.iter().map(|(_, t)| t.as_str()).collect();
                words.sort_unstable();
                words.dedup();
                let as_words = match words.as_slice() {
                    [one] => self.term(false, one),
                    _ => boolean(
                        words
                            .iter()
                            .map(|w| (Occur::Must, self.term(false, w)))
                            .collect(),
                    ),
                };
                boolean(vec![
                    (Occur::Must, boost(self.gram_phrase(grams), GRAM_WEIGHT)),
                    (Occur::Should, boost(as_words, PHRASE_BOOST)),
                ])
            }
        }
    }
}

/// The limits of a phrase of the legs' words: each leg's word, or its required term where
/// that is the word (a word of letters is its own required term).
fn word_limits(legs: &[Leg]) -> Vec<Limit> {
    legs.iter()
        .enumerate()
        .map(|(i, leg)| match leg.word {
            Some(_) => Limit::Word(i),
            None => Limit::Required(i),
        })
        .collect()
}

fn too_many_words() -> QueryError {
    QueryError::at(
        0,
        format!(
            "the query has more than {MAX_QUERY_WORDS} words; zhen searches at most \
             {MAX_QUERY_WORDS}: shorten it (a distinctive sentence finds a paragraph as well \
             as the whole)"
        ),
    )
}

/// The highlight patterns of a query's optional words (`the`, `of`), given its plain groups'
/// words in query order and whether each group is optional: each run of optional groups
/// with the required word before it, and with the one after it (`right to`, `to
/// development`; `state of the`, `of the art`, whose matches overlap and merge into one
/// highlight). A run is highlighted only beside a required word, as in the query: a run
/// alone (`of the`) stands everywhere in English text, and drew snippets away from the
/// match (`state of the art`).
fn optional_runs_beside_words(groups: &[(Vec<String>, bool)]) -> Vec<Pattern> {
    let sequence = |words: &mut dyn Iterator<Item = &String>| Pattern {
        sequence: words.cloned().enumerate().collect(),
        tokens: Vec::new(),
        phrase: true,
        standalone: true,
    };
    let mut patterns = Vec::new();
    let mut i = 0;
    while i < groups.len() {
        if !groups[i].1 {
            i += 1;
            continue;
        }
        let start = i;
        while i < groups.len() && groups[i].1 {
            i += 1;
        }
        let run = || groups[start..i].iter().flat_map(|(words, _)| words);
        if let Some((before, _)) = start.checked_sub(1).map(|b| &groups[b]) {
            let last = before.last().into_iter();
            patterns.push(sequence(&mut last.chain(run())));
        }
        if let Some((after, _)) = groups.get(i) {
            let first = after.first().into_iter();
            patterns.push(sequence(&mut run().chain(first)));
        }
    }
    patterns
}

fn is_optional(term: &str) -> bool {
    OPTIONAL_WORDS.contains(&term)
}

fn is_optional_text(target: &mut Target<'_>, text: &str) -> bool {
    // Optional words are Latin: text without a letter outside Han (most Chinese queries)
    // needs no segmentation to tell.
    if !text
        .chars()
        .any(|c| c.is_alphabetic() && !crate::analysis::is_han(c))
    {
        return false;
    }
    let mut tokens = analyze(target.words, text);
    tokens.dedup_by(|later, earlier| later.position == earlier.position);
    !tokens.is_empty() && tokens.iter().all(|t| is_optional(&t.text))
}

/// What both analyzers make of `text` when it is one character that folds to one Han
/// character: that character, folded, as their only token. A one-character query (`税`) is
/// common and small, and running the two analyzers (folding, script runs, jieba, the
/// n-gram cut, each through a boxed token stream) was a seventh of its instructions; a
/// test holds this to the analyzers for every character of the CJK blocks.
fn one_han_character(text: &str) -> Option<String> {
    let mut chars = text.chars();
    if chars.next().is_none() || chars.next().is_some() {
        return None;
    }
    crate::analysis::with_folded(text, |folded| {
        let mut folded_chars = folded.text().chars();
        match (folded_chars.next(), folded_chars.next()) {
            (Some(c), None) if crate::analysis::is_han(c) => Some(c.to_string()),
            _ => None,
        }
    })
}

/// What the words analyzer makes of `text` when it is one word of ASCII letters (`DNA`,
/// `trafficking`): the word lowercased (a plural acronym, `SDGs`, without its `s`) and
/// stemmed, as highlighting stems words (each thread keeps the stems it made, see
/// `analysis::Stems`), or nothing for a word too long to index. The analyzer's folding, script runs and boxed token stream were a tenth of
/// such a query's instructions; a test holds this to the analyzer for the words of the
/// UN debates and a proptest for any such word.
fn one_ascii_word(text: &str) -> Option<Vec<AnalyzedToken>> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let mut tokens = Vec::with_capacity(1);
    let lower = text.to_ascii_lowercase();
    // A plural acronym's first term is the acronym's (the word as written follows it at
    // its position, which a query drops).
    let word = if crate::analysis::is_plural_acronym(text) {
        &lower[..lower.len() - 1]
    } else {
        &lower
    };
    crate::analysis::Stems::default().with_term(word, |term| {
        tokens.push(AnalyzedToken {
            text: term.to_owned(),
            start: 0,
            end: text.len(),
            position: 0,
        });
    });
    Some(tokens)
}

/// [`gram_sequence`] of the gram analyzer's tokens of `text`, made directly where `text`
/// folds to one run of main-block Han characters (most Chinese queries and their words):
/// the bigrams two positions apart, and the last one (or the character alone). Running
/// the analyzer for it was a third of analysing a query; a proptest holds this to the
/// analyzer. `None` for any other text.
fn han_run_grams(text: &str) -> Option<Sequence> {
    let chars: Vec<char> =
        crate::analysis::with_folded(text, |folded| folded.text().chars().collect());
    if chars.is_empty() || !chars.iter().all(|c| ('\u{4E00}'..='\u{9FFF}').contains(c)) {
        return None;
    }
    let Some(last) = chars.len().checked_sub(2) else {
        return Some(vec![(0, chars[0].to_string())]);
    };
    Some(
        (0..=last)
            .filter(|&p| p % 2 == 0 || p == last)
            .map(|p| (p, chars[p..p + 2].iter().collect()))
            .collect(),
    )
}

fn has_han(text: &str) -> bool {
    crate::analysis::with_folded(text, |folded| {
        folded.text().chars().any(crate::analysis::is_han)
    })
}

/// Reduces the gram analyzer's output to the fewest terms that match the same substring:
/// bigrams that do not overlap (`人民法院` → `人民`, `法院` two positions on; a run of odd
/// length ends on an overlapping one), plus a single character only where no bigram covers
/// it. The gap the n-gram analyzers leave around every Han run (see `segment`) makes the
/// non-overlapping bigrams as exact as the full chain, with fewer posting lists to read.
pub(crate) fn gram_sequence(tokens: &[AnalyzedToken]) -> Sequence {
    let han_chars = |t: &AnalyzedToken, n: usize| {
        t.text.chars().count() == n && t.text.chars().all(crate::analysis::is_han)
    };
    let bigram_at: std::collections::BTreeSet<usize> = tokens
        .iter()
        .filter(|t| han_chars(t, 2))
        .map(|t| t.position)
        .collect();
    // Per chain of bigrams at consecutive positions: every other one, and the last.
    let mut kept: std::collections::HashSet<usize> = std::collections::HashSet::new();
    let mut chain_start = None;
    for &p in &bigram_at {
        let start = match chain_start {
            Some(start) if p > 0 && bigram_at.contains(&(p - 1)) => start,
            _ => p,
        };
        chain_start = Some(start);
        let last_of_chain = !bigram_at.contains(&(p + 1));
        if (p - start) % 2 == 0 || last_of_chain {
            kept.insert(p);
        }
    }
    let mut out: Sequence = Vec::new();
    for t in tokens {
        let keep = if han_chars(t, 2) {
            kept.contains(&t.position)
        } else {
            // A bigram at this position or the previous one already contains this character.
            !(han_chars(t, 1)
                && (bigram_at.contains(&t.position)
                    || (t.position > 0 && bigram_at.contains(&(t.position - 1)))))
        };
        if keep {
            out.push((t.position, t.text.clone()));
        }
    }
    let first = out.first().map_or(0, |(p, _)| *p);
    for (p, _) in &mut out {
        *p -= first;
    }
    out
}

/// `text` without the white space between two Han characters: Chinese has no spaces, so a
/// query's `人口 贩运` means the characters `人口贩运` (the n-gram analyzers would otherwise
/// keep the two runs a position apart).
fn close_han_gaps(text: &str) -> std::borrow::Cow<'_, str> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out: Option<String> = None;
    let mut i = 0;
    while i < chars.len() {
        let (at, c) = chars[i];
        if c.is_whitespace() && i > 0 && crate::analysis::is_han(chars[i - 1].1) {
            let j = (i..chars.len())
                .find(|&j| !chars[j].1.is_whitespace())
                .unwrap_or(chars.len());
            if j < chars.len() && crate::analysis::is_han(chars[j].1) {
                out.get_or_insert_with(|| text[..at].to_owned());
                i = j;
                continue;
            }
        }
        if let Some(out) = out.as_mut() {
            out.push(c);
        }
        i += 1;
    }
    out.map_or(std::borrow::Cow::Borrowed(text), std::borrow::Cow::Owned)
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
    let mut c = Compiler { target };
    let mut clauses: Vec<(Occur, Built)> = Vec::new();
    let mut patterns = Vec::new();
    let mut analysis = Vec::new();
    // The tokens of the plain (single-alternative, unquoted) groups, for the proximity bonus.
    let mut plain_tokens: Vec<AnalyzedToken> = Vec::new();
    let mut plain_groups = 0;
    // Per plain group, in query order: its words, and whether it is optional (for the
    // highlights of optional words, below).
    let mut plain_words: Vec<(Vec<String>, bool)> = Vec::new();
    // While every group is one required word that a single term finds: the query's words
    // as a [`SpacedWords`] query (see there).
    let mut legs: Option<Vec<Leg>> = Some(Vec::new());

    // A group made only of common English words (`the`, `of`) is optional unless the whole
    // query is made of them: so a query of one group has none (and its words need not be
    // analysed twice to tell).
    let optional: Vec<bool> = parsed
        .groups
        .iter()
        .map(|group| {
            parsed.groups.len() > 1
                && matches!(group.as_slice(), [Clause::Words(text)] if is_optional_text(c.target, text))
        })
        .collect();
    let all_optional = optional.iter().all(|o| *o);
    let mut plain_texts: Vec<&str> = Vec::new();
    // For a query of one unquoted clause of several Han words: the clause as a phrase, the
    // first of its tiers (see below).
    let mut contiguous: Option<Built> = None;
    // Whether that clause's words are all single characters (jieba knew no word in it, as
    // in an abbreviation it lacks, `儿基会`): then its characters scattered anywhere mean
    // nothing, and only the contiguous tier runs. On the work reports, `儿基会` found 50
    // paragraphs by `儿科医生…基本公共卫生…社会`, none with `儿基会`.
    let mut only_contiguous = false;

    let mut words_in_query = 0;
    for (group, optional) in parsed.groups.iter().zip(optional) {
        let mut alternatives: Vec<(Occur, Built)> = Vec::new();
        for clause in group {
            let is_phrase = matches!(clause, Clause::Phrase(_));
            let role = if is_phrase { "phrase" } else { "words" };
            let Some(a) = c.analyse(clause.text()) else {
                if c.target.explain {
                    analysis.push(describe(clause, role, None));
                }
                continue;
            };
            words_in_query += a.words.len();
            if words_in_query > MAX_QUERY_WORDS {
                return Err(too_many_words());
            }
            if c.target.explain {
                analysis.push(describe(clause, role, Some(&a)));
            }
            // Computed once: the query tree and the highlights both need them. A clause that
            // is one word, as written, has that word's n-grams already.
            let whole = match (a.words.as_slice(), &a.grams) {
                ([only], Some(grams)) if only.text == clause.text() => Some(grams),
                _ => None,
            };
            let tokens: Vec<TokenPattern> = a
                .words
                .iter()
                .map(|t| c.token_pattern(&t.text, whole))
                .collect();
            let built = if is_phrase {
                c.phrase_clause(&a)
            } else {
                if parsed.groups.len() == 1
                    && parsed.excluded.is_empty()
                    && group.len() == 1
                    && a.words.len() > 1
                    && a.grams.is_some()
                {
                    contiguous = Some(c.phrase_clause(&a));
                    only_contiguous = a.words.iter().all(|w| {
                        let mut chars = w.text.chars();
                        chars.next().is_some_and(crate::analysis::is_han) && chars.next().is_none()
                    });
                }
                c.words_clause(&a, &tokens, contiguous.is_none())
            };
            alternatives.push((Occur::Should, built));
            let leg = match (group.len(), is_phrase, optional, tokens.as_slice()) {
                (1, false, false, [token]) => c.leg(token),
                _ => None,
            };
            match (legs.as_mut(), leg) {
                (Some(legs), Some(leg)) => legs.push(leg),
                _ => legs = None,
            }
            if group.len() == 1 && !is_phrase {
                plain_tokens.extend(a.words.iter().cloned());
                plain_texts.push(clause.text());
                plain_groups += 1;
                plain_words.push((a.words.iter().map(|w| w.text.clone()).collect(), optional));
            }
            patterns.push(Pattern {
                sequence: a.grams.clone().unwrap_or_else(|| word_sequence(&a.words)),
                tokens,
                phrase: is_phrase,
                standalone: !optional || all_optional,
            });
        }
        let occur = if optional && !all_optional {
            Occur::Should
        } else {
            Occur::Must
        };
        match alternatives.len() {
            0 => {}
            1 => clauses.push((occur, alternatives.pop().expect("one").1)),
            _ => clauses.push((occur, boolean(alternatives))),
        }
    }
    if clauses.is_empty() {
        return Err(QueryError::at(
            0,
            "the query has no searchable words (only punctuation or symbols, or words of \
             100 bytes or more, which are not indexed): search for words, numbers or \
             Chinese characters",
        ));
    }
    let mut bonuses: Vec<Bonus> = Vec::new();
    if plain_groups >= 2 {
        // Spaced words that stand close together score extra; written contiguously
        // (`宗教 自由` as `宗教自由`), as much as a phrase.
        let seq: Sequence = plain_tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (i, t.text.clone()))
            .collect();
        let proximity = boost(c.sequence(false, &seq, PROXIMITY_SLOP), PROXIMITY_BOOST);
        if let Some(legs) = &legs {
            bonuses.push(Bonus {
                query: proximity.query.box_clone(),
                terms: c.sequence_terms(false, &seq),
                boost: PROXIMITY_BOOST,
                // The phrase's terms are the legs' words (a word of letters is its own
                // required term). Two words' phrase occurs at most as often as each of
                // them (each match pairs one occurrence of each); tantivy's count for more
                // words within a slop can exceed a word's frequency, though not every
                // word's (see `Bonus::greatest`).
                limits: word_limits(legs),
                greatest: legs.len() > 2,
                slop: (legs.len() == 2).then_some(PROXIMITY_SLOP),
                implied: Vec::new(),
            });
        }
        clauses.push((Occur::Should, proximity));
        patterns.extend(optional_runs_beside_words(&plain_words));
        let joined = plain_texts.join(" ");
        if !has_han(&joined) {
            // Words in letters written as the query writes them score as a phrase, as Han
            // words written contiguously do (below): on the UN General Debates, `right to
            // development` ranked `key to development, rights` third with only the
            // proximity bonus.
            let exact = boost(c.sequence(false, &seq, 0), PHRASE_BOOST);
            if let Some(legs) = &legs {
                bonuses.push(Bonus {
                    query: exact.query.box_clone(),
                    terms: c.sequence_terms(false, &seq),
                    boost: PHRASE_BOOST,
                    // An exact phrase occurs at most as often as each of its words.
                    limits: word_limits(legs),
                    greatest: false,
                    slop: (legs.len() == 2).then_some(0),
                    implied: Vec::new(),
                });
            }
            clauses.push((Occur::Should, exact));
        } else {
            let grams = c.grams_of(&joined);
            let contiguous = boost(c.gram_phrase(&grams), PHRASE_BOOST);
            if let Some(legs) = &legs {
                bonuses.push(Bonus {
                    // Checked at one match at a time, with its spanned bigrams (see
                    // `implied`): the plain phrase.
                    query: boost(c.sequence(true, &grams, 0), PHRASE_BOOST).query,
                    terms: c.sequence_terms(true, &grams),
                    boost: PHRASE_BOOST,
                    // Where the joined words occur, each word's bigram occurs too. (A
                    // character's frequency in its field is always 1: no limit.)
                    limits: legs
                        .iter()
                        .enumerate()
                        .filter(|(_, leg)| leg.required.field() == c.target.grams_field)
                        .map(|(i, _)| Limit::Required(i))
                        .collect(),
                    greatest: false,
                    slop: None,
                    implied: spanned_bigrams(&grams)
                        .map(|bigram| Term::from_field_text(c.target.grams_field, &bigram))
                        .collect(),
                });
            }
            clauses.push((Occur::Should, contiguous));
        }
    }
    let mut exclusions: Vec<Built> = Vec::new();
    let mut exclusions_are_terms = true;
    for clause in &parsed.excluded {
        let a = c.analyse(clause.text());
        if c.target.explain {
            analysis.push(describe(clause, "excluded", a.as_ref()));
        }
        if let Some(a) = a {
            words_in_query += a.words.len();
            if words_in_query > MAX_QUERY_WORDS {
                return Err(too_many_words());
            }
            let (in_grams, seq) = match &a.grams {
                Some(grams) => (true, grams.clone()),
                None => (false, word_sequence(&a.words)),
            };
            let mut built = if in_grams {
                c.gram_phrase(&seq)
            } else {
                c.sequence(false, &seq, 0)
            };
            if seq.len() > 1 {
                // A phrase (see `guard`); a term keeps tantivy's faster exclusion of terms.
                built.query = Box::new(super::guard::ForwardOnly(built.query));
                exclusions_are_terms = false;
            }
            exclusions.push(built);
        }
    }
    // With exclusions, tiers pay off only where checking a hit is cheap and there are few
    // tiers: each tier's pass and the count then walk the matches apart. Excluded phrases
    // (position checks for every candidate, most of them excluded in `法院 -人民法院`) and
    // compounds (three tiers, each a full pass when hits are few: `人口贩运 -国会`) were
    // slower than the single query on prc-laws; excluded terms with a word were faster
    // (`合同 -劳动`: search 190 → 125 µs).
    let exclusions_fit_tiers = |p: &Pattern| {
        exclusions.is_empty() || (exclusions_are_terms && p.tokens[0].parts.is_empty())
    };
    let single_word = matches!(parsed.groups.as_slice(), [group] if group.len() == 1)
        && matches!(patterns.as_slice(),
            [p] if !p.phrase && p.tokens.len() == 1 && exclusions_fit_tiers(p));
    let (tiers, count, exclude, tree) = match (single_word, patterns.first().map(|p| &p.tokens[0]))
    {
        (true, Some(token)) => {
            let (tiers, count) = c.single_word(token);
            // Exclusions filter each tier's hits as they are ranked (see `search::top`),
            // so the tiers keep their pruning; the count leaves them out itself.
            let (count, exclude) = if exclusions.is_empty() {
                (count, None)
            } else {
                let exclude = match exclusions.as_slice() {
                    [one] => one.query.box_clone(),
                    several => Box::new(BooleanQuery::new(
                        several
                            .iter()
                            .map(|e| (Occur::Should, e.query.box_clone()))
                            .collect(),
                    )) as Box<dyn Query>,
                };
                let mut clauses = vec![(Occur::Must, count)];
                clauses.extend(exclusions.into_iter().map(|e| (Occur::MustNot, e)));
                (boolean(clauses), Some(exclude))
            };
            let explain = c.target.explain;
            let mut children: Vec<QueryNode> = Vec::new();
            let mut queries = Vec::with_capacity(tiers.len());
            for (i, tier) in tiers.into_iter().enumerate() {
                if explain {
                    let mut node = tier.node;
                    node.label = format!("tier {}: {}", i + 1, node.label);
                    children.push(node);
                }
                queries.push(tier.query);
            }
            let tree = if explain {
                let mut count_node = count.node;
                count_node.label = format!("count: {}", count_node.label);
                children.push(count_node);
                QueryNode {
                    label: TIERS_LABEL.to_owned(),
                    children,
                }
            } else {
                QueryNode::blank()
            };
            (queries, Some(count.query), exclude, tree)
        }
        (false, _) if contiguous.is_some() => {
            // One unquoted clause of several words, as tiers: the clause contiguous (as the
            // quoted phrase), then every word wherever it stands; the second, which scores
            // every match with its phrase bonuses, runs only when the first gives fewer
            // hits than asked for, and counts the hits without its bonuses. On prc-laws,
            // `依法追究刑事责任` unquoted spent 3 ms checking the positions of its words'
            // bigrams, and of the clause's, in 5,043 paragraphs, where the quoted phrase
            // takes 0.9 ms; 3,885 of its 4,088 hits are contiguous.
            let contiguous = contiguous.take().expect("checked");
            if only_contiguous {
                return Ok(Compiled {
                    tiers: vec![contiguous.query],
                    count: None,
                    exclude: None,
                    patterns,
                    explanation: Explanation {
                        clauses: analysis,
                        tree: contiguous.node,
                    },
                });
            }
            let all = boolean(clauses);
            let tree = if c.target.explain {
                let mut first = contiguous.node;
                first.label = format!("tier 1: {}", first.label);
                let mut second = all.node.clone();
                second.label = format!("tier 2: {}", second.label);
                let mut count = all.node;
                count.label = format!("count: {}", count.label);
                QueryNode {
                    label: TIERS_LABEL.to_owned(),
                    children: vec![first, second, count],
                }
            } else {
                QueryNode::blank()
            };
            let count = all.query.box_clone();
            (vec![contiguous.query, all.query], Some(count), None, tree)
        }
        _ => {
            let spaced = match legs {
                Some(legs)
                    if exclusions.is_empty()
                        && !bonuses.is_empty()
                        && bonuses.len() <= MAX_BONUSES =>
                {
                    Some((legs, bonuses))
                }
                _ => None,
            };
            clauses.extend(exclusions.into_iter().map(|e| (Occur::MustNot, e)));
            let built = boolean(clauses);
            let query = match spaced {
                Some((legs, bonuses)) => Box::new(SpacedWords {
                    legs,
                    bonuses,
                    filters: Vec::new(),
                    general: built.query,
                }),
                None => built.query,
            };
            (vec![query], None, None, built.node)
        }
    };
    Ok(Compiled {
        tiers,
        count,
        exclude,
        patterns,
        explanation: Explanation {
            clauses: analysis,
            tree,
        },
    })
}

const TIERS_LABEL: &str = "tiers (best first; a tier runs while the ones before it give fewer \
     hits than asked for, and adds the hits they lack)";

fn describe(clause: &Clause, role: &'static str, a: Option<&Analysed>) -> ClauseAnalysis {
    ClauseAnalysis {
        text: clause.text().to_owned(),
        role,
        words: a
            .map(|a| a.words.iter().map(|t| t.text.clone()).collect())
            .unwrap_or_default(),
        grams: a
            .and_then(|a| a.grams.as_ref())
            .map(|g| g.iter().map(|(_, t)| t.clone()).collect())
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    /// The words analyzer's tokens of `text`, the long way, compound parts left out.
    fn words_by_analyzer(text: &str) -> Vec<AnalyzedToken> {
        let mut words = crate::analysis::analyzer_with_dict(&crate::analysis::UserDict::default());
        let mut tokens = analyze(&mut words, text);
        tokens.dedup_by(|later, earlier| later.position == earlier.position);
        tokens
    }

    proptest::proptest! {
        #[test]
        fn an_ascii_word_has_the_analyzers_term(
            text in "[A-Za-z]{1,48}|[a-z]{1,12}(ing|ed|ies|s|'s)?|[A-Z]{1,5}[sS]"
        ) {
            if let Some(fast) = one_ascii_word(&text) {
                proptest::prop_assert_eq!(fast, words_by_analyzer(&text));
            }
        }
    }

    #[test]
    fn english_words_have_the_analyzers_terms() {
        let mut seen = std::collections::HashSet::new();
        let debates =
            crate::search::test_corpus::texts("un-general-debates-2015-2024.en.jsonl.gz", 200);
        for text in &debates {
            for word in text.split(|c: char| !c.is_ascii_alphabetic()) {
                if word.is_empty() || !seen.insert(word.to_owned()) {
                    continue;
                }
                let fast = one_ascii_word(word).expect("a word of ASCII letters");
                assert_eq!(fast, words_by_analyzer(word), "{word}");
            }
        }
        assert!(seen.len() > 3_000, "{} words", seen.len());
        // Around the longest term indexed, and beyond.
        let limit = crate::analysis::MAX_TOKEN_BYTES;
        for n in [limit - 1, limit, limit + 1, 4 * limit] {
            let word = "a".repeat(n);
            assert_eq!(
                one_ascii_word(&word),
                Some(words_by_analyzer(&word)),
                "{n} letters"
            );
        }
        // Plural acronyms, and words that are none.
        for (word, term) in [
            ("SDGs", "sdg"),
            ("NGOs", "ngo"),
            ("SDGS", "sdgs"),
            ("Is", "is"),
        ] {
            assert_eq!(
                one_ascii_word(word),
                Some(words_by_analyzer(word)),
                "{word}"
            );
            assert_eq!(one_ascii_word(word).unwrap()[0].text, term, "{word}");
        }
        for text in ["", "DNA2", "human rights", "naïve", "税"] {
            assert_eq!(one_ascii_word(text), None, "{text:?}");
        }
    }

    /// The gram analyzer's sequence of `text`, the long way.
    fn grams_by_analyzer(text: &str) -> Sequence {
        let mut grams = crate::analysis::ngram_analyzer();
        gram_sequence(&analyze(&mut grams, &close_han_gaps(text)))
    }

    proptest::proptest! {
        #[test]
        fn a_han_run_has_the_analyzers_grams(
            // Main-block Han (simplified and traditional), a compatibility ideograph, an
            // extension-A character, 〇 and 々, a squared word that folds to two Han
            // characters, full-width and ASCII letters, spaces and punctuation.
            text in "[人权法院國勞動税稅\u{F900}\u{3400}〇々\u{337B}Ａa1 \u{3000}、。]{1,9}"
        ) {
            if let Some(fast) = han_run_grams(&close_han_gaps(&text)) {
                proptest::prop_assert_eq!(fast, grams_by_analyzer(&text));
            }
        }
    }

    #[test]
    fn han_runs_of_real_queries_have_the_analyzers_grams() {
        let substrings = include_str!("../../../../benches/queries/prc-laws-substrings.txt");
        let queries = substrings
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split('\t').nth(1))
            .chain([
                "人口贩运",
                "國際勞工組織",
                "法院",
                "税",
                "宗教 自由",
                "人民 法院 判决",
            ]);
        let mut fast = 0;
        for q in queries {
            if let Some(grams) = han_run_grams(&close_han_gaps(q)) {
                fast += 1;
                assert_eq!(grams, grams_by_analyzer(q), "{q}");
            }
        }
        assert!(fast >= 40, "{fast} queries took the short way");
        assert_eq!(han_run_grams("税收 2020"), None);
        assert_eq!(han_run_grams("人权，自由"), None);
    }

    #[test]
    fn one_han_character_is_what_the_analyzers_make_of_it() {
        // Every character of the CJK blocks and their compatibility forms, plain and among
        // full-width, traditional and non-Han neighbours.
        let mut words = crate::analysis::analyzer_with_dict(&crate::analysis::UserDict::default());
        let mut grams = crate::analysis::ngram_analyzer();
        let blocks = [
            '\u{3400}'..='\u{4DBF}',
            '\u{4E00}'..='\u{9FFF}',
            '\u{F900}'..='\u{FAFF}',
        ];
        let others = [
            'Ａ',
            'a',
            '1',
            '１',
            '。',
            '〇',
            'ー',
            '\u{2F00}',
            '\u{2E80}',
            '\u{20000}',
            '\u{2F800}',
        ];
        let mut fast = 0;
        for c in blocks.into_iter().flatten().chain(others) {
            let text = c.to_string();
            let Some(folded) = one_han_character(&text) else {
                continue;
            };
            fast += 1;
            let mut expected = analyze(&mut words, &text);
            expected.dedup_by(|later, earlier| later.position == earlier.position);
            assert_eq!(
                expected,
                vec![AnalyzedToken::new(&folded, 0, text.len(), 0)],
                "{c} (U+{:04X})",
                c as u32
            );
            assert_eq!(
                gram_sequence(&analyze(&mut grams, &close_han_gaps(&text))),
                vec![(0, folded.clone())],
                "{c} (U+{:04X})",
                c as u32
            );
        }
        assert!(fast > 27_000, "{fast} characters take the short way");
        for text in ["", "税收", "税 ", "a", "1"] {
            assert_eq!(one_han_character(text), None, "{text:?}");
        }
    }

    use super::*;

    fn words(s: &str) -> Clause {
        Clause::Words(s.to_owned())
    }

    /// The gram sequence of `text` and the bigrams it spans.
    fn spanned(text: &str) -> (Sequence, Vec<String>) {
        let mut grams = crate::analysis::ngram_analyzer();
        let seq = gram_sequence(&analyze(&mut grams, &close_han_gaps(text)));
        let spanned = spanned_bigrams(&seq).collect();
        (seq, spanned)
    }

    #[test]
    fn a_sequence_spans_the_bigrams_between_its_own() {
        assert_eq!(spanned("合同违约").1, ["同违"]);
        assert_eq!(spanned("依法追究刑事责任").1, ["法追", "究刑", "事责"]);
        // An odd run ends on an overlapping bigram: nothing between it and the one before.
        let (seq, between) = spanned("人民法院的");
        assert_eq!(seq.len(), 3, "{seq:?}");
        assert_eq!(between, ["民法"]);
        // Separate runs: no bigram joins them.
        assert_eq!(spanned("人民，法院").1, Vec::<String>::new());
        assert_eq!(spanned("GDP增长").1, Vec::<String>::new());
    }

    proptest::proptest! {
        #[test]
        fn a_runs_bigrams_are_its_sequence_and_what_that_spans(text in "[人民法院合同违约的]{2,12}") {
            let (seq, between) = spanned(&text);
            let chars: Vec<char> = text.chars().collect();
            let mut every: Vec<String> = chars.windows(2).map(|w| w.iter().collect()).collect();
            let mut found: Vec<String> = seq.into_iter().map(|(_, t)| t).chain(between).collect();
            every.sort();
            every.dedup();
            found.sort();
            found.dedup();
            proptest::prop_assert_eq!(found, every);
        }
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
            ("人口 OR -贩运", 7, "`OR` at character 4 cannot join"),
            // The excluded term before `OR` is a word, but not one it can join.
            ("人口 -贩运 OR 酷刑", 4, "`OR` at character 8 cannot join"),
            ("人口 OR NOT 贩运", 7, "`OR` at character 4 cannot join"),
            // It was the word `and`, OR-ed with the next word.
            (
                "合同 AND OR 劳动",
                4,
                "`AND` at character 4 stands next to `OR`",
            ),
            (
                "human OR AND women",
                10,
                "`AND` at character 10 stands next to `OR`",
            ),
            ("-人口", 0, "only excludes"),
            ("NOT 人口", 0, "only excludes"),
            ("人口 NOT", 4, "`NOT` at character 4 ends the query"),
            ("NOT", 1, "write `not` in lower case to search for it"),
            ("人口 NOT NOT 贩运", 4, "`NOT` at character 4 needs a word"),
            ("人口 NOT OR 贩运", 4, "`NOT` at character 4 needs a word"),
            ("人口 NOT -贩运", 8, "both exclude"),
            ("人口 ＯＲ", 4, "`OR` at character 4 ends the query"),
            ("   ", 0, "empty"),
            ("人口 \"\"", 4, "empty"),
        ] {
            let err = parse(query).unwrap_err();
            assert_eq!(err.position, position, "{query}: {err}");
            assert!(err.message.contains(needle), "{query}: {err}");
        }
    }

    #[test]
    fn a_clause_given_twice_counts_once() {
        // Each copy was another pass over the same postings: 2,500 `the`s took 3 s.
        let q = parse("the the right the to right -x -x").unwrap();
        assert_eq!(
            q.groups,
            [
                vec![Clause::Words("the".into())],
                vec![Clause::Words("right".into())],
                vec![Clause::Words("to".into())],
            ]
        );
        assert_eq!(q.excluded, [Clause::Words("x".into())]);
        // Different clauses of the same words are different.
        assert_eq!(parse("人权 \"人权\"").unwrap().groups.len(), 2);
    }

    #[test]
    fn lower_case_operators_are_words() {
        for query in [
            "this or that",
            "this not that",
            "this and that",
            "this ｏｒ that",
        ] {
            let q = parse(query).unwrap();
            assert_eq!(q.groups.len(), 3, "{query}");
            assert!(q.excluded.is_empty(), "{query}");
        }
    }

    #[test]
    fn full_width_operators_and_quotes_are_the_ascii_ones() {
        let q = parse("警务 ＯＲ 酷刑").unwrap();
        assert_eq!(q.groups, vec![vec![words("警务"), words("酷刑")]]);
        let q = parse("＂表达自由＂ ＮＯＴ 国会 ＡＮＤ 人权").unwrap();
        assert_eq!(
            q.groups,
            vec![vec![Clause::Phrase("表达自由".into())], vec![words("人权")]]
        );
        assert_eq!(q.excluded, vec![words("国会")]);
    }

    #[test]
    fn not_excludes_as_minus_does() {
        let q = parse(r#"人权 NOT 美国 NOT "国会" 酷刑"#).unwrap();
        assert_eq!(q.groups, vec![vec![words("人权")], vec![words("酷刑")]]);
        assert_eq!(
            q.excluded,
            vec![words("美国"), Clause::Phrase("国会".into())]
        );
        assert_eq!(
            parse("NOT 美国 人权 AND NOT 国会").unwrap(),
            parse("-美国 人权 -国会").unwrap()
        );
    }

    #[test]
    fn and_joins_as_a_space_does() {
        let q = parse("土著 OR 原住民 AND 权利 AND -国会").unwrap();
        assert_eq!(
            q.groups,
            vec![vec![words("土著"), words("原住民")], vec![words("权利")]]
        );
        assert_eq!(q.excluded, vec![words("国会")]);
    }

    #[test]
    fn and_anywhere_else_is_the_word() {
        for (query, groups) in [
            ("AND", vec![vec![words("AND")]]),
            ("ＡＮＤ", vec![vec![words("ＡＮＤ")]]),
            ("人权 AND", vec![vec![words("人权")], vec![words("AND")]]),
            ("AND 人权", vec![vec![words("AND")], vec![words("人权")]]),
        ] {
            assert_eq!(parse(query).unwrap().groups, groups, "{query}");
        }
    }
}
