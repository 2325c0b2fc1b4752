//! `zhen`: index and search Chinese/English documents from the terminal.
//!
//! A thin layer over the `zhen` library: it parses arguments, calls the library's public
//! API and renders the results for a terminal or as JSON.

mod build;
mod locate;
mod progress;
mod render;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};

use locate::IndexLocation;

/// Bilingual Chinese/English full-text search.
///
/// zhen splits documents into their numbered paragraphs, segments Chinese with jieba,
/// folds traditional characters and full-width forms, stems English, and finds the
/// paragraphs that match a query, best first, with the matched words highlighted.
#[derive(Debug, Parser)]
#[command(name = "zhen", version, propagate_version = true)]
#[command(after_help = "Examples:\n  \
    zhen search 人口贩运\n  \
    zhen search '\"表达自由\"' --json\n  \
    zhen index index-data/ --index /tmp/zhen-index")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build an index from text documents (replacing any previous one atomically).
    #[command(after_help = "Examples:\n  \
        zhen index                         index everything in index-data/ into index-data/index\n  \
        zhen index docs/ report.txt --index /tmp/idx\n\n\
        Directories are searched recursively for .txt files and .jsonl/.ndjson corpora (optionally \
        gzipped). Encodings (UTF-8, UTF-16 with a byte-order mark or without one, GB18030/GBK, Big5) are \
        detected from the bytes.\n\n\
        A file that cannot be used (unreadable, binary, undecodable, empty) or a broken JSON \
        line is reported on stderr with its path (and line) and the reason. With --on-error \
        skip (the default) everything else is indexed; with --on-error stop the build stops \
        there. The new index replaces the previous one atomically, and only when complete: \
        if the build fails, is killed, or indexes nothing, the previous index keeps \
        answering. One build at a time: a second `zhen index` on the same index fails, \
        naming the process that holds it; searches go on during a build.\n\n\
        Exit status: 0 everything was indexed; 3 the index was built but some files or \
        records were skipped (each reported on stderr); 1 nothing was replaced (an error, \
        the index is locked, or nothing could be indexed); 2 bad usage.")]
    Index(IndexArgs),

    /// Search the index and print the best paragraphs.
    #[command(after_help = "Query syntax:\n  \
        人口贩运              all words must match; contiguous matches rank first\n  \
        \"表达自由\"            exact phrase (also “…” and ＂…＂)\n  \
        人口贩运 -国会         exclude paragraphs containing 国会\n  \
        人口贩运 NOT 国会      the same\n  \
        警务 OR 酷刑           either word\n  \
        人权 AND 美国          the same as 人权 美国\n\
        OR, NOT and AND are operators in upper case (also full-width: ＯＲ); in lower case \
        they are words.\n\n\
        Examples:\n  \
        zhen search 人口贩运\n  \
        zhen search 國際勞工組織 --limit 3\n  \
        zhen search '人口贩运 -国会' --json\n\n\
        On first use, when no index exists at the default location, zhen builds it from \
        index-data/ (and says so on stderr).\n\n\
        Exit status: 0 on success (also with no hits), 2 for bad usage or query syntax, \
        1 for other errors (missing or damaged index, unreadable file).")]
    Search(SearchArgs),

    /// Measure search quality against graded relevance judgements (nDCG@10, Recall@10).
    #[command(after_help = "The file has one query per line: \
        `query<TAB>number:grade number:grade ...[<TAB>note]`, grade 2 = the paragraph is about \
        the query, 1 = it mentions it, 0 = judged, not relevant (at least one 1 or 2 per \
        line); `#` starts a comment. A number alone matches that paragraph of any document; \
        on an index of several documents, name the document as `DOC/NUMBER:GRADE` \
        (e.g. `A/76/123/18:2`).\n\n\
        Examples:\n  \
        zhen eval ../shared/eval/dev-qrels.tsv\n  \
        zhen eval qrels.tsv --index /tmp/idx --json")]
    Eval(EvalArgs),

    /// Measure query latency: percentiles per query and overall, QPS, phases, cold start.
    #[command(
        after_help = "Runs each query (top 10 with highlights and snippets, as `zhen search` \
        gets them) --warmup times unmeasured, then --iters times measured on each of --threads \
        threads. The cold figure is the median wall time of a whole `zhen search QUERY --json` \
        process on the same index (first query of the set).\n\n\
        Query file: one query per line, optionally `class<TAB>query`; `#` comments.\n\n\
        Examples:\n  \
        zhen bench\n  \
        zhen bench --index /tmp/laws --iters 200 --threads 2 --json"
    )]
    Bench(BenchArgs),

    /// Show what an index holds: documents, paragraphs, languages, segments, size, format.
    #[command(after_help = "Examples:\n  \
        zhen stats\n  \
        zhen stats --index /tmp/laws --json")]
    Stats(StatsArgs),
}

