//! Criterion benchmarks for zhen live in `benches/`; this crate has no library code.
