//! The `zhen` command as a user runs it: arguments in, JSON or text and an exit status out.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use common::{search_stdout, zhen};
use serde_json::Value;

fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../index-data/us-hrc-pledges-2021.zh.txt")
}

/// An index of the shipped document in a temporary directory.
fn built_index() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    zhen()
        .args(["index", "--index"])
        .arg(dir.path().join("idx"))
        .arg(shipped())
        .assert()
        .success();
    dir
}

/// Runs `cmd`, checks it exits with `code` and prints nothing on stdout, and returns its
/// stderr.
fn fails_with(code: i32, cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(code));
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn search_json(index: &Path, query: &[&str]) -> Value {
    // Options first: a query after `--` takes every argument after it as a word.
    let args: Vec<&str> = ["--json"]
        .into_iter()
        .chain(query.iter().copied())
        .collect();
    serde_json::from_slice(&search_stdout(index, &args)).expect("stdout is one JSON object")
}

fn paragraphs(v: &Value) -> Vec<i64> {
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h["paragraph"].as_i64())
        .collect()
}

#[test]
fn json_output_has_the_documented_shape() {
    let dir = built_index();
    let v = search_json(&dir.path().join("idx"), &["人口贩运"]);
    assert_eq!(v["query"], "人口贩运");
    assert_eq!(v["total_hits"].as_u64(), Some(3));
    assert!(v["took_ms"].is_f64());
    let hits = v["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 3);
    let mut top: Vec<i64> = paragraphs(&v);
    top.sort();
    assert_eq!(top, [17, 18, 29]);
    for (i, hit) in hits.iter().enumerate() {
        assert_eq!(hit["rank"].as_u64(), Some(i as u64 + 1));
        assert!(hit["score"].is_f64());
        assert_eq!(hit["doc"], "us-hrc-pledges-2021.zh");
        assert!(hit["paragraph"].is_u64());
        assert!(hit["section"].is_string());
        assert_eq!(hit["kind"], "paragraph");
        let text = hit["text"].as_str().unwrap();
        let highlights = hit["highlights"].as_array().unwrap();
        assert!(!highlights.is_empty());
        for h in highlights {
            let (s, e) = (
                h[0].as_u64().unwrap() as usize,
                h[1].as_u64().unwrap() as usize,
            );
            assert_eq!(&text[s..e], "人口贩运");
        }
        assert!(hit["snippet"].as_str().unwrap().contains("【人口贩运】"));
    }
}

#[test]
fn unnumbered_blocks_have_null_paragraph() {
    let dir = built_index();
    let v = search_json(&dir.path().join("idx"), &["Distr"]);
    let hit = &v["hits"][0];
    assert!(hit["paragraph"].is_null());
    assert_eq!(hit["kind"], "metadata");
    assert!(hit["section"].is_null());
}

#[test]
fn exclusions_can_be_written_as_separate_arguments() {
    let dir = built_index();
    let idx = dir.path().join("idx");
    let v = search_json(&idx, &["人口贩运", "-国会"]);
    assert_eq!(paragraphs(&v).len(), 2);
    assert!(!paragraphs(&v).contains(&29));
    // The same as one argument, and flags after the query still count.
    let out = zhen()
        .args([
            "search",
            "人口贩运 -国会",
            "--limit",
            "1",
            "--json",
            "--index",
        ])
        .arg(&idx)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["hits"].as_array().unwrap().len(), 1);
    assert_eq!(v["total_hits"].as_u64(), Some(2));
}

#[test]
fn no_hits_is_success() {
    let dir = built_index();
    let v = search_json(&dir.path().join("idx"), &["量子计算"]);
    assert_eq!(v["total_hits"].as_u64(), Some(0));
    assert_eq!(v["hits"].as_array().unwrap().len(), 0);
}

#[test]
fn query_syntax_errors_exit_2_with_a_message() {
    let dir = built_index();
    for (query, says) in [
        ("\"人口贩运", "never closed"),
        ("人口 OR", "ends the query"),
        ("-国会", "only excludes"),
        ("，。", "no searchable words"),
        (
            "人口贩运 -国会 OR 酷刑",
            "character 10 cannot join the excluded term at character 6",
        ),
        ("人权 NOT", "`NOT` at character 4 ends the query"),
        ("人权 NOT NOT 美国", "`NOT` at character 4 needs a word"),
        ("NOT 美国", "only excludes"),
    ] {
        let out = zhen()
            .args(["search", query, "--index"])
            .arg(dir.path().join("idx"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{query}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.starts_with("zhen: error: invalid query") && stderr.contains(says),
            "{query}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn other_spellings_of_the_operators_search_as_the_usual_ones() {
    let dir = built_index();
    let idx = dir.path().join("idx");
    for (query, same_as) in [
        ("人权 NOT 美国", "人权 -美国"),
        ("人权 ＮＯＴ \"美国\"", "人权 -美国"),
        ("警务 ＯＲ 酷刑", "警务 OR 酷刑"),
        ("人权 AND 美国", "人权 美国"),
    ] {
        let (got, want) = (search_json(&idx, &[query]), search_json(&idx, &[same_as]));
        assert!(want["total_hits"].as_u64().unwrap() > 0, "{same_as}");
        assert_eq!(got["total_hits"], want["total_hits"], "{query}");
        assert_eq!(got["hits"], want["hits"], "{query}");
    }
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["search"][..],
        &["search", "x", "--limit", "0"],
        &["search", "x", "--bogus"],
        &["frobnicate"],
        &[],
    ] {
        let out = zhen().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty());
    }
}

#[test]
fn missing_index_exits_1_and_says_how_to_build_it() {
    let dir = tempfile::tempdir().unwrap();
    let stderr = fails_with(
        1,
        zhen()
            .args(["search", "人口贩运", "--index"])
            .arg(dir.path().join("nothing-here")),
    );
    assert!(
        stderr.contains("no zhen index at") && stderr.contains("zhen index"),
        "{stderr}"
    );
}

#[test]
fn corrupt_index_exits_1_and_says_how_to_rebuild() {
    let dir = built_index();
    let idx = dir.path().join("idx");
    let generation = std::fs::read_to_string(idx.join("CURRENT")).unwrap();
    std::fs::remove_file(idx.join(generation.trim()).join("meta.json")).unwrap();
    let stderr = fails_with(1, zhen().args(["search", "人口贩运", "--index"]).arg(&idx));
    assert!(
        stderr.contains("damaged") && stderr.contains("rebuild"),
        "{stderr}"
    );
}

#[test]
fn unreadable_source_fails_the_build_and_keeps_the_old_index() {
    let dir = built_index();
    let idx = dir.path().join("idx");
    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, [0u8, 159, 146, 150, 0, 1]).unwrap();
    let stderr = fails_with(1, zhen().args(["index", "--index"]).arg(&idx).arg(&bad));
    assert!(stderr.contains("bad.txt"), "{stderr}");
    let v = search_json(&idx, &["人口贩运"]);
    assert_eq!(v["total_hits"].as_u64(), Some(3));
}

