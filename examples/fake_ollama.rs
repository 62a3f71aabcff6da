//! The fake Ollama server alone: for checking it against Ollama's official Python client
//! (`examples/fake_ollama_sdk_check.py`) and for the browser tests. Prints its base URL and serves
//! until Ctrl-C or until its stdin closes.
//!
//! With `--gated`, each pull step after the first waits: a line `release N` on stdin lets N more
//! steps through (the browser test watches the progress bar between them).
//!
//! `cargo run --example fake_ollama --features fakes [-- --gated]`

use tokio::io::{AsyncBufReadExt, BufReader};
use webplus::fakes::{FakeOllama, FakeOllamaConfig};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let gated = std::env::args().any(|a| a == "--gated");
    let config = if gated { FakeOllamaConfig::default().gated_pulls() } else { FakeOllamaConfig::default() };
    let fake = FakeOllama::try_start(config).await?;
    println!("base_url={}", fake.base_url());
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(()),
            line = lines.next_line() => match line? {
                None => {
                    // Stdin closed: without a gate to release, keep serving until Ctrl-C.
                    if gated {
                        return Ok(());
                    }
                    tokio::signal::ctrl_c().await?;
                    return Ok(());
                }
                Some(line) => {
                    if let Some(n) = line.trim().strip_prefix("release ").and_then(|n| n.parse().ok()) {
                        fake.release_pull_steps(n);
                    }
                }
            },
        }
    }
}
