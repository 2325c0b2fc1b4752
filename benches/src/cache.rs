//! The prc-laws indexes the query benches share: all 153,223 articles of the PRC laws
//! corpus (`../shared/data`), one paragraph each, as a zhen index and as the baseline's.
//! Both are built once and cached in `target/zhen-bench-cache/` (`prc-laws-zhen/`,
//! `prc-laws-baseline/`); later runs reuse them. Delete that directory to rebuild (the
//! build time is printed and kept in `target/zhen-bench-cache/prc-laws-*.build.txt`).

use std::fs;
use std::time::Instant;

use crate::baseline::Baseline;
use crate::corpus;

/// Queries on the PRC laws index: `(class, query)`.
pub const PRC_QUERIES: &[(&str, &str)] = &[
    ("single-word", "法院"),
    ("compound", "人民法院"),
    // A word that is mostly found inside longer ones (`劳动合同`, `劳动者`).
    ("sub-word", "劳动"),
    ("single-char", "税"),
    ("two-words", "合同 违约"),
    ("phrase", "\"依法追究刑事责任\""),
    // `劳动合同` in traditional characters.
    ("traditional", "勞動合同"),
    // `2020` in full-width digits.
    ("full-width", "２０２０"),
    ("english", "DNA"),
    ("exclusion", "合同 -劳动"),
];

/// Records per `add_paragraphs` call when building the zhen index (one document each).
const BATCH: usize = 1_000;

/// Marker written in the baseline's cache directory after a successful build.
const BASELINE_MARKER: &str = "zhen-bench-complete";

/// Records a cached build: what was built, how long it took, when.
fn log_build(name: &str, what: &str) {
    let log = corpus::cache_dir().join(format!("{name}.build.txt"));
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let _ = fs::write(&log, format!("{what}\nbuilt at unix time {stamp}\n"));
    eprintln!("{name}: {what}");
}

/// The zhen index of the whole PRC laws corpus, from the cache or built into it.
pub fn prc_laws_zhen() -> zhen::Index {
    fs::create_dir_all(corpus::cache_dir()).expect("create the benchmark cache directory");
    let dir = corpus::cache_dir().join("prc-laws-zhen");
    match zhen::Index::open(&dir) {
        Ok(index) => {
            eprintln!("prc-laws-zhen: reusing {}", dir.display());
            return index;
        }
        Err(e) if dir.exists() => {
            eprintln!("prc-laws-zhen: rebuilding {} ({e})", dir.display());
            fs::remove_dir_all(&dir).expect("remove the stale zhen index");
        }
        Err(_) => eprintln!("prc-laws-zhen: building {} (once)", dir.display()),
    }
    let started = Instant::now();
    let mut builder = zhen::IndexBuilder::create(&dir).expect("create the zhen index");
    let mut batch = Vec::with_capacity(BATCH);
    let (mut batches, mut records, mut bytes) = (0usize, 0usize, 0usize);
    let mut flush = |batch: &mut Vec<zhen::Paragraph>, batches: &mut usize| {
        if !batch.is_empty() {
            builder
                .add_paragraphs(&format!("prc-laws-{batches}"), batch)
                .expect("add paragraphs");
            batch.clear();
            *batches += 1;
        }
    };
    for record in corpus::records(corpus::PRC_LAWS) {
        records += 1;
        bytes += record.text.len();
        let doc = format!("prc-laws-{batches}");
        batch.push(zhen::Paragraph::new(doc, batch.len() as u32, record.text));
        if batch.len() == BATCH {
            flush(&mut batch, &mut batches);
        }
    }
    flush(&mut batch, &mut batches);
    let report = builder.commit().expect("commit the zhen index");
    let secs = started.elapsed().as_secs_f64();
    log_build(
        "prc-laws-zhen",
        &format!(
            "{} paragraphs ({records} records, {bytes} bytes of text, {batches} documents) \
             in {secs:.1} s ({:.2} MB/s, including gunzip and JSON parsing)",
            report.paragraphs,
            bytes as f64 / 1e6 / secs
        ),
    );
    zhen::Index::open(&dir).expect("open the new zhen index")
}

/// The baseline index of the whole PRC laws corpus, from the cache or built into it.
pub fn prc_laws_baseline() -> Baseline {
    fs::create_dir_all(corpus::cache_dir()).expect("create the benchmark cache directory");
    let dir = corpus::cache_dir().join("prc-laws-baseline");
    if dir.join(BASELINE_MARKER).is_file() {
        match Baseline::open(&dir) {
            Ok(baseline) => {
                eprintln!("prc-laws-baseline: reusing {}", dir.display());
                return baseline;
            }
            Err(e) => eprintln!("prc-laws-baseline: rebuilding {} ({e})", dir.display()),
        }
    } else {
        eprintln!("prc-laws-baseline: building {} (once)", dir.display());
    }
    if dir.exists() {
        fs::remove_dir_all(&dir).expect("remove the stale baseline index");
    }
    let started = Instant::now();
    let mut records = 0usize;
    let mut bytes = 0usize;
    let texts = corpus::records(corpus::PRC_LAWS).map(|r| {
        records += 1;
        bytes += r.text.len();
        (None, r.text)
    });
    let baseline = Baseline::build(&dir, texts).expect("build the baseline index");
    let secs = started.elapsed().as_secs_f64();
    fs::write(dir.join(BASELINE_MARKER), b"").expect("write the baseline marker");
    log_build(
        "prc-laws-baseline",
        &format!(
            "{records} paragraphs ({bytes} bytes of text) in {secs:.1} s ({:.2} MB/s, \
             including gunzip and JSON parsing)",
            bytes as f64 / 1e6 / secs
        ),
    );
    baseline
}
