//! `zhen` under bad input and faults, run for real: bad files, broken records, hostile
//! queries, `kill -9` in the middle of a rebuild, two builds at once, searches during a
//! build, damaged index files, a full disk.

use std::ffi::OsString;
use std::io::{BufRead, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../index-data/us-hrc-pledges-2021.zh.txt")
}

fn exe() -> PathBuf {
    assert_cmd::cargo::cargo_bin("zhen")
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find(|l| l.starts_with("Uid:"))
            .is_some_and(|l| l.split_whitespace().nth(2) == Some("0"))
    })
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut std::process::Command) -> Run {
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
    }
}

fn index_cmd(idx: &Path, sources: &[&Path]) -> std::process::Command {
    let mut cmd = std::process::Command::new(exe());
    cmd.env_remove("ZHEN_INDEX")
        .args(["index", "--index"])
        .arg(idx);
    cmd.args(sources);
    cmd
}

fn build_index(idx: &Path, sources: &[&Path]) {
    let r = run(&mut index_cmd(idx, sources));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
}

type Answer = Vec<(String, Option<u32>, String)>;

/// The same hits, in any order: two builds of the same input may break score ties in a
/// different order (documents land in segments in a different order).
fn same_hits(a: &[Answer], b: &[Answer]) -> bool {
    let sorted = |x: &[Answer]| {
        x.iter()
            .map(|v| {
                let mut v = v.clone();
                v.sort();
                v
            })
            .collect::<Vec<_>>()
    };
    sorted(a) == sorted(b)
}

/// The hits of a query as the user sees them (doc, paragraph, text), in rank order: all of
/// them (no query here has 10,000), so two indexes of the same input compare equal even
/// where they break score ties differently.
fn answer(idx: &Path, query: &str) -> Answer {
    let searcher = zhen::Index::open(idx).unwrap().searcher();
    searcher
        .search(query, 10_000)
        .unwrap()
        .hits
        .into_iter()
        .map(|h| (h.doc, h.paragraph, h.text))
        .collect()
}