#[test]
fn first_search_builds_the_default_index_once() {
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir(work.path().join("index-data")).unwrap();
    std::fs::copy(
        shipped(),
        work.path().join("index-data/us-hrc-pledges-2021.zh.txt"),
    )
    .unwrap();

    let first = zhen()
        .current_dir(work.path())
        .args(["search", "人口贩运", "--json"])
        .output()
        .unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(stderr.contains("building it from"), "{stderr}");
    let v: Value = serde_json::from_slice(&first.stdout).unwrap();
    let mut top = paragraphs(&v);
    top.sort();
    assert_eq!(top, [17, 18, 29]);
    assert!(work.path().join("index-data/index/CURRENT").is_file());

    let second = zhen()
        .current_dir(work.path())
        .args(["search", "人口贩运", "--json"])
        .output()
        .unwrap();
    assert!(second.status.success());
    assert!(
        second.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let again: Value = serde_json::from_slice(&second.stdout).unwrap();
    assert_eq!(v["hits"], again["hits"]);
}

#[test]
fn piped_output_is_plain_with_brackets_and_colour_is_opt_in() {
    let dir = built_index();
    let idx = dir.path().join("idx");
    let plain = zhen()
        .args(["search", "人口贩运", "--index"])
        .arg(&idx)
        .output()
        .unwrap();
    let text = String::from_utf8(plain.stdout).unwrap();
    assert!(!text.contains('\u{1b}'), "no escape codes in a pipe");
    assert!(text.starts_with("3 hits for 人口贩运"), "{text}");
    assert!(text.contains("¶18") && text.contains("¶17") && text.contains("¶29"));
    assert!(text.contains("§ 承诺在国际上推动人权"));
    assert!(text.contains("【人口贩运】"));

    let coloured = zhen()
        .args(["search", "人口贩运", "--color", "always", "--index"])
        .arg(&idx)
        .output()
        .unwrap();
    let text = String::from_utf8(coloured.stdout).unwrap();
    assert!(text.contains('\u{1b}') && !text.contains('【'));
}

/// Documents are not trusted: their control characters reach the terminal escaped, so an
/// escape sequence in one cannot recolour or retitle it.
#[test]
fn control_characters_of_documents_are_escaped_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("ctl.jsonl");
    std::fs::write(
        &corpus,
        concat!(
            r#"{"id":"c\u0007","text":"控制字符测试\u001b[31m红色\u2028分隔\r回车\n下一行","section":"节\u001b]0;title\u0007标题"}"#,
            "\n"
        ),
    )
    .unwrap();
    let idx = dir.path().join("idx");
    zhen()
        .args(["index", "--index"])
        .arg(&idx)
        .arg(&corpus)
        .assert()
        .success();
    for color in ["never", "always"] {
        let out = zhen()
            .args(["search", "测试", "--color", color, "--index"])
            .arg(&idx)
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        // Only zhen's own colour codes: each escape starts a style (`ESC [ digits m`).
        let escapes: Vec<&str> = text.split('\u{1b}').skip(1).collect();
        assert!(
            escapes.iter().all(|e| e.starts_with('[')
                && e[1..].starts_with(|c: char| c.is_ascii_digit())
                && !e.starts_with("[31m红")),
            "{color}: {text:?}"
        );
        assert!(
            !text.contains(['\u{7}', '\r', '\u{2028}']),
            "{color}: {text:?}"
        );
        assert!(
            text.contains(r"\u{1b}[31m红色\u{2028}分隔 回车 / 下一行"),
            "{color}: {text:?}"
        );
        assert!(
            text.contains(r"§ 节\u{1b}]0;title\u{7}标题"),
            "{color}: {text:?}"
        );
        assert!(text.contains(r"c\u{7}:"), "{color}: {text:?}");
    }
}