#[derive(Debug, Args)]
struct BenchArgs {
    /// Index directory [default: $ZHEN_INDEX, else index-data/index: here, or else in the checkout zhen was built from].
    #[arg(long, value_name = "DIR")]
    index: Option<PathBuf>,

    /// Query file [default: a built-in set covering every query class].
    #[arg(long, value_name = "FILE")]
    queries: Option<PathBuf>,

    /// Measured passes over the query set, per thread.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    iters: u32,

    /// Unmeasured warm-up passes.
    #[arg(long, default_value_t = 10)]
    warmup: u32,

    /// Threads searching concurrently (sharing one searcher).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=256))]
    threads: u32,

    /// Whole-process runs for the cold figure (0 to skip).
    #[arg(long, default_value_t = 5)]
    cold_runs: u32,

    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct EvalArgs {
    /// The relevance judgements (qrels) file.
    #[arg(value_name = "QRELS")]
    qrels: PathBuf,

    /// Index directory [default: $ZHEN_INDEX, else index-data/index: here, or else in the checkout zhen was built from].
    #[arg(long, value_name = "DIR")]
    index: Option<PathBuf>,

    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct IndexArgs {
    /// Files or directories to index [default: index-data/: here, or else in the checkout zhen was built from].
    #[arg(value_name = "SOURCES")]
    sources: Vec<PathBuf>,

    /// Index directory [default: $ZHEN_INDEX, else index-data/index: here, or else in the checkout zhen was built from].
    #[arg(long, value_name = "DIR")]
    index: Option<PathBuf>,

    /// What to do with a file or JSON line that cannot be read: skip it (exit status 3) or
    /// stop the build (exit status 1, nothing replaced).
    #[arg(long, value_enum, default_value_t = build::OnError::Skip, value_name = "WHAT")]
    on_error: build::OnError,

    /// Add (or replace, by document id) the documents of these files in the existing
    /// index instead of rebuilding it; unchanged documents are skipped.
    #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with = "sources")]
    add: Vec<PathBuf>,

    /// Remove these documents (by id) from the existing index.
    #[arg(long, value_name = "ID", num_args = 1.., conflicts_with = "sources")]
    remove: Vec<String>,

    /// A user dictionary in jieba's format (`word [freq] [tag]` per line) extending the
    /// segmentation with domain words; stored with the index, so searches and later
    /// updates use it too.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["add", "remove"])]
    dict: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct StatsArgs {
    /// Index directory [default: $ZHEN_INDEX, else index-data/index: here, or else in the checkout zhen was built from].
    #[arg(long, value_name = "DIR")]
    index: Option<PathBuf>,

    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct SearchArgs {
    /// The query; several words are joined with spaces.
    #[arg(value_name = "QUERY", required = true, num_args = 1..)]
    query: Vec<String>,

    /// Index directory [default: $ZHEN_INDEX, else index-data/index: here, or else in the checkout zhen was built from].
    #[arg(long, value_name = "DIR")]
    index: Option<PathBuf>,

    /// Maximum number of hits to print.
    #[arg(long, short = 'n', default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    limit: u32,

    /// Print one JSON object instead of text (see README for its fields).
    #[arg(long)]
    json: bool,

    /// Also print how the query was analysed (tokens per field) and the query tree run.
    #[arg(long)]
    explain: bool,

    /// Only paragraphs of this document (its id, as hits show it).
    #[arg(long, value_name = "ID")]
    doc: Option<String>,

    /// Only paragraphs in this language: zh, en or und (neither; numbers and symbols), in
    /// any case, or a tag such as zh-CN or en-US.
    #[arg(long, value_name = "LANG", value_parser = parse_lang)]
    lang: Option<zhen::Lang>,

    /// Show each hit's counterpart in the other language (same document, same paragraph
    /// number), as in a parallel corpus.
    #[arg(long)]
    parallel: bool,

    /// When to colour the output: auto means on a terminal, unless NO_COLOR is set or TERM
    /// is dumb.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    color: ColorChoice,
}

/// `--lang`: the codes the JSON output uses, or the tags a JSON Lines record's `lang` may
/// have (`zh-CN`), which name the same languages there.
fn parse_lang(value: &str) -> Result<zhen::Lang, String> {
    if value.trim().eq_ignore_ascii_case("und") {
        return Ok(zhen::Lang::Und);
    }
    zhen::Lang::from_tag(value)
        .ok_or_else(|| "expected zh, en or und, or a tag such as zh-CN or en-US".to_owned())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Marks a query word that starts with `-` (an exclusion such as `-国会`) so that clap
/// takes it as a value instead of an unknown flag; removed again after parsing. clap's own
/// `allow_hyphen_values` would also swallow real flags given after the query.
const EXCLUSION_MARK: char = '\u{E000}';

/// The `search` flags; any other word after `search` that starts with `-` is query text.
const SEARCH_FLAGS: &[&str] = &[
    "-h",
    "--help",
    "-V",
    "--version",
    "--json",
    "--index",
    "--limit",
    "-n",
    "--color",
    "--explain",
    "--doc",
    "--lang",
    "--parallel",
];
const SEARCH_FLAGS_WITH_VALUE: &[&str] =
    &["--index", "--limit", "-n", "--color", "--doc", "--lang"];

fn protect_exclusions(args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let Some(search_at) = args
        .iter()
        .skip(1)
        .position(|a| a == "search")
        .map(|i| i + 1)
    else {
        return args;
    };
    let mut out: Vec<std::ffi::OsString> = args[..=search_at].to_vec();
    let mut rest = args[search_at + 1..].iter();
    while let Some(arg) = rest.next() {
        let text = arg.to_string_lossy();
        if text == "--" {
            out.push(arg.clone());
            out.extend(rest.cloned());
            break;
        }
        let flag = text.split('=').next().unwrap_or_default();
        let known = SEARCH_FLAGS.contains(&flag)
            || (text.starts_with("-n") && text[2..].chars().all(|c| c.is_ascii_digit()));
        if known {
            out.push(arg.clone());
            if SEARCH_FLAGS_WITH_VALUE.contains(&text.as_ref()) {
                out.extend(rest.next().cloned());
            }
        } else if text.starts_with('-') && !text.starts_with("--") && text.len() > 1 {
            out.push(format!("{EXCLUSION_MARK}{text}").into());
        } else {
            out.push(arg.clone());
        }
    }
    out
}

fn main() -> ExitCode {
    let mut cli = Cli::parse_from(protect_exclusions(std::env::args_os().collect()));
    if let Command::Search(args) = &mut cli.command {
        for word in &mut args.query {
            if let Some(rest) = word.strip_prefix(EXCLUSION_MARK) {
                *word = rest.to_owned();
            }
        }
    }
    let result = match cli.command {
        Command::Index(args) => run_index(args),
        Command::Search(args) => run_search(args),
        Command::Eval(args) => run_eval(args),
        Command::Bench(args) => run_bench(args),
        Command::Stats(args) => run_stats(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if err.is::<build::Partial>() => {
            let _ = writeln!(
                std::io::stderr(),
                "{}",
                render::terminal_safe(&format!("zhen: {err}"))
            );
            ExitCode::from(3)
        }
        Err(err) => {
            let line = format!("zhen: error: {}", message(&err));
            let _ = writeln!(std::io::stderr(), "{}", render::terminal_safe(&line));
            ExitCode::from(exit_status(&err))
        }
    }
}

/// The error with its causes, skipping a cause whose text the message already contains
/// (thiserror variants that wrap an error repeat it in their own message).
fn message(err: &anyhow::Error) -> String {
    let mut out = err.to_string();
    for cause in err.chain().skip(1) {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
    }
    out
}

/// 2 for what the user typed wrong, 1 for everything else (DESIGN.md's contract).
///
/// The outermost zhen error decides: a query error that is the cause of a bad query *file*
/// ([`zhen::Error::QueryInFile`]) is a malformed file (1), not a mistyped query (2).
fn exit_status(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if let Some(err) = cause.downcast_ref::<zhen::Error>() {
            return if matches!(err, zhen::Error::QuerySyntax(_)) {
                2
            } else {
                1
            };
        }
        if cause.downcast_ref::<zhen::QueryError>().is_some() {
            return 2;
        }
    }
    1
}

fn run_index(args: IndexArgs) -> anyhow::Result<()> {
    let location = IndexLocation::resolve(args.index);
    if !args.add.is_empty() || !args.remove.is_empty() {
        return update(&location.dir, &args.add, &args.remove, args.on_error);
    }
    let sources = if args.sources.is_empty() {
        vec![locate::data_dir()]
    } else {
        args.sources
    };
    let dict = match &args.dict {
        Some(path) => zhen::analysis::UserDict::read(path)?,
        None => zhen::analysis::UserDict::default(),
    };
    let built = build::build(&location.dir, &sources, dict, args.on_error)?;
    let report = &built.report;
    eprintln!(
        "zhen: indexed {} paragraphs of {} document(s) into {} in {:.2} s",
        report.paragraphs,
        report.documents,
        location.dir.display(),
        report.elapsed.as_secs_f64()
    );
    built.skipped.into_result()
}

/// `zhen index --add/--remove`: an incremental update of the existing index, removals
/// first.
fn update(
    dir: &std::path::Path,
    add: &[PathBuf],
    remove: &[String],
    on_error: build::OnError,
) -> anyhow::Result<()> {
    let mut updater = zhen::IndexUpdater::open(dir)?;
    // Removals first: an id given to both `--remove` and (through a file) `--add` ends up
    // holding the added document, a replacement, instead of an addition deleted again.
    for id in remove {
        updater.remove(id)?;
    }
    let skipped = build::add(&mut updater, dir, add, on_error)?;
    let report = updater.commit()?;
    for id in &report.not_found {
        eprintln!("zhen: warning: no document `{id}` in {}", dir.display());
    }
    eprintln!(
        "zhen: updated {}: {} added, {} replaced, {} unchanged, {} removed; now {} paragraphs of {} document(s)",
        dir.display(),
        report.added,
        report.replaced,
        report.unchanged,
        report.removed,
        report.paragraphs,
        report.documents
    );
    skipped.into_result()
}

fn run_stats(args: StatsArgs) -> anyhow::Result<()> {
    let location = IndexLocation::resolve(args.index);
    let stats = zhen::Index::open(&location.dir)?.stats()?;
    print(args.json, &stats, |out| render::stats(out, &stats))
}

fn run_search(args: SearchArgs) -> anyhow::Result<()> {
    let location = IndexLocation::resolve(args.index);
    let index = open_or_build(&location)?;
    let query = args.query.join(" ");
    let mut options = zhen::SearchOptions::with_limit(args.limit as usize);
    options.explain = args.explain;
    options.doc = args.doc;
    options.lang = args.lang;
    options.parallel = args.parallel;
    let searcher = index.searcher();
    let results = searcher.search_with(&query, &options)?;
    if let Some(doc) = options.doc.as_deref() {
        // Ids are exact (case and all); a typo would otherwise look like "no matches".
        if results.total_hits == 0 && !searcher.has_document(doc)? {
            eprintln!(
                "zhen: warning: no document `{doc}` in {} (an id is exact: a text file's name \
                 without its extension, or a record's `doc_id`, `doc_key` or `id`; every hit \
                 names its document)",
                location.dir.display()
            );
        }
    }

    let stdout = std::io::stdout();
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            // A terminal that says it has no capabilities (`TERM=dumb`, Emacs' shell)
            // would print the escape codes.
            stdout.is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
        }
    };
    print(args.json, &results, |out| {
        render::results(out, &results, color)
    })
}

/// Writes `value` as one JSON object, or with `render` for a person, to stdout.
fn print(
    json: bool,
    value: &impl serde::Serialize,
    render: impl FnOnce(&mut std::io::StdoutLock<'static>) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let written = if json {
        serde_json::to_writer(&mut out, value)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out))
    } else {
        render(&mut out)
    };
    match written {
        // A closed pipe (`zhen search … | head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to stdout"),
    }
}

fn run_eval(args: EvalArgs) -> anyhow::Result<()> {
    let judgements = zhen::eval::read_qrels(&args.qrels)?;
    let location = IndexLocation::resolve(args.index);
    let index = open_or_build(&location)?;
    let searcher = index.searcher();
    for j in &judgements {
        check_query_in_file(&searcher, &args.qrels, j.line, &j.query)?;
    }
    let documents = index.stats()?.documents;
    let report = zhen::eval::evaluate(&searcher, &judgements)?;
    for warning in eval_warnings(&args.qrels, &judgements, &report, &searcher, documents)? {
        eprintln!("zhen: warning: {}", render::terminal_safe(&warning));
    }
    // Documents beside the numbers only where they tell hits apart or show what a
    // qualified judgement is compared with: on one document they would repeat its id on
    // every hit of every row.
    let show_docs = documents > 1
        || judgements
            .iter()
            .any(|j| j.relevant.iter().any(|r| r.doc.is_some()));
    print(args.json, &report, |out| {
        render::eval(out, &report, show_docs)
    })
}

/// What `zhen eval` warns about after scoring: what would otherwise score 0, or be
/// credited to another document, without a word.
///
/// * a qualified judgement naming a document the index does not hold (a typo in its id);
/// * numbers alone on an index of several documents, where any document's paragraph of
///   that number is credited;
/// * queries whose top hits are all unnumbered (e.g. JSON Lines records without `para`),
///   which no judgement can match.
///
/// Each names the first line it concerns, and how many others, rather than one line per
/// query: on a corpus of unnumbered records every query would warn.
fn eval_warnings(
    qrels: &std::path::Path,
    judgements: &[zhen::eval::Judgement],
    report: &zhen::eval::EvalReport,
    searcher: &zhen::Searcher,
    documents: u64,
) -> anyhow::Result<Vec<String>> {
    let file = qrels.display();
    let mut warnings = Vec::new();
    let mut checked: Vec<&str> = Vec::new();
    for j in judgements {
        for judged in &j.relevant {
            let Some(doc) = judged.doc.as_deref() else {
                continue;
            };
            if checked.contains(&doc) {
                continue;
            }
            checked.push(doc);
            if !searcher.has_document(doc)? {
                warnings.push(format!(
                    "{file}:{}: no document `{doc}` in the index, so `{judged}` can never \
                     match (an id is exact: a text file's name without its extension, or a \
                     record's `doc_id`, `doc_key` or `id`; `zhen search --json` names each \
                     hit's document)",
                    j.line
                ));
            }
        }
    }
    let alone: Vec<&zhen::eval::Judgement> = judgements
        .iter()
        .filter(|j| j.relevant.iter().any(|r| r.doc.is_none()))
        .collect();
    if let (Some(first), true) = (alone.first(), documents > 1) {
        // The example qualifies the first such judgement with a document of the index, so
        // that it shows the form with an id as this index spells them.
        let judged = first.relevant.iter().find(|r| r.doc.is_none());
        let doc = report
            .queries
            .iter()
            .flat_map(|q| q.ranked_docs.first())
            .next();
        let example = match (judged, doc) {
            (Some(judged), Some(doc)) => format!(
                " (e.g. `{doc}/{}:{}` for `{judged}`)",
                judged.number, judged.grade
            ),
            _ => String::new(),
        };
        warnings.push(format!(
            "{file}:{}{}: paragraphs named by number alone, but the index holds {documents} \
             documents: a number is credited to whichever document's paragraph of that \
             number ranks first, so the scores may count the wrong paragraphs; name the \
             document as `DOC/NUMBER:GRADE`{example}",
            first.line,
            others(alone.len())
        ));
    }
    let unnumbered: Vec<usize> = judgements
        .iter()
        .zip(&report.queries)
        .filter(|(_, q)| !q.ranked.is_empty() && q.ranked.iter().all(Option::is_none))
        .map(|(j, _)| j.line)
        .collect();
    if let Some(first) = unnumbered.first() {
        warnings.push(format!(
            "{file}:{first}{}: the top hits are all unnumbered paragraphs (no printed \
             number, e.g. JSON Lines records without `para`), which cannot be judged by \
             number, so the query scores 0",
            others(unnumbered.len())
        ));
    }
    Ok(warnings)
}

/// ` and N other lines` after the first of `count` lines, for [`eval_warnings`].
fn others(count: usize) -> String {
    match count {
        0 | 1 => String::new(),
        2 => " and 1 other line".to_owned(),
        n => format!(" and {} other lines", n - 1),
    }
}

/// Fails, naming `path` and `line`, when `query` (read from that file) parses but is
/// rejected by the searcher's analysis (a query of punctuation alone has no words to
/// search): a malformed file (exit 1), found before anything is measured, not a query
/// error partway through.
fn check_query_in_file(
    searcher: &zhen::Searcher,
    path: &std::path::Path,
    line: usize,
    query: &str,
) -> anyhow::Result<()> {
    match searcher.explain(query) {
        Err(zhen::Error::QuerySyntax(source)) => Err(zhen::Error::QueryInFile {
            path: path.to_path_buf(),
            line,
            source,
        }
        .into()),
        Err(other) => Err(other.into()),
        Ok(_) => Ok(()),
    }
}

/// `zhen bench --json`'s object.
#[derive(serde::Serialize)]
struct BenchOutput<'a> {
    index: String,
    /// The contract names the index's tantivy documents `docs`: zhen's
    /// paragraphs, also given under that name, beside the source documents they come from.
    docs: u64,
    paragraphs: u64,
    documents: u64,
    cold_ms: Option<f64>,
    #[serde(flatten)]
    report: &'a zhen::bench::BenchReport,
}