fn search_json(idx: &Path, query: &str) -> Value {
    let r = run(std::process::Command::new(exe())
        .args(["search", "--json", "--limit", "10000", "--index"])
        .arg(idx)
        .arg("--")
        .arg(query));
    assert_eq!(r.code, Some(0), "{query}: {}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap()
}

const QUERIES: &[&str] = &[
    "人口贩运",
    "国际劳工组织",
    "\"表达自由\"",
    "美国 -国会",
    "经济",
];

/// The first `n` records of the government work reports that have text, as a plain JSON
/// Lines file. The corpus holds records whose text is only a U+200B, which zhen reports as
/// bad lines (exit status 3): these tests are about clean input.
fn reports_corpus(dir: &Path, n: usize) -> PathBuf {
    let data = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/prc-gov-work-reports.zh.jsonl.gz");
    assert!(
        data.is_file(),
        "{} is missing: this test reads the shared corpora beside the checkout",
        data.display()
    );
    let reader = std::io::BufReader::new(flate2::read::GzDecoder::new(
        std::fs::File::open(data).unwrap(),
    ));
    let path = dir.join(format!("reports-{n}.jsonl"));
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let has_text = |line: &str| {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        record["text"]
            .as_str()
            .is_some_and(|t| t.chars().any(|c| !c.is_whitespace() && c != '\u{200b}'))
    };
    for line in reader
        .lines()
        .map(Result::unwrap)
        .filter(|l| has_text(l))
        .take(n)
    {
        writeln!(out, "{line}").unwrap();
    }
    out.flush().unwrap();
    path
}

/// Makes `dir` and everything below usable by an unprivileged user, for tests that must
/// drop root to see permissions enforced.
fn open_up(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    for entry in walk(dir) {
        let mode = if entry.is_dir() { 0o777 } else { 0o666 };
        std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(mode)).unwrap();
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![dir.to_path_buf()];
    if dir.is_dir() {
        for entry in std::fs::read_dir(dir).unwrap() {
            out.extend(walk(&entry.unwrap().path()));
        }
    }
    out
}

/// Runs `cmd` as `nobody` when the tests run as root, so a chmod 000 file is unreadable.
fn unprivileged(cmd: &mut std::process::Command) -> &mut std::process::Command {
    if is_root() {
        cmd.uid(65534).gid(65534);
    }
    cmd
}

fn utf16le(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    out
}

/// A directory with one of every kind of good and bad input: the good files are indexed,
/// each bad one is named on stderr with the reason, and the exit status is 3.
#[test]
fn a_directory_of_good_and_bad_files_indexes_the_good_and_names_the_bad() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    std::fs::create_dir_all(docs.join("sub")).unwrap();
    let put = |name: &str, bytes: &[u8]| std::fs::write(docs.join(name), bytes).unwrap();
    put("utf8.txt", "1. 美国承诺打击人口贩运。".as_bytes());
    put("bom.txt", "\u{feff}1. 美国支持宗教自由。".as_bytes());
    put("utf16.txt", &utf16le("1. 美国承诺保护表达自由。"));
    let (gb, _, _) = encoding_rs::GB18030
        .encode("1. 各国政府应当加强合作，共同打击跨国有组织犯罪，保护移民工人的合法权益。");
    put("sub/gb18030.txt", &gb);
    put(
        "corpus.jsonl",
        b"{\"id\": \"r1\", \"text\": \"\xe9\xbb\x84\xe6\xb2\xb3\xe6\xb5\x81\xe5\x9f\x9f\xe7\x94\x9f\xe6\x80\x81\xe4\xbf\x9d\xe6\x8a\xa4\"}\n{\"id\": \"r2\", \"text\": \n{\"id\": \"r3\", \"text\": \"\xe6\x95\xb0\xe5\xad\x97\xe7\xbb\x8f\xe6\xb5\x8e\"}\n",
    );
    let long_line = format!(
        "鲲鹏开头。{}饕餮结尾。",
        "各国应当加强合作，共同应对气候变化带来的挑战。".repeat(5_000)
    );
    put("long-line.txt", long_line.as_bytes());
    put("empty.txt", b"");
    put("blank.txt", b" \n\n\t \r\n");
    put(
        "binary.txt",
        b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0>\0",
    );
    put("latin1.txt", b"caf\xe9 na\xefve \xff\xfe\xfd fran\xe7ais");
    put("secret.txt", "1. 机密文件。".as_bytes());
    std::fs::create_dir(docs.join("locked")).unwrap();
    put("locked/inside.txt", "1. 锁住的目录里的文件。".as_bytes());
    let idx = dir.path().join("idx");
    std::fs::create_dir(&idx).unwrap();
    open_up(dir.path());
    for unreadable in ["secret.txt", "locked"] {
        std::fs::set_permissions(
            docs.join(unreadable),
            std::fs::Permissions::from_mode(0o000),
        )
        .unwrap();
    }

    let r = run(unprivileged(&mut index_cmd(&idx, &[&docs])));
    assert_eq!(r.code, Some(3), "{}", r.stderr);
    for (file, reason) in [
        ("empty.txt", "empty"),
        ("blank.txt", "white space"),
        ("binary.txt", "binary"),
        ("latin1.txt", "not valid UTF-8 at byte 3"),
        ("secret.txt", "Permission denied"),
        ("locked", "Permission denied"),
        ("corpus.jsonl", "line 2"),
    ] {
        let line = r
            .stderr
            .lines()
            .find(|l| l.contains(file))
            .unwrap_or_else(|| panic!("{file} not reported: {}", r.stderr));
        assert!(line.starts_with("zhen: skipped: "), "{line}");
        assert!(line.contains(reason), "{file}: {line}");
    }
    assert!(
        r.stderr
            .contains("skipped 6 file(s) and 1 record(s) that could not be read or indexed"),
        "{}",
        r.stderr
    );
    for (query, doc) in [
        ("人口贩运", "utf8"),
        ("宗教自由", "bom"),
        ("表达自由", "utf16"),
        ("跨国有组织犯罪", "gb18030"),
        ("黄河流域", "r1"),
        ("数字经济", "r3"),
        ("鲲鹏", "long-line"),
        ("饕餮", "long-line"),
    ] {
        let v = search_json(&idx, query);
        assert_eq!(v["total_hits"], 1, "{query}: {v}");
        assert_eq!(v["hits"][0]["doc"], doc, "{query}");
    }
    // So that the temporary directory can be removed without root.
    std::fs::set_permissions(docs.join("locked"), std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// An index the user can read but not write (another user's, a read-only mount) answers
/// as it does for its owner: tantivy's reader wants to create a lock file, and the files
/// tantivy writes through temporary files were readable by their owner only.
#[test]
fn an_index_the_user_cannot_write_answers_as_for_its_owner() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let idx = dir.path().join("idx");
    build_index(&idx, &[&shipped()]);
    let expected: Vec<Value> = QUERIES
        .iter()
        .map(|q| search_json(&idx, q)["hits"].clone())
        .collect();
    let set_modes = |dirs: u32, files: u32| {
        for entry in walk(&idx) {
            let mode = if entry.is_dir() { dirs } else { files };
            std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(mode)).unwrap();
        }
    };
    // Readable and searchable by all, writable by no one but root (whom `unprivileged`
    // drops); the files keep the modes the build gave them.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    for entry in walk(&idx).iter().filter(|e| e.is_dir()) {
        std::fs::set_permissions(entry, std::fs::Permissions::from_mode(0o555)).unwrap();
    }
    for (query, hits) in QUERIES.iter().zip(&expected) {
        let r = run(unprivileged(
            std::process::Command::new(exe())
                .args(["search", "--json", "--limit", "10000", "--index"])
                .arg(&idx)
                .arg("--")
                .arg(query),
        ));
        assert_eq!(r.code, Some(0), "{query}: {}", r.stderr);
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(&v["hits"], hits, "{query}");
    }
    let r = run(unprivileged(
        std::process::Command::new(exe())
            .args(["stats", "--index"])
            .arg(&idx),
    ));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    // A segment file the user may not read is named as such, not called damage.
    let term = walk(&idx)
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "term"))
        .unwrap();
    std::fs::set_permissions(&term, std::fs::Permissions::from_mode(0o000)).unwrap();
    let r = run(unprivileged(
        std::process::Command::new(exe())
            .args(["search", "人口贩运", "--index"])
            .arg(&idx),
    ));
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(
        r.stderr.contains("cannot read") && r.stderr.contains("Permission denied"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("damaged"), "{}", r.stderr);
    // So that the temporary directory can be removed without root.
    set_modes(0o755, 0o644);
}

