//! The async runtime `webplus` runs on.
//!
//! One async worker per core by default, as tokio's own default. Measured 2026-12-05 on 2
//! virtual cores (AMD EPYC), the streams bench (docs/BENCHMARKS.md, "Many streams at once"), one
//! Web+ per setting in the same run, three runs: 1,000 concurrent streams added 2.2–10.6 ms at p99
//! with two workers against 32–65 ms with one, where every relayed token queued behind one busy
//! thread; 5,000 streams 4.1–6.3 s against 7.0–10.3 s. The price is paid by a lone request: the
//! TTFT bench, two rounds each way alternating, added 0.26–0.36 ms at p50 with two workers
//! against 0.21–0.30 ms with one (each time tokio wakes an idle worker to share the work, a wake-up
//! between virtual CPUs), and 476–605 µs of CPU per streamed request against 412–462 µs. Tens
//! of microseconds on one request beside a model's first token, against tens of milliseconds
//! for everyone under load: the default takes the load. What Web+ does off the runtime (SQLite,
//! embeddings, the local model, password hashing) runs on threads of its own either way;
//! `worker_threads` sets another number (1 for the lowest single-request latency). Pages render
//! on as many single-thread runtimes beside this one (`middleware/page_threads.rs`: Leptos's
//! server rendering breaks hydration when a page's tasks run on a second worker).

use std::num::NonZeroUsize;

/// Async worker threads when the settings name none: one per core.
pub fn default_worker_threads() -> usize {
    std::thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

/// The multi-thread runtime with `worker_threads` (the settings' value) or the default.
pub fn build(worker_threads: Option<usize>) -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(worker_threads.unwrap_or_else(default_worker_threads))
        .enable_all()
        .build()
}
