//! The fake Ollama server alone, for checking it against Ollama's official Python client
//! (`examples/fake_ollama_sdk_check.py`): prints its base URL, serves until Ctrl-C.
//!
//! `cargo run --example fake_ollama --features fakes`

use webplus::fakes::{FakeOllama, FakeOllamaConfig};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let fake = FakeOllama::try_start(FakeOllamaConfig::default()).await?;
    println!("base_url={}", fake.base_url());
    tokio::signal::ctrl_c().await?;
    Ok(())
}