#[test]
fn on_error_stop_fails_at_the_first_bad_input_and_keeps_the_old_index() {
    let dir = tempfile::tempdir().unwrap();
    let idx = dir.path().join("idx");
    build_index(&idx, &[&shipped()]);
    let before = answer(&idx, "人口贩运");
    let docs = dir.path().join("docs");
    std::fs::create_dir(&docs).unwrap();
    std::fs::write(docs.join("a.txt"), "1. 新的文件谈表达自由。").unwrap();
    std::fs::write(docs.join("b.jsonl"), "{\"text\": \"好\"}\n{\"text\": \n").unwrap();

    let r = run(index_cmd(&idx, &[&docs]).args(["--on-error", "stop"]));
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(
        r.stderr.contains("b.jsonl") && r.stderr.contains("line 2"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("unchanged"), "{}", r.stderr);
    assert_eq!(answer(&idx, "人口贩运"), before);

    // The default skips the line: exit 3, the rest indexed.
    let r = run(&mut index_cmd(&idx, &[&docs]));
    assert_eq!(r.code, Some(3), "{}", r.stderr);
    assert!(
        r.stderr.contains("b.jsonl: line 2: not valid JSON"),
        "{}",
        r.stderr
    );
    assert_eq!(answer(&idx, "表达自由").len(), 1);
    assert!(answer(&idx, "人口贩运").is_empty());
}

#[test]
fn when_every_source_is_bad_nothing_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let idx = dir.path().join("idx");
    build_index(&idx, &[&shipped()]);
    let before = answer(&idx, "人口贩运");
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "").unwrap();
    let missing = dir.path().join("missing.txt");
    let r = run(&mut index_cmd(&idx, &[&empty, &missing]));
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(
        r.stderr.contains("empty.txt") && r.stderr.contains("missing.txt"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("nothing to index") && r.stderr.contains("unchanged"),
        "{}",
        r.stderr
    );
    assert_eq!(answer(&idx, "人口贩运"), before);
}

