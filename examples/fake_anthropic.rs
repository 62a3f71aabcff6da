//! The fake Anthropic server on its own, for checking it against Anthropic's official clients
//! (`examples/fake_anthropic_sdk_check.py`): prints its base URL and key, serves until Ctrl-C.
//!
//! `cargo run --example fake_anthropic --features fakes`

use webplus::fakes::{FakeAnthropic, FakeAnthropicConfig};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let fake = FakeAnthropic::try_start(FakeAnthropicConfig::default()).await?;
    println!("base_url={}", fake.base_url());
    println!("api_key={}", fake.api_key());
    tokio::signal::ctrl_c().await?;
    Ok(())
}