/// The same for what eval, bench and the build's messages print from files.
#[test]
fn control_characters_of_files_are_escaped_in_eval_bench_and_messages() {
    let dir = built_index();
    let idx = dir.path().join("idx");
    let qrels = dir.path().join("q.tsv");
    std::fs::write(&qrels, "人口\u{1b}]0;PWNED\u{7}贩运\t29:2\n").unwrap();
    let out = zhen()
        .arg("eval")
        .arg(&qrels)
        .arg("--index")
        .arg(&idx)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(r"人口\u{1b}]0;PWNED\u{7}贩运"), "{text:?}");
    assert!(!text.contains(['\u{1b}', '\u{7}']), "{text:?}");

    let queries = dir.path().join("bq.txt");
    std::fs::write(&queries, "wo\u{1b}[2Jrds\t人口\u{1b}[31m贩运\n").unwrap();
    let out = zhen()
        .args(["bench", "--iters", "1", "--cold-runs", "0", "--queries"])
        .arg(&queries)
        .arg("--index")
        .arg(&idx)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(r"wo\u{1b}[2Jrds") && text.contains(r"人口\u{1b}[31m贩运"),
        "{text:?}"
    );
    assert!(!text.contains('\u{1b}'), "{text:?}");

    let corpus = dir.path().join("two");
    std::fs::create_dir(&corpus).unwrap();
    for name in ["a.jsonl", "b.jsonl"] {
        std::fs::write(
            corpus.join(name),
            "{\"id\":\"d\\u001b]0;PWN\\u0007\",\"text\":\"文本\"}\n",
        )
        .unwrap();
    }
    let out = zhen()
        .args(["index", "--index"])
        .arg(dir.path().join("idx2"))
        .arg(&corpus)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains(r"d\u{1b}]0;PWN\u{7}"), "{stderr:?}");
    assert!(!stderr.contains(['\u{1b}', '\u{7}']), "{stderr:?}");
}

#[test]
fn help_explains_with_examples() {
    for cmd in ["search", "index"] {
        let out = zhen().args([cmd, "--help"]).output().unwrap();
        assert!(out.status.success());
        let help = String::from_utf8(out.stdout).unwrap();
        assert!(
            help.contains("Examples:") && help.contains("zhen "),
            "{help}"
        );
    }
}

fn dev_qrels() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/eval/dev-qrels.tsv")
}

#[test]
fn eval_meets_the_dev_set_targets() {
    let dir = built_index();
    let out = zhen()
        .arg("eval")
        .arg(dev_qrels())
        .args(["--json", "--index"])
        .arg(dir.path().join("idx"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let queries = v["queries"].as_array().unwrap();
    assert_eq!(queries.len(), 15);
    for q in queries {
        assert!(q["ndcg_at_10"].is_f64() && q["recall_at_10"].is_f64());
        assert!(q["ranked"].is_array());
    }
    assert!(
        v["mean_ndcg_at_10"].as_f64().unwrap() >= 0.97,
        "{}",
        v["mean_ndcg_at_10"]
    );
    assert_eq!(v["mean_recall_at_10"].as_f64(), Some(1.0));

    // The table ends with the means.
    let table = zhen()
        .arg("eval")
        .arg(dev_qrels())
        .arg("--index")
        .arg(dir.path().join("idx"))
        .output()
        .unwrap();
    let text = String::from_utf8(table.stdout).unwrap();
    let last = text.lines().last().unwrap();
    assert!(last.starts_with("mean"), "{last}");
    assert!(text.contains("人口贩运") && text.contains("nDCG@10"));
}

#[test]
fn eval_reports_the_bad_line_of_a_qrels_file() {
    let dir = built_index();
    let qrels = dir.path().join("bad.tsv");
    std::fs::write(&qrels, "人口贩运\t18:2\n劳工\t17-2\n").unwrap();
    let stderr = fails_with(
        1,
        zhen()
            .arg("eval")
            .arg(&qrels)
            .arg("--index")
            .arg(dir.path().join("idx")),
    );
    assert!(
        stderr.contains("bad.tsv:2:") && stderr.contains("number:grade"),
        "{stderr}"
    );
}

/// Runs `zhen eval` on a qrels file of `content` against the index in `dir`, expecting exit
/// status 1, and returns its stderr.
fn eval_fails(dir: &tempfile::TempDir, content: &str) -> String {
    let qrels = dir.path().join("q.tsv");
    std::fs::write(&qrels, content).unwrap();
    fails_with(
        1,
        zhen()
            .arg("eval")
            .arg(&qrels)
            .args(["--json", "--index"])
            .arg(dir.path().join("idx")),
    )
}

#[test]
fn eval_rejects_duplicate_judgements_bad_queries_and_files_without_queries() {
    let dir = built_index();
    // Accepted, `8:2 8:1` scored 0.760 and `8:1 8:2` 0.380 for the same ranking.
    let stderr = eval_fails(&dir, "人权\t8:2 8:1\n");
    assert!(
        stderr.contains("q.tsv:1: paragraph 8 is judged twice (grades 2 and 1); keep one"),
        "{stderr}"
    );
    // A query that `zhen search` would reject is the file's fault: exit 1, naming the line
    // (it was exit 2 with the bare query error).
    let stderr = eval_fails(&dir, "人权\t8:2\n\"人权\t8:2\n");
    assert!(
        stderr.contains("q.tsv:2: invalid query: the quote at character 1 is never closed"),
        "{stderr}"
    );
    // One that parses but has nothing to search (punctuation alone), found before any
    // query runs.
    let stderr = eval_fails(&dir, "人权\t8:2\n# c\n。！\t8:1\n");
    assert!(
        stderr.contains("q.tsv:3: invalid query: the query has no searchable words"),
        "{stderr}"
    );
    // A byte-order mark is not part of the first query (it made it `\u{feff}人权`).
    let qrels = dir.path().join("bom.tsv");
    std::fs::write(&qrels, "\u{feff}人权\t8:2\n").unwrap();
    let out = zhen()
        .arg("eval")
        .arg(&qrels)
        .args(["--json", "--index"])
        .arg(dir.path().join("idx"))
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["queries"][0]["query"], "人权");
    // Accepted, these printed a mean of -0.000.
    for content in ["", "# only a comment\n\n"] {
        let stderr = eval_fails(&dir, content);
        assert!(stderr.contains("q.tsv holds no queries"), "{stderr}");
    }
}

#[test]
fn explain_prints_the_analysis_and_the_query_tree() {
    let dir = built_index();
    let idx = dir.path().join("idx");
    let out = zhen()
        .args(["search", "宗教自由", "--explain", "--index"])
        .arg(&idx)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("query analysis"), "{text}");
    assert!(text.contains("body_grams: 宗教 | 自由"), "{text}");
    assert!(
        text.contains("query tree")
            && text.contains("term body:宗教自由")
            && text.contains("term body_grams:宗教"),
        "{text}"
    );
    assert!(text.contains("¶19"), "{text}");

    let v = search_json(&idx, &["宗教自由", "--explain"]);
    assert_eq!(v["explanation"]["clauses"][0]["words"][0], "宗教自由");
    assert!(v["explanation"]["tree"]["children"].is_array());
    // Without --explain the JSON has no explanation.
    assert!(search_json(&idx, &["宗教自由"])
        .get("explanation")
        .is_none());
}