/// A file listed at the start of the build and deleted before it is read. The build is
/// held on a FIFO (read first, after the listing) so the deletion happens at a known point.
#[test]
fn a_file_that_vanishes_mid_run_is_reported_and_the_rest_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("stream.jsonl");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let docs = dir.path().join("docs");
    std::fs::create_dir(&docs).unwrap();
    std::fs::write(docs.join("stays.txt"), "1. 留下的文件谈宗教自由。").unwrap();
    std::fs::write(docs.join("vanishes.txt"), "1. 消失的文件。").unwrap();
    let idx = dir.path().join("idx");
    let child = index_cmd(&idx, &[&fifo, &docs])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Opening the write end waits for zhen to open the read end: the listing is done.
    let mut writer = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    std::fs::remove_file(docs.join("vanishes.txt")).unwrap();
    writeln!(
        writer,
        "{{\"id\": \"s\", \"text\": \"流里的记录谈人口贩运。\"}}"
    )
    .unwrap();
    drop(writer);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let line = stderr.lines().find(|l| l.contains("vanishes.txt")).unwrap();
    assert!(line.contains("No such file"), "{line}");
    assert_eq!(answer(&idx, "宗教自由")[0].0, "stays");
    assert_eq!(answer(&idx, "人口贩运")[0].0, "s");
}

/// Every query gives results (exit 0, one JSON object) or a one-line message with exit
/// status 2 — never a panic.
#[test]
fn hostile_queries_exit_0_or_2_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let idx = dir.path().join("idx");
    build_index(&idx, &[&shipped()]);
    let long: String = "人口贩运问题十分严重"
        .chars()
        .cycle()
        .take(10_000)
        .collect();
    let cases: Vec<(OsString, i32)> = vec![
        ("".into(), 2),
        ("，。！".into(), 2),
        ("the of".into(), 0),
        (long.into(), 0),
        ("\"人口贩运".into(), 2),
        ("(人口贩运".into(), 0),
        ("人口贩运)".into(), 0),
        ("-".into(), 2),
        ("OR".into(), 2),
        ("人口\u{1}贩运\u{1b}".into(), 0),
        ("🙂人口贩运".into(), 0),
        ("🙂".into(), 2),
        ("人口贩运 trafficking Ελλάδα".into(), 0),
        (
            String::from_utf16_lossy(&[0xD800, 0x4EBA, 0x53E3]).into(),
            0,
        ),
    ];
    for (query, code) in &cases {
        let r = run(std::process::Command::new(exe())
            .args(["search", "--json", "--index"])
            .arg(&idx)
            .arg("--")
            .arg(query));
        let shown: String = query.to_string_lossy().chars().take(30).collect();
        assert_eq!(r.code, Some(*code), "{shown:?}: {}", r.stderr);
        if *code == 0 {
            let v: Value = serde_json::from_str(&r.stdout).expect("one JSON object");
            assert!(v["total_hits"].is_u64());
        } else {
            assert!(r.stdout.is_empty());
            assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
            assert!(
                r.stderr.starts_with("zhen: error: invalid query"),
                "{}",
                r.stderr
            );
        }
    }
    // Bytes that are not UTF-8 at all (a shell passing Latin-1): a usage error.
    use std::os::unix::ffi::OsStringExt;
    let r = run(std::process::Command::new(exe())
        .args(["search", "--index"])
        .arg(&idx)
        .arg(OsString::from_vec(b"caf\xe9".to_vec())));
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(r.stderr.contains("UTF-8"), "{}", r.stderr);
    // A query file that is not UTF-8: exit 1 naming it.
    let queries = dir.path().join("queries.txt");
    std::fs::write(&queries, b"\xed\xa0\x80 lone surrogate in CESU-8\n").unwrap();
    let r = run(std::process::Command::new(exe())
        .args(["bench", "--iters", "1", "--cold-runs", "0", "--queries"])
        .arg(&queries)
        .arg("--index")
        .arg(&idx));
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(r.stderr.contains("queries.txt"), "{}", r.stderr);
}

