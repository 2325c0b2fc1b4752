//! `zhen index` reading its sources as a user gives them: duplicate documents, byte-order
//! marks, short legacy-encoded files, symlinks in directories. Paths are relative to the
//! working directory, as typed, so the messages are compared whole.

use std::path::Path;

use assert_cmd::Command;

fn zhen(cwd: &Path) -> Command {
    let mut cmd = Command::cargo_bin("zhen").unwrap();
    cmd.env_remove("ZHEN_INDEX").current_dir(cwd);
    cmd
}

/// Runs `cmd` and returns its exit status and stderr.
fn run(cmd: &mut Command) -> (Option<i32>, String) {
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (out.status.code(), stderr)
}

/// Two documents of prc-laws, as `doc_id` records.
const PORT_LAW: &str = "\
{\"id\": \"law-00001-0001\", \"doc_id\": \"law-00001\", \"text\": \"第一条 为了规范口岸开放，提高口岸通关效率，保障口岸安全畅通。\"}
{\"id\": \"law-00001-0002\", \"doc_id\": \"law-00001\", \"text\": \"第二条 本条例所称的口岸，是指供人员、货物、物品和交通工具直接出入国（关、边）境的港口、机场、车站等。\"}
{\"id\": \"law-00002-0001\", \"doc_id\": \"law-00002\", \"text\": \"第一条 为了加强道路交通安全管理，制定本条例。\"}
";

/// Another export giving `law-00001` again (two records), and one law of its own.
const OTHER_EXPORT: &str = "\
{\"id\": \"law-00001-0001\", \"doc_id\": \"law-00001\", \"text\": \"第一条 为了规范口岸开放，制定本条例。\"}
{\"id\": \"law-00001-0002\", \"doc_id\": \"law-00001\", \"text\": \"第二条 口岸工作应当坚持安全与便利并重。\"}
{\"id\": \"law-00003-0001\", \"doc_id\": \"law-00003\", \"text\": \"第一条 为了保护野生动物，制定本条例。\"}
";

#[test]
fn a_document_id_taken_by_an_earlier_file_is_skipped_in_builds_and_updates_alike() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    std::fs::write(cwd.join("a.jsonl"), PORT_LAW).unwrap();
    std::fs::write(cwd.join("b.jsonl"), OTHER_EXPORT).unwrap();
    let taken = "zhen: skipped: b.jsonl: lines 1-2: document id `law-00001` is already taken by \
                 a.jsonl; these 2 records are not indexed; give the document another id in one \
                 of the files\n";

    let (code, stderr) = run(zhen(cwd).args(["index", "a.jsonl", "b.jsonl", "--index", "i"]));
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stderr.starts_with(taken), "{stderr}");
    assert!(
        stderr.contains("indexed 4 paragraphs of 3 document(s)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("skipped 0 file(s) and 2 record(s)"),
        "{stderr}"
    );

    let (code, stderr) =
        run(zhen(cwd).args(["index", "--add", "a.jsonl", "b.jsonl", "--index", "i"]));
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stderr.starts_with(taken), "{stderr}");
    assert!(
        stderr.contains("0 added, 0 replaced, 3 unchanged, 0 removed; now 4 paragraphs of 3"),
        "{stderr}"
    );

    // The same corpus twice: read once (nothing is skipped, so nothing is reported), and
    // an update of it changes nothing.
    let (code, stderr) = run(zhen(cwd).args(["index", "a.jsonl", "a.jsonl", "--index", "i"]));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("skipped"), "{stderr}");
    assert!(
        stderr.contains("indexed 3 paragraphs of 2 document(s)"),
        "{stderr}"
    );
    let (code, stderr) = run(zhen(cwd).args(["index", "--add", "a.jsonl", "--index", "i"]));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("0 added, 0 replaced, 2 unchanged"),
        "{stderr}"
    );
}

#[test]
fn a_text_document_id_taken_by_an_earlier_file_names_both_files() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    std::fs::create_dir_all(cwd.join("same/a")).unwrap();
    std::fs::create_dir_all(cwd.join("same/b")).unwrap();
    std::fs::write(cwd.join("same/a/report.txt"), "1. 美国承诺打击人口贩运。\n").unwrap();
    std::fs::write(cwd.join("same/b/report.txt"), "1. 美国承诺促进表达自由。\n").unwrap();
    let (code, stderr) = run(zhen(cwd).args(["index", "same", "--index", "i"]));
    assert_eq!(code, Some(3), "{stderr}");
    assert!(
        stderr.starts_with(
            "zhen: skipped: same/b/report.txt: document id `report` is already taken by \
             same/a/report.txt; rename one of them\n"
        ),
        "{stderr}"
    );
}

#[test]
fn a_json_lines_corpus_saved_with_a_byte_order_mark_keeps_its_first_record() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    std::fs::write(cwd.join("bom.jsonl"), format!("\u{feff}{PORT_LAW}")).unwrap();
    let (code, stderr) = run(zhen(cwd).args(["index", "bom.jsonl", "--index", "i"]));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("indexed 3 paragraphs of 2 document(s)"),
        "{stderr}"
    );
}

#[cfg(unix)]
#[test]
fn symlinks_in_a_directory_are_followed_and_dangling_ones_reported() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../index-data/us-hrc-pledges-2021.zh.txt")
        .canonicalize()
        .unwrap();
    std::fs::create_dir(cwd.join("sl")).unwrap();
    symlink(&shipped, cwd.join("sl/doc.txt")).unwrap();
    let (code, stderr) = run(zhen(cwd).args(["index", "sl", "--index", "i"]));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("indexed 48 paragraphs of 1 document(s)"),
        "{stderr}"
    );

    symlink("/nonexistent/report.txt", cwd.join("sl/gone.txt")).unwrap();
    let (code, stderr) = run(zhen(cwd).args(["index", "sl", "--index", "i"]));
    assert_eq!(code, Some(3), "{stderr}");
    assert!(
        stderr.starts_with(
            "zhen: skipped: sl/gone.txt: a symlink to /nonexistent/report.txt, which does not \
             exist: fix or remove the link\n"
        ),
        "{stderr}"
    );
}
