//! Search-quality evaluation against graded relevance judgements ("qrels").
//!
//! A qrels file has one query per line: `query<TAB>judgement judgement …[<TAB>note]`, where
//! each judgement is `number:grade` or `document/number:grade`. `number` is a printed
//! paragraph number; `document` (a document id, which may itself hold `/` or `:`, as in
//! `A/76/123/18:2`) limits the judgement to that document's paragraph, while a number
//! alone matches that paragraph of any document. `grade` is 2 (the paragraph is about the
//! query), 1 (it mentions it) or 0 (judged, not relevant); each line grades at least one
//! paragraph 1 or 2. The optional note says what the line tests. `#` starts a comment
//! line. Each paragraph is judged at most once per query, and a file must hold at least
//! one query.
//!
//! Metrics, per query over the top 10 hits:
//! * nDCG@10 with linear gains (`grade / log2(rank + 1)`, as `trec_eval`'s `ndcg_cut_10`),
//!   normalised by the ideal ranking of the judged paragraphs;
//! * Recall@10: the share of judged paragraphs (grade > 0) found in the top 10.
//!
//! Each judgement is credited at most once, where it first ranks (see [`credits`]).

use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::search::{SearchOptions, Searcher};

/// The cut-off of both metrics.
pub const CUTOFF: usize = 10;

/// The highest grade: 2, the paragraph is about the query (1: it mentions it; 0: judged,
/// not relevant).
pub const MAX_GRADE: u32 = 2;

/// The grading scale, for messages.
const SCALE: &str = "0 (judged, not relevant), 1 (mentions the query) or 2 (about the query)";

/// One judged paragraph of a query: `number:grade` or `document/number:grade` in a qrels
/// file.
///
/// ```
/// use zhen::eval::Judged;
/// let any = Judged::any(18, 2);
/// assert!(any.matches("a", Some(18)) && any.matches("b", Some(18)));
/// let one = Judged::in_doc("A/76/123", 18, 2);
/// assert!(one.matches("A/76/123", Some(18)) && !one.matches("b", Some(18)));
/// assert_eq!(one.to_string(), "A/76/123/18:2");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Judged {
    /// The document the paragraph is in; `None` when the judgement names the paragraph by
    /// its number alone, so that any document's paragraph of that number matches.
    pub doc: Option<String>,
    /// The printed paragraph number.
    pub number: u32,
    /// The grade, 0 to [`MAX_GRADE`].
    pub grade: u32,
}

impl Judged {
    /// A judgement of paragraph `number` of any document (`number:grade`).
    pub fn any(number: u32, grade: u32) -> Judged {
        Judged {
            doc: None,
            number,
            grade,
        }
    }

    /// A judgement of paragraph `number` of document `doc` (`doc/number:grade`).
    pub fn in_doc(doc: &str, number: u32, grade: u32) -> Judged {
        Judged {
            doc: Some(doc.to_owned()),
            number,
            grade,
        }
    }

    /// Whether a hit of document `doc` with printed number `number` (`None` for an
    /// unnumbered block, which no judgement matches) is the judged paragraph.
    pub fn matches(&self, doc: &str, number: Option<u32>) -> bool {
        number == Some(self.number) && self.doc.as_deref().is_none_or(|d| d == doc)
    }

    /// The paragraph as a qrels file names it: `number` or `document/number`.
    fn paragraph(&self) -> String {
        match &self.doc {
            Some(doc) => format!("{doc}/{}", self.number),
            None => self.number.to_string(),
        }
    }

