//! Search-quality evaluation against graded relevance judgements ("qrels").
//!
//! A qrels file has one query per line: `query<TAB>number:grade number:grade …`, where
//! `number` is a printed paragraph number and `grade` is 2 (the paragraph is about the
//! query) or 1 (it mentions it); anything after a second tab is a note. `#` starts a
//! comment line. Each paragraph is judged at most once per query, and a file must hold at
//! least one query.
//!
//! Metrics, per query over the top 10 hits:
//! * nDCG@10 with linear gains (`grade / log2(rank + 1)`, as `trec_eval`'s `ndcg_cut_10`),
//!   normalised by the ideal ranking of the judged paragraphs;
//! * Recall@10: the share of judged paragraphs (grade > 0) found in the top 10.

use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::search::{SearchOptions, Searcher};

/// The cut-off of both metrics.
pub const CUTOFF: usize = 10;

/// The judgements for one query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Judgement {
    /// The query text.
    pub query: String,
    /// `(paragraph number, grade)` pairs.
    pub relevant: Vec<(u32, u32)>,
    /// The free-text note of the line (what it tests), if any.
    pub note: String,
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
/// would depend on the order of the pairs. Paragraphs are named by their printed number
/// alone, so the same number is the same paragraph. A query on two lines is an error too.
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
        let mut columns = line.split('\t');
        let query = columns.next().unwrap_or_default().trim().to_owned();
        let judged = columns
            .next()
            .ok_or_else(|| bad("expected `query<TAB>number:grade ...`, found no tab".to_owned()))?;
        let note = columns.next().unwrap_or_default().trim().to_owned();
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
        let mut relevant = Vec::new();
        for item in judged.split_whitespace() {
            let parsed = item
                .split_once(':')
                .and_then(|(n, g)| Some((n.parse::<u32>().ok()?, g.parse::<u32>().ok()?)));
            let Some((number, grade)) = parsed else {
                return Err(bad(format!("`{item}` is not `number:grade` (e.g. `18:2`)")));
            };
            if let Some((_, first)) = relevant.iter().find(|(n, _)| *n == number) {
                let grades = if *first == grade {
                    format!("grade {grade} both times")
                } else {
                    format!("grades {first} and {grade}")
                };
                return Err(bad(format!(
                    "paragraph {number} is judged twice ({grades}); keep one"
                )));
            }
            relevant.push((number, grade));
        }
        if relevant.is_empty() {
            return Err(bad("no judged paragraphs in the second column".to_owned()));
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
#[derive(Debug, Clone, Serialize)]
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
    /// The judgements.
    pub relevant: Vec<(u32, u32)>,
    /// The note of the qrels line.
    pub note: String,
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

/// nDCG at [`CUTOFF`] of a ranking, given graded judgements. A judged number gains only
/// where it first ranks (two documents' paragraphs can print the same number), so the
/// result is at most 1.
///
/// ```
/// let judged = [(18, 2), (29, 2), (17, 1)];
/// let perfect = zhen::eval::ndcg(&[Some(18), Some(29), Some(17)], &judged);
/// assert!((perfect - 1.0).abs() < 1e-12);
/// let swapped = zhen::eval::ndcg(&[Some(17), Some(29), Some(18)], &judged);
/// assert!(swapped < 1.0 && swapped > 0.8);
/// // ¶18 of a second document adds nothing.
/// let twice = zhen::eval::ndcg(&[Some(18), Some(18), Some(29), Some(17)], &judged);
/// assert!(twice < 1.0);
/// ```
pub fn ndcg(ranked: &[Option<u32>], judged: &[(u32, u32)]) -> f64 {
    // A judged number gains once, where it first ranks: on an index of several documents
    // two hits can print the same number, and counting both would lift nDCG above 1.
    let mut gained: Vec<u32> = Vec::new();
    let mut gain = |n: Option<u32>| match n.and_then(|n| judged.iter().find(|(p, _)| *p == n)) {
        Some(&(n, g)) if !gained.contains(&n) => {
            gained.push(n);
            f64::from(g)
        }
        _ => 0.0,
    };
    let discount = |rank: usize| 1.0 / ((rank + 2) as f64).log2();
    let dcg: f64 = ranked
        .iter()
        .take(CUTOFF)
        .enumerate()
        .map(|(i, &n)| gain(n) * discount(i))
        .sum();
    let mut ideal: Vec<f64> = judged.iter().map(|(_, g)| f64::from(*g)).collect();
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

/// Recall at [`CUTOFF`]: the share of judged paragraphs (grade > 0) in the top hits.
pub fn recall(ranked: &[Option<u32>], judged: &[(u32, u32)]) -> f64 {
    let relevant: Vec<u32> = judged
        .iter()
        .filter(|(_, g)| *g > 0)
        .map(|(n, _)| *n)
        .collect();
    if relevant.is_empty() {
        return 0.0;
    }
    let found = relevant
        .iter()
        .filter(|n| ranked.iter().take(CUTOFF).any(|r| *r == Some(**n)))
        .count();
    found as f64 / relevant.len() as f64
}

/// Runs every judged query and scores the rankings.
pub fn evaluate(searcher: &Searcher, judgements: &[Judgement]) -> Result<EvalReport> {
    let mut queries = Vec::with_capacity(judgements.len());
    for j in judgements {
        let results = searcher.search_with(&j.query, &SearchOptions::with_limit(CUTOFF))?;
        let ranked: Vec<Option<u32>> = results.hits.iter().map(|h| h.paragraph).collect();
        queries.push(QueryEval {
            query: j.query.clone(),
            ndcg_at_10: ndcg(&ranked, &j.relevant),
            recall_at_10: recall(&ranked, &j.relevant),
            ranked,
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
        assert_eq!(q[0].relevant, [(18, 2), (29, 2), (17, 1)]);
        assert_eq!(q[0].note, "the headline query");
        assert_eq!(q[1].line, 4);
        let err = parse_qrels(Path::new("q.tsv"), "a\t18:2\nb\t18-2\n")
            .unwrap_err()
            .to_string();
        assert_eq!(err, "q.tsv:2: `18-2` is not `number:grade` (e.g. `18:2`)");
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
        let judged: Vec<(String, Vec<(u32, u32)>)> = read_qrels(&path)
            .unwrap()
            .into_iter()
            .map(|j| (j.query, j.relevant))
            .collect();
        assert_eq!(
            judged,
            [
                ("人口贩运".to_owned(), vec![(29, 2), (18, 2)]),
                ("劳工".to_owned(), vec![(25, 1)])
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
        let judged = [(7, 2)];
        assert!((ndcg(&[Some(7), Some(7), Some(3)], &judged) - 1.0).abs() < 1e-12);
        assert!((ndcg(&[Some(3), Some(7), Some(7)], &judged) - 1.0 / 3f64.log2()).abs() < 1e-12);
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
        assert_eq!((q[0].relevant[0], q[1].relevant[0]), ((8, 2), (8, 1)));
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

    #[test]
    fn metrics() {
        let judged = [(8, 2), (16, 1)];
        assert_eq!(recall(&[Some(8)], &judged), 0.5);
        assert_eq!(recall(&[None, Some(16), Some(8)], &judged), 1.0);
        // Linear gains: DCG = 2/log2(2) + 1/log2(3); the ranking below swaps them.
        let ideal = 2.0 + 1.0 / 3f64.log2();
        let swapped = 1.0 + 2.0 / 3f64.log2();
        assert!((ndcg(&[Some(16), Some(8)], &judged) - swapped / ideal).abs() < 1e-12);
        assert_eq!(ndcg(&[Some(1), Some(2)], &judged), 0.0);
        assert!(ndcg(&[], &judged).is_sign_positive(), "no -0.0 in reports");
    }
}
