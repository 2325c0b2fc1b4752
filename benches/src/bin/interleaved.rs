//! zhen against the baseline per query class on prc-laws, the two measured in alternation.
//!
//! criterion measures one benchmark after another: on a host whose speed drifts (this
//! project's 2-core VM slows down under sustained load, by up to a factor of two for
//! minutes), a zhen figure and the baseline's figure for the same class can come from
//! different conditions, and their ratio moves from run to run by more than the
//! differences worth measuring. Here every round times a batch of each system's searches
//! for every class, back to back and in alternating order, so both sides of a ratio share
//! the same moments. Each class's ratio is the median of its rounds' ratios, given with
//! their quartiles.
//!
//! The searches are those of the criterion bench `query_latency` (`zhen`: top 10 with
//! highlights and snippets; baseline: tantivy's `QueryParser`, top 10 stored texts and the
//! count), on the same cached indexes (see `zhen_benches::cache`), built on first use.
//!
//! Run: `cargo run --release -p zhen-benches --bin interleaved [ROUNDS] [BATCH_MS]`
//! (default 30 rounds, batches of about 5 ms).

use std::process::ExitCode;
use std::time::{Duration, Instant};

use zhen_benches::baseline::Baseline;
use zhen_benches::cache;

const USAGE: &str = "usage: interleaved [ROUNDS] [BATCH_MS]";

/// One query class's per-round timings, in µs a search.
struct Class {
    name: &'static str,
    query: &'static str,
    /// Searches per batch, calibrated so a batch takes about the asked time.
    batch: u32,
    zhen: Vec<f64>,
    baseline: Vec<f64>,
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let parse =
        |arg: Option<String>, default: u32, what: &str| match arg {
            None => Ok(default),
            Some(a) => a.parse::<u32>().ok().filter(|&n| n > 0).ok_or_else(|| {
                format!("{what} must be a positive whole number, not {a:?}; {USAGE}")
            }),
        };
    let (rounds, batch_ms) = match (
        parse(args.next(), 30, "ROUNDS"),
        parse(args.next(), 5, "BATCH_MS"),
    ) {
        (Ok(r), Ok(b)) => (r, b),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let zhen = cache::prc_laws_zhen().searcher();
    let baseline = cache::prc_laws_baseline();
    let batch_time = Duration::from_millis(u64::from(batch_ms));

    let mut classes: Vec<Class> = cache::PRC_QUERIES
        .iter()
        .map(|&(name, query)| {
            // Warm both (caches, lazily opened files), then size the batch on the slower's
            // median warm search (the first searches, cold, would make batches too small).
            for _ in 0..5 {
                time_zhen(&zhen, query, 1);
                time_baseline(&baseline, query, 1);
            }
            let slower: Vec<f64> = (0..21)
                .map(|_| time_zhen(&zhen, query, 1).max(time_baseline(&baseline, query, 1)))
                .collect();
            let slower = median(&slower);
            let batch = (batch_time.as_secs_f64() * 1e6 / slower.max(0.1)).clamp(1.0, 1e6) as u32;
            Class {
                name,
                query,
                batch,
                zhen: Vec::new(),
                baseline: Vec::new(),
            }
        })
        .collect();

    for round in 0..rounds {
        for class in &mut classes {
            // Alternate which system goes first, so neither always follows the other.
            if round % 2 == 0 {
                class.zhen.push(time_zhen(&zhen, class.query, class.batch));
                class
                    .baseline
                    .push(time_baseline(&baseline, class.query, class.batch));
            } else {
                class
                    .baseline
                    .push(time_baseline(&baseline, class.query, class.batch));
                class.zhen.push(time_zhen(&zhen, class.query, class.batch));
            }
        }
        eprint!("\rround {}/{rounds}", round + 1);
    }
    eprintln!();

    println!(
        "| class | query | searches a batch | zhen µs | baseline µs | zhen / baseline (quartiles) |\n|---|---|---:|---:|---:|---|"
    );
    for class in &classes {
        let ratios: Vec<f64> = class
            .zhen
            .iter()
            .zip(&class.baseline)
            .map(|(z, b)| z / b)
            .collect();
        println!(
            "| {} | `{}` | {} | {:.1} | {:.1} | {:.2}× ({:.2}–{:.2}) |",
            class.name,
            class.query,
            class.batch,
            median(&class.zhen),
            median(&class.baseline),
            median(&ratios),
            quantile(&ratios, 0.25),
            quantile(&ratios, 0.75),
        );
    }
    println!(
        "\n{rounds} rounds, each a batch of about {batch_ms} ms per class and system, in \
         alternating order; µs are medians over the rounds of each batch's mean."
    );
    ExitCode::SUCCESS
}

/// µs a search, the mean of `n` zhen searches.
fn time_zhen(zhen: &zhen::Searcher, query: &str, n: u32) -> f64 {
    let started = Instant::now();
    for _ in 0..n {
        std::hint::black_box(zhen.search(query, 10).expect("zhen search"));
    }
    started.elapsed().as_secs_f64() * 1e6 / f64::from(n)
}

/// µs a search, the mean of `n` baseline searches.
fn time_baseline(baseline: &Baseline, query: &str, n: u32) -> f64 {
    let started = Instant::now();
    for _ in 0..n {
        std::hint::black_box(baseline.search(query, 10));
    }
    started.elapsed().as_secs_f64() * 1e6 / f64::from(n)
}

/// The median of `values`.
fn median(values: &[f64]) -> f64 {
    quantile(values, 0.5)
}

/// The `q` quantile of `values` (nearest rank).
fn quantile(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let at = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[at]
}