    /// Parses one judgement of a qrels line; the error says why, for [`Error::Qrels`].
    fn parse(item: &str) -> std::result::Result<Judged, String> {
        let form = || {
            format!(
                "`{item}` is not `number:grade` or `document/number:grade` (e.g. `18:2`, \
                 `A/76/123/18:2`)"
            )
        };
        // From the right: document ids may hold `/` and `:` (`A/76/123`), numbers and
        // grades never do.
        let (paragraph, grade) = item.rsplit_once(':').ok_or_else(form)?;
        let (doc, number) = match paragraph.rsplit_once('/') {
            Some((doc, number)) => (Some(doc), number),
            None => (None, paragraph),
        };
        let number: u32 = number.parse().map_err(|_| form())?;
        if doc == Some("") {
            return Err(format!(
                "`{item}` names no document before the `/`: write `document/{number}:{grade}`, \
                 or `{number}:{grade}` for paragraph {number} of any document"
            ));
        }
        let grade = if !grade.is_empty() && grade.bytes().all(|b| b.is_ascii_digit()) {
            match grade.parse::<u32>() {
                Ok(g) if g <= MAX_GRADE => g,
                _ => {
                    return Err(format!(
                        "`{item}`: grade {grade} is not on the scale; grade {SCALE}"
                    ))
                }
            }
        } else {
            return Err(form());
        };
        Ok(Judged {
            doc: doc.map(str::to_owned),
            number,
            grade,
        })
    }
}

impl std::fmt::Display for Judged {
    /// As a qrels file writes it: `number:grade` or `document/number:grade`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.paragraph(), self.grade)
    }
}

/// The judgements for one query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Judgement {
    /// The query text.
    pub query: String,
    /// The judged paragraphs, in file order.
    pub relevant: Vec<Judged>,
    /// The free-text note of the line (what it tests), if any.
    pub note: Option<String>,
    /// 1-based line in the qrels file.
    pub line: usize,
}

/// Reads and parses a qrels file, in any encoding a source may have (UTF-8, UTF-16,
/// GB18030, Big5: see [`crate::source`]): a qrels file saved as GBK is read as such.
pub fn read_qrels(path: &Path) -> Result<Vec<Judgement>> {
    let text = crate::source::read(path)?.text;
    // A byte-order mark (as editors on Windows save UTF-8) is not part of the first query.
    parse_qrels(path, text.strip_prefix('\u{feff}').unwrap_or(&text))
}

/// The form of a qrels line, for messages.
const QRELS_LINE: &str = "write one query per line, as `query<TAB>number:grade ...`";

