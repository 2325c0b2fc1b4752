//! Search quality of zhen against the plain tantivy + tantivy-jieba baseline
//! ([`zhen_benches::baseline`]) on the shipped UN document.
//!
//! Both indexes hold the same units, the blocks of `zhen::document::parse`, so differences
//! come from analysis and query handling only. Prints, as Markdown tables ready for the
//! README:
//!
//! 1. nDCG@10 and Recall@10 per judged query of a qrels file, and their means;
//! 2. the top-5 paragraphs and total hit count of both for queries that exercise known
//!    failure classes of word-segmented search.
//!
//! Run: `cargo run --release -p zhen-benches --bin compare-quality [QRELS]`
//! (default QRELS: `../shared/eval/dev-qrels.tsv` relative to the workspace root).

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use zhen::eval::{self, Judgement};
use zhen_benches::baseline::Baseline;

/// The document both indexes are built from.
const SHIPPED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../index-data/us-hrc-pledges-2021.zh.txt"
);

/// The development relevance judgements, used when no qrels file is given.
const DEFAULT_QRELS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/eval/dev-qrels.tsv"
);

/// The queries of the failure-class table: `(class, query)`. The baseline is given the
/// same text as zhen, quotes and `-` included, since both parsers read them.
const FAILURE_CLASSES: &[(&str, &str)] = &[
    ("sub-word", "劳工"),
    ("single character", "贩"),
    ("cross-word substring (phrase)", "\"动人权\""),
    ("digits glued to Han", "2019冠状病毒病"),
    ("unspaced multi-word", "宗教自由"),
    ("unspaced multi-word", "妇女暴力"),
    ("unspaced multi-word", "贩运人口"),
    ("traditional", "國際勞工組織"),
    ("full-width digits", "１５５７"),
    ("compound precision", "人权高专办"),
    ("exclusion", "人口贩运 -国会"),
];

/// Hits kept per query for the metrics (their cut-off).
const EVAL_DEPTH: usize = eval::CUTOFF;

/// Paragraph numbers shown per query in the failure-class table.
const SHOWN: usize = 5;

/// One system's answer to a query: total matches and the ranked paragraph numbers.
struct Ranking {
    total: usize,
    ranked: Vec<Option<u32>>,
}

/// The two systems under comparison, over the same paragraphs.
struct Systems {
    baseline: Baseline,
    zhen: zhen::Searcher,
    /// The id of the one document both index, for judgements that name it.
    doc: String,
}

impl Systems {
    /// The baseline's ranking. Index errors are reported on stderr and rank nothing.
    fn baseline(&self, query: &str, limit: usize) -> Ranking {
        match self.baseline.search_counted(query, limit) {
            Ok((total, hits)) => Ranking {
                total,
                ranked: hits.into_iter().map(|(_, number, _)| number).collect(),
            },
            Err(e) => {
                eprintln!("compare-quality: baseline failed on {query:?}: {e}");
                Ranking::empty()
            }
        }
    }

    /// zhen's ranking. A query zhen rejects is reported on stderr and ranks nothing, so
    /// one bad qrels line does not hide the rest of the comparison.
    fn zhen(&self, query: &str, limit: usize) -> Ranking {
        match self.zhen.search(query, limit) {
            Ok(results) => Ranking {
                total: results.total_hits,
                ranked: results.hits.iter().map(|h| h.paragraph).collect(),
            },
            Err(e) => {
                eprintln!("compare-quality: zhen failed on {query:?}: {e}");
                Ranking::empty()
            }
        }
    }
}

impl Ranking {
    fn empty() -> Ranking {
        Ranking {
            total: 0,
            ranked: Vec::new(),
        }
    }