#[test]
fn json_lines_corpora_plain_and_gzip_are_indexed_record_by_record() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    std::fs::create_dir(&corpus).unwrap();
    let lines = [
        r#"{"id": "law-1", "text": "第一条 为了预防和惩治人口贩运，制定本法。", "title": "反人口贩运法", "para": 1, "tags": ["x"]}"#,
        r#"{"id": "law-1", "text": "第二条 国家保护劳动者的合法权益。", "title": "反人口贩运法", "para": 2}"#,
    ];
    std::fs::write(corpus.join("laws.jsonl"), lines.join("\n")).unwrap();
    let gz = std::fs::File::create(corpus.join("more.jsonl.gz")).unwrap();
    let mut enc = flate2::write::GzEncoder::new(gz, flate2::Compression::fast());
    writeln!(enc, r#"{{"id": 7, "text": "人口贩运是严重犯罪。"}}"#).unwrap();
    enc.finish().unwrap();

    let idx = dir.path().join("idx");
    let out = zhen()
        .args(["index", "--index"])
        .arg(&idx)
        .arg(&corpus)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Not a terminal: no progress bar, only the summary line.
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("indexed 3 paragraphs of 2 document(s)"),
        "{stderr}"
    );

    let v = search_json(&idx, &["人口贩运"]);
    assert_eq!(v["total_hits"].as_u64(), Some(2));
    let law = v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["doc"] == "law-1")
        .unwrap();
    assert_eq!(law["paragraph"].as_u64(), Some(1));
    assert_eq!(law["section"], "反人口贩运法");
    assert_eq!(law["metadata"]["title"], "反人口贩运法");
    assert!(
        law["metadata"].get("tags").is_none(),
        "only scalar fields are kept"
    );
    let other = v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["doc"] == "7")
        .unwrap();
    assert!(other["paragraph"].is_null());
}

#[test]
fn a_broken_json_line_names_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.jsonl");
    std::fs::write(&file, "{\"text\": \"好\"}\n{\"text\": \n").unwrap();
    // Skipped (exit status 3) by default; `--on-error stop` makes it fail the build.
    let stderr = fails_with(
        3,
        zhen()
            .args(["index", "--index"])
            .arg(dir.path().join("idx"))
            .arg(&file),
    );
    assert!(
        stderr.contains("broken.jsonl") && stderr.contains("line 2"),
        "{stderr}"
    );
}