fn run_bench(args: BenchArgs) -> anyhow::Result<()> {
    // The file first: a bad line is reported before a default index is built for it.
    let queries = match &args.queries {
        Some(path) => zhen::bench::read_queries(path)?,
        None => zhen::bench::builtin_queries(),
    };
    let location = IndexLocation::resolve(args.index);
    let index = open_or_build(&location)?;
    let mut options = zhen::bench::BenchOptions::default();
    options.iters = args.iters as usize;
    options.warmup = args.warmup as usize;
    options.threads = args.threads as usize;
    let searcher = index.searcher();
    if let Some(path) = &args.queries {
        for q in &queries {
            check_query_in_file(&searcher, path, q.line.unwrap_or(0), &q.query)?;
        }
    }
    let report = zhen::bench::run(&searcher, &queries, &options)?;
    let cold_ms = (args.cold_runs > 0)
        .then(|| cold_search_ms(&location.dir, &queries[0].query, args.cold_runs))
        .transpose()?;
    let output = BenchOutput {
        index: location.dir.display().to_string(),
        docs: index.meta().paragraphs,
        paragraphs: index.meta().paragraphs,
        documents: index.meta().documents,
        cold_ms,
        report: &report,
    };
    print(args.json, &output, |out| {
        render::bench(out, &output.index, output.docs, cold_ms, &report)
    })
}

