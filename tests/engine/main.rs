//! Engine integration tests: one binary, one module per area.

mod anthropic_provider;
mod bedrock_provider;
mod crawl;
mod embeddings;
mod local_model;
mod ollama_admin;
mod ollama_provider;
mod openai_provider;
mod streams;
