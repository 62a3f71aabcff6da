//! Quantized matrix kernels for the local model (`src/local/llama.rs`).
//!
//! A crate of its own so that dev builds compile it optimised: the dev profile optimises
//! dependencies but not the workspace's own crates, and SIMD intrinsics at opt-level 0 are
//! function calls, many times slower than candle's kernels (the dev end-to-end chat answer once
//! did not finish in 5 minutes that way). Here, debug and release servers run the same path.

pub mod q4_1;
