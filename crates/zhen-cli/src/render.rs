//! Terminal rendering of search results.

use std::io::{self, Write};

use anstyle::{AnsiColor, Effects, Style};
use zhen::{SearchResults, Snippet};

const RANK: Style = Style::new().effects(Effects::BOLD);
const LABEL: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Cyan)));
const DIM: Style = Style::new().effects(Effects::DIMMED);
const MATCH: Style = Style::new()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)))
    .effects(Effects::BOLD);

/// Writes results for a person: a summary line, then each hit with its paragraph number,
/// section, score and snippet. With `color`, matches are coloured; without, they are
/// wrapped in 【】 so they stay visible in a pipe or a file.
pub fn results(out: &mut impl Write, results: &SearchResults, color: bool) -> io::Result<()> {
    let paint = |style: Style, text: &str| -> String {
        if color {
            format!("{style}{text}{style:#}")
        } else {
            text.to_owned()
        }
    };
    let noun = if results.total_hits == 1 {
        "hit"
    } else {
        "hits"
    };
    let shown = if results.hits.len() < results.total_hits {
        format!(", showing {}", results.hits.len())
    } else {
        String::new()
    };
    if let Some(explanation) = &results.explanation {
        writeln!(out, "{}", paint(RANK, "query analysis"))?;
        for clause in &explanation.clauses {
            writeln!(out, "  {} {:?}", clause.role, clause.text)?;
            writeln!(out, "    body:       {}", clause.words.join(" | "))?;
            if !clause.grams.is_empty() {
                writeln!(out, "    body_grams: {}", clause.grams.join(" | "))?;
            }
        }
        writeln!(out, "{}", paint(RANK, "query tree"))?;
        for line in explanation.tree.render().lines() {
            writeln!(out, "  {line}")?;
        }
        writeln!(out)?;
    }
    writeln!(
        out,
        "{}",
        paint(
            DIM,
            &format!(
                "{} {noun} for {}{shown} ({:.1} ms)",
                results.total_hits, results.query, results.took_ms
            )
        )
    )?;
    for hit in &results.hits {
        let label = match hit.paragraph {
            Some(n) => format!("¶{n}"),
            None => hit.kind.to_string(),
        };
        writeln!(out)?;
        writeln!(
            out,
            "{:>3}. {}  {}",
            paint(RANK, &hit.rank.to_string()),
            paint(LABEL, &label),
            paint(
                DIM,
                &format!(
                    "score {:.2}  {}:{}  {}",
                    hit.score,
                    terminal_safe(&hit.doc),
                    hit.line,
                    hit.lang
                )
            ),
        )?;
        if let Some(section) = &hit.section {
            let section = terminal_safe(section);
            writeln!(out, "     {}", paint(DIM, &format!("§ {section}")))?;
        }
        writeln!(out, "     {}", snippet(&hit.snippet, color))?;
        match &hit.parallel {
            Some(Some(parallel)) => writeln!(
                out,
                "     {} {}",
                paint(LABEL, &format!("{}:", parallel.lang)),
                terminal_safe(&parallel.text)
            )?,
            Some(None) => writeln!(out, "     {}", paint(DIM, "(no parallel text)"))?,
            None => {}
        }
    }
    Ok(())
}

/// Writes what `zhen stats` reports.
pub fn stats(out: &mut impl Write, stats: &zhen::IndexStats) -> io::Result<()> {
    let languages: Vec<String> = stats
        .languages
        .iter()
        .map(|(lang, n)| format!("{lang} {n}"))
        .collect();
    writeln!(out, "index       {}", stats.dir.display())?;
    writeln!(out, "generation  {}", stats.generation)?;
    writeln!(out, "documents   {}", stats.documents)?;
    writeln!(out, "paragraphs  {}", stats.paragraphs)?;
    writeln!(out, "languages   {}", languages.join(", "))?;
    writeln!(out, "segments    {}", stats.segments)?;
    writeln!(
        out,
        "size        {:.1} MB ({} bytes)",
        stats.size_bytes as f64 / 1e6,
        stats.size_bytes
    )?;
    writeln!(
        out,
        "analyzer    {} (index format {}, built by zhen {})",
        stats.analyzer, stats.format, stats.zhen_version
    )?;
    writeln!(out, "sources     {}", stats.sources)?;
    if stats.user_dict_words > 0 {
        writeln!(out, "user dict   {} words", stats.user_dict_words)?;
    }
    Ok(())
}

fn snippet(snippet: &Snippet, color: bool) -> String {
    let (open, close) = if color {
        (MATCH.render().to_string(), MATCH.render_reset().to_string())
    } else {
        ("【".to_owned(), "】".to_owned())
    };
    let text = &snippet.text;
    let mut out = String::with_capacity(text.len() + snippet.highlights.len() * 8);
    let mut at = 0;
    for h in &snippet.highlights {
        push_terminal_safe(&mut out, &text[at..h.start]);
        out.push_str(&open);
        push_terminal_safe(&mut out, &text[h.start..h.end]);
        out.push_str(&close);
        at = h.end;
    }
    push_terminal_safe(&mut out, &text[at..]);
    out
}

/// `text` from an indexed document, a source or a query file, made safe to print on one
/// line of a terminal (see [`push_terminal_safe`]).
pub fn terminal_safe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_terminal_safe(&mut out, text);
    out
}

/// [`terminal_safe`] of each of `texts` (a table's column, read from a file).
fn terminal_safe_all<'a>(texts: impl Iterator<Item = &'a str>) -> Vec<String> {
    texts.map(terminal_safe).collect()
}