    /// The first `n` paragraph numbers, e.g. `¶18 ¶29 ·` (`·`: an unnumbered block).
    fn top(&self, n: usize) -> String {
        if self.ranked.is_empty() {
            return "—".to_owned();
        }
        self.ranked
            .iter()
            .take(n)
            .map(|p| p.map_or_else(|| "·".to_owned(), |n| format!("¶{n}")))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("compare-quality: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let qrels_path = match std::env::args_os().nth(1) {
        Some(arg) if arg == "-h" || arg == "--help" => {
            println!("usage: compare-quality [QRELS]   (default: {DEFAULT_QRELS})");
            return Ok(());
        }
        Some(arg) => PathBuf::from(arg),
        None => PathBuf::from(DEFAULT_QRELS),
    };
    // Read the judgements first: a wrong path should fail before minutes of indexing.
    let judgements = eval::read_qrels(&qrels_path)?;

    let (_dirs, systems) = build(Path::new(SHIPPED));

    println!(
        "## Retrieval quality on `{}` ({} queries, top {EVAL_DEPTH})\n",
        qrels_path.file_name().unwrap_or_default().to_string_lossy(),
        judgements.len()
    );
    print_eval(&systems, &judgements);
    println!("\n## Failure classes (top {SHOWN} paragraphs, total hits)\n");
    print_failure_classes(&systems);
    println!("\n`·` is an unnumbered block (title, heading, metadata); `—` means no hits.");
    Ok(())
}

/// Builds both indexes from `shipped` in fresh temporary directories, which are deleted
/// when the returned guards drop.
///
/// Failures here are setup failures of this tool (a missing shipped file, an unwritable
/// temp dir), not results, so they panic with a message.
fn build(shipped: &Path) -> ([tempfile::TempDir; 2], Systems) {
    let zhen_dir = tempfile::tempdir().expect("create a temp dir for the zhen index");
    let mut builder = zhen::IndexBuilder::create(zhen_dir.path()).expect("create the zhen index");
    builder
        .add_file(shipped)
        .expect("read and index the shipped document with zhen");
    builder.commit().expect("commit the zhen index");
    let zhen = zhen::Index::open(zhen_dir.path())
        .expect("open the zhen index")
        .searcher();

    // The baseline gets exactly zhen's paragraphs: same decoding, same document model, same
    // document id as `IndexBuilder::add_file` uses.
    let source = zhen::source::read(shipped).expect("read the shipped document");
    let doc_id = shipped
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let paragraphs = zhen::document::parse(&doc_id, &source.text)
        .into_iter()
        .map(|p| (p.number, p.text));
    let baseline_dir = tempfile::tempdir().expect("create a temp dir for the baseline index");
    let baseline =
        Baseline::build(baseline_dir.path(), paragraphs).expect("build the baseline index");

    (
        [zhen_dir, baseline_dir],
        Systems {
            baseline,
            zhen,
            doc: doc_id,
        },
    )
}

/// The per-query nDCG@10 / Recall@10 table, with a final row of means.
fn print_eval(systems: &Systems, judgements: &[Judgement]) {
    println!("| query | baseline nDCG@10 | baseline R@10 | zhen nDCG@10 | zhen R@10 |");
    println!("|---|---:|---:|---:|---:|");
    let mut sums = [0.0f64; 4];
    for j in judgements {
        // Both systems index one document, so its id goes with every hit.
        let hits = |ranked: Vec<Option<u32>>| -> Vec<(&str, Option<u32>)> {
            ranked
                .into_iter()
                .map(|n| (systems.doc.as_str(), n))
                .collect()
        };
        let base = hits(systems.baseline(&j.query, EVAL_DEPTH).ranked);
        let ours = hits(systems.zhen(&j.query, EVAL_DEPTH).ranked);
        let row = [
            eval::ndcg(&base, &j.relevant),
            eval::recall(&base, &j.relevant),
            eval::ndcg(&ours, &j.relevant),
            eval::recall(&ours, &j.relevant),
        ];
        for (sum, value) in sums.iter_mut().zip(row) {
            *sum += value;
        }
        println!(
            "| {} | {} | {} | {} | {} |",
            cell(&j.query),
            metric(row[0]),
            metric(row[1]),
            metric(row[2]),
            metric(row[3])
        );
    }
    let n = judgements.len().max(1) as f64;
    println!(
        "| **mean** | **{}** | **{}** | **{}** | **{}** |",
        metric(sums[0] / n),
        metric(sums[1] / n),
        metric(sums[2] / n),
        metric(sums[3] / n)
    );
}

/// The failure-class table: top paragraphs and total hits of both systems per query.
fn print_failure_classes(systems: &Systems) {
    println!(
        "| class | query | baseline top {SHOWN} | baseline hits | zhen top {SHOWN} | zhen hits |"
    );
    println!("|---|---|---|---:|---|---:|");
    for (class, query) in FAILURE_CLASSES {
        let base = systems.baseline(query, SHOWN);
        let ours = systems.zhen(query, SHOWN);
        println!(
            "| {class} | {} | {} | {} | {} | {} |",
            cell(query),
            base.top(SHOWN),
            base.total,
            ours.top(SHOWN),
            ours.total
        );
    }
}

/// A metric with three decimals. Adding `0.0` turns a negative zero (what a float sum of
/// nothing gives, e.g. the nDCG of an empty ranking) into `0.000` rather than `-0.000`.
fn metric(value: f64) -> String {
    format!("{:.3}", value + 0.0)
}

/// A query as a Markdown table cell: in backticks, with `|` escaped so it cannot end the
/// cell.
fn cell(query: &str) -> String {
    format!("`{}`", query.replace('|', "\\|"))
}