fn lcg(state: &mut u64) -> f64 {
    *state = state
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (*state >> 11) as f64 / (1u64 << 53) as f64
}

/// What a killed build may leave visible: the old index exactly, or (killed after the
/// commit point) the complete new one — never anything else.
#[derive(Debug, Default)]
struct KillTally {
    runs: usize,
    old: usize,
    new: usize,
}

/// How the killed process writes the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Writer {
    /// `zhen index CORPUS`: a new generation, swapped in.
    Rebuild,
    /// `zhen index --add CORPUS`: an update of the live generation, one tantivy commit.
    Add,
}

fn write_cmd(writer: Writer, idx: &Path, corpus: &Path) -> std::process::Command {
    match writer {
        Writer::Rebuild => index_cmd(idx, &[corpus]),
        Writer::Add => {
            let mut cmd = std::process::Command::new(exe());
            cmd.env_remove("ZHEN_INDEX")
                .args(["index", "--index"])
                .arg(idx)
                .arg("--add")
                .arg(corpus);
            cmd
        }
    }
}

fn kill_writes(writer: Writer, kills: usize, records: usize, seed: u64) -> KillTally {
    let dir = tempfile::tempdir().unwrap();
    let corpus = reports_corpus(dir.path(), records);
    // The old index, and the reference answers of the new one with how long writing it
    // takes uninterrupted.
    let reference = dir.path().join("reference");
    build_index(&reference, &[&shipped()]);
    let started = Instant::now();
    let r = run(&mut write_cmd(writer, &reference, &corpus));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let full = started.elapsed();
    let new: Vec<_> = QUERIES.iter().map(|q| answer(&reference, q)).collect();

    let idx = dir.path().join("idx");
    build_index(&idx, &[&shipped()]);
    let old: Vec<_> = QUERIES.iter().map(|q| answer(&idx, q)).collect();
    assert_ne!(old, new);

    let mut tally = KillTally::default();
    let mut state = seed;
    for i in 0..kills {
        // Spread over the whole run, a little past its end, with jitter.
        let at = full.mul_f64(1.1 * (i as f64 + lcg(&mut state)) / kills as f64);
        let mut child = write_cmd(writer, &idx, &corpus)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(at);
        let _ = child.kill();
        child.wait().unwrap();
        tally.runs += 1;
        let index = zhen::Index::open(&idx).unwrap();
        index.verify().unwrap();
        drop(index);
        let now: Vec<_> = QUERIES.iter().map(|q| answer(&idx, q)).collect();
        // In any order: after a kill past the commit point the old index is rebuilt
        // below, and a rebuild may break score ties differently.
        if same_hits(&now, &old) {
            tally.old += 1;
        } else if same_hits(&now, &new) {
            // Killed after the commit point: the new index is complete and live. Put the
            // old one back for the next run.
            tally.new += 1;
            build_index(&idx, &[&shipped()]);
        } else {
            let sizes = |a: &[Answer]| a.iter().map(Vec::len).collect::<Vec<_>>();
            panic!(
                "{writer:?} killed after {at:?} (run {i}): the index answers neither as \
                 before nor as written: {:?} hits, before {:?}, written {:?}",
                sizes(&now),
                sizes(&old),
                sizes(&new)
            );
        }
    }
    // A last, uninterrupted run succeeds and leaves no leftovers beside the generation.
    let r = run(&mut write_cmd(writer, &idx, &corpus));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let names: Vec<String> = std::fs::read_dir(&idx)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names.len(),
        3,
        "CURRENT, LOCK and one generation: {names:?}"
    );
    let now: Vec<_> = QUERIES.iter().map(|q| answer(&idx, q)).collect();
    assert!(same_hits(&now, &new));
    tally
}

