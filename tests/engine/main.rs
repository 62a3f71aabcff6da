//! Engine integration tests: one binary, one module per area.

mod crawl;
mod local_model;
mod openai_provider;