/// Parses qrels text (`path` is only used in error messages).
///
/// Every query must parse as `zhen search` would parse it ([`Error::QueryInFile`]
/// otherwise).
///
/// A paragraph judged twice on one line is an error rather than a choice of either grade:
/// [`ndcg`] would take the first grade for the ranking but both for the ideal, so the score
/// would depend on the order of the pairs. For the same reason a number may not be judged
/// both alone (any document) and for a document. A query on two lines is an error too, and
/// so is a line that grades no paragraph 1 or 2: its nDCG would be 0 whatever the ranking,
/// which `trec_eval` avoids by leaving such queries out, and which would drag the mean down.
pub fn parse_qrels(path: &Path, text: &str) -> Result<Vec<Judgement>> {
    let mut out: Vec<Judgement> = Vec::new();
    // As `zhen index` splits documents: `str::lines` leaves a lone `\r` (classic Mac OS) in
    // the line, which made a whole file one line that "is not number:grade".
    for (i, line) in crate::document::lines(text).enumerate() {
        let line_no = i + 1;
        let bad = |reason: String| Error::Qrels {
            path: path.to_path_buf(),
            line: line_no,
            reason,
        };
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let columns: Vec<&str> = line.split('\t').collect();
        let [query, judged, rest @ ..] = columns.as_slice() else {
            return Err(bad(
                "expected `query<TAB>number:grade ...`, found no tab".to_owned()
            ));
        };
        // A fourth column was dropped unread: a tab inside the note, or a column meant for
        // something this format does not hold.
        if rest.len() > 1 {
            return Err(bad(format!(
                "{} tab-separated columns; a line has at most three (query, judgements, note): \
                 replace any tab in the note with a space",
                columns.len()
            )));
        }
        let query = query.trim().to_owned();
        let note = rest
            .first()
            .map(|n| n.trim())
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        if query.is_empty() {
            return Err(bad("the query (first column) is empty".to_owned()));
        }
        // Two lines for one query would be two queries in the means, with judgements that
        // may disagree: one line per query.
        if let Some(first) = out.iter().find(|j| j.query == query) {
            return Err(bad(format!(
                "the query `{query}` is judged on line {} already; put its judgements on one line",
                first.line
            )));
        }
        // Checked here, with the file and line at hand, so that a bad query stops the run
        // before any query is searched rather than as a bare query error partway through.
        crate::search::parse(&query).map_err(|source| Error::QueryInFile {
            path: path.to_path_buf(),
            line: line_no,
            source,
        })?;
        let mut relevant: Vec<Judged> = Vec::new();
        for item in judged.split_whitespace() {
            let new = Judged::parse(item).map_err(&bad)?;
            if let Some(first) = relevant
                .iter()
                .find(|j| j.number == new.number && j.doc == new.doc)
            {
                let grades = if first.grade == new.grade {
                    format!("grade {} both times", new.grade)
                } else {
                    format!("grades {} and {}", first.grade, new.grade)
                };
                return Err(bad(format!(
                    "paragraph {} is judged twice ({grades}); keep one",
                    new.paragraph()
                )));
            }
            if let Some(other) = relevant
                .iter()
                .find(|j| j.number == new.number && (j.doc.is_none() != new.doc.is_none()))
            {
                let (alone, qualified) = if other.doc.is_none() {
                    (other, &new)
                } else {
                    (&new, other)
                };
                return Err(bad(format!(
                    "paragraph {} is judged for any document (`{alone}`) and for one \
                     (`{qualified}`); keep one (a number alone matches that paragraph of \
                     every document)",
                    new.number
                )));
            }
            relevant.push(new);
        }
        if relevant.is_empty() {
            return Err(bad("no judged paragraphs in the second column".to_owned()));
        }
        if relevant.iter().all(|j| j.grade == 0) {
            return Err(bad(
                "no paragraph is graded 1 or 2: grade at least one relevant paragraph, or \
                 leave the query out (with none, its nDCG is 0 whatever the ranking)"
                    .to_owned(),
            ));
        }
        out.push(Judgement {
            query,
            relevant,
            note,
            line: line_no,
        });
    }
    if out.is_empty() {
        return Err(Error::NoQueries {
            path: path.to_path_buf(),
            hint: QRELS_LINE,
        });
    }
    Ok(out)
}

/// The evaluation of one query.
///
/// In JSON, `ranked` and `relevant` keep their number-only form (`[18, null]`,
/// `[[18, 2]]`) for readers of earlier reports; `ranked_docs` and `relevant_docs` give the
/// documents alongside, item for item (`null` in `relevant_docs` for a judgement of any
/// document).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct QueryEval {
    /// The query.
    pub query: String,
    /// nDCG@10.
    pub ndcg_at_10: f64,
    /// Recall@10.
    pub recall_at_10: f64,
    /// Paragraph numbers of the top hits, in rank order (`None` for unnumbered blocks).
    pub ranked: Vec<Option<u32>>,
    /// The documents of the top hits, in rank order (as [`QueryEval::ranked`]).
    pub ranked_docs: Vec<String>,
    /// The judgements.
    pub relevant: Vec<Judged>,
    /// The note of the qrels line.
    pub note: Option<String>,
}

impl QueryEval {
    /// The top hits as `(document, paragraph number)`, in rank order.
    pub fn hits(&self) -> Vec<(&str, Option<u32>)> {
        self.ranked_docs
            .iter()
            .map(String::as_str)
            .zip(self.ranked.iter().copied())
            .collect()
    }

    /// The grade each top hit is credited with ([`credits`]).
    pub fn credits(&self) -> Vec<Option<u32>> {
        credits(&self.hits(), &self.relevant)
    }
}