/// Median wall time of whole `zhen search QUERY --json` processes, after one unmeasured
/// run (so the page cache is warm, as the figure intends).
fn cold_search_ms(index: &std::path::Path, query: &str, runs: u32) -> anyhow::Result<f64> {
    let exe = std::env::current_exe().context("cannot find the zhen executable")?;
    let mut times = Vec::new();
    for run in 0..=runs {
        let started = std::time::Instant::now();
        let status = std::process::Command::new(&exe)
            .args(["search", "--json", "--index"])
            .arg(index)
            .arg("--")
            .arg(query)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .context("cannot run zhen search for the cold figure")?;
        anyhow::ensure!(
            status.success(),
            "zhen search {query:?} failed while measuring the cold figure"
        );
        if run > 0 {
            times.push(started.elapsed().as_secs_f64() * 1e3);
        }
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

/// Opens the index; at the default location, builds it first when it is missing or was
/// built by another version of zhen.
fn open_or_build(location: &IndexLocation) -> anyhow::Result<zhen::Index> {
    match zhen::Index::open(&location.dir) {
        Ok(index) => return Ok(index),
        Err(zhen::Error::IndexNotFound { .. }) if location.is_default => {
            eprintln!(
                "zhen: no index at {} yet; building it from {} (once)",
                location.dir.display(),
                locate::data_dir().display()
            );
        }
        Err(zhen::Error::IndexVersion {
            found, expected, ..
        }) if location.is_default => {
            eprintln!(
                "zhen: the index at {} has format {found}, this zhen uses {expected}; rebuilding it from {}",
                location.dir.display(),
                locate::data_dir().display()
            );
        }
        Err(e) => return Err(e.into()),
    }
    // Skipped files are reported as they are met; the search goes on with the rest.
    let report = match build::build(
        &location.dir,
        &[locate::data_dir()],
        zhen::analysis::UserDict::default(),
        build::OnError::Skip,
    ) {
        Ok(built) => built.report,
        // Another process is building it (a concurrent first search, say): use its index.
        Err(e) if matches!(e.downcast_ref(), Some(zhen::Error::Locked { .. })) => {
            zhen::index::wait_for_builder(&location.dir)?;
            return Ok(zhen::Index::open(&location.dir)?);
        }
        Err(e) => return Err(e),
    };
    eprintln!(
        "zhen: indexed {} paragraphs of {} document(s) in {:.2} s",
        report.paragraphs,
        report.documents,
        report.elapsed.as_secs_f64()
    );
    Ok(zhen::Index::open(&location.dir)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn protected(args: &[&str]) -> Vec<String> {
        protect_exclusions(args.iter().map(Into::into).collect())
            .into_iter()
            .map(|a| a.to_string_lossy().replace(EXCLUSION_MARK, "~"))
            .collect()
    }

    #[test]
    fn exclusions_are_protected_and_flags_are_not() {
        assert_eq!(
            protected(&[
                "zhen",
                "search",
                "人口贩运",
                "-国会",
                "--limit",
                "3",
                "-n5",
                "--json",
                "--bogus"
            ]),
            [
                "zhen",
                "search",
                "人口贩运",
                "~-国会",
                "--limit",
                "3",
                "-n5",
                "--json",
                "--bogus"
            ]
        );
        // The value of a flag is never taken as an exclusion; nor is anything after `--`.
        assert_eq!(
            protected(&["zhen", "search", "--index", "-odd-dir", "x", "--", "-y"]),
            ["zhen", "search", "--index", "-odd-dir", "x", "--", "-y"]
        );
        // Other commands are left alone.
        assert_eq!(protected(&["zhen", "index", "-x"]), ["zhen", "index", "-x"]);
    }
}
