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
                &format!("score {:.2}  {}:{}", hit.score, hit.doc, hit.line)
            ),
        )?;
        if let Some(section) = &hit.section {
            writeln!(out, "     {}", paint(DIM, &format!("§ {section}")))?;
        }
        writeln!(out, "     {}", snippet(&hit.snippet, color))?;
    }
    Ok(())
}

fn snippet(snippet: &Snippet, color: bool) -> String {
    let text = if color {
        snippet.marked(
            &MATCH.render().to_string(),
            &MATCH.render_reset().to_string(),
        )
    } else {
        snippet.marked("【", "】")
    };
    // Keep each hit on its own lines: metadata blocks contain newlines.
    text.replace('\n', " / ")
}