impl Serialize for QueryEval {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Json<'a> {
            query: &'a str,
            ndcg_at_10: f64,
            recall_at_10: f64,
            ranked: &'a [Option<u32>],
            ranked_docs: &'a [String],
            relevant: Vec<(u32, u32)>,
            relevant_docs: Vec<Option<&'a str>>,
            note: Option<&'a str>,
        }
        Json {
            query: &self.query,
            ndcg_at_10: self.ndcg_at_10,
            recall_at_10: self.recall_at_10,
            ranked: &self.ranked,
            ranked_docs: &self.ranked_docs,
            relevant: self.relevant.iter().map(|j| (j.number, j.grade)).collect(),
            relevant_docs: self.relevant.iter().map(|j| j.doc.as_deref()).collect(),
            note: self.note.as_deref(),
        }
        .serialize(serializer)
    }
}

/// The evaluation of a qrels set.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct EvalReport {
    /// Per query, in file order.
    pub queries: Vec<QueryEval>,
    /// Mean nDCG@10 over the queries.
    pub mean_ndcg_at_10: f64,
    /// Mean Recall@10 over the queries.
    pub mean_recall_at_10: f64,
}

/// The grade each hit of `ranked` (`(document, paragraph number)` in rank order) is
/// credited with: that of the judgement it matches ([`Judged::matches`]), where the
/// judgement first ranks; `None` for a hit no judgement matches, or one already credited.
///
/// A judgement of a number alone matches that paragraph of every document, so on an index
/// of several documents it can match several hits; crediting it once keeps nDCG at most 1.
/// Judgements that match the same paragraph (which [`parse_qrels`] rejects) are credited
/// in their order.
///
/// ```
/// use zhen::eval::{credits, Judged};
/// let judged = [Judged::any(1, 2), Judged::in_doc("b", 7, 1)];
/// let ranked = [("a", Some(1)), ("b", Some(1)), ("a", Some(7)), ("b", Some(7)), ("b", None)];
/// assert_eq!(credits(&ranked, &judged), [Some(2), None, None, Some(1), None]);
/// ```
pub fn credits(ranked: &[(&str, Option<u32>)], judged: &[Judged]) -> Vec<Option<u32>> {
    let mut credited = vec![false; judged.len()];
    ranked
        .iter()
        .map(|&(doc, number)| {
            let i = (0..judged.len()).find(|&i| !credited[i] && judged[i].matches(doc, number))?;
            credited[i] = true;
            Some(judged[i].grade)
        })
        .collect()
}