#[test]
fn bench_reports_the_documented_json() {
    let dir = built_index();
    let out = zhen()
        .args([
            "bench",
            "--iters",
            "2",
            "--warmup",
            "1",
            "--threads",
            "2",
            "--cold-runs",
            "2",
            "--json",
            "--index",
        ])
        .arg(dir.path().join("idx"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["index"].is_string());
    assert_eq!(v["docs"].as_u64(), Some(48));
    assert_eq!(v["paragraphs"].as_u64(), Some(48));
    assert_eq!(v["documents"].as_u64(), Some(1));
    assert_eq!(
        (v["iters"].as_u64(), v["threads"].as_u64()),
        (Some(2), Some(2))
    );
    assert!(v["cold_ms"].as_f64().unwrap() > 0.0);
    for key in ["p50_us", "p95_us", "p99_us", "max_us", "qps"] {
        assert!(v["overall"][key].as_f64().unwrap() > 0.0, "{key}");
    }
    for key in ["analyse", "search", "fetch"] {
        assert!(v["phases_us"][key].is_f64(), "{key}");
    }
    let queries = v["queries"].as_array().unwrap();
    assert!(queries.len() >= 16);
    let trafficking = queries.iter().find(|q| q["query"] == "人口贩运").unwrap();
    assert_eq!(trafficking["hits"].as_u64(), Some(3));
    assert!(trafficking["p50_us"].as_f64().unwrap() <= trafficking["max_us"].as_f64().unwrap());
}

#[test]
fn a_cold_process_returns_what_a_warm_searcher_returns() {
    let dir = built_index();
    let idx = dir.path().join("idx");
    let searcher = zhen::Index::open(&idx).unwrap().searcher();
    let queries = [
        "人口贩运",
        "劳工",
        "贩",
        "宗教自由",
        "國際勞工組織",
        "１５５７",
        "\"表达自由\"",
        "Distr",
        "人权 -国会",
    ];
    // Warm the searcher up: its analyzers have seen every query before the comparison.
    for q in queries.iter().chain(&queries) {
        searcher.search(q, 10).unwrap();
    }
    for q in queries {
        let warm: Value =
            serde_json::from_str(&serde_json::to_string(&searcher.search(q, 10).unwrap()).unwrap())
                .unwrap();
        let cold = search_json(&idx, &[q]);
        assert_eq!(cold["total_hits"], warm["total_hits"], "{q}");
        assert_eq!(cold["hits"], warm["hits"], "{q}");
    }
}

fn write_jsonl(path: &Path, records: &[Value]) {
    let lines: Vec<String> = records.iter().map(|r| r.to_string()).collect();
    std::fs::write(path, lines.join("\n")).unwrap();
}

fn stats_json(index: &Path) -> Value {
    let out = zhen()
        .args(["stats", "--json", "--index"])
        .arg(index)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_parallel_corpus_shows_counterparts_filters_by_language_and_updates_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("pairs.jsonl");
    let pair = |id: &str, zh: &str, en: &str| {
        [
            serde_json::json!({"id": id, "lang": "zh", "text": zh}),
            serde_json::json!({"id": id, "lang": "en", "text": en}),
        ]
    };
    let mut records = Vec::new();
    records.extend(pair(
        "p1",
        "各国应打击人口贩运。",
        "States should combat human trafficking.",
    ));
    records.extend(pair(
        "p2",
        "促进表达自由。",
        "Promote freedom of expression.",
    ));
    write_jsonl(&corpus, &records);
    let idx = dir.path().join("idx");
    zhen()
        .args(["index", "--index"])
        .arg(&idx)
        .arg(&corpus)
        .assert()
        .success();

    let v = search_json(&idx, &["human", "trafficking", "--parallel"]);
    assert_eq!(v["total_hits"], 1);
    let hit = &v["hits"][0];
    assert_eq!(
        (hit["doc"].as_str(), hit["lang"].as_str()),
        (Some("p1"), Some("en"))
    );
    assert_eq!(hit["parallel"]["lang"], "zh");
    assert_eq!(hit["parallel"]["text"], "各国应打击人口贩运。");
    let v = search_json(&idx, &["人口贩运", "--parallel"]);
    assert_eq!(
        v["hits"][0]["parallel"]["text"],
        "States should combat human trafficking."
    );
    // Without --parallel the key is absent.
    assert!(search_json(&idx, &["人口贩运"])["hits"][0]
        .get("parallel")
        .is_none());

    // A number appears in no record; a word in both languages' records of p2 only.
    let v = search_json(&idx, &["freedom", "OR", "自由", "--lang", "zh"]);
    assert_eq!(v["total_hits"], 1);
    assert_eq!(v["hits"][0]["lang"], "zh");
    // As the codes are also written (`ZH`, `En`), and as a record's `lang` may be.
    for tag in ["ZH", "zh-CN", "zho"] {
        let v = search_json(&idx, &["freedom", "OR", "自由", "--lang", tag]);
        assert_eq!(v["total_hits"], 1, "{tag}");
    }
    zhen()
        .args(["search", "freedom", "--lang", "fr", "--index"])
        .arg(&idx)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("expected zh, en or und"));
    let v = search_json(&idx, &["freedom", "OR", "自由", "--doc", "p1"]);
    assert_eq!(v["total_hits"], 0);
    // No hits in a document that exists is no warning; an id that names no document
    // (ids are exact) is, on stderr, with the JSON on stdout unchanged.
    let doc_warning = |doc: &str| {
        let out = zhen()
            .args(["search", "freedom", "--json", "--doc", doc, "--index"])
            .arg(&idx)
            .output()
            .unwrap();
        assert!(out.status.success());
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["total_hits"], 0);
        String::from_utf8(out.stderr).unwrap()
    };
    assert_eq!(doc_warning("p1"), "");
    let warning = doc_warning("P2");
    assert!(
        warning.starts_with("zhen: warning: no document `P2` in "),
        "{warning}"
    );

    let stats = stats_json(&idx);
    assert_eq!(
        (stats["documents"].as_u64(), stats["paragraphs"].as_u64()),
        (Some(2), Some(4))
    );
    assert_eq!(stats["languages"]["zh"], 2);
    assert_eq!(stats["languages"]["en"], 2);

    // --add: p2 changes, p3 is new, p1 is given again unchanged.
    let update = dir.path().join("update.jsonl");
    let mut records = Vec::new();
    records.extend(pair(
        "p1",
        "各国应打击人口贩运。",
        "States should combat human trafficking.",
    ));
    records.extend(pair("p2", "保护宗教自由。", "Protect freedom of religion."));
    records.extend(pair("p3", "消除酷刑。", "Eliminate torture."));
    write_jsonl(&update, &records);
    let out = zhen()
        .args(["index", "--index"])
        .arg(&idx)
        .arg("--add")
        .arg(&update)
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("1 added, 1 replaced, 1 unchanged, 0 removed"),
        "{stderr}"
    );
    assert_eq!(search_json(&idx, &["表达自由"])["total_hits"], 0);
    assert_eq!(search_json(&idx, &["宗教自由"])["total_hits"], 1);
    assert_eq!(search_json(&idx, &["torture"])["total_hits"], 1);

    // --remove, with one id that is not there: a warning, still success.
    let out = zhen()
        .args(["index", "--index"])
        .arg(&idx)
        .args(["--remove", "p3", "nope"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no document `nope`"), "{stderr}");
    assert_eq!(search_json(&idx, &["torture"])["total_hits"], 0);
    let stats = stats_json(&idx);
    assert_eq!(
        (stats["documents"].as_u64(), stats["paragraphs"].as_u64()),
        (Some(2), Some(4))
    );
}

#[test]
fn updating_a_missing_index_exits_1_and_says_how_to_build_it() {
    let dir = tempfile::tempdir().unwrap();
    let stderr = fails_with(
        1,
        zhen()
            .args(["index", "--index"])
            .arg(dir.path().join("none"))
            .arg("--add")
            .arg(shipped()),
    );
    assert!(stderr.contains("zhen index"), "{stderr}");
}

#[test]
fn an_id_both_removed_and_added_in_one_update_holds_the_added_document() {
    let dir = built_index();
    let idx = dir.path().join("idx");
    let doc = dir.path().join("memo.txt");
    for (text, expected) in [
        // New to the index: nothing to remove (a warning), then added. It was added, then
        // deleted again by the removal, and the summary said `1 added … 1 removed`.
        (
            "1. 新文件讨论人口贩运。",
            "1 added, 0 replaced, 0 unchanged, 0 removed",
        ),
        // In the index: removed, then added anew.
        (
            "1. 修订后的文件讨论人口贩运。",
            "1 added, 0 replaced, 0 unchanged, 1 removed",
        ),
    ] {
        std::fs::write(&doc, text).unwrap();
        let out = zhen()
            .args(["index", "--index"])
            .arg(&idx)
            .arg("--add")
            .arg(&doc)
            .args(["--remove", "memo"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
        let v = search_json(&idx, &["人口贩运", "--doc", "memo"]);
        assert_eq!(v["total_hits"], 1, "{v}");
        assert_eq!(v["hits"][0]["text"], text.trim_start_matches("1. "));
    }
}

#[test]
fn an_update_whose_every_source_is_skipped_exits_1_and_changes_nothing() {
    let dir = built_index();
    let idx = dir.path().join("idx");
    let before = search_json(&idx, &["人口贩运"]);
    let stats = stats_json(&idx);
    let stderr = fails_with(
        1,
        zhen()
            .args(["index", "--index"])
            .arg(&idx)
            .arg("--add")
            .arg(dir.path().join("no-such-file.txt"))
            .args(["--remove", "us-hrc-pledges-2021.zh"]),
    );
    assert!(stderr.contains("no-such-file.txt"), "{stderr}");
    assert!(
        stderr.contains("nothing to add") && stderr.contains("unchanged"),
        "{stderr}"
    );
    assert!(!stderr.contains("updated"), "{stderr}");
    assert_eq!(search_json(&idx, &["人口贩运"])["hits"], before["hits"]);
    assert_eq!(stats_json(&idx)["paragraphs"], stats["paragraphs"]);
}

#[test]
fn a_user_dictionary_is_stored_with_the_index_and_used_by_searches_and_updates() {
    let dir = tempfile::tempdir().unwrap();
    let dict = dir.path().join("domain.dict");
    std::fs::write(&dict, "南共市指南 1000\n高专办\n").unwrap();
    let doc = dir.path().join("memo.txt");
    std::fs::write(
        &doc,
        "1. 《南共市指南》旨在整合救助行动。\n\n2. 高专办发布了报告。",
    )
    .unwrap();
    let idx = dir.path().join("idx");
    zhen()
        .args(["index", "--index"])
        .arg(&idx)
        .arg("--dict")
        .arg(&dict)
        .arg(&doc)
        .assert()
        .success();
    let v = search_json(&idx, &["南共市指南", "--explain"]);
    assert_eq!(
        v["explanation"]["clauses"][0]["words"],
        serde_json::json!(["南共市指南"])
    );
    assert_eq!(paragraphs(&v), [1]);
    assert_eq!(stats_json(&idx)["user_dict_words"], 2);

    // An update segments with the stored dictionary, without being given it.
    let more = dir.path().join("more.txt");
    std::fs::write(&more, "1. 高专办再次提到南共市指南。").unwrap();
    zhen()
        .args(["index", "--index"])
        .arg(&idx)
        .arg("--add")
        .arg(&more)
        .assert()
        .success();
    let v = search_json(&idx, &["高专办"]);
    assert_eq!(v["total_hits"], 2);

    // A bad dictionary stops the build before anything is replaced.
    std::fs::write(&dict, "高专办 lots\n").unwrap();
    let stderr = fails_with(
        1,
        zhen()
            .args(["index", "--index"])
            .arg(&idx)
            .arg("--dict")
            .arg(&dict)
            .arg(&doc),
    );
    assert!(
        stderr.contains("domain.dict") && stderr.contains("line 1"),
        "{stderr}"
    );
    assert_eq!(search_json(&idx, &["高专办"])["total_hits"], 2);
}

/// Runs `zhen bench --queries` on a file of `content` against the index in `dir`,
/// expecting exit status 1, and returns its stderr.
fn bench_fails(dir: &tempfile::TempDir, content: &str) -> String {
    let queries = dir.path().join("bq.txt");
    std::fs::write(&queries, content).unwrap();
    fails_with(
        1,
        zhen()
            .args([
                "bench",
                "--iters",
                "1",
                "--cold-runs",
                "0",
                "--json",
                "--queries",
            ])
            .arg(&queries)
            .arg("--index")
            .arg(dir.path().join("idx")),
    )
}

#[test]
fn bench_rejects_malformed_query_lines_and_bad_queries() {
    let dir = built_index();
    // Accepted, `foo<TAB>bar<TAB>baz` ran the query `bar<TAB>baz`, and `word<TAB>` the
    // query `word`.
    let stderr = bench_fails(&dir, "word\t人权\nfoo\tbar\tbaz\nword\t\n");
    assert!(
        stderr.contains("bq.txt:2: the line has 2 tabs")
            && stderr.contains("`QUERY` or `CLASS<TAB>QUERY`"),
        "{stderr}"
    );
    // A query that `zhen search` would reject: exit 1 (not 2), naming the line.
    let stderr = bench_fails(&dir, "人权\n\"人权\n");
    assert!(
        stderr.contains("bq.txt:2: invalid query: the quote at character 1 is never closed"),
        "{stderr}"
    );
    let stderr = bench_fails(&dir, "word\t人权\nword\t\n");
    assert!(
        stderr.contains("bq.txt:2: the query after the tab is empty"),
        "{stderr}"
    );
    let stderr = bench_fails(&dir, "word\t人权\n\nsymbols\t。！\n");
    assert!(
        stderr.contains("bq.txt:3: invalid query: the query has no searchable words"),
        "{stderr}"
    );
}

#[test]
fn lang_und_keeps_the_paragraphs_of_neither_language() {
    // `zhen stats` counts them, the library filters by them, the CLI refused `und`.
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("c.jsonl");
    std::fs::write(
        &corpus,
        "{\"id\": \"n\", \"text\": \"2015-2016\"}\n{\"id\": \"z\", \"text\": \"人权报告 2015\"}\n{\"id\": \"e\", \"text\": \"Report 2015\"}\n",
    )
    .unwrap();
    let idx = dir.path().join("idx");
    zhen()
        .args(["index", "--index"])
        .arg(&idx)
        .arg(&corpus)
        .assert()
        .success();
    let docs = |lang: &str| -> Vec<String> {
        let v = search_json(&idx, &["2015", "--lang", lang]);
        v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["doc"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(docs("und"), ["n"]);
    assert_eq!(docs("zh"), ["z"]);
    assert_eq!(docs("en"), ["e"]);
}

/// An index in `dir/idx` of the files `(name, content)`, written to `dir/src`.
fn index_of(dir: &tempfile::TempDir, files: &[(&str, &str)]) -> PathBuf {
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    for (name, content) in files {
        std::fs::write(src.join(name), content).unwrap();
    }
    let idx = dir.path().join("idx");
    zhen()
        .args(["index", "--index"])
        .arg(&idx)
        .arg(&src)
        .assert()
        .success();
    idx
}

/// Runs `zhen eval` on a qrels file of `content` against `idx`, expecting success, and
/// returns its JSON, its table and its stderr.
fn eval_ok(dir: &tempfile::TempDir, idx: &Path, content: &str) -> (Value, String, String) {
    let qrels = dir.path().join("q.tsv");
    std::fs::write(&qrels, content).unwrap();
    let run = |json: bool| {
        let out = zhen()
            .arg("eval")
            .arg(&qrels)
            .args(json.then_some("--json"))
            .arg("--index")
            .arg(idx)
            .output()
            .unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(out.status.success(), "{stderr}");
        (String::from_utf8(out.stdout).unwrap(), stderr)
    };
    let (json, stderr) = run(true);
    let (table, _) = run(false);
    (serde_json::from_str(&json).unwrap(), table, stderr)
}

/// Three speeches, each with a ¶1 about the President (the QA case).
const SPEECHES: [(&str, &str); 3] = [
    (
        "a.txt",
        "1. Mr. President, I congratulate you.\n\n2. Climate finance.\n",
    ),
    (
        "b.txt",
        "1. Mr. President, thank you for the floor.\n\n2. Peacekeeping.\n",
    ),
    (
        "c.txt",
        "1. Mr. President, we welcome the report.\n\n2. Development.\n",
    ),
];

#[test]
fn eval_tells_the_documents_of_same_numbered_paragraphs_apart() {
    let dir = tempfile::tempdir().unwrap();
    let idx = index_of(&dir, &SPEECHES);

    // A number alone still matches any document's ¶1, once; but it warns, and every hit
    // shows its document.
    let (v, table, stderr) = eval_ok(&dir, &idx, "Mr. President\t1:2\n");
    let q = &v["queries"][0];
    assert_eq!(q["ranked"], serde_json::json!([1, 1, 1]));
    let docs: Vec<&str> = q["ranked_docs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    assert_eq!(sorted_strs(&docs), ["a", "b", "c"]);
    assert_eq!(q["ndcg_at_10"].as_f64(), Some(1.0));
    assert_eq!(q["relevant"], serde_json::json!([[1, 2]]));
    assert_eq!(q["relevant_docs"], serde_json::json!([null]));
    assert_eq!(q["note"], Value::Null);
    assert_eq!(stderr.matches("warning").count(), 1, "{stderr}");
    assert!(
        stderr
            .contains("q.tsv:1: paragraphs named by number alone, but the index holds 3 documents")
            && stderr.contains(&format!(
                "name the document as `DOC/NUMBER:GRADE` (e.g. `{}/1:2` for `1:2`)",
                docs[0]
            )),
        "{stderr}"
    );
    // Credited once, where it first ranks: it printed `1*2 1*2 1*2`.
    let row = format!("{}/1*2 {}/1 {}/1", docs[0], docs[1], docs[2]);
    assert!(table.contains(&row), "{table}");

    // Qualified, it is credited to b's ¶1 only, where that ranks; no warning.
    let (v, table, stderr) = eval_ok(&dir, &idx, "Mr. President\tb/1:2\tb only\n");
    let q = &v["queries"][0];
    let rank = docs.iter().position(|d| *d == "b").unwrap();
    let expected = 1.0 / ((rank + 2) as f64).log2();
    assert!(
        (q["ndcg_at_10"].as_f64().unwrap() - expected).abs() < 1e-9,
        "{q}"
    );
    assert_eq!(q["relevant_docs"], serde_json::json!(["b"]));
    assert_eq!(q["note"], "b only");
    assert!(stderr.is_empty(), "{stderr}");
    assert!(
        table.contains("b/1*2") && !table.contains("a/1*2"),
        "{table}"
    );

    // A document the index does not hold is named, not silently scored 0.
    let (v, _, stderr) = eval_ok(&dir, &idx, "Mr. President\tb/1:2 B/2:1\n");
    assert!(v["queries"][0]["ndcg_at_10"].as_f64().unwrap() > 0.0);
    assert!(
        stderr.contains("q.tsv:1: no document `B` in the index, so `B/2:1` can never match"),
        "{stderr}"
    );
}

fn sorted_strs<'a>(v: &[&'a str]) -> Vec<&'a str> {
    let mut v = v.to_vec();
    v.sort_unstable();
    v
}

#[test]
fn eval_of_one_document_shows_numbers_alone_without_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let idx = index_of(&dir, &SPEECHES[..1]);
    let (_, table, stderr) = eval_ok(&dir, &idx, "Mr. President\t1:2\n");
    assert!(stderr.is_empty(), "{stderr}");
    assert!(table.contains("  1*2\n"), "{table}");
    // A qualified judgement shows what it is compared with, even on one document.
    let (_, table, _) = eval_ok(&dir, &idx, "Mr. President\ta/1:2\n");
    assert!(table.contains("  a/1*2\n"), "{table}");
}

#[test]
fn eval_warns_when_the_top_hits_are_unnumbered() {
    let dir = tempfile::tempdir().unwrap();
    let idx = index_of(
        &dir,
        &[(
            "corpus.jsonl",
            "{\"id\":\"r1\",\"text\":\"打击人口贩运。\"}\n{\"id\":\"r2\",\"text\":\"人口贩运问题。\"}\n",
        )],
    );
    // Accepted, it printed `ranked: [null, null]` and nDCG 0 without a word.
    let (v, _, stderr) = eval_ok(&dir, &idx, "人口贩运\tr1/1:2\n# c\n贩运\t1:2\n");
    assert_eq!(v["queries"][0]["ranked"], serde_json::json!([null, null]));
    assert!(
        stderr.contains(
            "q.tsv:1 and 1 other line: the top hits are all unnumbered paragraphs (no printed \
             number, e.g. JSON Lines records without `para`), which cannot be judged by number"
        ),
        "{stderr}"
    );
}

#[test]
fn eval_rejects_grades_off_the_scale_lines_without_relevance_and_extra_columns() {
    let dir = built_index();
    for (content, reason) in [
        (
            "人权\t8:2\n劳工\t25:3\n",
            "q.tsv:2: `25:3`: grade 3 is not on the scale",
        ),
        ("人权\t8:0\n", "q.tsv:1: no paragraph is graded 1 or 2"),
        (
            "人权\t8:2\tnote\textra\n",
            "q.tsv:1: 4 tab-separated columns",
        ),
        // Lone CRs end lines as in `zhen index`: it was "`8:2\r劳工` is not number:grade".
        (
            "人权\t8:2\r劳工\t25-1\r",
            "q.tsv:2: `25-1` is not `number:grade`",
        ),
    ] {
        let stderr = eval_fails(&dir, content);
        assert!(stderr.contains(reason), "{content:?}: {stderr}");
    }
}

#[test]
fn an_index_of_another_format_is_told_how_to_rebuild_from_its_own_sources() {
    // The advice was `zhen index --index DIR`, which rebuilds from the default sources,
    // index-data/: following it replaced a corpus by the shipped document.
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("memo.txt");
    std::fs::write(&source, "1. 各国应打击人口贩运。\n").unwrap();
    let idx = dir.path().join("idx");
    zhen()
        .arg("index")
        .arg(&source)
        .arg("--index")
        .arg(&idx)
        .assert()
        .success();
    let current = std::fs::read_to_string(idx.join("CURRENT")).unwrap();
    let meta_path = idx.join(current.trim()).join("zhen.json");
    let meta = std::fs::read_to_string(&meta_path).unwrap();
    let format = format!("\"format\": {}", zhen::index::INDEX_FORMAT);
    std::fs::write(&meta_path, meta.replace(&format, "\"format\": 15")).unwrap();
    let out = zhen()
        .args(["search", "人口贩运", "--index"])
        .arg(&idx)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains(&format!(
            "rebuild it from its sources, with `zhen index {} --index {}`",
            source.display(),
            idx.display()
        )),
        "{stderr}"
    );
}
