//! Engine integration tests: one binary, one module per area.

mod crawl;
mod embeddings;
mod local_model;
mod openai_provider;
