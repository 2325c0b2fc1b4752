//! The indexing progress bar (only on a terminal).

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// A progress bar over the bytes of all sources, showing MB/s, paragraphs/s and the ETA.
#[derive(Clone)]
pub struct Bar {
    bar: ProgressBar,
    started: Instant,
    finished_bytes: Arc<AtomicU64>,
}

impl Bar {
    /// A bar for `total` bytes, or `None` when stderr is not a terminal: then only the
    /// final summary line is printed.
    pub fn new(total: u64) -> Option<Bar> {
        if !std::io::stderr().is_terminal() {
            return None;
        }
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} \\
                 {binary_bytes_per_sec} {msg} ETA {eta}",
            )
            .expect("valid template"),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        Some(Bar {
            bar,
            started: Instant::now(),
            finished_bytes: Arc::new(AtomicU64::new(0)),
        })
    }

    /// Bytes of all the sources finished so far.
    pub fn position_of_finished(&self) -> u64 {
        self.finished_bytes.load(Ordering::Relaxed)
    }

    /// Moves the bar to `bytes` and shows the paragraph rate; `source_done` marks the end
    /// of the current source.
    pub fn update(&self, bytes: u64, paragraphs: u64, source_done: bool) {
        self.bar.set_position(bytes);
        if source_done {
            self.finished_bytes.store(bytes, Ordering::Relaxed);
        }
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        self.bar.set_message(format!(
            "{paragraphs} paragraphs ({:.0}/s)",
            paragraphs as f64 / secs
        ));
    }

    /// Prints a line above the bar (a skipped file, say) without garbling it.
    pub fn note(&self, line: &str) {
        self.bar.println(line);
    }

    /// Removes the bar; the caller prints the summary.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