/// `kill -9` of `zhen index` at 20 points spread over a rebuild.
#[test]
fn kill_9_during_a_rebuild_never_costs_the_previous_index() {
    let tally = kill_writes(Writer::Rebuild, 20, 1500, 20240601);
    eprintln!("{tally:?}");
    assert_eq!(tally.runs, 20);
    assert!(
        tally.old >= 10,
        "most kills land before the commit: {tally:?}"
    );
}

/// `kill -9` of `zhen index --add` at 12 points spread over an update.
#[test]
fn kill_9_during_an_update_never_costs_the_previous_index() {
    let tally = kill_writes(Writer::Add, 12, 1000, 99);
    eprintln!("{tally:?}");
    assert_eq!(tally.runs, 12);
    assert!(
        tally.old >= 6,
        "most kills land before the commit: {tally:?}"
    );
}

/// The long run behind the README's figures: `ZHEN_KILL_RUNS=200 cargo test -p zhen-cli
/// --test reliability -- --ignored --nocapture kill_9_many`.
#[test]
#[ignore = "long: run explicitly for the README's figures"]
fn kill_9_many_times() {
    let runs = std::env::var("ZHEN_KILL_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let started = Instant::now();
    let tally = kill_writes(Writer::Rebuild, runs, 4000, 7);
    eprintln!("rebuild: {tally:?} in {:.0?}", started.elapsed());
    let started = Instant::now();
    let tally = kill_writes(Writer::Add, runs / 2, 4000, 8);
    eprintln!("add: {tally:?} in {:.0?}", started.elapsed());
}

#[test]
fn a_second_build_fails_naming_the_first_and_searches_go_on_during_a_build() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = reports_corpus(dir.path(), 3000);
    let idx = dir.path().join("idx");
    build_index(&idx, &[&shipped()]);
    let old: Vec<_> = QUERIES.iter().map(|q| answer(&idx, q)).collect();

    let mut first = index_cmd(&idx, &[&corpus])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = first.id();
    let deadline = Instant::now() + Duration::from_secs(20);
    while zhen::index::lock_holder(&idx) != Some(Some(pid)) {
        assert!(Instant::now() < deadline, "the build never took the lock");
        std::thread::sleep(Duration::from_millis(2));
    }
    // A second build, and an update, while the first runs.
    for mut cmd in [
        index_cmd(&idx, &[&shipped()]),
        write_cmd(Writer::Add, &idx, &shipped()),
    ] {
        let second = run(&mut cmd);
        assert_eq!(second.code, Some(1), "{}", second.stderr);
        assert!(
            second.stderr.contains(&format!(
                "is locked by process {pid}, which is building or updating it"
            )),
            "{}",
            second.stderr
        );
    }

    // Searches, in new processes and in this one, until the build is over: each answers
    // as the old index or as the new one, never fails.
    let mut seen = Vec::new();
    loop {
        let done = first.try_wait().unwrap().is_some();
        let q = seen.len() % QUERIES.len();
        let v = search_json(&idx, QUERIES[q]);
        let hits: Vec<(String, Option<u32>, String)> = v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (
                    h["doc"].as_str().unwrap().to_owned(),
                    h["paragraph"].as_u64().map(|n| n as u32),
                    h["text"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        seen.push((q, hits));
        seen.push((q, answer(&idx, QUERIES[q])));
        if done {
            break;
        }
    }
    let status = first.wait().unwrap();
    assert!(status.success());
    let new: Vec<_> = QUERIES.iter().map(|q| answer(&idx, q)).collect();
    assert_ne!(new, old);
    let (mut as_old, mut as_new) = (0, 0);
    for (q, hits) in &seen {
        if *hits == old[*q] {
            as_old += 1;
        } else if same_hits(std::slice::from_ref(hits), std::slice::from_ref(&new[*q])) {
            as_new += 1;
        } else {
            panic!("{}: answered neither as before nor as rebuilt", QUERIES[*q]);
        }
    }
    eprintln!("searches during the build: {as_old} old answers, {as_new} new");
    assert!(as_old >= 4, "{as_old}");
}

fn leftovers(idx: &Path) -> Vec<String> {
    std::fs::read_dir(idx)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".tmp") || n.starts_with("CURRENT."))
        .collect()
}

