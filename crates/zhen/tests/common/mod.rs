//! Helpers shared by the integration tests that read the shared corpora.
#![allow(dead_code)]

use std::io::BufRead;
use std::path::{Path, PathBuf};

pub fn corpus(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(name);
    assert!(
        path.is_file(),
        "{} is missing: this test reads the shared corpora beside the checkout",
        path.display()
    );
    path
}

pub fn read_jsonl_texts(path: &Path, limit: usize) -> Vec<String> {
    let file = std::fs::File::open(path).unwrap();
    let reader = std::io::BufReader::new(flate2::read::GzDecoder::new(file));
    reader
        .lines()
        .take(limit)
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
            v["text"].as_str().unwrap().to_owned()
        })
        .collect()
}

/// A small deterministic generator, so the sample is the same on every run.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self, bound: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % bound
    }
}
