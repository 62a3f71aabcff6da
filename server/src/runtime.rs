//! The async runtime `webplus` runs on.
//!
//! Fewer threads than cores, by default half: each time a task wakes another, tokio's
//! multi-thread scheduler wakes an idle worker to share the work, and on a small machine (above
//! all a virtual one, where that wake-up is an interrupt between virtual CPUs) those wake-ups cost
//! more than the work. Measured with the TTFT bench on 2 virtual cores (docs/BENCHMARKS.md,
//! 2026-12-01, two rounds each way alternating): one worker instead of two added 0.30–0.43 ms
//! instead of 0.35–0.53 ms at p50 (lower for every provider in both rounds) and used 514–614 µs of
//! CPU per streamed request instead of 690–752 µs. The rest of the cores run what Web+ does off
//! the runtime: SQLite, embeddings, the local model, password hashing. Many concurrent streams may
//! want more workers (`worker_threads`): a many-streams benchmark is where to decide that.

use std::num::NonZeroUsize;

/// Async worker threads when the settings name none: half the cores, at least one.
pub fn default_worker_threads() -> usize {
    std::thread::available_parallelism().map_or(1, NonZeroUsize::get).div_ceil(2).max(1)
}

/// The multi-thread runtime with `worker_threads` (the settings' value) or the default.
pub fn build(worker_threads: Option<usize>) -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(worker_threads.unwrap_or_else(default_worker_threads))
        .enable_all()
        .build()
}