/// Fails a rebuild of `idx` by a write error and checks what is left: the message says
/// why, the old index answers exactly as before, the half-written generation is gone.
fn assert_write_failure_is_harmless(idx: &Path, rebuild: &mut std::process::Command, why: &str) {
    let old: Vec<_> = QUERIES.iter().map(|q| answer(idx, q)).collect();
    let r = run(rebuild);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(r.stderr.contains(why), "{}", r.stderr);
    assert!(
        r.stderr.contains("writing the index at") && r.stderr.contains("unchanged"),
        "{}",
        r.stderr
    );
    let now: Vec<_> = QUERIES.iter().map(|q| answer(idx, q)).collect();
    assert_eq!(now, old);
    assert_eq!(leftovers(idx), Vec::<String>::new());
}

/// Unmounts a tmpfs when the test ends, however it ends.
struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_write_error_or_full_disk_during_a_build_leaves_the_old_index_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    // All the work reports (6.9 MB): a write fails while most of them are still to be
    // fed, so an indexing thread dies first and the builder must get its error from it
    // (tantivy tells `add_document` only that a thread was killed). With 1,500 records
    // the feeding could end first, and CI once saw the other message.
    let corpus = reports_corpus(dir.path(), usize::MAX);

    // A file size limit (RLIMIT_FSIZE, with SIGXFSZ ignored so writes fail with EFBIG):
    // works without privileges.
    let idx = dir.path().join("idx");
    build_index(&idx, &[&shipped()]);
    let mut limited = std::process::Command::new("sh");
    limited
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 256; exec \"$0\" index --index \"$1\" \"$2\"")
        .arg(exe())
        .arg(&idx)
        .arg(&corpus);
    assert_write_failure_is_harmless(&idx, &mut limited, "File too large");

    // A real full disk: a 1 MB tmpfs, where this process may mount one (root).
    let tiny = dir.path().join("tiny");
    std::fs::create_dir(&tiny).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(&tiny)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped the tmpfs half: cannot mount a tmpfs here (not root?)");
        return;
    }
    let _mount = Mount(tiny.clone());
    let idx = tiny.join("idx");
    build_index(&idx, &[&shipped()]);
    assert_write_failure_is_harmless(
        &idx,
        &mut index_cmd(&idx, &[&corpus]),
        "No space left on device",
    );
}

