//! The README's examples are what the program prints: its quick start, its `--explain` and
//! `--json` examples, and the failure-class table (all on the shipped document). They went
//! stale once, when scoring changed and nothing held them to the program.

mod common;

use std::path::{Path, PathBuf};

use common::{search_stdout, zhen};
use serde_json::Value;

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md")).unwrap()
}

/// An index of the shipped documents, in `dir`.
fn index_in(dir: &Path) -> PathBuf {
    let index = dir.join("idx");
    zhen()
        .args(["index", "--index"])
        .arg(&index)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../index-data"))
        .assert()
        .success();
    index
}

fn stdout_of(index: &Path, args: &[&str]) -> String {
    let args: Vec<&str> = ["--color", "never"]
        .into_iter()
        .chain(args.iter().copied())
        .collect();
    String::from_utf8(search_stdout(index, &args)).unwrap()
}

/// The fenced block of `lang` that first follows `marker` in the README, without its
/// fences and with its indentation (that of a list item's block) removed.
fn block_after(readme: &str, marker: &str, lang: &str) -> String {
    let at = readme
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} not in README"));
    let rest = &readme[at..];
    let open = rest.find(&format!("```{lang}\n")).expect("a block follows");
    let body = &rest[open..];
    let indent = readme[..at + open].rsplit('\n').next().unwrap().len();
    body.lines()
        .skip(1)
        .take_while(|l| l.trim() != "```")
        .map(|l| l.get(indent..).unwrap_or(l.trim_start()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `text` with its one timing, `(0.9 ms)`, left out.
fn untimed(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        match (line.rfind(" ("), line.ends_with(" ms)")) {
            (Some(at), true) => out.push_str(&line[..at]),
            _ => out.push_str(line.trim_end()),
        }
        out.push('\n');
    }
    out.trim_end().to_owned()
}

#[test]
fn the_readme_shows_what_zhen_prints() {
    let readme = readme();
    let dir = tempfile::tempdir().unwrap();
    let index = index_in(dir.path());

    // The quick start: its lines after the build's two lines on stderr.
    let quick = block_after(&readme, "then prints:", "text");
    let shown: Vec<&str> = quick
        .lines()
        .skip_while(|l| l.starts_with("zhen:"))
        .collect();
    assert!(shown.len() > 10, "{quick}");
    assert_eq!(
        untimed(&shown.join("\n")),
        untimed(&stdout_of(&index, &["人口贩运"])),
        "README's quick start"
    );

    // `--explain`: the analysis and the query tree, which the hits follow.
    let explain = block_after(&readme, "and the query tree\n  that runs:", "text");
    assert!(explain.starts_with("query analysis"), "{explain}");
    let printed = stdout_of(&index, &["--explain", "宗教自由"]);
    assert!(
        printed.starts_with(&format!("{explain}\n")),
        "README's --explain example:\n{explain}\n\nprinted:\n{printed}"
    );

    // `--json`: every field as printed, but the timing, and the text and snippet, which
    // the README shortens at `……`.
    let shown: Value = serde_json::from_str(&block_after(&readme, "**`--json`** prints", "json"))
        .expect("the README's JSON example is JSON");
    let printed: Value = serde_json::from_str(&stdout_of(
        &index,
        &["國際勞工組織", "--limit", "1", "--json"],
    ))
    .unwrap();
    for key in ["query", "total_hits"] {
        assert_eq!(shown[key], printed[key], "{key}");
    }
    let (shown, printed) = (&shown["hits"][0], &printed["hits"][0]);
    let keys: Vec<&String> = printed.as_object().unwrap().keys().collect();
    assert_eq!(shown.as_object().unwrap().keys().collect::<Vec<_>>(), keys);
    for key in keys {
        match (&shown[key], &printed[key]) {
            (Value::String(s), Value::String(p)) if s.contains("……") => {
                let (head, tail) = s.split_once("……").unwrap();
                assert!(p.starts_with(head) && p.ends_with(tail), "{key}: {s} / {p}");
            }
            (s, p) => assert_eq!(s, p, "{key}"),
        }
    }

    // The failure classes: zhen's columns, its top paragraphs and total hits.
    let table = &readme[readme.find("| class | query | tantivy + jieba").unwrap()..];
    let mut rows = 0;
    for row in table.lines().skip(2).take_while(|l| l.starts_with('|')) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let query = cells[2].trim_matches('`');
        let v: Value =
            serde_json::from_str(&stdout_of(&index, &["--json", "--limit", "3", "--", query]))
                .unwrap();
        let top: Vec<String> = v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                h["paragraph"]
                    .as_u64()
                    .map_or("·".to_owned(), |n| format!("¶{n}"))
            })
            .collect();
        let top = if top.is_empty() {
            "—".to_owned()
        } else {
            top.join(" ")
        };
        assert_eq!(
            (cells[5], cells[6]),
            (top.as_str(), v["total_hits"].to_string().as_str()),
            "{query}"
        );
        rows += 1;
    }
    assert!(rows >= 10, "{rows} rows");
}
