//! Benchmarks and quality comparisons for zhen.
//!
//! The criterion benchmarks live in `benches/`; this library holds what they and the
//! `compare-quality` binary share: [`baseline`], the plain tantivy + tantivy-jieba setup
//! that zhen is measured against, and [`corpus`], the readers of the shared corpora.

pub mod baseline;
pub mod cache;
pub mod corpus;