/// nDCG at [`CUTOFF`] of a ranking of `(document, paragraph number)` hits, given graded
/// judgements. Each judgement gains only where it first ranks ([`credits`]), so the
/// result is at most 1.
///
/// ```
/// use zhen::eval::Judged;
/// let judged = [Judged::any(18, 2), Judged::any(29, 2), Judged::any(17, 1)];
/// let hits = |numbers: &[u32]| -> Vec<(&str, Option<u32>)> {
///     numbers.iter().map(|&n| ("doc", Some(n))).collect()
/// };
/// let perfect = zhen::eval::ndcg(&hits(&[18, 29, 17]), &judged);
/// assert!((perfect - 1.0).abs() < 1e-12);
/// let swapped = zhen::eval::ndcg(&hits(&[17, 29, 18]), &judged);
/// assert!(swapped < 1.0 && swapped > 0.8);
/// // ¶18 of a second document adds nothing.
/// let twice = zhen::eval::ndcg(
///     &[("a", Some(18)), ("b", Some(18)), ("a", Some(29)), ("a", Some(17))],
///     &judged,
/// );
/// assert!(twice < 1.0);
/// ```
pub fn ndcg(ranked: &[(&str, Option<u32>)], judged: &[Judged]) -> f64 {
    let discount = |rank: usize| 1.0 / ((rank + 2) as f64).log2();
    let top = &ranked[..ranked.len().min(CUTOFF)];
    let dcg: f64 = credits(top, judged)
        .into_iter()
        .enumerate()
        .map(|(i, g)| f64::from(g.unwrap_or(0)) * discount(i))
        .sum();
    let mut ideal: Vec<f64> = judged.iter().map(|j| f64::from(j.grade)).collect();
    ideal.sort_by(|a, b| b.total_cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(CUTOFF)
        .enumerate()
        .map(|(i, g)| g * discount(i))
        .sum();
    // `+ 0.0` turns the `-0.0` that an empty float sum gives into `0.0`.
    if idcg == 0.0 {
        0.0
    } else {
        dcg / idcg + 0.0
    }
}

/// Recall at [`CUTOFF`]: the share of judged paragraphs (grade > 0) among the top hits
/// (`(document, paragraph number)` in rank order).
pub fn recall(ranked: &[(&str, Option<u32>)], judged: &[Judged]) -> f64 {
    let relevant = judged.iter().filter(|j| j.grade > 0).count();
    if relevant == 0 {
        return 0.0;
    }
    let top = &ranked[..ranked.len().min(CUTOFF)];
    // Each judgement is credited at most once, so credited grades count found paragraphs.
    let found = credits(top, judged)
        .into_iter()
        .filter(|g| g.is_some_and(|g| g > 0))
        .count();
    found as f64 / relevant as f64
}

/// Runs every judged query and scores the rankings.
pub fn evaluate(searcher: &Searcher, judgements: &[Judgement]) -> Result<EvalReport> {
    let mut queries = Vec::with_capacity(judgements.len());
    for j in judgements {
        let results = searcher.search_with(&j.query, &SearchOptions::with_limit(CUTOFF))?;
        let hits: Vec<(&str, Option<u32>)> = results
            .hits
            .iter()
            .map(|h| (h.doc.as_str(), h.paragraph))
            .collect();
        queries.push(QueryEval {
            query: j.query.clone(),
            ndcg_at_10: ndcg(&hits, &j.relevant),
            recall_at_10: recall(&hits, &j.relevant),
            ranked: hits.iter().map(|&(_, n)| n).collect(),
            ranked_docs: hits.iter().map(|&(d, _)| d.to_owned()).collect(),
            relevant: j.relevant.clone(),
            note: j.note.clone(),
        });
    }
    let n = queries.len().max(1) as f64;
    Ok(EvalReport {
        mean_ndcg_at_10: queries.iter().map(|q| q.ndcg_at_10).sum::<f64>() / n,
        mean_recall_at_10: queries.iter().map(|q| q.recall_at_10).sum::<f64>() / n,
        queries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_dev_format_and_reports_bad_lines() {
        let text = "# comment\n人口贩运\t18:2 29:2 17:1\tthe headline query\n\n1325\t13:2\n";
        let q = parse_qrels(Path::new("q.tsv"), text).unwrap();
        assert_eq!(q.len(), 2);
        assert_eq!(
            q[0].relevant,
            [Judged::any(18, 2), Judged::any(29, 2), Judged::any(17, 1)]
        );
        assert_eq!(q[0].note.as_deref(), Some("the headline query"));
        assert_eq!(q[1].line, 4);
        let err = parse_qrels(Path::new("q.tsv"), "a\t18:2\nb\t18-2\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "q.tsv:2: `18-2` is not `number:grade` or `document/number:grade` \
             (e.g. `18:2`, `A/76/123/18:2`)"
        );
        let err = parse_qrels(Path::new("q.tsv"), "no tab here\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("q.tsv:1: expected"), "{err}");
    }

    #[test]
    fn lines_end_as_zhen_index_ends_them() {
        for text in [
            "人权\t8:2\r劳工\t25:1\r",
            "人权\t8:2\r\n劳工\t25:1\r\n",
            "人权\t8:2\n劳工\t25:1",
        ] {
            let q = parse_qrels(Path::new("q.tsv"), text).unwrap();
            let lines: Vec<(&str, usize)> = q.iter().map(|j| (j.query.as_str(), j.line)).collect();
            assert_eq!(lines, [("人权", 1), ("劳工", 2)], "{text:?}");
        }
        // The line of an error counts lone CRs too.
        let err = parse_qrels(Path::new("q.tsv"), "人权\t8:2\r\r劳工\t25-1\r")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("q.tsv:3: `25-1`"), "{err}");
    }

    #[test]
    fn a_qrels_file_saved_as_gbk_is_read() {
        // It was "cannot read qrels.tsv: stream did not contain valid UTF-8".
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("qrels.tsv");
        let (gbk, _, _) = encoding_rs::GBK.encode("人口贩运\t29:2 18:2\t主题\n劳工\t25:1\n");
        std::fs::write(&path, gbk).unwrap();
        let judged: Vec<(String, Vec<Judged>)> = read_qrels(&path)
            .unwrap()
            .into_iter()
            .map(|j| (j.query, j.relevant))
            .collect();
        assert_eq!(
            judged,
            [
                (
                    "人口贩运".to_owned(),
                    vec![Judged::any(29, 2), Judged::any(18, 2)]
                ),
                ("劳工".to_owned(), vec![Judged::any(25, 1)])
            ]
        );
    }

    #[test]
    fn a_query_judged_on_two_lines_is_rejected() {
        let err = parse_qrels(Path::new("q.tsv"), "人口贩运\t29:2\n# c\n人口贩运\t29:1\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("q.tsv:3: the query `人口贩运` is judged on line 1 already"),
            "{err}"
        );
    }

    #[test]
    fn ndcg_stays_at_most_one_when_a_number_ranks_twice() {
        // Two documents each with a ¶7: the second adds no gain.
        let judged = [Judged::any(7, 2)];
        let twice = [("a", Some(7)), ("b", Some(7)), ("a", Some(3))];
        assert!((ndcg(&twice, &judged) - 1.0).abs() < 1e-12);
        let late = [("a", Some(3)), ("a", Some(7)), ("b", Some(7))];
        assert!((ndcg(&late, &judged) - 1.0 / 3f64.log2()).abs() < 1e-12);
    }

    #[test]
    fn a_paragraph_judged_twice_is_rejected_in_either_order() {
        // Accepted, the two orders gave nDCG 0.760 and 0.380 for the same ranking.
        for (line, grades) in [
            ("人权\t8:2 8:1\n", "grades 2 and 1"),
            ("人权\t8:1 16:1 8:2\n", "grades 1 and 2"),
            ("人权\t8:2 8:2\n", "grade 2 both times"),
        ] {
            let err = parse_qrels(Path::new("q.tsv"), &format!("# set\n{line}"))
                .unwrap_err()
                .to_string();
            assert_eq!(
                err,
                format!("q.tsv:2: paragraph 8 is judged twice ({grades}); keep one")
            );
        }
        // The same paragraph for two queries is no duplicate.
        let q = parse_qrels(Path::new("q.tsv"), "人权\t8:2\n劳工\t8:1\n").unwrap();
        assert_eq!(
            (&q[0].relevant[0], &q[1].relevant[0]),
            (&Judged::any(8, 2), &Judged::any(8, 1))
        );
    }

    #[test]
    fn a_file_without_queries_is_rejected() {
        for text in ["", "\n\n", "# only a comment\n  # and another\n\n"] {
            let err = parse_qrels(Path::new("q.tsv"), text).unwrap_err();
            assert!(
                matches!(&err, Error::NoQueries { path, .. } if path == Path::new("q.tsv")),
                "{err:?}"
            );
            assert!(
                err.to_string().starts_with("q.tsv holds no queries: "),
                "{err}"
            );
        }
    }

    #[test]
    fn a_query_that_does_not_parse_is_named_by_file_and_line() {
        let err = parse_qrels(Path::new("q.tsv"), "人权\t8:2\n\n\"人权\t8:2\n").unwrap_err();
        assert!(
            matches!(&err, Error::QueryInFile { line: 3, source, .. } if source.position == 1),
            "{err:?}"
        );
        let message = err.to_string();
        assert!(
            message.starts_with("q.tsv:3: invalid query: the quote at character 1 is never closed"),
            "{message}"
        );
    }

    /// Hits of one document `d`, by number.
    fn in_d(numbers: &[Option<u32>]) -> Vec<(&'static str, Option<u32>)> {
        numbers.iter().map(|&n| ("d", n)).collect()
    }

    #[test]
    fn metrics() {
        let judged = [Judged::any(8, 2), Judged::any(16, 1)];
        assert_eq!(recall(&in_d(&[Some(8)]), &judged), 0.5);
        assert_eq!(recall(&in_d(&[None, Some(16), Some(8)]), &judged), 1.0);
        // Linear gains: DCG = 2/log2(2) + 1/log2(3); the ranking below swaps them.
        let ideal = 2.0 + 1.0 / 3f64.log2();
        let swapped = 1.0 + 2.0 / 3f64.log2();
        assert!((ndcg(&in_d(&[Some(16), Some(8)]), &judged) - swapped / ideal).abs() < 1e-12);
        assert_eq!(ndcg(&in_d(&[Some(1), Some(2)]), &judged), 0.0);
        assert!(ndcg(&[], &judged).is_sign_positive(), "no -0.0 in reports");
    }

    #[test]
    fn a_judgement_may_name_its_document() {
        let q = parse_qrels(
            Path::new("q.tsv"),
            "Mr. President\tA/76/123/1:2 A/76/124/1:1 1:x:y/2:1 3:0\n",
        );
        // `1:x:y/2:1`: the number is after the last `/`, the grade after the last `:`.
        let q = q.unwrap();
        assert_eq!(
            q[0].relevant,
            [
                Judged::in_doc("A/76/123", 1, 2),
                Judged::in_doc("A/76/124", 1, 1),
                Judged::in_doc("1:x:y", 2, 1),
                Judged::any(3, 0),
            ]
        );
        assert_eq!(q[0].relevant[0].to_string(), "A/76/123/1:2");
        // Every document has a ¶1 here (the QA case): a qualified judgement is credited to
        // its document's ¶1 only, where it ranks; a number alone to the first ¶1.
        let ranked = [
            ("A/76/999", Some(1)),
            ("A/76/123", Some(1)),
            ("A/76/124", Some(1)),
        ];
        let judged = [Judged::in_doc("A/76/123", 1, 2)];
        assert_eq!(credits(&ranked, &judged), [None, Some(2), None]);
        assert!((ndcg(&ranked, &judged) - 1.0 / 3f64.log2()).abs() < 1e-12);
        assert_eq!(recall(&ranked[..1], &judged), 0.0);
        assert_eq!(recall(&ranked, &judged), 1.0);
        let alone = [Judged::any(1, 2)];
        assert_eq!(credits(&ranked, &alone), [Some(2), None, None]);
        assert_eq!(ndcg(&ranked, &alone), 1.0);
    }

    #[test]
    fn a_qualified_paragraph_judged_twice_or_also_alone_is_rejected() {
        for (items, reason) in [
            (
                "d/8:2 d/8:1",
                "paragraph d/8 is judged twice (grades 2 and 1); keep one",
            ),
            (
                "8:1 d/8:2",
                "paragraph 8 is judged for any document (`8:1`) and for one (`d/8:2`); keep \
                 one (a number alone matches that paragraph of every document)",
            ),
            (
                "d/8:2 8:1",
                "paragraph 8 is judged for any document (`8:1`) and for one (`d/8:2`); keep \
                 one (a number alone matches that paragraph of every document)",
            ),
            (
                "/8:2",
                "`/8:2` names no document before the `/`: write `document/8:2`, or `8:2` for \
                 paragraph 8 of any document",
            ),
        ] {
            let err = parse_qrels(Path::new("q.tsv"), &format!("人权\t{items}\n"))
                .unwrap_err()
                .to_string();
            assert_eq!(err, format!("q.tsv:1: {reason}"), "{items}");
        }
        // The same number in two documents is two paragraphs.
        let q = parse_qrels(Path::new("q.tsv"), "人权\td/8:2 e/8:1\n").unwrap();
        assert_eq!(q[0].relevant.len(), 2);
    }

    #[test]
    fn grades_are_0_1_or_2() {
        // Accepted, `18:3` counted as a better "about" than 2, and `18:4294967295` swamped
        // every other judgement of the set.
        for (item, grade) in [
            ("18:3", "3"),
            ("18:4294967295", "4294967295"),
            ("d/18:99999999999", "99999999999"),
        ] {
            let err = parse_qrels(Path::new("q.tsv"), &format!("人权\t8:2 {item}\n"))
                .unwrap_err()
                .to_string();
            assert_eq!(
                err,
                format!(
                    "q.tsv:1: `{item}`: grade {grade} is not on the scale; grade 0 (judged, \
                     not relevant), 1 (mentions the query) or 2 (about the query)"
                )
            );
        }
        for item in ["18:-1", "18:", "18:2.0"] {
            let err = parse_qrels(Path::new("q.tsv"), &format!("人权\t{item}\n"))
                .unwrap_err()
                .to_string();
            assert!(err.contains("is not `number:grade`"), "{err}");
        }
        let q = parse_qrels(Path::new("q.tsv"), "人权\t8:0 9:1 10:2\n").unwrap();
        let grades: Vec<u32> = q[0].relevant.iter().map(|j| j.grade).collect();
        assert_eq!(grades, [0, 1, 2]);
    }

    #[test]
    fn a_line_without_a_relevant_paragraph_is_rejected() {
        // Accepted, it scored nDCG 0 whatever the ranking and dragged the mean down.
        let err = parse_qrels(Path::new("q.tsv"), "人权\t8:2\n劳工\t8:0 9:0\tnone\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "q.tsv:2: no paragraph is graded 1 or 2: grade at least one relevant paragraph, \
             or leave the query out (with none, its nDCG is 0 whatever the ranking)"
        );
    }

    #[test]
    fn a_line_has_at_most_three_columns_and_an_empty_note_is_none() {
        // Accepted, the fourth column was dropped unread.
        let err = parse_qrels(Path::new("q.tsv"), "人权\t8:2\tnote\t9:2\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "q.tsv:1: 4 tab-separated columns; a line has at most three (query, judgements, \
             note): replace any tab in the note with a space"
        );
        let q = parse_qrels(
            Path::new("q.tsv"),
            "人权\t8:2\n劳工\t8:1\t \n表达\t8:1\tx\n",
        )
        .unwrap();
        let notes: Vec<Option<&str>> = q.iter().map(|j| j.note.as_deref()).collect();
        assert_eq!(notes, [None, None, Some("x")]);
    }

    #[test]
    fn json_keeps_numbers_and_gives_documents_alongside() {
        let q = QueryEval {
            query: "人权".to_owned(),
            ndcg_at_10: 1.0,
            recall_at_10: 1.0,
            ranked: vec![Some(8), None],
            ranked_docs: vec!["a".to_owned(), "b".to_owned()],
            relevant: vec![Judged::in_doc("a", 8, 2), Judged::any(9, 1)],
            note: None,
        };
        assert_eq!(
            serde_json::to_value(&q).unwrap(),
            serde_json::json!({
                "query": "人权", "ndcg_at_10": 1.0, "recall_at_10": 1.0,
                "ranked": [8, null], "ranked_docs": ["a", "b"],
                "relevant": [[8, 2], [9, 1]], "relevant_docs": ["a", null],
                "note": null,
            })
        );
        assert_eq!(q.hits(), [("a", Some(8)), ("b", None)]);
        assert_eq!(q.credits(), [Some(2), None]);
    }
}