/// Pushes `text` (from a document, a file name, a query file) to `out` as it may reach a terminal: a line
/// break as ` / ` (each hit keeps its own lines; metadata blocks hold line breaks), a tab
/// or carriage return as a space, and any other control character, or a line or paragraph
/// separator, escaped (`\u{1b}`). Documents are not trusted: an escape sequence in one
/// could recolour the terminal, move its cursor or retitle its window, even with
/// `--color never`.
fn push_terminal_safe(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\n' => out.push_str(" / "),
            '\t' | '\r' => out.push(' '),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') => {
                out.extend(c.escape_unicode())
            }
            c => out.push(c),
        }
    }
}

/// Writes an evaluation report as a table: one row per query, then the means.
///
/// Each hit is its paragraph number (`-` for an unnumbered block), with `*g` where a
/// judgement of grade `g` is credited to it; with `docs`, as `DOC/N`, the form a qrels
/// file names a paragraph of a document in, so that hits of different documents with the
/// same number can be told apart and copied into judgements.
pub fn eval(out: &mut impl Write, report: &zhen::eval::EvalReport, docs: bool) -> io::Result<()> {
    let queries = terminal_safe_all(report.queries.iter().map(|q| q.query.as_str()));
    let pad = padder(queries.iter().map(String::as_str));
    writeln!(out, "{}  nDCG@10  R@10  ranked (judged)", pad("query"))?;
    for (q, query) in report.queries.iter().zip(&queries) {
        let ranked: Vec<String> = q
            .hits()
            .into_iter()
            .zip(q.credits())
            .map(|((doc, n), credit)| {
                let n = n.map_or_else(|| "-".to_owned(), |n| n.to_string());
                let hit = if docs {
                    format!("{}/{n}", terminal_safe(doc))
                } else {
                    n
                };
                match credit {
                    Some(g) => format!("{hit}*{g}"),
                    None => hit,
                }
            })
            .collect();
        writeln!(
            out,
            "{}  {:7.3}  {:4.2}  {}",
            pad(query),
            q.ndcg_at_10,
            q.recall_at_10,
            ranked.join(" ")
        )?;
    }
    writeln!(out, "{}", "-".repeat(display_width(&pad("")) + 15))?;
    let legend = if docs {
        "DOC/n*g = paragraph n of document DOC, credited with grade g"
    } else {
        "n*g = judged paragraph n with grade g"
    };
    writeln!(
        out,
        "{}  {:7.3}  {:4.2}  ({} quer{}; {legend})",
        pad("mean"),
        report.mean_ndcg_at_10,
        report.mean_recall_at_10,
        report.queries.len(),
        if report.queries.len() == 1 {
            "y"
        } else {
            "ies"
        }
    )
}

/// A function that pads a string to the display width of the widest of `column` (at
/// least 5, the width of the header `query`).
fn padder<'a>(column: impl Iterator<Item = &'a str>) -> impl Fn(&str) -> String {
    let width = column.map(display_width).max().unwrap_or(0).max(5);
    move |s: &str| format!("{s}{}", " ".repeat(width.saturating_sub(display_width(s))))
}

/// Terminal columns of a string: CJK and full-width characters take two.
fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| {
            let wide = matches!(c as u32,
                0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
                | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD);
            if wide {
                2
            } else {
                1
            }
        })
        .sum()
}

/// Writes a bench report as a table.
pub fn bench(
    out: &mut impl Write,
    index: &str,
    docs: u64,
    cold_ms: Option<f64>,
    report: &zhen::bench::BenchReport,
) -> io::Result<()> {
    writeln!(
        out,
        "index {index}: {docs} paragraphs; {} measured passes x {} thread(s); latencies in µs",
        report.iters, report.threads
    )?;
    let queries = terminal_safe_all(report.queries.iter().map(|q| q.query.as_str()));
    let pad = padder(queries.iter().map(String::as_str));
    writeln!(
        out,
        "{:<16} {}  {:>8} {:>9} {:>9} {:>9} {:>9}   {:>7} {:>7} {:>7}",
        "class",
        pad("query"),
        "hits",
        "p50",
        "p95",
        "p99",
        "max",
        "analyse",
        "search",
        "fetch"
    )?;
    for (q, query) in report.queries.iter().zip(&queries) {
        writeln!(
            out,
            "{:<16} {}  {:>8} {:>9.1} {:>9.1} {:>9.1} {:>9.1}   {:>7.1} {:>7.1} {:>7.1}",
            terminal_safe(&q.class),
            pad(query),
            q.hits,
            q.latency.p50_us,
            q.latency.p95_us,
            q.latency.p99_us,
            q.latency.max_us,
            q.phases_us.analyse,
            q.phases_us.search,
            q.phases_us.fetch
        )?;
    }
    let o = &report.overall;
    writeln!(
        out,
        "{:<16} {}  {:>8} {:>9.1} {:>9.1} {:>9.1} {:>9.1}",
        "overall",
        pad(""),
        "",
        o.latency.p50_us,
        o.latency.p95_us,
        o.latency.p99_us,
        o.latency.max_us
    )?;
    writeln!(out, "throughput: {:.0} queries/s", o.qps)?;
    let p = &report.phases_us;
    writeln!(
        out,
        "mean per search: analyse {:.1} µs, search {:.1} µs, fetch + highlights + snippets {:.1} µs (per query: the last three columns)",
        p.analyse, p.search, p.fetch
    )?;
    if let Some(cold) = cold_ms {
        writeln!(
            out,
            "cold: {cold:.1} ms for a whole `zhen search` process (median)"
        )?;
    }
    Ok(())
}