/// A damaged file of the live index: `zhen search` says so, names the file and how to
/// rebuild (exit 1); the rebuild it suggests works.
#[test]
fn a_damaged_index_is_reported_by_search_and_a_rebuild_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let idx = dir.path().join("idx");
    build_index(&idx, &[&shipped()]);
    let before = search_json(&idx, "人口贩运");
    let generation = idx.join(std::fs::read_to_string(idx.join("CURRENT")).unwrap().trim());
    for ext in ["store", "term", "idx"] {
        let file = std::fs::read_dir(&generation)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == ext))
            .unwrap();
        let original = std::fs::read(&file).unwrap();
        let mut bytes = original.clone();
        let at = bytes.len() / 3;
        bytes[at] ^= 0x01;
        std::fs::write(&file, &bytes).unwrap();
        let r = run(std::process::Command::new(exe())
            .args(["search", "人口贩运", "--index"])
            .arg(&idx));
        assert_eq!(r.code, Some(1), "{ext}: {}", r.stderr);
        assert!(r.stdout.is_empty());
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
        assert!(
            r.stderr.contains("is damaged")
                && r.stderr
                    .contains(&format!(".{ext} does not hold what was written"))
                && r.stderr.contains("rebuild it with `zhen index --index"),
            "{}",
            r.stderr
        );
        std::fs::write(&file, &original).unwrap();
    }
    // Damaged for good: rebuilding over it recovers.
    let store = std::fs::read_dir(&generation)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "store"))
        .unwrap();
    std::fs::write(&store, b"garbage").unwrap();
    build_index(&idx, &[&shipped()]);
    assert_eq!(search_json(&idx, "人口贩运")["hits"], before["hits"]);
}

/// Runs `cmd` to its end and returns its peak resident memory in KB (VmHWM, sampled
/// until the process exits; it only grows, so the last sample holds the peak but for the
/// final few milliseconds).
fn peak_rss_kb(cmd: &mut std::process::Command) -> (u64, std::process::ExitStatus) {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return (peak, status);
        }
        if let Ok(status) = std::fs::read_to_string(&status_file) {
            if let Some(kb) = status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
            {
                peak = kb;
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Memory stays bounded on a huge single line: going from a 1 MB to a 4 MB line costs
/// the input's own copies (about 3 bytes per byte), not the ~100 bytes per byte a single
/// 4 MB tantivy document took before paragraphs were cut into parts (430 MB peak).
#[test]
fn memory_stays_bounded_on_a_huge_single_line() {
    let dir = tempfile::tempdir().unwrap();
    let sentence = "各国应当加强合作，共同应对气候变化带来的挑战。";
    let mut peaks = Vec::new();
    for mb in [1, 4] {
        let path = dir.path().join(format!("line-{mb}.txt"));
        let line = sentence.repeat(mb * 1024 * 1024 / sentence.len());
        std::fs::write(&path, format!("鲲鹏{line}饕餮")).unwrap();
        let idx = dir.path().join(format!("idx-{mb}"));
        let (peak, status) = peak_rss_kb(&mut index_cmd(&idx, &[&path]));
        assert!(status.success());
        assert_eq!(answer(&idx, "饕餮").len(), 1);
        peaks.push(peak);
    }
    let growth_kb = peaks[1].saturating_sub(peaks[0]);
    eprintln!(
        "peak RSS: 1 MB line {} KB, 4 MB line {} KB",
        peaks[0], peaks[1]
    );
    assert!(
        growth_kb < 10 * 3 * 1024,
        "3 MB more input cost {growth_kb} KB more memory: {peaks:?}"
    );
}

#[test]
fn index_help_documents_the_exit_statuses_and_the_error_policy() {
    let r = run(std::process::Command::new(exe()).args(["index", "--help"]));
    assert_eq!(r.code, Some(0));
    for needle in [
        "--on-error",
        "Exit status: 0 everything was indexed; 3 the index was built but some files",
        "1 nothing was replaced",
        "2 bad usage",
        "naming the process that holds it",
    ] {
        assert!(r.stdout.contains(needle), "{needle}: {}", r.stdout);
    }
}

/// Two first searches at once on a fresh checkout: one builds the default index, the other
/// waits for it (the lock) instead of failing, and both answer the same.
#[test]
fn two_first_searches_at_once_both_answer() {
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir(work.path().join("index-data")).unwrap();
    std::fs::copy(
        shipped(),
        work.path().join("index-data/us-hrc-pledges-2021.zh.txt"),
    )
    .unwrap();
    let spawn = || {
        std::process::Command::new(exe())
            .env_remove("ZHEN_INDEX")
            .current_dir(work.path())
            .args(["search", "人口贩运", "--json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let mut answers = Vec::new();
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        answers.push(v["hits"].clone());
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0].as_array().unwrap().len(), 3);
}
